"""实施方案 files (issue 20 §7): the document as issued — PDF or Word, with its 文号 and 印发日期 —
uploaded by the bureau's 抽查管理员 and shown on the public policy page beside the parameters
(保定 三、（五） BD-3.5 “及时公开随机抽查工作方案”; 藁城 二、（八） GC-2.8b “年度计划、实施方案……
及时向社会公开”). A withdrawn document leaves the portal and stays in the bureau's list with its
reason; a replaced one stays listed as 已替换. Bad files and fields are refused with the field and
the limit named, and nothing is stored."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from shuangsuiji.accounts.roles import Role
from shuangsuiji.audit.models import AuditEvent
from shuangsuiji.bureau.models import PlanDocument, file_size_text
from shuangsuiji.bureau.plan_documents import plan_document_upload, plan_document_withdraw
from shuangsuiji.permanence import PermanentRecordError
from tests.support.rows import row_counts
from tests.support.tree import adopt_preset, build_organisations, make_user

TITLE = "遵化市2024年“双随机、一公开”监管工作实施方案"
#: The download's name: the title without the marks (“双随机、一公开” → 双随机一公开).
DOWNLOAD = "遵化市2024年双随机一公开监管工作实施方案"
NUMBER = "遵环〔2024〕12号"


# ---- files --------------------------------------------------------------------------------------


def pdf(text: str = "实施方案") -> bytes:
    body = f"1 0 obj << /Title ({text.encode('utf-8').hex()}) >> endobj\n".encode()
    return b"%PDF-1.7\n" + body + b"trailer << /Root 1 0 R >>\n%%EOF\n"


def docx(*, macros: bool = False) -> bytes:
    kind = "ms-word.document.macroEnabled.main+xml" if macros else (
        "vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
    )  # fmt: skip
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            f'<Types><Override PartName="/word/document.xml" ContentType="application/{kind}"/></Types>',
        )
        archive.writestr("word/document.xml", "<w:document><w:body>实施方案</w:body></w:document>")
    return buffer.getvalue()


def ole(stream: str) -> bytes:
    """A compound file (Office 97–2003) whose directory names ``stream``."""
    return (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\x00" * 504
        + stream.encode("utf-16-le")
        + b"\x00" * 64
    )


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("方案.txt", "不是 Word")
    return buffer.getvalue()


EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200 + b"This program cannot be run in DOS mode."


# ---- the bureau ---------------------------------------------------------------------------------


@dataclass
class World:
    county: object
    neighbour: object
    users: dict
    neighbour_coordinator: object


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """遵化 with one account of each role, and 迁安 beside it; built once, rolled back after."""
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
        transaction.atomic(),
    ):
        tree = build_organisations()
        county = adopt_preset(tree["a"], "zunhua-2024")
        users = {role: make_user(f"zh-{role.value}", county, role) for role in Role}
        other = make_user("qa-coordinator", tree["b"], Role.COORDINATOR)
        try:
            yield World(county, tree["b"], users, other)
        finally:
            transaction.set_rollback(True)


def today() -> dt.date:
    return timezone.localdate()


def form(content: bytes, name: str = "方案.pdf", **fields) -> dict:
    return {
        "title": TITLE,
        "document_number": NUMBER,
        "issued_on": (today() - dt.timedelta(days=30)).isoformat(),
        "year": str(today().year),
        "file": SimpleUploadedFile(name, content),
        **fields,
    }


def sign_in(client, world, role: Role = Role.COORDINATOR):
    """Before rows are counted: the sign-in's own session and log are no upload's writes."""
    client.force_login(world.users[role])


def upload(client, world, content: bytes, name: str = "方案.pdf", **fields):
    return client.post(reverse("bureau:plan_document_upload"), form(content, name, **fields))


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def public_page(client, world, **query) -> str:
    client.logout()
    response = client.get(reverse("disclosure:policy", args=[world.county.code]), query)
    assert response.status_code == 200
    return response.content.decode()


def service_upload(world, content: bytes, **fields) -> PlanDocument:
    values = {
        "actor": world.users[Role.COORDINATOR],
        "organisation": world.county,
        "year": today().year,
        "title": TITLE,
        "document_number": NUMBER,
        "issued_on": today() - dt.timedelta(days=30),
        "upload": SimpleUploadedFile("方案.pdf", content),
        **fields,
    }
    return plan_document_upload(**values)


# ---- upload, the public page, the download ------------------------------------------------------


def test_the_coordinator_uploads_and_the_portal_shows_and_serves_it(client, db, world, settings):
    """Upload through the page; the public policy page shows title, 文号, 印发日期, type and
    size, the SHA-256 in <code>, beside the parameters; the download is the same bytes under
    the document's Chinese name."""
    content = pdf()
    sign_in(client, world)
    response = upload(client, world, content, document_number="遵环[2024]12号")
    assert response.status_code == 302
    assert response["Location"] == reverse("bureau:plan_documents")
    document = PlanDocument.objects.get()
    # The brackets typed are made 〔〕, as the document prints them.
    assert document.document_number == NUMBER
    assert (document.kind, document.size, document.status) == ("pdf", len(content), "现行")
    digest = hashlib.sha256(content).hexdigest()
    assert document.sha256 == digest
    event = AuditEvent.objects.get(action="plan_document.upload")
    assert event.summary == f"上传实施方案文件：{today().year} 年度《{TITLE}》（{NUMBER}）"

    page = public_page(client, world)
    issued = today() - dt.timedelta(days=30)
    assert f"{today().year} 年度实施方案文件" in page
    assert TITLE in page and NUMBER in page
    assert f"{issued.year}年{issued.month}月{issued.day}日" in page
    assert f"<code>{digest}</code>" in page
    assert f"（PDF，{len(content)} 字节）" in page
    # Beside the parameters: the document comes before the table of rules.
    assert page.index(NUMBER) < page.index("<th>规则</th>")

    url = reverse("disclosure:plan_document", args=[world.county.code, document.pk])
    assert f'href="{url}"' in page
    download = client.get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == content
    assert download["Content-Type"] == "application/pdf"
    disposition = download["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    assert f"filename*=utf-8''{quote(DOWNLOAD + '.pdf')}" in disposition


def test_word_files_are_kept_as_what_they_are_whatever_their_name(client, db, world):
    """DOC and DOCX are accepted by their content: a .docx named “.pdf” is kept and served as
    Word, under a .docx name."""
    sign_in(client, world)
    response = upload(client, world, docx(), name="方案.pdf")
    assert response.status_code == 302
    document = PlanDocument.objects.get()
    assert document.kind == "docx" and document.get_kind_display() == "Word 文档（.docx）"
    download = client.get(reverse("bureau:plan_document_file", args=[document.pk]))
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    assert quote(DOWNLOAD + ".docx") in download["Content-Disposition"]

    response = upload(client, world, ole("WordDocument"), name="方案.doc", title="旧版方案")
    assert response.status_code == 302
    assert PlanDocument.objects.get(title="旧版方案").kind == "doc"


BAD_FILES = [
    ("方案.pdf", plain_zip(), "文件“方案.pdf”的内容是 zip 压缩包，不是 Word 文档，只接受 PDF 或 Word 文档"),
    ("方案.pdf", EXE, "文件“方案.pdf”的内容不是 PDF 或 Word 文档（实为Windows 可执行程序），只接受 PDF 或 Word 文档（.doc、.docx），按文件内容判断，与扩展名无关"),
    ("方案.pdf", b"", "文件“方案.pdf”是空文件（0 字节），请重新选择"),
    ("方案.pdf", b"%PDF-1.7\n1 0 obj << >> endobj\n", "文件“方案.pdf”不是完整的 PDF（缺少文件结尾）"),
    ("方案.docm", docx(macros=True), "文件“方案.docm”是含宏的 Word 文档（.docm）"),
    ("方案.doc", ole("Workbook"), "文件“方案.doc”是 Office 97–2003 文件，但不是 Word 文档"),
    ("方案.txt", "实施方案".encode(), "文件“方案.txt”的内容不是 PDF 或 Word 文档，"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "content", "message"), BAD_FILES)
def test_a_bad_file_is_refused_naming_it_and_nothing_is_stored(
    client, db, world, settings, name, content, message
):
    sign_in(client, world)
    before = row_counts()
    response = upload(client, world, content, name=name)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert row_counts() == before  # no document, no audit entry
    assert stored_files(settings) == []


def test_a_file_over_the_limit_is_refused_naming_the_limit(client, db, world, settings):
    settings.SHUANGSUIJI_PLAN_DOCUMENT_MAX_BYTES = 1024
    sign_in(client, world)
    content = pdf("长" * 300)
    assert file_size_text(len(content)) == "1.8 KB"
    page = upload(client, world, content).content.decode()
    assert "文件“方案.pdf”大小 1.8 KB，超过 1 KB 的上限" in page
    assert not PlanDocument.objects.exists()
    assert stored_files(settings) == []
    # The form says the limit before anyone tries.
    assert "不超过 1 KB" in client.get(reverse("bureau:plan_document_upload")).content.decode()


@pytest.mark.parametrize(
    ("fields", "message"),
    [({"document_number": ""}, "请填写文号，如“获嘉环〔2024〕12号”。"),
     ({"document_number": "第十二号文件"}, "文号“第十二号文件”不是公文文号的写法：应为机关代字〔年份〕序号号，如“获嘉环〔2024〕12号”。"),
     ({"document_number": "遵" * 48 + "〔2024〕1号"}, "文号不能超过 50 个字（所填为 56 个字）。"),
     ({"title": "  "}, "请填写标题。"),
     ({"issued_on": (dt.date.today() + dt.timedelta(days=2)).isoformat()}, "印发日期须在"),
     ({"year": "1999"}, f"年度须在 2000 至 {dt.date.today().year + 1} 之间（所填为 1999）。")],
)  # fmt: skip
def test_a_bad_field_is_refused_naming_it_and_nothing_is_stored(
    client, db, world, settings, fields, message
):
    sign_in(client, world)
    before = row_counts()
    response = upload(client, world, pdf(), **fields)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert row_counts() == before
    assert stored_files(settings) == []


def test_the_service_refuses_a_future_date_and_names_every_problem_at_once(db, world, settings):
    """Below the form too (the command line, an API): every field's problem in one answer."""
    tomorrow = today() + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        service_upload(world, EXE, issued_on=tomorrow, document_number=" ")
    problems = refused.value.message_dict
    assert problems["issued_on"] == [
        f"印发日期不能晚于今天（{today().isoformat()}），所填为 {tomorrow.isoformat()}。"
    ]
    assert problems["document_number"] == ["请填写文号，如“获嘉环〔2024〕12号”。"]
    assert "实为Windows 可执行程序" in problems["file"][0]
    assert not PlanDocument.objects.exists() and stored_files(settings) == []


def test_the_same_file_twice_is_refused(db, world, settings):
    first = service_upload(world, pdf())
    with pytest.raises(ValidationError, match=f"与已上传的《{TITLE}》（{NUMBER}）内容完全相同"):
        service_upload(world, pdf(), title="另一个标题")
    assert list(PlanDocument.objects.all()) == [first]
    assert len(stored_files(settings)) == 1  # the refused copy was removed again


# ---- roles ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "list_status", "upload_status"),
    [(Role.COORDINATOR, 200, 200), (Role.LEADER, 200, 403), (Role.AUDITOR, 200, 403),
     (Role.INSPECTOR, 403, 403), (Role.SYSADMIN, 403, 403)],
)  # fmt: skip
def test_only_the_coordinator_uploads_and_readers_read(
    client, db, world, settings, role, list_status, upload_status
):
    document = service_upload(world, pdf())
    client.force_login(world.users[role])
    assert client.get(reverse("bureau:plan_documents")).status_code == list_status
    assert client.get(reverse("bureau:plan_document_file", args=[document.pk])).status_code == (
        list_status
    )
    assert client.get(reverse("bureau:plan_document_upload")).status_code == upload_status
    withdraw = reverse("bureau:plan_document_withdraw", args=[document.pk])
    assert client.get(withdraw).status_code == upload_status
    if role != Role.COORDINATOR:
        response = client.post(reverse("bureau:plan_document_upload"), form(pdf("再传")))
        assert response.status_code == 403
        response = client.post(withdraw, {"reason": "试一试", "confirm": "1"})
        assert response.status_code == 403
        assert PlanDocument.objects.get().is_current
        assert len(stored_files(settings)) == 1
    if list_status == 200:
        page = client.get(reverse("bureau:plan_documents")).content.decode()
        assert TITLE in page and NUMBER in page
        assert ("上传实施方案文件</a>" in page) == (role == Role.COORDINATOR)


