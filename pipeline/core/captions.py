"""A meeting platform's own transcript of a recording: Zoom's cloud recordings come with
``….transcript.vtt`` ("Glenda Napier: Good morning, …"), Teams and Webex give a ``.vtt`` whose
cues carry the speaker as a voice (``<v Glenda Napier>``). Who spoke when, by the name each
joined with: evidence for naming the voices. Its names and times are what it says; its words
only place it in the recording (``offset``) when its times are not the recording's (a recording
trimmed, or started at another moment than the platform's)."""

from __future__ import annotations

import hashlib
import itertools
import os
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError
from webvtt.models import Timestamp

from .errors import ConfigError
from .store import as_named

# "Glenda Napier: …": a name of one to six words before the colon, no digits ("Note 2: …", a
# clock "10:30"); in a transcript where most cues open so (Zoom's: every one) each counts, else
# only one that recurs (``_LABELLED`` times) — "Note: …" once is a sentence
LABEL = re.compile(r"(?P<who>[^\W\d_][^\W\d_'’.\- ]*(?:[ '’.\-]{1,2}[^\W\d_]+){0,5})\s*:\s+\S")
_LABELLED = 2
# Zoom's video of a layout ("GMT20240515-093000_Recording_gallery_1920x1080.mp4") beside the
# transcript of the meeting ("GMT20240515-093000_Recording.transcript.vtt")
_LAYOUT = re.compile(r"(?:_[a-z]+)?_\d{3,4}x\d{3,4}$")
SUFFIXES = (".transcript.vtt", ".vtt", ".srt")  # beside the recording, tried in this order
WORD = re.compile(r"\w+")
GRAM = 3  # words in a row, heard in the recording too, that tell where a cue was said


@dataclass(frozen=True)
class Cue:
    """A stretch of the platform's transcript and the name of whoever it says spoke it."""

    start: float
    end: float
    who: str
    text: str = ""  # its words (without the name)


@dataclass(frozen=True)
class Offset:
    """Where the transcript lies in the recording, piece by piece (a stretch cut out of the
    recording starts another): ``pieces`` (from the cues' time their first cue starts at,
    seconds to add to their times), in order; told by ``found`` of its ``cues`` with words
    (those whose words were heard where their piece puts them)."""

    pieces: tuple[tuple[float, float], ...]
    found: int
    cues: int


def _seconds(stamp: str) -> float:
    return Timestamp.from_string(stamp.replace(",", ".")).in_milliseconds() / 1000


