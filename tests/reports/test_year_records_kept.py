"""The reports keep an organisation's year of inspections in memory and, on PostgreSQL, read again
only the inspections the database logged as changed since (reports/statistics.py
``year_records``, disclosure.models.InspectionChange; issue 21 §3). Whatever changed, the
tables counted from the kept year must be the tables counted from the year read afresh: every
figure a 市局 receives (GC-4.4b 每季度统计表报送市局) must stay true."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from shuangsuiji.directory.models import Target
from shuangsuiji.disclosure.models import InspectionChange, PublicVersion
from shuangsuiji.disclosure.versions import CHANGES_KEPT, PRUNED_EVERY
from shuangsuiji.inspections.models import FollowUp, Inspection
from shuangsuiji.inspections.services import follow_up_open
from shuangsuiji.reports.facts import KEPT_RESULTS, Facts
from shuangsuiji.reports.statistics import KEPT, YearRecords, year_records
from tests.support.portal import build_portal, record, staffed, team_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PERIODS = (None, 1, 2, 3, 4)


@pytest.fixture
def portal(organisations, make_user):
    KEPT.clear()
    KEPT_RESULTS.clear()
    yield build_portal(organisations, make_user)
    KEPT.clear()
    KEPT_RESULTS.clear()


def kept_and_fresh(county) -> tuple[YearRecords, YearRecords, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        kept = year_records([county], 2026)
    return kept, YearRecords.load([county], 2026), [q["sql"] for q in queries.captured_queries]


def assert_same(kept: YearRecords, fresh: YearRecords, county) -> None:
    """Every table of the year and its quarters, and every row they are counted from."""
    for quarter in PERIODS:
        assert kept.table(county, quarter) == fresh.table(county, quarter), quarter
    by_pk = {row["pk"]: row for row in fresh.inspections[county.pk]}
    assert {row["pk"]: row for row in kept.inspections[county.pk]} == by_pk
    # Unordered within an inspection: a team is counted as a set of people.
    for field in ("follow_ups", "members"):
        assert {pk: sorted(rows) for pk, rows in getattr(kept, field).items()} == {
            pk: sorted(rows) for pk, rows in getattr(fresh, field).items()
        }, field
    assert kept.joint_parts == fresh.joint_parts
    assert (kept.revisits_sampled, kept.revisits_done) == (
        fresh.revisits_sampled,
        fresh.revisits_done,
    )

    # What the boards derive from the rows, kept with the year and carried over after a change
    # (``OrganisationYear.quarter_rows``, ``workloads``, ``deadline_facts``): as derived afresh.
    def by_pk(rows: list[dict]) -> list[dict]:
        return sorted(rows, key=lambda row: row["pk"])

    for quarter in PERIODS:
        assert by_pk(kept.rows(county, quarter)) == by_pk(fresh.rows(county, quarter)), quarter
        assert kept.workload(county, quarter) == fresh.workload(county, quarter), quarter
    assert {f.pk: f for f in kept.deadline_facts(county)} == {
        f.pk: f for f in fresh.deadline_facts(county)
    }


def year_read(sql: list[str]) -> bool:
    """Whether the county's inspections were read whole (not by a list of changed ids: ``IN``,
    or one array on PostgreSQL where the query is compiled once, ``shuangsuiji.prepared``)."""
    by_id = ('"inspections_inspection"."id" IN', '"inspections_inspection"."id" = ANY(')
    return any(
        'FROM "inspections_inspection"' in s and not any(ids in s for ids in by_id)
        for s in sql
        if s.startswith('SELECT "inspections_inspection"."id" AS "pk"')
    )


def test_a_result_recorded_is_read_alone_and_the_tables_stay_true(portal, make_user):
    county = portal.county
    kept, fresh, sql = kept_and_fresh(county)
    assert year_read(sql)
    assert_same(kept, fresh, county)
    before = fresh.table(county, 4).figures["checked"].value

    # An inspector submits a result: the county's counter rises, each rise logged.
    inspection = next(i for i in staffed(portal.revealed, 10) if i.status == "assigned")
    counter = PublicVersion.objects.get(organisation_id=county.pk).counter
    record(inspection, team_user(inspection, make_user))
    now = PublicVersion.objects.get(organisation_id=county.pk).counter
    logged = InspectionChange.objects.filter(organisation_id=county.pk, counter__gt=counter)
    assert now > counter
    assert set(logged.values_list("counter", flat=True)) == set(range(counter + 1, now + 1))
    assert set(logged.values_list("inspection_id", flat=True)) == {inspection.pk}

    kept, fresh, sql = kept_and_fresh(county)
    assert not year_read(sql)  # the one inspection, by id
    assert len(sql) == 2  # the counters and log, then the inspection with its rows (arrays)
    assert_same(kept, fresh, county)
    assert kept.table(county, 4).figures["checked"].value == before + 1

    # Nothing changed since: the kept year, one query.
    with CaptureQueriesContext(connection) as queries:
        again = year_records([county], 2026)
    assert len(queries) == 1
    assert_same(again, fresh, county)


def test_follow_ups_removals_and_bulk_updates_are_read_again(portal, make_user):
    county = portal.county
    year_records([county], 2026)

    # A follow-up opened (a row of an inspection), a result withdrawn from the count by an
    # update no service made, and a 回访 done.
    follow_up_open(
        actor=portal.coordinator, inspection=portal.clean, kind="case",
        opened_on=dt.date(2026, 11, 25), deadline=dt.date(2026, 12, 25), case_number="遵环罚〔2026〕12号",
    )  # fmt: skip
    Inspection.objects.filter(pk=portal.secret.pk).update(status=Inspection.Status.SUBSTITUTED)
    kept, fresh, sql = kept_and_fresh(county)
    assert not year_read(sql)
    assert_same(kept, fresh, county)
    assert portal.secret.pk not in {row["pk"] for row in kept.inspections[county.pk]}
    assert kept.table(county, 4).figures["case"].ids == {portal.clean.pk}

    # A follow-up corrected, the inspection's items cleared, and its organisation mistaken and
    # put back.
    FollowUp.objects.filter(inspection=portal.clean, kind="case").update(kind="rectify")
    Inspection.items.through.objects.filter(inspection=portal.clean).delete()
    Inspection.objects.filter(pk=portal.clean.pk).update(organisation=portal.neighbour)
    kept, fresh, _ = kept_and_fresh(county)
    assert_same(kept, fresh, county)
    assert portal.clean.pk not in {row["pk"] for row in kept.inspections[county.pk]}
    Inspection.objects.filter(pk=portal.clean.pk).update(organisation=county)
    kept, fresh, _ = kept_and_fresh(county)
    assert_same(kept, fresh, county)
    assert kept.table(county, 4).figures["case"].ids == set()
    assert portal.clean.pk in kept.table(county, 4).figures["rectify"].ids


def test_a_change_not_logged_reads_the_year_again(portal):
    county = portal.county
    year_records([county], 2026)
    # A unit renamed raises the counter without an inspection: the register, tasks or draws
    # the tables also read may have changed, so the year is read whole.
    Target.objects.filter(
        pk=Target.objects.filter(organisation=county).order_by("pk")[0].pk
    ).update(name="改名企业")
    kept, fresh, sql = kept_and_fresh(county)
    assert year_read(sql)
    assert_same(kept, fresh, county)

    # A result and a draw's tasks changed together: read whole too.
    Inspection.objects.filter(pk=portal.clean.pk).update(status=Inspection.Status.CANCELLED)
    portal.revealed.task.__class__.objects.filter(pk=portal.revealed.task_id).update(
        draw_date=portal.revealed.task.draw_date
    )
    kept, fresh, sql = kept_and_fresh(county)
    assert year_read(sql)
    assert_same(kept, fresh, county)


def test_a_year_read_inside_a_transaction_is_not_kept(portal, make_user):
    county = portal.county
    year_records([county], 2026)
    first, second = [i for i in staffed(portal.revealed, 10) if i.status == "assigned"][:2]
    with transaction.atomic():
        record(first, team_user(first, make_user))
        inside = year_records([county], 2026)
        assert inside.table(county, 4) == YearRecords.load([county], 2026).table(county, 4)
        assert first.pk in inside.table(county, 4).figures["checked"].ids
        transaction.set_rollback(True)
    # The first submission was rolled back; the second is made, and one more change after it,
    # so the counter passes where it stood inside the transaction.
    record(second, team_user(second, make_user))
    Inspection.objects.filter(pk=portal.clean.pk).update(findings="内部记录：补充")
    kept, fresh, sql = kept_and_fresh(county)
    assert not year_read(sql)
    assert_same(kept, fresh, county)
    checked = kept.table(county, 4).figures["checked"].ids
    assert second.pk in checked and first.pk not in checked


def test_the_log_keeps_the_newest_counters_and_a_reader_further_behind_reads_the_year(portal):
    county = portal.county
    year_records([county], 2026)
    start = PublicVersion.objects.get(organisation_id=county.pk).counter
    # More single writes than the log keeps counters of (CHANGES_KEPT), one statement each.
    for n in range(CHANGES_KEPT + 2 * PRUNED_EVERY):
        Inspection.objects.filter(pk=portal.clean.pk).update(findings=f"内部记录：第 {n} 次")
    now = PublicVersion.objects.get(organisation_id=county.pk).counter
    assert now == start + CHANGES_KEPT + 2 * PRUNED_EVERY
    pruned_at = now - now % PRUNED_EVERY
    logged = InspectionChange.objects.filter(organisation_id=county.pk)
    assert min(logged.values_list("counter", flat=True)) == pruned_at - CHANGES_KEPT + 1
    # The part kept from before is further behind than the log reaches: the year is read.
    kept, fresh, sql = kept_and_fresh(county)
    assert year_read(sql)
    assert_same(kept, fresh, county)


def test_records_narrowed_to_some_rows_count_their_own_tables(portal):
    """The tables counted from a kept year are kept with it (``OrganisationYear.tables``); the
    upward report's round narrows the year's records to one task's rows
    (``dataclasses.replace``, ``upward._round_table``). The narrowed records count their rows
    alone, and the kept year's tables stay the whole year's, whichever is counted first."""
    county = portal.county
    kept, fresh = year_records([county], 2026), YearRecords.load([county], 2026)
    assert kept.parts, "on PostgreSQL the year is kept"
    some = {county.pk: kept.inspections[county.pk][:1]}
    narrowed = replace(kept, inspections=some).table(county)
    assert narrowed == replace(fresh, inspections=some).table(county)
    assert_same(year_records([county], 2026), fresh, county)
    assert replace(year_records([county], 2026), inspections=some).table(county) == narrowed
    assert narrowed != fresh.table(county)


def test_an_update_recounts_only_the_quarters_its_inspections_were_or_are_in(portal):
    """A kept year brought up to date keeps the tables of the quarters none of the changed
    inspections was or is in (``OrganisationYear.updated``); the year's, their union, is
    counted again. A 定向检查 (no task: it counts in the quarter of its 认定日期) corrected
    from one quarter to another leaves the one table and enters the other."""
    county, targeted = portal.county, portal.targeted
    before, fresh, _ = kept_and_fresh(county)
    assert_same(before, fresh, county)  # every period counted, and kept with the year
    was = before.table(county, None).figures["targeted"].ids
    assert targeted.pk in was
    moved_from = next(
        q for q in (1, 2, 3, 4) if targeted.pk in before.table(county, q).figures["targeted"].ids
    )
    moved_to = 1 if moved_from != 1 else 3
    Inspection.objects.filter(pk=targeted.pk).update(
        determined_on=dt.date(2026, 3 * moved_to - 1, 15)
    )
    after, fresh, sql = kept_and_fresh(county)
    assert not year_read(sql)
    untouched = {1, 2, 3, 4} - {moved_from, moved_to}
    kept_tables = {q: after.parts[county.pk].tables.get(q) for q in untouched}
    assert all(kept_tables[q] is before.table(county, q) for q in untouched)
    # The two touched quarters are counted again from their tables before and the one
    # inspection changed, not from all their rows (``YearRecords._count``).
    assert after.parts[county.pk].earlier == {
        q: (before.table(county, q), {targeted.pk}) for q in (moved_from, moved_to)
    }
    assert_same(after, fresh, county)
    assert targeted.pk in after.table(county, moved_to).figures["targeted"].ids
    assert targeted.pk not in after.table(county, moved_from).figures["targeted"].ids
    assert after.table(county, None).figures["targeted"].ids == was


# ---- the dashboard's results against their publication deadline (reports/facts.py) ----------

TODAY = dt.date(2026, 12, 10)


def publication(county) -> dict:
    """What the dashboard shows of the county's results (JX-4.7 按期公示, 保定 二 每月公示),
    per period, in a fixed order, and the SQL it read them with."""
    with CaptureQueriesContext(connection) as queries:
        facts = Facts([county], 2026, TODAY)
        shown = {
            quarter: (
                sorted(facts.publication(county, quarter)),
                facts.monthly_publication(county, quarter),
            )
            for quarter in PERIODS
        }
    return shown, [q["sql"] for q in queries.captured_queries]


def publication_fresh(county) -> dict:
    with override_settings(SHUANGSUIJI_KEPT_INSPECTIONS=0):  # nothing kept: read afresh
        return publication(county)[0]


def results_read(sql: list[str]) -> str:
    """How the county's results were read: whole, by the ids of changed inspections, or not."""
    reads = [s for s in sql if '"inspections_inspection"."publication_due"' in s]
    if not reads:
        return "not read"
    by_id = ('"inspections_inspection"."id" IN', '"inspections_inspection"."id" = ANY(')
    return "by id" if all(any(ids in s for ids in by_id) for s in reads) else "whole"


