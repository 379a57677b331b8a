"""Stocktake count sheets through the services: snapshot, scanning and typed counts, recount, the
posting rule when stock moved meanwhile, valuation of differences, refusals that change nothing,
and the doctor's invariants after every flow."""

from __future__ import annotations

import pytest

from omnistock.inventory import service as inventory
from omnistock.platform.auth import Actor
from omnistock.platform.uow import UnitOfWork
from tests.inventory.conftest import t
from tests.inventory.helpers import (
    balance,
    invariants,
    order,
    receive,
    setup_master,
    ship,
    totals,
    uow,
)
from tests.inventory.test_service import refused

COUNTER = Actor(
    user_id=5,
    username="counter",
    permissions=frozenset({"inventory.stock.read", "inventory.stocktake.count"}),
)


@pytest.fixture
def eng(engine):
    setup_master(engine, skus=(("AVG-1", "average"), ("FIFO-1", "fifo"), ("NEW-1", "average")))
    yield engine
    assert invariants(engine) == []


def _create(engine, scope=None, *, ref="ST-1", wh="WH-A", blind=False):
    with uow(engine) as u:
        return inventory.create_stocktake(
            u, ref=ref, warehouse=wh, scope=scope or {"kind": "all"}, blind=blind
        )


def _scan(engine, sheet_id, code, qty=None, actor=None):
    with UnitOfWork(engine, actor) if actor else uow(engine) as u:
        return inventory.record_count(u, sheet_id, code=code, qty=qty)


def _recount(engine, sheet_id, skus=None):
    with uow(engine) as u:
        return inventory.send_to_recount(u, sheet_id, skus=skus)


def _post(engine, sheet_id, zero=False, at=None):
    with uow(engine) as u:
        return inventory.post_stocktake(u, sheet_id, uncounted_as_zero=zero, at=at)


def _cancel(engine, sheet_id):
    with uow(engine) as u:
        return inventory.cancel_stocktake(u, sheet_id)


def _detail(engine, sheet_id, actor=None):
    with UnitOfWork(engine, actor) if actor else uow(engine) as u:
        return inventory.stocktake_detail(u, sheet_id)


def _by_sku(d) -> dict:
    return {x["sku"]: x for x in d["line_items"]}


def test_scope_all_snapshots_every_sku_ever_stocked_here(eng):
    receive(eng, "AVG-1", 5, 100)
    receive(eng, "FIFO-1", 2, 100)
    receive(eng, "NEW-1", 3, 100, wh="WH-B")  # not in WH-A
    order(eng, "SO-1", [("FIFO-1", 2, 100)])
    ship(eng, "SO-1")  # FIFO-1: 0 on hand in WH-A, but it was stocked there
    d = _create(eng)
    assert (d["status"], d["warehouse"], d["scope"], d["round"], d["blind"]) == (
        "open",
        "WH-A",
        {"kind": "all"},
        1,
        False,
    )
    assert [(x["line_no"], x["sku"], x["book_qty"], x["counted"]) for x in d["line_items"]] == [
        (1, "AVG-1", 5, None),
        (2, "FIFO-1", 0, None),
    ]
    d = _create(eng, {"kind": "skus", "skus": ["NEW-1", "AVG-1"]}, ref="ST-2")
    assert [(x["sku"], x["book_qty"]) for x in d["line_items"]] == [("NEW-1", 0), ("AVG-1", 5)]
    assert d["totals"]["uncounted_lines"] == 2


def test_create_checks_its_input(eng):
    _create(eng)
    refused(eng, "inventory.duplicate_ref", _create, eng)
    refused(eng, "inventory.bad_scope", _create, eng, {"kind": "category"}, ref="ST-2")
    refused(eng, "inventory.no_lines", _create, eng, {"kind": "skus", "skus": []}, ref="ST-2")
    refused(
        eng,
        "inventory.duplicate_sku_line",
        _create,
        eng,
        {"kind": "skus", "skus": ["AVG-1", "AVG-1"]},
        ref="ST-2",
    )
    refused(eng, "catalog.unknown_sku", _create, eng, {"kind": "skus", "skus": ["NOPE"]}, ref="ST-2")
    refused(eng, "inventory.unknown_warehouse", _create, eng, ref="ST-2", wh="WH-X")
    with uow(eng) as u:  # its number will be the count document's: taken there, refused here
        inventory.count(u, ref="CNT-9", warehouse="WH-B", lines=[inventory.CountLine("AVG-1", 0)])
    refused(eng, "inventory.duplicate_ref", _create, eng, ref="CNT-9")


