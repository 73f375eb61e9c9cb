"""Copies of one webinar: how far apart the loudness curves of the same sound and of different
sounds of the same length are (``pipeline.service.copies``).

    .venv/bin/python bench/copies.py [--panels 4]

Same sound: each real recording against itself written again the ways a copy comes (AAC at
32 kbit/s as Zoom's audio-only file, MP3, Opus, starting 1.337 s later (a part of a frame), 6 dB
quieter, through a telephone band). Different sounds: every pair of recordings of the same
length (the AMI excerpts, 30 s each; real-voice panels and the lecture cut to one length). Two
parts: *tune* (the AMI excerpts and the tune pool's panels), where ``copies.MATCH`` was chosen,
and *report* (the lecture and the report pool's panels). Also the time to decode and compare
an hour-long pair. Needs ../shared/data. Results go to bench/results.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
from common import SHARED_DATA, machine, write_section

from pipeline.service import copies
from pipeline.tools import voices

VOICES = SHARED_DATA / "voices"
# how a copy of a recording is written: (name, ffmpeg output options)
WRITTEN = [
    ("AAC 32 kbit/s (.m4a)", ["-c:a", "aac", "-b:a", "32k"]),
    ("MP3 64 kbit/s", ["-c:a", "libmp3lame", "-b:a", "64k"]),
    ("Opus 24 kbit/s", ["-c:a", "libopus", "-b:a", "24k"]),
    ("1.337 s later, 6 dB quieter", ["-af", "adelay=delays=1337:all=1,volume=-6dB", "-c:a", "aac"]),
    ("telephone band", ["-af", "highpass=300,lowpass=3400", "-ar", "8000", "-c:a", "pcm_mulaw"]),
]
SUFFIX = {
    "AAC 32 kbit/s (.m4a)": ".m4a",
    "MP3 64 kbit/s": ".mp3",
    "Opus 24 kbit/s": ".opus",
    "1.337 s later, 6 dB quieter": ".m4a",
}


def written(source: Path, folder: Path, name: str, options: list[str]) -> Path:
    target = folder / f"{source.stem}-{len(list(folder.iterdir()))}{SUFFIX.get(name, '.wav')}"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(source), *options, str(target)], check=True
    )
    return target


def cut(source: Path, folder: Path, seconds: float) -> Path:
    target = folder / f"{source.stem}-cut.wav"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(source), "-t", str(seconds), str(target)],
        check=True,
    )
    return target


def score(a: Path, b: Path) -> float:
    shift = int(copies.MAX_SHIFT * copies.PER_SECOND)
    return copies.similarity(copies.loudness(a), copies.loudness(b), shift)


def part(recordings: list[Path], length: float, folder: Path) -> tuple[list, list]:
    """Same-sound scores (recording, way written, score) and different-sound scores."""
    same = [
        (r.name, name, score(r, written(r, folder, name, options)))
        for r in recordings
        for name, options in WRITTEN
    ]
    even = [cut(r, folder, length) for r in recordings] if length else recordings
    different = [(a.name, b.name, score(a, b)) for a, b in itertools.combinations(even, 2)]
    return same, different


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--panels", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        lecture = SHARED_DATA / "media" / "lewin_physicsworks.webm"
        looped = ["-stream_loop", "17", "-i", str(lecture), "-vn"]
        pair = [folder / "hour.m4a", folder / "hour.mp3"]
        for target, codec in zip(pair, (["aac", "-b:a", "32k"], ["libmp3lame"]), strict=True):
            subprocess.run(
                ["ffmpeg", "-v", "error", *looped, "-c:a", *codec, str(target)], check=True
            )
        started = time.perf_counter()
        hour_score = score(*pair)
        hour = time.perf_counter() - started
        rows = []
        for pool in ("tune", "report"):
            built = [
                voices.build_panel(VOICES, folder / pool, spec).wav
                for spec in voices.panels(VOICES, pool, args.panels)
            ]
            if pool == "tune":
                recordings = sorted((SHARED_DATA / "diar").glob("*.wav"))
                recordings = [r for r in recordings if r.name != "sample.wav"]
                same, different = part(recordings, 0, folder)
                more_same, more_different = part(built, 120, folder)
                same, different = same + more_same, different + more_different
            else:
                same, different = part([lecture, *built], 200, folder)
            low = min(s for *_, s in same)
            high = max(s for *_, s in different)
            rows.append(
                f"| {pool} | {len(same)} | {low:.3f} | {np.median([s for *_, s in same]):.3f} "
                f"| {sum(s >= copies.MATCH for *_, s in same)} of {len(same)} | {len(different)} "
                f"| {high:.3f} | {sum(s >= copies.MATCH for *_, s in different)} of "
                f"{len(different)} |"
            )
            worst = min(same, key=lambda r: r[2])
            print(
                pool,
                "lowest same:",
                worst,
                "highest different:",
                max(different, key=lambda r: r[2]),
            )
    body = (
        f"Run {dt.date.today()} on {machine()}. Loudness curves ({copies.PER_SECOND} values a second, 8 kHz mono), "
        f"compared at their best shift within {copies.MAX_SHIFT:g} s; one sound at a correlation "
        f"≥ {copies.MATCH} (`copies.MATCH`, chosen on the tune part). An hour-long pair (the "
        f"lecture looped, as AAC 32 kbit/s and as MP3): {hour:.1f} s to decode both and compare "
        f"(score {hour_score:.3f}).\n\n"
        "| part | same-sound pairs | lowest | median | called one sound | different-sound pairs "
        "| highest | called one sound |\n|---|---|---|---|---|---|---|---|\n" + "\n".join(rows)
    )
    write_section("Copies", body)
    print(body)


if __name__ == "__main__":
    main()
