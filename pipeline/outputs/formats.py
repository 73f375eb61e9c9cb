"""Transcript writers: one small class per format, picked by ``WRITERS[fmt]``.

TXT reads as a text: one paragraph per speaker turn, with its start time (a monologue in
paragraphs of about a minute). SRT and WebVTT hold subtitle-sized cues (at most two lines of 42
characters and 7 seconds, broken at sentence or clause ends where possible) and go through the
``srt`` and ``webvtt-py`` libraries, so their syntax is theirs.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from dataclasses import dataclass, replace
from typing import ClassVar

import srt
import webvtt

from ..core.types import Figure, Segment, Transcript, Word

PARAGRAPH_SECONDS = 60.0  # a speaker's turn is cut into paragraphs of about this length
_ENDS = (".", "?", "!", "\u2026", ",", ";", ":", "\u3002", "\uff0c")


@dataclass(frozen=True)
class CueLimits:
    """How big a subtitle may be."""

    chars: int = 42  # per line
    lines: int = 2
    seconds: float = 7.0


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    speaker: str | None
    lines: tuple[str, ...]
    first: bool  # the first cue of a speaker's turn


def turns(segments: list[Segment]) -> list[list[Segment]]:
    """Consecutive spoken segments of one speaker."""
    out: list[list[Segment]] = []
    for seg in _spoken(segments):
        if out and out[-1][0].speaker == seg.speaker:
            out[-1].append(seg)
        else:
            out.append([seg])
    return out


def paragraphs(segments: list[Segment], longest: float = PARAGRAPH_SECONDS) -> list[list[Segment]]:
    """The paragraphs of a transcript: one per speaker turn, and a turn that goes on (a lecture,
    a keynote) cut at the first segment — a sentence — starting ``longest`` seconds or more
    after its paragraph did, so that a reader meets a time stamp every minute or so; never
    leaving less than a quarter of that to the turn's last paragraph (no closing line alone)."""
    out: list[list[Segment]] = []
    for turn in turns(segments):
        out.append([turn[0]])
        for seg in turn[1:]:
            if seg.start - out[-1][0].start >= longest and turn[-1].end - seg.start >= longest / 4:
                out.append([seg])
            else:
                out[-1].append(seg)
    return out


def paragraph_text(paragraph: list[Segment]) -> str:
    """A paragraph as the TXT and the DOCX give it: ``[hh:mm:ss] Name: sentence. sentence.``"""
    who = f"{paragraph[0].speaker}: " if paragraph[0].speaker else ""
    text = " ".join(seg.text.strip() for seg in paragraph)
    return f"[{clock(paragraph[0].start)[:8]}] {who}{text}"


def figure_rows(figures: list[Figure]) -> list[Figure]:
    """The key figures one row per sentence: the figures of one sentence ("15 times 10 is about
    150 joules") joined in one row ("15 · 10 · about 150 joules"), so the sentence is shown
    once."""
    rows: list[Figure] = []
    for f in figures:
        if rows and (rows[-1].text, rows[-1].start) == (f.text, f.start):
            rows[-1] = replace(rows[-1], figure=f"{rows[-1].figure} · {f.figure}")
        else:
            rows.append(f)
    return rows


def wrap(text: str, chars: int, lines: int, reserve: int = 0) -> tuple[str, ...]:
    """``text`` on at most ``lines`` lines of at most ``chars`` (the first line ``reserve``
    shorter, for a speaker's name), broken at the space that balances the lines best."""
    first = chars - reserve
    if len(text) <= first or lines < 2:
        return (text,)
    spaces = [i for i, c in enumerate(text) if c == " "]
    fitting = [i for i in spaces if i <= first and len(text) - i - 1 <= chars]
    if not fitting:  # cannot be balanced: fill the first line
        fitting = [max((i for i in spaces if i <= first), default=len(text))]
    cut = min(fitting, key=lambda i: abs((len(text) + reserve) / 2 - reserve - i))
    return (text[:cut].rstrip(), *wrap(text[cut:].strip(), chars, lines - 1))


def cues(
    transcript: Transcript, limits: CueLimits = CueLimits(), prefix: bool = False
) -> list[Cue]:
    """Subtitle cues: within one sentence-sized segment, words are gathered while the cue fits
    ``limits``; when the next word would not fit, the cue ends at its last clause or sentence end
    (if that keeps a third of it), else there. With ``prefix`` the first cue of a speaker's turn
    keeps room for "Name: "."""
    out: list[Cue] = []
    for paragraph in turns(transcript.segments):
        first = True
        for seg in paragraph:
            words = seg.words or [Word(seg.start, seg.end, " " + seg.text, 1.0)]
            current: list[Word] = []
            for word in words:
                taken = len(seg.speaker or "") + 2 if prefix and first and seg.speaker else 0
                text = "".join(w.word for w in [*current, word]).strip()
                if current and (
                    not _fits(text, limits, taken) or word.end - current[0].start > limits.seconds
                ):
                    ends = [i for i, w in enumerate(current) if w.word.strip().endswith(_ENDS)]
                    cut = (
                        ends[-1] + 1 if ends and ends[-1] + 1 >= len(current) / 3 else len(current)
                    )
                    out.append(_cue(current[:cut], seg, limits, first, taken))
                    first, current = False, current[cut:]
                current.append(word)
            if current:
                taken = len(seg.speaker or "") + 2 if prefix and first and seg.speaker else 0
                out.append(_cue(current, seg, limits, first, taken))
                first = False
    return out


