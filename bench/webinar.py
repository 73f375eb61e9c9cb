"""Long synthetic webinars for the benchmarks: the demo's people and script, repeated with the
order of the talks rotated, to any length (minutes)."""

from __future__ import annotations

from pathlib import Path

from pipeline import demo


def long_script(minutes: float) -> list[demo.Line]:
    """Demo lines until ~``minutes`` of speech (the demo script speaks ~2.3 minutes)."""
    opening, talks, closing = demo.SCRIPT[:1], list(demo.SCRIPT[1:-1]), demo.SCRIPT[-1:]
    lines: list[demo.Line] = list(opening)
    rounds = max(1, round(minutes / 2.2))
    for r in range(rounds):
        shift = (r * 3) % len(talks)
        lines += talks[shift:] + talks[:shift]
    return lines + list(closing)


def make_long_webinar(folder: Path, minutes: int) -> tuple[demo.DemoFiles, Path]:
    """The webinar (mp4, sidecar, truth) and its 16 kHz WAV."""
    from pipeline import media

    files = demo.make_webinar(
        folder / f"w{minutes}", name=f"webinar-{minutes}min", script=long_script(minutes)
    )
    audio = media.extract(media.probe(files.recording), folder / f"w{minutes}" / "audio16k.wav")
    return files, audio.path
