"""Strict reading and canonical writing of the JSON files of a bundle."""

from __future__ import annotations

import json
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
    reserve ids would spend seconds in the pure-Python one; here strings, the bulk of a
    result, go straight to the C string encoder.
    """
    return (_indented(value, "") + "\n").encode("utf-8")


def _indented(value: Any, indent: str) -> str:
    if type(value) is str:
        return _quote(value)
    inner = indent + "  "
    if isinstance(value, dict):
        if not value:
            return "{}"
        body = ",\n".join(
            f"{inner}{_quote(k)}: {_quote(v) if type(v) is str else _indented(v, inner)}"
            for k, v in value.items()
        )
        return "{\n" + body + "\n" + indent + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        if set(map(type, value)) == {str}:
            body = inner + (",\n" + inner).join(map(_quote, value))
        else:
            body = ",\n".join(inner + _indented(item, inner) for item in value)
        return "[\n" + body + "\n" + indent + "]"
    return _encode(value)  # numbers, true, false and null
