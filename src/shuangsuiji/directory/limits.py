"""How much of an uploaded register an import reads, checked before the file is read (issue 15).

An 888 KB xlsx holding 3 million rows once took the server to 4.5 GB: python-calamine builds the
whole sheet in memory, as a dense rectangle from A1 to the last cell, before a single row can be
looked at. So the limits are checked on the file as it is stored, before calamine opens it:

- the file's size;
- for an xlsx (a zip of XML parts): how many parts it has and what they really unpack to (a
  "zip bomb" is a small file that unpacks to gigabytes; the sizes a zip declares are not
  trusted, every part is unpacked once, in chunks, and measured), and how far the first
  worksheet's cells reach — its last row and column, and how many cells it holds — read from
  the XML in passing (a single cell at XFD1048576 would make calamine allocate 17 billion);
- for a CSV: rows and columns as they are read, stopping at the first row over the limit;
- for an .xls (a binary format capped at 65,536 × 256 by Excel itself): the sheet's extent,
  after calamine has opened it and before any row is converted.

Pure Python, no Django: the limits come in as an :class:`ImportLimits` (the settings
``SHUANGSUIJI_IMPORT_*``, read by ``importing.import_limits``).
"""

from __future__ import annotations

import copy
import io
import re
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

#: How far down a title block may push the header row (the reader looks no further).
HEADER_SEARCH_ROWS = 10
#: Parts an xlsx may hold. Excel writes about a dozen (a few more with pictures); each entry of a
#: zip's directory costs memory before anything is unpacked, so a file of a million tiny parts
#: is refused before its directory is read.
MAX_ZIP_ENTRIES = 2000
#: Bytes unpacked and scanned at a time.
CHUNK = 1 << 20
#: The longest tag the worksheet scan carries from one chunk to the next; no real tag is longer.
MAX_TAG = 1 << 16


class LimitError(ValueError):
    """The file is over a limit, or too damaged to measure; the message says which, in Chinese."""


@dataclass(frozen=True)
class ImportLimits:
    max_bytes: int
    #: Data rows below the header.
    max_rows: int
    max_columns: int
    max_unpacked_bytes: int
    #: Problems listed one by one; the rest are counted.
    max_problems: int

    @property
    def max_sheet_rows(self) -> int:
        """Rows of the sheet as Excel numbers them, read before the header is found: the data
        rows, the header and a title block above it."""
        return self.max_rows + HEADER_SEARCH_ROWS

    @property
    def max_cells(self) -> int:
        return self.max_sheet_rows * self.max_columns


#: The defaults of the ``SHUANGSUIJI_IMPORT_*`` settings, by field (config/settings.py reads
#: the environment with them; the command line, which sets up no Django, does the same here).
DEFAULTS = ImportLimits(
    max_bytes=30 * 1024 * 1024,
    max_rows=100_000,
    max_columns=60,
    max_unpacked_bytes=300 * 1024 * 1024,
    max_problems=1000,
)


def limits_from_environment(environ: Mapping[str, str]) -> ImportLimits:
    """The limits as the settings would read them from ``environ``, without Django."""
    values = {}
    for name in ("max_bytes", "max_rows", "max_columns", "max_unpacked_bytes", "max_problems"):
        variable = f"SHUANGSUIJI_IMPORT_{name.upper()}"
        raw = environ.get(variable, "").strip()
        try:
            values[name] = int(raw) if raw else getattr(DEFAULTS, name)
        except ValueError:
            raise LimitError(f"环境变量 {variable} 应为整数，实为“{raw}”") from None
    values["max_problems"] = max(values["max_problems"], 1)
    return ImportLimits(**values)


# ---- messages ------------------------------------------------------------------------------------


def size_text(size: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} 字节"


def column_letters(number: int) -> str:
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def too_large(filename: str, size: int, limit: int) -> str:
    return f"{filename}：文件大小 {size_text(size)}，超过 {size_text(limit)} 的上限，请分批导入"


def too_many_rows(filename: str, limit: int, found: int | None = None) -> str:
    """``found``: the sheet's rows as Excel numbers them, when known; a reader that stopped at
    the first row over the limit does not know how many follow."""
    where = f"（本表 {found:,} 行）" if found else ""
    return f"{filename}：超过 {limit:,} 行的上限{where}，请分批导入"


