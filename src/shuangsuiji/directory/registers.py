"""What each register's workbook looks like: exact headers, how a cell is read, how it is written.

One definition drives the import, the export, the downloadable template and the web forms, so
"export → import" round-trips and a form refuses exactly what an import refuses. This module does
not set up Django (models are looked up only when a database step asks for them), so the pure
``policy`` commands read the same workbooks with the same rules.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models

from shuangsuiji.directory import codes
from shuangsuiji.directory.vocabulary import (
    TAG_VOCABULARY,
    AirRating,
    CreditRating,
    EventKind,
    InspectionMethod,
    InspectorCategory,
    ItemClass,
    OperatingStatus,
    PermitCategory,
    TargetType,
)


class CellError(ValueError):
    """A cell that cannot be accepted; the message says why in Chinese."""


def is_blank(raw: Any) -> bool:
    """Empty, or only white space and invisible characters (a cell a user sees as empty).

    Exactly the cells the text readers clean to ``""``: a required column holding only a soft
    hyphen or a NUL is empty, not filled with nothing.
    """
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip(codes.BLANK)
    return False


# ---- cell readers -----------------------------------------------------------------------------


def read_text(raw: Any) -> str:
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return codes.clean_text(str(raw))


def read_multiline(raw: Any) -> str:
    return codes.clean_multiline(str(raw))


def read_names(raw: Any) -> str:
    """Several names in one cell, separated by 、，, ; or line breaks, kept as "甲、乙"."""
    text = str(raw)
    for separator in ("，", ",", "；", ";", "\n", "/"):
        text = text.replace(separator, "、")
    return "、".join(dict.fromkeys(n for n in (codes.clean_text(w) for w in text.split("、")) if n))


def read_code(raw: Any) -> str:
    value = codes.clean_code(raw)
    if codes.looks_like_scientific(value):
        raise CellError(
            "单元格被 Excel 转成了科学计数法，原值已丢失，请把该列设为“文本”格式后重新录入"
        )
    return value


def read_credit_code(raw: Any) -> str:
    value = read_code(raw)
    problem = codes.uscc_problem(value)
    if problem:
        raise CellError(f"统一社会信用代码无效：{problem}")
    return value


def read_division_code(raw: Any) -> str:
    # A 6-digit code that Excel turned into 1.30281E+05 is still exact, so it is recovered.
    value = codes.clean_code(raw, recover_scientific_digits=6)
    problem = codes.division_problem(value)
    if problem:
        raise CellError(problem)
    return value


def read_id_number(raw: Any) -> str:
    value = read_code(raw)
    problem = codes.id_problem(value)
    if problem:
        raise CellError(f"身份证号无效：{problem}")
    return value


def read_phone(raw: Any) -> str:
    value = codes.normalise_phone(read_code(raw))
    problem = codes.phone_problem(value)
    if problem:
        raise CellError(f"联系电话{problem}")
    return value


def read_certificate_no(raw: Any) -> str:
    value = read_code(raw)
    if not re.fullmatch(r"[0-9A-Za-z_-]{1,64}", value):
        raise CellError("执法证号只能由字母、数字、- 和 _ 组成，最长 64 位")
    return value


def read_project_code(raw: Any) -> str:
    value = read_code(raw)
    if not re.fullmatch(r"[0-9A-Za-z_-]{1,64}", value):
        raise CellError("项目代码只能由字母、数字、- 和 _ 组成，最长 64 位")
    return value


def read_tags(raw: Any) -> str:
    tags = codes.split_tags(str(raw))
    unknown = [t for t in tags if t not in TAG_VOCABULARY]
    if unknown:
        raise CellError(f"未知标签“{'、'.join(unknown)}”，可用：{'、'.join(TAG_VOCABULARY)}")
    return ",".join(t for t in TAG_VOCABULARY if t in tags)


def _split_run_together(word: str, labels: list[str]) -> list[str]:
    """绛县's list writes "现场检查书面检查": split a word made only of known labels."""
    found = []
    while word:
        label = next((label for label in labels if word.startswith(label)), None)
        if label is None:
            return []
        found.append(label)
        word = word[len(label) :]
    return found


def read_methods(raw: Any) -> str:
    by_label = {m.label: m.value for m in InspectionMethod}
    words = []
    for word in codes.split_tags(str(raw)):
        words.extend(_split_run_together(word, list(by_label)) or [word])
    unknown = [w for w in words if w not in by_label]
    if unknown:
        raise CellError(
            f"未知检查方式“{'、'.join(unknown)}”，可选：{'、'.join(InspectionMethod.labels)}"
        )
    return ",".join(m.value for m in InspectionMethod if m.label in words)


