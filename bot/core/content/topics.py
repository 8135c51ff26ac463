"""The coaching topics: stable ids that content, reports and evaluation share."""

from __future__ import annotations

from typing import Final

TOPIC_IDS: Final[tuple[str, ...]] = (
    "doorstep",
    "saying-no",
    "diversity",
    "difficult-conversations",
    "appointments",
    "preventive",
    "internal-comms",
    "face-to-face-virtual",
    "performance",
    "safeguarding",
)

#: The workshop's three core themes; new operatives start with these.
CORE_TOPIC_IDS: Final[frozenset[str]] = frozenset({"doorstep", "diversity", "saying-no"})
