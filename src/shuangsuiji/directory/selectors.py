"""Reads of the registers, scoped to what the user may see."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from shuangsuiji.directory.models import InspectionItem
from shuangsuiji.directory.registers import ITEMS, RegisterSpec


def register_rows(spec: RegisterSpec, user) -> QuerySet:
    """The register's rows the user may read; the list page and the export narrow them with
    ``directory.filters.RegisterFilter``."""
    return spec.model.objects.readable_by(user).select_related("organisation")


def spans_units(user) -> bool:
    """Whether the user's registers hold the rows of subordinate units as well as their own:
    a 市局's or the 省厅's, tens or hundreds of thousands of rows (issue 21 §3). Their list is
    read a page at a time by 登记顺序 (``register_page``) and is not counted: a count, a sort by
    name or a list of every 片区 would each read every row of the province."""
    from shuangsuiji.accounts.models import OrganisationLevel

    return user.organisation.level in (OrganisationLevel.PROVINCE, OrganisationLevel.CITY)


#: Rows on one page of a register's list.
PAGE_SIZE = 50


@dataclass(frozen=True)
class RegisterPage:
    """One page of a register by 登记顺序 (the order the rows were entered, their keys).
    ``next_after``: the ``after=`` of the next page; ``previous_before``: the ``before=`` of the
    previous page; None where there is none."""

    rows: list
    next_after: int | None
    previous_before: int | None

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def register_page(
    rows: QuerySet, *, after: int | None = None, before: int | None = None, size: int | None = None
) -> RegisterPage:
    """The page of ``rows`` (read as ``values()`` with their ``pk``) after (or before) a row's
    key: one query on the primary key's index, whatever the number of rows and of units, with
    no count (keyset paging). Back from the second page, where fewer than a page lie before, it
    is the first page."""
    size = size or PAGE_SIZE
    rows = rows.order_by("pk")
    if before is not None:
        found = list(rows.filter(pk__lt=before).order_by("-pk")[: size + 1])
        if len(found) > size:
            shown = found[:size][::-1]
            return RegisterPage(shown, next_after=shown[-1]["pk"], previous_before=shown[0]["pk"])
        after = None
    found = list((rows if after is None else rows.filter(pk__gt=after))[: size + 1])
    shown = found[:size]
    return RegisterPage(
        shown,
        next_after=shown[-1]["pk"] if len(found) > size else None,
        previous_before=shown[0]["pk"] if after is not None and shown else None,
    )


def area_choices(spec: RegisterSpec, user) -> list[str]:
    """The 片区 the user's rows name, for the filter's drop-down. Not for a register spanning
    units (``spans_units``): each bureau names its own 片区, and listing them reads every row."""
    if "area" not in spec.filter_fields:
        return []
    return list(
        spec.model.objects.readable_by(user)
        .exclude(area="")
        .order_by("area")
        .values_list("area", flat=True)
        .distinct()
    )


def events_of_target(target) -> QuerySet:
    from shuangsuiji.directory.models import RegulatoryEvent

    return RegulatoryEvent.objects.filter(
        organisation=target.organisation, credit_code=target.credit_code
    ).order_by("-date")


def target_by_code(organisation, code: str):
    """The organisation's target with this 项目代码, or else with this 统一社会信用代码."""
    from shuangsuiji.directory.models import Target

    code = code.strip().upper()
    targets = Target.objects.filter(organisation=organisation)
    return (
        targets.filter(project_code=code).first()
        or targets.filter(credit_code=code, project_code="").first()
    )


# ---- import batches ------------------------------------------------------------------------------


def recent_import_batches(spec: RegisterSpec, user, limit: int = 10) -> list:
    """The bureau's latest uploads of a register, for the import page. Never their problems or
    summary: a file refused row by row fills them, and one such row (before the import limits)
    held 560 MB that every view of the page read."""
    from shuangsuiji.directory.models import ImportBatch

    return list(
        ImportBatch.objects.editable_by(user)
        .filter(register=spec.key)
        .select_related("uploaded_by")
        .defer("problems", "summary")[:limit]
    )


