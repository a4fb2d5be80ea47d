"""Every URL of the app × every role (and anonymous) → the expected status.

The matrix must name every URL pattern: a view added without an entry here fails
``test_matrix_covers_every_url``, so no view escapes the role check.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from shuangsuiji.accounts.roles import Role

ANON = "anonymous"
ROLES = [ANON, *(role.value for role in Role)]
LOGIN = 302  # anonymous visitors are sent to the login page
ALL_200 = dict.fromkeys(ROLES, 200)


def signed_in(status: int) -> dict[str, int]:
    return {ANON: LOGIN, **{role.value: status for role in Role}}


REGISTER_READERS = (Role.COORDINATOR, Role.LEADER, Role.AUDITOR)
PLAN_READERS = (Role.COORDINATOR, Role.LEADER, Role.AUDITOR)


def only(*allowed: Role) -> dict[str, int]:
    return {ANON: LOGIN, **{r.value: 200 if r in allowed else 403 for r in Role}}


# The rows pages without a figure (or a check) answer 404 to those who may read it (nothing to list).
NO_FIGURE = {r.value: 404 for r in (Role.COORDINATOR, Role.LEADER, Role.AUDITOR)}


# url name → (method, kwargs factory name or None, {role: status})
MATRIX: dict[str, tuple[str, str | None, dict[str, int]]] = {
    "home": ("get", None, signed_in(200)),
    "healthz": ("get", None, ALL_200),
    "favicon": ("get", None, ALL_200),
    "login": ("get", None, {ANON: 200, **{r.value: 302 for r in Role}}),
    "logout": ("post", None, dict.fromkeys(ROLES, 302)),
    "password_change": ("get", None, signed_in(200)),
    "password_change_done": ("get", None, signed_in(200)),
    "accounts:organisation_list": ("get", None, only(Role.SYSADMIN)),
    "accounts:organisation_create": ("get", None, only(Role.SYSADMIN)),
    "accounts:organisation_edit": ("get", "own_org", only(Role.SYSADMIN)),
    "accounts:user_list": ("get", None, only(Role.SYSADMIN)),
    "accounts:user_create": ("get", None, only(Role.SYSADMIN)),
    "accounts:user_edit": ("get", "colleague", only(Role.SYSADMIN)),
    "accounts:user_password": ("get", "colleague", only(Role.SYSADMIN)),
    "directory:list": ("get", "register", only(*REGISTER_READERS)),
    "directory:create": ("get", "register", only(Role.COORDINATOR)),
    "directory:import": ("get", "register", only(Role.COORDINATOR)),
    "directory:export": ("get", "register", only(*REGISTER_READERS)),
    "directory:template": ("get", "register", only(*REGISTER_READERS)),
    "directory:detail": ("get", "target", only(*REGISTER_READERS)),
    "directory:edit": ("get", "target", only(Role.COORDINATOR)),
    "directory:remove": ("get", "target", only(Role.COORDINATOR)),
    "directory:import_batch": ("get", "batch", only(Role.COORDINATOR)),
    "directory:import_errors": ("get", "batch", only(Role.COORDINATOR)),
    # An export is its requester's alone (his rows, his masking): a colleague gets 404.
    "directory:export_job": (
        "get",
        "export_job",
        {**only(*REGISTER_READERS), "leader": 404, "auditor": 404},
    ),
    "directory:export_file": (
        "get",
        "export_job",
        {**only(*REGISTER_READERS), "leader": 404, "auditor": 404},
    ),
    "directory:items_compare": ("get", None, only(*REGISTER_READERS)),
    "planning:policy": ("get", None, only(Role.COORDINATOR, Role.LEADER, Role.AUDITOR)),
    "planning:policy_quarter": ("get", None, only(Role.COORDINATOR, Role.LEADER, Role.AUDITOR)),
    # The matrix's bureau has no adopted policy: the coordinator is sent back to the policy page.
    "planning:policy_edit": ("get", None, {**only(Role.COORDINATOR), "coordinator": 302}),
    "planning:plans": ("get", None, only(*PLAN_READERS)),
    "planning:plan_detail": ("get", "plan", only(*PLAN_READERS)),
    "planning:plan_submit": ("post", "plan", {**only(Role.COORDINATOR), "coordinator": 302}),
    # Irreversible steps open on their confirmation page (issue 19 §4).
    "planning:plan_approve": ("get", "plan", only(Role.LEADER)),
    "planning:plan_return": ("post", "plan", {**only(Role.LEADER), "leader": 302}),
    "planning:plan_publish": ("get", "plan", only(Role.COORDINATOR)),
    "planning:plan_adjust": ("post", "plan", {**only(Role.COORDINATOR), "coordinator": 302}),
    # The matrix's bureau has no adopted policy: the coordinator is sent back to the plan with
    # the reason (the form itself: tests/planning/test_added_tasks.py).
    "planning:task_add": ("get", "plan", {**only(Role.COORDINATOR), "coordinator": 302}),
    "planning:task_edit": ("get", "task", only(Role.COORDINATOR)),
    "planning:task_prepare": ("get", "task", only(*PLAN_READERS)),
    "planning:draw_detail": ("get", "draw", only(*PLAN_READERS)),
    "planning:draw_reveal": ("get", "draw", only(Role.COORDINATOR)),
    "planning:draw_abort": ("get", "draw", only(Role.COORDINATOR)),
    "planning:draw_bundle": ("get", "draw", only(*PLAN_READERS)),
    "planning:inspection_substitute": (
        "post",
        "inspection",
        {**only(Role.COORDINATOR), "coordinator": 302},
    ),
    "planning:inspection_assign": ("get", "inspection", only(Role.COORDINATOR)),
    "planning:conflicts": ("get", None, only(Role.COORDINATOR, Role.INSPECTOR)),
    "inspections:mine": ("get", None, only(Role.INSPECTOR)),
    "inspections:targeted_new": ("get", None, only(Role.COORDINATOR)),
    # Records are for the team (checked inside the view) and for readers of the organisation.
    "inspections:record": ("get", "inspection", only(Role.COORDINATOR, Role.LEADER, Role.AUDITOR)),
    "inspections:checklist_pdf": (
        "get",
        "inspection",
        only(Role.COORDINATOR, Role.LEADER, Role.AUDITOR),
    ),
    "inspections:letters": (
        "get",
        "inspection",
        only(Role.COORDINATOR, Role.LEADER, Role.AUDITOR),
    ),
    "inspections:attachment": (
        "get",
        "attachment",
        only(Role.COORDINATOR, Role.LEADER, Role.AUDITOR),
    ),
    "inspections:attachment_upload": ("post", "inspection", only()),
    "inspections:reopen": ("post", "inspection", {**only(Role.COORDINATOR), "coordinator": 302}),
    # 保定 三（二）: an empty or refused choice is a message back on the inspection page.
    "inspections:assistant_add": (
        "post",
        "inspection",
        {**only(Role.COORDINATOR), "coordinator": 302},
    ),
    "inspections:assistant_remove": (
        "post",
        "assistant",
        {**only(Role.COORDINATOR), "coordinator": 302},
    ),
    "inspections:follow_up_open": (
        "post",
        "inspection",
        {**only(Role.COORDINATOR), "coordinator": 302},
    ),
    "inspections:follow_up_close": (
        "post",
        "follow_up",
        {**only(Role.COORDINATOR), "coordinator": 302},
    ),
    "inspections:overdue": ("get", None, only(Role.COORDINATOR)),
    # 部门联合: a department's parts (the bureau's own coordinator and inspectors see none).
    "inspections:parts": ("get", None, only(Role.COORDINATOR, Role.INSPECTOR)),
    # The lead bureau reads a partner's part; its inspector, not on it, does not find it.
    "inspections:part": (
        "get",
        "part",
        {**only(Role.COORDINATOR, Role.LEADER, Role.AUDITOR, Role.INSPECTOR), "inspector": 404},
    ),
    "planning:participations": ("get", None, only(*PLAN_READERS)),
    "reports:upward": ("get", None, only(*PLAN_READERS)),
    "exchange:batches": ("get", None, only(Role.COORDINATOR, Role.LEADER, Role.AUDITOR)),
    # An empty kind: a message, and back to the list.
    "exchange:create": ("post", None, {**only(Role.COORDINATOR), "coordinator": 302}),
    "exchange:file": ("get", "exchange_file", only(Role.COORDINATOR, Role.LEADER, Role.AUDITOR)),
    # Without a period named, the coordinator is sent back with a message.
    "reports:upward_submit": ("get", None, {**only(Role.COORDINATOR), "coordinator": 302}),
    # An empty form: back with a message.
    "reports:upward_deadline": ("post", None, {**only(Role.COORDINATOR), "coordinator": 302}),
    "reports:upward_detail": ("get", "upward", only(*PLAN_READERS)),
    "reports:upward_table_file": ("get", "upward", only(*PLAN_READERS)),
    "reports:upward_adjustments_file": ("get", "upward", only(*PLAN_READERS)),
    # Only the receiving 市局 reviews: every role of the 分局 is refused.
    "reports:upward_return": ("post", "upward", only()),
    "reports:upward_accept": ("get", "upward", only()),
    # 限定范围: a partner department's list; a bureau's readers find it empty.
    "inspections:shared": (
        "get",
        None,
        only(Role.COORDINATOR, Role.LEADER, Role.AUDITOR, Role.INSPECTOR),
    ),
    "bureau:plan_documents": ("get", None, only(Role.COORDINATOR, Role.LEADER, Role.AUDITOR)),
    "bureau:plan_document_upload": ("get", None, only(Role.COORDINATOR)),
    "bureau:plan_document_withdraw": ("get", "plan_document", only(Role.COORDINATOR)),
    "bureau:plan_document_file": (
        "get",
        "plan_document",
        only(Role.COORDINATOR, Role.LEADER, Role.AUDITOR),
    ),
    "disclosure:plan_document": ("get", "public_plan_document", ALL_200),
    "inspections:revisit_sample": (
        "post",
        "draw_pk",
        {**only(Role.COORDINATOR), "coordinator": 302},
    ),
    "inspections:revisit_record": (
        "post",
        "revisit",
        {**only(Role.COORDINATOR), "coordinator": 302},
    ),
    # An inspector not in the inspection's team is refused inside the view.
    "inspections:detail": ("get", "inspection", only(Role.COORDINATOR, Role.LEADER, Role.AUDITOR)),
    "planning:task_coverage": ("post", "task", {**only(Role.COORDINATOR), "coordinator": 302}),
    "planning:settings": ("get", None, only(Role.SYSADMIN)),
    "planning:calendar": ("get", None, only(Role.SYSADMIN)),
    "reports:statistics": ("get", None, only(*PLAN_READERS)),
    "reports:statistics_file": ("get", "xlsx", only(*PLAN_READERS)),
    "reports:rows": ("get", None, {**only(*PLAN_READERS), **NO_FIGURE}),
    "reports:dashboard": ("get", None, only(*PLAN_READERS)),
    "reports:dashboard_file": ("get", "xlsx", only(*PLAN_READERS)),
    # Without a check named, there are no rows to list.
    "reports:check_rows": ("get", None, {**only(*PLAN_READERS), **NO_FIGURE}),
    "reports:plan_file": ("get", "plan_xlsx", only(*PLAN_READERS)),
    "reports:items_file": ("get", "xlsx", only(*PLAN_READERS)),
    "reports:archive": ("get", None, only(*PLAN_READERS)),
    "reports:archive_file": ("get", None, only(*PLAN_READERS)),
    "audit:list": ("get", None, only(Role.LEADER, Role.AUDITOR)),
    "audit:heads": ("get", None, ALL_200),
    "disclosure:index": ("get", None, ALL_200),
    "disclosure:organisation": ("get", "org_code", ALL_200),
    "disclosure:plan": ("get", "public_plan", ALL_200),
    "disclosure:draw": ("get", "draw_id", ALL_200),
    "disclosure:draw_bundle": ("get", "draw_id", ALL_200),
    "disclosure:draw_file": ("get", "draw_file", ALL_200),
    "disclosure:search": ("get", None, ALL_200),
    "disclosure:enterprise": ("get", "credit_code", ALL_200),
    "disclosure:items": ("get", "org_code", ALL_200),
    "disclosure:policy": ("get", "org_code", ALL_200),
    "disclosure:targets": ("get", "org_code", ALL_200),
    "disclosure:inspectors": ("get", "org_code", ALL_200),
    "disclosure:results": ("get", "org_code", ALL_200),
    "disclosure:results_xlsx": ("get", "org_code", ALL_200),
    "inspections:publication": ("get", None, only(Role.COORDINATOR)),
    # The matrix's inspection has no result yet: the release is refused with a message.
    "inspections:release": ("post", "inspection", {**only(Role.COORDINATOR), "coordinator": 302}),
    # Open data: public, no login.
    "api_home": ("get", None, dict.fromkeys(ROLES, 302)),
    "api:api-root": ("get", None, dict.fromkeys(ROLES, 302)),  # the same URL as api_home
    "api:openapi-json": ("get", None, ALL_200),
    "api:openapi-view": ("get", None, ALL_200),
    "api:organisations": ("get", None, ALL_200),
    "api:plans": ("get", "org_code", ALL_200),
    "api:items": ("get", "org_code", ALL_200),
    "api:targets": ("get", "org_code", ALL_200),
    "api:inspectors": ("get", "org_code", ALL_200),
    "api:draws": ("get", None, ALL_200),
    "api:draw_detail": ("get", "draw_id", ALL_200),
    "api:draw_bundle": ("get", "draw_id", ALL_200),
    "api:results": ("get", None, ALL_200),
    # An empty confirmation is refused with a message and sent back to the batch page.
    "directory:import_apply": ("post", "batch", {**only(Role.COORDINATOR), "coordinator": 302}),
    # A batch still validating cannot be abandoned: a message and back to the batch page.
    "directory:import_abandon": ("post", "batch", {**only(Role.COORDINATOR), "coordinator": 302}),
    # 显示 on a register without personal numbers (targets) has nothing to show.
    "directory:reveal": ("post", "target", {**only(Role.COORDINATOR), "coordinator": 404}),
}


def _names(resolver: URLResolver, namespace: str = "") -> set[str]:
    names = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # Django admin: superusers only, checked in test_django_admin_is_closed
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= _names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names


def test_matrix_covers_every_url():
    assert _names(get_resolver()) == set(MATRIX)


@pytest.fixture
def people(organisations, make_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from shuangsuiji.directory.models import Target
    from shuangsuiji.directory.registers import TARGETS
    from shuangsuiji.directory.services import import_batch_create

    users = {role.value: make_user(f"u-{role.value}", organisations["a"], role) for role in Role}
    target = Target.objects.create(
        organisation=organisations["a"], credit_code="91130281MA0C12345C", name="甲"
    )
    batch = import_batch_create(
        actor=users["coordinator"],
        spec=TARGETS,
        upload=SimpleUploadedFile("a.csv", "统一社会信用代码,单位名称\n".encode()),
    )
    from shuangsuiji.reports.upward import ReportPeriod, upward_report_submit

    upward = upward_report_submit(actor=users["coordinator"], organisation=organisations["a"],
                                  period=ReportPeriod(2025, 4))  # fmt: skip
    from shuangsuiji.disclosure.exchange import exchange_export

    exchange = exchange_export(actor=None, organisation=organisations["a"], kind="results")
    from django.http import QueryDict

    from shuangsuiji.directory.services import export_job_create
    from shuangsuiji.directory.tasks import task_run_now

    export_job = export_job_create(actor=users["coordinator"], spec=TARGETS, query=QueryDict())
    task_run_now(export_job.task_id)
    return {"users": users, "own_org": organisations["a"], "target": target, "batch": batch,
            "upward": upward, "exchange_batch": exchange, "export_job": export_job,
            **_sampling_objects(organisations["a"], target)}  # fmt: skip


def _sampling_objects(organisation, target):
    """A plan with a task, a committed draw and an inspection, created directly."""
    import datetime as dt

    from django.utils import timezone

    from shuangsuiji.inspections.models import Inspection
    from shuangsuiji.planning.models import AnnualPlan, Draw, PlanRevision, SamplingTask

    plan = AnnualPlan.objects.create(organisation=organisation, year=2026)
    PlanRevision.objects.create(plan=plan, version=1, published_at=timezone.now(),
                                snapshot={"tasks": [], "issued_on": "2026-01-10"})  # fmt: skip
    task = SamplingTask.objects.create(
        plan=plan, organisation=organisation, sequence=1, number="2026001", name="一季度随机抽查",
        quarter=1, classes=["KEY"], target_scope="辖区", ratio_text="25%", draw_date=dt.date(2026, 1, 15),
        initiator=organisation.name, basis="方案",
    )  # fmt: skip
    draw = Draw.objects.create(
        task=task, organisation=organisation, draw_id="130281-2026001-1", quarter="2026Q1",
        params='{"strata": [], "committed_at": "2026-01-15T09:00:00+08:00"}', pool="",
        roster="", conflicts="", commitment="{}", salt=b"\x00" * 32, reveal_on=dt.date(2026, 12, 31),
    )  # fmt: skip
    inspection = Inspection.objects.create(
        organisation=organisation, task=task, draw=draw, target=target, year=2026,
        kind=Inspection.Kind.RANDOM, stratum="KEY", status=Inspection.Status.NEEDS_TEAM,
    )  # fmt: skip
    from django.core.files.base import ContentFile

    from shuangsuiji.inspections.models import Attachment

    attachment = Attachment(inspection=inspection, kind="照片", original_name="a.pdf", size=9,
                            content_type="application/pdf", uploaded_by=organisation.users.first())  # fmt: skip
    attachment.file.save("a.pdf", ContentFile(b"%PDF-1.4\n"), save=False)
    attachment.save()
    from shuangsuiji.inspections.models import FollowUp

    follow_up = FollowUp.objects.create(
        inspection=inspection, organisation=organisation, kind="rectify",
        opened_on=dt.date(2026, 3, 1),
        deadline=dt.date(2026, 3, 31), created_by=organisation.users.first(),
    )  # fmt: skip
    from shuangsuiji.inspections.models import Revisit

    revisit = Revisit.objects.create(inspection=inspection, draw=draw, rank=1, key="00")
    from shuangsuiji.directory.models import Inspector
    from shuangsuiji.inspections.models import InspectionAssistant

    expert = Inspector.objects.create(organisation=organisation, name="专家甲", certificate_no="ZJ001",
                                      category="expert")  # fmt: skip
    assistant = InspectionAssistant.objects.create(inspection=inspection, person=expert,
                                                   role="expert", reason="专业判断")  # fmt: skip
    from shuangsuiji.accounts.models import Organisation, OrganisationLevel
    from shuangsuiji.inspections.models import InspectionPart

    partner = Organisation.objects.create(code="13028101", name="遵化市住房和城乡建设局",
                                          parent=organisation, level=OrganisationLevel.PARTNER,
                                          path="/")  # fmt: skip
    partner.path = f"{organisation.path}{partner.pk}/"  # a path of keys, as organisation_create
    partner.save(update_fields=["path"])
    part = InspectionPart.objects.create(inspection=inspection, organisation=partner,
                                         status=InspectionPart.Status.NEEDS_TEAM)  # fmt: skip
    from shuangsuiji.bureau.models import PlanDocument

    plan_document = PlanDocument(organisation=organisation, year=2026, title="实施方案",
                                 document_number="遵环〔2026〕1号", issued_on=dt.date(2026, 1, 10),
                                 kind="pdf", original_name="a.pdf", size=9, sha256="0" * 64,
                                 uploaded_by=organisation.users.first())  # fmt: skip
    plan_document.file.save("a.pdf", ContentFile(b"%PDF-1.4\n"), save=False)
    plan_document.save()
    return {"plan": plan, "task": task, "draw": draw, "inspection": inspection,
            "attachment": attachment, "follow_up": follow_up, "revisit": revisit,
            "assistant": assistant, "part": part, "plan_document": plan_document}  # fmt: skip


@pytest.mark.parametrize("url_name", sorted(MATRIX))
@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(client, people, url_name, role):
    from django.urls import reverse

    method, kwargs_from, expected = MATRIX[url_name]
    kwargs = {
        None: {},
        "own_org": {"pk": people["own_org"].pk},
        "colleague": {"pk": people["users"][Role.COORDINATOR.value].pk},
        "register": {"register": "targets"},
        "target": {"register": "targets", "pk": people["target"].pk},
        "batch": {"pk": people["batch"].pk},
        "export_job": {"pk": people["export_job"].pk},
        "plan": {"pk": people["plan"].pk},
        "task": {"pk": people["task"].pk},
        "draw": {"pk": people["draw"].pk},
        "inspection": {"pk": people["inspection"].pk},
        "attachment": {"pk": people["inspection"].pk, "attachment_id": people["attachment"].pk},
        "follow_up": {"pk": people["inspection"].pk, "follow_up_id": people["follow_up"].pk},
        "assistant": {"pk": people["inspection"].pk, "assistant_id": people["assistant"].pk},
        "draw_pk": {"draw_pk": people["draw"].pk},
        "revisit": {"pk": people["revisit"].pk},
        "part": {"pk": people["part"].pk},
        "upward": {"pk": people["upward"].pk},
        "exchange_file": {"pk": people["exchange_batch"].pk, "name": "manifest.json"},
        "plan_document": {"pk": people["plan_document"].pk},
        "public_plan_document": {"code": people["own_org"].code, "pk": people["plan_document"].pk},
        "org_code": {"code": people["own_org"].code},
        "public_plan": {"code": people["own_org"].code, "year": 2026, "version": 1},
        "draw_id": {"draw_id": people["draw"].draw_id},
        "draw_file": {"draw_id": people["draw"].draw_id, "name": "params.json"},
        "credit_code": {"credit_code": people["target"].credit_code},
        "xlsx": {"fmt": "xlsx"},
        "plan_xlsx": {"pk": people["plan"].pk, "fmt": "xlsx"},
    }[kwargs_from]
    if role != ANON:
        client.force_login(people["users"][role])
    response = getattr(client, method)(reverse(url_name, kwargs=kwargs))
    assert response.status_code == expected[role], f"{role} → {url_name}"
    if (
        expected[role] == LOGIN
        and role == ANON
        and url_name not in {"logout", "login", "api_home", "api:api-root"}
    ):
        assert response["Location"].startswith("/login/")


def test_django_admin_is_closed_to_roles(client, people):
    for user in people["users"].values():
        client.force_login(user)
        response = client.get("/django-admin/")
        assert response.status_code == 302
        assert "/django-admin/login/" in response["Location"]
