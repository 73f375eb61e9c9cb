"""The chapters stage: the talk cut into chapters for the published video — who speaks and on
which theme — as YouTube reads them from a video's description (``chapters.txt``) and as web
players read them (``chapters.vtt``, WebVTT ``kind="chapters"``).

A chapter is a run of speaker turns. Every turn starts one; a turn shorter than ``shortest``
(a thirtieth of the talk, between YouTube's 10 s and 2 min) joins a neighbour: the next one
when it ends by handing over, announcing or asking (a moderator's "Susana, over to you" opens
Susana's chapter), else the one on its theme, else one sharing a voice with it, else the one
before. A chapter is titled by its theme — the one most of its points (content and questions)
are about, when that is a theme and holds most of them — and by the people who speak at least a
quarter of it; one that is half questions and their answers (from a question to the next
hand-off) is "Questions and answers"; a first or last one where no point is made
(greetings, introductions, the programme, thanks) is the "Opening" or the "Closing". The
first chapter starts at 0:00, as YouTube requires.
"""

from __future__ import annotations

import html
import math
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import webvtt

from ..core.review import Report
from ..core.stage import Context, ProgressFn, Stage
from ..core.store import atomic_write, read_json, write_json
from ..core.types import SentenceTopic
from ..outputs.formats import clock
from ..outputs.locale import page_language, translations
from .functions import THEMED

OTHER = "other"
FORWARD = frozenset({"handoff", "housekeeping", "question"})  # a turn ending so opens the next
TXT, VTT, JSON = "chapters.txt", "chapters.vtt", "chapters.json"


@dataclass(frozen=True)
class ChaptersParams:
    parts: int = 30  # the shortest chapter is the talk's length divided by this …
    least: float = 10.0  # … but at least this long (s; YouTube's shortest chapter) …
    most: float = 120.0  # … and at most
    speaker_share: float = 0.25  # a person named in a title speaks at least this much of it
    names: int = 3  # at most this many people in a title
    theme_share: float = 0.5  # a title's theme holds more than this share of its points
    qa_share: float = 0.5  # "Questions and answers" when they are this much of a chapter
    fixes: tuple[dict[str, Any], ...] = ()  # reviewer: {at, title} (no title: join)


@dataclass(frozen=True)
class Chapter:
    start: float
    end: float
    title: str
    topic: str  # the theme's label, "" when the title names none
    speakers: tuple[str, ...]
    questions: bool = False


@dataclass(frozen=True)
class ChapterList:
    """The chapters stage's result (``chapters.json``)."""

    chapters: tuple[Chapter, ...]
    shortest: float  # seconds: no chapter is shorter (but one of a talk shorter than this)
    duration: float
    review: dict[str, Any] = field(default_factory=dict)  # what the reviewer's fixes did

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChapterList:
        chapters = tuple(
            Chapter(**{**c, "speakers": tuple(c["speakers"])}) for c in data["chapters"]
        )
        return cls(chapters, data["shortest"], data["duration"], data.get("review", {}))


def shortest(duration: float, params: ChaptersParams) -> float:
    """How short a chapter may be in a talk of ``duration`` seconds."""
    return min(max(duration / params.parts, params.least), params.most)


def turns(sentences: Sequence[SentenceTopic]) -> list[list[SentenceTopic]]:
    """Runs of sentences said by one voice."""
    runs: list[list[SentenceTopic]] = []
    for item in sentences:
        if runs and runs[-1][-1].sentence.speaker == item.sentence.speaker:
            runs[-1].append(item)
        else:
            runs.append([item])
    return runs


def _merged(
    blocks: list[list[SentenceTopic]], duration: float, params: ChaptersParams, least: float
) -> list[list[SentenceTopic]]:
    """``blocks`` with every one shorter than ``least`` (from its first sentence to the next
    block's; the first from 0, the last to ``duration``) joined to a neighbour, shortest first:
    the next when it ends by handing over, announcing or asking; else the one on its theme;
    else the one sharing a voice with it; else the one before."""

    def length(i: int) -> float:
        start = 0.0 if i == 0 else blocks[i][0].sentence.start
        end = duration if i == len(blocks) - 1 else blocks[i + 1][0].sentence.start
        return end - start

    def kin(i: int, j: int) -> tuple[bool, bool]:
        theme = _theme(blocks[i], params)
        voices = {x.sentence.speaker for x in blocks[i]}
        return (
            bool(theme) and theme == _theme(blocks[j], params),
            bool(voices & {x.sentence.speaker for x in blocks[j]}),
        )

    while len(blocks) > 1:
        i = min(range(len(blocks)), key=length)
        if length(i) >= least:
            break
        if i == 0 or (blocks[i][-1].function in FORWARD and i + 1 < len(blocks)):
            j = i + 1
        elif i == len(blocks) - 1:
            j = i - 1
        else:
            j = max((i - 1, i + 1), key=lambda n: (*kin(i, n), n < i))
        low, high = sorted((i, j))
        blocks[low : high + 1] = [blocks[low] + blocks[high]]
    return blocks


