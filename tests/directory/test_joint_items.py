"""一业一查 (issue 20 §2): 遵化 二、（二） "以全市“一业一查”部门联合随机抽查事项清单为指导" — the
city's joint list is imported as a register of the bureau, each row naming the bureau's own items
it covers, and a 部门联合 task of a 行业 takes its items and partner departments from it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from shuangsuiji.accounts.roles import Role
from shuangsuiji.directory.models import JointItem
from shuangsuiji.directory.registers import JOINT_ITEMS
from shuangsuiji.directory.services import register_import
from shuangsuiji.planning.models import SamplingTask
from shuangsuiji.planning.plans import (
    plan_adjust,
    plan_approve,
    plan_generate,
    plan_publish,
    plan_submit,
    task_add,
)
from tests.support.county import build_county
from tests.support.workbooks import xlsx

HEADERS = ["序号", "行业领域", "联合抽查事项", "牵头部门", "配合部门", "本局对应事项", "检查依据"]
CITY_LIST = [
    HEADERS,
    [1, "危险化学品使用单位", "危险化学品储存场所安全检查", "应急管理局",
     "生态环境局、市场监督管理局", "", "《危险化学品安全管理条例》第二十条"],
    [2, "危险化学品使用单位", "废气排放及污染防治设施检查", "应急管理局", "生态环境局",
     "排放检查", "《中华人民共和国大气污染防治法》"],
    [3, "加油站", "油气回收装置运行检查", "生态环境局", "市场监督管理局", "排放检查", ""],
]  # fmt: skip


def import_list(county, rows, filename="一业一查清单.xlsx"):
    return register_import(actor=None, organisation=county, spec=JOINT_ITEMS,
                           content=xlsx(rows), filename=filename, reason="市局下发")  # fmt: skip


@pytest.fixture
def county(organisations):
    county = build_county(organisations["a"])
    outcome = import_list(county, CITY_LIST)
    assert outcome.applied, outcome.plan.all_problems
    return county


@pytest.fixture
def adjusting(county, make_user):
    """The published plan reopened for an added task (藁城 二、（八） GC-2.8)."""
    coordinator = make_user("coord", county, Role.COORDINATOR)
    leader = make_user("leader", county, Role.LEADER)
    plan = plan_generate(actor=coordinator, organisation=county, year=2026)
    plan_submit(actor=None, plan=plan)
    plan_approve(actor=leader, plan=plan)
    plan_publish(actor=coordinator, plan=plan)
    plan_adjust(actor=coordinator, plan=plan, reason="市局部署危险化学品使用单位一业一查")
    return plan, coordinator


def test_the_city_list_is_a_register_of_the_bureau(county, client, make_user):
    """Three rows, the partner departments and the bureau's items kept as written; the list
    page of the register shows them to the bureau's coordinator."""
    rows = JointItem.objects.filter(organisation=county).order_by("sequence")
    assert [(r.industry, r.lead, r.partner_names, r.own_item_names) for r in rows] == [
        ("危险化学品使用单位", "应急管理局", ["生态环境局", "市场监督管理局"], []),
        ("危险化学品使用单位", "应急管理局", ["生态环境局"], ["排放检查"]),
        ("加油站", "生态环境局", ["市场监督管理局"], ["排放检查"]),
    ]
    client.force_login(make_user("reader", county, Role.COORDINATOR))
    page = client.get(reverse("directory:list", args=["joint_items"])).content.decode()
    assert "一业一查部门联合抽查事项清单" in page and "油气回收装置运行检查" in page


def test_a_bad_row_is_named_and_nothing_is_written(county):
    """A row without its 行业领域 is named by row and column (the import page adds the file's
    name); no row is added."""
    before = JointItem.objects.count()
    rows = [HEADERS, [4, "", "锅炉排放检查", "生态环境局", "", "排放检查", ""]]
    outcome = import_list(county, rows, filename="市局清单.xlsx")
    assert outcome.applied is None
    problems = [(p.row, p.column, p.message) for p in outcome.plan.all_problems]
    assert problems == [(2, "行业领域", "必填项为空")]
    assert JointItem.objects.count() == before


def test_a_joint_task_takes_its_items_and_partners_from_the_list(adjusting):
    """The 危险化学品使用单位 task: the bureau's items the list links to that 行业 (排放检查, not
    the bureau's other item), the other departments as partners, led by 应急管理局."""
    plan, coordinator = adjusting
    task = task_add(actor=coordinator, plan=plan, name="2026 年危险化学品使用单位一业一查",
                    quarter=4, classes=["KEY"], joint_industry="危险化学品使用单位")  # fmt: skip
    assert task.scope == SamplingTask.Scope.DEPARTMENT_JOINT
    assert [i.name for i in task.items.all()] == ["排放检查"]
    assert task.partners == ["应急管理局", "市场监督管理局"]
    assert (task.lead_department, task.joint_industry) == ("应急管理局", "危险化学品使用单位")
    gas = task_add(actor=coordinator, plan=plan, name="2026 年加油站一业一查", quarter=4,
                   classes=["KEY"], joint_industry="加油站")  # fmt: skip
    assert gas.lead_department == plan.organisation.name and gas.partners == ["市场监督管理局"]


def test_an_industry_the_list_lacks_or_an_item_the_bureau_lacks_is_refused(county, adjusting):
    plan, coordinator = adjusting
    with pytest.raises(ValidationError, match="没有“锅炉”行业领域"):
        task_add(actor=coordinator, plan=plan, name="x", quarter=4, classes=["KEY"],
                 joint_industry="锅炉")  # fmt: skip
    outcome = import_list(county, [HEADERS, [5, "锅炉", "锅炉排放检查", "生态环境局", "",
                                             "锅炉烟气检查", ""]])  # fmt: skip
    assert outcome.applied, outcome.plan.all_problems
    with pytest.raises(ValidationError, match="“锅炉烟气检查”不在本局随机抽查事项清单中"):
        task_add(actor=coordinator, plan=plan, name="x", quarter=4, classes=["KEY"],
                 joint_industry="锅炉")  # fmt: skip
    assert not plan.tasks.filter(name="x").exists()
