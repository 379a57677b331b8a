"""Alembic environment: the engine comes from the caller (``omnistock db upgrade``)."""

from __future__ import annotations

from alembic import context

from omnistock.models import metadata
from omnistock.platform.db import get_engine

config = context.config
engine = config.attributes.get("engine") or get_engine()

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