def read_year(raw: Any) -> int:
    text = read_text(raw)
    if not re.fullmatch(r"[0-9]{4}", text):
        raise CellError("应为 4 位年份，如 2015")
    year = int(text)
    if not 1950 <= year <= datetime.date.today().year:
        raise CellError(f"年份 {year} 不在 1950 至今年之间")
    return year


#: The largest 序号: a PositiveIntegerField holds no more on PostgreSQL (SQLite would take more,
#: so both refuse the same files).
SEQUENCE_MAX = 2_147_483_647


def read_sequence(raw: Any) -> int:
    text = read_text(raw)
    # ASCII digits only: str.isdigit() also accepts "①" and "²", which int() refuses.
    if not re.fullmatch(r"[0-9]+", text):
        raise CellError("序号应为正整数")
    # The length first: int() refuses more than 4,300 digits, and no 序号 needs 11.
    digits = text.lstrip("0")
    if not digits:
        raise CellError("序号应为正整数")
    if len(digits) > len(str(SEQUENCE_MAX)) or int(digits) > SEQUENCE_MAX:
        raise CellError(f"序号不能大于 {SEQUENCE_MAX}")
    return int(digits)


def read_date(raw: Any) -> datetime.date:
    try:
        return codes.excel_date(raw)
    except ValueError as error:
        raise CellError(str(error)) from error


_YES = {"是", "Y", "YES", "TRUE", "1", "√"}
_NO = {"否", "N", "NO", "FALSE", "0", "×"}


def read_bool(raw: Any) -> bool:
    text = read_text(raw).upper()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise CellError("应填“是”或“否”")


def enum_reader(choices: type[models.TextChoices]) -> Callable[[Any], str]:
    by_label = {c.label: c.value for c in choices}

    def read(raw: Any) -> str:
        text = read_text(raw).upper() if choices in (AirRating, CreditRating) else read_text(raw)
        if text in by_label:
            return by_label[text]
        raise CellError(f"“{read_text(raw)}”不是有效值，可选：{'、'.join(choices.labels)}")

    return read


# ---- cell writers (model value → what the template expects) ----------------------------------


def write_text(value: Any) -> str:
    return "" if value is None else str(value)


def write_bool(value: bool) -> str:
    return "是" if value else "否"


def write_tags(value: str) -> str:
    return "、".join(t for t in value.split(",") if t)


def write_methods(value: str) -> str:
    labels = dict(InspectionMethod.choices)
    return "、".join(labels[v] for v in value.split(",") if v)


def enum_writer(choices: type[models.TextChoices]) -> Callable[[str], str]:
    labels = dict(choices.choices)
    return lambda value: labels.get(value, value)


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    read: Callable[[Any], Any]
    write: Callable[[Any], Any] = write_text
    required: bool = False
    default: Any = ""
    #: Allowed words, for the template's drop-down list (not offered when a cell holds several).
    options: tuple[str, ...] = ()
    multiple: bool = False
    example: str = ""
    #: Personal data (身份证号, 联系电话) is shown through this mask on pages; the full value
    #: only leaves in the owner's export. Such columns are encrypted at rest.
    mask: Callable[[str], str] | None = None
    multiline: bool = False

    @property
    def sensitive(self) -> bool:
        return self.mask is not None


def enum_column(header, field_name, choices, default, example="", required=False) -> Column:
    return Column(
        header,
        field_name,
        enum_reader(choices),
        enum_writer(choices),
        required=required,
        default=default,
        options=tuple(choices.labels),
        example=example,
    )


def bool_column(header, field_name, default=False, example="否") -> Column:
    return Column(
        header, field_name, read_bool, write_bool, default=default, options=("是", "否"),
        example=example,
    )  # fmt: skip


