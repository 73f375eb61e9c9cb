"""Participants' own tracks (Zoom's "separate audio file for each participant",
``core.participants``) → ``tracks.json``: who spoke when, by the name each joined with.

A track starts when its person joined, not when the recording did; its place in the recording
is found by looking for its sound there: the minute of the track with most speech (Silero VAD,
as faster-whisper ships it) is cross-correlated with the whole recording, both at
``rate`` Hz (normalised by the recording's energy under it, so a loud stretch does not win by
loudness), and the track is used only if its speech, stretch by stretch, correlates with the
recording's at that offset at least ``match`` on average (the track's sound is in the mix there:
≥ 0.78 on the benchmark's tracks, leaking ones included; another meeting's, or the same voices
saying other words, ≤ 0.42: ``bench/diarization.py --tracks``). Each used track's own speech —
the VAD once the others' voices leaking into it are silenced — shifted by its offset, is who
spoke when: the name stage regroups, names and times the turns by it."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..core import participants
from ..core.errors import PipelineError
from ..core.probe import ffmpeg_name
from ..core.stage import Context, ProgressFn, Stage
from ..core.store import read_json, write_json
from ..core.types import PlacedTracks, Track
from ..core.wav import SAMPLE_RATE

NO_SPEECH = "no speech"  # why a track is not used when the VAD hears nothing in it


@dataclass(frozen=True)
class TracksParams:
    tracks: tuple[tuple[str, str], ...] = ()  # (file name, sha256) of every track
    rate: int = 4000  # Hz a track and the recording are compared at
    excerpt: float = 60.0  # seconds of a track (its most spoken) looked for in the recording
    # a track whose speech correlates with the recording's less than this at the offset found is
    # not used (set a priori, midway between a prototype's ≥ 0.96 where a track belonged and
    # ≤ 0.27 where it did not, on two tune panels)
    match: float = 0.5
    min_silence: float = 0.5  # seconds of silence that end a stretch of a track's speech
    pad: float = 0.1  # seconds added to either side of a stretch of speech
    frame: float = 0.1  # seconds over which the tracks' loudness is compared
    # a track's speech this many dB below the loudest track's at the time is the others' voices
    # leaking into its microphone, not its person's (set a priori, between the 30 dB down the
    # benchmark's leaking tracks hold the others at and two people talking at once)
    leak: float = 20.0


def decode(path: Path, rate: int) -> np.ndarray:
    """``path``'s first audio track as mono float32 samples at ``rate`` Hz (ffmpeg)."""
    args = ["ffmpeg", "-nostdin", "-v", "error", "-i", ffmpeg_name(path), "-map", "0:a:0"]
    args += ["-ac", "1", "-ar", str(rate), "-f", "f32le", "pipe:1"]
    done = subprocess.run(args, capture_output=True, check=False)
    if done.returncode != 0:
        said = done.stderr.decode(errors="replace").strip().splitlines()
        why = said[-1].rsplit(": ", 1)[-1] if said else "ffmpeg failed"  # not ffmpeg's file name
        raise PipelineError(
            f"cannot be decoded ({why})",
            path,
            "download the participant's track again, or move it away",
        )
    return np.frombuffer(done.stdout, np.float32)


