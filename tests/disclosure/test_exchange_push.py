"""Pushing exchange batches to a province's endpoint (issue 20 §6 “an HTTP push to a configured
endpoint, with retries and a record of what was accepted, where a province provides one”;
绛县 二、（四） “将结果数据及时推送至全省统一的‘双随机、一公开’监管平台”).

A real HTTP server runs in the test (http.server in a thread); the pauses between attempts are
recorded instead of slept."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction

from shuangsuiji.audit.models import AuditEvent
from shuangsuiji.cli import main
from shuangsuiji.disclosure.exchange import batch_path, exchange_export
from shuangsuiji.disclosure.exchange_files import MANIFEST, sha256
from shuangsuiji.disclosure.exchange_push import (
    Endpoint,
    ExchangeConfigError,
    configured_endpoint,
    exchange_push,
)
from shuangsuiji.disclosure.models import ExchangeAttempt, ExchangeBatch
from tests.support.portal import build_portal
from tests.support.tree import build_organisations, make_user


@dataclass
class Receiver:
    """A province's endpoint: answers each POST with the next of ``answers`` (the last one
    repeats), and keeps what it was sent."""

    answers: list[tuple[int, dict]]
    received: list[dict] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/shuangsuiji/batches"


@pytest.fixture
def receiver():
    state = Receiver(answers=[(200, {})])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.received.append({"headers": dict(self.headers), "body": json.loads(body)})
            index = min(len(state.received), len(state.answers)) - 1
            status, answer = state.answers[index]
            content = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, *args):
            pass

    state.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=state.server.serve_forever, daemon=True)
    thread.start()
    yield state
    state.server.shutdown()
    state.server.server_close()


@pytest.fixture(scope="module")
def county(django_db_setup, django_db_blocker):
    """The portal's county (tests/support/portal.py), built once and rolled back after the
    module."""
    with django_db_blocker.unblock(), transaction.atomic():
        try:
            yield build_portal(build_organisations(), make_user).county
        finally:
            transaction.set_rollback(True)


def push(county, receiver, kind="results", pauses=None, **options):
    pauses = [] if pauses is None else pauses
    return exchange_push(actor=None, organisation=county, kind=kind,
                         endpoint=Endpoint(options.pop("url", receiver.url)), backoff=2.0,
                         sleep=pauses.append, **options)  # fmt: skip


def test_a_failed_first_attempt_is_retried_and_the_second_accepted(db, county, receiver):
    """503, then 200 with the endpoint's receipt: both attempts are recorded, the batch is
    accepted, and it is never sent again."""
    batch = exchange_export(actor=None, organisation=county, kind="results")
    receiver.answers = [(503, {"message": "维护中"}), (200, {"accepted": 2, "rejected": []})]
    pauses = []
    [result] = push(county, receiver, pauses=pauses)
    assert result.accepted
    attempts = list(ExchangeAttempt.objects.filter(batch=batch).order_by("number"))
    assert [(a.number, a.status_code, a.accepted, a.error) for a in attempts] == [
        (1, 503, False, "HTTP 503"),
        (2, 200, True, ""),
    ]
    assert attempts[1].accepted_rows == 2
    assert attempts[1].endpoint == receiver.url
    assert attempts[1].response_sha256 == sha256(
        json.dumps({"accepted": 2, "rejected": []}).encode()
    )
    assert pauses == [2.0]
    batch.refresh_from_db()
    assert batch.accepted_at == attempts[1].attempted_at
    assert batch.accepted_endpoint == receiver.url
    # Accepted once: the next push sends nothing.
    assert push(county, receiver) == []
    assert len(receiver.received) == 2
    events = AuditEvent.objects.filter(action="exchange.push").order_by("id")
    assert [e.summary.rsplit("，", 1)[1] for e in events] == ["HTTP 503", "已接收"]
    assert {e.organisation_id for e in events} == {county.pk}


def test_what_is_sent_is_the_batch_verbatim(db, county, receiver):
    """The body carries manifest.json and each JSON Lines file as they are on disk, so the
    receiver checks them against the manifest's hashes; the headers name the batch."""
    batch = exchange_export(actor=None, organisation=county, kind="registers")
    push(county, receiver, kind="registers")
    [sent] = receiver.received
    body, headers = sent["body"], sent["headers"]
    directory = batch_path(batch)
    assert body["format"] == "shuangsuiji-exchange-1"
    assert sha256(body["manifest"].encode()) == batch.manifest_sha256
    assert body["manifest"] == (directory / MANIFEST).read_text(encoding="utf-8")
    manifest = json.loads(body["manifest"])
    jsonl = [e for e in manifest["files"] if e["format"] == "jsonl"]
    assert set(body["files"]) == {e["name"] for e in jsonl}
    for entry in jsonl:
        assert sha256(body["files"][entry["name"]].encode()) == entry["sha256"]
    assert headers["X-Shuangsuiji-Batch"] == f"{county.code}/registers/1"
    assert headers["X-Shuangsuiji-Manifest-Sha256"] == batch.manifest_sha256
    assert headers["Idempotency-Key"] == batch.manifest_sha256