def test_anonymous_visitors_see_only_the_portal(client, db, world):
    document = service_upload(world, pdf())
    for name, args in [("bureau:plan_documents", []), ("bureau:plan_document_upload", []),
                       ("bureau:plan_document_file", [document.pk]),
                       ("bureau:plan_document_withdraw", [document.pk])]:  # fmt: skip
        response = client.get(reverse(name, args=args))
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert TITLE in public_page(client, world)


def test_another_bureau_neither_reads_nor_withdraws_it(client, db, world):
    document = service_upload(world, pdf())
    client.force_login(world.neighbour_coordinator)
    assert client.get(reverse("bureau:plan_document_file", args=[document.pk])).status_code == 404
    withdraw = reverse("bureau:plan_document_withdraw", args=[document.pk])
    assert client.post(withdraw, {"reason": "不是我们的", "confirm": "1"}).status_code == 404
    assert TITLE not in client.get(reverse("bureau:plan_documents")).content.decode()
    # Nor through its own public address.
    url = reverse("disclosure:plan_document", args=[world.neighbour.code, document.pk])
    assert client.get(url).status_code == 404
    with pytest.raises(PermissionDenied, match="只有本单位的抽查管理员可以撤回"):
        plan_document_withdraw(actor=world.neighbour_coordinator, document=document, reason="越权")
    with pytest.raises(PermissionDenied, match="只有本单位的抽查管理员可以上传"):
        service_upload(world, pdf("领导"), actor=world.users[Role.LEADER])
    document.refresh_from_db()
    assert document.is_current


