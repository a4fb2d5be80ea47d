"""Public portal and open-data API under load, on a province-sized PostgreSQL database.

    uv run python benchmarks/portal.py                # 500,000 targets, 1,000,000 results
    uv run python benchmarks/portal.py --quick        # 20,000 / 40,000 / 20 organisations

Loads a throwaway PostgreSQL cluster with 200 organisations (1 province, 10 cities, the rest
county branches), their registers, plans, revealed draws and results, then serves the app as
deployed: ``shuangsuiji serve`` (granian, 8 threads per worker) with ``DJANGO_ENV=production``,
``DJANGO_DEBUG=false``, a random secret key and ``DJANGO_ALLOWED_HOSTS=127.0.0.1``. One setting
differs from the production default: ``DJANGO_SECURE_SSL_REDIRECT=false``, as behind a
TLS-terminating reverse proxy, because ``serve`` drops an ``X-Forwarded-Proto`` header from
anyone but ``--trusted-proxy`` and every plain-HTTP request would otherwise be redirected to
https. The load generator speaks plain HTTP on loopback; the proxy's own cost is not measured.
``--server waitress|gunicorn|granian`` serves the app with that engine's own command instead,
configured as ``benchmarks/servers.py`` compares them.

The data are generated and written with COPY (foreign-key triggers and secondary indexes off
during the load, indexes rebuilt, then VACUUM ANALYZE); no history rows. Every route is checked
once for real content before any timing.

The public cache is a ``redis-server`` of the benchmark's own (``--cache redis``, as deployed;
``--cache locmem`` for each process's memory). Each route is measured twice: in the steady
state, and at once after every organisation's public version was raised (“after change”: the
first view of every address after a write renders afresh). The ``hits`` column is the share of
answers the cache gave.

Each route is measured on its own with 50 concurrent keep-alive clients (threads of this
process, not of the server's) for ``--duration`` seconds or ``--requests`` requests after a
warm-up; the floor is ``/healthz``, a trivial Django view with one database ping, measured in the
same run. Prints, per route: requests, errors, p50, p95, p99 (ms), requests/s, the p95 ratio to
the floor, and the CPU milliseconds per request of the server's processes and of PostgreSQL (from
/proc), which say whether the app or the database is the bottleneck; the data sizes and the load
average. Exits non-zero if any request answered other than 200/304, or if a sanity check fails.
For a route whose p95 misses the goal, runs ten sample URLs one at a time and prints request and
SQL times and the EXPLAIN ANALYZE of the slowest query (``--explain``: for every route).
Goal on a 2-core machine: p95 ≤ 150 ms at 50 concurrent requests for every measured route.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime as dt
import http.client
import itertools
import json
import os
import random
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from shuangsuiji.directory.codes import USCC_CHARSET, uscc_check_digit

ROOT = Path(__file__).resolve().parents[1]
GOAL_P95_MS = 150.0
#: ``--server``: ``shuangsuiji serve`` as deployed, or an engine's own command (servers.py).
SERVERS = ("serve", "waitress", "gunicorn", "granian")
HEADERS = {"Accept-Language": "zh-CN,zh;q=0.9"}

# -- the database ------------------------------------------------------------------------------

CITIES = (
    ("130100", "石家庄"),
    ("130200", "唐山"),
    ("130300", "秦皇岛"),
    ("130400", "邯郸"),
    ("130500", "邢台"),
    ("130600", "保定"),
    ("130700", "张家口"),
    ("130800", "承德"),
    ("130900", "沧州"),
    ("131000", "廊坊"),
    ("131100", "衡水"),
)
COUNTY_FIRST = "安宁平清永新阳武康丰泰德广定兴隆乐昌华庆高临南北东西"
COUNTY_SECOND = "河阳城山平泉安源丘水州台乡谷"
TOWNS = ("城关镇", "新城镇", "东关镇", "西关镇", "南营镇", "北屯镇", "开发区", "工业园区")
LEGAL_SUFFIXES = ("有限公司", "有限公司", "有限公司", "有限责任公司", "股份有限公司")
ITEMS = (
    ("排污许可", "排污许可证执行情况检查", "水 大气"),
    ("大气", "大气污染防治设施运行情况检查", "大气"),
    ("水", "水污染防治设施运行情况检查", "水"),
    ("固废", "一般工业固体废物污染防治检查", "固废"),
    ("危废", "危险废物规范化环境管理检查", "危废"),
    ("噪声", "工业噪声污染防治检查", "噪声"),
    ("土壤", "土壤污染重点监管单位隐患排查检查", "土壤"),
    ("环评", "建设项目环境影响评价和“三同时”执行情况检查", "大气 水"),
    ("监测", "自动监测设备运行和数据质量检查", "大气 水"),
    ("辐射", "核技术利用单位辐射安全检查", "辐射"),  # the 涉密 one: never shown
)
CATEGORIES = (
    ("no_problem", 0.70),
    ("ordered", 0.18),
    ("case_filed", 0.06),
    ("no_activity", 0.05),
    ("uncooperative", 0.01),
)
ISSUES = (
    "废气无组织排放，物料未密闭储存",
    "危险废物贮存场所标识不规范",
    "雨污分流不到位",
    "污染防治设施运行台账不完整",
    "一般工业固体废物露天堆放",
    "自动监测数据传输中断未报告",
    "排污许可执行报告未按时提交",
)
TARGETED_CASES = ("complaint", "assigned", "found", "transferred", "special")
FIRST_DAY = dt.date(2024, 1, 1)


def _dates() -> tuple[list[str], list[dt.date]]:
    days = [FIRST_DAY + dt.timedelta(days=n) for n in range(900)]
    return [d.isoformat() for d in days], days


DATE_TEXT, DATES = _dates()


def quarter_start(year: int, quarter: int) -> int:
    """Day index (from FIRST_DAY) of a quarter's first day."""
    return (dt.date(year, 3 * quarter - 2, 1) - FIRST_DAY).days


def stamp(day: int, rng: random.Random) -> str:
    """A timestamp on ``day`` in office hours, Beijing time, in COPY text form."""
    return f"{DATE_TEXT[day]} {rng.randrange(8, 18):02d}:{rng.randrange(60):02d}:00+08"


