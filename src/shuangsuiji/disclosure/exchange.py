"""Exchange files for the outside systems (issue 20 §6; docs/exchange.md).

- 抽查检查结果 for 国家企业信用信息公示系统 (获嘉 一、（四）, 二、（三）“谁检查、谁录入、谁公开”)
  and the province's 双随机 platform (绛县 一, 二、（四）, 四、（二）, 六、二): the fields the
  公示系统 shows — 检查实施机关, 统一社会信用代码, 企业名称, 抽查类型, 检查日期, 检查结果;
- 两库一单 (绛县 六、二 “及时完善一单两库”): the item list in the columns of 绛县's 附件
  《随机抽查事项清单》, and the two registers in the columns the portal shows;
- 行政处罚信息 for the credit system (绛县 四、（七） “纳入国家有关信用信息系统”, 五、（二）
  联合惩戒; 遵化 二、（六）, 藁城 二、（七） 信用惩戒): every 立案调查 closed with a 行政处罚决定.

Every table reads through the portal's selectors (``disclosure.selectors``), so an export never
holds a row the portal does not show: no 涉密 result, nothing of a draw whose list is not yet
public, no 定向检查, no item marked 涉密, no 身份证号 or phone (the inspector rows are read with
``only()`` of the three published fields; the encrypted columns are never even loaded).

A batch holds what changed since the previous batch of the same organisation and kind:
``ExchangeRow`` keeps what was last sent of every row and its hash, so a row appears as 新增,
变更 (its values differ from what was sent) or 撤回 (no longer public: a result reopened, a
target out of the register), and an export with nothing changed is an empty batch.
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from shuangsuiji.accounts.access import require_own
from shuangsuiji.accounts.models import Organisation
from shuangsuiji.audit.services import audited
from shuangsuiji.disclosure import selectors
from shuangsuiji.disclosure.exchange_files import (
    ADDED,
    CHANGED,
    FORMAT,
    MANIFEST,
    SUMS,
    WITHDRAWN,
    Change,
    TableLayout,
    row_digest,
    sha256,
    stem,
    write_batch,
)
from shuangsuiji.disclosure.models import ExchangeBatch, ExchangeKind, ExchangeRow
from shuangsuiji.inspections.models import FollowUp, Inspection, InspectionPart

#: Where batches are kept, under MEDIA_ROOT (so ``shuangsuiji backup`` carries them).
EXCHANGE_DIR = "exchange"
#: Rows written to the database per statement.
CHUNK = 1000

Rows = Iterator[tuple[str, dict[str, str]]]


@dataclass(frozen=True)
class Table:
    layout: TableLayout
    #: (记录编号, values by column) of every row public now, in a stable order.
    read: Callable[[Organisation], Rows]


def _day(value) -> str:
    return value.isoformat() if value else ""


def record_key(organisation: Organisation, pk: int) -> str:
    """A row's 记录编号: stable for as long as the row exists (a renamed target or a result
    whose wording changes keeps it), unique across the organisations of a province."""
    return f"{organisation.code}-{pk}"


# ---- 抽查检查结果 ------------------------------------------------------------------------------

RESULTS = TableLayout(
    key="results",
    label="抽查检查结果",
    columns=("检查实施机关", "统一社会信用代码", "企业名称", "抽查类型", "检查日期", "检查结果"),
    widths=(28, 22, 30, 14, 12, 30),
)


def check_type(inspection: Inspection) -> str:
    """抽查类型: a random check's task says 不定向抽查 or 定向抽查 (藁城 二、（六）,
    遵化 二、（四）; the published plan shows it); a 全覆盖检查 says so."""
    if inspection.kind == Inspection.Kind.RANDOM and inspection.task_id:
        return inspection.task.get_kind_display()
    return inspection.get_kind_display()


def check_date(inspection: Inspection) -> str:
    """检查日期: the day of the check in Asia/Shanghai; the day the result was determined for a
    record that never noted the time of the check."""
    if inspection.checked_at:
        return timezone.localdate(inspection.checked_at).isoformat()
    return _day(inspection.determined_on)


def result_rows(organisation: Organisation) -> Rows:
    results = (
        selectors.public_results(organisation)
        .select_related("organisation", "target", "task")
        .order_by("determined_on", "pk")
    )
    for r in results.iterator(chunk_size=2000):
        yield (
            record_key(organisation, r.pk),
            {
                "检查实施机关": r.organisation.name,
                "统一社会信用代码": r.target.credit_code,
                "企业名称": r.target.name,
                "抽查类型": check_type(r),
                "检查日期": check_date(r),
                "检查结果": r.get_result_category_display(),
            },
        )
    # 部门联合 (获嘉 二、（三） 谁检查、谁录入、谁公开): each partner department's published part
    # of these results is a result of that department, under its own name.
    parts = (
        InspectionPart.objects.filter(inspection__in=results, published_at__isnull=False)
        .select_related("organisation", "inspection__target", "inspection__task")
        .order_by("inspection__determined_on", "inspection_id", "organisation__code")
    )
    for part in parts.iterator(chunk_size=2000):
        inspection = part.inspection
        yield (
            f"{organisation.code}-P{part.pk}",
            {
                "检查实施机关": part.organisation.name,
                "统一社会信用代码": inspection.target.credit_code,
                "企业名称": inspection.target.name,
                "抽查类型": check_type(inspection),
                "检查日期": timezone.localdate(part.checked_at).isoformat()
                if part.checked_at
                else check_date(inspection),
                "检查结果": part.get_result_category_display(),
            },
        )


# ---- 两库一单 -----------------------------------------------------------------------------------

TARGETS = TableLayout(
    key="targets",
    label="检查对象名录库",
    columns=("统一社会信用代码", "单位名称", "单位地址"),
    widths=(22, 36, 40),
)
INSPECTORS = TableLayout(
    key="inspectors",
    label="执法检查人员名录库",
    columns=("姓名", "执法证号", "所属部门"),
    widths=(12, 22, 30),
)
#: 绛县's 附件《随机抽查事项清单》: 序号, 抽查项目（抽查类别、抽查事项）, 检查对象, 事项类别,
#: 检查方式, 检查主体, 检查依据 — the portal's item list.
ITEMS = TableLayout(
    key="items",
    label="随机抽查事项清单",
    columns=(
        "序号", "抽查类别", "抽查事项", "检查对象", "事项类别", "检查方式", "检查主体", "检查依据",
    ),
    widths=(6, 20, 36, 20, 14, 16, 24, 50),
)  # fmt: skip


def target_rows(organisation: Organisation) -> Rows:
    for t in selectors.public_targets(organisation).iterator(chunk_size=2000):
        yield (
            record_key(organisation, t.pk),
            {
                "统一社会信用代码": t.credit_code,
                "单位名称": t.name,
                "单位地址": t.address,
            },
        )


def inspector_rows(organisation: Organisation) -> Rows:
    # public_inspectors loads only name, 执法证号 and department: 身份证号 and 联系电话 (encrypted
    # at rest) are never read, so they cannot be written.
    for i in selectors.public_inspectors(organisation).iterator(chunk_size=2000):
        yield (
            record_key(organisation, i.pk),
            {
                "姓名": i.name,
                "执法证号": i.certificate_no,
                "所属部门": i.department,
            },
        )


def item_rows(organisation: Organisation) -> Rows:
    for i in selectors.public_items(organisation):
        yield (
            record_key(organisation, i.pk),
            {
                "序号": "" if i.sequence is None else str(i.sequence),
                "抽查类别": i.category,
                "抽查事项": i.name,
                "检查对象": i.target_scope,
                "事项类别": i.get_item_class_display(),
                "检查方式": i.methods_display,
                "检查主体": i.subject,
                "检查依据": i.basis,
            },
        )


# ---- 行政处罚信息 -------------------------------------------------------------------------------

PENALTIES = TableLayout(
    key="penalties",
    label="行政处罚信息",
    columns=(
        "检查实施机关", "统一社会信用代码", "企业名称", "案件编号", "行政处罚决定日期", "处罚情况",
        "办结日期", "检查日期", "检查结果",
    ),
    widths=(28, 22, 30, 22, 14, 40, 12, 12, 24),
)  # fmt: skip


def penalties(organisation: Organisation):
    """The 立案调查 of published results closed with a 行政处罚决定, oldest decision first. A
    result the portal does not show (涉密, list not public, withdrawn) brings no penalty here."""
    return (
        FollowUp.objects.filter(
            inspection__in=selectors.public_results(organisation).values("pk"),
            kind=FollowUp.Kind.CASE,
            penalty_decided_on__isnull=False,
            closed_on__isnull=False,
        )
        .select_related("inspection__organisation", "inspection__target", "inspection__task")
        .order_by("penalty_decided_on", "pk")
    )


def penalty_rows(organisation: Organisation) -> Rows:
    for f in penalties(organisation).iterator(chunk_size=2000):
        inspection = f.inspection
        yield (
            record_key(organisation, f.pk),
            {
                "检查实施机关": inspection.organisation.name,
                "统一社会信用代码": inspection.target.credit_code,
                "企业名称": inspection.target.name,
                "案件编号": f.case_number,
                "行政处罚决定日期": _day(f.penalty_decided_on),
                "处罚情况": f.outcome,
                "办结日期": _day(f.closed_on),
                "检查日期": check_date(inspection),
                "检查结果": inspection.get_result_category_display(),
            },
        )


#: Each kind's tables, in the order of its workbook's sheets.
TABLES: dict[str, tuple[Table, ...]] = {
    ExchangeKind.RESULTS: (Table(RESULTS, result_rows),),
    ExchangeKind.REGISTERS: (
        Table(TARGETS, target_rows),
        Table(INSPECTORS, inspector_rows),
        Table(ITEMS, item_rows),
    ),
    ExchangeKind.PENALTIES: (Table(PENALTIES, penalty_rows),),
}


# ---- reads ---------------------------------------------------------------------------------------


def batches_for(user):
    """The batches of the user's organisation and those below it, newest first."""
    return (
        ExchangeBatch.objects.readable_by(user)
        .select_related("organisation")
        .prefetch_related("attempts")
        .order_by("-through", "-pk")
    )