def test_scans_add_one_typed_quantity_sets_unknown_code_is_refused(eng):
    receive(eng, "AVG-1", 5, 100)
    d = _create(eng)
    sid = d["id"]
    res = _scan(eng, sid, "AVG-1")
    assert (res.sheet_status, res.round, res.line["counted1"], res.line["counted"]) == ("counting", 1, 1, 1)
    for _ in range(2):
        res = _scan(eng, sid, "AVG-1")
    assert res.line["counted1"] == 3 and res.line["difference"] == -2
    assert res.line["value_cents"] == -200 and res.line["value_estimated"]
    assert _scan(eng, sid, "AVG-1", 7).line["counted1"] == 7  # typed: sets
    assert _scan(eng, sid, "AVG-1").line["counted1"] == 8
    err = refused(eng, "inventory.unknown_code", _scan, eng, sid, "NO-SUCH-CODE")
    assert "NO-SUCH-CODE" in err.zh and "NO-SUCH-CODE" in err.en
    refused(eng, "inventory.bad_quantity", _scan, eng, sid, "AVG-1", -1)
    # A SKU not on an "all" sheet gets a line: book 0 (no stock here at the snapshot).
    res = _scan(eng, sid, "NEW-1")
    assert (res.line["line_no"], res.line["book_qty"], res.line["added"], res.line["counted1"]) == (
        2,
        0,
        True,
        1,
    )
    # ... but not on a sheet of chosen SKUs.
    d2 = _create(eng, {"kind": "skus", "skus": ["AVG-1"]}, ref="ST-2")
    refused(eng, "inventory.sku_not_on_sheet", _scan, eng, d2["id"], "NEW-1")


def test_recount_replaces_the_first_round_and_keeps_both(eng):
    receive(eng, "AVG-1", 5, 100)
    receive(eng, "FIFO-1", 4, 100)
    receive(eng, "NEW-1", 1, 100)
    sid = _create(eng)["id"]
    _scan(eng, sid, "AVG-1", 5)  # matches the book
    _scan(eng, sid, "FIFO-1", 3)  # differs; NEW-1 not counted
    d = _recount(eng, sid)
    assert (d["status"], d["round"]) == ("recount", 2)
    refused(eng, "inventory.line_not_in_recount", _scan, eng, sid, "AVG-1")  # it matched the book
    assert {x["sku"] for x in d["line_items"] if x["recount"]} == {"FIFO-1", "NEW-1"}
    _scan(eng, sid, "FIFO-1")
    _scan(eng, sid, "FIFO-1")
    res = _scan(eng, sid, "FIFO-1")
    assert (res.round, res.line["counted1"], res.line["counted2"], res.line["counted"]) == (2, 3, 3, 3)
    _scan(eng, sid, "FIFO-1", 4)
    refused(eng, "inventory.illegal_transition", _recount, eng, sid)  # one recount round
    d = _post(eng, sid, zero=True)  # NEW-1 not recounted either: posted as 0
    lines = _by_sku(d)
    assert (lines["FIFO-1"]["counted1"], lines["FIFO-1"]["counted2"], lines["FIFO-1"]["difference"]) == (
        3,
        4,
        0,
    )
    assert (lines["NEW-1"]["counted"], lines["NEW-1"]["posted_qty"]) == (None, 0)
    assert balance(eng, "FIFO-1") == (4, 0) and balance(eng, "NEW-1") == (0, 0)


def test_recount_of_chosen_skus_and_nothing_to_recount(eng):
    receive(eng, "AVG-1", 5, 100)
    sid = _create(eng)["id"]
    _scan(eng, sid, "AVG-1", 5)
    refused(eng, "inventory.nothing_to_recount", _recount, eng, sid)
    refused(eng, "inventory.sku_not_on_sheet", _recount, eng, sid, ["FIFO-1"])
    d = _recount(eng, sid, ["AVG-1"])
    assert d["totals"]["recount_lines"] == 1


