"""Every format rule of SHUANGSUIJI-DRAW-v1 is enforced with a message naming the file, the
line or JSON key, and the rule; invalid input never produces a result file (JX-6.4)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from shuangsuiji.draw import DRAW_INPUTS, BundleError, compute, parse_bundle
from tests.draw.drawkit import copy_vector, run_cli, vector_files

Edit = Callable[[bytes], bytes] | None  # None deletes the file

POOL_LINE_2 = "911301820FN46B7WP0|GEN|130182|2|1|土壤|"
ROSTER_LINE_1 = "130100000|130182|1|噪声,固废|4|4"


def sub(old: str, new: str) -> Callable[[bytes], bytes]:
    def edit(data: bytes) -> bytes:
        text = data.decode("utf-8")
        assert old in text, old
        return text.replace(old, new, 1).encode("utf-8")

    return edit


def raw(old: bytes, new: bytes) -> Callable[[bytes], bytes]:
    def edit(data: bytes) -> bytes:
        assert old in data
        return data.replace(old, new, 1)

    return edit


def pool2(line: str) -> Callable[[bytes], bytes]:
    """Replace the second line of pool.txt."""
    return sub(POOL_LINE_2 + "\n", line + "\n")


def roster1(line: str) -> Callable[[bytes], bytes]:
    return sub(ROSTER_LINE_1 + "\n", line + "\n")


def swap_lines(a: int, b: int) -> Callable[[bytes], bytes]:
    def edit(data: bytes) -> bytes:
        lines = data.split(b"\n")
        lines[a - 1], lines[b - 1] = lines[b - 1], lines[a - 1]
        return b"\n".join(lines)

    return edit


def duplicate_line(n: int) -> Callable[[bytes], bytes]:
    def edit(data: bytes) -> bytes:
        lines = data.split(b"\n")
        lines[n] = lines[n - 1]
        return b"\n".join(lines)

    return edit


CASES: list[tuple[str, str, Edit, str, str]] = [
    # (case, file, edit, where, rule) — the message reads "<file> <where>：…<rule>…".
    # Encoding and lines, shared by the .txt files.
    ("missing", "pool.txt", None, "", "缺少此文件"),
    ("bom", "pool.txt", lambda d: b"\xef\xbb\xbf" + d, "第 1 行", "字节顺序标记（BOM）"),
    (
        "not-utf8",
        "pool.txt",
        raw(b"GEN|130182|5|1||", b"GEN|130182\xff|5|1||"),
        "第 3 行",
        "不是有效的 UTF-8",
    ),
    ("cr", "pool.txt", pool2(POOL_LINE_2 + "\r"), "第 2 行", "回车符"),
    ("no-final-newline", "pool.txt", lambda d: d[:-1], "第 60 行", "缺少结尾的换行符"),
    (
        "empty-line",
        "pool.txt",
        sub("\n9113018215DF2QGUGN", "\n\n9113018215DF2QGUGN"),
        "第 4 行",
        "空行",
    ),
    (
        "field-count",
        "pool.txt",
        pool2("911301820FN46B7WP0|GEN|130182|2|1|土壤"),
        "第 2 行",
        "字段数为 6，应为 7",
    ),
    (
        "pipe-in-field",
        "pool.txt",
        pool2("911301820FN46B7WP0|GEN|130|182|2|1|土壤|"),
        "第 2 行",
        "字段数为 8，应为 7（id|stratum|region|weight|eligible|tags|reason）；字段之间用 | 分隔，字段内不得含有 |",
    ),
    (
        "nfc",
        "pool.txt",
        pool2("911301820FN46B7WP0|GEN|130182e\u0301|2|1|土壤|"),
        "第 2 行",
        "字段 region 不是 NFC 规范化形式",
    ),
    (
        "nfc-tag",
        "roster.txt",
        roster1("130100000|130182|1|噪声,固废,e\u0301|4|4"),
        "第 1 行",
        "字段 tags 不是 NFC",
    ),
    # pool.txt fields
    (
        "id-charset",
        "pool.txt",
        pool2("911301820FN46B7WP.|GEN|130182|2|1|土壤|"),
        "第 2 行",
        "id “911301820FN46B7WP.” 必须是 1–64 个 [0-9A-Za-z_-] 字符",
    ),
    (
        "id-chinese",
        "pool.txt",
        pool2("911301820FN46B7WP甲|GEN|130182|2|1|土壤|"),
        "第 2 行",
        "必须是 1–64 个 [0-9A-Za-z_-] 字符",
    ),
    ("id-empty", "pool.txt", sub("9113018200369TNPAU|", "|"), "第 1 行", "id “” 必须是 1–64 个"),
    (
        "id-length",
        "pool.txt",
        lambda d: d + b"Z" * 65 + b"|GEN|130182|1|1||\n",
        "第 61 行",
        "必须是 1–64 个",
    ),
    ("id-duplicate", "pool.txt", duplicate_line(2), "第 3 行", "id “911301820FN46B7WP0” 重复"),
    ("id-unsorted", "pool.txt", swap_lines(2, 3), "第 3 行", "id 未按字节升序排列"),
    (
        "stratum",
        "pool.txt",
        pool2("911301820FN46B7WP0|XYZ|130182|2|1|土壤|"),
        "第 2 行",
        "stratum XYZ 不是 params.json 中的层代码",
    ),
    (
        "region-empty",
        "pool.txt",
        pool2("911301820FN46B7WP0|GEN||2|1|土壤|"),
        "第 2 行",
        "region 不得为空",
    ),
    (
        "weight-0",
        "pool.txt",
        pool2("911301820FN46B7WP0|GEN|130182|0|1|土壤|"),
        "第 2 行",
        "weight 必须是 1–1000 的整数，不得有前导零（现为 0，超出范围）",
    ),
    (
        "weight-leading-zero",
        "pool.txt",
        pool2("911301820FN46B7WP0|GEN|130182|02|1|土壤|"),
        "第 2 行",
        "（现为 02，有前导零）",
    ),
    (
        "weight-1001",
        "pool.txt",
        pool2("911301820FN46B7WP0|GEN|130182|1001|1|土壤|"),
        "第 2 行",
        "（现为 1001，超出范围）",
    ),
    (
        "weight-decimal",
        "pool.txt",
        pool2("911301820FN46B7WP0|GEN|130182|1.5|1|土壤|"),
        "第 2 行",
        "不是整数",
    ),
    (
        "weight-empty",
        "pool.txt",
        pool2("911301820FN46B7WP0|GEN|130182||1|土壤|"),
        "第 2 行",
        "weight 必须是 1–1000 的整数",
    ),
    (
        "weight-fullwidth-digit",
        "pool.txt",
        pool2("911301820FN46B7WP0|GEN|130182|２|1|土壤|"),
        "第 2 行",
        "不是整数",
    ),
    (
        "eligible",
        "pool.txt",
        pool2("911301820FN46B7WP0|GEN|130182|2|2|土壤|"),
        "第 2 行",
        "eligible 必须是 1 或 0",
    ),
    (
        "eligible-0-without-reason",
        "pool.txt",
        pool2("911301820FN46B7WP0|GEN|130182|2|0|土壤|"),
        "第 2 行",
        "eligible 为 0 时必须填写 reason",
    ),
    (
        "eligible-1-with-reason",
        "pool.txt",
        pool2("911301820FN46B7WP0|GEN|130182|2|1|土壤|停产"),
        "第 2 行",
        "eligible 为 1 时 reason 必须为空",
    ),
    (
        "tags-empty-tag",
        "pool.txt",
        pool2("911301820FN46B7WP0|GEN|130182|2|1|土壤,,水|"),
        "第 2 行",
        "tags 中有空标签",
    ),
    (
        "tags-leading-comma",
        "pool.txt",
        pool2("911301820FN46B7WP0|GEN|130182|2|1|,土壤|"),
        "第 2 行",
        "tags 中有空标签",
    ),
    (
        "tags-trailing-comma",
        "pool.txt",
        pool2("911301820FN46B7WP0|GEN|130182|2|1|土壤,|"),
        "第 2 行",
        "tags 中有空标签",
    ),
    (
        "tags-duplicate",
        "pool.txt",
        pool2("911301820FN46B7WP0|GEN|130182|2|1|土壤,土壤|"),
        "第 2 行",
        "tags 中标签 “土壤” 重复",
    ),
    (
        "tags-unsorted",
        "pool.txt",
        pool2("911301820FN46B7WP0|GEN|130182|2|1|水,大气|"),
        "第 2 行",
        "tags 中的标签未按 UTF-8 字节升序排列",
    ),
    # roster.txt
    ("roster-missing", "roster.txt", None, "", "缺少此文件"),
    (
        "roster-field-count",
        "roster.txt",
        roster1("130100000|130182|1|噪声,固废|4"),
        "第 1 行",
        "字段数为 5，应为 6",
    ),
    (
        "roster-id",
        "roster.txt",
        roster1("13010000 0|130182|1|噪声,固废|4|4"),
        "第 1 行",
        "id “13010000 0” 必须是",
    ),
    ("roster-unsorted", "roster.txt", swap_lines(3, 4), "第 4 行", "id 未按字节升序排列"),
    ("roster-duplicate", "roster.txt", duplicate_line(1), "第 2 行", "重复"),
    (
        "roster-region-empty",
        "roster.txt",
        roster1("130100000||1|噪声,固废|4|4"),
        "第 1 行",
        "region 不得为空",
    ),
    (
        "roster-senior",
        "roster.txt",
        roster1("130100000|130182|2|噪声,固废|4|4"),
        "第 1 行",
        "senior 必须是 1 或 0",
    ),
    (
        "roster-tags-unsorted",
        "roster.txt",
        roster1("130100000|130182|1|固废,噪声|4|4"),
        "第 1 行",
        "未按 UTF-8 字节升序排列",
    ),
    (
        "roster-load-leading-zero",
        "roster.txt",
        roster1("130100000|130182|1|噪声,固废|04|4"),
        "第 1 行",
        "load 必须是 0 到 2³²−1（4294967295）的整数，不得有前导零（现为 “04”）",
    ),
    (
        "roster-load-too-large",
        "roster.txt",
        roster1("130100000|130182|1|噪声,固废|4294967296|4"),
        "第 1 行",
        "load 必须是 0 到 2³²−1",
    ),
    (
        "roster-cap-negative",
        "roster.txt",
        roster1("130100000|130182|1|噪声,固废|4|-1"),
        "第 1 行",
        "cap 必须是 0 到 2³²−1",
    ),
    (
        "roster-cap-empty",
        "roster.txt",
        roster1("130100000|130182|1|噪声,固废|4|"),
        "第 1 行",
        "cap 必须是",
    ),
    # conflicts.txt
    ("conflicts-missing", "conflicts.txt", None, "", "缺少此文件"),
    (
        "conflicts-duplicate",
        "conflicts.txt",
        duplicate_line(1),
        "第 2 行",
        "整行 “130100003|91130182GDDUNQE2LJ” 重复",
    ),
    ("conflicts-unsorted", "conflicts.txt", swap_lines(1, 2), "第 2 行", "整行 未按字节升序排列"),
    (
        "conflicts-field-count",
        "conflicts.txt",
        sub("130100003|", "130100003|x|"),
        "第 1 行",
        "字段数为 3，应为 2",
    ),
    (
        "conflicts-inspector-id",
        "conflicts.txt",
        sub("130100003|", "1301.00003|"),
        "第 1 行",
        "inspector_id “1301.00003” 必须是",
    ),
    (
        "conflicts-unit-id",
        "conflicts.txt",
        sub("|91130182GDDUNQE2LJ", "|9113 0182"),
        "第 1 行",
        "unit_id “9113 0182” 必须是",
    ),
    # params.json
    ("params-missing", "params.json", None, "", "缺少此文件"),
    ("params-bom", "params.json", lambda d: b"\xef\xbb\xbf" + d, "第 1 行", "BOM"),
    (
        "params-json",
        "params.json",
        sub('"team_size": 2,', '"team_size": 2'),
        "第 5 行",
        "不是合法的 JSON",
    ),
    (
        "params-nan",
        "params.json",
        sub('"team_size": 2', '"team_size": NaN'),
        "",
        "NaN 不是合法的 JSON 值",
    ),
    ("params-top-level", "params.json", lambda d: b"[" + d + b"]", "", "顶层必须是 JSON 对象"),
    (
        "params-duplicate-key",
        "params.json",
        sub('"team_size": 2,', '"team_size": 2,\n  "team_size": 3,'),
        "键 team_size",
        "JSON 键重复",
    ),
    (
        "params-duplicate-nested-key",
        "params.json",
        sub('"k": 3,', '"k": 3,\n      "k": 3,'),
        "键 k",
        "JSON 键重复",
    ),
    (
        "params-missing-key",
        "params.json",
        sub(',\n  "committed_at": "2026-04-01T09:00:00+08:00"', ""),
        "键 committed_at",
        "缺少此键",
    ),
    (
        "spec",
        "params.json",
        sub('"SHUANGSUIJI-DRAW-v1"', '"SHUANGSUIJI-DRAW-v3"'),
        "键 spec",
        "必须是 SHUANGSUIJI-DRAW-v1 或 SHUANGSUIJI-DRAW-v2",
    ),
    (
        "v2-without-withheld-commit",
        "params.json",
        sub('"SHUANGSUIJI-DRAW-v1"', '"SHUANGSUIJI-DRAW-v2"'),
        "键 withheld_commit",
        "缺少此键",
    ),
    (
        "draw-id-space",
        "params.json",
        sub('"130182-2026Q1-1"', '"130182 2026Q1-1"'),
        "键 draw_id",
        "1–64 个 [0-9A-Za-z_.-] 字符",
    ),
    (
        "draw-id-long",
        "params.json",
        sub('"130182-2026Q1-1"', '"' + "x" * 65 + '"'),
        "键 draw_id",
        "1–64 个",
    ),
    ("draw-id-number", "params.json", sub('"130182-2026Q1-1"', "130182"), "键 draw_id", "1–64 个"),
    (
        "team-size-1",
        "params.json",
        sub('"team_size": 2', '"team_size": 1'),
        "键 team_size",
        "不小于 2 的 JSON 整数",
    ),
    (
        "team-size-float",
        "params.json",
        sub('"team_size": 2', '"team_size": 2.0'),
        "键 team_size",
        "不得写作 2.0 或 true",
    ),
    (
        "team-size-bool",
        "params.json",
        sub('"team_size": 2', '"team_size": true'),
        "键 team_size",
        "不小于 2 的 JSON 整数",
    ),
    (
        "team-size-string",
        "params.json",
        sub('"team_size": 2', '"team_size": "2"'),
        "键 team_size",
        "不小于 2 的 JSON 整数",
    ),
    (
        "strata-empty",
        "params.json",
        lambda d: d[: d.index(b'"strata"')] + b'"strata": [], ' + d[d.index(b'"sources"') :],
        "键 strata",
        "必须是非空列表",
    ),
    (
        "code-lowercase",
        "params.json",
        sub('"code": "KEY"', '"code": "key"'),
        "键 strata[1].code",
        "1–32 个 [0-9A-Z_-] 字符",
    ),
    (
        "code-long",
        "params.json",
        sub('"code": "KEY"', '"code": "' + "K" * 33 + '"'),
        "键 strata[1].code",
        "1–32 个",
    ),
    (
        "code-duplicate",
        "params.json",
        sub('"code": "GEN"', '"code": "KEY"'),
        "键 strata[2].code",
        "层代码 KEY 重复",
    ),
    (
        "k-float",
        "params.json",
        sub('"k": 3,', '"k": 3.0,'),
        "键 strata[1].k",
        "不小于 0 的 JSON 整数（不得写作 3.0 或 true）",
    ),
    (
        "k-bool",
        "params.json",
        sub('"k": 3,', '"k": true,'),
        "键 strata[1].k",
        "不小于 0 的 JSON 整数",
    ),
    (
        "k-negative",
        "params.json",
        sub('"k": 3,', '"k": -1,'),
        "键 strata[1].k",
        "不小于 0 的 JSON 整数",
    ),
    (
        "k-string",
        "params.json",
        sub('"k": 3,', '"k": "3",'),
        "键 strata[1].k",
        "不小于 0 的 JSON 整数",
    ),
    ("k-missing", "params.json", sub('"k": 3,', ""), "键 strata[1].k", "缺少此键"),
    (
        "name-not-text",
        "params.json",
        sub('"name": "特殊监管对象"', '"name": 5'),
        "键 strata[0].name",
        "必须是字符串",
    ),
    (
        "sources-empty",
        "params.json",
        lambda d: d[: d.index(b'"sources"')] + b'"sources": [], ' + d[d.index(b'"committed_at"') :],
        "键 sources",
        "必须是非空列表",
    ),
    (
        "source-type-empty",
        "params.json",
        sub('"type": "lottery"', '"type": ""'),
        "键 sources[0].type",
        "必须是非空字符串",
    ),
    (
        "source-label-number",
        "params.json",
        sub('"label": "监督员 Ａ"', '"label": 5'),
        "键 sources[1].label",
        "必须是非空字符串",
    ),
    (
        "committed-at-no-offset",
        "params.json",
        sub("09:00:00+08:00", "09:00:00"),
        "键 committed_at",
        "带时区偏移的 ISO 8601",
    ),
    (
        "committed-at-space",
        "params.json",
        sub("2026-04-01T09", "2026-04-01 09"),
        "键 committed_at",
        "带时区偏移的 ISO 8601",
    ),
    (
        "committed-at-bad-date",
        "params.json",
        sub("2026-04-01T", "2026-02-30T"),
        "键 committed_at",
        "日期或时间数值无效",
    ),
    (
        "committed-at-bad-offset",
        "params.json",
        sub("+08:00", "+08:60"),
        "键 committed_at",
        "时区偏移无效",
    ),
    # entropy.json
    ("entropy-missing", "entropy.json", None, "", "缺少此文件"),
    (
        "entropy-count",
        "entropy.json",
        lambda d: d[: d.index(b',\n    {\n      "type": "witness"')] + b"\n  ]\n}\n",
        "键 values",
        "有 1 个熵值，params.json 的 sources 有 2 个",
    ),
    (
        "entropy-order",
        "entropy.json",
        sub(
            '"type": "lottery",\n      "label": "中国福利彩票双色球 2026045 期"',
            '"type": "witness",\n      "label": "监督员 Ａ"',
        ),
        "键 values[0]",
        "熵值顺序与参数不一致",
    ),
    (
        "entropy-label",
        "entropy.json",
        sub("监督员 Ａ", "监督员 A"),
        "键 values[1].label",
        "与 params.json sources[1].label 不一致（必须逐字相同）",
    ),
    (
        "entropy-type",
        "entropy.json",
        sub('"type": "lottery"', '"type": "Lottery"'),
        "键 values[0].type",
        "必须逐字相同",
    ),
    (
        "entropy-blank-value",
        "entropy.json",
        sub('"  578417054  "', '"  \\u3000 "'),
        "键 values[1].value",
        "去掉首尾空白后为空",
    ),
    (
        "entropy-number-value",
        "entropy.json",
        sub('"  578417054  "', "578417054"),
        "键 values[1].value",
        "必须是字符串",
    ),
    (
        "entropy-duplicate-key",
        "entropy.json",
        sub('"value": "  578417054  "', '"value": "1",\n      "value": "  578417054  "'),
        "键 value",
        "JSON 键重复",
    ),
    ("entropy-no-values", "entropy.json", lambda d: b"{}", "键 values", "缺少此键"),
    # salt.hex
    ("salt-missing", "salt.hex", None, "", "缺少此文件"),
    ("salt-short", "salt.hex", lambda d: d[1:], "", "必须恰好是 64 个小写十六进制数字"),
    ("salt-uppercase", "salt.hex", lambda d: d.upper(), "", "必须恰好是 64 个小写十六进制数字"),
    ("salt-two-newlines", "salt.hex", lambda d: d + b"\n", "", "可跟一个换行符"),
    ("salt-space", "salt.hex", lambda d: d[:64] + b" \n", "", "必须恰好是 64 个"),
    ("salt-crlf", "salt.hex", lambda d: d[:64] + b"\r\n", "", "必须恰好是 64 个"),
]


@pytest.mark.parametrize(
    ("file", "edit", "where", "rule"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_compute_refuses_and_names_the_rule(
    tmp_path: Path, file: str, edit: Edit, where: str, rule: str
) -> None:
    folder = copy_vector(tmp_path, without=["commitment.json", "result.json"])
    path = folder / file
    if edit is None:
        path.unlink()
    else:
        path.write_bytes(edit(path.read_bytes()))
    code, out, err = run_cli("compute", folder)
    assert code == 2, out
    location = f"{file} {where}：" if where else f"{file}："
    first = err.splitlines()[0]
    assert first.startswith(f"错误：{location}"), err
    assert rule in first, err
    assert not (folder / "result.json").exists()
    assert not (folder / "commitment.json").exists()


def test_compute_refuses_a_disagreeing_commitment(tmp_path: Path) -> None:
    """An existing commitment.json that does not match the bundle stops compute."""
    folder = copy_vector(tmp_path, without=["result.json"])
    path = folder / "commitment.json"
    path.write_text(path.read_text().replace('"pool_root": "166c', '"pool_root": "0000'))
    code, _, err = run_cli("compute", folder)
    assert code == 2
    assert "commitment.json 键 pool_root：与本目录文件计算的值不一致" in err
    assert not (folder / "result.json").exists()


def test_error_object_names_file_place_and_rule() -> None:
    files = vector_files()
    files["pool.txt"] = files["pool.txt"].replace(b"|2|1|", b"|02|1|", 1)
    with pytest.raises(BundleError) as caught:
        parse_bundle(files, DRAW_INPUTS)
    assert (caught.value.file, caught.value.where) == ("pool.txt", "第 2 行")
    assert caught.value.message.startswith("weight 必须是 1–1000 的整数")
    assert str(caught.value).startswith("pool.txt 第 2 行：weight")


@pytest.mark.parametrize(
    ("file", "edit"),
    [
        # Lines sort by id, not by the whole line: "A|…" after "AB|…" would be wrong.
        ("pool.txt", lambda d: d + b"A|GEN|130182|1|1||\nAB|GEN|130182|1|1||\n"),
        ("roster.txt", roster1("130100000|130182|1|噪声,固废|4294967295|4294967295")),
        ("roster.txt", roster1("130100000|130182|1||0|0")),
        ("conflicts.txt", lambda d: b""),
        ("roster.txt", lambda d: b""),
        ("salt.hex", lambda d: d[:64]),
        ("params.json", sub("+08:00", "Z")),
        ("params.json", sub("2026-04-01T09:00:00+08:00", "20260401T0900+0800")),
        ("params.json", sub('"team_size": 2,', '"team_size": 2,\n  "note": {"any": ["thing"]},')),
        ("params.json", sub('"k": 3,', '"k": 0,')),
        ("entropy.json", sub('"values"', '"source_url": "https://example.org",\n  "values"')),
    ],
)
def test_valid_variants_are_accepted(tmp_path: Path, file: str, edit: Edit) -> None:
    folder = copy_vector(tmp_path, without=["commitment.json", "result.json"])
    path = folder / file
    assert edit is not None
    path.write_bytes(edit(path.read_bytes()))
    code, _, err = run_cli("compute", folder)
    assert code == 0, err
    assert (folder / "result.json").exists()


def test_api_refuses_missing_inputs_for_compute() -> None:
    with pytest.raises(BundleError, match=r"entropy\.json：缺少此文件"):
        compute(parse_bundle(vector_files(without=["entropy.json"]), DRAW_INPUTS))
