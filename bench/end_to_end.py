"""End-to-end speed and memory: the whole pipeline vs bare faster-whisper vs openai-whisper.

    .venv/bin/python bench/end_to_end.py [--minutes 10,60,120] [--openai-minutes 10] [--profile 10]

For each length a realistic webinar is generated (six voices: moderator, four speakers, two
people asking questions; the slide deck on a screen-share video track; pauses) and, each in a
fresh process on 2 threads:
- the whole pipeline (``runner.run``): wall time and RTF per stage and end to end, peak RSS;
- bare faster-whisper (the same model and settings as our transcribe stage, in a dozen lines);
- openai-whisper ``base`` (for the lengths in ``--openai-minutes``; it is ~5× slower);
- a re-run of the finished recording: wall time, and which models got loaded (should be none).
``--profile N`` also profiles the whole pipeline on the N-minute file (cProfile, top functions
by own time). Results go to bench/results.md; the last line is machine-readable:
``rtf=<end-to-end RTF at the longest length> overhead=<pipeline ÷ bare faster-whisper>``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from common import ROOT, machine, peak_rss_mb, write_section

from pipeline.stages import STAGES as PIPELINE_STAGES

SECOND_GUEST = ("guest2", "en-gb-x-gbcwmd+m1", 55, 150)
QUESTION = "Thank you. Could clusters share data centres to save energy and money?"


def make(folder: Path, minutes: int):  # type: ignore[no-untyped-def]
    """The webinar: the demo's talks repeated, a second audience question each round."""
    from webinar import long_script

    from pipeline.tools import demo

    key, voice, pitch, speed = SECOND_GUEST
    people = [
        *demo.PEOPLE,
        demo.Person(key, "Second audience member", "", "", voice, pitch, speed, listed=False),
    ]
    script: list[demo.Line] = []
    for line in long_script(minutes):
        script.append(line)
        if line.speaker == "guest":  # after each first question, a second one
            script.append(demo.Line(key, "green", QUESTION))
    return demo.make_webinar(
        folder, name=f"webinar-{minutes}min", script=script, people=people, slides=True
    )


def child_pipeline(recording: str, out: str, profile: bool) -> dict:
    import time

    from pipeline.core.config import Settings
    from pipeline.models import diarization, text, weights
    from pipeline.service.runner import run

    settings = Settings(
        transcripts_dir=Path(out) / "transcripts", summaries_dir=Path(out) / "summaries", threads=2
    )
    started = time.perf_counter()
    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        result = profiler.runcall(run, Path(recording), settings)
        stats = pstats.Stats(profiler).sort_stats("tottime")
        top = [
            (f"{Path(f).name}:{line}({name})", round(tt, 1), round(ct, 1))
            for (f, line, name), (_cc, _nc, tt, ct, _callers) in sorted(
                stats.stats.items(), key=lambda kv: -kv[1][2]
            )[:12]
        ]
    else:
        result, top = run(Path(recording), settings), []
    wall = time.perf_counter() - started
    manifest = json.loads((result.out_dir / "manifest.json").read_text())
    loaded = [
        f.__name__
        for f in (
            weights.faster_whisper,
            diarization.segmenters,
            diarization.embedders,
            text.spacy_pipeline,
            text.encoder,
            text.textrank,
        )
        if f.cache_info().currsize
    ]
    return {
        "wall": wall,
        "duration": result.transcript.duration,
        "stages": {k: v["seconds"] for k, v in manifest["stages"].items()},
        "ran": [s.name for s in result.stages if s.ran],
        "loaded": loaded,
        "rss": peak_rss_mb(),
        "profile": top,
    }


def child_faster(audio: str) -> dict:
    """Bare faster-whisper, as our transcribe stage calls it."""
    import time

    from faster_whisper import BatchedInferencePipeline, WhisperModel

    from pipeline.models import weights

    started = time.perf_counter()
    model = WhisperModel(
        weights.ct2_model("base"), device="cpu", compute_type="int8", cpu_threads=2
    )
    segments, info = BatchedInferencePipeline(model).transcribe(
        audio,
        batch_size=8,
        beam_size=5,
        word_timestamps=True,
        vad_filter=True,
        condition_on_previous_text=False,
    )
    words = sum(len(s.words or []) for s in segments)
    return {
        "wall": time.perf_counter() - started,
        "duration": info.duration,
        "words": words,
        "rss": peak_rss_mb(),
    }


