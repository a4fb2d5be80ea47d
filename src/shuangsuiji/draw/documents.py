"""The small files of a bundle: params.json, entropy.json, salt.hex and commitment.json."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from . import jsonfile
from .errors import BundleError, key
from .primitives import SPEC, SPEC_V2, SPECS, TXT, H

DRAW_ID_RE = re.compile(r"[0-9A-Za-z_.-]{1,64}")
CODE_RE = re.compile(r"[0-9A-Z_-]{1,32}")
HEX64_RE = re.compile(r"[0-9a-f]{64}")
SALT_RE = re.compile(rb"[0-9a-f]{64}\n?")
# ISO 8601 date-time in extended or basic format, offset required (Z counts as one).
DATETIME_RE = re.compile(
    r"(?P<y>[0-9]{4})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2})T(?P<H>[0-9]{2}):(?P<M>[0-9]{2})"
    r"(?::(?P<S>[0-9]{2})(?:[.,][0-9]+)?)?(?P<z>Z|[+-](?P<zh>[0-9]{2}):(?P<zm>[0-9]{2}))"
    r"|(?P<y2>[0-9]{4})(?P<m2>[0-9]{2})(?P<d2>[0-9]{2})T(?P<H2>[0-9]{2})(?P<M2>[0-9]{2})"
    r"(?:(?P<S2>[0-9]{2})(?:[.,][0-9]+)?)?(?P<z2>Z|[+-](?P<zh2>[0-9]{2})(?P<zm2>[0-9]{2}))"
)
COMMITMENT_KEYS = (
    "spec",
    "draw_id",
    "params_hash",
    "pool_root",
    "roster_root",
    "conflicts_root",
    "salt_commit",
)
#: 部门联合: the commitment's optional key holding each partner roster's root, by code.
PARTNER_ROSTERS = "partner_rosters"


def partner_file(code: str) -> str:
    """The roster file of the partner department ``code`` (部门联合抽查的配合部门)."""
    return f"partner-{code}.txt"


@dataclass(frozen=True)
class Stratum:
    code: str
    k: int


@dataclass(frozen=True)
class Source:
    type: str
    label: str


@dataclass(frozen=True)
class Partner:
    """A department that joins the task (部门联合抽查): its inspectors are matched to every
    task from its own roster, ``partner-<code>.txt``, ``team_size`` to a task."""

    code: str
    name: str
    team_size: int

    @property
    def file(self) -> str:
        return partner_file(self.code)

    @property
    def label(self) -> str:
        return f"配合部门 {self.code}（{self.name}）"


@dataclass(frozen=True)
class Params:
    raw: bytes
    draw_id: str
    team_size: int
    strata: tuple[Stratum, ...]
    sources: tuple[Source, ...]
    committed_at: str
    spec: str = SPEC
    #: v2: H(DOMAIN ‖ "WITHHELD" ‖ salt ‖ withheld_root), and the earlier draws whose lists
    #: were not public at commit and on which a withheld exclusion may rest.
    withheld_commit: bytes | None = None
    withheld_from: tuple[str, ...] = ()
    #: 部门联合: the partner departments, in the order of params.json; empty for a draw of the
    #: bureau alone.
    partners: tuple[Partner, ...] = ()

    @property
    def params_hash(self) -> bytes:
        # The published bytes are what is hashed; the file is never re-serialised.
        return H(self.raw)


@dataclass(frozen=True)
class EntropyValue:
    type: str
    label: str
    value: str


@dataclass(frozen=True)
class Commitment:
    spec: str
    draw_id: str
    params_hash: str
    pool_root: str
    roster_root: str
    conflicts_root: str
    salt_commit: str
    #: 部门联合: each partner roster's Merkle root (hex) by department code; None without
    #: partners, and then the key is absent from commitment.json.
    partner_rosters: dict[str, str] | None = None

    def as_dict(self) -> dict[str, Any]:
        values: dict[str, Any] = asdict(self)
        if self.partner_rosters is None:
            del values[PARTNER_ROSTERS]
        return values


def _is_int(value: Any) -> bool:
    # bool is a subclass of int in Python, but `true` is not a JSON integer.
    return type(value) is int


def _require(file: str, obj: dict[str, Any], name: str, path: str) -> Any:
    if name not in obj:
        raise BundleError(file, key(path), "缺少此键")
    return obj[name]


def _text(file: str, obj: dict[str, Any], name: str, path: str) -> str:
    value = _require(file, obj, name, path)
    if not isinstance(value, str) or not value:
        raise BundleError(file, key(path), "必须是非空字符串")
    return value


def parse_params(data: bytes) -> Params:
    file = "params.json"
    doc = jsonfile.load(file, data)
    spec = _require(file, doc, "spec", "spec")
    if spec not in SPECS:
        raise BundleError(file, key("spec"), f"必须是 {' 或 '.join(SPECS)}")
    draw_id = _require(file, doc, "draw_id", "draw_id")
    if not isinstance(draw_id, str) or DRAW_ID_RE.fullmatch(draw_id) is None:
        raise BundleError(file, key("draw_id"), "必须是 1–64 个 [0-9A-Za-z_.-] 字符")
    team_size = _require(file, doc, "team_size", "team_size")
    if not _is_int(team_size) or team_size < 2:
        raise BundleError(
            file, key("team_size"), "必须是不小于 2 的 JSON 整数（不得写作 2.0 或 true）"
        )
    return Params(
        raw=data,
        draw_id=draw_id,
        team_size=team_size,
        strata=_parse_strata(file, _require(file, doc, "strata", "strata")),
        sources=_parse_sources(file, _require(file, doc, "sources", "sources")),
        committed_at=_parse_committed_at(file, _require(file, doc, "committed_at", "committed_at")),
        spec=spec,
        **(_parse_withheld_keys(file, doc) if spec == SPEC_V2 else {}),
        partners=_parse_partners(file, doc["partners"]) if "partners" in doc else (),
    )


def _parse_partners(file: str, partners: Any) -> tuple[Partner, ...]:
    """部门联合: the departments whose inspectors join every task, each with its team size."""
    if not isinstance(partners, list) or not partners:
        raise BundleError(
            file,
            key("partners"),
            "若填写，必须是非空列表（联合抽查的配合部门）；没有配合部门时不写此键",
        )
    result: list[Partner] = []
    seen: set[str] = set()
    for index, item in enumerate(partners):
        path = f"partners[{index}]"
        if not isinstance(item, dict):
            raise BundleError(file, key(path), "必须是 JSON 对象")
        code = _require(file, item, "code", f"{path}.code")
        if not isinstance(code, str) or CODE_RE.fullmatch(code) is None:
            raise BundleError(file, key(f"{path}.code"), "必须是 1–32 个 [0-9A-Z_-] 字符")
        if code in seen:
            raise BundleError(file, key(f"{path}.code"), f"配合部门代码 {code} 重复")
        seen.add(code)
        name = _text(file, item, "name", f"{path}.name")
        team_size = _require(file, item, "team_size", f"{path}.team_size")
        if not _is_int(team_size) or team_size < 1:
            raise BundleError(
                file,
                key(f"{path}.team_size"),
                "必须是不小于 1 的 JSON 整数（不得写作 1.0 或 true）",
            )
        result.append(Partner(code=code, name=name, team_size=team_size))
    return tuple(result)


def _parse_withheld_keys(file: str, doc: dict[str, Any]) -> dict[str, Any]:
    """v2's ``withheld_commit`` (64 hex digits) and ``withheld_from`` (earlier draw ids)."""
    commit = _require(file, doc, "withheld_commit", "withheld_commit")
    if not isinstance(commit, str) or HEX64_RE.fullmatch(commit) is None:
        raise BundleError(file, key("withheld_commit"), "必须是 64 个小写十六进制数字")
    earlier = _require(file, doc, "withheld_from", "withheld_from")
    if not isinstance(earlier, list) or not earlier:
        raise BundleError(file, key("withheld_from"), "必须是非空列表（此前尚未公开的抽取编号）")
    for index, draw_id in enumerate(earlier):
        if not isinstance(draw_id, str) or DRAW_ID_RE.fullmatch(draw_id) is None:
            raise BundleError(
                file, key(f"withheld_from[{index}]"), "必须是 1–64 个 [0-9A-Za-z_.-] 字符"
            )
        if index and draw_id.encode() <= earlier[index - 1].encode():
            raise BundleError(file, key(f"withheld_from[{index}]"), "必须按字节升序排列且不得重复")
    if doc.get("draw_id") in earlier:
        raise BundleError(file, key("withheld_from"), "不得包含本次抽取自己的编号")
    return {"withheld_commit": bytes.fromhex(commit), "withheld_from": tuple(earlier)}


