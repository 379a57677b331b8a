"""catalog: products, categories, brands, barcodes, bundles; SKU product, attributes, kind, tracking

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 01:32:43.882621
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

Json = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), "postgresql"
)
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# The new columns of ``sku``: (name, type, SQLite DDL of the column with its constraints).
# SQLite adds them with plain ALTER TABLE ... ADD COLUMN (constraints inline): rebuilding the
# table, as a batch migration would, is needless work on a big catalog that other tables point at.
SKU_COLUMNS = [
    (
        "product_id",
        sa.BigInteger(),
        "BIGINT CONSTRAINT fk_sku_product_id_product REFERENCES product (id)",
    ),
    ("attributes", Json, "JSON"),
    (
        "kind",
        sa.String(length=8),
        "VARCHAR(8) DEFAULT 'standard' NOT NULL CONSTRAINT ck_sku_kind CHECK (kind IN ('standard', 'bundle'))",
    ),
    (
        "tracking",
        sa.String(length=8),
        "VARCHAR(8) DEFAULT 'none' NOT NULL "
        "CONSTRAINT ck_sku_tracking CHECK (tracking IN ('none', 'batch', 'serial'))",
    ),
    (
        "shelf_life_days",
        sa.Integer(),
        "INTEGER CONSTRAINT ck_sku_shelf_life CHECK (shelf_life_days IS NULL OR shelf_life_days > 0)",
    ),
]
SKU_DEFAULTS = {"kind": "standard", "tracking": "none"}
SKU_CHECKS = [
    ("kind", "kind IN ('standard', 'bundle')"),
    ("tracking", "tracking IN ('none', 'batch', 'serial')"),
    ("shelf_life", "shelf_life_days IS NULL OR shelf_life_days > 0"),
]


def upgrade() -> None:
    op.create_table(
        "brand",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_brand")),
        sa.UniqueConstraint("code", name=op.f("uq_brand_code")),
    )
    op.create_table(
        "category",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("parent_id", sa.BigInteger(), nullable=True),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("sort", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("parent_id IS NULL OR parent_id <> id", name=op.f("ck_category_parent")),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["category.id"],
            name=op.f("fk_category_parent_id_category"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_category")),
        sa.UniqueConstraint("code", name=op.f("uq_category_code")),
    )
    with op.batch_alter_table("category", schema=None) as batch_op:
        batch_op.create_index("ix_category_parent", ["parent_id"], unique=False)

    op.create_table(
        "product",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category_id", sa.BigInteger(), nullable=True),
        sa.Column("brand_id", sa.BigInteger(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("images", Json, nullable=False),
        sa.Column("attributes", Json, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("status IN ('active', 'archived')", name=op.f("ck_product_status")),
        sa.ForeignKeyConstraint(["brand_id"], ["brand.id"], name=op.f("fk_product_brand_id_brand")),
        sa.ForeignKeyConstraint(
            ["category_id"], ["category.id"], name=op.f("fk_product_category_id_category")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product")),
        sa.UniqueConstraint("code", name=op.f("uq_product_code")),
    )
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.create_index("ix_product_brand", ["brand_id"], unique=False)
        batch_op.create_index("ix_product_category", ["category_id"], unique=False)

    op.create_table(
        "barcode",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("sku_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["sku_id"], ["sku.id"], name=op.f("fk_barcode_sku_id_sku")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_barcode")),
        sa.UniqueConstraint("code", name=op.f("uq_barcode_code")),
    )
    with op.batch_alter_table("barcode", schema=None) as batch_op:
        batch_op.create_index("ix_barcode_sku", ["sku_id"], unique=False)

    op.create_table(
        "bundle_component",
        sa.Column("bundle_sku_id", sa.BigInteger(), nullable=False),
        sa.Column("component_sku_id", sa.BigInteger(), nullable=False),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.CheckConstraint("bundle_sku_id <> component_sku_id", name=op.f("ck_bundle_component_not_self")),
        sa.CheckConstraint("qty > 0", name=op.f("ck_bundle_component_qty")),
        sa.ForeignKeyConstraint(
            ["bundle_sku_id"], ["sku.id"], name=op.f("fk_bundle_component_bundle_sku_id_sku")
        ),
        sa.ForeignKeyConstraint(
            ["component_sku_id"], ["sku.id"], name=op.f("fk_bundle_component_component_sku_id_sku")
        ),
        sa.PrimaryKeyConstraint("bundle_sku_id", "component_sku_id", name=op.f("pk_bundle_component")),
    )
    with op.batch_alter_table("bundle_component", schema=None) as batch_op:
        batch_op.create_index("ix_bundle_component_component", ["component_sku_id"], unique=False)

    if op.get_bind().dialect.name == "sqlite":
        for name, _, ddl in SKU_COLUMNS:
            op.execute(f"ALTER TABLE sku ADD COLUMN {name} {ddl}")
    else:
        for name, type_, _ in SKU_COLUMNS:
            default = SKU_DEFAULTS.get(name)
            op.add_column("sku", sa.Column(name, type_, nullable=default is None, server_default=default))
        op.create_foreign_key(op.f("fk_sku_product_id_product"), "sku", "product", ["product_id"], ["id"])
        for name, condition in SKU_CHECKS:
            op.create_check_constraint(op.f(f"ck_sku_{name}"), "sku", condition)
    op.create_index("ix_sku_product", "sku", ["product_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_sku_product", table_name="sku")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite drops a column only once nothing (a constraint) refers to it: rebuild the table.
        with op.batch_alter_table("sku", recreate="always") as batch_op:
            for name, _ in SKU_CHECKS:
                batch_op.drop_constraint(batch_op.f(f"ck_sku_{name}"), type_="check")
            for name, _, _ in reversed(SKU_COLUMNS):
                batch_op.drop_column(name)
    else:
        for name, _, _ in reversed(SKU_COLUMNS):
            op.drop_column("sku", name)  # drops the column's constraints with it
    op.drop_table("bundle_component")
    op.drop_table("barcode")
    op.drop_table("product")
    op.drop_table("category")
    op.drop_table("brand")
