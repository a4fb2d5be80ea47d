"""Preset values in Chinese words on the policy pages (issue 19 §2):
``{{ value|policy_words:path }}``, ``{% policy_value path value preset %}`` (with the preset's
class names), and ``{% policy_rows preset as rows %}`` for the table of every parameter with its
dated values."""

from django import template

from shuangsuiji.planning.policy_editor import parameter_rows
from shuangsuiji.policy.describe import describe

register = template.Library()


def _names(preset) -> dict[str, str]:
    return {rule.code: rule.name for rule in getattr(preset, "classes", ())}


@register.filter
def policy_words(value, path: str) -> str:
    """The value of parameter ``path`` in words."""
    return describe(path, value)


@register.simple_tag
def policy_value(path: str, value, preset=None) -> str:
    """The value in words, naming classes as the bureau's preset names them."""
    return describe(path, value, _names(preset))


@register.simple_tag
def policy_rows(preset) -> list[dict]:
    """Every parameter of the preset with each dated value in words (``parameter_rows``)."""
    return parameter_rows(preset)