def _parse_strata(file: str, strata: Any) -> tuple[Stratum, ...]:
    if not isinstance(strata, list) or not strata:
        raise BundleError(file, key("strata"), "必须是非空列表")
    result: list[Stratum] = []
    seen: set[str] = set()
    for index, item in enumerate(strata):
        path = f"strata[{index}]"
        if not isinstance(item, dict):
            raise BundleError(file, key(path), "必须是 JSON 对象")
        code = _require(file, item, "code", f"{path}.code")
        if not isinstance(code, str) or CODE_RE.fullmatch(code) is None:
            raise BundleError(file, key(f"{path}.code"), "必须是 1–32 个 [0-9A-Z_-] 字符")
        if code in seen:
            raise BundleError(file, key(f"{path}.code"), f"层代码 {code} 重复")
        seen.add(code)
        k = _require(file, item, "k", f"{path}.k")
        if not _is_int(k) or k < 0:
            raise BundleError(
                file, key(f"{path}.k"), "必须是不小于 0 的 JSON 整数（不得写作 3.0 或 true）"
            )
        for optional in ("name", "basis"):
            if optional in item and not isinstance(item[optional], str):
                raise BundleError(file, key(f"{path}.{optional}"), "若填写，必须是字符串")
        result.append(Stratum(code=code, k=k))
    return tuple(result)


