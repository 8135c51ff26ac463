"""Exports of a report: XLSX, CSV and JSON, written as a stream.

    write_xlsx(document, binary_stream_or_path)
    write_csv(document, text_stream)     # tidy: section, key, metric, value
    write_json(document, text_stream)

Rows are written as they come (the tables' rows may be generators reading the
database), so memory stays flat however long a table is: openpyxl's write-only
mode spools each sheet to a temporary file and zips them at the end.

Figures held back by the privacy floor read "fewer than 5" in XLSX (in grey
italics on a grey fill, explained by a note under the summary) and CSV. In JSON
they are ``null``, and each object lists its held-back keys under
``"suppressed"``, so a tool can tell "held back" from "not known" (also ``null``)
without reading words:

    {"summary": {"reply_rate": null, ..., "suppressed": ["reply_rate"]},
     "weeks": [{"week_starting": "2026-11-02", ..., "suppressed": []}], ...,
     "privacy_floor": 5}

A text cell that would start a spreadsheet formula (``=``, ``+``, ``-``, ``@``,
tab or carriage return) gets a leading apostrophe, in XLSX and CSV alike, so
a name such as ``=HYPERLINK(...)`` stays text.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import IO, Any, Final

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill

from bot.core.reports.figures import PRIVACY_FLOOR, CellKind, Document, Metric, Suppressed, Value

FORMATS: Final = ("csv", "xlsx", "json")
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
NUMBER_FORMATS: Final[dict[str, str]] = {
    "date": "yyyy-mm-dd",
    "percent": "0.0%",
    "minutes": "0.0",
    "points": "+0.0;-0.0;0.0",
    "count": "#,##0",
}
#: How a held-back cell looks in a workbook: set apart from the figures around it.
HELD_BACK_FONT: Final = Font(italic=True, color="FF666666")
HELD_BACK_FILL: Final = PatternFill(fill_type="solid", start_color="FFEEEEEE", end_color="FFEEEEEE")
_BAD_TITLE = str.maketrans({character: " " for character in "[]:*?/\\"})


def neutralise(text: str) -> str:
    """Text that a spreadsheet won't take for a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _plain(value: Value, fewer: str) -> Any:
    """A value for CSV and JSON: suppressed figures read "fewer than 5", dates ISO."""
    if isinstance(value, Suppressed):
        return fewer
    if isinstance(value, date):
        return value.isoformat()
    return value


# -- XLSX ------------------------------------------------------------------------


def write_xlsx(document: Document, out: IO[bytes] | Path | str) -> None:
    """A summary sheet, then one sheet per table, streamed to ``out``."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_title(document.name))
    sheet.column_dimensions["A"].width = 38
    sheet.column_dimensions["B"].width = 24
    sheet.append(_header(sheet, [document.labels[0], document.labels[1]]))
    for metric in document.summary:
        label = _cell(sheet, metric.label, "text", document.fewer)
        sheet.append([label, _metric(sheet, metric, document.fewer)])
    if document.note:
        sheet.append([])
        note = WriteOnlyCell(sheet, value=neutralise(document.note))
        note.font = HELD_BACK_FONT
        sheet.append([note])
    for table in document.tables:
        sheet = book.create_sheet(_title(table.title))
        for index, column in enumerate(table.columns):
            letter = chr(ord("A") + index)
            sheet.column_dimensions[letter].width = 30 if column.kind == "text" else 16
        sheet.freeze_panes = "A2"
        sheet.append(_header(sheet, [column.label for column in table.columns]))
        for row in table.rows:
            sheet.append(
                [
                    _cell(sheet, value, column.kind, document.fewer)
                    for value, column in zip(row, table.columns, strict=True)
                ]
            )
    book.save(out)


def _title(text: str) -> str:
    return text.translate(_BAD_TITLE)[:31] or "Sheet"


def _header(sheet: Any, labels: list[str]) -> list[WriteOnlyCell]:
    cells = []
    for label in labels:
        cell = WriteOnlyCell(sheet, value=neutralise(label))
        cell.font = Font(bold=True)
        cells.append(cell)
    return cells


def _metric(sheet: Any, metric: Metric, fewer: str) -> WriteOnlyCell | None:
    return _cell(sheet, metric.value, metric.kind, fewer)


def _cell(sheet: Any, value: Value, kind: CellKind, fewer: str) -> WriteOnlyCell | None:
    if value is None:
        return None
    if isinstance(value, Suppressed):
        cell = WriteOnlyCell(sheet, value=fewer)
        cell.font = HELD_BACK_FONT
        cell.fill = HELD_BACK_FILL
        return cell
    if isinstance(value, str):
        return WriteOnlyCell(sheet, value=neutralise(value))
    cell = WriteOnlyCell(sheet, value=value)
    if kind in NUMBER_FORMATS:
        cell.number_format = NUMBER_FORMATS[kind]
    return cell


# -- CSV -------------------------------------------------------------------------


def csv_rows(document: Document) -> Iterator[list[Any]]:
    """Tidy rows: section, key (the week or topic, empty for the summary), metric, value."""
    yield ["section", "key", "metric", "value"]
    for metric in document.summary:
        yield ["summary", "", metric.key, _csv(metric.value, document.fewer)]
    for table in document.tables:
        rest = table.columns[1:]
        for row in table.rows:
            key = _csv(row[0], document.fewer)
            for column, value in zip(rest, row[1:], strict=True):
                yield [table.key, key, column.key, _csv(value, document.fewer)]


def _csv(value: Value, fewer: str) -> Any:
    plain = _plain(value, fewer)
    return neutralise(plain) if isinstance(plain, str) else ("" if plain is None else plain)


def write_csv(document: Document, out: IO[str]) -> None:
    writer = csv.writer(out, lineterminator="\n")
    for row in csv_rows(document):
        writer.writerow(row)


# -- JSON ------------------------------------------------------------------------


def write_json(document: Document, out: IO[str], floor: int = PRIVACY_FLOOR) -> None:
    """One JSON object: ``summary`` (metric: value), then a list of rows per table, then
    ``privacy_floor``. Held-back figures are null and named in the object's
    ``suppressed`` list. Written a row at a time."""
    summary = _json_object((metric.key, metric.value) for metric in document.summary)
    out.write('{"summary": ' + json.dumps(summary, ensure_ascii=False))
    for table in document.tables:
        out.write(f', "{table.key}": [')
        for number, row in enumerate(table.rows):
            keys = (column.key for column in table.columns)
            item = _json_object(zip(keys, row, strict=True))
            out.write((", " if number else "") + json.dumps(item, ensure_ascii=False))
        out.write("]")
    out.write(f', "privacy_floor": {floor}}}\n')


def _json_object(pairs: Iterable[tuple[str, Value]]) -> dict[str, Any]:
    """Values as JSON reads them: held back is null, and its key is listed."""
    item: dict[str, Any] = {}
    suppressed = []
    for key, value in pairs:
        if isinstance(value, Suppressed):
            suppressed.append(key)
            item[key] = None
        else:
            item[key] = value.isoformat() if isinstance(value, date) else value
    item["suppressed"] = suppressed
    return item


def write(document: Document, format_: str, out: IO[bytes]) -> None:
    """Any format to a binary stream (text formats as UTF-8)."""
    if format_ == "xlsx":
        write_xlsx(document, out)
        return
    import io

    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    try:
        if format_ == "csv":
            write_csv(document, text)
        elif format_ == "json":
            write_json(document, text)
        else:
            raise ValueError(f"unknown format {format_!r}: use one of {', '.join(FORMATS)}")
        text.flush()
    finally:
        text.detach()
