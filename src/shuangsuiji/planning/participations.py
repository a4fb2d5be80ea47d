"""Joining another department's 部门联合 check (保定 三、（四） "主动发起和积极参与部门联合抽查，
年度不少于3次"): the bureau records its part — the lead department's task, the day, who went and
the papers — so it counts beside the 部门联合 tasks it leads (reports.evaluators)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from shuangsuiji.accounts.access import require_own
from shuangsuiji.audit.services import audited
from shuangsuiji.planning.models import JointParticipation

FIELDS = (
    "lead_department",
    "task_number",
    "task_name",
    "checked_on",
    "targets",
    "officers",
    "documents",
    "note",
)


@audited("participation.record", "登记参与其他部门联合抽查")
@transaction.atomic
def participation_record(*, actor, organisation, **values) -> JointParticipation:
    require_own(
        actor, organisation.pk, "manage_sampling", "只有本单位的抽查管理员可以登记参与联合抽查。"
    )
    checked_on = values.get("checked_on")
    if isinstance(checked_on, dt.date) and checked_on > timezone.localdate():
        raise ValidationError(
            {"checked_on": f"检查日期（{checked_on:%Y-%m-%d}）不能晚于今天：请在检查后登记。"}
        )
    if organisation.is_partner:
        raise ValidationError("联合部门参与本局牵头的检查，在该检查的联合部门页录入，无需登记。")
    row = JointParticipation(
        organisation=organisation,
        year=checked_on.year if isinstance(checked_on, dt.date) else 0,
        recorded_by=actor,
        **{name: values.get(name, "") for name in FIELDS},
    )
    row.full_clean()
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError as error:
        raise ValidationError("已登记过参与该牵头部门的这项任务。") from error
    return row


def participations(organisation, year: int | None = None):
    rows = JointParticipation.objects.filter(organisation=organisation)
    return rows.filter(year=year) if year else rows