def test_post_values_loss_like_shrinkage_and_gain_at_current_cost(eng):
    receive(eng, "AVG-1", 10, 100)
    receive(eng, "AVG-1", 5, 160)  # 15 / 18.00
    receive(eng, "FIFO-1", 2, 100)
    receive(eng, "FIFO-1", 3, 700)  # newest layer 3 / 21.00
    sid = _create(eng)["id"]
    _scan(eng, sid, "AVG-1", 12)  # loss 3 at 1800 * 3 / 15 = 360
    _scan(eng, sid, "FIFO-1", 6)  # gain 1 at 7.00
    est = _detail(eng, sid)
    assert est["totals"]["loss_value_cents"] == 360 and est["totals"]["gain_value_cents"] == 700
    d = _post(eng, sid)
    assert d["status"] == "posted" and d["count_document_ref"] == "ST-1"
    lines = _by_sku(d)
    assert (lines["AVG-1"]["value_cents"], lines["FIFO-1"]["value_cents"]) == (-360, 700)
    assert not lines["AVG-1"]["value_estimated"]
    assert d["totals"] == {
        "lines": 2,
        "counted_lines": 2,
        "uncounted_lines": 0,
        "recount_lines": 0,
        "difference_lines": 2,
        "gain_qty": 1,
        "loss_qty": 3,
        "gain_value_cents": 700,
        "loss_value_cents": 360,
    }
    tt = totals(eng)
    assert (tt["shrinkage"], tt["counts"]) == (360 - 700, 1)
    assert balance(eng, "AVG-1") == (12, 0) and balance(eng, "FIFO-1") == (6, 0)
    with uow(eng) as u:  # one count document with the sheet's number
        doc = inventory.document(u, d["count_document_id"])
    assert (doc["kind"], doc["ref"]) == ("count", "ST-1")
    assert {(m["sku"], m["kind"], m["qty"], m["value_cents"]) for m in doc["moves"]} == {
        ("AVG-1", "count_loss", -3, -360),
        ("FIFO-1", "count_gain", 1, 700),
    }


def test_posting_rule_applies_the_counted_difference_to_the_current_on_hand(eng):
    """Stock moved between the snapshot and posting: posted = on-hand now + (counted − snapshot)."""
    receive(eng, "AVG-1", 10, 100)
    receive(eng, "FIFO-1", 10, 100)
    sid = _create(eng)["id"]  # snapshot: AVG-1 10, FIFO-1 10
    _scan(eng, sid, "AVG-1", 8)  # 2 missing at the snapshot
    _scan(eng, sid, "FIFO-1", 10)  # all there
    receive(eng, "AVG-1", 5, 100)  # meanwhile: +5 AVG-1 ...
    order(eng, "SO-1", [("FIFO-1", 4, 100)])
    ship(eng, "SO-1")  # ... and -4 FIFO-1
    d = _post(eng, sid)
    lines = _by_sku(d)
    assert (lines["AVG-1"]["on_hand_at_post"], lines["AVG-1"]["posted_qty"]) == (15, 13)
    assert (lines["FIFO-1"]["on_hand_at_post"], lines["FIFO-1"]["posted_qty"]) == (6, 6)
    assert balance(eng, "AVG-1") == (13, 0) and balance(eng, "FIFO-1") == (6, 0)
    assert lines["AVG-1"]["difference"] == -2 and lines["AVG-1"]["value_cents"] == -200


def test_post_never_goes_below_reserved_or_zero(eng):
    receive(eng, "AVG-1", 10, 100)
    sid = _create(eng)["id"]
    _scan(eng, sid, "AVG-1", 5)  # 5 missing
    order(eng, "SO-1", [("AVG-1", 8, 100)])  # after the snapshot, 8 reserved
    err = refused(eng, "inventory.stocktake_below_reserved", _post, eng, sid)
    assert err.params == {"sku": "AVG-1", "target": 5, "on_hand": 10, "difference": -5, "reserved": 8}
    assert _detail(eng, sid)["status"] == "counting"
    ship(eng, "SO-1")  # 2 left: 2 + (5 - 10) = -3
    refused(eng, "inventory.stocktake_negative", _post, eng, sid)
    _recount(eng, sid)
    _scan(eng, sid, "AVG-1", 9)  # the shelf had 9 at the snapshot: 2 + (9 - 10) = 1
    assert _post(eng, sid)["line_items"][0]["posted_qty"] == 1
    assert balance(eng, "AVG-1") == (1, 0)


