"""Plan and apply a register upsert as one transaction; export and template workbooks.

If any row is wrong nothing is written: ``parse_workbook`` collects every problem of every row
(one per cell), ``plan_import`` adds what only the database can tell, and ``apply_import`` runs
only on a plan without problems, inside one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from shuangsuiji.accounts.models import Organisation
from shuangsuiji.crypto import EncryptedCharField
from shuangsuiji.directory.parsing import (
    ParsedWorkbook,
    Problem,
    Progress,
    display_cell,
    parse_workbook,
)
from shuangsuiji.directory.registers import Column, RegisterSpec
from shuangsuiji.directory.workbooks import ImportLimits, normalise_header, write_workbook

__all__ = [
    "ImportLimits",
    "ParsedWorkbook",
    "Problem",
    "Progress",
    "import_limits",
    "parse_register_file",
    "parse_workbook",
]

BATCH_SIZE = 2000
#: How many changed rows and absent rows a preview lists one by one.
PREVIEW_LIMIT = 500


@dataclass
class Change:
    row: int
    instance: Any
    values: dict[str, Any]
    diffs: list[tuple[str, str, str]]


@dataclass
class ImportPlan:
    parsed: ParsedWorkbook
    organisation: Organisation
    new: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    unchanged: int = 0
    absent: list[Any] = field(default_factory=list)
    #: Problems only the database finds, within the same cap as the file's (``parsed.add``).
    problems: list[Problem] = field(default_factory=list)
    omitted: int = 0

    def add(self, problem: Problem) -> None:
        cap = self.parsed.max_problems
        if cap is None or len(self.parsed.problems) + len(self.problems) < cap:
            self.problems.append(problem)
        else:
            self.omitted += 1

    @property
    def all_problems(self) -> list[Problem]:
        """The problems listed one by one, then, when there were more, a line counting them."""
        omitted = self.parsed.omitted + self.omitted
        listed = self.parsed.problems + self.problems
        return listed + ([self.parsed.omitted_note(len(listed), omitted)] if omitted else [])

    @property
    def problem_count(self) -> int:
        """Every problem found, listed or not."""
        return len(self.parsed.problems) + len(self.problems) + self.parsed.omitted + self.omitted

    @property
    def ok(self) -> bool:
        return not self.all_problems

    def summary(self) -> dict[str, Any]:
        spec = self.parsed.spec
        return {
            "register": spec.key,
            "new": len(self.new),
            "changed": len(self.changed),
            "unchanged": self.unchanged,
            "absent": len(self.absent),
            "unknown_headers": self.parsed.unknown_headers,
            "changes": [
                {"row": c.row, "label": str(c.instance), "diffs": c.diffs}
                for c in self.changed[:PREVIEW_LIMIT]
            ],
            "absent_items": [str(item) for item in self.absent[:PREVIEW_LIMIT]],
        }


def text_limits(spec: RegisterSpec) -> dict[str, int]:
    """The most characters each column's database field holds, by field name.

    Read from the model, so a migration that widens a column widens what an import accepts. An
    encrypted field limits its plain text (its column is sized for the token).
    """
    limits = {}
    for column in spec.columns:
        field = spec.model._meta.get_field(column.field)
        limit = getattr(field, "plain_length", None) or getattr(field, "max_length", None)
        if limit:
            limits[column.field] = limit
    return limits


def import_limits() -> ImportLimits:
    """The import limits of the settings ``SHUANGSUIJI_IMPORT_*`` (config/settings.py)."""
    return ImportLimits(
        max_bytes=settings.SHUANGSUIJI_IMPORT_MAX_BYTES,
        max_rows=settings.SHUANGSUIJI_IMPORT_MAX_ROWS,
        max_columns=settings.SHUANGSUIJI_IMPORT_MAX_COLUMNS,
        max_unpacked_bytes=settings.SHUANGSUIJI_IMPORT_MAX_UNPACKED_BYTES,
        max_problems=max(settings.SHUANGSUIJI_IMPORT_MAX_PROBLEMS, 1),
    )


def parse_register_file(
    spec: RegisterSpec, content: bytes, filename: str, on_progress: Progress | None = None
) -> ParsedWorkbook:
    """``parse_workbook`` within the import limits, that also refuses, row by row, text longer
    than its column holds (PostgreSQL would refuse the whole insert; SQLite would store it).
    The web page and the command line both read files through here."""
    return parse_workbook(
        spec, content, filename, on_progress, max_lengths=text_limits(spec), limits=import_limits()
    )


def plan_import(parsed: ParsedWorkbook, organisation: Organisation) -> ImportPlan:
    """Compare the file with the organisation's register: new, changed, unchanged, absent."""
    spec = parsed.spec
    plan = ImportPlan(parsed=parsed, organisation=organisation)
    if parsed.problems:
        return plan
    existing = {
        spec.key_of(vars(obj)): obj for obj in spec.model.objects.filter(organisation=organisation)
    }
    _database_rules(plan)
    compared = [f for f in parsed.present_fields if f not in spec.key_fields]
    seen = set()
    for row_number, values in parsed.records:
        key = spec.key_of(values)
        seen.add(key)
        obj = existing.get(key)
        if obj is None:
            plan.new.append((row_number, values))
            continue
        diffs = []
        for name in compared:
            old, new = getattr(obj, name), values[name]
            if old != new:
                column = spec.column_for_field(name)
                diffs.append((column.header, _shown(column, old), _shown(column, new)))
        if getattr(obj, "in_register", True) is False:
            diffs.append(("在库", "否", "是"))
        if diffs:
            plan.changed.append(Change(row_number, obj, values, diffs))
        else:
            plan.unchanged += 1
    if spec.removes_absent:
        plan.absent = [obj for key, obj in existing.items() if key not in seen and obj.in_register]
    return plan


