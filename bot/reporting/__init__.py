"""Managers' reports outside the core: charts, exports, the `coachbot report` command."""
