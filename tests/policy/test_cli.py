"""``shuangsuiji policy list|show|classify|quota``: pure, reads the register workbooks, no database.

Issue 4, CLI: “shuangsuiji policy quota --preset P --targets FILE [--events FILE] --inspectors
FILE --quarter 2026Q2 [--format json] prints {"preset", "quarter", "strata": [{"code", "name",
"population", "eligible", "quota", "method", "basis"}], "excluded": [{"id", "reason"}]}; a preset
value that must be set by the bureau (获嘉 SPECIAL) can be given with --set SPECIAL.ratio=0.2.
Bad register files get the same error table as the import.”
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from shuangsuiji.cli import main
from shuangsuiji.policy import Quarter, classify, load_preset, quotas
from shuangsuiji.policy.engine import EventRecord, TargetRecord
from shuangsuiji.policy.loader import Reference
from shuangsuiji.policy.schema import EVENT_KINDS, TARGET_FIELDS
from shuangsuiji_demo.registers import TARGET_HEADERS, build_demo_registers, write_registers
from tests.support.workbooks import uscc, xlsx

REPO = Path(__file__).resolve().parents[2]
PRESET_NAMES = ["baoding-2021", "gaocheng-2026", "huojia-2024", "jiangxian-2025", "zunhua-2024"]
#: Each preset's demo county in its plan year, drawn in the second quarter.
YEARS = {"zunhua-2024": 2024, "baoding-2021": 2021, "huojia-2024": 2024, "gaocheng-2026": 2026,
         "jiangxian-2025": 2025}  # fmt: skip
#: Every plan leaves the 信用风险 weights to the bureau (refused until set, as 获嘉's 特殊 ratio).
WEIGHTS = {"A": 1, "B": 1, "C": 2, "D": 4, "无": 1}
GRADING = ["--set", "grading.weights=A:1,B:1,C:2,D:4,无:1"]
SETTINGS = dict.fromkeys(YEARS, GRADING) | {"huojia-2024": ["--set", "SPECIAL.ratio=0.2", *GRADING]}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """Demo workbooks per preset (80 targets, 10 inspectors) and the rows they were written from."""
    made = {}
    for name in PRESET_NAMES:
        registers = build_demo_registers(preset=name, targets=80, inspectors=10, year=YEARS[name])
        paths = write_registers(registers, tmp_path_factory.mktemp(name))
        made[name] = (registers, {key: str(path) for key, path in paths.items()})
    return made


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def command(kind: str, name: str, paths: dict[str, str], *extra: str) -> list[str]:
    argv = ["policy", kind, "--preset", name, "--targets", paths["targets"], "--events", paths["events"],
            "--quarter", f"{YEARS[name]}Q2", *SETTINGS.get(name, []), *extra]  # fmt: skip
    if kind == "quota":
        argv += ["--inspectors", paths["inspectors"]]
    return argv


def without_special_ratio(argv: list[str]) -> list[str]:
    """The command without 获嘉's 特殊 ratio (its other settings kept)."""
    at = argv.index("SPECIAL.ratio=0.2")
    return argv[: at - 1] + argv[at + 1 :]


def expected_from_rows(name: str, registers) -> tuple[list, list]:
    """The engine's answer computed straight from the generated rows, without the workbooks."""
    preset = load_preset(name)
    quarter = Quarter(YEARS[name], 2)
    if name == "huojia-2024":
        preset = preset.with_value(
            "classes.SPECIAL.quota",
            {"ratio": "20%"},
            quarter.start,
            Reference(document="命令行设定", clause="--set SPECIAL.ratio=0.2"),
        )
    preset = preset.with_value(
        "grading",
        {"weights": WEIGHTS},
        quarter.start,
        Reference(document="命令行设定", clause=f"--set {GRADING[1]}"),
    )
    targets = []
    for row in registers.targets:
        cells = dict(zip(TARGET_HEADERS, row, strict=True))
        targets.append(
            TargetRecord(
                id=cells["项目代码"] or cells["统一社会信用代码"],
                credit_code=cells["统一社会信用代码"],
                name=cells["单位名称"],
                fields={h: cells[h] for h in TARGET_FIELDS},
            )
        )
    events = [EventRecord(code, kind, day, text) for code, kind, day, text in registers.events]
    inspectors = sum(1 for row in registers.inspectors if row[8] == "执法人员" and row[9] == "是")
    results = classify(preset, targets, events, quarter)
    return results, quotas(preset, results, quarter, inspectors=inspectors)


# ---- list and show ------------------------------------------------------------------------------