def test_the_dashboards_results_are_kept_and_read_again_only_where_they_changed(portal, make_user):
    """A 市局's board recomputed after a result in one of its 分局 read every result of the
    city's year again (issue 21 §3: 0.56 s a request at province scale); the results are now
    kept like the year's records, and what the board says of them stays what a fresh read says."""
    county = portal.county
    shown, sql = publication(county)
    assert results_read(sql) == "whole"
    assert shown == publication_fresh(county)
    on_time = len(shown[None][0])
    assert on_time >= 2  # the published results of the fixture: the board has rows to count

    # Nothing changed: the kept results, not read.
    again, sql = publication(county)
    assert results_read(sql) == "not read"
    assert again == shown

    # A result submitted (published at once): that inspection alone is read, and counted.
    inspection = next(i for i in staffed(portal.revealed, 10) if i.status == "assigned")
    record(inspection, team_user(inspection, make_user))
    shown, sql = publication(county)
    assert results_read(sql) == "by id"
    assert shown == publication_fresh(county)
    assert len(shown[None][0]) == on_time + 1
    assert inspection.pk in {result.pk for result, _ in shown[4][0]}

    # A result withdrawn from the count by an update no service made: dropped.
    Inspection.objects.filter(pk=portal.clean.pk).update(status=Inspection.Status.SUBSTITUTED)
    shown, sql = publication(county)
    assert results_read(sql) == "by id"
    assert shown == publication_fresh(county)
    assert portal.clean.pk not in {result.pk for result, _ in shown[None][0]}

    # A change the log does not carry (a unit renamed): read whole again.
    Target.objects.filter(
        pk=Target.objects.filter(organisation=county).order_by("pk")[0].pk
    ).update(name="改名企业")
    shown, sql = publication(county)
    assert results_read(sql) == "whole"
    assert shown == publication_fresh(county)


