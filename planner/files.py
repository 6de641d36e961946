"""Writing files safely: atomic writes, file hashes, JSON- and TOML-safe values.

A file is written to a temporary file in its own folder and then renamed over the
target, so a failure (full disk, a killed process) never leaves half a file.
"""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from planner.errors import InputError

__all__ = [
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "file_sha256",
    "json_safe",
    "toml_safe",
]


@contextmanager
def atomic_path(path: Path, *, suffix: str = ".tmp") -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; renamed over ``path`` when the
    ``with`` body succeeds, removed when it fails.

    For writers that need a file name (GeoPackage drivers, ``numpy.savez``). The
    temporary name is ``.NAME.<random><suffix>`` (not created in advance: give the
    suffix a writer needs, e.g. ``".tmp.gpkg"``).
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}{suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder, then rename.

    Parameters
    ----------
    path
        Target file; its folder must exist (else :class:`~planner.errors.InputError`).
    data
        The file's content, written as is.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise InputError(f"cannot write {str(path)!r}: folder {str(path.parent)!r} does not exist.")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        # mkstemp makes the file private (0600); give it the usual mode of a document.
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same folder, then rename.

    Parameters
    ----------
    path
        Target file; its folder must exist (else :class:`~planner.errors.InputError`).
    text
        Written as UTF-8 with ``\\n`` line endings.
    """
    atomic_write_bytes(path, text.encode("utf-8"))


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, hex (read in 1 MiB chunks)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def json_safe(value: Any) -> Any:
    """``value`` ready for :func:`json.dumps`: NaN and infinity become ``None`` (JSON has
    neither), numpy scalars Python numbers, mapping keys strings, tuples lists."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def toml_safe(value: Any) -> Any:
    """``value`` ready for ``tomli_w.dumps``: TOML has no null, so ``None`` values are
    dropped (recursively); numpy scalars become Python numbers."""
    if isinstance(value, Mapping):
        return {str(k): toml_safe(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [toml_safe(v) for v in value if v is not None]
    if isinstance(value, np.generic):
        return value.item()
    return value