def read_cues(path: Path) -> list[Cue]:
    """The cues of a WebVTT or SubRip file that name their speaker, by a voice tag or a
    recurring "Name:" before the words; a ConfigError when the file cannot be read as one."""
    try:
        if path.suffix.lower() == ".srt":
            captions = webvtt.from_srt(str(path))
        else:
            captions = webvtt.read(str(path), encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(
            f"cannot read the platform's transcript ({exc.strerror})", path, "check the path"
        ) from None
    except (MalformedFileError, MalformedCaptionError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(
            f"not a readable WebVTT or SubRip transcript ({exc})",
            path,
            "download the transcript again (Zoom: the .transcript.vtt; Teams: the .vtt)",
        ) from None
    found = []
    captions = list(captions)
    for caption in captions:
        text = " ".join(caption.text.split())
        label = LABEL.match(text)
        who = caption.voice or (label["who"] if label else "")
        if who.strip():
            voiced = bool(caption.voice)
            words = text if voiced else text.partition(":")[2].strip()
            start, end = _seconds(caption.start), _seconds(caption.end)
            found.append((start, end, who.strip(), words, voiced))
    recurring = Counter(who for _, _, who, _, voiced in found if not voiced)
    labelled = sum(recurring.values()) * 2 >= len(captions)
    return [
        Cue(start, end, who, words)
        for start, end, who, words, voiced in found
        if end > start and (voiced or labelled or recurring[who] >= _LABELLED)
    ]


def beside(recording: Path) -> Path | None:
    """The platform's transcript saved beside ``recording`` (``talk.transcript.vtt``,
    ``talk.vtt``, ``talk.srt``; for a Zoom layout's video, the meeting's), if any — none where
    that name would be too long for the file system (a recording named near its limit)."""
    stems = dict.fromkeys((recording.stem, _LAYOUT.sub("", recording.stem)))
    for stem in stems:
        for suffix in SUFFIXES:
            path = as_named(recording.with_name(stem + suffix))
            if os.path.isfile(path):  # False, not an error, for a name over the limit
                return path
    return None


def digest(cues: tuple[Cue, ...]) -> str:
    """What of the cues decides the naming, as a short hash (empty without cues)."""
    if not cues:
        return ""
    said = "\n".join(f"{c.start:.3f} {c.end:.3f} {c.who}\t{c.text}" for c in cues)
    return hashlib.sha256(said.encode()).hexdigest()[:16]


def _words(text: str) -> list[str]:
    return [word.casefold() for word in WORD.findall(text)]


def _placed(spans: Sequence[tuple[float, float, str]]) -> list[tuple[float, str]]:
    """Each word of ``spans`` (start, end, text) with when it starts, those of a span spread
    evenly over it."""
    placed = []
    for start, end, text in spans:
        words = _words(text)
        step = (end - start) / max(len(words), 1)
        placed += [(start + k * step, word) for k, word in enumerate(words)]
    return placed


def _modes(
    told: Sequence[Sequence[tuple[float, bool]]], width: float, most: int = 4
) -> list[float]:
    """The offsets the cues' words tell (``told``: each cue's (offset, from its first words)),
    best first: each the one most cues tell within ``width`` s of those not telling one before,
    while three cues or more tell it."""
    left = set(range(len(told)))
    modes: list[float] = []
    while left and len(modes) < most:
        votes = [(shift, n) for n in left for shift, _ in told[n]]
        if not votes:
            break
        shifts = np.array([v for v, _ in votes])
        cue_of = np.array([n for _, n in votes])
        centres = np.unique(np.round(shifts / width)) * width
        best = max(
            centres,
            key=lambda c: (len(set(cue_of[np.abs(shifts - c) <= width])), -abs(c)),
        )
        near = set(cue_of[np.abs(shifts - best) <= width])
        if len(near) < 3:
            break
        modes.append(float(best))
        left -= near
    return modes


def _exact(told: Sequence[Sequence[tuple[float, bool]]], mode: float, width: float) -> float:
    """``mode`` made exact: the median offset its cues' first words tell (a cue starts with
    them), or all their words where fewer than three first words do."""
    near = [(shift, first) for said in told for shift, first in said if abs(shift - mode) <= width]
    opening = [shift for shift, first in near if first]
    if not near:
        return mode
    return float(np.median(opening if len(opening) >= 3 else [shift for shift, _ in near]))


def offset(
    cues: Sequence[Cue],
    heard: Sequence[tuple[float, float, str]],
    width: float = 2.0,
    common: int = 3,
    switch: float = 3.0,
) -> Offset:
    """Where the cues lie in the recording, by their words: every ``GRAM`` words in a row of a
    cue heard in the recording too (``heard``: the recogniser's words or segments, (start,
    end, text)) — and there at most ``common`` times — tell how far the cue lies from where
    they were heard. The offsets most cues tell (within ``width`` s) are the candidates; the
    cues in time order take them piece by piece (Viterbi: a cue telling another offset costs
    1, another piece ``switch``), a piece starting at the longest pause before it where the
    cues' words do not tell (a break cut out of the recording leaves one in the transcript),
    each made exact by where its cues' first words were heard. Told by no three cues: no
    piece, found by none."""
    where: dict[tuple[str, ...], list[float]] = defaultdict(list)
    timed = _placed(heard)
    for k in range(len(timed) - GRAM + 1):
        where[tuple(word for _, word in timed[k : k + GRAM])].append(timed[k][0])
    ordered = sorted(cues, key=lambda c: c.start)
    told: list[list[tuple[float, bool]]] = []
    worded = 0
    for cue in ordered:
        words = _words(cue.text)
        worded += len(words) >= GRAM
        step = (cue.end - cue.start) / max(len(words), 1)
        said = []
        for k in range(len(words) - GRAM + 1):
            times = where.get(tuple(words[k : k + GRAM]), [])
            if len(times) <= common:
                said += [(t - cue.start - k * step, k == 0) for t in times]
        told.append(said)
    modes = _modes(told, width)
    if not modes:
        return Offset((), 0, worded)
    tells = [[any(abs(v - m) <= width for v, _ in said) for m in modes] for said in told]
    cost = np.zeros(len(modes))
    back: list[np.ndarray] = []
    for said, agree in zip(told, tells, strict=True):
        stay = cost[:, None] + np.where(np.eye(len(modes), dtype=bool), 0.0, switch)
        back.append(stay.argmin(axis=0))
        cost = stay.min(axis=0) + [0.0 if a or not said else 1.0 for a in agree]
    path = [int(cost.argmin())]
    for came in reversed(back[1:]):
        path.append(int(came[path[-1]]))
    path.reverse()
    n = 1
    while n < len(path):  # a piece starts at the longest pause between the last cue telling
        if path[n] == path[n - 1]:  # the one before and the first cue telling it
            n += 1
            continue
        before, after = path[n - 1], path[n]
        last = max((k for k in range(n) if tells[k][before]), default=0)
        first = next((k for k in range(n, len(path)) if tells[k][after]), n)
        start = max(range(last + 1, first + 1), key=lambda k: ordered[k].start - ordered[k - 1].end)
        path[last + 1 : first + 1] = [before] * (start - last - 1) + [after] * (first + 1 - start)
        n = first + 1
    pieces: list[tuple[float, float]] = []
    found = 0
    for mode, run in itertools.groupby(zip(path, ordered, told, strict=True), key=lambda x: x[0]):
        run = list(run)
        seconds = _exact([said for _, _, said in run], modes[mode], width)
        pieces.append((run[0][1].start, round(seconds, 2)))
        found += sum(any(abs(v - seconds) <= width for v, _ in said) for _, _, said in run)
    return Offset(tuple(pieces), found, worded)


def for_recording(
    recording: Path, given: Path | None, listed: str | None, sidecar: Path | None
) -> tuple[tuple[Cue, ...], list[str]]:
    """The cues naming speakers, and warnings: of ``given`` (``--captions``), else of the
    sidecar's ``captions:`` (relative to it, never outside its folder) — either must be read —,
    else of a transcript found ``beside`` the recording (one that cannot be read is told and
    left)."""
    if given is None and listed:
        base = sidecar.parent.resolve() if sidecar else Path.cwd()
        given = (base / listed).resolve()
        if not given.is_relative_to(base):
            raise ConfigError(
                f"captions path '{listed}' points outside the sidecar's folder",
                sidecar,
                "put the transcript next to the sidecar and give its file name",
            )
    if given is not None:
        cues = tuple(read_cues(as_named(given)))
        told = (
            []
            if cues
            else [
                f"{given.name} names no speaker (no voice tags, no recurring "
                "'Name:' before the words): not used to name the voices"
            ]
        )
        return cues, told
    found = beside(recording)
    if found is None:
        return (), []
    try:
        return tuple(read_cues(found)), []
    except ConfigError as exc:
        return (), [f"the platform's transcript beside the recording is not used: {exc}"]
