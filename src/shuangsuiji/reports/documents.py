"""The documents a bureau files: 随机抽查情况统计表, 年度抽查计划 (获嘉's attachment form) and
随机抽查事项清单 (绛县's attachment form).

Each is built once as a ``Sheet`` — title, header cells (with merges), rows, notes — and written
to Excel and to PDF from that one sheet, so the two files always carry the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone

from shuangsuiji.accounts.models import Organisation
from shuangsuiji.directory.models import InspectionItem
from shuangsuiji.planning.models import AnnualPlan
from shuangsuiji.reports.compliance import ABSENT, BAD, OK, RUNNING, Dashboard, SideBoard, SideCell
from shuangsuiji.reports.evaluators import Verdict
from shuangsuiji.reports.statistics import LABELS, SECTIONS, Numbers, Table, class_key


@dataclass(frozen=True)
class Cell:
    text: str
    colspan: int = 1
    rowspan: int = 1


@dataclass
class Sheet:
    title: str
    subtitle: str
    header: list[list[Cell]]
    rows: list[list[str | int]]
    notes: list[str] = field(default_factory=list)
    #: Column widths in characters: the workbook's, and each column's share of the printed width
    #: (reports/exports.py ``print_css``).
    widths: list[int] = field(default_factory=list)
    landscape: bool = False
    filename: str = "report"
    #: Keep each row whole on one page (short rows); ``False`` lets tall rows break.
    keep_rows: bool = True

    @property
    def columns(self) -> int:
        return sum(cell.colspan for cell in self.header[0])


@dataclass
class StatisticsRow:
    section: str
    label: str
    key: str
    #: The row's number in each column.
    values: list[int]
    #: Whether its numbers have inspections behind them, to list.
    lists_inspections: bool


def statistics_rows(columns: list[Numbers]) -> list[StatisticsRow]:
    """The rows of the 统计表 across one or more organisations' numbers (same order)."""
    counted = frozenset().union(*(c.counted for c in columns))

    def row(section: str, label: str, key: str) -> StatisticsRow:
        values = [c.values.get(key, 0) for c in columns]
        return StatisticsRow(section, label, key, values, key not in counted)

    rows = [row("抽查任务", "抽查任务数", "tasks")]
    names: dict[str, str] = {}
    for column in columns:
        for code, name, _ in column.classes:
            names.setdefault(code, name)
    for code, name in names.items():
        section = f"按监管类别：{name}"
        rows += [
            row(section, "应抽取（户）", class_key(code, "required")),
            row(section, "已抽取（户）", class_key(code, "drawn")),
            row(section, "已检查（户）", class_key(code, "inspected")),
        ]
    for section, keys in SECTIONS:
        rows += [row(section, LABELS[key], key) for key in keys]
    return rows


def _quarter_suffix(table: Table) -> str:
    return f"Q{table.quarter}" if table.quarter else ""


def statistics_sheet(tables: list[Table], names: list[str]) -> Sheet:
    first = tables[0]
    header = [[Cell("项目"), Cell("指标"), *(Cell(name) for name in names)]]
    rows = [
        [row.section, row.label, *row.values]
        for row in statistics_rows([Numbers.of(t) for t in tables])
    ]
    return Sheet(
        title="随机抽查情况统计表",
        subtitle=f"填报单位：{first.organisation.name}    统计期间：{first.period}",
        header=header,
        rows=rows,
        notes=[
            "统计口径：按抽查任务所属季度统计（全年任务按抽取时间所在季度，定向检查按结果认定日期）；"
            "已撤销、已替补的检查不计。",
            "应抽取：各次抽取承诺时按年度计划比例计算的数量（含因符合条件对象不足形成的缺口）；"
            "全覆盖类别为应检查的对象数。",
            "发现问题：检查结果为“发现问题已责令整改”或“发现问题已立案调查”的检查；"
            "责令整改、立案调查、移送为登记了相应后续处置的检查。",
        ],
        widths=[22, 24, *([14] * len(names))],
        landscape=len(names) > 4,
        filename=f"{first.organisation.code}-{first.year}{_quarter_suffix(first)}-统计表",
    )


