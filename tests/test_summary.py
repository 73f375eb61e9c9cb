"""Summary documents: Markdown through a real parser, the reviewer page in real headless Chromium."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from docx import Document
from markdown_it import MarkdownIt
from markupsafe import escape

from pipeline.core.config import Settings
from pipeline.core.types import (
    Deck,
    Figure,
    Interval,
    Point,
    Segment,
    Sentence,
    SentenceTopic,
    SlideMap,
    SlidePage,
    SpeakerInfo,
    Summary,
    TopicSpan,
    Word,
)
from pipeline.outputs.formats import clock, talk_clock
from pipeline.outputs.handout import write_docx
from pipeline.outputs.render import bar, environment, md_escape, render_index, render_summary
from pipeline.service.runner import run
from pipeline.stages.figures import figures
from pipeline.stages.functions import clean, function, unfinished
from pipeline.stages.restated import title_cased
from pipeline.stages.summarize import (
    SummarizeParams,
    abstract,
    attributions,
    how_well_heard,
    not_named,
    reported,
    summarize,
)
from pipeline.tools.evaluate import wer
from tests.helpers import ROOT

pytestmark = pytest.mark.check  # the fast tier: `make check`

CHROMIUM = Path("/usr/lib/chromium/chromium")
ARTIFACTS = ROOT / "tests" / "artifacts"
PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(2)>"
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian chromium not installed (make setup-test)"
)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--disable-background-networking", "--no-first-run"],
        )
        yield browser
        browser.close()


def open_page(browser, path: Path):
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    problems: list[str] = []
    dialogs: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, problems, dialogs


# WCAG 2.2 A and AA (what EN 301 549 asks of public-sector web pages) and axe's best practices
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def accessibility_problems(page) -> list[str]:
    """What axe-core (Deque's engine, run in the page) finds against ``WCAG``: one line per
    rule broken, with the elements that break it."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG}})
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']]}"
        for v in found.response["violations"]
    ]


def longest_word(text: str) -> str:
    return max((w.strip(".,;:!?\"'").lower() for w in text.split()), key=len)


def heard(line: str, candidates: list[str], bound: float = 0.35) -> bool:
    """Some candidate holds ``line`` as the recogniser may hear it (word error rate of the
    candidate's closest stretch to ``line`` within ``bound``)."""
    words = len(line.split())
    for text in candidates:
        tokens = text.split()
        stretches = [
            " ".join(tokens[i : i + words]) for i in range(max(1, len(tokens) - words + 1))
        ]
        if any(wer(line, stretch) <= bound for stretch in stretches):
            return True
    return False


def summary_dir(demo_run) -> Path:
    return demo_run.out_dir.parent.parent / "summaries" / demo_run.rec_id


def test_who_spoke_about_a_theme_made_points_or_asked_on_it(demo_run):
    """The demo's host only welcomes, hands over and thanks ("Very clear. Susana, please tell
    us about resilience.") — inside the themes' spans, about none of them: no theme names him
    among who spoke about it (it did: resilience, after Susana Remotti); each theme's
    scripted speaker leads its line, on the page as in the Markdown."""
    folder = summary_dir(demo_run)
    md, page = (folder / "summary.md").read_text(), (folder / "summary.html").read_text()
    for section, speaker in (
        ("## Green transition", "Glenda Napier"),
        ("## Digital transition", "Carolina Garcés"),
        ("## Resilience", "Susana Remotti"),
    ):
        body = md.split(section, 1)[1].split("\n## ", 1)[0]
        who = body.split("*Who spoke about it:* ", 1)[1].splitlines()[0].split(", ")
        assert who[0] == speaker and "Marek Przeor" not in who, (section, who)
    lines = re.findall(r'<p class="meta">Who spoke about it: ([^<]*)</p>', page)
    assert len(lines) == 3 and not any("Marek Przeor" in line for line in lines), lines


def test_summary_markdown_names_speakers_per_topic_and_planted_takeaways(demo_run):
    md = (summary_dir(demo_run) / "summary.md").read_text()
    data = json.loads((summary_dir(demo_run) / "summary.json").read_text())
    assert "| Glenda Napier | CEO | Energy Cluster Denmark |" in md
    assert "\n\n\n" not in md  # one blank line between blocks, however many sections are left out
    green = md.split("## Green transition", 1)[1].split("\n## ", 1)[0]
    assert "Glenda Napier" in green.split("Who spoke about it:")[1].splitlines()[0]
    digital = md.split("## Digital transition", 1)[1].split("\n## ", 1)[0]
    assert "Carolina Garcés" in digital
    resilience = md.split("## Resilience", 1)[1].split("\n## ", 1)[0]
    assert "Susana Remotti" in resilience
    # the script's planted takeaways are among their theme's takeaways, as heard (the
    # recogniser's words differ between CPUs: close to the script line, not equal to it)
    for topic, planted in (
        ("green", "climate targets are met faster when companies share infrastructure"),
        ("digital", "software and data sharing only pay off when companies trust each other"),
    ):
        assert heard(planted, [p["text"] for p in data["takeaways"][topic]]), topic
    asked = "How can a small cluster find funding for training in digital skills?"
    assert heard(asked, [q["text"] for q in data["questions"]])
    html = MarkdownIt("commonmark", {"html": True}).enable("table").render(md)
    assert "<table>" in html and "<script" not in html


def test_the_timeline_bar_keeps_each_span_at_its_time():
    """Blocks laid end to end start where their spans start: a short pause joins the span after
    it, a long one (a break, a silent start) is blank; an overlapping span adds no width."""
    spans = [
        TopicSpan("green", 0.5, 10.0, [], 1.0, 1, {}),
        TopicSpan("digital", 10.6, 20.0, [], 1.0, 1, {}),
        TopicSpan("other", 40.0, 50.0, [], 1.0, 1, {}),
        TopicSpan("green", 45.0, 48.0, [], 1.0, 1, {}),
    ]
    blocks = bar(spans, 100.0)
    assert [(s and s.topic, round(w, 3)) for s, w in blocks] == [
        ("green", 10.0),
        ("digital", 10.0),
        (None, 20.0),
        ("other", 10.0),
        ("green", 0.0),
    ]
    assert sum(w for _, w in blocks[:3]) == 40.0  # the span after the break starts at 40 %


@needs_chromium
def test_reviewer_page_in_a_real_browser(demo_files, demo_run, browser, tmp_path):
    folder = tmp_path / "elsewhere" / "page"  # the summary folder copied away from everything
    shutil.copytree(summary_dir(demo_run), folder)
    rendition = folder / "recording.opus"
    assert 0 < rendition.stat().st_size < 40_000 / 8 * demo_run.transcript.duration  # ≤ 40 kbit/s
    page, problems, dialogs = open_page(browser, folder / "summary.html")
    assert problems == [] and dialogs == []
    assert page.locator("#media-missing").is_hidden()
    spans = page.locator("#timeline span[data-t]")
    assert spans.count() >= 3 and spans.first.bounding_box()["width"] > 0
    # each topic starts in the bar where it starts in the recording (the pauses between spans
    # used to be left out, so every later span sat earlier: 10 % of the bar by the demo's end)
    box = page.locator("#timeline").bounding_box()
    for span in spans.all():
        at = float(span.get_attribute("data-t")) / demo_run.transcript.duration
        assert abs(span.bounding_box()["x"] - box["x"] - at * box["width"]) < 0.01 * box["width"]
    lines = page.locator("#transcript li")
    segments = demo_run.transcript.segments
    turns = [s for i, s in enumerate(segments) if i == 0 or s.speaker != segments[i - 1].speaker]
    assert lines.count() == len(turns)  # one paragraph per speaker turn
    page.wait_for_function("document.getElementById('media').readyState >= 1")
    target = lines.nth(10).locator("button.t")
    wanted = float(target.get_attribute("data-t"))
    target.click()
    page.wait_for_function(
        f"Math.abs(document.getElementById('media').currentTime - {wanted}) < 0.6"
    )
    # the paragraph playing is marked, for the eye and for a screen reader, and only it
    now = page.locator("#transcript li.now")
    for _ in range(40):
        if now.count() == 1 and now.get_attribute("id") == lines.nth(10).get_attribute("id"):
            break
        page.wait_for_timeout(50)
    assert now.count() == 1 and now.get_attribute("id") == lines.nth(10).get_attribute("id")
    assert page.locator("#transcript li[aria-current=time]").count() == 1
    page.evaluate("document.getElementById('media').pause()")
    # the address points at that moment: opened again, the page starts there
    assert page.url.endswith(f"#t={target.get_attribute('data-t')}")
    again = browser.new_page()
    again.goto(page.url)
    again.wait_for_load_state("load")
    assert again.locator("#transcript li.here").get_attribute("id") == lines.nth(10).get_attribute(
        "id"
    )
    again.close()
    word = longest_word(demo_run.transcript.segments[12].text)  # whatever the recogniser heard
    before = lines.all_inner_texts()
    page.fill("#q", word)
    # the count of lines found is a status a screen reader announces as it changes
    assert page.locator("#hits[role=status]").inner_text().split()[0].isdigit()
    visible = [t for t in lines.all_inner_texts() if t]
    shown = page.locator("#transcript li:not([hidden])")
    assert shown.count() >= 1 and all(word in t.lower() for t in shown.all_inner_texts())
    assert len(visible) >= shown.count()
    # the words found are marked in the lines shown, as the lines said them
    marks = page.locator("#transcript li:not([hidden]) mark")
    assert marks.count() >= shown.count() and {m.lower() for m in marks.all_inner_texts()} == {word}
    assert all(word in t.lower() for t in shown.all_inner_texts())  # the lines read as before
    page.fill("#q", "(a[")  # what a regular expression would choke on
    assert problems == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.fill("#q", "")
    assert page.locator("#transcript mark").count() == 0 and lines.all_inner_texts() == before
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / "reviewer-page.png"), full_page=False)
    page.screenshot(path=str(ARTIFACTS / "reviewer-page-full.png"), full_page=True)
    assert problems == []
    # on a phone the wide tables scroll on their own: the page itself keeps the screen's width
    # (the speaker table widened the whole page, which then scrolled sideways)
    page.set_viewport_size({"width": 400, "height": 900})
    assert page.evaluate("document.documentElement.scrollWidth") <= 400
    table = page.locator(".wide:has(#speakers)")
    assert table.bounding_box()["width"] <= 400
    assert table.evaluate("e => e.scrollWidth > e.clientWidth")  # it scrolls on its own
    page.screenshot(path=str(ARTIFACTS / "reviewer-page-phone.png"), full_page=False)


@needs_chromium
def test_a_page_without_its_recording_says_so(demo_run, browser, tmp_path):
    """The page mailed or copied alone: the player had nothing to play and said nothing (0:00,
    a grey button; clicking a time did nothing) — now a line says which file is missing and
    where it belongs, for the reader, and as a status a screen reader announces."""
    folder = tmp_path / "mailed"
    shutil.copytree(summary_dir(demo_run), folder)
    (folder / "recording.opus").unlink()
    page, problems, _dialogs = open_page(browser, folder / "summary.html")
    note = page.locator("#media-missing[role=status]")
    note.wait_for(state="visible")
    assert "recording.opus" in note.inner_text() and "beside this page" in note.inner_text()
    assert [p for p in problems if "ERR_FILE_NOT_FOUND" not in p] == []  # the browser's own line


@needs_chromium
def test_index_page_searches_every_transcript_and_deep_links_into_a_page(
    demo_files, demo_run, browser, tmp_path
):
    summaries = tmp_path / "summaries"
    shutil.copytree(summary_dir(demo_run).parent, summaries)
    page, problems, dialogs = open_page(browser, summaries / "index.html")
    assert page.locator("#webinars tbody tr").count() == 1
    topics = page.locator("#webinars tbody tr td").nth(3).inner_text()  # the themes' titles
    assert "Green transition" in topics and not re.search(r"\b(?:green|other) \d", topics)
    word = longest_word(demo_run.transcript.segments[-3].text)  # whatever the recogniser heard
    page.fill("#find", word)
    results = page.locator("#results li")
    assert results.count() >= 1
    assert {m.lower() for m in page.locator("#results li mark").all_inner_texts()} == {word}
    assert page.locator("#found[role=status]").inner_text().split()[0] == str(results.count())
    assert all(word in t.lower() for t in results.all_inner_texts())
    link = results.first.locator("a")
    href = link.get_attribute("href")
    assert href.startswith(f"{demo_run.rec_id}/summary.html#t=")
    wanted = float(href.rsplit("=", 1)[1])
    link.click()
    page.wait_for_load_state("load")
    here = page.locator("#transcript li.here")
    assert here.count() == 1 and word in here.inner_text().lower()
    page.wait_for_function(
        f"Math.abs(document.getElementById('media').currentTime - {wanted}) < 0.6"
    )
    page.go_back()
    page.fill("#find", PAYLOAD)
    assert page.locator("#results li").count() == 0
    assert problems == [] and dialogs == []
    page.set_viewport_size({"width": 400, "height": 900})  # a phone: no sideways page
    assert page.evaluate("document.documentElement.scrollWidth") <= 400


@needs_chromium
def test_the_pages_pass_an_accessibility_audit_on_a_desk_and_on_a_phone(
    demo_files, demo_run, browser, tmp_path
):
    """axe-core finds nothing against WCAG 2.2 AA on the reviewer page and the index, at a
    desk's width and a phone's. At 400 px the speaker table scrolled on its own but could not be
    reached from the keyboard ("Scrollable region must have keyboard access"): its region now
    takes the focus and is named for a screen reader."""
    summaries = tmp_path / "summaries"
    shutil.copytree(summary_dir(demo_run).parent, summaries)
    for path in (summaries / demo_run.rec_id / "summary.html", summaries / "index.html"):
        for width in (1200, 400):
            page, problems, _ = open_page(browser, path)
            page.set_viewport_size({"width": width, "height": 900})
            assert accessibility_problems(page) == [], (path.name, width)
            assert problems == []
            page.close()
    page, _, _ = open_page(browser, summaries / demo_run.rec_id / "summary.html")
    page.set_viewport_size({"width": 400, "height": 900})
    region = page.locator(".wide:has(#speakers)")
    assert region.get_attribute("aria-label") == "Speakers"
    for _ in range(100):  # the keyboard reaches it
        if region.evaluate("e => e === document.activeElement"):
            break
        page.keyboard.press("Tab")
    assert region.evaluate("e => e === document.activeElement")
    page.keyboard.press("ArrowRight")  # and scrolls it
    for _ in range(40):
        if region.evaluate("e => e.scrollLeft") > 0:
            break
        page.wait_for_timeout(50)
    assert region.evaluate("e => e.scrollLeft") > 0
    # the timeline bar takes a click only: its table does the same from the keyboard
    spans = json.loads((summaries / demo_run.rec_id / "topics.json").read_text())["spans"]
    assert page.locator("#timeline").get_attribute("aria-hidden") == "true"
    opener = page.locator("details.spans summary")
    for _ in range(200):
        if opener.evaluate("e => e === document.activeElement"):
            break
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    rows = page.locator("#spans tbody tr")
    assert rows.count() == len(spans) >= 3 and rows.nth(1).is_visible()
    assert accessibility_problems(page) == []  # the table open too
    page.wait_for_function("document.getElementById('media').readyState >= 1")
    page.keyboard.press("Tab")  # the region, then the first span's time, then the second's
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    for _ in range(40):
        if (
            abs(page.evaluate("document.getElementById('media').currentTime") - spans[1]["start"])
            < 0.6
        ):
            break
        page.wait_for_timeout(50)
    assert page.evaluate("document.getElementById('media').currentTime") == pytest.approx(
        spans[1]["start"], abs=0.6
    )


