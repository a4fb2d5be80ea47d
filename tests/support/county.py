"""A small county with registers that exercise a whole quarter's draw."""

from shuangsuiji.directory.registers import EVENTS, INSPECTORS, ITEMS, TARGETS
from shuangsuiji.directory.services import register_import
from tests.support.tree import adopt_preset
from tests.support.workbooks import id_number, uscc, xlsx

AREAS = ("第一中队", "第二中队")


def load(spec, rows, organisation):
    outcome = register_import(actor=None, organisation=organisation, spec=spec, content=xlsx(rows),
                              filename="x.xlsx", reason="建库")  # fmt: skip
    assert outcome.applied, outcome.plan.all_problems


def build_county(county):
    """A 遵化-like county: 40 key, 200 general, 20 positive-list targets in two 片区,
    and six inspectors per 片区 (three seniors)."""
    adopt_preset(county, "zunhua-2024")
    header = [
        "统一社会信用代码",
        "单位名称",
        "排污许可管理类别",
        "正面清单",
        "执法片区",
        "要素标签",
        "经营状态",
    ]
    rows = [header]
    rows += [
        [uscc(i), f"重点企业{i}", "重点管理", "否", AREAS[i % 2], "大气", "存续"]
        for i in range(1, 41)
    ]
    rows += [
        [uscc(i), f"一般企业{i}", "登记管理", "否", AREAS[i % 2], "水", "存续"]
        for i in range(100, 300)
    ]
    rows += [
        [uscc(i), f"正面清单企业{i}", "简化管理", "是", AREAS[i % 2], "", "存续"]
        for i in range(400, 420)
    ]
    load(TARGETS, rows, county)
    load(EVENTS, [EVENTS.headers, [uscc(5), "挂牌督办", "2026-08-03", "冀环督〔2026〕5号"]], county)
    inspectors = [INSPECTORS.headers]
    for n in range(12):
        year = 2010 if n % 2 == 0 else 2025
        inspectors.append([f"执法{n}", f"1302812026{n:04d}", id_number(n), "综合执法大队",
                           AREAS[n % 4 // 2], AREAS[n % 4 // 2], "水、大气", str(year), "执法人员", "是"])  # fmt: skip
    inspectors.append(["专家甲", "ZJ001", "", "", "", AREAS[0], "辐射", "2000", "专家", "是"])
    load(INSPECTORS, inspectors, county)
    load(ITEMS, [ITEMS.headers, [1, "污染源环境监管", "排放检查", "排污单位", "一般检查事项",
                                 "现场检查", "遵化分局", "《环境保护法》第二十四条", "水、大气", "否"],
                 [2, "污染源环境监管", "涉密事项", "排污单位", "重点检查事项", "现场检查", "遵化分局", "", "", "是"]],
         county)  # fmt: skip
    return county
