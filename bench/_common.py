"""Shared helpers of the benchmarks (not a benchmark itself)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GEN = ROOT.parent / "shared" / "workload" / "gen.py"


def workload(path: Path, *, seed: int, orders: int, warehouses: int) -> Path:
    if not GEN.exists():
        sys.exit(f"the workload generator is missing: {GEN}")
    with path.open("w") as f:
        subprocess.run(
            [
                sys.executable,
                str(GEN),
                "--seed",
                str(seed),
                "--orders",
                str(orders),
                "--warehouses",
                str(warehouses),
            ],
            stdout=f,
            check=True,
        )
    return path


def drop_postgres(url: str) -> None:
    """Drop the database ``fresh_postgres`` made."""
    from sqlalchemy import create_engine, text

    base, name = url.rsplit("/", 1)
    admin = create_engine(base + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def fresh_postgres(url: str | None, name: str) -> str | None:
    """A new empty PostgreSQL database named ``name`` at the server of ``url``, or None."""
    if not url:
        return None
    from sqlalchemy import create_engine, text

    base = url.replace("postgresql://", "postgresql+psycopg://").rsplit("/", 1)[0]
    try:
        admin = create_engine(base + "/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    except Exception as exc:  # noqa: BLE001 - no server: skip that half of the benchmark
        print(f"(PostgreSQL not reachable: {exc.__class__.__name__}; skipped)")
        return None
    return base + "/" + name


# -- a shop over HTTP: seed data, an API token, the real server as a subprocess ---------------------

PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/postgres"
ADDRESSES = (
    ("浙江省", "杭州市", "西湖区"),
    ("广东省", "深圳市", "南山区"),
    ("上海市", "上海市", "浦东新区"),
    ("北京市", "北京市", "朝阳区"),
    ("江苏省", "南京市", "鼓楼区"),
    ("四川省", "成都市", "武侯区"),
    ("湖北省", "武汉市", "洪山区"),
    ("山东省", "青岛市", "市南区"),
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英"


def bench_url(database_url: str | None, name: str, tmp: str) -> str | None:
    """The database a bench runs on: a fresh PostgreSQL database ``name`` at the server of a
    ``postgresql://`` URL, or a new SQLite file in ``tmp`` for ``sqlite``."""
    if database_url and database_url.startswith("sqlite"):
        return f"sqlite:///{tmp}/{name}.db"
    return fresh_postgres(database_url or PG_DEFAULT, name)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    xs = sorted(values)
    return xs[min(len(xs) - 1, max(0, round(p / 100 * len(xs) + 0.5) - 1))]


def random_phone(rng) -> str:
    return f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"


def random_buyer(rng) -> tuple[str, str]:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))), random_phone(
        rng
    )


def random_address(rng, name: str, phone: str) -> dict:
    province, city, district = rng.choice(ADDRESSES)
    return {
        "receiver": name,
        "phone": phone,
        "province": province,
        "city": city,
        "district": district,
        "detail": f"{rng.choice('文中人建解和')}{rng.choice('三华民设放平')}路 {rng.randrange(1, 999)} 号 "
        f"{rng.randrange(1, 30)} 幢 {rng.randrange(101, 2999)} 室",
    }


