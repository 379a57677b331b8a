"""Differential tests: random workloads replayed through the real services on a brand-new
SQLite database give exactly the summary of the independent in-memory oracle
(tests/support/workload_oracle.py), and leave every doctor invariant intact."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from rich.console import Console

from omnistock import replay
from omnistock.finance import service as finance
from omnistock.inventory import service as inventory
from omnistock.platform import migrate
from omnistock.platform.db import make_engine
from tests.support import workload_oracle

GEN = Path(__file__).resolve().parents[3] / "shared" / "workload" / "gen.py"

WAREHOUSES = ["WA", "WB", "WC"]
SKUS = ["P1", "P2", "P3", "P4"]
COSTS = ["0", "1", "1.5", "2.33", "0.07", "10", "3.99", "7"]
BAD_MONEY = ["1.234", "-1", 5, "1e2", " 1", ""]
T0 = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _master() -> list[dict]:
    out = [{"op": "warehouse", "code": w, "name": f"仓{w}"} for w in WAREHOUSES[:2]]
    out += [
        {"op": "channel", "code": "CH", "name": "渠道"},
        {"op": "customer", "code": "CU", "name": "客户", "phone": "13800000000"},
        {"op": "supplier", "code": "SP", "name": "供应商"},
        {
            "op": "product",
            "sku": "P1",
            "name": "均价",
            "unit": "pcs",
            "price": "9.90",
            "cost_method": "average",
            "safety_stock": 0,
        },
        {
            "op": "product",
            "sku": "P2",
            "name": "先进先出",
            "unit": "pcs",
            "price": "19.90",
            "cost_method": "fifo",
            "safety_stock": 2,
        },
        {
            "op": "product",
            "sku": "P3",
            "name": "均价二",
            "unit": "pcs",
            "price": "1",
            "cost_method": "average",
            "safety_stock": 1,
        },
    ]
    return out


class Workload:
    """A random small workload with explicit odds: mostly legal events, some invalid ones."""

    def __init__(self, seed: int):
        self.r = random.Random(seed)
        self.orders: dict[str, list[dict]] = {}
        self.refs = {"R": 0, "T": 0, "C": 0}
        self.open: list[str] = []  # orders not yet shipped or cancelled (as far as the generator knows)
        self.shipped: list[str] = []

    def pick(self, good, bad, p_bad: float = 0.05):
        return self.r.choice(bad) if self.r.random() < p_bad else self.r.choice(good)

    def wh(self):
        return self.pick(WAREHOUSES[:2], ["WC"])

    def qty(self, hi: int = 5):
        return self.pick(list(range(1, hi + 1)), [0, -1, 2.0, True, "3", None], 0.04)

    def money(self):
        return self.pick(COSTS, BAD_MONEY, 0.04)

    def skus(self):
        k = self.r.choice([1, 1, 1, 2, 2, 3])
        out = [self.pick(SKUS[:3], ["P4"], 0.03) for _ in range(k)]
        return out if self.r.random() < 0.9 else out  # duplicates happen by chance: invalid

    def ref(self, kind: str) -> str:
        if self.refs[kind] and self.r.random() < 0.08:
            return f"{kind}{self.r.randint(1, self.refs[kind])}"  # already used
        self.refs[kind] += 1
        return f"{kind}{self.refs[kind]}"

    def order_ref(self) -> str:
        if self.orders and self.r.random() < 0.85:
            return self.r.choice(sorted(self.orders))
        return f"O{self.r.randint(1, 40)}"

    def event(self):
        r = self.r
        op = r.choices(
            ["receive", "order", "ship", "cancel", "return", "transfer", "count", "junk"],
            [25, 25, 18, 5, 10, 8, 6, 3],
        )[0]
        if op == "receive":
            return {
                "op": "receive",
                "ref": self.ref("R"),
                "supplier": "SP",
                "warehouse": self.wh(),
                "lines": [{"sku": s, "qty": self.qty(8), "unit_cost": self.money()} for s in self.skus()],
            }
        if op == "order":
            ref = f"O{len(self.orders) + 1}" if r.random() < 0.93 else self.order_ref()
            lines = [{"sku": s, "qty": self.qty(3), "unit_price": self.money()} for s in self.skus()]
            if ref not in self.orders:
                self.orders[ref] = lines
                self.open.append(ref)
            return {
                "op": "order",
                "ref": ref,
                "channel": "CH",
                "customer": "CU",
                "warehouse": self.wh(),
                "lines": lines,
            }
        if op in ("ship", "cancel"):
            if self.open and r.random() < 0.85:
                ref = self.open.pop(r.randrange(len(self.open)))
                if op == "ship":
                    self.shipped.append(ref)
            else:
                ref = self.order_ref()
            return {"op": op, "ref": ref}
        if op == "return":
            ref = r.choice(self.shipped) if self.shipped and r.random() < 0.85 else self.order_ref()
            lines = self.orders.get(ref) or [{"sku": "P1"}]
            chosen = r.sample(lines, r.randint(1, len(lines)))
            return {
                "op": "return",
                "ref": ref,
                "lines": [
                    {"sku": ln["sku"] if r.random() < 0.95 else "P3", "qty": self.qty(3)} for ln in chosen
                ],
            }
        if op == "transfer":
            a = self.wh()
            b = self.pick([w for w in WAREHOUSES[:2] if w != a] or ["WA"], [a], 0.08)
            return {
                "op": "transfer",
                "ref": self.ref("T"),
                "from": a,
                "to": b,
                "lines": [{"sku": s, "qty": self.qty(4)} for s in self.skus()],
            }
        if op == "count":
            return {
                "op": "count",
                "ref": self.ref("C"),
                "warehouse": self.wh(),
                "lines": [
                    {"sku": s, "counted": self.pick(list(range(0, 9)), [-1, 1.5])} for s in self.skus()
                ],
            }
        return r.choice(JUNK)


JUNK = [
    "not json",
    "[1, 2]",
    "{}",
    '{"op": "teleport"}',
    '{"op": "header"}',
    "",
    {"op": "warehouse", "code": "WA", "name": "dup"},
    {"op": "warehouse", "code": "WC", "name": "仓WC"},
    {
        "op": "product",
        "sku": "P4",
        "name": "x",
        "unit": "pcs",
        "price": "1.234",
        "cost_method": "fifo",
        "safety_stock": 0,
    },
    {
        "op": "product",
        "sku": "P4",
        "name": "x",
        "unit": "pcs",
        "price": "1",
        "cost_method": "lifo",
        "safety_stock": 0,
    },
    {
        "op": "product",
        "sku": "P4",
        "name": "先进先出二",
        "unit": "pcs",
        "price": "2.50",
        "cost_method": "fifo",
        "safety_stock": 0,
    },
    {
        "op": "product",
        "sku": "P1",
        "name": "dup",
        "unit": "pcs",
        "price": "1",
        "cost_method": "fifo",
        "safety_stock": 0,
    },
    {
        "op": "order",
        "ref": "O999",
        "channel": "NOPE",
        "customer": "CU",
        "warehouse": "WA",
        "lines": [{"sku": "P1", "qty": 1, "unit_price": "1"}],
    },
    {"op": "receive", "ref": "R999", "supplier": "SP", "warehouse": "WA", "lines": []},
    {
        "op": "receive",
        "ref": "R999",
        "supplier": "NOPE",
        "warehouse": "WA",
        "lines": [{"sku": "P1", "qty": 1, "unit_cost": "1"}],
    },
    {"op": "receive", "ref": "R998", "supplier": "SP", "warehouse": "WA", "lines": ["P1"]},
]


@st.composite
def workloads(draw) -> list:
    master = draw(st.permutations(_master()))
    w = Workload(draw(st.integers(0, 2**32)))
    n = w.r.randint(10, 90)
    return list(master) + [w.event() for _ in range(n)]


def _render(evs: list) -> list[str]:
    lines = [json.dumps({"op": "header", "format": "omnistock-workload/1", "orders": 0})]
    for i, e in enumerate(evs):
        if isinstance(e, str):
            lines.append(e)
            continue
        e = dict(e)
        if e["op"] in ("receive", "order", "ship", "cancel", "return", "transfer", "count"):
            e["at"] = (T0 + dt.timedelta(minutes=7 * i)).isoformat()
        lines.append(json.dumps(e, ensure_ascii=False))
    return lines


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("replay-template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    raw = engine.raw_connection()
    try:
        raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        raw.close()
    engine.dispose()
    return path


def replay_fresh(template: Path, workdir: Path, lines: list[str]) -> tuple[dict, list[str]]:
    """Replay ``lines`` on a new SQLite database; returns (summary, broken invariants)."""
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "x.db"
    shutil.copyfile(template, db)
    src = workdir / "w.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    engine = make_engine(f"sqlite:///{db}")
    try:
        summary = replay.run(engine, src, console=Console(file=io.StringIO()))
        with engine.connect() as conn:
            problems = inventory.check_invariants(conn) + finance.check_invariants(conn)
            problems += _books_against(summary, finance.role_totals(conn))
    finally:
        engine.dispose()
    return summary, problems


def _books_against(summary: dict, books: dict[str, int]) -> list[str]:
    """The journal's accounts against the replay summary: they must tell the same story."""

    def parse_money(text: str) -> int:  # the summary's "-176.47": always two places
        return int(text.replace(".", ""))

    want = {
        "revenue": -parse_money(summary["revenue"]),
        "cogs": parse_money(summary["cogs"]),
        "inventory": parse_money(summary["inventory_value"]),
        "shrinkage": parse_money(summary["shrinkage"]),
        "grni": -parse_money(summary["received_value"]),
    }
    return [
        f"books: {k} account {books.get(k, 0)} ≠ summary {v}" for k, v in want.items() if books.get(k, 0) != v
    ]