def test_list_names_the_five_presets(capsys):
    code, out, _ = run(capsys, "policy", "list")
    assert code == 0
    lines = out.splitlines()
    assert [line.split("\t")[0] for line in lines] == PRESET_NAMES
    assert "遵化市 2024 年“双随机、一公开”监管工作实施方案（唐山市生态环境局遵化市分局）" in out


def test_show_prints_every_value_with_its_clause(capsys):
    code, out, _ = run(capsys, "policy", "show", "zunhua-2024")
    assert code == 0
    preset = load_preset("zunhua-2024")
    assert out.startswith(f"{preset.title}\n出处：《{preset.document}》")
    defaults = 0
    for parameter in preset.parameters():
        for entry in parameter.entries:
            value = json.dumps(entry.value, ensure_ascii=False)
            assert f"{parameter.path}  自 {entry.since.isoformat()}：{value}" in out
            assert f"    出处：{entry.ref}" in out
            if entry.ref.quote:
                assert f"    原文：“{entry.ref.quote}”" in out
            defaults += entry.bureau_default
    # SPECIAL and KEY conditions (二、（三）), the 85% credit-risk period (二、（三）), the
    # inspection deadline (二、（五）) and the result publication limit (borrowed from 绛县 四、（七）)
    assert defaults == 5
    assert out.count("（方案未明确，默认值，局可调整）") == defaults
    assert 'classes.KEY.quota  自 2024-01-01：{"ratio": "25%"}' in out
    assert "原文：“每季度至少对本行政区域内 25%的重点监管对象进行抽查”" in out


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_show_every_preset(capsys, name):
    code, out, _ = run(capsys, "policy", "show", name)
    assert code == 0
    assert out.count("出处：") == 1 + sum(len(p.entries) for p in load_preset(name).parameters())


def test_show_unknown_preset(capsys):
    code, _, err = run(capsys, "policy", "show", "tangshan-2030")
    assert code == 1
    assert err.startswith("错误：未知的政策预设“tangshan-2030”，可用：baoding-2021、")


# ---- classify -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_classify_json_on_demo_workbooks(capsys, demo, name):
    registers, paths = demo[name]
    code, out, err = run(capsys, *command("classify", name, paths, "--format", "json"))
    assert code == 0, err
    payload = json.loads(out)
    assert set(payload) == {"preset", "quarter", "targets"}
    assert (payload["preset"], payload["quarter"]) == (name, f"{YEARS[name]}Q2")
    rows = payload["targets"]
    assert len(rows) == len(registers.targets)
    results, _ = expected_from_rows(name, registers)
    assert [(r["id"], r["class"], r["eligible"], r["reason"], r["method"]) for r in rows] == [
        (c.target.id, c.class_code, c.eligible, c.reason, c.method) for c in results
    ]
    for row in rows:
        assert set(row) == {
            "id",
            "name",
            "class",
            "class_name",
            "eligible",
            "reason",
            "method",
            "clauses",
        }
        if row["class"]:
            assert row["clauses"]["类别"].startswith("《")


def test_classify_text(capsys, demo):
    _, paths = demo["gaocheng-2026"]
    code, out, _ = run(capsys, *command("classify", "gaocheng-2026", paths))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "藁城区 2026 年“双随机、一公开”监管工作实施方案，2026 年第二季度"
    assert lines[2] == "对象\t名称\t类别\t可抽取\t检查方式\t原因\t依据"
    assert len(lines) == 3 + 80
    assert any("\t非现场检查\t" in line for line in lines[3:])


def test_classify_needs_no_bureau_setting(capsys, demo):
    """获嘉 附件：“特殊监管对象根据实际自行设定” only concerns the quota; classification runs without it."""
    _, paths = demo["huojia-2024"]
    argv = ["policy", "classify", "--preset", "huojia-2024", "--targets", paths["targets"],
            "--quarter", "2024Q2", "--format", "json"]  # fmt: skip
    code, out, _ = run(capsys, *argv)
    assert code == 0
    assert any(row["class"] == "SPECIAL" for row in json.loads(out)["targets"])


# ---- quota --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_quota_json_on_demo_workbooks(capsys, demo, name):
    registers, paths = demo[name]
    code, out, err = run(capsys, *command("quota", name, paths, "--format", "json"))
    assert code == 0, err
    payload = json.loads(out)
    assert {"preset", "quarter", "strata", "excluded"} <= set(payload)
    assert (payload["preset"], payload["quarter"]) == (name, f"{YEARS[name]}Q2")
    preset = load_preset(name)
    assert [s["code"] for s in payload["strata"]] == [rule.code for rule in preset.classes]
    results, strata = expected_from_rows(name, registers)
    for stratum, q in zip(payload["strata"], strata, strict=True):
        assert {"code", "name", "population", "eligible", "quota", "method", "basis"} <= set(
            stratum
        )
        assert (stratum["code"], stratum["name"]) == (q.code, q.name)
        assert (stratum["population"], stratum["eligible"], stratum["quota"]) == (
            q.population,
            q.eligible,
            q.quota,
        )
        assert stratum["basis"] == q.basis
        assert stratum["method"] == ("全覆盖" if q.kind == "coverage" else "随机抽取")
        assert stratum["quota"] <= stratum["eligible"] <= stratum["population"]
    assert payload["excluded"] == [
        {"id": c.target.id, "reason": c.reason} for c in results if not c.eligible
    ]
    assert all(item["reason"] for item in payload["excluded"])


