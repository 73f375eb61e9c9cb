"""The extract stage: probe a recording with ffprobe, pull its first audio stream out as 16 kHz
mono 16-bit WAV with ffmpeg (never touching the video), and normalise the level with pydub."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import ffmpeg
from pydub import AudioSegment
from pydub.effects import normalize

from .errors import PipelineError
from .store import atomic_path
from .types import Audio, MediaInfo

SAMPLE_RATE = 16000
HEADROOM_DB = 1.0  # peak level after normalisation, dB below full scale
MEDIA_SUFFIXES = frozenset(
    [
        ".mp4",
        ".mkv",
        ".webm",
        ".mov",
        ".avi",
        ".m4v",
        ".mp3",
        ".m4a",
        ".aac",
        ".wav",
        ".flac",
        ".ogg",
        ".oga",
        ".opus",
        ".wma",
        ".mpg",
        ".mpeg",
        ".ts",
    ]
)

ProgressFn = Callable[[float], None]


def _ffmpeg_name(path: Path) -> str:
    """An absolute ``file:`` URL, so names like ``-x.mp4`` or ``a:b.mp4`` are never options/protocols."""
    return "file:" + str(path.resolve())


def _last_line(stderr: bytes | None) -> str:
    lines = [
        ln.strip() for ln in (stderr or b"").decode("utf-8", "replace").splitlines() if ln.strip()
    ]
    return lines[-1] if lines else "no details"


def probe(path: Path) -> MediaInfo:
    """Check that ``path`` is a readable recording with sound; raise a PipelineError if not."""
    if not path.exists():
        raise PipelineError("file not found", path, "check the path and the file name")
    if not path.is_file():
        raise PipelineError("not a file", path, "give the path of a recording, not a folder")
    if path.stat().st_size == 0:
        raise PipelineError("file is empty (0 bytes)", path, "copy or export the recording again")
    try:
        info = ffmpeg.probe(_ffmpeg_name(path))
    except ffmpeg.Error as exc:
        raise PipelineError(
            f"not a readable media file (ffprobe: {_last_line(exc.stderr)})",
            path,
            "check it is an audio/video recording and not truncated; export or download it again",
        ) from None
    audio = [s for s in info.get("streams", []) if s.get("codec_type") == "audio"]
    if not audio:
        raise PipelineError(
            "no audio stream in this file", path, "export the recording with its sound track"
        )
    stream = audio[0]
    duration = float(stream.get("duration") or info.get("format", {}).get("duration") or 0.0)
    if duration <= 0:
        raise PipelineError("the audio has zero duration", path, "check the recording is complete")
    return MediaInfo(
        path=path,
        format_name=str(info.get("format", {}).get("format_name", "")),
        duration=duration,
        audio_codec=str(stream.get("codec_name", "")),
        sample_rate=int(stream.get("sample_rate") or 0),
        channels=int(stream.get("channels") or 0),
        has_video=any(s.get("codec_type") == "video" for s in info.get("streams", [])),
    )


def _run_ffmpeg(info: MediaInfo, out: Path, on_progress: ProgressFn | None) -> None:
    process = (
        ffmpeg.input(_ffmpeg_name(info.path))
        .output(
            str(out), format="wav", acodec="pcm_s16le", ac=1, ar=SAMPLE_RATE, vn=None, map="0:a:0"
        )
        .global_args("-nostdin", "-hide_banner", "-loglevel", "error", "-progress", "pipe:1")
        .overwrite_output()
        .run_async(pipe_stdout=True, pipe_stderr=True)
    )
    assert process.stdout is not None and process.stderr is not None
    for raw in process.stdout:
        key, _, value = raw.decode("ascii", "replace").strip().partition("=")
        if key == "out_time_us" and on_progress and value.isdigit():
            on_progress(min(int(value) / 1e6, info.duration))
    stderr = process.stderr.read()
    if process.wait() != 0:
        raise PipelineError(
            f"ffmpeg could not decode the audio ({_last_line(stderr)})",
            info.path,
            "the file may be corrupt or truncated; export or download it again",
        )


def extract(info: MediaInfo, target: Path, on_progress: ProgressFn | None = None) -> Audio:
    """Write ``target``: 16 kHz mono 16-bit WAV, peak-normalised to -1 dBFS (silence stays silent)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix=".extract-", suffix=".tmp", dir=target.parent) as work,
        atomic_path(target) as tmp,
    ):
        raw = Path(work) / "raw.wav"
        _run_ffmpeg(info, raw, on_progress)
        segment = AudioSegment.from_file(raw, format="wav")
        if len(segment) == 0:
            raise PipelineError(
                "the audio stream holds no samples", info.path, "check the recording"
            )
        gain = 0.0 if segment.max == 0 else -HEADROOM_DB - segment.max_dBFS
        normalize(segment, headroom=HEADROOM_DB).export(tmp, format="wav")
        duration = segment.duration_seconds
    return Audio(path=target, duration=duration, sample_rate=SAMPLE_RATE, gain_db=gain, source=info)