# ---- withdrawal and replacement -------------------------------------------------------------------


def test_a_withdrawn_document_leaves_the_portal_and_stays_listed_with_its_reason(client, db, world):
    document = service_upload(world, pdf())
    public_url = reverse("disclosure:plan_document", args=[world.county.code, document.pk])
    coordinator = world.users[Role.COORDINATOR]
    client.force_login(coordinator)
    withdraw = reverse("bureau:plan_document_withdraw", args=[document.pk])
    page = client.get(withdraw).content.decode()
    assert "此操作不可撤销" in page and "文件立即从公开门户的实施方案页撤下" in page
    # A reason is required: the page says so and nothing changes.
    response = client.post(withdraw, {"reason": "", "confirm": "1"})
    assert response.status_code == 400 and "请填写撤回原因。" in response.content.decode()
    document.refresh_from_db()
    assert document.withdrawn_at is None

    response = client.post(withdraw, {"reason": "误传了征求意见稿", "confirm": "1"})
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.status == "已撤回" and document.withdrawn_by == coordinator
    assert AuditEvent.objects.filter(action="plan_document.withdraw").count() == 1

    page = public_page(client, world)
    assert TITLE not in page and f"本单位尚未公开 {today().year} 年度的实施方案文件" in page
    assert "误传了征求意见稿" not in page
    assert client.get(public_url).status_code == 404

    client.force_login(world.users[Role.AUDITOR])
    listed = client.get(reverse("bureau:plan_documents")).content.decode()
    assert "已撤回" in listed and "原因：误传了征求意见稿" in listed and TITLE in listed
    assert client.get(reverse("bureau:plan_document_file", args=[document.pk])).status_code == 200

    # Once withdrawn, it cannot be withdrawn again.
    client.force_login(coordinator)
    assert "现在不能撤回" in client.get(withdraw).content.decode()
    with pytest.raises(ValidationError, match=r"已于 .* 撤回，不能再次撤回"):
        plan_document_withdraw(actor=coordinator, document=document, reason="再撤一次")


