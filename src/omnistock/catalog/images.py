"""Product images: uploaded files checked by their magic bytes and stored under the media
directory (``OMNISTOCK_MEDIA_DIR``) with content-addressed names (``<sha256>.<ext>``), so the
same picture is stored once, a name never changes meaning, and a file is never overwritten
with different bytes. Products keep an ordered list of these names."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from omnistock.platform.errors import Invalid
from omnistock.settings import get_settings

MAX_BYTES = 5 * 1024 * 1024
MAX_PER_PRODUCT = 20
NAME_RE = re.compile(r"^[0-9a-f]{64}\.(png|jpg|webp)$")
CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}


@dataclass(frozen=True)
class Image:
    name: str
    size: int
    content_type: str


def media_dir() -> Path:
    return Path(get_settings().media_dir)


def sniff(data: bytes) -> str | None:
    """The file kind by its first bytes: png, jpg or webp, else None (whatever the file is called)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def store(data: bytes) -> Image:
    """Check and store an uploaded image; returns its content-addressed name."""
    if len(data) > MAX_BYTES:
        raise Invalid(
            "catalog.image_too_large",
            "An image is at most 5 MB (this one is {size} bytes)",
            "图片不能超过 5 MB（该文件 {size} 字节）",
            size=len(data),
        )
    kind = sniff(data)
    if kind is None:
        raise Invalid(
            "catalog.bad_image",
            "Only PNG, JPEG and WebP images can be uploaded",
            "只能上传 PNG、JPEG 或 WebP 格式的图片",
        )
    name = f"{hashlib.sha256(data).hexdigest()}.{kind}"
    folder = media_dir()
    path = folder / name
    if not path.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)  # appears whole or not at all
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return Image(name, len(data), CONTENT_TYPES[kind])


def path_of(name: object) -> Path | None:
    """The stored file of an image name, or None (a malformed name never reaches the disk)."""
    if not isinstance(name, str) or not NAME_RE.match(name):
        return None
    path = media_dir() / name
    return path if path.is_file() else None


def exists(name: object) -> bool:
    return path_of(name) is not None


def content_type(name: str) -> str:
    return CONTENT_TYPES[name.rsplit(".", 1)[1]]
