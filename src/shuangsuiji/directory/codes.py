"""Codes and cell values in a bureau's registers: check digits, masking and Excel clean-up.

Pure Python, no Django: the importer, the forms and the demo-data generator share these rules.

- 统一社会信用代码 (unified social credit code, GB 32100-2015): 18 characters from a 31-character
  set without I, O, Z, S, V; the 18th is a mod-31 check character.
- 居民身份证号码 (resident identity number, GB 11643-1999): 17 digits and a mod-11 check character
  (``X`` stands for 10); positions 7-14 are the birth date.
- Cell clean-up: a bureau's workbook has full-width digits, stray spaces and line breaks, invisible
  zero-width and control characters, codes Excel stored as numbers and dates in half a dozen
  spellings. The functions below turn a cell into a clean value or say precisely, in Chinese,
  what is wrong.

Every ``*_problem`` function takes input already normalised by :func:`clean_code` (trimmed,
half-width, upper case) and returns ``None`` when the code is valid, else one Chinese sentence
that the importer shows next to the row number and column name.
"""

from __future__ import annotations

import datetime as dt
import math
import re

# --- 统一社会信用代码 (GB 32100-2015) -------------------------------------------------------------

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# Wi = 3^(i-1) mod 31 for positions 1-17, as in GB 32100-2015 clause 5.3. (A list circulating with
# 28, 25, 15, 2, 6, 12, 4 from position 11 on is wrong: it rejects real published codes such as
# 91330100799655058B, which the tests check.)
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_VALUE = {char: value for value, char in enumerate(USCC_CHARSET)}
_USCC_EXCLUDED = "IOZSV"
USCC_LENGTH = 18


def uscc_check_digit(first17: str) -> str:
    """The 18th character of a 统一社会信用代码 whose first 17 characters are given.

    C18 = 31 - (Σ value(Ci) × Wi mod 31), where 31 becomes 0, mapped back through the charset.
    Raises ``ValueError`` if ``first17`` is not 17 characters of the charset.
    """
    if len(first17) != USCC_LENGTH - 1:
        raise ValueError(f"应为 17 位，实为 {len(first17)} 位")
    try:
        total = sum(_USCC_VALUE[char] * w for char, w in zip(first17, USCC_WEIGHTS, strict=True))
    except KeyError as error:
        raise ValueError(f"字符“{error.args[0]}”不允许（不得含 I、O、Z、S、V）") from None
    return USCC_CHARSET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    """Why ``code`` is not a valid 统一社会信用代码, or ``None`` when it is.

    Checks, in order: the length, each character (first offending position), the check character.
    """
    if len(code) != USCC_LENGTH:
        return f"应为 18 位，实为 {len(code)} 位"
    for position, char in enumerate(code, start=1):
        if char in _USCC_VALUE:
            continue
        if char in _USCC_EXCLUDED:
            return f"第 {position} 位字符“{char}”不允许（不得含 I、O、Z、S、V）"
        if char.isascii() and char.isalpha():
            return f"第 {position} 位字符“{char}”不允许（字母须大写）"
        return f"第 {position} 位字符“{char}”不允许（只能是数字或大写字母，不得含 I、O、Z、S、V）"
    expected = uscc_check_digit(code[:17])
    if code[17] != expected:
        return f"校验码错误：第 18 位应为“{expected}”，实为“{code[17]}”"
    return None


def uscc_is_valid(code: str) -> bool:
    """Whether ``code`` is a valid 统一社会信用代码 (already normalised)."""
    return uscc_problem(code) is None


# --- 居民身份证号码 (GB 11643-1999) ---------------------------------------------------------------

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
ID_LENGTH = 18
# First two digits of the address code (GB/T 2260 provinces; 81-83 are the residence permits of
# Hong Kong, Macao and Taiwan residents, which use the same number format).
ID_PROVINCES = frozenset(
    str(code)
    for first, last in (
        (11, 15),
        (21, 23),
        (31, 37),
        (41, 46),
        (50, 54),
        (61, 65),
        (71, 71),
        (81, 83),
    )
    for code in range(first, last + 1)
)


