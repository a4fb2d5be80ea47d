"""``shuangsuiji policy quota|classify --inspections 检查档案.xlsx``: the year's random draws from
the 检查档案 workbook the platform exports (issue 17, point 1).

绛县 四、（五） (JX-4.5.c): “原则上，在同一年度内对同一污染源的抽查次数不超过2次，特殊监管对象不受
该条款约束”; 四、（五）1–2 (JX-4.5.1b, JX-4.5.2b): 重点排污单位“全年抽查4次，抽查比例为100%”,
一般排污单位“全年抽查比例为抽查对象总数的20%” — a unit drawn at random this year is not drawn
again. Counted: rows of the quarter's year, 性质 随机抽查, 状态 neither 已替补 nor 已撤销 (drawn,
inspected or not); 定向 and 全覆盖 checks are no 抽查.

The archive workbooks are written by the platform's own export (``archive_sheet``, ``to_xlsx``)
from unsaved ``Inspection`` rows, title and subtitle rows included.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from shuangsuiji.accounts.models import Organisation
from shuangsuiji.cli import inspections_workbook, main
from shuangsuiji.directory.models import Target
from shuangsuiji.inspections.models import Inspection
from shuangsuiji.reports.documents import ARCHIVE_HEADERS, Cell, archive_row, archive_sheet
from shuangsuiji.reports.exports import to_xlsx
from tests.support.workbooks import uscc, xlsx

REPO = Path(__file__).resolve().parents[2]
RANDOM, COVERAGE, TARGETED = (
    Inspection.Kind.RANDOM,
    Inspection.Kind.COVERAGE,
    Inspection.Kind.TARGETED,
)
S = Inspection.Status


def code(serial: int) -> str:
    return uscc(serial, division="140826")  # 绛县


#: The register: 5 重点排污单位 (K1–K5) and 6 一般排污单位 (G1–G6).
K1, K2, K3, K4, K5 = (code(n) for n in range(1, 6))
G1, G2, G3, G4, G5, G6 = (code(n) for n in range(11, 17))
#: Drawn this year but not in the register.
STRANGER, STRANGER_TARGETED = code(90), code(91)


def inspection(draw_id: str, kind: str, status: str, year: int = 2025) -> Inspection:
    return Inspection(
        organisation=Organisation(name="运城市生态环境局绛县分局"),
        target=Target(credit_code=draw_id, name=f"单位{draw_id[-4:]}"),
        year=year,
        kind=kind,
        status=status,
    )


#: (a)–(f) of the issue, and a unit drawn twice for the annual cap.
INSPECTIONS = [
    inspection(K1, RANDOM, S.DONE),  # (a) 一季度抽中，已检查
    inspection(K2, RANDOM, S.ASSIGNED),  # (d) 抽中，尚未检查
    *(inspection(K3, TARGETED, S.DONE) for _ in range(3)),  # (b) 三次定向检查
    inspection(K4, RANDOM, S.SUBSTITUTED),  # (e) 被替补换下
    inspection(G1, RANDOM, S.DONE, year=2024),  # (c) 上年度抽中
    inspection(G2, COVERAGE, S.DONE),  # (f) 全覆盖检查
    inspection(G3, RANDOM, S.CANCELLED),  # 抽取作废，已撤销
    inspection(G4, RANDOM, S.DONE),
    inspection(G5, RANDOM, S.DONE),  # 一季度、二季度各抽中一次
    inspection(G5, RANDOM, S.DONE),
    inspection(STRANGER, RANDOM, S.DONE),
    inspection(STRANGER_TARGETED, TARGETED, S.DONE),
]


def write_archive(path: Path, rows: list[list], headers=ARCHIVE_HEADERS) -> str:
    sheet = archive_sheet([], "单位：运城市生态环境局绛县分局  年度：全部", "检查档案")
    sheet = dataclasses.replace(sheet, header=[[Cell(h) for h in headers]], rows=rows)
    path.write_bytes(to_xlsx(sheet))
    return str(path)


@pytest.fixture
def files(tmp_path) -> dict[str, str]:
    targets = tmp_path / "targets.xlsx"
    register = [["统一社会信用代码", "单位名称", "重点排污单位"]]
    register += [[c, f"重点{n}", "是"] for n, c in enumerate((K1, K2, K3, K4, K5), start=1)]
    register += [[c, f"一般{n}", "否"] for n, c in enumerate((G1, G2, G3, G4, G5, G6), start=1)]
    targets.write_bytes(xlsx(register))
    rows = [archive_row(i) for i in INSPECTIONS]
    return {"targets": str(targets), "inspections": write_archive(tmp_path / "检查档案.xlsx", rows)}


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def jiangxian(kind: str, files: dict[str, str], *extra: str) -> list[str]:
    return ["policy", kind, "--preset", "jiangxian-2025", "--targets", files["targets"],
            "--quarter", "2025Q3", *extra]  # fmt: skip


def strata(out: str) -> dict[str, tuple[int, int, int]]:
    payload = json.loads(out)
    return {s["code"]: (s["population"], s["eligible"], s["quota"]) for s in payload["strata"]}


# ---- counting ----------------------------------------------------------------------------------


def test_without_the_archive_every_unit_is_eligible(capsys, files):
    code, out, err = run(capsys, *jiangxian("quota", files, "--format", "json"))
    assert code == 0, err
    # 25% × 5 = 1.25 → 2; 5% × 6 = 0.3 → 1
    assert strata(out)["KEY"] == (5, 5, 2)
    assert strata(out)["GENERAL"] == (6, 6, 1)
    assert json.loads(out)["excluded"] == []
    assert "inspections" not in json.loads(out)


def test_units_drawn_at_random_this_year_are_not_drawn_again(capsys, files):
    """绛县 四、（五）1–2: K1 (a) and K2 (d) drawn this year, inspected or not, are out; K3 (b, only
    定向), K4 (e, substituted away), G1 (c, drawn in 2024), G2 (f, 全覆盖) and G3 (已撤销) stay."""
    argv = jiangxian("quota", files, "--inspections", files["inspections"], "--format", "json")
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    payload = json.loads(out)
    # KEY: 5 in the class, K1 and K2 out → 3 eligible; 25% × 5 = 1.25 → 2, and 2 ≤ 3.
    # GENERAL: 6 in the class, G4 and G5 out → 4 eligible; 5% × 6 = 0.3 → 1.
    assert strata(out) == {
        "SPECIAL": (0, 0, 0),
        "JOINT": (0, 0, 0),
        "CONSTRUCTION": (0, 0, 0),
        "KEY": (5, 3, 2),
        "GENERAL": (6, 4, 1),
    }
    assert payload["excluded"] == [
        {"id": K1, "reason": "本年度已被随机抽中"},
        {"id": K2, "reason": "本年度已被随机抽中"},
        {"id": G4, "reason": "本年度已被随机抽中"},
        {"id": G5, "reason": "本年度已被随机抽中"},
    ]
    # K1, K2, G4 once and G5 twice; the stranger's draw is reported, not counted
    assert payload["inspections"] == {
        "file": "检查档案.xlsx",
        "year": 2025,
        "counted": 5,
        "targets": 4,
        "not_in_register": 1,
    }


def test_quota_text_says_what_the_archive_held(capsys, files):
    argv = jiangxian("quota", files, "--inspections", files["inspections"])
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    lines = out.splitlines()
    assert "重点排污单位（KEY）：总数 5，可抽 3，应抽 2（随机抽取，现场检查）" in lines
    assert "    25% × 5 家 = 1.25，向上取整 2 家（四、（五）2）" in lines
    assert "一般排污单位（GENERAL）：总数 6，可抽 4，应抽 1（随机抽取，现场检查）" in lines
    assert "不参与抽取 4 家：" in lines
    assert f"    {K2}\t本年度已被随机抽中" in lines
    assert lines[-3:] == [
        "",
        "检查档案 检查档案.xlsx：2025 年随机抽查（不含已替补、已撤销）计入 5 条，涉及 4 家",
        "检查档案中 1 条随机抽查记录的对象不在名录中，未计入",
    ]


def test_classify_names_the_clause_of_each_exclusion(capsys, files):
    argv = jiangxian("classify", files, "--inspections", files["inspections"], "--format", "json")
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    rows = {row["id"]: row for row in json.loads(out)["targets"]}
    eligible = {i for i, row in rows.items() if row["eligible"]}
    assert eligible == {K3, K4, K5, G1, G2, G3, G6}
    assert "》四、（五）2" in rows[K1]["clauses"]["排除"]
    assert "》四、（五）1" in rows[G4]["clauses"]["排除"]
    assert json.loads(out)["inspections"]["not_in_register"] == 1


def test_the_annual_cap_alone_when_no_repeat_is_switched_off(capsys, files):
    """四、（五）“同一年度内对同一污染源的抽查次数不超过2次” without the no-repeat rule: only G5,
    drawn twice, is out; K1, K2 and G4, drawn once, are drawn again."""
    argv = jiangxian("quota", files, "--inspections", files["inspections"], "--format", "json",
                     "--set", "KEY.no_repeat=false", "--set", "GENERAL.no_repeat=false")  # fmt: skip
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    assert strata(out)["KEY"] == (5, 5, 2)
    # 6 in the class, G5 out → 5; 5% × 6 = 0.3 → 1
    assert strata(out)["GENERAL"] == (6, 5, 1)
    assert json.loads(out)["excluded"] == [{"id": G5, "reason": "年度已随机抽查2次"}]


def test_no_repeat_setting_must_be_true_or_false(capsys, files):
    code, out, err = run(capsys, *jiangxian("quota", files, "--set", "KEY.no_repeat=也许"))
    assert (code, out) == (1, "")
    assert err == "错误：--set KEY.no_repeat 应为 true 或 false，实为“也许”\n"


def test_no_note_when_every_drawn_unit_is_in_the_register(capsys, files, tmp_path):
    path = write_archive(tmp_path / "a.xlsx", [archive_row(inspection(K1, RANDOM, S.DONE))])
    code, out, _ = run(capsys, *jiangxian("quota", files, "--inspections", path))
    assert code == 0
    assert (
        out.splitlines()[-1]
        == "检查档案 a.xlsx：2025 年随机抽查（不含已替补、已撤销）计入 1 条，涉及 1 家"
    )
    assert "不在名录中" not in out


# ---- bad input: nothing is computed ------------------------------------------------------------


def refused(capsys, files, path: str) -> list[str]:
    code, out, err = run(capsys, *jiangxian("quota", files, "--inspections", path))
    assert (code, out) == (1, "")
    return err.splitlines()


def test_missing_column_names_the_file_the_header_row_and_the_column(capsys, files, tmp_path):
    headers = [h for h in ARCHIVE_HEADERS if h != "性质"]
    rows = [[v for h, v in zip(ARCHIVE_HEADERS, archive_row(i), strict=True) if h != "性质"]
            for i in INSPECTIONS]  # fmt: skip
    path = write_archive(tmp_path / "缺列.xlsx", rows, headers=headers)
    # title and subtitle above: the header is row 3
    assert refused(capsys, files, path) == [
        "错误：缺列.xlsx 第 3 行：缺少必填列“性质”（--inspections 应为平台导出的检查档案）"
    ]


def test_year_in_chinese_numerals_names_the_row_and_the_column(capsys, files, tmp_path):
    rows = [archive_row(i) for i in INSPECTIONS[:3]]
    rows[1][0] = "二〇二五"
    path = write_archive(tmp_path / "年度.xlsx", rows)
    # rows 1–2 title and subtitle, 3 the header: the second inspection is row 5
    assert refused(capsys, files, path) == [
        "行号\t列\t值\t问题",
        "5\t年度\t二〇二五\t年度应为四位数字的年份，如 2025",
        "错误：年度.xlsx 有 1 处问题，请先改正",
    ]


def test_unknown_kind_and_status_are_refused(capsys, files, tmp_path):
    rows = [archive_row(i) for i in INSPECTIONS[:2]]
    rows[0][5] = "专项检查"
    rows[1][6] = "已检查"
    path = write_archive(tmp_path / "性质.xlsx", rows)
    assert refused(capsys, files, path) == [
        "行号\t列\t值\t问题",
        "4\t性质\t专项检查\t“专项检查”不是有效值，可选：随机抽查、全覆盖检查、定向检查（非随机）",
        "5\t状态\t已检查\t“已检查”不是有效值，可选：待人工指派执法人员、待检查、已完成、已替补、已撤销",
        "错误：性质.xlsx 有 2 处问题，请先改正",
    ]


def test_missing_file_and_a_file_that_is_no_workbook(capsys, files, tmp_path):
    assert refused(capsys, files, str(tmp_path / "无.xlsx")) == [
        f"错误：找不到文件 {tmp_path / '无.xlsx'}"
    ]
    fake = tmp_path / "假.xlsx"
    fake.write_text("年度,性质\n2025,随机抽查\n", encoding="utf-8")
    (line,) = refused(capsys, files, str(fake))
    assert line.startswith("错误：假.xlsx：无法读取为 Excel 工作簿")


def test_a_file_over_the_import_limits_is_refused_before_it_is_read(
    capsys, files, tmp_path, monkeypatch
):
    monkeypatch.setenv("SHUANGSUIJI_IMPORT_MAX_ROWS", "3")
    path = write_archive(tmp_path / "大.xlsx", [archive_row(i) for i in INSPECTIONS])
    (line,) = refused(capsys, files, path)
    assert line.startswith("错误：大.xlsx：超过 3 行的上限")


# ---- the reader speaks the platform's words ----------------------------------------------------


def test_reader_vocabulary_is_the_models():
    """The command never sets up Django, so it repeats the model's words; this keeps them equal."""
    assert set(inspections_workbook.REQUIRED) <= set(ARCHIVE_HEADERS)
    assert tuple(Inspection.Kind.labels) == inspections_workbook.KINDS
    assert Inspection.Kind.RANDOM.label == inspections_workbook.RANDOM
    assert tuple(Inspection.Status.labels) == inspections_workbook.STATUSES
    assert set(inspections_workbook.NOT_COUNTED) == {S.SUBSTITUTED.label, S.CANCELLED.label}


def test_reader_limits_are_the_import_limits():
    from shuangsuiji.directory.importing import import_limits

    assert inspections_workbook.archive_limits() == import_limits()


def test_quota_with_inspections_never_sets_up_django(files):
    argv = jiangxian("quota", files, "--inspections", files["inspections"], "--format", "json")
    done = subprocess.run(
        [sys.executable, "-c",
         "from shuangsuiji.cli import main\n"
         f"code = main({argv!r})\n"
         "from django.apps import apps\n"
         "print('EXIT', code, 'READY', apps.ready)\n"],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "EXIT 0 READY False"
