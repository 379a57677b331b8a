"""Workload replay: the public seed-1 sample, crash-and-resume, and refusal of a non-empty DB."""

from __future__ import annotations

import io
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console

from omnistock import replay
from omnistock.inventory import service as inventory
from tests.inventory.helpers import setup_master
from tests.support import workload_oracle

SHARED = Path(__file__).resolve().parents[3] / "shared" / "workload"
GEN = SHARED / "gen.py"
EXPECTED = SHARED / "expected" / "seed1-orders1000-wh3.json"
needs_shared = pytest.mark.skipif(
    not (GEN.exists() and EXPECTED.exists()), reason="shared/workload is missing"
)


def generate(tmp_path: Path, seed: int, orders: int) -> Path:
    out = tmp_path / f"seed{seed}-{orders}.jsonl"
    with out.open("w", encoding="utf-8") as f:
        subprocess.run(
            [sys.executable, str(GEN), "--seed", str(seed), "--orders", str(orders)], stdout=f, check=True
        )
    return out


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "omnistock.cli", "replay", *args]


ENV = {**os.environ, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1"}


@needs_shared
def test_seed1_sample_matches_expected(engine, tmp_path):
    path = generate(tmp_path, 1, 1000)
    got = replay.run(engine, path, console=Console(file=io.StringIO()))
    want = json.loads(EXPECTED.read_text(encoding="utf-8"))
    assert got == want
    assert json.loads(replay.dumps(got)) == want
    with engine.connect() as conn:
        assert inventory.check_invariants(conn) == []


def _position(engine) -> int:
    from omnistock.platform import checkpoint

    with engine.connect() as conn:
        state = checkpoint.load(conn, replay.JOB)
    return state["position"] if state else 0


@needs_shared
def test_killed_replay_resumes_to_the_same_summary(db_url, tmp_path):
    from omnistock.platform.db import make_engine

    path = generate(tmp_path, 1, 5000)
    total = sum(1 for _ in path.open("rb")) - 1
    want = workload_oracle.summarize_file(str(path))
    engine = make_engine(db_url)
    rnd = random.Random()
    killed_at = []
    try:
        for i in range(3):
            before = _position(engine)
            proc = subprocess.Popen(
                cli(str(path), "--database-url", db_url, *(["--resume"] if i else [])),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=ENV,
            )
            deadline = time.monotonic() + 60
            # Kill at a random moment once this run is really replaying (its checkpoint moves).
            while proc.poll() is None and _position(engine) <= before and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(rnd.uniform(0.2, 1.0))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=60)
            killed_at.append(_position(engine))
        assert 0 < killed_at[0] < total, killed_at  # at least the first kill hit a running replay
        done = subprocess.run(
            cli(str(path), "--database-url", db_url, "--resume"),
            capture_output=True,
            text=True,
            env=ENV,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        got = json.loads(done.stdout.strip().splitlines()[-1])
        assert got == want, f"killed at {killed_at} of {total}"
        with engine.connect() as conn:
            assert inventory.check_invariants(conn) == []
    finally:
        engine.dispose()


def test_non_empty_database_is_refused_without_resume(engine, db_url, tmp_path):
    setup_master(engine)
    engine.dispose()
    path = tmp_path / "w.jsonl"
    path.write_text(
        '{"op":"header","format":"omnistock-workload/1"}\n{"op":"warehouse","code":"WH-X","name":"x"}\n',
        encoding="utf-8",
    )
    res = subprocess.run(
        cli(str(path), "--database-url", db_url), capture_output=True, text=True, env=ENV, timeout=120
    )
    assert res.returncode != 0
    assert "replay.not_empty" in res.stderr
    assert res.stdout.strip() == ""
    with pytest.raises(Exception) as info:
        replay.run(engine, path, console=Console(file=io.StringIO()))
    assert getattr(info.value, "code", None) == "replay.not_empty"
