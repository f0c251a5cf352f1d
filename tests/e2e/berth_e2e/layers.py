"""Reading files out of image layers (tar, optionally gzip-compressed)."""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def _open(blob: bytes | Path) -> Iterator[tarfile.TarFile]:
    with ExitStack() as stack:
        if isinstance(blob, Path):
            fileobj = stack.enter_context(open(blob, "rb"))
        else:
            fileobj = io.BytesIO(blob)
        if fileobj.read(2) == b"\x1f\x8b":
            fileobj.seek(0)
            fileobj = stack.enter_context(gzip.GzipFile(fileobj=fileobj))
        else:
            fileobj.seek(0)
        yield stack.enter_context(tarfile.open(fileobj=fileobj, mode="r|"))


def _members(tar: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    """The members of a tar stream. umoci 0.4 writes layers that end right after the last file's
    data (no padding, no end-of-archive blocks), so a read error after the last member ends the
    stream; a truly truncated file still shows as wrong content to the caller."""
    while True:
        try:
            member = tar.next()
        except tarfile.ReadError:
            return
        if member is None:
            return
        yield member


def _normalise(name: str) -> str:
    while name.startswith("./"):
        name = name[2:]
    return "/" + name.lstrip("/")


def layer_files(blob: bytes | Path) -> dict[str, bytes]:
    """Regular files in a layer as absolute path -> content (for small layers)."""
    files = {}
    with _open(blob) as tar:
        for member in _members(tar):
            if member.isfile():
                files[_normalise(member.name)] = tar.extractfile(member).read()
    return files


def layer_file_sha256(blob: bytes | Path, path: str) -> str | None:
    """The sha256 hex of one file in a layer, streamed, so that large layers stay out of memory."""
    with _open(blob) as tar:
        for member in _members(tar):
            if member.isfile() and _normalise(member.name) == path:
                h = hashlib.sha256()
                stream = tar.extractfile(member)
                while chunk := stream.read(1 << 20):
                    h.update(chunk)
                return h.hexdigest()
    return None
