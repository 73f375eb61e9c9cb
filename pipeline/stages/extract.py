"""The extract stage: probe a recording with ffprobe, pull one audio track out as 16 kHz
mono 16-bit WAV with ffmpeg (never touching the video), and normalise the level with pydub. A
recording that decodes to much less than its container announces is reported as truncated."""

from __future__ import annotations

import re
import tempfile
import wave
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import ffmpeg
from pydub import AudioSegment
from pydub.utils import db_to_float, ratio_to_db

from ..core.errors import PipelineError
from ..core.probe import Ran, ffmpeg_name, last_line, run_with_progress
from ..core.stage import Context, ProgressFn, Stage
from ..core.store import atomic_path, read_json, write_json
from ..core.types import Audio, AudioTrack, MediaInfo, Notice
from ..core.wav import SAMPLE_RATE

FULL_SCALE = 2**15  # of 16-bit samples (pydub's max_possible_amplitude)


@dataclass(frozen=True)
class ExtractParams:
    sample_rate: int = SAMPLE_RATE
    headroom_db: float = 1.0  # peak level after normalisation, dB below full scale
    truncated_share: float = 0.9  # decoding less than this share of the announced duration …
    truncated_seconds: float = 1.0  # … and at least this much less: the file looks truncated
    audio_track: int = 1  # which of the recording's audio tracks, counted from 1
    # sound on its time stamps lasting over this many times what the container announced (the
    # track, or the whole recording if longer): the stamps are broken (a damaged file) — the
    # sound that decodes is taken closed up instead
    overlong_share: float = 1.5
    silent_dbfs: float = -50.0  # a track never louder than this is called silent


def choose_track(info: MediaInfo, number: int) -> tuple[AudioTrack, Notice | None]:
    """The audio track to transcribe (counted from 1) and, when the recording has several, a
    warning naming them all; a number the recording does not have is a usage error."""
    tracks = "; ".join(t.describe(i) for i, t in enumerate(info.tracks, 1))
    if not 1 <= number <= len(info.tracks):
        raise PipelineError(
            f"audio track {number}: the recording has {len(info.tracks)} audio "
            f"track{'s' if len(info.tracks) > 1 else ''} ({tracks})",
            info.path,
            f"give a number from 1 to {len(info.tracks)}",
            exit_code=2,
        )
    if len(info.tracks) == 1:
        return info.tracks[0], None
    return info.tracks[number - 1], Notice(
        "%(count)s audio tracks (%(tracks)s): transcribed track %(track)s — choose another with "
        "--audio-track N or `audio_track:` in the event sidecar",
        {"count": len(info.tracks), "tracks": tracks, "track": number},
    )


def _run_ffmpeg(
    info: MediaInfo,
    out: Path,
    sample_rate: int,
    track: int,
    duration: float,
    on_progress: ProgressFn | None,
    channel: int = 0,
    timeline: bool = True,
) -> Ran:
    """The track's channels mixed to mono (``channel``: that one alone, counted from 1).

    On the recording's ``timeline``: sound that starts after the video, or skips (a gap in its
    time stamps, as live streams have), is preceded or filled by silence, so transcript and
    subtitle times are the video's. Without it, the sound that decodes, one piece after the
    other."""
    filters = [f"pan=mono|c0=c{channel - 1}"] if channel else []
    filters += ["aresample=async=1:first_pts=0"] if timeline else []
    stream = ffmpeg.input(ffmpeg_name(info.path)).output(
        str(out),
        format="wav",
        acodec="pcm_s16le",
        ac=1,
        ar=sample_rate,
        vn=None,
        map=f"0:a:{track - 1}",
        **({"af": ",".join(filters)} if filters else {}),
    )
    ran = run_with_progress(stream, duration, on_progress)
    if ran.code != 0:
        raise PipelineError(
            f"ffmpeg could not decode the audio ({last_line(ran.stderr)})",
            info.path,
            "the file may be corrupt or truncated; export or download it again",
        )
    return ran


def truncation(decoded: float, announced: float, params: ExtractParams) -> Notice | None:
    """A warning when far less audio decoded than the container announced."""
    if (
        decoded < params.truncated_share * announced
        and announced - decoded >= params.truncated_seconds
    ):
        return Notice(
            "decoded %(decoded)s s of the %(announced)s s announced: the file looks truncated — "
            "download or export it again",
            {"decoded": float(decoded), "announced": float(announced)},
        )
    return None


def damage(ran: Ran) -> Notice | None:
    """A warning when ffmpeg decoded the recording but said it met errors on the way (packets
    it could not decode: a damaged download or disk; what they held is missing or noise)."""
    if not ran.lines:
        return None
    last = re.sub(r" @ 0x[0-9a-f]+\]", "]", last_line(ran.stderr))  # no memory address
    return Notice(
        "ffmpeg met %(count)s error decoding the recording (%(last)s): it is damaged there and "
        "the transcript may miss words — export or download it again if you can",
        {"count": ran.lines, "last": last},
        plural="ffmpeg met %(count)s errors decoding the recording (the last: %(last)s): it "
        "is damaged in places and the transcript may miss words there — export or download it "
        "again if you can",
    )


def _minutes(path: Path) -> Iterator[AudioSegment]:
    """ffmpeg's WAV a minute at a time as pydub segments: memory stays flat however long."""
    with wave.open(str(path), "rb") as wav:
        while data := wav.readframes(wav.getframerate() * 60):
            yield AudioSegment(
                data=data,
                sample_width=wav.getsampwidth(),
                frame_rate=wav.getframerate(),
                channels=wav.getnchannels(),
            )


