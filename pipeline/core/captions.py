"""A meeting platform's own transcript of a recording: Zoom's cloud recordings come with
``….transcript.vtt`` ("Glenda Napier: Good morning, …"), Teams and Webex give a ``.vtt`` whose
cues carry the speaker as a voice (``<v Glenda Napier>``). Who spoke when, by the name each
joined with: evidence for naming the voices. Only the names and times are read."""

from __future__ import annotations

import hashlib
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

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


@dataclass(frozen=True)
class Cue:
    """A stretch of the platform's transcript and the name of whoever it says spoke it."""

    start: float
    end: float
    who: str


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
            found.append((_seconds(caption.start), _seconds(caption.end), who.strip(), voiced))
    recurring = Counter(who for *_, who, voiced in found if not voiced)
    labelled = sum(recurring.values()) * 2 >= len(captions)
    return [
        Cue(start, end, who)
        for start, end, who, voiced in found
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
    said = "\n".join(f"{c.start:.3f} {c.end:.3f} {c.who}" for c in cues)
    return hashlib.sha256(said.encode()).hexdigest()[:16]


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
