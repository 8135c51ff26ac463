"""Settings from the environment: defaults, clear one-line errors, and a token that never shows."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings

TOKEN = "123456:SECRET-token_value"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.chdir(str(tmp_path))  # no stray .env
    for name in (
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_API_URL",
        "DATABASE_URL",
        "COACHBOT_ADMIN_IDS",
        "COACHBOT_TIMEZONE",
        "COACHBOT_METRICS_PORT",
        "COACHBOT_LOG_FORMAT",
        "COACHBOT_RETENTION_MONTHS",
        "COACHBOT_CACHE_DIR",
    ):
        monkeypatch.delenv(name, raising=False)


def test_defaults_match_the_design() -> None:
    settings = load_settings()
    assert settings.telegram_bot_token is None
    assert settings.telegram_api_url == "https://api.telegram.org/bot"
    assert settings.file_url == "https://api.telegram.org/file/bot"
    assert settings.database_url == "sqlite:///data/coachbot.db"
    assert settings.coachbot_admin_ids == frozenset()
    assert settings.coachbot_timezone == "Europe/London"


def test_built_matchers_are_kept_in_the_users_cache_folder_unless_turned_off(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert load_settings().coachbot_cache_dir == tmp_path / "doorstep-coach"
    monkeypatch.setenv("COACHBOT_CACHE_DIR", "/srv/coach/cache")
    assert load_settings().coachbot_cache_dir == Path("/srv/coach/cache")
    for off in ("off", "OFF", ""):
        monkeypatch.setenv("COACHBOT_CACHE_DIR", off)
        assert load_settings().coachbot_cache_dir is None


def test_values_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_API_URL", "http://127.0.0.1:8081/bot/")
    monkeypatch.setenv("COACHBOT_ADMIN_IDS", " 11, 22 ,33")
    monkeypatch.setenv("COACHBOT_TIMEZONE", "Europe/Dublin")
    settings = load_settings()
    assert settings.telegram_bot_token is not None
    assert settings.telegram_bot_token.get_secret_value() == TOKEN
    assert settings.api_url == "http://127.0.0.1:8081/bot"
    assert settings.file_url == "http://127.0.0.1:8081/file/bot"
    assert settings.coachbot_admin_ids == frozenset({11, 22, 33})
    assert settings.coachbot_timezone == "Europe/Dublin"


def test_values_from_a_dot_env_file(tmp_path: object) -> None:
    from pathlib import Path

    Path(str(tmp_path), ".env").write_text("COACHBOT_TIMEZONE=Europe/Lisbon\n")
    assert load_settings().coachbot_timezone == "Europe/Lisbon"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        (
            "COACHBOT_TIMEZONE",
            "Mars/Olympus",
            "COACHBOT_TIMEZONE: 'Mars/Olympus' is not a time zone",
        ),
        ("COACHBOT_ADMIN_IDS", "12,bob", "COACHBOT_ADMIN_IDS: must be Telegram user ids"),
        ("TELEGRAM_API_URL", "ftp://x", "TELEGRAM_API_URL: must start with http"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL: must be a sqlite"),
        ("TELEGRAM_BOT_TOKEN", "not-a-token", "TELEGRAM_BOT_TOKEN: is not a bot token"),
        ("COACHBOT_METRICS_PORT", "70000", "COACHBOT_METRICS_PORT: Input should be less than"),
        ("COACHBOT_METRICS_PORT", "ninety", "COACHBOT_METRICS_PORT: Input should be a valid"),
        ("COACHBOT_LOG_FORMAT", "xml", "COACHBOT_LOG_FORMAT: Input should be 'text' or 'json'"),
        ("COACHBOT_RETENTION_MONTHS", "0", "COACHBOT_RETENTION_MONTHS: Input should be greater"),
    ],
)
def test_bad_values_give_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert str(raised.value).startswith(expected)
    assert "\n" not in str(raised.value)


def test_a_bad_token_is_never_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "98765SECRETVALUE")
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert "SECRETVALUE" not in str(raised.value)


def test_settings_never_show_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    settings = load_settings()
    assert TOKEN not in repr(settings) and TOKEN not in str(settings)
    assert "SECRET" not in settings.model_dump_json()


def test_operations_settings_default_to_off_text_and_two_years(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = load_settings()
    assert settings.coachbot_metrics_port is None
    assert settings.coachbot_log_format == "text"
    assert settings.coachbot_retention_months == 24
    monkeypatch.setenv("COACHBOT_METRICS_PORT", "9100")
    monkeypatch.setenv("COACHBOT_LOG_FORMAT", " JSON ")
    monkeypatch.setenv("COACHBOT_RETENTION_MONTHS", "36")
    settings = load_settings()
    assert settings.coachbot_metrics_port == 9100
    assert settings.coachbot_log_format == "json"
    assert settings.coachbot_retention_months == 36
    monkeypatch.setenv("COACHBOT_METRICS_PORT", "")
    assert load_settings().coachbot_metrics_port is None
