"""Handouts that go next to the slides: ``summary.docx`` (python-docx, for editors who work in
Word) and ``summary.pdf`` (WeasyPrint, from the reviewer page's print styles)."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from ..core.store import atomic_path
from .formats import clock, figure_rows, paragraph_text, paragraphs, talk_clock
from .locale import labelled, notices, translations

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: object) -> str:
    """Text Word can store (XML 1.0 forbids most control characters)."""
    return _NOT_XML.sub("", str(value if value is not None else ""))


def write_docx(
    target: Path, context: dict[str, Any], summary_dir: Path, language: str = "en"
) -> None:
    """Headings, speaker table, abstract, key figures, the timeline, takeaways per topic and
    speaker, slides with thumbnails and what was said on them, the transcript; fixed words in
    ``language``."""
    from docx import Document
    from docx.shared import Inches

    _ = translations(language).gettext
    unknown = _("Unknown speaker")

    summary, themes = context["summary"], context["themes"]
    spoken = context.get("source_lang", language)  # the transcript's language, where not the page's
    doc = Document()
    doc.core_properties.title = _text(context["title"])[:255]
    doc.core_properties.language = _language_tag(language)
    for defaults in doc.styles.element.xpath("w:docDefaults/w:rPrDefault/w:rPr"):
        _tag_language(defaults, language)
    doc.add_heading(_text(context["title"]), 0)
    if context["date"]:
        doc.add_paragraph(_text(context["date"]))
    for warning in context.get("warnings", []):
        doc.add_paragraph(_text(f"{labelled(_, _('Warning'))} {warning}"))
    if context["speakers"]:
        doc.add_heading(_("Speakers"), 1)
        _table(
            doc,
            [_(x) for x in ("Speaker", "Role", "Organisation", "Talk time", "Notes")],
            [
                (s.label, s.role, s.org, talk_clock(s.talk_time), _notes(s, language))
                for s in context["speakers"]
            ],
        )
    if context.get("not_named"):
        doc.add_paragraph(_text(context["not_named"]))
    doc.add_heading(_("Summary"), 1)
    for paragraph in summary.abstract.split("\n\n"):
        doc.add_paragraph(_text(paragraph))
    if summary.figures:
        doc.add_heading(_("Key figures"), 1)
        _table(
            doc,
            [_(x) for x in ("Figure", "Said", "Who", "When", "Slide")],
            [
                (
                    f.figure,
                    f.text + _unclear(f, _),
                    f.speaker or unknown,
                    clock(f.start)[:8],
                    f.slide,
                )
                for f in figure_rows(summary.figures)
            ],
        )
    if context["spans"]:
        doc.add_heading(_("Timeline"), 1)
        _table(
            doc,
            [_(x) for x in ("From", "To", "Topic", "Speakers")],
            [
                (
                    clock(s.start)[:8],
                    clock(s.end)[:8],
                    themes.get(s.topic, s.topic),
                    ", ".join(s.speakers),
                )
                for s in context["spans"]
            ],
        )
    if context.get("chapters"):
        doc.add_heading(_("Chapters"), 1)
        doc.add_paragraph(
            _text(f"{labelled(_, _('For the published video'))} chapters.txt, chapters.vtt")
        )
        for c in context["chapters"]:
            doc.add_paragraph(_text(f"{clock(c.start)[:8]} {c.title}"), style="List Bullet")
    for topic, points in summary.takeaways.items():
        doc.add_heading(_text(themes.get(topic, topic)), 2)
        if topic in summary.slides_by_topic:
            doc.add_paragraph(_text(f"{_('Slides')} {summary.slides_by_topic[topic]}"))
        for p in points:
            who = p.speaker or unknown
            said = f"{p.text}{_unclear(p, _)} — {who}, {clock(p.start)[:8]}"
            _point(doc, said, p, _, spoken)
    if summary.by_speaker:
        doc.add_heading(_("By speaker"), 1)
    for speaker, points in summary.by_speaker.items():
        doc.add_heading(_text(speaker), 2)
        if speaker in summary.slides_by_speaker:
            doc.add_paragraph(_text(f"{_('Slides')} {summary.slides_by_speaker[speaker]}"))
        for p in points:
            said = f"{p.text}{_unclear(p, _)} ({clock(p.start)[:8]})"
            _point(doc, said, p, _, spoken)
    if summary.questions:
        doc.add_heading(_("Questions from the audience"), 1)
    for p in summary.questions:
        who = _read_out(p, _) if p.read_out else p.speaker
        said = f"{p.text}{_unclear(p, _)} — {who or unknown}, {clock(p.start)[:8]}"
        _point(doc, said, p, _, spoken)
    if summary.slides:
        doc.add_heading(_("Slides"), 1)
        for view in summary.slides:
            heading = _("Slide %(number)s — %(title)s") % {
                "number": view.number,
                "title": view.title,
            }
            doc.add_heading(_text(heading), 2)
            image = summary_dir / view.thumbnail
            if image.is_file():  # its alternative text, as the page's
                shape = doc.add_picture(str(image), width=Inches(3.2))
                shape._inline.docPr.set("descr", _text(heading))
            times = ", ".join(f"{clock(a)[:8]}–{clock(b)[:8]}" for a, b in view.shown)
            timing = _("timing from %(method)s") % {"method": view.method}
            doc.add_paragraph(_text(f"{_('On screen')} {times} ({timing})"))
            for p in view.points:
                who = p.speaker or unknown
                doc.add_paragraph(
                    _text(f"{who}: {p.text}{_unclear(p, _)} ({clock(p.start)[:8]})"),
                    style="List Bullet",
                )
    if context["segments"]:
        doc.add_heading(_("Transcript"), 1)
    for paragraph in paragraphs(context["segments"]):  # one per speaker turn (long ones cut)
        said = doc.add_paragraph(_text(paragraph_text(paragraph)))
        if spoken and spoken != language:
            for run in said.runs:
                _tag_language(run._r.get_or_add_rPr(), spoken)
    with atomic_path(target) as tmp:
        doc.save(str(tmp))


def _language_tag(language: str) -> str:
    """``de`` → ``de-DE``: the language with its likeliest region (CLDR), as Word tags text."""
    from babel.core import get_global

    parts = get_global("likely_subtags").get(language, language).split("_")
    return f"{parts[0]}-{parts[-1]}" if len(parts) > 1 else parts[0]


def _tag_language(properties: Any, language: str) -> None:
    """Text of these run ``properties`` is in ``language`` (for screen readers and spelling)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tag = properties.find(qn("w:lang"))
    if tag is None:
        tag = OxmlElement("w:lang")
        properties.append(tag)
    tag.set(qn("w:val"), _language_tag(language))


