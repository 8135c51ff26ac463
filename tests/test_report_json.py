"""`coachbot report --format json` as a tool reads it: a separate process, its output
parsed as JSON. Held-back figures are null and named under "suppressed", never words
in a number's place."""

from __future__ import annotations

import json
from pathlib import Path

from bot.storage.database import make_engine, make_session_factory
from bot.storage.unit_of_work import SqlUnitOfWork
from tests import reports_dataset as data
from tests.conftest import copy_migrated
from tests.test_cli_journeys import CONTENT, coachbot, environment


def test_json_report_has_numbers_or_null_and_names_what_is_held_back(
    sqlite_url: str, migrated_sqlite: Path
) -> None:
    url = sqlite_url
    copy_migrated(migrated_sqlite, url)
    engine = make_engine(url)
    with SqlUnitOfWork(make_session_factory(engine)) as uow:
        data.build(uow)
        uow.commit()
    engine.dispose()
    env = environment(DATABASE_URL=url, COACHBOT_CONTENT_DIR=str(CONTENT))

    result = coachbot(
        "report", "--from", "2026-11-02", "--to", "2026-11-15", "--format", "json", env=env
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    summary = report["summary"]
    assert report["privacy_floor"] == 5
    # Shown: numbers. Held back (about 1 to 4 operatives): null, and listed.
    assert (summary["prompts_sent"], summary["reply_rate"]) == (33, 0.7879)  # daily only
    assert summary["operatives_paused"] is None and summary["reply_rate_last_week"] is None
    assert {"operatives_paused", "reply_rate_last_week"} <= set(summary["suppressed"])
    assert "reply_rate" not in summary["suppressed"]
    # A true zero is a number: nobody in the 5-9 days band.
    assert summary["streak_3"] == 0 and "streak_3" not in summary["suppressed"]
    for row in [summary, *report["weeks"], *report["topics"]]:
        for key, value in row.items():
            if key in ("group", "time_zone", "period_from", "period_to", "week_starting"):
                continue
            if key in ("topic", "topic_id", "suppressed"):
                continue
            assert value is None or isinstance(value, int | float), (key, value)
            if key in row["suppressed"]:
                assert value is None

    # A group under the floor: every figure null and named, the layout the same.
    small = coachbot("report", "--cohort", "LEEDS1", "--format", "json", env=env)
    assert small.returncode == 0, small.stderr
    leeds = json.loads(small.stdout)
    assert leeds["summary"]["group"] == "Leeds"
    assert leeds["summary"]["prompts_sent"] is None
    assert "prompts_sent" in leeds["summary"]["suppressed"]
    assert len(leeds["weeks"]) == 4 and len(leeds["topics"]) == 10