def test_a_new_version_replaces_the_old_one_which_stays_listed(client, db, world):
    old = service_upload(world, pdf("第一版"))
    client.force_login(world.users[Role.COORDINATOR])
    # The list offers the replacement; the form comes with the old document chosen.
    listed = client.get(reverse("bureau:plan_documents")).content.decode()
    assert f"?replaces={old.pk}" in listed
    prefilled = client.get(reverse("bureau:plan_document_upload"), {"replaces": old.pk})
    assert f'<option value="{old.pk}" selected>' in prefilled.content.decode()

    response = upload(client, world, pdf("修订版"), document_number="遵环〔2024〕15号",
                      replaces=str(old.pk))  # fmt: skip
    assert response.status_code == 302
    old.refresh_from_db()
    new = PlanDocument.objects.get(document_number="遵环〔2024〕15号")
    assert old.replaced_by == new and old.status == "已替换" and new.status == "现行"
    assert (
        AuditEvent.objects.get(action="plan_document.upload", object_id=str(new.pk)).detail["替换"]
        == f"《{TITLE}》（{NUMBER}）"
    )

    page = public_page(client, world)
    current, replaced = page.split("已替换的版本（1 份）")
    assert "遵环〔2024〕15号" in current and NUMBER not in current
    assert NUMBER in replaced and "已替换</strong>为 遵环〔2024〕15号" in replaced
    client.force_login(world.users[Role.LEADER])
    listed = client.get(reverse("bureau:plan_documents")).content.decode()
    assert "已替换" in listed and "替换为《" in listed

    # A replaced document is not replaced twice.
    with pytest.raises(ValidationError, match="已替换，只能替换现行的文件"):
        service_upload(world, pdf("第三版"), replaces=old)