def _measured(path: Path) -> tuple[int, int]:
    """The peak sample and the number of frames of a WAV ffmpeg wrote."""
    peak, frames = 0, 0
    for chunk in _minutes(path):
        peak, frames = max(peak, chunk.max), frames + int(chunk.frame_count())
    return peak, frames


def _dbfs(peak: int) -> float:
    return ratio_to_db(peak, FULL_SCALE) if peak else -float("inf")


def extract(
    info: MediaInfo, target: Path, params: ExtractParams, on_progress: ProgressFn | None = None
) -> Audio:
    """Write ``target``: 16 kHz mono 16-bit WAV, peak-normalised (silence stays silent)."""
    track, several = choose_track(info, params.audio_track)
    target.parent.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix=".extract-", suffix=".tmp", dir=target.parent) as work,
        atomic_path(target) as tmp,
    ):
        raw, first = Path(work) / "raw.wav", Path(work) / "first.wav"
        decode = partial(
            _run_ffmpeg, info, sample_rate=params.sample_rate, track=params.audio_track
        )
        decoded = decode(raw, duration=track.duration, on_progress=on_progress)
        peak, frames = _measured(raw)
        closed_up = None
        # (the track's or the whole recording's length: sound that starts late is padded to it)
        announced = max(track.duration, info.timeline)
        if frames > params.overlong_share * announced * params.sample_rate:
            plain = Path(work) / "plain.wav"
            decode(plain, duration=track.duration, on_progress=None, timeline=False)
            alone, pieces = _measured(plain)
            if frames - pieces >= params.truncated_seconds * params.sample_rate:
                closed_up = Notice(
                    "the recording's time stamps are broken (on them its sound would last "
                    "%(stamped)s s, %(announced)s s announced): the %(decoded)s s of sound that "
                    "decoded are transcribed one piece after the other, so times after damage "
                    "may be early",
                    {
                        "stamped": round(frames / params.sample_rate, 1),
                        "announced": float(announced),
                        "decoded": round(pieces / params.sample_rate, 1),
                    },
                )
                plain.replace(raw)
                peak, frames = alone, pieces
                decode = partial(decode, timeline=False)
        cancelled = None
        if _dbfs(peak) < params.silent_dbfs and track.channels > 1:  # do the channels cancel?
            decode(first, duration=track.duration, on_progress=None, channel=1)
            alone, _ = _measured(first)
            if _dbfs(alone) >= params.silent_dbfs:
                first.replace(raw)
                peak = alone
                cancelled = Notice(
                    "the %(count)s channels cancel each other out when mixed (one is the other "
                    "inverted: a wiring or microphone fault) — transcribed the first channel alone",
                    {"count": track.channels},
                )
        if frames == 0:
            raise PipelineError(
                "the audio stream holds no samples", info.path, "check the recording"
            )
        # pydub's normalize(), with the whole recording's peak, applied a minute at a time
        gain = (
            0.0 if peak == 0 else ratio_to_db(FULL_SCALE * db_to_float(-params.headroom_db) / peak)
        )
        with wave.open(str(tmp), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(params.sample_rate)
            for chunk in _minutes(raw):
                out.writeframesraw(chunk.apply_gain(gain).raw_data)
        duration = frames / params.sample_rate
    max_dbfs = _dbfs(peak)
    silent = None
    if max_dbfs < params.silent_dbfs and several:  # said with the tracks the speech may be on
        several = Notice(
            "%(count)s audio tracks (%(tracks)s): transcribed track %(track)s — choose another "
            "with --audio-track N or `audio_track:` in the event sidecar; track %(track)s is "
            "silent — is the speech on another?",
            several.values,
        )
    elif max_dbfs < params.silent_dbfs:
        silent = Notice(
            "the audio is silent (never louder than %(dbfs)s dBFS) — was the microphone muted, "
            "or another source recorded?",
            {"dbfs": f"{params.silent_dbfs:g}"},
        )
    # closed up, the sound is shorter than announced without being cut off
    cut = None if closed_up else truncation(duration, track.duration, params)
    warnings = [closed_up, cut, None if cut else damage(decoded), several, cancelled, silent]
    return Audio(
        duration=round(duration, 3),
        sample_rate=params.sample_rate,
        gain_db=round(gain, 2),
        announced=round(track.duration, 3),
        warnings=[w for w in warnings if w is not None],
    )


class Extract(Stage):
    """Recording → ``audio.wav`` (+ ``audio.json``: durations, gain, warnings)."""

    name = "extract"
    Params = ExtractParams
    reads_source = True
    libraries = ("ffmpeg-python", "pydub", "ffmpeg")

    def params(self, ctx: Context) -> ExtractParams:
        if ctx.info is not None:  # a track the recording lacks: refused before any work
            choose_track(ctx.info, ctx.audio_track)
        return ExtractParams(audio_track=ctx.audio_track)

    def outputs(self, ctx: Context, params: Any) -> list[Path]:
        return [ctx.out / "audio.wav", ctx.out / "audio.json"]

    def run(
        self, ctx: Context, params: ExtractParams, inputs: dict[str, Any], progress: ProgressFn
    ) -> Audio:
        assert ctx.info is not None
        return extract(ctx.info, ctx.out / "audio.wav", params, progress)

    def write(self, ctx: Context, params: Any, result: Audio) -> None:
        write_json(ctx.out / "audio.json", result.to_dict())

    def load(self, ctx: Context, params: Any, inputs: Mapping[str, Any]) -> Audio:
        return Audio.from_dict(read_json(ctx.out / "audio.json"))

    def facts(self, result: Audio) -> dict[str, Any]:
        warnings = [str(w) for w in result.warnings]
        return {"duration": result.duration, "gain_db": result.gain_db, "warnings": warnings}
