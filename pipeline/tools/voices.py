"""Test webinars from real voices, with known turns: a moderator with short turns, panelists with
long ones in two rounds, audience questions, pauses, short overlaps, a level of its own for each
person. Built from ``../shared/data/voices`` (LibriSpeech and VCTK read speech, CC BY 4.0): the
people are real and different, their words are not a script (so no names are said).

The people with a minute or more of speech (10 LibriSpeech test-other readers, 4 VCTK speakers)
are split into two pools: ``TUNE`` for choosing thresholds, ``REPORT`` for reporting them (never
tuned on). The one-utterance readers are the audience, split the same way by their id's parity.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.signal import fftconvolve

from ..core.store import atomic_path, atomic_write
from ..outputs.formats import rttm_line

SR = 16000
# Pools of the people with ≥ 1 min of speech: each mixes women and men, LibriSpeech and VCTK
# (two VCTK people recorded in the same studio are the hardest pair CAM++ knows of).
TUNE = ("367", "533", "1688", "2033", "2414", "p225", "p226")
REPORT = ("1998", "2609", "3005", "3080", "3331", "p227", "p228")


@dataclass(frozen=True)
class Person:
    id: str
    gender: str
    files: tuple[Path, ...]


@dataclass(frozen=True)
class Turn:
    speaker: str
    start: float
    end: float
    role: str  # moderator | panelist | audience


@dataclass(frozen=True)
class VoiceWebinar:
    wav: Path
    rttm: Path
    truth: Path
    turns: tuple[Turn, ...]
    people: tuple[str, ...]


def people(root: Path) -> dict[str, Person]:
    """Everyone in the voices folder: id → person (files in a stable order)."""
    found: dict[str, Person] = {}
    for table, folder in (
        (root / "librispeech" / "speakers.tsv", None),
        (root / "vctk" / "speakers.tsv", root / "vctk"),
    ):
        with table.open(encoding="utf-8") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                pid = row["speaker"]
                if folder is not None:
                    files = sorted((folder / pid).glob("*.wav"))
                elif (root / "librispeech" / "test-other" / pid).is_dir():
                    files = sorted((root / "librispeech" / "test-other" / pid).glob("*.flac"))
                else:
                    files = sorted((root / "librispeech" / "train-clean-100").glob(f"{pid}-*.flac"))
                if files:
                    found[pid] = Person(pid, row["gender"], tuple(files))
    return found


def audience(root: Path, pool: str) -> list[str]:
    """The one-utterance readers of a pool (``tune``: even ids, ``report``: odd ids)."""
    everyone = people(root)
    parity = 0 if pool == "tune" else 1
    return sorted(p.id for p in everyone.values() if len(p.files) == 1 and int(p.id) % 2 == parity)


def _read(path: Path) -> np.ndarray:
    import soundfile

    audio, rate = soundfile.read(str(path), dtype="float32", always_2d=False)
    if rate != SR:
        raise ValueError(f"{path}: {rate} Hz, expected {SR}")
    return audio if audio.ndim == 1 else audio.mean(axis=1)


def _trim(audio: np.ndarray, floor: float = 0.02) -> np.ndarray:
    """Leading and trailing near-silence removed (turn times are then speech times)."""
    frame = SR // 50
    energy = np.sqrt(np.convolve(audio**2, np.ones(frame) / frame, mode="same"))
    loud = np.flatnonzero(energy > floor * max(float(energy.max()), 1e-9))
    return audio[loud[0] : loud[-1] + 1] if loud.size else audio[:0]


def _quiet_cut(audio: np.ndarray, near: int, window: int = SR // 2) -> int:
    """The quietest 20-ms frame within ``window`` samples of ``near``: where to cut a turn."""
    frame = SR // 50
    lo, hi = max(frame, near - window), min(len(audio) - frame, near + window)
    if hi <= lo:
        return min(max(near, 0), len(audio))
    starts = np.arange(lo, hi, frame // 2)
    energy = [float(np.mean(audio[s - frame // 2 : s + frame // 2] ** 2)) for s in starts]
    return int(starts[int(np.argmin(energy))])


def _speech(audio: np.ndarray) -> list[tuple[int, int]]:
    """Speech regions (samples) of one person's clean audio, by Silero VAD: pauses of 0.3 s or
    more are not speech, as in the usual references."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(min_silence_duration_ms=300, speech_pad_ms=30, min_speech_duration_ms=100)
    scale = max(float(np.abs(audio).max()), 1e-9)
    return [(r["start"], r["end"]) for r in get_speech_timestamps(audio / scale, options)]