def test_uncounted_lines_are_refused_unless_posted_as_zero(eng):
    receive(eng, "AVG-1", 3, 100)
    receive(eng, "FIFO-1", 2, 100)
    sid = _create(eng)["id"]
    _scan(eng, sid, "AVG-1", 3)
    err = refused(eng, "inventory.stocktake_uncounted", _post, eng, sid)
    assert err.params["n"] == 1 and err.params["sku"] == "FIFO-1"
    d = _post(eng, sid, zero=True)
    assert _by_sku(d)["FIFO-1"]["posted_qty"] == 0 and balance(eng, "FIFO-1") == (0, 0)
    assert totals(eng)["shrinkage"] == 200


def test_no_difference_posts_without_a_document(eng):
    receive(eng, "AVG-1", 3, 100)
    sid = _create(eng)["id"]
    _scan(eng, sid, "AVG-1", 3)
    d = _post(eng, sid, at=t(100))
    assert (d["status"], d["count_document_id"], d["totals"]["difference_lines"]) == ("posted", None, 0)
    assert totals(eng)["counts"] == 0


def test_illegal_moves_are_refused(eng):
    receive(eng, "AVG-1", 3, 100)
    sid = _create(eng)["id"]
    refused(eng, "inventory.illegal_transition", _post, eng, sid)  # nothing counted yet
    refused(eng, "inventory.illegal_transition", _recount, eng, sid)
    _scan(eng, sid, "AVG-1", 2)
    _post(eng, sid)
    for fn in (_post, _cancel, _recount):
        refused(eng, "inventory.illegal_transition", fn, eng, sid)
    refused(eng, "inventory.illegal_transition", _scan, eng, sid, "AVG-1")
    sid2 = _create(eng, ref="ST-2")["id"]
    assert _cancel(eng, sid2)["status"] == "cancelled"
    refused(eng, "inventory.illegal_transition", _scan, eng, sid2, "AVG-1")
    refused(eng, "stocktake.not_found", _scan, eng, 9999, "AVG-1")


def test_blind_sheet_hides_the_book_from_counters(eng):
    receive(eng, "AVG-1", 5, 100)
    sid = _create(eng, blind=True)["id"]
    res = _scan(eng, sid, "AVG-1", actor=COUNTER)
    assert res.line["counted1"] == 1
    assert (res.line["book_qty"], res.line["difference"], res.line["value_cents"]) == (None, None, None)
    d = _detail(eng, sid, actor=COUNTER)
    assert not d["book_visible"] and d["totals"]["gain_qty"] is None
    assert _detail(eng, sid)["line_items"][0]["book_qty"] == 5  # whoever may post sees it

    def post_as_counter():
        with UnitOfWork(eng, COUNTER) as u:
            inventory.post_stocktake(u, sid)

    refused(eng, "auth.forbidden", post_as_counter)
    _post(eng, sid)
    assert _detail(eng, sid, actor=COUNTER)["line_items"][0]["book_qty"] == 5  # revealed once posted


def test_scope_of_the_warehouse(eng):
    receive(eng, "AVG-1", 5, 100)
    sid = _create(eng)["id"]
    other = Actor(
        user_id=6, username="b", permissions=frozenset({"*"}), scopes={"warehouse": frozenset({"WH-B"})}
    )
    refused(eng, "auth.out_of_scope", _scan, eng, sid, "AVG-1", actor=other)
    with UnitOfWork(eng, other) as u:
        assert inventory.list_stocktakes(u)[0] == []
        assert inventory.stocktake_detail(u, sid) is None


def test_every_write_is_audited(eng):
    from omnistock.platform import audit

    receive(eng, "AVG-1", 5, 100)
    sid = _create(eng)["id"]
    _scan(eng, sid, "AVG-1")
    _scan(eng, sid, "AVG-1", 4)
    _recount(eng, sid)
    _scan(eng, sid, "AVG-1", 5)
    _post(eng, sid)
    with eng.connect() as conn:
        rows = audit.search(conn, entity_type="stocktake", entity_id="ST-1")
    assert [r["action"].rsplit(".", 1)[1] for r in reversed(rows)] == [
        "create",
        "count",
        "count",
        "recount",
        "count",
        "post",
    ]
