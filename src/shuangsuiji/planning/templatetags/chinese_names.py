"""Chinese names for the codes pages would otherwise show (issue 19 §3): ``{% class_name i %}``
for an inspection's class, ``|flag_names`` for a drawn inspection's flags, ``|preset_title`` for
a preset's slug."""

import re

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

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


#: What a citizen matches against the bundle files: field and file names in the report lines of
#: the server's verification (``抽取种子 seed 一致``, ``层 KEY 数量 k、eligible 一致``).
_BUNDLE_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.(?:json|txt|hex))?")


@register.filter
def bundle_codes(text: str) -> str:
    """The text with each Latin token set in ``<code>``: the names of the files and fields a
    reader finds in the bundle, shown as such beside the Chinese sentence."""
    return mark_safe(
        _BUNDLE_TOKEN.sub(lambda m: f"<code>{m.group(0)}</code>", conditional_escape(str(text)))
    )