def test_a_board_reads_the_log_once_for_its_year_and_its_results(portal, make_user):
    """The board brings its kept year of inspections and its kept results up to date from one
    read of the counters and the log (``Facts.changes``), each from where it stood: here the
    统计表 has brought the year past one result the results have not seen yet."""
    county = portal.county
    facts = Facts([county], 2026, TODAY)
    facts.table(county, None), facts.publication(county, None)  # both kept
    first, second = [i for i in staffed(portal.revealed, 10) if i.status == "assigned"][:2]
    record(first, team_user(first, make_user))
    year_records([county], 2026)  # the 统计表 opened: the year, not the results, moves on
    record(second, team_user(second, make_user))

    with CaptureQueriesContext(connection) as queries:
        facts = Facts([county], 2026, TODAY)
        tables = {quarter: facts.table(county, quarter) for quarter in PERIODS}
        shown = {quarter: sorted(facts.publication(county, quarter)) for quarter in PERIODS}
    sql = [q["sql"] for q in queries.captured_queries]
    assert sum("disclosure_inspectionchange" in s for s in sql) == 1
    assert not year_read(sql) and results_read(sql) == "by id"
    fresh = YearRecords.load([county], 2026)
    assert tables == {quarter: fresh.table(county, quarter) for quarter in PERIODS}
    assert shown == {quarter: found[0] for quarter, found in publication_fresh(county).items()}
    assert {first.pk, second.pk} <= {result.pk for result, _ in shown[None]}


