"""The media stage: what the reviewer page plays, beside it in the summary folder, so the page
works when opened from disk and after the folder is copied elsewhere.

- ``copy`` (default): a compact audio rendition of the recording, Ogg Opus at 32 kbit/s mono
  (about 15 MB per hour), made by ffmpeg from the extracted audio;
- ``link``: a symbolic link to the original recording (no copy; the page plays it, video
  included, as long as the recording stays where it is);
- ``none``: no player.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ffmpeg

from ..core.errors import PipelineError
from ..core.probe import ffmpeg_name, last_line, run_with_progress
from ..core.stage import Context, ProgressFn, Stage
from ..core.store import atomic_path
from ..core.types import Player

MODES = ("copy", "link", "none")
_VIDEO = (".mp4", ".mkv", ".webm", ".mov", ".m4v", ".avi", ".mpg", ".mpeg", ".ts")
RENDITION = "recording.opus"


@dataclass(frozen=True)
class MediaParams:
    mode: str = "copy"
    bitrate: str = "32k"  # Opus, mono
    # libopus's encoder effort, 0–10: on speech at 32 kbit/s, 0 decodes to the same waveform SNR
    # as ffmpeg's default 10 (11.5 vs 11.6 dB) in 28 % of the time (bench: media 33 s per hour)
    complexity: int = 0
    # Opus frame length, ms: 60 encodes in 20 % less CPU than ffmpeg's default 20, a file 5 %
    # smaller at the same waveform SNR (60-min webinar: 13.1 vs 13.2 dB)
    frame_ms: int = 60


def _link_name(ctx: Context) -> str:
    return "recording" + ctx.recording.suffix.lower()


def render_opus(
    wav: Path,
    target: Path,
    p: MediaParams,
    duration: float,
    on_progress: ProgressFn | None = None,
) -> None:
    """``target``: the WAV as Ogg Opus (written atomically); ``on_progress`` hears the seconds
    of ``duration`` encoded so far."""
    with atomic_path(target) as tmp:
        stream = ffmpeg.input(ffmpeg_name(wav)).output(
            ffmpeg_name(tmp),
            format="ogg",
            acodec="libopus",
            audio_bitrate=p.bitrate,
            ac=1,
            application="voip",
            compression_level=p.complexity,
            frame_duration=p.frame_ms,
            # the same bytes every time (Ogg's stream serial is random otherwise), so a page
            # whose audio is encoded again is not made again
            fflags="+bitexact",
            **{"flags:a": "+bitexact"},
        )
        ran = run_with_progress(stream, duration, on_progress)
        if ran.code != 0:
            raise PipelineError(
                f"ffmpeg could not write the audio for the page ({last_line(ran.stderr)})",
                target,
                "check that ffmpeg has libopus (Debian's ffmpeg does), or run with --media none",
            )


class Media(Stage):
    """``audio.wav`` → ``summaries/<id>/recording.opus`` (or a link to the recording, or none)."""

    name = "media"
    Params = MediaParams
    needs = ("extract",)
    libraries = ("ffmpeg",)
    background = True  # ffmpeg encodes on one core while the next stages run (Python, mostly)

    def params(self, ctx: Context) -> MediaParams:
        if ctx.settings.media == "link" and ctx.audio_track != 1:
            raise PipelineError(
                f"--media link: the page would play the recording's first audio track, but "
                f"track {ctx.audio_track} is transcribed",
                ctx.recording,
                "use --media copy (the default): the page then plays the transcribed track",
                exit_code=2,
            )
        return MediaParams(mode=ctx.settings.media)

    def outputs(self, ctx: Context, params: MediaParams) -> list[Path]:
        if params.mode == "copy":
            return [ctx.summary_dir / RENDITION]
        if params.mode == "link":
            return [ctx.summary_dir / _link_name(ctx)]
        return []

    def run(
        self, ctx: Context, params: MediaParams, inputs: Mapping[str, Any], progress: ProgressFn
    ) -> Player:
        self.discard(ctx)
        if params.mode == "copy":
            duration = ctx.info.duration if ctx.info else 0.0
            render_opus(
                ctx.out / "audio.wav", ctx.summary_dir / RENDITION, params, duration, progress
            )
            return Player(RENDITION, "audio")
        if params.mode == "link":
            link = ctx.summary_dir / _link_name(ctx)
            ctx.summary_dir.mkdir(parents=True, exist_ok=True)
            os.symlink(ctx.recording.resolve(), link)
        return self.load(ctx, params, inputs)

    def load(self, ctx: Context, params: MediaParams, inputs: Mapping[str, Any]) -> Player:
        if params.mode == "copy":
            return Player(RENDITION, "audio")
        if params.mode == "link":
            video = ctx.info.has_video if ctx.info else ctx.recording.suffix.lower() in _VIDEO
            return Player(_link_name(ctx), "video" if video else "audio")
        return Player("", "")

    def facts(self, result: Player) -> dict[str, Any]:
        return {"file": result.file, "kind": result.kind}

    def discard(self, ctx: Context) -> None:
        """Renditions and links of another mode are removed."""
        for path in [ctx.summary_dir / RENDITION, *ctx.summary_dir.glob("recording.*")]:
            if path.is_symlink() or path.exists():
                path.unlink()