# --- 行政区划代码 (GB/T 2260) -------------------------------------------------------------------

# First two digits of a county-level code: the provinces, autonomous regions and municipalities,
# Taiwan (71), Hong Kong (81) and Macao (82).
DIVISION_PROVINCES = ID_PROVINCES - {"83"}


def division_problem(code: str) -> str | None:
    """Why ``code`` is not a 6-digit 行政区划代码 (GB/T 2260), or ``None`` when it may be one.

    Checks the form a code must have, not the current list of divisions (which changes every
    year): six digits, a province that exists, and no county part under a province-level "00".
    """
    if not re.fullmatch(r"[0-9]{6}", code):
        return "应为 6 位数字的行政区划代码"
    if code[:2] not in DIVISION_PROVINCES:
        return f"第 1–2 位省级代码“{code[:2]}”不存在"
    if code[2:4] == "00" and code[4:] != "00":
        return f"第 3–4 位为“00”（省级）时第 5–6 位也应为“00”，实为“{code[4:]}”"
    return None


def id_check_digit(first17: str) -> str:
    """The 18th character of a 居民身份证号码 whose first 17 digits are given.

    C18 = "10X98765432"[Σ Ai × Wi mod 11]. Raises ``ValueError`` unless given 17 digits.
    """
    if len(first17) != ID_LENGTH - 1 or not (first17.isascii() and first17.isdigit()):
        raise ValueError("前 17 位应为 17 个数字")
    total = sum(int(char) * w for char, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def id_problem(code: str, *, today: dt.date | None = None) -> str | None:
    """Why ``code`` is not a valid 居民身份证号码, or ``None`` when it is.

    ``code`` must be normalised first (a lowercase ``x`` upper-cased). Checks, in order: length,
    characters, the province part of the address code, the birth date (a real date, not after
    ``today``), the check character.
    """
    if len(code) != ID_LENGTH:
        hint = "（15 位旧号码请换成 18 位新号码）" if len(code) == 15 and code.isdigit() else ""
        return f"应为 18 位，实为 {len(code)} 位{hint}"
    for position, char in enumerate(code[:17], start=1):
        if not ("0" <= char <= "9"):
            return f"第 {position} 位字符“{char}”不允许（前 17 位只能是数字）"
    last = code[17]
    if not ("0" <= last <= "9" or last == "X"):
        return f"第 18 位字符“{last}”不允许（只能是数字或 X）"
    if code[:2] not in ID_PROVINCES:
        return f"第 1–2 位省级行政区划代码“{code[:2]}”不存在"
    birth_text = code[6:14]
    try:
        birth = dt.date(int(birth_text[:4]), int(birth_text[4:6]), int(birth_text[6:]))
    except ValueError:
        return f"第 7–14 位出生日期“{birth_text}”不是有效日期"
    if birth > (today or dt.date.today()):
        return f"第 7–14 位出生日期“{birth_text}”晚于今天"
    expected = id_check_digit(code[:17])
    if last != expected:
        return f"校验码错误：第 18 位应为“{expected}”，实为“{last}”"
    return None


def id_is_valid(code: str) -> bool:
    """Whether ``code`` is a valid 居民身份证号码 (already normalised)."""
    return id_problem(code) is None


def mask_id_number(code: str) -> str:
    """The first 6 and last 4 characters with asterisks between: ``130281********123X``.

    Anything of 10 characters or fewer is masked completely: showing 10 of 10 would hide nothing.
    """
    if len(code) <= 10:
        return "*" * len(code)
    return code[:6] + "*" * (len(code) - 10) + code[-4:]


_MOBILE = re.compile(r"1[3-9][0-9]{9}")
#: 区号 (3 or 4 digits from 0), an optional hyphen, 7 or 8 digits, an optional extension.
_LANDLINE = re.compile(r"0[1-9][0-9]{1,2}-?[1-9][0-9]{6,7}(-[0-9]{1,6})?")


def normalise_phone(code: str) -> str:
    """``code`` (already :func:`clean_code`-normalised) without a +86 or 0086 country prefix."""
    for prefix in ("+86", "0086"):
        if code.startswith(prefix):
            return code[len(prefix) :].lstrip("-")
    return code


def phone_problem(code: str) -> str | None:
    """``None`` for a mainland mobile number (11 digits from 1) or a fixed-line number with its
    area code (``0315-6612345``, extension allowed); otherwise what is wrong."""
    if _MOBILE.fullmatch(code) or _LANDLINE.fullmatch(code):
        return None
    return "应为 11 位手机号码，或带区号的固定电话（如 0315-6612345）"


def mask_phone(code: str) -> str:
    """The first 3 and last 4 characters with asterisks between: ``138****5678``,
    ``031*****2345``; anything of 8 characters or fewer is masked completely."""
    if len(code) <= 8:
        return "*" * len(code)
    return code[:3] + "*" * (len(code) - 7) + code[-4:]


# --- cell clean-up --------------------------------------------------------------------------------

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
#: C0 and C1 control characters that are not white space (NUL, ESC, DEL …). Excel shows none of
#: them; they come from copy-paste out of other systems or from a damaged file, and PostgreSQL
#: cannot store NUL at all. A bureau sees a cell without them, so they are removed like the
#: zero-width characters. (Tab, line feed and the other white-space controls are white space.)
CONTROL_CHARACTERS = "".join(
    char for char in map(chr, [*range(0x20), *range(0x7F, 0xA0)]) if not char.isspace()
)
INVISIBLE = ZERO_WIDTH + CONTROL_CHARACTERS
_INVISIBLE_TABLE = dict.fromkeys(map(ord, INVISIBLE))
_CONTROL_TABLE = dict.fromkeys(map(ord, CONTROL_CHARACTERS))
#: What a user sees as nothing: every character ``str.isspace`` calls white space (none lies
#: above U+3000, the ideographic space) and the invisible ones.
BLANK = "".join(char for char in map(chr, range(0x3001)) if char.isspace()) + INVISIBLE
# U+FF01..U+FF5E are the full-width forms of ASCII 0x21..0x7E; U+3000 is the ideographic space.
_FOLD_ALL = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_FOLD_ALNUM = {
    code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F) if chr(code - 0xFEE0).isalnum()
} | {0x3000: 0x20}
_WHITESPACE_RUN = re.compile(r"\s+")
_INTEGRAL_TEXT = re.compile(r"^(\d+)\.0+$")
# Excel's scientific notation: one digit, optional fraction, E, a mandatory sign, the exponent.
# A real code never contains "+", "-" or ".", so this never matches a genuine code.
_SCIENTIFIC = re.compile(r"^(\d)(?:\.(\d+))?E([+-])(\d{1,3})$")
# Excel keeps 15 significant digits: an integer below this is stored exactly.
EXCEL_EXACT_INTEGER_LIMIT = 10**15