def test_batches_go_in_order_and_stop_at_the_first_refused(db, county, receiver):
    """A refusal that retrying cannot mend (400) is tried once; the later batch waits, since a
    receiver cannot apply a batch without the one before it."""
    first = exchange_export(actor=None, organisation=county, kind="results")
    exchange_export(actor=None, organisation=county, kind="results")
    receiver.answers = [(400, {"message": "格式错误"})]
    pauses = []
    [result] = push(county, receiver, pauses=pauses, attempts=3)
    assert (result.batch, result.accepted) == (first, False)
    assert len(receiver.received) == 1 and pauses == []
    receiver.answers = [(200, {})]
    results = push(county, receiver)
    assert [(r.batch.sequence, r.accepted) for r in results] == [(1, True), (2, True)]
    assert [json.loads(s["body"]["manifest"])["sequence"] for s in receiver.received] == [1, 1, 2]


def test_no_connection_is_retried_with_doubling_pauses(db, county, receiver):
    exchange_export(actor=None, organisation=county, kind="results")
    url = receiver.url
    receiver.server.shutdown()
    receiver.server.server_close()
    pauses = []
    [result] = push(county, receiver, pauses=pauses, attempts=3, url=url, timeout=5)
    assert not result.accepted
    assert pauses == [2.0, 4.0]
    attempts = ExchangeAttempt.objects.filter(batch=result.batch)
    assert [a.status_code for a in attempts] == [None, None, None]
    assert {a.error for a in attempts} == {"连接失败：对方拒绝连接（服务未启动或端口不对）"}
    assert ExchangeBatch.objects.get(pk=result.batch.pk).accepted_at is None


def test_the_endpoints_receipt_of_refused_rows_is_kept(db, county, receiver):
    batch = exchange_export(actor=None, organisation=county, kind="registers")
    receiver.answers = [(200, {"accepted": batch.rows - 1, "rejected": [f"{county.code}-1"]})]
    push(county, receiver, kind="registers")
    attempt = ExchangeAttempt.objects.get(batch=batch)
    assert (attempt.accepted_rows, attempt.rejected_keys) == (batch.rows - 1, [f"{county.code}-1"])


def test_a_changed_file_is_not_sent(db, county, receiver):
    batch = exchange_export(actor=None, organisation=county, kind="results")
    entry = next(e for e in batch.files if e["format"] == "jsonl")
    (batch_path(batch) / entry["name"]).write_text("{}\n", encoding="utf-8")
    [result] = push(county, receiver)
    assert result.problem.startswith("批次文件与清单不符，未推送")
    assert receiver.received == [] and not ExchangeAttempt.objects.exists()


def test_a_key_in_the_address_is_never_recorded(db, county, receiver):
    exchange_export(actor=None, organisation=county, kind="results")
    push(county, receiver, url=receiver.url + "?key=s3cret-token")
    attempt = ExchangeAttempt.objects.get()
    assert attempt.endpoint == receiver.url
    assert "s3cret" not in json.dumps(list(AuditEvent.objects.values("summary", "detail")),
                                      ensure_ascii=False)  # fmt: skip


