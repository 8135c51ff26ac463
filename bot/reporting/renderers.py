"""The report files the core asks for through its ports: the /summary chart and the
/export workbook. matplotlib and openpyxl are imported on first use, so a bot that
never draws a chart never pays for them."""

from __future__ import annotations

import io

from bot.core.deps import Renderers
from bot.core.reports.figures import ChartData, Document


def _chart(data: ChartData) -> bytes:
    from bot.reporting.chart import render_chart

    return render_chart(data)


def _workbook(document: Document) -> bytes:
    from bot.reporting.export import write_xlsx

    buffer = io.BytesIO()
    write_xlsx(document, buffer)
    return buffer.getvalue()


REPORT_RENDERERS = Renderers(chart=_chart, workbook=_workbook)
