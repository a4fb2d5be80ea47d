"""The files of an exchange batch, written and verified (issue 20 §6; docs/exchange.md).

A batch is a directory:

- ``<单位>-<内容>-<日期>-第N批.xlsx``: one worksheet per table, for people (and for the
  信息填报 upload of 国家企业信用信息公示系统): the header row, then a row per change;
- ``<单位>-<内容>-<日期>-第N批[-<表>].jsonl``: the same rows for machines, one JSON object per
  line, keys the column headers, every value text;
- ``manifest.json``: the organisation, kind, number, period, each file's SHA-256, byte size and
  row counts, and the previous batch's manifest hash, which chains the batches;
- ``SHA256SUMS``: the same hashes in the form ``sha256sum -c SHA256SUMS`` checks.

Pure Python apart from XlsxWriter: ``shuangsuiji exchange verify`` checks a batch that a receiver
holds without a database, and the push checks the files it is about to send the same way.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from shuangsuiji.spreadsheets import XlsxText, file_name, sheet_name

FORMAT = "shuangsuiji-exchange-1"
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"

#: The two columns every table ends with.
CHANGE_COLUMN = "变更类型"
KEY_COLUMN = "记录编号"
ADDED, CHANGED, WITHDRAWN = "新增", "变更", "撤回"
CHANGE_KINDS = (ADDED, CHANGED, WITHDRAWN)
#: manifest.json names the counts in English, as its other keys.
COUNT_KEYS = {ADDED: "added", CHANGED: "changed", WITHDRAWN: "withdrawn"}


@dataclass(frozen=True)
class TableLayout:
    """One table of a batch: its code (``results``, ``targets`` …), its Chinese name (the
    worksheet's), its data columns and their widths in Excel."""

    key: str
    label: str
    columns: tuple[str, ...]
    widths: tuple[int, ...]

    @property
    def headers(self) -> tuple[str, ...]:
        return (*self.columns, CHANGE_COLUMN, KEY_COLUMN)


@dataclass(frozen=True)
class Change:
    """One row of a batch: what happened to it (新增/变更/撤回), its 记录编号, its values."""

    change: str
    key: str
    values: dict[str, str]

    def record(self, layout: TableLayout) -> dict[str, str]:
        row = {column: self.values.get(column, "") for column in layout.columns}
        return {**row, CHANGE_COLUMN: self.change, KEY_COLUMN: self.key}


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def row_digest(values: dict[str, str]) -> str:
    """The content hash of a row's values, independent of key order: equal values, equal hash."""
    text = json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return sha256(text.encode("utf-8"))


def jsonl_line(record: dict[str, str]) -> bytes:
    return json.dumps(record, ensure_ascii=False).encode("utf-8") + b"\n"


def stem(organisation_name: str, kind_label: str, day: str, sequence: int) -> str:
    """The name users see: 唐山市生态环境局遵化市分局-抽查检查结果-20261231-第3批."""
    name = file_name(f"{organisation_name}-{kind_label}-{day}-第{sequence}批", "xlsx")
    return name.removesuffix(".xlsx")


def jsonl_name(batch_stem: str, layout: TableLayout, single: bool) -> str:
    return f"{batch_stem}.jsonl" if single else f"{batch_stem}-{layout.label}.jsonl"


def _write_jsonl(path: Path, layout: TableLayout, changes: Iterable[Change]) -> int:
    rows = 0
    with path.open("wb") as handle:
        for change in changes:
            handle.write(jsonl_line(change.record(layout)))
            rows += 1
    return rows


def _write_xlsx(path: Path, tables: Sequence[tuple[TableLayout, Sequence[Change]]]) -> None:
    """Every cell text that no spreadsheet evaluates (shuangsuiji.spreadsheets): a target's name
    or a 处罚情况 is typed by someone."""
    import xlsxwriter

    # constant_memory: a province's register of 100,000 rows goes to disk row by row.
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    cells = XlsxText(workbook)
    head = cells.add_format({"bold": True, "border": 1, "bg_color": "#EEEEEE", "text_wrap": True})
    text = cells.add_format({"valign": "top", "text_wrap": True})
    for layout, changes in tables:
        worksheet = workbook.add_worksheet(sheet_name(layout.label))
        widths = (*layout.widths, 8, 22)
        for column, (header, width) in enumerate(zip(layout.headers, widths, strict=True)):
            worksheet.set_column(column, column, width)
            cells.write(worksheet, 0, column, header, head)
        worksheet.freeze_panes(1, 0)
        for number, change in enumerate(changes, start=1):
            for column, value in enumerate(change.record(layout).values()):
                cells.write(worksheet, number, column, value, text)
    workbook.close()


def _counts(changes: Iterable[Change]) -> dict[str, int]:
    counts = dict.fromkeys(COUNT_KEYS.values(), 0)
    for change in changes:
        counts[COUNT_KEYS[change.change]] += 1
    counts["total"] = sum(counts.values())
    return counts


def write_batch(
    directory: Path,
    *,
    header: dict,
    batch_stem: str,
    tables: Sequence[tuple[TableLayout, Sequence[Change]]],
    previous_sha256: str,
) -> tuple[list[dict], bytes]:
    """Write the batch's files into ``directory`` (which must exist and be empty). ``header``
    is the start of the manifest (format, organisation, kind, sequence, period). Returns the
    manifest's file entries and the manifest's bytes."""
    files = []
    single = len(tables) == 1
    for layout, changes in tables:
        name = jsonl_name(batch_stem, layout, single)
        rows = _write_jsonl(directory / name, layout, changes)
        files.append({"name": name, "format": "jsonl", "table": layout.key, "label": layout.label,
                      "rows": rows, **_counts(changes)})  # fmt: skip
    workbook = f"{batch_stem}.xlsx"
    _write_xlsx(directory / workbook, tables)
    # The workbook first: it is the file people open.
    files.insert(0, {"name": workbook, "format": "xlsx", "table": "", "label": "",
                     "rows": sum(len(changes) for _, changes in tables)})  # fmt: skip
    for entry in files:
        path = directory / entry["name"]
        entry["bytes"] = path.stat().st_size
        entry["sha256"] = file_sha256(path)
    everything = [change for _, changes in tables for change in changes]
    manifest = {
        **header,
        "previous_manifest_sha256": previous_sha256 or None,
        "rows": _counts(everything),
        "tables": [
            {"table": layout.key, "label": layout.label, "columns": list(layout.headers)}
            for layout, _ in tables
        ],
        "files": files,
    }
    content = (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    (directory / MANIFEST).write_bytes(content)
    sums = [f"{entry['sha256']}  {entry['name']}" for entry in files]
    sums.append(f"{sha256(content)}  {MANIFEST}")
    (directory / SUMS).write_text("\n".join(sums) + "\n", encoding="utf-8")
    return files, content


# ---- verification -----------------------------------------------------------------------------


def read_manifest(directory: Path) -> tuple[dict, bytes]:
    """The manifest of the batch in ``directory``; ValueError in Chinese if it is unreadable."""
    path = directory / MANIFEST
    try:
        content = path.read_bytes()
    except FileNotFoundError as error:
        raise ValueError(f"找不到批次清单 {path}：该目录不是交换批次，或文件已丢失。") from error
    except OSError as error:
        raise ValueError(f"无法读取批次清单 {path}（{type(error).__name__}）。") from error
    try:
        manifest = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{MANIFEST} 不是 UTF-8 编码的 JSON：{error}") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ValueError(f"{MANIFEST} 的 format 不是 {FORMAT}，不是本平台的交换批次。")
    return manifest, content


def _check_jsonl(path: Path, entry: dict, columns: list[str]) -> list[str]:
    problems = []
    counts = dict.fromkeys(COUNT_KEYS.values(), 0)
    rows = 0
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            rows += 1
            try:
                record = json.loads(line.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                problems.append(f"{entry['name']} 第 {number} 行不是 UTF-8 编码的 JSON。")
                continue
            if not isinstance(record, dict) or list(record) != columns:
                problems.append(f"{entry['name']} 第 {number} 行的字段与清单所列不同。")
                continue
            change = COUNT_KEYS.get(record[CHANGE_COLUMN])
            if change is None:
                problems.append(
                    f"{entry['name']} 第 {number} 行的变更类型“{record[CHANGE_COLUMN]}”"
                    f"不是{'、'.join(CHANGE_KINDS)}之一。"
                )
                continue
            counts[change] += 1
    if rows != entry.get("rows"):
        problems.append(f"{entry['name']} 有 {rows} 行，清单记为 {entry.get('rows')} 行。")
    for key, count in counts.items():
        if entry.get(key) != count:
            problems.append(
                f"{entry['name']} 的 {key} 为 {count} 行，清单记为 {entry.get(key)} 行。"
            )
    return problems


def verify_batch(directory: Path, previous: Path | None = None) -> tuple[dict, list[str]]:
    """Check a batch as a receiver would: every file listed is there with its size and
    SHA-256, each JSON Lines file has the rows and columns the manifest says, SHA256SUMS agrees,
    and (given the previous batch's directory) the chain holds. Returns the manifest and the
    problems found, in Chinese; none means the batch is intact."""
    manifest, content = read_manifest(directory)
    problems: list[str] = []
    columns = {table["table"]: table["columns"] for table in manifest.get("tables", [])}
    total = 0
    for entry in manifest.get("files", []):
        path = directory / entry["name"]
        if not path.is_file():
            problems.append(f"缺少文件 {entry['name']}。")
            continue
        if path.stat().st_size != entry.get("bytes"):
            size = path.stat().st_size
            problems.append(
                f"{entry['name']} 大小为 {size} 字节，清单记为 {entry.get('bytes')} 字节。"
            )
        if file_sha256(path) != entry.get("sha256"):
            problems.append(f"{entry['name']} 的 SHA-256 与清单不符：文件被改动或不完整。")
            continue
        if entry.get("format") == "jsonl":
            problems += _check_jsonl(path, entry, columns.get(entry.get("table"), []))
            total += entry.get("rows", 0)
    listed = manifest.get("rows", {}).get("total")
    if total != listed:
        problems.append(f"各文件共 {total} 行，清单记为 {listed} 行。")
    sums_path = directory / SUMS
    if sums_path.is_file():
        expected = {entry["name"]: entry.get("sha256") for entry in manifest.get("files", [])}
        expected[MANIFEST] = sha256(content)
        for line in sums_path.read_text(encoding="utf-8").splitlines():
            digest, _, name = line.partition("  ")
            if name and expected.get(name) != digest:
                problems.append(f"{SUMS} 中 {name} 的哈希与清单不符。")
    else:
        problems.append(f"缺少 {SUMS}。")
    if previous is not None:
        _, before = read_manifest(previous)
        if manifest.get("previous_manifest_sha256") != sha256(before):
            problems.append(
                "清单所记的上一批清单哈希与给出的上一批不符：中间缺了批次，或上一批被改动。"
            )
    return manifest, problems
