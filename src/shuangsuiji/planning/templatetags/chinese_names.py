"""Chinese names for the codes pages would otherwise show (issue 19 §3): ``{% class_name i %}``
for an inspection's class, ``|flag_names`` for a drawn inspection's flags, ``|preset_title`` for
a preset's slug."""

from django import template

from shuangsuiji.bureau.policies import effective_presets
from shuangsuiji.planning import labels
from shuangsuiji.policy.loader import preset_titles

register = template.Library()


@register.simple_tag(takes_context=True)
def class_name(context, inspection) -> str:
    """The Chinese name of the inspection's class in its bureau's plan (read once per bureau
    and page), "—" for an inspection without a class."""
    code = inspection.stratum
    if not code:
        return "—"
    cache = context.render_context.setdefault("class_names", {})
    organisation = inspection.organisation
    if organisation.pk not in cache:
        preset = effective_presets([organisation]).get(organisation.pk)
        classes = getattr(preset, "classes", ())
        cache[organisation.pk] = {rule.code: rule.name for rule in classes}
    return cache[organisation.pk].get(code) or "其他类别"


@register.filter
def flag_names(flags) -> list[str]:
    return [labels.flag_name(flag) for flag in flags or ()]


@register.filter
def preset_title(slug: str) -> str:
    """The shipped preset's Chinese title; a slug no longer shipped is named as such."""
    return preset_titles().get(slug, "本版软件未带的预设")


@register.filter
def parameter_name(path: str, preset) -> str:
    """A preset parameter's Chinese name: ``classes.KEY.quota`` → 重点监管对象：抽查比例."""
    return labels.parameter_name(preset, path)