def _write(column: Column, value: Any) -> str:
    return "" if value in (None, "") else str(column.write(value))


def _shown(column: Column, value: Any) -> str:
    """A value as the preview and the audit log show it: 身份证号 and 联系电话 masked (the
    summary is stored in plain JSON and copied into the audit log)."""
    text = _write(column, value)
    return column.mask(text) if column.sensitive and text else text


def _database_rules(plan: ImportPlan) -> None:
    """Rules only the database can check: references and uniqueness across the register."""
    spec, organisation = plan.parsed.spec, plan.organisation
    if spec.key == "events":
        from shuangsuiji.directory.models import Target

        known = set(
            Target.objects.filter(organisation=organisation).values_list("credit_code", flat=True)
        )
        for row_number, values in plan.parsed.records:
            if values["credit_code"] not in known:
                plan.add(
                    Problem(row_number, "统一社会信用代码", values["credit_code"],
                            "检查对象名录库中没有该统一社会信用代码，请先导入检查对象")
                )  # fmt: skip
    if spec.key == "inspectors":
        from shuangsuiji.directory.models import Inspector

        owners = dict(
            Inspector.objects.filter(organisation=organisation)
            .exclude(id_number="")
            .values_list("id_number", "certificate_no")
        )
        # One person, one 执法证号: within the file too (the key, 执法证号, is unique in it).
        in_file: dict[str, tuple[int, str]] = {}
        for row_number, values in plan.parsed.records:
            number, certificate = values["id_number"], values["certificate_no"]
            if not number:
                continue
            owner = owners.get(number)
            earlier = in_file.setdefault(number, (row_number, certificate))
            if owner and owner != certificate:
                message = f"该身份证号已登记在执法证号 {owner} 名下"
            elif earlier[1] != certificate:
                message = f"与第 {earlier[0]} 行（执法证号 {earlier[1]}）的身份证号相同"
            else:
                continue
            # Never echo a 身份证号 back in an error table.
            plan.add(Problem(row_number, "身份证号", "（已隐藏）", message))