def _theme(block: Sequence[SentenceTopic], params: ChaptersParams) -> str:
    """The theme holding more than ``theme_share`` of the block's points' time, else ""."""
    themed: dict[str, float] = defaultdict(float)
    for item in block:
        if item.function in THEMED:
            themed[item.topic] += item.sentence.end - item.sentence.start
    topic = max(themed, key=lambda t: themed[t], default="")
    if topic == OTHER or not topic or themed[topic] <= params.theme_share * sum(themed.values()):
        return ""
    return topic


def _people(block: Sequence[SentenceTopic], params: ChaptersParams) -> tuple[str, ...]:
    """The people speaking ``speaker_share`` of the block or more (at most ``names``; the one
    speaking most when nobody does)."""
    spoken: dict[str, float] = defaultdict(float)
    for item in block:
        if item.sentence.speaker:
            spoken[item.sentence.speaker] += item.sentence.end - item.sentence.start
    total = sum(spoken.values()) or 1.0
    people = sorted(spoken, key=lambda p: -spoken[p])
    named = tuple(p for p in people if spoken[p] >= params.speaker_share * total)
    return named[: params.names] or tuple(people[:1])


def _questions_and_answers(block: Sequence[SentenceTopic], asked: bool) -> float:
    """The share of the block's speech that is questions and their answers: from each question
    (with the greeting or thanks just before it in its turn) to the next turn that hands the
    floor over — from the block's start when the block before ended with a question
    (``asked``: this one answers)."""
    said = total = 0.0
    answering = asked
    for run in turns(block):
        asks = [k for k, item in enumerate(run) if item.function == "question"]
        if not asks and run[-1].function == "handoff":
            answering = False  # the floor handed on to the next speaker
        first = len(run)
        if asks:
            first = asks[0]
            while first and run[first - 1].function not in THEMED:
                first -= 1
        for k, item in enumerate(run):
            length = item.sentence.end - item.sentence.start
            said += length if answering or k >= first else 0.0
            total += length
        answering = answering or bool(asks)
    return said / (total or 1.0)


def chapters(
    sentences: Sequence[SentenceTopic],
    duration: float,
    themes: Mapping[str, str],
    params: ChaptersParams,
    gettext: Any = lambda s: s,
) -> ChapterList:
    """The talk's chapters: see the module's docstring. ``themes``: label → title as shown."""
    least = shortest(duration, params)
    said = turns([s for s in sentences if s.sentence.text.strip()])
    blocks = _merged(said, duration, params, least)
    found: list[Chapter] = []
    last: tuple[str, set[str]] = ("", set())
    for i, block in enumerate(blocks):
        topic, people = _theme(block, params), _people(block, params)
        asked = i > 0 and blocks[i - 1][-1].function == "question"  # this one answers
        questions = _questions_and_answers(block, asked) >= params.qa_share
        names = ", ".join(people)
        head = gettext("Questions and answers") if questions else themes.get(topic, "")
        if not head and not any(item.function in THEMED for item in block):
            # no point made: the host's welcome and programme, or the goodbyes
            if i == 0:
                head = gettext("Opening")
            elif i == len(blocks) - 1:
                head = gettext("Closing")
        title = " — ".join(x for x in (head, names) if x) or themes.get(OTHER, OTHER)
        start = 0.0 if not found else math.floor(block[0].sentence.start)
        if found and (head, set(people)) == last:  # the same people on it, parted by a turn
            continue
        last = (head, set(people))
        found.append(Chapter(start, 0.0, title, topic, people, questions))
    report = Report()
    found = reviewed(found, params, duration, report)
    ends = [*(c.start for c in found[1:]), duration][: len(found)]  # none in silence
    return ChapterList(
        tuple(replace(c, end=end) for c, end in zip(found, ends, strict=True)),
        least,
        duration,
        asdict(report),
    )


