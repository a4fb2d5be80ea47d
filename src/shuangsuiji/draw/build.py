"""Writing bundle files from records, in the exact form the specification requires.

The web application builds a draw from its registers; these functions only sort and
format, and ``parse_bundle`` remains the judge of whether the result is valid.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .documents import EntropyValue, Partner, Source
from .jsonfile import dumps
from .primitives import SPEC, SPEC_V2
from .tables import Inspector


@dataclass(frozen=True)
class Candidate:
    id: str
    stratum: str
    region: str
    weight: int = 1
    eligible: bool = True
    tags: Iterable[str] = ()
    reason: str = ""


def _tags(tags: Iterable[str]) -> str:
    return ",".join(sorted(tags, key=lambda tag: tag.encode()))


def _lines(lines: Iterable[str]) -> bytes:
    return "".join(line + "\n" for line in lines).encode("utf-8")


def render_pool(candidates: Iterable[Candidate]) -> bytes:
    rows = sorted(candidates, key=lambda c: c.id.encode())
    return _lines(
        f"{c.id}|{c.stratum}|{c.region}|{c.weight}|{int(c.eligible)}|{_tags(c.tags)}|{c.reason}"
        for c in rows
    )


def render_roster(inspectors: Iterable[Inspector]) -> bytes:
    rows = sorted(inspectors, key=lambda i: i.id.encode())
    return _lines(
        f"{i.id}|{i.region}|{int(i.senior)}|{_tags(i.tags)}|{i.load}|{i.cap}" for i in rows
    )


def render_conflicts(pairs: Iterable[tuple[str, str]]) -> bytes:
    """``pairs`` are (inspector_id, unit_id); duplicates collapse into one line."""
    return _lines(sorted({f"{i}|{u}" for i, u in pairs}, key=lambda line: line.encode()))


def render_params(
    *,
    draw_id: str,
    team_size: int,
    strata: Sequence[dict[str, Any]],
    sources: Sequence[Source],
    committed_at: str,
    filter_text: str = "",
    withheld_commit: bytes | None = None,
    withheld_from: Sequence[str] = (),
    partners: Sequence[Partner] = (),
) -> bytes:
    """``strata`` items carry ``code`` and ``k``, and optionally ``name`` and ``basis``.
    With ``withheld_commit`` (and the earlier draws ``withheld_from``) the draw is v2. With
    ``partners`` (部门联合抽查) each department's roster is ``render_roster`` of its inspectors,
    in the file ``partner_file(code)``; without, the file is what it always was."""
    doc: dict[str, Any] = {
        "spec": SPEC if withheld_commit is None else SPEC_V2,
        "draw_id": draw_id,
        "team_size": team_size,
    }
    if partners:
        doc["partners"] = [
            {"code": p.code, "name": p.name, "team_size": p.team_size} for p in partners
        ]
    doc |= {
        "strata": list(strata),
        "sources": [{"type": s.type, "label": s.label} for s in sources],
        "committed_at": committed_at,
    }
    if filter_text:
        # Free text for people: the range of a 定向 task; the pool holds only units inside it.
        doc["filter"] = filter_text
    if withheld_commit is not None:
        doc["withheld_commit"] = withheld_commit.hex()
        doc["withheld_from"] = sorted(set(withheld_from), key=str.encode)
    return dumps(doc)


def render_withheld(entries: Iterable[tuple[str, Sequence[str], str]]) -> bytes:
    """v2 withheld.txt from (id, earlier draw ids, reason)."""
    rows = sorted(entries, key=lambda e: e[0].encode())
    return _lines(
        f"{uid}|{','.join(sorted(set(draws), key=str.encode))}|{reason}"
        for uid, draws, reason in rows
    )


def render_entropy(values: Iterable[EntropyValue]) -> bytes:
    return dumps({"values": [{"type": v.type, "label": v.label, "value": v.value} for v in values]})
