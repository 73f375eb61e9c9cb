"""The recording as ffmpeg sees it: which files are recordings, ffprobe's facts about one (or a
clear error), and running an ffmpeg command with progress. Shared by the stages that read the
recording; not part of any one stage, so changing a stage does not change the others' code."""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import ffmpeg

from .errors import PipelineError
from .types import AudioTrack, MediaInfo

# what `batch` takes for a recording (`run` takes any file ffmpeg reads)
MEDIA_SUFFIXES = frozenset({
    ".mp4", ".m4v", ".mov", ".mkv", ".mka", ".webm", ".weba", ".avi", ".wmv", ".asf", ".flv",
    ".f4v", ".3gp", ".3g2", ".mpg", ".mpeg", ".vob", ".ts", ".mts", ".m2ts", ".ogv", ".mp3",
    ".mp2", ".m4a", ".m4b", ".aac", ".ac3", ".wav", ".flac", ".wv", ".ogg", ".oga", ".opus",
    ".wma", ".aif", ".aiff", ".caf",
})  # fmt: skip

_GUESSED = b"Estimating duration from bitrate"  # libavformat's warning when it guesses
_ERROR_TAIL = 65536  # bytes of ffmpeg's error output kept: its last lines say what failed


def ffmpeg_name(path: Path) -> str:
    """An absolute ``file:`` URL, so names like ``-x.mp4`` or ``a:b.mp4`` are never options/protocols."""
    return "file:" + str(path.resolve())


def last_line(stderr: bytes | None) -> str:
    lines = [
        ln.strip() for ln in (stderr or b"").decode("utf-8", "replace").splitlines() if ln.strip()
    ]
    return lines[-1] if lines else "no details"


def _tag(stream: dict[str, Any], name: str) -> str:
    return str(stream.get("tags", {}).get(name, ""))


def _seconds(stream: dict[str, Any], whole: float) -> float:
    """A stream's duration: ffprobe's, else Matroska's ``DURATION`` tag (``00:00:08.520…``),
    else the container's."""
    hours, _, rest = _tag(stream, "DURATION").partition(":")
    minutes, _, seconds = rest.partition(":")
    try:
        return float(stream["duration"])
    except (KeyError, ValueError):  # absent, or "N/A"
        pass
    try:
        return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    except ValueError:
        return whole


def _moving(stream: dict[str, Any]) -> bool:
    """A video stream that is more than a cover picture (an MP3's or M4A's album art)."""
    cover = stream.get("disposition", {}).get("attached_pic", 0)
    return stream.get("codec_type") == "video" and not cover


def recorded_on(tags: dict[str, Any]) -> str:
    """The day a container's ``creation_time`` tag names ("2024-05-15T09:30:00.000000Z", as
    Zoom, OBS and phones write it), as 2024-05-15; "" without one, or for the zero dates of a
    tag never set (1904 in QuickTime, 1970 elsewhere)."""
    try:
        day = dt.date.fromisoformat(str(tags.get("creation_time", ""))[:10])
    except ValueError:
        return ""
    return day.isoformat() if day.year >= 1990 else ""


def probe(path: Path) -> MediaInfo:
    """Check that ``path`` is a readable recording with sound; raise a PipelineError if not."""
    return probed(path)[0]