def reviewed(
    found: list[Chapter], params: ChaptersParams, duration: float, report: Report
) -> list[Chapter]:
    """The chapters with the reviewer's fixes, in their order: ``at`` within ``least`` of a
    chapter's start retitles that chapter (or, without a title, joins it to the one before);
    elsewhere a title starts a chapter there, if ``least`` is left before the end."""
    found = list(found)
    for fix in params.fixes:
        at, title = fix["at"], fix.get("title")
        near = min(range(len(found)), key=lambda i: abs(found[i].start - at), default=None)
        close = near is not None and abs(found[near].start - at) < params.least
        if close and title:
            found[near] = replace(found[near], title=title, topic="", questions=False)
        elif close and near:  # not the first
            del found[near]
        elif title and found and at <= duration - params.least:
            found = sorted(
                [*found, Chapter(math.floor(at), 0.0, title, "", ())], key=lambda c: c.start
            )
        else:
            if close:
                why = "the first chapter has nothing before it to join"
            elif not title:
                why = f"no chapter starts within {params.least:g} s"
            elif not found:
                why = "the recording has no chapters (no speech heard)"
            else:
                why = f"a chapter there would end less than {params.least:g} s later"
            report.not_applied.append(f"chapters at {at:g}: {why}")
            continue
        report.applied += 1
    return found


def youtube_time(seconds: float, hours: bool) -> str:
    """``75`` → ``01:15``; ``3725`` → ``1:02:05`` (whole seconds, as YouTube reads them)."""
    h, rest = divmod(int(seconds), 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if hours else f"{m:02d}:{s:02d}"


def plain(title: str) -> str:
    """A title on one line, without the angle brackets a YouTube description refuses."""
    return re.sub(r"\s+", " ", title.replace("<", "‹").replace(">", "›")).strip()


def youtube_text(found: ChapterList) -> str:
    """The lines to paste into a YouTube video's description (``00:00 Title``)."""
    hours = found.duration >= 3600
    return "".join(f"{youtube_time(c.start, hours)} {plain(c.title)}\n" for c in found.chapters)


def vtt_text(found: ChapterList) -> str:
    """WebVTT chapters (text escaped)."""
    cues = [
        webvtt.Caption(clock(c.start), clock(c.end), html.escape(plain(c.title), quote=False))
        for c in found.chapters
        if c.end > c.start
    ]
    return webvtt.WebVTT(captions=cues).content


class Chapters(Stage):
    """``topics.json`` → ``summaries/<id>/chapters.txt|vtt|json``."""

    name = "chapters"
    Params = ChaptersParams
    needs = ("export", "translate", "topics")
    libraries = ("webvtt-py", "babel")
    data_files = ("data/locale/*/LC_MESSAGES/messages.po",)

    def params(self, ctx: Context) -> ChaptersParams:
        return ChaptersParams(fixes=tuple(ctx.review.part("chapters")))

    def outputs(self, ctx: Context, params: Any) -> list[Path]:
        return [ctx.summary_dir / name for name in (TXT, VTT, JSON)]

    def run(
        self, ctx: Context, params: ChaptersParams, inputs: Mapping[str, Any], progress: ProgressFn
    ) -> ChapterList:
        topics, duration = inputs["topics"], inputs["export"].transcript.duration
        gettext = translations(page_language(inputs["translate"].reading)).gettext
        themes = {label: gettext(title) for label, title in topics.themes.items()}
        return chapters(topics.sentences, duration, themes, params, gettext)

    def write(self, ctx: Context, params: Any, result: ChapterList) -> None:
        atomic_write(ctx.summary_dir / TXT, youtube_text(result))
        atomic_write(ctx.summary_dir / VTT, vtt_text(result))
        write_json(ctx.summary_dir / JSON, result.to_dict())

    def load(self, ctx: Context, params: Any, inputs: Mapping[str, Any]) -> ChapterList:
        return ChapterList.from_dict(read_json(ctx.summary_dir / JSON))

    def facts(self, result: ChapterList) -> dict[str, Any]:
        facts = {"chapters": len(result.chapters), "shortest": round(result.shortest, 1)}
        return {**facts, "review": result.review}
