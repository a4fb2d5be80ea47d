"""The inspector edit form (issue 15, finding 9): it showed the full 身份证号 and 联系电话.

Now the numbers are masked on the form; saving with the mask untouched keeps the stored number,
a new number replaces it, and the full numbers are shown only through 显示 — a POST open to
the bureau's own register manager, written to the audit log.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from shuangsuiji.accounts.roles import Role
from shuangsuiji.audit.models import AuditEvent
from shuangsuiji.directory.codes import mask_id_number, mask_phone
from shuangsuiji.directory.models import Inspector
from shuangsuiji.directory.registers import INSPECTORS
from shuangsuiji.directory.services import register_import
from tests.support.workbooks import id_number, xlsx

PERSON = id_number(7)
PHONE = "13812345678"


@pytest.fixture
def inspector(branch):
    register_import(
        actor=None, organisation=branch, spec=INSPECTORS, filename="人员.xlsx", reason="建库",
        content=xlsx([["姓名", "执法证号", "身份证号", "联系电话", "所属部门"],
                      ["张伟", "A001", PERSON, PHONE, "执法大队"]]),
    )  # fmt: skip
    return Inspector.objects.get()


def edit_url(inspector) -> str:
    return reverse("directory:edit", args=["inspectors", inspector.pk])


def reveal_url(inspector) -> str:
    return reverse("directory:reveal", args=["inspectors", inspector.pk])


def form_as_shown(inspector, **changes) -> dict[str, str]:
    """What the browser sends back: the form's fields as the page filled them, then edited."""
    data = {
        "name": inspector.name,
        "certificate_no": inspector.certificate_no,
        "id_number": mask_id_number(PERSON),
        "phone": mask_phone(PHONE),
        "department": inspector.department,
        "category": "执法人员",
        "on_duty": "是",
        "reason": "信息更新",
    }
    return {**data, **changes}


def test_the_edit_form_shows_the_numbers_masked(client, coordinator, inspector):
    client.force_login(coordinator)
    text = client.get(edit_url(inspector)).content.decode()
    assert PERSON not in text and PHONE not in text
    assert f'value="{mask_id_number(PERSON)}"' in text and f'value="{mask_phone(PHONE)}"' in text
    assert f'action="{reveal_url(inspector)}"' in text and "显示" in text


def test_saving_with_the_masks_untouched_keeps_the_numbers(client, coordinator, inspector):
    client.force_login(coordinator)
    response = client.post(edit_url(inspector), form_as_shown(inspector, department="第一中队"))
    assert response.status_code == 302
    inspector.refresh_from_db()
    assert (inspector.department, inspector.id_number, inspector.phone) == (
        "第一中队",
        PERSON,
        PHONE,
    )


def test_a_new_number_replaces_the_stored_one(client, coordinator, inspector):
    client.force_login(coordinator)
    new_person = id_number(8)
    response = client.post(
        edit_url(inspector), form_as_shown(inspector, id_number=new_person, phone="")
    )
    assert response.status_code == 302
    inspector.refresh_from_db()
    assert (inspector.id_number, inspector.phone) == (new_person, "")
    # A mask that is not the stored number's is refused like any other wrong number.
    response = client.post(edit_url(inspector), form_as_shown(inspector))
    assert response.status_code == 200 and "身份证号无效" in response.content.decode()


def test_show_reveals_the_numbers_once_and_is_audited(client, coordinator, inspector):
    client.force_login(coordinator)
    assert client.get(reveal_url(inspector)).status_code == 405
    response = client.post(reveal_url(inspector))
    text = response.content.decode()
    assert response.status_code == 200
    assert f'value="{PERSON}"' in text and f'value="{PHONE}"' in text
    assert f'action="{edit_url(inspector)}"' in text  # saving goes to the edit page
    entry = AuditEvent.objects.get(action="register.reveal_personal")
    assert entry.summary == "查看完整身份证号和联系电话：张伟"
    assert (entry.actor, entry.organisation) == (coordinator, inspector.organisation)
    assert PERSON not in str(entry.detail) and PHONE not in str(entry.detail)
    # Revealed, the form saves as it is.
    response = client.post(edit_url(inspector), form_as_shown(inspector, id_number=PERSON))
    assert response.status_code == 302
    inspector.refresh_from_db()
    assert inspector.id_number == PERSON


def test_only_the_own_register_manager_may_reveal(client, organisations, make_user, inspector):
    for user, status in (
        (make_user("coord-b", organisations["b"], Role.COORDINATOR), 404),
        (make_user("leader-a", organisations["a"], Role.LEADER), 403),
        (make_user("auditor-a", organisations["a"], Role.AUDITOR), 403),
        (make_user("coord-city", organisations["city"], Role.COORDINATOR), 404),
    ):
        client.force_login(user)
        response = client.post(reveal_url(inspector))
        assert response.status_code == status, user
        assert PERSON not in response.content.decode()
    assert not AuditEvent.objects.filter(action="register.reveal_personal").exists()


def test_an_inspector_leaves_and_returns_with_the_reason_in_the_history(inspector, coordinator):
    """Removing an inspector answered 500: the history row was looked up by the encrypted
    身份证号, which never matches (found by tests/fuzz/test_forms_fuzz.py)."""
    from shuangsuiji.directory.services import record_remove, record_restore

    record_remove(actor=coordinator, instance=inspector, reason="调离")
    record_restore(actor=coordinator, instance=inspector, reason="调回")
    reasons = list(
        inspector.history.order_by("-history_id").values_list("history_change_reason", flat=True)[
            :2
        ]
    )
    assert reasons == ["调回", "调离"]
