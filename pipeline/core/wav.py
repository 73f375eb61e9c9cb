"""The WAV the extract stage writes (16 kHz mono 16-bit) and the readers of the stages after it.
Its own module, so that a change to how audio is extracted (a setting or the code) changes the
transcribe and diarize keys only when the WAV itself changes."""

from __future__ import annotations

import contextlib
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .errors import PipelineError

SAMPLE_RATE = 16000


@contextlib.contextmanager
def open_wav(path: Path) -> Iterator[Any]:
    """The extract stage's WAV, open for reading (anything else is refused)."""
    with wave.open(str(path), "rb") as wav:
        if wav.getframerate() != SAMPLE_RATE or wav.getnchannels() != 1 or wav.getsampwidth() != 2:
            raise PipelineError("expected 16 kHz mono 16-bit WAV", path, "re-run the extract stage")
        yield wav


def read_samples(wav: Any, start: int, count: int) -> np.ndarray:
    """``count`` samples from ``start`` as float32 in [-1, 1], read a minute at a time."""
    wav.setpos(start)
    audio = np.empty(count, dtype=np.float32)
    done = 0
    while done < count and (chunk := wav.readframes(min(SAMPLE_RATE * 60, count - done))):
        samples = np.frombuffer(chunk, dtype=np.int16)
        audio[done : done + len(samples)] = samples
        done += len(samples)
    audio = audio[:done]
    audio *= 1 / 32768.0
    return audio


def load_audio(path: Path) -> np.ndarray:
    """The extract stage's WAV as float32 samples in [-1, 1]."""
    with open_wav(path) as wav:
        return read_samples(wav, 0, wav.getnframes())


def spans_only(path: Path, spans: list[tuple[float, float]]) -> np.ndarray:
    """The WAV as float32 samples in [-1, 1] where ``spans`` (seconds) lie and zeros elsewhere:
    the zeros are pages the system never hands out until written, so only the spans take
    memory — as much as a few clips need, however long the recording is."""
    with open_wav(path) as wav:
        audio = np.zeros(wav.getnframes(), dtype=np.float32)
        for start, end in spans:
            first = max(0, int(start * SAMPLE_RATE))
            clip = read_samples(wav, first, max(0, min(len(audio), int(end * SAMPLE_RATE)) - first))
            audio[first : first + len(clip)] = clip
    return audio


def mapped_samples(path: Path) -> np.ndarray:
    """The extract stage's WAV as its 16-bit samples, memory-mapped: read from disk as they are
    used, never all in memory at once (a three-hour recording is 330 MB of them)."""
    from scipy.io import wavfile

    with open_wav(path):  # refused unless it is what the extract stage writes
        pass
    return wavfile.read(path, mmap=True)[1]


def as_float(samples: np.ndarray) -> np.ndarray:
    """float32 in [-1, 1]: 16-bit samples scaled (a copy, as ``load_audio`` reads them), float
    samples as they are."""
    if samples.dtype != np.int16:
        return samples
    scaled = samples.astype(np.float32)
    scaled *= 1 / 32768.0
    return scaled
