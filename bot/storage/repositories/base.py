"""What every repository shares: the session of its unit of work."""

from __future__ import annotations

from sqlalchemy.orm import Session


class Repository:
    """Every repository works inside the unit of work's session."""

    def __init__(self, session: Session) -> None:
        self._session = session
