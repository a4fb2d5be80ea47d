"""``make demo`` builds each preset county's year so far through the real services, so every
page has data on first start: on 2026-11-22 the first three quarters are drawn, inspected,
followed up and public; the fourth is drawn and under way, its list still secret.

One demo build for the package (tests/demo_nov/conftest.py), rolled back afterwards.
"""

import datetime as dt
import json
import math
from collections import Counter

import pytest
from django.utils import timezone

from tests.demo_nov.conftest import TODAY
from tests.test_demo import PRESET_CODES, dated_after

HUOJIA, JIANGXIAN, BAODING = "410724", "140826", "130600"


@pytest.fixture(scope="module")
def build(demo_build):
    """The package's demo (tests/demo_nov/conftest.py)."""
    return demo_build


def local_date(moment):
    return timezone.localtime(moment).date()


def test_each_county_has_its_plan_and_four_quarters(db, build):
    from shuangsuiji.inspections.models import Inspection
    from shuangsuiji.planning.models import AnnualPlan, Draw
    from shuangsuiji.planning.plans import plan_warnings

    drafts = 0
    for code in PRESET_CODES:
        plan = AnnualPlan.objects.get(organisation__code=code, year=2026)
        assert plan.status == AnnualPlan.Status.PUBLISHED and plan.revisions.exists()
        assert plan.issued_on.month == 1 and plan_warnings(plan, TODAY.date()) == []
        draws = {d.task.quarter: d for d in Draw.objects.filter(task__plan=plan)}
        for quarter in (1, 2, 3):
            draw = draws[quarter]
            assert draw.status == Draw.Status.REVEALED and draw.verified is True, draw
            # Done in its quarter, as a bureau working through the year would have.
            start = dt.date(2026, 3 * quarter - 2, 1)
            assert start <= local_date(draw.committed_at) < local_date(draw.revealed_at)
            assert local_date(draw.revealed_at) < dt.date(2026, 3 * quarter + 1, 1)
            statuses = set(draw.inspections.values_list("status", flat=True))
            assert statuses <= {Inspection.Status.DONE, Inspection.Status.SUBSTITUTED}, draw
        current = draws[4]
        assert current.status == Draw.Status.DRAWN and current.verified is None
        statuses = Counter(current.inspections.values_list("status", flat=True))
        assert statuses[Inspection.Status.DONE] and statuses[Inspection.Status.ASSIGNED], statuses
        drafts += current.inspections.filter(
            status=Inspection.Status.ASSIGNED, checked_at__isnull=False
        ).count()
    assert drafts  # teams keep drafts of checks made but not yet determined


def test_results_have_a_plausible_mix(db, build):
    from shuangsuiji.inspections.models import Inspection, ResultCategory

    done = Inspection.objects.filter(year=2026, status=Inspection.Status.DONE)
    categories = Counter(done.values_list("result_category", flat=True))
    assert set(categories) == {
        ResultCategory.NO_PROBLEM,
        ResultCategory.ORDERED,
        ResultCategory.CASE_FILED,
        ResultCategory.NO_ACTIVITY,
    }
    assert categories[ResultCategory.NO_PROBLEM] > done.count() / 2
    for code in PRESET_CODES:
        assert done.filter(organisation__code=code, result_category=ResultCategory.ORDERED)
    secret = done.exclude(confidentiality="")
    assert secret.exists()
    assert all(i.confidential_reason and not i.public_summary for i in secret)
    methods = Counter(done.values_list("method_used", flat=True))
    assert methods["现场检查"] > methods["书面检查"] > 0
    # A class the plan checks 非现场 is checked that way.
    assert not done.filter(method="非现场检查").exclude(method_used="非现场检查").exists()
    assert done.filter(submitted_by__isnull=True).count() == 0  # entered by a team member


def test_public_results_show_revealed_quarters_only(db, build):
    from shuangsuiji.disclosure.selectors import public_results
    from shuangsuiji.inspections.models import Inspection
    from shuangsuiji.inspections.selectors import publication

    on_time = late = 0
    for code in PRESET_CODES:
        public = public_results().filter(organisation__code=code)
        assert set(public.exclude(task__quarter=None).values_list("task__quarter", flat=True)) == {
            1,
            2,
            3,
        }
        hidden = Inspection.objects.filter(
            organisation__code=code, task__quarter=4, status=Inspection.Status.DONE
        )
        assert hidden.exists() and not public.filter(pk__in=hidden).exists()
        # Every public result of a revealed draw is published, 涉密 and 定向 ones never.
        revealed = Inspection.objects.filter(
            organisation__code=code,
            draw__status="revealed",
            status=Inspection.Status.DONE,
            confidentiality="",
        )
        assert public.count() == revealed.count()
        report = publication(public.first().organisation, 2026, TODAY.date())
        on_time, late = on_time + report.on_time, late + report.late
    # Mostly within the 20 working days, a few late.
    assert 0 < late < on_time / 5