class _Speech:
    """A person's utterances, handed out in order: whole ones or short pieces of one."""

    def __init__(self, person: Person, rng: random.Random) -> None:
        self.parts = [_trim(_read(p)) for p in person.files]
        rng.shuffle(self.parts)
        self.current = np.zeros(0, np.float32)

    def gain(self, dbfs: float) -> float:
        """The factor that brings this person's speech to ``dbfs`` (RMS of their utterances)."""
        power = np.mean(np.concatenate(self.parts) ** 2)
        return float(10 ** (dbfs / 20) / max(np.sqrt(power), 1e-9))

    def take(self, seconds: float) -> np.ndarray:
        """About ``seconds`` of speech, cut at a quiet moment; less when the person runs out."""
        out: list[np.ndarray] = []
        need = int(seconds * SR)
        while need > SR // 2 and (len(self.current) or self.parts):
            if not len(self.current):
                self.current = self.parts.pop(0)
            if len(self.current) <= need + SR:
                piece, self.current = self.current, np.zeros(0, np.float32)
            else:
                cut = _quiet_cut(self.current, need)
                piece, self.current = self.current[:cut], _trim(self.current[cut:])
            out.append(_trim(piece))
            need -= len(piece)
            if need > SR // 2:  # a breath between two utterances of one turn
                out.append(np.zeros(int(0.35 * SR), np.float32))
        return np.concatenate(out) if out else np.zeros(0, np.float32)


def script(moderator: str, panelists: list[str], guests: list[str]) -> list[tuple[str, str, float]]:
    """(speaker, role, seconds) in order: opening, two rounds of hand-overs and talks, questions
    from the floor with answers, closing."""
    plan: list[tuple[str, str, float]] = [
        (moderator, "moderator", 6.0),
        (moderator, "moderator", 4.0),
    ]
    for length in (32.0, 26.0):
        for p in panelists:
            plan += [(moderator, "moderator", 3.0), (p, "panelist", length)]
    for i, guest in enumerate(guests):
        plan += [
            (moderator, "moderator", 2.5),
            (guest, "audience", 12.0),
            (panelists[i % len(panelists)], "panelist", 10.0),
        ]
    plan.append((moderator, "moderator", 4.0))
    return plan


