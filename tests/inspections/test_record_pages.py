"""The record page on a phone: draft, submit, attachments behind a permission check (BD-3.3b)."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shuangsuiji.accounts.roles import Role
from shuangsuiji.inspections.models import Inspection, ItemCheck
from shuangsuiji.planning.models import Draw

PDF = b"%PDF-1.4\n%test\n"


def form_data(inspection, **extra):
    data = {
        "checked_at": "2026-11-20T10:30", "method_used": "现场检查", "representative": "王厂长",
        "present_members": [m.inspector.certificate_no for m in inspection.members.all()],
        "result_category": "no_problem", "findings": "设施运行正常", "public_summary": "未发现问题",
        "confidentiality": "", "confidential_reason": "", "determined_on": "2026-11-20",
    }  # fmt: skip
    for item in inspection.items.all():
        data[f"item_{item.pk}"] = "pass"
        data[f"note_{item.pk}"] = ""
    return {**data, **extra}


def test_team_saves_draft_then_submits(setup, client):
    s = setup("zunhua-2024")
    inspection = s["inspection"]
    client.force_login(s["inspector"])
    page = client.get(reverse("inspections:mine")).content.decode()
    assert "填写检查记录" in page
    response = client.post(
        reverse("inspections:record", args=[inspection.pk]), form_data(inspection, save="1")
    )
    assert response.status_code == 302
    inspection.refresh_from_db()
    assert inspection.status == Inspection.Status.ASSIGNED and inspection.representative == "王厂长"
    client.post(
        reverse("inspections:record", args=[inspection.pk]), form_data(inspection, submit="1")
    )
    inspection.refresh_from_db()
    assert inspection.status == Inspection.Status.DONE
    assert inspection.item_checks.count() == inspection.items.count()


def test_item_outcomes_are_written_changed_and_cleared_with_their_history(setup, client):
    """Each item's 检查结论 as the team last saved it, every change in the item's history under
    the inspector's name; the checks written in one statement per kind of write, whatever the
    number of items (issue 21 §3: every statement on PostgreSQL runs the version trigger)."""
    s = setup("zunhua-2024")
    inspection, user = s["inspection"], s["inspector"]
    first, second, *rest = list(inspection.items.all())
    client.force_login(user)
    url = reverse("inspections:record", args=[inspection.pk])
    data = form_data(inspection, save="1")
    data |= {f"item_{first.pk}": "problem", f"note_{first.pk}": "废水排放口标识缺失"}
    with CaptureQueriesContext(connection) as queries:
        assert client.post(url, data).status_code == 302
    assert writes(queries) == {"INSERT": 1}
    checks = {c.item_id: (c.outcome, c.note) for c in inspection.item_checks.all()}
    assert checks == {first.pk: ("problem", "废水排放口标识缺失"),
                      **{item.pk: ("pass", "") for item in (second, *rest)}}  # fmt: skip

    data = form_data(inspection, save="1") | {f"item_{second.pk}": ""}
    with CaptureQueriesContext(connection) as queries:
        assert client.post(url, data).status_code == 302
    assert writes(queries) == {"UPDATE": 1, "DELETE": 1}
    checks = {c.item_id: (c.outcome, c.note) for c in inspection.item_checks.all()}
    assert checks == {item.pk: ("pass", "") for item in (first, *rest)}  # second cleared
    history = ItemCheck.history.filter(inspection_id=inspection.pk)
    assert [(h.history_type, h.outcome) for h in history.filter(item_id=first.pk)
            .order_by("history_id")] == [("+", "problem"), ("~", "pass")]  # fmt: skip
    assert [h.history_type for h in history.filter(item_id=second.pk).order_by("history_id")] == [
        "+",
        "-",
    ]
    assert set(history.values_list("history_user_id", flat=True)) == {user.pk}


def writes(queries) -> dict[str, int]:
    """The statements that wrote the item checks (not their history), by kind."""
    found: dict[str, int] = {}
    for query in queries.captured_queries:
        sql = query["sql"]
        kind = sql.split(None, 1)[0].upper()
        if kind in ("INSERT", "UPDATE", "DELETE") and (
            sql.startswith(f'{kind} INTO "inspections_itemcheck"')
            or sql.startswith(f'{kind} "inspections_itemcheck"')
            or sql.startswith(f'{kind} FROM "inspections_itemcheck"')
        ):
            found[kind] = found.get(kind, 0) + 1
    return found


def test_submit_refusal_is_shown_not_an_error_page(setup, client):
    s = setup("jiangxian-2025")
    client.force_login(s["inspector"])
    url = reverse("inspections:record", args=[s["inspection"].pk])
    response = client.post(url, form_data(s["inspection"], submit="1"), follow=True)
    assert response.status_code == 200
    assert "须上传：现场检查表（四、（六））" in response.content.decode()


def test_the_records_rule_reads_the_files_uploaded_once(setup, client):
    """绛县 四、（六） asks a 现场检查 for its signed records: the form says which are missing for
    the result entered and, live, for a result with or without a violation, from the one read
    of the files it lists (issue 21 §3), and stops asking for a file once it is uploaded."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    s = setup("jiangxian-2025")
    inspection = s["inspection"]
    client.force_login(s["inspector"])
    url = reverse("inspections:record", args=[inspection.pk])
    client.post(url, form_data(inspection, save="1"))
    with CaptureQueriesContext(connection) as captured:
        page = client.get(url).content.decode()
    reads = [q for q in captured.captured_queries if 'FROM "inspections_attachment"' in q["sql"]]
    assert len(reads) == 1
    assert "须上传：现场检查表（四、（六））" in page and 'data-clean="现场检查' in page
    client.post(reverse("inspections:attachment_upload", args=[inspection.pk]),
                {"kind": "现场检查表", "file": SimpleUploadedFile("签字表.pdf", PDF)})  # fmt: skip
    page = client.get(url).content.decode()
    assert "须上传：现场检查表" not in page and "现场检查表：签字表.pdf" in page


