"""The demo organisation tree, accounts and year that ``make demo`` serves.

Built through the same services a bureau uses: registers imported from workbooks, and each
preset county's year so far (plan, draws, checks, follow-ups, publication, 回访; see
:mod:`shuangsuiji_demo.year`). Running it again keeps the data and issues fresh passwords, so a
demo left running somewhere never keeps a password printed long ago.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import xlsxwriter
from django.db import transaction
from django.utils import timezone

from shuangsuiji.accounts.models import Organisation, OrganisationLevel, User
from shuangsuiji.accounts.roles import Role
from shuangsuiji.accounts.services import (
    available_presets,
    generate_password,
    user_create,
    user_set_password,
)
from shuangsuiji.acts.organisations import organisation_create, organisation_preset_set

# (code, name, parent code, policy preset of the plan this bureau issued)
DEMO_ORGANISATIONS: list[tuple[str, str, str | None, str]] = [
    ("130000", "河北省生态环境厅", None, ""),
    ("130200", "唐山市生态环境局", "130000", ""),
    ("130281", "唐山市生态环境局遵化市分局", "130200", "zunhua-2024"),
    ("130600", "保定市生态环境局", "130000", "baoding-2021"),
    ("130100", "石家庄市生态环境局", "130000", ""),
    ("130109", "石家庄市生态环境局藁城区分局", "130100", "gaocheng-2026"),
    ("410000", "河南省生态环境厅", None, ""),
    ("410700", "新乡市生态环境局", "410000", ""),
    ("410724", "新乡市生态环境局获嘉分局", "410700", "huojia-2024"),
    ("140000", "山西省生态环境厅", None, ""),
    ("140800", "运城市生态环境局", "140000", ""),
    ("140826", "运城市生态环境局绛县分局", "140800", "jiangxian-2025"),
]

#: 部门联合 partners registered on the platform (获嘉 二、（一）–（三）): (code, name, bureau).
#: 遵化's 部门联合 task of the third quarter (``year.ADDED_TASKS``) is checked with its
#: 应急管理局, whose officers the draw matches from its own register.
DEMO_PARTNERS: list[tuple[str, str, str]] = [
    ("13028101", "遵化市应急管理局", "130281"),
]
#: The partner department's register: enforcement officers (姓名, 参加执法工作年份).
PARTNER_OFFICERS = [("张卫国", 2009), ("侯建军", 2012), ("秦晓燕", 2018), ("段鹏", 2022),
                    ("程丽娜", 2024), ("郝志勇", 2025)]  # fmt: skip

# Every role at each preset county bureau: its 抽查管理员 and 领导 run its quarters, its 执法人员
# enters results, its 监督员 reads and audits, its 系统管理员 keeps its accounts and settings.
# 唐山's 市局 has the roles a city bureau has over its branches: its 系统管理员 (the branches'
# accounts), 领导 and 监督员 (who read the branches); it runs no draws of its own, so it has no
# 抽查管理员 or 执法人员. An inspector's login name is the 执法证号 of a register officer, chosen
# when the year is built (``demo_inspector``): the name here only stands for the account.
DEMO_USERS: list[tuple[str, str, str, Role]] = [
    ("zunhua-admin", "王建国", "130281", Role.SYSADMIN),
    ("zunhua-coordinator", "李海燕", "130281", Role.COORDINATOR),
    ("zunhua-inspector", "", "130281", Role.INSPECTOR),
    ("zunhua-leader", "刘志强", "130281", Role.LEADER),
    ("zunhua-auditor", "陈静", "130281", Role.AUDITOR),
    ("tangshan-admin", "钱振华", "130200", Role.SYSADMIN),
    ("tangshan-leader", "赵立新", "130200", Role.LEADER),
    ("tangshan-auditor", "孔令芳", "130200", Role.AUDITOR),
    ("baoding-admin", "高志远", "130600", Role.SYSADMIN),
    ("baoding-coordinator", "孙丽", "130600", Role.COORDINATOR),
    ("baoding-inspector", "", "130600", Role.INSPECTOR),
    ("baoding-leader", "周建华", "130600", Role.LEADER),
    ("baoding-auditor", "田秀梅", "130600", Role.AUDITOR),
    ("gaocheng-admin", "曹文杰", "130109", Role.SYSADMIN),
    ("gaocheng-coordinator", "吴敏", "130109", Role.COORDINATOR),
    ("gaocheng-inspector", "", "130109", Role.INSPECTOR),
    ("gaocheng-leader", "郑国强", "130109", Role.LEADER),
    ("gaocheng-auditor", "邓晓红", "130109", Role.AUDITOR),
    ("huojia-admin", "许国栋", "410724", Role.SYSADMIN),
    ("huojia-coordinator", "冯雪", "410724", Role.COORDINATOR),
    ("huojia-inspector", "", "410724", Role.INSPECTOR),
    ("huojia-leader", "马德胜", "410724", Role.LEADER),
    ("huojia-auditor", "蒋玉兰", "410724", Role.AUDITOR),
    ("jiangxian-admin", "袁志刚", "140826", Role.SYSADMIN),
    ("jiangxian-coordinator", "杨帆", "140826", Role.COORDINATOR),
    ("jiangxian-inspector", "", "140826", Role.INSPECTOR),
    ("jiangxian-leader", "韩卫东", "140826", Role.LEADER),
    ("jiangxian-auditor", "彭慧敏", "140826", Role.AUDITOR),
    # The partner department's 抽查管理员 enters and publishes its parts of 遵化's joint checks.
    ("zunhua-partner", "石玉梅", "13028101", Role.COORDINATOR),
]


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str
    organisation: str
    user: User = field(repr=False, compare=False)


@transaction.atomic
def demo_organisations() -> dict[str, Organisation]:
    presets = set(available_presets())
    organisations: dict[str, Organisation] = {}
    for code, name, parent_code, preset in DEMO_ORGANISATIONS:
        preset = preset if preset in presets else ""
        organisation = Organisation.objects.filter(code=code).first()
        if organisation is None:
            organisation = organisation_create(
                actor=None,
                code=code,
                name=name,
                parent=organisations.get(parent_code) if parent_code else None,
                policy_preset=preset,
            )
        elif preset and organisation.policy_preset != preset:
            organisation = organisation_preset_set(
                actor=None, organisation=organisation, policy_preset=preset
            )
        organisations[code] = organisation
    for code, name, bureau in DEMO_PARTNERS:
        organisations[code] = Organisation.objects.filter(code=code).first() or organisation_create(
            actor=None,
            code=code,
            name=name,
            parent=organisations[bureau],
            level=OrganisationLevel.PARTNER,
        )
    return organisations


DEMO_REGISTER_ORDER = ("targets", "events", "inspectors", "items")


def demo_registers(
    organisations: dict[str, Organisation],
    data_dir: Path,
    *,
    until: dt.date,
    progress: Callable[[str], None] | None = None,
) -> None:
    """Fill each preset county's registers from generated workbooks, through the real import;
    no record in them is dated after ``until`` (the day the demo is built)."""
    from shuangsuiji.directory.models import Target
    from shuangsuiji.directory.registers import register_by_key
    from shuangsuiji.directory.services import register_import
    from shuangsuiji_demo.registers import write_demo_workbooks

    for code, _, _, preset in DEMO_ORGANISATIONS:
        organisation = organisations[code]
        if not preset:
            continue
        if Target.objects.filter(organisation=organisation).exists():
            if progress:
                progress(f"一单两库：{organisation.name}已有名录，保留不变。")
            continue
        if progress:
            progress(f"一单两库：导入{organisation.name}的检查对象、执法人员与检查事项……")
        files = write_demo_workbooks(
            data_dir / "demo" / preset,
            preset=preset,
            targets=300,
            inspectors=40,
            seed=int(code),
            year=until.year,
            until=until,
        )
        for key in DEMO_REGISTER_ORDER:
            path = files[key]
            outcome = register_import(
                actor=None,
                organisation=organisation,
                spec=register_by_key(key),
                content=path.read_bytes(),
                filename=path.name,
                reason="演示数据",
            )
            if outcome.applied is None:
                problems = "；".join(p.message for p in outcome.plan.all_problems[:5])
                raise RuntimeError(f"演示数据 {path} 导入失败：{problems}")
    for code, _, _ in DEMO_PARTNERS:
        partner_register(organisations[code], until)
    for code, rows in DEMO_JOINT_ITEMS.items():
        joint_list(organisations[code], rows)


#: 一业一查 (遵化 二、（二）): the city's joint list as 遵化 imports it, each row naming the
#: bureau's own items; the demo's 部门联合 task of the third quarter follows its first 行业.
DEMO_JOINT_ITEMS = {
    "130281": [
        ["序号", "行业领域", "联合抽查事项", "牵头部门", "配合部门", "本局对应事项", "检查依据"],
        ["1", "危险化学品使用单位", "危险化学品使用单位污染防治和危险废物管理情况的检查",
         "生态环境部门", "遵化市应急管理局",
         "危险废物规范化管理情况的检查、污染防治设施运行情况的检查",
         "《中华人民共和国固体废物污染环境防治法》第七十七条"],
        ["2", "危险化学品使用单位", "危险化学品储存、使用安全情况的检查", "遵化市应急管理局",
         "生态环境部门", "突发环境事件应急预案备案及环境安全隐患排查治理情况的检查",
         "《危险化学品安全管理条例》第二十条"],
        ["3", "加油站", "加油站油气回收装置运行情况的检查", "生态环境部门", "市场监管部门",
         "污染防治设施运行情况的检查", "《中华人民共和国大气污染防治法》第四十七条"],
    ],
}  # fmt: skip


def joint_list(organisation: Organisation, rows: list[list[str]]) -> None:
    """The 一业一查 list, imported through the register import like the other lists."""
    from shuangsuiji.directory.models import JointItem
    from shuangsuiji.directory.registers import JOINT_ITEMS
    from shuangsuiji.directory.services import register_import

    if JointItem.objects.filter(organisation=organisation).exists():
        return
    outcome = register_import(actor=None, organisation=organisation, spec=JOINT_ITEMS,
                              content=_workbook(rows, JOINT_ITEMS.label),
                              filename="一业一查部门联合抽查事项清单.xlsx",
                              reason="市局下发一业一查清单")  # fmt: skip
    if outcome.applied is None:
        problems = "；".join(p.message for p in outcome.plan.all_problems[:5])
        raise RuntimeError(f"演示数据 {organisation.name}的一业一查清单导入失败：{problems}")


def _workbook(rows: list[list[str]], sheet_name: str) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet(sheet_name)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write_string(r, c, value)
    workbook.close()
    return buffer.getvalue()


def partner_register(partner: Organisation, until: dt.date) -> None:
    """The partner department's own 执法检查人员名录库, through the same import."""
    from shuangsuiji.directory.codes import id_check_digit
    from shuangsuiji.directory.models import Inspector
    from shuangsuiji.directory.registers import INSPECTORS
    from shuangsuiji.directory.services import register_import

    if Inspector.objects.filter(organisation=partner).exists():
        return
    rows = [
        ["姓名", "执法证号", "身份证号", "所属部门", "参加执法工作年份", "人员类别", "在编在岗"]
    ]
    for n, (name, start) in enumerate(PARTNER_OFFICERS, start=1):
        if start > until.year:
            continue
        first17 = f"130281{1970 + 3 * n}0{n % 9 + 1}1{n % 9 + 1}{100 + n:03d}"
        rows.append([name, f"{partner.code}{n:03d}", first17 + id_check_digit(first17),
                     "执法监察大队", str(start), "执法人员", "是"])  # fmt: skip
    outcome = register_import(actor=None, organisation=partner, spec=INSPECTORS,
                              content=_workbook(rows, INSPECTORS.label),
                              filename="执法检查人员名录.xlsx",
                              reason="演示数据")  # fmt: skip
    if outcome.applied is None:
        problems = "；".join(p.message for p in outcome.plan.all_problems[:5])
        raise RuntimeError(f"演示数据 {partner.name}的人员名录导入失败：{problems}")


