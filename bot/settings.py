"""Configuration from the environment or a ``.env`` file.

    >>> settings = load_settings()            # exits with code 2 and one clear line if bad
    >>> settings.database_url
    'sqlite:///data/coachbot.db'

The bot token is a ``SecretStr``: printing the settings shows ``**********``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.core.parsing import parse_timezone

#: Where the repository's own content lives, for a checkout run with ``pip install -e``.
_REPO_CONTENT = Path(__file__).resolve().parent.parent / "content"


def _default_content_dir() -> Path:
    here = Path("content")
    return here if (here / "topics").is_dir() else _REPO_CONTENT


def _default_cache_dir() -> Path | None:
    """Where built matchers are kept: the user's cache folder, as XDG says (none for a
    user without a home)."""
    try:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    except RuntimeError:
        return None
    return Path(base) / "doorstep-coach"


class Settings(BaseSettings):
    """Every setting, named as in the environment (case-insensitive)."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org/bot"
    database_url: str = "sqlite:///data/coachbot.db"
    coachbot_admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    coachbot_timezone: str = "Europe/London"
    coachbot_content_dir: Path = Field(default_factory=_default_content_dir)
    coachbot_bot_username: str | None = None
    #: How the content's {landlord} reads to operatives: the organisation's own name.
    coachbot_landlord_name: str = Field(
        default="the housing association", min_length=2, max_length=60
    )
    coachbot_webhook_url: str | None = None
    coachbot_webhook_secret: SecretStr | None = None
    #: Serve Prometheus metrics on this port (all interfaces); off when unset.
    coachbot_metrics_port: int | None = Field(default=None, ge=1, le=65535)
    #: ``json`` for one JSON object per log line (for a log collector); ``text`` otherwise.
    coachbot_log_format: Literal["text", "json"] = "text"
    #: Engagement events older than this are kept only as weekly and monthly summaries.
    coachbot_retention_months: int = Field(default=24, ge=1, le=1200)
    #: Updates handled at once (each person's still one at a time, in order); 1 for one by one.
    coachbot_concurrent_updates: int = Field(default=256, ge=1, le=10_000)
    #: ``off`` only for a self-hosted Bot API server without Telegram's limits (the
    #: benchmarks' local one): against Telegram itself it brings 429s.
    coachbot_send_limits: Literal["telegram", "off"] = "telegram"
    #: Where the built matcher is kept, so a restart needn't build it again; ``off`` for
    #: nowhere (see :mod:`bot.matcher_cache`).
    coachbot_cache_dir: Path | None = Field(default_factory=_default_cache_dir)

    @field_validator("telegram_bot_token", mode="before")
    @classmethod
    def _token_shape(cls, value: object) -> object:
        if value in (None, ""):
            return None
        text = str(value.get_secret_value() if isinstance(value, SecretStr) else value)
        bot_id, _, secret = text.partition(":")
        if not bot_id.isdigit() or not secret:
            # Never echo the value: it may be a real token with a typo.
            raise ValueError("is not a bot token; it looks like 123456:ABC-DEF... from BotFather")
        return value

    @field_validator("telegram_api_url")
    @classmethod
    def _url_shape(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _database_shape(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must be a sqlite:/// or postgresql+psycopg:// URL")
        return value

    @field_validator("coachbot_metrics_port", mode="before")
    @classmethod
    def _port_or_off(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("coachbot_cache_dir", mode="before")
    @classmethod
    def _folder_or_off(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().lower() in {"", "off"}:
            return None
        return value

    @field_validator("coachbot_log_format", "coachbot_send_limits", mode="before")
    @classmethod
    def _format_name(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("coachbot_admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            bad = [part for part in parts if not part.lstrip("-").isdigit()]
            if bad:
                raise ValueError("must be Telegram user ids separated by commas")
            return frozenset(int(part) for part in parts)
        return value

    @field_validator("coachbot_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        zone = parse_timezone(value)
        if zone is None:
            raise ValueError(f"{value!r} is not a time zone such as Europe/London")
        return zone

    @property
    def api_url(self) -> str:
        return self.telegram_api_url

    @property
    def file_url(self) -> str:
        """The file base URL that matches ``telegram_api_url`` (``.../bot`` -> ``.../file/bot``)."""
        base, _, tail = self.telegram_api_url.rpartition("/")
        return f"{base}/file/{tail}"


class SettingsError(Exception):
    """A setting is missing or wrong; the message is one line naming the variable."""


def settings_error_line(error: ValidationError) -> str:
    first = error.errors()[0]
    name = str(first["loc"][0]).upper() if first["loc"] else "settings"
    message = first["msg"].removeprefix("Value error, ")
    return f"{name}: {message}"


def load_settings() -> Settings:
    """Read the settings; raise SettingsError with one clear line if any is wrong."""
    try:
        return Settings()
    except ValidationError as error:
        raise SettingsError(settings_error_line(error)) from None


def load_settings_or_exit() -> Settings:
    """For the command line: print one line to stderr and exit 2 on a bad setting."""
    try:
        return load_settings()
    except SettingsError as error:
        print(f"coachbot: bad setting: {error}", file=sys.stderr)
        raise SystemExit(2) from None
