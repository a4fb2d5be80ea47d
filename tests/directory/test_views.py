"""Register pages: list/search/filter, detail with history, forms, removal, import through the page."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shuangsuiji.accounts.roles import Role
from shuangsuiji.directory.models import ImportBatch, Inspector, Target
from shuangsuiji.directory.registers import INSPECTORS, TARGETS
from shuangsuiji.directory.services import register_import
from tests.support.workbooks import id_number, uscc, xlsx


@pytest.fixture(autouse=True)
def _inline_imports(settings):
    settings.SHUANGSUIJI_BACKGROUND_IMPORTS = False


@pytest.fixture
def targets(branch):
    content = xlsx([
        ["统一社会信用代码", "单位名称", "对象类型", "执法片区", "要素标签", "排污许可管理类别"],
        [uscc(1), "遵化市鑫源钢铁有限公司", "排污单位", "第一中队", "大气、噪声", "重点管理"],
        [uscc(2), "遵化市宏达化工有限公司", "排污单位", "第二中队", "水、危废", "简化管理"],
        [uscc(3), "遵化市核技术应用公司", "其他", "第二中队", "核与辐射", "无"],
    ])  # fmt: skip
    register_import(actor=None, organisation=branch, spec=TARGETS, content=content,
                    filename="t.xlsx", reason="建库")  # fmt: skip
    return {t.credit_code: t for t in Target.objects.all()}


def page(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def test_list_search_and_filters(client, coordinator, targets):
    client.force_login(coordinator)
    url = reverse("directory:list", args=["targets"])
    text = page(client, url)
    assert "遵化市鑫源钢铁有限公司" in text and "遵化市宏达化工有限公司" in text
    text = page(client, url, q="鑫源")
    assert "鑫源" in text and "宏达" not in text
    text = page(client, url, q=uscc(2))
    assert "宏达" in text and "鑫源" not in text
    text = page(client, url, area="第二中队")
    assert "宏达" in text and "鑫源" not in text
    text = page(client, url, tags="辐射")
    assert "没有符合条件的记录" in text  # 辐射 must not match 核与辐射
    text = page(client, url, tags="核与辐射")
    assert "核技术" in text and "宏达" not in text
    text = page(client, url, permit_category="重点管理")
    assert "鑫源" in text and "宏达" not in text


def test_removed_rows_are_listed_separately(client, coordinator, targets):
    from shuangsuiji.directory.services import record_remove

    record_remove(actor=coordinator, instance=targets[uscc(1)], reason="企业注销")
    client.force_login(coordinator)
    url = reverse("directory:list", args=["targets"])
    assert "鑫源" not in page(client, url)
    assert "鑫源" in page(client, url, in_register="0")
    assert "鑫源" in page(client, url, in_register="all")


def test_other_branch_sees_nothing_city_reads_all(client, organisations, make_user, targets):
    other = make_user("coord-b", organisations["b"], Role.COORDINATOR)
    city = make_user("leader-city", organisations["city"], Role.LEADER)
    url = reverse("directory:list", args=["targets"])
    client.force_login(other)
    assert "鑫源" not in page(client, url)
    detail = reverse("directory:detail", args=["targets", targets[uscc(1)].pk])
    assert client.get(detail).status_code == 404
    client.force_login(city)
    assert "鑫源" in page(client, url)
    assert "编辑" not in page(client, detail)  # the city reads but does not edit


def test_detail_shows_history_with_reason_and_events(client, coordinator, branch, targets):
    from shuangsuiji.directory.registers import EVENTS

    register_import(actor=None, organisation=branch, spec=EVENTS, filename="e.xlsx", reason="x",
                    content=xlsx([["统一社会信用代码", "记录类型", "日期", "文号或说明"],
                                  [uscc(1), "行政处罚决定", "2026-03-01", "遵环罚〔2026〕5号"]]))  # fmt: skip
    client.force_login(coordinator)
    target = targets[uscc(1)]
    client.post(
        reverse("directory:edit", args=["targets", target.pk]),
        {**_form_data(target), "name": "遵化市鑫源钢铁集团有限公司", "reason": "企业更名"},
    )
    text = page(client, reverse("directory:detail", args=["targets", target.pk]))
    assert "企业更名" in text and "coord-a" in text
    assert "单位名称：遵化市鑫源钢铁有限公司 → 遵化市鑫源钢铁集团有限公司" in text
    assert "遵环罚〔2026〕5号" in text and "行政处罚决定" in text


def _form_data(target):
    from shuangsuiji.directory.forms import initial_from

    return initial_from(TARGETS, target)


def test_form_refuses_what_import_refuses(client, coordinator, targets):
    client.force_login(coordinator)
    data = {**_form_data(targets[uscc(1)]), "credit_code": uscc(1)[:-1] + "0", "reason": "x"}
    if data["credit_code"] == uscc(1):
        data["credit_code"] = uscc(1)[:-1] + "1"
    response = client.post(reverse("directory:create", args=["targets"]), data)
    assert response.status_code == 200
    assert "校验码错误" in response.content.decode()
    response = client.post(
        reverse("directory:create", args=["targets"]),
        {
            "credit_code": uscc(9),
            "name": "新项目",
            "target_type": "在建工程建设项目",
            "reason": "x",
        },
    )
    assert "在建工程建设项目必须填写项目代码" in response.content.decode()
    assert Target.objects.count() == 3


def test_create_requires_reason_and_duplicate_is_refused(client, coordinator, targets):
    client.force_login(coordinator)
    url = reverse("directory:create", args=["targets"])
    response = client.post(url, {"credit_code": uscc(1), "name": "重复", "reason": "补录"})
    assert (
        response.status_code == 200
        and "本单位已有相同统一社会信用代码" in response.content.decode()
    )
    response = client.post(url, {"credit_code": uscc(8), "name": "新企业", "reason": ""})
    assert response.status_code == 200 and Target.objects.count() == 3
    response = client.post(url, {"credit_code": uscc(8), "name": "新企业", "reason": "新投产"})
    created = Target.objects.get(credit_code=uscc(8))
    assert (
        response.status_code == 302 and created.history.latest().history_change_reason == "新投产"
    )


def test_remove_and_restore_need_a_reason(client, coordinator, targets):
    client.force_login(coordinator)
    target = targets[uscc(2)]
    url = reverse("directory:remove", args=["targets", target.pk])
    assert client.post(url, {"reason": ""}).status_code == 200
    client.post(url, {"reason": "企业注销"})
    target.refresh_from_db()
    assert (target.in_register, target.removal_reason) == (False, "企业注销")
    client.post(url, {"reason": "恢复生产"})
    target.refresh_from_db()
    assert target.in_register is True
    assert Target.objects.count() == 3  # nothing is ever deleted


def test_inspector_id_number_is_masked_on_pages(client, coordinator, branch):
    person = id_number(7)
    register_import(actor=None, organisation=branch, spec=INSPECTORS, filename="i.xlsx", reason="x",
                    content=xlsx([["姓名", "执法证号", "身份证号"], ["张伟", "A001", person]]))  # fmt: skip
    client.force_login(coordinator)
    inspector = Inspector.objects.get()
    text = page(client, reverse("directory:detail", args=["inspectors", inspector.pk]))
    assert person not in text and person[:6] + "********" + person[-4:] in text


def test_import_through_the_page(client, coordinator, targets):
    client.force_login(coordinator)
    content = xlsx([
        ["统一社会信用代码", "单位名称", "执法片区"],
        [uscc(1), "遵化市鑫源钢铁有限公司", "第三中队"],
        [uscc(4), "遵化市新建材料有限公司", "第一中队"],
    ])  # fmt: skip
    upload = SimpleUploadedFile("二季度名录.xlsx", content)
    response = client.post(reverse("directory:import", args=["targets"]), {"file": upload})
    batch = ImportBatch.objects.get()
    assert response["Location"] == reverse("directory:import_batch", args=[batch.pk])
    text = page(client, response["Location"])
    assert batch.__class__.objects.get().status == "preview"
    assert "新增 <strong>1</strong> 条" in text and "修改 <strong>1</strong> 条" in text
    assert "执法片区：第一中队 → 第三中队" in text
    # Issue 19: the removal offered says how many, and the names wait below the button.
    assert "将文件中没有的 <strong>2</strong> 条记录移出名录" in text
    assert text.index("确认导入") < text.index("文件中没有的记录（2 条）")
    response = client.post(
        reverse("directory:import_apply", args=[batch.pk]),
        {"reason": "二季度动态调整", "remove_absent": "on"},
        follow=True,
    )
    text = response.content.decode()
    assert "导入完成：新增 1 条，修改 1 条，未变 0 条，移出名录 2 条" in text
    assert Target.objects.filter(in_register=True).count() == 2


def test_bad_import_through_the_page_shows_table_and_error_workbook(client, coordinator, targets):
    from python_calamine import CalamineWorkbook

    client.force_login(coordinator)
    content = xlsx([["统一社会信用代码", "单位名称"], ["91130281MA0000000X", "坏公司"]])
    client.post(reverse("directory:import", args=["targets"]),
                {"file": SimpleUploadedFile("坏.xlsx", content)})  # fmt: skip
    batch = ImportBatch.objects.get()
    assert batch.status == "invalid"
    text = page(client, reverse("directory:import_batch", args=[batch.pk]))
    assert "发现 1 处问题，未写入任何数据" in text and "校验码错误" in text
    # On a phone each problem stacks as a card, every cell labelled with its column, so the
    # reason is read without scrolling the table sideways.
    assert '<table class="stack">' in text
    assert '<td data-label="问题">统一社会信用代码无效：校验码错误' in text
    response = client.get(reverse("directory:import_errors", args=[batch.pk]))
    import io

    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0)
    rows = rows.to_python()
    assert rows[0][-1] == "错误" and "校验码错误" in rows[1][-1]
    response = client.post(reverse("directory:import_apply", args=[batch.pk]), {"reason": "x"})
    assert ImportBatch.objects.get().status == "invalid"
    assert Target.objects.count() == 3


def test_import_batches_of_another_bureau_are_hidden(client, organisations, make_user, coordinator):
    client.force_login(coordinator)
    client.post(reverse("directory:import", args=["targets"]),
                {"file": SimpleUploadedFile("a.xlsx", xlsx([["统一社会信用代码", "单位名称"],
                                                            [uscc(1), "甲"]]))})  # fmt: skip
    batch = ImportBatch.objects.get()
    client.force_login(make_user("coord-b", organisations["b"], Role.COORDINATOR))
    assert client.get(reverse("directory:import_batch", args=[batch.pk])).status_code == 404
    assert (
        client.post(reverse("directory:import_apply", args=[batch.pk]), {"reason": "x"}).status_code
        == 404
    )


def test_export_and_template_download(client, coordinator, targets):
    client.force_login(coordinator)
    response = client.get(reverse("directory:export", args=["targets"]), {"q": "鑫源"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    import io

    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0)
    assert [r[1] for r in rows.to_python()[1:]] == ["遵化市鑫源钢铁有限公司"]
    assert client.get(reverse("directory:template", args=["inspectors"])).status_code == 200


def test_unknown_register_is_404(client, coordinator):
    client.force_login(coordinator)
    assert client.get("/directory/secrets/").status_code == 404


@pytest.mark.parametrize(
    ("uploaded", "downloaded"),
    [("名录.xlsx", "名录-错误说明.xlsx"), ("list;b=c;.xlsx", "list;b=c;-错误说明.xlsx")],
)
def test_download_names_are_chinese_and_cannot_add_header_parameters(
    client, coordinator, targets, uploaded, downloaded
):
    """The error workbook's header broke on a Chinese name and let “;b=c;” in an uploaded file's
    name add a parameter; Django now builds it (issue 15, finding 9)."""
    from django.utils.http import parse_header_parameters

    client.force_login(coordinator)
    content = xlsx([["统一社会信用代码", "单位名称"], ["91130281MA0000000X", "坏公司"]])
    client.post(reverse("directory:import", args=["targets"]),
                {"file": SimpleUploadedFile(uploaded, content)})  # fmt: skip
    batch = ImportBatch.objects.get()
    response = client.get(reverse("directory:import_errors", args=[batch.pk]))
    disposition, params = parse_header_parameters(response["Content-Disposition"])
    assert (disposition, params) == ("attachment", {"filename": downloaded})
    for url, name in (
        (reverse("directory:template", args=["inspectors"]), "执法检查人员名录库-导入模板.xlsx"),
        (reverse("directory:export", args=["targets"]), "检查对象名录库-"),
    ):
        disposition, params = parse_header_parameters(client.get(url)["Content-Disposition"])
        assert disposition == "attachment" and params["filename"].startswith(name)
