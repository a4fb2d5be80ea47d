from django.db import DatabaseError


def test_healthz_reports_database(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["database"]["vendor"] in {"sqlite", "postgresql"}


def test_healthz_reports_unreachable_database(client, db, monkeypatch):
    from django.db.backends.utils import CursorWrapper

    def broken(self, sql, params=None):
        raise DatabaseError("connection refused")

    with monkeypatch.context() as patch:
        patch.setattr(CursorWrapper, "execute", broken)
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == {"ok": False, "error": "connection refused"}


def test_suite_runs_on_the_database_of_its_pass(db):
    """The PostgreSQL pass of scripts/run_tests.py really talks to PostgreSQL."""
    import os

    from django.db import connection

    expected = {"sqlite": "sqlite", "postgres": "postgresql"}
    assert connection.vendor == expected[os.environ.get("SHUANGSUIJI_TEST_DB", "sqlite")]
