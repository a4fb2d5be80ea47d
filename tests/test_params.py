"""Numbers in a query string (src/shuangsuiji/params.py): a value that is no plain whole number —
“²” and “①” pass str.isdigit() but not int() — is ignored like any other bad value, never a
server error."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from shuangsuiji.accounts.roles import Role
from shuangsuiji.params import whole_number


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("2026", 2026), ("²", None), ("①", None), ("٢٠٢٦", None), ("1999", None), ("9" * 5000, None),
     ("", None), (None, None), (" 2026", None)],
)  # fmt: skip
def test_whole_number(raw, expected):
    assert whole_number(raw, 2000, 2100) == expected


@pytest.mark.parametrize(
    ("url_name", "params"),
    [("reports:statistics", {"year": "²"}), ("reports:dashboard", {"year": "①"}),
     ("reports:archive", {"year": "²"}), ("inspections:publication", {"year": "²"})],
)  # fmt: skip
def test_pages_ignore_a_superscript_year(client, organisations, make_user, url_name, params):
    client.force_login(make_user("coord", organisations["a"], Role.COORDINATOR))
    assert client.get(reverse(url_name), params).status_code == 200


def test_user_list_ignores_a_superscript_organisation(client, organisations, make_user):
    client.force_login(make_user("admin", organisations["a"], Role.SYSADMIN))
    assert client.get(reverse("accounts:user_list"), {"organisation": "²"}).status_code == 200


def test_search_text_is_stripped_and_limited():
    from django.core.exceptions import BadRequest

    from shuangsuiji.params import SEARCH_MAX, search_text

    assert search_text({"q": "  遵化  "}) == "遵化"
    assert search_text({}) == ""
    assert search_text({"q": "企" * SEARCH_MAX}) == "企" * SEARCH_MAX
    with pytest.raises(BadRequest, match=f"查询文字不能超过 {SEARCH_MAX} 个字（所填为 101 个字）"):
        search_text({"q": "企" * (SEARCH_MAX + 1)})


@pytest.mark.parametrize(
    ("raw", "day", "problem"),
    [("2026-12-04", dt.date(2026, 12, 4), ""), ("", None, ""), (None, None, ""),
     ("0001-01-01", None, "起始日期须在 2000-01-01 至 2100-12-31 之间（所填为 0001-01-01）。"),
     ("2026-02-30", None, "起始日期“2026-02-30”不是日期，请按 YYYY-MM-DD 填写。"),
     ("2026-W01-1", None, "起始日期“2026-W01-1”不是日期，请按 YYYY-MM-DD 填写。")],
)  # fmt: skip
def test_parse_date(raw, day, problem):
    from shuangsuiji.params import DateRange, parse_date

    allowed = DateRange(dt.date(2000, 1, 1), dt.date(2100, 12, 31))
    assert parse_date(raw, "起始日期", allowed) == (day, problem)


def test_ranged_date_field_names_the_range():
    from django import forms

    from shuangsuiji.params import DateRange, RangedDateField

    class Form(forms.Form):
        day = RangedDateField(label="办结日期")

    form = Form({"day": "9999-12-31"})
    form.fields["day"].limit(DateRange(dt.date(2024, 1, 1), dt.date(2026, 12, 4)))
    assert form.errors["day"] == [
        "办结日期须在 2024-01-01 至 2026-12-04 之间（所填为 9999-12-31）。"
    ]
    assert 'min="2024-01-01"' in str(form["day"]) and 'max="2026-12-04"' in str(form["day"])
