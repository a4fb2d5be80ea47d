"""The hash chain, in plain Python so a copy of the log can be checked anywhere:
hash = SHA-256(prev_hash ‖ canonical JSON of the entry's content)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

GENESIS = "0" * 64
#: The fields an entry's hash covers, in this order; the id fixes its place in the chain.
CONTENT_FIELDS = (
    "id",
    "occurred_at",
    "actor_id",
    "actor_name",
    "organisation_id",
    "action",
    "object_type",
    "object_id",
    "summary",
    "detail",
)


def canonical(content: Mapping) -> bytes:
    return json.dumps(
        {name: content[name] for name in CONTENT_FIELDS},
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    ).encode()


def digest(prev_hash: str, content: Mapping) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical(content)).hexdigest()


@dataclass(frozen=True)
class PublishedHead:
    """A day's chain head as published (``/audit/heads/``), kept by someone, or kept by the
    platform apart from the log."""

    day: dt.date
    last_id: int
    hash: str
    source: str


@dataclass(frozen=True)
class Break:
    """The first entry whose link or content does not match."""

    id: int
    reason: str


def verify(entries: Iterable[Mapping], head: str | None = None) -> tuple[int, Break | None]:
    """Walk the entries in id order. Returns (entries checked, first break or None); ``head``,
    when given, is the last hash recorded separately (a truncated tail is then detected too)."""
    previous = GENESIS
    last_id = 0
    count = 0
    for entry in entries:
        count += 1
        if entry["prev_hash"] != previous:
            return count, Break(entry["id"], "与前一条的哈希不衔接（前面的记录被删除、插入或改动）")
        if digest(previous, entry) != entry["hash"]:
            return count, Break(entry["id"], "内容与其哈希不符（该条记录被改动）")
        previous = entry["hash"]
        last_id = entry["id"]
    if head is not None and head != previous:
        return count, Break(last_id + 1, "链头与最后一条记录不符（末尾的记录被删除）")
    return count, None
