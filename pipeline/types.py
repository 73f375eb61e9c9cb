"""Plain dataclasses that flow between stages."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

TRANSCRIPT_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class MediaInfo:
    """What ffprobe says about an input recording."""

    path: Path
    format_name: str
    duration: float
    audio_codec: str
    sample_rate: int
    channels: int
    has_video: bool


@dataclass(frozen=True)
class Audio:
    """The extract stage's result: a normalised 16 kHz mono 16-bit WAV."""

    path: Path
    duration: float
    sample_rate: int
    gain_db: float
    source: MediaInfo


@dataclass
class Word:
    start: float
    end: float
    word: str
    probability: float
    speaker: str | None = None


@dataclass
class Segment:
    id: int
    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    speaker: str | None = None


@dataclass
class Transcript:
    """Speech recognition result; the same shape from every engine."""

    language: str
    language_probability: float
    duration: float
    engine: str
    model: str
    segments: list[Segment] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments if s.text.strip())

    def to_dict(self) -> dict[str, Any]:
        return {"schema_version": TRANSCRIPT_SCHEMA_VERSION, **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transcript:
        version = data.get("schema_version")
        if version != TRANSCRIPT_SCHEMA_VERSION:
            raise ValueError(f"unsupported transcript schema_version {version!r}")
        segments = [
            Segment(**{**s, "words": [Word(**w) for w in s.get("words", [])]})
            for s in data["segments"]
        ]
        fields = {k: data[k] for k in ("language", "language_probability", "duration")}
        return cls(**fields, engine=data["engine"], model=data["model"], segments=segments)


@dataclass(frozen=True)
class Turn:
    """A stretch of speech by one (anonymous) speaker; speakers are numbered from 0."""

    start: float
    end: float
    speaker: int


@dataclass(frozen=True)
class Diarization:
    """Who spoke when, and whether the audio was heard as far-field (room microphones)."""

    turns: list[Turn]
    far_field: bool
