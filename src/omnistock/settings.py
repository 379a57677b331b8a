"""Configuration from the environment (prefix ``OMNISTOCK_``) or a ``.env`` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OMNISTOCK_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./var/omnistock.db"
    host: str = "127.0.0.1"
    port: int = 8000
    # Interactive sessions expire; API tokens for integrations carry their own expiry.
    access_token_minutes: int = 12 * 60
    lockout_threshold: int = 5
    lockout_minutes: int = 15
    # Argon2 cost profile: "default" = argon2-cffi's recommended parameters (RFC 9106 low-memory);
    # "fast" = cheap parameters for the test suite ONLY (OMNISTOCK_PASSWORD_HASH_PROFILE=fast).
    password_hash_profile: str = "default"
    # The built web UI (``web/dist``); served at ``/`` when present.
    web_dist: Path = Path(__file__).resolve().parents[2] / "web" / "dist"
    # Uploaded product images, stored under content-addressed names (``catalog.images``).
    media_dir: Path = Path("./var/media")
    # Threads per server process that run API calls, each holding a database connection while
    # it runs. A call is mostly Python work under one interpreter lock: more threads than a few
    # only take turns at it (the order-intake benchmark: 40 threads, anyio's default, took
    # 0.6-0.8x the orders/s of 4-16).
    threads: int = Field(default=16, ge=1, le=256)
    outbox_poll_seconds: float = 1.0
    run_outbox_worker: bool = True
    # The worker's stock-alert scan (seconds between scans) and how long notifications are kept.
    alert_scan_seconds: float = 300.0
    notification_keep_days: int = 90
    # A CJK TrueType font (.ttf, or .ttc: its first face) embedded in printed PDFs; unset: the
    # first known system font (``platform.pdf.KNOWN_FONTS``, e.g. Debian's fonts-wqy-microhei).
    pdf_font: str | None = None
    # The business's time zone: an event's accounting date (its journal entry, its period) is its
    # calendar day here, not in UTC (an order shipped at 01:00 on 1 December in Shanghai is
    # December's).
    timezone: str = "Asia/Shanghai"


@lru_cache
def get_settings() -> Settings:
    return Settings()
