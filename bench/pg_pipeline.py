"""PostgreSQL replay with and without psycopg pipeline mode, side by side (A B A B ...).

    .venv/bin/python bench/pg_pipeline.py            # seed 3, 5,000 orders, 3 rounds
    .venv/bin/python bench/pg_pipeline.py --smoke    # 500 orders, 1 round

Prints events/s of each run and the pipeline/plain ratio per round. Needs the PostgreSQL server
named by OMNISTOCK_BENCH_PG (default postgresql://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import drop_postgres, fresh_postgres, workload  # noqa: E402
from rich.console import Console  # noqa: E402

from omnistock import replay  # noqa: E402
from omnistock.platform import sql  # noqa: E402
from omnistock.platform.db import make_engine  # noqa: E402

PIPELINE = sql.Raw.pipeline


def plain(self, conn):
    return contextlib.nullcontext()


def run(path: Path, url: str, pipeline: bool) -> float:
    sql.Raw.pipeline = PIPELINE if pipeline else plain
    engine = make_engine(url)
    t = time.perf_counter()
    summary = replay.run(engine, path, console=Console(file=io.StringIO()))
    rate = summary["events"] / (time.perf_counter() - t)
    engine.dispose()
    return rate


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--orders", type=int, default=5000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--smoke", action="store_true")
    a = p.parse_args()
    orders, rounds = (500, 1) if a.smoke else (a.orders, a.rounds)
    server = os.environ.get("OMNISTOCK_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
    with tempfile.TemporaryDirectory() as tmp:
        path = workload(Path(tmp) / "w.jsonl", seed=3, orders=orders, warehouses=5)
        ratios = []
        for i in range(rounds):
            rates = {}
            for mode in ("pipeline", "plain"):
                url = fresh_postgres(server, f"omnistock_bench_{mode}")
                if url is None:
                    return
                rates[mode] = run(path, url, mode == "pipeline")
                drop_postgres(url)
            ratios.append(rates["pipeline"] / rates["plain"])
            print(
                f"round {i + 1}: pipeline {rates['pipeline']:,.0f} events/s, plain {rates['plain']:,.0f} events/s, "
                f"ratio {ratios[-1]:.2f}"
            )
        print(f"median ratio pipeline/plain: {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