def demo_inspector(organisation: Organisation, year: int):
    """The officer whose account the demo prints for a county: the one on most of the year's
    teams with a check still to do, then on most teams (by 执法证号 among equals), so that his
    我的任务 has work in it; before anything is drawn, the senior-most officer on duty."""
    from django.db.models import Count, Q

    from shuangsuiji.directory.models import Inspector
    from shuangsuiji.inspections.models import Inspection, InspectionMember

    busiest = (
        InspectionMember.objects.filter(
            inspection__in=Inspection.objects.counted(year, organisation)
        )
        .values("inspector")
        .annotate(
            open=Count("pk", filter=Q(inspection__status=Inspection.Status.ASSIGNED)),
            teams=Count("pk"),
        )
        .order_by("-open", "-teams", "inspector__certificate_no")
        .first()
    )
    if busiest is not None:
        return Inspector.objects.get(pk=busiest["inspector"])
    return (
        Inspector.objects.drawable()
        .filter(organisation=organisation)
        .order_by("start_year", "certificate_no")
        .first()
    )


def _start(preset: str):
    """The day the preset's first values take effect (its year's 1 January)."""
    return dt.date(int(preset.rsplit("-", 1)[1]), 1, 1)


def demo_exchange(counties) -> None:
    """获嘉 一（四）: the results exchange file for 国家企业信用信息公示系统, a first batch per
    county (``shuangsuiji exchange export``), so 数据交换 has one to show."""
    from shuangsuiji.disclosure.exchange import exchange_export
    from shuangsuiji.disclosure.models import ExchangeBatch

    for county in counties:
        if not ExchangeBatch.objects.filter(organisation=county).exists():
            exchange_export(actor=None, organisation=county, kind="results")