def apply_import(
    plan: ImportPlan, *, user, reason: str, remove_absent: bool = False,
    on_progress: Progress | None = None,
) -> dict[str, int]:  # fmt: skip
    """Write the whole plan or nothing."""
    if not plan.ok:
        raise ValueError("有错误的导入计划不能执行")
    spec = plan.parsed.spec
    model = spec.model
    now = timezone.now()
    fields = [f for f in plan.parsed.present_fields if f not in spec.key_fields]
    total = len(plan.new) + len(plan.changed)
    with transaction.atomic():
        _insert_new(plan, user=user, reason=reason, now=now, on_progress=on_progress, total=total)
        changed_objects = []
        for change in plan.changed:
            for name in fields:
                setattr(change.instance, name, change.values[name])
            if hasattr(change.instance, "in_register"):
                change.instance.in_register = True
                change.instance.removal_reason = ""
            changed_objects.append(change.instance)
        update_fields = fields + (
            ["in_register", "removal_reason", "updated_at"] if hasattr(model, "in_register") else []
        )
        for obj in changed_objects:
            if hasattr(obj, "updated_at"):
                obj.updated_at = now
        if changed_objects:
            bulk_update_with_history(
                changed_objects, model, update_fields, batch_size=BATCH_SIZE,
                default_user=user, default_change_reason=reason, default_date=now,
            )  # fmt: skip
        removed = 0
        if remove_absent and plan.absent:
            for obj in plan.absent:
                obj.in_register = False
                obj.removal_reason = reason
                obj.updated_at = now
            bulk_update_with_history(
                plan.absent, model, ["in_register", "removal_reason", "updated_at"],
                batch_size=BATCH_SIZE, default_user=user, default_change_reason=reason,
                default_date=now,
            )  # fmt: skip
            removed = len(plan.absent)
    if on_progress:
        on_progress("写入", total, total)
    return {
        "new": len(plan.new),
        "changed": len(plan.changed),
        "unchanged": plan.unchanged,
        "removed": removed,
    }


_PREPARED_FIELDS = (
    models.DateField,
    models.DateTimeField,
    models.JSONField,
    models.DecimalField,
    EncryptedCharField,
)


def _insert_rows(model: type[models.Model], rows: list[dict[str, Any]], on_done=None) -> None:
    """Insert many rows: COPY on PostgreSQL, one executemany per batch on SQLite.

    ``bulk_create`` builds model instances and prepares every value one by one, and on SQLite it
    may send only 999 parameters a query (about 40 rows here): for 100,000 register rows that is
    most of an import's time. The rows were validated by the parser; the database constraints
    still apply, and the caller's transaction keeps the import all-or-nothing.
    """
    fields = [
        f for f in model._meta.concrete_fields if not (f.primary_key and f.auto_created)
        and not isinstance(f, models.AutoField)
    ]  # fmt: skip
    names = [f.attname for f in fields]
    by_attname = {f.attname: f for f in fields}
    prepared = {f.attname for f in fields if isinstance(f, _PREPARED_FIELDS)}
    # Dates and timestamps repeat (every row of an import has the same time): prepare each once.
    cache: dict[tuple[str, Any], Any] = {}

    def values(row: dict[str, Any]) -> list[Any]:
        out = []
        for name in names:
            value = row[name]
            if name in prepared:
                key = (name, value)
                if key not in cache:
                    cache[key] = by_attname[name].get_db_prep_save(value, connection)
                value = cache[key]
            out.append(value)
        return out

    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for done, row in enumerate(rows, start=1):
                    copy.write_row(values(row))
                    if on_done and done % BATCH_SIZE == 0:
                        on_done(done)
        else:
            sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
            for start in range(0, len(rows), BATCH_SIZE):
                cursor.executemany(sql, [values(row) for row in rows[start : start + BATCH_SIZE]])
                if on_done:
                    on_done(min(start + BATCH_SIZE, len(rows)))
    if on_done:
        on_done(len(rows))