def test_quota_text_explains_each_number(capsys, demo):
    _, paths = demo["zunhua-2024"]
    code, out, _ = run(capsys, *command("quota", "zunhua-2024", paths))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "遵化市 2024 年“双随机、一公开”监管工作实施方案，2024 年第二季度"
    payload_code, json_out, _ = run(
        capsys, *command("quota", "zunhua-2024", paths, "--format", "json")
    )
    assert payload_code == 0
    for stratum in json.loads(json_out)["strata"]:
        heading = (f"{stratum['name']}（{stratum['code']}）：总数 {stratum['population']}，"
                   f"可抽 {stratum['eligible']}，应抽 {stratum['quota']}")  # fmt: skip
        assert any(line.startswith(heading) for line in lines), heading
        assert f"    {stratum['basis']}" in lines
    assert "（全覆盖，非现场检查）" in out
    assert "每季度非现场检查全覆盖（二、（五））" in out


def test_huojia_special_ratio_missing_is_a_chinese_error_naming_the_clause(capsys, demo):
    _, paths = demo["huojia-2024"]
    argv = without_special_ratio(command("quota", "huojia-2024", paths))
    code, out, err = run(capsys, *argv)
    assert code == 1
    assert out == ""
    assert err.startswith("错误：huojia-2024.yaml：classes.SPECIAL.quota：")
    assert "方案规定特殊监管对象的抽查比例“根据实际自行设定”（附件）" in err
    assert "--set SPECIAL.ratio=20%" in err


@pytest.mark.parametrize("setting", ["SPECIAL.ratio=0.2", "SPECIAL.ratio=20%"])
def test_huojia_special_ratio_from_the_command_line(capsys, demo, setting):
    registers, paths = demo["huojia-2024"]
    argv = without_special_ratio(command("quota", "huojia-2024", paths, "--format", "json"))
    argv += ["--set", setting]
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    special = json.loads(out)["strata"][0]
    assert special["code"] == "SPECIAL"
    _, strata = expected_from_rows("huojia-2024", registers)
    assert special["quota"] == strata[0].quota
    assert special["basis"].startswith(f"20% × {special['population']} 家 = ")
    assert f"家（--set {setting}）；按信用等级加权抽取" in special["basis"]
    assert special["clause"] == f"《命令行设定》--set {setting}"


@pytest.mark.parametrize(
    ("setting", "words"),
    [
        ("SPECIAL=0.2", "--set 的格式应为 类别.ratio=20%"),
        ("SPECIAL.count=3", "--set 目前只能设定 ratio"),
        ("SPECIAL.ratio=多", "--set 的比例无法识别"),
        ("SPECIAL.ratio=1.5", "比例应在 0% 到 100% 之间"),
        ("VIP.ratio=0.2", "没有参数 classes.VIP.quota"),
    ],
)
def test_bad_set_is_refused(capsys, demo, setting, words):
    _, paths = demo["huojia-2024"]
    argv = [a for a in command("quota", "huojia-2024", paths) if a not in SETTINGS["huojia-2024"]]
    code, _, err = run(capsys, *argv, "--set", setting)
    assert code == 1
    assert err.startswith("错误：")
    assert words in err


def test_baoding_needs_the_inspector_register(capsys, demo):
    """保定 三、（一）：“按照不低于 1: 5 的比例（系统中双随机执法人员数量：被抽查单位数量）”."""
    _, paths = demo["baoding-2021"]
    argv = [
        a
        for a in command("quota", "baoding-2021", paths)
        if a not in ("--inspectors", paths["inspectors"])
    ]
    code, _, err = run(capsys, *argv)
    assert code == 1
    assert "按人均家次计算需要执法人员数（--inspectors 文件）" in err


def test_baoding_counts_on_duty_enforcement_officers_only(capsys, demo):
    registers, paths = demo["baoding-2021"]
    code, out, _ = run(capsys, *command("quota", "baoding-2021", paths, "--format", "json"))
    assert code == 0
    general = json.loads(out)["strata"][2]
    officers = sum(1 for row in registers.inspectors if row[8] == "执法人员" and row[9] == "是")
    assert officers < len(registers.inspectors)  # the demo has auxiliaries and experts too
    assert general["basis"].startswith(f"执法人员 {officers} 人 × 5 家 = 全年 {5 * officers} 家")


