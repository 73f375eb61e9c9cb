"""Batch runs: every recording in a folder that is new or stale is processed, finished ones are
skipped, and one failure never stops the others.

Recordings are told apart by content (sha256), so a renamed or re-copied file is not redone.
Work runs in this process, in a local process pool (``workers``), or on a Dask distributed
cluster (one task per recording). Workers keep their models loaded between recordings. Every
stage of every recording is logged as one JSON line; the last outcome of each recording is kept
in ``<transcripts>/batch.sqlite`` for ``cli.py status`` (``state``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import multiprocessing
import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.progress import Progress

from ..core.config import Settings, default_threads
from ..core.errors import (
    BusyError,
    PipelineError,
    Stopped,
    describe_os_error,
    stop_on_sigterm,
    was_stopped,
)
from ..core.store import HASH_CACHE, Workspace, cached_sha256
from . import copies, parts
from .runner import StageOutcome, run
from .state import Outcome, record, removed

LOG_NAME = "batch.jsonl"


def retry(
    action: Callable[[], Any],
    retries: int,
    backoff: float,
    transient: Callable[[BaseException], bool],
) -> tuple[Any, int]:
    """Call ``action``; on a transient failure wait ``backoff · 2^n`` seconds and try again, at
    most ``retries`` more times. Returns (result, attempts); the last failure propagates."""
    attempt = 0
    while True:
        attempt += 1
        try:
            return action(), attempt
        except Exception as exc:
            if attempt > retries or not transient(exc):
                exc.attempts = attempt  # type: ignore[attr-defined]
                raise
            time.sleep(backoff * 2 ** (attempt - 1))


def is_transient(exc: BaseException) -> bool:
    """Failures worth another try: not a verdict on the input (``PipelineError``) but the
    machine (I/O hiccups, a locked database, memory pressure)."""
    return not isinstance(exc, PipelineError) and isinstance(
        exc, OSError | sqlite3.OperationalError | MemoryError | TimeoutError
    )


def process(
    recording: Path,
    settings: Settings,
    retries: int = 2,
    backoff: float = 2.0,
    progress: Progress | None = None,
) -> Outcome:
    """Run one recording (in whatever process this is), never raising for a bad input."""
    started = time.perf_counter()
    stages: list[StageOutcome] = []
    ids: list[str] = []

    def hook(rec_id: str, outcome: StageOutcome) -> None:
        ids[:] = [rec_id]
        stages.append(outcome)

    def attempt() -> Any:
        stages.clear()
        return run(recording, settings, progress=progress, on_stage=hook)

    def outcome(status: str, error: str = "", attempts: int = 1) -> Outcome:
        seconds = round(time.perf_counter() - started, 3)
        rec_id = ids[0] if ids else None
        return Outcome(str(recording), status, rec_id, list(stages), seconds, attempts, error)

    try:
        result, attempts = retry(attempt, retries, backoff, is_transient)
    except BusyError as exc:
        return outcome("busy", str(exc))
    except PipelineError as exc:
        return outcome("failed", str(exc))
    except OSError as exc:  # the machine's (a full disk), still after the retries
        return outcome("failed", str(describe_os_error(exc)), getattr(exc, "attempts", 1))
    except Exception as exc:
        tries = getattr(exc, "attempts", 1)
        return outcome("failed", f"unexpected {type(exc).__name__}: {exc}", tries)
    ids[:] = [result.rec_id]
    done = outcome("done", attempts=attempts)
    done.warnings = result.warnings
    return done


def log_lines(outcome: Outcome) -> list[dict[str, Any]]:
    """One JSON-able record per stage (a failure before any stage is logged as stage "open";
    doubts about the input, such as a truncated file, are the extract line's ``warnings``)."""
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    common = {"time": now, "recording": outcome.recording, "id": outcome.rec_id}
    lines = [
        {**common, "stage": s.name, "status": s.status, "seconds": s.seconds, "error": s.error}
        for s in outcome.stages
    ]
    for line in lines:
        if line["stage"] == "extract" and outcome.warnings:
            line["warnings"] = outcome.warnings
    if outcome.status != "done" and not any(s.error for s in outcome.stages):
        lines.append(
            {
                **common,
                "stage": "open",
                "status": outcome.status,
                "seconds": outcome.seconds,
                "error": outcome.error,
            }
        )
    return lines


def append_log(path: Path, outcome: Outcome) -> None:
    """Append the outcome's lines (one ``write`` per line on an O_APPEND file: concurrent batch
    runs never interleave within a line)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        for line in log_lines(outcome):
            os.write(fd, (json.dumps(line, ensure_ascii=False) + "\n").encode())
    finally:
        os.close(fd)


def unique_by_content(
    recordings: Sequence[Path], transcripts: Path, on_read: Callable[[int], None] | None = None
) -> tuple[dict[Path, str | None], list[Outcome]]:
    """Keep the first file of each content, with its sha256; the others are reported as
    duplicates. A file that cannot be read is kept, with no sha256 (its run reports why).
    ``on_read`` hears of the bytes hashed (a first batch over hour-long videos on a network
    share reads for minutes)."""
    seen: dict[str, Path] = {}
    keep: dict[Path, str | None] = {}
    duplicates = []
    for path in recordings:
        try:
            sha = cached_sha256(path, transcripts / HASH_CACHE, on_read)
        except OSError:
            keep[path] = None
            continue
        if sha in seen:
            duplicates.append(Outcome(str(path), "duplicate", error=f"same content as {seen[sha]}"))
        else:
            seen[sha] = path
            keep[path] = sha
    return keep, duplicates


def reading_bar(
    recordings: Sequence[Path], progress: Progress | None
) -> Callable[[int], None] | None:
    """A bar for the recordings' bytes as they are hashed (in GB, or MB under a GB), before
    any is processed."""
    if progress is None:
        return None
    sizes = []
    for path in recordings:
        with contextlib.suppress(OSError):
            sizes.append(path.stat().st_size)
    scale, unit = (1e9, "GB") if sum(sizes) >= 1e9 else (1e6, "MB")
    task = progress.add_task("reading", total=sum(sizes) / scale, unit=unit)
    return lambda count: progress.advance(task, count / scale)


def threads_per_worker(workers: int, cores: int | None = None) -> int:
    """CPU threads each of ``workers`` may use so that workers × threads ≤ cores."""
    cores = cores or default_threads()
    if workers < 1:
        raise PipelineError("--workers must be ≥ 1", exit_code=2)
    if workers > cores:
        raise PipelineError(
            f"--workers {workers} is more than the {cores} cores here",
            fix=f"use --workers {cores} or fewer",
            exit_code=2,
        )
    return max(1, cores // workers)


def run_batch(
    recordings: Sequence[Path],
    settings: Settings,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    local_dask: bool = False,
    retries: int = 2,
    backoff: float = 2.0,
    on_outcome: Callable[[Outcome], None] | None = None,
    progress: Progress | None = None,
) -> list[Outcome]:
    """Process ``recordings`` (new or stale ones do work, finished ones are skipped) and return
    an outcome per recording, in input order. ``on_outcome`` hears of each as it completes."""
    recordings = [p.absolute() for p in recordings]
    tracks = copies.participant_tracks(recordings)
    whole = [path for path in recordings if path not in tracks]
    hashed, duplicates = unique_by_content(
        whole, settings.transcripts_dir, reading_bar(whole, progress)
    )
    shas = {path: sha for path, sha in hashed.items() if sha}
    joined = parts.in_batch(shas, settings.transcripts_dir)
    shas = {path: sha for path, sha in shas.items() if path not in joined}
    twins = copies.in_batch(shas, settings.transcripts_dir)
    keep = [path for path in hashed if path not in twins and path not in joined]
    duplicates += [
        Outcome(
            str(path),
            "duplicate",
            error=f"same sound as {kept.name}: another file of that webinar (audio only, another "
            "view or container) — not processed; `cli.py run` it to process it anyway",
        )
        for path, kept in twins.items()
    ]
    duplicates += [
        Outcome(
            str(path),
            "part",
            error=f"one participant's own track (Zoom) of the webinar in {webinar.name} — not "
            "processed as a webinar of its own; `cli.py run` it to process it anyway",
        )
        for path, webinar in tracks.items()
    ]
    workspace = Workspace(settings.transcripts_dir)
    gone = removed(settings.transcripts_dir)
    ids = {path: workspace.recording_id(path, hashed[path] or "") for path in keep} if gone else {}
    keep = [path for path in keep if ids.get(path) not in gone]
    duplicates += [
        Outcome(str(path), "removed", rec_id=rec_id, error=gone[rec_id])
        for path, rec_id in ids.items()
        if rec_id in gone
    ]
    duplicates += [
        Outcome(
            str(path),
            "part",
            rec_id=(earlier := workspace.find_existing(hashed[path] or "")),
            error=parts.skipped(webinar, i, n, earlier, settings),
        )
        for path, (webinar, i, n) in joined.items()
    ]
    outcomes: list[Outcome] = []
    overall = (
        progress.add_task("recordings", total=len(recordings), unit="recordings")
        if progress
        else None
    )

    def finished(outcome: Outcome) -> None:
        append_log(settings.transcripts_dir / LOG_NAME, outcome)
        outcome.repeated = record(settings.transcripts_dir, outcome)
        outcomes.append(outcome)
        if on_outcome:
            on_outcome(outcome)
        if progress is not None and overall is not None:
            progress.advance(overall)

    for outcome in duplicates:
        finished(outcome)
    if scheduler or local_dask:
        _on_dask(keep, settings, workers, scheduler, retries, backoff, finished)
    elif workers > 1:
        threaded = replace(settings, threads=threads_per_worker(workers))
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=context, initializer=stop_on_sigterm) as pool:
            futures = {
                pool.submit(_in_worker, path, threaded, retries, backoff): path for path in keep
            }
            try:
                for future in as_completed(futures):
                    finished(_result(future, futures[future]))
            except BaseException:  # Ctrl-C or SIGTERM: stop the workers too
                _stop_workers(pool)
                raise
    else:
        for path in keep:
            finished(process(path, settings, retries, backoff, progress))
            if progress is not None:
                for task in list(progress.task_ids):
                    if task != overall:
                        progress.remove_task(task)
    order = {str(p): i for i, p in enumerate(recordings)}
    return sorted(outcomes, key=lambda o: order.get(o.recording, len(order)))


def _in_worker(recording: Path, settings: Settings, retries: int, backoff: float) -> Outcome:
    """``process`` in a pool worker — not begun in one that has been stopped (the pool hands
    each worker its next recording before the last one ends: one that cannot be called off)."""
    if was_stopped():
        raise Stopped
    return process(recording, settings, retries, backoff)


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Cancel the recordings not begun and stop those under way (SIGTERM: each unwinds as a
    stopped run does, its finished stages kept) — the pool's end would wait for them, and a
    SIGTERM sent to this process alone (``timeout``, ``kill``) does not reach its workers."""
    pool.shutdown(wait=False, cancel_futures=True)
    for worker in multiprocessing.active_children():
        worker.terminate()


def _result(future: Any, path: Path) -> Outcome:
    """A worker's outcome; a worker that died (killed, out of memory) fails only its recording."""
    try:
        return future.result()
    except Exception as exc:
        return Outcome(str(path), "failed", error=f"worker lost: {type(exc).__name__}: {exc}")


def _on_dask(
    recordings: Sequence[Path],
    settings: Settings,
    workers: int,
    scheduler: str | None,
    retries: int,
    backoff: float,
    finished: Callable[[Outcome], None],
) -> None:
    """One task per recording on a Dask cluster: the given scheduler, or a local one."""
    from dask.distributed import Client, LocalCluster
    from dask.distributed import as_completed as dask_completed

    with contextlib.ExitStack() as stack:
        if scheduler:
            try:
                client = stack.enter_context(Client(scheduler, timeout="30s"))
            except OSError as exc:
                raise PipelineError(
                    f"cannot reach the Dask scheduler ({exc})",
                    scheduler,
                    "start it with `dask scheduler` and check the address",
                    exit_code=2,
                ) from None
        else:
            settings = replace(settings, threads=threads_per_worker(workers))
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                )
            )
            client = stack.enter_context(Client(cluster))
        futures = {
            client.submit(process, path, settings, retries, backoff, pure=False): path
            for path in recordings
        }
        for future in dask_completed(list(futures)):
            finished(_result(future, futures[future]))
