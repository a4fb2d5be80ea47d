"""部门联合 (docs/draw-spec.md "部门联合: partner rosters"): each partner department's inspectors
are matched to the selected units by the same verifiable draw, from a roster committed like the
bureau's (获嘉 二、（三）“因地制宜匹配各部门执法检查人员”; 绛县 三、5 分局牵头、住建局配合).

The partner vector ``tests/draw/vector-partners/`` is a joint draw of a county bureau with its
住建局 (teams of one, county-wide inspectors written ``*``) and 水利局 (teams of two, 以老带新).
A draw without partners keeps every byte it had: the v1 and v2 vectors and their tests are
untouched, and the cases below check that nothing of this section leaks into such a draw.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from shuangsuiji.draw import (
    COMMIT_INPUTS,
    DRAW_INPUTS,
    BundleError,
    Partner,
    check_commitment,
    commit,
    compute,
    dumps,
    parse_bundle,
    parse_commitment,
    partner_file,
    read_files,
    render_roster,
    verify,
)
from shuangsuiji.draw.primitives import DOMAIN, LP, H, u32
from shuangsuiji.draw.seed import partner_seed
from tests.draw.drawkit import SPEC, VECTOR, run_cli, vector_files

PARTNERS = VECTOR.parent / "vector-partners"
OUTPUTS = ("commitment.json", "result.json")
ZJ = "配合部门 ZJ（藁城区住房和城乡建设局）"
SL = "配合部门 SL（藁城区水利局）"


def files(changes: dict[str, bytes | None] | None = None) -> dict[str, bytes]:
    """The partner vector's files; a change of None removes the file."""
    found = read_files(PARTNERS)
    for name, data in (changes or {}).items():
        if data is None:
            found.pop(name)
        else:
            found[name] = data
    return found


def vector_copy(target: Path, *, without: tuple[str, ...] = ()) -> Path:
    shutil.copytree(PARTNERS, target)
    for name in without:
        (target / name).unlink()
    return target


def expected(name: str) -> dict:
    return json.loads((PARTNERS / name).read_text(encoding="utf-8"))


def checks(report) -> list[str]:
    return [str(check) for check in report.checks]


# --- the vector ---------------------------------------------------------------------------------


def test_partner_vector_is_named_by_the_specification_and_complete() -> None:
    text = SPEC.read_text(encoding="utf-8")
    assert "`tests/draw/vector-partners/`" in text and "## 部门联合: partner rosters" in text
    assert sorted(p.name for p in PARTNERS.iterdir()) == sorted(
        [*DRAW_INPUTS, *OUTPUTS, "partner-SL.txt", "partner-ZJ.txt"]
    )


def test_api_reproduces_the_partner_vector_byte_for_byte() -> None:
    bundle = parse_bundle(files(), DRAW_INPUTS)
    assert [p.code for p in bundle.params.partners] == ["ZJ", "SL"]
    assert bundle.salt is not None
    assert (
        dumps(commit(bundle, bundle.salt).as_dict()) == (PARTNERS / "commitment.json").read_bytes()
    )
    assert dumps(compute(bundle).as_dict()) == (PARTNERS / "result.json").read_bytes()


def test_cli_compute_regenerates_the_vector_and_counts_units_without_a_partner_team(
    tmp_path: Path,
) -> None:
    """The vector was written by `draw compute`: from its inputs alone it writes the same two
    files again, and says per department how many units wait for a manual step."""
    folder = vector_copy(tmp_path / "lh", without=OUTPUTS)
    code, out, err = run_cli("compute", folder)
    assert code == 0, err
    for name in OUTPUTS:
        assert (folder / name).read_bytes() == (PARTNERS / name).read_bytes()
    assert f"{ZJ}：0 项任务未匹配到该部门的执法人员" in out
    assert f"{SL}：2 项任务未匹配到该部门的执法人员" in out


def test_the_specification_values_of_the_vector() -> None:
    """The roots and partner seeds that the specification prints for the vector."""
    bundle = parse_bundle(files(), DRAW_INPUTS)
    result = compute(bundle)
    text = SPEC.read_text(encoding="utf-8")
    assert result.seed.hex() in text
    for code in ("ZJ", "SL"):
        root = bundle.partner_rosters[code].root
        assert expected("commitment.json")["partner_rosters"][code] == root.hex()
        assert root.hex() in text
        assert partner_seed(result.seed, code, root).hex() in text
    zj = partner_seed(result.seed, "ZJ", bundle.partner_rosters["ZJ"].root)
    pairs = [("ZJ1301820002", 2), ("ZJ1301820001", 2), ("ZJ1301820001", 3), ("ZJ1301820002", 3)]
    for uid, load in pairs:
        prio = H(DOMAIN + b"INSP" + zj + LP(uid.encode()) + u32(load)).hex()
        assert f"`{prio[:8]}…`" in text
    root = bundle.partner_rosters["ZJ"].root
    assert len(DOMAIN + b"PART" + result.seed + LP(b"ZJ") + LP(root)) == 97


