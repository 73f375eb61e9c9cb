"""The topics stage: every sentence gets a theme (green / digital / resilience / other by
default) and driver tags; neighbouring sentences are smoothed into time spans.

Two kinds of evidence, combined per theme:
- lexical: weighted lemma lexicons (spaCy lemmas; phrases of up to three lemmas), saturating;
  for a translated talk also the theme's lexicon in the talk's language, read on the words as
  said (word patterns such as ``klima*``: inflections and compounds without a lemmatiser), and
  the stronger of the two counts;
- semantic: cosine similarity of the sentence to the theme's description (MiniLM embeddings).
Themes, descriptions, lexicons and drivers are configuration (``pipeline/data/topics.yaml``),
so another event series can bring its own.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..core.errors import ConfigError
from ..core.review import Report
from ..core.stage import Context, ProgressFn, Stage
from ..core.store import not_utf8, read_json, read_yaml, write_json, written_text
from ..core.types import (
    Segment,
    Sentence,
    SentenceTopic,
    TopicMap,
    TopicSpan,
    Word,
    outside,
)
from ..models import text
from ..models.text import nlp, sentence_vectors, without
from .functions import THEMED, function, functions

DEFAULT_TOPICS = Path(__file__).parents[1] / "data" / "topics.yaml"
OTHER = "other"
SMOOTHING = (0.25, 0.5, 1.0, 0.5, 0.25)  # neighbour weights around a sentence (transcripts)


@dataclass(frozen=True)
class TopicsParams:
    """Everything that decides a sentence's theme."""

    config: dict[str, Any] = field(default_factory=dict)  # the theme definitions, as read
    w_embed: float = 0.7  # weight of the semantic evidence (see bench/topics.py) …
    w_lex: float = 0.3  # … and of the lexical evidence
    smoothing: tuple[float, ...] = SMOOTHING
    across_speakers: float = 0.25  # how much a neighbour said by another voice counts
    fixes: tuple[dict[str, Any], ...] = ()  # reviewer: {start, end, topic}
    names: tuple[str, ...] = ()  # the event's listed people (an introduction names one)
    # a point after an introduction or thanks in one sentence has at least this many words to
    # be a sentence of its own (``parted``; set a priori: a clause that makes a claim)
    point_words: int = 8


