"""The demo organisation tree, accounts and year that ``make demo`` serves.

Built through the same services a bureau uses: registers imported from workbooks, and each
preset county's year so far (plan, draws, checks, follow-ups, publication, 回访; see
:mod:`shuangsuiji_demo.year`). Running it again keeps the data and issues fresh passwords, so a
demo left running somewhere never keeps a password printed long ago.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from shuangsuiji.accounts.models import Organisation, User
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
        password = generate_password()
        user = User.objects.filter(username=username).first()
        if user is None:
            user, _ = user_create(
                actor=None,
                username=username,
                display_name=display_name,
                organisation=organisations[code],
                roles=[role],
                password=password,
            )
        else:
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
            progress(f"演示单位：{len(DEMO_ORGANISATIONS)} 个单位（省厅、市局、分局）……")
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
    return [accounts[code, role] for _username, _name, code, role in DEMO_USERS]
