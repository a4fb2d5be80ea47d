"""Chinese everywhere a user reads (issue 19 §3): no page shows an internal code.

The demo is built once for the package (the fixture of tests/demo_nov/test_reads_never_write.py: 2026-11-22,
three quarters drawn, inspected, followed up and public, the fourth under way) and read as an
anonymous visitor and as a demo account of each role, at a bureau and above it: every URL
pattern with its parameters filled from real rows the account can see, then the links its pages
show. It is the crawl of tests/demo_nov/test_reads_never_write.py, made once per account for both
checks (``reads.crawl_as``), which hands this module each answer (``code_look``). Each HTML page's
visible text — less what sits in ``<code>`` or ``<pre>`` (where a citizen matches a code against
the draw's bundle files, beside its Chinese name), scripts, styles and attribute values — may
hold none of:

- an UPPER_SNAKE or all-capital word (a class code ``SPECIAL``, a draw flag ``TAGS_UNCOVERED``),
  other than the abbreviations a Chinese reader meets as such (PDF, Excel's CSV …);
- a dotted audit action (``draw.reveal``) or any other ``lower.dotted`` name that is not a file;
- a preset's slug (``zunhua-2024``);
- an English field label: a ``lower_snake`` word or one of ``ENGLISH_LABELS``.

Each finding is reported with the page, the account and the text around it. Pages rendered by
templates another change owns are listed in ``KNOWN`` until that change lands.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.test import Client

from shuangsuiji.policy import available_presets
from shuangsuiji.policy.loader import load_preset
from tests.demo_nov import test_reads_never_write as reads

#: The demo of tests/demo_nov/test_reads_never_write.py, built once for the package.
demo = reads.demo

#: One account of each role at a county bureau (遵化 has every role), a leader above it (唐山,
#: who reads the bureaus below), a coordinator of another preset (绛县: its own classes and
#: clauses) and the public. Every URL pattern is read once per role at least.
ACCOUNTS = [
    "anonymous",
    "zunhua-admin",
    "zunhua-coordinator",
    "zunhua-inspector",
    "zunhua-leader",
    "zunhua-auditor",
    "tangshan-leader",
    "jiangxian-coordinator",
]

#: Abbreviations read as they are in Chinese text; each is a word a reader knows, not a code.
ABBREVIATIONS = {
    "PDF", "CSV", "API", "JSON", "URL", "HTTP", "HTTPS", "SHA",  # formats and the hash's name
    "ETAG",  # the open data API's polling header, named in its documentation
    "ID",  # as in 统一社会信用代码/ID, never alone
    "II", "III", "IV",  # roman numerals of a clause
    "DRAW",  # the method's name SHUANGSUIJI-DRAW-v1, a published standard's name
    "SHUANGSUIJI",  # the same name
    "KB", "MB", "GB",  # sizes: the import's upper limit (30 MB)
    "JPG", "JPEG", "PNG",  # the file types an attachment may have
}  # fmt: skip
#: English words shown as field labels before issue 19.
ENGLISH_LABELS = {"spec", "params_hash", "salt", "seed", "roster", "digest"}
#: Lower-case dotted words that are file names (the bundle's files, the downloads), not codes.
FILE_SUFFIXES = {"txt", "json", "csv", "xlsx", "pdf", "zip", "yaml", "html", "md", "hex"}

UPPER = re.compile(r"(?<![A-Za-z0-9_-])[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*(?![A-Za-z0-9_])")
DOTTED = re.compile(r"(?<![\w.])[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+(?![\w])")
SNAKE = re.compile(r"(?<![\w.])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w])")
WORD = re.compile(r"(?<![\w-])[a-z][a-z0-9_]*(?![\w])")
#: A time as ISO 8601 or in UTC, not Beijing time in the site's form (2026-11-23 14:05).
ISO = "ISO 8601 或 UTC 时间"
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}|[+-]00:00\b|\bUTC\b")

#: Every class code of the shipped presets (SPECIAL, KEY, GENERAL_REGISTERED …).
CLASS_CODES = {rule.code for name in available_presets() for rule in load_preset(name).classes}
#: The field names of commit.json and the words of the server's verification report
#: (shuangsuiji/draw/verify.py: "抽取种子 seed 一致", "层 KEY 数量 k、eligible、shortfall 一致").
BUNDLE_WORDS = {
    "spec", "draw_id", "params_hash", "pool_root", "roster_root", "conflicts_root", "salt_commit",
    "withheld_commit", "seed", "salt", "roster", "selected", "reserve", "eligible", "shortfall",
}  # fmt: skip

#: Pages whose codes are not fixed yet, by the template that renders them: template → the codes
#: it may still show. Each entry is to be removed when its page is fixed; the list is to end
#: empty.
KNOWN: dict[str, set[str]] = {}


class VisibleText(HTMLParser):
    """The text a reader sees: outside ``<code>``, ``<pre>``, ``<script>``, ``<style>`` and
    attribute values."""

    HIDDEN = {"code", "pre", "script", "style", "template"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if not self.depth:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def codes_in(text: str, slugs: set[str]) -> list[tuple[str, str]]:
    """The internal codes in a page's visible text, each with a little of the text around it."""
    found = []

    def note(match):
        start, end = match.span()
        found.append((match.group(), text[max(0, start - 15) : end + 15]))

    for match in UPPER.finditer(text):
        word = match.group()
        if any(c.isdigit() for c in word):
            continue  # a number a register holds (执法证号 FZ13028120160008), not a code
        if (len(word) > 1 and word not in ABBREVIATIONS) or "_" in word:
            note(match)
    for match in ISO_TIME.finditer(text):
        start, end = match.span()
        found.append((ISO, text[max(0, start - 15) : end + 15]))
    for match in DOTTED.finditer(text):
        if match.group().rsplit(".", 1)[-1] not in FILE_SUFFIXES:
            note(match)
    for match in SNAKE.finditer(text):
        note(match)
    for match in WORD.finditer(text):
        if match.group() in ENGLISH_LABELS:
            note(match)
    for slug in slugs:
        for match in re.finditer(rf"(?<![\w-]){re.escape(slug)}(?![\w-])", text):
            note(match)
    return found