def test_violations_are_followed_up(db, build):
    from shuangsuiji.directory.models import RegulatoryEvent
    from shuangsuiji.directory.vocabulary import EventKind
    from shuangsuiji.inspections.models import FollowUp, Inspection, ResultCategory

    violations = Inspection.objects.filter(
        status=Inspection.Status.DONE,
        result_category__in=[ResultCategory.ORDERED, ResultCategory.CASE_FILED],
    )
    assert violations.exists()
    assert not violations.filter(follow_ups__isnull=True).exists()
    steps = Counter(
        (kind, closed is not None)
        for kind, closed in FollowUp.objects.values_list("kind", "closed_on")
    )
    assert steps["rectify", True] > steps["rectify", False] > 0
    assert steps["case", True] and steps["case", False]
    penalties = FollowUp.objects.filter(kind="case", penalty_decided_on__isnull=False)
    assert penalties.exists()
    assert RegulatoryEvent.objects.filter(kind=EventKind.PENALTY, source="inspection").exists()
    # The first quarter's 责令整改 are mostly closed by now.
    first = FollowUp.objects.filter(kind="rectify", inspection__task__quarter=1)
    assert first.filter(closed_on__isnull=False).count() > first.count() / 2


def test_huojia_revisits_ten_percent(db, build):
    from shuangsuiji.inspections.models import Revisit
    from shuangsuiji.planning.models import Draw

    late = done_in_all = 0
    for draw in Draw.objects.filter(organisation__code=HUOJIA, status="revealed"):
        # 获嘉 三、（四） “按照 10%的比例进行回访”: 10 % (rounded up) of the checks done when the
        # list was revealed, as revisit.json records them; a result entered late may follow (a
        # list revealed on its 最迟公开日期 while a check is still open), so today's done checks
        # are compared with the candidates over the year, not with the sample.
        sample = json.loads(draw.revisit)
        candidates = set(sample["candidates"])
        done = {
            i.target.draw_id
            for i in draw.inspections.filter(status="done").select_related("target")
        }
        assert candidates and candidates <= done, draw
        late += len(done - candidates)
        done_in_all += len(done)
        assert sample["k"] == math.ceil(len(candidates) / 10) == draw.revisits.count(), draw
    assert late < done_in_all / 10
    revisits = Revisit.objects.filter(draw__organisation__code=HUOJIA)
    assert revisits.filter(done_on__isnull=False).count() > revisits.count() / 2
    assert not Revisit.objects.exclude(draw__organisation__code=HUOJIA).exists()


def test_joint_and_targeted_checks(db, build):
    from shuangsuiji.disclosure.selectors import public_results
    from shuangsuiji.inspections.models import Attachment, Inspection
    from shuangsuiji.planning.models import SamplingTask

    joint = SamplingTask.objects.filter(
        organisation__code=BAODING, scope=SamplingTask.Scope.DEPARTMENT_JOINT
    )
    assert joint.filter(draws__isnull=False).count() >= 3  # 保定：部门联合抽查不少于 3 次
    assert Inspection.objects.filter(task__in=joint).exclude(partner_inspectors=[]).exists()
    # ZH-2.2 内部联合: some teams mix two of 遵化's own units on items of several lines.
    assert any(i.internal_joint for i in Inspection.objects.filter(organisation__code="130281"))
    # 绛县: once-a-year tasks (城镇污水处理厂 with 住建局, 在建项目) and two 定向检查.
    annual = SamplingTask.objects.filter(organisation__code=JIANGXIAN, quarter=None)
    assert annual.count() == 2 and all(t.draws.get().status == "revealed" for t in annual)
    sewage = Inspection.objects.filter(task__in=annual, task__scope="department_joint")
    assert sewage.exists() and not sewage.filter(partner_inspectors=[]).exists()
    targeted = Inspection.objects.filter(kind=Inspection.Kind.TARGETED)
    assert targeted.count() == 2 and set(targeted.values_list("organisation__code", flat=True)) == {
        JIANGXIAN
    }
    assert not public_results().filter(pk__in=targeted).exists()
    # 绛县 四、（六）: every 现场检查 result carries its signed forms.
    on_site = Inspection.objects.filter(
        organisation__code=JIANGXIAN, status="done", method_used="现场检查"
    )
    for inspection in on_site:
        kinds = set(inspection.attachments.values_list("kind", flat=True))
        assert "现场检查表" in kinds, inspection
    pdf = Attachment.objects.filter(inspection__organisation__code=JIANGXIAN).first()
    assert pdf.content_type == "application/pdf"
    assert (build.data / "media" / pdf.file.name).read_bytes().startswith(b"%PDF-1.4")