SCIENTIFIC_NOTATION_MESSAGE = (
    "单元格被 Excel 转成了科学计数法，原值已丢失，请将该列设为文本后重新录入"
    "（Excel 只保留 15 位有效数字，18 位的统一社会信用代码、身份证号一旦存成数字便无法恢复）"
)


def fold_width(s: str) -> str:
    """Full-width ASCII letters, digits and punctuation, and the ideographic space, to half-width.

    ``"ＡＢＣ１２３，（）　"`` → ``"ABC123,() "``. Other characters are left alone.
    """
    return s.translate(_FOLD_ALL)


def strip_invisible(s: str) -> str:
    """``s`` without zero-width and control characters (see :data:`INVISIBLE`)."""
    return s.translate(_INVISIBLE_TABLE)


def strip_controls(s: str) -> str:
    """``s`` without control characters, for showing a raw cell back (zero-width ones kept)."""
    return s.translate(_CONTROL_TABLE)


def _number_text(value: int | float) -> str:
    """A number cell as text: integral floats lose their ``.0``; unsafe ones stay scientific."""
    if isinstance(value, int):
        return str(value)
    if math.isfinite(value) and value.is_integer():
        if abs(value) < EXCEL_EXACT_INTEGER_LIMIT:
            return str(int(value))
        # Beyond 15 significant digits the trailing digits are gone; say so by looking like
        # what Excel displays, which looks_like_scientific() recognises.
        return f"{value:.15G}"
    return repr(value).upper()


