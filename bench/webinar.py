"""Long synthetic webinars for the benchmarks: the demo's people and script, its middle part
(talks, hand-offs, the audience question) repeated to any length (minutes). Each round keeps the
script's order, so every hand-off and thanks still points at the right person."""

from __future__ import annotations

from pathlib import Path

from pipeline.tools import demo


def long_script(minutes: float) -> list[demo.Line]:
    """Demo lines until ~``minutes`` of speech (the demo script speaks ~2.3 minutes)."""
    opening, talks, closing = demo.SCRIPT[:1], list(demo.SCRIPT[1:-1]), demo.SCRIPT[-1:]
    rounds = max(1, round(minutes / 2.2))
    return [*opening, *talks * rounds, *closing]


def make_long_webinar(folder: Path, minutes: int) -> tuple[demo.DemoFiles, Path]:
    """The webinar (mp4, sidecar, truth) and its 16 kHz WAV."""
    from pipeline.core.probe import probe
    from pipeline.stages import extract as media

    files = demo.make_webinar(
        folder / f"w{minutes}", name=f"webinar-{minutes}min", script=long_script(minutes)
    )
    wav = folder / f"w{minutes}" / "audio16k.wav"
    media.extract(probe(files.recording), wav, media.ExtractParams())
    return files, wav