def uscc_for(serial: int, division: str) -> str:
    """A valid 统一社会信用代码: a permutation of the serial, so codes do not look sequential."""
    value = (serial * 2654435761) % 31**9
    digits = []
    for _ in range(9):
        value, rest = divmod(value, 31)
        digits.append(USCC_CHARSET[rest])
    body = f"91{division}{''.join(digits)}"
    return body + uscc_check_digit(body)


def weighted(rng: random.Random, pairs) -> str:
    roll = rng.random()
    for value, weight in pairs:
        roll -= weight
        if roll < 0:
            return value
    return pairs[-1][0]


@dataclass
class Org:
    pk: int
    code: str
    name: str
    place: str  # the place name enterprise names start with
    prefix: str  # the address prefix
    targets: int = 0
    results: int = 0
    first_target: int = 0
    items: list[int] = field(default_factory=list)
    tasks: list[tuple[int, int, int, int, bool]] = field(default_factory=list)
    public: int = 0


def create_organisations(count: int) -> list[Org]:
    """1 province, about one city per 20 organisations, the rest county branches."""
    from shuangsuiji.accounts.services import organisation_create

    province = organisation_create(actor=None, code="130000", name="河北省生态环境厅")
    orgs = [Org(province.pk, province.code, province.name, "河北", "河北省")]
    city_count = min(len(CITIES), max(1, count // 20), count - 1)
    cities = []
    for code, place in CITIES[:city_count]:
        city = organisation_create(
            actor=None, code=code, name=f"{place}市生态环境局", parent=province
        )
        cities.append((city, place))
        orgs.append(Org(city.pk, code, city.name, place, f"河北省{place}市"))
    names = (a + b for b in COUNTY_SECOND for a in COUNTY_FIRST)
    for n in range(count - 1 - city_count):
        city, place = cities[n % city_count]
        county = next(names)
        code = f"{city.code[:4]}{n // city_count + 2:02d}"
        branch = organisation_create(
            actor=None, code=code, name=f"{place}市生态环境局{county}县分局", parent=city
        )
        orgs.append(Org(branch.pk, code, branch.name, county, f"河北省{place}市{county}县"))
    return orgs


def spread(total: int, weights: list[float]) -> list[int]:
    """``total`` split in proportion to ``weights``, summing exactly to ``total``."""
    scale = total / sum(weights)
    shares = [int(w * scale) for w in weights]
    for n in range(total - sum(shares)):
        shares[n % len(shares)] += 1
    return shares


def create_small_tables(orgs: list[Org], rng: random.Random) -> int:
    """Settings, items, plans, tasks and draws through the ORM (a few thousand rows); returns
    the id of the user who records follow-ups. bulk_create writes no history rows, which the
    benchmark does not need."""
    from shuangsuiji.accounts.models import User
    from shuangsuiji.bureau.models import OrganisationSettings
    from shuangsuiji.directory.models import InspectionItem
    from shuangsuiji.planning.models import AnnualPlan, Draw, SamplingTask

    user = User.objects.create(
        username="bench", display_name="基准测试", organisation_id=orgs[0].pk
    )
    # A quarter of the bureaus publish monthly batches (保定), so that query runs too.
    OrganisationSettings.objects.bulk_create(
        OrganisationSettings(organisation_id=o.pk, publish_monthly=n % 4 == 0)
        for n, o in enumerate(orgs)
    )
    for org in orgs:
        items = InspectionItem.objects.bulk_create(
            InspectionItem(
                organisation_id=org.pk, sequence=n, category=category, name=name,
                target_scope="辖区内检查对象名录库在库单位", item_class="general",
                methods="现场检查,书面检查", subject=org.name,
                basis="《中华人民共和国环境保护法》第二十四条", tags=",".join(tags.split()),
                confidential=category == "辐射",
            )
            for n, (category, name, tags) in enumerate(ITEMS, start=1)
        )  # fmt: skip
        # The 涉密 item is attached like the others; the portal must leave it out.
        org.items = [i.pk for i in items]
    plans = AnnualPlan.objects.bulk_create(
        AnnualPlan(
            organisation_id=org.pk, year=year, status="published",
            issued_on=dt.date(year, 1, 15), published_at=dt.datetime(year, 1, 20, tzinfo=dt.UTC),
        )
        for org in orgs
        for year in (2024, 2025)
    )  # fmt: skip
    tasks = SamplingTask.objects.bulk_create(
        SamplingTask(
            plan=plan, organisation_id=plan.organisation_id, sequence=q,
            number=f"{plan.year}{q:03d}", quarter=q,
            name=f"{plan.year}年{'一二三四'[q - 1]}季度双随机抽查",
            target_scope="辖区内检查对象名录库在库单位", ratio_text="按监管类别抽取",
            draw_date=DATES[quarter_start(plan.year, q) + 5], initiator="生态环境部门",
            basis="《关于在市场监管领域全面推行部门联合“双随机、一公开”监管的意见》",
        )
        for plan in plans
        for q in (1, 2, 3, 4)
    )  # fmt: skip
    by_org = {o.pk: o for o in orgs}
    draws = []
    for task in tasks:
        start = quarter_start(task.plan.year, task.quarter)
        # The newest quarter's list is still confidential: its results must stay hidden.
        revealed = (task.plan.year, task.quarter) != (2025, 4)
        code = by_org[task.organisation_id].code
        draws.append(
            Draw(
                task=task, organisation_id=task.organisation_id,
                draw_id=f"{code}-{task.number}-1", status="revealed" if revealed else "drawn",
                quarter=f"{task.plan.year}Q{task.quarter}", params='{"strata": []}',
                pool="", roster="", conflicts="", commitment='{"strata": []}',
                entropy='{"sources": []}', result='{"strata": []}' if revealed else "",
                salt=rng.randbytes(32), reveal_on=DATES[start + 100],
                drawn_at=dt.datetime.combine(DATES[start + 6], dt.time(9), tzinfo=dt.UTC),
                revealed_at=(
                    dt.datetime.combine(DATES[start + 95], dt.time(9), tzinfo=dt.UTC)
                    if revealed
                    else None
                ),
                verified=True,
            )
        )  # fmt: skip
    for task, draw in zip(tasks, Draw.objects.bulk_create(draws), strict=True):
        by_org[task.organisation_id].tasks.append(
            (task.pk, draw.pk, task.plan.year, task.quarter, draw.status == "revealed")
        )
    return user.pk


class Spool:
    """COPY text lines buffered and flushed in large blocks (fewer writes, less overhead)."""

    def __init__(self, write: Callable[[bytes], object], limit: int = 1 << 22) -> None:
        self.write, self.limit, self.lines, self.size = write, limit, [], 0

    def add(self, line: str) -> None:
        self.lines.append(line)
        self.size += len(line)
        if self.size > self.limit:
            self.flush()

    def flush(self) -> None:
        if self.lines:
            self.write("".join(self.lines).encode())
            self.lines, self.size = [], 0


TARGET_COLUMNS = (
    "id, organisation_id, credit_code, project_code, name, target_type, address, "
    "legal_representative, division_code, area, industry, permit_category, key_polluter, "
    "positive_list, air_rating, credit_rating, offsite_capable, high_risk, tags, status, "
    "in_register, removal_reason, updated_at"
)
INSPECTION_COLUMNS = (
    "id, organisation_id, task_id, draw_id, target_id, year, kind, stratum, method, status, "
    "flags, targeted_case, case_reference, partner_inspectors, created_at, "
    "checked_at, method_used, representative, present_members, result_category, findings, "
    "public_summary, confidentiality, confidential_reason, determined_on, publication_due, "
    "submitted_at, submitted_by_id, reopened_reason, confidential_publication, published_at, "
    "released_by_id, public_changed_at"
)
FOLLOW_UP_COLUMNS = (
    "id, inspection_id, organisation_id, kind, opened_on, deadline, case_number, receiver, "
    "closed_on, outcome, penalty_decided_on, created_by_id"
)


def target_rows(orgs: list[Org], rng: random.Random, picks: dict) -> Iterator[str]:
    """Registers as COPY lines; samples real names and codes for the load generator."""
    from shuangsuiji_demo.registers import (
        BRAND_FIRST,
        BRAND_SECOND,
        GIVEN,
        INDUSTRIES,
        OTHERS,
        ROADS,
        SURNAMES,
    )

    industries = [(i, i.weight) for i in INDUSTRIES]
    total_weight = sum(w for _, w in industries)
    industries = [(i, w / total_weight) for i, w in industries]
    others = [(i, 1 / len(OTHERS)) for i in OTHERS]
    fragments, codes = picks["fragments"], picks["search_codes"]
    target_id = 0
    for org in orgs:
        org.first_target = target_id + 1
        squads = ("第一执法中队", "第二执法中队", "第三执法中队")
        for _ in range(org.targets):
            target_id += 1
            roll = rng.random()
            kind = "polluter" if roll < 0.85 else "other" if roll < 0.93 else "construction"
            industry = weighted(rng, others if kind == "other" else industries)
            brand = rng.choice(BRAND_FIRST) + rng.choice(BRAND_SECOND)
            word = rng.choice(industry.words)
            if industry.workshop and rng.random() < 0.2:
                suffix = "厂"
            else:
                suffix = rng.choice(LEGAL_SUFFIXES)
            project = ""
            if kind == "construction":
                word, suffix = "置业", "有限公司"
                project = f"2{rng.randrange(3, 6)}{rng.randrange(1, 13):02d}-{org.code}-04-01-"
                project += f"{rng.randrange(10**6):06d}"
            name = f"{org.place}{brand}{word}{suffix}"
            code = uscc_for(target_id, org.code)
            if rng.random() < 0.01:
                fragments.append(brand + word[: rng.randrange(0, 3)])
            # A code to look up (企业查询, the enterprise page), kept below unless the target has
            # left the register: a code in no register and with no public result is a 404.
            picked = rng.random() < 0.005
            permit = weighted(
                rng,
                list(
                    zip(("key", "simplified", "registered", "none"), industry.permit, strict=True)
                ),
            )
            status = weighted(rng, (("operating", 0.93), ("suspended", 0.05), ("cancelled", 0.02)))
            removed = status == "cancelled" and rng.random() < 0.5
            if picked and not removed:
                codes.append(code)
            yield "\t".join(
                (
                    str(target_id), str(org.pk), code, project, name, kind,
                    f"{org.prefix}{rng.choice(TOWNS)}{rng.choice(ROADS)}{rng.randrange(1, 300)}号",
                    rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.randrange(1, 3))),
                    org.code, rng.choice(squads), industry.name, permit,
                    "t" if permit == "key" and rng.random() < 0.5 else "f",
                    "t" if rng.random() < 0.05 else "f",
                    rng.choice("ABCD") if industry.air_graded else "none",
                    rng.choice(("A", "B", "B", "C", "none")),
                    "t" if rng.random() < 0.1 else "f",
                    "t" if rng.random() < 0.03 else "f",
                    ",".join(industry.tags), status, "f" if removed else "t",
                    "注销" if removed else "", stamp(rng.randrange(700), rng),
                )
            ) + "\n"  # fmt: skip


