"""The team's record and result: item outcomes, fixed wording, 涉密, records, due dates, reopening
(JX-4.6, JX-4.7, BD-3.3b)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from shuangsuiji.accounts.roles import Role
from shuangsuiji.inspections.models import Inspection, ItemOutcome, ResultCategory
from shuangsuiji.inspections.services import (
    RecordData,
    attachment_add,
    inspection_record_save,
    inspection_reopen,
    inspection_submit,
    is_public_result,
    publication_state,
)

PDF = b"%PDF-1.4\n%test\n"
JPEG = b"\xff\xd8\xff\xe0" + b"0" * 32


def upload(name, content):
    return SimpleUploadedFile(name, content)


def fill(
    s, category=ResultCategory.NO_PROBLEM, outcome=ItemOutcome.PASS, method="现场检查", **extra
):
    inspection = s["inspection"]
    data = RecordData(
        checked_at=timezone.now(), method_used=method, representative="王厂长",
        present_members=tuple(m.certificate_no for m in s["members"]), result_category=category,
        findings="现场检查污染防治设施运行正常。", public_summary="未发现问题", determined_on=dt.date(2026, 9, 28),
        **extra,
    )  # fmt: skip
    outcomes = {item.pk: (outcome, "") for item in inspection.items.all()}
    return inspection_record_save(
        actor=s["inspector"], inspection=inspection, data=data, outcomes=outcomes
    )


def test_result_with_due_date_across_national_day(setup):
    """JX-4.7: 结果认定之日起 20 个工作日内公示 — 2026-09-28 → 2026-10-30 (国庆 and 10-10 调休)."""
    s = setup("zunhua-2024")
    fill(s)
    inspection = inspection_submit(actor=s["inspector"], inspection=s["inspection"])
    assert inspection.status == Inspection.Status.DONE
    assert inspection.publication_due == dt.date(2026, 10, 30)
    assert inspection.submitted_by == s["inspector"]
    assert is_public_result(inspection)


def test_missing_parts_are_listed(setup):
    s = setup("zunhua-2024")
    with pytest.raises(ValidationError) as excinfo:
        inspection_submit(actor=s["inspector"], inspection=s["inspection"])
    messages = excinfo.value.messages
    assert "请填写检查时间。" in messages and "请选择检查结果。" in messages
    assert any(m.startswith("以下事项尚未填写检查结论") for m in messages)


def test_problem_found_cannot_be_no_problem(setup):
    s = setup("zunhua-2024")
    fill(s, outcome=ItemOutcome.PROBLEM)
    with pytest.raises(ValidationError, match="检查结果不能是“未发现问题”"):
        inspection_submit(actor=s["inspector"], inspection=s["inspection"])


def test_jiangxian_records_without_violation(setup):
    """JX-4.6 四、（六）: 未发现问题 → the 现场检查表 signed by the enterprise suffices."""
    s = setup("jiangxian-2025")
    fill(s)
    with pytest.raises(
        ValidationError, match="现场检查未发现问题的，须上传：现场检查表（四、（六））"
    ):
        inspection_submit(actor=s["inspector"], inspection=s["inspection"])
    attachment_add(actor=s["inspector"], inspection=s["inspection"], kind="现场检查表",
                   upload=upload("检查表签字.pdf", PDF))  # fmt: skip
    assert inspection_submit(actor=s["inspector"], inspection=s["inspection"]).status == "done"


def test_jiangxian_records_with_violation(setup):
    """JX-4.6 四、（六）: 发现问题 → 现场检查笔录 and 询问笔录 are required before submitting."""
    s = setup("jiangxian-2025")
    fill(s, category=ResultCategory.ORDERED, outcome=ItemOutcome.PROBLEM)
    attachment_add(actor=s["inspector"], inspection=s["inspection"], kind="现场检查表",
                   upload=upload("表.pdf", PDF))  # fmt: skip
    with pytest.raises(ValidationError, match="发现问题的，须上传：现场检查笔录、询问笔录"):
        inspection_submit(actor=s["inspector"], inspection=s["inspection"])
    for kind in ("现场检查笔录", "询问笔录"):
        attachment_add(
            actor=s["inspector"],
            inspection=s["inspection"],
            kind=kind,
            upload=upload(f"{kind}.pdf", PDF),
        )
    assert inspection_submit(actor=s["inspector"], inspection=s["inspection"]).status == "done"


def test_non_site_checks_need_no_field_records(setup):
    s = setup("jiangxian-2025")
    fill(s, method="非现场检查")
    assert inspection_submit(actor=s["inspector"], inspection=s["inspection"]).status == "done"


def test_confidential_result_needs_a_reason_and_is_never_public(setup):
    """JX-4.7: 涉及国家秘密、商业秘密或个人隐私不予公开."""
    s = setup("zunhua-2024")
    fill(s, confidentiality="commercial")
    with pytest.raises(ValidationError, match="写明不予公开的理由"):
        inspection_submit(actor=s["inspector"], inspection=s["inspection"])
    fill(s, confidentiality="commercial", confidential_reason="涉及企业工艺参数")
    inspection = inspection_submit(actor=s["inspector"], inspection=s["inspection"])
    assert not is_public_result(inspection)


def test_only_the_team_records_and_only_the_coordinator_reopens(setup, make_user):
    s = setup("zunhua-2024")
    outsider = make_user("13028120269999", s["county"], Role.INSPECTOR)
    with pytest.raises(PermissionDenied):
        inspection_record_save(
            actor=outsider, inspection=s["inspection"], data=RecordData(), outcomes={}
        )
    fill(s)
    inspection = inspection_submit(actor=s["inspector"], inspection=s["inspection"])
    # Its draw's list is still secret: the result waits to be published with it (JX-6.4).
    assert inspection.published_at is None
    assert publication_state(inspection) == "待抽取名单公开后一并公示"
    with pytest.raises(ValidationError, match="不能修改"):
        fill(s)
    with pytest.raises(PermissionDenied):
        inspection_reopen(actor=s["inspector"], inspection=inspection, reason="写错了")
    with pytest.raises(ValidationError, match="请填写退回原因"):
        inspection_reopen(actor=s["coordinator"], inspection=inspection, reason="")
    inspection = inspection_reopen(
        actor=s["coordinator"], inspection=inspection, reason="企业在场人员姓名有误"
    )
    assert inspection.status == Inspection.Status.ASSIGNED
    # Withdrawn from the portal; the 20 working days still run from the determination.
    assert inspection.published_at is None and inspection.publication_due == dt.date(2026, 10, 30)
    assert inspection.history.filter(status="done").exists()  # the submitted version is kept


def test_attachments_are_checked_by_content_and_size(setup, settings):
    s = setup("zunhua-2024")
    with pytest.raises(ValidationError, match="只接受 JPG、PNG 图片或 PDF 文件"):
        attachment_add(actor=s["inspector"], inspection=s["inspection"], kind="照片",
                       upload=upload("照片.jpg", b"MZ\x90\x00 not an image"))  # fmt: skip
    settings.SHUANGSUIJI_UPLOAD_MAX_MB = 0
    with pytest.raises(ValidationError, match="文件超过 0 MB"):
        attachment_add(
            actor=s["inspector"],
            inspection=s["inspection"],
            kind="照片",
            upload=upload("照片.jpg", JPEG),
        )
    settings.SHUANGSUIJI_UPLOAD_MAX_MB = 20
    attachment = attachment_add(actor=s["inspector"], inspection=s["inspection"], kind="照片",
                                upload=upload("照片.jpg", JPEG))  # fmt: skip
    assert attachment.content_type == "image/jpeg" and attachment.size == len(JPEG)
    with pytest.raises(ValidationError, match="材料类型应为"):
        attachment_add(
            actor=s["inspector"],
            inspection=s["inspection"],
            kind="录像",
            upload=upload("a.pdf", PDF),
        )


def test_annual_counts_shown_for_target_and_inspector(setup, client):
    """JX-4.5.c (同一污染源同一年度不超过 2 次) and JX-4.4 (年度检查次数标记) shown on the registers."""
    from django.urls import reverse

    s = setup("zunhua-2024")
    inspection = s["inspection"]
    client.force_login(s["coordinator"])
    year = timezone.localdate().year
    page = client.get(
        reverse("directory:detail", args=["targets", inspection.target.pk])
    ).content.decode()
    assert f"<dt>{year} 年检查次数</dt><dd>{1 if inspection.year == year else 0}</dd>" in page
    member = s["members"][0]
    count = (
        member.inspections.filter(year=year)
        .exclude(status__in=["cancelled", "substituted"])
        .count()
    )
    page = client.get(reverse("directory:detail", args=["inspectors", member.pk])).content.decode()
    assert f"<dt>{year} 年检查次数</dt><dd>{count}</dd>" in page