def test_attachment_served_only_after_the_check(setup, client, make_user):
    s = setup("zunhua-2024")
    inspection = s["inspection"]
    client.force_login(s["inspector"])
    client.post(reverse("inspections:attachment_upload", args=[inspection.pk]),
                {"kind": "现场检查表", "file": SimpleUploadedFile("签字表.pdf", PDF)})  # fmt: skip
    attachment = inspection.attachments.get()
    url = reverse("inspections:attachment", args=[inspection.pk, attachment.pk])
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    client.force_login(make_user("13028120268888", s["county"], Role.INSPECTOR))
    assert client.get(url).status_code == 403
    # The city bureau reads its branches' records, but not before the draw's list is public.
    client.force_login(make_user("city", s["county"].parent, Role.COORDINATOR))
    assert client.get(url).status_code == 404
    Draw.objects.filter(pk=inspection.draw_id).update(status=Draw.Status.REVEALED)
    assert client.get(url).status_code == 200


def test_coordinator_reopens_with_reason(setup, client):
    s = setup("zunhua-2024")
    inspection = s["inspection"]
    client.force_login(s["inspector"])
    client.post(
        reverse("inspections:record", args=[inspection.pk]), form_data(inspection, submit="1")
    )
    client.force_login(s["coordinator"])
    client.post(reverse("inspections:reopen", args=[inspection.pk]), {"reason": "认定日期有误"})
    inspection.refresh_from_db()
    assert (
        inspection.status == Inspection.Status.ASSIGNED
        and inspection.reopened_reason == "认定日期有误"
    )


def test_printable_checklist_pdf(setup, client):
    """JX-4.6: the 现场检查表 is printed pre-filled with target, items and team, for signature."""
    import io

    from pypdf import PdfReader

    s = setup("zunhua-2024")
    inspection = s["inspection"]
    client.force_login(s["inspector"])
    response = client.get(reverse("inspections:checklist_pdf", args=[inspection.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    squeezed = "".join(text.split())
    assert "现场检查表" in squeezed
    assert inspection.target.name in squeezed and inspection.target.credit_code in squeezed
    for member in inspection.members.all():
        assert member.inspector.name in squeezed and member.inspector.certificate_no in squeezed
    for item in inspection.items.all():
        assert item.name in squeezed


def test_the_forms_inputs_are_those_djangos_own_templates_give(setup):
    """The forms' inputs are written as the Jinja2 widget templates Django ships write them
    (``FORM_RENDERER``, issue 21 §3; ``tests/test_widgets.py`` compares the two byte for byte):
    the record form's every input, choice, attribute and label are what Django's own template
    language gives, whitespace between them aside."""
    import re

    from django.forms.renderers import DjangoTemplates, Jinja2, get_default_renderer

    from shuangsuiji.inspections.forms import RecordForm

    assert isinstance(get_default_renderer(), Jinja2)
    s = setup("jiangxian-2025")
    inspection = s["inspection"]
    members = list(inspection.members.select_related("inspector"))
    items = list(inspection.items.all())

    def inputs(**renderer) -> str:
        form = RecordForm(
            form_data(inspection, confidentiality="commercial"),
            inspection=inspection, items=items, checks={}, members=members, **renderer,
        )  # fmt: skip
        form.is_valid()
        html = "".join(str(field) for field in form)
        return re.sub(r">\s+", ">", re.sub(r"\s+<", "<", re.sub(r"\s+", " ", html)))

    shown = inputs()
    assert 'type="checkbox" name="present_members"' in shown and 'type="radio"' in shown
    assert "<textarea" in shown and "selected>" in shown
    assert shown == inputs(renderer=DjangoTemplates())