def _table(doc: Any, headings: list[str], rows: list[tuple[str, ...]]) -> None:
    """A grid table: the headings (a header row, repeated on every page and read as the cells'
    headers), then one row of text per item."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    table = doc.add_table(rows=1, cols=len(headings))
    table.style = "Light Grid Accent 1"
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    table.rows[0]._tr.get_or_add_trPr().append(header)
    for cell, heading in zip(table.rows[0].cells, headings, strict=True):
        cell.text = heading
    for values in rows:
        for cell, value in zip(table.add_row().cells, values, strict=True):
            cell.text = _text(value)


def _notes(speaker: Any, language: str) -> str:
    """A speaker's notes in ``language``, the reasons they are uncertain first."""
    said = [notices(speaker.notes, language)] if speaker.notes else []
    if speaker.uncertain:
        _ = translations(language).gettext
        said.insert(0, f"{labelled(_, _('Uncertain'))} {notices(speaker.uncertain, language)}")
    return "; ".join(said)


def _read_out(point: Any, gettext: Any) -> str:
    """ "read out by NAME", with the name it was read out under when one was said."""
    if point.asker:
        return gettext("%(asker)s, read out by %(name)s") % {
            "asker": point.asker,
            "name": point.speaker,
        }
    return gettext("read out by %(name)s") % {"name": point.speaker}


def _unclear(point: Any, gettext: Any) -> str:
    """ " (heard unclearly — …)" for a point or figure whose words Whisper heard poorly."""
    return (
        f" ({gettext('heard unclearly — check it against the recording')})" if point.unclear else ""
    )


def _point(doc: Any, said: str, point: Any, gettext: Any, spoken: str) -> None:
    """A bulleted point; when it is a translation, " (Original: …)" after it, those words
    marked as in the talk's language (``spoken``)."""
    paragraph = doc.add_paragraph(_text(said), style="List Bullet")
    if point.original:
        paragraph.add_run(f" ({labelled(gettext, gettext('Original'))} ")
        original = paragraph.add_run(_text(point.original))
        if spoken:
            _tag_language(original._r.get_or_add_rPr(), spoken)
        paragraph.add_run(")")


def write_pdf(target: Path, html: str, summary_dir: Path) -> None:
    """The reviewer page printed (its print styles) by WeasyPrint; scripts do not run there.
    Tagged for screen readers as PDF/UA-1 asks (headings, tables, lists, images' alternative
    text, the language, the title shown)."""
    import weasyprint

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    document = weasyprint.HTML(string=html, base_url=str(summary_dir))
    with atomic_path(target) as tmp:
        document.write_pdf(str(tmp), pdf_variant="pdf/ua-1")
