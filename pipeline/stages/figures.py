"""The figures said in a talk — percentages, amounts, counts, dates — each with its sentence,
speaker, time and the slide then on screen, for the summary's key figures. In English they are
spaCy's entities; in the other languages (no packaged pipeline here recognises numbers) a
number in digits with the language's words for percent, money and scale
(``pipeline/data/figures.yaml``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from ..core.types import Figure, SentenceTopic, SlideMap
from ..models import text
from .functions import clean
from .restated import restates

DATA = Path(__file__).parents[1] / "data" / "figures.yaml"
LABELS = ("PERCENT", "MONEY", "QUANTITY", "CARDINAL", "DATE")
# the entity recogniser has its own token vectors: the figures need nothing else
NER_ONLY = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer")
COUNTED_WITHIN = 4  # words between a count and the noun it counts, at most three
_NUMBER_WORDS = re.compile(
    r"\d|\b(?:hundred|thousand|million|billion|percent|half|dozen|twenty|thirty|forty|fifty|"
    r"sixty|seventy|eighty|ninety|ten|eleven|twelve|fifteen)\b",
    re.I,
)
# 40 · 2,5 · 1.000 · 15 000 (a space or a no-break space between groups of three) · 3.5
_NUMBER = r"\d{1,3}(?:[.\u00a0\u202f ]\d{3})+(?:,\d+)?|\d+(?:[.,]\d+)?"


def figures(
    items: list[SentenceTopic], slides: SlideMap | None, language: str = "en"
) -> list[Figure]:
    """Every figure said in content sentences (in ``language``), with its sentence, speaker,
    time and the slide then on screen. A figure said twice in one sentence ("in half, … in
    half") is listed once, and so are a speaker's figures restated in nearly the same words."""
    content = [it for it in items if it.function == "content"]
    said = _entities(content) if language == "en" else _digits(content, language)
    found: list[Figure] = []
    seen: set[tuple[str, float]] = set()
    for it, figure, kind in said:
        key = (figure.casefold(), it.sentence.start)
        if key not in seen:
            seen.add(key)
            at = _slide_at(slides, it.sentence.start) if slides else ""
            s = it.sentence
            found.append(Figure(figure, kind, clean(s.text, language), s.speaker, s.start, at))
    return _first_said(found)


def _first_said(found: list[Figure]) -> list[Figure]:
    """The figures without those of a sentence restating an earlier one of the same speaker —
    the same figures in nearly the same words (a recap, a slide read out again): the first time
    it was said stands for all."""
    sentences: dict[float, list[Figure]] = {}
    for f in found:
        sentences.setdefault(f.start, []).append(f)
    kept: list[tuple[Figure, set[str]]] = []
    out: list[Figure] = []
    for group in sentences.values():
        first, said = group[0], {f.figure.casefold() for f in group}
        if not any(
            earlier.speaker == first.speaker
            and numbers == said
            and restates(earlier.text, first.text)
            for earlier, numbers in kept
        ):
            kept.append((first, said))
            out += group
    return out


def _entities(content: list[SentenceTopic]) -> Iterator[tuple[SentenceTopic, str, str]]:
    """spaCy's percentages, amounts, quantities, counts and dates that hold a number; a count
    with what it counts ("40 critical raw materials", not "40")."""
    reader = text.nlp()
    docs = reader.pipe([it.sentence.text for it in content], disable=text.without(reader, NER_ONLY))
    for it, doc in zip(content, docs, strict=True):
        if any(ent.label_ == "CARDINAL" for ent in doc.ents):
            doc = reader(it.sentence.text)  # parsed, for the noun each count belongs to
        for ent in doc.ents:
            if ent.label_ in LABELS and _NUMBER_WORDS.search(ent.text):
                yield it, _counted(ent), ent.label_


def _counted(ent: Any) -> str:
    """A count with the noun it counts when that follows closely ("3 new test labs"); any other
    entity as it is."""
    head = ent.root.head
    if (
        ent.label_ == "CARDINAL"
        and ent.root.dep_ == "nummod"
        and head.pos_ == "NOUN"
        and 0 <= head.i - ent.end < COUNTED_WITHIN
    ):
        return ent.doc[ent.start : head.i + 1].text
    return ent.text


def _digits(
    content: list[SentenceTopic], language: str
) -> Iterator[tuple[SentenceTopic, str, str]]:
    """Numbers in digits with their words for percent, money and scale (none for a language
    without a section in figures.yaml)."""
    pattern = _pattern(language)
    for it in content if pattern else ():
        for m in pattern.finditer(it.sentence.text):
            yield it, m.group(0), _kind(m)


@cache
def _pattern(language: str) -> re.Pattern[str] | None:
    words = yaml.safe_load(DATA.read_text(encoding="utf-8")).get(language)
    if not words:
        return None
    percent, money, scale, of = (
        "|".join(words.get(k, [])) or "(?!)" for k in ("percent", "money", "scale", "of")
    )
    return re.compile(
        rf"(?<![\w.,:/-])(?:(?P<before>{money})\s?)?(?P<number>{_NUMBER})"
        rf"(?:\s?(?P<scale>{scale}))?"
        rf"(?:\s?(?:(?P<percent>{percent})|(?:{of})?(?P<money>{money})))?(?![\w/]|:\d)",
        re.IGNORECASE,
    )


def _kind(m: re.Match[str]) -> str:
    if m.group("percent"):
        return "PERCENT"
    if m.group("before") or m.group("money"):
        return "MONEY"
    year = m.group("number")
    return "DATE" if not m.group("scale") and re.fullmatch(r"(?:19|20)\d\d", year) else "CARDINAL"


def _slide_at(slides: SlideMap, t: float) -> str:
    """The slide on screen at ``t`` ("Slide 3", or "deck 3" with several decks), if any."""
    for shown in slides.timeline:
        if shown.start <= t < shown.end:
            return (
                f"Slide {shown.number}" if len(slides.decks) < 2 else f"{shown.deck} {shown.number}"
            )
    return ""
