"""Run settings, and the key of what each stage depends on (for skipping unchanged work)."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def default_threads() -> int:
    """CPU threads for inference: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Settings:
    """Everything a run can be told; stages see only the parts that concern them."""

    engine: str = "faster-whisper"
    model: str = "base"
    language: str = "auto"
    compute_type: str = "int8"
    beam_size: int = 5
    batched: bool = True
    batch_size: int = 8
    threads: int = field(default_factory=default_threads)
    diarize: bool = True
    num_speakers: int | None = None
    min_speakers: int = 1
    max_speakers: int | None = None
    topics_file: Path | None = None  # theme definitions; None = pipeline/data/topics.yaml
    templates_dir: Path | None = None  # user templates overriding the package's
    transcripts_dir: Path = Path("transcripts")
    summaries_dir: Path = Path("summaries")


def stage_key(stage: str, version: int, upstream: str, settings: dict[str, Any]) -> str:
    """A stable hash of a stage's name, code version, upstream key and settings that matter."""
    payload = json.dumps(
        {"stage": stage, "version": version, "upstream": upstream, "settings": settings},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:16]
