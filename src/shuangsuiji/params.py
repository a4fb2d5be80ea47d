"""Whole numbers read from a query string, one rule for every page.

ASCII digits only, and few: ``str.isdigit()`` also takes “²” and “①”, which ``int()`` refuses
(a 500 where the value should just be ignored), and ``int()`` refuses 4,301 digits.
"""

from __future__ import annotations

import re

#: The years a page or the API accepts in a filter.
YEARS = (2000, 2100)
_DIGITS = re.compile(r"[0-9]{1,9}")


def whole_number(raw: str | None, low: int, high: int) -> int | None:
    """``raw`` as an integer within ``low``–``high``, else ``None``."""
    if raw and _DIGITS.fullmatch(raw) and low <= int(raw) <= high:
        return int(raw)
    return None