def build(
    root: Path,
    folder: Path,
    name: str,
    moderator: str,
    panelists: list[str],
    guests: list[str],
    seed: int,
    rooms: Mapping[str, np.ndarray] | None = None,
    tracks: bool = False,
) -> VoiceWebinar:
    """Write ``<name>.wav`` (16 kHz mono), ``<name>.rttm`` and ``<name>.truth.json``. ``rooms``
    gives a person's room as heard by their microphone (an impulse response): their speech is
    convolved with it, its tail rings on after the turn, the reference still marks the speech.
    ``tracks``: also each person's own track, ``<name>.track-<person>.wav`` (what a meeting
    platform records of each participant: their speech where it lies in the mix, quiet else)."""
    rng = random.Random(seed)
    everyone = people(root)
    cast = [moderator, *panelists, *guests]
    speech = {pid: _Speech(everyone[pid], rng) for pid in cast}
    # every person's speech brought to −23 dBFS, then a level of their own within −6…+3 dB (the
    # spread of a webinar's microphones after the platform's gain control), ±1 dB per turn
    gain = {pid: speech[pid].gain(-23.0 + rng.uniform(-6.0, 3.0)) for pid in cast}
    pieces: list[tuple[int, np.ndarray]] = []
    turns: list[Turn] = []
    cursor = int(1.0 * SR)
    for speaker, role, seconds in script(moderator, panelists, guests):
        audio = speech[speaker].take(seconds) * gain[speaker] * 10 ** (rng.uniform(-1, 1) / 20)
        if not len(audio):
            continue
        overlap = rng.random() < 0.2 and turns and turns[-1].speaker != speaker
        start = cursor - int(rng.uniform(0.2, 0.7) * SR) if overlap else cursor
        heard = fftconvolve(audio, rooms[speaker]) if rooms and speaker in rooms else audio
        pieces.append((start, heard.astype(np.float32), speaker))
        for a, b in _speech(audio):  # the reference marks speech, not the pauses inside a turn
            turns.append(
                Turn(speaker, round((start + a) / SR, 3), round((start + b) / SR, 3), role)
            )
        cursor = start + len(audio) + int(rng.uniform(0.25, 1.2) * SR)
    mix = np.zeros(max([cursor, *(s + len(a) for s, a, _ in pieces)]) + SR, np.float32)
    own = {pid: np.zeros_like(mix) for pid in cast} if tracks else {}
    for start, audio, speaker in pieces:
        mix[start : start + len(audio)] += audio
        if tracks:
            own[speaker][start : start + len(audio)] += audio
    noise = np.random.default_rng(seed)
    mix += noise.normal(0, 1e-4, len(mix)).astype(np.float32)  # room tone
    peak = max(1.0, float(np.abs(mix).max()) / 0.99)  # no clipping
    mix /= peak
    folder.mkdir(parents=True, exist_ok=True)
    import soundfile

    for pid, audio in own.items():
        audio += noise.normal(0, 1e-4, len(audio)).astype(np.float32)
        with atomic_path(folder / f"{name}.track-{pid}.wav") as tmp:
            soundfile.write(str(tmp), audio / peak, SR, subtype="PCM_16", format="WAV")
    files = VoiceWebinar(
        folder / f"{name}.wav",
        folder / f"{name}.rttm",
        folder / f"{name}.truth.json",
        tuple(turns),
        tuple(cast),
    )
    with atomic_path(files.wav) as tmp:
        soundfile.write(str(tmp), mix, SR, subtype="PCM_16", format="WAV")
    atomic_write(
        files.rttm, "".join(rttm_line(name, t.start, t.end - t.start, t.speaker) for t in turns)
    )
    truth = {"people": cast, "turns": [asdict(t) for t in turns], "seed": seed}
    atomic_write(files.truth, json.dumps(truth, indent=1) + "\n")
    return files


def build_panel(root: Path, folder: Path, spec: dict, tracks: bool = False) -> VoiceWebinar:
    """``build`` for one of ``panels``' casts; ``spec["room"]`` ("own" or "shared") puts its
    people in reverberant rooms (``rooms``)."""
    return build(
        root,
        folder,
        spec["name"],
        spec["moderator"],
        spec["panelists"],
        spec["guests"],
        spec["seed"],
        rooms(spec, spec["room"]) if spec.get("room") else None,
        tracks,
    )


def room_response(
    rng: np.random.Generator,
    rt60: float,
    distance: float,
    size: np.ndarray | None = None,
    microphone: np.ndarray | None = None,
) -> np.ndarray:
    """The impulse response from a talker ``distance`` metres from a microphone in a shoebox
    room whose reverberation time is ``rt60`` seconds (image-source method, pyroomacoustics;
    Sabine's formula gives the walls' absorption), scaled to unit energy — the platform's gain
    control sets the level. A random room and microphone place unless given."""
    import pyroomacoustics as pra

    if size is None:
        size = np.array([rng.uniform(4, 8), rng.uniform(3, 6), rng.uniform(2.5, 3.2)])
    if microphone is None:
        microphone = size * [rng.uniform(0.3, 0.7), rng.uniform(0.3, 0.7), 0] + [0, 0, 0.8]
    for _ in range(100):  # a mouth at seated height, inside the room, half a metre from walls
        angle = rng.uniform(0, 2 * np.pi)
        source = microphone + np.array([distance * np.cos(angle), distance * np.sin(angle), 0.4])
        if np.all(source > 0.5) and np.all(source < size - 0.5):
            break
    else:  # no such place that far away: the nearest one inside
        source = np.clip(source, 0.5, size - 0.5)
    absorption, order = pra.inverse_sabine(rt60, size)
    room = pra.ShoeBox(size, fs=SR, materials=pra.Material(absorption), max_order=order)
    room.add_source(source)
    room.add_microphone(microphone)
    room.compute_rir()
    response = np.asarray(room.rir[0][0], np.float64)
    return response / np.linalg.norm(response)


