"""Check digits, masking and Excel cell clean-up (shuangsuiji.directory.codes).

JX-6.2: the registers hold 信用代码 and 身份证号; these rules decide which of them are accepted.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shuangsuiji.directory.codes import (
    ID_CHECK_CHARS,
    ID_PROVINCES,
    SCIENTIFIC_NOTATION_MESSAGE,
    USCC_CHARSET,
    USCC_WEIGHTS,
    clean_code,
    clean_multiline,
    clean_text,
    division_problem,
    excel_date,
    fold_width,
    id_check_digit,
    id_is_valid,
    id_problem,
    looks_like_scientific,
    mask_id_number,
    split_tags,
    uscc_check_digit,
    uscc_is_valid,
    uscc_problem,
)

# --- 统一社会信用代码 -------------------------------------------------------------------------------

# Codes published on the enterprises' own licences (阿里巴巴（中国）有限公司, 深圳市腾讯计算机系统
# 有限公司, 华为技术有限公司, 小米科技有限责任公司).
REAL_USCC = ("91330100799655058B", "9144030071526726XG", "914403001922038216", "91110108551385082Q")


def test_weights_are_powers_of_three_mod_31():
    # GB 32100-2015 5.3: Wi = 3^(i-1) mod 31.
    assert tuple(pow(3, i, 31) for i in range(17)) == USCC_WEIGHTS


@pytest.mark.parametrize("code", REAL_USCC)
def test_real_published_codes_are_valid(code):
    assert uscc_problem(code) is None
    assert uscc_is_valid(code)
    assert uscc_check_digit(code[:17]) == code[17]


def test_check_digit_by_hand():
    # 9 1 3 3 0 1 0 0 7 9 9 6 5 5 0 5 8 (values; letters would count A=10 … Y=30)
    # × 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28
    # = 9+3+27+81+0+26+0+0+140+261+225+78+40+120+0+150+224 = 1384; 1384 mod 31 = 20;
    # 31 - 20 = 11 → charset[11] = "B".
    assert uscc_check_digit("91330100799655058") == "B"


def test_check_digit_31_becomes_0():
    # Σ = 9·1 + 1·3 + 1·9 + 3·27 + 2·26 + 8·16 + 1·17 + 1·20 + 3·28 = 403 = 13 × 31 → 31 → "0".
    assert uscc_check_digit("91130281100000003") == "0"
    assert uscc_is_valid("911302811000000030")


def test_check_digit_rejects_bad_input():
    with pytest.raises(ValueError, match="应为 17 位"):
        uscc_check_digit("9133")
    with pytest.raises(ValueError, match="不得含 I、O、Z、S、V"):
        uscc_check_digit("9133010079965505O")


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("", "应为 18 位，实为 0 位"),
        ("91330100799655058", "应为 18 位，实为 17 位"),
        ("91330100799655058BB", "应为 18 位，实为 19 位"),
        ("91330100I99655058B", "第 9 位字符“I”不允许（不得含 I、O、Z、S、V）"),
        ("9133010079965505OB", "第 17 位字符“O”不允许（不得含 I、O、Z、S、V）"),
        ("91330100799655058Z", "第 18 位字符“Z”不允许（不得含 I、O、Z、S、V）"),
        ("S1330100799655058B", "第 1 位字符“S”不允许（不得含 I、O、Z、S、V）"),
        ("9133010079965505vB", "第 17 位字符“v”不允许（字母须大写）"),
        (
            "91330100-99655058B",
            "第 9 位字符“-”不允许（只能是数字或大写字母，不得含 I、O、Z、S、V）",
        ),
        ("91330100799655058C", "校验码错误：第 18 位应为“B”，实为“C”"),
        ("91330100799655085B", "校验码错误：第 18 位应为“5”，实为“B”"),  # transposed
    ],
)
def test_uscc_problem_messages(code, message):
    assert uscc_problem(code) == message
    assert not uscc_is_valid(code)


uscc_bodies = st.text(alphabet=USCC_CHARSET, min_size=17, max_size=17)


@given(uscc_bodies)
def test_generated_uscc_is_valid(first17):
    assert uscc_is_valid(first17 + uscc_check_digit(first17))


@given(uscc_bodies, st.integers(0, 17), st.sampled_from(USCC_CHARSET))
def test_single_substitution_is_detected(first17, position, replacement):
    # Every weight is non-zero mod the prime 31, so changing one character changes the sum.
    code = first17 + uscc_check_digit(first17)
    if code[position] == replacement:
        return
    changed = code[:position] + replacement + code[position + 1 :]
    assert not uscc_is_valid(changed)


# --- 居民身份证号码 --------------------------------------------------------------------------------


def test_id_check_digit_by_hand():
    # GB 11643-1999's example 11010519491231002X:
    # 1 1 0 1 0 5 1 9 4 9 1 2 3 1 0 0 2 × 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
    # = 7+9+0+5+0+20+2+9+24+27+7+18+30+5+0+0+4 = 167; 167 mod 11 = 2 → "10X98765432"[2] = "X".
    assert id_check_digit("11010519491231002") == "X"
    assert id_is_valid("11010519491231002X")
    # The standard's other example (born 1880) is valid too.
    assert id_problem("440524188001010014") is None


def test_id_check_digit_rejects_non_digits():
    with pytest.raises(ValueError, match="17 个数字"):
        id_check_digit("1101051949123100X")
    with pytest.raises(ValueError, match="17 个数字"):
        id_check_digit("110105")


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("11010519491231002", "应为 18 位，实为 17 位"),
        ("110105491231002", "应为 18 位，实为 15 位（15 位旧号码请换成 18 位新号码）"),
        ("1101051949123100X2", "第 17 位字符“X”不允许（前 17 位只能是数字）"),
        ("11010519491231002x", "第 18 位字符“x”不允许（只能是数字或 X）"),
        ("11010519491231002Y", "第 18 位字符“Y”不允许（只能是数字或 X）"),
        ("99010519491231002X", "第 1–2 位省级行政区划代码“99”不存在"),
        ("11010519490230002X", "第 7–14 位出生日期“19490230”不是有效日期"),
        ("110105194913310021", "第 7–14 位出生日期“19491331”不是有效日期"),
        ("11010521000101002X", "第 7–14 位出生日期“21000101”晚于今天"),
        ("110105194912310021", "校验码错误：第 18 位应为“X”，实为“1”"),
    ],
)
def test_id_problem_messages(code, message):
    assert id_problem(code) == message
    assert not id_is_valid(code)


def test_id_birth_date_compared_with_today():
    code = "110105202601010" + "02"
    code += id_check_digit(code)
    assert id_problem(code, today=dt.date(2026, 1, 1)) is None
    assert id_problem(code, today=dt.date(2025, 12, 31)) == "第 7–14 位出生日期“20260101”晚于今天"


id_bodies = st.builds(
    lambda province, rest, birth, sequence: f"{province}{rest}{birth:%Y%m%d}{sequence}",
    st.sampled_from(sorted(ID_PROVINCES)),
    st.text(alphabet="0123456789", min_size=4, max_size=4),
    st.dates(dt.date(1900, 1, 1), dt.date(2020, 12, 31)),
    st.text(alphabet="0123456789", min_size=3, max_size=3),
)


@given(id_bodies)
def test_generated_id_is_valid(first17):
    code = first17 + id_check_digit(first17)
    assert id_problem(code) is None


@given(id_bodies, st.integers(0, 17), st.sampled_from("0123456789X"))
def test_single_id_substitution_is_detected(first17, position, replacement):
    # Every weight is non-zero mod the prime 11, so changing one digit changes the sum.
    code = first17 + id_check_digit(first17)
    if code[position] == replacement:
        return
    changed = code[:position] + replacement + code[position + 1 :]
    assert not id_is_valid(changed)


def test_check_chars_cover_every_remainder():
    assert sorted(ID_CHECK_CHARS) == sorted("0123456789X")


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("130281", None),  # 遵化市
        ("110101", None),  # 北京市东城区: a municipality's district
        ("429004", None),  # 仙桃市: a county-level city under the province (city part 90)
        ("130000", None),  # 河北省 itself
        ("820000", None),  # 澳门
        ("13028", "应为 6 位数字"),
        ("13028X", "应为 6 位数字"),
        ("999999", "第 1–2 位省级代码“99”不存在"),
        ("831234", "第 1–2 位省级代码“83”不存在"),
        ("160281", "第 1–2 位省级代码“16”不存在"),
        ("130081", "第 5–6 位也应为“00”，实为“81”"),
    ],
)
def test_division_problem_messages(code, message):
    """A 行政区划代码 of a register row (GB/T 2260): a made-up province is refused, as 999999
    once was not."""
    problem = division_problem(code)
    if message is None:
        assert problem is None
    else:
        assert message in problem


@pytest.mark.parametrize(
    ("code", "masked"),
    [
        ("13028119800101123X", "130281********123X"),
        ("110105491231002", "110105*****1002"),
        ("12345678901", "123456*8901"),
        ("1234567890", "**********"),
        ("", ""),
    ],
)
def test_mask_id_number(code, masked):
    assert mask_id_number(code) == masked


# --- cell clean-up --------------------------------------------------------------------------------


def test_fold_width():
    assert fold_width("ＡＢＣｘｙｚ０１２３") == "ABCxyz0123"
    assert fold_width("，（）：；！？－＿") == ",():;!?-_"
    assert fold_width("遵化市\u3000石门镇") == "遵化市 石门镇"
    assert fold_width("、。《》“”") == "、。《》“”"  # CJK punctuation is not ASCII


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (None, ""),
        (130281, "130281"),
        (130281.0, "130281"),
        (" 130281 ", "130281"),
        ("130281.0", "130281"),
        ("１３０２８１", "130281"),
        ("91130281 MA0ABCD\n12X", "91130281MA0ABCD12X"),
        ("\ufeff9113\u200b0281\u00a0ma07\u3000x", "91130281MA07X"),
        ("13028119800101123x", "13028119800101123X"),
        ("ab-12_c", "AB-12_C"),
        ("A001\x00\x1b\x7f", "A001"),  # control characters, as invisible as zero-width ones
        (12.5, "12.5"),
    ],
)
def test_clean_code(raw, clean):
    assert clean_code(raw) == clean


def test_clean_code_long_float_stays_scientific():
    # An 18-digit credit code typed into a number cell: Excel kept 15 significant digits.
    value = clean_code(911302817000000000.0)
    assert value == "9.11302817E+17"
    assert looks_like_scientific(value)
    # An ID number likewise; the last digits are gone for good.
    assert looks_like_scientific(clean_code(130281198001011234.0))


@pytest.mark.parametrize(
    ("text", "scientific"),
    [
        ("9.11301820E+17", True),
        ("1.30281E+05", True),
        ("1.30281e+05", False),  # raw; clean_code upper-cases first
        ("9E+17", True),
        ("1.5E-03", True),
        ("130281", False),
        ("9113028112345E6789", False),  # a code may contain E, never a sign after it
        ("91130281MA0E12345X", False),
        ("", False),
    ],
)
def test_looks_like_scientific(text, scientific):
    assert looks_like_scientific(text) is scientific


def test_clean_code_scientific_notation():
    # Unchanged without a length to recover.
    assert clean_code("9.11301820E+17") == "9.11301820E+17"
    assert clean_code("1.30281e+05") == "1.30281E+05"
    # A 6-digit division code with all digits written out is exact: recovered.
    assert clean_code("1.30281E+05", recover_scientific_digits=6) == "130281"
    assert clean_code(" 1.302810E+05 ", recover_scientific_digits=6) == "130281"
    # The 6th digit is missing (it may have been rounded away): not recovered.
    assert clean_code("1.3028E+05", recover_scientific_digits=6) == "1.3028E+05"
    # Wrong length for the column: not recovered, so the importer reports the notation.
    assert clean_code("1.30281E+05", recover_scientific_digits=18) == "1.30281E+05"
    # 18 digits never: the mantissa cannot spell them out within Excel's 15.
    assert clean_code("9.11301820E+17", recover_scientific_digits=18) == "9.11301820E+17"
    assert clean_code("1.5E-03", recover_scientific_digits=6) == "1.5E-03"
    assert "无法恢复" in SCIENTIFIC_NOTATION_MESSAGE
    assert SCIENTIFIC_NOTATION_MESSAGE.startswith(
        "单元格被 Excel 转成了科学计数法，原值已丢失，请将该列设为文本后重新录入"
    )


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (None, ""),
        ("  遵化市鑫源钢铁有限公司 ", "遵化市鑫源钢铁有限公司"),
        ("遵化市\n鑫源钢铁\r\n有限公司", "遵化市 鑫源钢铁 有限公司"),
        ("遵化市\u3000\u3000石门镇  东庄村", "遵化市 石门镇 东庄村"),
        ("遵化\u200b市ＡＢＣ１２３", "遵化市ABC123"),
        # NUL, ESC, DEL and C1 controls: invisible in Excel, and PostgreSQL cannot store NUL.
        ("遵化\x00市\x01\x1b[31m\x7f\x85公司\x9f", "遵化市[31m 公司"),
        ("\x00\u00ad\u200b", ""),
        ("唐山市某某有限公司（遵化分公司）", "唐山市某某有限公司（遵化分公司）"),
        (2015.0, "2015"),
        (42, "42"),
    ],
)
def test_clean_text(raw, clean):
    assert clean_text(raw) == clean


def test_clean_multiline():
    raw = "\r\n  1.《环境保护法》第二十四条 \r\n\r\n\r\n2.《水污染防治法》\u3000第三十条\r3.第三行\n\n"
    assert clean_multiline(raw) == (
        "1.《环境保护法》第二十四条\n\n2.《水污染防治法》 第三十条\n3.第三行"
    )
    assert clean_multiline(None) == ""
    assert clean_multiline("一行") == "一行"
    assert clean_multiline("第一行\x00\n\x07第二行") == "第一行\n第二行"


# --- dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "date"),
    [
        (dt.date(2024, 1, 1), dt.date(2024, 1, 1)),
        (dt.datetime(2024, 1, 1, 15, 30), dt.date(2024, 1, 1)),
        (45292, dt.date(2024, 1, 1)),
        (45292.0, dt.date(2024, 1, 1)),
        (45292.75, dt.date(2024, 1, 1)),  # 18:00 on that day
        (1, dt.date(1900, 1, 1)),
        (59, dt.date(1900, 2, 28)),
        (61, dt.date(1900, 3, 1)),
        (2958465, dt.date(9999, 12, 31)),
        (20240101, dt.date(2024, 1, 1)),
        (20240101.0, dt.date(2024, 1, 1)),
        ("2024-01-01", dt.date(2024, 1, 1)),
        ("2024-1-5", dt.date(2024, 1, 5)),
        ("2024/01/31", dt.date(2024, 1, 31)),
        ("2024.3.1", dt.date(2024, 3, 1)),
        ("2024年3月1日", dt.date(2024, 3, 1)),
        ("2024年03月01日", dt.date(2024, 3, 1)),
        ("20240301", dt.date(2024, 3, 1)),
        ("２０２４－０３－０１", dt.date(2024, 3, 1)),
        (" 2024-03-01 ", dt.date(2024, 3, 1)),
        ("2024-03-01 00:00:00", dt.date(2024, 3, 1)),
        ("2024-03-01 08:30", dt.date(2024, 3, 1)),
        ("2024-02-29", dt.date(2024, 2, 29)),
        (None, None),
        ("", None),
        ("   ", None),
    ],
)
def test_excel_date_accepts(raw, date):
    assert excel_date(raw) == date


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("2024年3月", "日期格式无法识别：“2024年3月”，请使用 YYYY-MM-DD"),
        ("03/01/2024", "日期格式无法识别：“03/01/2024”，请使用 YYYY-MM-DD"),
        ("2024-03/01", "日期格式无法识别：“2024-03/01”，请使用 YYYY-MM-DD"),
        ("下周一", "日期格式无法识别：“下周一”，请使用 YYYY-MM-DD"),
        ("45292", "日期格式无法识别：“45292”，请使用 YYYY-MM-DD"),
        (True, "日期格式无法识别：“True”，请使用 YYYY-MM-DD"),
        ("2023-02-29", "日期不存在：“2023-02-29”"),
        ("2024年13月1日", "日期不存在：“2024年13月1日”"),
        ("20240230", "日期不存在：“20240230”"),
        (20230229, "日期不存在：“20230229”"),
        (60, "Excel 日期序号 60 对应不存在的 1900-02-29，请重新录入该日期"),
        (0, "Excel 日期序号 0 超出范围（1–2958465）"),
        (-5, "Excel 日期序号 -5 超出范围（1–2958465）"),
        (3000000, "Excel 日期序号 3000000 超出范围（1–2958465）"),
        (float("nan"), "Excel 日期序号 nan 超出范围（1–2958465）"),
    ],
)
def test_excel_date_rejects(raw, message):
    with pytest.raises(ValueError) as error:
        excel_date(raw)
    assert str(error.value) == message


def test_excel_date_rejects_other_types():
    with pytest.raises(ValueError, match="日期格式无法识别"):
        excel_date(dt.time(8, 30))


# --- tags ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "tags"),
    [
        ("水、大气", ["水", "大气"]),
        (
            "水,大气，固废;危废；噪声 辐射\u3000土壤",
            ["水", "大气", "固废", "危废", "噪声", "辐射", "土壤"],
        ),
        ("水\n大气\r\n固废\t危废", ["水", "大气", "固废", "危废"]),
        (" 、水、、大气、 ", ["水", "大气"]),
        ("大气、水、大气，水", ["大气", "水"]),
        ("ＶＯＣｓ、水", ["VOCs", "水"]),
        ("水\u200b、大气", ["水", "大气"]),
        ("", []),
        (None, []),
    ],
)
def test_split_tags(raw, tags):
    assert split_tags(raw) == tags