def inspection_rows(
    orgs: list[Org], rng: random.Random, user_id: int, picks: dict, links: Spool, follow: Spool
) -> Iterator[str]:
    """Results as COPY lines; their items and follow-ups go to their own spools."""
    inspection_id = link_id = follow_id = 0
    enterprise_targets = picks["enterprise_targets"]
    null = "\\N"
    for org in orgs:
        for _ in range(org.results):
            inspection_id += 1
            target = org.first_target + rng.randrange(org.targets)
            roll = rng.random()
            task_id = draw_id = null
            case = reference = ""
            if roll < 0.85:
                kind = "random"
                task, draw, year, quarter, revealed = rng.choice(org.tasks)
                task_id, draw_id = str(task), str(draw)
            else:
                kind = "coverage" if roll < 0.90 else "targeted"
                year, quarter, revealed = rng.choice((2024, 2025)), rng.randrange(1, 5), True
                if kind == "targeted":
                    case = rng.choice(TARGETED_CASES)
                    reference = f"线索{year}-{rng.randrange(1, 999):03d}"
            start = quarter_start(year, quarter)
            created = stamp(start + 6, rng)
            checked_day = start + 7 + rng.randrange(80)
            roll = rng.random()
            if roll < 0.01:
                status = "substituted"
            elif (year, quarter) == (2025, 4) and roll < 0.4:
                status = "assigned"
            else:
                status = "done"
            fields_done = [null, "", "", "[]", "", "", "", "", "", null, null, null, null]
            published = False
            if status == "done":
                category = weighted(rng, CATEGORIES)
                determined = checked_day + rng.randrange(8)
                issue = rng.choice(ISSUES)
                if category in ("ordered", "case_filed"):
                    findings = f"现场检查发现{issue}。"
                    summary = f"发现{issue}，已依法处理。"
                else:
                    findings = summary = "现场检查未发现环境违法问题。"
                secret = rng.random() < 0.05
                published_day = null
                changed = null
                if not secret and rng.random() < 0.97:
                    published = revealed
                    day = determined + 1 + rng.randrange(18)
                    published_day = changed = stamp(day, rng)
                fields_done = [
                    stamp(checked_day, rng), "现场检查", "企业负责人", '["H01", "H02"]', category,
                    findings, summary, rng.choice(("state", "commercial")) if secret else "",
                    "涉及商业秘密" if secret else "", DATE_TEXT[determined],
                    DATE_TEXT[determined + 28], stamp(determined, rng), str(user_id),
                ]  # fmt: skip
                tail = [published_day, null, changed]
                for item in rng.sample(org.items, rng.randrange(1, 3)):
                    link_id += 1
                    links.add(f"{link_id}\t{inspection_id}\t{item}\n")
                if category in ("ordered", "case_filed"):
                    follow_id += 1
                    closed = rng.random() < 0.7
                    closed_day = DATE_TEXT[determined + 20 + rng.randrange(40)] if closed else null
                    if category == "ordered":
                        follow.add(
                            f"{follow_id}\t{inspection_id}\t{org.pk}\trectify\t{DATE_TEXT[determined]}\t"
                            f"{DATE_TEXT[determined + 30]}\t\t\t{closed_day}\t"
                            f"{'已整改到位' if closed else ''}\t{null}\t{user_id}\n"
                        )
                    else:
                        number = f"冀环罚〔{year}〕{rng.randrange(1, 400)}号"
                        penalty = closed_day if closed else null
                        follow.add(
                            f"{follow_id}\t{inspection_id}\t{org.pk}\tcase\t{DATE_TEXT[determined]}\t"
                            f"{null}\t{number}\t\t{closed_day}\t"
                            f"{'已作出行政处罚决定' if closed else ''}\t{penalty}\t{user_id}\n"
                        )
            else:
                tail = [null, null, null]
            if published and kind != "targeted":
                org.public += 1
                if rng.random() < 0.01:
                    enterprise_targets.append(target)
            yield "\t".join(
                (
                    str(inspection_id), str(org.pk), task_id, draw_id, str(target), str(year),
                    kind, "A" if kind == "random" else "", "现场检查", status, "[]", case,
                    reference, "[]", created, *fields_done, "", "", *tail,
                )
            ) + "\n"  # fmt: skip
    links.flush()
    follow.flush()


