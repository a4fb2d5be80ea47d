"""Register imports: every validation rule, the preview, atomic apply, round trips (ZH-2.1, JX-6.2)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shuangsuiji.directory.models import InspectionItem, Inspector, RegulatoryEvent, Target
from shuangsuiji.directory.registers import EVENTS, INSPECTORS, ITEMS, TARGETS
from shuangsuiji.directory.services import register_import
from shuangsuiji.directory.vocabulary import TargetType
from tests.support.workbooks import TARGET_HEADERS, id_number, uscc, xlsx


def run(spec, content, organisation, *, filename="file.xlsx", reason="季度调整", **kwargs):
    return register_import(
        actor=None, organisation=organisation, spec=spec, content=content, filename=filename,
        reason=reason, **kwargs,
    )  # fmt: skip


def problems(outcome):
    return [(p.row, p.column, p.message) for p in outcome.plan.all_problems]


def test_bad_targets_file_refused_row_by_row_and_nothing_written(branch):
    """Done-when: wrong check digit, duplicate, unknown enumeration, missing required cell."""
    good = uscc(1)
    bad_check = good[:-1] + ("0" if good[-1] != "0" else "1")
    content = xlsx([
        TARGET_HEADERS,
        [good, "甲公司", "排污单位", None, "130281", "水"],
        [bad_check, "乙公司", "排污单位", None, "130281", "水"],
        [good, "甲公司重复", "排污单位", None, "130281", "大气"],
        [uscc(2), "丙公司", "化工厂", None, "130281", "水"],
        [uscc(3), None, "排污单位", None, "130281", "水"],
    ])  # fmt: skip
    outcome = run(TARGETS, content, branch)
    assert outcome.applied is None
    found = problems(outcome)
    assert found[0][:2] == (3, "统一社会信用代码") and "校验码错误" in found[0][2]
    assert found[1] == (
        4,
        "统一社会信用代码+项目代码",
        "与第 2 行重复（统一社会信用代码+项目代码）",
    )
    assert found[2][:2] == (5, "对象类型") and "可选：排污单位" in found[2][2]
    assert found[3] == (6, "单位名称", "必填项为空")
    assert len(found) == 4
    assert Target.objects.count() == 0


def test_bad_id_number_refused(branch):
    good = id_number(1)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    content = xlsx(
        [["姓名", "执法证号", "身份证号"], ["张伟", "A001", good], ["李娜", "A002", bad]]
    )
    outcome = run(INSPECTORS, content, branch)
    assert [(p.row, p.column) for p in outcome.plan.all_problems] == [(3, "身份证号")]
    assert "身份证号无效" in outcome.plan.all_problems[0].message
    assert Inspector.objects.count() == 0


def test_header_found_under_a_title_row_with_full_width_and_spaces(branch):
    content = xlsx(
        [["统一社会信用代码＊", "单位 名称", "对象类型"], [uscc(1), "甲公司", "排污单位"]],
        title="遵化市 2026 年检查对象名录库",
    )
    outcome = run(TARGETS, content, branch)
    assert outcome.applied == {"new": 1, "changed": 0, "unchanged": 0, "removed": 0}


def test_missing_required_header_named_with_row(branch):
    outcome = run(TARGETS, xlsx([["单位名称", "对象类型"], ["甲公司", "排污单位"]]), branch)
    [problem] = outcome.plan.all_problems
    assert "第 1 行：缺少必填列“统一社会信用代码”" in problem.message


def test_unknown_columns_reported_not_dropped_silently(branch):
    content = xlsx([["统一社会信用代码", "单位名称", "备注"], [uscc(1), "甲公司", "x"]])
    outcome = run(TARGETS, content, branch)
    assert outcome.plan.parsed.unknown_headers == ["备注"]
    assert outcome.plan.summary()["unknown_headers"] == ["备注"]


def test_not_a_spreadsheet(branch):
    outcome = run(TARGETS, b"PK\x03\x04 this is not a workbook", branch, filename="名录.xlsx")
    [problem] = outcome.plan.all_problems
    assert problem.row == 0 and problem.message.startswith("名录.xlsx：无法读取为 Excel 工作簿")


def test_unsupported_extension(branch):
    outcome = run(TARGETS, b"x", branch, filename="名录.docx")
    assert "不支持的文件类型“.docx”" in outcome.plan.all_problems[0].message


def test_empty_file_is_an_error_not_a_silent_success(branch):
    outcome = run(TARGETS, xlsx([["统一社会信用代码", "单位名称"]]), branch)
    assert "表头下没有数据行" in outcome.plan.all_problems[0].message


def test_cell_clean_up_floats_full_width_spaces_and_serial_dates(branch):
    code = uscc(7)
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in code)  # ＡＢＣ… as typed with an IME
    content = xlsx([
        ["统一社会信用代码", "单位名称", "行政区划代码", "单位地址"],
        [f" {full_width}\n", "  甲公司 ", 130281.0, "遵化市\n某镇"],
    ])  # fmt: skip
    assert run(TARGETS, content, branch).applied["new"] == 1
    target = Target.objects.get()
    assert target.credit_code == code
    assert target.name == "甲公司"
    assert target.division_code == "130281"
    assert target.area == "130281"  # 执法片区 defaults to the division code
    assert target.address == "遵化市 某镇"
    events = xlsx([
        ["统一社会信用代码", "记录类型", "日期", "文号或说明"],
        [code, "行政处罚决定", 46000, "遵环罚〔2025〕1号"],
        [code, "挂牌督办", datetime.date(2026, 3, 15), ""],
        [code, "举报查实", "2026年4月2日", ""],
    ])  # fmt: skip
    assert run(EVENTS, events, branch).applied["new"] == 3
    dates = sorted(RegulatoryEvent.objects.values_list("date", flat=True))
    assert dates == [
        datetime.date(2025, 12, 9),
        datetime.date(2026, 3, 15),
        datetime.date(2026, 4, 2),
    ]


def test_scientific_notation_division_code_recovered(branch):
    content = xlsx(
        [["统一社会信用代码", "单位名称", "行政区划代码"], [uscc(1), "甲", "1.30281E+05"]]
    )
    run(TARGETS, content, branch)
    assert Target.objects.get().division_code == "130281"


def test_csv_in_utf8_and_gbk(branch):
    text = f"统一社会信用代码,单位名称,要素标签\n{uscc(1)},甲公司,水；大气\n{uscc(2)},乙公司,危废，固废\n"
    assert run(TARGETS, text.encode("utf-8-sig"), branch, filename="a.csv").applied["new"] == 2
    text = text.replace("甲公司", "甲公司（改）")
    outcome = run(TARGETS, text.encode("gbk"), branch, filename="b.csv")
    assert outcome.applied == {"new": 0, "changed": 1, "unchanged": 1, "removed": 0}
    assert Target.objects.get(credit_code=uscc(2)).tag_list == ["固废", "危废"]


@pytest.mark.parametrize(
    ("header", "value", "message"),
    [
        ("重点排污单位", "可能", "应填“是”或“否”"),
        ("大气绩效评级", "E", "可选：A、B、引领性、C、D、无"),
        ("信用等级", "AA", "可选：A、B、C、D、无"),
        ("排污许可管理类别", "重点", "可选：重点管理、简化管理、登记管理、无"),
        ("经营状态", "歇业", "可选：存续、停产、注销"),
        ("行政区划代码", "13028", "应为 6 位数字的行政区划代码"),
        ("行政区划代码", "999999", "第 1–2 位省级代码“99”不存在"),
        ("要素标签", "水、光", "未知标签“光”"),
        ("项目代码", "项目/1", "项目代码只能由字母、数字"),
    ],
)
def test_target_enumerations_and_formats(branch, header, value, message):
    content = xlsx([["统一社会信用代码", "单位名称", header], [uscc(1), "甲", value]])
    outcome = run(TARGETS, content, branch)
    [problem] = outcome.plan.all_problems
    assert (problem.row, problem.column, problem.value) == (2, header, value)
    assert message in problem.message


def test_construction_projects_need_a_project_code_and_others_must_not_have_one(branch):
    """JX-4.3: 在建工程建设项目 is a target per project; one enterprise may have several."""
    code = uscc(1)
    content = xlsx([
        ["统一社会信用代码", "单位名称", "对象类型", "项目代码"],
        [code, "甲公司", "在建工程建设项目", "2601-130281-04-01-000001"],
        [code, "甲公司", "在建工程建设项目", "2601-130281-04-01-000002"],
        [uscc(2), "乙公司", "排污单位", "2601-130281-04-01-000003"],
        [uscc(3), "丙公司", "在建工程建设项目", None],
    ])  # fmt: skip
    outcome = run(TARGETS, content, branch)
    assert [(p.row, p.message) for p in outcome.plan.all_problems] == [
        (4, "只有在建工程建设项目填写项目代码"),
        (5, "在建工程建设项目必须填写项目代码"),
    ]
    good = xlsx([
        ["统一社会信用代码", "单位名称", "对象类型", "项目代码"],
        [code, "甲公司", "在建工程建设项目", "2601-130281-04-01-000001"],
        [code, "甲公司", "在建工程建设项目", "2601-130281-04-01-000002"],
    ])  # fmt: skip
    assert run(TARGETS, good, branch).applied["new"] == 2
    assert {t.draw_id for t in Target.objects.filter(target_type=TargetType.CONSTRUCTION)} == {
        "2601-130281-04-01-000001",
        "2601-130281-04-01-000002",
    }


@pytest.mark.parametrize(
    ("header", "value", "message"),
    [
        ("执法证号", "A 001/", "执法证号只能由字母、数字"),
        ("参加执法工作年份", "15", "应为 4 位年份"),
        ("参加执法工作年份", "1890", "不在 1950 至今年之间"),
        ("人员类别", "临时工", "可选：执法人员、辅助人员、专家"),
        ("在编在岗", "在", "应填“是”或“否”"),
        ("业务专长", "水、电", "未知标签“电”"),
    ],
)
def test_inspector_rules(branch, header, value, message):
    row = {"姓名": "张伟", "执法证号": "A001", header: value}
    content = xlsx([list(row), list(row.values())])
    [problem] = run(INSPECTORS, content, branch).plan.all_problems
    assert problem.column == header and message in problem.message


def test_duplicate_id_number_inside_file_and_against_register(branch):
    person = id_number(5)
    run(INSPECTORS, xlsx([["姓名", "执法证号", "身份证号"], ["张伟", "A001", person]]), branch)
    content = xlsx([["姓名", "执法证号", "身份证号"], ["李娜", "A002", person]])
    [problem] = run(INSPECTORS, content, branch).plan.all_problems
    assert problem.message == "该身份证号已登记在执法证号 A001 名下"
    assert problem.value == "（已隐藏）"  # never echo a 身份证号 back in an error table


@pytest.mark.parametrize(
    ("header", "value", "message"),
    [
        ("事项类别", "普通事项", "可选：一般检查事项、重点检查事项"),
        ("检查方式", "现场检查、飞行检查", "未知检查方式“飞行检查”"),
        ("序号", "一", "序号应为正整数"),
    ],
)
def test_item_rules(branch, header, value, message):
    row = {
        "抽查类别": "污染源",
        "抽查事项": "排放检查",
        "检查对象": "排污单位",
        "事项类别": "一般检查事项",
    }
    row[header] = value
    [problem] = run(ITEMS, xlsx([list(row), list(row.values())]), branch).plan.all_problems
    assert problem.column == header and message in problem.message


def test_items_keep_multi_line_basis_and_methods(branch):
    """JX-4.2: 抽查依据 is multi-line; an item may have several 检查方式."""
    basis = "《中华人民共和国环境保护法》第二十四条\r\n《排污许可管理条例》第二十八条"
    content = xlsx([
        ["序号", "抽查类别", "抽查事项", "检查对象", "事项类别", "检查方式", "检查依据", "要素标签"],
        [1, "污染源环境监管", "排污许可执行情况", "排污单位", "重点检查事项", "书面检查、现场检查",
         basis, "水、大气"],
    ])  # fmt: skip
    run(ITEMS, content, branch)
    item = InspectionItem.objects.get()
    assert item.basis == basis.replace("\r\n", "\n")
    assert item.method_list == ["onsite", "document"]
    assert item.sequence == 1


def test_methods_written_without_separator_as_in_jiangxian_attachment(branch):
    """JX-4.2: 绛县's attachment writes 检查方式 as “现场检查书面检查”."""
    row = {"抽查类别": "危险废物日常监管", "抽查事项": "危险废物贮存及转移情况",
           "检查对象": "危险废物产生单位", "事项类别": "重点检查事项", "检查方式": "现场检查书面检查"}  # fmt: skip
    run(ITEMS, xlsx([list(row), list(row.values())]), branch)
    assert InspectionItem.objects.get().method_list == ["onsite", "document"]


