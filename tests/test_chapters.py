"""Chapters for the published video: who speaks on which theme, as YouTube and web players read
them — on the demo webinar end to end, and on talks laid out sentence by sentence."""

from __future__ import annotations

import itertools
import json
import random
import re
import subprocess

import pytest
import webvtt
from docx import Document

from pipeline.core.review import Report
from pipeline.core.types import Sentence, SentenceTopic
from pipeline.outputs.formats import clock
from pipeline.stages.chapters import (
    ChapterList,
    ChaptersParams,
    chapters,
    reviewed,
    shortest,
    vtt_text,
    youtube_text,
)
from pipeline.stages.functions import FUNCTIONS
from tests.helpers import truth

pytestmark = pytest.mark.check

THEMES = {
    "green": "Green transition",
    "digital": "Digital transition",
    "resilience": "Resilience",
    "other": "Other topics",
}
LINE = re.compile(r"^(?:(\d+):)?(\d\d):(\d\d) (\S.*)$")


def said(speaker: str, start: float, end: float, function: str = "content", topic: str = "other"):
    return SentenceTopic(Sentence(start, end, speaker, "words", 0), topic, 1.0, [], function)


def youtube_starts(text: str) -> list[int]:
    """The seconds each line of a YouTube chapter list starts at (every line must be one)."""
    starts = []
    for line in text.splitlines():
        found = LINE.match(line)
        assert found, line
        h, m, s = (int(x or 0) for x in found.groups()[:3])
        starts.append(3600 * h + 60 * m + s)
    return starts


def assert_youtube_reads_them(text: str, least: float = 10.0) -> None:
    """YouTube's rules: the first at 0:00, in order, each at least 10 s long."""
    starts = youtube_starts(text)
    assert starts[0] == 0
    assert all(b - a >= max(least - 1, 10) for a, b in itertools.pairwise(starts))


