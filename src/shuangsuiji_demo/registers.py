"""Realistic, valid demo registers (一单两库) for one county, as the Excel files a bureau keeps.

``write_demo_workbooks`` writes four workbooks whose first sheet has the exact headers the
importer expects and no title row:

- ``targets.xlsx``    检查对象名录库 (enterprises, construction projects, sewage plants, others)
- ``events.xlsx``     records that make a target 特殊监管对象 (penalties, supervision, reports …)
- ``inspectors.xlsx`` 执法检查人员名录库
- ``items.xlsx``      随机抽查事项清单

Every 统一社会信用代码 and 身份证号 carries a correct check character; codes are written as text
cells so Excel never turns them into numbers. The same seed always gives the same cells. Pure
Python (no Django); ``register`` adds the ``python -m shuangsuiji_demo data`` command.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import itertools
import random
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import xlsxwriter

from shuangsuiji.directory.codes import USCC_CHARSET, id_check_digit, uscc_check_digit

TARGET_HEADERS = (
    "统一社会信用代码",
    "单位名称",
    "对象类型",
    "项目代码",
    "单位地址",
    "法定代表人",
    "行政区划代码",
    "执法片区",
    "行业类别",
    "排污许可管理类别",
    "重点排污单位",
    "正面清单",
    "大气绩效评级",
    "信用等级",
    "具备非现场监管条件",
    "其他高风险",
    "要素标签",
    "经营状态",
)
EVENT_HEADERS = ("统一社会信用代码", "记录类型", "日期", "文号或说明")
INSPECTOR_HEADERS = (
    "姓名",
    "执法证号",
    "身份证号",
    "所属部门",
    "执法机构",
    "执法片区",
    "业务专长",
    "参加执法工作年份",
    "人员类别",
    "在编在岗",
)
ITEM_HEADERS = (
    "序号",
    "抽查类别",
    "抽查事项",
    "检查对象",
    "事项类别",
    "检查方式",
    "检查主体",
    "检查依据",
    "要素标签",
)

# Allowed values, shared with the tests (and usable by the importer's own checks).
TARGET_TYPES = ("排污单位", "在建工程建设项目", "城镇污水处理厂", "其他")
PERMIT_CLASSES = ("重点管理", "简化管理", "登记管理", "无")
AIR_GRADES = ("A", "引领性", "B", "C", "D", "无")
CREDIT_GRADES = ("A", "B", "C", "D", "无")
OPERATING_STATES = ("存续", "停产", "注销")
EVENT_TYPES = (
    "行政处罚决定",
    "挂牌督办",
    "超标排放通报",
    "举报查实",
    "上级检查未发现问题",
    "上级检查发现问题",
)
INSPECTOR_CATEGORIES = ("执法人员", "辅助人员", "专家")
TAGS = ("水", "大气", "固废", "危废", "噪声", "辐射", "土壤")
YES, NO = "是", "否"
ENFORCEMENT_DEPARTMENT = "生态环境综合执法大队"
MONITORING_DEPARTMENT = "环境监测站"
SENIOR_YEARS = 3  # 参加执法工作 at least this many years before the plan year: 以老带新的“老”

FILES = {
    "targets": "targets.xlsx",
    "events": "events.xlsx",
    "inspectors": "inspectors.xlsx",
    "items": "items.xlsx",
}


# --- counties -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Area:
    """A place targets are registered in: its division code, address prefix, towns and parks."""

    code: str
    prefix: str
    towns: tuple[str, ...]
    parks: tuple[str, ...]


@dataclass(frozen=True)
class County:
    preset: str
    code: str
    name: str
    city: str
    province: str
    bureau: str  # 检查主体: the bureau that issued the plan
    short: str  # one-character short name used in document numbers (遵环罚〔2026〕12号)
    squads: int  # number of 执法中队, which are also the 执法片区 of targets
    areas: tuple[Area, ...]
    superiors: tuple[str, ...]  # bureaus that inspect from above
    name_prefixes: tuple[str, ...] = field(default=())

    @property
    def squad_names(self) -> tuple[str, ...]:
        numerals = "一二三四五六七八九"
        return tuple(f"第{numerals[i]}执法中队" for i in range(self.squads))


PRESETS: dict[str, County] = {
    county.preset: county
    for county in (
        County(
            preset="zunhua-2024",
            code="130281",
            name="遵化市",
            city="唐山市",
            province="河北省",
            bureau="唐山市生态环境局遵化市分局",
            short="遵",
            squads=3,
            areas=(
                Area(
                    "130281",
                    "遵化市",
                    (
                        "石门镇",
                        "地北头镇",
                        "东新庄镇",
                        "新店子镇",
                        "党峪镇",
                        "平安城镇",
                        "马兰峪镇",
                        "堡子店镇",
                        "西留村乡",
                        "娘娘庄乡",
                        "侯家寨乡",
                        "小厂乡",
                    ),
                    ("经济开发区",),
                ),
            ),
            superiors=("河北省生态环境厅", "唐山市生态环境局"),
            name_prefixes=("遵化市", "遵化", "唐山"),
        ),
        County(
            preset="baoding-2021",
            code="130600",
            name="保定市",
            city="保定市",
            province="河北省",
            bureau="保定市生态环境局",
            short="保",
            squads=4,
            areas=(
                Area(
                    "130602",
                    "保定市竞秀区",
                    ("颉庄乡", "江城乡", "大激店镇", "富昌乡", "韩村乡"),
                    ("高新技术产业开发区",),
                ),
                Area("130606", "保定市莲池区", ("百楼乡", "南大园乡", "杨庄乡"), ()),
                Area(
                    "130607",
                    "保定市满城区",
                    ("满城镇", "大册营镇", "南韩村镇", "方顺桥镇", "于家庄镇"),
                    ("经济开发区",),
                ),
                Area(
                    "130608",
                    "保定市清苑区",
                    ("清苑镇", "冉庄镇", "阳城镇", "魏村镇", "温仁镇"),
                    ("经济开发区",),
                ),
                Area(
                    "130609",
                    "保定市徐水区",
                    ("安肃镇", "崔庄镇", "大因镇", "遂城镇", "高林村镇"),
                    ("经济开发区",),
                ),
            ),
            superiors=("河北省生态环境厅",),
            name_prefixes=("保定市", "保定"),
        ),
        County(
            preset="huojia-2024",
            code="410724",
            name="获嘉县",
            city="新乡市",
            province="河南省",
            bureau="新乡市生态环境局获嘉分局",
            short="获",
            squads=2,
            areas=(
                Area(
                    "410724",
                    "获嘉县",
                    (
                        "城关镇",
                        "亢村镇",
                        "照镜镇",
                        "黄堤镇",
                        "中和镇",
                        "徐营镇",
                        "冯庄镇",
                        "太山镇",
                        "位庄乡",
                        "大新庄乡",
                    ),
                    ("产业集聚区",),
                ),
            ),
            superiors=("河南省生态环境厅", "新乡市生态环境局"),
            name_prefixes=("获嘉县", "获嘉", "新乡市"),
        ),
        County(
            preset="gaocheng-2026",
            code="130109",
            name="藁城区",
            city="石家庄市",
            province="河北省",
            bureau="石家庄市生态环境局藁城区分局",
            short="藁",
            squads=4,
            areas=(
                Area(
                    "130109",
                    "石家庄市藁城区",
                    (
                        "廉州镇",
                        "兴安镇",
                        "贾市庄镇",
                        "南营镇",
                        "梅花镇",
                        "岗上镇",
                        "南董镇",
                        "张家庄镇",
                        "南孟镇",
                        "增村镇",
                        "常安镇",
                        "西关镇",
                        "九门回族乡",
                    ),
                    ("经济开发区",),
                ),
            ),
            superiors=("河北省生态环境厅", "石家庄市生态环境局"),
            name_prefixes=("石家庄市藁城区", "藁城", "石家庄"),
        ),
        County(
            preset="jiangxian-2025",
            code="140826",
            name="绛县",
            city="运城市",
            province="山西省",
            bureau="运城市生态环境局绛县分局",
            short="绛",
            squads=2,
            areas=(
                Area(
                    "140826",
                    "绛县",
                    (
                        "古绛镇",
                        "横水镇",
                        "陈村镇",
                        "卫庄镇",
                        "么里镇",
                        "南樊镇",
                        "安峪镇",
                        "大交镇",
                        "冷口乡",
                        "宋村乡",
                    ),
                    ("经济技术开发区",),
                ),
            ),
            superiors=("山西省生态环境厅", "运城市生态环境局"),
            name_prefixes=("绛县", "运城市"),
        ),
    )
}


def county_for(preset: str) -> County:
    """The county of a preset; ``ValueError`` (listing the valid presets) for an unknown one."""
    try:
        return PRESETS[preset]
    except KeyError:
        raise ValueError(f"未知的预设“{preset}”，可选：{'、'.join(PRESETS)}") from None


# --- word pools -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Industry:
    name: str  # 行业类别
    words: tuple[str, ...]  # the business word in an enterprise name
    tags: tuple[str, ...]  # 要素标签, most characteristic first
    weight: float
    permit: tuple[float, float, float, float]  # weights of 重点/简化/登记管理/无
    air_graded: bool  # subject to 重污染天气 绩效分级 (大气绩效评级)
    workshop: bool = False  # may be called …厂


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _industry(
    name: str,
    words: str,
    tags: str,
    weight: float,
    permit: tuple[float, float, float, float],
    *,
    air: bool = False,
    workshop: bool = False,
) -> Industry:
    return Industry(name, _words(words), _words(tags), weight, permit, air, workshop)


# (行业类别, name words, 要素标签, relative frequency, 重点/简化/登记管理/无 weights)
INDUSTRIES = (
    _industry("钢铁冶炼", "钢铁 特钢 轧钢", "大气 固废 噪声", 3, (0.85, 0.15, 0, 0), air=True),
    _industry("化工", "化工 精细化工 化学", "水 大气 危废", 5, (0.45, 0.45, 0.1, 0), air=True),
    _industry("水泥制造", "水泥 建材", "大气 噪声", 3, (0.55, 0.4, 0.05, 0), air=True),
    _industry(
        "铸造", "铸造 铸业 精密铸造", "大气 固废", 6, (0.12, 0.55, 0.33, 0), air=True, workshop=True
    ),
    _industry("电镀", "电镀 表面处理", "水 危废", 2, (0.6, 0.4, 0, 0), workshop=True),
    _industry("畜禽养殖", "牧业 养殖 农牧", "水 固废", 12, (0.06, 0.2, 0.64, 0.1)),
    _industry(
        "印刷", "印刷 包装印刷 彩印", "大气 危废", 6, (0.02, 0.28, 0.7, 0), air=True, workshop=True
    ),
    _industry("家具制造", "家具 木业", "大气", 8, (0, 0.3, 0.7, 0), air=True, workshop=True),
    _industry(
        "机械加工",
        "机械 机械制造 金属制品",
        "大气 危废 噪声",
        14,
        (0.02, 0.28, 0.7, 0),
        workshop=True,
    ),
    _industry("食品加工", "食品 淀粉 粮油", "水", 8, (0.05, 0.4, 0.55, 0), workshop=True),
    _industry("矿山开采", "矿业 采选 石材", "大气 噪声 固废", 6, (0.1, 0.45, 0.35, 0.1)),
    _industry(
        "砖瓦制造", "新型建材 砖业 墙材", "大气", 5, (0.1, 0.6, 0.3, 0), air=True, workshop=True
    ),
    _industry("塑料制品", "塑料 塑业 橡塑", "大气", 6, (0, 0.28, 0.72, 0), air=True, workshop=True),
    _industry("纺织印染", "纺织 印染", "水", 2, (0.5, 0.4, 0.1, 0), workshop=True),
    _industry("制药", "制药 药业", "水 大气 危废", 1, (0.8, 0.2, 0, 0), air=True),
    _industry("汽车维修", "汽车维修 汽车服务", "危废 大气", 5, (0, 0.1, 0.9, 0)),
)
CONSTRUCTION = _industry("建筑施工", "房地产开发 建设工程 城建", "大气 噪声", 0, (0, 0, 0, 1))
SEWAGE = _industry("污水处理", "污水处理", "水", 0, (1, 0, 0, 0))
# 其他: units that are neither ordinary polluters nor projects.
OTHERS = (
    _industry("医疗卫生", "医院", "水 危废 辐射", 4, (0, 0.4, 0.6, 0)),
    _industry("加油站", "加油站", "大气 土壤", 4, (0, 0, 1, 0)),
    _industry("检验检测", "检测技术 环境检测", "危废", 2, (0, 0, 0.5, 0.5)),
    _industry("危险废物处置", "环保科技 再生资源", "危废 土壤", 1, (0.9, 0.1, 0, 0)),
)

BRAND_FIRST = "鑫宏恒金华盛兴永泰德瑞佳天东润嘉隆鼎新中万祥昌丰聚博远富利众开宇正和诚创广荣通达"
BRAND_SECOND = "源达信鼎泰盛昌隆发兴丰安华宇通旺威晟辉海成力邦顺益康泽瑞峰运升禾晨建锦豪贸"
SURNAMES = "王李张刘赵杨陈孙高马郭田董韩冯徐周吴朱宋于史齐魏贾霍白崔康石曹孟杜胡黄郑谢唐梁许邓"
GIVEN = (
    "建国伟强军磊涛明超勇杰鹏辉斌波峰刚华平亮海林志立新红英丽静敏燕霞娜芳艳玲婷颖雪晶洁"
    "宇浩博文凯旭阳帅晓春秋冬金玉永利东学庆宝振兴福成俊嘉子涵欣怡思佳梓航睿泽"
)
VILLAGE_FIRST = _words(
    "东 西 南 北 前 后 大 小 上 下 新 王家 李家 张家 刘家 马家 高家 赵家 杨家 石"
)
VILLAGE_SECOND = "庄营屯店寨堡峪沟河台坊口桥岭"
ROADS = _words(
    "建设路 工业路 兴业路 迎宾路 发展大道 创业路 富强路 开元路 人民路 文化路 通达路 长安街"
)
ISSUES = (
    "废气无组织排放问题突出",
    "雨污分流不到位，生产废水外排",
    "危险废物贮存场所不规范",
    "异味扰民，群众反映强烈",
    "污染防治设施未正常运行",
    "自动监测数据异常",
    "一般工业固体废物露天堆放",
)
SITE_ISSUES = ("施工扬尘污染防治措施不落实", "夜间施工噪声扰民", "施工废水未经处理外排")
POLLUTANTS = ("颗粒物", "二氧化硫", "氮氧化物", "化学需氧量", "氨氮", "总磷", "非甲烷总烃")


# --- items: the same list for every county, only 检查主体 differs --------------------------------

_ENV = "《中华人民共和国环境保护法》"
_WATER = "《中华人民共和国水污染防治法》"
_AIR = "《中华人民共和国大气污染防治法》"
_SOLID = "《中华人民共和国固体废物污染环境防治法》"
_SOIL = "《中华人民共和国土壤污染防治法》"
_NOISE = "《中华人民共和国噪声污染防治法》"
_EIA = "《中华人民共和国环境影响评价法》"
_PROJECTS = "《建设项目环境保护管理条例》"

# (抽查类别, 抽查事项, 检查对象, 事项类别, 检查方式, 检查依据 lines, 要素标签)
ITEMS: tuple[tuple[str, str, str, str, str, tuple[str, ...], str], ...] = (
    (
        "污染源环境监管",
        "排污单位污染物排放情况的检查",
        "排污单位",
        "重点检查事项",
        "现场检查、非现场检查",
        (f"{_ENV}第二十四条", f"{_WATER}第三十条", f"{_AIR}第二十九条"),
        "水、大气",
    ),
    (
        "污染源环境监管",
        "排污许可证执行情况的检查",
        "排污单位",
        "重点检查事项",
        "现场检查、书面检查",
        (f"{_ENV}第二十四条", "《排污许可管理条例》第二十六条"),
        "水、大气",
    ),
    (
        "污染源环境监管",
        "污染防治设施运行情况的检查",
        "排污单位",
        "一般检查事项",
        "现场检查、非现场检查",
        (f"{_ENV}第二十四条", f"{_WATER}第三十条", f"{_AIR}第二十九条"),
        "水、大气",
    ),
    (
        "污染源环境监管",
        "自动监测设备安装、运行及数据质量情况的检查",
        "重点排污单位",
        "重点检查事项",
        "非现场检查、现场检查",
        (f"{_ENV}第四十二条", f"{_WATER}第二十三条", f"{_AIR}第二十四条"),
        "水、大气",
    ),
    (
        "固体废物环境监管",
        "一般工业固体废物污染环境防治情况的检查",
        "排污单位",
        "一般检查事项",
        "现场检查",
        (f"{_SOLID}第二十六条",),
        "固废",
    ),
    (
        "固体废物环境监管",
        "危险废物规范化管理情况的检查",
        "危险废物产生单位",
        "重点检查事项",
        "现场检查、书面检查",
        (f"{_SOLID}第二十六条", "《危险废物经营许可证管理办法》第十七条"),
        "危废",
    ),
    (
        "建设项目环境监管",
        "建设项目环境影响评价制度执行情况的检查",
        "在建工程建设项目",
        "一般检查事项",
        "现场检查、书面检查",
        (f"{_EIA}第二十八条", f"{_PROJECTS}第二十条"),
        "大气、噪声",
    ),
    (
        "建设项目环境监管",
        "建设项目“三同时”制度执行情况的检查",
        "在建工程建设项目",
        "重点检查事项",
        "现场检查",
        (f"{_ENV}第四十一条", f"{_PROJECTS}第二十条"),
        "水、大气、噪声",
    ),
    (
        "水环境监管",
        "城镇污水处理厂运行情况的检查",
        "城镇污水处理厂",
        "重点检查事项",
        "现场检查、非现场检查",
        (f"{_WATER}第五十条", f"{_WATER}第八十五条"),
        "水",
    ),
    (
        "大气环境监管",
        "消耗臭氧层物质使用情况的检查",
        "消耗臭氧层物质使用单位",
        "一般检查事项",
        "现场检查、书面检查",
        (f"{_AIR}第二十九条", f"{_AIR}第八十五条"),
        "大气",
    ),
    (
        "核与辐射安全监管",
        "放射源安全管理情况的检查",
        "核技术利用单位",
        "重点检查事项",
        "现场检查",
        ("《中华人民共和国放射性污染防治法》第十一条",),
        "辐射",
    ),
    (
        "土壤环境监管",
        "土壤污染重点监管单位义务履行情况的检查",
        "土壤污染重点监管单位",
        "重点检查事项",
        "现场检查、书面检查",
        (f"{_SOIL}第二十一条", f"{_SOIL}第七十七条"),
        "土壤",
    ),
    (
        "噪声环境监管",
        "噪声污染防治情况的检查",
        "排污单位",
        "一般检查事项",
        "现场检查",
        (f"{_NOISE}第二十九条",),
        "噪声",
    ),
    (
        "环境风险监管",
        "突发环境事件应急预案备案及环境安全隐患排查治理情况的检查",
        "排污单位",
        "一般检查事项",
        "现场检查、书面检查",
        (f"{_ENV}第四十七条",),
        "水、大气",
    ),
)


T = TypeVar("T")


def _weighted(values: Sequence[T], weights: Sequence[float]) -> Callable[[random.Random], T]:
    """Like ``rng.choices(values, weights)[0]``, with the cumulative weights computed once."""
    cumulative = list(itertools.accumulate(weights))
    total, last = cumulative[-1], len(cumulative) - 1

    def pick(rng: random.Random) -> T:
        return values[bisect.bisect(cumulative, rng.random() * total, 0, last)]

    return pick


_pick_suffix = _weighted(("有限公司", "有限责任公司", "股份有限公司"), (12, 5, 1))
_pick_state = _weighted(OPERATING_STATES, (92, 6, 2))
_pick_air = _weighted(AIR_GRADES, (2, 3, 18, 32, 25, 20))
_pick_credit = _weighted(CREDIT_GRADES, (15, 25, 7, 3, 50))
_pick_event = _weighted(EVENT_TYPES, (30, 5, 10, 20, 20, 15))
_pick_tag_count = _weighted((1, 2, 3), (35, 45, 20))
_pick_tag = _weighted(TAGS, (30, 30, 12, 12, 8, 3, 5))


# --- generation -----------------------------------------------------------------------------------


@dataclass
class DemoRegisters:
    """The generated rows, each a tuple in the order of its headers."""

    county: County
    targets: list[tuple[str, ...]]
    events: list[tuple[str, str, dt.date, str]]
    inspectors: list[tuple[Any, ...]]
    items: list[tuple[Any, ...]]


@dataclass
class _Enterprise:
    code: str
    name: str
    address: str
    legal_rep: str
    division: str
    squad: str
    industry: Industry


def _gb11714_check(body: str) -> str:
    """Check character of an 8-character organisation code body (GB 11714-1997)."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(
        (int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body, weights, strict=True)
    )
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


