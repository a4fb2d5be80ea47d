"""The demo register workbooks (shuangsuiji_demo.registers), read back as a bureau's Excel.

JX-6.2 (the fields of both registers), JX-4.3 (five kinds of targets), JX-4.4 (inspectors marked by
working years, speciality, department; auxiliary staff), JX-4.2 (the item list's columns).
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from shuangsuiji.directory.codes import id_problem, uscc_problem
from shuangsuiji_demo.registers import (
    AIR_GRADES,
    CREDIT_GRADES,
    EVENT_HEADERS,
    EVENT_TYPES,
    INSPECTOR_CATEGORIES,
    INSPECTOR_HEADERS,
    ITEM_HEADERS,
    OPERATING_STATES,
    PERMIT_CLASSES,
    PRESETS,
    TAGS,
    TARGET_HEADERS,
    TARGET_TYPES,
    build_demo_registers,
    county_for,
    register,
    write_demo_workbooks,
)

YEAR = 2026
COUNTIES = {
    "zunhua-2024": ("130281", "遵化市", "唐山市生态环境局遵化市分局", {"130281"}),
    "baoding-2021": (
        "130600",
        "保定市",
        "保定市生态环境局",
        {"130602", "130606", "130607", "130608", "130609"},
    ),
    "huojia-2024": ("410724", "获嘉县", "新乡市生态环境局获嘉分局", {"410724"}),
    "gaocheng-2026": ("130109", "藁城区", "石家庄市生态环境局藁城区分局", {"130109"}),
    "jiangxian-2025": ("140826", "绛县", "运城市生态环境局绛县分局", {"140826"}),
}
PROJECT_CODE = re.compile(r"^(\d{2})(\d{2})-(\d{6})-\d{2}-\d{2}-\d{6}$")


def read(path: Path) -> list[list]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()


def records(path: Path, headers) -> list[dict]:
    rows = read(path)
    assert tuple(rows[0]) == tuple(headers)
    return [dict(zip(headers, row, strict=True)) for row in rows[1:]]


@pytest.fixture(scope="module", params=sorted(COUNTIES))
def workbooks(request, tmp_path_factory):
    out = tmp_path_factory.mktemp(request.param)
    paths = write_demo_workbooks(out, preset=request.param, targets=500, inspectors=50, seed=7)
    return request.param, paths


def test_files_and_exact_headers(workbooks):
    _, paths = workbooks
    assert set(paths) == {"targets", "events", "inspectors", "items"}
    for key, headers in (
        ("targets", TARGET_HEADERS),
        ("events", EVENT_HEADERS),
        ("inspectors", INSPECTOR_HEADERS),
        ("items", ITEM_HEADERS),
    ):
        assert paths[key].name == f"{key}.xlsx"
        assert tuple(read(paths[key])[0]) == headers


def test_targets(workbooks):
    preset, paths = workbooks
    _, county_name, _, divisions = COUNTIES[preset]
    targets = records(paths["targets"], TARGET_HEADERS)
    assert len(targets) == 500
    county = county_for(preset)
    squads = set(county.squad_names)
    assert 2 <= len(squads) <= 4

    keys = set()
    names_by_code = defaultdict(set)
    codes_by_name = defaultdict(set)
    for t in targets:
        credit = t["统一社会信用代码"]
        assert isinstance(credit, str)
        assert uscc_problem(credit) is None, credit
        assert credit[2:8] == t["行政区划代码"]
        assert t["行政区划代码"] in divisions
        keys.add((credit, t["项目代码"]))
        names_by_code[credit].add(t["单位名称"])
        codes_by_name[t["单位名称"]].add(credit)

        assert t["对象类型"] in TARGET_TYPES
        project = PROJECT_CODE.match(t["项目代码"])
        assert bool(project) == (t["对象类型"] == "在建工程建设项目"), t
        if project:
            assert project.group(3) == t["行政区划代码"]
            assert 1 <= int(project.group(2)) <= 12
            assert t["排污许可管理类别"] == "无"
        else:
            assert t["项目代码"] == ""
        assert county_name in t["单位地址"]
        assert any(t["单位地址"].startswith(area.prefix) for area in county.areas)
        assert t["单位名称"] and t["法定代表人"]
        assert 2 <= len(t["法定代表人"]) <= 3
        assert t["执法片区"] in squads
        assert t["行业类别"]
        assert t["排污许可管理类别"] in PERMIT_CLASSES
        assert t["大气绩效评级"] in AIR_GRADES
        assert t["信用等级"] in CREDIT_GRADES
        assert t["经营状态"] in OPERATING_STATES
        for flag in ("重点排污单位", "正面清单", "具备非现场监管条件", "其他高风险"):
            assert t[flag] in ("是", "否")
        tags = t["要素标签"].split("、")
        assert 1 <= len(tags) <= 3
        assert set(tags) <= set(TAGS)
        assert len(set(tags)) == len(tags)

    assert len(keys) == len(targets), "(统一社会信用代码, 项目代码) must be unique"
    assert all(len(names) == 1 for names in names_by_code.values())
    assert all(len(codes) == 1 for codes in codes_by_name.values())

    kinds = Counter(t["对象类型"] for t in targets)
    assert 1 <= kinds["城镇污水处理厂"] <= 3
    assert 0.80 <= kinds["排污单位"] / 500 <= 0.90
    assert 0.06 <= kinds["在建工程建设项目"] / 500 <= 0.10
    assert kinds["其他"] > 0
    # An enterprise has one or two projects.
    projects = Counter(t["统一社会信用代码"] for t in targets if t["项目代码"])
    assert set(projects.values()) <= {1, 2}
    assert 2 in projects.values()

    permits = Counter(t["排污许可管理类别"] for t in targets)
    assert 0.06 <= permits["重点管理"] / 500 <= 0.20
    assert 0.20 <= permits["简化管理"] / 500 <= 0.40
    assert 0.38 <= permits["登记管理"] / 500 <= 0.60
    assert Counter(t["经营状态"] for t in targets)["存续"] / 500 >= 0.85
    assert len({t["执法片区"] for t in targets}) == len(squads)
    plants = [t for t in targets if t["对象类型"] == "城镇污水处理厂"]
    assert all(t["要素标签"] == "水" and "污水处理" in t["单位名称"] for t in plants)


def test_industry_tags_are_consistent(workbooks):
    _, paths = workbooks
    for t in records(paths["targets"], TARGET_HEADERS):
        tags = set(t["要素标签"].split("、"))
        if t["对象类型"] == "在建工程建设项目":
            assert tags <= {"大气", "噪声"}
        elif t["行业类别"] == "电镀":
            assert tags <= {"水", "危废", "土壤"}
        elif t["行业类别"] == "水泥制造":
            assert tags <= {"大气", "噪声"}


def test_events_reference_targets(workbooks):
    preset, paths = workbooks
    targets = records(paths["targets"], TARGET_HEADERS)
    events = records(paths["events"], EVENT_HEADERS)
    codes = {t["统一社会信用代码"] for t in targets}
    assert 40 <= len(events) <= 60
    short = county_for(preset).short
    numbers = defaultdict(list)
    for e in events:
        assert e["统一社会信用代码"] in codes
        assert e["记录类型"] in EVENT_TYPES
        day = e["日期"]
        assert isinstance(day, dt.date), "dates must be real Excel dates, not text"
        assert dt.date(YEAR - 1, 10, 1) <= day <= dt.date(YEAR, 12, 31)
        if e["记录类型"] == "行政处罚决定":
            match = re.fullmatch(rf"{short}环罚〔(\d{{4}})〕(\d+)号", e["文号或说明"])
            assert match, e
            assert int(match.group(1)) == day.year
            numbers[day.year].append(int(match.group(2)))
        else:
            assert len(e["文号或说明"]) >= 8
    for year_numbers in numbers.values():
        assert year_numbers == list(range(1, len(year_numbers) + 1))


def test_inspectors(workbooks):
    preset, paths = workbooks
    code, _, _, divisions = COUNTIES[preset]
    inspectors = records(paths["inspectors"], INSPECTOR_HEADERS)
    assert len(inspectors) == 50
    squads = set(county_for(preset).squad_names)
    ids = [i["身份证号"] for i in inspectors]
    certificates = [i["执法证号"] for i in inspectors]
    assert len(set(ids)) == len(ids)
    assert len(set(certificates)) == len(certificates)
    for i in inspectors:
        assert id_problem(i["身份证号"]) is None, i["身份证号"]
        assert i["身份证号"][:6] in divisions
        birth_year = int(i["身份证号"][6:10])
        assert YEAR - 61 <= birth_year <= YEAR - 28
        assert re.fullmatch(r"[0-9A-Za-z_-]+", i["执法证号"])
        assert code in i["执法证号"]
        assert 2 <= len(i["姓名"]) <= 3
        assert i["所属部门"] in ("生态环境综合执法大队", "环境监测站")
        assert i["执法机构"] in squads
        assert i["人员类别"] in INSPECTOR_CATEGORIES
        if i["人员类别"] == "执法人员":
            assert i["执法片区"] == i["执法机构"]
            assert re.fullmatch(rf"{code}\d{{8}}", i["执法证号"])
        else:
            assert i["执法片区"] == ""
        tags = i["业务专长"].split("、")
        assert 1 <= len(tags) <= 3 and set(tags) <= set(TAGS)
        joined = i["参加执法工作年份"]
        assert joined == int(joined)
        assert max(YEAR - 25, birth_year + 22) <= joined <= YEAR
        assert i["在编在岗"] in ("是", "否")


def test_items(workbooks):
    preset, paths = workbooks
    bureau = COUNTIES[preset][2]
    items = records(paths["items"], ITEM_HEADERS)
    assert 10 <= len(items) <= 14
    assert [int(i["序号"]) for i in items] == list(range(1, len(items) + 1))
    scopes = {i["检查对象"] for i in items}
    assert {"排污单位", "在建工程建设项目", "城镇污水处理厂"} <= scopes
    for i in items:
        assert i["检查主体"] == bureau
        assert i["事项类别"] in ("一般检查事项", "重点检查事项")
        methods = i["检查方式"].split("、")
        assert set(methods) <= {"现场检查", "书面检查", "非现场检查"}
        basis = i["检查依据"].split("\n")
        assert all(re.fullmatch(r"《[^》]+》第[一二三四五六七八九十百]+条", line) for line in basis)
        assert set(i["要素标签"].split("、")) <= set(TAGS)
        assert i["抽查事项"].endswith("的检查")


def test_items_are_the_same_for_every_county(tmp_path):
    lists = []
    for preset in PRESETS:
        paths = write_demo_workbooks(
            tmp_path / preset, preset=preset, targets=5, inspectors=2, seed=0
        )
        lists.append([row[:6] + row[7:] for row in read(paths["items"])])
    assert all(items == lists[0] for items in lists)


def test_same_seed_same_cells(tmp_path):
    def cells(folder, seed):
        paths = write_demo_workbooks(
            tmp_path / folder, preset="zunhua-2024", targets=300, inspectors=30, seed=seed
        )
        return {key: read(path) for key, path in paths.items()}

    first = cells("a", 11)
    assert cells("b", 11) == first
    other = cells("c", 12)
    assert other["targets"] != first["targets"]
    assert other["inspectors"] != first["inspectors"]


def test_hundred_inspectors_are_a_mix():
    inspectors = build_demo_registers(
        preset="jiangxian-2025", targets=10, inspectors=100, seed=3
    ).inspectors
    header = {name: index for index, name in enumerate(INSPECTOR_HEADERS)}
    years = [row[header["参加执法工作年份"]] for row in inspectors]
    seniors = sum(year <= YEAR - 3 for year in years)
    assert 50 <= seniors <= 75, "about 60% senior, the rest junior (以老带新)"
    categories = Counter(row[header["人员类别"]] for row in inspectors)
    assert categories == {"执法人员": 85, "辅助人员": 10, "专家": 5}
    tags = Counter(tag for row in inspectors for tag in row[header["业务专长"]].split("、"))
    assert len(tags) >= 5
    assert {len(row[header["业务专长"]].split("、")) for row in inspectors} == {1, 2, 3}
    departments = Counter(row[header["所属部门"]] for row in inspectors)
    assert departments["生态环境综合执法大队"] > departments["环境监测站"] > 0
    assert sum(row[header["在编在岗"]] == "是" for row in inspectors) >= 85


def test_codes_are_text_cells(tmp_path):
    paths = write_demo_workbooks(
        tmp_path, preset="gaocheng-2026", targets=50, inspectors=10, seed=1
    )
    for row in read(paths["targets"])[1:]:
        assert isinstance(row[0], str) and isinstance(row[6], str)
    for row in read(paths["inspectors"])[1:]:
        assert isinstance(row[1], str) and isinstance(row[2], str)


def test_unknown_preset_lists_the_valid_ones(tmp_path):
    with pytest.raises(ValueError) as error:
        write_demo_workbooks(tmp_path, preset="nowhere-2030", targets=5, inspectors=2)
    message = str(error.value)
    assert "nowhere-2030" in message
    for preset in COUNTIES:
        assert preset in message
    assert not list(tmp_path.iterdir())


def test_presets_are_exactly_the_five_counties():
    assert set(PRESETS) == set(COUNTIES)
    for preset, (code, name, bureau, _) in COUNTIES.items():
        county = county_for(preset)
        assert (county.code, county.name, county.bureau) == (code, name, bureau)


def test_tiny_and_empty_registers(tmp_path):
    registers = build_demo_registers(preset="huojia-2024", targets=1, inspectors=1)
    assert len(registers.targets) == 1 and len(registers.inspectors) == 1
    assert registers.targets[0][2] == "城镇污水处理厂"
    registers = build_demo_registers(preset="huojia-2024", targets=0, inspectors=0)
    assert registers.targets == [] and registers.events == [] and registers.inspectors == []
    paths = write_demo_workbooks(tmp_path, preset="huojia-2024", targets=0, inspectors=0)
    assert read(paths["targets"]) == [list(TARGET_HEADERS)]
    with pytest.raises(ValueError, match="不能为负数"):
        build_demo_registers(preset="huojia-2024", targets=-1, inspectors=0)


def test_command(tmp_path, capsys):
    parser = argparse.ArgumentParser(prog="shuangsuiji")
    register(parser.add_subparsers())
    args = parser.parse_args(
        ["data", "--preset", "zunhua-2024", "--targets", "40", "--inspectors", "6",
         "--out", str(tmp_path / "out"), "--seed", "2", "--year", "2025"]
    )  # fmt: skip
    assert args.func(args) == 0
    output = capsys.readouterr().out
    assert "遵化市" in output
    assert "检查对象名录库：40 条" in output
    assert "执法检查人员名录库：6 人" in output
    for name in ("targets.xlsx", "events.xlsx", "inspectors.xlsx", "items.xlsx"):
        assert (tmp_path / "out" / name).exists()
        assert name in output
    events = records(tmp_path / "out" / "events.xlsx", EVENT_HEADERS)
    assert all(dt.date(2024, 10, 1) <= e["日期"] <= dt.date(2025, 12, 31) for e in events)


def test_command_defaults_and_errors(tmp_path, capsys):
    parser = argparse.ArgumentParser(prog="shuangsuiji")
    register(parser.add_subparsers())
    args = parser.parse_args(["data", "--preset", "baoding-2021", "--out", str(tmp_path)])
    assert (args.targets, args.inspectors, args.seed, args.year) == (300, 40, 0, 2026)
    with pytest.raises(SystemExit):
        parser.parse_args(["data", "--preset", "nowhere", "--out", str(tmp_path)])
    with pytest.raises(SystemExit):
        parser.parse_args(
            ["data", "--preset", "baoding-2021", "--out", str(tmp_path), "--targets", "-3"]
        )
    assert "数量不能为负数" in capsys.readouterr().err
