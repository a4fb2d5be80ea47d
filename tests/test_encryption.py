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