def _insert_new(plan: ImportPlan, *, user, reason: str, now, on_progress, total: int) -> None:
    """Insert the plan's new records and, as django-simple-history would, their history rows."""
    if not plan.new:
        return
    spec, model = plan.parsed.spec, plan.parsed.spec.model
    defaults = {}
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        defaults[f.attname] = now if getattr(f, "auto_now", False) or getattr(
            f, "auto_now_add", False
        ) else f.get_default()  # fmt: skip
    defaults["organisation_id"] = plan.organisation.pk
    rows = [{**defaults, **values} for _, values in plan.new]
    half = len(rows)

    def progress(done: int) -> None:
        if on_progress:
            on_progress("写入", done // 2, total)

    _insert_rows(model, rows, progress)
    keys = {spec.key_of(values) for _, values in plan.new}
    pks = {
        tuple(key): pk
        for pk, *key in model.objects.filter(organisation=plan.organisation).values_list(
            "pk", *spec.key_fields
        )
        if tuple(key) in keys
    }  # fmt: skip
    history_model = model.history.model
    history_fields = {f.attname for f in history_model._meta.concrete_fields}
    history_rows = []
    for row in rows:
        history = {name: row[name] for name in history_fields if name in row}
        history.update(
            id=pks[spec.key_of(row)],
            history_date=now,
            history_change_reason=reason,
            history_type="+",
            history_user_id=user.pk if user is not None else None,
        )
        history_rows.append(history)
    _insert_rows(history_model, history_rows, lambda done: progress(half + done))


def error_workbook(parsed: ParsedWorkbook, problems: list[Problem]) -> bytes:
    """The original sheet with an added 错误 column naming every problem of each row: its title
    rows above the header kept, so every row keeps the number the problems and the page give
    it. Problems of the whole file go into the 错误 column's header."""
    by_row: dict[int, list[str]] = {}
    for problem in problems:
        text = f"{problem.column}：{problem.message}" if problem.column else problem.message
        by_row.setdefault(problem.row, []).append(text)
    if not parsed.rows:
        return write_workbook(["错误"], [[m] for m in by_row.get(0, [])], sheet_name="错误说明")
    header = [display_cell(c) for c in parsed.rows[parsed.header_index]]
    header = [h for h in header if normalise_header(h) != "错误"]
    width = len(header)
    above = [[display_cell(c) for c in row] for row in parsed.rows[: parsed.header_index]]
    out_rows = []
    for offset, row in enumerate(parsed.rows[parsed.header_index + 1 :]):
        row_number = parsed.header_index + offset + 2
        cells = [display_cell(c) for c in row[:width]] + [""] * (width - len(row))
        out_rows.append([*cells, "；".join(by_row.get(row_number, []))])
    whole = by_row.get(0, []) + by_row.get(parsed.header_index + 1, [])  # the file, the header
    errors = "错误" + (f"（整个文件：{'；'.join(whole)}）" if whole else "")
    return write_workbook(
        [*header, errors],
        out_rows,
        highlight_column=width,
        above=above,
        sheet_name=parsed.spec.label,
    )


def export_rows(
    spec: RegisterSpec,
    queryset,
    *,
    unmasked_org_id: int | None = None,
    on_progress: Progress | None = None,
) -> bytes:
    """The register in its import columns; sensitive cells masked except for one organisation.
    ``on_progress`` hears ``("导出", rows written, rows in all)`` after every row (the
    background export shows it); the in-request export passes none and counts nothing."""
    total = queryset.count() if on_progress is not None else 0

    def cell(obj, column: Column) -> str:
        text = _write(column, getattr(obj, column.field))
        if column.sensitive and text and obj.organisation_id != unmasked_org_id:
            return column.mask(text)
        return text

    def rows():
        for written, obj in enumerate(queryset.iterator(chunk_size=2000), start=1):
            yield [cell(obj, c) for c in spec.columns]
            if on_progress is not None:
                on_progress("导出", written, total)

    return write_workbook(spec.headers, rows(), sheet_name=spec.label)


def template_workbook(spec: RegisterSpec) -> bytes:
    options = {
        index: column.options
        for index, column in enumerate(spec.columns)
        if column.options and not column.multiple
    }
    example = [column.example for column in spec.columns]
    return write_workbook(spec.headers, [example], sheet_name=spec.label, options=options)