def code_look(findings: dict):
    """What the crawl of tests/demo_nov/test_reads_never_write.py does with each answer here:
    an HTML page's internal codes, less those ``KNOWN`` for its templates, into ``findings``
    by URL."""
    slugs = set(available_presets())

    def look(url: str, response) -> None:
        if "text/html" not in response.get("Content-Type", "") or response.streaming:
            return
        text = visible_text(response.content.decode())
        found = codes_in(text, slugs)
        templates = {t.name for t in response.templates or [] if t.name}
        known = set().union(*(KNOWN.get(t, set()) for t in templates))
        found = [f"{code!r}（…{around}…）" for code, around in found if code not in known]
        if found:
            findings[url] = found

    return look


@pytest.mark.parametrize("username", ACCOUNTS)
def test_no_internal_code_on_any_page(db, demo_build, settings, username):
    # The crawl is shared with the check that no GET writes (made once per account).
    crawl = reads.crawl_as(username, demo_build, settings)
    assert crawl.reads > 50
    assert not crawl.problems, "\n".join(crawl.problems)
    report = [f"{url}：{'；'.join(found)}" for url, found in sorted(crawl.findings.items())]
    assert not report, f"{len(report)} 个页面显示了内部代码：\n" + "\n".join(report)


def test_every_action_in_the_log_has_a_chinese_name(db, demo):
    """The audit page names each action in Chinese (shuangsuiji/audit/actions.py): every action
    the demo year recorded has its name."""
    from shuangsuiji.audit.actions import ACTION_NAMES
    from shuangsuiji.audit.models import AuditEvent

    recorded = set(AuditEvent.objects.values_list("action", flat=True).distinct())
    assert len(recorded) > 20
    assert recorded <= ACTION_NAMES.keys(), recorded - ACTION_NAMES.keys()


def test_the_draw_bundle_is_named_in_chinese(db, demo):
    """遵化市分局-2026年第四季度-抽取材料-130281-2026004-1.zip, not 130281-2026004-1.zip."""
    from urllib.parse import unquote

    from django.urls import reverse

    from shuangsuiji.planning.models import Draw

    client = Client()
    client.force_login(reads.demo_user("zunhua-coordinator"))
    draw = Draw.objects.get(draw_id="130281-2026004-1")
    response = client.get(reverse("planning:draw_bundle", args=[draw.pk]))
    assert response.status_code == 200
    name = unquote(response["Content-Disposition"].split("filename*=utf-8''")[1])
    assert name == "遵化市分局-2026年第四季度-抽取材料-130281-2026004-1.zip"
