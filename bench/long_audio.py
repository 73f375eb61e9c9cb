"""Long recordings: time and peak memory of the extract and diarize stages as recordings grow.

    .venv/bin/python bench/long_audio.py [--hours 1,3]

The demo webinar's sound (espeak-ng voices, ~2.4 min) is encoded once as Opus and looped by
stream copy to each length (as a day-long conference stream would arrive: one file), then each
stage runs in a fresh process — extract on the looped file, diarize on extract's WAV — so its
peak resident memory is its own (models included). Results go to bench/results.md; the last line
is machine-readable: ``extract_mb=<1st>,<2nd>… diarize_mb=…``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from common import ROOT, machine, write_section

CHILD = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from common import peak_rss_mb
stage, source, wav = sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])
started = time.perf_counter()
if stage == "extract":
    from pipeline.core.probe import probe
    from pipeline.stages.extract import ExtractParams, extract
    extract(probe(source), wav, ExtractParams())
else:
    from pipeline.core.wav import mapped_samples
    from pipeline.stages.diarize import DiarizeParams, diarize
    diarize(mapped_samples(wav), DiarizeParams(), threads=2)  # as the stage reads it
print(json.dumps({"seconds": time.perf_counter() - started, "peak_mb": peak_rss_mb()}))
"""


def measure(stage: str, source: Path, wav: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(ROOT / "bench"), stage, str(source), str(wav)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hours", default="1,3", help="comma-separated lengths in hours")
    args = parser.parse_args()
    hours = [float(h) for h in args.hours.split(",")]
    from pipeline.tools import demo

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        files = demo.make_webinar(work / "demo")
        talk = work / "talk.opus"
        encode = ("-vn", "-c:a", "libopus", "-b:a", "32k")
        subprocess.run(
            ["ffmpeg", "-v", "error", "-i", str(files.recording), *encode, str(talk)], check=True
        )
        for length in hours:
            looped = work / f"{length:g}h.mka"
            loop = ("-stream_loop", "-1", "-i", str(talk), "-c", "copy", "-t", str(length * 3600))
            subprocess.run(["ffmpeg", "-v", "error", *loop, str(looped)], check=True)
            wav = work / f"{length:g}h.wav"
            extracted = measure("extract", looped, wav)
            diarized = measure("diarize", looped, wav)
            rows.append((length, extracted, diarized))
            print(length, extracted, diarized, flush=True)
            wav.unlink()
    table = [
        "| length | extract s | extract peak MB | diarize s | diarize peak MB |",
        "|---|---|---|---|---|",
    ] + [
        f"| {h:g} h | {e['seconds']:.1f} | {e['peak_mb']:.0f} | {d['seconds']:.1f} | "
        f"{d['peak_mb']:.0f} |"
        for h, e, d in rows
    ]
    body = (
        f"Run {dt.date.today()} on {machine()}. The demo webinar's sound looped to each length "
        "(Opus, stream copy); each stage in a fresh process (peak memory includes its models "
        "and libraries).\n\n" + "\n".join(table)
    )
    write_section("Long recordings", body)
    print(
        "extract_mb=" + ",".join(f"{e['peak_mb']:.0f}" for _, e, _ in rows),
        "diarize_mb=" + ",".join(f"{d['peak_mb']:.0f}" for _, _, d in rows),
    )


if __name__ == "__main__":
    main()
