"""What the managers' reports need from storage: aggregates, computed in the database."""

from __future__ import annotations

from typing import Protocol


class ReportQueries(Protocol):
    """Filled in by the reporting work (issue 6)."""