def demo_policy_settings(organisations: dict[str, Organisation]) -> None:
    """Every plan asks for sampling differentiated by 信用风险 without numbers: each demo
    bureau sets its draw weights. 获嘉's plan leaves the 特殊监管对象 ratio to the bureau, and
    its 附件 “不低于5%或不少于人均6家次” to the bureau's reading of “或”. The demo bureau sets
    both the way a coordinator
    would, with a reason: the ratio so its quarter can be drawn, and “满足其一即可” (the smaller
    of the two), since with the demo register's officers “人均6家次” alone would be most of the
    一般 class every quarter."""
    from shuangsuiji.bureau.policies import organisation_policy, policy_value_set

    for code, _name, _parent, preset in DEMO_ORGANISATIONS:
        if not preset:
            continue
        graded = organisation_policy(organisations[code])
        if not graded.adjustments.filter(path="grading").exists():
            # Every plan asks for 信用风险 差别化抽查 and leaves the numbers to the bureau.
            policy_value_set(
                actor=None,
                policy=graded,
                path="grading",
                value={"weights": {"A": 1, "B": 1, "C": 2, "D": 4, "无": 1}},
                since=_start(preset),
                reason="演示：局务会确定按信用等级加权抽取，C 级 2 倍、D 级 4 倍于 A、B 级的机会",
            )
    policy = organisation_policy(organisations["410724"])
    if not policy.adjustments.filter(path="classes.SPECIAL.quota").exists():
        policy_value_set(
            actor=None,
            policy=policy,
            path="classes.SPECIAL.quota",
            value={"ratio": "30%"},
            since=dt.date(2024, 1, 1),
            reason="演示：局务会确定特殊监管对象每季度抽查 30%（方案附件“根据实际自行设定”）",
        )
    if not policy.adjustments.filter(path="classes.GENERAL.quota").exists():
        policy_value_set(
            actor=None,
            policy=policy,
            path="classes.GENERAL.quota",
            value={
                "either": [{"ratio": "5%"}, {"per_inspector": 6, "per": "quarter"}],
                "take": "smaller",
            },
            since=dt.date(2024, 1, 1),
            reason="演示：局务会确定附件“不低于5%或不少于人均6家次”满足其一即可（取较小者）",
        )