def test_every_document_has_the_timeline_as_a_table(demo_run):
    """The Markdown listed each topic span (from, to, topic, speakers); the page showed it only
    as a coloured bar, and the DOCX and the PDF not at all. Now each has the table."""
    folder = summary_dir(demo_run)
    spans = json.loads((folder / "topics.json").read_text())["spans"]
    themes = json.loads((folder / "topics.json").read_text())["themes"]
    assert len(spans) >= 3
    wanted = [
        [clock(s["start"])[:8], clock(s["end"])[:8], themes[s["topic"]], ", ".join(s["speakers"])]
        for s in spans
    ]
    tables = [
        [[c.text for c in r.cells] for r in t.rows]
        for t in Document(str(folder / "summary.docx")).tables
    ]
    assert [["From", "To", "Topic", "Speakers"], *wanted] in tables
    page = (folder / "summary.html").read_text(encoding="utf-8")
    rows = re.findall(
        r"<tr><td>(.*?)</td></tr>", page.split('<table id="spans">')[1].split("</table>")[0]
    )
    assert len(rows) == len(spans)
    printed = subprocess.run(
        ["pdftotext", str(folder / "summary.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    after = printed.split("The timeline as a table")[1]
    assert all(time in after for row in wanted for time in row[:2])
    slides = json.loads((folder / "slides.json").read_text())["timeline"]
    described = [
        s._inline.docPr.get("descr") for s in Document(str(folder / "summary.docx")).inline_shapes
    ]
    assert described and all(d.startswith("Slide ") for d in described)  # as the page's alt text
    assert len(described) <= len({s["number"] for s in slides})


def test_the_pdf_is_tagged_for_screen_readers(demo_run):
    """The handout PDF had no structure (pdfinfo: "Tagged: no"): a screen reader read it as one
    run of text. It is now tagged as PDF/UA-1 asks (WeasyPrint's variant): headings, tables with
    their header cells, lists, slide images with their alternative text, the title shown."""
    pdf = summary_dir(demo_run) / "summary.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    assert re.search(r"^Tagged:\s+yes$", info.stdout, re.M)
    meta = subprocess.run(["pdfinfo", "-meta", str(pdf)], capture_output=True, text=True).stdout
    assert 'pdfuaid:part="1"' in meta
    tree = subprocess.run(["pdfinfo", "-struct", str(pdf)], capture_output=True, text=True).stdout
    tags = Counter(line.split()[0] for line in tree.splitlines() if line.strip())
    assert tags["H1"] == 1 and tags["H2"] >= 5 and tags["TH"] >= 5 and tags["LI"] >= 5
    assert tags["Figure:"] >= 1  # the slides' thumbnails


def _hostile_context() -> dict:
    speaker = SpeakerInfo(
        id="S1", label=PAYLOAD, name=PAYLOAD, role=PAYLOAD, org=PAYLOAD, talk_time=10, turns=1
    )
    point = Point(PAYLOAD, PAYLOAD, 1.0, "green")
    summary = Summary(
        PAYLOAD,
        {"green": [point]},
        {PAYLOAD: [point]},
        [PAYLOAD],
        [(PAYLOAD, "ORG", 2)],
        [point],
        {"green": 1.0},
        {"skills": 1},
    )
    return {
        "title": PAYLOAD,
        "date": "2024-05-15",
        "recording": PAYLOAD + ".mp4",
        "media_src": "x.mp4",
        "media_kind": "video",
        "duration": 10.0,
        "speakers": [speaker],
        "summary": summary,
        "themes": {"green": PAYLOAD, "other": "Other"},
        "spans": [TopicSpan("green", 0.0, 10.0, [PAYLOAD], 0.9, 1, {})],
        "segments": [Segment(0, 1.0, 2.0, PAYLOAD, [], speaker=PAYLOAD)],
        "speakers_by_topic": {"green": [PAYLOAD]},
        "transcript_link": "../t.txt",
        "warnings": [PAYLOAD],
        "not_named": PAYLOAD,
    }


@pytest.mark.parametrize(
    ("page", "talk", "tags"), [("en", "de", ("en-US", "de-DE")), ("fr", "fr", ("fr-FR", "fr-FR"))]
)
def test_the_docx_says_its_languages_and_marks_its_header_rows(tmp_path, page, talk, tags):
    """Word read every DOCX as US English (its template's) — a German transcript in an English
    summary too: a screen reader spoke it with the wrong voice, the spelling checker marked every
    word. The document is in the page's language, the transcript's paragraphs in the talk's;
    every table's first row is its header row (read as the cells' headers, repeated on each
    page)."""
    from docx.oxml.ns import qn

    context = _hostile_context() | {"source_lang": talk}
    point = Point("We build houses from wood.", "Heike", 3.0, "green", original="Wir bauen Häuser.")
    context["summary"] = replace(context["summary"], takeaways={"green": [point]})
    write_docx(tmp_path / "s.docx", context, tmp_path, page)
    doc = Document(str(tmp_path / "s.docx"))
    assert doc.core_properties.language == tags[0]
    [default] = doc.styles.element.xpath("w:docDefaults/w:rPrDefault/w:rPr/w:lang")
    assert default.get(qn("w:val")) == tags[0]
    said = [
        p for p in doc.paragraphs if p.text.endswith(PAYLOAD) and p.text.startswith("[00:00:01]")
    ]
    assert said and all(
        (r._r.rPr is not None and r._r.rPr.find(qn("w:lang")) is not None) == (talk != page)
        for p in said
        for r in p.runs
    )
    if talk != page:
        assert said[0].runs[0]._r.rPr.find(qn("w:lang")).get(qn("w:val")) == tags[1]
    # a translated point's original words, in the talk's language
    [shown] = [p for p in doc.paragraphs if p.text.startswith("We build houses from wood.")]
    assert shown.text.endswith(" Wir bauen Häuser.)")  # "(Original: …)", "(Original : …)"
    [original] = [r for r in shown.runs if r.text == "Wir bauen Häuser."]
    assert original._r.rPr.find(qn("w:lang")).get(qn("w:val")) == tags[1]
    assert len(doc.tables) >= 2 and all(
        t.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None for t in doc.tables
    )


def test_every_place_a_point_is_shown_notes_that_it_was_heard_unclearly():
    """A takeaway, a speaker's point and an audience question that Whisper heard poorly carry
    the note in the Markdown and on the page (the questions had none before)."""
    context = _hostile_context()
    doubtful = replace(Point("Cluster sin nose sensors.", "Ada", 1.0, "green"), unclear=True)
    context["summary"] = replace(
        context["summary"],
        takeaways={"green": [doubtful]},
        by_speaker={"Ada": [doubtful]},
        questions=[doubtful],
    )
    markdown, page = render_summary(context, environment())
    note = "heard unclearly — check it against the recording"
    assert markdown.count(note) == 3 and page.count(note) == 3
    context["summary"] = replace(context["summary"], questions=[replace(doubtful, unclear=False)])
    markdown, page = render_summary(context, environment())
    assert markdown.count(note) == 2 and page.count(note) == 2


def test_the_people_of_the_event_page_no_row_names_are_listed_under_the_table(tmp_path):
    """The event page lists six, the recording names two: the other four are said under the
    speaker table (before, nothing showed them) — "not heard" when every voice has a name, "not
    named … perhaps among the speakers without a name" when one has none; in the page's
    language; nothing when everyone listed is named. Every document carries the sentence."""
    from pipeline.core.event import Speaker

    listed = [
        Speaker(name="Glenda Napier", org="Energy Cluster Denmark"),
        Speaker(name="Marek Przeor", org="DG GROW"),
        Speaker(name="Ana Ruiz (moderator)"),
    ]
    glenda = SpeakerInfo(id="S1", label="Glenda Napier", name="Glenda Napier", talk_time=9)
    anonymous = SpeakerInfo(id="S2", label="Speaker 2", talk_time=4)
    assert not_named(listed, [glenda]) == (
        "On the event page, not heard in the recording: Marek Przeor (DG GROW) and Ana Ruiz "
        "(moderator)."
    )
    assert not_named(listed, [glenda, anonymous]).startswith(
        "On the event page, not named in the recording (perhaps among the speakers without a "
        "name): Marek Przeor"
    )
    assert not_named(listed, [glenda], "de").startswith(
        "Auf der Veranstaltungsseite, in der Aufnahme nicht gehört: Marek Przeor (DG GROW) und"
    )
    everyone = [SpeakerInfo(id=f"S{i}", label=p.name, name=p.name) for i, p in enumerate(listed)]
    assert not_named(listed, everyone) == "" and not_named([], [glenda]) == ""
    context = _hostile_context()
    context["not_named"] = not_named(listed, [glenda])
    markdown, page = render_summary(context, environment())
    assert (
        "not heard in the recording: Marek Przeor (DG GROW) and Ana Ruiz (moderator)." in markdown
    )
    assert '<p class="meta" id="not-named">On the event page, not heard' in page
    write_docx(tmp_path / "s.docx", context, tmp_path)
    paragraphs = [p.text for p in Document(str(tmp_path / "s.docx")).paragraphs]
    assert context["not_named"] in paragraphs
    context["not_named"] = ""
    assert "not-named" not in render_summary(context, environment())[1]


def test_a_voice_heard_for_under_a_second_has_talk_time_not_none(tmp_path):
    """A speaker's talk time is whole seconds as the timestamps are (7.6 s: 00:00:07); a voice
    heard for 0.6 s showed 00:00:00, as if it had never spoken (AMI trn02, trn08)."""
    context = _hostile_context()
    brief = SpeakerInfo(id="S2", label="Speaker 2", talk_time=0.6, turns=1)
    context["speakers"] = [replace(context["speakers"][0], talk_time=7.6), brief]
    markdown, page = render_summary(context, environment())
    rows = [line for line in markdown.splitlines() if line.startswith("| Speaker 2 ")]
    assert len(rows) == 1 and "| < 00:00:01 |" in rows[0] and "00:00:00" not in rows[0]
    assert "| 00:00:07 |" in markdown
    assert "<td>&lt; 00:00:01</td>" in page and "<td>00:00:07</td>" in page
    write_docx(tmp_path / "s.docx", context, tmp_path)
    cells = [
        [c.text for c in r.cells] for t in Document(str(tmp_path / "s.docx")).tables for r in t.rows
    ]
    assert ["Speaker 2", "", "", "< 00:00:01", ""] in cells
    assert (talk_clock(0.6), talk_clock(7.6), talk_clock(0.0)) == (
        "< 00:00:01",
        "00:00:07",
        "00:00:00",
    )


@needs_chromium
def test_html_and_markdown_injection_shows_as_text(browser, tmp_path):
    markdown, html = render_summary(_hostile_context(), environment())
    assert "<script>alert" not in html.split("<script>(function")[0]
    path = tmp_path / "summary.html"
    path.write_text(html)
    page, problems, dialogs = open_page(browser, path)
    page.wait_for_timeout(300)
    assert dialogs == []
    assert not any(
        "Content Security Policy" in p for p in problems
    )  # own style and script allowed by hash
    assert (
        page.evaluate("document.querySelector('[data-w]').style.width") == "100%"
    )  # the script ran
    assert PAYLOAD in page.locator("#transcript li .text").first.inner_text()
    assert PAYLOAD in page.locator("h1").inner_text()
    assert page.locator("#not-named").inner_text() == PAYLOAD
    rendered = MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)
    assert "<script" not in rendered and "<img" not in rendered and "alert(1)" in rendered


def test_the_printed_page_holds_each_turn_as_one_escaped_text_and_no_script():
    """The PDF is printed from a static page: the same words per turn as the reviewer page, as
    plain (escaped) text — no per-segment elements, no search box, no script."""
    context = _hostile_context()
    context["segments"] = [
        Segment(0, 1.0, 2.0, PAYLOAD, [], speaker="S1"),
        Segment(1, 2.0, 3.0, "and <b>more</b>", [], speaker="S1"),
    ]
    _, page = render_summary(context, environment())
    _, printed = render_summary(context, environment(), static=True)
    turn = re.compile(r'<span class="text">(.*?)</span></li>', re.S)
    (as_printed,) = turn.findall(printed)
    assert as_printed == html.escape(PAYLOAD, quote=False) + " and &lt;b&gt;more&lt;/b&gt;"
    (on_page,) = turn.findall(page)
    assert html.unescape(re.sub(r"<[^>]+>", "", on_page)) == PAYLOAD + " and <b>more</b>"
    assert "<script" not in printed and 'id="q"' not in printed
    assert "<script>" in page and 'id="q"' in page
    # the speakers' colours, which the page's script sets, are written into the printed page
    marked = re.findall(r'data-c="([^"]+)"( style="border-color:([^"]+)")?', printed)
    assert marked and all(colour == given for colour, _, given in marked)
    assert 'style="border-color' not in page  # the live page under its CSP: its script sets them


def test_the_figures_of_one_sentence_share_one_row_in_every_document(tmp_path):
    """ "15 times 10 is about 150 joules" is one row of key figures ("15 · 10 · about 150 …"), not
    the same sentence three times — in the Markdown, the page and the DOCX; summary.json keeps
    every figure."""
    said = "15 times 10 is about 150 joules."
    context = _hostile_context()
    context["summary"] = replace(
        context["summary"],
        figures=[
            Figure("15", "CARDINAL", said, "A", 23.0),
            Figure("10", "CARDINAL", said, "A", 23.0),
            Figure("about 150", "CARDINAL", said, "A", 23.0),
            Figure("15 kilograms", "QUANTITY", "It weighs 15 kilograms.", "A", 10.0),
        ],
    )
    markdown, page = render_summary(context, environment())
    write_docx(tmp_path / "s.docx", context, tmp_path)
    cells = [
        c.text for t in Document(str(tmp_path / "s.docx")).tables for r in t.rows for c in r.cells
    ]
    for document in (markdown, page, "\n".join(cells)):
        assert document.count(said) == 1
        assert "15 · 10 · about 150" in document and "15 kilograms" in document


@needs_chromium
def test_index_page_shows_hostile_titles_and_passages_as_text(browser, tmp_path):
    entry = {"id": "x", "title": PAYLOAD, "date": "2024-05-15", "duration": 1.0}
    entry |= {"speakers": [PAYLOAD], "topics": [PAYLOAD]}
    passages = [
        ["x", 1.0, PAYLOAD, "green", f"hydrogen {PAYLOAD} </script><script>alert(3)</script>"]
    ]
    html = render_index([entry], passages, environment())
    assert html.count("<script") == 2  # the JSON data block and the page's own script
    path = tmp_path / "index.html"
    path.write_text(html)
    page, problems, dialogs = open_page(browser, path)
    page.fill("#find", "hydrogen")
    assert "alert(3)" in page.locator("#results li").first.inner_text()
    assert page.locator("#found").inner_text() == "1 passage"  # its words from the template
    page.wait_for_timeout(300)
    assert dialogs == [] and problems == []
    assert PAYLOAD in page.locator("#webinars tbody tr").first.inner_text()


def test_the_index_lists_the_newest_first_and_the_undated_by_title(tmp_path):
    """Webinars on the index: newest first; on one day, and those without a date (after every
    dated one), from A to Z by title — not Z to A, as the undated ones were listed before."""
    from pipeline.service.catalog import write_index

    for title, date in [
        ("beta talk", ""),
        ("Zeta talk", "2024-05-15"),
        ("Alpha talk", ""),
        ("Gamma talk", "2023-01-10"),
        ("Delta talk", "2024-05-15"),
    ]:
        folder = tmp_path / title.replace(" ", "-")
        folder.mkdir()
        summary = {"title": title, "date": date, "duration": 60.0, "speakers": []}
        (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    write_index(tmp_path)
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    titles = ["Delta talk", "Zeta talk", "Gamma talk", "Alpha talk", "beta talk"]
    places = [page.index(f">{title}<") for title in titles]
    assert places == sorted(places), places


def test_user_templates_override_the_packaged_ones(tmp_path):
    (tmp_path / "summary.md.j2").write_text("# {{ title | md }} (house style)\n")
    markdown, _ = render_summary(
        _hostile_context() | {"title": "EU *Clusters* Talk"}, environment(tmp_path)
    )
    assert markdown == "# EU \\*Clusters\\* Talk (house style)\n"


def test_media_link_and_none(demo_files, demo_run, tmp_path):
    """--media link puts a link to the recording beside the page (video and all), --media none
    no player; switching redoes only the media stage and the summary."""
    work = tmp_path / "work"
    shutil.copytree(demo_run.out_dir.parent.parent, work)
    settings = Settings(transcripts_dir=work / "transcripts", summaries_dir=work / "summaries")
    linked = run(demo_files.recording, replace(settings, media="link"))
    assert {s.name for s in linked.stages if s.ran} == {"media", "summarize"}
    link = linked.summary_dir / "recording.mp4"
    assert link.is_symlink() and link.resolve() == demo_files.recording.resolve()
    assert not (linked.summary_dir / "recording.opus").exists()
    assert '<video id="media"' in (linked.summary_dir / "summary.html").read_text()
    none = run(demo_files.recording, replace(settings, media="none"))
    assert not any(p.name.startswith("recording.") for p in none.summary_dir.iterdir())
    assert 'id="media"' not in (none.summary_dir / "summary.html").read_text()


@needs_chromium
def test_a_video_on_the_page_shows_captions_that_name_who_speaks(
    demo_files, demo_run, browser, tmp_path
):
    """With --media link the page plays the recording's video, which had no captions (axe: "<video>
    elements must have captions", WCAG 1.2.2). It now carries them — the transcript's cues, the
    first of a turn naming its speaker, as a data: URI (Chromium refuses a track file beside a
    page opened from disk) — shown by default, the one said at the time played."""
    import base64
    import io

    import webvtt
    import yaml

    work = tmp_path / "work"
    shutil.copytree(demo_run.out_dir.parent.parent, work)
    settings = Settings(transcripts_dir=work / "transcripts", summaries_dir=work / "summaries")
    linked = run(demo_files.recording, replace(settings, media="link"))
    shown = (linked.summary_dir / "summary.html").read_text(encoding="utf-8")
    src = re.search(
        r'<track kind="captions" srclang="en" label="English" src="([^"]+)" default>', shown
    )
    assert src and shown.count("<track ") == 1  # an English talk: no translation to show
    vtt = base64.b64decode(src[1].removeprefix("data:text/vtt;base64,")).decode()
    written = list(webvtt.from_buffer(io.StringIO(vtt)))
    people = {p["name"] for p in yaml.safe_load(demo_files.sidecar.read_text())["speakers"]}
    openers = [c.text.split(":")[0] for c in written if ":" in c.text.split("\n")[0]]
    assert written[0].text.split(":")[0] in people and len(set(openers) & people) >= 4
    assert all(len(line) <= 42 for c in written for line in c.text.split("\n"))
    page, problems, _ = open_page(browser, linked.summary_dir / "summary.html")
    track = "document.getElementById('media').textTracks[0]"
    for _ in range(40):
        if page.evaluate(f"{track}.cues && {track}.cues.length") == len(written):
            break
        page.wait_for_timeout(50)
    assert page.evaluate(f"[{track}.mode, {track}.kind, {track}.cues.length]") == [
        "showing", "captions", len(written),
    ]  # fmt: skip
    cue = written[len(written) // 2]
    page.evaluate(
        f"document.getElementById('media').currentTime = {(cue.start_in_seconds + cue.end_in_seconds) / 2}"
    )
    for _ in range(40):
        if page.evaluate(f"{track}.activeCues.length"):
            break
        page.wait_for_timeout(50)
    assert page.evaluate(f"{track}.activeCues[0].text") == cue.text
    assert problems == [] and accessibility_problems(page) == []


def timed(text: str, start: float, end: float) -> list[Word]:
    """``text``'s words spread evenly over ``start``–``end``, as Whisper times them."""
    words = text.split()
    step = (end - start) / len(words)
    return [
        Word(start + i * step, start + (i + 1) * step, " " + w, 0.9) for i, w in enumerate(words)
    ]


def test_a_translated_talk_s_video_has_captions_as_said_and_in_translation():
    """A German talk summarised in English: captions in German (shown by default) and the
    English translation, each labelled in the page's language; text escaped as WebVTT needs
    ("<" would open a tag); no track when nothing was said."""
    import base64

    from pipeline.core.types import Transcript, Translation
    from pipeline.outputs.render import captions
    from pipeline.stages.summarize import heard_and_translated

    said = [
        Segment(0, 0.0, 3.0, "Guten Tag, ich bin Heike <b>Schmitt</b>.", speaker="Heike Schmitt"),
        Segment(1, 3.5, 6.0, "Wir bauen Häuser aus Holz.", speaker="Heike Schmitt"),
    ]
    talk = Transcript("de", 0.99, 6.0, "faster-whisper", "base", said)
    english = [  # Whisper's translation, with word times
        Segment(i, start, start + 2.5, text, timed(text, start, start + 2.5))
        for i, (start, text) in enumerate(
            [(0.0, "Good day, I am Heike <b>Schmitt</b>."), (3.5, "We build houses from wood.")]
        )
    ]
    translation = Translation("de", "en", True, segments=english)
    tracks = captions(heard_and_translated(talk, translation), "en")
    assert [(t["lang"], t["label"]) for t in tracks] == [
        ("de", "German"), ("en", "English (translation)"),
    ]  # fmt: skip
    cues = [base64.b64decode(t["src"].split(",", 1)[1]).decode() for t in tracks]
    assert (
        "\nHeike Schmitt: Guten Tag" in cues[0] and "Heike &lt;b&gt;Schmitt&lt;/b&gt;." in cues[0]
    )
    assert "<b>" not in cues[0] + cues[1]
    assert "Wir bauen Häuser aus Holz." in cues[0] and "We build houses from wood." in cues[1]
    german = captions(heard_and_translated(talk, translation), "de")
    assert [t["label"] for t in german] == ["Deutsch", "Englisch (Übersetzung)"]
    alone = Translation("de", "de", False, why="the summary is in the talk's language")
    assert [t["label"] for t in captions(heard_and_translated(talk, alone), "de")] == ["Deutsch"]
    silent = Transcript("en", 0.0, 6.0, "faster-whisper", "base", [])
    assert captions(heard_and_translated(silent, alone), "en") == []


def test_the_page_audio_reports_its_progress_and_fails_cleanly(demo_run, tmp_path):
    """The Opus rendition tells how far it has got, in seconds of the recording, up to its
    end; a WAV ffmpeg cannot read fails with one clear error and leaves no file behind."""
    from pipeline.core.errors import PipelineError
    from pipeline.core.probe import probe
    from pipeline.stages.media import MediaParams, render_opus

    duration = demo_run.transcript.duration
    seen: list[float] = []
    target = tmp_path / "recording.opus"
    render_opus(demo_run.out_dir / "audio.wav", target, MediaParams(), duration, seen.append)
    assert seen and seen == sorted(seen)  # at least the final report (a fast machine: only it)
    assert seen[-1] == pytest.approx(duration, abs=1.0)
    assert probe(target).duration == pytest.approx(duration, abs=0.5)
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF" + bytes(200))
    with pytest.raises(PipelineError, match="could not write the audio for the page"):
        render_opus(broken, tmp_path / "other.opus", MediaParams(), duration, seen.append)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.wav", "recording.opus"]


def labelled() -> list[dict[str, str]]:
    import csv

    path = ROOT / "tests" / "data" / "sentence_functions.tsv"
    with path.open(encoding="utf-8") as f:
        return list(
            csv.DictReader((line for line in f if not line.startswith("#")), delimiter="\t")
        )


def test_sentence_functions_on_the_labelled_set():
    """≥ 200 labelled webinar sentences (and the demo scripts'): macro-F1 ≥ 0.9, on the held-out
    part too; of the held-out ways of running a call ("Your microphone seems to be off."), the
    rules alone read 11 of 20 (9 when first scored; a rule each from two probe talks reads one
    more), the rules with the model 18 (15 asked: a margin for other CPUs); of a sound check
    and a connection lost, written after the rules for them, 11 of 12 (10 asked); of a speaker
    ending a turn or handing over to a colleague (``endings-test``: 7 of 12 when scored, 11 with
    the rules of ``endings`` and ``endings2`` and "will now explain" as a hand-off), 10 asked — "Over to my colleague." and "Before I
    hand back, one last figure: …" fail on the old rules. Praise, then thanks ("Very clear, thank
    you.", ``praise``) is thanks, and a point with "thanks to" meaning "because of" stays a
    point whatever the model reads (9 of 12 before, the rules alone 4); of ``praise-test``,
    written after those rules, 12 of 12 with the model and 11 by the rules alone (10 and 9
    asked)."""
    from sklearn.metrics import f1_score

    from pipeline.models.text import sentence_vectors
    from pipeline.stages.functions import FUNCTIONS, function, functions

    rows = labelled()
    assert len(rows) >= 300 and {r["label"] for r in rows} == set(FUNCTIONS)
    splits = ("dev", "test", "demo", "calls", "probes", "late", "absences", "absences-test")
    for split in (*splits, "endings", "endings2", "sound", "endings-test", "praise"):
        part = [r for r in rows if r["split"] == split]
        texts = [r["text"] for r in part]
        found = functions(texts, sentence_vectors(tuple(texts)))
        truth = [r["label"] for r in part]
        if split == "calls":
            assert sum(map(str.__eq__, truth, found)) >= 15, list(zip(texts, found, strict=True))
            assert sum(map(str.__eq__, truth, map(function, texts))) <= 11  # the rules alone
        elif split in ("sound", "endings-test"):
            assert sum(map(str.__eq__, truth, found)) >= 10, list(zip(texts, found, strict=True))
        else:
            assert f1_score(truth, found, average="macro") >= 0.9, split
    held = [r for r in rows if r["split"] == "praise-test"]
    texts, truth = [r["text"] for r in held], [r["label"] for r in held]
    found = functions(texts, sentence_vectors(tuple(texts)))
    assert sum(map(str.__eq__, truth, found)) >= 10, list(zip(texts, found, strict=True))
    assert sum(map(str.__eq__, truth, map(function, texts))) >= 9  # the rules alone


def test_a_translated_point_shows_the_words_said_during_it_not_its_whole_segment():
    """A German segment Whisper translated as two sentences: each point showed the whole
    segment as its original (the German check talk's "Will the OXIT for many years." beside
    all of "Unser Betrieb erbauen … viele Art sind."); now the words said during it, the whole
    segment only where none fell to it, nothing for a part not translated."""
    from pipeline.core.types import Translation, Word
    from pipeline.stages.summarize import said_beside

    german = ["Unser", "Betrieb", "baut", "Häuser", "aus", "Holz.", "Das", "speichert", "CO2."]
    words = [Word(float(i), i + 0.8, f" {w}", 0.9) for i, w in enumerate(german)]
    segment = Segment(3, 0.0, 8.8, " ".join(german), words)
    english = [
        (0.0, 5.8, "Our company builds houses from wood.", 3),
        (6.0, 8.8, "That stores CO2.", 3),
        (20.0, 21.0, "Hello.", 9),  # a segment not translated (a talk in two languages)
    ]
    items = [
        SentenceTopic(Sentence(a, b, "A", t, k), "green", 1.0, [], "content")
        for a, b, t, k in english
    ]
    plain = Segment(9, 20.0, 21.0, "Hello.", [])
    only = Translation("de", "en", True, only=[(0.0, 10.0)])
    assert said_beside(items, [segment, plain], only) == [
        "Unser Betrieb baut Häuser aus Holz.",
        "Das speichert CO2.",
        "",
    ]
    far = replace(items[1], sentence=replace(items[1].sentence, start=60.0, end=61.0))
    assert said_beside([items[0], far], [segment], only) == [segment.text, segment.text]


def test_thanks_to_meaning_because_of_after_an_opener_stays_a_point():
    """The rules read "thanks to" meaning "because of" past the word a sentence opens with ("And
    thanks to the fund, it worked."); the guard on the model read the whole sentence, so the
    model turned four of these seven points into thanks."""
    from pipeline.models.text import sentence_vectors
    from pipeline.stages.functions import functions

    said = [
        "And thanks to the fund, it worked.",
        "So thanks to this programme, we won.",
        "And thanks to the cluster, the project happened.",
        "Well, thanks to the network, it was a success.",
        "And thanks to the partners in the region, we did it.",
        "So thanks to Horizon Europe, we could start.",
        "And thanks to the support of the region, we reached our target.",
    ]
    assert functions(said, sentence_vectors(tuple(said))) == ["content"] * len(said)


@pytest.mark.check
def test_a_listed_name_and_organisation_with_a_few_words_around_them_is_no_point():
    """A probe talk's guest said "Hej from Sweden, Tomas Berg from Nordic Wood Cluster." —
    Whisper wrote "Hedge from Sweden, …" — and the abstract's Green paragraph quoted it: a
    listed person's whole name and an organisation after it, with at most four other words, is
    an introduction (or a host presenting her), wherever in the sentence. More words, or no
    event page, leave it content."""
    from pipeline.stages.functions import function

    listed = ["Tomas Berg", "Lucia Ferrante"]
    for said in (
        "Hedge from Sweden, Tomas Berg from Nordic Wood Cluster.",
        "You can hear everybody Lucia Ferrante from the Lombardy Plastics Cluster.",
    ):
        assert function(said, "en", listed) == "introduction", said
        assert function(said) == "content", said
    visited = "Last year we visited Tomas Berg from Nordic Wood Cluster to see their sawmills."
    assert function(visited, "en", listed) == "content"
    assert function("Lucia, I think we can hear you now.", "en", listed) == "housekeeping"


@pytest.mark.check
def test_a_sentence_about_a_listed_person_is_no_point_of_the_speaker():
    """A probe talk's host read a guest's biography ("Dr. Elena Rossi holds a PhD …") and the
    abstract's Green paragraph said the host said it: a sentence opening with a listed person's
    whole name (a title before it or not, Whisper's spelling too: "Coen" for Koen) and a verb
    is her presentation, or a retelling of what she said — in any language. "… and I" after the
    name, a comma (speaking to her), a possessive, or no event page leave it content."""
    from pipeline.stages.functions import function

    listed = ["Elena Rossi", "Koen Peeters", "Julia Hoffmann"]
    for said, language in (
        ("Dr. Elena Rossi holds a PhD in chemistry and has led her cluster since 2015.", "en"),
        ("Coen Peeters comes from Flanders, as Elena said.", "en"),
        ("So Elena Rossi showed us that plastics can be made from plant waste.", "en"),
        ("Frau Julia Hoffmann leitet seit zehn Jahren das Energie Cluster Nord.", "de"),
    ):
        assert function(said, language, listed) == "introduction", said
        assert function(said, language) == "content", said
    for said in (
        "Koen Peeters and I have worked together on this for years.",
        "Elena Rossi's cluster has three hundred members.",
        "Elena has a background in chemistry.",  # a first name alone: too often a reply to her
        "Elena Rossi, as you said, the crops come first.",
    ):
        assert function(said, "en", listed) == "content", said


@pytest.mark.check
def test_a_host_going_on_about_the_guest_she_presents_makes_no_point():
    """A probe talk's host read a guest's biography over two sentences — "Bram de Jong directs
    the Northern Netherlands Hydrogen Valley. He has worked on energy projects for twenty
    years." — and the abstract's Green paragraph opened "Sofia Lindqvist said that he has worked
    on energy projects for 20 years.": a sentence opening with "he" or "she" right after an
    introduction goes on with it. After a point, or opening otherwise, it stays content."""
    from pipeline.stages.functions import function, presenting_on

    listed = ["Sofia Lindqvist", "Bram de Jong"]
    texts = [
        "Bram de Jong directs the Northern Netherlands Hydrogen Valley.",
        "He has worked on energy projects for twenty years.",
        "And she chaired the board of the valley.",
        "Our valley produces green hydrogen from offshore wind.",
        "He says that buses already run on it.",
        "Hydrogen buses already run in Groningen.",
    ]
    found = presenting_on([function(t, "en", listed) for t in texts], texts)
    assert found == ["introduction"] * 3 + ["content"] * 3


@pytest.mark.check
def test_the_programme_naming_two_listed_people_is_housekeeping():
    """A host's programme names the people of the event page and what they will do: not a
    point of the green or digital transition. One listed person, or none, is no programme."""
    from pipeline.stages.functions import function

    listed = ["Glenda Napier", "Carolina Garcés", "Marek Przeor"]
    programme = (
        "First, Glenda Napier will present the green transition, "
        "then Carolina Garcés will talk about digital skills."
    )
    assert function(programme, "en", listed) == "housekeeping"
    assert function("Glenda and Carolina will share their experience.", "en", listed) == (
        "housekeeping"
    )
    assert function(programme) == "content"  # no event page: nobody known to be listed
    for said in (
        "As Glenda said, clusters will need more engineers.",
        "Our members will present the results next year.",
    ):
        assert function(said, "en", listed) == "content"
    # one listed person is no programme; a sentence about her is her presentation
    assert function("Glenda Napier will present the green transition.", "en", listed) == (
        "introduction"
    )


def test_the_shipped_sentence_function_model_is_the_labelled_examples():
    """``pipeline/data/functions-en.npz`` is what ``bench/functions.py --train`` makes of the
    labelled examples as they are now (so it cannot lag behind them)."""
    import numpy as np

    from pipeline.models.text import sentence_vectors
    from pipeline.stages.functions import model, train

    examples = [r for r in labelled() if r["split"] in ("dev", "demo")]
    fresh = train(
        sentence_vectors(tuple(r["text"] for r in examples)), [r["label"] for r in examples]
    )
    shipped = model("en")
    assert shipped is not None and shipped.classes == fresh.classes and shipped.c == fresh.c
    assert np.allclose(shipped.coef, fresh.coef, rtol=1e-3, atol=1e-3)
    assert np.allclose(shipped.intercept, fresh.intercept, rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the demo through a telephone line: Whisper heard "Susana" as "Sumana", so only the
        # phrasing says the floor is handed on — the abstract had quoted it as a point
        ("Very clear, Sumana, please tell us about resilience.", "handoff"),
        ("Great, thank you, Marco, would you like to add something?", "handoff"),
        ("For green projects, please start with the innovation fund.", "content"),
        ("In Denmark, in Aarhus, our members, please note, start early.", "content"),
    ],
)
def test_a_hand_off_after_a_short_lead_in_is_a_hand_off(text, expected):
    from pipeline.stages.functions import function

    assert function(text) == expected


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("en", "Someone in the chat asks, how do you keep young people in the region?", "question"),
        ("en", "Anna wants to know in the chat: is there funding for training?", "question"),
        ("en", "We have another question from the audience.", "housekeeping"),
        ("en", "We have time for a question from the audience.", "housekeeping"),
        ("en", "Please put your questions in the chat.", "housekeeping"),
        ("de", "Jemand fragt im Chat, wie Sie Fachkräfte halten?", "question"),
        ("de", "Wir haben noch eine Frage aus dem Publikum.", "housekeeping"),
        ("fr", "Quelqu'un demande dans le chat comment vous trouvez des partenaires ?", "question"),
        ("fr", "Nous avons une autre question du public.", "housekeeping"),
        ("it", "Qualcuno chiede nella chat come trovate i partner?", "question"),
        ("es", "Alguien pregunta en el chat cómo encuentran socios?", "question"),
        ("pl", "Ktoś pyta na czacie, jak znaleźć partnerów?", "question"),
    ],
)
def test_a_question_passed_on_from_the_chat_is_a_question(language, text, expected):
    """Read out from the chat, a question is a question — not housekeeping for naming the
    chat — and the words announcing one are housekeeping, not a point."""
    from pipeline.stages.functions import function

    assert function(text, language) == expected


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "Now, Glenda Napier will speak next."),
        ("de", "Jetzt spricht Glenda Napier über Energie."),
        ("fr", "Maintenant, c'est Glenda Napier qui prend la parole."),
        ("it", "Ora parla Glenda Napier."),
        ("es", "Ahora habla Glenda Napier."),
        ("pl", "Teraz mówi Glenda Napier."),
    ],
)
def test_who_speaks_next_is_a_hand_off_though_it_opens_with_now(language, text):
    """A hand-off whose own words open with a word the functions read past ("Ora", "Ahora",
    "Teraz", "Jetzt" are openers, as in "Ora, grazie"): before, the rest ("parla Glenda
    Napier.") was read and the hand-off became the host's point."""
    from pipeline.stages.functions import function

    names = ["Glenda Napier", "Marek Przeor"]
    assert function(text, language, names) == "handoff"


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("en", "We are now going to Sweden with Carolina Garcés.", "handoff"),
        ("de", "Jetzt reisen wir nach Italien zu Susana Remotti.", "handoff"),
        ("fr", "Passons maintenant en Italie avec Susana Remotti.", "handoff"),
        ("it", "Andiamo ora in Svezia con Carolina Garcés.", "handoff"),
        ("es", "Vamos ahora a Italia con Susana Remotti.", "handoff"),
        ("pl", "Teraz przenosimy się do Włoch, do Susany Remotti.", "handoff"),
        ("de", "Im Juni fahren wir nach Dänemark zu Glenda und besuchen die Windparks.", "content"),
        ("fr", "L'an dernier, nous sommes allés en Italie avec Susana pour visiter les usines.",
         "content"),
    ],
)  # fmt: skip
def test_the_floor_handed_on_as_a_trip_is_no_point(language, text, expected):
    """ "Let's go to Italy with Susana Remotti." in each language hands the floor on — never the
    host's takeaway — while a trip the name does not end is what it says."""
    from pipeline.stages.functions import function

    assert function(text, language, ["Glenda Napier", "Susana Remotti"]) == expected


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "Before I hand over to Glenda, one figure: our exports grew by 12 percent."),
        (
            "de",
            "Bevor ich an Glenda übergebe, noch eine Zahl: unsere Exporte wuchsen um 12 Prozent.",
        ),
        (
            "fr",
            "Avant de passer la parole à Glenda, un chiffre : nos exportations ont augmenté de 12 pour cent.",
        ),
        (
            "it",
            "Prima di passare la parola a Glenda, un dato: le nostre esportazioni sono cresciute del 12 per cento.",
        ),
        (
            "es",
            "Antes de pasarle la palabra a Glenda, un dato: nuestras exportaciones crecieron un 12 por ciento.",
        ),
        ("pl", "Zanim oddam głos Glendzie, jedna liczba: nasz eksport wzrósł o 12 procent."),
    ],
)
def test_a_point_made_before_a_hand_off_still_to_come_is_a_point(language, text):
    """The clause of a hand-off still to come is read past in every language, with the naming's
    own phrases for it (``handoff_deferred``): the number after it is a point. Before, only
    English had that clause (its own list), and the other five read a hand-off."""
    from pipeline.stages.functions import function

    assert function(text, language) == "content"
    assert function(text.split(",")[0] + ".", language) != "content"  # the clause alone