class _Generator:
    def __init__(self, county: County, seed: int, year: int, until: dt.date | None = None) -> None:
        self.county = county
        self.rng = random.Random(seed)
        self.year = year
        self.until = until
        self.used_codes: set[str] = set()
        self.used_names: set[str] = set()
        self.used_projects: set[str] = set()
        # Each place (town or park) belongs to one squad, so 执法片区 follows geography.
        self.places: list[tuple[Area, str, bool, str]] = []
        squads = county.squad_names
        for area in county.areas:
            for place in area.parks:
                self.places.append((area, place, True, squads[len(self.places) % len(squads)]))
            for place in area.towns:
                self.places.append((area, place, False, squads[len(self.places) % len(squads)]))
        self.pick_surname = _weighted(SURNAMES, [1 / (1 + i * 0.15) for i in range(len(SURNAMES))])
        self.pick_industry = _weighted(INDUSTRIES, [industry.weight for industry in INDUSTRIES])
        self.pick_other = _weighted(OTHERS, [industry.weight for industry in OTHERS])
        self.pick_permit = {
            industry.name: _weighted(PERMIT_CLASSES, industry.permit)
            for industry in (*INDUSTRIES, *OTHERS, CONSTRUCTION, SEWAGE)
        }

    # People and places

    def person(self) -> str:
        rng = self.rng
        surname = self.pick_surname(rng)
        length = 1 if rng.random() < 0.3 else 2
        return surname + "".join(rng.choice(GIVEN) for _ in range(length))

    def place(self) -> tuple[Area, str, bool, str]:
        return self.rng.choice(self.places)

    def address(self, area: Area, place: str, park: bool) -> str:
        rng = self.rng
        if park:
            return f"{area.prefix}{place}{rng.choice(ROADS)}{rng.randint(1, 288)}号"
        village = rng.choice(VILLAGE_FIRST) + rng.choice(VILLAGE_SECOND)
        return f"{area.prefix}{place}{village}村"

    # Codes

    def uscc(self, kind: str, division: str) -> str:
        rng = self.rng
        while True:
            if rng.random() < 0.55:  # issued after 2015: MA…
                body = "MA0" + "".join(rng.choice(USCC_CHARSET) for _ in range(5))
            else:  # converted from an old organisation code
                body = f"{rng.randint(5, 7)}{rng.randint(0, 9_999_999):07d}"
            first17 = kind + division + body + _gb11714_check(body)
            code = first17 + uscc_check_digit(first17)
            if code not in self.used_codes:
                self.used_codes.add(code)
                return code

    def project_code(self, division: str) -> str:
        rng = self.rng
        while True:
            year, month = self.year - rng.randint(0, 2), rng.randint(1, 12)
            if self.until and (year, month) > (self.until.year, self.until.month):
                year -= 1  # not coded in a month still to come
            yymm = f"{year % 100:02d}{month:02d}"
            code = (
                f"{yymm}-{division}-{rng.choice(('04', '07', '89'))}-"
                f"{rng.choice(('01', '02', '03'))}-{rng.randint(1, 999_999):06d}"
            )
            if code not in self.used_projects:
                self.used_projects.add(code)
                return code

    # Names

    def unique(self, build: Callable[[int], str]) -> str:
        for attempt in range(10_000):
            name = build(attempt)
            if name not in self.used_names:
                self.used_names.add(name)
                return name
        raise RuntimeError("无法生成不重复的单位名称")  # pragma: no cover - pools are ample

    def brand(self, attempt: int) -> str:
        rng = self.rng
        length = 2 if attempt < 20 else 3
        pool = BRAND_FIRST + BRAND_SECOND
        return rng.choice(BRAND_FIRST) + "".join(rng.choice(pool) for _ in range(length - 1))

    def name_prefix(self) -> str:
        prefixes = self.county.name_prefixes
        return prefixes[0] if self.rng.random() < 0.7 else self.rng.choice(prefixes[1:])

    def company_name(self, industry: Industry) -> tuple[str, str]:
        """A unique name and its USCC kind (91 company, 92 individual business, 93 co-operative)."""
        rng = self.rng
        roll = rng.random()
        if industry.name == "畜禽养殖" and roll < 0.2:
            return self.unique(lambda a: f"{self.name_prefix()}{self.brand(a)}养殖场"), "92"
        if industry.name == "畜禽养殖" and roll < 0.45:
            return self.unique(lambda a: f"{self.name_prefix()}{self.brand(a)}养殖专业合作社"), "93"

        def build(attempt: int) -> str:
            word = rng.choice(industry.words)
            suffix = "厂" if industry.workshop and rng.random() < 0.1 else _pick_suffix(rng)
            return f"{self.name_prefix()}{self.brand(attempt)}{word}{suffix}"

        return self.unique(build), "91"

    # Rows

    def enterprise(
        self,
        industry: Industry,
        name: str | None = None,
        kind: str = "91",
        place: tuple[Area, str, bool, str] | None = None,
    ) -> _Enterprise:
        area, town, park, squad = place or self.place()
        if name is None:
            name, kind = self.company_name(industry)
        return _Enterprise(
            code=self.uscc(kind, area.code),
            name=name,
            address=self.address(area, town, park),
            legal_rep=self.person(),
            division=area.code,
            squad=squad,
            industry=industry,
        )

    def tags(self, industry: Industry, permit: str) -> str:
        rng = self.rng
        tags = list(industry.tags)
        if len(tags) >= 2 and rng.random() < 0.25:
            tags.pop()
        if permit == "重点管理" and "危废" in tags and len(tags) < 3 and rng.random() < 0.4:
            tags.append("土壤")  # likely on the 土壤污染重点监管单位 list
        return "、".join(tag for tag in TAGS if tag in tags)

    def target_row(
        self, e: _Enterprise, target_type: str, project: str = "", industry: Industry | None = None
    ) -> tuple[str, ...]:
        rng = self.rng
        industry = industry or e.industry
        if target_type == "在建工程建设项目":
            permit, state = "无", "存续"
        else:
            permit = self.pick_permit[industry.name](rng)
            state = _pick_state(rng)
        key_unit = rng.random() < (0.88 if permit == "重点管理" else 0.02 if permit != "无" else 0)
        graded = industry.air_graded and target_type != "在建工程建设项目"
        air = _pick_air(rng) if graded else "无"
        credit = _pick_credit(rng)
        high_risk = rng.random() < 0.03
        positive = (
            target_type != "在建工程建设项目"
            and credit not in ("C", "D")
            and not high_risk
            and rng.random() < 0.115
        )
        offsite = rng.random() < (0.8 if permit == "重点管理" else 0.24)
        return (
            e.code,
            e.name,
            target_type,
            project,
            e.address,
            e.legal_rep,
            e.division,
            e.squad,
            industry.name,
            permit,
            YES if key_unit else NO,
            YES if positive else NO,
            air,
            credit,
            YES if offsite else NO,
            YES if high_risk else NO,
            self.tags(industry, permit),
            state,
        )

    def targets(self, count: int) -> list[tuple[str, ...]]:
        rng = self.rng
        plants = min(rng.randint(1, 3), count)
        rest = count - plants
        construction = round(rest * 0.08)
        others = round(rest * 0.07)
        polluters = rest - construction - others
        rows: list[tuple[str, ...]] = []

        for index in range(plants):
            place = None
            if index == 0:
                name, kind = f"{self.county.name}城市污水处理厂", "12"
            elif index == 1:
                name, kind = f"{self.county.name}第二污水处理厂", "91"
            else:
                place = rng.choice([p for p in self.places if not p[2]])
                name, kind = f"{self.county.name}{place[1]}污水处理站", "12"
            self.used_names.add(name)
            enterprise = self.enterprise(SEWAGE, name, kind, place)
            rows.append(self.target_row(enterprise, "城镇污水处理厂"))

        operating: list[_Enterprise] = []
        for _ in range(polluters):
            industry = self.pick_industry(rng)
            enterprise = self.enterprise(industry)
            row = self.target_row(enterprise, "排污单位")
            rows.append(row)
            if row[-1] == "存续":
                operating.append(enterprise)

        for _ in range(others):
            industry = self.pick_other(rng)
            if industry.name == "医疗卫生" and rng.random() < 0.5:
                # A township health centre (卫生院), a public institution: one per town.
                place = self.place()
                name = f"{self.county.name}{place[1]}卫生院"
                if not place[2] and name not in self.used_names:
                    self.used_names.add(name)
                    enterprise = self.enterprise(industry, name, "12", place)
                    rows.append(self.target_row(enterprise, "其他"))
                    continue
            rows.append(self.target_row(self.enterprise(industry), "其他"))

        # 在建工程建设项目: one row per project; an enterprise has one or two.
        made = 0
        while made < construction:
            projects = min(construction - made, 2 if rng.random() < 0.3 else 1)
            if operating and rng.random() < 0.5:
                enterprise = operating.pop(rng.randrange(len(operating)))
                industry = enterprise.industry
            else:
                industry = rng.choice(INDUSTRIES) if rng.random() < 0.6 else CONSTRUCTION
                enterprise = self.enterprise(industry)
            project_industry = CONSTRUCTION if industry is CONSTRUCTION else industry
            for _ in range(projects):
                code = self.project_code(enterprise.division)
                row = list(self.target_row(enterprise, "在建工程建设项目", code, CONSTRUCTION))
                row[8] = project_industry.name  # 行业类别 of the plant being built
                rows.append(tuple(row))
            made += projects

        rng.shuffle(rows)
        return rows

    def events(self, targets: list[tuple[str, ...]]) -> list[tuple[str, str, dt.date, str]]:
        rng = self.rng
        # code → whether the unit is only on the register as a construction site
        sites: dict[str, bool] = {}
        for row in targets:
            sites[row[0]] = sites.get(row[0], True) and row[2] == "在建工程建设项目"
        codes = list(sites)
        if not codes:
            return []
        start = dt.date(self.year - 1, 10, 1)
        span = (dt.date(self.year, 12, 31) - start).days
        county = self.county
        drafts = []
        for _ in range(max(1, round(len(targets) / 10))):
            code = rng.choice(codes)
            kind = _pick_event(rng)
            if sites[code] and kind == "超标排放通报":
                kind = "举报查实"  # a construction site has no discharge monitoring
            day = start + dt.timedelta(days=rng.randint(0, span))
            if self.until and day > self.until:
                # Nothing is recorded on a day still to come: the day falls back into the
                # days so far (the same draws of the generator, so the other rows stay).
                days_so_far = (self.until - start).days + 1
                day = start + dt.timedelta(days=(day - start).days % days_so_far)
            superior = rng.choice(county.superiors)
            issue = rng.choice(SITE_ISSUES if sites[code] else ISSUES)
            if kind == "挂牌督办":
                text = f"{superior}挂牌督办：{issue}"
            elif kind == "超标排放通报":
                text = f"自动监控数据显示{rng.choice(POLLUTANTS)}超标排放，{superior}通报"
            elif kind == "举报查实":
                text = f"12369 环保举报：{issue}，经查属实"
            elif kind == "上级检查未发现问题":
                text = f"{superior}执法检查，未发现环境违法问题"
            elif kind == "上级检查发现问题":
                text = f"{superior}执法检查发现{issue}，已责令整改"
            else:
                text = ""  # numbered below, in date order
            drafts.append((day, code, kind, text))
        drafts.sort(key=lambda d: d[0])
        numbers: dict[int, int] = {}
        events = []
        for day, code, kind, text in drafts:
            if kind == "行政处罚决定":
                numbers[day.year] = numbers.get(day.year, 0) + 1
                text = f"{county.short}环罚〔{day.year}〕{numbers[day.year]}号"
            events.append((code, kind, day, text))
        return events

    def inspectors(self, count: int) -> list[tuple[Any, ...]]:
        rng = self.rng
        county = self.county
        experts = round(count * 0.05)
        auxiliaries = round(count * 0.10)
        categories = ["专家"] * experts + ["辅助人员"] * auxiliaries
        categories += ["执法人员"] * (count - len(categories))
        rng.shuffle(categories)
        seniors = round(count * 0.62)
        senior_flags = [True] * seniors + [False] * (count - seniors)
        rng.shuffle(senior_flags)
        id_regions = [area.code for area in county.areas]
        used_ids: set[str] = set()
        used_names: set[str] = set()
        rows = []
        for serial, (category, senior) in enumerate(
            zip(categories, senior_flags, strict=True), start=1
        ):
            name = self.person()
            for _ in range(20):
                if name not in used_names:
                    break
                name = self.person()
            used_names.add(name)
            birth_year = rng.randint(self.year - 61, self.year - 28)
            if senior:
                joined = rng.randint(max(self.year - 25, birth_year + 22), self.year - SENIOR_YEARS)
            else:
                joined = rng.randint(self.year - SENIOR_YEARS + 1, self.year)
            while True:
                birth = dt.date(birth_year, 1, 1) + dt.timedelta(days=rng.randint(0, 364))
                first17 = f"{rng.choice(id_regions)}{birth:%Y%m%d}{rng.randint(1, 999):03d}"
                id_number = first17 + id_check_digit(first17)
                if id_number not in used_ids:
                    used_ids.add(id_number)
                    break
            prefix = {"执法人员": "", "辅助人员": "FZ", "专家": "ZJ"}[category]
            certificate = f"{prefix}{county.code}{joined}{serial:04d}"
            squad = rng.choice(county.squad_names)
            if category == "执法人员":
                department = (
                    ENFORCEMENT_DEPARTMENT if rng.random() < 0.92 else MONITORING_DEPARTMENT
                )
            elif category == "辅助人员":
                department = ENFORCEMENT_DEPARTMENT if rng.random() < 0.7 else MONITORING_DEPARTMENT
            else:
                department = MONITORING_DEPARTMENT
            k = _pick_tag_count(rng)
            chosen: set[str] = set()
            while len(chosen) < k:
                chosen.add(_pick_tag(rng))
            rows.append(
                (
                    name,
                    certificate,
                    id_number,
                    department,
                    squad,
                    squad if category == "执法人员" else "",
                    "、".join(tag for tag in TAGS if tag in chosen),
                    joined,
                    category,
                    YES if rng.random() < 0.95 else NO,
                )
            )
        return rows

    def items(self) -> list[tuple[Any, ...]]:
        return [
            (
                number,
                category,
                item,
                target,
                kind,
                method,
                self.county.bureau,
                "\n".join(basis),
                tags,
            )
            for number, (category, item, target, kind, method, basis, tags) in enumerate(ITEMS, 1)
        ]