def too_many_columns(filename: str, limit: int, found: int) -> str:
    return (
        f"{filename}：超过 {limit:,} 列的上限（本表用到第 {found:,} 列，即 "
        f"{column_letters(found)} 列），请删去多余的列后重新导入"
    )


def too_many_cells(filename: str, limit: int) -> str:
    return f"{filename}：超过 {limit:,} 个单元格的上限，请分批导入"


def too_large_unpacked(filename: str, limit: int) -> str:
    return (
        f"{filename}：解压后超过 {size_text(limit)} 的上限（xlsx 是压缩文件），"
        "请删去多余的工作表、图片后重新导入，或分批导入"
    )


def damaged(filename: str, why: str) -> str:
    return f"{filename}：无法读取为 Excel 工作簿（{why}），请用 Excel 打开后另存为 .xlsx 再上传"


def problems_omitted(filename: str, listed: int, omitted: int) -> str:
    return (
        f"{filename}：另有 {omitted:,} 处问题未列出（只列出前 {listed:,} 处），"
        "请先改正以上问题后重新上传"
    )


def check_size(content: bytes, filename: str, limits: ImportLimits) -> None:
    if len(content) > limits.max_bytes:
        raise LimitError(too_large(filename, len(content), limits.max_bytes))


def check_extent(filename: str, rows: int, columns: int, limits: ImportLimits) -> None:
    """A sheet's rows (as Excel numbers them) and columns against the limits."""
    if columns > limits.max_columns:
        raise LimitError(too_many_columns(filename, limits.max_columns, columns))
    if rows > limits.max_sheet_rows:
        raise LimitError(too_many_rows(filename, limits.max_rows, rows))


# ---- xlsx: the zip and its first worksheet -----------------------------------------------------


def check_xlsx(content: bytes, filename: str, limits: ImportLimits) -> None:
    """Measure an xlsx before calamine opens it. What is not a readable zip is left to calamine,
    whose message names the damage."""
    entries = _zip_entry_count(content)
    if entries is None:
        return
    if entries > MAX_ZIP_ENTRIES:
        why = f"压缩包中有 {entries:,} 个部件，正常的工作簿不过几十个"
        raise LimitError(damaged(filename, why))
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, OSError, ValueError):
        return
    with archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        sheets = _first_sheet_parts(archive, infos, filename)
        unpacked = 0
        for info in infos:
            part = _Part(archive, info, filename, limits, spent=unpacked)
            size = part.measure_sheet() if info.filename in sheets else part.measure()
            if size != info.file_size:
                # Calamine believes the recorded size; a part that unpacks to more is a trap.
                raise LimitError(damaged(filename, f"部件 {info.filename} 的大小与记录不符"))
            unpacked += size


