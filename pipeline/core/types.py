"""Plain dataclasses that flow between stages: every stage's result, with ``to_dict`` (what the
stage writes as JSON) and ``from_dict`` (how a later run reads it back)."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

TRANSCRIPT_SCHEMA_VERSION = 1


def _without_empty(value: Any, key: str) -> Any:
    """``value`` (JSON-like) without ``key`` wherever it holds an empty string."""
    if isinstance(value, dict):
        return {k: _without_empty(v, key) for k, v in value.items() if not (k == key and v == "")}
    if isinstance(value, list):
        return [_without_empty(v, key) for v in value]
    return value


@dataclass(frozen=True)
class AudioTrack:
    """One audio stream of a recording, as ffprobe tags it."""

    duration: float
    codec: str
    channels: int
    language: str = ""  # the container's tag (ISO 639-2, e.g. "eng", "deu"), if any
    title: str = ""

    def describe(self, number: int) -> str:
        """``2: deu, “Interpretation”, 2 ch``."""
        tags = [t for t in (self.language, f"“{self.title}”" if self.title else "") if t]
        return f"{number}: {', '.join([*tags, f'{self.channels} ch'])}"


@dataclass(frozen=True)
class MediaInfo:
    """What ffprobe says about an input recording (``duration`` … ``channels``: its first audio
    track; ``tracks``: every one)."""

    path: Path
    format_name: str
    duration: float
    audio_codec: str
    sample_rate: int
    channels: int
    has_video: bool
    tracks: tuple[AudioTrack, ...] = ()
    timeline: float = 0.0  # the whole recording's length, as its container tells it (0: untold)


# --- extract --------------------------------------------------------------------------------


Translate = Callable[[str, str, int], str]
Number = Callable[[float, int], str]
_DECIMALS = re.compile(r"%\((\w+)\)\.(\d)f")


def _as_written(message: str, plural: str, count: int) -> str:
    return plural if plural and count != 1 else message


def _with_point(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}"


@dataclass
class Notice:
    """Words for a reader, in English with ``%(name)s`` places: the message id of the documents'
    catalogs (``outputs.locale.notice``) and what fills them. ``plural`` is the message when
    ``values["count"]`` is not 1. A value may be a notice (its words translated too) or a list
    of them (joined with "; "); a float is written with one decimal, or as many as its place
    says (``%(distance).2f``)."""

    message: str
    values: dict[str, Any] = field(default_factory=dict)
    plural: str = ""

    def say(self, translate: Translate | None = None, number: Number | None = None) -> str:
        """The words, through ``translate(message, plural, count)`` with numbers written by
        ``number(value, decimals)`` (English, with a point, by default)."""
        translate = translate or _as_written
        number = number or _with_point
        message = translate(self.message, self.plural, self.values.get("count", 1))
        decimals = {k: int(d) for k, d in _DECIMALS.findall(message)}
        values = {}
        for key, value in self.values.items():
            if isinstance(value, Notice):
                value = value.say(translate, number)
            elif isinstance(value, list):
                value = "; ".join(v.say(translate, number) for v in value)
            elif isinstance(value, float):
                value = number(value, decimals.get(key, 1))
            values[key] = value
        return _DECIMALS.sub(r"%(\1)s", message) % values

    def __str__(self) -> str:
        return self.say()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Notice:
        return cls(
            data["message"],
            {k: _revive(v) for k, v in data["values"].items()},
            data.get("plural", ""),
        )


def joined(parts: list[Notice]) -> Notice:
    """Notices said one after another: "A and B and C", the "and" in the reader's language."""
    said = parts[0]
    for part in parts[1:]:
        said = Notice("%(first)s and %(second)s", {"first": said, "second": part})
    return said


def _revive(value: Any) -> Any:
    """A notice's value read back from JSON: notices (and lists of them) as notices again."""
    if isinstance(value, dict):
        return Notice.from_dict(value)
    if isinstance(value, list):
        return [_revive(v) for v in value]
    return value


@dataclass(frozen=True)
class Audio:
    """The extract stage's result (``audio.json`` beside ``audio.wav``): a normalised 16 kHz mono
    16-bit WAV, how long it decoded to, and what the container announced."""

    duration: float  # seconds decoded
    sample_rate: int
    gain_db: float
    announced: float  # seconds the container says it holds
    warnings: list[Notice] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Audio:
        warnings = [Notice.from_dict(w) for w in data.get("warnings", [])]
        return cls(**{**data, "warnings": warnings})