@pytest.mark.parametrize(
    ("language", "text"),
    [
        (
            "en",
            "With me are Dr. Maria Schmidt, head of research at Silicon Saxony, and Callum Reid.",
        ),
        ("en", "Joining us today are Glenda Napier and Carolina Garcés."),
        ("en", "Our panellists today are Glenda Napier, Carolina Garcés and Susana Remotti."),
        ("de", "Mit mir sind heute Heike Schmitt und Jonas Weber."),
        ("fr", "Avec moi aujourd'hui, il y a Julien Moreau et Claire Petit."),
        ("it", "Con me oggi ci sono Paolo Conti e Sara Greco."),
        ("es", "Me acompañan hoy Lucía Romero y Pablo Ruiz."),
        ("pl", "Są ze mną dziś Piotr Nowak i Anna Wiśniewska."),
    ],
)
def test_the_moderator_presenting_the_panel_is_no_point(language, text):
    """ "With me are …, head of research at …, and …" introduces people: not a point of the
    moderator's (on a probe talk it was her only main point, and its "Head", "Research" and
    "Director" were key phrases)."""
    from pipeline.stages.functions import function

    assert function(text, language) == "introduction"
    assert function("With me I always carry a list of our members' patents.") == "content"


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("en", "My question is whether small clusters can apply for Interreg funding.", "question"),
        ("en", "I would like to ask Glenda how the training is financed.", "question"),
        ("en", "I was wondering if there is funding for training.", "question"),
        ("en", "I'd like to know more about the test facilities.", "question"),
        ("en", "I have a quick question for Carolina.", "housekeeping"),
        ("en", "My question is for Inés.", "housekeeping"),
        ("en", "My question is for Inés: how do you separate cotton from polyester?", "question"),
        ("en", "I would like to ask all clusters to join the alliance.", "content"),
        ("de", "Meine Frage ist, ob kleine Cluster sich bewerben können.", "question"),
        ("fr", "Ma question est de savoir si les petits clusters peuvent candidater.", "question"),
        ("it", "Vorrei sapere se i piccoli cluster possono partecipare.", "question"),
        ("es", "Mi pregunta es si los clústeres pequeños pueden participar.", "question"),
        ("pl", "Moje pytanie brzmi, czy małe klastry mogą wziąć udział.", "question"),
    ],
)
def test_a_question_put_as_a_statement_is_a_question(language, text, expected):
    """Audiences ask in statements — "My question is whether …", "I would like to ask Glenda
    how …" — with a full stop: questions, not points; announcing one ("I have a quick question
    for Carolina.", "My question is for Inés.") runs the call; asking people to do something is
    no question."""
    from pipeline.stages.functions import function

    assert function(text, language) == expected


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("en", "Right?", "question"),
        ("en", "Sorry, what?", "question"),
        ("en", "Okay?", "question"),
        ("en", "Karen?", "handoff"),
        ("en", "So Glenda, how do you see this in Denmark?", "handoff"),
        ("de", "Richtig?", "question"),
        ("de", "Jonas?", "handoff"),
        ("fr", "Pardon ?", "question"),
        ("it", "Giusto?", "question"),
        ("es", "Perdón, ¿cómo?", "question"),
        ("pl", "Prawda?", "question"),
    ],
)
def test_an_interjection_asked_hands_the_floor_to_nobody(language, text, expected):
    """A capitalised word alone asked is a name handed the floor ("Karen?"), but "Right?",
    "Okay?", "Sorry, what?" ask nobody to speak: an AMI meeting's "Right?" was a hand-off to
    "Right", which made its speaker the host (two hand-offs) and could name an asker "Right"."""
    from pipeline.core.event import Speaker
    from pipeline.stages.functions import function
    from pipeline.stages.name import Utterance, gather

    assert function(text, language) == expected
    listed = [Speaker(name=n) for n in ("Karen Holm", "Glenda Napier", "Jonas Weber")]
    said = [Utterance(0, 0.0, text), Utterance(1, 3.0, "Hello.")]
    handed = [e.person for e in gather(said, listed, language=language) if e.kind == "hand-off"]
    assert bool(handed) == (expected == "handoff"), handed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Can you see my slides?", "housekeeping"),
        ("Do you see my presentation now?", "housekeeping"),
        ("Can you hear me now?", "housekeeping"),
        ("Can you see the difference between the two regions?", "question"),
        ("Before we start, a few practical points.", "housekeeping"),
        ("Before we started the cluster, companies worked alone.", "content"),
        ("We made three practical points to the Commission.", "content"),
        ("If I may add something to what Chloé said.", "housekeeping"),
    ],
)
def test_a_speaker_checking_the_call_asks_no_question(text, expected):
    """A presenter's "Can you see my slides?" runs the call: on a probe talk it was listed among
    the audience's questions, under the presenter; the host's "Before we start, a few
    practical points." was her first main point."""
    from pipeline.stages.functions import function

    assert function(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'm your moderator today, from the European Cluster Collaboration Platform.", "introduction"),
        ("I am the host of this webinar.", "introduction"),
        ("I'm hosting a delegation from Aarhus next week.", "content"),
    ],
)  # fmt: skip
def test_a_moderator_saying_what_she_does_introduces_herself(text, expected):
    """ "I'm your moderator today, from …" says who speaks: on a probe talk where the moderator
    never gave her name it was her main point and the abstract's digital paragraph."""
    from pipeline.stages.functions import function

    assert function(text) == expected


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("de", "Sehen Sie meine Folien?", "housekeeping"),
        ("de", "Meine Frage geht an Heike.", "housekeeping"),
        ("de", "Meine Präsentation zeigt drei Beispiele.", "content"),
        ("fr", "Vous voyez mes diapositives ?", "housekeeping"),
        ("fr", "Ma question s'adresse à Claire.", "housekeeping"),
        ("it", "Vedete le mie slide?", "housekeeping"),
        ("it", "La mia domanda è per Sara.", "housekeeping"),
        ("es", "¿Ven mis diapositivas?", "housekeeping"),
        ("es", "Mi pregunta es para Lucía.", "housekeeping"),
        ("pl", "Widać moje slajdy?", "housekeeping"),
        ("pl", "Mam pytanie do Piotra.", "housekeeping"),
    ],
)
def test_checking_the_slides_and_announcing_a_question_in_other_languages(language, text, expected):
    """The English probe talk's "Can you see my slides?" and "My question is for Inés." in the
    other languages (written by translation, no speech): running the call, not questions."""
    from pipeline.stages.functions import function

    assert function(text, language) == expected


