"""Worker process for test_concurrency (kept light: no pytest or hypothesis imports)."""

from __future__ import annotations

import random
import traceback


def place_orders(url: str, worker: int, n: int, barrier, queue) -> None:
    from omnistock.orders import service as orders
    from omnistock.platform.auth import Actor
    from omnistock.platform.db import make_engine
    from omnistock.platform.errors import AppError
    from omnistock.platform.uow import UnitOfWork

    engine = make_engine(url)
    rnd = random.Random(worker)
    actor = Actor.system(f"worker-{worker}")
    results, errors = [], []
    try:
        barrier.wait(timeout=60)
        for j in range(n):
            ref, qty = f"P{worker:02d}-{j:02d}", rnd.randint(1, 3)
            try:
                with UnitOfWork(engine, actor) as uow:
                    res = orders.place_order(
                        uow,
                        ref=ref,
                        channel_code="CH-1",
                        customer_code="C-1",
                        warehouse="WH-A",
                        lines=[orders.OrderLineIn("HOT", qty, 500)],
                    )
                shipped = False
                if res.status == "allocated" and rnd.random() < 0.5:
                    with UnitOfWork(engine, actor) as uow:
                        orders.ship_order(uow, ref=ref)
                    shipped = True
                results.append((ref, qty, res.status, shipped))
            except AppError as exc:
                errors.append(f"{ref}: {exc.code}: {exc}")
            except Exception:  # deadlock, serialization failure, lock timeout, ...
                errors.append(f"{ref}: {traceback.format_exc()}")
    except Exception:
        errors.append(traceback.format_exc())
    finally:
        engine.dispose()
        queue.put((worker, results, errors))
