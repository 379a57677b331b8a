"""Catalog use cases on a real database: products with their SKU matrix, barcodes and the one
code namespace, SKU updates, archiving, categories and brands, bundles and their availability."""

from __future__ import annotations

import pytest
from sqlalchemy import event, insert, select

from omnistock.catalog import service as catalog
from omnistock.catalog.models import category as category_t
from omnistock.inventory import service as inventory
from omnistock.platform.audit import audit_log
from omnistock.platform.clock import utcnow
from omnistock.platform.errors import AppError, Conflict, Invalid, NotFound
from tests.catalog.helpers import COLORS, SIZES, counts, master, sku, tee, uow
from tests.inventory.helpers import order, receive, setup_master


@pytest.fixture
def cat(engine):
    master(engine)
    return engine


def _skus(p):
    return {s.code: s for s in p.skus}


# -- products and their SKUs ---------------------------------------------------------------------


def test_product_with_its_sku_matrix(cat):
    p = tee(cat)
    assert (p.code, p.name, p.category_code, p.brand_code, p.status) == (
        "TS",
        "纯棉T恤",
        "TOPS",
        "OMNI",
        "active",
    )
    assert p.attributes == [COLORS, SIZES]
    assert (p.sku_count, p.price_min_cents, p.price_max_cents) == (4, 5990, 5990)
    skus = _skus(p)
    assert list(skus) == ["TS-RED-M", "TS-RED-L", "TS-BLK-M", "TS-BLK-L"]
    s = skus["TS-BLK-L"]
    assert (s.name, s.attributes, s.barcodes, s.product_code) == (
        "纯棉T恤 黑 L",
        {"颜色": "黑", "尺码": "L"},
        ("TS69000004",),
        "TS",
    )
    assert (s.kind, s.tracking, s.cost_method, s.unit, s.active) == (
        "standard",
        "none",
        "average",
        "件",
        True,
    )
    with uow(cat) as u:
        assert catalog.get_product(u, p.id) == p
        assert catalog.get_sku(u, s.id) == s
        # The list finds it by the parent category, brand, code, name, SKU code and barcode.
        for kw in (
            {"category": "APPAREL"},
            {"brand": "OMNI"},
            {"q": "ts"},
            {"q": "T恤"},
            {"q": "BLK-L"},
            {"q": "TS69000003"},
        ):
            items, _ = catalog.list_products(u, **kw)
            assert [x.code for x in items] == ["TS"], kw
        assert catalog.list_products(u, category="FOOD")[0] == []
        assert catalog.list_products(u, status="archived")[0] == []
        with pytest.raises(Invalid) as err:
            catalog.list_products(u, category="NOPE")
        assert err.value.code == "catalog.unknown_category"
        # SKU list: by product, by barcode.
        assert [x.code for x in catalog.list_skus(u, product_id=p.id)[0]] == sorted(skus)
        assert [x.code for x in catalog.list_skus(u, q="TS69000002")[0]] == ["TS-RED-L"]


def test_a_product_without_attributes_has_one_sku(cat):
    with uow(cat) as u:
        p = catalog.create_product(
            u,
            code="TEA",
            name="普洱熟茶饼 357g",
            category="FOOD",
            description="云南勐海",
            skus=[
                catalog.NewSku(
                    code="TEA-357",
                    unit="饼",
                    price_cents=16800,
                    cost_method="fifo",
                    tracking="batch",
                    shelf_life_days=3650,
                )
            ],
        )
    (s,) = p.skus
    assert (s.name, s.attributes, s.tracking, s.shelf_life_days, s.cost_method) == (
        "普洱熟茶饼 357g",
        None,
        "batch",
        3650,
        "fifo",
    )
    with pytest.raises(Conflict) as err, uow(cat) as u:
        catalog.add_skus(u, p.id, [catalog.NewSku(code="TEA-2", unit="饼", price_cents=1)])
    assert err.value.code == "catalog.duplicate_combination"
    with uow(cat) as u:
        ref = catalog.sku_ref(u, "TEA-357")
    assert (ref.kind, ref.tracking, ref.cost_method) == ("standard", "batch", "fifo")


