"""The record form (``/inspections/<pk>/record/``) rendered with the project's form renderer
(``shuangsuiji.widgets.FormRenderer``: the standard widgets written in Python) and with
Django's Jinja2 renderer, which it replaced (issue 21 §3).

    uv run python benchmarks/forms.py --database-url URL --data-dir DIR

``URL`` and ``DIR`` are a database loaded by ``benchmarks/staff.py --database-url URL --data-dir
DIR --load-only`` (or by an earlier ``staff.py`` run with them). The county inspector of
``staff.py`` opens their open inspection's record form in this process, through Django's test
client, ``--repeat`` times with each renderer, the two taking turns request by request so that
the machine's swings fall on both alike. Printed: the median thread CPU of a request with each
(this process only: the database's share is the same for both and is left out), the same for
``/healthz`` as the floor, measured in the same run, and each over the floor. The script checks
that both renderers give the same page, byte for byte (the CSRF tokens aside).
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

import portal  # noqa: E402

#: A page's CSRF tokens differ from request to request.
TOKEN = re.compile(rb'(csrfmiddlewaretoken" value=|"X-CSRFToken": )"[^"]*"')


def main() -> None:
    args, county = portal.staff_county(__doc__, repeat=300)
    import django.forms.forms
    import django.forms.utils
    import django.forms.widgets
    from django.contrib.auth import get_user_model
    from django.forms.renderers import Jinja2
    from django.test import Client

    from shuangsuiji.widgets import FormRenderer

    client = Client(HTTP_HOST="127.0.0.1", headers=portal.HEADERS)
    client.force_login(get_user_model().objects.get(username=county["users"]["inspector"]))
    path = f"/inspections/{county['open']}/record/"
    renderers = {"Jinja2 (before)": Jinja2(), "FormRenderer (now)": FormRenderer()}

    def use(renderer) -> None:
        # Where Django asks for the default renderer: a form, a widget, an error list.
        for module in (django.forms.forms, django.forms.widgets, django.forms.utils):
            module.get_default_renderer = lambda: renderer

    def cpu_ms(url: str) -> float:
        started = time.thread_time()
        response = client.get(url)
        spent = (time.thread_time() - started) * 1000
        assert response.status_code == 200, (url, response.status_code)
        return spent

    pages = []
    for renderer in renderers.values():
        use(renderer)
        for _ in range(5):  # templates compiled, queries prepared
            page = client.get(path).content
        pages.append(TOKEN.sub(rb"\1", page))
    assert pages[0] == pages[1], "the two renderers give different pages"

    times: dict[str, list[float]] = {name: [] for name in renderers}
    floor = []
    for _ in range(args.repeat):
        for name, renderer in renderers.items():
            use(renderer)
            times[name].append(cpu_ms(path))
        floor.append(cpu_ms("/healthz"))
    portal.print_medians(
        f"{path} as {county['users']['inspector']}, {args.repeat} requests each",
        "renderer",
        times,
        floor,
    )


if __name__ == "__main__":
    main()
