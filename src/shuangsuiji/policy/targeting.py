"""定向抽查: a task's pool restricted to an industry, an area, a 要素 or a period of records.

藁城 二、（六）“对特定时段开展针对特定行业、特定区域的检查采用定向抽查；日常监管检查中，原则上不
提前设定范围条件，采用不定向抽查”; 遵化 二、（四）“采用定向抽查和不定向抽查的形式开展随机抽查工作”.
The draw stays random inside the range; the range is stated in params.json and on the public
pages, so anyone can see who could have been drawn.

A filter is a mapping of restrictions, all of which a unit must meet; inside one restriction any
listed word is enough::

    {"行业类别": ["化学原料和化学制品制造业"], "行政区划代码": ["130281101"],
     "执法片区": ["第一执法中队"], "要素标签": ["危废"],
     "监管记录": {"kinds": ["举报查实"], "from": "2026-01-01", "to": "2026-06-30"}}

行业类别 and 行政区划代码 match a listed word or code as a prefix (C26 matches C2614; 130281
matches 130281101); 执法片区 matches exactly; 要素标签 needs one shared tag; 监管记录 needs one
record of a listed kind dated within the period (both ends included).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from shuangsuiji.policy.errors import PolicyError
from shuangsuiji.policy.schema import EVENT_KINDS

#: The restrictions a task may state, in the order they are shown.
FIELDS = ("行业类别", "行政区划代码", "执法片区", "要素标签", "监管记录")
PREFIX_FIELDS = ("行业类别", "行政区划代码")


def _date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise PolicyError(f"{where} 应为日期 YYYY-MM-DD，实为“{value}”") from None


def validate_filters(value: Any, where: str = "定向抽查范围") -> dict[str, Any]:
    """The filter, checked and normalised (words stripped, empty restrictions dropped)."""
    if not isinstance(value, Mapping):
        raise PolicyError(f"{where} 应为键值映射")
    unknown = [key for key in value if key not in FIELDS]
    if unknown:
        raise PolicyError(
            f"{where}：未知的范围条件 {'、'.join(unknown)}，可用：{'、'.join(FIELDS)}"
        )
    clean: dict[str, Any] = {}
    for key in FIELDS[:4]:
        words = value.get(key) or []
        if isinstance(words, str) or not all(isinstance(w, str) for w in words):
            raise PolicyError(f"{where}：{key} 应为文字列表")
        words = [w.strip() for w in words if w.strip()]
        if words:
            clean[key] = words
    records = value.get("监管记录")
    if records:
        kinds = list(records.get("kinds") or [])
        strangers = [k for k in kinds if k not in EVENT_KINDS]
        if not kinds or strangers:
            raise PolicyError(f"{where}：监管记录类型应为 {'、'.join(EVENT_KINDS)} 中的一种或几种")
        start = _date(records.get("from"), f"{where}：监管记录起始日期")
        end = _date(records.get("to"), f"{where}：监管记录截止日期")
        if end < start:
            raise PolicyError(f"{where}：监管记录截止日期早于起始日期")
        clean["监管记录"] = {"kinds": kinds, "from": start.isoformat(), "to": end.isoformat()}
    return clean


def filter_matches(
    filters: Mapping[str, Any],
    fields: Mapping[str, str],
    tags: Iterable[str],
    events: Iterable[tuple[str, dt.date]],
) -> bool:
    """Whether a unit (its register fields, tags and (kind, date) records) is in the range."""
    for key in PREFIX_FIELDS:
        if key in filters:
            own = fields.get(key, "")
            if not any(own.startswith(word) for word in filters[key]):
                return False
    if "执法片区" in filters and fields.get("执法片区", "") not in filters["执法片区"]:
        return False
    if "要素标签" in filters and not set(filters["要素标签"]) & set(tags):
        return False
    if "监管记录" in filters:
        records = filters["监管记录"]
        start, end = dt.date.fromisoformat(records["from"]), dt.date.fromisoformat(records["to"])
        if not any(k in records["kinds"] and start <= d <= end for k, d in events):
            return False
    return True


def filter_words(filters: Mapping[str, Any]) -> str:
    """The range in words, for params.json and the pages: 定向抽查：行业类别 C26；要素标签 危废."""
    parts = []
    for key in FIELDS[:4]:
        if key in filters:
            joined = "、".join(filters[key])
            parts.append(f"{key}{'以' if key in PREFIX_FIELDS else '为'} {joined}" +
                         ("开头" if key in PREFIX_FIELDS else ""))  # fmt: skip
    if "监管记录" in filters:
        records = filters["监管记录"]
        parts.append(f"{records['from']} 至 {records['to']} 有{'、'.join(records['kinds'])}记录")
    return "定向抽查：" + "；".join(parts) if parts else ""
