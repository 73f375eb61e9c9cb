"""The export stage: the final transcript — every piece with its speaker's name, the reviewer's
text fixes applied — as JSON, TXT, SRT and VTT, and the turns as ``speakers.rttm``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from ..core.review import Report
from ..core.stage import Context, ProgressFn, Stage
from ..core.store import atomic_write, read_json
from ..core.types import Exported, Segment, SpeakerInfo, Turn, Word
from ..outputs.formats import WRITERS, CueLimits, rttm_line
from .name import label_segments


@dataclass(frozen=True)
class ExportParams:
    formats: tuple[str, ...] = ("json", "txt", "srt", "vtt")
    cue_chars: int = 42  # subtitles: characters per line …
    cue_lines: int = 2  # … lines per cue …
    cue_seconds: float = 7.0  # … and seconds per cue at most
    text_fixes: tuple[dict[str, Any], ...] = ()  # reviewer: {at, text}
    match_seconds: float = 1.5  # a text fix finds the segment starting within this of its time


def fix_text(segments: list[Segment], p: ExportParams, report: Report) -> list[Segment]:
    """Segments with the reviewer's text, each fix on the segment starting nearest its time."""
    out = list(segments)
    for fix in p.text_fixes:
        near = [i for i, s in enumerate(out) if abs(s.start - fix["at"]) <= p.match_seconds]
        if not near:
            report.not_applied.append(f"segments at {fix['at']}: no segment starts near that time")
            continue
        i = min(near, key=lambda j: abs(out[j].start - fix["at"]))
        out[i] = replace(out[i], text=fix["text"], words=spread(out[i], fix["text"]))
        report.applied += 1
    return out


def spread(seg: Segment, text: str) -> list[Word]:
    """The words of a reviewer's ``text`` over the segment's time, each as long as its share of
    the letters (the recogniser's word times belong to the words it heard)."""
    said = text.split()
    total = sum(len(w) for w in said) or 1
    out, at = [], seg.start
    for w in said:
        end = at + (seg.end - seg.start) * len(w) / total
        out.append(Word(round(at, 3), round(end, 3), " " + w, 1.0, seg.speaker))
        at = end
    return out


def rttm(rec_id: str, turns: Sequence[Turn], speakers: Sequence[SpeakerInfo]) -> str:
    """The turns as RTTM, each under its speaker's label (every voice has a table row)."""
    labels = {info.index: info.label for info in speakers}
    return "".join(rttm_line(rec_id, t.start, t.end - t.start, labels[t.speaker]) for t in turns)


class Export(Stage):
    """Named pieces → ``transcript.json|txt|srt|vtt`` and ``speakers.rttm``."""

    name = "export"
    Params = ExportParams
    needs = ("transcribe", "name")
    libraries = ("srt", "webvtt-py")

    def params(self, ctx: Context) -> ExportParams:
        return ExportParams(text_fixes=tuple(ctx.review.part("segments")))

    def outputs(self, ctx: Context, params: ExportParams) -> list[Path]:
        transcripts = [ctx.out / f"transcript.{fmt}" for fmt in params.formats]
        return [*transcripts, ctx.out / "speakers.rttm"]

    def run(
        self, ctx: Context, params: ExportParams, inputs: Mapping[str, Any], progress: ProgressFn
    ) -> Exported:
        report = Report()
        named = inputs["name"]
        segments = fix_text(label_segments(named.pieces, named.speakers), params, report)
        transcript = replace(inputs["transcribe"], segments=segments)
        return Exported(transcript, rttm(ctx.rec_id, named.turns, named.speakers), asdict(report))

    def write(self, ctx: Context, params: ExportParams, result: Exported) -> None:
        limits = CueLimits(params.cue_chars, params.cue_lines, params.cue_seconds)
        for fmt in params.formats:
            text = WRITERS[fmt].render(result.transcript, limits)
            atomic_write(ctx.out / f"transcript.{fmt}", text)
        atomic_write(ctx.out / "speakers.rttm", result.rttm)

    def load(self, ctx: Context, params: ExportParams, inputs: Mapping[str, Any]) -> Exported:
        data = read_json(ctx.out / "transcript.json")
        return Exported.from_dict(data)

    def facts(self, result: Exported) -> dict[str, Any]:
        return {"review": result.review}
