from sqlalchemy import BigInteger, Boolean, CheckConstraint, Column, DateTime, Integer, String, Table

from omnistock.platform.db import BigId, metadata

sku = Table(
    "sku",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("unit", String(16), nullable=False),
    Column("price_cents", BigInteger, nullable=False),
    Column("cost_method", String(8), nullable=False),
    Column("safety_stock", Integer, nullable=False, default=0),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime, nullable=False),
    CheckConstraint("cost_method IN ('average', 'fifo')", name="cost_method"),
    CheckConstraint("price_cents >= 0", name="price"),
    CheckConstraint("safety_stock >= 0", name="safety_stock"),
)
