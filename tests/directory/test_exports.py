"""Export → import round-trips with 0 changed; templates carry headers, an example and drop-downs."""

import io
import zipfile

import pytest
from python_calamine import CalamineWorkbook

from shuangsuiji.directory.importing import (
    error_workbook,
    export_rows,
    parse_workbook,
    template_workbook,
)
from shuangsuiji.directory.registers import (
    EVENTS,
    INSPECTORS,
    ITEMS,
    JOINT_ITEMS,
    REGISTERS,
    TARGETS,
)
from shuangsuiji.directory.services import register_import
from tests.support.workbooks import id_number, uscc, xlsx


def read(content: bytes) -> list[list]:
    return CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()


def load(spec, rows, organisation):
    outcome = register_import(actor=None, organisation=organisation, spec=spec,
                              content=xlsx(rows), filename="x.xlsx", reason="建库")  # fmt: skip
    assert outcome.applied, outcome.plan.all_problems


@pytest.fixture
def filled(branch):
    load(TARGETS, [
        TARGETS.headers,
        [uscc(1), "甲钢铁", "排污单位", "", "甲地址", "张三", "130281", "第一中队", "钢铁", "重点管理",
         "是", "否", "引领性", "A", "是", "否", "大气、噪声", "存续"],
        [uscc(2), "乙项目", "在建工程建设项目", "2601-130281-04-01-000001", "", "", "130281", "",
         "", "无", "否", "否", "无", "无", "否", "否", "", "停产"],
    ], branch)  # fmt: skip
    load(
        EVENTS,
        [EVENTS.headers, [uscc(1), "行政处罚决定", "2026-02-03", "遵环罚〔2026〕3号"]],
        branch,
    )
    load(INSPECTORS, [
        INSPECTORS.headers,
        ["张伟", "13028120150012", id_number(3), "综合执法大队", "第一中队", "第一中队", "水、危废",
         "2015", "执法人员", "是"],
        ["王专家", "E01", "", "", "", "", "辐射", "", "专家", "否"],
    ], branch)  # fmt: skip
    load(ITEMS, [
        ITEMS.headers,
        [1, "污染源环境监管", "排放检查", "排污单位", "一般检查事项", "现场检查、非现场检查", "遵化分局",
         "《环境保护法》第二十四条\n《大气污染防治法》", "大气", "否"],
    ], branch)  # fmt: skip
    load(JOINT_ITEMS, [
        JOINT_ITEMS.headers,
        [1, "加油站", "油气回收装置运行检查", "生态环境局", "市场监督管理局、应急管理局", "排放检查",
         "《大气污染防治法》第四十七条\n《成品油市场管理办法》"],
    ], branch)  # fmt: skip
    return branch


@pytest.mark.parametrize("key", sorted(REGISTERS))
def test_export_round_trips_with_nothing_changed(filled, key):
    spec = REGISTERS[key]
    content = export_rows(spec, spec.model.objects.filter(organisation=filled).order_by("pk"),
                          unmasked_org_id=filled.pk)  # fmt: skip
    rows = read(content)
    assert rows[0] == spec.headers
    outcome = register_import(actor=None, organisation=filled, spec=spec, content=content,
                              filename="export.xlsx", reason="", dry_run=True)  # fmt: skip
    plan = outcome.plan
    assert plan.ok, plan.all_problems
    assert (len(plan.new), len(plan.changed), len(plan.absent)) == (0, 0, 0)
    assert plan.unchanged == spec.model.objects.filter(organisation=filled).count()


def test_export_masks_id_numbers_for_other_readers(filled):
    queryset = INSPECTORS.model.objects.filter(organisation=filled).order_by("pk")
    masked = read(export_rows(INSPECTORS, queryset, unmasked_org_id=None))
    assert masked[1][2] == id_number(3)[:6] + "********" + id_number(3)[-4:]


@pytest.mark.parametrize("key", sorted(REGISTERS))
def test_template_has_headers_example_and_drop_downs(key):
    spec = REGISTERS[key]
    content = template_workbook(spec)
    rows = read(content)
    assert rows[0] == spec.headers
    assert len(rows) == 2
    sheet_xml = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml").decode()
    enumerated = [c for c in spec.columns if c.options and not c.multiple]
    assert sheet_xml.count("<dataValidation ") == len(enumerated)
    for column in enumerated:
        assert ",".join(column.options) in sheet_xml


def test_target_template_example_row_imports(branch):
    """A bureau that fills the template under its example row must not be refused for it."""
    outcome = register_import(actor=None, organisation=branch, spec=TARGETS,
                              content=template_workbook(TARGETS), filename="t.xlsx",
                              reason="", dry_run=True)  # fmt: skip
    assert outcome.plan.ok, outcome.plan.all_problems


def test_error_workbook_adds_error_column(branch):
    """The sheet comes back as it was sent, title row included, so each row keeps the number
    the import page gives its problems (issue 19 §7): row 4 here is Excel's row 4."""
    content = xlsx([["统一社会信用代码", "单位名称"], [uscc(1), "甲"], ["X", None]], title="名录")
    parsed = parse_workbook(TARGETS, content, "a.xlsx")
    assert {p.row for p in parsed.problems} == {4}
    rows = read(error_workbook(parsed, parsed.problems))
    assert rows[0] == ["名录", "", ""]
    assert rows[1] == ["统一社会信用代码", "单位名称", "错误"]
    assert rows[2] == [uscc(1), "甲", ""]
    assert rows[3][0] == "X"  # the fourth row, as the problems say
    assert "统一社会信用代码：统一社会信用代码无效" in rows[3][2]
    assert "单位名称：必填项为空" in rows[3][2]
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(error_workbook(parsed, parsed.problems)))
    assert sheet.sheet_names == ["检查对象名录库"]