def speech(audio: np.ndarray, p: TracksParams) -> list[tuple[float, float]]:
    """The stretches of speech (seconds) of a 16-kHz track."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(
        min_silence_duration_ms=int(p.min_silence * 1000), speech_pad_ms=int(p.pad * 1000)
    )
    return [
        (r["start"] / SAMPLE_RATE, r["end"] / SAMPLE_RATE)
        for r in get_speech_timestamps(audio, options)
    ]


def most_spoken(stretches: Sequence[tuple[float, float]], seconds: float) -> tuple[float, float]:
    """The stretch of at most ``seconds`` holding most of ``stretches``' speech: from the start
    of one to the end of the last that ends within it."""

    def held(start: float) -> float:
        return sum(max(0.0, min(b, start + seconds) - max(a, start)) for a, b in stretches)

    start = max((a for a, _ in stretches), key=held)
    ends = [b for a, b in stretches if a >= start and b <= start + seconds]
    return start, max(ends, default=start + seconds)


def locate(mix: np.ndarray, excerpt: np.ndarray) -> int:
    """Where in ``mix`` (samples; below 0 or near its end where the excerpt would overhang it,
    by at most half its length) ``excerpt`` correlates best, the mix's energy there aside."""
    from scipy.signal import oaconvolve

    n = len(excerpt)
    rim = np.zeros(n - 1, np.float32)
    padded = np.concatenate((rim, mix, rim))
    dots = oaconvolve(padded, excerpt[::-1], mode="valid")
    energy = np.concatenate(([0.0], np.cumsum(padded.astype(np.float64) ** 2)))
    under = np.sqrt(np.maximum(energy[n:] - energy[:-n], 1e-12))
    starts = np.arange(len(dots)) - (n - 1)
    inside = np.minimum(starts + n, len(mix)) - np.maximum(starts, 0)
    return int(np.argmax(np.where(inside * 2 >= n, np.abs(dots) / under, 0.0))) - (n - 1)


def matched(
    mix: np.ndarray,
    track: np.ndarray,
    shift: int,
    stretches: Sequence[tuple[float, float]],
    rate: int,
) -> float:
    """How closely the track's speech correlates with the recording's when moved by ``shift``
    samples: each stretch's correlation, weighted by its length (a stretch outside the
    recording counts as 0)."""
    scores, weights = [], []
    for a, b in stretches:
        i, j = int(a * rate), int(b * rate)
        if j - i < 2:
            continue
        weights.append(j - i)
        if i + shift < 0 or j + shift > len(mix):
            scores.append(0.0)
            continue
        x, y = mix[i + shift : j + shift], track[i:j]
        scores.append(float(np.dot(x, y) / np.sqrt(np.dot(x, x) * np.dot(y, y) + 1e-12)))
    return float(np.average(scores, weights=weights)) if weights else 0.0


def levels(track: np.ndarray, shift: int, frames: int, p: TracksParams) -> np.ndarray:
    """The track's loudness (dB) in each ``p.frame`` of the recording (``frames`` of them),
    moved by ``shift`` samples; -inf where it holds nothing."""
    size = int(p.frame * p.rate)
    placed = np.zeros(frames * size, np.float32)
    a, b = max(0, shift), min(len(placed), shift + len(track))
    if b > a:
        placed[a:b] = track[a - shift : b - shift]
    power = (placed.reshape(frames, size).astype(np.float64) ** 2).mean(axis=1)
    with np.errstate(divide="ignore"):
        return 10 * np.log10(power)


def place(
    path: Path, mix: np.ndarray, p: TracksParams
) -> tuple[Track, tuple[float, np.ndarray] | None]:
    """One track found in the recording (``mix`` at ``p.rate``): its entry and, when used, its
    offset and its loudness in the recording's time (``levels``)."""
    who = participants.who(path)
    stretches = speech(decode(path, SAMPLE_RATE), p)
    if not stretches:
        return Track(path.name, who, None, 0.0, 0.0, False, NO_SPEECH), None
    track = decode(path, p.rate)  # ffmpeg's resampler, as the recording's
    duration = len(mix) / p.rate
    start, end = most_spoken(stretches, min(p.excerpt, duration))
    first = int(start * p.rate)
    shift = locate(mix, track[first : int(end * p.rate)]) - first
    score = round(matched(mix, track, shift, stretches, p.rate), 3)
    offset = round(shift / p.rate, 3)
    spoken = round(sum(b - a for a, b in stretches), 1)
    if score < p.match:
        why = "its speech is not heard in the recording"
        return Track(path.name, who, offset, score, spoken, False, why), None
    frames = int(np.ceil(duration / p.frame))
    return Track(path.name, who, offset, score, spoken, True), (
        offset,
        levels(track, shift, frames, p),
    )