def test_every_unit_gets_every_partner_team_even_without_the_bureau_team() -> None:
    """The bureau's last unit has no team (NO_SENIOR: its 第二中队 senior reached his cap), yet
    the 住建局 still sends an inspector: each department is matched on its own."""
    assignments = expected("result.json")["assignments"]
    assert all(list(a["partners"]) == ["ZJ", "SL"] for a in assignments)
    last = assignments[-1]
    assert last["team"] == [] and last["flags"] == ["NO_SENIOR"]
    assert last["partners"]["ZJ"] == {"team": ["ZJ1301820002"], "flags": []}
    assert last["partners"]["SL"] == {"team": [], "flags": ["NO_SENIOR"]}


def test_the_python_api_carries_partner_teams_in_params_order() -> None:
    result = compute(parse_bundle(files(), DRAW_INPUTS))
    first = result.assignments[0]
    assert [team.code for team in first.partners] == ["ZJ", "SL"]
    assert first.partner("ZJ").team == ["ZJ1301820002"]
    assert first.partner("SL").team == ["SL1301820101", "SL1301820103"]
    with pytest.raises(KeyError):
        first.partner("XX")


# --- verify -------------------------------------------------------------------------------------


def test_cli_verify_checks_partner_roots_and_matching() -> None:
    code, out, err = run_cli("verify", PARTNERS)
    assert code == 0, out + err
    lines = out.splitlines()
    for check in (
        "✓ 承诺中的配合部门名录 partner_rosters 与 params.json 的 partners 一致",
        f"✓ {ZJ}执法人员名录 partner-ZJ.txt 符合规范",
        f"✓ {ZJ}名录默克尔根 partner_rosters.ZJ 一致",
        f"✓ {SL}名录默克尔根 partner_rosters.SL 一致",
        "✓ 各部门名录中没有同一执法人员（id 不重复）",
        "✓ 本局检查组的人员匹配 assignments 一致（6 项）",
        "✓ 每项任务都有配合部门 ZJ、SL 的匹配结果",
        f"✓ {ZJ}人员匹配 assignments[].partners.ZJ 一致（6 项）",
        f"✓ {SL}人员匹配 assignments[].partners.SL 一致（6 项）",
    ):
        assert check in lines
    assert lines[-1].startswith("核对通过")


def test_an_auditor_with_one_department_roster_checks_that_department() -> None:
    """水利局's auditor has no 住建局 roster: the ZJ matching is noted as not checked, the rest
    (seed, selection, bureau and SL matching) is checked."""
    report = verify(files({"partner-ZJ.txt": None}))
    assert report.ok
    texts = checks(report)
    assert any(t.startswith("· 未提供 partner-ZJ.txt") for t in texts)
    assert f"✓ {SL}人员匹配 assignments[].partners.SL 一致（6 项）" in texts
    assert not any("partners.ZJ 一致" in t for t in texts)


def test_the_public_checks_seed_selection_and_task_order_of_a_joint_draw() -> None:
    public = files(
        {
            "roster.txt": None,
            "conflicts.txt": None,
            "partner-ZJ.txt": None,
            "partner-SL.txt": None,
        }
    )
    report = verify(public)
    assert report.ok
    texts = checks(report)
    assert "✓ 抽取种子 seed 一致" in texts
    assert "✓ 任务顺序 assignments[].unit 一致（6 项）" in texts


def test_a_changed_partner_roster_breaks_its_root_but_not_the_seed() -> None:
    """Raising one 住建局 inspector's cap after the commit is caught by partner_rosters.ZJ; the
    seed and selection do not rest on the partner rosters and still check."""
    roster = (PARTNERS / "partner-ZJ.txt").read_bytes()
    report = verify(files({"partner-ZJ.txt": roster.replace(b"|3|3\n", b"|3|4\n")}))
    assert not report.ok
    failed = [t for t in checks(report) if t.startswith("✗")]
    assert failed and failed[0].startswith(f"✗ {ZJ}名录默克尔根 partner_rosters.ZJ 不一致")
    assert "✓ 抽取种子 seed 一致" in checks(report)


def test_a_tampered_partner_team_is_named() -> None:
    result = expected("result.json")
    result["assignments"][2]["partners"]["ZJ"]["team"] = ["ZJ1301820002"]
    report = verify(files({"result.json": dumps(result)}))
    failed = [t for t in checks(report) if t.startswith("✗")]
    assert failed == [
        f"✗ {ZJ}人员匹配 assignments[].partners.ZJ 第 3 项不一致："
        '应为 {"team": ["ZJ1301820001"], "flags": []}，'
        'result.json 为 {"team": ["ZJ1301820002"], "flags": []}'
    ]
    assert "✓ 本局检查组的人员匹配 assignments 一致（6 项）" in checks(report)