def copy_lines(cursor, table: str, columns: str, lines: Iterator[str]) -> int:
    """COPY generated lines; a worker thread sends while this one generates the next block."""
    from psycopg.copy import QueuedLibpqWriter

    count = 0
    with cursor.copy(
        f"COPY {table} ({columns}) FROM STDIN", writer=QueuedLibpqWriter(cursor)
    ) as copy:
        spool = Spool(copy.write)
        for line in lines:
            spool.add(line)
            count += 1
        spool.flush()
    return count


def copy_file(cursor, table: str, columns: str, path: Path) -> None:
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy, path.open("rb") as source:
        while block := source.read(1 << 22):
            copy.write(block)


BULK_TABLES = (
    "directory_target",
    "inspections_inspection",
    "inspections_inspection_items",
    "inspections_followup",
)


def drop_secondary_indexes(cursor) -> list[str]:
    """Drop the non-unique indexes of the big tables and return their definitions: building an
    index once after the load is several times faster than updating it row by row."""
    cursor.execute(
        """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisunique AND NOT i.indisprimary
        """,
        [list(BULK_TABLES)],
    )
    rows = cursor.fetchall()
    for name, _ in rows:
        cursor.execute(f"DROP INDEX {name}")
    return [definition for _, definition in rows]


def load(args: argparse.Namespace, picks_path: Path) -> None:
    """One process: migrate, load, vacuum; write the picks file, print sizes as JSON."""
    import django

    django.setup()
    import psycopg
    from django.conf import settings
    from django.core.management import call_command
    from django.test.utils import override_settings

    started = phase = time.perf_counter()
    call_command("migrate", verbosity=0)
    log(f"migrate: {time.perf_counter() - started:.1f} s")
    phase = time.perf_counter()
    # The server's {% static %} needs production's manifest. Its compressed copies serve only
    # static files, which are not measured, so skip compressing (a minute on two cores).
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        call_command("collectstatic", interactive=False, verbosity=0)
    log(f"collectstatic: {time.perf_counter() - phase:.1f} s")
    phase = time.perf_counter()
    rng = random.Random(args.seed)
    orgs = create_organisations(args.organisations)
    weights = [0.3 if n == 0 else 0.6 if o.code.endswith("00") else 1.0 for n, o in enumerate(orgs)]
    for org, targets, results in zip(
        orgs,
        spread(args.targets, weights),
        spread(args.results, weights),
        strict=True,
    ):
        org.targets, org.results = max(targets, 1), results
    user_id = create_small_tables(orgs, rng)
    log(f"organisations, plans, tasks, draws: {time.perf_counter() - phase:.1f} s")

    picks: dict = {"fragments": [], "search_codes": [], "enterprise_targets": []}
    db = settings.DATABASES["default"]
    with (
        psycopg.connect(
            host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"]
        ) as conn,
        conn.cursor() as cursor,
    ):
        # Generated rows are consistent by construction: skip the per-row foreign-key triggers.
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("SET maintenance_work_mem = '256MB'")
        indexes = drop_secondary_indexes(cursor)
        phase = time.perf_counter()
        total_targets = sum(o.targets for o in orgs)
        copy_lines(cursor, "directory_target", TARGET_COLUMNS, target_rows(orgs, rng, picks))
        log(f"COPY {total_targets:,} targets: {time.perf_counter() - phase:.1f} s")
        phase = time.perf_counter()
        spool_dir = picks_path.parent
        links_path, follow_path = spool_dir / "links.copy", spool_dir / "followups.copy"
        with links_path.open("wb") as links_file, follow_path.open("wb") as follow_file:
            rows = inspection_rows(
                orgs, rng, user_id, picks, Spool(links_file.write), Spool(follow_file.write)
            )
            copy_lines(cursor, "inspections_inspection", INSPECTION_COLUMNS, rows)
        copy_file(cursor, "inspections_inspection_items",
                  "id, inspection_id, inspectionitem_id", links_path)  # fmt: skip
        copy_file(cursor, "inspections_followup", FOLLOW_UP_COLUMNS, follow_path)
        links_path.unlink()
        follow_path.unlink()
        log(f"COPY results, their items and follow-ups: {time.perf_counter() - phase:.1f} s")
        phase = time.perf_counter()
        for definition in indexes:
            cursor.execute(definition)
        log(f"rebuild {len(indexes)} indexes: {time.perf_counter() - phase:.1f} s")
        for table in BULK_TABLES:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        conn.commit()
        phase = time.perf_counter()
        # As a database autovacuum has caught up with: statistics, visibility map, hint bits.
        conn.autocommit = True
        cursor.execute("VACUUM (ANALYZE)")
        log(f"VACUUM ANALYZE: {time.perf_counter() - phase:.1f} s")
        sizes = {}
        for table in (*BULK_TABLES, "accounts_organisation"):
            cursor.execute(f"SELECT count(*) FROM {table}")
            sizes[table] = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM inspections_inspection i LEFT JOIN planning_draw d "
            "ON d.id = i.draw_id WHERE i.published_at IS NOT NULL AND i.status = 'done' "
            "AND i.confidentiality = '' AND i.kind <> 'targeted' "
            "AND (i.draw_id IS NULL OR d.status = 'revealed')"
        )
        sizes["public_results"] = cursor.fetchone()[0]
        cursor.execute("SELECT pg_database_size(current_database())")
        sizes["database_mib"] = round(cursor.fetchone()[0] / 2**20)
        cursor.execute("SHOW data_directory")
        pid_file = Path(cursor.fetchone()[0]) / "postmaster.pid"
        sizes["_postmaster"] = int(pid_file.read_text().split()[0])
        target_ids = picks.pop("enterprise_targets")
        cursor.execute("SELECT credit_code FROM directory_target WHERE id = ANY(%s)", [target_ids])
        picks["enterprise_codes"] = [row[0] for row in cursor.fetchall()]
    picks["organisations"] = [
        {"code": o.code, "public": o.public, "targets": o.targets} for o in orgs
    ]
    picks_path.write_text(json.dumps(picks, ensure_ascii=False))
    sizes["load_seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(sizes))


def log(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


# -- the routes --------------------------------------------------------------------------------


@dataclass
class Route:
    label: str
    path: str  # shown in the table
    urls: Callable[[random.Random], str]


def routes(picks: dict) -> list[Route]:
    orgs = [o for o in picks["organisations"] if o["public"] > 0]
    fragments, codes = picks["fragments"], picks["search_codes"]
    enterprise_codes = picks["enterprise_codes"] or codes

    def results_page(rng: random.Random) -> str:
        org = rng.choice(orgs)
        last = max(1, -(-org["public"] // 50))
        page = weighted(rng, ((1, 0.6), (2, 0.2), (min(20, last), 0.2)))
        suffix = "" if page == 1 else f"?page={page}"
        return f"/gongkai/org/{org['code']}/results/{suffix}"

    def search(rng: random.Random) -> str:
        query = rng.choice(codes) if rng.random() < 0.2 else fragment(rng.choice(fragments), rng)
        return f"/gongkai/search/?q={urllib.parse.quote(query)}"

    def enterprise(rng: random.Random) -> str:
        code = rng.choice(enterprise_codes) if rng.random() < 0.8 else rng.choice(codes)
        return f"/gongkai/enterprise/{code}/"

    def api_results(rng: random.Random) -> str:
        org = rng.choice(orgs)
        page = rng.randrange(1, min(10, -(-org["public"] // 100)) + 1)
        return f"/api/results?organisation={org['code']}&page={page}&page_size=100"

    def api_targets(rng: random.Random) -> str:
        org = rng.choice(picks["organisations"])
        page = rng.randrange(1, -(-org["targets"] // 100) + 1)
        return f"/api/organisations/{org['code']}/targets?page={page}"

    return [
        Route("floor (trivial view)", "/healthz", lambda rng: "/healthz"),
        Route(
            "results list",
            "/gongkai/org/<code>/results/ (60% page 1, 20% page 2, 20% page 20)",
            results_page,
        ),
        Route(
            "enterprise search",
            "/gongkai/search/?q= (80% 2–4 characters of a name, 20% a credit code)",
            search,
        ),
        Route("enterprise page", "/gongkai/enterprise/<credit code>/", enterprise),
        Route(
            "API results", "/api/results?organisation=<code>&page=1–10&page_size=100", api_results
        ),
        Route("API targets", "/api/organisations/<code>/targets?page=<any>", api_targets),
    ]


def fragment(source: str, rng: random.Random) -> str:
    """2–4 consecutive characters of a brand and business word, as someone would type them."""
    length = rng.randrange(2, min(4, len(source)) + 1)
    start = rng.randrange(len(source) - length + 1)
    return source[start : start + length]


def get(port: int, path: str) -> tuple[int, bytes]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=HEADERS)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def sanity_check(port: int, picks: dict) -> None:
    """Each route once, with content that proves the data is there; stop loudly otherwise."""
    org = max(picks["organisations"], key=lambda o: o["public"])
    deep = min(20, -(-org["public"] // 50))
    word = picks["fragments"][0]
    enterprise = (picks["enterprise_codes"] or picks["search_codes"])[0]
    checks = [
        ("/healthz", lambda body: json.loads(body)["status"] == "ok"),
        (f"/gongkai/org/{org['code']}/results/",
         lambda body: "抽查结果" in body.decode() and "/gongkai/enterprise/" in body.decode()),
        (f"/gongkai/org/{org['code']}/results/?page={deep}",
         lambda body: deep == 1 or f"第 {deep} /" in body.decode()),
        (f"/gongkai/search/?q={urllib.parse.quote(word)}",
         lambda body: "个名录记录" in body.decode()),
        (f"/gongkai/search/?q={picks['search_codes'][0]}",
         lambda body: "找到 1 个名录记录" in body.decode()),
        (f"/gongkai/enterprise/{enterprise}/",
         lambda body: re.search(r"公开的抽查结果（[1-9]\d* 条）", body.decode()) is not None),
        (f"/api/results?organisation={org['code']}&page=2&page_size=100",
         lambda body: json.loads(body)["count"] > 0 and len(json.loads(body)["results"]) == 100),
        (f"/api/organisations/{org['code']}/targets?page=1",
         lambda body: json.loads(body)["count"] > 0 and len(json.loads(body)["results"]) > 0),
    ]  # fmt: skip
    for path, valid in checks:
        status, body = get(port, path)
        if status != 200 or not valid(body):
            raise SystemExit(f"sanity check failed: GET {path} → {status}\n{body[:2000]!r}")


# -- the load generator ------------------------------------------------------------------------


@dataclass
class Figures:
    latencies: list[float]
    errors: int
    seconds: float
    load: float
    app_cpu: float  # CPU seconds of the server's processes while measuring
    db_cpu: float  # CPU seconds of PostgreSQL's backends while measuring
    hits: int = 0  # answers the server's public cache gave (X-Cache: hit)

    def percentile(self, share: float) -> float:
        """Nearest-rank percentile in milliseconds."""
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered)) - 1))] * 1000


def hammer(
    port: int, route: Route, *, concurrency: int, warmup: float, duration: float,
    requests: int | None, seed: int, cpu: Callable[[], tuple[float, float]],
) -> Figures:  # fmt: skip
    """``concurrency`` closed-loop clients, each on its own keep-alive connection. Counted are
    the requests that complete in the window after the warm-up: ``duration`` seconds, or until
    ``requests`` have completed. ``cpu`` reads the (app, database) CPU seconds so far; it is
    sampled as the window opens and closes, so CPU and requests cover the same time."""
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    errors = [0] * concurrency
    hits = [0] * concurrency
    failures: list[str] = []
    window_start = time.perf_counter() + warmup
    window_end = [window_start + duration if requests is None else float("inf")]
    marks: dict[str, tuple[float, float]] = {}
    stop = threading.Event()
    tickets = itertools.count()

    def close_window(now: float) -> None:
        marks["end"] = cpu()
        window_end[0] = now
        stop.set()

    def client(n: int) -> None:
        rng = random.Random(seed * 1000 + n)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while not stop.is_set():
            start = time.perf_counter()
            try:
                connection.request("GET", route.urls(rng), headers=HEADERS)
                response = connection.getresponse()
                response.read()
                status = response.status
                hit = response.getheader("X-Cache") == "hit"
                if response.will_close:
                    connection.close()
            except (OSError, http.client.HTTPException) as error:
                status = 0
                connection.close()
                failures.append(repr(error))
            end = time.perf_counter()
            if end < window_start or end > window_end[0]:
                continue  # warm-up, or finished after the window closed
            if requests is not None:
                ticket = next(tickets)
                if ticket >= requests:
                    break
                if ticket == requests - 1:
                    close_window(end)
            latencies[n].append(end - start)
            hits[n] += hit
            if status not in (200, 304):
                errors[n] += 1
                if len(failures) < 5:
                    failures.append(f"HTTP {status}")
        connection.close()

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(concurrency)]
    opening = threading.Timer(warmup, lambda: marks.setdefault("start", cpu()))
    opening.start()
    closing = None
    if requests is None:
        closing = threading.Timer(warmup + duration, lambda: close_window(window_end[0]))
        closing.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    opening.join()
    if closing is not None:
        closing.join()
    if failures:
        log(f"{route.label}: first failures: {failures[:5]}")
    return Figures(
        latencies=[x for per_client in latencies for x in per_client],
        errors=sum(errors),
        seconds=window_end[0] - window_start,
        load=os.getloadavg()[0],
        app_cpu=marks["end"][0] - marks["start"][0],
        db_cpu=marks["end"][1] - marks["start"][1],
        hits=sum(hits),
    )


# -- EXPLAIN for slow routes -------------------------------------------------------------------


def explain(samples: dict[str, list[str]]) -> None:
    """One process, no load: run each sample URL of a route through Django's test client,
    capturing its queries. Print per route the request and SQL times, then for the sample with
    the most SQL time its queries and the EXPLAIN ANALYZE of the slowest."""
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1", headers=HEADERS)
    for label, urls in samples.items():
        runs = []
        for url in urls:
            client.get(url)  # warm caches, so the second run measures the steady state
            with CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                status = client.get(url).status_code
                elapsed = (time.perf_counter() - start) * 1000
            queries = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))
            sql = sum(float(q["time"]) for q in queries) * 1000
            runs.append((sql, elapsed, status, url, queries))
        runs.sort(key=lambda run: run[0])
        middle = runs[len(runs) // 2]
        sql, elapsed, status, url, queries = runs[-1]
        print(
            f"\n### {label}: {len(runs)} sample URLs, one at a time. Median request "
            f"{middle[1]:.0f} ms of which SQL {middle[0]:.0f} ms; most SQL: {sql:.0f} ms of "
            f"{elapsed:.0f} ms, {len(queries)} queries, status {status}:\n    GET {url}"
        )
        for query in queries[:3]:
            print(f"  {float(query['time']) * 1000:7.1f} ms  {query['sql'][:400]}")
        if queries:
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {queries[0]['sql']}")
                print("\n".join("    " + row[0] for row in cursor.fetchall()))


# -- orchestration -----------------------------------------------------------------------------


#: ``shuangsuiji serve`` compresses the static files on its first production start (the loader's
#: collection has no compressed copies): over a minute on a busy 2-core machine.
START_SECONDS = 300


def wait_healthy(port: int, server: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"server exited:\n{log_path.read_text()[-3000:]}")
        try:
            if get(port, "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(
        f"server did not answer /healthz in {START_SECONDS} s:\n{log_path.read_text()[-3000:]}"
    )


def cpu_seconds(pid: int) -> tuple[float, float]:
    """(own, reaped children's) CPU seconds of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks, (int(fields[13]) + int(fields[14])) / ticks


def tree_cpu(parent: int) -> float:
    """CPU seconds of a process and its children: the parent, its live children, and those it
    has already reaped (PostgreSQL's backends, one per connection; the server's workers)."""
    own, reaped = cpu_seconds(parent)
    total = own + reaped
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # the process ended meanwhile; its CPU is now in ``reaped`` next time
        if int(text.rsplit(")", 1)[1].split()[1]) == parent:
            total += sum(cpu_seconds(int(stat.parent.name)))
    return total


postgres_cpu = tree_cpu


#: The label's ending of a route measured right after a change.
AFTER_CHANGE = ", after change"


def raise_every_version(url: str) -> None:
    """What a change the public sees, in every organisation at once, does to the public
    cache's keys (both counters: disclosure/versions.py)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(
            "UPDATE disclosure_publicversion SET counter = counter + 1, public = public + 1"
        )


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_child(flag: str, arguments: list[str], env: dict, script: str = __file__) -> str:
    """``script`` (this one by default; load.py and staff.py pass theirs) run with ``flag`` in
    a process of its own, its standard output returned."""
    result = subprocess.run(
        [sys.executable, script, flag, *arguments],
        stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(f"{flag} failed with exit code {result.returncode}")
    return result.stdout


def serve_command(port: int, threads: int, workers: int = 1, server: str = "serve") -> list[str]:
    """``shuangsuiji serve``, or with ``server`` one engine's own command (servers.py)."""
    if server != "serve":
        import servers

        return servers.engine_command(server, port, workers, threads)
    script = Path(sys.executable).with_name("shuangsuiji")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "shuangsuiji.cli"]
    return [*command, "serve", "--host", "127.0.0.1", "--port", str(port),
            "--threads", str(threads), "--workers", str(workers)]  # fmt: skip


def server_label(server: str) -> str:
    return "shuangsuiji serve" if server == "serve" else server


def print_table(rows: list[tuple[Route, Figures]], floor_p95: float) -> None:
    header = (
        f"{'route':<32}{'requests':>9}{'errors':>7}{'p50':>8}{'p95':>8}{'p99':>8}{'req/s':>8}"
        f"{'p95/floor':>10}{'app CPU':>9}{'db CPU':>8}{'hits':>6}{'load1':>7}"
    )
    print(header)
    print("-" * len(header))
    for route, figures in rows:
        count = len(figures.latencies)
        p95 = figures.percentile(0.95)
        rate = count / figures.seconds if figures.seconds > 0 else 0.0
        print(
            f"{route.label:<32}{count:>9}{figures.errors:>7}{figures.percentile(0.50):>8.1f}"
            f"{p95:>8.1f}{figures.percentile(0.99):>8.1f}{rate:>8.1f}{p95 / floor_p95:>9.1f}×"
            f"{figures.app_cpu * 1000 / max(count, 1):>9.1f}"
            f"{figures.db_cpu * 1000 / max(count, 1):>8.1f}"
            f"{100 * figures.hits / max(count, 1):>5.0f}%{figures.load:>7.2f}"
        )
    print(
        "\np50/p95/p99 in ms; app CPU and db CPU: CPU ms per request of the server's processes and"
        "\nof PostgreSQL; hits: share of answers from the public cache (X-Cache: hit); load1:"
        "\n1-minute load average at the end of the route. “after a change”: measured at once after"
        "\nevery organisation's public version was raised, as a write raises it, so that every"
        "\naddress's first request in the window renders afresh. Routes:"
    )
    for route, _ in rows:
        if not route.label.endswith(AFTER_CHANGE):
            print(f"  {route.label:<22}{route.path}")


def use_loaded_database(url: str, data_dir: Path) -> None:
    """Django set up in this process on the province that ``staff.py --database-url URL
    --data-dir DIR --load-only`` loaded, with the secrets its accounts and encrypted fields were
    written under (kept in ``data_dir``): for the scripts that time selectors in process."""
    os.environ.update(production_env(url, data_dir))
    saved = data_dir / "staff-env.json"
    if saved.exists():
        os.environ.update(json.loads(saved.read_text()))
    import django

    django.setup()


def staff_county(doc: str, repeat: int) -> tuple[argparse.Namespace, dict]:
    """For a script that times code in this process on the province ``staff.py --load-only``
    loaded: its arguments (``--database-url``, ``--data-dir``, ``--repeat``, described by
    ``doc``), Django set up on that database, and the county ``staff.py`` picked (its name,
    accounts by role, open inspection)."""
    parser = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--repeat", type=int, default=repeat)
    args = parser.parse_args()
    data_dir = Path(args.data_dir)
    use_loaded_database(args.database_url, data_dir)
    picks = json.loads((data_dir / "picks.json").read_text())
    return args, picks["staff"]["organisations"]["county"]


def print_medians(heading: str, column: str, times: dict[str, list[float]], floor: list[float]):
    """For a script that times code in this process: the heading, then each entry's median
    thread CPU and its ratio to the floor's (``/healthz``, timed in the same turns)."""
    floor_ms = statistics.median(floor)
    print(heading)
    print(f"floor /healthz: {floor_ms:.2f} ms CPU; load {os.getloadavg()[0]:.2f}\n")
    width = max(len(column), *map(len, times)) + 2
    print(f"{column:<{width}}{'CPU ms':>8}{'×floor':>8}")
    for name, spent in times.items():
        median = statistics.median(spent)
        print(f"{name:<{width}}{median:>8.2f}{median / floor_ms:>7.1f}×")
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def production_env(url: str, data_dir: Path) -> dict[str, str]:
    """The environment ``shuangsuiji serve`` runs in for a benchmark: production settings on the
    throwaway database, fresh secrets, loopback only."""
    return {
        **os.environ,
        "DATABASE_URL": url,
        "SHUANGSUIJI_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "shuangsuiji.config.settings",
        "DJANGO_ENV": "production",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
        # A Fernet key: 32 random bytes, URL-safe Base64.
        "SHUANGSUIJI_FIELD_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        # TLS ends at the reverse proxy; see the module docstring.
        "DJANGO_SECURE_SSL_REDIRECT": "false",
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--targets", type=int, default=500_000)
    parser.add_argument("--results", type=int, default=1_000_000)
    parser.add_argument("--organisations", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per route")
    parser.add_argument("--requests", type=int, help="requests per route (instead of --duration)")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds per route, not counted")
    parser.add_argument("--threads", type=int, default=8, help="threads a worker (serve default)")
    parser.add_argument("--workers", type=int, default=1, help="server processes (serve default)")
    parser.add_argument(
        "--server", choices=SERVERS, default="serve", help="shuangsuiji serve, or an engine's own"
    )
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--quick", action="store_true", help="20,000 / 40,000 / 20 orgs, 5 s")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN every route, not only slow")
    parser.add_argument(
        "--cache", choices=("redis", "locmem"), default="redis",
        help="the public cache: a redis-server of its own as deployed (default), or each "
        "process's memory (the embedded default)",
    )  # fmt: skip
    parser.add_argument(
        "--no-change",
        action="store_true",
        help="measure only the steady state, not also each route right after a change",
    )
    parser.add_argument("--load", nargs=1, help=argparse.SUPPRESS)
    parser.add_argument("--explain-urls", nargs=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.targets, args.results, args.organisations = 20_000, 40_000, 20
        args.duration, args.warmup = 5.0, 2.0
    if args.load:
        load(args, Path(args.load[0]))
        return
    if args.explain_urls:
        explain(json.loads(args.explain_urls[0]))
        return
    if not 2 <= args.organisations <= 300 or args.targets < args.organisations:
        # 300: the generated county names and six-digit division codes run out beyond that.
        parser.error("need 2–300 organisations and at least one target per organisation")

    from shuangsuiji_demo.pgcluster import PostgresUnavailable, throwaway_cluster

    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}, "
          f"{os.cpu_count()} cores")  # fmt: skip
    if os.getloadavg()[0] > 0.5 * (os.cpu_count() or 1):
        print("warning: the machine is already busy; the figures below will be worse for it")
    with tempfile.TemporaryDirectory(prefix="sjs-portal-") as tmp, contextlib.ExitStack() as stack:
        tmp_path = Path(tmp)
        try:
            url = stack.enter_context(throwaway_cluster("portal"))
        except PostgresUnavailable as error:
            raise SystemExit(f"PostgreSQL unavailable: {error}") from error
        server = None
        try:
            env = production_env(url, tmp_path)
            if args.cache == "redis":
                from shuangsuiji_demo.nodes import running_redis

                env["CACHE_URL"] = stack.enter_context(running_redis(tmp_path))
            print(f"loading {args.organisations} organisations, {args.targets:,} targets, "
                  f"{args.results:,} results …", flush=True)  # fmt: skip
            picks_path = tmp_path / "picks.json"
            sizes = json.loads(
                run_child("--load", [str(picks_path), *sys.argv[1:]], env).splitlines()[-1]
            )
            picks = json.loads(picks_path.read_text())
            postmaster = sizes.pop("_postmaster")
            print(f"loaded in {sizes.pop('load_seconds')} s: "
                  + ", ".join(f"{k} {v:,}" for k, v in sizes.items()))  # fmt: skip

            port = free_port()
            log_path = tmp_path / "server.log"
            with log_path.open("wb") as server_log:
                server = subprocess.Popen(
                    serve_command(port, args.threads, args.workers, args.server), env=env,
                    cwd=tmp_path,
                    stdout=server_log, stderr=subprocess.STDOUT,
                )  # fmt: skip
            wait_healthy(port, server, log_path)
            sanity_check(port, picks)

            def cpu() -> tuple[float, float]:
                return tree_cpu(server.pid), postgres_cpu(postmaster)

            measured = []
            for n, route in enumerate(routes(picks)):
                figures = hammer(
                    port, route, concurrency=args.concurrency, warmup=args.warmup,
                    duration=args.duration, requests=args.requests, seed=args.seed + n, cpu=cpu,
                )  # fmt: skip
                measured.append((route, figures))
                log(f"{route.label}: {len(figures.latencies)} requests")
                if n == 0 or args.no_change:
                    continue
                # The first view after a change: every organisation's version raised, as any
                # write raises its own, then the same addresses at once, without a warm-up.
                raise_every_version(url)
                changed = Route(f"{route.label}{AFTER_CHANGE}", route.path, route.urls)
                figures = hammer(
                    port, changed, concurrency=args.concurrency, warmup=0.0,
                    duration=args.duration, requests=args.requests, seed=args.seed + n, cpu=cpu,
                )  # fmt: skip
                measured.append((changed, figures))
                log(f"{changed.label}: {len(figures.latencies)} requests")
            server.terminate()
            server.wait(timeout=30)
            server = None

            floor = measured[0][1].percentile(0.95)
            budget = f"{args.requests} requests" if args.requests else f"{args.duration:g} s"
            print(
                f"\n{args.concurrency} concurrent clients, "
                f"{server_label(args.server)} {args.workers} × {args.threads} threads, "
                f"{budget} per route after {args.warmup:g} s warm-up; goal p95 ≤ "
                f"{GOAL_P95_MS:g} ms; times in ms\n"
            )
            print_table(measured, floor)
            print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
            sample = random.Random(args.seed)
            slow = {
                route.label: [route.urls(sample) for _ in range(10)]
                for route, figures in measured[1:]
                if args.explain or figures.percentile(0.95) > GOAL_P95_MS
            }
            if slow:
                print("\nwhere the time goes in the routes over the goal:")
                print(run_child("--explain-urls", [json.dumps(slow)], env), end="")
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=30)
    errors = sum(figures.errors for _, figures in measured)
    if errors:
        print(f"\n{errors} requests failed (status other than 200/304)")
        sys.exit(1)


if __name__ == "__main__":
    main()