def plan_sheet(plan: AnnualPlan) -> Sheet:
    """年度抽查计划 in 获嘉's attachment form: 序号, 抽查计划名称, 抽查事项, 事项类别,
    抽查对象范围, 抽查比例, 抽查时间, 备注. Items marked 涉密 are left out, as on the portal."""
    rows = []
    for task in plan.tasks.prefetch_related("items").order_by("sequence"):
        items = [i for i in task.items.all() if not i.confidential]
        classes = sorted({i.get_item_class_display() for i in items})
        notes = [task.get_kind_display(), task.get_scope_display()]
        if task.partners:
            notes.append(f"联合部门：{'、'.join(task.partners)}")
        rows.append(
            [
                task.number,
                task.name,
                "\n".join(f"{n}.{i.name}" for n, i in enumerate(items, start=1)),
                "、".join(classes),
                task.target_scope,
                task.ratio_text,
                f"{task.period_label}（{task.draw_date:%Y-%m-%d} 抽取）",
                "；".join(notes),
            ]
        )
    return Sheet(
        title=f"{plan.organisation.name}{plan.year}年“双随机、一公开”监管随机抽查工作计划",
        subtitle=f"第 {plan.version} 版"
        + (f"，印发日期 {plan.issued_on:%Y-%m-%d}" if plan.issued_on else ""),
        header=[
            [
                Cell(h)
                for h in (
                    "序号",
                    "抽查计划名称",
                    "抽查事项",
                    "事项类别",
                    "抽查对象范围",
                    "抽查比例",
                    "抽查时间",
                    "备注",
                )
            ]
        ],
        rows=rows,
        widths=[10, 24, 36, 12, 24, 30, 18, 20],
        landscape=True,
        keep_rows=False,  # a task lists every item: it may run on to the next page
        filename=f"{plan.organisation.code}-{plan.year}-年度抽查计划",
    )


def items_sheet(organisation: Organisation) -> Sheet:
    """随机抽查事项清单 in 绛县's attachment form, with its two-level 抽查项目 header: the list
    a bureau publishes, so items marked 涉密 are left out."""
    items = InspectionItem.objects.filter(
        organisation=organisation, in_register=True, confidential=False
    ).order_by("sequence", "category", "name")
    rows = [
        [
            item.sequence or number,
            item.category,
            item.name,
            item.target_scope,
            item.get_item_class_display(),
            item.methods_display,
            item.subject,
            item.basis,
        ]
        for number, item in enumerate(items, start=1)
    ]
    return Sheet(
        title=f"{organisation.name}随机抽查事项清单",
        subtitle="",
        header=[
            [
                Cell("序号", rowspan=2),
                Cell("抽查项目", colspan=2),
                Cell("检查对象", rowspan=2),
                Cell("事项类别", rowspan=2),
                Cell("检查方式", rowspan=2),
                Cell("检查主体", rowspan=2),
                Cell("检查依据", rowspan=2),
            ],
            [Cell("抽查类别"), Cell("抽查事项")],
        ],
        rows=rows,
        widths=[6, 20, 28, 16, 12, 12, 16, 40],
        landscape=True,
        filename=f"{organisation.code}-随机抽查事项清单",
    )


ARCHIVE_HEADERS = (
    "年度", "单位", "检查对象", "统一社会信用代码", "任务", "性质", "状态", "检查时间",
    "检查结果", "涉密", "结果认定日期", "公示时间",
)  # fmt: skip


