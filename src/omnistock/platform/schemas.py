"""Pydantic base classes for API input and output."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, PlainSerializer

from omnistock.platform.clock import iso

T = TypeVar("T")

# A stored (naive UTC) time, written in JSON as ISO 8601 with a ``Z``.
UtcDateTime = Annotated[dt.datetime, PlainSerializer(iso, return_type=str, when_used="json")]


class Input(BaseModel):
    """Request bodies: unknown fields are refused and strings trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(Output, Generic[T]):
    """A page of a list; pass ``next_cursor`` back as ``cursor`` for the following page."""

    items: list[T]
    next_cursor: str | None = None
