"""The workload oracle reproduces the published samples, and its reading of the rules is pinned
by small hand-made workloads (the cases the generator rarely or never writes)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.workload_oracle import Oracle, summarize, take

WORKLOAD = Path(__file__).resolve().parents[3] / "shared" / "workload"
needs_shared = pytest.mark.skipif(not (WORKLOAD / "gen.py").exists(), reason="shared/workload not present")


def generate(seed: int, orders: int, warehouses: int) -> list[str]:
    out = subprocess.run(
        [
            sys.executable,
            str(WORKLOAD / "gen.py"),
            "--seed",
            str(seed),
            "--orders",
            str(orders),
            "--warehouses",
            str(warehouses),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return out.splitlines(keepends=True)


def expected(seed: int, orders: int, warehouses: int) -> dict:
    return json.loads((WORKLOAD / "expected" / f"seed{seed}-orders{orders}-wh{warehouses}.json").read_text())


@needs_shared
def test_seed1_sample_matches_exactly():
    assert summarize(generate(1, 1000, 3)) == expected(1, 1000, 3)


@needs_shared
@pytest.mark.slow
@pytest.mark.parametrize(("seed", "orders", "warehouses"), [(2, 20000, 4), (3, 5000, 5)])
def test_bigger_samples_match_exactly(seed, orders, warehouses):
    assert summarize(generate(seed, orders, warehouses)) == expected(seed, orders, warehouses)


# -- hand-made workloads ----------------------------------------------------------------------

HEADER = {"op": "header", "format": "omnistock-workload/1"}
AT = "2026-01-01T08:00:00+08:00"
MASTER = [
    {"op": "warehouse", "code": "A", "name": "仓A"},
    {"op": "warehouse", "code": "B", "name": "仓B"},
    {"op": "channel", "code": "live", "name": "直播"},
    {"op": "supplier", "code": "S", "name": "供应商"},
    {"op": "customer", "code": "C", "name": "顾客", "phone": "13800000000"},
    {
        "op": "product",
        "sku": "AVG",
        "name": "x",
        "unit": "pcs",
        "price": "10.00",
        "cost_method": "average",
        "safety_stock": 0,
    },
    {
        "op": "product",
        "sku": "FIFO",
        "name": "y",
        "unit": "pcs",
        "price": "10",
        "cost_method": "fifo",
        "safety_stock": 5,
    },
]


def run(*events, raw: tuple[str, ...] = ()) -> dict:
    lines = [json.dumps(HEADER)] + [json.dumps(e) for e in (*MASTER, *events)] + list(raw)
    return summarize(lines)


def rcv(ref, sku, qty, cost, wh="A"):
    return {
        "op": "receive",
        "ref": ref,
        "supplier": "S",
        "warehouse": wh,
        "at": AT,
        "lines": [{"sku": sku, "qty": qty, "unit_cost": cost}],
    }


def order(ref, lines, wh="A", **kw):
    return {
        "op": "order",
        "ref": ref,
        "channel": "live",
        "customer": "C",
        "warehouse": wh,
        "at": AT,
        "lines": [{"sku": s, "qty": q, "unit_price": p} for s, q, p in lines],
        **kw,
    }


def ship(ref):
    return {"op": "ship", "ref": ref, "at": AT}


def ret(ref, sku, qty):
    return {"op": "return", "ref": ref, "at": AT, "lines": [{"sku": sku, "qty": qty}]}


def count(ref, sku, counted, wh="A"):
    return {"op": "count", "ref": ref, "warehouse": wh, "at": AT, "lines": [{"sku": sku, "counted": counted}]}


def transfer(ref, sku, qty, src="A", dst="B"):
    return {
        "op": "transfer",
        "ref": ref,
        "from": src,
        "to": dst,
        "at": AT,
        "lines": [{"sku": sku, "qty": qty}],
    }


def test_take_rounds_half_up_and_keeps_every_cent():
    assert take(100, 1, 3) == 33 and take(67, 1, 2) == 34 and take(33, 1, 1) == 33
    assert take(5, 1, 2) == 3  # 2.5 cents -> 3
    assert take(1, 1, 3) == 0


def test_money_is_exact_cents_and_identity_holds():
    s = run(
        rcv("P1", "AVG", 3, "1"), rcv("P2", "AVG", 1, "0.5"), order("O1", [("AVG", 2, "9.99")]), ship("O1")
    )
    # pool 4 pieces worth 350; taking 2 -> 175
    assert s["received_value"] == "3.50" and s["cogs"] == "1.75" and s["revenue"] == "19.98"
    assert s["inventory_value"] == "1.75" and s["on_hand_total"] == 2 and s["invalid"] == 0


def test_fifo_ship_takes_oldest_layers_and_return_becomes_newest_layer():
    s = run(
        rcv("P1", "FIFO", 2, "1.00"),
        rcv("P2", "FIFO", 3, "2.00"),
        order("O1", [("FIFO", 3, "5")]),
        ship("O1"),
        ret("O1", "FIFO", 1),  # gives back take(400, 1, 3) = 133 cogs, take(1500, 1, 3) = 500 revenue
        ret("O1", "FIFO", 2),  # the remainder exactly: 267 and 1000
        count("K1", "FIFO", 6),  # +1 valued at the newest layer (2 pieces worth 267): 134
    )
    assert s["cogs"] == "0.00" and s["revenue"] == "0.00" and s["returns"] == 2
    assert s["shrinkage"] == "-1.34" and s["inventory_value"] == "9.34" and s["on_hand_total"] == 6


def test_returning_more_than_is_left_is_invalid_and_changes_nothing():
    s = run(
        rcv("P1", "AVG", 5, "1"),
        order("O1", [("AVG", 2, "3")]),
        ship("O1"),
        ret("O1", "AVG", 2),
        ret("O1", "AVG", 1),
        ret("O1", "FIFO", 1),
    )
    assert s["returns"] == 1 and s["invalid"] == 2 and s["on_hand_total"] == 5 and s["cogs"] == "0.00"


def test_return_into_an_empty_pool():
    s = run(rcv("P1", "AVG", 2, "3.33"), order("O1", [("AVG", 2, "5")]), ship("O1"), ret("O1", "AVG", 1))
    assert s["inventory_value"] == "3.33" and s["cogs"] == "3.33" and s["revenue"] == "5.00"


def test_count_gain_with_no_stock_uses_last_receipt_cost_else_zero():
    s = run(
        rcv("P1", "AVG", 2, "1.50", wh="B"),
        count("K1", "AVG", 0, wh="B"),
        count("K2", "AVG", 4, wh="A"),
        count("K3", "FIFO", 3),
    )
    # loss of 2 worth 300; gain of 4 at the last receipt cost 150 = 600; FIFO never received: 0
    assert s["shrinkage"] == "-3.00" and s["inventory_value"] == "6.00" and s["counts"] == 3
    assert s["on_hand_total"] == 7


def test_count_gain_uses_the_pool_over_all_warehouses():
    s = run(rcv("P1", "AVG", 3, "1", wh="B"), count("K1", "AVG", 1, wh="A"))  # 1 x 300/3
    assert s["shrinkage"] == "-1.00" and s["inventory_value"] == "4.00"


def test_count_below_reserved_is_invalid_but_down_to_reserved_is_fine():
    s = run(
        rcv("P1", "AVG", 5, "1"),
        order("O1", [("AVG", 3, "2")]),
        count("K1", "AVG", 2),
        count("K1", "AVG", 3),
        ship("O1"),
    )
    assert s["invalid"] == 1 and s["counts"] == 1 and s["shrinkage"] == "2.00" and s["on_hand_total"] == 0


def test_rejected_order_and_rejected_transfer_hold_their_refs():
    s = run(
        rcv("P1", "AVG", 5, "1"),
        order("O1", [("AVG", 9, "1")]),
        order("O1", [("AVG", 1, "1")]),
        transfer("T1", "AVG", 9),
        transfer("T1", "AVG", 1),
        transfer("T2", "AVG", 5),
    )
    assert s["orders_rejected"] == 1 and s["transfers_rejected"] == 1 and s["transfers"] == 1
    assert s["invalid"] == 2 and s["orders_accepted"] == 0


def test_transfers_move_free_stock_only():
    s = run(
        rcv("P1", "AVG", 5, "1"),
        order("O1", [("AVG", 3, "1")]),
        transfer("T1", "AVG", 3),
        transfer("T2", "AVG", 2),
        transfer("T3", "AVG", 1, src="A", dst="A"),
    )
    assert s["transfers_rejected"] == 1 and s["transfers"] == 1 and s["invalid"] == 1
    assert s["reserved_total"] == 3 and s["inventory_value"] == "5.00"


def test_ref_namespaces_are_separate():
    s = run(
        rcv("X", "AVG", 5, "1"), order("X", [("AVG", 1, "1")]), transfer("X", "AVG", 1), count("X", "AVG", 3)
    )
    assert s["invalid"] == 0 and s["receipts"] == 1 and s["orders_accepted"] == 1 and s["counts"] == 1


@pytest.mark.parametrize(
    "event",
    [
        {"op": "bogus"},
        {"op": "header", "format": "omnistock-workload/1"},
        {"op": "warehouse", "code": "A", "name": "again"},
        {
            "op": "product",
            "sku": "N",
            "name": "n",
            "unit": "pcs",
            "price": "1.999",
            "cost_method": "average",
            "safety_stock": 0,
        },
        {
            "op": "product",
            "sku": "N",
            "name": "n",
            "unit": "pcs",
            "price": "1",
            "cost_method": "lifo",
            "safety_stock": 0,
        },
        rcv("P9", "AVG", True, "1"),
        rcv("P9", "AVG", 1.0, "1"),
        rcv("P9", "AVG", 0, "1"),
        rcv("P9", "AVG", 1, 1),
        rcv("P9", "AVG", 1, "-1"),
        rcv("P9", "AVG", 1, " 1"),
        rcv("P9", "AVG", 1, "1e2"),
        rcv("P9", "NOPE", 1, "1"),
        rcv("P9", "AVG", 1, "1", wh="Z"),
        {**rcv("P9", "AVG", 1, "1"), "supplier": "NOPE"},
        {**rcv("P9", "AVG", 1, "1"), "lines": []},
        {**rcv("P9", "AVG", 1, "1"), "lines": ["AVG"]},
        {**rcv("P9", "AVG", 1, "1"), "lines": [{"sku": "AVG", "qty": 1, "unit_cost": "1"}] * 2},
        {**rcv("P9", "AVG", 1, "1"), "at": "2026-01-01T08:00:00"},
        order("O9", [("AVG", 1, "1")], channel="nope"),
        order("O9", [("AVG", 1, "1")], customer="nope"),
        ship("O9"),
        {"op": "cancel", "ref": "O9", "at": AT},
        count("K9", "AVG", -1),
        {**count("K9", "AVG", 1), "lines": [{"sku": "AVG", "counted": False}]},
    ],
)
def test_invalid_events_change_nothing(event):
    base = run(rcv("P1", "AVG", 5, "1"))
    s = run(rcv("P1", "AVG", 5, "1"), event)
    assert s["invalid"] == 1 and s["events"] == base["events"] + 1
    assert {k: v for k, v in s.items() if k not in ("events", "invalid")} == {
        k: v for k, v in base.items() if k not in ("events", "invalid")
    }


def test_lines_that_are_not_json_objects_are_invalid_events():
    s = run(raw=("", "not json", "[1, 2]", '"text"', "{"))
    assert s["events"] == len(MASTER) + 5 and s["invalid"] == 5


def test_a_file_without_header_is_refused():
    with pytest.raises(ValueError):
        summarize([json.dumps(MASTER[0])])


def test_the_oracle_keeps_its_invariants_on_a_mixed_workload():
    o = Oracle()
    for e in (
        *MASTER,
        rcv("P1", "FIFO", 7, "0.07"),
        order("O1", [("FIFO", 3, "1")]),
        ship("O1"),
        ret("O1", "FIFO", 2),
        count("K1", "FIFO", 1),
        transfer("T1", "FIFO", 1),
    ):
        o.line(json.dumps(e))
        o.check()
