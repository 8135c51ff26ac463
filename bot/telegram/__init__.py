"""The Telegram adapter."""

import os

# We read durations such as RetryAfter.retry_after as timedelta already: opt in to
# python-telegram-bot's future behaviour and skip its deprecation warning.
os.environ.setdefault("PTB_TIMEDELTA", "1")
