"""Push exchange batches to the endpoint a province provides (issue 20 §6; docs/exchange.md).

Each pending batch of an organisation and kind is POSTed, oldest first, until one is not
accepted: the batches are a chain, and a receiver that missed one could not apply the next.
A failure the endpoint may get over (no connection, a timeout, 408, 429, 5xx) is retried with a
doubling pause; any other answer stops the push until the next run. Every attempt is recorded
(``ExchangeAttempt``, and the audit log) with the answer and what the endpoint accepted; a batch
accepted is never sent again.

The network is never touched inside a database transaction: each attempt is recorded in its own
short transaction after its answer has come.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from shuangsuiji.accounts.access import require_own
from shuangsuiji.audit.services import audited
from shuangsuiji.disclosure.exchange import batch_path, pending_batches
from shuangsuiji.disclosure.exchange_files import (
    FORMAT,
    MANIFEST,
    sha256,
    verify_batch,
)
from shuangsuiji.disclosure.models import ExchangeAttempt, ExchangeBatch

#: Answers that say "try again later"; any other failure is not retried within one run.
RETRYABLE = frozenset({408, 425, 429, 500, 502, 503, 504})
#: The longest pause between two attempts, whatever Retry-After asks.
MAX_PAUSE = 300.0
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class ExchangeConfigError(ValueError):
    """The endpoint is missing or unusable; the message says what to set, in Chinese."""


class NoEndpoint(ExchangeConfigError):
    """No endpoint is configured for the kind: the province takes it some other way."""


@dataclass(frozen=True)
class Endpoint:
    url: str
    token: str = ""

    @property
    def shown(self) -> str:
        """The address as recorded and printed: scheme, host and path, never a query (which may
        hold a key) nor a user name and password."""
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def configured_endpoint(kind: str, url: str = "", token: str = "") -> Endpoint:
    """The endpoint for ``kind``: ``url`` if given, else SHUANGSUIJI_EXCHANGE_ENDPOINT_<KIND>,
    else SHUANGSUIJI_EXCHANGE_ENDPOINT; the token likewise (…_TOKEN_<KIND>, …_TOKEN). Read
    when called, never at import."""
    suffix = kind.upper()
    url = (
        url
        or os.environ.get(f"SHUANGSUIJI_EXCHANGE_ENDPOINT_{suffix}", "")
        or os.environ.get("SHUANGSUIJI_EXCHANGE_ENDPOINT", "")
    ).strip()
    token = (
        token
        or os.environ.get(f"SHUANGSUIJI_EXCHANGE_TOKEN_{suffix}", "")
        or os.environ.get("SHUANGSUIJI_EXCHANGE_TOKEN", "")
    ).strip()
    if not url:
        raise NoEndpoint(
            f"没有配置推送地址：请设置环境变量 SHUANGSUIJI_EXCHANGE_ENDPOINT_{suffix} 或 "
            "SHUANGSUIJI_EXCHANGE_ENDPOINT，或用 --endpoint 指定（见 docs/exchange.md）。"
        )
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ExchangeConfigError(f"推送地址须为 http:// 或 https:// 开头的网址：{url!r} 不是。")
    if token and parts.scheme == "http" and parts.hostname not in LOOPBACK:
        raise ExchangeConfigError(
            "配置了访问令牌时推送地址须为 https://：令牌不能经未加密的 http 发往其他机器。"
        )
    return Endpoint(url, token)


@dataclass(frozen=True)
class Answer:
    """What one POST came back with: a status code, or an error before any answer."""

    status: int | None
    body: bytes = b""
    error: str = ""
    retry_after: float | None = None

    @property
    def accepted(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def retryable(self) -> bool:
        return self.status is None or self.status in RETRYABLE


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: the doubling pause is used instead


def http_post(endpoint: Endpoint, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """POST with the standard library; any failure becomes an Answer, never an exception."""
    request = urllib.request.Request(endpoint.url, data=body, headers=headers, method="POST")
    if endpoint.token:
        request.add_header("Authorization", f"Bearer {endpoint.token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Answer(response.status, response.read())
    except urllib.error.HTTPError as error:
        return Answer(
            error.code,
            error.read() or b"",
            f"HTTP {error.code}",
            _retry_after(error.headers.get("Retry-After")),
        )
    except (urllib.error.URLError, OSError) as error:
        return Answer(None, error=f"连接失败：{_network_problem(getattr(error, 'reason', error))}")


def _network_problem(reason) -> str:
    """The failure in the words the bureau reads (the system's own text is English)."""
    import socket
    import ssl

    if isinstance(reason, TimeoutError | socket.timeout):
        return "对方在规定时间内没有答复（超时）"
    if isinstance(reason, ConnectionRefusedError):
        return "对方拒绝连接（服务未启动或端口不对）"
    if isinstance(reason, socket.gaierror):
        return "找不到该主机（域名无法解析）"
    if isinstance(reason, ssl.SSLCertVerificationError):
        return "对方的 HTTPS 证书未通过校验"
    if isinstance(reason, ssl.SSLError):
        return "HTTPS 连接失败"
    if isinstance(reason, ConnectionError):
        return "连接被中断"
    return f"网络错误（{type(reason).__name__}）"


def payload(batch: ExchangeBatch) -> tuple[bytes, dict[str, str]]:
    """The body sent for a batch: its manifest and JSON Lines files, verbatim, so the receiver
    checks each against the manifest's SHA-256 exactly as it would the files themselves."""
    directory = batch_path(batch)
    files = {
        entry["name"]: (directory / entry["name"]).read_bytes().decode("utf-8")
        for entry in batch.files
        if entry["format"] == "jsonl"
    }
    body = {
        "format": FORMAT,
        # Bytes decoded as they are (read_text would translate line ends): the hashes hold.
        "manifest": (directory / MANIFEST).read_bytes().decode("utf-8"),
        "files": files,
    }
    content = json.dumps(body, ensure_ascii=False).encode("utf-8")
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "shuangsuiji-exchange/1",
        "X-Shuangsuiji-Batch": f"{batch.organisation.code}/{batch.kind}/{batch.sequence}",
        "X-Shuangsuiji-Manifest-Sha256": batch.manifest_sha256,
        # The same batch sent twice (an answer lost on the way back) is the same key.
        "Idempotency-Key": batch.manifest_sha256,
    }
    return content, headers