# --- transcribe -----------------------------------------------------------------------------


def outside(start: float, end: float, t: float) -> float:
    """How far ``t`` lies outside [``start``, ``end``] (0 inside): the nearest span to a word."""
    return max(start - t, t - end, 0.0)


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

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Segment:
        return cls(**{**data, "words": [Word(**w) for w in data.get("words", [])]})


@dataclass(frozen=True)
class Heard:
    """Whisper's language guess on one stretch of a recording's speech (seconds)."""

    start: float
    end: float
    language: str
    probability: float


def heard_otherwise(heard: list[Heard], language: str, least: float = 0.5) -> list[Heard]:
    """The stretches Whisper heard, with at least ``least`` probability (faster-whisper's own
    threshold for a detected language), as another language than ``language``."""
    return [h for h in heard if h.language != language and h.probability >= least]


def languages_heard(heard: list[Heard], language: str) -> list[str]:
    """``language`` and, after it, the others the stretches were heard as (``heard_otherwise``)."""
    return [language, *sorted({h.language for h in heard_otherwise(heard, language)})]


@dataclass
class Transcript:
    """Speech recognition result; the same shape from every engine."""

    language: str
    language_probability: float
    duration: float
    engine: str
    model: str
    segments: list[Segment] = field(default_factory=list)
    heard: list[Heard] = field(default_factory=list)  # the guesses the language came from
    mixed: bool = False  # each window read in the language heard in it (a bilingual talk)
    # when mixed: the language each run of windows was transcribed in (their speech's times)
    windows: list[Heard] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments if s.text.strip())

    @property
    def spoken(self) -> str:
        """The language of the words: the transcript's, or — read window by window — it and the
        others heard, joined by "+" ("en+de")."""
        if not self.mixed:
            return self.language
        return "+".join(languages_heard(self.heard, self.language))

    def language_of(self, seg: Segment) -> str:
        """The language ``seg`` was transcribed in: that of the run of windows nearest its
        middle (the transcript's when it was not read window by window)."""
        if not self.windows:
            return self.language
        mid = (seg.start + seg.end) / 2
        return min(self.windows, key=lambda w: outside(w.start, w.end, mid)).language

    def to_dict(self) -> dict[str, Any]:
        return {"schema_version": TRANSCRIPT_SCHEMA_VERSION, **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transcript:
        version = data.get("schema_version")
        if version != TRANSCRIPT_SCHEMA_VERSION:
            raise ValueError(f"unsupported transcript schema_version {version!r}")
        segments = [Segment.from_dict(s) for s in data["segments"]]
        fields = {k: data[k] for k in ("language", "language_probability", "duration")}
        return cls(
            **fields,
            engine=data["engine"],
            model=data["model"],
            segments=segments,
            heard=[Heard(**h) for h in data.get("heard", [])],
            mixed=data.get("mixed", False),
            windows=[Heard(**h) for h in data.get("windows", [])],
        )


@dataclass
class Translation:
    """The translate stage's result (``translation.json``): English segments with word times for
    a talk in another language, or why none was needed."""

    source: str  # the talk's language (of the parts translated, when ``only`` is given)
    target: str  # the summary's language
    needed: bool
    why: str = ""  # why there is no translation
    segments: list[Segment] = field(default_factory=list)
    # the (start, end) spans translated, when only parts of a talk that changes language are in
    # another language than the summary's (none: the whole talk)
    only: list[tuple[float, float]] = field(default_factory=list)

    def translates(self, seg: Segment) -> bool:
        """Whether ``seg`` (the transcript's) is read in translation."""
        mid = (seg.start + seg.end) / 2
        return self.needed and (not self.only or any(a <= mid <= b for a, b in self.only))

    def onto(self, segments: list[Segment]) -> list[Segment]:
        """``segments`` (the transcript's) with their words replaced by the English words said
        in them: each English word goes to the segment holding its middle (the nearest one when
        none does). The ids, times and speakers stay; a segment no English word fell in is
        left out — one outside the parts translated (``only``) stays as it was."""
        if not self.needed or not segments:
            return list(segments)
        todo = [i for i, seg in enumerate(segments) if self.translates(seg)]  # their places
        starts = [segments[i].start for i in todo]
        english: dict[int, list[Word]] = {}
        for word in (w for seg in self.segments for w in seg.words) if todo else ():
            mid = (word.start + word.end) / 2
            at = max(bisect.bisect_right(starts, mid) - 1, 0)
            near = [todo[k] for k in (at, at + 1) if k < len(todo)]
            best = min(near, key=lambda i: outside(segments[i].start, segments[i].end, mid))
            english.setdefault(best, []).append(word)
        translated = set(todo)
        out = []
        for i, seg in enumerate(segments):
            words = english.get(i, [])
            if i not in translated:
                out.append(seg)
            elif words:
                text = "".join(w.word for w in words).strip()
                out.append(Segment(seg.id, seg.start, seg.end, text, words, speaker=seg.speaker))
        return out

    @property
    def reading(self) -> str:
        """The language topics and summaries read: English when translated, else the talk's."""
        return self.target if self.needed else self.source

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Translation:
        segments = [Segment.from_dict(s) for s in data["segments"]]
        only = [(a, b) for a, b in data.get("only", [])]
        return cls(data["source"], data["target"], data["needed"], data["why"], segments, only)


@dataclass
class Exported:
    """The export stage's result: the final transcript — speakers named, reviewer's text fixes
    applied — as ``transcript.json`` (and TXT, SRT, VTT), and ``speakers.rttm``."""

    transcript: Transcript
    rttm: str = ""
    review: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return self.transcript.to_dict()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Exported:
        return cls(Transcript.from_dict(data))


# --- diarize --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Turn:
    """A stretch of speech by one (anonymous) speaker; speakers are numbered from 0."""

    start: float
    end: float
    speaker: int


@dataclass(frozen=True)
class Diarization:
    """Who spoke when (``diarization.json``), whether the audio was heard as far-field (room
    microphones), speakers marked uncertain (with why), each turn's voice: a normalised
    speaker embedding, zeros where the turn had too little clean speech (``voices.npy``), and
    whether the audio was heard as telephone-band."""

    turns: list[Turn]
    far_field: bool
    voices: np.ndarray = field(default_factory=lambda: np.zeros((0, 192), np.float32))
    uncertain: dict[int, Notice] = field(default_factory=dict)
    narrowband: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "turns": [[t.start, t.end, t.speaker] for t in self.turns],
            "far_field": self.far_field,
            "narrowband": self.narrowband,
            "uncertain": {str(k): asdict(v) for k, v in sorted(self.uncertain.items())},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], voices: np.ndarray | None = None) -> Diarization:
        turns = [Turn(*row) for row in data["turns"]]
        if voices is None:
            voices = np.zeros((len(turns), 192), np.float32)
        uncertain = {int(k): Notice.from_dict(v) for k, v in data.get("uncertain", {}).items()}
        return cls(turns, data["far_field"], voices, uncertain, data["narrowband"])


