"""Order intake over HTTP: the real server (several worker processes) taking paid orders from 32
concurrent clients, then the stock invariants checked in SQL.

    .venv/bin/python bench/order_intake.py                    # PostgreSQL, 10,000 orders, 2 workers
    .venv/bin/python bench/order_intake.py --smoke            # 500 orders
    .venv/bin/python bench/order_intake.py --seconds 30       # as many orders as 30 s take
    .venv/bin/python bench/order_intake.py --database-url sqlite   # a SQLite file instead
    .venv/bin/python bench/order_intake.py --compare          # PostgreSQL, then SQLite

The PostgreSQL database ``omnistock_bench_intake`` (at OMNISTOCK_BENCH_PG or --database-url, by
default postgresql://postgres@127.0.0.1:5432/postgres) is dropped and recreated. Three warehouses
hold 200 SKUs; each order is paid, of 1-4 lines, with its own channel order number and a random
buyer and address. Prints orders/s, latency percentiles, the server's CPU per order (steadier than
throughput on a shared machine), HTTP status codes, order statuses and the invariant checks;
exits 1 on a 5xx, a deadlock/serialization failure or an oversell.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).parent))
from _common import (  # noqa: E402
    PG_DEFAULT,
    Server,
    admin_api_token,
    bench_url,
    drop_postgres,
    percentile,
    post_all,
    random_address,
    random_buyer,
    seed_shop,
    stock_violations,
)

from omnistock.platform.db import make_engine  # noqa: E402

WAREHOUSES = {"SH": "上海仓", "GZ": "广州仓", "BJ": "北京仓"}
CHANNEL = "MINI"


def orders(n: int, skus: dict[str, int], seed: int) -> list[bytes]:
    rng = random.Random(seed)
    codes = list(skus)
    out = []
    run = f"{seed:x}{int(time.time()) % 100000:05d}"
    for i in range(n):
        name, phone = random_buyer(rng)
        lines = [
            {"sku": s, "qty": rng.randint(1, 3), "unit_price_cents": skus[s]}
            for s in rng.sample(codes, rng.randint(1, 4))
        ]
        goods = sum(x["qty"] * x["unit_price_cents"] for x in lines)
        body = {
            "channel": CHANNEL,
            "external_ref": f"B{run}-{i:07d}",
            "buyer": {"name": name, "phone": phone, "id": f"oid-{run}-{i}"},
            "address": random_address(rng, name, phone),
            "lines": lines,
            "payments": [{"method": rng.choice(("wechat_pay", "alipay")), "amount_cents": goods}],
        }
        out.append(orjson.dumps(body))
    return out


async def post_orders(base: str, token: str, bodies: list[bytes], clients: int, seconds: float | None):
    elapsed, latencies, answers = await post_all(
        base, token, "/api/v1/orders", bodies, clients, seconds=seconds
    )
    codes: collections.Counter = collections.Counter()
    statuses: collections.Counter = collections.Counter()
    problems: collections.Counter = collections.Counter()
    for code, data in answers:
        codes[code] += 1
        if isinstance(code, int) and code < 300:
            statuses[data["status"]] += 1
        elif isinstance(code, int):
            problems[data.get("code", "?")] += 1
    return elapsed, latencies, codes, statuses, problems


def run(url: str, name: str, a, tmp: str) -> dict:
    skus = {f"SKU{i:04d}": random.Random(i).randrange(990, 29900, 100) for i in range(1, a.skus + 1)}
    # Enough stock that (almost) every order allocates: per warehouse ~2 pieces a line would take.
    per = max(50, a.orders * 5 // a.skus)
    engine = make_engine(url)
    t = time.perf_counter()
    seed_shop(
        engine,
        warehouses=WAREHOUSES,
        skus=skus,
        stock={w: dict.fromkeys(skus, per) for w in WAREHOUSES},
        channels={CHANNEL: "微信小程序"},
    )
    token = admin_api_token(engine)
    bodies = orders(a.orders, skus, a.seed)
    print(
        f"[{name}] seeded {len(WAREHOUSES)} warehouses x {len(skus)} SKUs x {per} pieces "
        f"in {time.perf_counter() - t:.1f} s; {a.clients} clients, {a.workers} server workers"
    )
    with Server(url, workers=a.workers, log=Path(tmp) / f"server-{name}.log") as server:
        cpu0 = server.cpu_seconds()
        elapsed, lat, codes, statuses, problems = asyncio.run(
            post_orders(server.base, token, bodies, a.clients, a.seconds)
        )
        server_cpu = server.cpu_seconds() - cpu0
        tracebacks = server.errors()
    done = sum(codes.values())
    violations = stock_violations(engine)
    with engine.connect() as conn:
        from sqlalchemy import text

        db_status = dict(conn.execute(text("SELECT status, count(*) FROM sales_order GROUP BY status")).all())
    engine.dispose()
    five = sum(n for c, n in codes.items() if isinstance(c, int) and c >= 500)
    deadlocks = five + sum(n for p, n in problems.items() if "deadlock" in p or "serializ" in p)
    print(
        f"[{name}] {done:,} orders in {elapsed:.2f} s = {done / elapsed:,.0f} orders/s; latency ms "
        f"p50 {percentile(lat, 50):.1f}  p95 {percentile(lat, 95):.1f}  p99 {percentile(lat, 99):.1f}  "
        f"max {max(lat, default=0):.1f}"
    )
    print(f"[{name}] server CPU per order: {server_cpu / done * 1000:.2f} ms (its worker processes)")
    print(f"[{name}] HTTP status codes: {dict(sorted(codes.items(), key=str))}")
    print(f"[{name}] order statuses (responses): {dict(statuses)}; in the database: {db_status}")
    if problems:
        print(f"[{name}] problem codes: {dict(problems)}")
    print(f"[{name}] deadlocks / serialization failures / 5xx: {deadlocks}")
    for tb in tracebacks[:3]:
        print(f"[{name}] server error: {tb}")
    bad = {k: v for k, v in violations.items() if v}
    if bad:
        print(f"[{name}] OVERSELL / INVARIANT BROKEN: {bad}")
    else:
        print(f"[{name}] oversell: 0 (checked: {', '.join(violations)})")
    allocated_ok = db_status.get("allocated", 0) == statuses.get("allocated", 0)
    if not allocated_ok:
        print(f"[{name}] allocated in responses != allocated in the database")
    return {
        "name": name,
        "orders/s": done / elapsed,
        "p50": percentile(lat, 50),
        "p95": percentile(lat, 95),
        "p99": percentile(lat, 99),
        "cpu": server_cpu / done * 1000,
        "ok": not bad and deadlocks == 0 and allocated_ok and not tracebacks,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--orders", type=int, default=10_000)
    p.add_argument("--seconds", type=float, help="stop after this long (at most --orders orders)")
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="server worker processes")
    p.add_argument("--skus", type=int, default=200)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--database-url", help="postgresql://... server (a fresh database is made) or 'sqlite'")
    p.add_argument("--compare", action="store_true", help="PostgreSQL, then a SQLite file")
    p.add_argument("--keep", action="store_true", help="keep the PostgreSQL database afterwards")
    p.add_argument("--smoke", action="store_true", help="500 orders: a quick check that it runs")
    a = p.parse_args()
    if a.smoke:
        a.orders = min(a.orders, 500)
    if a.seconds and a.orders == 10_000:
        a.orders = 100_000  # bounded by time instead
    pg = a.database_url or os.environ.get("OMNISTOCK_BENCH_PG", PG_DEFAULT)
    targets = (
        ["postgresql", "sqlite"] if a.compare else ["sqlite" if pg.startswith("sqlite") else "postgresql"]
    )
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in targets:
            url = bench_url("sqlite" if name == "sqlite" else pg, "omnistock_bench_intake", tmp)
            if url is None:
                continue
            results.append(run(url, name, a, tmp))
            if name == "postgresql" and not a.keep:
                drop_postgres(url)
    if len(results) > 1:
        print("database    orders/s   p50 ms   p95 ms   p99 ms")
        for r in results:
            print(f"{r['name']:10s} {r['orders/s']:9,.0f} {r['p50']:8.1f} {r['p95']:8.1f} {r['p99']:8.1f}")
    if not results or not all(r["ok"] for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
