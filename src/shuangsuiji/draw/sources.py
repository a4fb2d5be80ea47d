"""The value of each kind of public random source, checked before an irreversible draw.

The draw spec leaves a value's format open: the algorithm hashes whatever text is entered. A
bureau must still not be able to enter a 双色球 result in a form nobody can match against the
official announcement (``3 7 12 19 25 31 + 9``), nor a witness's number with a stray letter:
once drawn, the value is fixed for good. So the draw service checks each value against its
source before drawing (issue 19 §5):

- ``lottery``: the game named in the label (双色球, 大乐透, 福彩3D, 排列三, 排列五) fixes the
  ball groups, their ranges and counts; the value is written as the spec says, RFC 3797 style —
  each group's numbers in ascending order, each followed by ``.``, each group by ``/``. A
  lottery the platform does not know must still be in that form.
- ``witness``: the digits a witness writes, 1 to 32 of them.
- ``drand``: the round's randomness, 64 hexadecimal digits.

Other types are an open set (draw-spec): any non-empty value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


class SourceValueError(ValueError):
    """A value that is not in its source's form; the message says the form, with an example."""


@dataclass(frozen=True)
class Group:
    count: int
    low: int
    high: int


@dataclass(frozen=True)
class Game:
    name: str
    #: The ball groups in the order they are announced.
    groups: tuple[Group, ...]
    words: str
    example: str


#: The official games, by the name a label gives them (the longest name is matched first).
GAMES = (
    Game(
        "双色球",
        (Group(6, 1, 33), Group(1, 1, 16)),
        "6 个红球（1–33）和 1 个蓝球（1–16）",
        "3.7.12.19.25.31./9./",
    ),
    Game(
        "大乐透",
        (Group(5, 1, 35), Group(2, 1, 12)),
        "5 个前区号码（1–35）和 2 个后区号码（1–12）",
        "3.11.19.27.34./5.10./",
    ),
    # A digit game draws each position on its own: one group per position, in announced order.
    Game("福彩3D", (Group(1, 0, 9),) * 3, "3 位数字（各 0–9，按开奖顺序）", "3./0./3./"),
    Game("排列三", (Group(1, 0, 9),) * 3, "3 位数字（各 0–9，按开奖顺序）", "5./1./5./"),
    Game("排列五", (Group(1, 0, 9),) * 5, "5 位数字（各 0–9，按开奖顺序）", "5./1./5./8./2./"),
)

RFC3797 = re.compile(r"^(?:(?:\d+\.)+/)+$")
WITNESS = re.compile(r"^\d{1,32}$")
DRAND = re.compile(r"^[0-9a-f]{64}$")


def game_of(label: str) -> Game | None:
    compact = label.replace(" ", "").upper()
    for game in GAMES:
        if game.name.upper() in compact:
            return game
    return None


def groups_of(value: str) -> list[list[int]]:
    """The numbers of an RFC 3797 value, group by group."""
    return [[int(n) for n in group.split(".") if n] for group in value.split("/") if group]


def canonical(label: str, text: str) -> str | None:
    """A lottery result typed the way it is read out (``3 7 12 19 25 31 + 9``, ``03,07,…|09``)
    in the spec's form, when the numbers fit the game; ``None`` otherwise. For the form to offer
    back, never applied silently."""
    game = game_of(label)
    numbers = [int(n) for n in re.findall(r"\d+", text)]
    if game is None or len(numbers) != sum(g.count for g in game.groups):
        return None
    value, start = "", 0
    for group in game.groups:
        part = numbers[start : start + group.count]
        start += group.count
        value += "".join(f"{n}." for n in (sorted(part) if group.count > 1 else part)) + "/"
    try:
        check_value("lottery", label, value)
    except SourceValueError:
        return None
    return value


def value_hint(source_type: str, label: str) -> str:
    """How the value of this source is written, for the field where it is typed."""
    if source_type == "witness":
        return "见证人现场写下的数字：1 至 32 位阿拉伯数字，不含空格和标点，如 20261122。"
    if source_type == "drand":
        return "该轮 drand 随机信标的 randomness：64 位十六进制数字（小写）。"
    game = game_of(label)
    if game is not None:
        return (
            f"{game.name}开奖号码：{game.words}，每组号码由小到大、每个号码后加“.”、每组后加“/”，"
            f"写作 {game.example}"
        )
    return (
        "开奖号码按 RFC 3797 写法：每组号码由小到大，每个号码后加“.”，每组后加“/”，"
        "如 3.7.12.19.25.31./9./"
    )


def check_value(source_type: str, label: str, value: str) -> None:
    """Raise ``SourceValueError`` when ``value`` is not in the form of its source."""
    if source_type == "witness":
        if not WITNESS.match(value):
            raise SourceValueError(
                f"见证人数字应为 1 至 32 位阿拉伯数字，不含空格、字母或标点，如 20261122；"
                f"现填写的是“{value}”。"
            )
    elif source_type == "drand":
        if not DRAND.match(value):
            raise SourceValueError(
                f"drand 随机信标的取值应为该轮 randomness 的 64 位十六进制数字（小写）；"
                f"现填写的是“{value}”。"
            )
    elif source_type == "lottery":
        _check_lottery(label, value)


def _check_lottery(label: str, value: str) -> None:
    game = game_of(label)
    if not RFC3797.match(value):
        hint = canonical(label, value)
        form = (
            f"{game.name}应填写{game.words}，写作“{game.example}”"
            if game
            else "开奖号码应按 RFC 3797 写法：每组号码由小到大，每个号码后加“.”，每组后加“/”，"
            "如 3.7.12.19.25.31./9./"
        )
        offer = f"。是否应为：{hint}" if hint else ""
        raise SourceValueError(f"“{label}”的开奖号码“{value}”格式不对：{form}{offer}")
    if game is None:
        return
    groups = groups_of(value)
    if len(groups) != len(game.groups):
        raise SourceValueError(
            f"{game.name}应有 {len(game.groups)} 组号码（{game.words}），"
            f"“{value}”有 {len(groups)} 组，如 {game.example}"
        )
    for number, (numbers, group) in enumerate(zip(groups, game.groups, strict=True), start=1):
        if len(numbers) != group.count:
            raise SourceValueError(
                f"{game.name}第 {number} 组应有 {group.count} 个号码，“{value}”中有 "
                f"{len(numbers)} 个（{game.words}，如 {game.example}）"
            )
        outside = [n for n in numbers if not group.low <= n <= group.high]
        if outside:
            raise SourceValueError(
                f"{game.name}第 {number} 组的号码应在 {group.low}–{group.high} 之间，"
                f"“{value}”中有 {'、'.join(map(str, outside))}"
            )
        if numbers != sorted(set(numbers)):
            raise SourceValueError(
                f"{game.name}第 {number} 组的号码应各不相同并由小到大排列"
                f"（RFC 3797 写法），如 {game.example}；现为“{value}”"
            )