def _zip_entry_count(content: bytes) -> int | None:
    """The entries a zip's end record announces, read without parsing its directory: the count
    it states, or as many as its directory's size can hold (46 bytes each at least), whichever
    is more — zipfile reads the whole directory, whatever the count says."""
    end = content.rfind(b"PK\x05\x06", max(0, len(content) - 65_557))
    if end < 0 or end + 22 > len(content):
        return None
    count = int.from_bytes(content[end + 10 : end + 12], "little")
    directory = int.from_bytes(content[end + 12 : end + 16], "little")
    # 0xFFFF hands the count to a ZIP64 record: far more parts than any workbook has.
    return MAX_ZIP_ENTRIES + 1 if count == 0xFFFF else max(count, directory // 46)


@dataclass
class _Part:
    """One part of the zip, unpacked in chunks as it really unpacks, whatever size the zip
    records, and never beyond what is left of the unpacked limit."""

    archive: zipfile.ZipFile
    info: zipfile.ZipInfo
    filename: str
    limits: ImportLimits
    spent: int = 0
    #: A different, smaller budget for the small parts read to find the first sheet.
    budget: int | None = None

    def chunks(self) -> Iterator[bytes]:
        budget = self.budget if self.budget is not None else self.limits.max_unpacked_bytes
        left = budget - self.spent
        probe = copy.copy(self.info)
        # Read on past a recorded size that lies, and past the budget by more than a chunk:
        # zipfile checks the CRC where it believes the part ends, before handing the data over.
        probe.file_size = max(left, 0) + 2 * CHUNK
        total = 0
        try:
            with self.archive.open(probe) as stream:
                while chunk := stream.read(CHUNK):
                    total += len(chunk)
                    if total > left:
                        if self.budget is not None:
                            why = f"部件 {self.info.filename} 过大"
                            raise LimitError(damaged(self.filename, why))
                        raise LimitError(too_large_unpacked(self.filename, budget))
                    yield chunk
        except LimitError:
            raise
        except Exception as error:  # zipfile, zlib and bz2/lzma raise their own types
            raise LimitError(
                damaged(self.filename, f"部件 {self.info.filename} 无法解压：{error}")
            ) from error

    def read(self) -> bytes:
        return b"".join(self.chunks())

    def measure(self) -> int:
        return sum(len(chunk) for chunk in self.chunks())

    def measure_sheet(self) -> int:
        """Unpack the worksheet and find how far its cells reach: on the fast path, or, should it
        not vouch for the part, again from the start on the exact path."""
        fast = _FastScan(self.limits)
        size = 0
        for piece in _pieces(self.chunks(), self.filename):
            size += len(piece)
            if not fast.feed(piece):
                break
        else:
            return size
        exact = _ExactScan(self.filename, self.limits)
        size = 0
        for piece in _pieces(self.chunks(), self.filename):
            size += len(piece)
            exact.feed(piece)
        return size


def _pieces(chunks: Iterator[bytes], filename: str) -> Iterator[bytes]:
    """The chunks re-cut so that each ends between two tags: no tag is cut in two."""
    tail = b""
    for chunk in chunks:
        data = tail + chunk
        cut = data.rfind(b"<")
        if cut >= 0 and data.find(b">", cut) < 0:
            tail, data = data[cut:], data[:cut]
            if len(tail) > MAX_TAG:
                raise LimitError(damaged(filename, "工作表中有异常长的标记"))
        else:
            tail = b""
        yield data
    yield tail


_ATTRIBUTE = re.compile(rb'([\w:.-]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')


def _tags(xml: bytes, local_name: bytes) -> Iterator[dict[str, str]]:
    """The attributes of each ``local_name`` element, whatever its namespace prefix."""
    pattern = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?" + local_name + rb"(?=[\s/>])[^>]*>")
    for match in pattern.finditer(xml):
        yield {
            name.decode("ascii", "replace"): (double or single).decode("utf-8", "replace")
            for name, double, single in _ATTRIBUTE.findall(match.group(0))
        }


def _resolve(folder: str, target: str) -> str:
    """A relationship's target as a part name: relative to the folder of the part it is from."""
    if target.startswith("/"):
        return target.lstrip("/")
    parts = [p for p in folder.split("/") if p]
    for piece in target.split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece not in ("", "."):
            parts.append(piece)
    return "/".join(parts)


#: What the small parts read to find the first sheet may unpack to.
_SMALL_PART = 8 << 20


def _first_sheet_parts(
    archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], filename: str
) -> set[str]:
    """The part calamine reads as the first sheet (the first ``<sheet>`` of the workbook).
    Should the workbook not say, every worksheet part is measured instead."""
    every = {i.filename for i in infos if re.search(r"worksheets/[^/]+\.xml$", i.filename, re.I)}
    by_name = {info.filename: info for info in infos}

    def small(name: str) -> bytes:
        info = by_name.get(name)
        if info is None:
            return b""
        return _Part(archive, info, filename, limits=_NO_LIMITS, budget=_SMALL_PART).read()

    workbook_name = next(
        (
            _resolve("", rel.get("Target", ""))
            for rel in _tags(small("_rels/.rels"), b"Relationship")
            if rel.get("Type", "").endswith("/officeDocument")
        ),
        "xl/workbook.xml",
    )
    folder, _, leaf = workbook_name.rpartition("/")
    first = next(_tags(small(workbook_name), b"sheet"), None)
    if first is None:
        return every
    rel_id = next((value for key, value in first.items() if key.endswith(":id")), None)
    rels_name = f"{folder}/_rels/{leaf}.rels" if folder else f"_rels/{leaf}.rels"
    for rel in _tags(small(rels_name), b"Relationship"):
        if rel.get("Id") == rel_id and rel.get("Target"):
            return {_resolve(folder, rel["Target"])}
    return every