@dataclass(frozen=True)
class RegisterSpec:
    key: str
    label: str
    model_name: str
    columns: tuple[Column, ...]
    key_fields: tuple[str, ...]
    #: Rows of the register missing from a complete file are offered for removal.
    removes_absent: bool = True
    #: Cross-field rules: (row values) → [(header, message)].
    row_rules: Callable[[dict[str, Any]], list[tuple[str, str]]] = lambda values: []
    #: Columns the list page shows, and the fields its search box looks in.
    list_fields: tuple[str, ...] = ()
    search_fields: tuple[str, ...] = ()
    #: Fields the list page can filter on (enumerations, booleans, tags, 片区).
    filter_fields: tuple[str, ...] = ()

    @property
    def model(self) -> type[models.Model]:
        from django.apps import apps

        return apps.get_model("directory", self.model_name)

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    def column_for_field(self, field_name: str) -> Column:
        return next(c for c in self.columns if c.field == field_name)

    def key_of(self, values: dict[str, Any]) -> tuple:
        return tuple(values[f] for f in self.key_fields)

    def key_label(self) -> str:
        return "+".join(self.column_for_field(f).header for f in self.key_fields)


# The template's example row must itself import, so its code carries a real check character.
EXAMPLE_CREDIT_CODE = "91130281MA0C12345" + codes.uscc_check_digit("91130281MA0C12345")


def _target_rules(values: dict[str, Any]) -> list[tuple[str, str]]:
    problems = []
    if values["target_type"] == TargetType.CONSTRUCTION and not values["project_code"]:
        problems.append(("项目代码", "在建工程建设项目必须填写项目代码"))
    if values["target_type"] != TargetType.CONSTRUCTION and values["project_code"]:
        problems.append(("项目代码", "只有在建工程建设项目填写项目代码"))
    if not values["area"]:
        # The inspectors of a target are matched within its 执法片区; by default its district.
        values["area"] = values["division_code"]
    return problems


TARGETS = RegisterSpec(
    key="targets",
    label="检查对象名录库",
    model_name="Target",
    key_fields=("credit_code", "project_code"),
    row_rules=_target_rules,
    list_fields=("credit_code", "name", "target_type", "area", "permit_category", "tags", "status"),
    search_fields=("name", "credit_code", "project_code"),
    filter_fields=("target_type", "permit_category", "key_polluter", "positive_list", "air_rating",
                   "credit_rating", "status", "area", "tags"),
    columns=(
        Column("统一社会信用代码", "credit_code", read_credit_code, required=True,
               example=EXAMPLE_CREDIT_CODE),
        Column("单位名称", "name", read_text, required=True, example="遵化市某某钢铁有限公司"),
        enum_column("对象类型", "target_type", TargetType, TargetType.POLLUTER, "排污单位"),
        Column("项目代码", "project_code", read_project_code),
        Column("单位地址", "address", read_text, example="遵化市某某镇某某村"),
        Column("法定代表人", "legal_representative", read_text, example="张某某"),
        Column("行政区划代码", "division_code", read_division_code, example="130281"),
        Column("执法片区", "area", read_text, example="第一执法中队"),
        Column("行业类别", "industry", read_text, example="钢铁冶炼"),
        enum_column("排污许可管理类别", "permit_category", PermitCategory, PermitCategory.NONE,
                    "重点管理"),
        bool_column("重点排污单位", "key_polluter", example="是"),
        bool_column("正面清单", "positive_list"),
        enum_column("大气绩效评级", "air_rating", AirRating, AirRating.NONE, "B"),
        enum_column("信用等级", "credit_rating", CreditRating, CreditRating.NONE, "A"),
        bool_column("具备非现场监管条件", "offsite_capable"),
        bool_column("其他高风险", "high_risk"),
        Column("要素标签", "tags", read_tags, write_tags, options=TAG_VOCABULARY, multiple=True,
               example="水、大气"),
        enum_column("经营状态", "status", OperatingStatus, OperatingStatus.OPERATING, "存续"),
    ),
)  # fmt: skip

EVENTS = RegisterSpec(
    key="events",
    label="监管记录",
    model_name="RegulatoryEvent",
    key_fields=("credit_code", "kind", "date", "reference"),
    removes_absent=False,
    list_fields=("credit_code", "kind", "date", "reference"),
    search_fields=("credit_code", "reference"),
    filter_fields=("kind",),
    columns=(
        Column("统一社会信用代码", "credit_code", read_credit_code, required=True),
        enum_column("记录类型", "kind", EventKind, "", "行政处罚决定", required=True),
        Column("日期", "date", read_date, lambda d: d.isoformat(), required=True,
               example="2026-03-15"),
        Column("文号或说明", "reference", read_text, example="遵环罚〔2026〕12号"),
    ),
)  # fmt: skip

