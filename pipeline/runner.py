"""Runs the stages of one recording in order, skipping each stage whose inputs and settings are
unchanged since its last successful run (recorded in ``manifest.json``)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout
from rich.progress import Progress

from . import __version__, media
from .config import Settings, stage_key
from .errors import PipelineError
from .event import Event, find_sidecar, load_event
from .formats import WRITERS
from .store import Manifest, Workspace, atomic_write, file_sha256, write_json
from .transcribe import AsrOptions, transcribe
from .types import Transcript

# Bump a stage's version when its code changes what it writes.
STAGE_VERSIONS = {"extract": 1, "transcribe": 1, "export": 1}
EXPORT_FORMATS = ("txt", "srt", "vtt")


@dataclass(frozen=True)
class StageOutcome:
    name: str
    ran: bool
    seconds: float


@dataclass
class RunResult:
    rec_id: str
    out_dir: Path
    transcript: Transcript
    stages: list[StageOutcome] = field(default_factory=list)

    @property
    def outputs(self) -> list[Path]:
        names = ["transcript.json", *(f"transcript.{f}" for f in EXPORT_FORMATS), "manifest.json"]
        return [self.out_dir / n for n in names]


@cache
def _ffmpeg_version() -> str:
    out = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True, check=False)
    return out.stdout.split("\n", 1)[0]


def _versions(*packages: str) -> dict[str, str]:
    found = {"webinar-pipeline": __version__}
    for name in packages:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


class _Stages:
    """Book-keeping shared by the stages of one run: manifest, progress, outcomes."""

    def __init__(self, manifest: Manifest, progress: Progress | None, duration: float) -> None:
        self.manifest, self.progress, self.duration = manifest, progress, duration
        self.outcomes: list[StageOutcome] = []
        self.tasks: dict[str, Any] = {}

    def fresh(self, name: str, key: str, outputs: list[Path]) -> bool:
        entry = self.manifest.stage(name)
        if entry and entry.get("key") == key and all(p.exists() for p in outputs):
            self.outcomes.append(StageOutcome(name, False, 0.0))
            return True
        return False

    def tracker(self, name: str) -> Callable[[float], None]:
        if self.progress is None:
            return lambda _seconds: None
        task = self.tasks[name] = self.progress.add_task(name, total=max(self.duration, 0.001))
        return lambda seconds: self.progress.update(task, completed=seconds)  # type: ignore[union-attr]

    def done(self, name: str, key: str, started: float, details: dict[str, Any]) -> None:
        seconds = round(time.perf_counter() - started, 3)
        entry = {
            "key": key,
            "status": "done",
            "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "seconds": seconds,
            **details,
        }
        self.manifest.record(name, entry)
        if self.progress is not None and name in self.tasks:
            self.progress.update(self.tasks[name], completed=max(self.duration, 0.001))
        self.outcomes.append(StageOutcome(name, True, seconds))


def _content_hash(path: Path, cache_file: Path) -> str:
    """sha256 of the file, remembered by (path, size, mtime) so re-runs need not re-read it."""
    st = path.stat()
    token = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    try:
        known = json.loads(cache_file.read_text())
    except (OSError, ValueError):
        known = {}
    if token not in known:
        known[token] = file_sha256(path)
        with contextlib.suppress(OSError):  # a read-only cache only costs a re-hash next time
            write_json(cache_file, dict(list(known.items())[-2000:]))
    return known[token]


def run(
    recording: Path,
    settings: Settings,
    event_file: Path | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Process one recording up to its transcript outputs; return where they are."""
    info = media.probe(recording)
    event_file = event_file or find_sidecar(recording)
    event = load_event(event_file) if event_file else Event()
    workspace = Workspace(settings.transcripts_dir, settings.summaries_dir)
    try:
        settings.transcripts_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PipelineError(
            f"cannot create the output folder ({exc.strerror})",
            settings.transcripts_dir,
            "choose a writable --out folder",
            exit_code=2,
        ) from None
    sha = _content_hash(recording, settings.transcripts_dir / ".hash-cache.json")
    rec_id = workspace.recording_id(recording, sha)
    out = workspace.transcript_dir(rec_id)
    out.mkdir(parents=True, exist_ok=True)
    try:
        with FileLock(str(out / ".lock"), timeout=0):
            return _run_locked(
                recording, info, sha, rec_id, out, event, event_file, settings, progress
            )
    except Timeout:
        raise PipelineError(
            "this recording is being processed by another run", recording, "wait for it to finish"
        ) from None