def test_a_result_without_a_partner_is_caught() -> None:
    result = expected("result.json")
    del result["assignments"][4]["partners"]["SL"]
    report = verify(files({"result.json": dumps(result)}))
    assert "✗ result.json 的 assignments 第 5 项 partners 应含配合部门 SL、ZJ，实为 ZJ" in checks(
        report
    )


def test_commitment_and_params_must_name_the_same_partners() -> None:
    commitment = expected("commitment.json")
    del commitment["partner_rosters"]["SL"]
    report = verify(files({"commitment.json": dumps(commitment)}))
    assert (
        "✗ 承诺中的配合部门名录 partner_rosters（ZJ）与 params.json 的 partners（ZJ、SL）不一致"
        in checks(report)
    )


def test_a_partner_roots_key_beside_params_without_partners_fails() -> None:
    """A v1 bundle whose commitment claims partner rosters is not what params.json says."""
    commitment = json.loads((VECTOR / "commitment.json").read_text(encoding="utf-8"))
    commitment["partner_rosters"] = {"ZJ": "0" * 64}
    report = verify(vector_files() | {"commitment.json": dumps(commitment)})
    assert "✗ 承诺中的配合部门名录 partner_rosters（ZJ）与 params.json 的 partners（无）不一致" in (
        checks(report)
    )
    bundle = parse_bundle(vector_files(), DRAW_INPUTS)
    assert bundle.salt is not None
    with pytest.raises(BundleError, match=r"params\.json 没有配合部门"):
        check_commitment(commit(bundle, bundle.salt), parse_commitment(dumps(commitment)))


# --- validation ---------------------------------------------------------------------------------


def params_with(partners: object) -> bytes:
    doc = expected("params.json")
    doc["partners"] = partners
    return dumps(doc)


@pytest.mark.parametrize(
    ("partners", "where", "rule"),
    [
        ([], "键 partners", "若填写，必须是非空列表"),
        ({"code": "ZJ"}, "键 partners", "若填写，必须是非空列表"),
        (["ZJ"], "键 partners[0]", "必须是 JSON 对象"),
        ([{"name": "住建局", "team_size": 1}], "键 partners[0].code", "缺少此键"),
        ([{"code": "zj", "name": "住建局", "team_size": 1}], "键 partners[0].code", "[0-9A-Z_-]"),
        (
            [
                {"code": "ZJ", "name": "住建局", "team_size": 1},
                {"code": "ZJ", "name": "水利局", "team_size": 2},
            ],
            "键 partners[1].code",
            "配合部门代码 ZJ 重复",
        ),
        ([{"code": "ZJ", "name": "", "team_size": 1}], "键 partners[0].name", "必须是非空字符串"),
        (
            [{"code": "ZJ", "name": "住建局", "team_size": 0}],
            "键 partners[0].team_size",
            "不小于 1",
        ),
        ([{"code": "ZJ", "name": "住建局", "team_size": 1.0}], "键 partners[0].team_size", "1.0"),
        ([{"code": "ZJ", "name": "住建局", "team_size": True}], "键 partners[0].team_size", "true"),
    ],
)
def test_bad_partners_in_params_are_named(partners: object, where: str, rule: str) -> None:
    with pytest.raises(BundleError) as caught:
        parse_bundle({**files(), "params.json": params_with(partners)}, COMMIT_INPUTS)
    assert (caught.value.file, caught.value.where) == ("params.json", where)
    assert rule in caught.value.message


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("ZJ1301820001|*|2|建筑施工|2|12", "senior 必须是 1 或 0"),
        ("ZJ1301820001||1|建筑施工|2|12", "region 不得为空"),
        ("ZJ1301820001|*|1|建筑施工|2|012", "cap 必须是 0 到"),
        ("ZJ1301820001|*|1|建筑施工|2", "字段数为 5"),
    ],
)
def test_a_bad_partner_roster_line_names_its_file_and_line(
    tmp_path: Path, line: str, rule: str
) -> None:
    folder = vector_copy(tmp_path / "lh", without=OUTPUTS)
    path = folder / "partner-ZJ.txt"
    rest = path.read_bytes().split(b"\n", 1)[1]
    path.write_bytes(line.encode() + b"\n" + rest)
    code, _out, err = run_cli("compute", folder)
    assert code == 2
    first = err.splitlines()[0]
    assert first.startswith("错误：partner-ZJ.txt 第 1 行：") and rule in first, err
    assert not (folder / "result.json").exists() and not (folder / "commitment.json").exists()


