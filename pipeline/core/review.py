"""A reviewer's corrections, ``summaries/<id>/review.yaml``: applied on every run and by
``cli.py rerender`` without re-running any model, in every output.

Corrections are matched by time (and speaker ids), never by segment number, so they survive a
re-transcription; one that no longer finds its target is reported, never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import ConfigError
from .store import atomic_write, read_yaml_file

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
#   S5: {{same_as: S2}}        # merge: S5 was the same person as S2 (as is a rename to S2's name)
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
#
# chapters:                  # the video's chapters (chapters.txt, .vtt): `at` is a chapter's start
#   - {{at: 16, title: "Glenda Napier on offshore wind"}}  # retitle it (none there: start one)
#   - {{at: 111}}              # no title: that chapter joins the one before it
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


class _Span(_Model):
    start: float = Field(ge=0)
    end: float = Field(gt=0)

    @model_validator(mode="after")
    def _forward(self) -> _Span:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end:g}) must come after start ({self.start:g})")
        return self


class TopicFix(_Span):
    topic: str = Field(min_length=1)


class Takeaways(_Model):
    # a word or two of the takeaway: "" or "a" would match (and drop) nearly every one
    drop: list[Annotated[str, Field(min_length=3)]] = Field(default_factory=list)
    pin: list[float] = Field(default_factory=list)


class SlideFix(_Span):
    slide: int = Field(ge=1)
    deck: str | None = None


class ChapterFix(_Model):
    at: float = Field(ge=0)
    title: str | None = Field(default=None, min_length=1, max_length=200)


class Review(_Model):
    speakers: dict[str, SpeakerFix] = Field(default_factory=dict)
    segments: list[TextFix] = Field(default_factory=list)
    topics: list[TopicFix] = Field(default_factory=list)
    takeaways: Takeaways = Field(default_factory=Takeaways)
    slides: list[SlideFix] = Field(default_factory=list)
    chapters: list[ChapterFix] = Field(default_factory=list)

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
        atomic_write(path, TEMPLATE.format(rec_id=rec_id))


def load_review(path: Path) -> Review:
    if not path.exists():
        return Review()
    data = read_yaml_file(path, "review corrections", "fix the YAML") or {}
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
