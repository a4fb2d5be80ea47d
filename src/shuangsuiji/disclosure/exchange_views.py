"""Staff pages of the exchange batches (issue 20 §6; docs/exchange.md “在网页上”): the batches
of the organisation and those below it, their push records and their files; the 抽查管理员
writes the next batch here when no scheduler does it (获嘉 一、（四） 信息填报: the workbook is what
the 公示系统's upload takes). Only readers of the organisation's data see them; the public
never (the portal has its own open data)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from shuangsuiji.accounts.access import role_required
from shuangsuiji.disclosure.exchange import (
    batch_file_names,
    batch_path,
    batches_for,
    exchange_export,
)
from shuangsuiji.disclosure.exchange_files import MANIFEST, SUMS
from shuangsuiji.disclosure.models import ExchangeBatch, ExchangeKind

#: What a download is, by the end of its name.
CONTENT_TYPES = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".jsonl": "application/x-ndjson; charset=utf-8",
    ".json": "application/json; charset=utf-8",
}


@role_required("read_org_data")
def batches(request):
    kind = request.GET.get("kind", "")
    problems = []
    rows = batches_for(request.user)
    if kind and kind not in ExchangeKind.values:
        problems.append(f"交换内容只能是{'、'.join(ExchangeKind.labels)}，已列出全部批次。")
    elif kind:
        rows = rows.filter(kind=kind)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "disclosure/exchange.html",
        {
            "page": page,
            "kinds": ExchangeKind.choices,
            "chosen": kind if not problems else "",
            "problems": problems,
            "manifest": MANIFEST,
            "sums": SUMS,
        },
        status=400 if problems else 200,
    )


@role_required("manage_sampling")
@require_POST
def create(request):
    kind = request.POST.get("kind", "")
    try:
        batch = exchange_export(
            actor=request.user, organisation=request.user.organisation, kind=kind
        )
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        if batch.rows:
            messages.success(
                request,
                f"已生成{batch}：新增 {batch.added} 行，变更 {batch.changed} 行，"
                f"撤回 {batch.withdrawn} 行。",
            )
        else:
            messages.success(request, f"已生成{batch}：自上一批以来没有变化，是空批次。")
    return redirect("exchange:batches")


@role_required("read_org_data")
def batch_file(request, pk: int, name: str):
    batch = get_object_or_404(ExchangeBatch.objects.readable_by(request.user), pk=pk)
    if name not in batch_file_names(batch):
        raise Http404("该批次没有这个文件。")
    path = batch_path(batch) / name
    if not path.is_file():
        raise Http404("该批次的文件已不在服务器上，请从备份恢复。")
    content_type = CONTENT_TYPES.get(path.suffix, "text/plain; charset=utf-8")
    return FileResponse(
        path.open("rb"), as_attachment=True, filename=name, content_type=content_type
    )
