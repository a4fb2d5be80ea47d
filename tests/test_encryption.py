"""身份证号 encrypted at rest (issue 10): the column holds a token, the application reads the
number, the pages show it masked, an import writes it encrypted, and a key can be rotated."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from shuangsuiji import crypto
from shuangsuiji.accounts.roles import Role
from shuangsuiji.directory.models import Inspector
from tests.support.county import build_county


def stored(inspector) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM directory_inspector WHERE id = %s", [inspector.pk])
        return cursor.fetchone()[0]


@pytest.fixture
def county(organisations):
    return build_county(organisations["a"])


def test_import_writes_encrypted_and_reads_plain(county):
    inspector = Inspector.objects.filter(organisation=county).exclude(id_number="").first()
    raw = stored(inspector)
    assert raw.startswith("enc1:") and inspector.id_number not in raw
    assert len(inspector.id_number) == 18 and inspector.id_number[:6] == "130281"
    history = inspector.history.first()
    assert history.id_number == inspector.id_number  # history rows are encrypted the same way


def test_pages_show_it_masked(client, county, make_user):
    inspector = Inspector.objects.filter(organisation=county).exclude(id_number="").first()
    client.force_login(make_user("coord", county, Role.COORDINATOR))
    page = client.get(f"/directory/inspectors/{inspector.pk}/").content.decode()
    assert inspector.id_number not in page and inspector.id_number[-4:] in page


def test_key_rotation_reads_old_values(county, settings):
    inspector = Inspector.objects.filter(organisation=county).exclude(id_number="").first()
    number = inspector.id_number
    settings.FIELD_ENCRYPTION_KEYS = [
        Fernet.generate_key().decode(),
        *settings.FIELD_ENCRYPTION_KEYS,
    ]
    assert Inspector.objects.get(pk=inspector.pk).id_number == number  # old key still reads
    inspector.save()
    settings.FIELD_ENCRYPTION_KEYS = settings.FIELD_ENCRYPTION_KEYS[:1]
    assert Inspector.objects.get(pk=inspector.pk).id_number == number  # rewritten with the new


def test_plain_values_from_before_are_read_and_blanks_stay_blank(county):
    inspector = Inspector.objects.filter(organisation=county).exclude(id_number="").first()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE directory_inspector SET id_number = %s WHERE id = %s",
                       ["130281199001011234", inspector.pk])  # fmt: skip
    assert Inspector.objects.get(pk=inspector.pk).id_number == "130281199001011234"
    assert crypto.decrypt("") == ""
    assert Inspector.objects.filter(organisation=county, id_number="").count() == 1  # 专家甲


def _import_inspectors(county, *rows):
    from shuangsuiji.directory.registers import INSPECTORS
    from shuangsuiji.directory.services import register_import
    from tests.support.workbooks import xlsx

    content = xlsx([["姓名", "执法证号", "联系电话"], *[list(r) for r in rows]])
    return register_import(actor=None, organisation=county, spec=INSPECTORS, content=content,
                           filename="人员.xlsx", reason="补充联系电话")  # fmt: skip


def test_phone_is_encrypted_at_rest_and_masked_on_pages(client, county, organisations, make_user):
    """联系电话 is personal data like 身份证号: a token in the database, masked on every page and
    in every export but the owning coordinator's (which must import back)."""
    outcome = _import_inspectors(
        county, ["王芳", "P001", "138 1234 5678"], ["赵强", "P002", "+86 0315-6612345"]
    )
    assert outcome.applied, outcome.plan.all_problems
    inspector = Inspector.objects.get(organisation=county, certificate_no="P001")
    assert inspector.phone == "13812345678"
    assert Inspector.objects.get(organisation=county, certificate_no="P002").phone == "0315-6612345"
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM directory_inspector WHERE id = %s", [inspector.pk])
        raw = cursor.fetchone()[0]
    assert raw.startswith("enc1:") and "5678" not in raw
    client.force_login(make_user("coord", county, Role.COORDINATOR))
    page = client.get(f"/directory/inspectors/{inspector.pk}/").content.decode()
    assert "13812345678" not in page and "138****5678" in page
    assert _exported_phones(client)["P001"] == "13812345678"  # the owner's, to import back
    client.force_login(make_user("city-auditor", organisations["city"], Role.AUDITOR))
    assert _exported_phones(client)["P001"] == "138****5678"


def _exported_phones(client) -> dict[str, str]:
    import io

    from python_calamine import CalamineWorkbook

    content = client.get("/directory/inspectors/export.xlsx").content
    rows = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()
    header = rows[0]
    number, phone = header.index("执法证号"), header.index("联系电话")
    return {row[number]: row[phone] for row in rows[1:]}


@pytest.mark.parametrize(
    ("cell", "stored_as"),
    [("13812345678", "13812345678"), ("0086-13812345678", "13812345678"),
     ("０３１５６６１２３４５", "03156612345"), ("010-12345678-801", "010-12345678-801"),
     (13812345678.0, "13812345678"), ("12345", None), ("138****5678", None), ("23812345678", None)],
)  # fmt: skip
def test_phone_cells_are_read_or_refused_by_row(county, cell, stored_as):
    outcome = _import_inspectors(county, ["王芳", "P001", cell])
    if stored_as is None:
        assert outcome.applied is None
        (problem,) = outcome.plan.all_problems
        assert (problem.row, problem.column) == (2, "联系电话") and "手机号码" in problem.message
    else:
        assert outcome.applied, outcome.plan.all_problems
        assert Inspector.objects.get(organisation=county, certificate_no="P001").phone == stored_as