def _spec(code, color="红", size="M", **kw):
    return catalog.NewSku(
        code=code,
        unit="件",
        price_cents=kw.pop("price_cents", 100),
        attributes={"颜色": color, "尺码": size},
        **kw,
    )


@pytest.mark.parametrize(
    ("product", "skus", "error", "code"),
    [
        ({"category": "NOPE"}, [_spec("N-1")], Invalid, "catalog.unknown_category"),
        ({"brand": "NOPE"}, [_spec("N-1")], Invalid, "catalog.unknown_brand"),
        ({"code": "TS"}, [_spec("N-1")], Conflict, "catalog.duplicate_product"),
        ({"code": "bad code"}, [_spec("N-1")], Invalid, "catalog.bad_code"),
        ({}, [_spec("N-1"), _spec("TS-RED-M", "黑")], Conflict, "catalog.duplicate_sku"),
        ({}, [_spec("N-1"), _spec("N-1", "黑")], Conflict, "catalog.duplicate_sku"),
        ({}, [_spec("N-1"), _spec("TS69000001", "黑")], Conflict, "catalog.code_is_barcode"),
        (
            {},
            [_spec("N-1"), _spec("N-2", "黑", barcodes=["TS69000001"])],
            Conflict,
            "catalog.duplicate_barcode",
        ),
        (
            {},
            [_spec("N-1"), _spec("N-2", "黑", barcodes=["TS-RED-M"])],
            Conflict,
            "catalog.duplicate_barcode",
        ),
        (
            {},
            [_spec("N-1", barcodes=["B1"]), _spec("N-2", "黑", barcodes=["B1"])],
            Conflict,
            "catalog.duplicate_barcode",
        ),
        ({}, [_spec("N-1", barcodes=["B1", "B1"])], Conflict, "catalog.duplicate_barcode"),
        (
            {},
            [_spec("N-1"), _spec("N-2", barcodes=["N-1"], color="黑")],
            Conflict,
            "catalog.duplicate_barcode",
        ),
        ({}, [_spec("N-1"), _spec("N-2")], Conflict, "catalog.duplicate_combination"),
        ({}, [_spec("N-1", "蓝")], Invalid, "catalog.bad_sku_attributes"),
        (
            {},
            [catalog.NewSku(code="N-1", unit="件", price_cents=1, attributes={"颜色": "红"})],
            Invalid,
            "catalog.bad_sku_attributes",
        ),
        ({}, [_spec("N-1", price_cents=-1)], Invalid, "catalog.bad_number"),
        ({}, [_spec("N-1", barcodes=["坏 条码"])], Invalid, "catalog.bad_barcode"),
        ({}, [_spec("N-1", tracking="lots")], Invalid, "catalog.bad_tracking"),
        ({}, [_spec("N-1", shelf_life_days=0)], Invalid, "catalog.bad_shelf_life"),
        ({"attributes": [COLORS, COLORS]}, [], Invalid, "catalog.bad_attributes"),
        ({"images": ["0" * 64 + ".png"]}, [], Invalid, "catalog.unknown_image"),
        ({"name": " "}, [], Invalid, "catalog.missing_name"),
    ],
)
def test_a_bad_product_creates_nothing(cat, product, skus, error, code):
    tee(cat)
    before = counts(cat)
    with pytest.raises(error) as err, uow(cat) as u:
        catalog.create_product(
            u,
            **{"code": "NEW", "name": "新品", "attributes": [COLORS, SIZES], **product},
            skus=skus,
        )
    assert err.value.code == code
    assert err.value.zh and err.value.en
    assert counts(cat) == before


# -- barcodes --------------------------------------------------------------------------------------


def test_resolve_code_finds_a_sku_by_code_or_barcode(cat):
    p = tee(cat)
    with uow(cat) as u:
        by_code = catalog.resolve_code(u, "TS-RED-L")
        by_barcode = catalog.resolve_code(u, "TS69000002")
        assert by_code == by_barcode == catalog.sku_ref(u, "TS-RED-L")
        with pytest.raises(AppError) as err:
            catalog.resolve_code(u, "NOPE")
    assert (err.value.code, err.value.status) == ("catalog.unknown_code", 404)
    # A barcode that moves to another SKU resolves to its new owner at once (never cached).
    s = _skus(p)
    with uow(cat) as u:
        catalog.update_sku(u, s["TS-RED-L"].id, barcodes=[])
        catalog.update_sku(u, s["TS-BLK-M"].id, barcodes=["TS69000003", "TS69000002"])
    with uow(cat) as u:
        assert catalog.resolve_code(u, "TS69000002").code == "TS-BLK-M"


