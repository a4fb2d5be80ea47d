"""Closed vocabularies of the registers, with the Chinese words the import templates use."""

from django.db import models

from shuangsuiji.policy.schema import METHOD_WORDS

#: 要素标签 / 业务专长: the same words on targets, inspectors and items, so matching is exact.
TAG_VOCABULARY: tuple[str, ...] = ("水", "大气", "固废", "危废", "噪声", "辐射", "土壤", "核与辐射")


class TargetType(models.TextChoices):
    POLLUTER = "polluter", "排污单位"
    CONSTRUCTION = "construction", "在建工程建设项目"
    SEWAGE_PLANT = "sewage_plant", "城镇污水处理厂"
    OTHER = "other", "其他"


class PermitCategory(models.TextChoices):
    KEY = "key", "重点管理"
    SIMPLIFIED = "simplified", "简化管理"
    REGISTERED = "registered", "登记管理"
    NONE = "none", "无"


class AirRating(models.TextChoices):
    A = "A", "A"
    B = "B", "B"
    LEADING = "leading", "引领性"
    C = "C", "C"
    D = "D", "D"
    NONE = "none", "无"


class CreditRating(models.TextChoices):
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"
    D = "D", "D"
    NONE = "none", "无"


class OperatingStatus(models.TextChoices):
    OPERATING = "operating", "存续"
    SUSPENDED = "suspended", "停产"
    CANCELLED = "cancelled", "注销"


class EventKind(models.TextChoices):
    PENALTY = "penalty", "行政处罚决定"
    SUPERVISED = "supervised", "挂牌督办"
    EXCEEDANCE = "exceedance", "超标排放通报"
    COMPLAINT_CONFIRMED = "complaint_confirmed", "举报查实"
    HIGHER_CLEAN = "higher_clean", "上级检查未发现问题"
    HIGHER_PROBLEM = "higher_problem", "上级检查发现问题"
    #: Recorded automatically when this bureau's own inspection finds a violation.
    OWN_PROBLEM = "own_problem", "本级检查发现问题"


class InspectorCategory(models.TextChoices):
    ENFORCEMENT = "enforcement", "执法人员"
    AUXILIARY = "auxiliary", "辅助人员"
    EXPERT = "expert", "专家"


class ItemClass(models.TextChoices):
    GENERAL = "general", "一般检查事项"
    KEY = "key", "重点检查事项"


class InspectionMethod(models.TextChoices):
    """检查方式 of the item list: the policy's vocabulary (``schema.METHOD_WORDS``), in the order
    the list has always written and stored them (现场、书面、非现场)."""

    ONSITE = "onsite", METHOD_WORDS["onsite"]
    DOCUMENT = "document", METHOD_WORDS["document"]
    OFFSITE = "offsite", METHOD_WORDS["offsite"]