def probed(path: Path) -> tuple[MediaInfo, str]:
    """``probe``, and the day the recording was made (``recorded_on``; "" when not told) from
    the same ffprobe call — kept apart from ``MediaInfo``, which every stage's code key holds."""
    if not path.exists():
        raise PipelineError("file not found", path, "check the path and the file name")
    if not path.is_file():
        raise PipelineError(
            "not a file", path, "give the path of a recording (for a folder of them: cli.py batch)"
        )
    if path.stat().st_size == 0:
        raise PipelineError("file is empty (0 bytes)", path, "copy or export the recording again")
    # ffprobe as ffmpeg.probe runs it, keeping its warnings (ffmpeg.probe drops them)
    asked = ("-v", "warning", "-show_format", "-show_streams", "-of", "json", ffmpeg_name(path))
    done = subprocess.run(["ffprobe", *asked], capture_output=True, check=False)
    if done.returncode != 0:
        raise PipelineError(
            f"not a readable media file (ffprobe: {last_line(done.stderr)})",
            path,
            "check it is an audio/video recording and not truncated; export or download it again",
        )
    info = json.loads(done.stdout.decode("utf-8", "replace"))
    audio = [s for s in info.get("streams", []) if s.get("codec_type") == "audio"]
    if not audio:
        raise PipelineError(
            "no audio stream in this file", path, "export the recording with its sound track"
        )
    whole = float(info.get("format", {}).get("duration") or 0.0)
    # a length guessed from the first packets' bit rate (an MP3 without its Xing header, as a
    # stream or a recorder writes it; raw AAC) is no length: a VBR MP3 of 26 s that opens with
    # silence "lasted" 259 s, an AAC file of 21 s 29 s — both then "looked truncated"
    guessed = _GUESSED in done.stderr
    tracks = tuple(
        AudioTrack(
            duration=_seconds(s, whole),
            codec=str(s.get("codec_name", "")),
            channels=int(s.get("channels") or 0),
            language="" if _tag(s, "language") == "und" else _tag(s, "language"),
            title=_tag(s, "title"),
        )
        for s in audio
    )
    if tracks[0].duration <= 0 or guessed:  # a header that tells none: measured from the packets
        measured = demuxed(path)
        tracks = tuple(
            t if t.duration > 0 and not guessed else replace(t, duration=measured) for t in tracks
        )
        whole = measured if guessed else whole
    if tracks[0].duration <= 0:
        raise PipelineError("the audio has zero duration", path, "check the recording is complete")
    media = MediaInfo(
        path=path,
        format_name=str(info.get("format", {}).get("format_name", "")),
        duration=tracks[0].duration,
        audio_codec=tracks[0].codec,
        sample_rate=int(audio[0].get("sample_rate") or 0),
        channels=tracks[0].channels,
        has_video=any(_moving(s) for s in info.get("streams", [])),
        tracks=tracks,
        timeline=whole,
    )
    return media, recorded_on(info.get("format", {}).get("tags", {}))


def demuxed(path: Path) -> float:
    """Seconds of sound in ``path`` read packet by packet (copied to nowhere, not decoded: about
    a second for an hour): for a recording whose header tells no duration — a WebM written live
    by a browser's MediaRecorder, OBS or a meeting tool. 0 when nothing could be read."""
    said: list[float] = [0.0]
    stream = ffmpeg.input(ffmpeg_name(path)).output(os.devnull, format="null", map="0:a", c="copy")
    ran = run_with_progress(stream, float("inf"), said.append)
    return said[-1] if ran.code == 0 else 0.0


@dataclass(frozen=True)
class Ran:
    """How an ffmpeg run ended: its exit code, the end of its error output (the last
    ``_ERROR_TAIL`` bytes: what failed) and how many lines that output had in all."""

    code: int
    stderr: bytes
    lines: int


def run_with_progress(
    stream: Any, duration: float, on_progress: Callable[[float], None] | None
) -> Ran:
    """Run an ffmpeg-python output ``stream``, telling ``on_progress`` how many seconds of
    output it has written (ffmpeg's ``-progress``, at most ``duration``). A full disk is raised
    as the ``OSError`` it is (ffmpeg's failure to write is not the input's fault)."""
    args = (
        stream.global_args(
            "-nostdin", "-hide_banner", "-loglevel", "repeat+error", "-progress", "pipe:1"
        )
        .overwrite_output()
        .compile()
    )
    # the errors go to a file: a damaged recording makes ffmpeg write a line per bad packet
    # (hundreds of kB), which would fill a pipe nobody reads until the end and stop ffmpeg
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=errors)
        assert process.stdout is not None
        try:
            for raw in process.stdout:
                key, _, value = raw.decode("ascii", "replace").strip().partition("=")
                if key == "out_time_us" and on_progress and value.isdigit():
                    on_progress(min(int(value) / 1e6, duration))
            code = process.wait()
        finally:  # interrupted: ffmpeg does not go on writing after us
            if process.poll() is None:
                process.kill()
                process.wait()
            process.stdout.close()
        errors.seek(0)
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: errors.read(1 << 20), b""))
        errors.seek(max(0, errors.tell() - _ERROR_TAIL))
        stderr = errors.read()
    full = os.strerror(errno.ENOSPC)  # ffmpeg and Python word it alike (the C library's words)
    # whatever the exit code: ffmpeg 5.1's Ogg muxer exits 0 after failing to write its trailer
    if full.encode() in stderr:
        raise OSError(errno.ENOSPC, full)
    return Ran(code, stderr, lines)
