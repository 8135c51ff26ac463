"""What Telegram's errors mean to the person running `coachbot`: the token was refused,
or the Bot API can't be reached. The command line asks here rather than knowing
python-telegram-bot's exception types itself."""

from __future__ import annotations

from telegram.error import BadRequest, InvalidToken, NetworkError

from bot.telegram.startup import TokenRefused

#: The exceptions that mean Telegram refused the token (their text may quote it).
TOKEN_REFUSED: tuple[type[Exception], ...] = (InvalidToken, TokenRefused)


def token_refused(error: BaseException) -> bool:
    return isinstance(error, TOKEN_REFUSED)


def api_unreachable(error: BaseException) -> bool:
    return isinstance(error, NetworkError) and not isinstance(error, BadRequest)


def is_telegram_error(error: BaseException) -> bool:
    return type(error).__module__.startswith("telegram") or token_refused(error)
