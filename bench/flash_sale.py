"""Flash sale (秒杀) over HTTP: one SKU with exactly N units in one warehouse, many concurrent
buyers each trying to take one unit; every unit sold once, every other attempt refused cleanly.

    .venv/bin/python bench/flash_sale.py            # PostgreSQL: 1,000 units, 200 clients, 20,000 attempts
    .venv/bin/python bench/flash_sale.py --smoke    # 100 units, 50 clients, 2,000 attempts
    .venv/bin/python bench/flash_sale.py --database-url sqlite

Each attempt is a paid one-piece order from the designated warehouse with ``on_short="refuse"``,
its own channel order number and its own buyer phone (so no duplicate-order hold). Prints
attempts/s against the 2,000/s target, latency percentiles, the server's CPU per attempt and the
outcomes; exits 1 unless
exactly N orders were accepted, the rest refused with 409 ``orders.out_of_stock``, nothing else
happened, and the balance shows reserved == N, available == 0.
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
from sqlalchemy import text

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
    seed_shop,
    stock_violations,
)

from omnistock.platform.db import make_engine  # noqa: E402

TARGET = 2000  # attempts/s
SKU, PRICE, WH, CHANNEL = "FLASH-1", 9900, "SH", "LIVE"


def attempts(n: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    run = f"{int(time.time()) % 1000000:06d}"
    out = []
    for i in range(n):
        phone = f"139{i:08d}"  # distinct per attempt
        name = f"买家{i}"
        out.append(
            orjson.dumps(
                {
                    "channel": CHANNEL,
                    "external_ref": f"F{run}-{i:07d}",
                    "buyer": {"name": name, "phone": phone},
                    "address": random_address(rng, name, phone),
                    "warehouse": WH,
                    "on_short": "refuse",
                    "lines": [{"sku": SKU, "qty": 1, "unit_price_cents": PRICE}],
                    "payments": [{"method": "wechat_pay", "amount_cents": PRICE}],
                }
            )
        )
    return out


async def storm(base: str, token: str, bodies: list[bytes], clients: int):
    elapsed, latencies, answers = await post_all(base, token, "/api/v1/orders", bodies, clients)
    outcomes: collections.Counter = collections.Counter()
    for code, data in answers:
        if code == 201:
            outcomes["accepted" if data["status"] == "allocated" else f"201 {data['status']}"] += 1
        elif code == 409 and data.get("code") == "orders.out_of_stock":
            outcomes["refused"] += 1
        else:
            outcomes[f"{code} {data.get('code')}"] += 1
    return elapsed, latencies, outcomes


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--units", type=int, default=1000)
    p.add_argument("--clients", type=int, default=200)
    p.add_argument("--attempts", type=int, default=20_000)
    p.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="server worker processes")
    p.add_argument("--database-url", help="postgresql://... server (a fresh database is made) or 'sqlite'")
    p.add_argument("--keep", action="store_true", help="keep the PostgreSQL database afterwards")
    p.add_argument("--smoke", action="store_true", help="100 units, 50 clients, 2,000 attempts")
    a = p.parse_args()
    if a.smoke:
        a.units, a.clients, a.attempts = 100, 50, 2000
    base = a.database_url or os.environ.get("OMNISTOCK_BENCH_PG", PG_DEFAULT)
    name = "sqlite" if base.startswith("sqlite") else "postgresql"
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        url = bench_url(base, "omnistock_bench_flash", tmp)
        if url is None:
            sys.exit(1)
        engine = make_engine(url)
        seed_shop(
            engine,
            warehouses={WH: "上海仓"},
            skus={SKU: PRICE},
            stock={WH: {SKU: a.units}},
            channels={CHANNEL: "抖音直播"},
        )
        token = admin_api_token(engine)
        bodies = attempts(a.attempts, seed=11)
        print(
            f"[{name}] {a.units:,} units, {a.clients} clients, {a.attempts:,} attempts, "
            f"{a.workers} server workers"
        )
        with Server(url, workers=a.workers, log=Path(tmp) / "server.log") as server:
            cpu0 = server.cpu_seconds()
            elapsed, lat, outcomes = asyncio.run(storm(server.base, token, bodies, a.clients))
            server_cpu = server.cpu_seconds() - cpu0
            tracebacks = server.errors()
        with engine.connect() as conn:
            on_hand, reserved = conn.execute(
                text(
                    "SELECT b.on_hand, b.reserved FROM stock_balance b JOIN sku s ON s.id = b.sku_id "
                    "JOIN warehouse w ON w.id = b.warehouse_id WHERE s.code = :s AND w.code = :w"
                ),
                {"s": SKU, "w": WH},
            ).one()
            allocated = conn.execute(
                text("SELECT count(*) FROM sales_order WHERE status = 'allocated'")
            ).scalar()
            others = conn.execute(
                text("SELECT count(*) FROM sales_order WHERE status <> 'allocated'")
            ).scalar()
        violations = {k: v for k, v in stock_violations(engine).items() if v}
        engine.dispose()
        if name == "postgresql" and not a.keep:
            drop_postgres(url)
    rate = sum(outcomes.values()) / elapsed
    accepted, refused = outcomes.get("accepted", 0), outcomes.get("refused", 0)
    other = {k: v for k, v in outcomes.items() if k not in ("accepted", "refused")}
    print(
        f"[{name}] {sum(outcomes.values()):,} attempts in {elapsed:.2f} s = {rate:,.0f} attempts/s "
        f"(target >= {TARGET:,}: {'met' if rate >= TARGET else 'NOT met'}); latency ms "
        f"p50 {percentile(lat, 50):.1f}  p99 {percentile(lat, 99):.1f}  max {max(lat, default=0):.1f}"
    )
    n = sum(outcomes.values()) or 1
    print(f"[{name}] server CPU per attempt: {server_cpu / n * 1000:.2f} ms (its worker processes)")
    print(
        f"[{name}] accepted {accepted:,} (units {a.units:,})  refused {refused:,}  other outcomes {other or 0}"
    )
    print(
        f"[{name}] database: on_hand {on_hand}, reserved {reserved}, available {on_hand - reserved}; "
        f"allocated orders {allocated}, other orders {others}"
    )
    if accepted != a.units:
        failures.append(f"accepted {accepted} != units {a.units}")
    if refused != a.attempts - a.units or other:
        failures.append(f"refused {refused}, other outcomes {other}")
    if reserved != a.units or on_hand - reserved != 0 or allocated != a.units or others:
        failures.append(f"balance on_hand {on_hand} reserved {reserved}; allocated orders {allocated}")
    if violations:
        failures.append(f"invariants broken: {violations}")
    for tb in tracebacks[:3]:
        print(f"[{name}] server error: {tb}")
    if failures:
        print(f"[{name}] FAILED: " + "; ".join(failures))
        sys.exit(1)
    print(f"[{name}] oversell: 0; every unit sold exactly once")


if __name__ == "__main__":
    main()