def test_events_must_reference_a_registered_target(branch):
    content = xlsx([["统一社会信用代码", "记录类型", "日期"], [uscc(9), "挂牌督办", "2026-01-05"]])
    [problem] = run(EVENTS, content, branch).plan.all_problems
    assert problem.message == "检查对象名录库中没有该统一社会信用代码，请先导入检查对象"


def test_bad_event_date(branch):
    run(TARGETS, xlsx([["统一社会信用代码", "单位名称"], [uscc(1), "甲"]]), branch)
    content = xlsx([["统一社会信用代码", "记录类型", "日期"], [uscc(1), "挂牌督办", "下周一"]])
    [problem] = run(EVENTS, content, branch).plan.all_problems
    assert problem.column == "日期" and "日期格式无法识别" in problem.message


def test_preview_then_apply_new_changed_unchanged_absent(branch, coordinator):
    """ZH-2.1 动态调整: a preview names every change; absent rows are offered, never deleted."""
    first = xlsx([
        ["统一社会信用代码", "单位名称", "信用等级"],
        [uscc(1), "甲", "A"], [uscc(2), "乙", "B"], [uscc(3), "丙", "C"],
    ])  # fmt: skip
    register_import(actor=coordinator, organisation=branch, spec=TARGETS, content=first,
                    filename="a.xlsx", reason="首次建库")  # fmt: skip
    second = xlsx([
        ["统一社会信用代码", "单位名称", "信用等级"],
        [uscc(1), "甲", "A"], [uscc(2), "乙", "D"], [uscc(4), "丁", "B"],
    ])  # fmt: skip
    preview = register_import(actor=coordinator, organisation=branch, spec=TARGETS,
                              content=second, filename="b.xlsx", reason="", dry_run=True)  # fmt: skip
    summary = preview.plan.summary()
    assert (summary["new"], summary["changed"], summary["unchanged"], summary["absent"]) == (
        1,
        1,
        1,
        1,
    )
    assert summary["changes"] == [{"row": 3, "label": "乙", "diffs": [("信用等级", "B", "D")]}]
    assert summary["absent_items"] == ["丙"]
    assert Target.objects.count() == 3  # a dry run writes nothing

    with pytest.raises(ValidationError, match="请填写导入原因"):
        register_import(actor=coordinator, organisation=branch, spec=TARGETS, content=second,
                        filename="b.xlsx", reason=" ")  # fmt: skip
    applied = register_import(actor=coordinator, organisation=branch, spec=TARGETS, content=second,
                              filename="b.xlsx", reason="二季度调整", remove_absent=True).applied  # fmt: skip
    assert applied == {"new": 1, "changed": 1, "unchanged": 1, "removed": 1}
    removed = Target.objects.get(credit_code=uscc(3))
    assert removed.in_register is False and removed.removal_reason == "二季度调整"
    changed = Target.objects.get(credit_code=uscc(2))
    latest = changed.history.latest()
    assert latest.history_change_reason == "二季度调整"
    assert latest.history_user == coordinator
    assert changed.history.count() == 2


