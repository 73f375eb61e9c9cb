"""Where prepared models live (assembled Whisper folders, converted checkpoints, ONNX exports),
and how a cached file is told from a changed one."""

from __future__ import annotations

import os
from pathlib import Path


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