def child_openai(audio: str) -> dict:
    import time

    import whisper

    from pipeline.models import weights

    started = time.perf_counter()
    model = whisper.load_model(weights.openai_checkpoint("base"), device="cpu")
    result = model.transcribe(audio, language="en", word_timestamps=True, fp16=False, verbose=None)
    return {
        "wall": time.perf_counter() - started,
        "segments": len(result["segments"]),
        "rss": peak_rss_mb(),
    }


def child(kind: str, *args: str) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", kind, *args], capture_output=True, text=True, cwd=ROOT
    )
    if proc.returncode:
        raise SystemExit(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", default="10,60,120")
    parser.add_argument("--openai-minutes", default="10")
    parser.add_argument("--profile", type=int, default=10)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "pipeline":
            report = child_pipeline(rest[0], rest[1], rest[2] == "1")
        elif kind == "faster":
            report = child_faster(rest[0])
        else:
            report = child_openai(rest[0])
        print(json.dumps(report))
        return
    lengths = [int(m) for m in args.minutes.split(",")]
    openai_at = {int(m) for m in args.openai_minutes.split(",") if m}
    rows, stage_rows, profile, reruns = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for minutes in lengths:
            folder = Path(tmp) / f"m{minutes}"
            files = make(folder / "rec", minutes)
            print(f"{minutes} min generated", flush=True)
            full = child("pipeline", str(files.recording), str(folder / "work"), "0")
            audio = next((folder / "work" / "transcripts").glob("*/audio.wav"))
            bare = child("faster", str(audio))
            again = child("pipeline", str(files.recording), str(folder / "work"), "0")
            reruns.append((minutes, again["wall"], again["ran"], again["loaded"]))
            other = child("openai", str(audio)) if minutes in openai_at else None
            if minutes == args.profile:
                profile = child("pipeline", str(files.recording), str(folder / "profiled"), "1")[
                    "profile"
                ]
            d = full["duration"]
            asr = full["stages"]["transcribe"]
            rows.append(
                f"| {minutes} min ({d / 60:.1f}) | {full['wall']:.0f} s | **{full['wall'] / d:.3f}** | "
                f"{full['rss'] / 1024:.2f} GB | {bare['wall'] / d:.3f} ({bare['rss'] / 1024:.2f} GB) | "
                f"{(full['wall'] / bare['wall']):.2f}× | {(full['wall'] - asr) / asr * 100:.0f} % | "
                + (
                    f"{other['wall'] / d:.3f} ({other['rss'] / 1024:.2f} GB)"
                    if other
                    else "not run"
                )
                + " |"
            )
            stage_rows.append(
                f"| {minutes} min | "
                + " | ".join(
                    f"{full['stages'].get(s, 0):.1f} s ({full['stages'].get(s, 0) / d:.3f})"
                    for s in STAGES
                )
                + f" | {full['wall'] - sum(full['stages'].get(s, 0) for s in IN_TURN):.1f} s |"
            )
            print(rows[-1], flush=True)
    body = [
        f"Run {dt.date.today()} on {machine()}, 2 threads. Generated webinars: six voices (moderator, "
        "four speakers, two audience questions per round), the slide deck on a screen-share video "
        "track, pauses. Each measurement in a fresh process.",
        "",
        "| length (audio min) | pipeline wall | end-to-end RTF | peak RSS | bare faster-whisper RTF (RSS) | "
        "pipeline ÷ bare | added on top of our transcription | openai-whisper base RTF (RSS) |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        "Per stage, seconds (RTF):",
        "",
        "| length | "
        + " | ".join(s if s in IN_TURN else f"{s} (beside the next stages)" for s in STAGES)
        + " | outside the stages (imports, model loading, catalog) |",
        "|---|" + "---|" * (len(STAGES) + 1),
        *stage_rows,
        "",
        "Re-run of the finished recording (fresh process; time inside `run`, after imports): "
        + "; ".join(
            f"{m} min: {w:.2f} s, stages run: {ran or 'none'}, models loaded: {loaded or 'none'}"
            for m, w, ran, loaded in reruns
        ),
    ]
    if profile:
        body += [
            "",
            f"Profile of the whole pipeline on the {args.profile}-minute file (cProfile, top by own time):",
            "",
            "| function | own s | cumulative s |",
            "|---|---|---|",
            *[f"| `{name}` | {tt} | {ct} |" for name, tt, ct in profile],
        ]
    write_section("Pipeline", "\n".join(body))
    print("\n".join(body))
    last = rows[-1].split("|")
    print(f"rtf={last[3].strip(' *')} overhead={last[6].strip(' ×')}")


STAGES = tuple(stage.name for stage in PIPELINE_STAGES)
IN_TURN = tuple(stage.name for stage in PIPELINE_STAGES if not stage.background)

if __name__ == "__main__":
    main()
