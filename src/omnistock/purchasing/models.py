from sqlalchemy import Column, DateTime, String, Table

from omnistock.platform.db import BigId, metadata

supplier = Table(
    "supplier",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("created_at", DateTime, nullable=False),
)