# --- tracks ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Track:
    """One participant's own track as the tracks stage found it in the recording: its file, the
    name it was recorded under, where its start lies in the recording (seconds; None: not
    found), how closely its speech matches the recording's there (correlation), how much speech
    it holds, and whether it is used (what it says when not)."""

    file: str
    who: str
    offset: float | None
    match: float
    speech: float
    used: bool
    why: str = ""


@dataclass(frozen=True)
class PlacedTracks:
    """``tracks.json``: the participants' tracks and, of those used, who spoke when (start, end,
    name), in the recording's time."""

    tracks: list[Track]
    spoken: list[tuple[float, float, str]]

    def to_dict(self) -> dict[str, Any]:
        return {"tracks": [asdict(t) for t in self.tracks], "spoken": self.spoken}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlacedTracks:
        return cls(
            [Track(**t) for t in data["tracks"]], [(a, b, who) for a, b, who in data["spoken"]]
        )


# --- name -----------------------------------------------------------------------------------

PLATFORM_SOURCES = ("tracks", "transcript")  # what a meeting platform tells of who spoke when


def _without(data: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != key}


@dataclass
class SpeakerInfo:
    """A row of the speaker table."""

    id: str  # "S1", "S2", … by first appearance
    label: str  # what the outputs show: the name, or "Speaker N"
    name: str | None = None
    role: str = ""
    org: str = ""
    confidence: float = 0.0
    # "evidence" | "override" | "captions" (the platform's transcript) | "tracks" (the
    # participants' own tracks) | "voice" (the library)
    named_by: str | None = None
    talk_time: float = 0.0
    turns: int = 0
    evidence: list[dict[str, object]] = field(default_factory=list)
    notes: list[Notice] = field(default_factory=list)  # what the evidence did (split, joined, …)
    uncertain: list[Notice] = field(default_factory=list)  # why it may be no person of its own
    heard_as: str = ""  # a name not on the event page that this speaker gave themself

    @property
    def index(self) -> int:
        """The anonymous speaker number of the diarization (S1 → 0)."""
        return int(self.id[1:]) - 1


