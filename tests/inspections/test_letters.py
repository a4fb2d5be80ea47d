"""Letters to the enterprise (issue 20 §3): the 一次告知书 before a check (获嘉 二、（三）,
HJ-2.3b “需要企业提供的证照、环评等资料，要一次告知检查对象”) and the 检查结果告知书 after it
(获嘉 三、（二）, HJ-3.2 “检查反馈结果‘一表告知’被检查对象”), each frozen with the inspection."""

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from shuangsuiji.accounts.roles import Role
from shuangsuiji.audit.models import AuditEvent
from shuangsuiji.inspections.letters import (
    NOTICE,
    RESULT_NOTICE,
    notice_issue,
    result_notice_issue,
    suggested_materials,
)
from shuangsuiji.inspections.models import Attachment, ResultCategory
from shuangsuiji.inspections.services import follow_up_open
from tests.support.portal import record

MATERIALS = ["排污许可证（正、副本）", "环境影响评价文件及批复", "近三个月的自行监测报告"]


def pages(attachment: Attachment) -> list[str]:
    with attachment.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return [page.extract_text().replace(" ", "") for page in reader.pages]


def pdf_text(attachment: Attachment) -> str:
    return "".join(pages(attachment))


@pytest.fixture
def county(setup):
    return setup("zunhua-2024")


def test_the_notice_tells_what_to_prepare_when_and_who(county):
    inspection, inspector = county["inspection"], county["inspector"]
    visit = timezone.localdate() + dt.timedelta(days=3)
    letter = notice_issue(actor=inspector, inspection=inspection, visit_on=visit,
                          materials=[*MATERIALS, "  "])  # fmt: skip
    assert (letter.kind, letter.content_type) == (NOTICE, "application/pdf")
    assert (
        letter.original_name
        == f"一次告知书-{inspection.target.name}-{timezone.localdate():%Y%m%d}.pdf"
    )
    text = pdf_text(letter)
    assert inspection.target.name in text and f"{visit:%Y}年{visit.month}月{visit.day}日" in text
    assert all(line.replace(" ", "") in text for line in MATERIALS)
    for member in county["members"]:
        assert member.name in text and member.certificate_no in text
    public = [i.name for i in inspection.items.all() if not i.confidential]
    secret = [i.name for i in inspection.items.all() if i.confidential]
    assert public and all(name in text for name in public)
    assert secret and not any(name in text for name in secret)  # 涉密 items stay internal
    assert AuditEvent.objects.filter(action="inspection.notice", actor=inspector).count() == 1
    # The first draft lists one line per public item, for the team to make precise.
    assert suggested_materials(inspection) == [
        f"与“{name}”有关的许可证照、台账和记录" for name in public
    ]


def test_a_notice_needs_materials_a_future_day_and_the_team(county, make_user):
    inspection, inspector = county["inspection"], county["inspector"]
    today = timezone.localdate()
    with pytest.raises(ValidationError, match="请写明需企业准备的资料"):
        notice_issue(actor=inspector, inspection=inspection, visit_on=today, materials=[" "])
    with pytest.raises(ValidationError, match="检查日期不能早于今天"):
        notice_issue(actor=inspector, inspection=inspection,
                     visit_on=today - dt.timedelta(days=1), materials=MATERIALS)  # fmt: skip
    with pytest.raises(ValidationError, match="最多 30 项（所填为 31 项）"):
        notice_issue(actor=inspector, inspection=inspection, visit_on=today,
                     materials=[f"资料{n}" for n in range(31)])  # fmt: skip
    stranger = make_user("A999", county["county"], Role.INSPECTOR)
    with pytest.raises(PermissionDenied):
        notice_issue(actor=stranger, inspection=inspection, visit_on=today, materials=MATERIALS)
    assert not Attachment.objects.filter(kind=NOTICE).exists()


def test_the_result_notice_is_one_table_of_the_submitted_result(county):
    inspection, inspector = county["inspection"], county["inspector"]
    with pytest.raises(ValidationError, match="检查结果提交后才能出具结果告知书"):
        result_notice_issue(actor=inspector, inspection=inspection)
    inspection = record(inspection, inspector, category=ResultCategory.ORDERED)
    deadline = timezone.localdate() + dt.timedelta(days=30)
    follow_up_open(actor=county["coordinator"], inspection=inspection, kind="rectify",
                   opened_on=timezone.localdate(), deadline=deadline)  # fmt: skip
    letter = result_notice_issue(actor=inspector, inspection=inspection)
    assert letter.kind == RESULT_NOTICE
    text = pdf_text(letter)
    assert "检查结果告知书" in text and inspection.target.name in text
    assert "发现问题已责令整改" in text and "发现问题" in text
    assert "责令整改" in text and f"{deadline:%Y}年{deadline.month}月{deadline.day}日" in text
    assert "被检查单位负责人签收" in text
    # The signatures never stand alone on a page: the result travels with them (issue 19 §7).
    [signed] = [page for page in pages(letter) if "被检查单位负责人签收" in page]
    assert "检查结果" in signed and "责令整改" in signed
    with pytest.raises(ValidationError, match="一次告知书在检查前出具"):
        notice_issue(actor=inspector, inspection=inspection, visit_on=timezone.localdate(),
                     materials=MATERIALS)  # fmt: skip


def test_the_page_issues_and_lists_the_letters(county, client):
    inspection, inspector = county["inspection"], county["inspector"]
    url = reverse("inspections:letters", args=[inspection.pk])
    client.force_login(inspector)
    page = client.get(url).content.decode()
    assert "出具一次告知书" in page and "与“" in page  # the draft list, one line per item
    response = client.post(url, {"action": "notice", "visit_on": "1999-01-01", "materials": "x"})
    assert "检查日期" in response.content.decode() and not Attachment.objects.exists()
    visit = timezone.localdate().isoformat()
    response = client.post(url, {"action": "notice", "visit_on": visit,
                                 "materials": "\n".join(MATERIALS)})  # fmt: skip
    assert response.status_code == 302
    letter = Attachment.objects.get(kind=NOTICE)
    page = client.get(url).content.decode()
    assert reverse("inspections:attachment", args=[inspection.pk, letter.pk]) in page
    download = client.get(reverse("inspections:attachment", args=[inspection.pk, letter.pk]))
    assert b"".join(download.streaming_content).startswith(b"%PDF-")
    record_page = client.get(reverse("inspections:record", args=[inspection.pk])).content
    assert url in record_page.decode()
