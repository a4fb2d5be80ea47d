"""Strict reading and canonical writing of the JSON files of a bundle."""

from __future__ import annotations

import json
from binascii import hexlify
from operator import itemgetter
from typing import Any

from .errors import BundleError, line
from .textfile import BOM


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise _DuplicateKey(name)
        result[name] = value
    return result


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} 不是合法的 JSON 值")


def load(file: str, data: bytes) -> dict[str, Any]:
    """Parse a bundle JSON file: UTF-8 without BOM, standard JSON, no duplicate key,
    a JSON object at the top."""
    if data.startswith(BOM):
        raise BundleError(file, line(1), "文件以字节顺序标记（BOM）开头，必须是不带 BOM 的 UTF-8")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        where = line(data.count(b"\n", 0, exc.start) + 1)
        raise BundleError(file, where, "不是有效的 UTF-8 编码") from None
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
    except _DuplicateKey as exc:
        raise BundleError(
            file, f"键 {exc.args[0]}", "JSON 键重复（同一对象中不得出现两次）"
        ) from None
    except json.JSONDecodeError as exc:
        raise BundleError(file, line(exc.lineno), f"不是合法的 JSON：{exc.msg}") from None
    except ValueError as exc:  # NaN/Infinity, or an integer too long to read
        raise BundleError(file, "", f"不是合法的 JSON：{exc}") from None
    if not isinstance(value, dict):
        raise BundleError(file, "", "顶层必须是 JSON 对象 {…}")
    return value


_encode = json.JSONEncoder(ensure_ascii=False).encode
# The C string encoder json.dumps(ensure_ascii=False) itself uses for every string.
_quote = json.encoder.encode_basestring


def dumps(value: Any) -> bytes:
    """The bundle's JSON output form: readable Chinese, two-space indent, final newline.

    The bytes are those of ``json.dumps(value, ensure_ascii=False, indent=2)``. The standard
    library uses its C encoder only without indentation, and a result with a million
    reserve ids and a hundred thousand small objects would spend seconds in the pure-Python
    one. Here strings, the bulk of a result, go straight to the C string encoder (or are
    joined as they are when none needs an escape), a list of objects with the same keys is
    written a column at a time, and the pieces are joined once at the end.
    """
    out: list[str] = []
    _write(value, "", out)
    out.append("\n")
    return "".join(out).encode("utf-8")


def _indented(value: Any, indent: str) -> str:
    out: list[str] = []
    _write(value, indent, out)
    return "".join(out)


def _write(value: Any, indent: str, out: list[str]) -> None:
    if type(value) is str:
        out.append(_quote(value))
        return
    inner = indent + "  "
    if isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        head = "{\n"
        for k, v in value.items():
            out.append(f"{head}{inner}{_quote(k)}: ")
            _write(v, inner, out)
            head = ",\n"
        out.append("\n" + indent + "}")
        return
    if isinstance(value, list):
        if not value:
            out.append("[]")
            return
        body = _strings(value, inner) or _rows(value, inner)
        if body is None:
            head = "[\n" + inner
            for item in value:
                out.append(head)
                _write(item, inner, out)
                head = ",\n" + inner
        else:
            out += ("[\n", inner, body)
        out.append("\n" + indent + "]")
        return
    out.append(_encode(value))  # numbers, true, false and null


def _strings(values: list[Any], inner: str) -> str | None:
    """The items of a list of strings, one per line; None when some item is not a string."""
    between = ",\n" + inner
    if len(values) < 64:  # a team, a list of flags: not worth more than one try
        try:
            return between.join(map(_quote, values))
        except TypeError:  # not all strings
            return None
    try:
        plain = "".join(values)
    except TypeError:
        return None
    if plain.isprintable() and '"' not in plain and "\\" not in plain:
        # Nothing to escape: the encoder escapes only ", \ and the control characters, and
        # no control character is printable. A million reserve ids take two joins.
        return '"' + ('"' + between + '"').join(values) + '"'
    return between.join(map(_quote, values))