def build_demo_registers(
    *,
    preset: str,
    targets: int,
    inspectors: int,
    seed: int = 0,
    year: int = 2026,
    until: dt.date | None = None,
) -> DemoRegisters:
    """Generate the rows of the four registers in memory (see :func:`write_demo_workbooks`)."""
    county = county_for(preset)
    if targets < 0 or inspectors < 0:
        raise ValueError("检查对象和执法检查人员的数量不能为负数")
    if until is not None and until < dt.date(year - 1, 10, 1):
        raise ValueError(f"截止日期 {until:%Y-%m-%d} 早于演示记录的起始日期")
    generator = _Generator(county, seed, year, until)
    target_rows = generator.targets(targets)
    return DemoRegisters(
        county=county,
        targets=target_rows,
        events=generator.events(target_rows),
        inspectors=generator.inspectors(inspectors),
        items=generator.items(),
    )


# --- workbooks ------------------------------------------------------------------------------------


def _write_sheet(
    path: Path,
    sheet_name: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    widths: Sequence[int],
    wrap_columns: Sequence[int] = (),
) -> None:
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    try:
        sheet = workbook.add_worksheet(sheet_name)
        bold = workbook.add_format({"bold": True})
        date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
        wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
        for column, width in enumerate(widths):
            sheet.set_column(column, column, width)
        sheet.freeze_panes(1, 0)
        for column, header in enumerate(headers):
            sheet.write_string(0, column, header, bold)
        for row_number, row in enumerate(rows, start=1):
            for column, value in enumerate(row):
                if isinstance(value, dt.date):
                    sheet.write_datetime(row_number, column, value, date_format)
                elif isinstance(value, int):
                    sheet.write_number(row_number, column, value)
                elif value:
                    if column in wrap_columns:
                        sheet.write_string(row_number, column, value, wrap)
                    else:
                        sheet.write_string(row_number, column, value)
        sheet.autofilter(0, 0, len(rows), len(headers) - 1)
    finally:
        workbook.close()