def test_skus_and_barcodes_share_one_namespace(cat):
    p = tee(cat)
    red_m = _skus(p)["TS-RED-M"]
    before = counts(cat)
    with pytest.raises(Conflict) as err:
        sku(cat, "TS69000004")  # a barcode of TS-BLK-L, through the plain SKU path
    assert err.value.code == "catalog.code_is_barcode"
    with pytest.raises(Conflict) as err:
        sku(cat, "TS69000004", barcodes=["OTHER-1"])  # and through the full path
    assert err.value.code == "catalog.code_is_barcode"
    with pytest.raises(Conflict) as err, uow(cat) as u:
        catalog.create_sku(u, code="TS-RED-M", name="x", unit="件", price_cents=1, cost_method="average")
    assert err.value.code == "catalog.duplicate_sku"
    for barcodes in (["TS69000004"], ["TS-BLK-L"], ["NEW-1", "NEW-1"]):
        with pytest.raises(Conflict) as err, uow(cat) as u:
            catalog.update_sku(u, red_m.id, barcodes=["NEW-9", *barcodes], price_cents=1)
        assert err.value.code == "catalog.duplicate_barcode"
    assert counts(cat) == before
    with uow(cat) as u:
        assert catalog.get_sku(u, red_m.id) == red_m  # price and barcodes untouched
        # Its own code as a barcode is harmless: the code names the same SKU either way.
        assert catalog.update_sku(u, red_m.id, barcodes=["TS-RED-M"]).barcodes == ("TS-RED-M",)


def test_create_sku_keeps_its_signature_and_its_two_statements(cat):
    """The workload replay's hot path: one statement checks the code, one inserts."""
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(cat, "before_cursor_execute", count)
    try:
        with uow(cat) as u:
            statements.clear()
            s = catalog.create_sku(
                u,
                code="REPLAY-1",
                name="回放",
                unit="件",
                price_cents=100,
                cost_method="fifo",
                safety_stock=3,
            )
            assert len(statements) == 2, statements
    finally:
        event.remove(cat, "before_cursor_execute", count)
    assert (s.code, s.cost_method, s.safety_stock, s.kind, s.tracking, s.product_id, s.barcodes) == (
        "REPLAY-1",
        "fifo",
        3,
        "standard",
        "none",
        None,
        (),
    )
    with uow(cat) as u:
        assert catalog.sku_ref(u, "REPLAY-1") == catalog.SkuRef(s.id, "REPLAY-1", "fifo", "standard", "none")


# -- SKU updates and archiving ---------------------------------------------------------------------


def test_update_sku_changes_what_may_change_and_is_audited(cat):
    p = tee(cat)
    s = _skus(p)["TS-RED-M"]
    with uow(cat) as u:
        after = catalog.update_sku(
            u,
            s.id,
            name="纯棉T恤 正红 M",
            price_cents=6990,
            safety_stock=12,
            shelf_life_days=30,
            barcodes=["X1", "TS69000001", "X2"],
        )
    assert (after.name, after.price_cents, after.safety_stock, after.shelf_life_days) == (
        "纯棉T恤 正红 M",
        6990,
        12,
        30,
    )
    assert set(after.barcodes) == {"TS69000001", "X1", "X2"}
    assert (after.code, after.cost_method, after.unit, after.tracking) == (
        s.code,
        s.cost_method,
        s.unit,
        s.tracking,
    )
    with cat.connect() as conn:
        row = conn.execute(
            select(audit_log).where(
                audit_log.c.action == "catalog.sku.update", audit_log.c.entity_id == "TS-RED-M"
            )
        ).one()
    assert row.before["price_cents"] == 5990 and row.after["price_cents"] == 6990
    with pytest.raises(TypeError), uow(cat) as u:
        catalog.update_sku(u, s.id, cost_method="fifo")  # never changes
    # Attribute values: another combination of the product's values, not a taken one.
    with uow(cat) as u:
        with pytest.raises(Conflict) as err:
            catalog.update_sku(u, s.id, attributes={"颜色": "黑", "尺码": "M"})
        assert err.value.code == "catalog.duplicate_combination"
        with pytest.raises(Invalid) as err:
            catalog.update_sku(u, s.id, attributes={"颜色": "蓝", "尺码": "M"})
        assert err.value.code == "catalog.bad_sku_attributes"
    loose = sku(cat, "LOOSE-1")
    with pytest.raises(Invalid) as err, uow(cat) as u:
        catalog.update_sku(u, loose.id, attributes={"颜色": "红"})
    assert err.value.code == "catalog.bad_sku_attributes"
    with pytest.raises(NotFound), uow(cat) as u:
        catalog.update_sku(u, 999_999, name="x")