_NO_LIMITS = ImportLimits(0, 0, 0, 0, 0)


# ---- how far a worksheet's cells reach ---------------------------------------------------------
#
# Calamine places a cell by its ``r`` reference (``AB12``), or after the previous cell of its row
# when it has none, and keeps only cells with a value: an empty, self-closing ``<c .../>`` (a
# formatted but empty cell) takes no room.


def _column_number(letters: bytes) -> int:
    number = 0
    for code in letters.upper():
        number = number * 26 + code - 64
    return number


def _widest(values) -> bytes:
    """The largest of column letters or row digits (longer is larger, then alphabetical)."""
    return max(set(values), key=lambda text: (len(text), text))


class _FastScan:
    """The references Excel, WPS and XlsxWriter write (``<c r="AB12"``), one regular expression
    per piece. Formatted empty cells are counted too, which only over-counts. ``feed`` returns
    False when it cannot vouch for a piece (a cell without a reference or not written that way,
    a namespace prefix) or when a count is over a limit: the exact scan then decides."""

    _REF = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"')
    _OPENINGS = (b"<c ", b"<c>", b"<c/", b"<c\t", b"<c\n", b"<c\r")
    _PREFIXED = re.compile(rb"<[A-Za-z_][\w.-]*:c[\s/>]")

    def __init__(self, limits: ImportLimits) -> None:
        self.limits = limits
        self.rows = self.columns = self.cells = 0

    def feed(self, piece: bytes) -> bool:
        if b":c" in piece and self._PREFIXED.search(piece):
            return False
        refs = self._REF.findall(piece)
        if len(refs) != sum(piece.count(opening) for opening in self._OPENINGS):
            return False
        if refs:
            letters, digits = zip(*refs, strict=True)
            self.columns = max(self.columns, _column_number(_widest(letters)))
            self.rows = max(self.rows, int(_widest(digits)))
            self.cells += len(refs)
        limits = self.limits
        return (
            self.columns <= limits.max_columns
            and self.rows <= limits.max_sheet_rows
            and self.cells <= limits.max_cells
        )


class _ExactScan:
    """Tag by tag, as calamine places cells; refuses at the first cell over a limit."""

    _TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)(?=[\s/>])([^>]*)>")
    _REF = re.compile(rb'\sr\s*=\s*["\']([A-Za-z]*)([0-9]*)["\']')
    _DIMENSION = re.compile(
        rb'<(?:[A-Za-z_][\w.-]*:)?dimension\s[^>]*?ref\s*=\s*["\'][A-Z]*[0-9]*:?[A-Z]*([0-9]*)["\']'
    )

    def __init__(self, filename: str, limits: ImportLimits) -> None:
        self.filename, self.limits = filename, limits
        self.row = self.column = self.cells = 0
        #: The last row the sheet says it uses (``<dimension ref="A1:K3000001"/>``), named in
        #: the message when the cells bear it out.
        self.declared_rows: int | None = None

    def feed(self, piece: bytes) -> None:
        limits = self.limits
        if self.declared_rows is None:
            match = self._DIMENSION.search(piece)
            self.declared_rows = int(match.group(1)) if match and match.group(1) else 0
        for name, attributes in self._TAG.findall(piece):
            ref = self._REF.search(attributes)
            letters, digits = (ref.group(1), ref.group(2)) if ref else (b"", b"")
            if name == b"row":
                self.row = int(digits) if digits else self.row + 1
                self.column = 0
                continue
            self.column = _column_number(letters) if letters else self.column + 1
            if attributes.rstrip().endswith(b"/"):
                continue  # an empty cell: calamine keeps nothing of it
            row = int(digits) if digits else self.row
            self.cells += 1
            if self.column > limits.max_columns:
                raise LimitError(too_many_columns(self.filename, limits.max_columns, self.column))
            if row > limits.max_sheet_rows:
                declared = self.declared_rows if (self.declared_rows or 0) >= row else None
                raise LimitError(too_many_rows(self.filename, limits.max_rows, declared))
            if self.cells > limits.max_cells:
                raise LimitError(too_many_cells(self.filename, limits.max_cells))
