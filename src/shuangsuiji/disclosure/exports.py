"""Files the portal and the open-data API hand out: a draw's bundle and CSV tables."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator

from django.http import HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

from shuangsuiji.disclosure import selectors
from shuangsuiji.draw.bundle import zip_files
from shuangsuiji.planning.models import Draw
from shuangsuiji.spreadsheets import csv_row


def bundle_zip(draw: Draw) -> HttpResponse:
    archive = zip_files(draw.draw_id, selectors.public_bundle(draw))
    response = HttpResponse(archive, content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(True, f"{draw.draw_id}.zip")
    return response


class _Line:
    """A file-like target for csv.writer that hands back what was written."""

    def write(self, text: str) -> str:
        return text


def csv_response(
    filename: str,
    header: list[str],
    rows: Iterable,
    row: Callable[[object], list],
) -> StreamingHttpResponse:
    """Stream every row, so a 500,000-line register never sits in memory. The byte-order mark
    lets Excel, which bureaus open CSV files with, read the Chinese as UTF-8; a cell that a
    spreadsheet would run as a formula is neutralised (shuangsuiji.spreadsheets)."""
    writer = csv.writer(_Line())

    def lines() -> Iterator[str]:
        yield "\ufeff" + writer.writerow(csv_row(header))
        for item in rows:
            yield writer.writerow(csv_row(row(item)))

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