def test_reimport_restores_a_removed_row(branch):
    run(TARGETS, xlsx([["统一社会信用代码", "单位名称"], [uscc(1), "甲"], [uscc(2), "乙"]]), branch)
    run(
        TARGETS,
        xlsx([["统一社会信用代码", "单位名称"], [uscc(1), "甲"]]),
        branch,
        remove_absent=True,
    )
    outcome = run(TARGETS, xlsx([["统一社会信用代码", "单位名称"], [uscc(2), "乙"]]), branch)
    assert outcome.plan.changed[0].diffs == [("在库", "否", "是")]
    assert Target.objects.get(credit_code=uscc(2)).in_register is True


def test_missing_optional_column_leaves_existing_values_alone(branch):
    run(TARGETS, xlsx([["统一社会信用代码", "单位名称", "信用等级"], [uscc(1), "甲", "A"]]), branch)
    outcome = run(TARGETS, xlsx([["统一社会信用代码", "单位名称"], [uscc(1), "甲"]]), branch)
    assert outcome.applied["unchanged"] == 1
    assert Target.objects.get().credit_rating == "A"


def test_failure_during_apply_writes_nothing(branch, monkeypatch):
    """Imports are atomic: an error after the first batch rolls everything back."""
    import shuangsuiji.directory.importing as importing

    run(TARGETS, xlsx([["统一社会信用代码", "单位名称"], [uscc(1), "甲"]]), branch)

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importing, "bulk_update_with_history", explode)
    content = xlsx([["统一社会信用代码", "单位名称"], [uscc(1), "甲（改）"], [uscc(2), "乙"]])
    with pytest.raises(RuntimeError):
        run(TARGETS, content, branch)
    assert list(Target.objects.values_list("name", flat=True)) == ["甲"]


