"""Repositories: domain objects in, domain objects out; SQL stays in here.

One module per aggregate; the unit of work (:mod:`bot.storage.unit_of_work`) hands
them to the core as the ports in :mod:`bot.core.ports`.
"""

from bot.storage.repositories.cohorts import SqlCohorts
from bot.storage.repositories.commitments import SqlCommitments
from bot.storage.repositories.events import SqlEventLog
from bot.storage.repositories.follow_ups import SqlFollowUps
from bot.storage.repositories.gaps import SqlContentGaps
from bot.storage.repositories.operatives import SqlOperatives
from bot.storage.repositories.outbox import SqlOutbox

__all__ = [
    "SqlCohorts",
    "SqlCommitments",
    "SqlContentGaps",
    "SqlEventLog",
    "SqlFollowUps",
    "SqlOperatives",
    "SqlOutbox",
]