def test_archiving_a_product_archives_its_skus(cat):
    p = tee(cat)
    s = _skus(p)["TS-RED-M"]
    with uow(cat) as u:
        assert catalog.set_sku_active(u, s.id, False).active is False
    with uow(cat) as u:
        p2 = catalog.set_product_status(u, p.id, "archived")
    assert p2.status == "archived" and not any(x.active for x in p2.skus)
    with uow(cat) as u:
        assert catalog.list_products(u, status="active")[0] == []
    with pytest.raises(Conflict) as err, uow(cat) as u:
        catalog.set_sku_active(u, s.id, True)
    assert err.value.code == "catalog.product_archived"
    with pytest.raises(Conflict) as err, uow(cat) as u:
        catalog.add_skus(u, p.id, [_spec("TS-NEW", "红", "M")])
    assert err.value.code == "catalog.product_archived"
    with uow(cat) as u:
        p3 = catalog.set_product_status(u, p.id, "active")
    assert p3.status == "active" and all(x.active for x in p3.skus)
    with cat.connect() as conn:
        actions = list(
            conn.execute(
                select(audit_log.c.action)
                .where(audit_log.c.action.like("catalog.%archive"))
                .order_by(audit_log.c.id)
            ).scalars()
        )
    assert actions == ["catalog.sku.archive", "catalog.product.archive", "catalog.product.unarchive"]


def test_attribute_definitions_gain_values_then_new_skus(cat):
    p = tee(cat)
    with uow(cat) as u:
        with pytest.raises(Invalid) as err:
            catalog.update_product(u, p.id, attributes=[COLORS, {"name": "尺码", "values": ["M"]}])
        assert err.value.code == "catalog.attributes_in_use"
        with pytest.raises(Invalid) as err:
            catalog.update_product(u, p.id, attributes=[COLORS])
        assert err.value.code == "catalog.attributes_in_use"
    with uow(cat) as u:
        p2 = catalog.update_product(
            u,
            p.id,
            name="重磅纯棉T恤",
            category=None,
            brand=None,
            description="240g",
            attributes=[COLORS, SIZES | {"values": ["M", "L", "XL"]}],
        )
        added = catalog.add_skus(u, p.id, [_spec("TS-RED-XL", "红", "XL", barcodes=["TS69000009"])])
    assert (p2.name, p2.category_code, p2.brand_code, p2.description) == ("重磅纯棉T恤", None, None, "240g")
    assert added[0].name == "重磅纯棉T恤 红 XL"
    with uow(cat) as u:
        p3 = catalog.get_product(u, p.id)
    assert p3.sku_count == 5 and p3.attributes[1]["values"] == ["M", "L", "XL"]


# -- categories and brands -------------------------------------------------------------------------