def test_sentence_functions_in_other_languages():
    """Twenty sentences per language (de, fr, it, es, pl), written after the rules and never
    used to change them: macro-F1 ≥ 0.75 in each (measured 0.80 to 1.0). Before, every
    language was read by the English phrases: "Danke, Thomas." was content. Six more per
    language (*absences*: "Thomas lässt sich entschuldigen", "Il y a un petit changement dans
    le programme", and content like them) were scored (none of the announcements read) and
    then used: all read. So were six more per language of praise, then thanks (*praise*: "Sehr
    klar, danke.", "Très clair, merci." were points; 10 of 30, every point and no thanks); of
    *praise-test*, written after those rules, 28 of 30 (26 asked)."""
    import csv

    from sklearn.metrics import f1_score

    from pipeline.stages.functions import FUNCTIONS, function

    path = ROOT / "tests" / "data" / "sentence_functions_eu.tsv"
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader((x for x in f if not x.startswith("#")), delimiter="\t"))
    for language in ("de", "fr", "it", "es", "pl"):
        part = [r for r in rows if r["language"] == language and r["split"] == "test"]
        assert len(part) >= 20 and {r["label"] for r in part} == set(FUNCTIONS), language
        found = [function(r["text"], language) for r in part]
        truth = [r["label"] for r in part]
        assert f1_score(truth, found, average="macro") >= 0.75, language
        absences = [r for r in rows if r["language"] == language and r["split"] == "absences"]
        assert len(absences) == 6, language
        assert [function(r["text"], language) for r in absences] == [
            r["label"] for r in absences
        ], language
        praise = [r for r in rows if r["language"] == language and r["split"] == "praise"]
        assert len(praise) == 6, language
        assert [function(r["text"], language) for r in praise] == [r["label"] for r in praise]
    held = [r for r in rows if r["split"] == "praise-test"]
    assert len(held) == 30
    assert sum(function(r["text"], r["language"]) == r["label"] for r in held) >= 26


