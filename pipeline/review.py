"""A reviewer's corrections, ``summaries/<id>/review.yaml``: applied on every run and by
``cli.py rerender`` without re-running any model, in every output.

Corrections are matched by time (and speaker ids), never by segment number, so they survive a
re-transcription; one that no longer finds its target is reported, never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import ConfigError
from .event import Event, Speaker
from .types import Segment

MATCH_SECONDS = 1.5  # a text fix finds the segment starting within this of its time

TEMPLATE = """\
# Reviewer corrections for this webinar. Edit, save, then run
#     python cli.py rerender {rec_id}
# (or any later `cli.py run`): every output — TXT, SRT, VTT, RTTM, JSON, Markdown, HTML, DOCX,
# PDF — is rebuilt with the corrections, without re-running speech recognition or diarization.
# Times are seconds from the start of the recording (the reviewer page shows them); a correction
# that no longer matches anything (e.g. after re-processing) is reported by the next run.
#
# speakers:                  # ids as in speakers.json / the speaker table (S1, S2, …)
#   S2: Glenda Napier        # rename (a name from the event page brings its role and organisation)
#   S3: {{name: Ana Ruiz, role: Moderator, org: ECCP}}
#   S5: {{same_as: S2}}        # merge: S5 was the same person as S2
#
# segments:                  # fix what was said; matched to the segment starting nearest `at`
#   - at: 83.2
#     text: "The Innovation Fund supports hydrogen valleys."
#
# topics:                    # move a topic boundary: everything from `start` to `end` is `topic`
#   - {{start: 120, end: 185.5, topic: resilience}}
#
# takeaways:
#   drop: ["prices rose"]    # remove takeaways containing this text
#   pin: [101.5]             # make the sentence said at this time a takeaway of its topic
#
# slides:                    # fix a slide match: page `slide` of `deck` (default: the first deck)
#   - {{start: 300, end: 360, slide: 4}}
"""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SpeakerFix(_Model):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    role: str = Field(default="", max_length=300)
    org: str = Field(default="", max_length=300)
    same_as: str | None = Field(default=None, pattern=r"^S\d+$")


class TextFix(_Model):
    at: float = Field(ge=0)
    text: str = Field(min_length=1, max_length=5000)


class TopicFix(_Model):
    start: float = Field(ge=0)
    end: float = Field(gt=0)
    topic: str = Field(min_length=1)


class Takeaways(_Model):
    drop: list[str] = Field(default_factory=list)
    pin: list[float] = Field(default_factory=list)


class SlideFix(_Model):
    start: float = Field(ge=0)
    end: float = Field(gt=0)
    slide: int = Field(ge=1)
    deck: str | None = None


class Review(_Model):
    speakers: dict[str, SpeakerFix] = Field(default_factory=dict)
    segments: list[TextFix] = Field(default_factory=list)
    topics: list[TopicFix] = Field(default_factory=list)
    takeaways: Takeaways = Field(default_factory=Takeaways)
    slides: list[SlideFix] = Field(default_factory=list)

    @field_validator("speakers", mode="before")
    @classmethod
    def _names(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        for key in value:
            if not isinstance(key, str) or not key[:1] == "S" or not key[1:].isdigit():
                raise ValueError(f"'{key}' is not a speaker id (S1, S2, …)")
        return {k: {"name": v} if isinstance(v, str) else v for k, v in value.items()}

    def part(self, name: str) -> Any:
        """One section as plain data (for the stage keys of the stages it affects)."""
        return self.model_dump(mode="json")[name]


def ensure_template(path: Path, rec_id: str) -> None:
    """Create the commented, empty review file on first run (never overwrite a reviewer's)."""
    if not path.exists():
        from .store import atomic_write

        atomic_write(path, TEMPLATE.format(rec_id=rec_id))


def load_review(path: Path) -> Review:
    if not path.exists():
        return Review()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(
            f"cannot read review corrections ({' '.join(str(exc).split())})", path, "fix the YAML"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError("expected sections speakers/segments/topics/…", path, "see its comments")
    try:
        return Review.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise ConfigError(
            f"review: {where}: {err['msg']}", path, "see the file's comments"
        ) from None


@dataclass
class Report:
    """What the corrections did: applied count and the ones that found nothing."""

    applied: int = 0
    not_applied: list[str] = field(default_factory=list)


def speaker_overrides(review: Review, event: Event) -> dict[str, Speaker]:
    """Renames, as naming overrides (a listed name brings its role and organisation)."""
    listed = {p.name: p for p in event.speakers}
    out = {}
    for key, fix in review.speakers.items():
        if fix.name:
            base = listed.get(fix.name)
            out[key] = Speaker(
                name=fix.name,
                role=fix.role or (base.role if base else ""),
                org=fix.org or (base.org if base else ""),
            )
    return out


def merges(review: Review, known: set[int], report: Report) -> dict[int, int]:
    """Speaker index → the index it is merged into (``S5: {same_as: S2}`` → {4: 1})."""
    out: dict[int, int] = {}
    for key, fix in review.speakers.items():
        if fix.same_as:
            source, target = int(key[1:]) - 1, int(fix.same_as[1:]) - 1
            if source in known and target in known and source != target:
                out[source] = target
                report.applied += 1
            else:
                report.not_applied.append(
                    f"speakers.{key}: same_as {fix.same_as} — no such speaker"
                )
    for key in review.speakers:
        if int(key[1:]) - 1 not in known:
            report.not_applied.append(f"speakers.{key}: no such speaker in this recording")
    for source in list(out):  # follow chains (S5 → S4 → S2)
        seen = {source}
        while out[source] in out and out[source] not in seen:
            seen.add(out[source])
            out[source] = out[out[source]]
    return out


def fix_text(segments: list[Segment], review: Review, report: Report) -> list[Segment]:
    """Segments with the reviewer's text, each fix on the segment starting nearest its time."""
    out = list(segments)
    for fix in review.segments:
        near = [i for i, s in enumerate(out) if abs(s.start - fix.at) <= MATCH_SECONDS]
        if not near:
            report.not_applied.append(f"segments at {fix.at}: no segment starts near that time")
            continue
        i = min(near, key=lambda j: abs(out[j].start - fix.at))
        out[i] = replace(out[i], text=fix.text)
        report.applied += 1
    return out


def fix_topics(items: list[Any], review: Review, labels: list[str], report: Report) -> list[Any]:
    """Sentence topics (``SentenceTopic``) with reviewers' spans forced."""
    out = list(items)
    for fix in review.topics:
        if fix.topic not in labels:
            report.not_applied.append(f"topics {fix.start}–{fix.end}: unknown topic '{fix.topic}'")
            continue
        hit = [
            i
            for i, it in enumerate(out)
            if fix.start <= (it.sentence.start + it.sentence.end) / 2 <= fix.end
        ]
        if not hit:
            report.not_applied.append(f"topics {fix.start}–{fix.end}: no speech in that span")
            continue
        for i in hit:
            out[i] = replace(out[i], topic=fix.topic, confidence=1.0)
        report.applied += 1
    return out


def fix_takeaways(summary: Any, items: list[Any], review: Review, report: Report) -> Any:
    """The summary with dropped takeaways removed and pinned sentences added first."""
    from .summarize import Point, clean

    takeaways = {topic: list(points) for topic, points in summary.takeaways.items()}
    for text in review.takeaways.drop:
        needle = text.casefold()
        before = sum(len(p) for p in takeaways.values())
        takeaways = {
            t: [p for p in points if needle not in p.text.casefold()]
            for t, points in takeaways.items()
        }
        if sum(len(p) for p in takeaways.values()) == before:
            report.not_applied.append(f"takeaways.drop '{text}': no takeaway contains it")
        else:
            report.applied += 1
    for at in review.takeaways.pin:
        near = [it for it in items if it.sentence.start - MATCH_SECONDS <= at <= it.sentence.end]
        if not near:
            report.not_applied.append(f"takeaways.pin {at}: no sentence at that time")
            continue
        it = min(near, key=lambda x: abs(x.sentence.start - at))
        point = Point(clean(it.sentence.text), it.sentence.speaker, it.sentence.start, it.topic)
        group = [p for p in takeaways.get(it.topic, []) if p.start != point.start]
        takeaways[it.topic] = [point, *group]
        report.applied += 1
    return replace(summary, takeaways={t: p for t, p in takeaways.items() if p})


def fix_slides(shown: list[Any], pages: list[Any], review: Review, report: Report) -> list[Any]:
    """Slide intervals with the reviewer's matches forced over whatever was found."""
    from .slides import Shown
    from .store import slugify

    out = list(shown)
    decks = list(dict.fromkeys(p.deck for p in pages))
    for fix in review.slides:
        deck = slugify(fix.deck, 32) if fix.deck else (decks[0] if decks else "")
        index = next(
            (i for i, p in enumerate(pages) if p.deck == deck and p.number == fix.slide), None
        )
        if index is None or fix.end <= fix.start:
            report.not_applied.append(
                f"slides {fix.start}–{fix.end}: no slide {fix.slide} in '{deck}'"
            )
            continue
        kept = []
        for s in out:
            if s.end <= fix.start or s.start >= fix.end:
                kept.append(s)
                continue
            if s.start < fix.start:
                kept.append(replace(s, end=fix.start))
            if s.end > fix.end:
                kept.append(replace(s, start=fix.end))
        out = sorted(
            [*kept, Shown(index, fix.start, fix.end, "review", 1.0)], key=lambda s: s.start
        )
        report.applied += 1
    return out
