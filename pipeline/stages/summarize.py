"""The summarize stage (offline, extractive): takeaways per topic and per speaker, key phrases,
named entities, an abstract, and the questions asked — rendered as ``summary.md``, the reviewer
page ``summary.html``, ``summary.docx`` and ``summary.pdf``, with ``summary.json`` for tools.

Takeaways are transcript sentences chosen by centrality (similarity to the other sentences of
their topic) with maximal marginal relevance (no two near-duplicates), cleaned of fillers.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np

from ..core.event import Speaker, name_key, shown_title
from ..core.language import naming, spoken_name, unremarked
from ..core.review import Report
from ..core.stage import Context, ProgressFn, Stage
from ..core.store import atomic_write, read_json, write_json
from ..core.types import (
    Point,
    Published,
    Segment,
    Sentence,
    SentenceTopic,
    SlideMap,
    SlideView,
    SpeakerInfo,
    Summary,
    Transcript,
    Translation,
    Word,
)
from ..models import text
from ..models.text import sentence_vectors
from ..outputs.handout import write_docx, write_pdf
from ..outputs.locale import (
    labelled,
    language_doubt,
    long_date,
    notice,
    page_date,
    page_language,
    translations,
)
from ..outputs.render import captions, environment, render_summary
from .figures import figures
from .functions import GREETED, THEMED, clean, relayed, relayed_question, unfinished
from .restated import restatements, restates, title_cased
from .rewrite import check_url, rewrite
from .topics import load_topic_config, words_said
from .transcribe import ends_sentence

OTHER = "other"
_SUBJECTS = {"nsubj", "nsubjpass", "csubj", "csubjpass", "expl"}  # spaCy's English labels
_FIRST_PERSON = re.compile(r"\b(?:I|me|my|mine|myself)\b|\b(?:we|us|our|ours|you|your)\b", re.I)
_ENTITY_LABELS = ("ORG", "GPE", "LOC", "LAW", "EVENT", "PRODUCT", "NORP", "FAC")
DOCUMENTS = ("json", "md", "html", "docx", "pdf")


@dataclass(frozen=True)
class SummarizeParams:
    """Everything that changes the summary documents."""

    event: dict[str, Any] = field(default_factory=dict)  # the event page, as read
    templates: str = "built-in"  # or a hash of the user's template folder
    drop: tuple[str, ...] = ()  # reviewer: takeaways containing these are dropped …
    pin: tuple[float, ...] = ()  # … and the sentences said at these times are pinned
    match_seconds: float = 1.5  # a pin finds the sentence said within this of its time
    min_words: int = 6  # shorter sentences are not takeaways
    question_words: int = 3  # shorter questions ("Right?", "Sorry, what?") ask the reviewer nothing
    well_heard: float = 0.6  # points whose words Whisper heard with a lower mean probability
    # come only after every better-heard one (bench/heard.py: chosen on the tune talks)
    mmr_lambda: float = 0.7  # relevance vs novelty
    duplicate: float = 0.85  # cosine above which two sentences say the same thing
    per_topic: int = 5  # takeaways per theme …
    per_other: int = 3  # … and for "other"
    per_speaker: int = 3  # main points per speaker
    per_slide: int = 2  # sentences shown with each slide
    cite_seconds: float = 10.0  # a slide is cited by a topic/speaker on screen this long …
    cite_share: float = 0.3  # … or for this share of its own screen time
    key_phrases: int = 12
    entities: int = 20
    abstract_share: float = 0.10  # themes with at least this share of speaking time …
    abstract_points: int = 2  # … get this many attributed points in the abstract
    mentions: dict[str, str] = field(default_factory=dict)  # a theme named in a sentence
    llm: str = ""  # a local OpenAI-compatible server to make each theme's paragraph fluent …
    llm_model: str = "local"  # … the model name sent to it …
    llm_tokens: int = 200  # … and the longest answer asked for


def mmr(
    vectors: np.ndarray,
    relevance: np.ndarray,
    k: int,
    lam: float = 0.7,
    duplicate: float = 0.85,
    among: Sequence[int] | None = None,
    chosen: Sequence[int] = (),
) -> list[int]:
    """Indices of up to ``k`` relevant, mutually different rows (maximal marginal relevance):
    ``chosen`` and what is added to them from ``among`` (default: every row)."""
    chosen = list(chosen)
    candidates = list(range(len(vectors)) if among is None else among)
    while candidates and len(chosen) < k:
        if chosen:
            redundancy = (vectors[candidates] @ vectors[chosen].T).max(axis=1)
        else:
            redundancy = np.zeros(len(candidates))
        gain = lam * relevance[candidates] - (1 - lam) * redundancy
        best = candidates[int(np.argmax(gain))]
        candidates.remove(best)
        if not chosen or float((vectors[chosen] @ vectors[best]).max()) < duplicate:
            chosen.append(best)
    return sorted(chosen)


def _pick(
    items: list[SentenceTopic],
    vectors: np.ndarray,
    unclear: np.ndarray,
    k: int,
    p: SummarizeParams,
    language: str,
) -> list[int]:
    """Up to ``k`` central, mutually different points among ``items`` (said in ``language``);
    a point Whisper heard poorly (``unclear``: likely misheard words) only when no clearly heard
    one is left; never one that stops mid-sentence ("I think it should be a")."""
    usable = [
        i
        for i, it in enumerate(items)
        if _is_point(it, p.min_words) and not unfinished(it.sentence.text, language)
    ]
    # said from its start to its end, as the transcript's sentences are — not cut at a pause, a
    # translated segment's edge or a change of voice; a fragment ("… but I'm often a", "the
    # same explosives at the same time.") only where nothing else is
    whole = [i for i in usable if _whole(items[i].sentence.text)]
    usable = whole or usable
    if not usable:
        return []
    sub = vectors[usable]
    centroid = sub.mean(axis=0)
    relevance = sub @ (centroid / (np.linalg.norm(centroid) + 1e-9))
    doubtful = unclear[usable]
    first = mmr(sub, relevance, k, p.mmr_lambda, p.duplicate, np.flatnonzero(~doubtful).tolist())
    rest = np.flatnonzero(doubtful).tolist()  # only where too few clearly heard ones were left
    return [usable[i] for i in mmr(sub, relevance, k, p.mmr_lambda, p.duplicate, rest, first)]


def _whole(text: str) -> bool:
    """Whether ``text`` reads as a whole sentence: it ends as one, and does not open in lower
    case (the rest of a sentence whose start another voice said)."""
    first = next((c for c in text if c.isalnum()), "")
    return ends_sentence(text.rsplit(None, 1)[-1]) and not first.islower()


def how_well_heard(sentences: Sequence[Sentence], segments: Sequence[Segment]) -> np.ndarray:
    """Per sentence, the mean probability Whisper gave the words said in it (the words of its
    transcript segment inside its time, or the whole segment's for a translated sentence that
    holds none); 1 where no word probabilities are known."""
    words = {seg.id: seg.words for seg in segments}
    heard = np.ones(len(sentences), np.float32)
    for i, s in enumerate(sentences):
        if inside := words_of(s, words.get(s.segment, [])):
            heard[i] = float(np.mean([w.probability for w in inside]))
    return heard


def words_of(sentence: Sentence, said: Sequence[Word]) -> list[Word]:
    """The words of ``said`` (its transcript segment's) said during ``sentence``; all of them
    for a translated sentence that holds none."""
    inside = [w for w in said if sentence.start <= (w.start + w.end) / 2 <= sentence.end]
    return inside or list(said)


def _is_point(item: SentenceTopic, min_words: int) -> bool:
    """Content (not an introduction, hand-off, thanks, housekeeping or a question), long enough."""
    return item.function == "content" and len(item.sentence.text.split()) >= min_words


def _stranger(text: str, listed: set[str], language: str) -> str | None:
    """The name a sentence introduces its speaker by ("Hi, this is Mark from Lisbon.", "I'm
    Anna Berg …") or hands the floor to ("Lea, go ahead.": the host's voice then asking is
    hers, merged) when no word of it sounds like a word of a listed name."""
    from rapidfuzz import fuzz

    say = naming(language)
    said = text.strip()
    found = [m for x in (*say.introduces, *say.handoff) for m in x.finditer(said)]
    found += [m for m in [say.presents.match(GREETED.sub("", said))] if m]
    own = [w.lower() for name in listed for w in spoken_name(name).split()]
    for m in found:
        words = m.group(1).lower().split()
        if not any(fuzz.ratio(w, o) >= 80 for w in words for o in own):
            return m.group(1)
    return None


def _asked(
    items: Sequence[SentenceTopic], listed: set[str], language: str = "en"
) -> list[tuple[int, str | None, bool]]:
    """The questions from the audience, each with the name its asker gave when the voice is a
    listed one's — or, read out, the name it was read out under — and whether that voice read
    it out: asked by someone not on the event page and not hosting (a voice that hands the
    floor over twice or more is the moderator, named or not), addressed to the panel or to one
    of them by name ("Glenda, how do you …?" reads as a hand-off); the ones anyone reads out
    from the chat or the audience (``relayed``: in the question itself, or in the same voice's
    sentence just before it); and the ones asked, in a listed voice, by someone who has just
    introduced themself, or been handed the floor, under a name that is nobody's on the list
    (an audience member whose short voice CAM++ merged into a panelist's)."""
    handoffs = Counter(it.sentence.speaker for it in items if it.function == "handoff")
    panel = listed | {speaker for speaker, n in handoffs.items() if n >= 2}

    def before(i: int, n: int) -> list[SentenceTopic]:  # up to n sentences before, same voice
        out: list[SentenceTopic] = []
        for it in reversed(items[max(0, i - n) : i]):
            if it.sentence.speaker != items[i].sentence.speaker:
                break
            out.append(it)
        return out

    out: list[tuple[int, str | None, bool]] = []
    for i, it in enumerate(items):
        asks = it.function == "handoff" and it.sentence.text.rstrip().endswith("?")
        if not (it.function == "question" or asks):
            continue
        read_out = any(relayed(x.sentence.text, language) for x in [it, *before(i, 1)])
        if read_out:
            out.append((i, _read_out_for([it, *before(i, 1)], language), True))
        elif it.sentence.speaker not in panel:
            out.append((i, None, False))
        elif asker := next(
            filter(None, (_stranger(x.sentence.text, listed, language) for x in before(i, 3))),
            None,
        ):
            out.append((i, asker, False))
    return out


def _read_out_for(items: Sequence[SentenceTopic], language: str) -> str | None:
    """The name a question is read out under ("Maria from Lombardy asks …", "We have a
    question from Jan:"), in the question or the sentence before it; None when not said."""
    patterns = naming(language).asker
    found = (x.search(it.sentence.text) for it in items for x in patterns)
    return next((m.group(1) for m in found if m), None)


def said_beside(
    items: Sequence[SentenceTopic], segments: Sequence[Segment], translation: Translation
) -> list[str]:
    """Per translated sentence, the words as said during it (``words_said``: a segment's words
    shared among its sentences by time — not the whole segment beside each of its sentences);
    the whole segment where none fell to it; "" for a sentence not translated."""
    sentences = [it.sentence for it in items]
    whole = {seg.id: seg.text for seg in segments if translation.translates(seg)}
    return [
        (part or whole[s.segment]) if s.segment in whole else ""
        for s, part in zip(sentences, words_said(sentences, segments), strict=True)
    ]


def attributions(speakers: Sequence[SpeakerInfo]) -> dict[str, str]:
    """How the abstract names each named speaker: the listed name with the organisation after
    it ("Glenda Napier (Energy Cluster Denmark)"). A remark in brackets on the list ("(moderator)",
    "(PROPLAST)") gives way to the organisation rather than stand beside it."""
    return {s.label: with_org(s.name, s.org) for s in speakers if s.name}


def with_org(name: str, org: str) -> str:
    """A person as the summary names them: "Glenda Napier (Energy Cluster Denmark)"."""
    return f"{unremarked(name)} ({org})" if org else name


def not_named(listed: Sequence[Speaker], shown: Sequence[SpeakerInfo], language: str = "en") -> str:
    """The people of the event page that no row of the speaker table names, as one sentence in
    ``language`` ("" when every one is named): a reviewer checks them against the speakers left
    without a name, or learns that they did not speak."""
    named = {name_key(s.name) for s in shown if s.name}
    missing = [with_org(p.name, p.org) for p in listed if name_key(p.name) not in named]
    if not missing:
        return ""
    _ = translations(language).gettext
    told = (
        _(
            "On the event page, not named in the recording (perhaps among the speakers without a name): %(names)s."
        )
        if any(not s.name for s in shown)
        else _("On the event page, not heard in the recording: %(names)s.")
    )
    return told % {"names": _series(missing, language)}


def summarize(
    items: Sequence[SentenceTopic],
    themes: dict[str, str],
    listed: set[str],
    title: str = "",
    p: SummarizeParams | None = None,
    slides: SlideMap | None = None,
    who: dict[str, str] | None = None,
    date: str = "",
    report: Report | None = None,
    language: str = "en",
    originals: Sequence[str] = (),
    heard: Sequence[float] | None = None,
    voices: int = 0,
) -> Summary:
    """Everything the summary documents show, from the classified sentences (``themes``: label
    → title, in order) and, given the slide map, the slides with what was said on each and which
    topics cite them. ``who``: speaker label → how the abstract names them ("Glenda Napier
    (Energy Cluster Denmark)"); anonymous speakers only where nobody named spoke to a theme.
    ``language``: the sentences' language (key phrases and entities need the English pipeline;
    figures are read by the language's words); ``originals``: per sentence, the words as said
    when the sentences are a translation (``said_beside``); ``heard``: per sentence, how well
    Whisper heard it (``how_well_heard``; all well when not given); ``voices``: how many
    speakers were heard (the abstract counts them when none is named)."""
    p = p or SummarizeParams()
    items = list(items)
    originals = list(originals) or [""] * len(items)
    # heard poorly: likely misheard words (all heard well when no probabilities are given)
    unclear = np.zeros(len(items), bool) if heard is None else np.asarray(heard) < p.well_heard
    if not items:
        nothing = translations(language).gettext("No words were recognised in this recording.")
        return Summary(nothing, {}, {}, [], [], [])
    vectors = sentence_vectors(tuple(it.sentence.text for it in items))
    again = restatements(items, unclear)  # said again by the same speaker: one stands for all

    def point(i: int) -> Point:
        s = items[i].sentence
        return Point(
            clean(s.text, language),
            s.speaker,
            s.start,
            items[i].topic,
            originals[i],
            bool(unclear[i]),
        )

    takeaways: dict[str, list[Point]] = {}
    for label in themes:
        idx = [i for i, it in enumerate(items) if it.topic == label and not again[i]]
        k = p.per_topic if label != OTHER else p.per_other
        picked = _pick([items[i] for i in idx], vectors[idx], unclear[idx], k, p, language)
        if picked:
            takeaways[label] = [point(idx[j]) for j in picked]
    by_speaker: dict[str, list[Point]] = {}
    for speaker in dict.fromkeys(it.sentence.speaker for it in items if it.sentence.speaker):
        idx = [i for i, it in enumerate(items) if it.sentence.speaker == speaker and not again[i]]
        picked = _pick(
            [items[i] for i in idx], vectors[idx], unclear[idx], p.per_speaker, p, language
        )
        if picked:
            by_speaker[speaker] = [point(idx[j]) for j in picked]
    questions = [
        replace(point(i), speaker=asker or items[i].sentence.speaker)
        if not read_out
        else replace(
            point(i),
            text=clean(relayed_question(items[i].sentence.text, language), language),
            read_out=True,
            asker=asker or "",
        )
        for i, asker, read_out in _asked(items, listed, language)
        if not again[i] and len(items[i].sentence.text.split()) >= p.question_words
    ]

    durations: Counter[str] = Counter()
    drivers: Counter[str] = Counter()
    for it in items:
        durations[it.topic] += it.sentence.end - it.sentence.start
        drivers.update(it.drivers)
    total = sum(durations.values()) or 1.0
    share = {label: round(durations[label] / total, 3) for label in themes if durations[label]}
    english = language == "en"
    # what was said, as heard: a misheard name is no programme ("Clusters Cannot Light Againer")
    content = [i for i, it in enumerate(items) if it.function == "content"]
    said = [items[i] for i in content if not unclear[i]] or [items[i] for i in content] or items
    phrases, entities = (
        _phrases_and_entities(
            " ".join(it.sentence.text for it in said),
            p.key_phrases,
            p.entities,
            listed,
            themes.values(),
            title,
        )
        if english
        else ([], [])
    )
    views = _slide_views(items, vectors, unclear, slides, point, p, language) if slides else []
    poorly = {it.sentence.start for it, u in zip(items, unclear, strict=True) if u}
    takeaways = fix_takeaways(takeaways, items, p, report or Report(), language)
    rewritten: dict[str, str] = {}
    return Summary(
        abstract(title, date, who or {}, share, themes, takeaways, p, rewritten, language, voices),
        takeaways,
        by_speaker,
        phrases,
        entities,
        questions,
        share,
        dict(drivers.most_common()),
        views,
        _cite(views, items, lambda it: it.topic, p),
        _cite(views, items, lambda it: it.sentence.speaker, p),
        [replace(f, unclear=f.start in poorly) for f in figures(items, slides, language)],
        rewritten,
    )


def _slide_views(
    items: list[SentenceTopic],
    vectors: np.ndarray,
    unclear: np.ndarray,
    slides: SlideMap,
    point: Callable[[int], Point],
    p: SummarizeParams,
    language: str,
) -> list[SlideView]:
    views = []
    for page in slides.slides:
        if not page.shown:
            continue
        shown = [(s.start, s.end) for s in page.shown]
        inside = [
            i
            for i, it in enumerate(items)
            if any(a <= (it.sentence.start + it.sentence.end) / 2 < b for a, b in shown)
        ]
        # what a speaker said again while this slide was up is one candidate (Said again)
        again = restatements([items[i] for i in inside], unclear[inside])
        inside = [i for i, restated in zip(inside, again, strict=True) if not restated]
        picked = (
            _pick(
                [items[i] for i in inside],
                vectors[inside],
                unclear[inside],
                p.per_slide,
                p,
                language,
            )
            if inside
            else []
        )
        methods = Counter(s.method for s in page.shown)
        first_line = page.text.split(" - ")[0][:80] if page.text else ""
        views.append(
            SlideView(
                page.deck,
                page.number,
                first_line or f"Slide {page.number}",
                page.thumbnail,
                shown,
                methods.most_common(1)[0][0],
                [point(inside[j]) for j in picked],
            )
        )
    return sorted(views, key=lambda v: v.shown[0][0])


def _cite(
    views: list[SlideView], items: list[SentenceTopic], key: Any, p: SummarizeParams
) -> dict[str, list[tuple[str, int]]]:
    """Which slides each topic (or speaker) was on: slides on screen for ≥ ``cite_seconds`` of
    it, or for ≥ ``cite_share`` of their own screen time."""
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
            if who and (seconds >= p.cite_seconds or seconds >= p.cite_share * on_screen):
                cited.setdefault(who, []).append((view.deck, view.number))
    return {who: sorted(set(pages)) for who, pages in cited.items()}


def _phrases_and_entities(
    words: str,
    n_phrases: int,
    n_entities: int,
    people: Iterable[str] = (),
    subjects: Iterable[str] = (),
    title: str = "",
) -> tuple[list[str], list[tuple[str, str, int]]]:
    """Key phrases by TextRank (pytextrank on spaCy) and named entities by spaCy NER, leaving
    out the listed ``people``'s names (full, first or last): the speaker table has them, a
    phrase in nearly the words of a higher-ranked one (Whisper's variants: "Club clusters",
    "Cloud clusters"), a phrase made of words of the ``title`` and the ``subjects`` (the
    themes' titles) and a word alone that a longer key phrase holds ("companies" beside "small
    companies"): the page says those already; an entity that is one of the ``subjects`` in
    capitals — "the Green Transition" is what the talk is about, not an organisation — and one
    whose words the talk writes otherwise more often than as that name."""
    names = {n.lower() for person in people for n in (person, *person.split())}
    themes = {" ".join(subject.lower().split()) for subject in subjects}
    doc = text.textrank()(text.nlp()(words))
    headed = set(re.findall(r"\w+", " ".join([title, *themes]).lower()))
    phrases: list[str] = []
    shown: list[str] = []
    for phrase in doc._.phrases:
        found = _as_said(phrase.chunks)
        if (
            found
            and len(found) > 3
            and found.lower() not in names
            and not set(re.findall(r"\w+", found.lower())) <= headed
            and not any(restates(p, found) for p in phrases)
        ):
            phrases.append(found)
            held = {w for p in phrases if " " in p for w in re.findall(r"\w+", p.lower())}
            shown = [p for p in phrases if " " in p or p.lower() not in held]
        if len(shown) == n_phrases:
            break
    lower = {t.text for t in doc if t.is_alpha and t.text.islower()}
    kept = [
        ent
        for ent in doc.ents
        if ent.label_ in _ENTITY_LABELS
        and ent.text.strip().lower() not in names
        and " ".join(t.lower_ for t in ent if not (t.is_stop or t.is_punct)) not in themes
        and not _cased_by_whisper(ent, lower)
    ]
    # the words of a name said more often in another case than in the name's: a phrase that
    # Whisper capitalised now and then ("Club Clusters", "Green Hydrogen", "Europe Program")
    shapes = _shapes(doc, {_words(ent) for ent in kept})
    counts = Counter(
        (ent.text.strip(), ent.label_)
        for ent in kept
        if 2 * (written := shapes[_words(ent)])[_shape(ent)] >= written.total()
    )
    return shown, [(t, lab, n) for (t, lab), n in counts.most_common(n_entities)]


def _as_said(chunks: Sequence[Any]) -> str:
    """A key phrase in the words it was said in, its most frequent writing without a leading
    article (TextRank's own text drops apostrophes: "Denmarks offshore wind farms"); "" when it
    runs over a sentence's end (spaCy's noun chunk "Any Z. Any Z. E-R. I'm" in a misheard
    meeting) or is only stop words."""
    written = Counter(" ".join(_undetermined(c).split()) for c in chunks)
    found = written.most_common(1)[0][0] if written else ""
    if not found or all(t.is_stop or t.is_punct for c in chunks for t in c):
        return ""  # "what", "that", "if you", "something": nothing a reviewer can look for
    return "" if any(ends_sentence(w) for w in found.split()[:-1]) else found


def _undetermined(chunk: Any) -> str:
    """A noun chunk without the article, demonstrative or possessive it opens with ("the
    marketing expert" → "marketing expert", "that New Jersey" → "New Jersey", "our best guess"
    → "best guess"): the phrase a reviewer looks for, and one phrase however it was introduced."""
    start = 0
    while start < len(chunk) - 1 and (
        chunk[start].dep_ in ("det", "predet")
        or (chunk[start].dep_ == "poss" and chunk[start].pos_ == "PRON")  # not "neighbor's"
    ):
        start += 1
    return chunk[start:].text


def _said(span: Any) -> list[Any]:
    """The tokens of a spaCy span (or a list of tokens) that are words, not punctuation."""
    return [t for t in span if not (t.is_punct or t.is_space)]


def _words(span: Any) -> tuple[str, ...]:
    """The words of a spaCy span, in lower case."""
    return tuple(t.lower_ for t in _said(span))


def _shape(span: Any) -> tuple[str, ...]:
    """The words of ``span`` as written, a sentence's first in lower case (its capital says
    nothing)."""
    return tuple(t.lower_ if t.is_sent_start else t.text for t in _said(span))


def _shapes(doc: Any, phrases: set[tuple[str, ...]]) -> dict[tuple[str, ...], Counter]:
    """For each of the ``phrases`` (words in lower case), how often ``doc`` writes it in each
    way (``_shape``)."""
    longest = max(map(len, phrases), default=0)
    found: dict[tuple[str, ...], Counter] = {phrase: Counter() for phrase in phrases}
    for sent in doc.sents:
        said = _said(sent)
        for i in range(len(said)):
            for j in range(i + 1, min(i + longest, len(said)) + 1):
                if (key := _words(said[i:j])) in found:
                    found[key][_shape(said[i:j])] += 1
    return found


def _cased_by_whisper(ent: Any, lower: set[str]) -> bool:
    """An entity only Whisper's title case made: in a ``title_cased`` sentence, and every word
    of it said in lower case elsewhere in the talk (``lower``) — "Green Projects", "Clusters Can
    Apply Together with University". A name the talk never says in lower case stays ("Digital
    Europe Programme"), as does one said in a plainly cased sentence."""
    words = [t.lower_ for t in ent if t.is_alpha]
    return bool(words) and title_cased(ent.sent.text) and all(w in lower for w in words)


def _series(names: list[str], language: str = "en") -> str:
    if len(names) < 2:
        return "".join(names)
    _ = translations(language).gettext
    return ", ".join(names[:-1]) + " " + _("and") + " " + names[-1]


def reported(speaker: str | None, point: str, again: bool = False, language: str = "en") -> str:
    """``speaker`` said ``point``, in words that add nothing but the connection: "X said that
    …" (the point's first letter lowered unless it starts a name or an acronym) when the point
    is a statement with a subject; else a quotation — when it speaks in the first or second
    person ("we", "our", "you", …), when it has no subject (an advice, "Look at the innovation
    funds.", or a list without a verb, which "said that" would make ungrammatical), and always
    in a language other than English. No ``speaker`` (nobody told apart): the quotation alone."""
    _ = translations(language).gettext
    if not point.rstrip("\"'“”‘’»)] ").endswith((".", "?", "!", "…", "。", "？", "！")):
        point = point.rstrip() + "."  # Whisper left it open: the next sentence must not run on
    if speaker is None:
        return _("“%(point)s”") % {"point": point}
    doc = None if language != "en" or _FIRST_PERSON.search(point) else text.nlp()(point)
    if doc is None or not _statement(doc):
        said = _("%(speaker)s added: “%(point)s”") if again else _("%(speaker)s said: “%(point)s”")
        return said % {"speaker": speaker, "point": point}
    first = doc[0]
    proper = first.text.isupper() or first.pos_ == "PROPN"
    body = point if proper else point[:1].lower() + point[1:]
    said = _("%(speaker)s added that %(point)s") if again else _("%(speaker)s said that %(point)s")
    return said % {"speaker": speaker, "point": body}


def _statement(doc: Any) -> bool:
    """Whether a parsed point opens with a statement: its first sentence's root is a verb with a
    subject (so "X said that …" reads)."""
    root = next(doc.sents).root
    return root.pos_ in {"VERB", "AUX"} and any(c.dep_ in _SUBJECTS for c in root.children)


def mentioned(label: str, themes: dict[str, str], mentions: dict[str, str], language: str) -> str:
    """The theme ``label`` named inside a sentence: its ``mention`` ("the green transition"), in
    ``language`` (its catalog); without one its title, in English in lower case unless the title
    opens with an acronym ("AI Act")."""
    if label in mentions:
        return translations(language).gettext(mentions[label])
    title = themes[label]
    return title.lower() if language == "en" and not title[:2].isupper() else title


def capitalised(sentence: str) -> str:
    """``sentence`` opening with a capital: a title from a file's name ("jfk was recorded.") gets
    one when its first word is all in lower case; "eBay …" and "iPhone …" are kept as written."""
    first = sentence.split(maxsplit=1)[0] if sentence.strip() else ""
    return sentence[:1].upper() + sentence[1:] if first.islower() else sentence


def abstract(
    title: str,
    date: str,
    who: dict[str, str],
    share: dict[str, float],
    themes: dict[str, str],
    takeaways: dict[str, list[Point]],
    p: SummarizeParams,
    rewritten: dict[str, str] | None = None,
    language: str = "en",
    voices: int = 0,
) -> str:
    """One opening sentence (title, date, who spoke — the named, else how many ``voices`` —,
    the themes — "touched on" when they hold
    under half of the speaking time between them), then a short paragraph per theme with at
    least ``p.abstract_share`` of the speaking time: its takeaways (its most central content
    points) in the order said, one per speaker, a point heard unclearly only when the theme has
    no clearer one, attributed to their speakers (when no theme has that share, one paragraph of
    the talk's most central points; when themes have it but most of the talk is on none, a
    paragraph of the other topics' points before theirs; a theme's points come from named
    speakers, from anonymous ones by their label only when no named speaker made a clearly heard
    one). Extractive: only the connecting words are not said in the talk. With ``p.llm``, a
    local language model may make each theme's paragraph fluent (``rewrite``: kept only when it
    invents no number, name or organisation; ``rewritten`` records what happened). Paragraphs
    are separated by a blank line; the connecting words are in ``language`` (its catalog), the
    points as they were said (a translated point with its original words)."""
    catalog = translations(language)
    _ = catalog.gettext
    main = [
        k
        for k, v in sorted(share.items(), key=lambda kv: -kv[1])
        if k != OTHER and v >= p.abstract_share
    ]
    named = list(dict.fromkeys(v for v in who.values() if v))
    # nobody named: how many spoke, beside the date ("Jfk (1 speaker) was recorded.")
    count = catalog.ngettext("%(count)s speaker", "%(count)s speakers", voices)
    counted = "" if named or not voices else count % {"count": voices}
    details = ", ".join(x for x in (date, counted) if x)
    event = title or _("This recording")
    if details:  # after a title's own closing bracket, between commas: not "(demo) (15 May 2024)"
        event += f", {details}," if event.endswith(")") else f" ({details})"
    about = _series([mentioned(k, themes, p.mentions, language) for k in main], language)
    values = {"event": event, "names": _series(named, language) if named else "", "themes": about}
    # themes that hold under half of the speaking time between them were touched on, not the topic
    aside = sum(share[k] for k in main) < 0.5
    if named and main:
        opening = (
            _("%(event)s brought together %(names)s; they touched on %(themes)s.")
            if aside
            else _("%(event)s brought together %(names)s; they spoke about %(themes)s.")
        )
    elif named:
        opening = _("%(event)s brought together %(names)s.")
    elif main:
        opening = (
            _("%(event)s was recorded; it touched on %(themes)s.")
            if aside
            else _("%(event)s was recorded; it was about %(themes)s.")
        )
    else:
        opening = _("%(event)s was recorded.")
    paragraphs = [capitalised(opening % values)]
    # a talk on none of the themes: its most central points all the same, anonymous speakers
    # by their label ("Speaker 1"), so that the abstract says what the talk was about
    offtopic = not main and bool(takeaways.get(OTHER))
    # most of the talk on none of the themes and some on one (a lecture that touched on energy):
    # a paragraph of its other points first, so that the abstract says what most of it was about
    mostly_other = bool(main) and share.get(OTHER, 0.0) >= 0.5 and bool(takeaways.get(OTHER))
    for label in [OTHER, *main] if mostly_other else main or ([OTHER] if offtopic else []):
        sentences: list[str] = []
        spoken: set[str] = set()
        # named speakers only, unless nobody named made a clearly heard point on the theme
        # (then by label: a clear point by anyone before a doubtful one by a named speaker)
        anonymous = offtopic or not any(
            who.get(pt.speaker or "") and not pt.unclear for pt in takeaways.get(label, [])
        )
        # points heard clearly first (the rest only where the theme has nothing clearer)
        for point in sorted(takeaways.get(label, []), key=lambda pt: pt.unclear):
            speaker = who.get(point.speaker or "") or (point.speaker if anonymous else None)
            untold = anonymous and point.speaker is None  # no voices told apart (not diarized)
            repeated = point.speaker in spoken and not offtopic  # a theme: one point a speaker
            doubtful = point.unclear and bool(sentences)  # only where nothing clearer was said
            if (
                not (speaker or untold)
                or repeated
                or doubtful
                or len(sentences) == p.abstract_points
            ):
                continue
            line = reported(speaker, point.text, bool(sentences), language)
            if point.original:  # a translation: the words as said beside it
                line += f" ({labelled(_, _('Original'))} “{point.original}”)"
            sentences.append(line)
            spoken.add(point.speaker or "")
        if not sentences:
            continue
        first, *rest = sentences
        paragraph = first + "".join(f" {x}" for x in rest)
        if p.llm:
            said = [
                f"{who.get(pt.speaker or '') or 'A speaker'}: {pt.text}"
                for pt in takeaways.get(label, [])
            ]
            allowed = "\n".join([*said, title, *who.values()])
            fluent, outcome = rewrite(
                themes[label], said, allowed, p.llm, p.llm_model, p.llm_tokens
            )
            paragraph = fluent or paragraph
            if rewritten is not None:
                rewritten[label] = outcome.used if fluent else f"extractive: {outcome.why}"
        paragraphs.append(paragraph if offtopic else f"{labelled(_, themes[label])} {paragraph}")
    return "\n\n".join(paragraphs)


def fix_takeaways(
    found: dict[str, list[Point]],
    items: list[SentenceTopic],
    p: SummarizeParams,
    report: Report,
    language: str = "en",
) -> dict[str, list[Point]]:
    """The takeaways with the reviewer's dropped ones removed and pinned sentences (in
    ``language``) added first."""
    takeaways = {topic: list(points) for topic, points in found.items()}
    for text_ in p.drop:
        needle = text_.casefold()
        before = sum(len(points) for points in takeaways.values())
        takeaways = {
            t: [pt for pt in points if needle not in pt.text.casefold()]
            for t, points in takeaways.items()
        }
        if sum(len(points) for points in takeaways.values()) == before:
            report.not_applied.append(f"takeaways.drop '{text_}': no takeaway contains it")
        else:
            report.applied += 1
    for at in p.pin:
        near = [it for it in items if it.sentence.start - p.match_seconds <= at <= it.sentence.end]
        if not near:
            report.not_applied.append(f"takeaways.pin {at}: no sentence at that time")
            continue
        it = min(near, key=lambda x: abs(x.sentence.start - at))
        pinned = Point(
            clean(it.sentence.text, language), it.sentence.speaker, it.sentence.start, it.topic
        )
        group = [pt for pt in takeaways.get(it.topic, []) if pt.start != pinned.start]
        takeaways[it.topic] = [pinned, *group]
        report.applied += 1
    return {t: pts for t, pts in takeaways.items() if pts}


def speakers_by_topic(sentences: Sequence[SentenceTopic]) -> dict[str, list[str]]:
    """Per topic, who spoke about it: the speakers of its points and questions, by their time
    on it (most first). A host who only handed over or thanked inside a theme's span spoke
    about nothing there."""
    time_by: dict[str, dict[str, float]] = {}
    for it in sentences:
        if it.function in THEMED and it.sentence.speaker:
            who = time_by.setdefault(it.topic, {})
            who[it.sentence.speaker] = (
                who.get(it.sentence.speaker, 0.0) + it.sentence.end - it.sentence.start
            )
    return {topic: sorted(who, key=lambda s: -who[s]) for topic, who in time_by.items()}


def template_hash(folder: Path | None) -> str:
    """A hash of a user template folder's files ("built-in" without one)."""
    import hashlib

    if folder is None:
        return "built-in"
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def heard_and_translated(
    transcript: Transcript, translation: Translation
) -> list[tuple[Transcript, bool]]:
    """What the player's captions show, each with whether it is a translation: the talk's
    words, and the translation the summary reads when there is one."""
    if not translation.needed:
        return [(transcript, False)]
    translated = replace(
        transcript, segments=translation.onto(transcript.segments), language=translation.target
    )
    return [(transcript, False), (translated, True)]


class Summarize(Stage):
    """Topics, speakers, slides → ``summary.json|md|html|docx|pdf``."""

    name = "summarize"
    Params = SummarizeParams
    needs = ("extract", "name", "export", "translate", "topics", "chapters", "slides", "media")
    libraries = ("jinja2", "pytextrank", "spacy", "python-docx", "weasyprint")
    data_files = (
        "outputs/templates/summary.*",
        "data/locale/*/LC_MESSAGES/messages.po",
        "data/functions-*.yaml",
        "data/figures.yaml",
    )

    def params(self, ctx: Context) -> SummarizeParams:
        takeaways = ctx.review.part("takeaways")
        return SummarizeParams(
            event=ctx.event.model_dump(mode="json"),
            templates=template_hash(ctx.settings.templates_dir),
            drop=tuple(takeaways["drop"]),
            pin=tuple(takeaways["pin"]),
            llm=check_url(ctx.settings.llm) if ctx.settings.llm else "",
            mentions={
                label: theme.mention
                for label, theme in load_topic_config(ctx.settings.topics_file).themes.items()
                if theme.mention
            },
        )

    def models(self, params: SummarizeParams) -> dict[str, str]:
        return text.identity()

    def outputs(self, ctx: Context, params: Any) -> list[Path]:
        return [ctx.summary_dir / f"summary.{ext}" for ext in DOCUMENTS]

    def run(
        self, ctx: Context, params: SummarizeParams, inputs: Mapping[str, Any], progress: ProgressFn
    ) -> Published:
        topics, transcript = inputs["topics"], inputs["export"].transcript
        translation = inputs["translate"]
        reading = translation.reading  # the language of the sentences summarised
        lang = page_language(reading)  # … and of the documents' fixed words
        gettext = translations(lang).gettext
        themes = {label: gettext(title) for label, title in topics.themes.items()}
        originals = said_beside(topics.sentences, transcript.segments, translation)
        chapters = inputs["chapters"].chapters
        report = Report()
        title = shown_title(ctx.event, ctx.recording)
        listed = {p.name for p in ctx.event.speakers}
        who = attributions(inputs["name"].speakers)
        shown = [s for s in inputs["name"].speakers if s.talk_time > 0]  # the table's rows
        date = long_date(ctx.event.date, lang) if ctx.event.date else ""
        summary = summarize(
            topics.sentences,
            themes,
            listed,
            title,
            params,
            inputs["slides"],
            who,
            date,
            report,
            reading,
            originals,
            how_well_heard([it.sentence for it in topics.sentences], transcript.segments),
            len(shown),
        )
        context = {
            "title": title,
            "date": page_date(ctx.event.date, lang) if ctx.event.date else "",
            "recording": ctx.recording.name,
            "media_src": quote(inputs["media"].file),
            "media_kind": inputs["media"].kind,
            "duration": transcript.duration,
            "speakers": shown,
            "not_named": not_named(ctx.event.speakers, shown, lang),
            "summary": summary,
            "themes": themes,
            "spans": topics.spans,
            "chapters": chapters if len(chapters) > 1 else (),  # one is no table of contents
            "segments": transcript.segments,
            "speakers_by_topic": speakers_by_topic(topics.sentences),
            "transcript_link": os.path.relpath(ctx.out / "transcript.txt", ctx.summary_dir),
            "warnings": [
                *(notice(w, lang) for w in inputs["extract"].warnings),
                *filter(None, [language_doubt(transcript, lang)]),
            ],
            "source_lang": transcript.language,
            "captions": captions(heard_and_translated(transcript, translation), lang)
            if inputs["media"].kind == "video"
            else [],
        }
        templates = environment(ctx.settings.templates_dir, lang)
        markdown, html = render_summary(context, templates, ctx.summary_dir)
        atomic_write(ctx.summary_dir / "summary.md", markdown)
        atomic_write(ctx.summary_dir / "summary.html", html)
        write_docx(ctx.summary_dir / "summary.docx", context, ctx.summary_dir, lang)
        printed = render_summary(context, templates, ctx.summary_dir, True)[1]
        write_pdf(ctx.summary_dir / "summary.pdf", printed, ctx.summary_dir)
        speakers = [s.label for s in context["speakers"]]
        date = ctx.event.date.isoformat() if ctx.event.date else ""
        return Published(
            ctx.rec_id, title, date, transcript.duration, speakers, summary, asdict(report), lang
        )

    def write(self, ctx: Context, params: Any, result: Published) -> None:
        write_json(ctx.summary_dir / "summary.json", result.to_dict())

    def load(self, ctx: Context, params: Any, inputs: Mapping[str, Any]) -> Published:
        data = read_json(ctx.summary_dir / "summary.json")
        return Published.from_dict(data)

    def facts(self, result: Published) -> dict[str, Any]:
        facts: dict[str, Any] = {"review": result.review}
        if result.summary.rewritten:
            facts["llm"] = result.summary.rewritten
        return facts
