"""The bureau's 随机抽查事项清单 kept in step with its 市局's (issue 20 §5; 绛县 四、（一）
“上下一致、只增不减”): the 市局's list compared item by item, removals shown in public."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shuangsuiji.accounts.roles import Role
from shuangsuiji.directory.models import InspectionItem
from shuangsuiji.directory.registers import ITEMS
from shuangsuiji.directory.services import record_remove
from tests.support.county import build_county
from tests.support.workbooks import xlsx


@pytest.fixture
def county(organisations):
    county = build_county(organisations["a"])
    InspectionItem.objects.create(
        organisation=county, sequence=3, category="污染源环境监管", name="固体废物检查",
        target_scope="排污单位", item_class="general",
    )  # fmt: skip
    return county


def city_list(*names: str) -> SimpleUploadedFile:
    rows = [ITEMS.headers]
    rows += [[n, "污染源环境监管", name, "排污单位", "一般检查事项", "现场检查", "唐山市生态环境局",
              "", "", "否"] for n, name in enumerate(names, start=1)]  # fmt: skip
    return SimpleUploadedFile("唐山市事项清单.xlsx", xlsx(rows))


def test_missing_removed_and_added_items_are_told_apart(county, make_user, client):
    coordinator = make_user("coord", county, Role.COORDINATOR)
    removed = InspectionItem.objects.get(organisation=county, name="固体废物检查")
    record_remove(actor=coordinator, instance=removed, reason="市局未下发该事项")
    client.force_login(make_user("leader", county, Role.LEADER))  # readers may compare too
    before = InspectionItem.objects.count()
    url = reverse("directory:items_compare")
    page = client.post(url, {"file": city_list("排放检查", "固体废物检查", "噪声检查")})
    text = page.content.decode()
    assert "两份清单都有 <strong>1</strong> 项" in text  # 排放检查
    assert "已移出本局清单：市局未下发该事项" in text  # removed by the bureau: a 减
    assert "噪声检查" in text and "本局清单没有此事项" in text  # never listed
    assert "本局增加 <strong>1</strong> 项" in text and "涉密事项" in text  # an addition
    assert "上下一致" in text and "本局清单包含市局清单的全部事项" not in text
    assert InspectionItem.objects.count() == before  # nothing stored, nothing changed
    in_step = client.post(url, {"file": city_list("排放检查")}).content.decode()
    assert "本局清单包含市局清单的全部事项，上下一致。" in in_step


def test_a_bad_list_names_file_row_and_column(county, make_user, client):
    client.force_login(make_user("coord", county, Role.COORDINATOR))
    rows = [
        ITEMS.headers,
        [1, "污染源环境监管", "", "排污单位", "一般检查事项", "", "", "", "", "否"],
    ]
    upload = SimpleUploadedFile("坏清单.xlsx", xlsx(rows))
    text = client.post(reverse("directory:items_compare"), {"file": upload}).content.decode()
    assert "坏清单.xlsx：发现 1 处问题，未比对" in text and "抽查事项" in text
    assert "比对结果" not in text


def test_a_removed_item_stays_on_the_public_list_with_its_reason(county, make_user, client):
    coordinator = make_user("coord", county, Role.COORDINATOR)
    removed = InspectionItem.objects.get(organisation=county, name="固体废物检查")
    record_remove(actor=coordinator, instance=removed, reason="市局未下发该事项")
    secret = InspectionItem.objects.get(organisation=county, name="涉密事项")
    record_remove(actor=coordinator, instance=secret, reason="涉密")
    page = client.get(reverse("disclosure:items", args=[county.code])).content.decode()
    assert "已移出清单的事项" in page and "固体废物检查" in page and "市局未下发该事项" in page
    assert "涉密事项" not in page  # never listed, never shown as removed either
