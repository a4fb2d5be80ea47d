"""The demo year: each preset county's plan and quarters, run through the real services.

A bureau issues its plan in January, draws each quarter's task, its teams inspect and submit
their results, the coordinator follows up the violations and reveals the list when the checks
are done. The demo does exactly that, step by step, on a clock that walks through the year and
stops at today: each step runs with ``timezone.now()`` set to its moment, so every timestamp
the services write (commitment, draw, submission, publication, reveal) is the one a bureau
working through the year would have, and what lies after today simply has not happened yet:
the quarters before the current one are complete and revealed, the current one is drawn and
part-inspected, its list still secret.

Everything random is seeded by the county and the task, so the same day gives the same year.
"""

from __future__ import annotations

import datetime as dt
import functools
import heapq
import itertools
import json
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from shuangsuiji.accounts.models import Organisation, User
from shuangsuiji.accounts.roles import Role
from shuangsuiji.accounts.services import user_create
from shuangsuiji.acts.draws import draw_commit, draw_execute, draw_reveal
from shuangsuiji.bureau.calendar import workday_calendar
from shuangsuiji.bureau.plan_documents import plan_document_upload
from shuangsuiji.bureau.policies import effective_preset, organisation_policy
from shuangsuiji.directory.models import Inspector, Target
from shuangsuiji.directory.vocabulary import InspectorCategory
from shuangsuiji.inspections.creation import (
    assistant_candidates,
    inspection_add_assistant,
    inspection_assign_team,
    inspection_set_partners,
    inspection_substitute,
    targeted_inspection_create,
)
from shuangsuiji.inspections.models import (
    VIOLATION_CATEGORIES,
    Confidentiality,
    FollowUp,
    Inspection,
    InspectionPart,
    ItemOutcome,
    ResultCategory,
    Revisit,
)
from shuangsuiji.inspections.parts import part_publish, part_save, part_submit, publish_refusal
from shuangsuiji.inspections.selectors import inspector_loads
from shuangsuiji.inspections.services import (
    RecordData,
    attachment_add,
    follow_up_close,
    follow_up_open,
    inspection_record_save,
    inspection_submit,
    revisit_record,
    revisit_sample,
)
from shuangsuiji.planning.draws import commit_rules, task_period
from shuangsuiji.planning.labels import flag_name
from shuangsuiji.planning.models import AnnualPlan, ConflictOfInterest, Draw, SamplingTask
from shuangsuiji.planning.plans import (
    organisation_settings,
    plan_adjust,
    plan_approve,
    plan_generate,
    plan_publish,
    plan_submit,
    task_add,
    task_update,
)
from shuangsuiji.policy import Quarter
from shuangsuiji.reports.models import UpwardReport
from shuangsuiji.reports.upward import (
    ReportPeriod,
    reports_to_parent,
    upward_report_accept,
    upward_report_submit,
)
from shuangsuiji_demo.registers import county_for

# --- the clock ----------------------------------------------------------------------------------


@contextmanager
def clock(moment: dt.datetime) -> Iterator[None]:
    """Run the block as if it were ``moment``: ``timezone.now()`` (and with it ``localdate``,
    ``auto_now_add``, the history rows and a default of ``timezone.now`` such as an account's
    ``date_joined``) starts there and runs on in real time."""
    real = timezone.now
    started = time.monotonic()
    base = moment.astimezone(dt.UTC)

    def now() -> dt.datetime:
        return base + dt.timedelta(seconds=time.monotonic() - started)

    # A field keeps the function it was given as its default, not the name: set it too.
    defaults = [f for f in _timed_fields() if f.default is real]
    timezone.now = now
    for f in defaults:
        _set_default(f, now)
    try:
        yield
    finally:
        timezone.now = real
        for f in defaults:
            _set_default(f, real)


@functools.cache
def _timed_fields() -> tuple:
    """The date and time fields whose default is a function (``timezone.now`` among them)."""
    from django.apps import apps
    from django.db import models

    return tuple(
        f
        for model in apps.get_models()
        for f in model._meta.local_fields
        if isinstance(f, models.DateField) and callable(f.default)
    )


def _set_default(f, default: Callable[[], dt.datetime]) -> None:
    f.default = default
    f.__dict__.pop("_get_default", None)  # Django caches the default's function per field


SCRYPT = "django.contrib.auth.hashers.ScryptPasswordHasher"


@contextmanager
def scrypt_first() -> Iterator[None]:
    """Hash new passwords with scrypt where the site accepts it (a strong hasher at a third of
    PBKDF2's second): the demo opens a hundred accounts. The first login rehashes with the
    site's preferred hasher, as Django does for any accepted one."""
    from django.test.utils import override_settings

    hashers = list(settings.PASSWORD_HASHERS)
    if SCRYPT not in hashers[1:]:
        yield
        return
    with override_settings(PASSWORD_HASHERS=[SCRYPT, *(h for h in hashers if h != SCRYPT)]):
        yield