class Theme(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str
    # the theme named inside a sentence ("they spoke about the green transition"); the summary's
    # words only, so not part of what decides a sentence's theme
    mention: str = ""
    description: str = Field(min_length=10)
    facets: list[str] = Field(
        default_factory=list
    )  # more descriptions; a sentence matches the closest
    lexicon: dict[str, float] = Field(default_factory=dict)
    # the lexicon in other languages ({"de": {"klima*": 1.0, …}}), matched on the words as said
    lexicons: dict[str, dict[str, float]] = Field(default_factory=dict)


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


@cache
def _parsed(data: bytes) -> Any:
    """The YAML of a topics file (encoded as its byte-order mark says, else UTF-8), parsed once
    per process (every plan of a run reads it)."""
    return read_yaml(written_text(data))


def load_topic_config(path: Path | None = None) -> TopicConfig:
    path = path or DEFAULT_TOPICS
    try:
        return TopicConfig.model_validate(_parsed(path.read_bytes()))
    except UnicodeDecodeError as exc:
        raise not_utf8(exc, "topic definitions", path) from None
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


def pattern_scores(
    texts: Sequence[list[str]], lexicons: Sequence[Mapping[str, float]]
) -> np.ndarray:
    """Weight of the terms of each lexicon found in each token list (lowercase words of one
    text). A term is a word or a phrase of words, each a shell-style pattern (``klima*`` any word
    starting so, ``*krise*`` any word holding it), found in consecutive tokens."""
    vocabulary = {t for tokens in texts for t in tokens}
    parts = {part for lexicon in lexicons for term in lexicon for part in term.split()}
    matching = {}
    for part in parts:
        rx = re.compile(fnmatch.translate(part))
        matching[part] = {word for word in vocabulary if rx.match(word)}

    def found(term: str, tokens: list[str]) -> bool:
        words = [matching[part] for part in term.split()]
        if len(words) == 1:
            return not words[0].isdisjoint(tokens)
        return any(
            all(tokens[i + k] in ok for k, ok in enumerate(words))
            for i in range(len(tokens) - len(words) + 1)
        )

    return np.array(
        [
            [sum(w for term, w in lexicon.items() if found(term, tokens)) for lexicon in lexicons]
            for tokens in texts
        ],
        dtype=float,
    ).reshape(len(texts), len(lexicons))


def said_tokens(texts: Sequence[str], language: str) -> list[list[str]]:
    """Lowercase words (and, where the language has a packaged pipeline, lemmas) of each text,
    as spaCy tokenises ``language`` (elisions such as « d'approvisionnement » come apart)."""
    reader = nlp(language)
    out = []
    for doc in reader.pipe(texts, batch_size=64, disable=without(reader, LEMMAS_ONLY)):
        words = [t for t in doc if not t.is_space and not t.is_punct]
        out.append([t.lower_ for t in words] + [t.lemma_.lower() for t in words if t.lemma_])
    return out


@dataclass
class Scored:
    """Per-text scores: one row per text, one column per theme (``config.themes`` order)."""

    scores: np.ndarray
    drivers: list[list[str]]


def score_texts(
    texts: Sequence[str],
    config: TopicConfig,
    w_embed: float = 0.7,
    w_lex: float = 0.3,
    language: str = "en",
    said: Sequence[str] = (),
    said_language: str = "",
) -> Scored:
    """Combined lexical + semantic score of every text for every theme, and driver tags.
    ``said``: for a translation, the words as said in ``said_language`` during each text; the
    themes' lexicons of that language are read on them, and MiniLM too (names, programmes and
    cognates — "Innovation", "Digitalisierung" — survive a weak translation): for each, the
    stronger evidence counts."""
    reader = nlp(language)
    docs = list(reader.pipe(texts, batch_size=64, disable=without(reader, LEMMAS_ONLY)))
    grams = [lemma_grams(d) for d in docs]
    themes = list(config.themes.values())
    lex = np.array([[lexicon_score(g, t.lexicon) for t in themes] for g in grams]).reshape(
        len(texts), len(themes)
    )
    own = [t.lexicons.get(said_language, {}) for t in themes]
    if said and any(own):
        lex = np.maximum(lex, pattern_scores(said_tokens(said, said_language), own))
    model = text.encoder()
    prototypes = [[t.description, *t.facets] for t in themes]
    flat = model.encode([d for group in prototypes for d in group])
    owner = np.repeat(np.arange(len(themes)), [len(g) for g in prototypes])

    def closeness(read: Sequence[str]) -> np.ndarray:  # each text's best facet of each theme
        similarity = (
            sentence_vectors(tuple(read)) @ flat.T if len(read) else np.zeros((0, len(flat)))
        )
        return np.stack([similarity[:, owner == i].max(axis=1) for i in range(len(themes))], axis=1)

    semantic = closeness(texts)
    if said and list(said) != list(texts):  # (a text with nothing said under it: itself)
        semantic = np.maximum(
            semantic, closeness([o or t for o, t in zip(said, texts, strict=True)])
        )
    combined = w_embed * semantic + w_lex * (1 - np.exp(-lex))
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


def smooth(
    scores: np.ndarray,
    weights: Sequence[float] = SMOOTHING,
    durations: Sequence[float] | None = None,
    carries: Sequence[bool] | None = None,
    speakers: Sequence[str | None] | None = None,
    across: float = 1.0,
) -> np.ndarray:
    """Each row becomes the weighted mean of its neighbours (sentences in talk order). Given
    their ``durations``, a neighbour also counts for as long as it was said: a two-word
    fragment where a translated sentence crossed a segment ("out.") does not outweigh the
    sentences around it. Given whether each row ``carries`` a theme (content, a question), a
    row that does is smoothed over the neighbours that do: a greeting, an introduction, a
    hand-off or housekeeping says nothing about the theme of the point made beside it (a row
    that carries none is smoothed over all its neighbours, as before). Given who said each row
    (``speakers``), a neighbour said by another voice counts ``across`` times as much: a guest's
    last point and the host's next question are most often about different themes. A row
    whose neighbours all count for nothing keeps the plain mean."""
    if len(scores) == 0:
        return scores
    half = len(weights) // 2
    padded = np.pad(scores, ((half, half), (0, 0)), mode="edge")
    kernel = np.asarray(weights, dtype=float)
    spans = np.ones(len(scores)) if durations is None else np.maximum(durations, 0.0)
    lasting = np.pad(spans, (half, half), mode="edge")
    points = np.ones(len(scores)) if carries is None else np.asarray(carries, dtype=float)
    # padding repeats the edge rows, as the scores do
    counted = np.pad(points, (half, half), mode="edge")
    voices = np.pad(
        np.asarray(speakers or [None] * len(scores), dtype=object), (half, half), mode="edge"
    )
    rows = []
    for i in range(len(scores)):
        w = kernel * lasting[i : i + len(kernel)]
        w = w * np.where(voices[i : i + len(kernel)] == voices[i + half], 1.0, across)
        if points[i]:
            w = w * np.where(np.arange(len(kernel)) == half, 1.0, counted[i : i + len(kernel)])
        w = w if w.sum() > 0 else kernel
        rows.append((padded[i : i + len(kernel)] * w[:, None]).sum(0) / w.sum())
    return np.stack(rows)


def split_sentences(segments: Sequence[Segment], language: str = "en") -> list[Sentence]:
    """spaCy sentences inside each segment, timed by the words they cover."""
    reader = nlp(language)
    texts = [s.text for s in segments]
    out: list[Sentence] = []
    for seg, doc in zip(
        segments,
        reader.pipe(texts, batch_size=64, disable=without(reader, SENTENCES_ONLY)),
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


# the words a clause that speaks of the speaker opens with ("and I've been running this cluster
# for twelve years" is more of the introduction, not a point)
_OF_THEMSELF = re.compile(
    r"^(?:(?:and|so|but|now)\s+)?(?:i|i'm|i've|i'd|i'll|my|me|myself)\b", re.I
)
_PARTED = frozenset({"introduction", "thanks"})


def _claims(clause: str) -> bool:
    """Whether an English ``clause`` has a verb with a subject — a point, not a role in apposition
    ("…, team leader for cluster policy at DG GROW.") or more thanks ("…, and thanks to the
    whole team.")."""
    return any(
        t.dep_ in ("nsubj", "nsubjpass", "expl") and t.head.pos_ in ("VERB", "AUX")
        for t in nlp("en")(clause)
    )


def _said(words: Sequence[Word]) -> str:
    return "".join(w.word for w in words).strip()


def _point_after(words: Sequence[Word], names: Sequence[str], least: int) -> int | None:
    """Where ``words`` (a sentence that introduces or thanks) are cut before the point they go on
    to make: after the first comma, or before the first "and", that leaves an introduction or
    thanks before it and after it content of ``least`` words or more, with a verb and its
    subject, not about the speaker; None where there is no such place."""
    for i, word in enumerate(words[:-1]):
        if not word.word.strip().endswith(",") and words[i + 1].word.strip().casefold() != "and":
            continue
        tail = _said(words[i + 1 :])
        if (
            len(tail.split()) >= least
            and not _OF_THEMSELF.match(tail)
            and function(_said(words[: i + 1]), "en", names) in _PARTED
            and function(tail, "en", names) == "content"
            and _claims(tail)
        ):
            return i + 1
    return None


def parted(
    sentences: Sequence[Sentence],
    segments: Sequence[Segment],
    names: Sequence[str] = (),
    least: int = 8,
) -> list[Sentence]:
    """English sentences that introduce or thank and then make a point ("Thank you, Glenda, my
    name is Susana Remotti, at PROPLAST we build resilience by …") as two, cut where
    ``_point_after`` says — read whole, the introduction took the point with it, out of the
    takeaways and the abstract. Timed by their words."""
    words_of = {seg.id: seg.words for seg in segments}
    out: list[Sentence] = []
    for sentence in sentences:
        words = (
            [
                w
                for w in words_of.get(sentence.segment, [])
                if sentence.start <= w.start and w.end <= sentence.end
            ]
            if function(sentence.text, "en", names) in _PARTED
            else []
        )
        cut = _point_after(words, names, least)
        if cut is None:
            out.append(sentence)
            continue
        head, tail = words[:cut], words[cut:]
        out += [
            replace(sentence, end=head[-1].end, text=_said(head)),
            replace(sentence, start=tail[0].start, text=_said(tail)),
        ]
    return out


def classify(
    sentences: Sequence[Sentence],
    config: TopicConfig,
    p: TopicsParams | None = None,
    language: str = "en",
    said: Sequence[str] = (),
    said_language: str = "",
) -> list[SentenceTopic]:
    """A topic per sentence (of a text in ``language``), scores smoothed over neighbouring
    sentences; ``said``: the words as said in ``said_language`` during each (translated) one."""
    if not sentences:
        return []
    p = p or TopicsParams()
    texts = [s.text for s in sentences]
    scored = score_texts(texts, config, p.w_embed, p.w_lex, language, said, said_language)
    durations = [s.end - s.start for s in sentences]
    does = functions(texts, sentence_vectors(tuple(texts)), language, p.names)
    carries = themed(does, texts, said, said_language, p.names)
    speakers = [s.speaker for s in sentences]
    smoothed = smooth(scored.scores, p.smoothing, durations, carries, speakers, p.across_speakers)
    labels, confidence = decide(smoothed, config)
    return [
        SentenceTopic(s, lab, c, d, f)
        for s, lab, c, d, f in zip(sentences, labels, confidence, scored.drivers, does, strict=True)
    ]


def themed(
    does: Sequence[str],
    texts: Sequence[str],
    said: Sequence[str] = (),
    said_language: str = "",
    names: Sequence[str] = (),
) -> list[bool]:
    """Whether each sentence can carry a theme (``THEMED``: content, a question), by what it
    ``does``; a translated sentence by its words as ``said`` (the phrases of ``said_language``),
    since a weak translation reads as anything ("Cut it out, you're too lazy" for a hand-off).
    A sentence said as it reads (a part not translated) or with nothing said under it: by what
    it ``does``."""
    if not said:
        return [d in THEMED for d in does]
    return [
        (d if not words or words == text else function(words, said_language, names)) in THEMED
        for d, text, words in zip(does, texts, said, strict=True)
    ]


def words_said(sentences: Sequence[Sentence], segments: Sequence[Segment]) -> list[str]:
    """The talk's own words during each translated sentence: every word of a segment goes to
    that segment's sentence nearest to its middle, so none is lost between two sentences (the
    whole segment when it has no word times)."""
    by_id = {seg.id: seg for seg in segments}
    mine: dict[int, list[int]] = {}
    for i, s in enumerate(sentences):
        mine.setdefault(s.segment, []).append(i)
    out = ["" for _ in sentences]
    for seg_id, indices in mine.items():
        seg = by_id.get(seg_id)
        if seg is None:
            continue
        if not seg.words:
            for i in indices:
                out[i] = seg.text
            continue
        parts: dict[int, list[str]] = {i: [] for i in indices}
        for w in seg.words:
            mid = (w.start + w.end) / 2
            near = min(indices, key=lambda i: outside(sentences[i].start, sentences[i].end, mid))
            parts[near].append(w.word)
        for i in indices:
            out[i] = "".join(parts[i]).strip()
    return out


def as_said(
    item: SentenceTopic, said: dict[int, str], language: str, names: Sequence[str] = ()
) -> SentenceTopic:
    """A translated content sentence whose original words introduce someone, hand over or thank
    (by the phrases of the talk's ``language``) takes that function instead."""
    if item.function != "content":
        return item
    found = function(said.get(item.sentence.segment, ""), language, names)
    return replace(item, function=found) if found in ("introduction", "handoff", "thanks") else item


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


def fix_topics(
    items: list[SentenceTopic], p: TopicsParams, labels: list[str], report: Report
) -> list[SentenceTopic]:
    """Sentence topics with the reviewer's spans forced."""
    out = list(items)
    for fix in p.fixes:
        start, end, topic = fix["start"], fix["end"], fix["topic"]
        if topic not in labels:
            report.not_applied.append(f"topics {start}–{end}: unknown topic '{topic}'")
            continue
        hit = [
            i
            for i, it in enumerate(out)
            if start <= (it.sentence.start + it.sentence.end) / 2 <= end
        ]
        if not hit:
            report.not_applied.append(f"topics {start}–{end}: no speech in that span")
            continue
        for i in hit:
            out[i] = replace(out[i], topic=topic, confidence=1.0)
        report.applied += 1
    return out


class Topics(Stage):
    """Transcript → ``topics.json``: a theme per sentence, smoothed into spans."""

    name = "topics"
    Params = TopicsParams
    needs = ("export", "translate")
    libraries = ("spacy", "onnxruntime", "tokenizers", "numpy")
    data_files = ("data/functions-*.yaml", "data/functions-*.npz", "data/naming-*.yaml")

    def params(self, ctx: Context) -> TopicsParams:
        config = load_topic_config(ctx.settings.topics_file)
        return TopicsParams(
            config=config.model_dump(exclude={"themes": {"__all__": {"mention"}}}),
            fixes=tuple(ctx.review.part("topics")),
            names=tuple(s.name for s in ctx.event.speakers),
        )

    def models(self, params: TopicsParams) -> dict[str, str]:
        return text.identity()

    def outputs(self, ctx: Context, params: Any) -> list[Path]:
        return [ctx.summary_dir / "topics.json"]

    def run(
        self, ctx: Context, params: TopicsParams, inputs: Mapping[str, Any], progress: ProgressFn
    ) -> TopicMap:
        config = TopicConfig.model_validate(params.config)
        report = Report()
        translation = inputs["translate"]
        original = inputs["export"].transcript.segments
        language = translation.reading
        read = translation.onto(original)
        split = split_sentences(read, language)
        if language == "en":
            split = parted(split, read, params.names, params.point_words)
        said = words_said(split, original) if translation.needed else [s.text for s in split]
        sentences = classify(split, config, params, language, said, translation.source)
        if translation.needed:  # an introduction, hand-off or thanks shows best as it was said
            said_in = {seg.id: seg.text for seg in original}
            sentences = [as_said(it, said_in, translation.source, params.names) for it in sentences]
        notes = []
        if not text.has_pipeline(language):
            notes.append(
                f"no packaged spaCy pipeline for '{language}': sentences cut by spaCy's "
                "rule-based sentencizer, no lemmas"
            )
        if translation.only:
            notes.insert(
                0, f"the parts in '{translation.source}' read in English, translated by Whisper"
            )
        elif translation.needed:
            notes.insert(0, f"read in English, translated from '{translation.source}' by Whisper")
        if translation.source != "en" and not any(
            t.lexicons.get(translation.source) for t in config.themes.values()
        ):
            notes.append(f"no theme lexicon in '{translation.source}': words as said not read")
        sentences = fix_topics(sentences, params, config.labels, report)
        themes = {label: config.title(label) for label in config.labels}
        return TopicMap(themes, sentences, to_spans(sentences), asdict(report), notes)

    def write(self, ctx: Context, params: Any, result: TopicMap) -> None:
        write_json(ctx.summary_dir / "topics.json", result.to_dict())

    def load(self, ctx: Context, params: Any, inputs: Mapping[str, Any]) -> TopicMap:
        data = read_json(ctx.summary_dir / "topics.json")
        return TopicMap.from_dict(data)

    def facts(self, result: TopicMap) -> dict[str, Any]:
        facts = {"sentences": len(result.sentences), "review": result.review}
        return {**facts, "notes": result.notes} if result.notes else facts