def test_the_portal_shows_one_year_and_links_the_others(client, db, world):
    """A 实施方案 stays in force until the next: with none for this year, the latest earlier
    year is shown; ``?year=`` shows another."""
    service_upload(world, pdf("2024"), year=2024, document_number="遵环〔2024〕1号")
    page = public_page(client, world)
    assert "2024 年度实施方案文件" in page and "遵环〔2024〕1号" in page
    service_upload(world, pdf("今年"), document_number=f"遵环〔{today().year}〕2号")
    page = public_page(client, world)
    assert f"{today().year} 年度实施方案文件" in page and "遵环〔2024〕1号" not in page
    assert 'href="?year=2024#documents"' in page
    assert "遵环〔2024〕1号" in public_page(client, world, year="2024")
    assert "本单位尚未公开 2019 年度的实施方案文件" in public_page(client, world, year="2019")


def test_the_portal_page_reads_the_same_queries_whatever_the_documents(client, db, world):
    """No query per document (the replaced ones name their replacement in the same query)."""
    service_upload(world, pdf("一"))

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            public_page(client, world)
        return len(captured)

    one = queries()
    old = PlanDocument.objects.get()
    service_upload(world, pdf("二"), replaces=old, document_number="遵环〔2024〕13号")
    service_upload(world, pdf("三"), document_number="遵环〔2024〕14号", title="补充通知")
    assert queries() == one


def test_reading_the_pages_writes_nothing(client, db, world):
    document = service_upload(world, pdf())
    before = row_counts()
    public_page(client, world)
    client.get(reverse("disclosure:plan_document", args=[world.county.code, document.pk]))
    assert row_counts() == before
    client.force_login(world.users[Role.COORDINATOR])
    before = row_counts()  # the session of the sign-in is no read's write
    for name, args in [("bureau:plan_documents", []), ("bureau:plan_document_upload", []),
                       ("bureau:plan_document_file", [document.pk]),
                       ("bureau:plan_document_withdraw", [document.pk])]:  # fmt: skip
        assert client.get(reverse(name, args=args)).status_code == 200
    assert row_counts() == before


# ---- kept for good --------------------------------------------------------------------------------


def test_a_document_is_never_deleted(db, world):
    document = service_upload(world, pdf())
    with pytest.raises(PermanentRecordError, match="实施方案文件属于执法档案"):
        document.delete()
    with pytest.raises(PermanentRecordError):
        PlanDocument.objects.all().delete()
    assert PlanDocument.objects.count() == 1


@pytest.mark.postgres
def test_postgres_refuses_a_delete_in_sql(db, world):
    service_upload(world, pdf())
    with (
        connection.cursor() as cursor,
        pytest.raises(IntegrityError, match="属于执法档案，不能删除"),
        transaction.atomic(),
    ):
        cursor.execute("DELETE FROM bureau_plandocument")
    assert PlanDocument.objects.count() == 1