def looks_like_scientific(s: str) -> bool:
    """Whether ``s`` (a cleaned code) is a number Excel turned into scientific notation.

    Matches Excel's display ``9.11301820E+17`` / ``1.30281E+05`` (one leading digit, a sign after
    E). Such text can only come from Excel mangling a code; report
    :data:`SCIENTIFIC_NOTATION_MESSAGE` unless :func:`clean_code` could recover it.
    """
    return _SCIENTIFIC.match(s) is not None


def _recover_scientific(s: str, digits: int) -> str | None:
    """The integer a scientific-notation string spells out exactly, if it has ``digits`` digits.

    Recoverable only when every integer digit is written out in the mantissa: ``1.30281E+05`` is
    130281, but ``1.3028E+05`` might have been 130281 rounded, so it is not recovered.
    """
    match = _SCIENTIFIC.match(s)
    if match is None:
        return None
    lead, fraction, sign, exponent = match.groups()
    fraction = fraction or ""
    exp = int(exponent)
    if sign == "-" or exp + 1 != digits or len(fraction) < exp:
        return None
    if fraction[exp:].strip("0"):
        return None  # a fractional part: not an integer code
    value = lead + fraction[:exp]
    if int(value) >= EXCEL_EXACT_INTEGER_LIMIT:
        return None
    return value


