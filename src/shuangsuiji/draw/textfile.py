"""Rules shared by the ``.txt`` files of a bundle: encoding, lines, ids and tags."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from .errors import BundleError, line

BOM = b"\xef\xbb\xbf"
ID_RE = re.compile(rb"[0-9A-Za-z_-]{1,64}")
ID_RULE = "必须是 1–64 个 [0-9A-Za-z_-] 字符"


def split_lines(file: str, data: bytes, fields: Sequence[str]) -> list[bytes]:
    """Check the rules every ``.txt`` file shares and return its lines without ``\\n``.

    The whole-file checks are cheap C calls; only when one fails do we walk the lines to
    name the first offending one.
    """
    if data.startswith(BOM):
        raise BundleError(file, line(1), "文件以字节顺序标记（BOM）开头，必须是不带 BOM 的 UTF-8")
    if not data:
        return []
    text = None
    if not data.isascii():
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            where = line(data.count(b"\n", 0, exc.start) + 1)
            raise BundleError(file, where, "不是有效的 UTF-8 编码") from None
    if b"\r" in data:
        where = line(data.count(b"\n", 0, data.index(b"\r")) + 1)
        raise BundleError(file, where, "含有回车符 \\r（每行只能以 \\n 结尾）")
    if not data.endswith(b"\n"):
        where = line(data.count(b"\n") + 1)
        raise BundleError(file, where, "最后一行缺少结尾的换行符 \\n")
    lines = data.split(b"\n")
    lines.pop()
    if b"" in lines:
        where = line(lines.index(b"") + 1)
        raise BundleError(file, where, "空行（文件中不得有空行）")
    # "|", "," and "\n" never compose with a neighbour under NFC, so the whole text is
    # NFC exactly when every field is.
    if text is not None and not unicodedata.is_normalized("NFC", text):
        raise _nfc_error(file, lines, fields)
    return lines


def _nfc_error(file: str, lines: list[bytes], fields: Sequence[str]) -> BundleError:
    for number, raw in enumerate(lines, 1):
        for index, value in enumerate(raw.decode("utf-8").split("|")):
            if not unicodedata.is_normalized("NFC", value):
                name = fields[index] if index < len(fields) else f"第 {index + 1} 个字段"
                return BundleError(file, line(number), f"字段 {name} 不是 NFC 规范化形式")
    raise AssertionError("NFC violation not found line by line")


def split_fields(file: str, number: int, raw: bytes, fields: Sequence[str]) -> list[bytes]:
    parts = raw.split(b"|")
    if len(parts) != len(fields):
        raise BundleError(
            file,
            line(number),
            f"字段数为 {len(parts)}，应为 {len(fields)}（{'|'.join(fields)}）；"
            "字段之间用 | 分隔，字段内不得含有 |",
        )
    return parts


def check_id(file: str, number: int, name: str, value: bytes) -> None:
    if ID_RE.fullmatch(value) is None:
        raise BundleError(file, line(number), f"{name} {_show(value)} {ID_RULE}")


def ids_valid(ids: list[bytes]) -> bool:
    """Whether every id follows the id rule, in a few C calls instead of a regex per id."""
    # With "_", "-" and "\n" taken out, what is left must be ASCII letters and digits only.
    rest = b"\n".join(ids).translate(None, b"_-\n")
    return (not rest or rest.isalnum()) and b"" not in ids and max(map(len, ids), default=0) <= 64


def check_id_column(file: str, name: str, ids: list[bytes]) -> None:
    """Check the id rule for a whole file's ids at once; only on failure walk them to name
    the first bad line."""
    if ids_valid(ids):
        return
    for number, value in enumerate(ids, 1):
        check_id(file, number, name, value)


def check_order(file: str, number: int, name: str, value: bytes, previous: bytes | None) -> None:
    """Require strictly ascending byte order of ``name``: sorted and unique at once."""
    if previous is None or value > previous:
        return
    if value == previous:
        raise BundleError(file, line(number), f"{name} {_show(value)} 重复（与上一行相同）")
    raise BundleError(file, line(number), f"{name} 未按字节升序排列")


def tags_valid(value: bytes) -> bool:
    """Whether ``value`` is a valid ``tags`` field (what ``parse_tags`` accepts, its
    encoding aside)."""
    if not value:
        return True
    tags = value.split(b",")
    return b"" not in tags and all(map(bytes.__lt__, tags, tags[1:]))


def parse_tags(file: str, number: int, value: bytes) -> frozenset[str]:
    """Validate a ``tags`` field: non-empty, unique tags sorted by UTF-8 bytes, joined by ``,``.

    A tag cannot contain ``,`` because ``,`` is what separates tags: ``水,,大气`` has an empty
    tag and is refused rather than read as two tags.
    """
    if not value:
        return frozenset()
    tags = value.split(b",")
    previous = None
    for tag in tags:
        if not tag:
            raise BundleError(
                file, line(number), "tags 中有空标签（标签之间只能有一个 ,，首尾不得有 ,）"
            )
        if previous is not None and tag <= previous:
            if tag == previous:
                raise BundleError(file, line(number), f"tags 中标签 {_show(tag)} 重复")
            raise BundleError(file, line(number), "tags 中的标签未按 UTF-8 字节升序排列")
        previous = tag
    return frozenset(tag.decode("utf-8") for tag in tags)


def _show(value: bytes) -> str:
    return "“" + value.decode("utf-8", "replace") + "”"