def test_only_the_owning_coordinator_imports(branch, organisations, make_user):
    from shuangsuiji.accounts.roles import Role

    content = xlsx([["统一社会信用代码", "单位名称"], [uscc(1), "甲"]])
    for user in (
        make_user("leader-a", branch, Role.LEADER),
        make_user("coord-b", organisations["b"], Role.COORDINATOR),
        make_user("coord-city", organisations["city"], Role.COORDINATOR),
    ):
        with pytest.raises(PermissionDenied):
            register_import(actor=user, organisation=branch, spec=TARGETS, content=content,
                            filename="a.xlsx", reason="x")  # fmt: skip
    assert Target.objects.count() == 0


def test_same_code_in_two_organisations_is_two_targets(organisations):
    content = xlsx([["统一社会信用代码", "单位名称"], [uscc(1), "甲"]])
    run(TARGETS, content, organisations["a"])
    assert run(TARGETS, content, organisations["b"]).applied["new"] == 1


def test_new_rows_get_a_creation_history_row_with_who_and_why(branch, coordinator):
    content = xlsx([["统一社会信用代码", "单位名称"], [uscc(1), "甲"], [uscc(2), "乙"]])
    register_import(actor=coordinator, organisation=branch, spec=TARGETS, content=content,
                    filename="a.xlsx", reason="首次建库")  # fmt: skip
    for target in Target.objects.all():
        [created] = target.history.all()
        assert created.history_type == "+"
        assert created.history_user == coordinator
        assert created.history_change_reason == "首次建库"
        assert created.name == target.name and created.credit_code == target.credit_code


