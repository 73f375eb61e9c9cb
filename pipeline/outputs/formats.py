"""Transcript writers: one small class per format, picked by ``WRITERS[fmt]``.

SRT and WebVTT go through the ``srt`` and ``webvtt-py`` libraries, so their syntax is theirs.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from typing import ClassVar

import srt
import webvtt

from ..core.types import Segment, Transcript


def clock(seconds: float, sep: str = ".") -> str:
    """``3725.5`` → ``01:02:05.500``."""
    ms = round(max(seconds, 0.0) * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def _spoken(segments: list[Segment]) -> list[Segment]:
    return [s for s in segments if s.text.strip()]


class Writer:
    extension: ClassVar[str]

    def render(self, transcript: Transcript) -> str:
        raise NotImplementedError


class JsonWriter(Writer):
    extension = "json"

    def render(self, transcript: Transcript) -> str:
        return json.dumps(transcript.to_dict(), indent=1, ensure_ascii=False) + "\n"


class TextWriter(Writer):
    extension = "txt"

    def render(self, transcript: Transcript) -> str:
        lines = []
        for seg in _spoken(transcript.segments):
            who = f"{seg.speaker}: " if seg.speaker else ""
            lines.append(f"[{clock(seg.start)[:8]}] {who}{seg.text.strip()}")
        return "\n".join(lines) + ("\n" if lines else "")


class SrtWriter(Writer):
    extension = "srt"

    def render(self, transcript: Transcript) -> str:
        subtitles = [
            srt.Subtitle(
                index=i,
                start=dt.timedelta(seconds=seg.start),
                end=dt.timedelta(seconds=max(seg.end, seg.start + 0.001)),
                content=(f"{seg.speaker}: " if seg.speaker else "") + seg.text.strip(),
            )
            for i, seg in enumerate(_spoken(transcript.segments), start=1)
        ]
        return srt.compose(subtitles, reindex=False)


class VttWriter(Writer):
    extension = "vtt"

    def render(self, transcript: Transcript) -> str:
        captions = []
        for seg in _spoken(transcript.segments):
            text = html.escape(seg.text.strip(), quote=False)
            if seg.speaker:
                text = f"<v {html.escape(seg.speaker, quote=False)}>{text}"
            end = max(seg.end, seg.start + 0.001)
            captions.append(webvtt.Caption(clock(seg.start), clock(end), text))
        return webvtt.WebVTT(captions=captions).content


WRITERS: dict[str, Writer] = {
    w.extension: w for w in (JsonWriter(), TextWriter(), SrtWriter(), VttWriter())
}


def rttm_line(file_id: str, start: float, duration: float, speaker: str) -> str:
    """One NIST RTTM ``SPEAKER`` record (fields may not contain spaces)."""
    file_id, speaker = (x.replace(" ", "_") for x in (file_id, speaker))
    return f"SPEAKER {file_id} 1 {start:.3f} {duration:.3f} <NA> <NA> {speaker} <NA> <NA>\n"