def test_an_introduction_with_a_lower_case_name_is_no_point():
    """Whisper wrote the French demo's guest as "Je suis nicola Lefèvre, Cap Digital Lyon.": the
    capitalised-name pattern missed it, and the French page's abstract said "Nicolas Lefèvre a
    déclaré : « Je suis nicola Lefèvre … »". With the event's names, a whole listed name after
    an introduction phrase makes it an introduction, in any case; without them, or with words
    that are not a listed name, nothing changes."""
    names = ["Nicolas Lefèvre", "Glenda Napier"]
    said = "Je suis nicola Lefèvre, Cap Digital Lyon."
    assert function(said, "fr", names) == "introduction"
    assert function(said, "fr") == "content"
    assert function("Hi, i'm glenda napier from Energy Cluster Denmark.", "en", names) == (
        "introduction"
    )
    for point in ("I am glad Glenda is here to share our results.", "I am happy to be here."):
        assert function(point, "en", names) == function(point, "en") != "introduction"


def test_a_talk_on_none_of_the_themes_gets_its_points_in_the_abstract():
    """A lecture on physics (every theme under 10 %) is summed up by its most central points,
    its anonymous speaker by label; where a theme has its share, themes are, by named speakers —
    by label when nobody named made a point on it (before: no paragraph at all) — after the
    other topics' points when most of the talk was on none (a real lecture that touched on
    energy was summed up by its one "green" sentence). The opening names a theme as a sentence
    does ("the green transition"; it said "they spoke about green transition")."""
    themes = {"green": "Green transition", "other": "Other"}
    points = [
        Point("Energy is conserved in a pendulum.", "Speaker 1", 10.0, "other"),
        Point("The ball comes back to my chin.", "Speaker 1", 40.0, "other"),
        Point("Heat pumps reduce emissions.", "Speaker 2", 70.0, "green"),
    ]
    takeaways = {"other": points[:2], "green": points[2:]}
    p = SummarizeParams()
    off = abstract("Lecture", "", {}, {"other": 0.95, "green": 0.05}, themes, takeaways, p)
    opening, body = off.split("\n\n")
    assert opening == "Lecture was recorded."
    assert body.startswith("Speaker 1 said that energy is conserved in a pendulum.")
    assert "Speaker 1 added: “The ball comes back to my chin.”" in body
    on = abstract("Lecture", "", {}, {"other": 0.6, "green": 0.4}, themes, takeaways, p)
    opening, other, green = on.split("\n\n")  # nobody named: by label
    assert opening == "Lecture was recorded; it touched on green transition."  # 40 %: an aside
    # most of the talk on none of the themes: its points first (before, only the 40 % was said)
    assert other == "Other: Speaker 1 said that energy is conserved in a pendulum."
    assert green == "Green transition: Speaker 2 said that heat pumps reduce emissions."
    half = abstract("Lecture", "", {}, {"other": 0.45, "green": 0.55}, themes, takeaways, p)
    assert "Other:" not in half  # most of it on a theme: the themes only
    most = abstract("Lecture", "", {}, {"other": 0.4, "green": 0.6}, themes, takeaways, p)
    assert most.startswith("Lecture was recorded; it was about green transition.\n\n")
    aside = abstract(
        "Lecture", "", {}, {"other": 0.6, "green": 0.4}, themes, takeaways, p, None, "de"
    )
    assert aside.startswith("Lecture wurde aufgezeichnet; am Rande ging es um Green transition.")
    # the theme named as a sentence names it (the built-in themes' `mention`), in the page's language
    told = replace(p, mentions={"green": "the green transition"})
    said = {"en": "it was about the green transition.", "de": "es ging um den grünen Wandel.",
            "fr": "on y a abordé la transition verte."}  # fmt: skip
    for language, words in said.items():
        text = abstract("Lecture", "", {}, {"green": 1.0}, themes, takeaways, told, None, language)
        assert text.split("\n\n")[0].endswith(words), language
    acronym = abstract("Lecture", "", {}, {"ai": 1.0}, {"ai": "AI Act"}, {}, p)
    assert acronym == "Lecture was recorded; it was about AI Act."  # no mention: the title
    named = abstract("Lecture", "", {"Speaker 3": "Ada"}, {"green": 1.0}, themes,
                     {"green": [points[2], replace(points[2], speaker="Speaker 3")]}, p)  # fmt: skip
    assert "Speaker 2" not in named and "Ada said that" in named  # a named speaker made points


def test_points_of_a_talk_whose_voices_were_not_told_apart_reach_the_abstract():
    """`--no-diarize`: no point has a speaker, and the abstract was its opening line alone (each
    point passed over for want of one). Now each theme's points are quoted, unattributed, in
    the page's language's quotation marks."""
    themes = {"green": "Green transition", "other": "Other"}
    points = [
        Point("Heat pumps reduce emissions", None, 7.0, "green"),
        Point("Solar parks need grid capacity.", None, 30.0, "green"),
    ]
    p = SummarizeParams()
    text = abstract("Talk", "", {}, {"green": 1.0}, themes, {"green": points}, p)
    assert text.split("\n\n")[1] == (
        "Green transition: “Heat pumps reduce emissions.” “Solar parks need grid capacity.”"
    )
    german = abstract("Talk", "", {}, {"green": 1.0}, themes, {"green": points[:1]}, p, None, "de")
    assert german.split("\n\n")[1].endswith(": „Heat pumps reduce emissions.“")
    lecture = abstract("Talk", "", {}, {"other": 1.0}, themes, {"other": points[:1]}, p)
    assert lecture.split("\n\n")[1] == "“Heat pumps reduce emissions.”"  # no theme: its points


def test_the_abstract_opens_with_a_capital_when_the_title_is_a_files_name():
    """Without a title in the sidecar the file's name is the title: "jfk.flac"'s abstract opened
    "jfk was recorded." (the shared recordings, 2026-12-06). A first word all in lower case gets
    a capital there; one written in mixed case ("eBay") is kept, and so is the page's heading."""
    p = SummarizeParams()
    assert abstract("jfk", "", {}, {}, {}, {}, p) == "Jfk was recorded."
    assert abstract("lewin physicsworks", "", {}, {}, {}, {}, p).startswith("Lewin physicsworks ")
    assert abstract("eBay sellers day", "", {}, {}, {}, {}, p) == "eBay sellers day was recorded."
    german = abstract("jfk", "", {"S1": "Ada"}, {}, {}, {}, p, None, "de")
    assert german == "An jfk nahmen Ada teil."  # not the sentence's first word: as written


def test_the_abstract_counts_the_speakers_when_nobody_is_named():
    """Who spoke, when nobody is named: how many (it said nothing of them), beside the date; in
    the page's language, the plural its own. Named people are named, not counted."""
    p = SummarizeParams()
    assert abstract("jfk", "", {}, {}, {}, {}, p, voices=1) == "Jfk (1 speaker) was recorded."
    three = abstract("Talk", "15 May 2024", {}, {"green": 1.0}, {"green": "Green transition"},
                     {}, replace(p, mentions={"green": "the green transition"}), voices=3)  # fmt: skip
    assert three.startswith("Talk (15 May 2024, 3 speakers) was recorded; it was about the green")
    said = {
        "de": (3, "T (3 Personen) wurde aufgezeichnet."),
        "fr": (1, "T (1 intervenant) a été enregistré."),
    }
    for language, (voices, words) in said.items():
        assert abstract("T", "", {}, {}, {}, {}, p, None, language, voices) == words
    named = abstract("Talk", "", {"S1": "Ada"}, {}, {}, {}, p, voices=2)
    assert named == "Talk brought together Ada."
    bracketed = abstract("Talk (online)", "15 May 2024", {"S1": "Ada"}, {}, {}, {}, p, voices=1)
    assert bracketed == "Talk (online), 15 May 2024, brought together Ada."  # not ") ("
    assert abstract("Talk", "", {}, {}, {}, {}, p) == "Talk was recorded."  # no count told


def test_a_clear_point_by_someone_unnamed_beats_a_doubtful_one_by_a_named_speaker():
    """A theme whose only named point was heard poorly ("Next in Amaia Etxeberria, please the
    Basque Digital Innovation Hub.", a moderator's hand-off misheard into content) is summed
    up by the clearly heard points of the unnamed speakers who made it, by label; before, the
    abstract quoted the moderator's garbled line as the theme's point."""
    themes = {"digital": "Digital transition"}
    garbled = Point("Next in Amaia Etxeberria, please the Basque Digital Innovation Hub.",
                    "Helen Brooks", 46.0, "digital", unclear=True)  # fmt: skip
    clear = Point("We trained 400 operators last year in data analytics.", "Speaker 3", 35.0,
                  "digital")  # fmt: skip
    who = {"Helen Brooks": "Helen Brooks (ECCP)"}
    p = SummarizeParams()
    text = abstract("Talk", "", who, {"digital": 1.0}, themes, {"digital": [garbled, clear]}, p)
    body = text.split("\n\n")[1]
    assert body == f"Digital transition: Speaker 3 said: “{clear.text}”"
    sure = replace(garbled, unclear=False)  # heard clearly, the named speaker's point stands
    text = abstract("Talk", "", who, {"digital": 1.0}, themes, {"digital": [sure, clear]}, p)
    assert "Helen Brooks (ECCP)" in text and "Speaker 3" not in text


def test_the_abstract_adds_no_doubtful_point_to_a_theme_with_a_clear_one():
    """A theme's paragraph publishes a point Whisper heard poorly only when it has nothing
    clearer (seen on the 60-min webinar: Glenda's clear point, then "Susana Remotti added: “I'm
    going to see if I can...”", a misheard fragment, because Susana had no point there yet)."""
    themes = {"green": "Green transition"}
    who = {"S1": "Glenda Napier", "S2": "Susana Remotti"}
    clear = Point("Our members cut their emissions by 30 percent.", "S1", 22.0, "green")
    doubtful = Point("I'm going to see if I can.", "S2", 503.0, "green", unclear=True)
    p = SummarizeParams()
    text = abstract("T", "", who, {"green": 1.0}, themes, {"green": [clear, doubtful]}, p)
    assert "Glenda Napier said" in text
    assert "Susana" not in text.split("\n\n")[1] and "going to see" not in text
    alone = abstract("T", "", who, {"green": 1.0}, themes, {"green": [doubtful]}, p)
    assert "Susana Remotti said: “I'm going to see if I can.”" in alone  # nothing clearer


@pytest.mark.parametrize(
    ("point", "language", "reads"),
    [
        ("This is the second pass these", "en", "Ada said that this is the second pass these."),
        ("We grew in the U.S.", "en", "Ada said: “We grew in the U.S.”"),
        ("Wir wachsen", "de", "Ada sagte: „Wir wachsen.“"),
    ],
)
def test_a_point_whisper_left_open_ends_its_sentence_in_the_abstract(point, language, reads):
    """Whisper wrote an AMI speaker's point without a full stop, and the abstract ran on: "…
    said that this is the second pass these Speaker 1 added: …"."""
    assert reported("Ada", point, language=language) == reads


@pytest.mark.parametrize(
    ("point", "told"),
    [
        ("After the pandemic, supply chains broke and prices rose.", "that"),
        ("There are three calls open until March.", "that"),
        ("What matters is that clusters share data.", "that"),
        ("For green projects, look at innovation funds and regional funding.", "quote"),
        ("Diversify your suppliers early.", "quote"),
        ("Stronger supply chains through shared procurement.", "quote"),
        ("Artificial intelligence, data platforms, connectivity.", "quote"),
        ("Very important for all of us: skills.", "quote"),
    ],
)
def test_the_abstract_reports_statements_and_quotes_advice_and_fragments(point, told):
    """The abstract's "X said that …" only before a statement with a subject; an advice or a
    list without a verb is quoted (before: "Ada said that for green projects, look at …")."""
    said, added = reported("Ada", point), reported("Ada", point, again=True)
    if told == "that":
        assert said == f"Ada said that {point[0].lower()}{point[1:]}"
        assert added.startswith("Ada added that ")
    else:
        assert said == f"Ada said: “{point}”" and added == f"Ada added: “{point}”"


