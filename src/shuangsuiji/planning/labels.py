"""The Chinese words pages show for the codes a draw and a preset keep (issue 19 §3): a class's
name for its code, a draw flag's meaning, a preset parameter's name, a commitment field's name,
and the Chinese name of a draw's bundle download. Codes stay in the files a citizen re-verifies;
a page shows them only inside ``<code>``, beside these names."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from shuangsuiji.policy.schema import EXCLUSION_KINDS, TARGETS

if TYPE_CHECKING:
    from shuangsuiji.accounts.models import Organisation
    from shuangsuiji.planning.models import Draw
    from shuangsuiji.policy.loader import Preset

#: What a flag on a drawn inspection means (shuangsuiji.draw.matching, and 替补 in
#: shuangsuiji.inspections.creation).
FLAG_NAMES = {
    "NO_SENIOR": "检查组中没有资深执法人员（未能以老带新）",
    "LEAD_WITHOUT_TAG": "带队人员不具备所需专长",
    "TEAM_INCOMPLETE": "检查组人数不足",
    "TAGS_UNCOVERED": "检查组未覆盖所需专长",
    "SUBSTITUTE": "替补对象",
}

#: The fields of commit.json (SHUANGSUIJI-DRAW-v1), in Chinese.
COMMITMENT_NAMES = {
    "spec": "抽取方法版本",
    "draw_id": "抽取编号",
    "params_hash": "抽取参数的哈希",
    "pool_root": "对象库的哈希",
    "roster_root": "执法人员名录的哈希",
    "conflicts_root": "回避登记的哈希",
    "salt_commit": "盐值承诺",
    "withheld_commit": "暂不公开对象的承诺",
}

#: A class parameter's aspect, by the last part of its path.
CLASS_ASPECTS = {
    "condition": "分类条件",
    "quota": "抽查比例",
    "partners": "联合检查部门",
    "no_repeat": "不重复抽查",
}
#: The parameters outside the classes, by path.
PARAMETER_NAMES = {
    "population": "抽查范围",
    "precedence": "类别归属的优先顺序",
    "fallback": "未归入任何类别的对象",
    "methods": "检查方式",
    "records": "提交结果须有的记录",
    "grading": "信用风险分级",
    **{f"exclusions.{key}": name for key, name in EXCLUSION_KINDS.items()},
    **{f"targets.{key}": name for key, name in TARGETS.items()},
}

QUARTER_NAMES = {1: "第一季度", 2: "第二季度", 3: "第三季度", 4: "第四季度", None: "全年"}


def flag_name(flag: str) -> str:
    return FLAG_NAMES.get(flag, "其他提示")


def commitment_name(key: str) -> str:
    return COMMITMENT_NAMES.get(key, "其他承诺值")


def class_names(draw: Draw) -> dict[str, str]:
    """Each class code of the draw by its Chinese name: the names the draw's parameters carry
    (the preset's at commit)."""
    strata = json.loads(draw.params).get("strata", []) if draw.params else []
    return {s["code"]: s.get("name") or s["code"] for s in strata}


def parameter_name(preset: Preset, path: str) -> str:
    """A preset parameter's Chinese name: ``classes.KEY.quota`` → 重点监管对象：抽查比例."""
    parts = path.split(".")
    if parts[0] == "classes" and len(parts) == 3:
        names = {rule.code: rule.name for rule in preset.classes}
        aspect = CLASS_ASPECTS.get(parts[2], "其他参数")
        return f"{names.get(parts[1], '类别')}：{aspect}"
    return PARAMETER_NAMES.get(path, "其他参数")


def short_name(organisation: Organisation) -> str:
    """A bureau's name without its parent's: 唐山市生态环境局遵化市分局 → 遵化市分局."""
    _, found, tail = organisation.name.partition("生态环境局")
    return tail if found and tail else organisation.name


def draw_bundle_name(draw: Draw) -> str:
    """遵化市分局-2026年第四季度-抽取材料-130281-2026004-1.zip: the bureau, the task's period,
    and the draw's number (a bureau draws more than one task a quarter)."""
    task = draw.task
    return (
        f"{short_name(draw.organisation)}-{task.plan.year}年{QUARTER_NAMES[task.quarter]}"
        f"-抽取材料-{draw.draw_id}.zip"
    )