def demo_accounts(
    organisations: dict[str, Organisation], *, inspectors: bool
) -> dict[tuple[str, Role], DemoAccount]:
    """The accounts of ``DEMO_USERS``, each with a fresh password, by (code, role): the
    inspectors' (``inspectors=True``, once the year is built) or all the others'."""
    accounts: dict[tuple[str, Role], DemoAccount] = {}
    year = timezone.localdate().year
    for username, display_name, code, role in DEMO_USERS:
        if (role == Role.INSPECTOR) != inspectors:
            continue
        if role == Role.INSPECTOR:
            # An inspector's account is linked to the register by the 执法证号 as login name.
            inspector = demo_inspector(organisations[code], year)
            username, display_name = inspector.certificate_no, inspector.name
        user = User.objects.filter(username=username).first()
        if user is None:
            user, password = user_create(
                actor=None,
                username=username,
                display_name=display_name,
                organisation=organisations[code],
                roles=[role],
            )
        else:
            password = generate_password(user)
            user_set_password(actor=None, user=user, password=password)
        accounts[code, role] = DemoAccount(
            username, password, role.label, organisations[code].name, user
        )
    return accounts


@transaction.atomic
def demo_build(
    *,
    report: Callable[[str], None] | None = print,
    progress: Callable[[str], None] | None = None,
) -> list[DemoAccount]:
    """Build the demo, or refresh its passwords; ``report`` gets one line per county's year,
    ``progress`` a line per stage and county while it builds (what it prints changes nothing
    in what it builds).

    On the first run the bureaus start on the platform at the beginning of the year and work
    through it to today (:mod:`shuangsuiji_demo.year`); later runs leave the year as it is.
    """
    from django.conf import settings

    from shuangsuiji_demo.year import (
        clock,
        demo_years,
        scrypt_first,
        year_opening,
        year_pending,
    )

    codes = [code for code, _, _, preset in DEMO_ORGANISATIONS if preset]
    now = timezone.now()
    today = timezone.localdate(now)
    existing = list(Organisation.objects.filter(code__in=codes))
    fresh = len(existing) < len(codes) or year_pending(existing, today.year)
    with clock(year_opening(now)) if fresh else nullcontext():
        if progress:
            progress(
                f"演示单位：{len(DEMO_ORGANISATIONS)} 个单位（省厅、市局、分局）"
                f"和 {len(DEMO_PARTNERS)} 个联合部门……"
            )
        organisations = demo_organisations()
        demo_registers(organisations, Path(settings.DATA_DIR), until=today, progress=progress)
        if progress:
            progress("政策设置：各县按本局方案设定抽取权重……")
        demo_policy_settings(organisations)
        if progress:
            progress(f"演示账号：{len(DEMO_USERS)} 个账号，生成新密码……")
        with scrypt_first():
            accounts = demo_accounts(organisations, inspectors=False)
    counties = [
        (
            organisations[code],
            accounts[code, Role.COORDINATOR].user,
            accounts[code, Role.LEADER].user,
        )
        for code in codes
        if organisations[code].policy_preset
    ]
    for summary in demo_years(counties, progress=progress):
        if report:
            report(summary.line())
    # The inspectors' accounts once the year's teams are known: each is on teams of this year.
    with scrypt_first():
        accounts |= demo_accounts(organisations, inspectors=True)
    demo_exchange(organisations[code] for code in codes if organisations[code].policy_preset)
    return [accounts[code, role] for _username, _name, code, role in DEMO_USERS]
