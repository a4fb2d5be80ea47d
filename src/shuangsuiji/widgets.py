"""The form renderer: Django's standard widgets written in Python, anything else by Jinja2.

Every input of every form goes through the renderer (``Widget.render``, a radio button's
``tag``). Through Jinja2 each costs a template lookup, a new context and two or three nested
includes: the record form's inputs took 4.4–5.0 ms of CPU, a third of an inspector's most used
page; written here they take 2.0–2.4 ms, and the page 12.2 ms instead of 13.9
(``benchmarks/forms.py``; issue 21 §3, docs/staff-speed.md §十八).

The writers below give what Django's own Jinja2 widget templates
(``django/forms/jinja2/django/forms/widgets/``) give, byte for byte: the same markup and
whitespace, values escaped by the same function (``markupsafe.escape``, as Jinja2's
autoescaping), attributes that are ``True`` written bare and ``False`` left out, the output
stripped as ``BaseRenderer.render`` strips it. ``tests/test_widgets.py`` renders every kind of
widget, in every state the writers tell apart, both ways and compares. A template no writer
stands for (a file input with its current file, a multi-widget, a form's own layout) is
rendered by Jinja2 as before.
"""

from __future__ import annotations

from collections.abc import Callable

from django.forms.renderers import Jinja2
from markupsafe import escape

WIDGETS = "django/forms/widgets/"


def _attrs(attrs: dict) -> str:
    # attrs.html: ``True`` bare, ``False`` left out, anything else as text.
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {escape(name)}")
        else:
            parts.append(f' {escape(name)}="{escape(value)}"')
    return "".join(parts)


def _input(widget: dict) -> str:
    value = widget["value"]
    shown = f' value="{escape(value)}"' if value is not None else ""
    return (
        f'<input type="{escape(widget["type"])}" name="{escape(widget["name"])}"'
        f"{shown}{_attrs(widget['attrs'])}>"
    )


def _input_option(widget: dict) -> str:
    # input_option.html: a radio button or checkbox inside its label.
    if not widget.get("wrap_label"):
        return _input(widget)
    for_id = widget["attrs"].get("id")
    target = f' for="{escape(for_id)}"' if for_id else ""
    return f"<label{target}>{_input(widget)} {escape(widget['label'])}</label>"


def _textarea(widget: dict) -> str:
    value = widget["value"]
    return (
        f'<textarea name="{escape(widget["name"])}"{_attrs(widget["attrs"])}>\n'
        f"{escape(value) if value else ''}</textarea>"
    )


def _option(widget: dict) -> str:
    return (
        f'<option value="{escape(widget["value"])}"{_attrs(widget["attrs"])}>'
        f"{escape(widget['label'])}</option>"
    )


class FormRenderer(Jinja2):
    """``django.forms.renderers.Jinja2``, with the standard widgets written in Python."""

    def __init__(self) -> None:
        super().__init__()
        self.writers: dict[str, Callable[[dict], str]] = {
            f"{WIDGETS}{name}.html": _input
            for name in (
                "input", "text", "number", "email", "url", "password", "hidden", "date",
                "datetime", "time", "search", "tel", "color", "file", "checkbox",
            )
        }  # fmt: skip
        self.writers.update(
            {
                f"{WIDGETS}input_option.html": _input_option,
                f"{WIDGETS}radio_option.html": _input_option,
                f"{WIDGETS}checkbox_option.html": _input_option,
                f"{WIDGETS}textarea.html": _textarea,
                f"{WIDGETS}select_option.html": _option,
                f"{WIDGETS}select.html": self._select,
                f"{WIDGETS}multiple_input.html": self._multiple_input,
                f"{WIDGETS}radio.html": self._multiple_input,
                f"{WIDGETS}checkbox_select.html": self._multiple_input,
            }
        )

    def render(self, template_name, context, request=None):
        writer = self.writers.get(template_name)
        if writer is None or set(context) != {"widget"}:
            return super().render(template_name, context, request=request)
        return writer(context["widget"]).strip()

    def _sub(self, widget: dict) -> str:
        """An option as its own template writes it (``{% include widget.template_name %}``)."""
        writer = self.writers.get(widget["template_name"])
        if writer is None:
            return self.get_template(widget["template_name"]).render({"widget": widget})
        return writer(widget)

    def _select(self, widget: dict) -> str:
        options = self._groups(widget, '\n  <optgroup label="{}">', "\n  {}", "\n  </optgroup>")
        return (
            f'<select name="{escape(widget["name"])}"{_attrs(widget["attrs"])}>{options}\n</select>'
        )

    def _multiple_input(self, widget: dict) -> str:
        # multiple_input.html: radio buttons or checkboxes, each in a <div>.
        attrs = widget["attrs"]
        element_id, css = attrs.get("id"), attrs.get("class")
        shown_id = f' id="{escape(element_id)}"' if element_id else ""
        shown_class = f' class="{escape(css)}"' if css else ""
        options = self._groups(
            widget, "\n  <div><label>{}</label>", "<div>\n    {}</div>", "\n  </div>"
        )
        return f"<div{shown_id}{shown_class}>{options}\n</div>"

    def _groups(self, widget: dict, opening: str, each: str, closing: str) -> str:
        """The options of ``widget`` (a select's or a set of radio buttons'), each written into
        ``each``, those of a named group between ``opening`` (given the name) and ``closing``."""
        parts = []
        for group, options, _index in widget["optgroups"]:
            if group:
                parts.append(opening.format(escape(group)))
            parts.extend(each.format(self._sub(option)) for option in options)
            if group:
                parts.append(closing)
        return "".join(parts)