def seed_shop(
    engine,
    *,
    warehouses: dict[str, str],
    skus: dict[str, int],
    stock: dict[str, dict[str, int]],
    channels: dict[str, str],
) -> None:
    """Migrate, then warehouses (code -> name), SKUs (code -> price cents), channels (code -> name)
    and stock received from one supplier (warehouse -> SKU -> pieces)."""
    from omnistock.catalog import service as catalog
    from omnistock.inventory import service as inventory
    from omnistock.orders import service as orders
    from omnistock.platform import migrate
    from omnistock.platform.auth import Actor
    from omnistock.platform.uow import UnitOfWork
    from omnistock.purchasing import service as purchasing

    migrate.upgrade(engine)
    system = Actor.system("bench")
    with UnitOfWork(engine, system) as u:
        for code, name in warehouses.items():
            inventory.create_warehouse(u, code=code, name=name)
        for code, price in skus.items():
            catalog.create_sku(
                u, code=code, name=f"商品 {code}", unit="件", price_cents=price, cost_method="average"
            )
        for code, name in channels.items():
            orders.create_channel(u, code=code, name=name, kind="wechat_mini")
        purchasing.create_supplier(u, code="SUP", name="供应商")
    for wh, lines in stock.items():
        with UnitOfWork(engine, system) as u:
            purchasing.receive_goods(
                u,
                ref=None,
                supplier_code="SUP",
                warehouse=wh,
                lines=[inventory.ReceiptLine(s, q, max(1, skus[s] // 2)) for s, q in lines.items()],
            )


def admin_api_token(engine) -> str:
    """An administrator ``bench`` and a long-lived API token of theirs (as an integration has)."""
    import secrets

    from omnistock.identity import service as identity
    from omnistock.platform.auth import Actor
    from omnistock.platform.uow import UnitOfWork

    with UnitOfWork(engine, Actor.system("bench")) as u:
        user = identity.create_user(
            u,
            username="bench",
            password=secrets.token_urlsafe(16) + "#Aa1",
            display_name="压测",
            roles=[identity.ADMIN_ROLE],
            scopes={},
        )
    with UnitOfWork(engine, Actor(user_id=user.id, username="bench", permissions=frozenset({"*"}))) as u:
        return identity.create_api_token(u, name="bench", expires_in_days=1).token


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pids) -> float:
    """CPU time (user + system) the live processes ``pids`` have used, from /proc (0 elsewhere).

    CPU per request is the steadier figure on a shared machine: throughput swings with whatever
    else the host runs, the work a request costs does not."""
    import os

    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for d in Path("/proc").glob("[0-9]*"):
        try:
            ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(d.name))
    out, todo = set(), [pid]
    while todo:
        for c in children.get(todo.pop(), ()):
            out.add(c)
            todo.append(c)
    return out


class Server:
    """``omnistock serve --workers N`` as a subprocess, its output in ``log``; stopped on exit."""

    def __init__(self, url: str, *, workers: int, log: Path, port: int | None = None):
        self.url, self.workers, self.log, self.port = url, workers, log, port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        import os
        import time

        import httpx

        env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
        cmd = [sys.executable, "-m", "omnistock.cli", "serve", "--database-url", self.url]
        cmd += [
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--no-access-log",
        ]
        self._out = self.log.open("w")
        self.proc = subprocess.Popen(cmd, stdout=self._out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"the server exited ({self.proc.returncode}):\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.base + "/api/health", timeout=1).status_code == 200:
                    time.sleep(0.5 * self.workers)  # the other workers finish starting
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.__exit__()
        sys.exit(f"the server did not answer /api/health within 60 s:\n{self.log.read_text()[-3000:]}")

    def __exit__(self, *_exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._out.close()

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server's processes have used so far."""
        return cpu_seconds(_descendants(self.proc.pid) | {self.proc.pid}) if self.proc else 0.0

    def errors(self) -> list[str]:
        """Tracebacks the server logged (unhandled errors)."""
        text = self.log.read_text(errors="replace")
        return [part[:1500] for part in text.split("unhandled error on ")[1:]]


def stock_violations(engine) -> dict[str, int]:
    """Breaks of the reservation invariants, by kind (all zero when stock is sound): a balance
    reserving more than it holds, a balance whose reserved differs from its open reservations, an
    allocated order without open reservations, and open reservations of an order not allocated."""
    from sqlalchemy import text

    checks = {
        "reserved > on_hand": "SELECT count(*) FROM stock_balance WHERE reserved > on_hand OR reserved < 0",
        "reserved != open reservations": """
            SELECT count(*) FROM stock_balance b
            LEFT JOIN (SELECT warehouse_id, sku_id, lot_id, SUM(qty) AS q FROM reservation
                       WHERE state = 'open' GROUP BY warehouse_id, sku_id, lot_id) r
              ON r.warehouse_id = b.warehouse_id AND r.sku_id = b.sku_id AND r.lot_id = b.lot_id
            WHERE b.reserved <> COALESCE(r.q, 0)""",
        "open reservations without a balance": """
            SELECT count(*) FROM reservation r WHERE r.state = 'open' AND NOT EXISTS (
              SELECT 1 FROM stock_balance b WHERE b.warehouse_id = r.warehouse_id
                AND b.sku_id = r.sku_id AND b.lot_id = r.lot_id)""",
        "allocated orders without open reservations": """
            SELECT count(*) FROM sales_order o WHERE o.status = 'allocated' AND NOT EXISTS (
              SELECT 1 FROM reservation r WHERE r.doc_type = 'sales_order' AND r.doc_id = o.id
                AND r.state = 'open')""",
        "open reservations of orders not allocated": """
            SELECT count(DISTINCT r.doc_id) FROM reservation r JOIN sales_order o ON o.id = r.doc_id
            WHERE r.doc_type = 'sales_order' AND r.state = 'open' AND o.status <> 'allocated'""",
    }
    with engine.connect() as conn:
        return {name: int(conn.execute(text(sql)).scalar()) for name, sql in checks.items()}


async def post_all(
    base: str, token: str, path: str, bodies: list[bytes], clients: int, *, seconds: float | None = None
) -> tuple[float, list[float], list[tuple[int | str, dict]]]:
    """POST each body to ``path`` from ``clients`` concurrent keep-alive connections; returns the
    wall time, each answer's latency (ms) and each (status code or error name, JSON body).

    The load generator shares the machine's cores with the server it measures, so it must cost
    little: aiohttp takes ~0.15 ms of CPU a request here, where httpx took ~2.5 ms (measured side
    by side against /api/health) — with httpx the benchmark mostly timed its own client.
    """
    import asyncio
    import time

    import aiohttp
    import orjson

    latencies: list[float] = []
    answers: list[tuple[int | str, dict]] = []
    it = iter(bodies)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(base, headers=headers, connector=connector, timeout=timeout) as session:
        start = time.perf_counter()
        stop = start + seconds if seconds else None

        async def client() -> None:
            for body in it:
                if stop and time.perf_counter() > stop:
                    return
                t = time.perf_counter()
                try:
                    async with session.post(path, data=body) as r:
                        data = orjson.loads(await r.read())
                        answers.append((r.status, data))
                except aiohttp.ClientError as exc:
                    answers.append((type(exc).__name__, {}))
                    continue
                latencies.append((time.perf_counter() - t) * 1000)

        await asyncio.gather(*(client() for _ in range(clients)))
        elapsed = time.perf_counter() - start
    return elapsed, latencies, answers