INSPECTORS = RegisterSpec(
    key="inspectors",
    label="执法检查人员名录库",
    model_name="Inspector",
    key_fields=("certificate_no",),
    list_fields=("name", "certificate_no", "department", "area", "tags", "start_year", "category"),
    search_fields=("name", "certificate_no"),
    filter_fields=("category", "on_duty", "area", "tags"),
    columns=(
        Column("姓名", "name", read_text, required=True, example="张伟"),
        Column("执法证号", "certificate_no", read_certificate_no, required=True,
               example="13028120150012"),
        Column("身份证号", "id_number", read_id_number, mask=codes.mask_id_number),
        Column("所属部门", "department", read_text, example="生态环境综合执法大队"),
        Column("执法机构", "unit", read_text, example="第一执法中队"),
        Column("执法片区", "area", read_text, example="第一执法中队"),
        Column("业务专长", "tags", read_tags, write_tags, options=TAG_VOCABULARY, multiple=True,
               example="水、危废"),
        Column("参加执法工作年份", "start_year", read_year, default=None, example="2015"),
        enum_column("人员类别", "category", InspectorCategory, InspectorCategory.ENFORCEMENT,
                    "执法人员"),
        bool_column("在编在岗", "on_duty", default=True, example="是"),
        # Last, so that workbooks laid out before it was added still import column by column.
        Column("联系电话", "phone", read_phone, mask=codes.mask_phone, example="13812345678"),
    ),
)  # fmt: skip

ITEMS = RegisterSpec(
    key="items",
    label="随机抽查事项清单",
    model_name="InspectionItem",
    key_fields=("category", "name"),
    list_fields=("sequence", "category", "name", "target_scope", "item_class", "methods", "tags"),
    search_fields=("name", "category"),
    filter_fields=("item_class", "tags", "confidential"),
    columns=(
        Column("序号", "sequence", read_sequence, default=None, example="1"),
        Column("抽查类别", "category", read_text, required=True, example="污染源环境监管"),
        Column("抽查事项", "name", read_text, required=True,
               example="排污单位污染物排放情况的检查"),
        Column("检查对象", "target_scope", read_text, required=True, example="排污单位"),
        enum_column("事项类别", "item_class", ItemClass, "", "一般检查事项", required=True),
        Column("检查方式", "methods", read_methods, write_methods,
               options=tuple(InspectionMethod.labels), multiple=True,
               example="现场检查、书面检查"),
        Column("检查主体", "subject", read_text, example="唐山市生态环境局遵化市分局"),
        Column("检查依据", "basis", read_multiline, multiline=True,
               example="《中华人民共和国环境保护法》第二十四条"),
        Column("要素标签", "tags", read_tags, write_tags, options=TAG_VOCABULARY, multiple=True,
               example="水"),
        bool_column("涉密", "confidential"),
    ),
)  # fmt: skip

#: 一业一查 (遵化 二、（二）): the city's 部门联合 list, each row linked to the bureau's items.
JOINT_ITEMS = RegisterSpec(
    key="joint_items",
    label="一业一查部门联合抽查事项清单",
    model_name="JointItem",
    key_fields=("industry", "name"),
    list_fields=("sequence", "industry", "name", "lead", "partners", "own_items"),
    search_fields=("name", "industry", "own_items"),
    filter_fields=(),
    columns=(
        Column("序号", "sequence", read_sequence, default=None, example="1"),
        Column("行业领域", "industry", read_text, required=True, example="加油站"),
        Column("联合抽查事项", "name", read_text, required=True,
               example="加油站油气回收装置运行情况的检查"),
        Column("牵头部门", "lead", read_text, required=True, example="市场监督管理局"),
        Column("配合部门", "partners", read_names, multiple=True,
               example="生态环境局、应急管理局"),
        Column("本局对应事项", "own_items", read_names, multiple=True,
               example="排污单位污染物排放情况的检查"),
        Column("检查依据", "basis", read_multiline, multiline=True,
               example="《中华人民共和国大气污染防治法》第四十七条"),
    ),
)  # fmt: skip

REGISTERS: dict[str, RegisterSpec] = {
    spec.key: spec for spec in (TARGETS, EVENTS, INSPECTORS, ITEMS, JOINT_ITEMS)
}


def register_by_key(key: str) -> RegisterSpec:
    try:
        return REGISTERS[key]
    except KeyError as error:
        raise ValueError(f"未知名录“{key}”，可选：{'、'.join(REGISTERS)}") from error