def _parse_sources(file: str, sources: Any) -> tuple[Source, ...]:
    if not isinstance(sources, list) or not sources:
        raise BundleError(file, key("sources"), "必须是非空列表（至少指定一个公开随机源）")
    result: list[Source] = []
    for index, item in enumerate(sources):
        path = f"sources[{index}]"
        if not isinstance(item, dict):
            raise BundleError(file, key(path), "必须是 JSON 对象")
        result.append(
            Source(
                type=_text(file, item, "type", f"{path}.type"),
                label=_text(file, item, "label", f"{path}.label"),
            )
        )
    return tuple(result)


def _parse_committed_at(file: str, value: Any) -> str:
    rule = "必须是带时区偏移的 ISO 8601 日期时间，例如 2026-04-01T09:00:00+08:00"
    match = DATETIME_RE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise BundleError(file, key("committed_at"), rule)
    # The basic-format groups are named like the extended ones with a trailing "2".
    parts = {name.rstrip("2"): text for name, text in match.groupdict().items() if text}
    try:
        datetime(*(int(parts.get(name, "0")) for name in ("y", "m", "d", "H", "M", "S")))
    except ValueError:
        raise BundleError(file, key("committed_at"), f"{rule}（日期或时间数值无效）") from None
    if parts["z"] != "Z" and (int(parts["zh"]) > 23 or int(parts["zm"]) > 59):
        raise BundleError(file, key("committed_at"), f"{rule}（时区偏移无效）")
    return value


