"""Slide timing from an HD screen share: how long the video takes to read, and what is found.

    .venv/bin/python bench/slides.py [--minutes 10]

A screen share as a video call records it: the demo deck's pages at 1920×1080, 25 frames/s, a
new slide every 40–120 s (seeded; now and then one back), encoded by libx264 (veryfast) four
ways — x264's defaults (a key frame at least every 10 s, and at scene cuts), sparse key frames
(every 40 s, no scene cuts), the defaults with a moving camera inset (320×180 in a corner, like a
speaker's thumbnail), and the defaults with the screen shrunk to 70 % of the width beside two
moving camera tiles (a call recorder's side-by-side layout). Each is read in this process twice:
every frame decoded (``match_frames`` over ``sample_frames``, in the box ``locate`` finds where
whole frames show no slide) and the slides stage's own way (``watch``: key frames first, frame by
frame only where they leave the slide open). Reported: both times, the share of sampled seconds
on which the two agree, and the slide changes found within one sample of the schedule. Results go
to bench/results.md; the last line is ``speedup=<1st>,<2nd>,…``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import subprocess
import tempfile
import time
from pathlib import Path

from common import machine, write_section

from pipeline.stages import slides
from pipeline.tools import demo

VARIANTS = {  # name: (layout, x264 options)
    "x264 defaults": ("full", ("-g", "250")),
    "key frame every 40 s, no scene cuts": ("full", ("-g", "1000", "-sc_threshold", "0")),
    "x264 defaults, camera inset": ("inset", ("-g", "250")),
    "x264 defaults, beside two camera tiles": ("beside", ("-g", "250")),
}
LAYOUTS = {  # the screen (0:v) and a camera (1:v) as a call recorder lays them out
    "inset": "[0:v]{frame}[bg];[bg][1:v]overlay=W-w-24:H-h-24:shortest=1,format=yuv420p",
    "beside": "[0:v]{frame},scale=1344:-2[slide];color=c=0x202020:s=1920x1080:r=25[bg];"
    "[bg][slide]overlay=24:(H-h)/2:shortest=1[left];[1:v]scale=480:270,split[a][b];"
    "[left][a]overlay=W-w-24:240:shortest=1[one];[one][b]overlay=W-w-24:570:shortest=1,"
    "format=yuv420p",
}


def schedule(pages: int, seconds: float, seed: int = 7) -> list[tuple[int, float, float]]:
    """(page index, start, end): a new slide every 40–120 s, one back about every fifth change."""
    rng = random.Random(seed)
    shown, t, page = [], 0.0, 0
    while t < seconds:
        length = min(rng.uniform(40, 120), seconds - t)
        shown.append((page, t, t + length))
        t += length
        back = page > 0 and rng.random() < 0.2
        page = page - 1 if back else (page + 1) % pages
    return shown


def share(folder: Path, shown: list[tuple[int, float, float]], codec: tuple[str, ...], layout: str):
    """The screen-share video of ``shown`` (no audio: the slides stage reads the picture only)."""
    images = demo.render_pages(folder / "deck.pdf", folder, width=1920)
    listing = folder / "shown.txt"
    listing.write_text(
        "".join(f"file '{images[i]}'\nduration {b - a:.3f}\n" for i, a, b in shown)
        + f"file '{images[shown[-1][0]]}'\n"
    )
    frame = "scale=1920:1080:force_original_aspect_ratio=decrease,pad=1920:1080:-1:-1,fps=25"
    cmd = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0"]
    cmd += ["-i", str(listing)]
    if layout in LAYOUTS:
        cmd += ["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25", "-filter_complex"]
        cmd += [LAYOUTS[layout].format(frame=frame)]
    else:
        cmd += ["-vf", f"{frame},format=yuv420p"]
    target = folder / f"share-{len(list(folder.glob('share-*.mp4')))}.mp4"
    cmd += ["-t", f"{shown[-1][2]:.3f}", "-c:v", "libx264", "-preset", "veryfast", *codec]
    subprocess.run([*cmd, str(target)], check=True)
    return target


def decode_all(video: Path, pages: list, p: slides.SlidesParams) -> list:
    """Every frame decoded and matched; where whole frames show no slide, in the box ``locate``
    finds on a dozen of them (as the stage does with its key frames)."""
    frames = list(slides.sample_frames(video, p.frame_interval, p.frame_size))
    every = slides.match_frames(frames, pages, p)
    unmatched = [
        frame for (_, frame), (_, page, _) in zip(frames, every, strict=True) if page is None
    ]
    box = slides.locate(unmatched[:: max(1, len(unmatched) // slides.LOCATE_FRAMES)], pages, p)
    return every if box is None else slides.match_frames(frames, pages, p, box=box)


def changes(samples: list[tuple[float, int | None, float]]) -> list[tuple[float, int | None]]:
    """(time, page) where the page on screen changes."""
    return [(t, page) for i, (t, page, _) in enumerate(samples) if i and page != samples[i - 1][1]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    args = parser.parse_args()
    p = slides.SlidesParams()
    lines = [
        f"Run {dt.date.today()} on {machine()}. " + " ".join(__doc__.split("\n\n")[2].split()),
        "",
        "| video | minutes | key frames | every frame decoded s | key frames first s | "
        "speed-up | samples agreeing | slide changes found / true |",
        "|---|---|---|---|---|---|---|---|",
    ]
    speedups = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        demo.make_deck(folder / "deck.pdf")
        pages = slides.load_decks([folder / "deck.pdf"], folder / "summary")
        shown = schedule(len(pages), args.minutes * 60)
        for name, (layout, codec) in VARIANTS.items():
            video = share(folder, shown, codec, layout)
            keys = len(slides.key_frames(video)[0])
            t0 = time.perf_counter()
            every = decode_all(video, pages, p)
            t1 = time.perf_counter()
            first = slides.watch(video, pages, p, shown[-1][2])
            t2 = time.perf_counter()
            same = sum(a[1] == b[1] for a, b in zip(every, first, strict=False))
            true = [(a, i) for i, a, _ in shown[1:]]
            found = changes(first)
            hits = sum(
                any(abs(t - a) <= p.frame_interval and page == i for t, page in found)
                for a, i in true
            )
            speedups.append((t1 - t0) / (t2 - t1))
            lines.append(
                f"| {name} | {args.minutes:g} | {keys} | {t1 - t0:.1f} | {t2 - t1:.1f} | "
                f"{speedups[-1]:.1f}× | {same}/{max(len(every), len(first))} | "
                f"{hits}/{len(true)} (found {len(found)}) |"
            )
            print(lines[-1], flush=True)
    write_section("Slides", "\n".join(lines))
    print("speedup=" + ",".join(f"{s:.2f}" for s in speedups))


if __name__ == "__main__":
    main()
