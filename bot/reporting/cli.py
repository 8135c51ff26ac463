"""`coachbot report`; filled in by the reporting work (issue 6)."""

from __future__ import annotations

import argparse


def add_report_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `coachbot report` on the top-level command parser."""
