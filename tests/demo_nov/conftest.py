"""One demo for the package, built on 2026-11-22 (three quarters drawn, inspected, followed up
and public; the fourth drawn and under way, its list still secret).

The year's checks (test_demo_year), what the build says while it runs (test_demo_progress), a
result entered on 4 December (test_demo_december), the crawl that no read writes
(test_reads_never_write) and the crawl for codes (test_no_codes_on_pages) all read the same
year, so it is built once for the modules instead of once each: the build is the largest cost of
the suite on PostgreSQL. It is built twice in a row (the second run must keep it), then a bureau that chose
a preset without adopting it is added for the crawls; the whole is rolled back afterwards.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.test_demo import SHANGHAI, counts, demo_database, run_demo_with_progress

TODAY = dt.datetime(2026, 11, 22, 10, 0, tzinfo=SHANGHAI)


@dataclass
class Build:
    data: Path
    first: str
    second: str
    before: dict
    after: dict
    #: What each run said on stderr while it built (test_demo_progress).
    first_progress: str = ""
    second_progress: str = ""
    #: Each account's crawl of the demo, made once for both checks that read it
    #: (test_reads_never_write.crawl_as).
    crawls: dict = field(default_factory=dict)


def not_adopted():
    """Beside the demo, a bureau under 唐山 (so 唐山's leader reads it) that chose a preset
    without adopting it, through the accounts service alone, below the acts: a read of its
    pages used to adopt the preset."""
    from shuangsuiji.accounts.models import Organisation
    from shuangsuiji.accounts.services import organisation_create

    organisation_create(actor=None, code="130283", name="唐山市生态环境局迁安市分局",
                        parent=Organisation.objects.get(code="130200"),
                        policy_preset="zunhua-2024")  # fmt: skip


@pytest.fixture(scope="package")
def demo_build(django_db_setup, django_db_blocker, tmp_path_factory):
    data = tmp_path_factory.mktemp("demo")
    with demo_database(TODAY, data, django_db_blocker):
        first, first_progress = run_demo_with_progress()
        before = counts()
        second, second_progress = run_demo_with_progress()
        build = Build(data, first, second, before, counts(), first_progress, second_progress)
        not_adopted()
        yield build