# ---- bad input ----------------------------------------------------------------------------------


def test_bad_register_row_prints_the_import_error_table(capsys, tmp_path):
    path = tmp_path / "targets.xlsx"
    path.write_bytes(
        xlsx(
            [
                ["统一社会信用代码", "单位名称", "排污许可管理类别"],
                [uscc(1), "甲", "重点管理"],
                ["123", "乙", "重点管理"],
                [uscc(3), "丙", "特别管理"],
            ]
        )
    )
    argv = [
        "policy",
        "quota",
        "--preset",
        "jiangxian-2025",
        "--targets",
        str(path),
        "--quarter",
        "2025Q2",
    ]
    code, out, err = run(capsys, *argv)
    assert code == 1
    assert out == ""
    lines = err.splitlines()
    assert lines[0] == "行号\t列\t值\t问题"
    assert lines[1].startswith("3\t统一社会信用代码\t123\t统一社会信用代码无效")
    assert lines[2].startswith("4\t排污许可管理类别\t特别管理\t“特别管理”不是有效值")
    assert lines[3] == "错误：targets.xlsx 有 2 处问题，请先改正"


def test_bad_events_file_prints_the_error_table(capsys, demo, tmp_path):
    _, paths = demo["jiangxian-2025"]
    events = tmp_path / "events.xlsx"
    events.write_bytes(
        xlsx([["统一社会信用代码", "记录类型", "日期"], [uscc(1), "约谈", "2025-03-01"]])
    )
    argv = ["policy", "classify", "--preset", "jiangxian-2025", "--targets", paths["targets"],
            "--events", str(events), "--quarter", "2025Q2"]  # fmt: skip
    code, _, err = run(capsys, *argv)
    assert code == 1
    assert err.splitlines()[0] == "行号\t列\t值\t问题"
    assert "2\t记录类型\t约谈\t" in err


def test_missing_file_and_bad_quarter(capsys, demo, tmp_path):
    _, paths = demo["zunhua-2024"]
    code, _, err = run(capsys, "policy", "classify", "--preset", "zunhua-2024", "--targets",
                       str(tmp_path / "none.xlsx"), "--quarter", "2024Q2")  # fmt: skip
    assert code == 1
    assert "找不到文件" in err
    code, _, err = run(capsys, "policy", "classify", "--preset", "zunhua-2024", "--targets",
                       paths["targets"], "--quarter", "2024-2")  # fmt: skip
    assert code == 1
    assert "季度格式应为 2026Q2，实为“2024-2”" in err


def test_quarter_before_the_plan_is_not_in_force(capsys, demo):
    _, paths = demo["jiangxian-2025"]
    code, _, err = run(capsys, "policy", "quota", "--preset", "jiangxian-2025", "--targets",
                       paths["targets"], "--quarter", "2024Q4")  # fmt: skip
    assert code == 1
    assert err.startswith("错误：jiangxian-2025.yaml：")
    assert "2024-10-01 没有生效的值（最早自 2025-01-01 起）" in err


# ---- purity -------------------------------------------------------------------------------------


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
        check=False,
    )


def test_policy_quota_never_sets_up_django(demo):
    _, paths = demo["gaocheng-2026"]
    argv = command("quota", "gaocheng-2026", paths, "--format", "json")
    done = _python(
        "import sys\n"
        "from shuangsuiji.cli import main\n"
        f"code = main({argv!r})\n"
        "from django.apps import apps\n"
        "print('EXIT', code, 'READY', apps.ready)\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "EXIT 0 READY False"


def test_importing_the_policy_package_imports_no_django():
    done = _python(
        "import sys\n"
        "import shuangsuiji.policy\n"
        "import shuangsuiji.policy.engine, shuangsuiji.policy.loader, shuangsuiji.policy.schema\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# ---- the engine reads the register's words ------------------------------------------------------


def test_condition_fields_are_the_register_template_vocabulary():
    """schema.TARGET_FIELDS says it is “kept equal to the register's vocabulary by a test”: this one."""
    from shuangsuiji.directory.registers import TARGETS
    from shuangsuiji.directory.vocabulary import EventKind

    by_header = {column.header: column for column in TARGETS.columns}
    for header, words in TARGET_FIELDS.items():
        assert header in by_header, header
        if words is not None:
            assert set(words) == set(by_header[header].options), header
    assert set(EVENT_KINDS) == set(EventKind.labels)
