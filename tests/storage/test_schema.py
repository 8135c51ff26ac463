"""The migrations and the models describe the same schema."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from bot.storage.models import Base


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": False, "include_object": _for(engine.dialect.name)},
        )
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def _for(dialect: str) -> Callable[..., bool]:
    """Leave out what the models make on another engine only (``ddl_if``)."""

    def include(item: Any, name: str | None, kind: str, reflected: bool, other: Any) -> bool:
        wanted = getattr(item, "_ddl_if", None)
        return wanted is None or wanted.dialect in (None, dialect)

    return include