def test_baoding_names_one_expert_beside_a_team(db, build):
    """保定 三、（二）“对特定领域的抽查，可在满足执法检查人数要求的基础上，吸收……专家学者等参与，通过
    听取专家咨询意见等方式辅助抽查”: one 专家 of the register, whose 业务专长 is one of the unit's
    要素标签, joins one first-quarter check with a reason; the team stays its enforcement officers."""
    from shuangsuiji.inspections.models import InspectionAssistant

    [assistant] = InspectionAssistant.objects.select_related("inspection__task", "person")
    inspection = assistant.inspection
    assert inspection.organisation.code == BAODING and inspection.task.quarter == 1
    assert assistant.role == assistant.person.category == "expert"
    assert set(assistant.person.tag_list) & set(inspection.target.tag_list)
    assert assistant.reason.endswith("（保定方案三、（二））")
    members = inspection.members.values_list("inspector__category", flat=True)
    assert len(members) >= 2 and set(members) == {"enforcement"}


def test_huojia_general_as_the_demo_bureau_reads_its_or(db, build):
    """获嘉 附件 “对一般监管对象抽查比例不低于5%或不少于人均6家次”: the default reading (both,
    the larger) is a marked bureau default; the demo bureau records the other reading, “满足其一”,
    with its reason, and each quarter's 一般 class draws the smaller of ⌈5 % × N⌉ and 6 × the
    officers on duty, both computed and listed, weighted by 信用等级 as the bureau set."""
    import re

    from shuangsuiji.accounts.models import Organisation
    from shuangsuiji.bureau.policies import organisation_policy
    from shuangsuiji.planning.models import Draw

    words = re.compile(
        r"5% × (\d+) 家 = [^（]*（([^）]+)）；执法人员 (\d+) 人 × 人均 6 家次 = (\d+) 家（\2）。"
        r"两项满足其一即符合方案，取较小者 (\d+) 家（\2）(?:；可抽对象仅 (\d+) 家，缺口 (\d+) 家)?"
        r"；按信用等级加权抽取，权重 A 1、B 1、C 2、D 4、无 1（[^）]+）"
    )
    policy = organisation_policy(Organisation.objects.get(code=HUOJIA))
    reading = policy.adjustments.get(path="classes.GENERAL.quota")
    assert reading.value["take"] == "smaller" and "满足其一即可" in reading.reason
    draws = Draw.objects.filter(organisation__code=HUOJIA).exclude(status="aborted")
    assert draws.count() == 4
    for draw in draws:
        general = next(s for s in json.loads(draw.params)["strata"] if s["code"] == "GENERAL")
        match = words.fullmatch(general["basis"])
        assert match, general["basis"]
        population, _, officers, per_officer, required, eligible, shortfall = (
            int(g) if g and g.isdigit() else None for g in match.groups()
        )
        assert per_officer == 6 * officers > 0
        assert required == min(math.ceil(population / 20), per_officer)
        if eligible is None:
            assert general["k"] == required
        else:
            assert general["k"] == eligible and shortfall == required - eligible > 0


def test_nothing_is_dated_after_today(db, build):
    """Issue 19 §8: built on 22 November, no record, event, draw, publication or audit entry
    of the demo is dated after that day (the events of the registers, spread over the year,
    stop at it too); only the dates set ahead, such as deadlines, lie in December."""
    from shuangsuiji.directory.models import RegulatoryEvent

    assert dated_after(TODAY.date()) == []
    assert RegulatoryEvent.objects.filter(date__month=11, date__year=2026).exists()


def test_second_run_keeps_the_year(db, build):
    assert build.before == build.after
    summary = build.first.split("演示账号")[0].strip().splitlines()
    assert len(summary) == len(PRESET_CODES)
    # 遵化 adds a 定向 and a 部门联合 task in Q3 (ADDED_TASKS): six draws, five revealed.
    assert "6 次抽取（已公开 5 次）" in summary[0] and "回访" in summary[3]
    again = build.second.split("演示账号")[0].strip().splitlines()
    assert all("已存在" in line for line in again)