def archive_row(inspection) -> list[str | int]:
    """One inspection as a row of the 检查档案 workbook (Beijing time)."""

    def when(value, fmt):
        return timezone.localtime(value).strftime(fmt) if value else ""

    return [
        inspection.year,
        inspection.organisation.name,
        inspection.target.name,
        inspection.target.draw_id,
        inspection.task.name if inspection.task_id else "",
        inspection.get_kind_display(),
        inspection.get_status_display(),
        when(inspection.checked_at, "%Y-%m-%d %H:%M"),
        inspection.get_result_category_display(),
        inspection.get_confidentiality_display() if inspection.confidentiality else "",
        f"{inspection.determined_on:%Y-%m-%d}" if inspection.determined_on else "",
        when(inspection.published_at, "%Y-%m-%d"),
    ]


def archive_sheet(inspections, description: str, filename: str) -> Sheet:
    """检查档案: the inspections of a filter, every year, for the archive office (JX-5.4)."""
    return Sheet(
        title="随机抽查检查档案",
        subtitle=description,
        header=[[Cell(h) for h in ARCHIVE_HEADERS]],
        rows=[archive_row(inspection) for inspection in inspections],
        notes=[
            "检查记录、结果及材料永久保存，不能删除（方案要求保存期不少于3年：绛县方案五、（四））。"
        ],
        widths=[6, 22, 26, 20, 24, 14, 12, 16, 20, 8, 12, 12],
        landscape=True,
        filename=filename,
    )


@dataclass
class MatrixRow:
    """One check across the organisations below: each one's verdict, ``None`` where its plan
    sets no such requirement (不适用)."""

    label: str
    #: Each organisation below and its verdict of the check.
    cells: list[tuple[Organisation, Verdict | SideCell | None]]


def dashboard_matrix(boards: list[Dashboard] | list[SideBoard]) -> list[MatrixRow]:
    """The 市局's side-by-side view: every check any of ``boards`` reads, one row each, in the
    order they first appear (the boards, or what the page keeps of them: ``SideBoard``)."""
    labels: dict[str, str] = {}
    for board in boards:
        for check in board.checks:
            labels.setdefault(check.key, check.label)
    return [
        MatrixRow(label, [(board.organisation, board.check(key)) for board in boards])
        for key, label in labels.items()
    ]


def dashboard_sheet(boards: list[Dashboard]) -> Sheet:
    """监管工作看板 as filed: every check of the organisation and of each one below it, with its
    state, figures, period and clause; then each organisation's count of 未达标 and 未开展."""
    first = boards[0]
    rows: list[list[str | int]] = []
    for board in boards:
        if board.error:
            rows.append(
                [board.organisation.name, "本单位政策", "", board.error, "无法评估", "", ""]
            )
        for check in board.checks:
            rows.append(
                [
                    board.organisation.name,
                    check.label,
                    check.required,
                    check.actual,
                    check.state_label,
                    check.period,
                    check.clause,
                ]
            )
    summary = [
        f"{board.organisation.name}：未达标 {board.counts[BAD]} 项，"
        f"未开展 {board.counts[ABSENT]} 项，进行中 {board.counts[RUNNING]} 项，"
        f"达标 {board.counts[OK]} 项"
        for board in boards
    ]
    return Sheet(
        title="双随机一公开监管工作看板",
        subtitle=f"单位：{first.organisation.name}    统计期间：{first.period}    "
        f"生成时间：{timezone.localtime():%Y-%m-%d %H:%M}",
        header=[[Cell(t) for t in ("单位", "指标", "要求", "实际", "状态", "统计期间", "出处")]],
        rows=rows,
        notes=[
            *summary,
            "状态：达标、未达标、进行中（期间未结束，仍可完成）、未开展（期间已结束，应做的工作没有做）、"
            "不适用（名录中无此类对象）、未评估（本平台尚无记录可据以评估）。各项统计口径见看板页面。",
        ],
        widths=[20, 24, 22, 30, 8, 16, 40],
        landscape=True,
        filename=f"{first.organisation.code}-{first.year}{_quarter_suffix(first)}-监管工作看板",
    )