def test_takeaways_points_and_abstract_hold_content_only(demo_files, demo_run):
    """No introduction, hand-off, thanks or housekeeping of the demo's script (as labelled by
    hand) among the takeaways, the points per speaker and the abstract; the abstract opens with
    the event and gives every theme with ≥ 10 % of the speaking time an attributed point; the
    figures said are listed with speaker, time and slide."""
    data = json.loads((summary_dir(demo_run) / "summary.json").read_text())
    not_content = [
        r["text"] for r in labelled() if r["split"] == "demo" and r["label"] != "content"
    ]
    chosen = [p["text"] for points in data["takeaways"].values() for p in points]
    chosen += [p["text"] for points in data["by_speaker"].values() for p in points]
    paragraphs = data["abstract"].split("\n\n")
    for text in chosen + paragraphs[1:]:  # none holds a non-content line, as heard
        assert not any(heard(t, [text], bound=0.2) for t in not_content if len(t.split()) >= 4), (
            text
        )
    assert paragraphs[0].startswith(
        "Green, digital and resilient through clusters (demo), 15 May 2024, brought together"
    )
    assert "Glenda Napier (Energy Cluster Denmark)" in paragraphs[0]
    themes = {
        "green": "Green transition",
        "digital": "Digital transition",
        "resilience": "Resilience",
    }
    big = [k for k, v in data["topic_share"].items() if k in themes and v >= 0.10]
    assert big and len(paragraphs) == 1 + len(big)
    listed = ("Marek Przeor", "Glenda Napier", "Carolina Garcés", "Susana Remotti")
    for label in big:
        paragraph = next(p for p in paragraphs if p.startswith(themes[label] + ":"))
        assert any(f"{name} (" in paragraph for name in listed), paragraph
    percent = [f for f in data["figures"] if f["kind"] == "PERCENT"]
    assert {f["speaker"] for f in percent} >= {"Glenda Napier", "Susana Remotti"}
    assert all(f["slide"].startswith("Slide ") and f["start"] > 0 for f in percent)
    md = (summary_dir(demo_run) / "summary.md").read_text()
    assert "## Key figures" in md and "| **" in md.split("## Key figures", 1)[1]


def content(
    said: list[str] | tuple[str, ...], who: str = "A", topic: str = "other", every: float = 10.0
) -> list[SentenceTopic]:
    """Content sentences of ``who`` on ``topic``, one every ``every`` seconds."""
    return [
        SentenceTopic(Sentence(every * i, every * i + 5, who, t, i), topic, 1.0, [], "content")
        for i, t in enumerate(said)
    ]


def spoken(said: list[tuple[str, str]]) -> list[SentenceTopic]:
    """(speaker, sentence) pairs as sentences one every 10 s, each with the function the
    sentence-function classifier gives it."""
    return [
        SentenceTopic(Sentence(10.0 * i, 10.0 * i + 5, who, t, i), "other", 1.0, [], function(t))
        for i, (who, t) in enumerate(said)
    ]


@pytest.mark.check
def test_a_figure_said_twice_in_one_sentence_is_listed_once():
    said = [
        "I'll cut it in half, and then I'll take it out in half.",
        "We cut costs by 40 percent.",
        "Later we cut them by 40 percent again.",
    ]
    found = [(f.figure, f.start) for f in figures(content(said), None)]
    assert found.count(("half", 0.0)) == 1
    assert [t for t, start in found if start > 0] == ["40 percent", "40 percent"]  # two times


@pytest.mark.check
def test_figures_restated_by_their_speaker_are_listed_where_first_said():
    """A recap that says the same figures in nearly the same words (as Whisper heard them each
    time) is one key figure, at its first time; the same words from someone else, or the same
    figure in another statement, stay."""
    said = [
        "Our members cut their carbon emissions by 30%, since 2019 unveiled renewable energy together.",
        "Our members cut their carbon emissions by 30% since 2019 and build renewable energy together.",
        "Our exports grew by 30% since 2019.",
        "Our members cut their carbon emissions by 30% since 2019 and build renewable energy together.",
    ]
    items = content(said)
    items[3] = replace(items[3], sentence=replace(items[3].sentence, speaker="B"))
    found = [(f.figure, f.start, f.speaker) for f in figures(items, None)]
    assert found == [
        ("30%", 0.0, "A"),
        ("2019", 0.0, "A"),
        ("30%", 20.0, "A"),
        ("2019", 20.0, "A"),
        ("30%", 30.0, "B"),
        ("2019", 30.0, "B"),
    ]


@pytest.mark.check
def test_a_count_comes_with_what_it_counts():
    """A key figure that is a bare count names what it counts when the noun follows closely
    ("40 critical raw materials", before: "40"); other figures stay as spaCy found them."""
    said = [
        "Our cluster mapped 40 critical raw materials and found suppliers for 60% of them.",
        "150 joules is enough to kill you.",
        "We trained 1,200 engineers and opened 3 new test labs in Lyon since 2019.",
        "Twelve of them already export.",
    ]
    found = [f.figure for f in figures(content(said), None)]
    assert found[:2] == ["40 critical raw materials", "60%"]
    assert "150 joules" in found and "1,200 engineers" in found and "3 new test labs" in found
    assert "2019" in found and "Twelve" in found  # a date; a count of nothing named after it


@pytest.mark.parametrize(
    ("language", "said", "expected"),
    [
        (
            "de",
            "Seit 2019 sparen 1.000 Firmen um 10:30 Uhr 40 Prozent, COVID-19 kostete 2,5 "
            "Millionen Euro.",
            [("2019", "DATE"), ("1.000", "CARDINAL"), ("40 Prozent", "PERCENT"),
             ("2,5 Millionen Euro", "MONEY")],
        ),
        (
            "fr",
            "Nous avons formé 1 000 soudeurs et réduit nos coûts de 30 % avec 5 millions d'euros.",
            [("1 000", "CARDINAL"), ("30 %", "PERCENT"), ("5 millions d'euros", "MONEY")],
        ),
        (
            "es",
            "Para 2030 queremos el 60 por ciento con 2 millones de euros.",
            [("2030", "DATE"), ("60 por ciento", "PERCENT"), ("2 millones de euros", "MONEY")],
        ),
        (
            "it",
            "Abbiamo 40 soci e il 60 per cento dei fondi.",
            [("40", "CARDINAL"), ("60 per cento", "PERCENT")],
        ),
        (
            "pl",
            "Mamy 40 członków i 3 mld zł, czyli 25 procent budżetu.",
            [("40", "CARDINAL"), ("3 mld zł", "MONEY"), ("25 procent", "PERCENT")],
        ),
    ],
)  # fmt: skip
def test_key_figures_of_a_talk_summarised_in_its_own_language(language, said, expected):
    """With `--summary-language same` a German, French, Spanish, Italian or Polish talk keeps
    its key figures (before: none — only the English pipeline found them): numbers in digits
    with the language's words for percent, money and scale; not a clock time, not the 19 of
    COVID-19; only from content."""
    items = [
        SentenceTopic(Sentence(0.0, 5.0, "A", said, 0), "other", 1.0, [], "content"),
        SentenceTopic(
            Sentence(6.0, 9.0, "B", f"Danke, 2024 {said}", 1), "other", 1.0, [], "thanks"
        ),
    ]
    assert [(f.figure, f.kind) for f in figures(items, None, language)] == expected
    summary = summarize(items, {"other": "Other"}, set(), title="t", language=language)
    assert [f.figure for f in summary.figures] == [figure for figure, _ in expected]
    assert {(f.speaker, f.start) for f in summary.figures} == {("A", 0.0)}


def _green_points(said: list[tuple[str, str]]) -> list[SentenceTopic]:
    """(speaker, sentence) pairs as green content, one every ten seconds."""
    return [
        SentenceTopic(Sentence(10.0 * i, 10.0 * i + 5, who, t, i), "green", 1.0, [], "content")
        for i, (who, t) in enumerate(said)
    ]


def test_a_sentence_cut_off_mid_way_is_no_takeaway_when_whole_ones_are_there():
    """A sentence cut at a pause or at a translated segment's edge ("… but I'm often a"), or
    the rest of one whose start another voice said ("the same explosives at the same time.") is
    not quoted as a point while the topic or speaker has whole sentences; with nothing else it
    still is, rather than nothing."""
    said = [
        ("A", "Our members build offshore wind farms and solar parks in the north."),
        ("A", "The wind farms and solar parks of our members grow every year, and"),
        ("A", "Solar parks and wind farms need engineers with new skills!"),
        ("B", "Our cluster trains welders for the offshore wind farms of"),
        ("A", "the wind farms and solar parks of our members need engineers and welders."),
    ]
    summary = summarize(_green_points(said), {"green": "Green transition"}, set(), title="t")
    assert [pt.start for pt in summary.takeaways["green"]] == [0.0, 20.0]
    assert [pt.start for pt in summary.by_speaker["A"]] == [0.0, 20.0]
    assert [pt.start for pt in summary.by_speaker["B"]] == [30.0]  # nothing whole: the fragment


def test_a_sentence_that_stops_on_an_article_is_never_a_point():
    """A sentence that stops on a word no sentence ends on — "I think it should be a", the
    last words of an AMI excerpt before another voice took over — is no point even when the
    speaker said nothing else (before: it was their one "main point"); a sentence that ends on
    a capital letter ("We chose plan A.") or on a preposition ("… thinking of.") is whole."""
    assert not unfinished("We chose plan A.")
    said = [
        ("A", "Our members build offshore wind farms and solar parks in the north."),
        ("B", "I think it should be a"),
        ("C", "Our cluster picked the old harbour as its test site."),
        ("C", "That is the project I was thinking of."),
        ("A", "Solar parks and wind farms need engineers with new skills and"),
    ]
    summary = summarize(_green_points(said), {"green": "Green transition"}, set(), title="t")
    assert "B" not in summary.by_speaker
    assert [pt.start for pt in summary.by_speaker["A"]] == [0.0]
    assert [pt.start for pt in summary.by_speaker["C"]] == [20.0, 30.0]
    assert 10.0 not in [pt.start for pt in summary.takeaways["green"]]


@pytest.mark.parametrize(
    ("language", "cut", "whole"),
    [
        ("de", "Ich glaube, das sollte eine", "Das leuchtet mir ein."),
        ("fr", "Je pense que ce serait une", "Donnez-le."),
        ("it", "Penso che sia una", "Penso che sia così."),
        ("es", "Creo que debería ser una", "Creo que sí."),
        ("pl", "Myślę, że to powinna być i", "Myślę, że tak."),
    ],
)
def test_a_sentence_cut_off_is_told_in_each_language(language, cut, whole):
    """Each language's words a sentence is not finished on (``unfinished`` in
    ``functions-<language>.yaml``)."""
    assert unfinished(cut, language) and not unfinished(whole, language)


def test_a_sentence_whisper_heard_poorly_is_a_point_only_when_nothing_clearer_is_left():
    """A takeaway is published as heard: a sentence whose words Whisper gave a low mean
    probability (likely misheard — "Digital Europe, Problem Support, Skill Training, and Clusters
    Cannot Light Againer with Univiricity.") is not quoted as a point, nor in the abstract,
    while better-heard ones are left; with nothing else it still is, rather than nothing."""
    said = [  # the first is the most central of the three (it shares the most words)
        "Clusters help small companies with digital skills, testing and funding.",
        "Clusters give small companies access to digital skills.",
        "Small companies find funding for testing through clusters.",
        "Our members cut their emissions by 30 percent since 2019.",
        "The Univiricity Institute in Berlin opened a new office for the members.",
    ]
    probabilities = [[0.9, 0.3, 0.4, 0.5, 0.6, 0.4, 0.5, 0.6, 0.7, 0.4], [0.9] * 8, [0.8] * 8,
                     [0.4, 0.5, 0.6, 0.5, 0.4, 0.6, 0.5, 0.7, 0.5, 0.6], [0.3] * 13]  # fmt: skip
    segments = []
    for i, (text, probs) in enumerate(zip(said, probabilities, strict=True)):
        words = [
            Word(10.0 * i + j * 0.5, 10.0 * i + j * 0.5 + 0.4, f" {w}", q)
            for j, (w, q) in enumerate(zip(text.split(), probs, strict=False))
        ]
        segments.append(Segment(i, 10.0 * i, 10.0 * i + 5, text, words))
    items = [
        SentenceTopic(Sentence(10.0 * i, 10.0 * i + 5, "A", t, i), topic, 1.0, [], "content")
        for i, (t, topic) in enumerate(zip(said, ["digital"] * 3 + ["green", "other"], strict=True))
    ]
    heard = how_well_heard([it.sentence for it in items], segments)
    bound = SummarizeParams().well_heard
    assert heard[0] < bound <= min(heard[1], heard[2]) and max(heard[3], heard[4]) < bound
    themes = {"digital": "Digital transition", "green": "Green transition"}
    p = replace(SummarizeParams(), per_topic=1, per_speaker=2)
    as_said = summarize(items, themes, set(), title="t", p=p)  # every sentence taken as well heard
    assert [pt.start for pt in as_said.takeaways["digital"]] == [0.0]  # the most central
    clear = summarize(items, themes, set(), title="t", p=p, heard=heard)
    assert [pt.start for pt in clear.takeaways["digital"]] != [0.0]
    assert [pt.start for pt in clear.takeaways["green"]] == [30.0]  # nothing clearer on it
    assert 0.0 not in [pt.start for pt in clear.by_speaker["A"]]
    assert "testing and funding" not in clear.abstract
    assert clear.takeaways["green"][0].unclear  # published, but marked for the reviewer
    assert not any(pt.unclear for pt in clear.takeaways["digital"])
    assert clear.figures and all(f.unclear for f in clear.figures)  # 30 percent, 2019
    assert not any(f.unclear for f in as_said.figures)
    # names and places only from what was heard clearly: a misheard name is no organisation
    assert {"The Univiricity Institute", "Berlin"} <= {name for name, _, _ in as_said.entities}
    assert not {"The Univiricity Institute", "Berlin"} & {name for name, _, _ in clear.entities}