_n = itertools.count()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
@given(evs=workloads())
def test_random_workload_matches_oracle(template, tmp_path, evs):
    # Master data first (in any order), then a random mix of good and bad documents.
    lines = _render(evs)
    want = workload_oracle.summarize(lines)
    got, problems = replay_fresh(template, tmp_path / f"ex{next(_n)}", lines)
    assert problems == []
    assert got == want, "\n".join(lines)
    for key in ("orders_accepted", "shipments", "returns", "transfers", "counts", "cancellations"):
        event(f"{key}>0" if want[key] else f"{key}=0")
    event(f"valid share {(want['events'] - want['invalid']) * 10 // want['events'] * 10}%")


def _gen(seed: int, orders: int, out: Path) -> Path:
    with out.open("w", encoding="utf-8") as f:
        subprocess.run(
            [sys.executable, str(GEN), "--seed", str(seed), "--orders", str(orders)], stdout=f, check=True
        )
    return out


@pytest.mark.skipif(not GEN.exists(), reason="shared/workload/gen.py is not beside the repo")
def test_generated_workloads_match_oracle(template, tmp_path):
    seeds = random.Random().sample(range(1, 10**6), 3)
    for seed in seeds:
        path = _gen(seed, 300, tmp_path / f"w{seed}.jsonl")
        lines = path.read_text(encoding="utf-8").splitlines()
        want = workload_oracle.summarize(lines)
        got, problems = replay_fresh(template, tmp_path / f"db{seed}", lines)
        assert problems == [], f"seed {seed}"
        assert got == want, f"seed {seed}"