class Timeline:
    """Steps at moments of the year, run in order, each on the clock of its moment. A step may
    schedule later steps; a step after ``now`` has not happened yet and is left out, unless it
    is one that must have happened by now (``due=True``: it is then done just before now).
    ``progress`` is told each month the clock enters, so a long build is not silent."""

    def __init__(self, now: dt.datetime, *, progress: Callable[[str], None] | None = None) -> None:
        self.now = now
        self.progress = progress
        self._queue: list[tuple[dt.datetime, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._current: dt.datetime | None = None

    def at(self, moment: dt.datetime, step: Callable[[], None], *, due: bool = False) -> None:
        if self._current is not None:
            moment = max(moment, self._current)
        if moment > self.now:
            if not due:
                return
            moment = self.now - dt.timedelta(minutes=1)
        heapq.heappush(self._queue, (moment, next(self._order), step))

    def run(self) -> None:
        finished = None
        month = None
        while self._queue:
            moment, _, step = heapq.heappop(self._queue)
            self._current = moment
            local = timezone.localtime(moment)
            if self.progress and (local.year, local.month) != month:
                month = local.year, local.month
                self.progress(f"演示年度：各县办理 {local.year} 年 {local.month} 月的工作……")
            # Steps at one moment follow each other: the clock never runs backwards.
            with clock(max(moment, finished) if finished else moment):
                step()
                finished = timezone.now()
        self._current = None


#: 双色球 draws on Tuesdays, Thursdays and Sundays.
LOTTERY_DAYS = (1, 3, 6)


def lottery_on_or_after(day: dt.date) -> dt.date:
    while day.weekday() not in LOTTERY_DAYS:
        day += dt.timedelta(days=1)
    return day


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


class Workdays:
    """Working days on the national calendar (the demo bureaus have no local days); a year
    without the State Council's notice is counted by the statutory holidays, as deadlines are."""

    def __init__(self) -> None:
        self.calendar = workday_calendar(None)

    def is_workday(self, day: dt.date) -> bool:
        return self.calendar.is_workday(day)

    def on_or_after(self, day: dt.date) -> dt.date:
        while not self.is_workday(day):
            day += dt.timedelta(days=1)
        return day

    def add(self, day: dt.date, count: int) -> dt.date:
        step = dt.timedelta(days=1 if count >= 0 else -1)
        for _ in range(abs(count)):
            day += step
            while not self.is_workday(day):
                day += step
        return day

    def between(self, start: dt.date, end: dt.date) -> list[dt.date]:
        days, day = [], start
        while day <= end:
            if self.is_workday(day):
                days.append(day)
            day += dt.timedelta(days=1)
        return days


# --- what the demo writes -----------------------------------------------------------------------

#: Joint tasks a bureau sets in its draft plan, where its plan asks for them (保定 二：部门联合
#: 抽查不少于 3 次; 获嘉 二：部门联合抽查任务数占比 60% 以上).
JOINT_TASKS: dict[str, tuple[tuple[int, ...], list[str]]] = {
    "baoding-2021": ((1, 2, 3), ["保定市住房和城乡建设局", "保定市市场监督管理局"]),
    "huojia-2024": ((2, 3, 4), ["获嘉县市场监督管理局"]),
}
#: 绛县 三、（一）: checks outside the draw, one on a complaint and one handed down.
TARGETED = {
    "jiangxian-2025": [
        (2, "complaint", "12369 环保举报 {year}-0417", ResultCategory.ORDERED),
        (3, "assigned", "运环督办〔{year}〕23 号", ResultCategory.NO_PROBLEM),
    ],
}
#: A bureau adjusting its published plan mid-year (藁城 二、（八）: reason, approval, a new
#: public version) to add a 定向 task (遵化 二、（四） 定向抽查: 危废 units only) and a 部门联合
#: task, both drawn in the quarter given.
ADDED_TASKS = {
    "zunhua-2024": (
        3,
        "唐山市生态环境局部署涉危险废物企业专项执法行动",
        [
            {
                "name": "{year} 年涉危险废物企业定向随机抽查",
                "classes": ["KEY", "GENERAL"],
                "filters": {"要素标签": ["危废"]},
                "sample": {"ratio": "20%"},
            },
            {
                "name": "{year} 年危险化学品使用单位部门联合随机抽查",
                "classes": ["KEY"],
                "scope": SamplingTask.Scope.DEPARTMENT_JOINT,
                # 遵化市应急管理局, registered on the platform (``build.DEMO_PARTNERS``), and
                # the items of the city's 一业一查 list (``build.DEMO_JOINT_ITEMS``).
                "partner_departments": ["13028101"],
                "joint_industry": "危险化学品使用单位",
                "sample": {"ratio": "10%"},
            },
        ],
    ),
}
#: The 机关代字 of each county's 实施方案 文号 in the demo.
DOCUMENT_PREFIX = {"zunhua-2024": "遵环", "baoding-2021": "保环", "gaocheng-2026": "藁环",
                   "huojia-2024": "获环", "jiangxian-2025": "绛环"}  # fmt: skip
#: The share of a finished quarter's draws in which one team enters its result a month late.
SLOW_DRAWS = 0.15
#: 保定 三、（二）“对特定领域的抽查，可在满足执法检查人数要求的基础上，吸收……专家学者等参与，通过
#: 听取专家咨询意见等方式辅助抽查”: in the quarter given, the coordinator names one 专家 of the
#: register, whose 业务专长 is one of a drawn unit's 要素标签, to join that unit's check.
EXPERTS = {"baoding-2021": 1}
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国红梅志强海燕立新文博晓东"
PROBLEMS = [
    ("危险废物贮存场所标识不规范，台账记录不完整", "危险废物贮存场所标识不规范"),
    ("未按排污许可证要求开展自行监测，缺少第三季度废气监测报告", "未按排污许可证要求开展自行监测"),
    ("布袋除尘器部分滤袋破损，颗粒物无组织排放", "废气治理设施运行不正常"),
    ("VOCs 收集管道破损，活性炭未按期更换", "挥发性有机物收集处理设施运行不正常"),
    ("雨污管网混接，初期雨水收集池未建设", "雨污分流不到位"),
    ("环境管理台账缺少 2 个月的运行记录", "环境管理台账记录不完整"),
    ("自动监测设备数据传输中断 3 日未报告", "自动监测设备运行不正常"),
    ("物料露天堆放，未采取防风抑尘措施", "物料堆场扬尘防治措施不到位"),
]
CLEAN = [
    "企业正常生产，污染防治设施运行正常，排污许可执行报告按期提交。",
    "现场检查废气、废水治理设施运行正常，台账记录完整。",
    "危险废物贮存、转移联单符合要求，未发现环境违法行为。",
    "自行监测按方案开展，监测数据达标。",
]
REVISIT_OPINIONS = [
    "企业对检查人员的工作作风表示满意，无意见建议。",
    "企业反映检查程序规范，希望多开展政策宣讲。",
    "企业表示整改指导具体，希望提前告知检查所需材料。",
    "企业对检查过程满意，建议简化台账报送方式。",
]


def partner_coordinator(partner: Organisation) -> User | None:
    """The partner department's 抽查管理员 (``build.DEMO_USERS``), who enters and publishes."""
    return User.objects.filter(organisation=partner, groups__name=Role.COORDINATOR.label).first()


def _person(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
    return rng.choice(SURNAMES) + given


def pdf(title: str) -> bytes:
    """A small, valid one-page PDF (a scanned form stands in for it in the demo)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        b"<< /Title <FEFF" + title.encode("utf-16-be").hex().upper().encode() + b"> >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 4 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


@dataclass
class Outcome:
    """What a team finds at one target, decided before the visit so the year is reproducible."""

    category: str
    method: str
    problem: tuple[str, str] | None = None
    confidential: bool = False
    recorder: str = ""
    check: dt.date | None = None
    determined: dt.date | None = None
    submitted: dt.date | None = None


def outcome_for(rng: random.Random, planned_method: str) -> Outcome:
    roll = rng.random()
    if roll < 0.75:
        category = ResultCategory.NO_PROBLEM
    elif roll < 0.90:
        category = ResultCategory.ORDERED
    elif roll < 0.95:
        category = ResultCategory.CASE_FILED
    elif roll < 0.98:
        category = ResultCategory.NO_ACTIVITY
    else:
        category = ResultCategory.NO_PROBLEM
    if planned_method != "现场检查":
        method = planned_method
    elif category == ResultCategory.NO_PROBLEM and rng.random() < 0.08:
        method = "书面检查"
    else:
        method = "现场检查"
    violation = category in VIOLATION_CATEGORIES
    return Outcome(
        category=category,
        method=method,
        problem=rng.choice(PROBLEMS) if violation else None,
        confidential=roll >= 0.98,
    )


# --- one county's year --------------------------------------------------------------------------


@dataclass
class CountyYear:
    organisation: Organisation
    coordinator: User
    leader: User
    year: int
    today: dt.date
    timeline: Timeline
    days: Workdays
    users: dict[str, User] = field(default_factory=dict)
    case_numbers: itertools.count = field(default_factory=lambda: itertools.count(1))
    expert_added: bool = False
    reveal_days: dict[int, dt.date] = field(default_factory=dict)  # by task, planned on commit
    added: list = field(default_factory=list)  # tasks added by the mid-year adjustment

    @property
    def code(self) -> str:
        return self.organisation.code

    @property
    def preset(self) -> str:
        return self.organisation.policy_preset

    def rng(self, *parts: object) -> random.Random:
        return random.Random("-".join(str(p) for p in (self.code, self.year, *parts)))

    @property
    def current(self) -> int:
        return Quarter.of(self.today).number

    # The plan ---------------------------------------------------------------------------------

    def schedule(self) -> None:
        days = self.days
        first = days.on_or_after(dt.date(self.year, 1, 5))
        approved = days.add(first, 2)
        published = days.add(approved, 3)
        self.timeline.at(at(first, 9, 30), self.generate, due=True)
        self.timeline.at(at(approved, 15, 0), self.approve, due=True)
        self.timeline.at(at(published, 10, 0), self.publish, due=True)
        if reports_to_parent(self.organisation):
            # 藁城 四、（四） 每季度结束后将上一季度统计表报送市局: each finished quarter is sent
            # in the first days of the next; the 市局 receives all but the latest.
            for quarter in range(1, self.current):
                sent = days.add(days.on_or_after(Quarter(self.year, quarter).end), 5)
                self.timeline.at(at(sent, 10, 0), functools.partial(self.report_up, quarter))
                if quarter < self.current - 1:
                    received = days.add(sent, 2)
                    self.timeline.at(at(received, 15, 0), functools.partial(self.receive, quarter))

    def generate(self) -> None:
        self.plan = plan_generate(
            actor=self.coordinator, organisation=self.organisation, year=self.year
        )
        quarters, partners = JOINT_TASKS.get(self.preset, ((), []))
        for task in self.plan.tasks.filter(quarter__in=quarters):
            task_update(
                actor=self.coordinator,
                task=task,
                scope=SamplingTask.Scope.DEPARTMENT_JOINT,
                partners=partners,
                lead_department=self.organisation.name,
            )

    def approve(self) -> None:
        plan_submit(actor=None, plan=self.plan)
        plan_approve(actor=self.leader, plan=self.plan)

    def publish(self) -> None:
        plan_publish(actor=self.coordinator, plan=self.plan)
        # 保定 三（五）, 藁城 二（八）: the 实施方案 itself is public beside the plan's numbers.
        title = f"{self.organisation.name}{self.year}年“双随机、一公开”监管工作实施方案"
        plan_document_upload(
            actor=self.coordinator,
            organisation=self.organisation,
            year=self.year,
            title=title,
            document_number=f"{DOCUMENT_PREFIX[self.preset]}〔{self.year}〕1号",
            issued_on=timezone.localdate(),
            upload=SimpleUploadedFile(f"{title}.pdf", pdf(title)),
        )
        for task in self.plan.tasks.order_by("sequence"):
            quarter = task.quarter or 1  # a task drawn once a year is drawn with the first
            if quarter <= self.current:
                self.schedule_draw(task, quarter)
        for quarter, case, reference, category in TARGETED.get(self.preset, []):
            if quarter < self.current:
                self.schedule_targeted(quarter, case, reference.format(year=self.year), category)
        added = ADDED_TASKS.get(self.preset)
        if added and added[0] <= self.current:
            start = self.days.on_or_after(Quarter(self.year, added[0]).start)
            self.timeline.at(at(start, 9, 0), self.adjust, due=True)
            self.timeline.at(at(self.days.add(start, 1), 15, 0), self.approve, due=True)
            self.timeline.at(at(self.days.add(start, 2), 10, 0), self.publish_added, due=True)

    def adjust(self) -> None:
        """Reopen the published plan with the reason and add the tasks the city asked for."""
        quarter, reason, tasks = ADDED_TASKS[self.preset]
        plan_adjust(actor=self.coordinator, plan=self.plan, reason=reason)
        for spec in tasks:
            departments = list(
                Organisation.objects.filter(code__in=spec.get("partner_departments", ()))
            )
            self.added.append(task_add(actor=self.coordinator, plan=self.plan, quarter=quarter,
                              **{**spec, "name": spec["name"].format(year=self.year),
                                 "partner_departments": departments}))  # fmt: skip

    def publish_added(self) -> None:
        plan_publish(actor=self.coordinator, plan=self.plan)
        quarter = ADDED_TASKS[self.preset][0]
        for task in self.added:
            self.schedule_draw(task, quarter)

    # A quarter's draw --------------------------------------------------------------------------

    def schedule_draw(self, task: SamplingTask, quarter: int) -> None:
        days = self.days
        complete = quarter < self.current
        commit_day = days.on_or_after(task.draw_date)
        if not complete:
            # The current quarter is drawn by today where a lottery held since its start allows
            # it; in its first days it is committed today and drawn once the lottery is held.
            commit_day = min(commit_day, self.latest_commit(task) or self.today)
        minute = 30 + 5 * (task.quarter is None)
        self.timeline.at(
            at(commit_day, 9, minute), lambda: self.commit(task, complete), due=not complete
        )

    def latest_commit(self, task: SamplingTask) -> dt.date | None:
        """The last working day since the task's period began on which a commitment would have
        been drawn by today (the lottery it names held, the draw made the next working day);
        ``None`` when there is none yet."""
        start, _ = task_period(task)
        day = self.today
        while day >= start:
            if self.days.is_workday(day) and self.drawn_after(day) <= self.today:
                return day
            day -= dt.timedelta(days=1)
        return None

    def drawn_after(self, committed: dt.date) -> dt.date:
        """The day a draw committed on ``committed`` is made: the working day after the first
        双色球 draw from then (the lottery of the commitment's own day, drawn in the evening)."""
        return self.days.add(lottery_on_or_after(committed), 1)

    def commit(self, task: SamplingTask, complete: bool) -> None:
        today = timezone.localdate()
        rng = self.rng(task.number)
        lottery = lottery_on_or_after(today)
        start = dt.date(lottery.year, 1, 1)
        issue = sum(
            (start + dt.timedelta(days=n)).weekday() in LOTTERY_DAYS
            for n in range((lottery - start).days + 1)
        )
        drawn_on = self.days.add(lottery, 1)
        # The 最迟公开日期 is the end of the task's inspection period at the earliest; a
        # quarter that is over was revealed when its checks were done, about three weeks after
        # the draw (schedule_checks).
        reveal_on, _ = commit_rules(task, today)
        if complete:
            self.reveal_days[task.pk] = self.days.add(drawn_on, 21)
        sources = [
            ("lottery", f"中国福利彩票双色球 {lottery.year}{issue:03d} 期（{lottery:%m-%d} 开奖）"),
            ("witness", "局纪检组监督员现场书写的八位数字"),
        ]
        draw = draw_commit(
            actor=self.coordinator,
            task=task,
            sources=sources,
            reveal_on=reveal_on,
        )
        red = sorted(rng.sample(range(1, 34), 6))
        values = [
            ".".join(map(str, red)) + f"./{rng.randint(1, 16)}./",
            f"{rng.randrange(10**8):08d}",
        ]
        # A draw whose lottery is still to come has not been made yet.
        self.timeline.at(
            at(drawn_on, 9, 30),
            lambda: self.execute(draw, values, complete),
            due=not complete and drawn_on <= self.today,
        )

    def execute(self, draw: Draw, values: list[str], complete: bool) -> None:
        draw = draw_execute(actor=self.coordinator, draw=draw, values=values)
        self.staff(draw)
        if self.preset in EXPERTS and draw.task.quarter == EXPERTS[self.preset]:
            self.add_expert(draw)
        if draw.task.quarter == 2:
            self.substitute(draw)
        if draw.task.partners:
            self.set_partners(draw)
        self.schedule_checks(draw, complete)

    def staff(self, draw: Draw) -> None:
        """A task the matching could not staff gets a team by hand (以老带新)."""
        for inspection in draw.inspections.filter(status=Inspection.Status.NEEDS_TEAM):
            self.assign_by_hand(inspection)

    def pick_team(self, target: Target) -> list[Inspector]:
        """A team the coordinator would pick by hand: a senior lead (以老带新) and the least
        loaded others, from the target's 片区 first, none who must stand aside (回避)."""
        rules = organisation_settings(self.organisation)
        loads = inspector_loads(self.organisation, self.year)
        conflicted = ConflictOfInterest.objects.filter(target=target, active=True)
        pool = sorted(
            Inspector.objects.drawable()
            .filter(organisation=self.organisation)
            .exclude(pk__in=conflicted.values("inspector_id")),
            key=lambda i: (i.area != target.area, loads.get(i.pk, 0), i.certificate_no),
        )
        senior_before = self.year - rules.seniority_years
        lead = next(i for i in pool if i.start_year and i.start_year <= senior_before)
        return [lead, *[i for i in pool if i != lead][: rules.team_size - 1]]

    def assign_by_hand(self, inspection: Inspection) -> None:
        team = self.pick_team(inspection.target)
        flags = "、".join(flag_name(flag) for flag in inspection.flags) or "配组不足"
        inspection_assign_team(
            actor=self.coordinator,
            inspection=inspection,
            inspectors=team,
            reason=f"抽取时未能自动配齐执法组（{flags}），按以老带新原则由{team[0].area or '本局'}"
            "抽调执法人员",
        )

    def add_expert(self, draw: Draw) -> None:
        """One 专家 beside a team (保定 三、（二）), once a year: the first drawn unit, by code,
        for which a 专家 of the register has a matching 业务专长 and need not stand aside."""
        if self.expert_added:
            return
        experts = list(
            assistant_candidates(self.organisation)
            .filter(category=InspectorCategory.EXPERT)
            .order_by("certificate_no")
        )
        for inspection in draw.inspections.filter(status=Inspection.Status.ASSIGNED).order_by(
            "target__credit_code", "target__project_code"
        ):
            conflicted = set(
                ConflictOfInterest.objects.filter(
                    target=inspection.target, active=True
                ).values_list("inspector_id", flat=True)
            )
            for expert in experts:
                shared = [t for t in inspection.target.tag_list if t in expert.tag_list]
                if shared and expert.pk not in conflicted:
                    inspection_add_assistant(
                        actor=self.coordinator,
                        inspection=inspection,
                        person=expert,
                        reason=f"{shared[0]}领域专业性强，听取专家咨询意见辅助抽查"
                        "（保定方案三、（二））",
                    )
                    self.expert_added = True
                    return

    def substitute(self, draw: Draw) -> None:
        """One drawn enterprise found stopped: replaced by the top of the reserve list."""
        rng = self.rng(draw.draw_id, "substitute")
        # Only where the class has a reserve left: a class drawn in full (获嘉's 一般 in the
        # reading that requires more checks) has no one to take the stopped unit's place.
        with_reserve = {s["code"] for s in json.loads(draw.result)["strata"] if s["reserve"]}
        candidates = list(
            draw.inspections.filter(
                status=Inspection.Status.ASSIGNED, stratum__in=with_reserve
            ).order_by("target__credit_code", "target__project_code")
        )
        if not candidates:
            return
        replacement = inspection_substitute(
            actor=self.coordinator,
            inspection=rng.choice(candidates),
            reason="suspended",
            evidence="企业停产证明及乡镇生态环境工作站现场核实记录",
        )
        if replacement.status == Inspection.Status.NEEDS_TEAM:
            self.assign_by_hand(replacement)

    def set_partners(self, draw: Draw) -> None:
        """The partners not registered on the platform: their officers are named by hand (a
        registered department's come from the draw, ``InspectionPart``)."""
        registered = set(draw.task.partner_departments.values_list("name", flat=True))
        unregistered = [p for p in draw.task.partners if p not in registered]
        if not unregistered:
            return
        rng = self.rng(draw.draw_id, "partners")
        for inspection in draw.inspections.active().order_by(
            "target__credit_code", "target__project_code"
        ):
            names = [f"{partner} {_person(rng)}" for partner in unregistered]
            inspection_set_partners(actor=self.coordinator, inspection=inspection, names=names)

    # The teams' checks -------------------------------------------------------------------------

    def schedule_checks(self, draw: Draw, complete: bool) -> None:
        days = self.days
        drawn_on = timezone.localdate()
        inspections = list(
            draw.inspections.filter(status=Inspection.Status.ASSIGNED)
            .select_related("target")
            .order_by("target__credit_code", "target__project_code")
        )
        slow = None
        if complete:
            # Checked over three weeks, determined within a week, and the list revealed when
            # they are done: within the 20 working days of the first result. Now and then one
            # team enters its result a month late, and the list, which stays secret while a
            # check is open, waits for it (until its 最迟公开日期): most of that draw's results
            # are then published after their 20 working days.
            window = days.between(days.add(drawn_on, 2), days.add(drawn_on, 15))
            reveal = self.reveal_days.pop(draw.task_id, draw.reveal_on)
            pace = self.rng(draw.draw_id, "pace")
            if inspections and pace.random() < SLOW_DRAWS:
                slow = pace.randrange(len(inspections))
        else:
            # The current quarter: about half its checks done by today, none revealed.
            start = max(days.add(drawn_on, 2), days.add(self.today, -12))
            elapsed = max(len(days.between(start, self.today)), 1)
            window = days.between(start, days.add(start, 2 * elapsed))
            reveal = None
        recorders = self.recorders(inspections)
        for index, inspection in enumerate(inspections):
            rng = self.rng(draw.draw_id, inspection.target.draw_id)
            outcome = outcome_for(rng, inspection.method)
            outcome.recorder = recorders[inspection.pk]
            outcome.check = rng.choice(window)
            outcome.determined = days.add(outcome.check, rng.choice((0, 1, 2, 3, 5)))
            late = index == slow
            outcome.submitted = days.add(outcome.determined, 22) if late else outcome.determined
            if late:
                reveal = min(max(reveal, days.add(outcome.submitted, 1)), draw.reveal_on)
            # A draft from the visit shows where the result is still to be determined.
            draft = late or at(outcome.submitted, 16) > self.timeline.now
            self.schedule_check(inspection, outcome, rng, draft=draft)
        if reveal is not None:
            self.timeline.at(at(reveal, 10, 0), lambda: self.reveal(draw))

    def schedule_check(
        self, inspection: Inspection, outcome: Outcome, rng: random.Random, *, draft: bool
    ) -> None:
        hour = rng.randint(9, 15)
        if draft:
            # The team keeps a draft from the visit until the result is determined and entered.
            self.timeline.at(
                at(outcome.check, hour + 2, rng.randint(0, 59)),
                lambda: self.record(inspection, outcome, hour, submit=False),
            )
        self.timeline.at(
            at(outcome.submitted, 16, rng.randint(0, 59)),
            lambda: self.record(inspection, outcome, hour, submit=True),
        )

    def recorders(self, inspections: list[Inspection]) -> dict[int, str]:
        """Who enters each team's result (by 执法证号): a member who has an account, else the
        member of most teams still without one, so few new accounts are needed."""
        teams = {
            i.pk: list(
                i.members.order_by("position").values_list("inspector__certificate_no", flat=True)
            )
            for i in inspections
        }
        everyone = {c for team in teams.values() for c in team}
        have = set(User.objects.filter(username__in=everyone).values_list("username", flat=True))
        uncovered = [team for team in teams.values() if not have.intersection(team)]
        while uncovered:
            counts = Counter(c for team in uncovered for c in team)
            best = max(sorted(counts), key=counts.__getitem__)
            have.add(best)
            uncovered = [team for team in uncovered if best not in team]
        return {pk: next(c for c in team if c in have) for pk, team in teams.items()}

    def team_user(self, certificate_no: str) -> User:
        """The account of the team member who enters the result, opened when first needed."""
        if certificate_no not in self.users:
            user = User.objects.filter(username=certificate_no).first()
            if user is None:
                inspector = Inspector.objects.get(
                    organisation=self.organisation, certificate_no=certificate_no
                )
                with scrypt_first():
                    user, _ = user_create(
                        actor=None,
                        username=certificate_no,
                        display_name=inspector.name,
                        organisation=self.organisation,
                        roles=[Role.INSPECTOR],
                    )
            self.users[certificate_no] = user
        return self.users[certificate_no]

    def record(self, inspection: Inspection, outcome: Outcome, hour: int, submit: bool) -> None:
        inspection.refresh_from_db()
        if inspection.status != Inspection.Status.ASSIGNED:
            return
        user = self.team_user(outcome.recorder)
        rng = self.rng(inspection.target.draw_id, inspection.task_id, "record")
        category = outcome.category
        violation = outcome.problem is not None
        if violation:
            findings, summary = outcome.problem
            public = f"{ResultCategory(category).label}：{summary}"
        elif category == ResultCategory.NO_ACTIVITY:
            findings = "企业已停产，现场未见生产活动，设备已断电。"
            public = ResultCategory.NO_ACTIVITY.label
        else:
            findings = rng.choice(CLEAN)
            public = "未发现问题"
        items = list(inspection.items.order_by("pk"))
        faulty = rng.choice(items).pk if violation and items else None
        outcomes = {}
        for item in items:
            if category == ResultCategory.NO_ACTIVITY:
                outcomes[item.pk] = (ItemOutcome.NOT_APPLICABLE, "未生产")
            elif item.pk == faulty:
                outcomes[item.pk] = (ItemOutcome.PROBLEM, outcome.problem[1])
            elif rng.random() < 0.1:
                outcomes[item.pk] = (ItemOutcome.NOT_APPLICABLE, "")
            else:
                outcomes[item.pk] = (ItemOutcome.PASS, "")
        members = inspection.members.values_list("inspector__certificate_no", flat=True)
        data = RecordData(
            checked_at=at(outcome.check, hour, rng.randint(0, 59)),
            method_used=outcome.method,
            representative=f"{_person(rng)}（{rng.choice(['环保负责人', '厂长', '安环部经理'])}）",
            present_members=tuple(members),
            result_category=category,
            findings=findings,
            public_summary="" if outcome.confidential else public,
            confidentiality=Confidentiality.COMMERCIAL if outcome.confidential else "",
            confidential_reason="涉及企业生产工艺和原料配比，属商业秘密"
            if outcome.confidential
            else "",
            determined_on=outcome.determined if submit else None,
        )
        inspection = inspection_record_save(
            actor=user, inspection=inspection, data=data, outcomes=outcomes
        )
        if not submit:
            return
        if outcome.method == "现场检查":
            for kind in self.records_required(inspection, violation):
                if not inspection.attachments.filter(kind=kind).exists():
                    name = f"{kind}-{inspection.target.credit_code}.pdf"
                    upload = SimpleUploadedFile(name, pdf(f"{kind} {inspection.target.name}"))
                    attachment_add(actor=user, inspection=inspection, kind=kind, upload=upload)
        inspection = inspection_submit(actor=user, inspection=inspection)
        for part in inspection.parts.all():
            self.partner_record(part, outcome, hour)
        if violation:
            self.timeline.at(
                timezone.now() + dt.timedelta(minutes=30), lambda: self.follow_up(inspection)
            )

    def records_required(self, inspection: Inspection, violation: bool) -> list[str]:
        preset = effective_preset(organisation_policy(self.organisation))
        if preset.records is None:
            return []
        entry = preset.records.at(inspection.determined_on)
        return list(entry.value["violation" if violation else "no_violation"])

    # Follow-ups, the reveal, 回访 --------------------------------------------------------------

    def follow_up(self, inspection: Inspection) -> None:
        rng = self.rng(inspection.target.draw_id, inspection.task_id, "follow-up")
        opened = inspection.determined_on
        if inspection.result_category == ResultCategory.ORDERED:
            deadline = opened + dt.timedelta(days=rng.choice((15, 30, 30, 45)))
            step = follow_up_open(
                actor=self.coordinator,
                inspection=inspection,
                kind=FollowUp.Kind.RECTIFY,
                opened_on=opened,
                deadline=deadline,
            )
            if rng.random() < 0.85:
                closed = self.days.on_or_after(deadline - dt.timedelta(days=rng.randint(0, 10)))
                outcome = "复查已整改：" + rng.choice(
                    ["现场复查问题已整改到位。", "企业提交整改报告及照片，复查确认已整改。"]
                )
                self.timeline.at(at(closed, 11, 0), lambda: self.close(step, closed, outcome))
        else:
            short = county_for(self.preset).short  # as in the register's 行政处罚决定 numbers
            step = follow_up_open(
                actor=self.coordinator,
                inspection=inspection,
                kind=FollowUp.Kind.CASE,
                opened_on=opened,
                case_number=f"{short}环立〔{self.year}〕{next(self.case_numbers)}号",
            )
            if rng.random() < 0.7:
                decided = self.days.on_or_after(opened + dt.timedelta(days=rng.randint(40, 75)))
                fine = rng.choice((2, 3, 5, 8, 10))
                outcome = f"已作出行政处罚决定：罚款人民币 {fine} 万元，企业已缴纳。"
                self.timeline.at(
                    at(decided, 15, 0), lambda: self.close(step, decided, outcome, decided)
                )

    def close(
        self, step: FollowUp, closed: dt.date, outcome: str, penalty: dt.date | None = None
    ) -> None:
        follow_up_close(
            actor=self.coordinator,
            follow_up=step,
            closed_on=closed,
            outcome=outcome,
            penalty_decided_on=penalty,
        )

    def report_up(self, quarter: int) -> None:
        upward_report_submit(actor=self.coordinator, organisation=self.organisation,
                             period=ReportPeriod(self.year, quarter))  # fmt: skip

    def receive(self, quarter: int) -> None:
        parent = self.organisation.parent
        reviewer = (
            User.objects.filter(organisation=parent, groups__name__in=[Role.COORDINATOR.label,
                                                                       Role.LEADER.label])
            .order_by("pk").first()
        )  # fmt: skip
        if reviewer is None:
            return  # a 市局 without accounts in the demo leaves its branches' reports waiting
        report = UpwardReport.objects.get(
            organisation=self.organisation, period=ReportPeriod(self.year, quarter).key,
            status=UpwardReport.Status.SUBMITTED,
        )  # fmt: skip
        upward_report_accept(actor=reviewer, report=report, comment="已收到，数据无误。")

    def partner_record(self, part: InspectionPart, outcome: Outcome, hour: int) -> None:
        """获嘉 二、（三） 谁检查、谁录入: the partner department enters and submits its own part
        the day the bureau submits its result."""
        user = partner_coordinator(part.organisation)
        rng = self.rng(part.inspection.target.draw_id, part.organisation.code, "part")
        found = rng.random() < 0.2
        part_save(
            actor=user,
            part=part,
            checked_at=at(outcome.check, hour, rng.randint(0, 59)),
            result_category=ResultCategory.ORDERED if found else ResultCategory.NO_PROBLEM,
            findings="危险化学品仓库安全警示标志缺失，已当场责令整改。" if found
            else "危险化学品储存、使用台账齐全，未发现安全隐患。",
            public_summary="发现问题已责令整改" if found else "未发现问题",
        )  # fmt: skip
        part_submit(actor=user, part=part)

    def reveal(self, draw: Draw) -> None:
        draw = draw_reveal(actor=self.coordinator, draw=draw)
        # 谁公开: each partner department publishes its submitted parts once the list is public.
        for part in InspectionPart.objects.filter(
            inspection__draw=draw, status=InspectionPart.Status.SUBMITTED
        ).select_related("organisation"):
            if not publish_refusal(part):
                part_publish(actor=partner_coordinator(part.organisation), part=part)
        if "revisit_share" in effective_preset(organisation_policy(self.organisation)).targets:
            sampled = self.days.add(timezone.localdate(), 1)
            self.timeline.at(at(sampled, 10, 0), lambda: self.revisits(draw))

    def revisits(self, draw: Draw) -> None:
        """获嘉 三、（四）: 10% of the checked enterprises revisited, most of them by now."""
        for revisit in revisit_sample(actor=self.coordinator, draw=draw):
            rng = self.rng(draw.draw_id, "revisit", revisit.rank)
            if rng.random() < 0.85:
                done = self.days.add(timezone.localdate(), rng.randint(2, 15))
                self.timeline.at(at(done, 14, 0), lambda r=revisit, d=done: self.revisit(r, d))

    def revisit(self, revisit: Revisit, done: dt.date) -> None:
        rng = self.rng(revisit.draw.draw_id, revisit.rank, "form")
        revisit_record(
            actor=self.coordinator,
            revisit=revisit,
            form=rng.choice(["phone", "phone", "direct", "survey"]),
            done_on=done,
            opinions=rng.choice(REVISIT_OPINIONS),
        )

    # 定向检查 (绛县) ---------------------------------------------------------------------------

    def schedule_targeted(self, quarter: int, case: str, reference: str, category: str) -> None:
        rng = self.rng("targeted", quarter)
        start = Quarter(self.year, quarter).start
        day = self.days.add(start, rng.randint(25, 40))
        self.timeline.at(at(day, 9, 0), lambda: self.targeted(case, reference, category, rng))

    def targeted(self, case: str, reference: str, category: str, rng: random.Random) -> None:
        counted = Inspection.objects.counted(self.year, self.organisation)
        target = rng.choice(
            Target.objects.filter(organisation=self.organisation, in_register=True)
            .exclude(pk__in=counted.values("target_id"))
            .order_by("credit_code", "project_code")
        )
        inspection = targeted_inspection_create(
            actor=self.coordinator,
            target=target,
            case=case,
            reference=reference,
            inspectors=self.pick_team(target),
        )
        today = timezone.localdate()
        outcome = Outcome(
            category=category,
            method="现场检查",
            recorder=self.recorders([inspection])[inspection.pk],
            problem=PROBLEMS[3] if category == ResultCategory.ORDERED else None,
            check=today,
            determined=self.days.add(today, 1),
            submitted=self.days.add(today, 1),
        )
        self.schedule_check(inspection, outcome, rng, draft=False)


# --- the summary --------------------------------------------------------------------------------


@dataclass(frozen=True)
class YearSummary:
    organisation: str
    year: int
    built: bool
    draws: int
    revealed: int
    inspections: int
    submitted: int
    published: int
    follow_ups: int
    follow_ups_closed: int
    revisits: int
    revisits_done: int

    def line(self) -> str:
        text = (
            f"{self.organisation} {self.year} 年：{self.draws} 次抽取"
            f"（已公开 {self.revealed} 次），{self.inspections} 项检查，"
            f"{self.submitted} 项已提交，{self.published} 项已公示，"
            f"后续处置 {self.follow_ups} 项（已办结 {self.follow_ups_closed} 项）"
        )
        if self.revisits:
            text += f"，回访 {self.revisits} 家（已回访 {self.revisits_done} 家）"
        return text + ("。" if self.built else "（已存在，未重复生成）。")


def year_summary(organisation: Organisation, year: int, *, built: bool) -> YearSummary:
    from shuangsuiji.disclosure.selectors import public_results

    draws = Draw.objects.filter(organisation=organisation, task__plan__year=year).exclude(
        status=Draw.Status.ABORTED
    )
    inspections = Inspection.objects.counted(year, organisation)
    follow_ups = FollowUp.objects.filter(inspection__in=inspections)
    revisits = Revisit.objects.filter(draw__in=draws)
    return YearSummary(
        organisation=organisation.name,
        year=year,
        built=built,
        draws=draws.count(),
        revealed=draws.filter(status=Draw.Status.REVEALED).count(),
        inspections=inspections.count(),
        submitted=inspections.filter(status=Inspection.Status.DONE).count(),
        published=public_results(organisation).filter(year=year).count(),
        follow_ups=follow_ups.count(),
        follow_ups_closed=follow_ups.filter(closed_on__isnull=False).count(),
        revisits=revisits.count(),
        revisits_done=revisits.filter(done_on__isnull=False).count(),
    )


def year_opening(now: dt.datetime) -> dt.datetime:
    """When the demo bureaus start on the platform: the year's first working day."""
    day = Workdays().on_or_after(dt.date(timezone.localdate(now).year, 1, 2))
    return min(at(day, 8, 30), now - dt.timedelta(minutes=10))


def year_pending(organisations: list[Organisation], year: int) -> bool:
    """Whether some organisation's year is still to be built (it has no plan for the year)."""
    planned = AnnualPlan.objects.filter(organisation__in=organisations, year=year).count()
    return planned < len(organisations)


def demo_years(
    counties: list[tuple[Organisation, User, User]],
    *,
    progress: Callable[[str], None] | None = None,
) -> list[YearSummary]:
    """Run each (organisation, coordinator, leader)'s year up to today on one clock, so the
    bureaus' steps interleave as they would; an organisation that already has this year's plan
    is left as it is. ``progress`` gets a line per county and per month of the year."""
    now = timezone.now()
    today = timezone.localdate(now)
    planned = AnnualPlan.objects.filter(year=today.year).values_list("organisation_id", flat=True)
    todo = [county for county in counties if county[0].pk not in set(planned)]
    if progress:
        kept = set(planned)
        for organisation, _coordinator, _leader in counties:
            progress(
                f"演示年度：{organisation.name} {today.year} 年"
                + (
                    "已建立，保留不变。"
                    if organisation.pk in kept
                    else f"从 1 月办理到今天（{today.month} 月 {today.day} 日）。"
                )
            )
    if todo:
        timeline = Timeline(now, progress=progress)
        days = Workdays()
        for organisation, coordinator, leader in todo:
            county = CountyYear(
                organisation, coordinator, leader, today.year, today, timeline, days
            )
            county.schedule()
        timeline.run()
    built = {organisation.pk for organisation, _, _ in todo}
    return [
        year_summary(organisation, today.year, built=organisation.pk in built)
        for organisation, _, _ in counties
    ]
