"""Reads of results: what is yet to be published and how timely it was; the archive of all years."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from shuangsuiji.bureau.organisation_settings import organisation_settings
from shuangsuiji.directory.models import InspectionItem
from shuangsuiji.inspections.deadlines import LATE, ON_TIME, PENDING
from shuangsuiji.inspections.models import (
    INACTIVE_STATUSES,
    ON_SECRET_LIST,
    PUBLIC_RESULT,
    Attachment,
    FollowUp,
    Inspection,
    InspectionAssistant,
    InspectionMember,
    ItemCheck,
    Revisit,
)
from shuangsuiji.planning.models import Draw
from shuangsuiji.policy import Quarter
from shuangsuiji.policy.engine import DrawnIn
from shuangsuiji.prepared import PREFIX, Prepared, rows_of


class LocalDay(TruncDate):
    """A time's day in Beijing, computed by the database (``TruncDate`` in the current time
    zone) and handed over as the date the driver made of it. ``TruncDate`` also checks each
    value in Python for a datetime to cut down, which it never is for a date column: for the
    year of a county, the dashboard's two reads of such days spent a tenth of its CPU there
    (issue 21 §3)."""

    def get_db_converters(self, connection):
        return self.output_field.get_db_converters(connection)


def publishable(organisation) -> QuerySet[Inspection]:
    """Results that are to be published (JX-4.7): random or coverage, not 涉密, counting."""
    return (
        Inspection.objects.active()
        .filter(PUBLIC_RESULT, organisation=organisation)
        .exclude(kind=Inspection.Kind.TARGETED)
    )


@dataclass
class PublicationRow:
    """A result in one of 结果公示's lists: its values (``PUBLICATION_VALUES``), where it stands
    and the days it is past its deadline."""

    row: dict
    state: str
    overdue_days: int = 0

    @property
    def pk(self) -> int:
        return self.row["pk"]


@dataclass
class Publication:
    """Where each result of the year stands against its 20 working days (JX-4.7). The lists
    hold the first rows of each kind (``shown``, earliest due first); the counts, all of them."""

    #: The bureau's setting: results wait for the 抽查管理员's release (read with the report).
    require_release: bool = False
    to_release: list[PublicationRow] = field(default_factory=list)
    held: list[PublicationRow] = field(default_factory=list)
    overdue: list[PublicationRow] = field(default_factory=list)
    on_time: int = 0
    late: int = 0
    pending: int = 0
    to_release_count: int = 0
    held_count: int = 0
    overdue_count: int = 0

    @property
    def due(self) -> int:
        return self.on_time + self.late

    @property
    def on_time_share(self) -> str:
        return f"{self.on_time * 100 // self.due}%" if self.due else "—"


#: What a row of 结果公示's lists shows (inspections/templatetags/publication_rows.py): the
#: unit's name, the task, the result, its dates and the draw, read as values (a hundred rows
#: built as inspections with their targets, tasks and draws were a fifth of the page).
PUBLICATION_VALUES = (
    "pk", "result_category", "determined_on", "publication_due",
    "target__name", "task_id", "task__name", "draw_id", "draw__draw_id",
)  # fmt: skip


_PUBLICATION_ROWS = Prepared(
    # Unordered: the lists keep their own order, and the model's ordering would make
    # PostgreSQL hash every task and draw of the bureau to sort the rows.
    lambda ids: Inspection.objects.filter(pk__in=ids).order_by().values(*PUBLICATION_VALUES),
    ids=list,
    planned_once=True,
)


def determined_between(
    rows: QuerySet[Inspection], first: dt.date, last: dt.date, year: int | None = None
) -> QuerySet[Inspection]:
    """Of ``rows`` (``publishable``), the results determined from ``first`` to ``last``; with
    ``year`` (``first`` and ``last`` its first and last day), also those of the year's
    inspections not determined yet: a year's results to be published (JX-4.7). Days, not a
    ``__year`` lookup, so that ``Prepared`` passes them as values."""
    period = Q(determined_on__gte=first, determined_on__lte=last)
    if year is not None:
        period |= Q(determined_on__isnull=True, year=year)
    return rows.filter(period)


def _results_of(organisation: int, first: dt.date, last: dt.date, year: int | None = None):
    return determined_between(publishable(organisation), first, last, year)


def _published_counts(rows: QuerySet) -> QuerySet:
    """(published, of which on time) of ``rows``: one row, none where none is published.
    Published by the end of its due day in Beijing (``__date`` is in the current time zone, as
    ``timezone.localdate`` is); a result without a due date is never late."""
    in_time = Q(publication_due__isnull=True) | Q(published_at__date__lte=F("publication_due"))
    return (
        rows.filter(published_at__isnull=False)
        .order_by()
        .values("organisation_id")
        .annotate(total=Count("pk"), on_time=Count("pk", filter=in_time))
        .values_list("total", "on_time")
    )


def _waiting(rows: QuerySet) -> QuerySet:
    """``rows`` determined and not yet published, the earliest due first, as ``publication``
    classifies them."""
    return (
        rows.filter(published_at__isnull=True, determined_on__isnull=False)
        .order_by("publication_due", "pk")
        .values_list("pk", "status", "released_by_id", "draw_id", "draw__status", "publication_due")
    )


def _of_year_and_quarter(query: Callable[[QuerySet], QuerySet]) -> tuple[Prepared, Prepared]:
    """``query`` of an organisation's results of a year (``year``: with those not determined
    yet) and of a quarter, each compiled once: 结果公示 and the home page's to-dos are counted
    again after every result recorded (issue 21 §3)."""
    days = {"organisation": int, "first": dt.date, "last": dt.date}
    of_year = Prepared(
        lambda organisation, first, last, year: query(_results_of(organisation, first, last, year)),
        **days,
        year=int,
    )
    of_quarter = Prepared(
        lambda organisation, first, last: query(_results_of(organisation, first, last)), **days
    )
    return of_year, of_quarter


_PUBLISHED_IN_YEAR, _PUBLISHED_IN_QUARTER = _of_year_and_quarter(_published_counts)
_WAITING_IN_YEAR, _WAITING_IN_QUARTER = _of_year_and_quarter(_waiting)


def publication(
    organisation,
    year: int,
    today: dt.date | None = None,
    quarter: int | None = None,
    *,
    shown: int | None = None,
) -> Publication:
    """The year's (or one quarter's, by determination date) results against their due dates;
    of each list (to release, held for the list's reveal, overdue) the first ``shown`` rows as
    inspections (all with ``None``, none with 0), and how many there are.

    The published results are only counted, on time or late, by the database, and the waiting
    ones are classified from a few columns each: a county's year is thousands of results, and
    reading each as an inspection with its target and draw cost most of the page (issue 21 §3).
    """
    today = today or timezone.localdate()
    releasing = organisation_settings(organisation).require_release
    if quarter:
        period = Quarter(year, quarter)
        values = {"organisation": organisation.pk, "first": period.start, "last": period.end}
        published, waiting = _PUBLISHED_IN_QUARTER(**values), _WAITING_IN_QUARTER(**values)
    else:
        values = {
            "organisation": organisation.pk,
            "first": dt.date(year, 1, 1),
            "last": dt.date(year, 12, 31),
            "year": year,
        }
        published, waiting = _PUBLISHED_IN_YEAR(**values), _WAITING_IN_YEAR(**values)
    report = Publication(require_release=releasing)
    total, on_time = published[0] if published else (0, 0)
    report.on_time = on_time
    report.late = total - on_time
    lists: dict[str, list[tuple[int, str, int]]] = {"to_release": [], "held": [], "overdue": []}
    for pk, status, released_by_id, draw_id, draw_status, due in waiting:
        state = "未提交"
        if status == Inspection.Status.DONE:
            # ``services.list_is_public``: no draw, or its list revealed (JX-6.4).
            if (releasing and not released_by_id) or draw_id is None or draw_status == "revealed":
                # Unreleased where a release is required; otherwise public already but for a
                # release (a 全覆盖 result submitted while the bureau required one, say).
                state = "待发布"
                lists["to_release"].append((pk, state, 0))
            else:
                state = "待抽取名单公开"
                lists["held"].append((pk, state, 0))
        if due is not None and due < today:
            lists["overdue"].append((pk, state, (today - due).days))
            report.late += 1
        else:
            report.pending += 1
    report.to_release_count = len(lists["to_release"])
    report.held_count = len(lists["held"])
    report.overdue_count = len(lists["overdue"])
    chosen = {name: found[:shown] for name, found in lists.items()}
    wanted = {pk for found in chosen.values() for pk, _, _ in found}
    values = {row["pk"]: row for row in _PUBLICATION_ROWS(ids=sorted(wanted))}
    for name, found in chosen.items():
        getattr(report, name).extend(
            PublicationRow(values[pk], state, days) for pk, state, days in found
        )
    return report


def archive(user) -> QuerySet[Inspection]:
    """Every inspection the user may read, of every year (JX-5.4: kept ≥ 3 years, here for good),
    cancelled and substituted ones included, newest first; the page narrows them with
    ``inspections.filters.ArchiveFilter``."""
    return (
        Inspection.objects.readable_by(user)
        .select_related("organisation", "target", "task")
        .order_by("-year", "-pk")
    )


def archive_years(user) -> list[tuple[int, int, int]]:
    """(year, inspections, of which done) for every year the user's archive holds."""
    done = Count("pk", filter=Q(status=Inspection.Status.DONE))
    return list(
        Inspection.objects.readable_by(user)
        .values("year")
        .annotate(total=Count("pk"), done=done)
        .order_by("-year")
        .values_list("year", "total", "done")
    )


def inspections_this_year(obj) -> tuple[int, int | None]:
    """(year, count) of this year's inspections of a target or by an inspector, of every kind
    (the register page's 年度检查次数; 绛县's cap of 2 counts random checks only, see
    ``annual_counts``); None for other registers."""
    from shuangsuiji.directory.models import Inspector, Target

    year = timezone.localdate().year
    counted = Inspection.objects.counted(year)
    if isinstance(obj, Target):
        return year, counted.filter(target=obj).count()
    if isinstance(obj, Inspector):
        return year, counted.filter(members__inspector=obj).count()
    return year, None


def annual_draws(organisation, year: int) -> dict[int, tuple[DrawnIn, ...]]:
    """Per target, the draws that chose it at random this year (its 双随机 抽查, as
    ``annual_counts`` counts them), each marked public or not: an exclusion that rests on a
    list not yet public is withheld from the next pool (绛县 四、（五）; 六、四 保密)."""
    rows = (
        Inspection.objects.counted(year, organisation, kind=Inspection.Kind.RANDOM)
        .order_by()
        .values_list("target_id", "draw__draw_id", "draw__status")
    )
    drawn: defaultdict[int, list[DrawnIn]] = defaultdict(list)
    for target_id, draw_id, status in rows:
        # A random inspection without a draw (entered by hand) rests on no secret list.
        drawn[target_id].append(
            DrawnIn(draw_id or "", draw_id is None or status in Draw.LIST_PUBLIC)
        )
    return {target_id: tuple(found) for target_id, found in drawn.items()}


def annual_counts(organisation, year: int) -> Counter:
    """双随机 抽查 per target this year, for 绛县's cap (四、（五） “同一年度内对同一污染源的
    抽查次数不超过2次”): random inspections of the year's draws, inspected yet or not; cancelled
    ones (an aborted draw) and those substituted away do not count, nor do 定向 checks (三、（一）'s
    nine cases: complaints, 交办, emergencies …) or 全覆盖 checks, which are no 抽查."""
    counted = Inspection.objects.counted(year, organisation, kind=Inspection.Kind.RANDOM)
    return Counter(counted.order_by().values_list("target_id", flat=True))


def inspector_loads(organisation, year: int) -> Counter:
    """Inspections per inspector this year: the load the matching evens out."""
    # One grouped count over a join: an ``inspection__in=`` subquery kept the inspections'
    # Meta ordering and took seconds per call on PostgreSQL with a year of inspections, and
    # every draw_prepare asks for the loads.
    rows = (
        InspectionMember.objects.filter(
            inspection__organisation=organisation, inspection__year=year
        )
        .exclude(inspection__status__in=INACTIVE_STATUSES)
        .order_by()
        .values("inspector_id")
        .annotate(n=Count("pk"))
    )
    return Counter({row["inspector_id"]: row["n"] for row in rows})


# ---- 检查时限 (保定 三、（三） “在规定时限内”; 绛县 四、（五）4 “检查时限要求”) ----------

#: Inspections still to be done: 待检查, and 待人工指派执法人员.
OPEN_STATUSES = (Inspection.Status.ASSIGNED, Inspection.Status.NEEDS_TEAM)


@dataclass(frozen=True)
class LateInspection:
    """A row of 逾期事项: the inspection's values (``OVERDUE_VALUES``), its task's 检查时限, the
    days it is past it, and its team as (name, leads) in order."""

    row: dict
    deadline: dt.date
    overdue_days: int
    team: tuple[tuple[str, bool], ...]

    @property
    def pk(self) -> int:
        return self.row["pk"]


def _team_members(ids, *more):
    return (
        InspectionMember.objects.filter(inspection_id__in=ids)
        .order_by("inspection_id", "position")
        .values_list("inspection_id", "inspector__name", "is_lead", *more)
    )


#: Compiled once per connection (shuangsuiji.prepared): with and without the 执法证号.
_TEAM_MEMBERS = {
    more: Prepared(lambda ids, more=more: _team_members(ids, *more), ids=list, planned_once=True)
    for more in ((), ("inspector__certificate_no",))
}


def team_members(ids: list[int], *more: str) -> dict[int, tuple[tuple, ...]]:
    """The teams of the inspections ``ids`` as the lists show them: each member's name, whether
    they lead and ``more`` of the member's values (``inspector__certificate_no``), in order, by
    inspection id; one query, no model objects. The inspector's encrypted 身份证号 and phone are
    neither read nor decrypted."""
    teams: dict[int, list[tuple]] = defaultdict(list)
    for inspection_id, *member in _TEAM_MEMBERS[more](ids=ids):
        teams[inspection_id].append(tuple(member))
    return {pk: tuple(team) for pk, team in teams.items()}


def _item_names(ids, confidential):
    chosen = Inspection.items.through.objects.filter(inspection_id__in=ids)
    if not confidential:
        chosen = chosen.filter(inspectionitem__confidential=False)
    return chosen.order_by("inspectionitem__sequence", "inspectionitem__name").values_list(
        "inspection_id", "inspectionitem__name"
    )


#: Compiled once per connection (shuangsuiji.prepared): all items, or the public ones.
_ITEM_NAMES = {
    confidential: Prepared(
        lambda ids, c=confidential: _item_names(ids, c), ids=list, planned_once=True
    )
    for confidential in (True, False)
}


def item_names(ids: list[int], *, confidential: bool = True) -> dict[int, list[str]]:
    """The names of the 抽查事项 of the inspections ``ids``, in the items' own order
    (``InspectionItem.Meta.ordering``), by inspection id; one query. ``confidential=False``
    leaves out the items the public may not see."""
    names: dict[int, list[str]] = defaultdict(list)
    for inspection_id, name in _ITEM_NAMES[confidential](ids=ids):
        names[inspection_id].append(name)
    return names


#: What a row of a draw's list shows (planning/templatetags/draw_rows.py): the class, the
#: unit's draw id (its project code or credit code), name and area, the method, flags and
#: status, read as values; the team comes by ``team_members``. Fifty inspections built with
#: their targets and prefetched teams were a fifth of the page (issue 21 §3); an inspection's
#: record and a member's encrypted 身份证号 and phone are not read.
DRAW_LIST_VALUES = (
    "pk", "stratum", "status", "method", "flags",
    "target__name", "target__area", "target__project_code", "target__credit_code",
)  # fmt: skip

#: Compiled once per connection (shuangsuiji.prepared): 抽取详情 reads a page of its list.
_DRAWN_ROWS = Prepared(
    lambda draw: (
        Inspection.objects.filter(draw_id=draw).order_by("stratum", "pk").values(*DRAW_LIST_VALUES)
    ),
    draw=int,
    sliced=True,
)
_DRAWN_COUNT = Prepared(
    lambda draw: (
        Inspection.objects.filter(draw_id=draw)
        .order_by()
        .values("draw_id")
        .annotate(count=Count("pk"))
        .values_list("count", flat=True)
    ),
    draw=int,
    planned_once=True,
)


def drawn_rows(draw_id: int, offset: int, limit: int) -> list[dict]:
    """A page of a draw's inspections as 抽取详情 lists them, by class, then as drawn."""
    return _DRAWN_ROWS(draw=draw_id, limit=limit, offset=offset)


def drawn_count(draw_id: int) -> int:
    """How many inspections a draw made (counted without the list's joins)."""
    return next(iter(_DRAWN_COUNT(draw=draw_id)), 0)


_REVISITS = rows_of(Revisit, "draw", "inspection__target")


def draw_revisits(draw_id: int) -> list[Revisit]:
    """A draw's 回访 sample by rank, each with its inspection's target (抽取详情), as
    ``draw.revisits.select_related("inspection__target")`` gives them."""
    return _REVISITS(draw=draw_id)


#: What 逾期事项 shows of a late check (inspections/templatetags/overdue_rows.py), read as
#: values: some fifty rows with their targets, tasks and teams built as objects were a fifth of
#: the page's CPU (issue 21 §3).
OVERDUE_VALUES = ("pk", "status", "target__name", "task__number", "task__quarter")


def _late(organisation, today) -> QuerySet[Inspection]:
    """The organisation's inspections still open after their task's deadline."""
    return Inspection.objects.filter(
        organisation=organisation,
        status__in=OPEN_STATUSES,
        task__inspection_deadline__lt=today,
    )


def _overdue(organisation, today):
    return (
        _late(organisation, today)
        .order_by("task__inspection_deadline", "task__sequence", "pk")
        .values(*OVERDUE_VALUES, deadline=F("task__inspection_deadline"))
    )


#: Compiled once per connection (shuangsuiji.prepared): all of them, or the first ``shown``.
_OVERDUE = Prepared(_overdue, organisation=int, today=dt.date)
_OVERDUE_SHOWN = Prepared(_overdue, organisation=int, today=dt.date, sliced=True)


def overdue_inspections(
    organisation, today: dt.date, shown: int | None = None
) -> list[LateInspection]:
    """The organisation's inspections still open after their task's deadline, the longest
    overdue first: for the coordinator to chase (逾期事项). ``shown``: only that many. Two
    queries."""
    if shown is None:
        rows = _OVERDUE(organisation=organisation.pk, today=today)
    else:
        rows = _OVERDUE_SHOWN(organisation=organisation.pk, today=today, limit=shown)
    teams = team_members([row["pk"] for row in rows]) if rows else {}
    return [
        LateInspection(
            row, row["deadline"], (today - row["deadline"]).days, teams.get(row["pk"], ())
        )
        for row in rows
    ]


def _count_of(rows: QuerySet) -> QuerySet:
    """``rows`` counted by the database, as a query ``Prepared`` can compile (it has no
    ``count()``): one row, none when there is nothing to count."""
    return (
        rows.order_by()
        .values("organisation_id")
        .annotate(n=Count("pk"))
        .values_list("n", flat=True)
    )


_OVERDUE_COUNT = Prepared(
    lambda organisation, today: _count_of(_late(organisation, today)),
    organisation=int,
    today=dt.date,
)


def overdue_inspection_count(organisation, today: dt.date) -> int:
    """How many rows ``overdue_inspections`` lists, counted by the database (the home page's
    to-do needs the number only)."""
    return sum(_OVERDUE_COUNT(organisation=organisation.pk, today=today))


def _late_follow_ups(organisation, today) -> QuerySet[FollowUp]:
    """The organisation's follow-ups still open after their deadline: one range of an index
    (``followup_open_due``)."""
    return FollowUp.objects.filter(
        organisation=organisation, closed_on__isnull=True, deadline__lt=today
    )


#: 逾期事项's list of follow-ups, the earliest deadline first, as the values it shows, and
#: their count: compiled once (``shuangsuiji.prepared``). Built as follow-ups with their
#: inspections and targets, the fifty rows cost a third of the page recomputed after a change.
_LATE_FOLLOW_UPS = Prepared(
    lambda organisation, today: (
        _late_follow_ups(organisation, today)
        .order_by("deadline")
        .values("inspection_id", "inspection__target__name", "kind", "deadline")
    ),
    organisation=int,
    today=dt.date,
    sliced=True,
)
_LATE_FOLLOW_UP_COUNT = Prepared(
    lambda organisation, today: _count_of(_late_follow_ups(organisation, today)),
    organisation=int,
    today=dt.date,
)


def overdue_follow_ups(organisation, today: dt.date, shown: int) -> tuple[list[dict], int]:
    """The first ``shown`` of the organisation's follow-ups still open after their deadline
    (``inspection_id``, ``inspection__target__name``, ``kind``, ``deadline``), the earliest
    first, and how many there are."""
    values = {"organisation": organisation.pk, "today": today}
    rows = _LATE_FOLLOW_UPS(**values, limit=shown)
    return rows, sum(_LATE_FOLLOW_UP_COUNT(**values))


def inspector_open_counts(user, today: dt.date) -> tuple[int, int]:
    """(open, of which past their deadline) of ``inspector_inspections``: the home page's and
    the menu's to-dos need the numbers only. Counted here from the team's inspections as
    ``my_tasks`` reads them (one lookup by the inspector's teams, compiled once per
    connection): counted in the database by organisation, PostgreSQL joined the bureau's
    thousands of inspections with the inspector's teams, 10 ms a menu at province scale while
    results were being submitted (benchmarks/load.py's pg_stat_statements; issue 21 §3)."""
    still, _ = _teams_work(user)
    return len(still), _past_deadline(still, today)


#: The values a card of 我的任务 shows (inspections/templatetags/task_cards.py): read as values,
#: not as inspections with their targets, tasks and draws. An inspection row holds the findings,
#: the records and the draw's materials, and building forty of them with their related objects
#: and prefetched teams and items was half the page's CPU (issue 21 §3, benchmarks/staff.py).
MY_TASK_VALUES = (
    "pk", "status", "kind", "method",
    "target_id", "target__name", "target__address", "target__area",
    "task_id", "task__name", "task__inspection_deadline",
    "draw_id", "draw__reveal_on",
)  # fmt: skip


@dataclass(frozen=True)
class TaskCard:
    """An inspection as a card of 我的任务 shows it: its values (``MY_TASK_VALUES``), its task's
    检查时限 and the days it is past it while still open, its items' names in order and its team
    as (name, leads) in order."""

    row: dict
    deadline: dt.date | None
    overdue_days: int
    items: tuple[str, ...]
    team: tuple[tuple[str, bool], ...]

    @property
    def pk(self) -> int:
        return self.row["pk"]

    @property
    def overdue(self) -> bool:
        return self.overdue_days > 0


_CARD_ROWS = Prepared(
    # Unordered (the cards keep the order of ``ids``): sorted by the model's ordering, PostgreSQL
    # hashes every task and draw of the bureau to join them.
    lambda ids: Inspection.objects.filter(pk__in=ids).order_by().values(*MY_TASK_VALUES),
    ids=list,
    planned_once=True,
)


def task_cards(ids: list[int], today: dt.date) -> list[TaskCard]:
    """The cards of the inspections ``ids``, in that order: three queries whatever their number
    (the rows, the teams, the items)."""
    if not ids:
        return []
    rows = {row["pk"]: row for row in _CARD_ROWS(ids=ids)}
    teams = team_members(ids)
    items = item_names(ids)
    cards = []
    for pk in ids:
        row = rows[pk]
        deadline = row["task__inspection_deadline"]
        late = deadline is not None and row["status"] in OPEN_STATUSES and deadline < today
        cards.append(
            TaskCard(
                row,
                deadline,
                (today - deadline).days if late else 0,
                tuple(items[pk]),
                teams.get(pk, ()),
            )
        )
    return cards


#: Finished inspections shown per page of 我的任务.
DONE_PAGE = 20


@dataclass(frozen=True)
class MyTasks:
    """我的任务: the open inspections shown (``open``) of ``open_total``, ``late`` of them past
    their deadline, and a page of the finished ones (``done``; ``older`` is the ``before`` of
    the next, older page, None on the last)."""

    open: list[TaskCard]
    open_total: int
    late: int
    done: list[TaskCard]
    older: int | None


def _teams_inspections(certificate_no):
    teams = InspectionMember.objects.filter(inspector__certificate_no=certificate_no)
    return (
        Inspection.objects.filter(pk__in=teams.values("inspection_id"))
        .active()
        .order_by()
        .values_list(
            "pk", "organisation_id", "status", "task__inspection_deadline", "draw__reveal_on"
        )
    )


#: Compiled once per connection (shuangsuiji.prepared): every 我的任务 and home page of an
#: inspector asks it.
_TEAMS_INSPECTIONS = Prepared(_teams_inspections, certificate_no=str)


def _teams_work(user, before: int | None = None) -> tuple[list[tuple], list[int]]:
    """The inspections of the inspector's teams in their organisation (``my_tasks`` says why it
    is checked here): the open ones as their order keys, sorted, and the finished ones' ids
    (below ``before`` where given), unsorted."""
    still, done = [], []
    for pk, organisation, status, deadline, reveal_on in _TEAMS_INSPECTIONS(
        certificate_no=user.username
    ):
        if organisation != user.organisation_id:
            continue
        if status in OPEN_STATUSES:
            # The database's order: the deadline, then the day the list is revealed, each
            # missing one last, then the id.
            still.append((deadline is None, deadline, reveal_on is None, reveal_on, pk))
        elif before is None or pk < before:
            done.append(pk)
    still.sort()
    return still, done


def _past_deadline(still: list[tuple], today: dt.date) -> int:
    """How many of ``_teams_work``'s open inspections are past their 检查时限."""
    return sum(1 for _, deadline, *_ in still if deadline is not None and deadline < today)


def my_tasks(
    user,
    today: dt.date,
    *,
    shown: int | None,
    before: int | None = None,
    size: int | None = None,
) -> MyTasks:
    """What 我的任务 shows the inspector: the open inspections of their teams, the earliest
    deadline first (the overdue ones lead), ``shown`` of them (all when None); and their
    finished ones, the latest first, by keyset (``pk`` below ``before``), so a page costs the
    same in the first year and the tenth (issue 21 §3). Four queries.

    The ids, statuses and order keys of all the team's inspections are read in one query and
    sorted here: ordered with a LIMIT in the database, PostgreSQL walks the deadline order or
    the primary key testing every inspection of the bureau, or of the province, for the
    inspector's team (0.9 s a page at province scale, benchmarks/load.py's pg_stat_statements);
    an inspector's inspections are some hundreds a year. The organisation is checked here too:
    filtered in the query, PostgreSQL scans the bureau's thousands of inspections to join them
    with the inspector's teams, where from the teams it looks up their hundreds by id."""
    size = size or DONE_PAGE
    still, done = _teams_work(user, before)
    late = _past_deadline(still, today)
    shown_ids = [key[-1] for key in still[:shown]]
    done = sorted(done, reverse=True)[: size + 1]
    older = done[size - 1] if len(done) > size else None
    cards = task_cards(shown_ids + done[:size], today)
    return MyTasks(cards[: len(shown_ids)], len(still), late, cards[len(shown_ids) :], older)


def inspector_inspections(user, today: dt.date, shown: int | None = None) -> list[TaskCard]:
    """我的任务, still to do: the cards of the open inspections of the inspector's teams, the
    earliest deadline first; ``shown`` of them (all when None)."""
    return my_tasks(user, today, shown=shown).open


@dataclass(frozen=True)
class DeadlineFact:
    """What the dashboard needs of an inspection against its deadline."""

    pk: int
    quarter: int
    deadline: dt.date
    status: str
    checked_on: dt.date | None


def deadline_state(fact: DeadlineFact, today: dt.date) -> str:
    """Done by the deadline (by its 检查时间) is on time, after it late; still open, it is late
    once the deadline has passed and pending before."""
    if fact.status == Inspection.Status.DONE:
        return LATE if fact.checked_on and fact.checked_on > fact.deadline else ON_TIME
    return LATE if fact.deadline < today else PENDING


def secret_lists_hidden_from(user, organisation, year: int) -> bool:
    """Whether ``user`` reads ``organisation`` from above (a 市局) while one of its draws of the
    year is still unrevealed: then no list derived from who was drawn — such as the units not
    yet covered — may be shown to them (JX-6.4 保密, docs/security.md)."""
    if user.organisation_id == organisation.pk:
        return False
    return (
        Inspection.objects.filter(organisation=organisation, year=year)
        .filter(ON_SECRET_LIST)
        .exists()
    )


# -- the record form ---------------------------------------------------------------------------


@dataclass
class RecordRows:
    """What the record form shows of one inspection, each read by a query compiled once per
    connection (the form is an inspector's most used page: issue 21 §3)."""

    inspection: Inspection
    #: The team, each member with its inspector, in position order.
    members: list[InspectionMember]
    items: list[InspectionItem]
    #: Each item's check, by the item's id.
    checks: dict[int, ItemCheck]
    attachments: list[Attachment]
    #: The experts and auxiliary people beside the team, each with their register entry.
    assistants: list[InspectionAssistant]


_OPENED = Prepared(
    lambda pk, path, organisation: (
        Inspection.objects.readable_from(path, organisation)
        .select_related("target", "task", "draw", "organisation")
        .filter(pk=pk)
    ),
    pk=int,
    path=PREFIX,
    organisation=int,
    planned_once=True,
)


_MEMBERS = rows_of(InspectionMember, "inspection", "inspector")
_ITEMS = Prepared(
    lambda inspection: InspectionItem.objects.filter(inspections=inspection),
    inspection=int,
    planned_once=True,
)
_CHECKS = rows_of(ItemCheck, "inspection")
_ATTACHMENTS = rows_of(Attachment, "inspection")
_ASSISTANTS = rows_of(InspectionAssistant, "inspection", "person")


def record_rows(user, pk: int) -> RecordRows | None:
    """The inspection ``pk`` as ``user`` may read it (``Inspection.objects.readable_by``), with
    what its record form lists; ``None`` where it is not theirs to read (or does not exist)."""
    if not user.is_authenticated:
        return None
    found = _OPENED(pk=pk, path=user.organisation.path, organisation=user.organisation_id)
    if not found:
        return None
    [inspection] = found
    return RecordRows(
        inspection=inspection,
        members=_MEMBERS(inspection=pk),
        items=_ITEMS(inspection=pk),
        checks={check.item_id: check for check in _CHECKS(inspection=pk)},
        attachments=_ATTACHMENTS(inspection=pk),
        assistants=_ASSISTANTS(inspection=pk),
    )
