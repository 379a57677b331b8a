"""Pydantic base classes for API input and output."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T")


class Input(BaseModel):
    """Request bodies: unknown fields are refused and strings trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(Output, Generic[T]):
    """A page of a list; pass ``next_cursor`` back as ``cursor`` for the following page."""

    items: list[T]
    next_cursor: str | None = None