def file_gone_message(batch) -> str:
    from django.conf import settings
    from django.utils import timezone

    if batch.file_removed_at is None and batch.expired:
        hours = settings.SHUANGSUIJI_IMPORT_KEEP_HOURS
        return f"{batch.original_name} 上传后超过 {hours} 小时未确认，原文件已作废，请重新上传。"
    when = timezone.localtime(batch.file_removed_at).strftime("%Y-%m-%d %H:%M") if (
        batch.file_removed_at
    ) else ""  # fmt: skip
    reason = f"（{batch.file_removed_reason}）" if batch.file_removed_reason else ""
    return f"{batch.original_name} 的原文件已于 {when} 删除{reason}，请重新上传。"


def import_batch_content(batch) -> bytes:
    """The uploaded file, decrypted; a ValidationError saying so when it is gone."""
    from django.core.exceptions import ValidationError

    from shuangsuiji.directory.uploads import UploadUnreadable, unseal

    if not batch.has_file:
        raise ValidationError(file_gone_message(batch))
    try:
        with batch.file.open("rb") as handle:
            stored = handle.read()
    except FileNotFoundError as error:
        message = f"{batch.original_name} 的原文件已不在系统中，请重新上传。"
        raise ValidationError(message) from error
    try:
        return unseal(stored)
    except UploadUnreadable as error:
        raise ValidationError(str(error)) from error


@dataclass
class ItemComparison:
    """The bureau's 随机抽查事项清单 against its 市局's (绛县 四、（一） “上下一致、只增不减”).

    ``missing``: the 市局's items the bureau does not list, each with its row of the 市局's
    file — absent altogether, or ``removed`` from the bureau's list (``(row, values, item)``);
    ``extra``: items the bureau lists and the 市局 does not (an addition, which the rule
    allows); ``matched``: items both list."""

    missing: list[tuple[int, dict, InspectionItem | None]]
    extra: list[InspectionItem]
    matched: int

    @property
    def in_step(self) -> bool:
        return not self.missing


def items_compared(organisation, records: list[tuple[int, dict]]) -> ItemComparison:
    """Compare the rows of the 市局's list (parsed with the items register's columns) with the
    bureau's list, item by item on 抽查类别 and 抽查事项."""
    ours = {
        ITEMS.key_of(vars(item)): item
        for item in InspectionItem.objects.filter(organisation=organisation).order_by(
            "sequence", "category", "name"
        )
    }
    theirs = {}
    for row, values in records:
        theirs.setdefault(ITEMS.key_of(values), (row, values))
    missing = []
    matched = 0
    for key, (row, values) in theirs.items():
        item = ours.get(key)
        if item is not None and item.in_register:
            matched += 1
        else:
            missing.append((row, values, item))
    extra = [item for key, item in ours.items() if item.in_register and key not in theirs]
    return ItemComparison(missing=missing, extra=extra, matched=matched)


# ---- register exports ---------------------------------------------------------------------------


def export_job_content(job) -> bytes:
    """The built file of an ``ExportJob``, decrypted. ValueError with the reason when it cannot
    be read."""
    from shuangsuiji.directory.uploads import UploadUnreadable, unseal

    try:
        with job.file.open("rb") as handle:
            return unseal(handle.read())
    except UploadUnreadable as error:
        raise ValueError(
            "导出文件无法解密（加密它的密钥已不在 SHUANGSUIJI_FIELD_KEYS 中），请重新导出。"
        ) from error
    except OSError as error:
        raise ValueError("导出文件已不在系统中，请重新导出。") from error


def export_jobs_recent(spec: RegisterSpec, user, limit: int = 5) -> list:
    """The user's latest exports of a register (only he downloads them)."""
    from shuangsuiji.directory.models import ExportJob

    return list(
        ExportJob.objects.filter(organisation=user.organisation, requested_by=user,
                                 register=spec.key)[:limit]
    )  # fmt: skip