def test_the_page_marks_the_points_whisper_heard_poorly(demo_run):
    """Every point (and question from the audience) taken although Whisper heard it poorly
    carries a note to check it against the recording, on the page and in the Markdown; the
    others do not; the abstract quotes no
    such point for a theme that had a clearer one."""
    folder = summary_dir(demo_run)
    data = json.loads((folder / "summary.json").read_text())
    page = (folder / "summary.html").read_text()
    markdown = (folder / "summary.md").read_text()
    note = "heard unclearly — check it against the recording"
    points = [
        pt for pts in [*data["takeaways"].values(), *data["by_speaker"].values()] for pt in pts
    ] + data["questions"]
    for pt in points:
        lines = [x for x in markdown.splitlines() if x.startswith(f"- {pt['text']}")]
        assert lines and all((note in x) == pt["unclear"] for x in lines), pt["text"]
        item = re.search(re.escape(str(escape(pt["text"]))) + r"(.{0,120})", page)
        assert item and (note in item.group(1)) == pt["unclear"], pt["text"]
    for view in data["slides"]:
        for pt in view["points"]:
            rows = [
                x
                for x in markdown.splitlines()
                if x.endswith(f": {pt['text']}") or f": {pt['text']} " in x
            ]
            assert rows and all((note in x) == pt["unclear"] for x in rows), pt["text"]
    for f in data["figures"]:
        rows = [x for x in markdown.splitlines() if f"| {f['text']}" in x]
        assert rows and all((note in x) == f["unclear"] for x in rows), f["text"]
    for label, pts in data["takeaways"].items():
        if any(not pt["unclear"] for pt in pts):
            assert not any(pt["text"] in data["abstract"] for pt in pts if pt["unclear"]), label


def test_key_phrases_and_entities_come_from_what_was_said_not_from_who_spoke():
    """Greetings, thanks and hand-offs give no key phrase ("Many thanks", "Good morning"), and
    the listed people's names are in the speaker table, not among phrases or organisations."""
    said = [
        ("Good morning, and welcome to this EU Clusters Talk.", "thanks"),
        ("Many thanks, Glenda Napier. Let's hear from Carolina Garcés.", "handoff"),
        ("Our members build offshore wind farms and green hydrogen plants in Denmark.", "content"),
        ("Carolina Garcés and her team opened a testing facility for robots.", "content"),
        ("Clusters need engineers with new skills for green hydrogen plants.", "content"),
    ]
    items = [
        SentenceTopic(Sentence(10.0 * i, 10.0 * i + 5, "A", t, i), "other", 1.0, [], function)
        for i, (t, function) in enumerate(said)
    ]
    listed = {"Glenda Napier", "Carolina Garcés", "Marek Przeor"}
    summary = summarize(items, {"other": "Other topics"}, listed, title="t")
    names = {n.lower() for person in listed for n in (person, *person.split())}
    phrases = {p.lower() for p in summary.key_phrases}
    assert "green hydrogen plants" in phrases
    assert not phrases & (names | {"many thanks", "good morning", "eu clusters talk"})
    assert not {text.lower() for text, _, _ in summary.entities} & names


def test_a_theme_said_in_capitals_is_no_organisation():
    """spaCy reads "the Green Transition" and "the Digital Transition" as a place and an
    organisation; they are the themes' titles, so not listed; real names beside them stay."""
    said = [
        "Clusters help small companies take part in the Green Transition.",
        "The Digital Europe Programme supports skills training for the Digital Transition.",
        "Energy Cluster Denmark works with Mobile Heights on offshore wind.",
    ]
    items = [
        SentenceTopic(Sentence(10.0 * i, 10.0 * i + 5, "A", t, i), "green", 1.0, [], "content")
        for i, t in enumerate(said)
    ]
    themes = {"green": "Green transition", "digital": "Digital transition", "other": "Other"}
    plain = summarize(items, {"other": "Other topics"}, set(), title="t")
    assert {"the Green Transition", "the Digital Transition"} <= {t for t, _, _ in plain.entities}
    found = {text for text, _, _ in summarize(items, themes, set(), title="t").entities}
    assert "Transition" not in " ".join(found)
    assert {"Digital Europe Programme", "Mobile Heights"} <= found


def test_a_phrase_whisper_capitalised_now_and_then_is_no_organisation():
    """A name is written alike each time it is said; words Whisper capitalised once but wrote
    in lower case more often are no organisation (the 60-min webinar listed "Club Clusters
    (ORG, 4×)" and "Green Hydrogen (ORG, 2×)", said far more often in lower case). Names said
    once, or always alike, stay."""
    said = [
        "Offshore wind and Green Hydrogen need new skills in the region.",
        "Club Clusters share data centres to save energy and money.",
        "Our members build green hydrogen plants with Mobile Heights.",
        "Club clusters share data centres to save energy and money.",
        "Green hydrogen is the fuel of our heavy industry.",
        "The Digital Europe Programme supports skills training.",
        "Club clusters share data centres to save energy and money.",
    ]
    found = {t for t, _, _ in summarize(content(said), {"other": "Other"}, set(), "t").entities}
    assert found == {"Mobile Heights", "Digital Europe Programme"}
    once = {t for t, _, _ in summarize(content(said[:2]), {"other": "Other"}, set(), "t").entities}
    assert {"Green Hydrogen", "Club Clusters"} <= once  # nothing says otherwise: kept


def test_key_phrases_in_nearly_the_same_words_are_listed_once():
    """Whisper's two hearings of one phrase ("Club clusters", "Cloud clusters") are one key
    phrase; a longer phrase that contains a shorter one is another."""
    said = [
        "Club clusters share data centres to save energy and money.",
        "Our members build offshore wind farms and green hydrogen plants.",
        "Cloud clusters share data centres to save energy and money.",
        "Green hydrogen is the fuel of our heavy industry.",
    ]
    summary = summarize(content(said), {"other": "Other"}, set(), title="t")
    phrases = {p.lower() for p in summary.key_phrases}
    assert len(phrases & {"club clusters", "cloud clusters"}) == 1, phrases
    assert {"green hydrogen plants", "offshore wind farms"} <= phrases


def test_key_phrases_are_written_as_said_and_stay_inside_a_sentence():
    """TextRank's own text of a phrase drops apostrophes ("Denmarks offshore wind farms", "the
    regions small companies"); the page shows the words as said. A noun chunk spaCy ran over
    sentence ends in a misheard meeting ("Any Z. Any Z. E-R. I'm") is no key phrase, nor one of
    stop words only (AMI excerpts listed "what", "that", "if you"); a phrase is shown without
    the article it was said with ("the marketing expert", "that New Jersey" beside "New
    Jersey")."""
    said = [
        "Denmark's offshore wind farms grow fast.",
        "We need the region's small companies in Denmark's offshore wind farms.",
        "Oh, Ebenezer at Demisoy.",
        "Any Z. Any Z. E-R. I'm the marketing expert.",
        "I'm tired to know what that is, if you ask me, and they know something.",
        "The sandy beach was wet near my neighbor's house.",
    ]
    phrases = summarize(content(said), {"other": "Other"}, set(), title="t").key_phrases
    # no article, demonstrative or possessive pronoun before a phrase; a noun's possessive stays
    assert {"marketing expert", "neighbor's house"} <= set(phrases), phrases
    assert not [p for p in phrases if re.match(r"(?i)(?:the|a|an|that|my|our) ", p)], phrases
    assert not {p.lower() for p in phrases} & {"what", "that", "they", "something", "if you"}
    assert {"Denmark's offshore wind farms", "region's small companies"} <= set(phrases)
    assert not [p for p in phrases if "Denmarks" in p or "regions" in p], phrases
    assert not [p for p in phrases if "E-R." in p or "Any Z. Any" in p], phrases  # (an initial,
    # "Z.", may sit inside a phrase: "John F. Kennedy")
    assert "Denmark" not in phrases  # a word of a longer phrase, apostrophe or not


def test_no_key_phrase_is_a_word_of_the_title_or_a_word_of_a_longer_phrase():
    """The event's subject ("clusters", a word of its title) and a noun alone beside the longer
    phrase it heads ("companies" beside "small companies") say nothing the page does not; a
    word alone that no longer phrase holds stays ("hydrogen")."""
    said = [
        "Clusters help small companies take part in the green transition.",
        "Small companies need clusters for skills, and clusters need companies.",
        "Clusters give small companies access to testing facilities.",
        "Hydrogen is the fuel of heavy industry, and hydrogen needs wind.",
        "Companies and clusters share data centres.",
    ]
    items = content(said)
    title = "Green, digital and resilient through clusters"
    summary = summarize(items, {"other": "Other"}, set(), title=title)
    phrases = {p.lower() for p in summary.key_phrases}
    assert {"small companies", "hydrogen"} <= phrases, phrases
    assert not phrases & {"clusters", "companies"}, phrases
    untitled = {p.lower() for p in summarize(items, {"other": "Other"}, set(), "t").key_phrases}
    assert "clusters" in untitled, untitled


def test_no_organisation_is_made_of_whisper_s_title_case():
    """Whisper wrote two sentences in title case: spaCy reads "Green Projects" and "Regional
    Funding for Renewable Energy" as organisations, though the talk says each of their words in
    lower case too. Those are not listed; a name in the same sentences that the talk never says in
    lower case ("Digital Europe Programme") is, as are names in plainly cased sentences."""
    said = [
        "Good Question, Digital Europe Programme Support Skills Training, and Clusters Can Apply "
        "Together with University.",
        "And for Green Projects, Look at Innovation Fund, and at Regional Funding for Renewable "
        "Energy.",
        "Small clusters can apply together with a university for skills training.",
        "For green projects, look at the Innovation Fund and at regional funding for renewable "
        "energy.",
        "Our members in Denmark build offshore wind farms.",
    ]
    summary = summarize(content(said), {"other": "Other"}, set(), title="t")
    found = {name for name, _, _ in summary.entities}
    assert {"Digital Europe Programme", "Denmark"} <= found, found
    assert any("Innovation Fund" in name for name in found), found
    assert not found & {
        "Green Projects",
        "Regional Funding for Renewable Energy",
        "Clusters Can Apply Together with University",
    }, found


@pytest.mark.check
def test_what_a_speaker_says_again_in_nearly_the_same_words_is_shown_once():
    """A recap or a question asked twice (as Whisper heard it each time) is one point and one
    question: the first time, or the first clearly heard; the same words from someone else are
    theirs."""
    said = [
        ("Speaker 5", "How can a small cluster find funding for trading in digital skills?"),
        ("Glenda Napier", "Clusters share data centres to save energy and money."),
        ("Speaker 6", "Club Clusters show data centers to save energy and money."),
        ("Glenda Napier", "Heat pumps in our member firms now run on offshore wind power."),
        ("Speaker 5", "How can a small cluster find funding for training in digital skills?"),
        ("Speaker 6", "Cloud clusters show data centers to save energy and money."),
    ]
    items = spoken(said)
    summary = summarize(items, {"other": "Other topics"}, {"Glenda Napier"}, title="t")
    assert [(q.speaker, q.start) for q in summary.questions] == [("Speaker 5", 0.0)]
    assert [p.start for p in summary.by_speaker["Speaker 6"]] == [20.0]
    assert [p.start for p in summary.by_speaker["Glenda Napier"]] == [10.0, 30.0]
    assert 50.0 not in {p.start for p in summary.takeaways["other"]}  # the restatement

    # the first time heard poorly: the clearly heard restatement stands for it
    heard = [0.9, 0.9, 0.3, 0.9, 0.9, 0.9]
    clearer = summarize(items, {"other": "Other topics"}, {"Glenda Napier"}, title="t", heard=heard)
    assert [(p.start, p.unclear) for p in clearer.by_speaker["Speaker 6"]] == [(50.0, False)]

    # Whisper wrote the first time in title case: the restatement in plain case stands for it
    variants = (
        "Good Question, Digital Europe Programme Support Skills Training for Clusters.",
        "Good question, the Digital Europe programme supports skills training for clusters.",
    )
    cased = content(variants, "Carolina", every=40.0)
    plain = summarize(cased, {"other": "Other topics"}, set(), title="t")
    assert [p.start for p in plain.by_speaker["Carolina"]] == [40.0]
    assert title_cased(cased[0].sentence.text) and not title_cased(cased[1].sentence.text)
    assert not title_cased("I am Marek Przeor from DG GROW, and I lead the cluster policy team.")


@pytest.mark.check
def test_a_sentence_said_again_inside_a_longer_one_is_one_point_the_longer():
    """Whisper splits a sentence said again in other places (the 60-min webinar's recaps): the
    part heard alone is said again inside the whole, which stands for both; a short sentence that
    shares only a few words with a longer one stays, and so does a fragment under four words."""
    said = (
        "We work on the digital transition.",
        "Nimbusify your supply on early, because stockpile alone do not protect a supply chain.",
        "Heat pumps in our member firms now run on offshore wind power.",
        "We work on the digital transition, artificial intelligence, data platforms and"
        " connectivity change how every factory works.",
        "One more point on resilience, diversify your supply and early, because stockpile alone"
        " do not protect a supply chain.",
        "We work on the green transition with heat pumps and offshore wind.",
        "Offshore wind.",
    )
    summary = summarize(content(said, "Carolina", "green"), {"green": "Green"}, set(), title="t")
    starts = sorted(p.start for p in summary.takeaways["green"])
    assert {30.0, 40.0} <= set(starts), starts  # the wholes
    assert not {0.0, 10.0} & set(starts), starts  # their parts said before
    assert 50.0 in starts, starts  # shares "We work on the … transition" only


@pytest.mark.check
def test_a_question_begun_again_to_say_more_is_listed_once_the_longer():
    """An AMI meeting's "What's the username? The username. What's the username and password?"
    listed two questions (one of three words is too short to be found inside a longer one): a
    sentence its speaker begins again, whole, to say more within their next two sentences is said
    again by the longer one. Another voice between, or the same words later, is another question."""
    said = [
        ("Speaker 5", "What's the username?"),
        ("Speaker 5", "The username."),
        ("Speaker 5", "What's the username and password?"),
        ("Speaker 6", "Is it ready?"),
        ("Speaker 1", "Good question."),
        ("Speaker 6", "Is it ready for use?"),
        ("Speaker 6", "Who pays it?"),
        ("Speaker 6", "It is hard."),
        ("Speaker 6", "We are small."),
        ("Speaker 6", "Who pays it in the end?"),
    ]
    summary = summarize(spoken(said), {"other": "Other topics"}, set(), title="t")
    assert [q.text for q in summary.questions] == [
        "What's the username and password?",
        "Is it ready?",
        "Is it ready for use?",
        "Who pays it?",
        "Who pays it in the end?",
    ]


@pytest.mark.check
def test_what_a_speaker_says_again_under_one_slide_is_one_point_of_that_slide():
    """Two of Whisper's variants of one sentence said while one slide was up are one of the
    slide's points — the other candidate, a different statement, gets the second place."""
    said = [
        "Club Clusters show data centers to save energy and money.",
        "Our members cut their carbon emissions by thirty percent since 2019.",
        "Cloud clusters show data centers to save energy and money.",
    ]
    items = content(said, "Speaker 6", "green")
    page = SlidePage("deck", 1, "Questions", "slides/deck-001.png", [Interval(0, 40, "video", 1)])
    slides = SlideMap([Deck("deck.pdf", "deck", 1)], [page], [])
    summary = summarize(items, {"green": "Green transition"}, set(), title="t", slides=slides)
    [view] = summary.slides
    assert sorted(p.start for p in view.points) == [0.0, 10.0]