def test_endpoint_configuration(monkeypatch):
    for name in ("SHUANGSUIJI_EXCHANGE_ENDPOINT", "SHUANGSUIJI_EXCHANGE_ENDPOINT_RESULTS",
                 "SHUANGSUIJI_EXCHANGE_TOKEN", "SHUANGSUIJI_EXCHANGE_TOKEN_RESULTS"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ExchangeConfigError, match="SHUANGSUIJI_EXCHANGE_ENDPOINT_RESULTS"):
        configured_endpoint("results")
    monkeypatch.setenv("SHUANGSUIJI_EXCHANGE_ENDPOINT", "https://sjgx.example.gov.cn/all")
    monkeypatch.setenv("SHUANGSUIJI_EXCHANGE_ENDPOINT_RESULTS", "https://gsxt.example.gov.cn/r")
    assert configured_endpoint("results").url == "https://gsxt.example.gov.cn/r"
    assert configured_endpoint("penalties").url == "https://sjgx.example.gov.cn/all"
    assert (
        configured_endpoint("results", "https://other.example/x").url == "https://other.example/x"
    )
    with pytest.raises(ExchangeConfigError, match="http:// 或 https://"):
        configured_endpoint("results", "file:///etc/passwd")
    monkeypatch.setenv("SHUANGSUIJI_EXCHANGE_TOKEN", "t0ken")
    with pytest.raises(ExchangeConfigError, match="须为 https://"):
        configured_endpoint("results", "http://sjgx.example.gov.cn/r")
    assert configured_endpoint("results", "http://127.0.0.1:9/r").token == "t0ken"


def test_command_pushes_with_the_configured_endpoint(db, county, receiver, capsys, monkeypatch):
    code = county.code
    monkeypatch.delenv("SHUANGSUIJI_EXCHANGE_ENDPOINT", raising=False)
    monkeypatch.delenv("SHUANGSUIJI_EXCHANGE_ENDPOINT_RESULTS", raising=False)
    assert main(["exchange", "export", "--org", code, "--kind", "results"]) == 0
    assert main(["exchange", "push", "--org", code, "--kind", "results"]) == 2
    assert "没有配置推送地址" in capsys.readouterr().err
    monkeypatch.setenv("SHUANGSUIJI_EXCHANGE_ENDPOINT_RESULTS", receiver.url)
    receiver.answers = [(503, {}), (200, {"accepted": 2})]
    args = ["exchange", "push", "--org", code, "--kind", "results", "--backoff", "0"]
    assert main([*args, "--attempts", "1"]) == 1
    assert "未被接收：HTTP 503（已尝试 1 次）；下次运行时重新推送" in capsys.readouterr().err
    assert main(args) == 0
    out = capsys.readouterr().out
    assert f"已被接收（{receiver.url}，HTTP 200，第 1 次尝试，接收 2 行）" in out
    assert main(args) == 0  # nothing left to send
    assert len(receiver.received) == 2


def test_command_pushes_only_the_kinds_a_province_takes(db, county, receiver, capsys, monkeypatch):
    """A province that takes the results only: pushing every kind sends the results and leaves
    the other kinds' batches waiting; with no endpoint at all the command says what to set."""
    for name in ("SHUANGSUIJI_EXCHANGE_ENDPOINT", "SHUANGSUIJI_EXCHANGE_ENDPOINT_RESULTS",
                 "SHUANGSUIJI_EXCHANGE_ENDPOINT_REGISTERS", "SHUANGSUIJI_EXCHANGE_ENDPOINT_PENALTIES"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    code = county.code
    assert main(["exchange", "export", "--org", code]) == 0
    assert main(["exchange", "push", "--org", code]) == 2
    assert "没有配置推送地址" in capsys.readouterr().err
    monkeypatch.setenv("SHUANGSUIJI_EXCHANGE_ENDPOINT_RESULTS", receiver.url)
    assert main(["exchange", "push", "--org", code, "--backoff", "0"]) == 0
    assert [json.loads(s["body"]["manifest"])["kind"] for s in receiver.received] == ["results"]
    waiting = ExchangeBatch.objects.filter(organisation=county, accepted_at__isnull=True)
    assert sorted(waiting.values_list("kind", flat=True)) == ["penalties", "registers"]
    assert main(["exchange", "push", "--org", code, "--kind", "registers"]) == 2
    assert "SHUANGSUIJI_EXCHANGE_ENDPOINT_REGISTERS" in capsys.readouterr().err
