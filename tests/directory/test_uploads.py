"""Uploaded registers at rest (issue 15, finding 2): the inspector workbook of an import, applied
or not, stayed in media/imports/ in plain text, and every backup carried it.

Now an upload is stored encrypted, and deleted once it is applied, has failed, is abandoned
(放弃, or a newer upload of the same register) or has waited longer than the keep period; the
batch keeps its row and says when and why. 身份证号 and 联系电话 are masked in what a batch
stores (problems, preview) and in the audit log.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shuangsuiji.accounts.roles import Role
from shuangsuiji.audit.models import AuditEvent
from shuangsuiji.directory import services
from shuangsuiji.directory.codes import mask_id_number, mask_phone
from shuangsuiji.directory.models import ImportBatch, Inspector
from shuangsuiji.directory.registers import INSPECTORS
from shuangsuiji.directory.services import import_files_purge, register_import
from shuangsuiji.directory.uploads import MAGIC
from tests.support.workbooks import id_number, xlsx

PERSON = id_number(7)
PHONE = "13812345678"
CSV = f"姓名,执法证号,身份证号,联系电话\n张伟,A001,{PERSON},{PHONE}\n李娜,A002,,\n".encode()


@pytest.fixture(autouse=True)
def _inline_imports(settings):
    settings.SHUANGSUIJI_BACKGROUND_IMPORTS = False


@pytest.fixture
def web(client, coordinator):
    client.force_login(coordinator)
    return client


def upload(client, content: bytes = CSV, name: str = "人员.csv") -> ImportBatch:
    response = client.post(
        reverse("directory:import", args=["inspectors"]),
        {"file": SimpleUploadedFile(name, content)},
    )
    assert response.status_code == 302, response.content.decode()
    return ImportBatch.objects.latest("pk")


def stored_files() -> list[Path]:
    folder = Path(django_settings.MEDIA_ROOT) / "imports"
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def page(client, batch: ImportBatch) -> str:
    response = client.get(reverse("directory:import_batch", args=[batch.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_an_upload_is_stored_encrypted_and_still_previews(web):
    batch = upload(web)
    assert batch.status == ImportBatch.Status.PREVIEW and batch.summary["new"] == 2
    [stored] = stored_files()
    data = stored.read_bytes()
    assert data.startswith(MAGIC)
    assert (
        PERSON.encode() not in data and PHONE.encode() not in data and "张伟".encode() not in data
    )
    assert not stored.name.startswith("人员")  # the stored name says nothing either


def test_the_file_is_deleted_once_applied_and_the_page_says_so(web):
    batch = upload(web)
    web.post(reverse("directory:import_apply", args=[batch.pk]), {"reason": "建库"})
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.APPLIED
    assert stored_files() == [] and not batch.file
    assert batch.file_removed_reason == "导入完成" and batch.file_removed_at is not None
    when = batch.file_removed_at.astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert f"上传的原文件可能含个人信息，已于 {when:%Y-%m-%d %H:%M} 删除（导入完成）" in page(
        web, batch
    )
    assert Inspector.objects.get(certificate_no="A001").id_number == PERSON


def test_a_failed_validation_deletes_the_file(web, monkeypatch):
    def breaks(*args, **kwargs):
        raise RuntimeError("模拟的意外错误")

    monkeypatch.setattr(services, "plan_import", breaks)
    batch = upload(web)
    assert batch.status == ImportBatch.Status.FAILED
    assert stored_files() == [] and batch.file_removed_reason == "导入失败"


def test_a_refused_file_is_kept_for_its_error_workbook_until_abandoned(web):
    bad = f"姓名,执法证号,身份证号\n张伟,A001,{PERSON[:-1]}X\n".encode()
    batch = upload(web, bad)
    assert batch.status == ImportBatch.Status.INVALID and len(stored_files()) == 1
    errors = web.get(reverse("directory:import_errors", args=[batch.pk]))
    assert errors.status_code == 200
    # Named after the upload, once: 人员-错误说明.xlsx (never “….xlsx.xlsx”).
    assert errors["Content-Disposition"].endswith(
        "filename*=utf-8''%E4%BA%BA%E5%91%98-%E9%94%99%E8%AF%AF%E8%AF%B4%E6%98%8E.xlsx"
    )
    response = web.post(reverse("directory:import_abandon", args=[batch.pk]), follow=True)
    assert "已放弃导入 人员.csv，上传的原文件已删除。" in response.content.decode()
    batch.refresh_from_db()
    assert stored_files() == [] and batch.file_removed_reason == "已放弃"
    assert batch.status == ImportBatch.Status.INVALID  # it was refused, not merely abandoned
    # The problems can still be downloaded, without the file's rows.
    assert web.get(reverse("directory:import_errors", args=[batch.pk])).status_code == 200


def test_abandoning_a_preview_is_audited_and_only_for_its_own_bureau(
    web, organisations, make_user, client
):
    batch = upload(web)
    other = make_user("coord-b", organisations["b"], Role.COORDINATOR)
    client.force_login(other)
    assert client.post(reverse("directory:import_abandon", args=[batch.pk])).status_code == 404
    web.force_login(batch.uploaded_by)
    web.post(reverse("directory:import_abandon", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.ABANDONED and stored_files() == []
    entry = AuditEvent.objects.get(action="register.import_abandon")
    assert entry.summary == "放弃导入执法检查人员名录库：人员.csv"
    assert entry.organisation == batch.organisation
    response = web.post(reverse("directory:import_apply", args=[batch.pk]), {"reason": "x"})
    assert response.status_code == 302 and not Inspector.objects.exists()


def test_a_newer_upload_abandons_the_waiting_one(web):
    first = upload(web)
    second = upload(web, name="人员（改）.csv")
    first.refresh_from_db()
    assert first.status == ImportBatch.Status.ABANDONED
    assert first.file_removed_reason == "已上传新的文件"
    assert [p.name for p in stored_files()] == [Path(second.file.name).name]
    response = web.post(
        reverse("directory:import_apply", args=[first.pk]), {"reason": "建库"}, follow=True
    )
    assert "该文件不处于待确认状态，不能导入。" in response.content.decode()
    assert not Inspector.objects.exists()


def test_an_upload_left_waiting_expires_and_is_purged(web, settings):
    batch = upload(web)
    ImportBatch.objects.filter(pk=batch.pk).update(
        created_at=batch.created_at - dt.timedelta(hours=settings.SHUANGSUIJI_IMPORT_KEEP_HOURS + 1)
    )
    text = page(web, batch)
    assert "上传后超过 24 小时未确认，原文件已作废" in text and "确认导入" not in text
    response = web.post(
        reverse("directory:import_apply", args=[batch.pk]), {"reason": "建库"}, follow=True
    )
    assert (
        "人员.csv 上传后超过 24 小时未确认，原文件已作废，请重新上传。" in response.content.decode()
    )
    assert not Inspector.objects.exists()
    assert import_files_purge() == 1
    batch.refresh_from_db()
    assert stored_files() == [] and batch.status == ImportBatch.Status.ABANDONED
    assert batch.file_removed_reason == "超过 24 小时未确认"


def test_plain_files_left_from_before_are_purged(web):
    leftover = Path(django_settings.MEDIA_ROOT) / "imports" / "2026" / "11" / "人员.csv"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(CSV)
    batch = upload(web)  # every upload purges too
    assert not leftover.exists()
    assert [p.name for p in stored_files()] == [Path(batch.file.name).name]


def test_numbers_are_masked_in_problems_previews_and_the_audit_log(branch, coordinator, web):
    register_import(
        actor=None, organisation=branch, spec=INSPECTORS, filename="i.xlsx", reason="建库",
        content=xlsx([["姓名", "执法证号", "身份证号", "联系电话"], ["张伟", "A001", PERSON, PHONE]]),
    )  # fmt: skip
    wrong = PERSON[:-1] + ("0" if PERSON[-1] != "0" else "1")
    refused = upload(web, f"姓名,执法证号,身份证号,联系电话\n张伟,A001,{wrong},12345\n".encode())
    values = {column: value for _row, column, value, _message in refused.problems}
    assert values == {"身份证号": mask_id_number(wrong), "联系电话": "*****"}

    new_person, new_phone = id_number(8), "13987654321"
    changed = f"姓名,执法证号,身份证号,联系电话\n张伟,A001,{new_person},{new_phone}\n".encode()
    batch = upload(web, changed)
    diffs = {header: (old, new) for header, old, new in batch.summary["changes"][0]["diffs"]}
    assert diffs == {
        "身份证号": (mask_id_number(PERSON), mask_id_number(new_person)),
        "联系电话": (mask_phone(PHONE), mask_phone(new_phone)),
    }
    web.post(reverse("directory:import_apply", args=[batch.pk]), {"reason": "更新号码"})
    assert Inspector.objects.get().id_number == new_person
    logged = str(list(AuditEvent.objects.values_list("summary", "detail")))
    for number in (PERSON, PHONE, new_person, new_phone, wrong):
        assert number not in logged
    for stored in ImportBatch.objects.values_list("problems", "summary"):
        for number in (PERSON, PHONE, new_person, new_phone, wrong):
            assert number not in str(stored)


def test_the_upgrade_removes_plain_files_and_caps_stored_problems(branch, coordinator):
    """Batches stored before: their plain files deleted, their problems capped, counted and
    masked (migration directory 0006)."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "shuangsuiji.directory.migrations.0006_import_files_and_limits"
    )
    old = ImportBatch(organisation=branch, register="inspectors", original_name="人员.csv",
                      uploaded_by=coordinator, status=ImportBatch.Status.PREVIEW)  # fmt: skip
    old.file.save("人员.csv", ContentFile(CSV), save=False)
    old.problems = [[n, "身份证号", PERSON, "身份证号无效：校验码错误"] for n in range(2, 5002)]
    old.save()
    path = Path(old.file.path)
    assert path.exists()

    migration._upgrade_batches(apps, None)

    old.refresh_from_db()
    assert not path.exists() and not old.file
    assert old.status == ImportBatch.Status.ABANDONED and old.file_removed_at is not None
    assert old.problem_count == 5000
    assert len(old.problems) == django_settings.SHUANGSUIJI_IMPORT_MAX_PROBLEMS + 1
    assert old.problems[0][2] == mask_id_number(PERSON)
    assert old.problems[-1][3] == (
        "人员.csv：另有 4,000 处问题未列出（只列出前 1,000 处），请先改正以上问题后重新上传"
    )