def test_failure_while_inserting_new_rows_writes_nothing(branch, monkeypatch):
    """The history rows are inserted after the records: a failure there rolls both back."""
    import shuangsuiji.directory.importing as importing

    real = importing._insert_rows
    calls = []

    def fail_on_history(model, rows, on_done=None):
        calls.append(model)
        if len(calls) == 2:
            raise RuntimeError("connection lost")
        return real(model, rows, on_done)

    monkeypatch.setattr(importing, "_insert_rows", fail_on_history)
    content = xlsx([["统一社会信用代码", "单位名称"], [uscc(1), "甲"], [uscc(2), "乙"]])
    with pytest.raises(RuntimeError):
        run(TARGETS, content, branch)
    assert Target.objects.count() == 0
    assert Target.history.count() == 0


def test_legacy_xls_workbook(branch):
    """Bureaus still keep registers as .xls (Excel 97-2003): read them as they are."""
    import io

    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("名录")
    for c, header in enumerate(["统一社会信用代码", "单位名称", "行政区划代码"]):
        sheet.write(0, c, header)
    sheet.write(1, 0, uscc(1))
    sheet.write(1, 1, "遵化市旧表格公司")
    sheet.write(1, 2, 130281)  # a number cell, as old sheets store codes
    buffer = io.BytesIO()
    book.save(buffer)
    outcome = run(TARGETS, buffer.getvalue(), branch, filename="名录.xls")
    assert outcome.applied == {"new": 1, "changed": 0, "unchanged": 0, "removed": 0}
    target = Target.objects.get()
    assert (target.name, target.division_code) == ("遵化市旧表格公司", "130281")