def own_speech(
    path: Path, offset: float, kept: np.ndarray, p: TracksParams
) -> list[tuple[float, float]]:
    """A track's speech in the recording's time, heard (Silero VAD) in its sound kept only in
    the ``p.frame``s of the recording marked ``kept`` (those where its person is heard, not the
    others leaking in: ``dominant``)."""
    audio = decode(path, SAMPLE_RATE).copy()
    end = len(kept) * p.frame  # the recording's end, in whole frames

    def at(seconds: float) -> int:  # the track's sample at a time of the recording
        return min(len(audio), max(0, round((seconds - offset) * SAMPLE_RATE)))

    audio[: at(0.0)] = 0
    audio[at(end) :] = 0
    runs = np.flatnonzero(np.diff(np.concatenate(([0], (~kept).astype(np.int8), [0]))))
    for a, b in runs.reshape(-1, 2):  # frames a … b - 1 are not its person's
        audio[at(a * p.frame) : at(b * p.frame)] = 0
    return [
        (round(max(0.0, a + offset), 3), round(min(end, b + offset), 3))
        for a, b in speech(audio, p)
        if b + offset > 0 and a + offset < end
    ]


def dominant(level: np.ndarray, loudest: np.ndarray, p: TracksParams) -> np.ndarray:
    """The frames where a track is no more than ``p.leak`` dB below the loudest track: its
    person's voice, or two people at once — not the others' voices leaking into its microphone,
    far lower (in a pause every track is near silence, and the VAD hears no speech there)."""
    return level >= loudest - p.leak


def find_tracks(
    paths: Sequence[Path], wav: Path, p: TracksParams, progress: Callable[[float], None]
) -> PlacedTracks:
    """Every track placed in the recording (the extract stage's ``wav``), then each one's own
    speech; one that cannot be decoded is listed as not used, with why."""
    mix = decode(wav, p.rate)
    entries, found = [], []
    for i, path in enumerate(paths):
        try:
            entry, placed = place(path, mix, p)
        except PipelineError as exc:
            who = participants.who(path)
            entry, placed = Track(path.name, who, None, 0.0, 0.0, False, exc.what), None
        entries.append(entry)
        if placed is not None:
            found.append((path, entry.who, *placed))
        progress((i + 1) / len(paths) / 2)  # half the work: placing them
    del mix
    loudest = np.max([level for *_, level in found], axis=0) if found else np.zeros(0)
    spoken = []
    for i, (path, who, offset, level) in enumerate(found):
        said = own_speech(path, offset, dominant(level, loudest, p), p)
        spoken += [(a, b, who) for a, b in said]
        progress(0.5 + (i + 1) / len(found) / 2)
    return PlacedTracks(entries, sorted(spoken))


class Tracks(Stage):
    """The participants' own tracks → ``tracks.json`` (only where there are some, and speakers
    are wanted)."""

    name = "tracks"
    Params = TracksParams
    needs = ("extract",)
    libraries = ("faster-whisper", "onnxruntime", "scipy", "numpy")

    def enabled(self, ctx: Context) -> bool:
        return bool(ctx.tracks) and ctx.settings.diarize  # --no-diarize: no speakers at all

    def params(self, ctx: Context) -> TracksParams:
        return TracksParams(tracks=tuple((t.name, sha) for t, sha in ctx.tracks))

    def outputs(self, ctx: Context, params: Any) -> list[Path]:
        return [ctx.out / "tracks.json"]

    def run(
        self, ctx: Context, params: TracksParams, inputs: Mapping[str, Any], progress: ProgressFn
    ) -> PlacedTracks:
        paths = [t for t, _ in ctx.tracks]
        return find_tracks(paths, ctx.out / "audio.wav", params, progress)

    def write(self, ctx: Context, params: Any, result: PlacedTracks) -> None:
        write_json(ctx.out / "tracks.json", result.to_dict())

    def load(self, ctx: Context, params: Any, inputs: Mapping[str, Any]) -> PlacedTracks:
        return PlacedTracks.from_dict(read_json(ctx.out / "tracks.json"))

    def facts(self, result: PlacedTracks) -> dict[str, Any]:
        return {"tracks": len(result.tracks), "used": sum(t.used for t in result.tracks)}
