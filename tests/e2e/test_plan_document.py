"""Real Chromium, issue 20 §7: the 抽查管理员 uploads the 实施方案 through the page on a phone,
and a member of the public reads it on the portal's policy page beside the parameters and
downloads it under its Chinese name (保定 三、（五）, 藁城 二、（八）). Neither page scrolls
sideways at 375 px; both are shot at 375 and 1366 px."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from django.utils import timezone

from shuangsuiji.accounts.roles import Role
from tests.support.tree import PASSWORD, adopt_preset

PHONE = {"width": 375, "height": 812}
DESK = {"width": 1366, "height": 900}
TITLE = "遵化市2024年“双随机、一公开”监管工作实施方案"
CONTENT = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def shoot(page, output_path, name: str) -> None:
    path = Path(output_path) / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_uploaded_plan_is_public_on_a_phone(page, live_server, transactional_db, organisations,
                                            make_user, login, output_path, external_requests):  # fmt: skip
    county = adopt_preset(organisations["a"], "zunhua-2024")
    make_user("coord", county, Role.COORDINATOR)
    issued = timezone.localdate() - dt.timedelta(days=20)

    page.set_viewport_size(PHONE)
    login("coord", PASSWORD)
    page.goto(f"{live_server.url}/bureau/plan-documents/upload/")
    assert page_width(page) <= 375
    shoot(page, output_path, "plan-document-upload-375")
    page.set_viewport_size(DESK)
    shoot(page, output_path, "plan-document-upload-1366")
    page.set_viewport_size(PHONE)

    page.get_by_label("标题").fill(TITLE)
    page.get_by_label("文号").fill("遵环[2024]12号")
    page.get_by_label("印发日期").fill(issued.isoformat())
    page.get_by_label("年度").fill(str(timezone.localdate().year))
    page.get_by_label("文件（PDF 或 Word 文档）").set_input_files(
        {"name": "方案.pdf", "mimeType": "application/pdf", "buffer": CONTENT}
    )
    page.get_by_role("button", name="上传并公开").click()
    page.wait_for_url("**/bureau/plan-documents/")
    text = page.locator("main").inner_text()
    assert "已上传" in text and "遵环〔2024〕12号" in text and "现行" in text
    assert page_width(page) <= 375
    shoot(page, output_path, "plan-document-list-375")

    # The public, without an account, on a phone.
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/gongkai/org/{county.code}/policy/")
    section = page.locator("#documents")
    text = section.inner_text()
    assert TITLE in text and "遵环〔2024〕12号" in text
    assert f"{issued.year}年{issued.month}月{issued.day}日" in text
    assert section.locator("code").inner_text() == hashlib.sha256(CONTENT).hexdigest()
    assert page_width(page) <= 375
    shoot(page, output_path, "plan-document-public-375")
    with page.expect_download() as download_info:
        section.get_by_role("link", name="下载原文").click()
    download = download_info.value
    assert download.suggested_filename == "遵化市2024年双随机一公开监管工作实施方案.pdf"
    assert Path(download.path()).read_bytes() == CONTENT

    page.set_viewport_size(DESK)
    shoot(page, output_path, "plan-document-public-1366")
    assert external_requests == []