def parse_entropy(data: bytes, params: Params) -> tuple[EntropyValue, ...]:
    """Read entropy.json and check it names exactly the params sources, in their order."""
    file = "entropy.json"
    doc = jsonfile.load(file, data)
    values = _require(file, doc, "values", "values")
    if not isinstance(values, list):
        raise BundleError(file, key("values"), "必须是列表")
    if len(values) != len(params.sources):
        raise BundleError(
            file,
            key("values"),
            f"有 {len(values)} 个熵值，params.json 的 sources 有 {len(params.sources)} 个"
            "（每个随机源必须恰好一个熵值）",
        )
    result: list[EntropyValue] = []
    for index, (item, source) in enumerate(zip(values, params.sources, strict=True)):
        path = f"values[{index}]"
        if not isinstance(item, dict):
            raise BundleError(file, key(path), "必须是 JSON 对象")
        for name in ("type", "label", "value"):
            if not isinstance(_require(file, item, name, f"{path}.{name}"), str):
                raise BundleError(file, key(f"{path}.{name}"), "必须是字符串")
        entry = EntropyValue(type=item["type"], label=item["label"], value=item["value"])
        if (entry.type, entry.label) != (source.type, source.label):
            named = Source(type=entry.type, label=entry.label)
            if named in params.sources:
                raise BundleError(
                    file, key(path), "熵值顺序与参数不一致（必须按 params.json sources 的顺序）"
                )
            name = "type" if entry.type != source.type else "label"
            raise BundleError(
                file,
                key(f"{path}.{name}"),
                f"与 params.json sources[{index}].{name} 不一致（必须逐字相同）",
            )
        if not TXT(entry.value):
            raise BundleError(file, key(f"{path}.value"), "去掉首尾空白后为空")
        result.append(entry)
    return tuple(result)


def parse_salt(data: bytes) -> bytes:
    if SALT_RE.fullmatch(data) is None:
        raise BundleError("salt.hex", "", "必须恰好是 64 个小写十六进制数字，可跟一个换行符 \\n")
    return bytes.fromhex(data[:64].decode("ascii"))


def format_salt(salt: bytes) -> bytes:
    return salt.hex().encode("ascii") + b"\n"


def parse_commitment(data: bytes) -> Commitment:
    file = "commitment.json"
    doc = jsonfile.load(file, data)
    values: dict[str, str] = {}
    for name in COMMITMENT_KEYS:
        value = _require(file, doc, name, name)
        if not isinstance(value, str):
            raise BundleError(file, key(name), "必须是字符串")
        if name not in ("spec", "draw_id") and HEX64_RE.fullmatch(value) is None:
            raise BundleError(file, key(name), "必须是 64 个小写十六进制数字")
        values[name] = value
    if values["spec"] not in SPECS:
        raise BundleError(file, key("spec"), f"必须是 {' 或 '.join(SPECS)}")
    partner_rosters = None
    if PARTNER_ROSTERS in doc:
        partner_rosters = _parse_partner_roots(file, doc[PARTNER_ROSTERS])
    return Commitment(**values, partner_rosters=partner_rosters)


def _parse_partner_roots(file: str, roots: Any) -> dict[str, str]:
    if not isinstance(roots, dict) or not roots:
        raise BundleError(
            file,
            key(PARTNER_ROSTERS),
            "若填写，必须是非空 JSON 对象（配合部门代码 → 名录默克尔根）",
        )
    for code, root in roots.items():
        path = f"{PARTNER_ROSTERS}.{code}"
        if CODE_RE.fullmatch(code) is None:
            raise BundleError(file, key(path), "配合部门代码必须是 1–32 个 [0-9A-Z_-] 字符")
        if not isinstance(root, str) or HEX64_RE.fullmatch(root) is None:
            raise BundleError(file, key(path), "必须是 64 个小写十六进制数字")
    return dict(roots)