@dataclass
class Speakers:
    """The name stage's result (``speakers.json``): the speaker table and the turns as they
    stand after the evidence and the reviewer's merges; not written but rebuilt from them, the
    transcript's pieces with their speaker, and what the review's speaker fixes did."""

    speakers: list[SpeakerInfo]
    turns: list[Turn] = field(default_factory=list)
    pieces: list[tuple[Segment, int]] = field(default_factory=list)
    review: dict[str, Any] = field(default_factory=dict)
    # what the meeting platform says of who spoke when, if anything (its ``source``: the
    # participants' own tracks, else its transcript): how far it agrees with the voices
    # (``name.agreement``) and whether it was used
    platform: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "speakers": [asdict(info) for info in self.speakers],
            "turns": [[t.start, t.end, t.speaker] for t in self.turns],
            **(
                {f"platform_{self.platform['source']}": _without(self.platform, "source")}
                if self.platform
                else {}
            ),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Speakers:
        turns = [Turn(*row) for row in data.get("turns", [])]
        table = [
            SpeakerInfo(
                **{
                    **row,
                    "notes": [Notice.from_dict(n) for n in row["notes"]],
                    "uncertain": [Notice.from_dict(n) for n in row["uncertain"]],
                }
            )
            for row in data["speakers"]
        ]
        platform = next(
            (
                {"source": source, **data[f"platform_{source}"]}
                for source in PLATFORM_SOURCES
                if f"platform_{source}" in data
            ),
            None,
        )
        return cls(table, turns, platform=platform)


# --- topics ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sentence:
    """A sentence of the transcript with its time and speaker."""

    start: float
    end: float
    speaker: str | None
    text: str
    segment: int


@dataclass
class SentenceTopic:
    sentence: Sentence
    topic: str
    confidence: float
    drivers: list[str]
    function: str = "content"  # what it does: content, introduction, handoff, thanks, …


@dataclass
class TopicSpan:
    """Neighbouring sentences on one topic, as a time span."""

    topic: str
    start: float
    end: float
    speakers: list[str]
    confidence: float
    sentences: int
    drivers: dict[str, int]


