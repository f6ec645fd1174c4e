"""A report table as a file: CSV (UTF-8 with a byte-order mark, so Excel reads Chinese) or XLSX."""

import csv
import io

from openpyxl import Workbook
from werkzeug.wrappers import Response

from booking.services.reports import Report
from booking.web.reports.tables import Table, build_tables, describe_filters

FORMATS = ("csv", "xlsx")
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cells(value: object) -> object:
    return "" if value is None else value


def to_csv(table: Table, heading: list[tuple[str, str]]) -> bytes:
    """The header lines say what the table covers; then one header row and the rows."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([table.title])
    for label, value in heading:
        writer.writerow([label, value])
    writer.writerow([])
    writer.writerow([c.label for c in table.columns])
    for row in table.rows:
        writer.writerow([_cells(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(table: Table, heading: list[tuple[str, str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = table.name
    sheet.append([table.title])
    for label, value in heading:
        sheet.append([label, value])
    sheet.append([])
    sheet.append([c.label for c in table.columns])
    sheet.freeze_panes = f"A{sheet.max_row + 1}"
    for row in table.rows:
        sheet.append([None if v is None else v for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def send(table: Table, heading: list[tuple[str, str]], fmt: str, filename: str, cache: str) -> Response:
    """A table as a file to download (`fmt`: csv or xlsx), kept out of shared caches per `cache`."""
    if fmt == "csv":
        body, mimetype = to_csv(table, heading), CSV_TYPE
    else:
        body, mimetype = to_xlsx(table, heading), XLSX_TYPE
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}.{fmt}"', "Cache-Control": cache},
    )


def download(report: Report, table: str, fmt: str, rank: str) -> Response:
    """One of the report's tables (TABLE_NAMES) as a file to download, for the page and the API alike."""
    chosen = build_tables(report, rank)[table]
    return send(chosen, describe_filters(report), fmt, f"{table}_{report.filters.period.slug}", "no-store")