def test_category_tree(cat):
    tee(cat)
    with uow(cat) as u:
        catalog.create_category(u, code="OUTER", name="外套", parent="APPAREL", sort=-1)
        cats = catalog.list_categories(u)
        assert [c.code for c in cats] == ["APPAREL", "OUTER", "TOPS", "FOOD"]  # parents first, by sort
        by = {c.code: c for c in cats}
        assert (by["APPAREL"].child_count, by["TOPS"].product_count, by["TOPS"].parent_code) == (
            2,
            1,
            "APPAREL",
        )
        with pytest.raises(Conflict) as err:
            catalog.update_category(u, by["APPAREL"].id, parent="TOPS")
        assert err.value.code == "catalog.category_cycle"
        with pytest.raises(Conflict) as err:
            catalog.delete_category(u, by["APPAREL"].id)
        assert err.value.code == "catalog.category_has_children"
        with pytest.raises(Conflict) as err:
            catalog.delete_category(u, by["TOPS"].id)
        assert err.value.code == "catalog.category_in_use"
        with pytest.raises(Conflict) as err:
            catalog.create_category(u, code="FOOD", name="重复")
        assert err.value.code == "catalog.duplicate_category"
        moved = catalog.update_category(u, by["OUTER"].id, parent="FOOD", name="外套类", sort=5)
        assert (moved.parent_code, moved.name, moved.sort) == ("FOOD", "外套类", 5)
        catalog.delete_category(u, by["OUTER"].id)
        assert "OUTER" not in [c.code for c in catalog.list_categories(u)]


def test_category_parent_is_checked_at_commit(cat):
    """A backup restores categories in id order; a parent with a higher id must not fail."""
    with cat.begin() as conn:
        conn.execute(
            insert(category_t),
            {"id": 100, "parent_id": 101, "code": "C100", "name": "子", "sort": 0, "created_at": utcnow()},
        )
        conn.execute(
            insert(category_t),
            {"id": 101, "parent_id": None, "code": "C101", "name": "父", "sort": 0, "created_at": utcnow()},
        )
    with pytest.raises(Exception), cat.begin() as conn:  # noqa: B017 - the driver's IntegrityError
        conn.execute(
            insert(category_t),
            {"id": 102, "parent_id": 999, "code": "C102", "name": "孤", "sort": 0, "created_at": utcnow()},
        )


def test_brands(cat):
    tee(cat)
    with uow(cat) as u:
        b = catalog.create_brand(u, code="ACME", name="阿克米")
        assert catalog.update_brand(u, b.id, name="阿克米 ACME").name == "阿克米 ACME"
        assert [(x.code, x.product_count) for x in catalog.list_brands(u)] == [("ACME", 0), ("OMNI", 1)]
        with pytest.raises(Conflict) as err:
            catalog.delete_brand(u, catalog.list_brands(u)[1].id)
        assert err.value.code == "catalog.brand_in_use"
        catalog.delete_brand(u, b.id)
        with pytest.raises(Conflict) as err:
            catalog.create_brand(u, code="OMNI", name="x")
        assert err.value.code == "catalog.duplicate_brand"


# -- bundles ---------------------------------------------------------------------------------------


def _gift_box(engine, code="GIFT-BOX", parts=(("TEA", 1), ("CUP", 2))):
    with uow(engine) as u:
        return catalog.create_sku(
            u,
            code=code,
            name="中秋礼盒",
            unit="盒",
            price_cents=19900,
            cost_method="average",
            kind="bundle",
            components=[catalog.Component(c, q) for c, q in parts],
            barcodes=[f"{code}-BC"],
        )


