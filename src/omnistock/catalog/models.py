"""Catalog tables: products (SPU) and their SKUs, barcodes, categories, brands and bundles.

A SKU's id, code, cost method, kind and tracking never change once created (they are cached
per process); a bundle's components are fixed when the bundle is created, for the same reason.
"""

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from omnistock.platform.audit import Json
from omnistock.platform.db import BigId, metadata

category = Table(
    "category",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    # Deferred to the commit, so a backup restores a tree whatever order its rows come in.
    Column(
        "parent_id",
        BigInteger,
        ForeignKey("category.id", deferrable=True, initially="DEFERRED"),
    ),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
    Column("sort", Integer, nullable=False, default=0),
    Column("created_at", DateTime, nullable=False),
    CheckConstraint("parent_id IS NULL OR parent_id <> id", name="parent"),
    Index("ix_category_parent", "parent_id"),
)

brand = Table(
    "brand",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
    Column("created_at", DateTime, nullable=False),
)

product = Table(
    "product",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("category_id", BigInteger, ForeignKey("category.id")),
    Column("brand_id", BigInteger, ForeignKey("brand.id")),
    Column("description", Text, nullable=False, default=""),
    # Ordered image file names (content-addressed, see ``catalog.images``).
    Column("images", Json, nullable=False),
    # Attribute definitions: [{"name": "颜色", "values": ["红", "黑"]}, ...], in display order.
    Column("attributes", Json, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    CheckConstraint("status IN ('active', 'archived')", name="status"),
    Index("ix_product_category", "category_id"),
    Index("ix_product_brand", "brand_id"),
)

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
    # NULL: a standalone SKU (no product).
    Column("product_id", BigInteger, ForeignKey("product.id")),
    # This SKU's value of each of its product's attributes: {"颜色": "红", "尺码": "M"}.
    Column("attributes", Json),
    Column("kind", String(8), nullable=False, server_default="standard"),
    Column("tracking", String(8), nullable=False, server_default="none"),
    Column("shelf_life_days", Integer),
    CheckConstraint("cost_method IN ('average', 'fifo')", name="cost_method"),
    CheckConstraint("price_cents >= 0", name="price"),
    CheckConstraint("safety_stock >= 0", name="safety_stock"),
    CheckConstraint("kind IN ('standard', 'bundle')", name="kind"),
    CheckConstraint("tracking IN ('none', 'batch', 'serial')", name="tracking"),
    CheckConstraint("shelf_life_days IS NULL OR shelf_life_days > 0", name="shelf_life"),
    Index("ix_sku_product", "product_id"),
)

# Barcodes share one namespace with SKU codes (checked by the service): a scanned code names
# at most one SKU.
barcode = Table(
    "barcode",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("sku_id", BigInteger, ForeignKey("sku.id"), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Index("ix_barcode_sku", "sku_id"),
)

bundle_component = Table(
    "bundle_component",
    metadata,
    Column("bundle_sku_id", BigInteger, ForeignKey("sku.id"), primary_key=True),
    Column("component_sku_id", BigInteger, ForeignKey("sku.id"), primary_key=True),
    Column("qty", Integer, nullable=False),
    CheckConstraint("qty > 0", name="qty"),
    CheckConstraint("bundle_sku_id <> component_sku_id", name="not_self"),
    Index("ix_bundle_component_component", "component_sku_id"),
)