def clean_code(value: object, recover_scientific_digits: int | None = None) -> str:
    """Normalise a code cell (credit code, ID number, division code, certificate number).

    - ``None`` → ``""``; numbers: ints as written, integral floats without ``.0``
      (``130281.0`` → ``"130281"``);
    - text: every whitespace character (spaces, line breaks, tabs, the ideographic space) and
      every zero-width and control character removed, full-width folded to half-width,
      upper-cased;
      ``"130281.0"`` (a number exported as text) → ``"130281"``.

    Scientific notation (see :func:`looks_like_scientific`) is returned unchanged, so the importer
    can report :data:`SCIENTIFIC_NOTATION_MESSAGE`, with one exception: when
    ``recover_scientific_digits`` is the expected length of the code and the text spells out all
    of those digits (``clean_code("1.30281E+05", 6)`` → ``"130281"``), the value is exact and is
    returned as digits. An 18-digit 统一社会信用代码 or 身份证号 can never be recovered: Excel
    keeps 15 significant digits, so a float of 18 digits has already lost the last ones, and such
    a float cell comes back as its scientific form (``9.11301820E+17``).
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        text = str(value)
    elif isinstance(value, int | float):
        text = _number_text(value)
    else:
        text = str(value)
    text = _WHITESPACE_RUN.sub("", fold_width(strip_invisible(text))).upper()
    integral = _INTEGRAL_TEXT.match(text)
    if integral:
        return integral.group(1)
    if recover_scientific_digits is not None and looks_like_scientific(text):
        recovered = _recover_scientific(text, recover_scientific_digits)
        if recovered is not None:
            return recovered
    return text


def _scalar_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return _number_text(value)
    return str(value)


def clean_text(value: object) -> str:
    """Normalise a single-line text cell (name, address, legal representative).

    Zero-width and control characters (NUL, ESC …) removed; full-width letters, digits and the
    ideographic space folded to half-width; every run of whitespace (line breaks included)
    collapsed to one space; trimmed. Full-width punctuation (，（）：) is kept: it is the correct
    punctuation of Chinese text and of registered enterprise names. Integral float cells lose
    their ``.0``.
    """
    text = strip_invisible(_scalar_text(value)).translate(_FOLD_ALNUM)
    return _WHITESPACE_RUN.sub(" ", text).strip()


def clean_multiline(value: object) -> str:
    """Normalise a multi-line text cell (legal basis, remarks), keeping its line breaks.

    ``\\r\\n`` and ``\\r`` become ``\\n``; each line is cleaned like :func:`clean_text`; leading
    and trailing blank lines are dropped and runs of blank lines become one.
    """
    text = _scalar_text(value).replace("\r\n", "\n").replace("\r", "\n")
    lines: list[str] = []
    for raw in text.split("\n"):
        line = clean_text(raw)
        if line or (lines and lines[-1]):
            lines.append(line)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


# --- dates ---------------------------------------------------------------------------------------

# The 1900 date system: serial 1 is 1900-01-01; Excel also counts the non-existent 1900-02-29 as
# serial 60 (a Lotus 1-2-3 compatibility bug), so from serial 61 on the epoch is 1899-12-30.
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_EXCEL_EPOCH_BEFORE_BUG = dt.date(1899, 12, 31)
_EXCEL_MAX_SERIAL = 2958465  # 9999-12-31
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"),
    re.compile(r"^(\d{4})(年)(\d{1,2})月(\d{1,2})日$"),
    re.compile(r"^(\d{4})()(\d{2})(\d{2})$"),
)


def _format_error(text: str) -> ValueError:
    return ValueError(f"日期格式无法识别：“{text}”，请使用 YYYY-MM-DD")


def _from_serial(serial: float) -> dt.date:
    if not math.isfinite(serial) or serial < 1 or serial > _EXCEL_MAX_SERIAL:
        shown = int(serial) if math.isfinite(serial) and serial == int(serial) else serial
        raise ValueError(f"Excel 日期序号 {shown} 超出范围（1–{_EXCEL_MAX_SERIAL}）")
    days = math.floor(serial)  # a fraction is the time of day
    if days == 60:
        raise ValueError("Excel 日期序号 60 对应不存在的 1900-02-29，请重新录入该日期")
    epoch = _EXCEL_EPOCH_BEFORE_BUG if days < 60 else _EXCEL_EPOCH
    return epoch + dt.timedelta(days=days)


def _ymd(year: int, month: int, day: int, text: str) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"日期不存在：“{text}”") from None


def excel_date(value: object) -> dt.date | None:
    """A date cell as a ``date``; ``None`` for an empty cell.

    Accepts ``date``/``datetime`` objects (what python-calamine returns for date cells), Excel
    serial numbers of the 1900 date system (``45292`` → 2024-01-01; serial 60, Excel's phantom
    1900-02-29, is rejected), integers 19000101–99991231 read as YYYYMMDD (no serial is that
    large), and the strings ``YYYY-MM-DD``, ``YYYY/MM/DD``, ``YYYY.MM.DD`` (optionally followed by
    a time), ``YYYY年MM月DD日`` and ``YYYYMMDD``, full-width digits included. Anything else raises
    ``ValueError`` with a Chinese message.
    """
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise _format_error(str(value))
    if isinstance(value, int | float):
        if 19000101 <= value <= 99991231 and float(value).is_integer():
            text = str(int(value))
            return _ymd(int(text[:4]), int(text[4:6]), int(text[6:]), text)
        return _from_serial(value)
    if not isinstance(value, str):
        raise _format_error(str(value))
    text = _WHITESPACE_RUN.sub(" ", fold_width(strip_invisible(value))).strip()
    if not text:
        return None
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            year, _, month, day = match.groups()
            return _ymd(int(year), int(month), int(day), text)
    raise _format_error(text)


# --- tags ----------------------------------------------------------------------------------------

_TAG_SEPARATORS = re.compile(r"[、,;\s]+")  # after fold_width, so ，and ； are covered too


def split_tags(value: object) -> list[str]:
    """Split a tag cell (要素标签, 业务专长) into tags, in order, without duplicates.

    Separators: 、 , ， ; ； and any whitespace (line breaks included). ``"水、大气，水"`` →
    ``["水", "大气"]``.
    """
    if value is None:
        return []
    text = fold_width(strip_invisible(str(value)))
    return list(dict.fromkeys(tag for tag in _TAG_SEPARATORS.split(text) if tag))