def batch_path(batch: ExchangeBatch) -> Path:
    return Path(settings.MEDIA_ROOT) / batch.directory


def batch_file_names(batch: ExchangeBatch) -> list[str]:
    return [entry["name"] for entry in batch.files] + [MANIFEST, SUMS]


def pending_batches(organisation: Organisation, kind: str):
    """Batches not yet accepted by the endpoint, in the order they must arrive."""
    return ExchangeBatch.objects.filter(
        organisation=organisation, kind=kind, accepted_at__isnull=True
    ).order_by("sequence")


# ---- the export ----------------------------------------------------------------------------------


@dataclass
class _Diff:
    changes: list[Change]
    new: list[ExchangeRow]
    updated: list[ExchangeRow]


def _diff(organisation: Organisation, kind: str, table: Table) -> _Diff:
    """Compare what is public now with what was last sent of each row of ``table``."""
    sent = {
        key: (pk, digest)
        for pk, key, digest in ExchangeRow.objects.filter(
            organisation=organisation, kind=kind, table=table.layout.key
        ).values_list("pk", "key", "digest")
    }
    diff = _Diff([], [], [])
    seen = set()
    for key, values in table.read(organisation):
        seen.add(key)
        digest = row_digest(values)
        before = sent.get(key)
        if before is None:
            diff.changes.append(Change(ADDED, key, values))
            diff.new.append(ExchangeRow(organisation=organisation, kind=kind,
                                        table=table.layout.key, key=key, digest=digest,
                                        values=values))  # fmt: skip
        elif before[1] != digest:
            # Sent before and withdrawn since (empty digest) is new again to the receiver.
            diff.changes.append(Change(CHANGED if before[1] else ADDED, key, values))
            diff.updated.append(ExchangeRow(pk=before[0], digest=digest, values=values))
    gone = sorted(pk for key, (pk, digest) in sent.items() if digest and key not in seen)
    # A withdrawal repeats the values last sent, so the receiver knows which row it takes back.
    # In slices: a register emptied at once must not exceed SQLite's limit of query parameters.
    for start in range(0, len(gone), CHUNK):
        for row in ExchangeRow.objects.filter(pk__in=gone[start : start + CHUNK]).order_by("pk"):
            diff.changes.append(Change(WITHDRAWN, row.key, row.values))
            diff.updated.append(ExchangeRow(pk=row.pk, digest="", values=row.values))
    return diff