def _run_locked(
    recording: Path,
    info: Any,
    sha: str,
    rec_id: str,
    out: Path,
    event: Event,
    event_file: Path | None,
    settings: Settings,
    progress: Progress | None,
) -> RunResult:
    manifest = Manifest.load(out / "manifest.json")
    manifest.data.update(
        id=rec_id,
        source={
            "name": recording.name,
            "sha256": sha,
            "size": recording.stat().st_size,
            "media": {k: v for k, v in asdict(info).items() if k != "path"},
        },
        event={"file": str(event_file) if event_file else None, **event.model_dump(mode="json")},
    )
    manifest.save()
    stages = _Stages(manifest, progress, info.duration)

    # extract
    audio_path = out / "audio.wav"
    extract_settings = {"sample_rate": media.SAMPLE_RATE, "headroom_db": media.HEADROOM_DB}
    extract_key = stage_key("extract", STAGE_VERSIONS["extract"], sha, extract_settings)
    if not stages.fresh("extract", extract_key, [audio_path]):
        started = time.perf_counter()
        audio = media.extract(info, audio_path, stages.tracker("extract"))
        stages.done(
            "extract",
            extract_key,
            started,
            {
                "inputs": {"source_sha256": sha},
                "settings": extract_settings,
                "versions": {**_versions("ffmpeg-python", "pydub"), "ffmpeg": _ffmpeg_version()},
                "outputs": [audio_path.name],
                "duration": round(audio.duration, 3),
                "gain_db": round(audio.gain_db, 2),
            },
        )

    # transcribe
    language = settings.language if settings.language != "auto" else (event.language or "auto")
    asr = AsrOptions(
        engine=settings.engine,
        model=settings.model,
        language=language,
        compute_type=settings.compute_type,
        beam_size=settings.beam_size,
        batched=settings.batched,
        batch_size=settings.batch_size,
        prompt=event.prompt(),
        threads=settings.threads,
    )
    asr_settings = {k: v for k, v in asdict(asr).items() if k != "threads"}
    if asr.engine == "openai-whisper":  # runs float32 and unbatched whatever is asked
        asr_settings.update(compute_type="float32", batched=False, batch_size=1)
    json_path = out / "transcript.json"
    asr_key = stage_key("transcribe", STAGE_VERSIONS["transcribe"], extract_key, asr_settings)
    transcript = None
    if not stages.fresh("transcribe", asr_key, [json_path]):
        started = time.perf_counter()
        transcript = transcribe(audio_path, asr, stages.tracker("transcribe"))
        write_json(json_path, transcript.to_dict())
        stages.done(
            "transcribe",
            asr_key,
            started,
            {
                "inputs": {"extract": extract_key},
                "settings": asr_settings,
                "threads": asr.threads,
                "versions": _versions("faster-whisper", "ctranslate2", "openai-whisper", "torch"),
                "outputs": [json_path.name],
                "segments": len(transcript.segments),
                "language": transcript.language,
            },
        )
    if transcript is None:
        transcript = Transcript.from_dict(json.loads(json_path.read_text(encoding="utf-8")))

    # export
    export_paths = [out / f"transcript.{fmt}" for fmt in EXPORT_FORMATS]
    export_key = stage_key("export", STAGE_VERSIONS["export"], asr_key, {"formats": EXPORT_FORMATS})
    if not stages.fresh("export", export_key, export_paths):
        started = time.perf_counter()
        for fmt, path in zip(EXPORT_FORMATS, export_paths, strict=True):
            atomic_write(path, WRITERS[fmt].render(transcript))
        stages.done(
            "export",
            export_key,
            started,
            {
                "inputs": {"transcribe": asr_key},
                "settings": {"formats": list(EXPORT_FORMATS)},
                "versions": _versions("srt", "webvtt-py"),
                "outputs": [p.name for p in export_paths],
            },
        )
    return RunResult(rec_id, out, transcript, stages.outcomes)
