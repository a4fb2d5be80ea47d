"""The policy engine: each bureau's plan as a preset of dated, referenced values.

Pure Python (no Django): a third party can classify a register and compute quotas offline.
"""

from shuangsuiji.policy.engine import (
    Classification,
    Quota,
    classify,
    compliance_targets,
    quotas,
)
from shuangsuiji.policy.errors import (
    PolicyError,
    PolicyInputMissing,
    PolicyNotInForce,
    PolicyValueMissing,
)
from shuangsuiji.policy.loader import Preset, available_presets, load_preset, load_preset_text
from shuangsuiji.policy.quarter import Quarter
from shuangsuiji.policy.targets import PlanTarget, TargetKind, plan_target, plan_targets

__all__ = [
    "Classification",
    "PlanTarget",
    "PolicyError",
    "PolicyInputMissing",
    "PolicyNotInForce",
    "PolicyValueMissing",
    "Preset",
    "Quarter",
    "Quota",
    "TargetKind",
    "available_presets",
    "classify",
    "compliance_targets",
    "load_preset",
    "load_preset_text",
    "plan_target",
    "plan_targets",
    "quotas",
]