@pytest.mark.check
def test_questions_from_the_audience_are_not_the_anonymous_host_s():
    """A host nobody named hands the floor over and asks the panel questions: those are not the
    audience's. An audience member's question to a panelist by name ("Glenda, how …?") is."""
    said = [
        ("Speaker 1", "Welcome to this talk. Glenda, the floor is yours."),
        ("Glenda Napier", "Our members build offshore wind farms in Denmark."),
        ("Speaker 1", "How do clusters keep their members engaged?"),
        ("Glenda Napier", "They meet every month and share their test facilities."),
        ("Speaker 1", "Thank you. Carolina, over to you."),
        ("Speaker 3", "Glenda, how can a small cluster find funding for training?"),
        ("Speaker 3", "And what does a testing facility cost?"),
        ("Speaker 3", "Right?"),  # a tag (AMI's "Right?" was listed), no question to publish
    ]
    items = spoken(said)
    summary = summarize(items, {"other": "Other topics"}, {"Glenda Napier"}, title="t")
    assert [(q.speaker, q.text) for q in summary.questions] == [
        ("Speaker 3", "Glenda, how can a small cluster find funding for training?"),
        ("Speaker 3", "What does a testing facility cost?"),
    ]


@pytest.mark.check
def test_a_question_from_the_chat_read_out_by_the_host_is_the_audience_s():
    """Webinars take questions in the chat, and the moderator reads them out: "Someone in the
    chat asks, how …?", or "We have a question from the audience." and the question after it.
    Those are the audience's questions, though a listed person says them — under the name they
    are read out under, when one is said ("Maria from Lombardy asks …"); the moderator's own
    questions to the panel, and "We have time for one question from the audience." followed by
    the moderator's "Who would like to start?", are not."""
    said = [
        ("Helen Brooks", "Welcome, everyone. Glenda, the floor is yours."),
        ("Glenda Napier", "Our members build offshore wind farms in Denmark."),
        ("Helen Brooks", "How do clusters keep their members engaged?"),
        ("Glenda Napier", "They meet every month and share their test facilities."),
        ("Helen Brooks", "Someone in the chat asks, how do you keep young people in the region?"),
        ("Glenda Napier", "We pair every trainee with a local company for a year."),
        ("Helen Brooks", "We have another question from the audience."),
        ("Helen Brooks", "What does a testing facility cost?"),
        ("Glenda Napier", "About two million euros, shared by forty companies."),
        ("Helen Brooks", "We have time for one question from the audience."),
        ("Helen Brooks", "Who would like to start?"),
        ("Helen Brooks", "Very clear. Maria from Lombardy asks in the Q&A, are the courses free?"),
        ("Glenda Napier", "Most of them are free for small firms."),
        ("Helen Brooks", "Yes, there is one from Jean in Brussels."),
        ("Helen Brooks", "He asks, how do you keep trained workers in the region?"),
        ("Glenda Napier", "Companies offer them contracts before the course ends."),
        ("Helen Brooks", "We have a question from Tomas in the chat, he asks."),
        ("Helen Brooks", "How can small companies afford this training?"),
        ("Glenda Napier", "The cluster pays half of the fee."),
        ("Helen Brooks", "We have a question from Maria in the chat."),
        ("Helen Brooks", "She asks how clusters can finance such investments."),
        ("Glenda Napier", "Mostly through regional funds and patient loans."),
    ]
    items = spoken(said)
    assert items[4].function == "question"  # not housekeeping, though it names the chat
    summary = summarize(
        items, {"other": "Other topics"}, {"Helen Brooks", "Glenda Napier"}, title="t"
    )
    assert [(q.speaker, q.start, q.read_out, q.asker) for q in summary.questions] == [
        ("Helen Brooks", 40.0, True, ""),
        ("Helen Brooks", 70.0, True, ""),
        ("Helen Brooks", 110.0, True, "Maria"),
        ("Helen Brooks", 140.0, True, "Jean"),
        ("Helen Brooks", 170.0, True, "Tomas"),
        ("Helen Brooks", 200.0, True, "Maria"),  # reported: "She asks how …"
    ]
    assert [q.text for q in summary.questions] == [  # without the words announcing them
        "How do you keep young people in the region?",
        "What does a testing facility cost?",
        "Are the courses free?",
        "How do you keep trained workers in the region?",
        "How can small companies afford this training?",
        "She asks how clusters can finance such investments.",
    ]
    context = _hostile_context() | {"summary": replace(summary, questions=summary.questions)}
    markdown, page = render_summary(context, environment())
    assert markdown.count("read out by Helen Brooks") == page.count("read out by Helen Brooks") == 6
    assert "— Maria, read out by Helen Brooks" in markdown
    assert "— Maria, read out by Helen Brooks" in page
    german, _ = render_summary(context, environment(language="de"))
    assert german.count("vorgelesen von Helen Brooks") == 6
    assert "Maria, vorgelesen von Helen Brooks" in german


@pytest.mark.parametrize(
    ("language", "text", "asker"),
    [
        ("en", "We have a question from Jan: how big is the fund?", "Jan"),
        ("en", "Someone in the chat asks, how do you keep young people?", None),
        ("en", "Yes, there is one from Jean in Brussels.", "Jean"),
        ("de", "Maria aus Bayern fragt, ob die Kurse kostenlos sind?", "Maria"),
        ("fr", "Maria d'Angers demande si les cours sont gratuits ?", "Maria"),
        ("it", "Maria da Milano chiede se i corsi sono gratuiti?", "Maria"),
        ("es", "María de Sevilla pregunta si los cursos son gratuitos.", "María"),
        ("pl", "Maria z Krakowa pyta, czy kursy są bezpłatne?", "Maria"),
    ],
)
def test_the_name_a_question_is_read_out_under(language, text, asker):
    """Who a question read out is from, in each language (written by translation, no speech);
    "Someone in the chat" is nobody's name."""
    from pipeline.core.language import naming

    found = next((m.group(1) for x in naming(language).asker if (m := x.search(text))), None)
    assert found == asker


@pytest.mark.parametrize(
    ("said", "does", "question"),
    [
        ("Someone asks, how can small companies pay for the passport?", "question", "How can small companies pay for the passport?"),
        ("Maria asks: how can a small company join?", "question", "How can a small company join?"),
        ("Maria asks...", "housekeeping", None),
        ("We have two questions in the chat.", "housekeeping", None),
        ("Glenda, someone in the chat asks how you train people?", "question", "Glenda, someone in the chat asks how you train people?"),
        ("The market asks for more.", "content", None),
    ],
)  # fmt: skip
def test_a_question_announced_by_who_asks_it(said, does, question):
    """A probe talk's moderator: "We have two questions in the chat. Maria asks... How can …?"
    — the question was nobody's (the plural, and "Maria asks" alone, read as nothing), and
    "Someone asks, how …?" was a hand-off. The question is shown without the words announcing
    it when they end at a comma or a colon."""
    from pipeline.stages.functions import relayed_question

    assert function(said) == does
    if question:
        assert clean(relayed_question(said)) == question


@pytest.mark.parametrize(
    ("language", "announced", "said", "question"),
    [
        ("de", "Wir haben zwei Fragen aus dem Chat.", "Maria fragt: Wie kann ein kleines Unternehmen mitmachen?", "Wie kann ein kleines Unternehmen mitmachen?"),
        ("fr", "Nous avons deux questions du chat.", "Maria demande : comment une petite entreprise peut-elle participer ?", "Comment une petite entreprise peut-elle participer ?"),
        ("it", "Abbiamo due domande dalla chat.", "Maria chiede: come può partecipare una piccola impresa?", "Come può partecipare una piccola impresa?"),
        ("es", "Tenemos dos preguntas del chat.", "María pregunta: ¿cómo puede participar una pyme?", "¿Cómo puede participar una pyme?"),
        ("pl", "Mamy dwa pytania z czatu.", "Maria pyta: jak mała firma może dołączyć?", "Jak mała firma może dołączyć?"),
    ],
)  # fmt: skip
def test_a_question_announced_by_who_asks_it_in_other_languages(
    language, announced, said, question
):
    """The English probe talk's "We have two questions in the chat. Maria asks: …?" in the
    other languages (by translation, written sentences): the announcement runs the call, the
    question is read out and shown without the words announcing it."""
    from pipeline.stages.functions import relayed, relayed_question

    assert function(announced, language) == "housekeeping" and relayed(announced, language)
    assert function(said, language) == "question"
    assert clean(relayed_question(said, language), language) == question


def test_the_docx_lists_the_audience_s_questions(tmp_path):
    """The Word handout has the questions from the audience too, as the Markdown and the page
    do (it had none): who asked, or who read a question out, and when."""
    context = _hostile_context()
    asked = Point("How do you keep young people in the region?", "Speaker 5", 40.0, "other")
    read = replace(asked, text="What does a testing facility cost?", speaker="Helen", start=70.0)
    named = replace(read, text="Are the courses free?", start=80.0, asker="Maria")
    context["summary"] = replace(
        context["summary"],
        questions=[asked, replace(read, read_out=True), replace(named, read_out=True)],
    )
    write_docx(tmp_path / "s.docx", context, tmp_path)
    texts = [p.text for p in Document(str(tmp_path / "s.docx")).paragraphs]
    at = texts.index("Questions from the audience")
    assert texts[at + 1 : at + 4] == [
        "How do you keep young people in the region? — Speaker 5, 00:00:40",
        "What does a testing facility cost? — read out by Helen, 00:01:10",
        "Are the courses free? — Maria, read out by Helen, 00:01:20",
    ]


@pytest.mark.check
def test_a_question_from_someone_who_introduces_themself_off_the_list_is_the_audience_s():
    """An audience member unmutes: "Hi, this is Mark from Lisbon. How can …?" — and CAM++ hears
    him as a panelist (a short voice merges into one of the same sex). The words say someone
    not on the event page asks: the question is the audience's, under the name he gave. A
    panelist's own question after her own introduction stays hers."""
    said = [
        ("Sarah O'Connell", "We have time for one question from the audience."),
        ("Sarah O'Connell", "Please go ahead."),
        ("Joanna Kowalczyk", "Hi, this is Mark from Lisbon."),
        ("Joanna Kowalczyk", "How can a small cluster find partners in another region?"),
        ("Joanna Kowalczyk", "Good question, Mark. Start with the partner search."),
        ("Erik Lindqvist", "Hello, I'm Erik Lindqvist from the Nordic Health Hub."),
        ("Erik Lindqvist", "How do we keep shared stocks of medical equipment?"),
    ]
    listed = {"Sarah O'Connell", "Joanna Kowalczyk", "Erik Lindqvist"}
    summary = summarize(spoken(said), {"other": "Other topics"}, listed, title="t")
    assert [(q.speaker, q.start) for q in summary.questions] == [("Mark", 30.0)]
    # a probe talk: the host hands the floor to Lea (not listed), whose voice CAM++ merged with
    # the host's — the question after it is Lea's; a listed guest handed the floor is no asker
    handed = [
        ("Sarah O'Connell", "We have a question from Lea in Lyon."),
        ("Sarah O'Connell", "Lea, go ahead."),
        ("Sarah O'Connell", "Thank you."),
        ("Sarah O'Connell", "How do you find the right partner cluster?"),
        ("Joanna Kowalczyk", "We start on the matchmaking tool."),
        ("Sarah O'Connell", "Erik, go ahead."),
        ("Sarah O'Connell", "How do you share stocks?"),
    ]
    summary = summarize(spoken(handed), {"other": "Other topics"}, listed, title="t")
    assert [(q.speaker, q.start, q.read_out) for q in summary.questions] == [("Lea", 30.0, False)]


TRICKY = [
    "C# and F#",
    "Talk #",
    "-Lewin lecture é",
    "+ plus one",
    "2024. A year of clusters",
    "1) first, 2) second",
    "# not a heading",
    "a *b* _c_ `d` ~~e~~",
    "[link](http://example.com) and ![img](x.png)",
    "<script>alert(1)</script> &amp; &copy;",
    "a | b",
    "back\\slash \\",
    "EU-Culture (Demo) 100%! {x}",
]


@pytest.mark.check
@pytest.mark.parametrize("text", TRICKY)
def test_markdown_shows_text_as_written_and_reads_plainly(text):
    """Whatever a speaker, title or reviewer wrote shows as written where the templates put it
    (a paragraph, a list item, a heading, a table cell) — and the Markdown itself stays readable:
    hyphens, brackets and exclamation marks inside a sentence are not escaped ("EU\\-Culture
    \\(Demo\\)" before), only what would be syntax."""
    md = MarkdownIt("commonmark", {"html": True}).enable("table")
    value = md_escape(text)
    for block in (value, f"- {value}", f"# {value}", f"| a |\n|---|\n| {value} |"):
        shown = html.unescape(re.sub(r"<[^>]+>", "", md.render(block))).strip()
        assert shown.splitlines()[-1] == text, (block, md.render(block))
    if text.startswith("EU-"):
        assert value == text  # nothing in it is syntax


@pytest.mark.parametrize(
    ("said", "point"),
    [
        (
            "Thanks, Inês Carvalho, our food companies need people who can cut energy use.",
            "Our food companies need people who can cut energy use.",
        ),
        ("Thank you very much, Jan. We built ten plants.", "We built ten plants."),
        ("Thank you, our members agree.", "Our members agree."),
        # thanks that carry the point stay
        ("Thanks to the Pact for Skills, we retrained 400 workers.", None),
        ("Thank you for asking: we retrained 400 workers.", None),
    ],
)
def test_a_point_loses_the_thanks_it_opens_with(said, point):
    """A probe talk's guest: "Thanks, Inês, our food companies need …" — Whisper ran her thanks
    into her point, and the abstract quoted it so. A point loses thanks to someone (a capitalised
    name) before a comma; not "thanks to" what made it possible, nor "thank you for …"."""
    assert clean(said) == (point or said)


def test_the_abstract_names_a_speaker_once_with_the_organisation_not_the_remark():
    """An event page writes "Susana Remotti (PROPLAST)" or "Marek Przeor (moderator)"; with an
    organisation as well, the prose read "Susana Remotti (PROPLAST) (PROPLAST Italy) said"."""
    people = [
        SpeakerInfo(
            "S1", "Susana Remotti (PROPLAST)", "Susana Remotti (PROPLAST)", org="PROPLAST Italy"
        ),
        SpeakerInfo("S2", "Marek Przeor (moderator)", "Marek Przeor (moderator)"),
        SpeakerInfo("S3", "Dr. Maria Keller", "Dr. Maria Keller", org="Uni X"),
        SpeakerInfo("S4", "Speaker 4"),
    ]
    assert attributions(people) == {
        "Susana Remotti (PROPLAST)": "Susana Remotti (PROPLAST Italy)",
        "Marek Przeor (moderator)": "Marek Przeor (moderator)",
        "Dr. Maria Keller": "Dr. Maria Keller (Uni X)",
    }
