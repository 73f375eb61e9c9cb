"""The render stage: jinja2 templates → summary.md, a self-contained summary.html for reviewers
and summaries/index.html. Autoescape is on for HTML; Markdown text goes through ``md_escape``.
The HTML page carries a strict Content-Security-Policy that allows only its own inline style and
script, by hash."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined
from markupsafe import Markup

from ..core.types import Transcript
from .formats import caption_track, clock, figure_rows, paragraphs, talk_clock
from .locale import labelled, notices, page_language, percent, translations

PALETTE = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#17becf",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
)
_MD_INLINE = re.compile(r"([\\`*_\[\]|~#])")  # syntax wherever it stands (# closes a heading)
_MD_LIST = re.compile(r"^(\d{1,9}[.)]|[-+])")  # a list marker at the line's start: "2024." "-"


def md_escape(text: object) -> str:
    """Text that Markdown shows as written, on one line, wherever the templates put it (a
    paragraph, a list item, a heading, a table cell): HTML characters as entities, Markdown
    syntax escaped — and only syntax, so "EU-Culture (Demo) 100%!" stays as it reads."""
    value = str(text if text is not None else "")
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    value = _MD_INLINE.sub(r"\\\1", " ".join(value.split()))
    return _MD_LIST.sub(lambda m: m.group(1)[:-1] + "\\" + m.group(1)[-1], value)


def _short_clock(seconds: float) -> str:
    return clock(seconds)[:8]


def page_ranges(pages: Sequence[tuple[str, int]]) -> str:
    """[(d, 2), (d, 3), (d, 4), (d, 6)] → "2–4, 6" (with deck names when there are several)."""
    decks: dict[str, list[int]] = {}
    for deck, number in sorted(set(pages)):
        decks.setdefault(deck, []).append(number)
    parts = []
    for deck, numbers in decks.items():
        runs_: list[list[int]] = []
        for n in numbers:
            if runs_ and runs_[-1][-1] == n - 1:
                runs_[-1].append(n)
            else:
                runs_.append([n])
        text = ", ".join(f"{r[0]}–{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs_)
        parts.append(f"{deck} {text}" if len(decks) > 1 else text)
    return "; ".join(parts)


def environment(user_templates: Path | None = None, language: str = "en") -> Environment:
    """Templates from ``user_templates`` first (overrides), then the package's own; their fixed
    words in ``language`` where it has a catalog (``_("…")``, jinja2's i18n extension)."""
    loaders = [FileSystemLoader(str(user_templates))] if user_templates else []
    env = Environment(
        loader=ChoiceLoader([*loaders, PackageLoader("pipeline.outputs", "templates")]),
        autoescape=lambda name: bool(name) and name.endswith(".html.j2"),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    lang = page_language(language)
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.globals["lang"] = lang
    env.filters["md"] = md_escape
    env.filters["clock"] = _short_clock
    env.filters["talk"] = talk_clock
    env.filters["pages"] = page_ranges
    env.filters["percent"] = lambda share: percent(share, lang)
    env.filters["say"] = lambda said: notices(said, lang)
    env.filters["label"] = lambda word: labelled(translations(lang).gettext, word)
    return env


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def _static(env: Environment, name: str) -> str:
    source, _, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
    return source


BAR_GAP = 5.0  # seconds: a pause at least this long is blank in the timeline bar (a pixel an hour)


def bar(spans: Sequence[Any], duration: float) -> list[tuple[Any, float]]:
    """The timeline bar's blocks, (topic span or None for a pause, width in % of ``duration``),
    laid end to end so that each span starts where it starts in the recording: a pause shorter
    than ``BAR_GAP`` belongs to the span after it, a longer one is a blank block."""
    total = max(duration, 0.001)
    blocks: list[tuple[Any, float]] = []
    cursor = 0.0
    for span in spans:
        if span.start - cursor >= BAR_GAP:
            blocks.append((None, 100 * (span.start - cursor) / total))
            cursor = span.start
        blocks.append((span, 100 * max(span.end - cursor, 0.0) / total))
        cursor = max(cursor, span.end)
    return blocks


def data_uri(path: Path) -> str:
    """A PNG as a data: URI (the reviewer page stays one self-contained file)."""
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()


def captions(tracks: Sequence[tuple[Transcript, bool]], lang: str) -> list[dict[str, str]]:
    """The player's caption tracks, one per (transcript, whether it is a translation): its
    language, its label in the page's ``lang`` ("German", "English (translation)") and its cues
    as a data: URI — Chromium loads no track file beside a page opened from disk ("'file:' URLs
    are treated as unique security origins"). A transcript with nothing said gives none."""
    from babel import Locale

    names = Locale(lang).languages
    gettext = translations(lang).gettext
    out = []
    for transcript, translated in tracks:
        vtt = caption_track(transcript)
        if "-->" not in vtt:
            continue
        name = names.get(transcript.language, transcript.language)
        name = name[:1].upper() + name[1:]
        out.append(
            {
                "lang": transcript.language,
                "label": gettext("%(language)s (translation)") % {"language": name}
                if translated
                else name,
                "src": "data:text/vtt;base64," + base64.b64encode(vtt.encode()).decode(),
            }
        )
    return out


def render_summary(
    context: dict[str, Any], env: Environment, folder: Path | None = None, static: bool = False
) -> tuple[str, str]:
    """(summary.md, summary.html) for one recording; slide thumbnails are read from ``folder``
    (the summary folder) and embedded in the page. ``static`` lays out without the page's script
    (inline widths), for printing to PDF."""
    speakers = [s.label for s in context["speakers"]]
    colours = {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(speakers)}
    topic_class = {
        label: (label if label in ("green", "digital", "resilience", "other") else f"topic-{i % 5}")
        for i, label in enumerate(context["themes"])
    }
    css, js = _static(env, "summary.css"), _static(env, "marks.js") + _static(env, "summary.js")
    context = {  # the transcript's language, no captions or chapters; the figures a row a sentence
        "source_lang": env.globals["lang"],
        "captions": [],
        "chapters": (),
        **context,
        "figures": figure_rows(context["summary"].figures),
    }
    html_context = {
        **context,
        "colours": colours,
        "topic_class": topic_class,
        "css": Markup(css),
        "js": Markup(js),
        "style_hash": _sha256(css),
        "script_hash": _sha256(js),
        "bar": bar(context["spans"], context["duration"]),
        "thumbs": {
            v.thumbnail: data_uri(folder / v.thumbnail)
            for v in context["summary"].slides
            if folder is not None and (folder / v.thumbnail).is_file()
        },
        "views": {(v.deck, v.number): v for v in context["summary"].slides},
        "static": static,
        "paragraphs": paragraphs(context["segments"]),
    }
    # sections left out leave their blank lines behind: one blank line between blocks is enough
    markdown = re.sub(r"\n{3,}", "\n\n", env.get_template("summary.md.j2").render(**context))
    html = env.get_template("summary.html.j2").render(**html_context)
    return markdown, html


def json_for_script(data: Any) -> Markup:
    """JSON safe inside a ``<script type="application/json">`` element (no ``</script>``)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def render_index(entries: list[dict[str, Any]], passages: list[list[Any]], env: Environment) -> str:
    """summaries/index.html: every processed webinar, newest first, with a filter, and a search
    over every transcript passage (embedded as JSON data, searched by the page's script)."""
    css, js = _static(env, "index.css"), _static(env, "marks.js") + _static(env, "index.js")
    titles = {e["id"]: e["title"] for e in entries}
    return env.get_template("index.html.j2").render(
        entries=entries,
        passages=json_for_script({"titles": titles, "passages": passages}),
        css=Markup(css),
        js=Markup(js),
        style_hash=_sha256(css),
        script_hash=_sha256(js),
    )
