"""SQL aggregation for the managers' reports."""

from __future__ import annotations

from sqlalchemy.orm import Session


class SqlReports:
    def __init__(self, session: Session) -> None:
        self._session = session