def test_bringing_the_year_up_to_date_is_planned_once_per_connection(portal, make_user):
    """The two queries that bring a kept year up to date after each result — the counters with
    the log, and the changed inspections with their rows — run after every result a province's
    inspectors record. PostgreSQL plans each once per connection and keeps the plan: left to
    choose, it planned them afresh on every run (a few ids looked cheaper than the ten an
    array is assumed to hold), which cost it more than running them (docs/staff-speed.md)."""
    county = portal.county
    year_records([county], 2026)
    assigned = [i for i in staffed(portal.revealed, 10) if i.status == "assigned"][:3]
    assert len(assigned) >= 2
    for inspection in assigned:
        record(inspection, team_user(inspection, make_user))
        kept, fresh, sql = kept_and_fresh(county)
        assert len(sql) == 2 and not year_read(sql)
        assert_same(kept, fresh, county)

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements")
        plans = cursor.fetchall()
    log = [(g, c) for sql, g, c in plans if "FROM unnest(" in sql]
    changed = [
        (g, c)
        for sql, g, c in plans
        if sql.startswith('SELECT "inspections_inspection"."id" AS "pk"') and "ARRAY(" in sql
    ]
    assert log and changed
    for generic, custom in log + changed:
        assert custom == 0 and generic >= 1
    assert sum(g for g, _ in log) >= len(assigned) and sum(g for g, _ in changed) >= len(assigned)
