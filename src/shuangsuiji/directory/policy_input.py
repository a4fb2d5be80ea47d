"""The register as the policy engine reads it: Chinese headers and the words in the cells.

Both the pure command line (rows of a workbook) and the web app (rows of the database) go through
``target_record``, so a target is classified the same way wherever it comes from.
"""

from __future__ import annotations

from typing import Any

from shuangsuiji.directory.registers import EVENTS, TARGETS
from shuangsuiji.policy.engine import DrawnIn, EventRecord, TargetRecord
from shuangsuiji.policy.schema import TARGET_FIELDS

_TARGET_COLUMNS = [c for c in TARGETS.columns if c.header in TARGET_FIELDS]
_EVENT_KIND = EVENTS.column_for_field("kind")


def target_record(values: dict[str, Any], drawn: tuple[DrawnIn, ...] = ()) -> TargetRecord:
    """``values``: a register row by field name (as parsed, or ``vars`` of a model instance);
    ``drawn``: the draws that chose it at random this year (``inspections.selectors``)."""
    fields = {}
    for column in _TARGET_COLUMNS:
        value = values.get(column.field, column.default)
        fields[column.header] = "" if value in (None, "") else str(column.write(value))
    return TargetRecord(
        id=values.get("project_code") or values["credit_code"],
        credit_code=values["credit_code"],
        name=values["name"],
        fields=fields,
        region=values.get("area") or values.get("division_code") or "",
        tags=tuple(t for t in (values.get("tags") or "").split(",") if t),
        inspections_this_year=len(drawn),
        drawn=drawn,
    )


def event_record(values: dict[str, Any]) -> EventRecord:
    return EventRecord(
        credit_code=values["credit_code"],
        kind=str(_EVENT_KIND.write(values["kind"])),
        date=values["date"],
        reference=values.get("reference") or "",
    )
