"""Managers' commands: /summary and /export."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.coaching import Coach, Turn
    from bot.core.messages import Sender


def summary_command(coach: Coach, turn: Turn, sender: Sender, args: str) -> None:
    """/summary [cohort] [period]; filled in by the reporting work (issue 6)."""
    turn.say(coach.text("not_allowed"))


def export_command(coach: Coach, turn: Turn, sender: Sender, args: str) -> None:
    """/export [cohort] [period]; filled in by the reporting work (issue 6)."""
    turn.say(coach.text("not_allowed"))
