"""Where prepared models live (assembled Whisper folders, converted checkpoints, ONNX exports),
and how a cached file is told from a changed one."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from ..core.store import atomic_write


def cache_dir() -> Path:
    """Where assembled models live: $WEBINAR_PIPELINE_CACHE or ~/.cache/webinar-pipeline."""
    env = os.environ.get("WEBINAR_PIPELINE_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "webinar-pipeline"


def stamp(path: Path) -> str:
    """Size and modification time of a file: changes when the file does."""
    st = path.stat()
    return f"{st.st_size}:{st.st_mtime_ns}"


def digest(path: Path) -> str:
    """The SHA-256 of a file's content, computed once per copy of the file: remembered in the
    cache against the copy's place, size and modification time. Two installs of one package (two
    virtual environments, a checkout for cron and one for staff) share the cache without redoing
    what was made from their weights each time the other has run."""
    path = path.resolve()
    name = hashlib.sha256(str(path).encode()).hexdigest()[:32]
    memo = cache_dir() / "digests" / f"{name}.json"
    now = stamp(path)
    try:
        known = json.loads(memo.read_text())
        if known["stamp"] == now:
            return str(known["sha256"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    with path.open("rb") as f:
        value = hashlib.file_digest(f, "sha256").hexdigest()
    try:  # remembered when the cache is writable; a read-only shared cache hashes each time
        memo.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(memo, json.dumps({"path": str(path), "stamp": now, "sha256": value}))
    except OSError:
        pass
    return value
