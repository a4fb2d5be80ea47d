import io
import json
import zipfile

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from shuangsuiji import draw as engine
from shuangsuiji.disclosure import selectors
from shuangsuiji.inspections.models import Inspection


@require_GET
def index(request):
    return render(
        request, "disclosure/index.html", {"organisations": selectors.public_organisations()}
    )


@require_GET
def organisation(request, code: str):
    org = get_object_or_404(selectors.public_organisations(), code=code)
    return render(
        request,
        "disclosure/organisation.html",
        {
            "org": org,
            "revisions": selectors.public_plan_revisions(org).order_by("-plan__year", "-version"),
            "draws": selectors.public_draws(org),
            "children": org.children.filter(is_active=True),
        },
    )


@require_GET
def plan_revision(request, code: str, year: int, version: int):
    org = get_object_or_404(selectors.public_organisations(), code=code)
    revision = get_object_or_404(
        selectors.public_plan_revisions(org), plan__year=year, version=version
    )
    return render(
        request,
        "disclosure/plan.html",
        {
            "org": org,
            "revision": revision,
            "history": selectors.public_plan_revisions(org)
            .filter(plan__year=year)
            .order_by("version"),
        },
    )


def _draw(draw_id: str):
    return get_object_or_404(selectors.public_draws(), draw_id=draw_id)


@require_GET
def draw(request, draw_id: str):
    item = _draw(draw_id)
    context = {
        "draw": item,
        "commitment": json.loads(item.commitment),
        "params": json.loads(item.params),
        "files": selectors.public_bundle(item),
    }
    if item.salt_public:
        report = engine.verify(context["files"])
        context["report"] = report
        context["salt"] = bytes(item.salt).hex()
    if item.status == item.Status.REVEALED:
        result = json.loads(item.result)
        teams = {
            i.target.draw_id: [m.inspector.name for m in i.members.all()]
            for i in item.inspections.exclude(status=Inspection.Status.CANCELLED)
            .select_related("target")
            .prefetch_related("members__inspector")
        }
        for stratum in result["strata"]:
            for rank, selected in enumerate(stratum["selected"], start=1):
                selected["rank"] = rank
                selected["team"] = teams.get(selected["id"], [])
        context["result"] = result
        context["substitutions"] = item.substitutions.all()
        context["manual"] = item.manual_assignments.all()
    return render(request, "disclosure/draw.html", context)


@require_GET
def draw_file(request, draw_id: str, name: str):
    files = selectors.public_bundle(_draw(draw_id))
    if name not in files:
        raise Http404("该文件尚未公开。")
    content_type = "application/json" if name.endswith(".json") else "text/plain"
    return HttpResponse(files[name], content_type=f"{content_type}; charset=utf-8")


@require_GET
def draw_bundle(request, draw_id: str):
    item = _draw(draw_id)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in selectors.public_bundle(item).items():
            archive.writestr(f"{item.draw_id}/{name}", content)
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{item.draw_id}.zip"'
    return response
