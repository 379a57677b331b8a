"""What the web framework costs per API call, apart from the work the call does: the ASGI app
driven in process (no sockets, no client library), one request after another, CPU per request.

    .venv/bin/python bench/api_overhead.py                 # SQLite, 2,000 calls of each kind
    .venv/bin/python bench/api_overhead.py --smoke         # 200 of each

Three kinds of call, each answered 2xx (checked):
- ``GET /api/health``: no token, no database — routing, middleware and the response;
- ``GET /api/v1/identity/me`` with an API token: the same plus authentication (a token seen
  lately is answered from memory) and one thread-pool hand-off;
- ``POST /api/v1/orders``: a paid 1–4-line order, as ``bench/order_intake.py`` sends them. The
  same orders taken by ``orders.service.receive_order`` straight (``bench/intake_in_process.py``)
  give the service's own share; the difference is the framework's.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).parent))
from _common import admin_api_token  # noqa: E402
from intake_in_process import seed_plenty  # noqa: E402
from order_intake import orders  # noqa: E402

from omnistock.app import create_app  # noqa: E402
from omnistock.orders import service  # noqa: E402
from omnistock.orders.api import OrderIn  # noqa: E402
from omnistock.platform.auth import Actor  # noqa: E402
from omnistock.platform.db import make_engine  # noqa: E402
from omnistock.platform.uow import UnitOfWork  # noqa: E402


async def call(app, method: str, path: str, *, token: str | None = None, body: bytes = b"") -> int:
    """One request through the ASGI app; returns the status code."""
    headers = [(b"host", b"bench"), (b"content-type", b"application/json")]
    if token:
        headers.append((b"authorization", b"Bearer " + token.encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    delivered = False
    status = 0

    async def receive():
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # the client never disconnects

    async def send(message):
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def timed(label: str, calls) -> float:
    """Run the calls one after another; prints and returns CPU ms per call."""
    t, cpu = time.perf_counter(), time.process_time()
    codes: dict[int, int] = {}
    for make in calls:
        code = await make()
        codes[code] = codes.get(code, 0) + 1
    elapsed, cpu = time.perf_counter() - t, time.process_time() - cpu
    n = len(calls)
    bad = {c: k for c, k in codes.items() if not 200 <= c < 300}
    if bad:
        sys.exit(f"{label}: answers other than 2xx: {bad}")
    per = cpu / n * 1000
    print(f"{label:28s} {n:6,} calls  {n / elapsed:7,.0f} calls/s  CPU {per:.3f} ms/call")
    return per


async def main_async(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/api.db")
        skus = seed_plenty(engine)
        token = admin_api_token(engine)
        app = create_app(engine, run_worker=False, web_dist=Path(tmp) / "no-web")
        bodies = orders(2 * n, skus, 7)
        async with app.router.lifespan_context(app):
            await call(app, "GET", "/api/v1/identity/me", token=token)  # warm: token and caches
            await timed("GET /api/health", [lambda: call(app, "GET", "/api/health")] * n)
            await timed(
                "GET /api/v1/identity/me",
                [lambda: call(app, "GET", "/api/v1/identity/me", token=token)] * n,
            )
            api = await timed(
                "POST /api/v1/orders",
                [(lambda b=b: call(app, "POST", "/api/v1/orders", token=token, body=b)) for b in bodies[:n]],
            )
        # The same kind of orders (others, so none is a duplicate) straight through the service.
        actor = Actor.system("bench")
        taken = [OrderIn.model_validate(orjson.loads(b)).value() for b in bodies[n:]]
        cpu = time.process_time()
        for order in taken:
            with UnitOfWork(engine, actor) as uow:
                service.receive_order(uow, order)
        direct = (time.process_time() - cpu) / n * 1000
        print(f"{'receive_order, no HTTP':28s} {n:6,} calls  {'':15s}  CPU {direct:.3f} ms/call")
        print(f"framework's share of an order over HTTP: {api - direct:.3f} ms ({(api - direct) / api:.0%})")
        engine.dispose()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--calls", type=int, default=2000)
    p.add_argument("--smoke", action="store_true", help="200 calls of each kind")
    a = p.parse_args()
    asyncio.run(main_async(200 if a.smoke else a.calls))


if __name__ == "__main__":
    main()