def _fits(text: str, limits: CueLimits, reserve: int) -> bool:
    lines = wrap(text, limits.chars, limits.lines, reserve)
    widths = [len(lines[0]) + reserve, *map(len, lines[1:])]
    return len(lines) <= limits.lines and max(widths) <= limits.chars


def _cue(words: list[Word], seg: Segment, limits: CueLimits, first: bool, taken: int) -> Cue:
    text = "".join(w.word for w in words).strip()
    end = max(words[-1].end, words[0].start + 0.001)
    return Cue(
        words[0].start, end, seg.speaker, wrap(text, limits.chars, limits.lines, taken), first
    )


def clock(seconds: float, sep: str = ".") -> str:
    """``3725.5`` → ``01:02:05.500``."""
    ms = round(max(seconds, 0.0) * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def talk_clock(seconds: float) -> str:
    """A speaker's talk time in whole seconds, ``7.6`` → ``00:00:07``; a voice heard for less
    than one second is ``< 00:00:01``, not the ``00:00:00`` of a voice never heard."""
    if 0 < seconds < 1:
        return f"< {clock(1)[:8]}"
    return clock(seconds)[:8]


def _spoken(segments: list[Segment]) -> list[Segment]:
    return [s for s in segments if s.text.strip()]


class Writer:
    extension: ClassVar[str]

    def render(self, transcript: Transcript, limits: CueLimits = CueLimits()) -> str:
        raise NotImplementedError


class JsonWriter(Writer):
    extension = "json"

    def render(self, transcript: Transcript, limits: CueLimits = CueLimits()) -> str:
        return json.dumps(transcript.to_dict(), indent=1, ensure_ascii=False) + "\n"


class TextWriter(Writer):
    """One paragraph per speaker turn (long ones cut, see ``paragraphs``): ``[hh:mm:ss] Name:
    sentence. sentence.``"""

    extension = "txt"

    def render(self, transcript: Transcript, limits: CueLimits = CueLimits()) -> str:
        blocks = [paragraph_text(p) for p in paragraphs(transcript.segments)]
        return "\n\n".join(blocks) + ("\n" if blocks else "")


class SrtWriter(Writer):
    """Cues of at most two lines; the first cue of a turn names the speaker ("Name: …")."""

    extension = "srt"

    def render(self, transcript: Transcript, limits: CueLimits = CueLimits()) -> str:
        subtitles = [
            srt.Subtitle(
                index=i,
                start=dt.timedelta(seconds=cue.start),
                end=dt.timedelta(seconds=cue.end),
                content="\n".join(_named(cue)),
            )
            for i, cue in enumerate(cues(transcript, limits, prefix=True), start=1)
        ]
        return srt.compose(subtitles, reindex=False)


def _named(cue: Cue) -> list[str]:
    """A cue's lines, the first of a speaker's turn opening with the name ("Name: …")."""
    lines = list(cue.lines)
    if cue.first and cue.speaker:
        lines[0] = f"{cue.speaker}: {lines[0]}"
    return lines


class VttWriter(Writer):
    """Cues of at most two lines, each with its speaker's voice tag (text escaped)."""

    extension = "vtt"

    def render(self, transcript: Transcript, limits: CueLimits = CueLimits()) -> str:
        captions = []
        for cue in cues(transcript, limits):
            text = "\n".join(html.escape(line, quote=False) for line in cue.lines)
            if cue.speaker:
                text = f"<v {html.escape(cue.speaker, quote=False)}>{text}"
            captions.append(webvtt.Caption(clock(cue.start), clock(cue.end), text))
        return webvtt.WebVTT(captions=captions).content


def caption_track(transcript: Transcript, limits: CueLimits = CueLimits()) -> str:
    """WebVTT for a web page's player: browsers show no voice tags, so the first cue of a turn
    names its speaker as the SRT does ("Name: …"); text escaped."""
    captions = [
        webvtt.Caption(
            clock(cue.start),
            clock(cue.end),
            "\n".join(html.escape(line, quote=False) for line in _named(cue)),
        )
        for cue in cues(transcript, limits, prefix=True)
    ]
    return webvtt.WebVTT(captions=captions).content


WRITERS: dict[str, Writer] = {
    w.extension: w for w in (JsonWriter(), TextWriter(), SrtWriter(), VttWriter())
}


def rttm_line(file_id: str, start: float, duration: float, speaker: str) -> str:
    """One NIST RTTM ``SPEAKER`` record (fields may not contain spaces)."""
    file_id, speaker = (x.replace(" ", "_") for x in (file_id, speaker))
    return f"SPEAKER {file_id} 1 {start:.3f} {duration:.3f} <NA> <NA> {speaker} <NA> <NA>\n"
