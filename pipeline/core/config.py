"""Run settings: everything a run can be told. Stages read the parts that concern them and turn
them into their own parameters (``pipeline.core.stage``)."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any


def default_threads() -> int:
    """CPU threads for inference: ``$WEBINAR_PIPELINE_THREADS`` if set, else the cores this
    process may use."""
    given = os.environ.get("WEBINAR_PIPELINE_THREADS", "")
    if given.isdigit() and int(given) >= 1:
        return int(given)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Settings:
    """Everything a run can be told; stages see only the parts that concern them."""

    audio_track: int | None = None  # which audio track, from 1; None: the sidecar's, else 1
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
    far_field: bool | None = None  # room microphones (diarization listens harder); None: auto
    topics_file: Path | None = None  # theme definitions; None = pipeline/data/topics.yaml
    templates_dir: Path | None = None  # user templates overriding the package's
    slides: tuple[Path, ...] = ()  # PDF decks; () = the sidecar's `slides:`
    # the meeting platform's transcript (who spoke when, by name); None: the sidecar's
    # `captions:`, else one beside the recording
    captions: Path | None = None
    transcripts_dir: Path = Path("transcripts")
    summaries_dir: Path = Path("summaries")
    # expert overrides of stage parameters: {stage: {field: value}} (`--set diarize.threshold=0.35`)
    tuning: dict[str, dict[str, Any]] = field(default_factory=dict)
    library: Path | None = None  # voice library folder (opt-in); None: the sidecar's, if any
    media: str = "copy"  # what the reviewer page plays: copy (Opus rendition) | link | none
    summary_language: str = "en"  # en (translate a talk in another language) | same
    llm: str = ""  # a local OpenAI-compatible server for fluent abstract paragraphs (opt-in)


_PATHS = ("transcripts_dir", "summaries_dir")
_OPTIONAL_PATHS = ("topics_file", "templates_dir", "library", "captions")


def settings_to_json(settings: Settings) -> dict[str, Any]:
    """Settings as JSON-able data (paths as strings), for the manifest and ``rerender``."""
    data = asdict(settings)
    for key, value in data.items():
        if isinstance(value, Path):
            data[key] = str(value)
        elif isinstance(value, tuple):
            data[key] = [str(v) for v in value]
    return data


def settings_from_json(data: dict[str, Any]) -> Settings:
    """The inverse of ``settings_to_json`` (unknown keys from other versions are ignored)."""
    known = {f.name for f in fields(Settings)}
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            continue
        if key in _PATHS:
            value = Path(value)
        elif key in _OPTIONAL_PATHS:
            value = Path(value) if value else None
        elif key == "slides":
            value = tuple(Path(v) for v in value)
        values[key] = value
    return Settings(**values)