def rooms(spec: dict, layout: str) -> dict[str, np.ndarray]:
    """Each person of a panel as their microphone hears them. ``own``: everyone at home or in
    an office of their own (reverberation 0.2–0.8 s, 0.3–1.5 m from a laptop's microphone);
    ``shared``: a hybrid meeting, everyone in one room (6–9 × 4–7 m, 0.4–0.8 s) 1–3 m from
    one microphone on the table."""
    rng = np.random.default_rng(spec["seed"])
    cast = [spec["moderator"], *spec["panelists"], *spec["guests"]]
    if layout == "own":
        return {p: room_response(rng, rng.uniform(0.2, 0.8), rng.uniform(0.3, 1.5)) for p in cast}
    size = np.array([rng.uniform(6, 9), rng.uniform(4, 7), 3.0])
    microphone = size * [0.5, 0.5, 0] + [0, 0, 0.8]
    rt60 = rng.uniform(0.4, 0.8)
    return {p: room_response(rng, rt60, rng.uniform(1, 3), size, microphone) for p in cast}


def _round_trip(source: Path, target: Path, kept: str, **encode: Any) -> Path:
    """``source`` written as the file ``kept`` with the ffmpeg output options ``encode``, then
    decoded back to 16 kHz mono 16-bit WAV at ``target`` (written atomically)."""
    import tempfile

    import ffmpeg

    quiet = ("-nostdin", "-loglevel", "error")
    with tempfile.TemporaryDirectory() as work, atomic_path(target) as tmp:
        middle = str(Path(work) / kept)
        ffmpeg.input(str(source)).output(middle, **encode).global_args(*quiet).run(
            capture_stdout=True, capture_stderr=True
        )
        ffmpeg.input(middle).output(str(tmp), ar=SR, ac=1, acodec="pcm_s16le", f="wav").global_args(
            *quiet
        ).run(overwrite_output=True, capture_stdout=True, capture_stderr=True)
    return target


def telephone(source: Path, target: Path) -> Path:
    """``source`` as a dial-in bridge records it: 300–3400 Hz, 8 kHz G.711 µ-law, back to 16 kHz
    mono 16-bit WAV at ``target`` (ffmpeg both ways)."""
    line = {"af": "highpass=f=300,lowpass=f=3400", "ar": 8000, "ac": 1, "acodec": "pcm_mulaw"}
    return _round_trip(source, target, "line.wav", **line)


# how call recorders and streaming sites keep a webinar's sound: ffmpeg encoder arguments
CODECS = {
    "Opus 16 kbit/s": ("ogg", {"c:a": "libopus", "b:a": "16k", "application": "voip"}),
    "AAC 32 kbit/s": ("m4a", {"c:a": "aac", "b:a": "32k"}),
}


def lossy(source: Path, target: Path, codec: str) -> Path:
    """``source`` encoded with one of ``CODECS`` and decoded back to 16 kHz mono 16-bit WAV at
    ``target`` (ffmpeg both ways)."""
    suffix, args = CODECS[codec]
    return _round_trip(source, target, f"kept.{suffix}", **args)


def panels(root: Path, pool: str, count: int = 3) -> list[dict]:
    """``count`` panel casts from a pool: each a moderator, four panelists and two audience
    members, different people and seeds per panel."""
    long = TUNE if pool == "tune" else REPORT
    guests = audience(root, pool)
    out = []
    for i in range(count):
        rng = random.Random(f"{pool}-{i}")
        cast = rng.sample(long, 5)
        out.append(
            {
                "name": f"voices-{pool}-{i + 1}",
                "moderator": cast[0],
                "panelists": cast[1:],
                "guests": rng.sample(guests, 2),
                "seed": 1000 * (i + 1) + (0 if pool == "tune" else 1),
            }
        )
    return out
