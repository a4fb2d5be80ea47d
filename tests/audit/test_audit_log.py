"""The domain event log (issue 10, JX-5.4 档案): every service writes one entry in its own
transaction; the SHA-256 chain names the first entry that was edited, deleted or inserted."""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest
from django.db import connection

from shuangsuiji.accounts.roles import Role
from shuangsuiji.audit import chain
from shuangsuiji.audit.models import AuditEvent
from shuangsuiji.audit.services import audit_verify
from shuangsuiji.cli import main
from tests.support.portal import build_portal


@pytest.fixture
def portal(organisations, make_user):
    return build_portal(organisations, make_user)


def tamper(sql: str, params: list) -> None:
    """What a database superuser can do: on PostgreSQL switch off the triggers that refuse
    edits of the log (``session_replication_role``), then change the table."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")


def test_every_step_of_a_quarter_is_logged(portal):
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"register.import", "plan.generate", "plan.approve", "plan.publish", "draw.commit",
            "draw.execute", "draw.reveal", "inspection.record", "inspection.submit",
            "follow_up.open", "inspection.targeted"} <= actions  # fmt: skip
    submit = AuditEvent.objects.filter(action="inspection.submit", object_id=str(portal.clean.pk))
    (entry,) = submit
    assert entry.detail["变更"]["status"] == ["assigned", "done"]
    assert entry.organisation == portal.county and entry.actor_name
    reveal = AuditEvent.objects.get(action="draw.reveal", object_id=str(portal.revealed.pk))
    assert reveal.detail["变更"]["status"] == ["drawn", "revealed"]


def test_log_never_holds_salts_or_id_numbers(portal):
    from shuangsuiji.directory.models import Inspector
    from shuangsuiji.directory.registers import INSPECTORS
    from shuangsuiji.directory.services import record_save

    inspector = Inspector.objects.filter(organisation=portal.county).first()
    record_save(actor=portal.coordinator, spec=INSPECTORS, organisation=portal.county,
                values={"department": "第二执法大队"}, reason="调岗", instance=inspector)  # fmt: skip
    logged = json.dumps(list(AuditEvent.objects.values("detail", "summary")), ensure_ascii=False)
    assert bytes(portal.revealed.salt).hex() not in logged
    assert inspector.id_number and inspector.id_number not in logged
    edit = AuditEvent.objects.filter(action="register.save").latest("id")
    assert edit.detail["变更"]["department"][1] == "第二执法大队"


def test_verify_passes_then_names_the_edited_entry(portal, capsys):
    assert main(["audit", "verify"]) == 0
    assert "✓ 审计日志完整" in capsys.readouterr().out
    victim = AuditEvent.objects.filter(action="inspection.submit").first()
    tamper("UPDATE audit_auditevent SET summary = %s WHERE id = %s", ["篡改后的摘要", victim.pk])
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert f"第 {victim.pk} 条" in out and "内容与其哈希不符" in out


def test_a_deleted_entry_breaks_the_link_of_the_next(portal):
    middle = AuditEvent.objects.order_by("id")[3]
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [middle.pk])
    _, broken, _ = audit_verify()
    assert broken.id == middle.pk + 1 and "不衔接" in broken.reason


def test_a_truncated_tail_is_caught_by_the_head(portal):
    last = AuditEvent.objects.latest("id")
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [last.pk])
    _, broken, _ = audit_verify()
    assert broken is not None and "末尾的记录被删除" in broken.reason


def test_rewriting_a_whole_tail_changes_the_published_daily_head(portal, capsys):
    """Recomputing every later hash hides an edit from verify, but not from a head already
    published: the day's head differs."""
    from shuangsuiji.audit.selectors import daily_heads

    (_day, last_id, published), *_ = daily_heads(days=1)
    assert last_id == AuditEvent.objects.latest("id").pk
    assert main(["audit", "heads", "--days", "1"]) == 0
    assert published in capsys.readouterr().out


def test_chain_is_plain_python():
    entries = []
    previous = chain.GENESIS
    for n in (1, 2, 3):
        content = dict.fromkeys(chain.CONTENT_FIELDS, "") | {"id": n, "detail": {"n": n}}
        digest = chain.digest(previous, content)
        entries.append({**content, "prev_hash": previous, "hash": digest})
        previous = digest
    assert chain.verify(entries, previous) == (3, None)
    entries[1]["detail"] = {"n": 20}
    count, broken = chain.verify(entries, previous)
    assert (count, broken.id) == (2, 2)


def test_auditor_browses_and_filters_own_organisation_only(
    client, portal, make_user, organisations
):
    auditor = make_user("auditor", portal.county, Role.AUDITOR)
    client.force_login(auditor)
    page = client.get("/audit/", {"action": "抽取"}).content.decode()
    # Actions in Chinese (issue 19 §3), never their codes.
    assert "<td>承诺抽取</td>" in page and "<td>提交检查结果</td>" not in page
    assert "draw.commit" not in page
    assert "每日链头" in page
    outsider = make_user("auditor-b", organisations["b"], Role.AUDITOR)
    client.force_login(outsider)
    assert "<td>承诺抽取</td>" not in client.get("/audit/").content.decode()


def test_the_daily_heads_are_public_and_say_nothing_else(client, portal):
    """The 监督员's heads can be published: the portal lists them for anyone, as a page and as a
    text file, and the page holds hashes only, never what the entries say."""
    latest = AuditEvent.objects.latest("id")
    page = client.get("/audit/heads/")
    assert page.status_code == 200
    html = page.content.decode()
    assert latest.hash in html and f"#{latest.pk}" in html
    assert latest.summary not in html and portal.clean.target.name not in html
    text = client.get("/audit/heads/", {"format": "txt"})
    assert text["Content-Type"].startswith("text/plain")
    _day, last_id, digest = text.content.decode().splitlines()[1].split("\t")
    assert (int(last_id), digest) == (latest.pk, latest.hash)