def receipt(batch: ExchangeBatch, body: bytes) -> tuple[int, list[str]]:
    """What an accepting endpoint took: its ``accepted`` (a count or a list of 记录编号) and
    ``rejected`` (a list of 记录编号) when it answers JSON with them, else the whole batch."""
    try:
        answer = json.loads(body.decode("utf-8")) if body else {}
    except (UnicodeDecodeError, json.JSONDecodeError):
        answer = {}
    if not isinstance(answer, dict):
        answer = {}
    rejected = answer.get("rejected")
    rejected = [str(key)[:64] for key in rejected] if isinstance(rejected, list) else []
    accepted = answer.get("accepted")
    if isinstance(accepted, bool) or not isinstance(accepted, int | list):
        return max(batch.rows - len(rejected), 0), rejected
    return (len(accepted) if isinstance(accepted, list) else max(accepted, 0)), rejected


def attempt_described(attempt: ExchangeAttempt, kwargs):
    outcome = "已接收" if attempt.accepted else (attempt.error or f"HTTP {attempt.status_code}")
    summary = (
        f"推送交换批次：{attempt.batch} → {attempt.endpoint}，第 {attempt.number} 次，{outcome}"
    )
    detail = {"HTTP 状态码": attempt.status_code, "接收行数": attempt.accepted_rows,
              "拒收": attempt.rejected_keys[:50], "答复哈希": attempt.response_sha256}  # fmt: skip
    return attempt.batch, summary, detail


@audited("exchange.push", "推送交换批次", describe=attempt_described)
@transaction.atomic
def exchange_attempt_record(
    *, actor, batch: ExchangeBatch, endpoint: Endpoint, number: int, answer: Answer, at
) -> ExchangeAttempt:
    """Record one attempt; an accepting answer marks the batch accepted, so it is not sent
    again."""
    accepted_rows, rejected = receipt(batch, answer.body) if answer.accepted else (0, [])
    attempt = ExchangeAttempt.objects.create(
        batch=batch,
        endpoint=endpoint.shown[:500],
        attempted_at=at,
        number=number,
        status_code=answer.status,
        error="" if answer.accepted else (answer.error or f"HTTP {answer.status}")[:300],
        accepted=answer.accepted,
        accepted_rows=accepted_rows,
        rejected_keys=rejected,
        response_sha256=sha256(answer.body) if answer.body else "",
    )
    if answer.accepted:
        ExchangeBatch.objects.filter(pk=batch.pk, accepted_at__isnull=True).update(
            accepted_at=at, accepted_endpoint=endpoint.shown[:500]
        )
    return attempt


@dataclass
class PushResult:
    batch: ExchangeBatch
    attempts: list[ExchangeAttempt] = field(default_factory=list)
    problem: str = ""

    @property
    def accepted(self) -> bool:
        return bool(self.attempts) and self.attempts[-1].accepted


def _pause(backoff: float, number: int, answer: Answer) -> float:
    pause = backoff * 2 ** (number - 1)
    if answer.retry_after is not None:
        pause = answer.retry_after
    return min(pause, MAX_PAUSE)


def exchange_push(
    *,
    actor,
    organisation,
    kind: str,
    endpoint: Endpoint,
    attempts: int = 3,
    backoff: float = 2.0,
    timeout: float = 30.0,
    post: Callable[[Endpoint, bytes, dict[str, str], float], Answer] = http_post,
    sleep: Callable[[float], None] = time.sleep,
) -> list[PushResult]:
    """Send the pending batches of ``organisation`` and ``kind``, oldest first, stopping at the
    first not accepted. Returns one result per batch tried."""
    require_own(
        actor, organisation.pk, "manage_sampling", "只有本单位的抽查管理员可以推送交换批次。"
    )
    if attempts < 1:
        raise ValidationError("尝试次数至少为 1。")
    if backoff < 0 or timeout <= 0:
        raise ValidationError("重试等待秒数不能为负数，超时秒数须大于 0。")
    results = []
    for batch in pending_batches(organisation, kind).select_related("organisation"):
        result = PushResult(batch)
        results.append(result)
        try:
            _, problems = verify_batch(batch_path(batch))
        except ValueError as error:
            problems = [str(error)]
        if problems:
            # A file changed or lost on disk is not sent: the receiver would refuse it anyway,
            # and a batch skipped would break the chain.
            result.problem = "批次文件与清单不符，未推送：" + "；".join(problems)
            break
        body, headers = payload(batch)
        for number in range(1, attempts + 1):
            answer = post(endpoint, body, headers, timeout)
            attempt = exchange_attempt_record(
                actor=actor, batch=batch, endpoint=endpoint, number=number, answer=answer,
                at=timezone.now(),
            )  # fmt: skip
            result.attempts.append(attempt)
            if answer.accepted or not answer.retryable or number == attempts:
                break
            sleep(_pause(backoff, number, answer))
        if not result.accepted:
            break
    return results
