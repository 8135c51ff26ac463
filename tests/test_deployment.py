"""compose.yaml, the Caddyfile and the Dockerfile, checked as far as can be without a
container engine: they parse, every variable they give the bot is a real setting
with a valid value, and every command they run is a real `coachbot` command."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import cli
from bot.settings import Settings

REPO = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((REPO / "compose.yaml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
#: The services that run this repository's image.
BOTS = {name: service for name, service in SERVICES.items() if service.get("build") == "."}
REPLICAS = ("bot-a", "bot-b")
VARIABLE = re.compile(r"\$\{(\w+)(?::?[-?]([^}]*))?\}")


def env_example() -> dict[str, str]:
    pairs = {}
    for line in (REPO / ".env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            pairs[name.strip()] = value.strip()
    return pairs


def interpolate(text: str, values: dict[str, str]) -> str:
    """Compose's ${NAME}, ${NAME:-default} and ${NAME:?error}, from ``values``."""

    def one(match: re.Match[str]) -> str:
        name, fallback = match[1], match[2]
        if name in values:
            return values[name]
        assert "?" not in match[0], f"{name} is required but not in .env.example"
        return fallback or ""

    return VARIABLE.sub(one, text)


def command_handler(arguments: list[str]) -> object:
    return cli.parser().parse_args(arguments).handler


def test_the_common_case_is_postgres_16_and_one_bot_waiting_for_it() -> None:
    default = {name for name, service in SERVICES.items() if not service.get("profiles")}
    assert default == {"db", "bot"}
    db = SERVICES["db"]
    assert db["image"] == "postgres:16"
    assert db["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    for name, service in BOTS.items():
        assert service["depends_on"]["db"]["condition"] == "service_healthy", name
        assert service["env_file"] == ".env", name


def test_data_lives_in_named_volumes() -> None:
    declared = set(COMPOSE["volumes"])
    for service in SERVICES.values():
        for mount in service.get("volumes", []):
            source = mount.split(":", 1)[0]
            if not source.startswith((".", "/")):
                assert source in declared, source
    assert any(m.endswith(":/var/lib/postgresql/data") for m in SERVICES["db"]["volumes"])


def test_every_variable_the_bots_are_given_is_a_real_setting_with_a_valid_value() -> None:
    settings = set(Settings.model_fields)
    values = env_example()
    for name, service in BOTS.items():
        environment = {
            key: interpolate(str(value), values) for key, value in service["environment"].items()
        }
        unknown = {key for key in environment if key.lower() not in settings}
        assert not unknown, f"{name} sets variables that are no setting: {unknown}"
        parsed = Settings(_env_file=None, **{k.lower(): v for k, v in environment.items()})  # type: ignore[call-arg]
        assert parsed.database_url.startswith("postgresql+psycopg://coachbot:")
        assert parsed.database_url.endswith("@db:5432/coachbot")
        assert parsed.coachbot_log_format == "json"
        assert [str(parsed.coachbot_metrics_port)] == service["expose"]


def test_the_env_file_example_names_only_settings_or_what_compose_itself_reads() -> None:
    settings = set(Settings.model_fields)
    compose_text = (REPO / "compose.yaml").read_text()
    used_by_compose = {match[1] for match in VARIABLE.finditer(compose_text)}
    for name, value in env_example().items():
        assert name.lower() in settings or name in used_by_compose, name
        if name.lower() in settings:
            Settings(_env_file=None, **{name.lower(): value})  # type: ignore[call-arg]
    assert used_by_compose <= set(env_example()), "every ${VARIABLE} is in .env.example"
    assert ".env" in (REPO / ".gitignore").read_text().split()
    assert ".env" in (REPO / ".dockerignore").read_text().split()


@pytest.mark.parametrize("name", sorted(BOTS))
def test_each_bot_runs_real_coachbot_commands(name: str) -> None:
    service = BOTS[name]
    assert command_handler(service["command"]) is cli._run
    assert service["healthcheck"]["test"][:2] == ["CMD", "coachbot"]
    assert command_handler(service["healthcheck"]["test"][2:]) is cli._health


def test_the_replicas_take_webhooks_behind_caddy() -> None:
    values = env_example()
    caddy = SERVICES["caddy"]
    assert set(caddy["profiles"]) == {"replicas"}
    assert {"80:80", "443:443"} <= set(caddy["ports"])
    caddyfile = (REPO / "Caddyfile").read_text()
    upstreams = re.search(r"reverse_proxy\s+([^{\n]+)", caddyfile)
    assert upstreams is not None
    expected = set()
    for name in REPLICAS:
        service = SERVICES[name]
        assert service["profiles"] == ["replicas"]
        arguments = cli.parser().parse_args(service["command"])
        assert arguments.webhook
        expected.add(f"{name}:{arguments.port}")
        url = interpolate(service["environment"]["COACHBOT_WEBHOOK_URL"], values)
        assert url == f"https://{values['PUBLIC_DOMAIN']}"
    assert set(upstreams[1].split()) == expected
    # The bot listens on /telegram (cli._run's url_path); Caddy passes on only that.
    assert "handle /telegram {" in caddyfile
    assert 'url_path="telegram"' in (REPO / "bot" / "cli.py").read_text()
    # Caddy's {$NAME} placeholders are given to its container.
    for placeholder in re.findall(r"\{\$(\w+)\}", caddyfile):
        assert placeholder in caddy["environment"]
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in caddy["volumes"]


def test_the_dockerfile_runs_coachbot_and_checks_its_health() -> None:
    lines = (REPO / "Dockerfile").read_text().replace("\\\n", " ").splitlines()

    def instruction(name: str) -> str:
        (found,) = [line for line in lines if line.startswith(f"{name} ")]
        return found.removeprefix(f"{name} ").strip()

    assert json.loads(instruction("ENTRYPOINT")) == ["coachbot"]
    assert command_handler(json.loads(instruction("CMD"))) is cli._run
    check = instruction("HEALTHCHECK")
    assert check.startswith("--")
    test = json.loads(check[check.index("CMD ") + 4 :])
    assert test[0] == "coachbot"
    assert command_handler(test[1:]) is cli._health