def export_described(batch: ExchangeBatch, kwargs):
    summary = (
        f"生成交换批次：{batch}（新增 {batch.added} 行，变更 {batch.changed} 行，"
        f"撤回 {batch.withdrawn} 行）"
    )
    return batch, summary, {"目录": batch.directory, "清单哈希": batch.manifest_sha256}


@audited("exchange.export", "生成交换批次", describe=export_described)
@transaction.atomic
def exchange_export(*, actor, organisation: Organisation, kind: str, now=None) -> ExchangeBatch:
    """Write the next batch of ``kind`` for ``organisation``: the rows added, changed or
    withdrawn since the previous batch (everything public, for the first), its files and its
    manifest chained to the previous one. Nothing is half-written: the files go into a
    directory of their own, removed again if the batch is not recorded."""
    require_own(
        actor, organisation.pk, "manage_sampling", "只有本单位的抽查管理员可以生成交换批次。"
    )
    if kind not in TABLES:
        raise ValidationError(f"交换内容只能是{'、'.join(ExchangeKind.labels)}。")
    # One export of an organisation at a time: the rows last sent are read and written in step.
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if not organisation.is_active:
        raise ValidationError(f"{organisation.name}已停用，不再交换数据。")
    through = now or timezone.now()
    previous = (
        ExchangeBatch.objects.filter(organisation=organisation, kind=kind)
        .order_by("-sequence")
        .first()
    )
    sequence = previous.sequence + 1 if previous else 1
    diffs = [(table, _diff(organisation, kind, table)) for table in TABLES[kind]]
    label = ExchangeKind(kind).label
    local = timezone.localtime(through)
    relative = (
        f"{EXCHANGE_DIR}/{organisation.code}/{kind}/"
        f"{sequence:05d}-{local:%Y%m%d}-{secrets.token_hex(4)}"
    )
    directory = Path(settings.MEDIA_ROOT) / relative
    directory.mkdir(parents=True)
    try:
        files, manifest = write_batch(
            directory,
            header={
                "format": FORMAT,
                "organisation": {"code": organisation.code, "name": organisation.name},
                "kind": kind,
                "kind_label": label,
                "sequence": sequence,
                "since": timezone.localtime(previous.through).isoformat() if previous else None,
                "through": local.isoformat(),
            },
            batch_stem=stem(organisation.name, label, f"{local:%Y%m%d}", sequence),
            tables=[(table.layout, diff.changes) for table, diff in diffs],
            previous_sha256=previous.manifest_sha256 if previous else "",
        )
        changes = [change for _, diff in diffs for change in diff.changes]
        batch = ExchangeBatch.objects.create(
            organisation=organisation,
            kind=kind,
            sequence=sequence,
            since=previous.through if previous else None,
            through=through,
            added=sum(c.change == ADDED for c in changes),
            changed=sum(c.change == CHANGED for c in changes),
            withdrawn=sum(c.change == WITHDRAWN for c in changes),
            directory=relative,
            files=files,
            manifest_sha256=sha256(manifest),
            previous_sha256=previous.manifest_sha256 if previous else "",
        )
        for _, diff in diffs:
            for row in diff.new:
                row.batch = batch
            for row in diff.updated:
                row.batch = batch
            ExchangeRow.objects.bulk_create(diff.new, batch_size=CHUNK)
            ExchangeRow.objects.bulk_update(
                diff.updated, ["digest", "values", "batch"], batch_size=CHUNK
            )
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    return batch