@dataclass
class TopicMap:
    """The topics stage's result (``topics.json``): a theme per sentence, and spans."""

    themes: dict[str, str]  # label → title
    sentences: list[SentenceTopic]
    spans: list[TopicSpan]
    review: dict[str, Any] = field(default_factory=dict)  # what the reviewer's fixes did
    notes: list[str] = field(default_factory=list)  # how the text was read, when not as usual

    def to_dict(self) -> dict[str, Any]:
        return {
            **({"notes": self.notes} if self.notes else {}),
            "themes": self.themes,
            "sentences": [
                {
                    **asdict(t.sentence),
                    "topic": t.topic,
                    "confidence": t.confidence,
                    "drivers": t.drivers,
                    "function": t.function,
                }
                for t in self.sentences
            ],
            "spans": [asdict(span) for span in self.spans],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TopicMap:
        keys = ("start", "end", "speaker", "text", "segment")
        sentences = [
            SentenceTopic(
                Sentence(**{k: row[k] for k in keys}),
                row["topic"],
                row["confidence"],
                row["drivers"],
                row.get("function", "content"),
            )
            for row in data["sentences"]
        ]
        spans = [TopicSpan(**row) for row in data["spans"]]
        return cls(data["themes"], sentences, spans, notes=data.get("notes", []))


# --- slides ---------------------------------------------------------------------------------


@dataclass
class Interval:
    """A page on screen from ``start`` to ``end``, and how that was found."""

    start: float
    end: float
    method: str  # "video" | "speech" | "review"
    confidence: float


@dataclass
class Deck:
    file: str
    deck: str  # the deck's slug
    pages: int


@dataclass
class SlidePage:
    deck: str
    number: int
    text: str
    thumbnail: str  # relative to the summary folder
    shown: list[Interval]


@dataclass
class Showing:
    """One entry of the slide timeline."""

    deck: str
    number: int
    start: float
    end: float
    method: str
    confidence: float


@dataclass
class SlideMap:
    """The slides stage's result (``slides.json``): decks, every page with the intervals it was
    on screen, and the timeline."""

    decks: list[Deck]
    slides: list[SlidePage]
    timeline: list[Showing]
    review: dict[str, Any] = field(default_factory=dict)  # what the reviewer's fixes did

    def to_dict(self) -> dict[str, Any]:
        return {k: [asdict(v) for v in getattr(self, k)] for k in ("decks", "slides", "timeline")}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SlideMap:
        return cls(
            [Deck(**d) for d in data["decks"]],
            [
                SlidePage(**{**p, "shown": [Interval(**s) for s in p["shown"]]})
                for p in data["slides"]
            ],
            [Showing(**s) for s in data["timeline"]],
        )


# --- media ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Player:
    """The media stage's result: the file beside the reviewer page that its player plays (""
    for none) and whether it is audio or video."""

    file: str
    kind: str  # "audio" | "video" | ""


# --- summarize ------------------------------------------------------------------------------


@dataclass
class Point:
    text: str
    speaker: str | None
    start: float
    topic: str
    original: str = ""  # the words as said, when ``text`` is their translation
    unclear: bool = False  # Whisper heard its words poorly: to check against the recording
    read_out: bool = False  # a question from the chat or the audience that ``speaker`` read out
    asker: str = ""  # … and the name it was read out under ("Maria from Lombardy asks …")


@dataclass
class Figure:
    """A figure said (a percentage, an amount, a count, a date, a target), where and by whom."""

    figure: str
    kind: str  # spaCy's entity label: PERCENT, MONEY, CARDINAL, QUANTITY, DATE
    text: str  # the sentence it was said in
    speaker: str | None
    start: float
    slide: str = ""  # the slide on screen then ("Slide 3"), if known
    unclear: bool = False  # Whisper heard its sentence poorly: to check against the recording


@dataclass
class SlideView:
    """A slide that was on screen, and what was said while it was."""

    deck: str
    number: int
    title: str
    thumbnail: str  # relative to the summary folder
    shown: list[tuple[float, float]]
    method: str  # how its timing was found: video, speech, review
    points: list[Point]


@dataclass
class Summary:
    abstract: str
    takeaways: dict[str, list[Point]]  # topic → points
    by_speaker: dict[str, list[Point]]  # speaker label → points
    key_phrases: list[str]
    entities: list[tuple[str, str, int]]  # (text, label, count)
    questions: list[Point]
    topic_share: dict[str, float] = field(default_factory=dict)  # topic → share of speaking time
    drivers: dict[str, int] = field(default_factory=dict)
    slides: list[SlideView] = field(default_factory=list)  # in order of first appearance
    slides_by_topic: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # (deck, page)
    slides_by_speaker: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    figures: list[Figure] = field(default_factory=list)
    # with a local language model (--llm): per theme, "llm" or why the extractive paragraph stayed
    rewritten: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return _without_empty(asdict(self), "original")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Summary:
        def points(rows: list[dict[str, Any]]) -> list[Point]:
            return [Point(**p) for p in rows]

        def pages(cited: dict[str, list[list[Any]]]) -> dict[str, list[tuple[str, int]]]:
            return {k: [(d, n) for d, n in v] for k, v in cited.items()}

        return cls(
            data["abstract"],
            {k: points(v) for k, v in data["takeaways"].items()},
            {k: points(v) for k, v in data["by_speaker"].items()},
            data["key_phrases"],
            [(t, lab, n) for t, lab, n in data["entities"]],
            points(data["questions"]),
            data["topic_share"],
            data["drivers"],
            [
                SlideView(
                    **{
                        **v,
                        "shown": [(a, b) for a, b in v["shown"]],
                        "points": points(v["points"]),
                    }
                )
                for v in data["slides"]
            ],
            pages(data["slides_by_topic"]),
            pages(data["slides_by_speaker"]),
            [Figure(**f) for f in data.get("figures", [])],
            data.get("rewritten", {}),
        )


@dataclass
class Published:
    """The summarize stage's result (``summary.json``): the summary with what identifies it."""

    id: str
    title: str
    date: str
    duration: float
    speakers: list[str]
    summary: Summary
    review: dict[str, Any] = field(default_factory=dict)  # what the reviewer's fixes did
    language: str = "en"  # the language of the documents' fixed words

    def to_dict(self) -> dict[str, Any]:
        head = {k: getattr(self, k) for k in HEAD}
        return {**head, "topic_share": self.summary.topic_share, **self.summary.to_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Published:
        head = [data[k] for k in HEAD[:5]]
        rest = {k: v for k, v in data.items() if k not in HEAD}
        return cls(*head, Summary.from_dict(rest), language=data.get("language", "en"))


HEAD = ("id", "title", "date", "duration", "speakers", "language")  # summary.json's first keys
