"""Handouts that go next to the slides: ``summary.docx`` (python-docx, for editors who work in
Word) and ``summary.pdf`` (WeasyPrint, from the reviewer page's print styles)."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from ..core.store import atomic_path
from .formats import clock, turns

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: object) -> str:
    """Text Word can store (XML 1.0 forbids most control characters)."""
    return _NOT_XML.sub("", str(value if value is not None else ""))


def write_docx(target: Path, context: dict[str, Any], summary_dir: Path) -> None:
    """Headings, speaker table, abstract, takeaways per topic and speaker, slides with
    thumbnails and what was said on them, the transcript."""
    from docx import Document
    from docx.shared import Inches

    summary, themes = context["summary"], context["themes"]
    doc = Document()
    doc.core_properties.title = _text(context["title"])[:255]
    doc.add_heading(_text(context["title"]), 0)
    if context["date"]:
        doc.add_paragraph(_text(context["date"]))
    for warning in context.get("warnings", []):
        doc.add_paragraph(_text(f"Warning: {warning}"))
    doc.add_heading("Speakers", 1)
    table = doc.add_table(rows=1, cols=5)
    table.style = "Light Grid Accent 1"
    for cell, title in zip(
        table.rows[0].cells, ("Speaker", "Role", "Organisation", "Talk time", "Notes"), strict=True
    ):
        cell.text = title
    for s in context["speakers"]:
        row = table.add_row().cells
        notes = "; ".join(([f"Uncertain: {s.uncertain}"] if s.uncertain else []) + s.notes)
        values = (s.label, s.role, s.org, clock(s.talk_time)[:8], notes)
        for cell, value in zip(row, values, strict=True):
            cell.text = _text(value)
    doc.add_heading("Summary", 1)
    for paragraph in summary.abstract.split("\n\n"):
        doc.add_paragraph(_text(paragraph))
    if summary.figures:
        doc.add_heading("Key figures", 1)
        figures = doc.add_table(rows=1, cols=5)
        figures.style = "Light Grid Accent 1"
        for cell, heading in zip(
            figures.rows[0].cells, ("Figure", "Said", "Who", "When", "Slide"), strict=True
        ):
            cell.text = heading
        for f in summary.figures:
            values = (f.figure, f.text, f.speaker or "Unknown speaker", clock(f.start)[:8], f.slide)
            for cell, value in zip(figures.add_row().cells, values, strict=True):
                cell.text = _text(value)
    for topic, points in summary.takeaways.items():
        doc.add_heading(_text(themes.get(topic, topic)), 2)
        if topic in summary.slides_by_topic:
            doc.add_paragraph(_text(f"Slides {summary.slides_by_topic[topic]}"))
        for p in points:
            who = p.speaker or "Unknown speaker"
            doc.add_paragraph(_text(f"{p.text} — {who}, {clock(p.start)[:8]}"), style="List Bullet")
    doc.add_heading("By speaker", 1)
    for speaker, points in summary.by_speaker.items():
        doc.add_heading(_text(speaker), 2)
        if speaker in summary.slides_by_speaker:
            doc.add_paragraph(_text(f"Slides {summary.slides_by_speaker[speaker]}"))
        for p in points:
            doc.add_paragraph(_text(f"{p.text} ({clock(p.start)[:8]})"), style="List Bullet")
    if summary.slides:
        doc.add_heading("Slides", 1)
        for view in summary.slides:
            doc.add_heading(_text(f"Slide {view.number} — {view.title}"), 2)
            image = summary_dir / view.thumbnail
            if image.is_file():
                doc.add_picture(str(image), width=Inches(3.2))
            times = ", ".join(f"{clock(a)[:8]}–{clock(b)[:8]}" for a, b in view.shown)
            doc.add_paragraph(_text(f"On screen {times} (timing from {view.method})"))
            for p in view.points:
                who = p.speaker or "Unknown speaker"
                doc.add_paragraph(
                    _text(f"{who}: {p.text} ({clock(p.start)[:8]})"), style="List Bullet"
                )
    doc.add_heading("Transcript", 1)
    for turn in turns(context["segments"]):  # one paragraph per speaker turn
        who = f"{turn[0].speaker}: " if turn[0].speaker else ""
        text = " ".join(seg.text.strip() for seg in turn)
        doc.add_paragraph(_text(f"[{clock(turn[0].start)[:8]}] {who}{text}"))
    with atomic_path(target) as tmp:
        doc.save(str(tmp))


def write_pdf(target: Path, html: str, summary_dir: Path) -> None:
    """The reviewer page printed (its print styles) by WeasyPrint; scripts do not run there."""
    import weasyprint

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    document = weasyprint.HTML(string=html, base_url=str(summary_dir))
    with atomic_path(target) as tmp:
        document.write_pdf(str(tmp))