def test_compute_refuses_a_missing_partner_roster(tmp_path: Path) -> None:
    folder = vector_copy(tmp_path / "lh", without=(*OUTPUTS, "partner-SL.txt"))
    code, _out, err = run_cli("compute", folder)
    assert code == 2
    assert f"错误：partner-SL.txt：缺少此文件（{SL}的执法人员名录）" in err
    assert not (folder / "result.json").exists()


def test_a_partner_roster_params_does_not_name_is_refused(tmp_path: Path) -> None:
    """A file nobody committed to must not be silently ignored."""
    folder = vector_copy(tmp_path / "lh", without=OUTPUTS)
    shutil.copyfile(folder / "partner-ZJ.txt", folder / "partner-GA.txt")
    code, _out, err = run_cli("compute", folder)
    assert code == 2 and "partner-GA.txt：params.json 的 partners 中没有配合部门 GA" in err
    report = verify(files({"partner-GA.txt": b""}))
    assert "✗ partner-GA.txt：params.json 的 partners 中没有这个配合部门，文件多余" in checks(
        report
    )


def test_one_inspector_is_on_one_roster_only() -> None:
    """A 执法证号 on the bureau's roster and a partner's would let one person join a unit twice
    and carry two loads against two caps."""
    bureau = (PARTNERS / "roster.txt").read_bytes().split(b"\n")[0]
    sl = bureau + b"\n" + (PARTNERS / "partner-SL.txt").read_bytes()
    sl = b"".join(sorted(sl.splitlines(keepends=True), key=lambda line: line.split(b"|")[0]))
    with pytest.raises(BundleError) as caught:
        parse_bundle(files({"partner-SL.txt": sl}), DRAW_INPUTS)
    assert str(caught.value) == (
        "partner-SL.txt 第 1 行：id 130100010 已在 roster.txt 中（一名执法人员只能属于一个部门的名录）"
    )
    report = verify(files({"partner-SL.txt": sl}))
    assert any(t.startswith("✗ partner-SL.txt 第 1 行：id 130100010 已在") for t in checks(report))


def test_commitment_rejects_malformed_partner_roots() -> None:
    commitment = expected("commitment.json")
    commitment["partner_rosters"]["ZJ"] = "ABC"
    with pytest.raises(BundleError, match=r"partner_rosters\.ZJ：必须是 64 个小写十六进制数字"):
        parse_commitment(dumps(commitment))
    commitment["partner_rosters"] = {}
    with pytest.raises(BundleError, match="partner_rosters：若填写，必须是非空 JSON 对象"):
        parse_commitment(dumps(commitment))


# --- a draw without partners -------------------------------------------------------------------


def test_a_draw_without_partners_writes_no_partner_key() -> None:
    """The v1 vector: its commitment has exactly the seven keys of the specification and its
    assignments exactly unit, team and flags (its bytes are checked in test_draw_vector)."""
    bundle = parse_bundle(vector_files(), DRAW_INPUTS)
    assert bundle.params.partners == () and bundle.partner_rosters == {}
    assert bundle.salt is not None
    assert "partner_rosters" not in commit(bundle, bundle.salt).as_dict()
    result = compute(bundle)
    assert all(a.partners == () for a in result.assignments)
    assert {tuple(a.as_dict()) for a in result.assignments} == {("unit", "team", "flags")}
    texts = checks(verify(vector_files()))
    assert not any("配合部门" in t or "partner" in t for t in texts)


def test_partner_file_names_and_render_roster() -> None:
    """The application writes each partner's roster with render_roster under partner_file."""
    bundle = parse_bundle(files(), DRAW_INPUTS)
    for partner in bundle.params.partners:
        assert partner_file(partner.code) == partner.file == f"partner-{partner.code}.txt"
        roster = bundle.partner_rosters[partner.code]
        assert render_roster(reversed(roster.inspectors)) == (PARTNERS / partner.file).read_bytes()
    assert Partner(code="ZJ", name="藁城区住房和城乡建设局", team_size=1) in bundle.params.partners


def test_commit_then_compute_then_verify_a_joint_draw(tmp_path: Path) -> None:
    """The life of a joint draw with the CLI: the commitment names both partner roots before any
    randomness exists; compute and verify then agree with it."""
    folder = vector_copy(tmp_path / "lh", without=(*OUTPUTS, "salt.hex", "entropy.json"))
    code, out, err = run_cli("commit", folder)
    assert code == 0, err
    committed = json.loads((folder / "commitment.json").read_text(encoding="utf-8"))
    assert committed["partner_rosters"] == expected("commitment.json")["partner_rosters"]
    shutil.copyfile(PARTNERS / "entropy.json", folder / "entropy.json")
    assert run_cli("compute", folder)[0] == 0
    code, out, _err = run_cli("verify", folder)
    assert code == 0, out
    assert f"✓ {SL}人员匹配 assignments[].partners.SL 一致（6 项）" in out