def test_a_bundle_and_its_components(cat):
    tea = sku(cat, "TEA")
    sku(cat, "CUP")
    box = _gift_box(cat)
    assert box.kind == "bundle"
    assert [(c.code, c.name, c.qty) for c in box.components] == [
        ("CUP", "商品 CUP", 2),
        ("TEA", "商品 TEA", 1),
    ]
    with uow(cat) as u:
        got = catalog.components(u, [box.id, tea.id])
    assert set(got) == {box.id}
    assert sorted((r.code, q) for r, q in got[box.id]) == [("CUP", 2), ("TEA", 1)]
    # Cached once committed: no statement runs for them again.
    statements: list[str] = []
    event.listen(cat, "before_cursor_execute", lambda *a: statements.append(a[2]))
    with uow(cat) as u:
        statements.clear()
        assert catalog.components(u, [box.id]) == got
        assert statements == []
    with uow(cat) as u:
        assert catalog.resolve_code(u, "GIFT-BOX-BC").kind == "bundle"


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"components": []}, "catalog.bad_bundle"),
        ({"components": [catalog.Component("NOPE", 1)]}, "catalog.unknown_sku"),
        ({"components": [catalog.Component("BOX-1", 1)]}, "catalog.bad_bundle"),  # nested
        ({"components": [catalog.Component("NEW-BOX", 1)]}, "catalog.bad_bundle"),  # itself
        ({"components": [catalog.Component("TEA", 0)]}, "catalog.bad_bundle"),
        ({"components": [catalog.Component("TEA", 1), catalog.Component("TEA", 2)]}, "catalog.bad_bundle"),
        ({"components": [catalog.Component("TEA", 1)], "tracking": "batch"}, "catalog.bad_bundle"),
        ({"components": [catalog.Component("TEA", 1)], "kind": "kit"}, "catalog.bad_kind"),
        ({"components": [catalog.Component("TEA", 1)], "kind": "standard"}, "catalog.bad_bundle"),
    ],
)
def test_bad_bundles_are_refused(cat, kw, code):
    sku(cat, "TEA")
    sku(cat, "CUP")
    _gift_box(cat, "BOX-1")
    before = counts(cat)
    with pytest.raises(Invalid) as err, uow(cat) as u:
        catalog.create_sku(
            u,
            code="NEW-BOX",
            name="礼盒",
            unit="盒",
            price_cents=1,
            cost_method="average",
            **{"kind": "bundle", **kw},
        )
    assert err.value.code == code
    assert counts(cat) == before


def test_bundle_availability_is_derived_per_warehouse(engine):
    setup_master(engine, skus=(("TEA", "average"), ("CUP", "fifo"), ("LONE", "average")))
    box = _gift_box(engine)
    receive(engine, "TEA", 10, 500, wh="WH-A")
    receive(engine, "CUP", 7, 300, wh="WH-A")
    receive(engine, "TEA", 4, 500, wh="WH-B")  # no cups there: no boxes
    order(engine, "SO-1", [("CUP", 2, 1000)], wh="WH-A")  # reserves 2 cups: 5 free
    with uow(engine) as u:
        rows = {r["sku"]: r for r in inventory.availability(u, ["GIFT-BOX", "TEA", "LONE"])}
    box_row = rows["GIFT-BOX"]
    assert box_row["kind"] == "bundle" and rows["TEA"]["kind"] == "standard"
    # WH-A: TEA 10 → 10 boxes, CUP 7 on hand → 3, 5 available → 2.
    assert box_row["warehouses"] == [
        {"warehouse": "WH-A", "on_hand": 3, "reserved": 1, "held": 0, "available": 2},
        {"warehouse": "WH-B", "on_hand": 0, "reserved": 0, "held": 0, "available": 0},
    ]
    assert (box_row["on_hand"], box_row["available"]) == (3, 2)
    assert rows["TEA"]["available"] == 14 and rows["LONE"]["warehouses"] == []
    with uow(engine) as u:
        only_b = inventory.availability(u, ["GIFT-BOX"], ["WH-B"])[0]
    assert only_b["available"] == 0
    with uow(engine) as u:
        assert catalog.sku_ref(u, box.code) == catalog.SkuRef(box.id, "GIFT-BOX", "average", "bundle", "none")


def test_a_backup_restores_a_moved_category_tree(cat, tmp_path):
    """A category moved under one created after it has a parent with a higher id; the restore
    (rows in id order, one transaction) must still load it."""
    from omnistock import backup
    from omnistock.platform.db import make_engine

    tee(cat)
    with uow(cat) as u:
        catalog.create_category(u, code="LATE", name="后建类目")
        late_child = {c.code: c for c in catalog.list_categories(u)}["APPAREL"]
        catalog.update_category(u, late_child.id, parent="LATE")
    path = tmp_path / "shop.jsonl.gz"
    written = backup.backup(cat, path)
    target = make_engine(f"sqlite:///{tmp_path}/restored.db")
    try:
        assert backup.restore(target, path) == written
        with uow(target) as u:
            tree = {c.code: c.parent_code for c in catalog.list_categories(u)}
            assert tree["APPAREL"] == "LATE" and tree["TOPS"] == "APPAREL"
            assert catalog.resolve_code(u, "TS69000001").code == "TS-RED-M"
    finally:
        target.dispose()
