"""ASR benchmark: WER, real-time factor, peak memory and load time per engine and model.

    .venv/bin/python bench/asr.py [DIR] [--threads 2]
    .venv/bin/python bench/asr.py --languages [de,fr,it,es,pl]
    .venv/bin/python bench/asr.py --talks bench/talks
    .venv/bin/python bench/asr.py --talks bench/talks/check

DIR holds audio files and ``references.json`` ({file name: reference text}); default
``../shared/data/asr``. The demo webinar (espeak voices) is added with its script as reference.
Each configuration runs in a fresh subprocess so its peak RSS is its own. Results go to
bench/results.md; the last line printed is machine-readable: ``wer=<mean> rtf=<rtf>`` for the
default configuration (faster-whisper base int8, batched).

``--languages``: the generated webinars of those languages (espeak-ng voices, four people who
introduce themselves) through the whole pipeline, each in a fresh process: the language found,
WER of the transcript in the talk's language (whisper's basic normaliser), speakers named,
topic agreement with the script through the translation path, and the translate stage's time
against the transcribe stage's. Section "Languages" of bench/results.md.

``--talks DIR``: the same for the talks written there as ``<kind>-<lang>.yaml`` (other people,
scripts and voices), section "<Kind> talks": ``bench/talks/dev-*`` are the development talks, on
which topic rules are chosen before the bench talks are read; ``bench/talks/check/check-*`` were
written after the last rule and are only read.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from common import SHARED_DATA, machine, peak_rss_mb, write_section

CONFIGS = [  # (label, engine, model, batched)
    ("faster-whisper base int8 batched (default)", "faster-whisper", "base", True),
    ("faster-whisper base int8 sequential+VAD", "faster-whisper", "base", False),
    ("faster-whisper tiny.en int8 batched", "faster-whisper", "tiny.en", True),
    ("openai-whisper base fp32", "openai-whisper", "base", False),
    ("openai-whisper tiny.en fp32", "openai-whisper", "tiny.en", False),
]


def one(engine: str, model: str, batched: bool, threads: int, items: list[dict]) -> dict:
    """Child process: load once, transcribe every item, report timings and WER."""
    from pipeline.models import weights
    from pipeline.stages import transcribe as T
    from pipeline.tools.evaluate import wer

    opts = T.TranscribeParams(engine=engine, model=model, batched=batched, language="en")
    started = time.perf_counter()
    (
        weights.faster_whisper(model, "int8", threads)
        if engine == "faster-whisper"
        else T._openai_model(model)
    )
    load = time.perf_counter() - started
    rows = []
    for item in items:
        t0 = time.perf_counter()
        transcript = T.transcribe(
            Path(item["wav"]), replace(opts, prompt=item.get("prompt", "")), threads
        )
        seconds = time.perf_counter() - t0
        rows.append(
            {
                "name": item["name"],
                "audio": item["duration"],
                "seconds": seconds,
                "wer": wer(item["reference"], transcript.text),
            }
        )
    return {"load": load, "rows": rows, "peak_rss_mb": peak_rss_mb()}


def prepare(folder: Path, work: Path) -> list[dict]:
    from pipeline.core.event import load_event
    from pipeline.core.probe import probe
    from pipeline.stages import extract as media
    from pipeline.tools import demo

    items = []
    references = (
        json.loads((folder / "references.json").read_text())
        if (folder / "references.json").exists()
        else {}
    )
    for name, reference in references.items():
        wav = work / f"{len(items)}.wav"
        audio = media.extract(probe(folder / name), wav, media.ExtractParams())
        items.append(
            {
                "name": name,
                "wav": str(wav),
                "duration": audio.duration,
                "reference": reference,
            }
        )
    files = demo.make_webinar(work / "demo")
    audio = media.extract(probe(files.recording), work / "demo.wav", media.ExtractParams())
    script = json.loads(files.truth.read_text())["script"]
    prompt = load_event(files.sidecar).prompt()  # as the pipeline does with a sidecar
    items.append(
        {
            "name": "demo webinar (espeak)",
            "wav": str(work / "demo.wav"),
            "duration": audio.duration,
            "reference": script,
            "prompt": prompt,
        }
    )
    return items


def language_child(language: str, folder: str, script: str = "") -> dict:
    """Child process: one generated webinar of ``language`` (or the talk written in
    ``script``) through the pipeline."""
    from pipeline.core.config import Settings
    from pipeline.service.runner import run
    from pipeline.tools import demo
    from pipeline.tools.evaluate import topic_agreement, wer

    work = Path(folder)
    files = demo.make_talk(
        work / "recordings", language, f"webinar-{language}", Path(script) if script else None
    )
    started = time.perf_counter()
    result = run(files.recording, Settings(transcripts_dir=work / "t", summaries_dir=work / "s"))
    wall = time.perf_counter() - started
    truth = json.loads(files.truth.read_text(encoding="utf-8"))
    manifest = json.loads((result.out_dir / "manifest.json").read_text(encoding="utf-8"))
    topics = json.loads((result.summary_dir / "topics.json").read_text(encoding="utf-8"))
    same = run(
        files.recording,
        Settings(transcripts_dir=work / "t", summaries_dir=work / "same", summary_language="same"),
    )
    as_said = json.loads((same.summary_dir / "topics.json").read_text(encoding="utf-8"))
    listed = {p["name"] for p in truth["people"]}
    return {
        "found": result.transcript.language,
        "wer": wer(truth["script"], result.transcript.text, language),
        "named": len({s.name for s in result.speakers if s.name in listed}),
        "listed": len(listed),
        "agreement": topic_agreement(truth["turns"], topics["spans"]),
        "same": topic_agreement(truth["turns"], as_said["spans"]),
        "duration": result.transcript.duration,
        "transcribe": manifest["stages"]["transcribe"]["seconds"],
        "translate": manifest["stages"]["translate"]["seconds"],
        "wall": wall,
    }


def languages(which: list[str], threads: int, talks: Path | None = None) -> None:
    """Every language's generated webinar, each in a fresh process; a table in results.md —
    or, with ``talks``, the talks written there (``<kind>-<lang>.yaml``), section "<Kind> talks"."""
    rows = []
    scripts = {p.stem.rpartition("-")[2]: p for p in talks.glob("*-*.yaml")} if talks else {}
    kind = {p.stem.rpartition("-")[0] for p in scripts.values()}
    if len(kind) > 1:
        raise SystemExit(f"{talks}: talks of more than one kind ({', '.join(sorted(kind))})")
    with tempfile.TemporaryDirectory() as tmp:
        for language in sorted(scripts) if talks else which:
            spec = {"language": language, "folder": f"{tmp}/{language}"}
            if talks:
                spec["script"] = str(scripts[language].resolve())
            proc = subprocess.run(
                [sys.executable, __file__, "--threads", str(threads), "--language-child",
                 json.dumps(spec)],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            rows.append(
                f"| {language} | {r['found']} | {r['wer']:.3f} | {r['named']} of {r['listed']} | "
                f"{r['agreement']:.3f} | {r['same']:.3f} | {r['duration']:.0f} s | {r['transcribe']:.1f} s | "
                f"{r['translate']:.1f} s ({100 * r['translate'] / r['transcribe']:.0f} %) |"
            )
            print(rows[-1], flush=True)
    body = "\n".join(
        [
            f"Run {dt.date.today()} on {machine()}, {threads} threads, the default settings "
            "(faster-whisper base int8, batched, beam 5, the translation greedy; summary in English). "
            "Generated webinars "
            "(espeak-ng voices of each language; "
            f"`{f'{talks}/{next(iter(kind))}-<lang>.yaml' if talks else 'pipeline/data/demo-<lang>.yaml'}`): "
            "four people, "
            "each introduces themself, the moderator hands over by name; every sidecar gives the "
            "language (the tests leave it out for es and pl, to be detected). WER: jiwer after "
            "whisper's BasicTextNormalizer against the script. Topic agreement: share of scripted "
            "speech time inside a span of its scripted topic; topics read on Whisper's English "
            "translation and on the words as said through the themes' lexicons of the language "
            "(`pipeline/data/topics.yaml`, translations of the English terms, written before "
            "this was measured and not changed after); `same`: the summary in the talk's "
            "language (`--summary-language same`), no translation.",
            "",
            "| language | found | WER (talk's language) | named | topic agreement | "
            "topic agreement, `same` | audio | transcribe | translate (of transcribe) |",
            "|---|---|---|---|---|---|---|---|---|",
            *rows,
        ]
    )
    write_section(f"{next(iter(kind)).title()} talks" if talks else "Languages", body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, default=SHARED_DATA / "asr")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--languages", nargs="?", const="de,fr,it,es,pl", default="")
    parser.add_argument(
        "--talks", type=Path, help="the talks written in this folder (<kind>-<lang>.yaml)"
    )
    parser.add_argument("--language-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.language_child:
        print(json.dumps(language_child(**json.loads(args.language_child))))
        return
    if args.languages or args.talks:
        languages(args.languages.split(","), args.threads, args.talks)
        return
    if args.child:
        spec = json.loads(args.child)
        print(
            json.dumps(
                one(spec["engine"], spec["model"], spec["batched"], args.threads, spec["items"])
            )
        )
        return

    with tempfile.TemporaryDirectory() as tmp:
        items = prepare(args.folder, Path(tmp))
        results = []
        for label, engine, model, batched in CONFIGS:
            spec = json.dumps(
                {"engine": engine, "model": model, "batched": batched, "items": items}
            )
            proc = subprocess.run(
                [sys.executable, __file__, "--threads", str(args.threads), "--child", spec],
                capture_output=True,
                text=True,
                check=True,
            )
            results.append((label, json.loads(proc.stdout.strip().splitlines()[-1])))
            print(f"{label}: done", file=sys.stderr)

    names = [i["name"] for i in items]
    lines = [
        f"Run {dt.date.today()} on {machine()}, {args.threads} threads, language en, beam 5, word timestamps.",
        f"Data: {args.folder} + the demo webinar. RTF = transcription seconds / audio seconds (model loaded once, "
        "excluded). WER: jiwer after whisper's EnglishTextNormalizer. The demo is given its sidecar's prompt "
        "(names, organisations), as the pipeline does.",
        "",
        "| configuration | "
        + " | ".join(f"WER {n}" for n in names)
        + " | mean WER | RTF | load s | peak RSS MB |",
        "|---" * (len(names) + 5) + "|",
    ]
    summary = {}
    for label, r in results:
        audio = sum(row["audio"] for row in r["rows"])
        rtf = sum(row["seconds"] for row in r["rows"]) / audio
        mean = sum(row["wer"] for row in r["rows"]) / len(r["rows"])
        summary[label] = (mean, rtf)
        cells = " | ".join(f"{row['wer']:.3f}" for row in r["rows"])
        lines.append(
            f"| {label} | {cells} | {mean:.3f} | {rtf:.3f} | {r['load']:.1f} | {r['peak_rss_mb']:.0f} |"
        )
    write_section("ASR", "\n".join(lines))
    print("\n".join(lines))
    mean, rtf = summary[CONFIGS[0][0]]
    print(f"wer={mean:.3f} rtf={rtf:.3f}")


if __name__ == "__main__":
    main()