def test_a_wiped_log_fails_verify(portal, capsys):
    """Issue 15 finding 9: a log emptied together with its head used to read "✓ 0 条记录"."""
    tamper("DELETE FROM audit_auditevent", [])
    tamper("DELETE FROM audit_audithead", [])
    assert main(["audit", "verify"]) == 1
    assert "审计记录被清空" in capsys.readouterr().out


def test_a_day_sealed_by_the_next_keeps_its_head_apart_from_the_log(portal, monkeypatch):
    """The first entry of a new day keeps the last day's head; cutting the log back to before
    that head, head row and all, then fails verify."""
    from django.utils import timezone

    from shuangsuiji.audit.models import AuditDailyHead, AuditHead
    from shuangsuiji.audit.services import audit_record

    last = AuditEvent.objects.latest("id")
    tomorrow = timezone.now() + dt.timedelta(days=1)
    monkeypatch.setattr(timezone, "now", lambda: tomorrow)
    audit_record(actor=None, action="test.next_day", summary="次日的第一条记录")
    kept = AuditDailyHead.objects.get()
    assert (kept.day, kept.last_id, kept.hash) == (
        timezone.localdate(last.occurred_at),
        last.pk,
        last.hash,
    )

    first_kept = AuditEvent.objects.order_by("id")[5]
    tamper("DELETE FROM audit_auditevent WHERE id >= %s", [first_kept.pk])
    previous = AuditEvent.objects.get(pk=first_kept.pk - 1)
    AuditHead.objects.filter(pk=1).update(last_id=previous.pk, hash=previous.hash)
    _, broken, _ = audit_verify()
    assert broken is not None and broken.id == last.pk
    assert "已不在日志中" in broken.reason


def test_verify_holds_the_log_against_a_kept_copy_of_the_public_heads(
    portal, client, tmp_path, capsys
):
    """Someone saved /audit/heads/?format=txt; the whole log is then rewritten from an early
    entry on, every later hash recomputed: verify alone passes, verify --heads does not."""
    from shuangsuiji.audit.models import AuditHead
    from shuangsuiji.audit.services import content

    kept = tmp_path / "链头.txt"
    kept.write_bytes(client.get("/audit/heads/?format=txt").content)
    assert main(["audit", "verify", "--heads", str(kept)]) == 0

    previous = chain.GENESIS
    for event in AuditEvent.objects.order_by("id"):
        summary = "改写后的摘要" if event.pk == 3 else event.summary
        event.summary = summary
        digest = chain.digest(previous, content(event))
        tamper("UPDATE audit_auditevent SET summary = %s, prev_hash = %s, hash = %s WHERE id = %s",
               [summary, previous, digest, event.pk])  # fmt: skip
        previous = digest
    AuditHead.objects.filter(pk=1).update(hash=previous)
    capsys.readouterr()
    assert main(["audit", "verify"]) == 0
    assert main(["audit", "verify", "--heads", str(kept)]) == 1
    assert "链头.txt 所载" in capsys.readouterr().out


def test_a_heads_file_with_a_bad_line_is_named(tmp_path):
    """As the command is run (a fresh process: the file is read before Django is set up)."""
    import subprocess
    import sys

    kept = tmp_path / "链头.txt"
    kept.write_text(
        "日期\t最后一条记录\tSHA-256 链头\n2026-11-22\t12\tnot-a-hash\n", encoding="utf-8"
    )
    done = subprocess.run(
        [sys.executable, "-m", "shuangsuiji.cli", "audit", "verify", "--heads", str(kept)],
        capture_output=True,
        text=True,
        env={**os.environ, "SHUANGSUIJI_DATA_DIR": str(tmp_path)},
    )
    assert done.returncode == 2
    assert "链头.txt 第 2 行" in done.stderr


def test_a_deferred_block_appends_its_entries_at_its_end_and_none_if_it_fails(portal, make_user):
    """Issue 21 §3: 保存并提交 is two audited steps in one transaction; their entries are
    appended when the block ends, so the log's head is locked from there to the commit, not
    through the whole submission. The same entries, in order, on an unbroken chain; a refused
    submission appends none and keeps nothing of the save."""
    from django.core.exceptions import ValidationError

    from shuangsuiji.audit.services import deferred
    from shuangsuiji.inspections.models import Inspection
    from tests.support.portal import record, staffed, team_user

    first, second, refused = staffed(portal.revealed, 10)[4:7]
    users = {i.pk: team_user(i, make_user) for i in (first, second, refused)}
    last = AuditEvent.objects.latest("id").pk
    with deferred():
        record(first, users[first.pk])
        assert AuditEvent.objects.latest("id").pk == last  # nothing appended yet
        with deferred():  # an inner block leaves its entries to the outer one
            record(second, users[second.pk])
        assert AuditEvent.objects.latest("id").pk == last
    added = list(AuditEvent.objects.filter(pk__gt=last).order_by("id"))
    assert [(e.action, e.object_id) for e in added] == [
        ("inspection.record", str(first.pk)),
        ("inspection.submit", str(first.pk)),
        ("inspection.record", str(second.pk)),
        ("inspection.submit", str(second.pk)),
    ]
    assert audit_verify()[1] is None

    last = AuditEvent.objects.latest("id").pk
    with pytest.raises(ValidationError, match="公示摘要"), deferred():
        record(refused, users[refused.pk], public_summary="")
    assert AuditEvent.objects.latest("id").pk == last
    kept = Inspection.objects.get(pk=refused.pk)
    assert kept.status == Inspection.Status.ASSIGNED and kept.findings == ""