def write_registers(registers: DemoRegisters, out_dir: Path) -> dict[str, Path]:
    """Write generated registers as the four workbooks; returns their paths by key."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {key: out_dir / name for key, name in FILES.items()}
    _write_sheet(
        paths["targets"],
        "检查对象名录库",
        TARGET_HEADERS,
        registers.targets,
        (21, 34, 16, 26, 40, 10, 12, 13, 12, 16, 12, 8, 12, 8, 18, 10, 16, 8),
    )
    _write_sheet(paths["events"], "记录", EVENT_HEADERS, registers.events, (21, 18, 12, 50))
    _write_sheet(
        paths["inspectors"],
        "执法检查人员名录库",
        INSPECTOR_HEADERS,
        registers.inspectors,
        (10, 18, 21, 20, 13, 13, 16, 16, 10, 8),
    )
    _write_sheet(
        paths["items"],
        "随机抽查事项清单",
        ITEM_HEADERS,
        registers.items,
        (6, 18, 40, 20, 14, 22, 30, 46, 14),
        wrap_columns=(2, 7),
    )
    return paths


def write_demo_workbooks(
    out_dir: Path,
    *,
    preset: str,
    targets: int,
    inspectors: int,
    seed: int = 0,
    year: int = 2026,
    until: dt.date | None = None,
) -> dict[str, Path]:
    """Write ``targets.xlsx``, ``events.xlsx``, ``inspectors.xlsx`` and ``items.xlsx``.

    ``preset`` picks the county (``zunhua-2024`` 遵化市, ``baoding-2021`` 保定市,
    ``huojia-2024`` 获嘉县, ``gaocheng-2026`` 藁城区, ``jiangxian-2025`` 绛县); ``targets`` and
    ``inspectors`` are row counts (events are about one per ten targets); ``year`` is the plan
    year the events and working years are relative to; with ``until`` (the day the demo is
    built) no event and no 项目代码's month is later than that day. The same arguments always give
    the same cells. Returns the paths by key ``targets``, ``events``, ``inspectors``, ``items``.
    """
    registers = build_demo_registers(
        preset=preset, targets=targets, inspectors=inspectors, seed=seed, year=year, until=until
    )
    return write_registers(registers, out_dir)


# --- command line ---------------------------------------------------------------------------------


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"“{text}”不是整数") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"数量不能为负数：{value}")
    return value


def register(subparsers: Any) -> None:
    """Add the ``data`` command to an argparse subparsers object."""
    text = "生成演示用名录库 Excel 文件：检查对象、特殊监管记录、执法检查人员、随机抽查事项"
    parser = subparsers.add_parser("data", help=text, description=text)
    parser.add_argument(
        "--preset",
        required=True,
        choices=list(PRESETS),
        metavar="PRESET",
        help=f"县区预设：{'、'.join(f'{p}（{c.name}）' for p, c in PRESETS.items())}",
    )
    parser.add_argument(
        "--targets", type=_count, default=300, metavar="N", help="检查对象条数（默认 300）"
    )
    parser.add_argument(
        "--inspectors", type=_count, default=40, metavar="M", help="执法检查人员人数（默认 40）"
    )
    parser.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="输出目录（不存在则创建）"
    )
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="随机种子（默认 0）")
    parser.add_argument("--year", type=int, default=2026, metavar="Y", help="计划年度（默认 2026）")
    parser.set_defaults(func=_demo_data)


def _demo_data(args: argparse.Namespace) -> int:
    registers = build_demo_registers(
        preset=args.preset,
        targets=args.targets,
        inspectors=args.inspectors,
        seed=args.seed,
        year=args.year,
    )
    try:
        paths = write_registers(registers, args.out)
    except OSError as error:
        print(f"错误：无法写出演示数据：{error}", file=sys.stderr)
        return 1
    county = registers.county
    print(f"已生成{county.name}演示数据（随机种子 {args.seed}，计划年度 {args.year}）：")
    for key, label, count, unit in (
        ("targets", "检查对象名录库", len(registers.targets), "条"),
        ("events", "特殊监管记录", len(registers.events), "条"),
        ("inspectors", "执法检查人员名录库", len(registers.inspectors), "人"),
        ("items", "随机抽查事项清单", len(registers.items), "项"),
    ):
        print(f"  {label}：{count} {unit}  {paths[key]}")
    return 0