def _rows(items: list[Any], inner: str) -> str | None:
    """The items of a list of objects that all have the same keys in the same order, as
    ``_indented`` writes them, built a column at a time; None for any other list."""
    first = items[0]
    if type(first) is not dict or not first or set(map(type, items)) != {dict}:
        return None
    names = tuple(first)
    if set(map(tuple, items)) != {names}:
        return None
    deeper = inner + "  "
    width = 2 * len(names) + 1
    parts: list[str] = [""] * (width * len(items))
    for index, name in enumerate(names):
        lead = ("{\n" if index == 0 else ",\n") + deeper + _quote(name) + ": "
        column = list(map(itemgetter(name), items))
        parts[2 * index :: width] = [lead] * len(items)
        parts[2 * index + 1 :: width] = _column(column, deeper)
    close = "\n" + inner + "}"
    parts[width - 1 :: width] = [close + ",\n" + inner] * len(items)
    parts[-1] = close
    return "".join(parts)


def _column(values: list[Any], indent: str) -> list[str]:
    try:
        return list(map(_quote, values))
    except TypeError:  # not all strings
        return [_indented(value, indent) for value in values]


def dumps_result(
    spec: str, draw_id: str, seed: bytes, strata: list[Any], assignments: Any
) -> bytes:
    return b"".join(result_parts(spec, draw_id, seed, strata, assignments))


def result_parts(
    spec: str, draw_id: str, seed: bytes, strata: list[Any], assignments: Any
) -> list[bytes]:
    """result.json as ``dumps`` writes it, in pieces to be joined or written one after the
    other, from the draw's own objects (``engine.Result``): ``assignments`` is its
    ``matching``, or with partners the list of each assignment's ``as_dict()``.

    The bulk of a large result is the reserve, a million ids: they stay in the one bytes
    object the draw keeps them in, and one ``replace`` turns it into the JSON list. Every id
    of a valid bundle is ASCII letters, digits, ``_`` and ``-``, which JSON never escapes;
    the other strings go through the encoder.
    """
    out = [
        b'{\n  "spec": ',
        _quote(spec).encode(),
        b',\n  "draw_id": ',
        _quote(draw_id).encode(),
        b',\n  "seed": "',
        seed.hex().encode(),
        b'",\n  "strata": [',
    ]
    head = b"\n    {\n"
    for stratum in strata:
        out += (
            head,
            b'      "code": ',
            _quote(stratum.code).encode(),
            b',\n      "k": %d,\n      "eligible": %d,\n      "selected": '
            % (stratum.k, stratum.eligible),
        )
        ids = stratum.selected_ids()
        if ids:
            keys = map(hexlify, stratum.keys)
            out += (
                b'[\n        {\n          "id": "',
                b'"\n        },\n        {\n          "id": "'.join(
                    map(b'",\n          "key": "'.join, zip(ids, keys, strict=True))
                ),
                b'"\n        }\n      ]',
            )
        else:
            out.append(b"[]")
        out.append(b',\n      "reserve": ')
        reserve = stratum.reserve_ids()
        if reserve:
            out += (
                b'[\n        "',
                reserve.replace(b"\n", b'",\n        "'),
                b'"\n      ]',
            )
        else:
            out.append(b"[]")
        out.append(b',\n      "shortfall": %d\n    }' % stratum.shortfall)
        head = b",\n    {\n"
    out.append(b'\n  ],\n  "assignments": ')
    if isinstance(assignments, list):  # with partners: as_dict() of each assignment
        out.append(_indented(assignments, "  ").encode() if assignments else b"[]")
    elif not assignments.units:
        out.append(b"[]")
    else:
        out += (
            b"[\n    {\n",
            b"\n    },\n    {\n".join(_assignments(assignments.units, assignments.teams)),
            b"\n    }\n  ]",
        )
    out.append(b"\n}\n")
    return out


_ASSIGNMENT = b'      "unit": "%s",\n      "team": %s,\n      "flags": %s'


def _assignments(units: list[bytes], teams: list[tuple[list[bytes], list[str]]]) -> list[bytes]:
    """Each assignment's lines inside its braces; the few distinct flag lists written once."""
    flag_lists: dict[tuple[str, ...], bytes] = {}
    items = []
    for uid, (team, flags) in zip(units, teams, strict=True):
        key = tuple(flags)
        written = flag_lists.get(key)
        if written is None:
            written = flag_lists[key] = _strs(flags, b"        ")
        members = b'[\n        "' + b'",\n        "'.join(team) + b'"\n      ]' if team else b"[]"
        items.append(_ASSIGNMENT % (uid, members, written))
    return items


def _strs(values: list[str], indent: bytes) -> bytes:
    """A short JSON list of strings (a team, flags) at ``indent``."""
    if not values:
        return b"[]"
    between = ",\n" + indent.decode()
    body = between.join(map(_quote, values))
    return b"[\n" + indent + body.encode() + b"\n" + indent[2:] + b"]"
