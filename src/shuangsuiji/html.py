"""Pieces of HTML written in Python, for the lists whose rows the template language makes the
costliest part of a page (issue 21 §1, §3: the portal's results table, 我的任务's cards).

Each helper gives what the template it replaces gives, byte for byte: values escaped as
autoescaping escapes them (``escape``), days as ``|date:"Y-m-d"`` writes
them, links as ``{% url %}`` reverses them (reversed once per list, then filled in per row).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from urllib.parse import quote

from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise

#: A stand-in argument: a link is reversed once with it and filled in per row (a number where
#: the URL takes one).
SLOT = "0slot0"
NUMBER_SLOT = "90817263544536271809"


def escape(value) -> str:
    """``django.utils.html.escape``'s text (``html.escape`` of ``str(value)``) as a plain
    string, without its lazy-string wrapper, which cost as much as the escaping itself at the
    hundreds of values a list writes (issue 21 §3). The caller marks the whole safe."""
    return html.escape(str(value))


def conditional_escape(value) -> str:
    """``django.utils.html.conditional_escape`` without its lazy-string wrapper: a value marked
    safe as it is, any other escaped (``escape``)."""
    if isinstance(value, Promise):
        value = str(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    return escape(value)


def choice_label(choices, value) -> str:
    """``get_FOO_display`` for a value read without its model: the choice's label, or the value
    itself if it is not one of ``choices`` (as Django shows it)."""
    try:
        return choices(value).label
    except ValueError:
        return value


def link_maker(name: str, *leading, number: bool = False) -> Callable[[object], str]:
    """The escaped link of the URL name ``name`` for each last argument (after ``leading``)."""
    slot = NUMBER_SLOT if number else SLOT
    pattern = reverse(name, args=[*leading, slot])
    # As ``reverse`` quotes an argument (RFC 3986 sub-delimiters, "/~:@" kept).
    return lambda value: escape(pattern.replace(slot, quote(str(value), safe="!$&'()*+,;=/~:@")))


def day(value) -> str:
    """``|date:"Y-m-d"``: a time as its date in Beijing, a date as it is, nothing for none."""
    if value is None:
        return ""
    if hasattr(value, "tzinfo"):
        value = timezone.localtime(value)
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