def test_the_demo_s_chapters_open_where_each_guest_is_handed_the_floor(demo_files, demo_run):
    """Every guest of the demo introduces herself after the moderator hands over: each has a
    chapter named after her that opens at her turn (or at the hand-off just before it), in
    chapters.txt, chapters.vtt and every document."""
    folder = demo_run.summary_dir
    text = (folder / "chapters.txt").read_text(encoding="utf-8")
    assert_youtube_reads_them(text)
    found = json.loads((folder / "chapters.json").read_text())["chapters"]
    assert len(found) >= 3 and [round(c["start"]) for c in found] == youtube_starts(text)
    expected = truth(demo_files)
    turns = expected["turns"]
    names = {p["key"]: p["name"] for p in expected["people"]}
    themed = 0
    for i, turn in enumerate(turns):
        first = next(t for t in turns if t["speaker"] == turn["speaker"])
        if turn is not first or turn["speaker"] == "marek" or i == 0:
            continue
        if not next(p for p in expected["people"] if p["key"] == turn["speaker"])["listed"]:
            continue
        before = turns[i - 1]["start"]  # the moderator's hand-off
        own = [c for c in found if names[turn["speaker"]] in c["title"]]
        assert own and before - 1.5 <= own[0]["start"] <= turn["start"] + 1.5, (turn, found)
        themed += THEMES[turn["topic"]] in own[0]["title"]
    assert themed >= 2  # the recogniser's words may blur one guest's theme, not most
    cues = list(webvtt.from_string((folder / "chapters.vtt").read_text(encoding="utf-8")))
    assert [c.text for c in cues] == [c["title"] for c in found]
    assert [c.start for c in cues] == [clock(c["start"]) for c in found]
    assert cues[-1].end == clock(demo_run.transcript.duration)
    page = (folder / "summary.html").read_text(encoding="utf-8")
    listed = page.split('<ol class="chapters">')[1].split("</ol>")[0]
    assert re.findall(r'data-t="([\d.]+)"', listed) == [str(c["start"]) for c in found]
    markdown = (folder / "summary.md").read_text(encoding="utf-8").split("## Chapters")[1]
    assert all(f"- {clock(c['start'])[:8]} {c['title']}" in markdown for c in found)
    docx = [p.text for p in Document(str(folder / "summary.docx")).paragraphs]
    assert all(f"{clock(c['start'])[:8]} {c['title']}" in docx for c in found)
    printed = subprocess.run(
        ["pdftotext", str(folder / "summary.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Chapters" in printed and found[1]["title"].split(" — ")[-1] in printed


def test_a_short_hand_off_opens_the_next_chapter_and_short_thanks_close_the_last():
    """A moderator's five seconds between two guests belong to the guest handed the floor when
    they hand it over, to the guest before when they only thank."""
    talk = [
        said("Marek", 1, 50, "introduction"),
        said("Marek", 50, 60, "handoff"),
        *(said("Glenda", t, t + 10, topic="green") for t in range(60, 300, 10)),
        said("Marek", 300, 302, "thanks"),
        said("Marek", 302, 305, "handoff"),
        *(said("Carolina", t, t + 10, topic="digital") for t in range(305, 600, 10)),
        said("Marek", 600, 604, "thanks"),
    ]
    found = chapters(talk, 610, THEMES, ChaptersParams())
    assert found.shortest == pytest.approx(610 / 30)
    assert [(c.start, c.title) for c in found.chapters] == [
        (0, "Opening — Marek"),  # a welcome, an introduction, a hand-off: no point made
        (60, "Green transition — Glenda"),
        (300, "Digital transition — Carolina"),
    ]
    assert found.chapters[-1].end == 610 and found.chapters[-1].speakers == ("Carolina",)
    thanked = [*talk[:26], said("Marek", 300, 305, "thanks"), *talk[28:]]
    found = chapters(thanked, 610, THEMES, ChaptersParams())
    assert [c.start for c in found.chapters] == [0, 60, 305]


def test_a_short_turn_without_a_hand_off_joins_the_neighbour_on_its_theme():
    talk = [
        *(said("A", t, t + 10, topic="digital") for t in range(0, 300, 10)),
        said("B", 300, 308, topic="green"),  # "and on hydrogen, one more thing"
        *(said("C", t, t + 10, topic="green") for t in range(310, 600, 10)),
    ]
    found = chapters(talk, 600, THEMES, ChaptersParams())
    assert [(c.start, c.title) for c in found.chapters] == [
        (0, "Digital transition — A"),
        (300, "Green transition — C"),
    ]
    apart = [*talk[:30], said("B", 300, 308, topic="resilience"), *talk[31:]]
    assert [c.start for c in chapters(apart, 600, THEMES, ChaptersParams()).chapters] == [0, 310]


def test_a_question_after_a_talk_does_not_make_the_talk_questions_and_answers():
    talk = [
        *(said("A", t, t + 10, topic="green") for t in range(0, 200, 10)),
        said("M", 200, 205, "question", "green"),  # "a quick one from the chat: …?"
        said("A", 205, 215, topic="green"),
        said("M", 215, 218, "handoff"),
        *(said("B", t, t + 10, topic="digital") for t in range(220, 600, 10)),
    ]
    found = chapters(talk, 600, THEMES, ChaptersParams())
    assert [(c.start, c.title) for c in found.chapters] == [
        (0, "Green transition — A"),
        (215, "Digital transition — B"),
    ]
    assert not found.chapters[0].questions


def test_a_talk_ending_on_a_question_is_the_talk_and_its_answer_questions_and_answers():
    talk = [
        *(said("A", t, t + 10, topic="green") for t in range(0, 100, 10)),
        said("A", 100, 105, "question", "green"),  # "what do you make of it, B?"
        *(said("B", t, t + 10, topic="green") for t in range(105, 125, 10)),
        said("M", 125, 128, "handoff"),
        *(said("C", t, t + 10, topic="digital") for t in range(130, 600, 10)),
    ]
    found = chapters(talk, 600, THEMES, ChaptersParams())
    assert [(c.start, c.title) for c in found.chapters] == [
        (0, "Green transition — A"),
        (105, "Questions and answers — B"),
        (125, "Digital transition — C"),
    ]


def test_goodbyes_long_enough_to_be_a_chapter_are_the_closing():
    talk = [
        *(said("A", t, t + 10, topic="green") for t in range(0, 300, 10)),
        said("B", 300, 320, "thanks"),
        said("B", 320, 330, "housekeeping"),  # "the recording will be shared"
    ]
    found = chapters(talk, 335, THEMES, ChaptersParams())
    assert [c.title for c in found.chapters] == ["Green transition — A", "Closing — B"]
    said_more = [*talk, said("B", 330, 334, topic="green")]  # a last point: no closing
    last = chapters(said_more, 335, THEMES, ChaptersParams()).chapters[-1]
    assert last.title == "Green transition — B"


def test_questions_answered_by_another_voice_are_questions_and_answers():
    talk = [
        *(said("Glenda", t, t + 10, topic="green") for t in range(0, 600, 10)),
        said("Marek", 600, 604, "housekeeping"),  # "we have time for questions"
        said("Guest", 604, 610, "question", "digital"),
        *(said("Carolina", t, t + 10, topic="digital") for t in range(610, 660, 10)),
    ]
    found = chapters(talk, 660, THEMES, ChaptersParams())
    assert [c.start for c in found.chapters] == [0, 600]
    assert found.chapters[1].title == "Questions and answers — Carolina"  # 6 s of 60 asked
    assert found.chapters[1].questions and found.chapters[1].topic == "digital"
    asked = chapters(talk, 660, THEMES, ChaptersParams(least=1, parts=10**6))
    # each turn its own chapter: the answer after a question is still one
    assert [c.title.split(" — ")[0] for c in asked.chapters[-2:]] == ["Questions and answers"] * 2


def test_an_hour_long_talk_has_hours_in_its_chapters_and_none_under_two_minutes():
    rng = random.Random(7)
    talk, t = [], 0.0
    while t < 7200:
        topic = ("green", "digital", "resilience")[int(t // 900) % 3]
        step = rng.uniform(5, 40)
        talk.append(said(rng.choice("AB"), t, t + step - 1, topic=topic))
        t += step
    found = chapters(talk, t, THEMES, ChaptersParams())
    assert found.shortest == 120
    text = youtube_text(found)
    assert all(re.match(r"^\d:\d\d:\d\d \S", line) for line in text.splitlines())
    assert_youtube_reads_them(text, 120)
    assert 5 <= len(found.chapters) <= 40  # a theme every quarter of an hour, 8 turns


@pytest.mark.parametrize("seed", range(40))
def test_any_talk_gives_chapters_youtube_reads(seed):
    """Random talks (1–6 voices, turns of a second to four minutes, every sentence function):
    chapters from 0:00 to the end, in order, none shorter than the shortest allowed, neighbours
    titled differently, each opening where a sentence does."""
    rng = random.Random(seed)
    people = [f"P{i}" for i in range(rng.randint(1, 6))]
    talk, t = [], rng.uniform(0, 20)
    for _ in range(rng.randint(1, 120)):
        length = rng.choice([rng.uniform(0.5, 5), rng.uniform(5, 240)])
        talk.append(
            said(rng.choice(people), t, t + length, rng.choice(FUNCTIONS), rng.choice(list(THEMES)))
        )
        t += length + rng.uniform(0, 3)
    duration = t + rng.uniform(0, 30)
    found = chapters(talk, duration, THEMES, ChaptersParams())
    starts = [c.start for c in found.chapters]
    assert starts[0] == 0 and found.chapters[-1].end == duration
    assert all(c.end == n.start for c, n in zip(found.chapters, found.chapters[1:], strict=False))
    assert all(c.title != n.title for c, n in zip(found.chapters, found.chapters[1:], strict=False))
    opened = {int(s.sentence.start) for s in talk}
    assert all(s in opened for s in starts[1:])
    if len(starts) > 1:
        assert_youtube_reads_them(youtube_text(found), shortest(duration, ChaptersParams()))
    assert ChapterList.from_dict(json.loads(json.dumps(found.to_dict()))) == found


def test_a_title_from_hostile_names_is_one_line_of_plain_text():
    """Speaker labels come from event pages and reviewers: YouTube refuses angle brackets in a
    description, and a WebVTT cue is markup."""
    name = "<b>Ann & Co</b>\nEvil"
    talk = [said(name, 0, 30, topic="green"), said("Bo", 30, 60, topic="digital")]
    found = chapters(talk, 60, THEMES, ChaptersParams())
    text = youtube_text(found)
    assert len(text.splitlines()) == 2 and "<" not in text and ">" not in text
    assert "‹b›Ann & Co‹/b› Evil" in text
    vtt = vtt_text(found)
    assert "<b>" not in vtt and "Ann &amp; Co" in vtt
    assert next(iter(webvtt.from_string(vtt))).text.startswith("Green transition — ‹b›Ann &amp; Co")


def test_silence_has_no_chapters_and_a_talk_of_one_voice_on_one_theme_one():
    assert chapters([], 30, THEMES, ChaptersParams()).chapters == ()
    assert youtube_text(chapters([], 30, THEMES, ChaptersParams())) == ""
    one = [said("A", t, t + 9, topic="green") for t in range(0, 600, 10)]
    found = chapters(one, 600, THEMES, ChaptersParams())
    assert [(c.start, c.end, c.title) for c in found.chapters] == [(0, 600, "Green transition — A")]


def test_a_reviewer_retitles_starts_and_joins_chapters_and_hears_of_what_found_nothing():
    talk = [
        *(said("A", t, t + 10, topic="green") for t in range(0, 300, 10)),
        *(said("B", t, t + 10, topic="digital") for t in range(300, 600, 10)),
        *(said("C", t, t + 10, topic="resilience") for t in range(600, 900, 10)),
    ]
    found = chapters(talk, 900, THEMES, ChaptersParams()).chapters
    assert [c.start for c in found] == [0, 300, 600]
    fixes = (
        {"at": 302.5, "title": "Digital twins, by B"},  # near a start: that chapter retitled
        {"at": 450, "title": "Data spaces"},  # elsewhere: a chapter starts there
        {"at": 598},  # no title: that chapter joins the one before
        {"at": 3},  # … but the first has none before it
        {"at": 120},  # nothing starts near
        {"at": 895, "title": "Too late"},  # under 10 s before the end
    )
    report = Report()
    fixed = reviewed(list(found), ChaptersParams(fixes=fixes), 900, report)
    assert [(c.start, c.title) for c in fixed] == [
        (0, "Green transition — A"),
        (300, "Digital twins, by B"),
        (450, "Data spaces"),
    ]
    assert report.applied == 3 and [n.split(":")[0] for n in report.not_applied] == [
        "chapters at 3",
        "chapters at 120",
        "chapters at 895",
    ]
    assert "nothing before it" in report.not_applied[0]
    done = chapters(talk, 900, THEMES, ChaptersParams(fixes=fixes))
    assert [c.end for c in done.chapters] == [300, 450, 900]
    assert done.review == {"applied": 3, "not_applied": report.not_applied}
