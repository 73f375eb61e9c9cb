"""The name stage: every word gets a speaker, and anonymous speakers become people on the event
page, from evidence in the words.

Words → speakers: the speaker overlapping each word most (nearest turn when none); one- or
two-word flickers inside a sentence are smoothed; segments are split where the speaker really
changes. A reviewer's merges (``same_as``) are applied first.

Evidence, each with the words and time it came from:
- self-introduction: "I'm Glenda Napier", "my name is …", "this is …" said by the speaker
  (a "this is …" that presents a guest — the turn hands them the floor or introduces the
  speaker by another name, or the next voice thanks someone else — is a hand-off instead);
- organisation in a self-introduction: "… the CEO of Energy Cluster Denmark";
- hand-off: "Carolina, over to you", "the floor is yours", "over to you, Marek" → the next speaker;
- thanks: "Thank you, Marek" at the start of a turn → the previous speaker.
Names are matched to the sidecar's list with rapidfuzz (ASR misspellings), the evidence scores
are summed per (speaker, person) and people are assigned one-to-one (Hungarian). A speaker
whose best score is below ``min_score`` stays "Speaker N": no guessing.

A meeting platform's transcript (``core.captions``: Zoom's, Teams'), where its names agree with
the voices, regroups them as it names their speech (a voice holding two people is split, speech
heard in the wrong voice goes to the right one) and names the voices the words left anonymous
as it names them; the words win.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import cache
from itertools import groupby, product
from pathlib import Path
from typing import Any

import numpy as np

from ..core import captions
from ..core.captions import Cue
from ..core.errors import ConfigError
from ..core.event import Event, Speaker, name_key
from ..core.language import NAME, Naming, naming, spelled_after, spelled_ends, spoken_name
from ..core.library import Voice
from ..core.review import Report, Review
from ..core.stage import Context, ProgressFn, Stage
from ..core.store import read_json, read_yaml_file, write_json
from ..core.types import (
    Diarization,
    Notice,
    Segment,
    SpeakerInfo,
    Speakers,
    Transcript,
    Turn,
    Word,
    joined,
)
from ..models.text import has_pipeline, identity, nlp
from ..outputs.formats import clock
from .evidence import Resolution, Said, edge, join, reclaim, renumber, run_on, split
from .transcribe import ends_sentence


@dataclass(frozen=True)
class NameParams:
    """Everything that decides who is who."""

    people: tuple[dict[str, str], ...] = ()  # the event page's speakers
    overrides: dict[str, dict[str, str]] = field(default_factory=dict)  # reviewer: id → person
    merges: dict[str, str] = field(default_factory=dict)  # reviewer: id → the id it is merged into
    reviewed: tuple[str, ...] = ()  # every speaker id the review file mentions
    min_score: float = 0.9  # a self-introduction alone, or a hand-off plus a thanks, is enough
    # the only listed person left unnamed: one hand-off or thanks to them is enough (a priori)
    last_score: float = 0.5
    min_match: int = 80  # rapidfuzz score (0–100) for a heard name to count as a listed name
    # a name given that is no listed one and scores under this against the listed person whose
    # organisation the same sentence says is someone else ("My name is Marc Dubois, from
    # Vitagora": a colleague): the organisation is no evidence for that person (a listed name
    # misheard scores 60–92 here, "Klenta Nabia" for Glenda Napier 64; other people 18–40)
    stranger_match: int = 50
    # one word that sounds like a listed first or last name (Metaphone: "Eric" for Erik) and is
    # at most 10 points under min_match counts, as sure as this: a self-introduction alone names
    sounds_alike: float = 0.9
    weights: dict[str, float] = field(
        default_factory=lambda: {
            "self-introduction": 1.0,
            "organisation": 0.5,
            "hand-off": 0.6,
            "thanks": 0.5,
        }
    )
    flicker_words: int = 2  # a different speaker on at most this many words inside a sentence
    turn_pause: float = 0.5  # a pause this long inside one voice may be a change of speaker
    # a hand-off names the next voice only if the hand-off's own voice talks on for less than
    # this many seconds before it (else the person's words were heard in the host's voice)
    handoff_reach: float = 20.0
    join_distance: float = 0.6  # voices further apart than this are not joined by evidence
    # a host who hands a cluster's one person the floor is split off it holding this much speech
    hander_seconds: float = 3.0
    library: tuple[tuple[str, str], ...] = ()  # voice library: (name, digest of the voiceprint)
    recognise: float = 0.65  # similarity from which a library voice names a speaker (chosen on
    # the tune pool of ../shared/data/voices: the lowest with no stranger named; bench/results.md) …
    recognise_margin: float = 0.05  # … when no other library voice is this close to it
    enrol_confidence: float = 0.75  # named by evidence at least this sure: enrolled in the library
    captions: str = ""  # the meeting platform's transcript: digest of its names, times, words
    # its times are moved where its words say it lies in the recording if that is this many
    # seconds or more off (a priori: its cues' own edges err by tenths, and 1 s late still
    # agreed 0.97 on the demo) …
    caption_offset: float = 1.0
    # … told by at least this share of its cues with words; and with at least
    # ``caption_judged`` such cues, one whose words are heard in fewer is not this recording's
    # and not used (by reasoning — two recognisers each missing 40 % of words still share three
    # in a row in about half of 15-word cues — after one panel of each pool had been run:
    # docs/benchmarks.md, Platform transcripts placed by their words)
    caption_found: float = 0.3
    caption_judged: int = 10
    # a voice is named as that transcript names more than this share of its speech …
    caption_share: float = 0.6
    # … and at least this many seconds of it; so much of a voice under another name splits it
    # (chosen on the tune pool of bench/diarization.py --captions: 2 s left a 1.9-s question out)
    caption_seconds: float = 1.0
    # a transcript whose names agree with the voices less than this is not used (another
    # recording's, or shifted in time; ``agreement``: bench/diarization.py --captions)
    caption_agreement: float = 0.85


LAST = "the only one left"  # the evidence kind of a name given by elimination
PAIRED = "paired by elimination"  # … when several people and voices are left, one to one
ORG_MATCH = 90  # how closely (rapidfuzz ratio) words handed the floor spell an organisation


@dataclass(frozen=True)
class Utterance:
    """What the naming stage reads: who (anonymous index) said what, when."""

    speaker: int
    start: float
    text: str
    end: float = 0.0


@dataclass
class Evidence:
    kind: str
    speaker: int
    person: str
    heard: str
    time: float
    score: float


def _sounds_alike(a: str, b: str) -> bool:
    """Whether two single names are the same sounds spelt two ways (Metaphone: "Eric" and
    "Erik", "Steven" and "Stephen", "Philip" and "Filip") — the spelling Whisper chose."""
    import jellyfish

    code = jellyfish.metaphone(a)
    return len(code) >= 2 and code == jellyfish.metaphone(b)


def _nominatives(text: str, inflections: Sequence[tuple[str, str]]) -> list[str]:
    """``text`` as heard, and with each word's case ending turned back into the nominative's
    where the language declines names ("Piotrowi Nowakowi" → "Piotr Nowak", "Piotrowi Nowak",
    …; ``Naming.inflections``); a stem keeps two letters at least."""
    options = [
        [
            word,
            *(
                word[: len(word) - len(ending)] + nominative
                for ending, nominative in inflections
                if word.lower().endswith(ending) and len(word) - len(ending) >= 2
            ),
        ]
        for word in text.split()
    ]
    return [" ".join(words) for words in product(*options)]


def _match(
    heard: str, people: list[Speaker], p: NameParams, inflections: Sequence[tuple[str, str]] = ()
) -> tuple[int, float] | None:
    """The listed person a heard name refers to (full, first or last name), with a 0–1 score:
    the name as heard, its first two words, its first word or its last word against the full,
    first and last listed names ("Suzanne Remoti": Whisper spells a first name its own way as
    often as a surname; at least ``p.min_match``), each also in the nominative where the
    language declines names (``_nominatives``). One word that sounds like a listed first or
    last name and is at most 10 points short of that scores ``p.sounds_alike`` ("Eric" for
    Erik: 75 points, the same sounds). More of the heard words matched beats a higher score
    ("Maria Keller" is Maria Keller, not Maria Santos by her first name); two people matched
    alike is no match ("Maria" when two are listed)."""
    from rapidfuzz import fuzz, utils

    words = heard.split()
    said = (heard, " ".join(words[:2]), words[0], words[-1])
    candidates = [form for text in said for form in _nominatives(text, inflections)]
    best: dict[int, tuple[int, float]] = {}  # person → (words matched, score)
    for i, person in enumerate(people):
        spoken = spoken_name(person.name)  # "Maria" for Dr. Maria Keller
        parts = spoken.split()
        forms = {person.name, spoken, parts[0], parts[-1]}
        for candidate in candidates:
            ratios = {f: fuzz.ratio(candidate, f, processor=utils.default_process) for f in forms}
            ratio = max(ratios.values())
            score = ratio / 100 if ratio >= p.min_match else 0.0
            if score < p.sounds_alike and " " not in candidate:
                alike = (
                    ratios[f] >= p.min_match - 10 and _sounds_alike(candidate, f)
                    for f in (parts[0], parts[-1])
                )
                score = p.sounds_alike if any(alike) else score
            if score:
                best[i] = max(best.get(i, (0, 0.0)), (len(candidate.split()), score))
    ranked = sorted(best.items(), key=lambda item: item[1], reverse=True)
    if not ranked or (len(ranked) > 1 and ranked[1][1] == ranked[0][1]):
        return None
    person, (_, score) = ranked[0]
    return person, score


def _org_named(heard: str, people: list[Speaker]) -> tuple[int, float] | None:
    """The one listed person whose organisation ``heard`` is, said whole ("Energy Cluster
    Denmark", "DG GROW", "PROPLAST" of "PROPLAST Italy": the ``_org_forms`` of two words or
    more, or in capitals), with a 0–1 score: "Now over to Mobile Heights." hands the floor to
    its one speaker. None when it is two listed people's organisation, or a word of one
    ("Over to European colleagues")."""
    from rapidfuzz import fuzz, utils

    found = {}
    for i, person in enumerate(people):
        forms = [f for f in _org_forms(person.org) if " " in f or f.isupper()]
        ratio = max(
            (fuzz.ratio(heard, f, processor=utils.default_process) for f in forms), default=0
        )
        if ratio >= ORG_MATCH:
            found[i] = ratio / 100
    return next(iter(found.items())) if len(found) == 1 else None


def _handed_to(
    heard: str, people: list[Speaker], p: NameParams, say: Naming
) -> tuple[int, float] | None:
    """The listed person a hand-off or thanks names: by name (``_match``), or by an
    organisation that is one listed person's (``_org_named``: "Now over to Mobile Heights.")."""
    return _match(heard, people, p, say.inflections) or _org_named(heard, people)


def _org_mentions(text: str, people: list[Speaker]) -> list[tuple[int, float]]:
    from rapidfuzz import fuzz, utils

    found = []
    for i, person in enumerate(people):
        for org in filter(None, (person.org, person.org.split(",")[0])):
            score = fuzz.partial_ratio(org, text, processor=utils.default_process)
            if len(org) >= 4 and score >= 90:
                found.append((i, score / 100))
                break
    return found


def _org_forms(org: str) -> list[str]:
    """An organisation as people say it, longest first: as the event page gives it, its part
    between commas ("DG GROW", "European Commission") and the first part's leading words
    ("PROPLAST" of "PROPLAST Italy"; one word only of four letters or more)."""
    parts = [part.strip() for part in org.split(",")]
    words = parts[0].split()
    shorter = [" ".join(words[:k]) for k in range(len(words) - 1, 0, -1)]
    forms = [org.strip(), *parts, *(f for f in shorter if " " in f or len(f) >= 4)]
    return [f for f in dict.fromkeys(forms) if len(f) >= 2]


def _own_org(said: str, person: Speaker, say: Naming, whole_name: bool) -> bool:
    """Whether ``said`` opens with ``person``'s own organisation (``_org_forms``), or — after
    a whole name — with a role and then it ("project manager at Mobile Heights"), and goes on
    without presenting her. After a first name alone the organisation ends its clause ("Hi,
    Glenda, Energy Cluster Denmark." — not a host's "Carolina, Mobile Heights works with
    start-ups.")."""
    from rapidfuzz import fuzz, utils

    for text in say.org_openings(said) if whole_name else [said]:
        heard = utils.default_process(text)
        for org in _org_forms(person.org):
            want = utils.default_process(org)
            whole = heard[len(want) : len(want) + 1] in ("", " ")  # "Energy", not "Energyhub"
            if whole and fuzz.ratio(want, heard[: len(want)]) >= 90:
                rest = text[len(org) :]
                if not whole_name and not re.match(r"\s*(?:[,;:–-]|$)", rest):
                    return False
                return not (say.presenting.match(rest) or _spoken_of(rest, say.language))
    return False


def _introduces_with_org(
    named: re.Match[str],
    person: int,
    text: str,
    turn: str,
    people: list[Speaker],
    say: Naming,
    p: NameParams,
) -> bool:
    """Whether ``text``, opening with listed ``person``'s name and organisation (``named``, a
    ``with_org`` match), is her introducing herself — not a host who hands her the floor in the
    same ``turn`` ("Glenda Napier, CEO of … Glenda, the floor is yours."), asks her a question
    ("Glenda, at Energy Cluster Denmark, how do you …?"), lists the guests ("…, and Susana
    Remotti, PROPLAST"; or in a turn that names another listed person with her organisation,
    someone its voice does not introduce as itself: "Glenda Napier, Energy Cluster Denmark."
    then "Carolina Garcés, Mobile Heights.") or speaks of her (``_own_org``)."""
    if person in _named(say.handoff, turn, people, p, say.inflections):
        return False
    selves = _named(say.introduces, turn, people, p, say.inflections)
    if _said_with_orgs(turn, people, p, say) - selves - {person}:
        return False
    if text[named.end() : named.end() + 1] == "?" or _others_orgs(
        named.group("org"), people, person
    ):
        return False
    whole = len(named.group(1).split()) > 1
    return _own_org(named.group("org"), people[person], say, whole)


def _said_with_orgs(turn: str, people: list[Speaker], p: NameParams, say: Naming) -> set[int]:
    """The listed people whose name and own organisation ``turn`` both says."""
    orgs = {k for k, _ in _org_mentions(turn, people)}
    named = (_match(m.group(1), people, p, say.inflections) for m in re.finditer(NAME, turn))
    return orgs & {hit[0] for hit in named if hit is not None}


def _org_introduction(
    text: str, turn: str, people: list[Speaker], say: Naming, p: NameParams
) -> tuple[re.Match[str], tuple[int, float]] | None:
    """``text`` opening with a listed person's name and own organisation as her introducing
    herself (``_introduces_with_org``; ``turn``: the text of its turn): the ``with_org`` match
    and the person matched (index, score)."""
    named = say.with_org.match(text)
    hit = _match(named.group(1), people, p, say.inflections) if named else None
    if named and hit and _introduces_with_org(named, hit[0], text, turn, people, say, p):
        return named, hit
    return None


def _others_orgs(text: str, people: list[Speaker], me: int) -> bool:
    """Whether ``text`` names the organisation of a listed person other than ``me`` (any of its
    forms, ``_org_forms``, of four letters or more, as whole words — not one ``me``'s own
    organisation shares: "Clúster" of "Clúster Marítimo de Canarias" is also the start of
    "Clúster de la Madera de Navarra")."""
    mine = {form.casefold() for form in _org_forms(people[me].org)}
    return any(
        re.search(rf"(?<!\w){re.escape(form)}(?!\w)", text, re.IGNORECASE)
        for i, person in enumerate(people)
        if i != me
        for form in _org_forms(person.org)
        if len(form) >= 4 and form.casefold() not in mine
    )


def _spoken_of(rest: str, language: str) -> bool:
    """Whether ``rest``, what follows a name and organisation, goes on with a verb of the third
    person ("Carolina Garcés, project manager at Mobile Heights, *wrote* the report"): a host
    speaking of her. Read by the language's spaCy pipeline (none: never)."""
    main = language.split("+")[0]
    words = rest.lstrip(" ,;:–-")
    if not words or not has_pipeline(main):
        return False
    first = nlp(main)(words)[0]
    third = first.tag_ in ("VBZ", "VBD") or first.morph.get("Person") == ["3"]
    return first.pos_ in ("VERB", "AUX") and third


def _named(
    patterns: Sequence[re.Pattern[str]],
    text: str,
    people: list[Speaker],
    p: NameParams,
    inflections: Sequence[tuple[str, str]] = (),
) -> set[int]:
    """The listed people (indexes) that any of ``patterns`` names in ``text``."""
    found = (_match(m.group(1), people, p, inflections) for x in patterns for m in x.finditer(text))
    return {f[0] for f in found if f is not None}


def _stranger(heard: str, name: str, p: NameParams) -> bool:
    """Whether ``heard``, a name given that is no listed one, is someone else than ``name``
    rather than it misheard (``stranger_match``)."""
    from rapidfuzz import fuzz, utils

    said = spoken_name(name)  # "Glenda Napier" for Prof. Dr. Glenda Napier
    return fuzz.ratio(heard, said, processor=utils.default_process) < p.stranger_match


def _runs_of(utterances: list[Utterance]) -> list[list[str]]:
    """The texts of each run of one speaker's consecutive utterances (a turn)."""
    return [[u.text for u in run] for _, run in groupby(utterances, key=lambda u: u.speaker)]


def _turn_of(utterances: list[Utterance]) -> list[int]:
    """The number of the turn (``_runs_of``) each utterance is part of."""
    return [n for n, run in enumerate(_runs_of(utterances)) for _ in run]


def _turn_texts(utterances: list[Utterance]) -> list[str]:
    """The text of the turn (``_runs_of``) each utterance is part of."""
    return [" ".join(run) for run in _runs_of(utterances) for _ in run]


def _addressed(text: str, before: str | None, say: Naming) -> re.Match[str] | None:
    """A hand-off naming nobody ("Please go ahead.") after a sentence that opens by addressing
    someone, in ``text`` or in ``before`` (the same voice's utterance before it), or ending that
    sentence after a comma: "Pavel, you have been very patient. Please go ahead." and "Carolina,
    I see you're unmuted, so please go ahead." hand the floor to the one addressed (group 1) —
    unless that sentence thanks them ("Glenda, thank you. Please go ahead." hands it to someone
    else)."""
    said = f"{before} {text}" if before else text
    m = say.addressed.search(said)
    if m is None:
        return None
    sentence = re.split(r"(?<=[.!?])\s+", m.group(0).lstrip(".!? "), maxsplit=1)[0]
    clause = ",".join(sentence.split(",")[:2])  # "Glenda, thank you, please go ahead."
    return None if any(x.search(said) for said in (sentence, clause) for x in say.thanks) else m


def _before(utterances: list[Utterance], i: int) -> str | None:
    """The text of the utterance before the ``i``-th if the same voice said it."""
    if i and utterances[i - 1].speaker == utterances[i].speaker:
        return utterances[i - 1].text
    return None


def _introducing(utterances: list[Utterance], i: int, say: Naming) -> str:
    """The ``i``-th utterance as an introduction reads it: after the same voice's sentence that
    ends announcing one ("Darf ich mich vorstellen?", "Let me introduce myself."), that phrase
    and the utterance ("… vorstellen Susana Remotti."), since the transcript cuts between them."""
    text = utterances[i].text
    before = _before(utterances, i) or ""
    ending = [m for m in say.intro.finditer(before) if not before[m.end() :].strip(" .:?!")]
    return f"{ending[-1].group(0)} {text}" if ending else text


def _announced(utterances: list[Utterance], i: int, say: Naming) -> str | None:
    """The ``i``-th utterance as a hand-off reads it after the same voice's sentence that ends on
    a hand-off phrase ("Our next speaker is...", "And now over to..."): that phrase and the
    utterance ("Our next speaker is Glenda Napier from …") — None when there is no such sentence.
    Read alone, a name and an organisation would be the host introducing herself as the guest."""
    before = _before(utterances, i)
    tail = (before or "").rstrip(" .:…,;-–") + " "
    ending = [m for m in say.handing.finditer(tail) if m.end() == len(tail)]
    return f"{ending[-1].group(0)}{utterances[i].text}" if ending else None


def _spelled_handoff(
    text: str, people: list[Speaker], p: NameParams, say: Naming
) -> tuple[str, tuple[int, float]] | None:
    """A hand-off phrase before a listed person's whole name in any case (what was heard, and
    the person with the score): Whisper writes an unfamiliar name in lower case at times
    ("Escuchemos ahora a miedo romero." for Diego Romero), as after "I am" (``spelled_after``)
    — not one the words right after the name withdraw ("… after the coffee break"), nor
    those after a word of it: "We will hear from Glenda later." spells "Glenda Napier" closely
    enough, but "later" is what follows her name. Also a word announcing who is next that opens
    the sentence ("And now, glenda napier.", "Na koniec suzie Remotti."), when the sentence ends
    after the name or says who the person is ("Now glenda napier said …" hands nothing over)."""
    names = [q.name for q in people]
    for pattern in (say.handing, say.announcing):
        for m, hit in spelled_after(pattern, text, names, p.min_match):
            ends = spelled_ends(text, m.end(), people[hit[0]].name)
            if say.put_off(m):
                continue
            # "And now, glenda napier." — not "Now glenda napier said …"
            if pattern is say.announcing and not say.announced.match(text, ends[-1]):
                continue
            if any(say.withdrawn.match(text, end) for end in ends):
                continue
            if pattern is say.announcing:  # the words up to the name's end
                return text[m.start() : ends[-1]].lstrip(" .!?")[:80], hit
            return text[m.start() :].split(",")[0][:80].rstrip(".!?"), hit
    return None


def _spelled_thanks(
    text: str, people: list[Speaker], p: NameParams, say: Naming
) -> tuple[str, tuple[int, float]] | None:
    """Thanks opening a sentence before a listed person's name in any case ("Thank you, glenda
    napier.", "Dziękuję bardzo, suzie Remotti."; ``spelled_after``): what was heard, and the
    person with the score — not a welcome before that person speaks ("…, for joining us")."""
    for m, hit in spelled_after(say.thanking, text, [q.name for q in people], p.min_match):
        end = spelled_ends(text, m.end(), people[hit[0]].name)[-1]
        if not say.welcome.match(text, end):
            return text[m.start() : end], hit
    return None


def _put_off(utterances: list[Utterance], say: Naming) -> list[bool]:
    """For each utterance, whether its voice, later in its turn (before another speaks), says
    a hand-off did not happen ("Carolina, can you hear me? No? We'll try again later.")."""
    out, later = [False] * len(utterances), False
    for i in reversed(range(len(utterances))):
        if _ends_turn(utterances, i):
            later = False
        out[i] = later
        later = later or bool(say.postponed.search(utterances[i].text))
    return out


def _ends_turn(utterances: list[Utterance], i: int) -> bool:
    """Whether another voice speaks after the ``i``-th utterance."""
    return i + 1 < len(utterances) and utterances[i + 1].speaker != utterances[i].speaker


def _presented(
    utterances: list[Utterance], people: list[Speaker], p: NameParams, language: str
) -> tuple[set[int], set[int]]:
    """The utterances whose "this is NAME" presents others rather than the speaker: (guests —
    a presentation that hands NAME the floor, panel — a turn presenting several people).
    A guest: the same turn hands NAME the floor ("This is Glenda Napier … Glenda, the floor is
    yours"), or the same voice introduces itself by another name anywhere ("I'm Marek Przeor. …
    And this is Glenda …"), or the next voice opens by thanking someone else ("Thank you,
    Marek") or introduces itself as NAME ("Thank you. I am Glenda Napier …"). A panel: the turn presents
    two people or more ("This is Glenda …, and this is Carolina …") and nothing says which of them
    speaks next — nobody's own name, and no hand-off."""
    say = naming(language)

    def named(patterns: Sequence[re.Pattern[str]], text: str) -> set[int]:
        return _named(patterns, text, people, p, say.inflections)

    @cache
    def own_names(speaker: int) -> set[int]:  # the names a voice gives as its own, anywhere
        return named(say.introduces, " ".join(u.text for u in utterances if u.speaker == speaker))

    runs = _runs_of(utterances)
    turn_of = _turn_of(utterances)
    guests, panel = set(), set()
    for i, utt in enumerate(utterances):
        presented = named([say.presents], utt.text)
        if not presented:
            continue
        turn = " ".join(runs[turn_of[i]])
        handed = named(say.handoff, turn)
        own = own_names(utt.speaker)
        following = runs[turn_of[i] + 1] if turn_of[i] + 1 < len(runs) else [""]
        thanked = named(say.thanks, following[0])
        # "Thanks. I am Glenda …"
        answered = named([*say.introduces, say.presents], " ".join(following))
        if presented & handed or own - presented or thanked - presented or presented & answered:
            guests.add(i)
        elif len(named([say.presents], turn)) > 1:
            panel.add(i)
    return guests, panel


def gather(
    utterances: list[Utterance],
    people: list[Speaker],
    p: NameParams | None = None,
    language: str = "en",
) -> list[Evidence]:
    """Every piece of naming evidence in the transcript (said in ``language``). A hand-off or
    thanks for a person is dropped when the turn it is about introduces someone else ("Frau
    Fischer, Sie haben das Wort." — then "Ich bin Peter Hansen …": the floor went elsewhere),
    and a hand-off said by a voice that introduced itself as that person: nobody hands the
    floor to themself, so the name was misheard (Whisper wrote the host's own, from the
    prompt, for the guest's: "It is our time for Marek Przeor to present.")."""
    p = p or NameParams()
    say = naming(language)
    weights = p.weights
    found: list[Evidence] = []
    run_of = _turn_of(utterances)
    about: list[int] = []  # the turn (run of one voice) each piece of evidence is about
    said_by: list[int] = []  # the voice that said it

    def match(heard: str) -> tuple[int, float] | None:
        return _match(heard, people, p, say.inflections)

    def who(heard: str) -> tuple[int, float] | None:  # a name, or an organisation
        return _handed_to(heard, people, p, say)

    def add(
        kind: str, at: int, heard: str, said: Utterance, match: tuple[int, float] | None
    ) -> None:  # ``said``: the sentence saying it; ``at``: the utterance it is about
        speaker = utterances[at].speaker  # the voice of the ``at``-th utterance
        if match is not None and speaker >= 0:
            person, score = match
            score = round(weights[kind] * score, 3)
            found.append(Evidence(kind, speaker, people[person].name, heard, said.start, score))
            about.append(run_of[at])
            said_by.append(said.speaker)

    guests, panel = _presented(utterances, people, p, language)
    turns = _turn_texts(utterances)
    names = [q.name for q in people]
    gave = {id(u): name for u, name in _heard(utterances, people, p, language)}  # not listed
    put_off = _put_off(utterances, say)
    for i, utt in enumerate(utterances):
        later = (k for k in range(i + 1, len(utterances)) if utterances[k].speaker != utt.speaker)
        after = next(later, None)
        nxt = None if after is None else utterances[after]
        presented = list(say.presents.finditer(utt.text))
        others = i in guests or i in panel
        reading = _introducing(utterances, i, say)
        introduced = (m for x in say.introduces for m in x.finditer(reading))
        claims = [*introduced, *presented]
        # "Hi everyone, it's Glenda who will start today.": someone else speaks of her
        spoken_of = [m for m in claims if say.relative.match(m.string, m.end())]
        own = [m for m in claims if not (m.re is say.presents and others) and m not in spoken_of]
        selves = {hit[0] for hit in (match(m.group(1)) for m in own) if hit is not None}
        for m in own:
            add("self-introduction", i, m.group(0), utt, match(m.group(1)))
        announced = _announced(utterances, i, say)
        by_org = None if own or announced else _org_introduction(utt.text, turns[i], people, say, p)
        if by_org:
            named, hit = by_org
            add("self-introduction", i, named.group(0)[:80], utt, hit)
        spelled = () if own or spoken_of else spelled_after(say.intro, utt.text, names, p.min_match)
        for m, hit in spelled:  # "I am nicola Lefèvre": a whole name written in lower case
            heard = utt.text[m.start() :].split(",")[0][:80]
            add("self-introduction", i, heard, utt, hit)
        handed = (presented if i in guests else []) + [
            m
            for pattern in (*say.handoff, say.questioned)
            for m in pattern.finditer(announced or utt.text)
        ]
        if addressed := _addressed(utt.text, _before(utterances, i), say):
            handed.append(addressed)
        if _ends_turn(utterances, i):  # "…, and with me today is my co-host Tom Reilly."
            handed.extend(m for x in (say.joined, say.called) for m in x.finditer(utt.text))
        guest = {h[0] for h in map(who, (m.group(1) for m in handed)) if h is not None}
        if say.intro.search(utt.text):  # "I am the CEO of …" — not a guest's organisation,
            for person, score in _org_mentions(utt.text, people):  # nor a colleague's
                other = id(utt) in gave and _stranger(gave[id(utt)], people[person].name, p)
                if person not in guest and (not selves or person in selves) and not other:
                    add("organisation", i, people[person].org, utt, (person, score))
        given: set[int] = set()  # one hand-off to a person per sentence, however many phrases
        reached = (
            nxt is not None
            and all(  # the hand-off's voice talked on briefly, if at all
                u.start - utt.start <= p.handoff_reach
                for u in utterances[i + 1 :]
                if u.start < nxt.start
            )
            and not put_off[i]
        )
        for m in handed if reached else ():
            if say.put_off(m):  # "After the break, we will hear …"
                continue
            hit = who(m.group(1))
            if hit is not None and hit[0] not in given:
                given.add(hit[0])
                add("hand-off", after, m.group(0), utt, hit)
        if reached and not given and (spelled := _spelled_handoff(utt.text, people, p, say)):
            add("hand-off", after, spelled[0], utt, spelled[1])
        m = next(filter(None, (x.match(utt.text) for x in say.thanks)), None)
        earlier = (k for k in range(i - 1, -1, -1) if utterances[k].speaker != utt.speaker)
        before = next(earlier, None)
        thanked = who(m.group(1)) if m else None  # "Thank you, Mobile Heights." too
        heard = m.group(0) if m else ""
        if thanked is None and (spelled := _spelled_thanks(utt.text, people, p, say)):
            heard, thanked = spelled  # "Thank you, glenda napier."
        # "Thank you, Glenda, the floor is yours.": a welcome to the one handed the floor
        if thanked is not None and before is not None and thanked[0] not in guest:
            add("thanks", before, heard, utt, thanked)
    introduced: dict[int, set[str]] = {}  # turn → the people introducing themselves in it
    for e, turn in zip(found, about, strict=True):
        if e.kind == "self-introduction":
            introduced.setdefault(turn, set()).add(e.person)
    voice_of = {(e.person, e.speaker) for e in found if e.kind == "self-introduction"}
    return [
        e
        for e, turn, by in zip(found, about, said_by, strict=True)
        if e.kind not in ("hand-off", "thanks") or e.person in introduced.get(turn, {e.person})
        if e.kind != "hand-off" or (e.person, by) not in voice_of
    ]


def said_of(
    utterances: list[Utterance], people: list[Speaker], p: NameParams, language: str = "en"
) -> list[Said]:
    """What each sentence says about who speaks: a listed person introducing themself ("I am",
    "my name is"), handed the floor, thanked at the start."""
    say = naming(language)

    def person(pattern: re.Pattern[str], text: str, handing: bool = False) -> int | None:
        """``handing``: a hand-off or thanks — an organisation is its one person's ("Now over
        to Mobile Heights."), and one put off before its phrase none ("After the break, …")."""
        for m in pattern.finditer(text):
            if handing and say.put_off(m):
                continue
            heard = m.group(1)
            found = (
                _handed_to(heard, people, p, say)
                if handing
                else _match(heard, people, p, say.inflections)
            )
            if found is not None:
                return found[0]
        return None

    guests, _ = _presented(utterances, people, p, language)
    turns = _turn_texts(utterances)
    # "Our next speaker is..." then "Glenda Napier …": the hand-off the two sentences make
    announced = [_announced(utterances, i, say) for i in range(len(utterances))]

    def first(patterns: Sequence[re.Pattern[str]], text: str, handing: bool = False) -> int | None:
        return next(
            (h for h in (person(x, text, handing) for x in patterns) if h is not None), None
        )

    put_off = _put_off(utterances, say)

    def handoff(i: int) -> int | None:  # "Pavel, …. Please go ahead." too (``gather``)
        text = utterances[i].text
        if put_off[i]:
            return None
        found = first(
            (*say.handoff, say.questioned, *([say.presents] if i in guests else [])),
            announced[i] or text,
            handing=True,
        )
        if found is None and _ends_turn(utterances, i):
            found = first((say.joined, say.called), text, handing=True)
        if found is None and (spelled := _spelled_handoff(text, people, p, say)):
            found = spelled[1][0]
        if found is None and (m := _addressed(text, _before(utterances, i), say)):
            hit = _handed_to(m.group(1), people, p, say)
            return hit[0] if hit else None
        return found

    names = [q.name for q in people]

    def intro(i: int) -> int | None:  # "I am …", or "Chiara Russo, presidente del …" (``gather``)
        text = utterances[i].text
        own = first(say.introduces, _introducing(utterances, i, say))
        if own is not None or announced[i]:
            return own
        # "I am nicola Lefèvre", "Nazywam się ksiśtof Mazur": a name written in lower case
        if spelled := next(spelled_after(say.intro, text, names, p.min_match), None):
            return spelled[1][0]
        by_org = _org_introduction(text, turns[i], people, say, p)
        return by_org[1][0] if by_org else own

    def thanks(i: int, handed: int | None) -> int | None:  # not the one handed the floor
        thanked = first(say.thanks, utterances[i].text, handing=True)
        if thanked is None and (spelled := _spelled_thanks(utterances[i].text, people, p, say)):
            thanked = spelled[1][0]  # "Thank you, glenda napier."
        return None if thanked == handed else thanked

    handed = [handoff(i) for i in range(len(utterances))]
    return [
        Said(
            u.speaker,
            u.start,
            u.end,
            intro=intro(i),
            handoff=handed[i],
            thanks=thanks(i, handed[i]),
            addressed=person(say.vocative, u.text),
            question=u.text.rstrip().endswith("?"),
            colleague=handed[i] is not None and bool(say.colleague.search(u.text)),
            deferred=handed[i] is not None and bool(say.deferred.search(u.text)),
        )
        for i, u in enumerate(utterances)
    ]


def _heard(
    utterances: list[Utterance],
    people: list[Speaker],
    p: NameParams,
    language: str,
    first_names: bool = False,
) -> Iterator[tuple[Utterance, str]]:
    """Each (utterance, name) where someone gives a name that is no listed person's ("I'm Jan
    Kowalski", "my name is …", "… here"): spaCy's named-entity recogniser must read at least two
    words of it as a person ("I am Project Manager at …" and a title-cased "I am Digital Europe
    Programme Support" are not names) — with ``first_names``, one word after a phrase always
    followed by one's name ("My name is Erik."; not "I'm Danish", which spaCy reads as a
    person). A language without a packaged spaCy pipeline gives the names of two words or more
    after such a phrase ("Mein Name ist Jonas Richter"; ``Naming.named``)."""
    main = language.split("+")[0]
    say = naming(language)
    for utt in utterances:
        if not has_pipeline(main):
            given = (m.group(1) for m in say.named.finditer(utt.text))
            unknown = [x for x in given if _match(x, people, p, say.inflections) is None]
            if name := next((x for x in unknown if len(x.split()) >= 2), None):
                yield utt, name
            continue
        spans = [
            m.span(1)
            for x in say.introduces
            for m in x.finditer(utt.text)
            if _match(m.group(1), people, p, say.inflections) is None
        ]
        if not spans:
            continue
        named = [m.span(1) for m in say.named.finditer(utt.text)] if first_names else []
        for ent in nlp(main)(utt.text).ents:
            inside = any(a <= ent.start_char and ent.end_char <= b for a, b in spans)
            alone = any(a <= ent.start_char and ent.end_char <= b for a, b in named)
            if ent.label_ in ("PERSON", "PER") and inside and (len(ent.text.split()) >= 2 or alone):
                yield utt, ent.text
                break


def heard_names(
    utterances: list[Utterance],
    people: list[Speaker],
    p: NameParams,
    language: str = "en",
    first_names: bool = False,
) -> dict[int, tuple[str, float]]:
    """The first name each speaker gives themself that is no listed person's (``_heard``):
    {speaker: (the name, when said)}."""
    found: dict[int, tuple[str, float]] = {}
    voiced = [u for u in utterances if u.speaker >= 0]
    for utt, name in _heard(voiced, people, p, language, first_names):
        found.setdefault(utt.speaker, (name, utt.start))
    return found


def unlisted(recognised: Transcript, people: list[Speaker], p: NameParams) -> list[Speaker]:
    """Everyone who gives a name that is not on the event page (``_heard``), once each — a name
    close to one already found ("Glenda Napia" after "Glenda Napier", or the same first or last
    name) is that person. Not to name anyone (the event page is the list) but to tell voices
    apart: two of them introducing themselves in one voice cluster are two people (``resolve``;
    not where a listed person introduced themself too, ``_beside_listed``)."""
    found: list[Speaker] = []
    said = [Utterance(0, seg.start, seg.text) for seg in recognised.segments]
    for _, name in _heard(said, people, p, recognised.spoken):
        if _match(name, found, p) is None:
            found.append(Speaker(name=name))
    return found


def mark_heard(table: list[SpeakerInfo], heard: dict[int, tuple[str, float]]) -> None:
    """On each speaker the words left anonymous, keep the name they gave themself
    (``heard_names``) and the line of ``review.yaml`` that would make it theirs."""
    for info in table:
        if info.name is None and info.index in heard:
            info.heard_as, at = heard[info.index]
            info.notes.append(
                Notice(
                    "introduced themself as “%(name)s” (%(time)s), a name not on the event page — "
                    "to use it, write “%(id)s: %(name)s” under speakers: in review.yaml",
                    {"name": info.heard_as, "time": clock(at)[:8], "id": info.id},
                )
            )


def mark_leads(table: list[SpeakerInfo]) -> None:
    """On each speaker left anonymous, the listed person nobody was named as whom their evidence
    points to most (a hand-off to them, thanks after them — too little to name them), and the
    line of ``review.yaml`` that would make it theirs; or the people it points to equally (the
    voice may hold several of them)."""
    taken = {info.name for info in table if info.name}
    for info in table:
        leads: dict[str, list[dict[str, Any]]] = {}
        for e in info.evidence:
            if e["person"] not in taken:
                leads.setdefault(e["person"], []).append(e)
        if info.name is not None or not leads:
            continue
        sums = {k: round(sum(e["score"] for e in v), 3) for k, v in leads.items()}
        most = max(sums.values())
        top = [k for k in leads if sums[k] == most]
        heard = [
            Notice("%(person)s (%(heard)s)", {"person": k, "heard": [_quoted(e) for e in leads[k]]})
            for k in top
        ]
        if len(top) > 1:
            info.notes.append(
                Notice(
                    "the words point to %(who)s equally: the voice may hold more than one of them "
                    "— if it is one, write “%(id)s: NAME” under speakers: in review.yaml",
                    {"who": joined(heard), "id": info.id},
                )
            )
        else:
            info.notes.append(
                Notice(
                    "the words point to %(who)s, too little to name them — if it is them, write "
                    "“%(id)s: %(name)s” under speakers: in review.yaml",
                    {"who": heard[0], "id": info.id, "name": top[0]},
                )
            )


# what the kinds of evidence are called where a note quotes them
KINDS = {
    "self-introduction": Notice("self-introduction"),
    "organisation": Notice("organisation"),
    "hand-off": Notice("hand-off"),
    "thanks": Notice("thanks"),
}


def _quoted(e: dict[str, Any]) -> Notice:
    """One piece of evidence as a note quotes it: its kind, the words, when."""
    return Notice(
        "%(kind)s “%(heard)s” (%(time)s)",
        {
            "kind": KINDS.get(e["kind"], e["kind"]),
            "heard": e["heard"],
            "time": clock(e["time"])[:8],
        },
    )


def name_speakers(
    utterances: list[Utterance],
    people: list[Speaker],
    n_speakers: int,
    p: NameParams | None = None,
    language: str = "en",
) -> tuple[dict[int, tuple[Speaker, float]], list[Evidence]]:
    """One-to-one names for the speakers the evidence supports: {speaker: (person, confidence)}."""
    from scipy.optimize import linear_sum_assignment

    p = p or NameParams()
    evidence = gather(utterances, people, p, language)
    if not people or n_speakers == 0 or not evidence:
        return {}, evidence
    index = {p.name: i for i, p in enumerate(people)}
    scores = np.zeros((n_speakers, len(people)))
    for ev in evidence:
        if ev.speaker < n_speakers:
            scores[ev.speaker, index[ev.person]] += ev.score
    rows, cols = linear_sum_assignment(-scores)
    names = {}
    for r, c in zip(rows, cols, strict=True):
        # Share of this speaker's own evidence that points at the person (other speakers'
        # claims on the name were settled by the assignment).
        total = scores[r].sum()
        share = round(scores[r, c] / total, 6) if total else 0.0
        if scores[r, c] >= p.min_score and share > 0.5:  # a tie names nobody (``mark_leads``)
            names[int(r)] = (people[c], round(float(min(1.0, scores[r, c] / 2) * share), 2))
    taken = {index[person.name] for person, _ in names.values()}
    if len(taken) == len(people):  # nobody left: no naming by elimination
        return names, evidence
    # a moderator (handing the floor over twice or more) often speaks after a hand-off to
    # someone else, answering for an absent guest: only thanks or an introduction count there
    say = naming(language)
    gives = [u.speaker for u in utterances if any(x.search(u.text) for x in say.handoff)]
    hosts = {k for k in set(gives) if gives.count(k) >= 2}
    weak = hosts - {e.speaker for e in evidence if e.kind != "hand-off"}
    # nor a voice only an organisation ties to the person (a colleague may stand in), nor one
    # that gave a name of its own not on the page ("My name is Marc Dubois, from Vitagora")
    told = {e.speaker for e in evidence if e.kind in ("hand-off", "thanks")}
    untold = set(range(n_speakers)) - told
    strangers = set(heard_names(utterances, people, p, language))
    pairs = _left_pair_up(scores, taken, set(names) | weak | untold | strangers, p.last_score)
    kind, heard = (LAST, "nobody else on the page") if len(pairs) == 1 else (PAIRED, "")
    for r, c in pairs:
        names[r] = (people[c], round(float(min(1.0, scores[r, c] / 2)), 2))
        first = min(e.time for e in evidence if e.speaker == r and e.person == people[c].name)
        others = ", ".join(people[k].name for _, k in pairs if k != c)
        evidence.append(
            Evidence(kind, r, people[c].name, heard or f"the others left: {others}", first, 0.0)
        )
    return names, evidence


def _left_pair_up(
    scores: np.ndarray, taken: set[int], named: set[int], least: float
) -> list[tuple[int, int]]:
    """(speaker, person) pairs when the people on the event page left unnamed (``taken``: the
    people named; ``named``: the voices named, or not to be named so) and the voices left with
    evidence are as many and pair up one to one: each voice's evidence all for one of them (at
    least ``least``), none of that person's elsewhere. One left: the only one left."""
    left = [c for c in range(scores.shape[1]) if c not in taken]
    waiting = [r for r in range(scores.shape[0]) if r not in named and scores[r].sum() > 0]
    if not left or len(left) != len(waiting):
        return []
    pairs = [(r, int(np.argmax(scores[r]))) for r in waiting]
    alone = all(
        c in left and scores[r, c] == scores[r].sum() == scores[:, c].sum() >= least
        for r, c in pairs
    )
    return pairs if alone and len({c for _, c in pairs}) == len(pairs) else []


# why a voice in which Whisper recognised no word is uncertain (it may be no person at all)
WORDLESS = Notice(
    "no words were recognised in this voice — listen to it to check who it is, or whether it is "
    "speech at all"
)


def speaker_table(
    pieces: list[tuple[Segment, int]],
    names: dict[int, tuple[Speaker, float]],
    evidence: list[Evidence],
    overrides: dict[str, Speaker],
    notes: dict[int, list[Notice]] | None = None,
    uncertain: dict[int, Notice] | None = None,
    turns: Sequence[Turn] = (),
) -> list[SpeakerInfo]:
    """The speaker table: ids by first appearance, names (override > evidence > "Speaker N"),
    talk time and turns from the attributed segments, what the evidence did to each speaker and
    which ones may be a part of another (uncertain). A voice of ``turns`` in which no words were
    recognised is a row too, its time and turns from the diarization, uncertain unless named."""
    table: dict[int, SpeakerInfo] = {}
    previous = None
    for seg, spk in pieces:
        if spk < 0:
            continue
        info = table.setdefault(spk, SpeakerInfo(id=f"S{spk + 1}", label=f"Speaker {spk + 1}"))
        info.talk_time = round(info.talk_time + seg.end - seg.start, 2)
        info.turns += spk != previous
        previous = spk
    wordless = sorted({t.speaker for t in turns} - set(table))
    for spk in wordless:
        own = [t for t in turns if t.speaker == spk]
        table[spk] = SpeakerInfo(
            id=f"S{spk + 1}",
            label=f"Speaker {spk + 1}",
            talk_time=round(sum(t.end - t.start for t in own), 2),
            turns=len(own),
        )
    for spk, info in table.items():
        info.evidence = [
            {"kind": e.kind, "person": e.person, "heard": e.heard, "time": e.time, "score": e.score}
            for e in evidence
            if e.speaker == spk
        ]
        info.notes = list((notes or {}).get(spk, []))
        if any(e["kind"] == LAST for e in info.evidence):
            info.notes.append(
                Notice(
                    "named as the only person on the event page left unnamed, on one piece of "
                    "evidence (check it)"
                )
            )
        if any(e["kind"] == PAIRED for e in info.evidence):
            info.notes.append(
                Notice(
                    "named by elimination: the people on the event page left unnamed and the "
                    "voices left with evidence pair up one to one, each on little evidence (check "
                    "it)"
                )
            )
        chosen = overrides.get(info.id)
        if chosen is not None:
            _give(info, chosen, "override", 1.0)
        elif spk in names:
            person, confidence = names[spk]
            _give(info, person, "evidence", confidence)
        else:
            reasons = [(uncertain or {}).get(spk), WORDLESS if spk in wordless else None]
            info.uncertain = [r for r in reasons if r is not None]
    return [table[k] for k in sorted(table)]


def _give(info: SpeakerInfo, person: Speaker, named_by: str, confidence: float) -> None:
    """Name a row of the speaker table after ``person``: no longer uncertain."""
    info.name, info.label, info.role, info.org = person.name, person.name, person.role, person.org
    info.named_by, info.confidence, info.uncertain = named_by, round(confidence, 2), []


def label_segments(pieces: list[tuple[Segment, int]], table: list[SpeakerInfo]) -> list[Segment]:
    """Segments (and their words) carrying the display label of their speaker."""
    labels = {int(info.id[1:]) - 1: info.label for info in table}
    out = []
    for seg, spk in pieces:
        label = labels.get(spk)
        words = [replace(w, speaker=label) for w in seg.words]
        out.append(replace(seg, speaker=label, words=words))
    return out


def load_overrides(path: Path, event: Event) -> dict[str, Speaker]:
    """A reviewer's ``speakers.yaml``: ``S2: Glenda Napier`` (a listed name, or any name) or
    ``S2: {name: …, role: …, org: …}``. Missing file → no overrides."""
    from pydantic import ValidationError

    if not path.exists():
        return {}
    data = read_yaml_file(path, "speaker names", "fix the YAML") or {}
    if not isinstance(data, dict):
        raise ConfigError("expected a mapping like `S2: Glenda Napier`", path, "fix the file")
    listed = {name_key(p.name): p for p in event.speakers}
    result = {}
    for key, value in data.items():
        if not re.fullmatch(r"S\d+", str(key)):
            raise ConfigError(
                f"'{key}' is not a speaker id (S1, S2, …)", path, "use the ids of speakers.json"
            )
        try:
            person = (
                listed.get(name_key(value)) or Speaker(name=value)
                if isinstance(value, str)
                else Speaker.model_validate(value)
            )
        except ValidationError as exc:
            raise ConfigError(
                f"{key}: {exc.errors()[0]['msg']}", path, "give a name or {name, role, org}"
            ) from None
        result[str(key)] = person
    return result


# --- words → speakers -----------------------------------------------------------------------


def _speaker_at(start: float, end: float, turns: list[Turn], starts: list[float]) -> int:
    """The speaker overlapping [start, end] most; else the nearest turn's speaker."""
    i = bisect.bisect_right(starts, end)
    overlap: dict[int, float] = {}
    for turn in turns[max(0, i - 50) : i]:  # turns are short; 50 back covers overlaps
        o = min(end, turn.end) - max(start, turn.start)
        if o > 0:
            overlap[turn.speaker] = overlap.get(turn.speaker, 0.0) + o
    if overlap:
        return max(overlap, key=lambda s: (overlap[s], -s))
    mid = (start + end) / 2
    nearest = min(
        turns[max(0, i - 2) : i + 2], key=lambda t: min(abs(mid - t.start), abs(mid - t.end))
    )
    return nearest.speaker


def _runs(labels: list[int]) -> list[tuple[int, int, int]]:
    """(label, first index, length) of each run of equal labels."""
    runs: list[tuple[int, int, int]] = []
    for i, lab in enumerate(labels):
        if runs and runs[-1][0] == lab:
            runs[-1] = (lab, runs[-1][1], runs[-1][2] + 1)
        else:
            runs.append((lab, i, 1))
    return runs


def _smooth(labels: list[int], flicker_words: int) -> list[int]:
    """Relabel short runs that sit between two runs of one same speaker (one-word flickers),
    one at a time, so a relabelled run joins its neighbours before the next is judged."""
    out = list(labels)
    while True:
        runs = _runs(out)
        flicker = next(
            (
                (before, run)
                for before, run, after in zip(runs, runs[1:], runs[2:], strict=False)
                if run[2] <= flicker_words
                and before[0] == after[0]
                and before[2] + after[2] > run[2]
            ),
            None,
        )
        if flicker is None:
            return out
        (label, _, _), (_, first, length) = flicker
        out[first : first + length] = [label] * length


def _snap(
    labels: list[int],
    words: list[Word],
    flicker_words: int,
    before: float = float("-inf"),
    after: float = float("inf"),
) -> list[int]:
    """Move a change of speaker to the sentence's edge when it falls at most ``flicker_words``
    words inside it, into a longer run of the other speaker ("So to | sum up, skills are …"):
    a turn's edge heard a word late or early, not two people sharing a sentence. A two-word
    sentence cut in half ("Thank | you.") goes whole to the turn it borders with the shorter
    pause: the later voice's after a pause before it, the earlier's before one after it.
    ``before``: when the word before the segment ends; ``after``: when the one after it starts."""
    out = list(labels)
    cuts = [i for i in range(1, len(words)) if ends_sentence(words[i - 1].word)]
    for a, b in zip([0, *cuts], [*cuts, len(words)], strict=True):
        runs = _runs(out[a:b])
        if [run[2] for run in runs] == [1, 1]:
            gap_before = words[a].start - (words[a - 1].end if a else before)
            gap_after = (words[b].start if b < len(words) else after) - words[b - 1].end
            if gap_before != gap_after:
                out[a:b] = [runs[1][0] if gap_before > gap_after else runs[0][0]] * (b - a)
        runs = _runs(out[a:b])
        if len(runs) > 1 and runs[0][2] <= flicker_words and runs[1][2] > runs[0][2]:
            out[a : a + runs[0][2]] = [runs[1][0]] * runs[0][2]
        runs = _runs(out[a:b])
        if len(runs) > 1 and runs[-1][2] <= flicker_words and runs[-2][2] > runs[-1][2]:
            out[b - runs[-1][2] : b] = [runs[-2][0]] * runs[-1][2]
    return out


def attribute(
    segments: list[Segment], turns: list[Turn], flicker_words: int = 2
) -> list[tuple[Segment, int]]:
    """Give every word a speaker and regroup: a segment is split where its speaker really
    changes — not one or two words inside a sentence (``_smooth``, ``_snap``); each resulting
    piece carries one speaker (numbered as in ``turns``)."""
    if not turns:
        return [(seg, -1) for seg in segments]
    starts = [t.start for t in turns]
    pieces: list[tuple[Segment, int]] = []
    timed = [seg for seg in segments if seg.words]  # the words around each: when they end, start
    before = [float("-inf"), *(seg.words[-1].end for seg in timed)]
    after = [*(seg.words[0].start for seg in timed), float("inf")]
    edges = {id(seg): (before[i], after[i + 1]) for i, seg in enumerate(timed)}
    for seg in segments:
        if not seg.words:
            pieces.append((seg, _speaker_at(seg.start, seg.end, turns, starts)))
            continue
        labels = _snap(
            _smooth([_speaker_at(w.start, w.end, turns, starts) for w in seg.words], flicker_words),
            seg.words,
            flicker_words,
            *edges[id(seg)],
        )
        cut = 0
        for i in range(1, len(labels) + 1):
            if i == len(labels) or labels[i] != labels[cut]:
                pieces.append((_piece(seg, seg.words[cut:i]), labels[cut]))
                cut = i
    return [(replace(seg, id=i), spk) for i, (seg, spk) in enumerate(pieces)]


def _piece(seg: Segment, words: list[Word]) -> Segment:
    if len(words) == len(seg.words):
        return replace(seg, words=list(words))
    text = "".join(w.word for w in words).strip()
    return replace(seg, start=words[0].start, end=words[-1].end, text=text, words=list(words))


def speaker_overrides(review: Review, event: Event) -> dict[str, Speaker]:
    """A reviewer's renames, as naming overrides (a listed name, in any letter case, brings its
    spelling, role and organisation)."""
    listed = {name_key(p.name): p for p in event.speakers}
    out = {}
    for key, fix in review.speakers.items():
        if fix.name:
            base = listed.get(name_key(fix.name))
            out[key] = Speaker(
                name=base.name if base else fix.name,
                role=fix.role or (base.role if base else ""),
                org=fix.org or (base.org if base else ""),
            )
    return out


def merges(p: NameParams, known: set[int], report: Report) -> dict[int, int]:
    """Speaker index → the index it is merged into (``S5: {same_as: S2}`` → {4: 1})."""
    out: dict[int, int] = {}
    for key, same_as in p.merges.items():
        source, target = int(key[1:]) - 1, int(same_as[1:]) - 1
        if source in known and target in known and source != target:
            out[source] = target
            report.applied += 1
        elif source == target:
            report.not_applied.append(f"speakers.{key}: same_as itself — nothing to merge")
        else:
            report.not_applied.append(f"speakers.{key}: same_as {same_as} — no such speaker")
    for key in p.reviewed:
        if int(key[1:]) - 1 not in known:
            report.not_applied.append(f"speakers.{key}: no such speaker in this recording")
    for source in list(out):  # follow chains (S5 → S4 → S2)
        seen = {source}
        while out[source] in out and out[source] not in seen:
            seen.add(out[source])
            out[source] = out[out[source]]
    return out


def renamed_alike(table: Sequence[SpeakerInfo]) -> dict[int, int]:
    """A reviewer's rename to the name another speaker has (by evidence or by another rename) says
    they are one person: speaker index → the index it joins (the one named by evidence, else the
    first)."""
    holders: dict[str, list[SpeakerInfo]] = {}
    for info in table:
        if info.name:
            holders.setdefault(name_key(info.name), []).append(info)
    out = {}
    for rows in holders.values():
        if len(rows) > 1 and any(r.named_by == "override" for r in rows):
            keep = next((r for r in rows if r.named_by != "override"), rows[0])
            out |= {r.index: keep.index for r in rows if r is not keep and r.named_by == "override"}
    return out


def _beside_listed(said: list[Said], listed: int) -> list[Said]:
    """``said`` without the introductions of people not on the event page (indexes ≥ ``listed``)
    in a voice cluster where a listed person introduced themself: there the unlisted name is
    more likely that person's misheard ("I am Calyham Dawson" for Carolina Garcés) than another
    voice."""
    holders = {s.speaker for s in said if s.intro is not None and s.intro < listed}
    return [
        replace(s, intro=None)
        if s.speaker in holders and s.intro is not None and s.intro >= listed
        else s
        for s in said
    ]


def resolve(
    recognised: Transcript,
    diarization: Diarization,
    people: list[Speaker],
    p: NameParams,
    strangers: Sequence[Speaker] = (),
) -> tuple[Resolution, list[tuple[Segment, int]]]:
    """The voice clusters corrected by the evidence in the words (``evidence``): split where
    two people introduced themselves in one voice — listed ones, or ``strangers`` (``unlisted``)
    where no listed person did —, joined where a hand-off and an introduction say two voices are
    one person. Returns the turns and the attributed pieces."""
    everyone = [*people, *strangers]

    def said(turns: list[Turn]) -> tuple[list[Said], list[tuple[Segment, int]]]:
        pieces = attribute(recognised.segments, turns, p.flicker_words)
        spoken = [Utterance(spk, seg.start, seg.text, seg.end) for seg, spk in pieces if spk >= 0]
        read = said_of(spoken, everyone, p, recognised.spoken)
        return _beside_listed(read, len(people)), pieces

    sentences, pieces = said(diarization.turns)
    turns, edges = edge(sentences, diarization.turns, p.turn_pause)
    if edges:
        sentences, _ = said(turns)
    ran_on = run_on(sentences, turns, diarization.voices)
    if ran_on.cut:
        sentences, _ = said(ran_on.turns)
    resolution = split(
        sentences, ran_on.turns, ran_on.voices, p.turn_pause, ran_on.cut, edges, p.hander_seconds
    )
    if resolution.turns != diarization.turns:
        sentences, _ = said(resolution.turns)
    joined = join(sentences, resolution, p.join_distance)
    if joined.joins:
        sentences, _ = said(joined.turns)
    resolution = renumber(reclaim(sentences, joined, p.join_distance))
    if resolution.turns != diarization.turns:  # the pieces of the final, renumbered turns
        pieces = attribute(recognised.segments, resolution.turns, p.flicker_words)
    return resolution, pieces


def speaker_prints(
    named: Speakers, diarization: Diarization
) -> dict[int, tuple[np.ndarray, float]]:
    """Each speaker's voiceprint and seconds of speech: the mean of the voices of the diarization
    turns their turns fall in, weighted by length."""
    sums: dict[int, np.ndarray] = {}
    seconds: dict[int, float] = {}
    for turn in named.turns:
        length = turn.end - turn.start
        seconds[turn.speaker] = seconds.get(turn.speaker, 0.0) + length
        overlap = [
            (min(turn.end, d.end) - max(turn.start, d.start), i)
            for i, d in enumerate(diarization.turns)
            if d.start < turn.end and turn.start < d.end
        ]
        if overlap:
            voice = diarization.voices[max(overlap)[1]]
            if voice.any():
                sums[turn.speaker] = sums.get(turn.speaker, 0) + voice * length
    return {k: (v / (np.linalg.norm(v) + 1e-9), round(seconds[k], 1)) for k, v in sums.items()}


def recognise(
    table: list[SpeakerInfo],
    prints: dict[int, tuple[np.ndarray, float]],
    library: Sequence[Voice],
    people: list[Speaker],
    p: NameParams,
) -> None:
    """Name speakers the words left anonymous after the library voice they match (similarity ≥
    ``p.recognise``, no other voice within ``p.recognise_margin``), one person each; where the
    words named a speaker and the library says someone else, the words win and a note says so."""
    listed = {person.name: person for person in people}
    matches = []
    for info in table:
        if info.index not in prints or not library:
            continue
        scored = sorted(
            ((float(v.vector @ prints[info.index][0]), v) for v in library), key=lambda x: -x[0]
        )
        best, voice = scored[0]
        runner_up = scored[1][0] if len(scored) > 1 else -1.0
        if best >= p.recognise and best - runner_up >= p.recognise_margin:
            matches.append((best, info, voice))
    taken = {info.name for info in table if info.name}
    for score, info, voice in sorted(matches, key=lambda m: -m[0]):
        _, title, date = voice.recordings[-1]
        where = f"{title}, {date}" if date else title
        if info.name:
            if info.named_by == "evidence" and info.name != voice.name:
                info.notes.append(
                    Notice(
                        "the voice library says %(voice)s (recognised from %(where)s); the words "
                        "say %(name)s, and the words win",
                        {"voice": voice.name, "where": where, "name": info.name},
                    )
                )
            continue
        if voice.name in taken:
            info.notes.append(
                Notice(
                    "sounds like %(voice)s (%(where)s), whom the words place elsewhere",
                    {"voice": voice.name, "where": where},
                )
            )
            continue
        taken.add(voice.name)
        _give(info, listed.get(voice.name, Speaker(name=voice.name)), "voice", score)
        info.notes.append(Notice("recognised by voice (%(where)s)", {"where": where}))
        info.evidence.append(
            {
                "kind": "voice",
                "person": voice.name,
                "heard": f"recognised by voice ({where})",
                "time": 0.0,
                "score": round(score, 3),
            }
        )


CAPTIONS = "platform transcript"  # the evidence kind of a name the platform's transcript gave
TRACKS = "participant track"  # … and of one a participant's own track gave


@dataclass(frozen=True)
class Captioned:
    """The platform transcript's cues in order, to find those under a stretch of time quickly."""

    cues: tuple[Cue, ...]
    starts: tuple[float, ...]
    longest: float
    tracks: bool = False  # the participants' own tracks, not a transcript, gave them

    @classmethod
    def of(cls, cues: Sequence[Cue], tracks: bool = False) -> Captioned:
        ordered = tuple(sorted(cues, key=lambda c: c.start))
        longest = max((c.end - c.start for c in ordered), default=0.0)
        return cls(ordered, tuple(c.start for c in ordered), longest, tracks)

    def under(self, start: float, end: float) -> Iterator[Cue]:
        """The cues overlapping ``start``–``end``."""
        for cue in self.cues[bisect.bisect_left(self.starts, start - self.longest) :]:
            if cue.start >= end:
                break
            if cue.end > start:
                yield cue


def caption_seconds(
    turns: Sequence[Turn], captioned: Captioned, within: float = 0.0
) -> dict[int, dict[str, tuple[float, float]]]:
    """{speaker: {name the cues give: (seconds of the speaker's turns under them, when first)}},
    counting a cue for a speaker only where at least ``within`` of it lies in their turns."""
    under: dict[tuple[int, Cue], tuple[float, float]] = {}
    for turn in turns:
        for cue in captioned.under(turn.start, turn.end):
            seconds, first = under.get((turn.speaker, cue), (0.0, cue.end))
            under[turn.speaker, cue] = (
                seconds + min(turn.end, cue.end) - max(turn.start, cue.start),
                min(first, max(turn.start, cue.start)),
            )
    found: dict[int, dict[str, tuple[float, float]]] = {}
    for (speaker, cue), (seconds, first) in under.items():
        if seconds >= within * (cue.end - cue.start):
            said = found.setdefault(speaker, {})
            total, earliest = said.get(cue.who, (0.0, first))
            said[cue.who] = (total + seconds, min(earliest, first))
    return found


def agreement(turns: Sequence[Turn], captioned: Captioned) -> float:
    """How far the platform's transcript agrees with the voices: of the speech under its cues,
    the share under the name each voice hears most, or in the voice each name is heard in most,
    whichever is higher (1 when names and voices pair up; voices alike heard as one, or one
    person heard as two, lower only one of them; a transcript of another recording, or one
    shifted in time, scatters both)."""
    heard = caption_seconds(turns, captioned)
    total = sum(seconds for said in heard.values() for seconds, _ in said.values())
    by_name: dict[str, dict[int, float]] = {}
    for speaker, said in heard.items():
        for who, (seconds, _) in said.items():
            by_name.setdefault(who, {})[speaker] = seconds
    voices = sum(max(seconds for seconds, _ in said.values()) for said in heard.values())
    names = sum(max(where.values()) for where in by_name.values())
    return float(max(voices, names) / total) if total else 0.0


def homes(heard: Mapping[int, Mapping[str, tuple[float, float]]]) -> dict[str, int]:
    """{name: the voice holding most of its speech} (``heard``: ``caption_seconds``)."""
    home: dict[str, int] = {}
    for speaker, said in sorted(heard.items()):
        for who, (seconds, _) in said.items():
            if who not in home or seconds > heard[home[who]][who][0]:
                home[who] = speaker
    return home


def timed_by_tracks(resolution: Resolution, captioned: Captioned) -> Resolution:
    """The turns as the participants' own tracks time their speech (a microphone of one's own
    times it closer than voices told apart in the mix): each name's speech a turn of the voice
    it is at home in (a name no voice holds, speech the voices missed, a speaker of its own);
    the turns of a voice no track names (someone without a track of their own) where no track
    has speech."""
    home = homes(caption_seconds(resolution.turns, captioned))
    fresh = itertools.count(max((t.speaker for t in resolution.turns), default=-1) + 1)
    for who in dict.fromkeys(c.who for c in captioned.cues):
        home.setdefault(who, next(fresh))
    turns = [Turn(c.start, c.end, home[c.who]) for c in captioned.cues]
    covered: list[list[float]] = []
    for cue in captioned.cues:  # sorted by start
        if covered and cue.start <= covered[-1][1]:
            covered[-1][1] = max(covered[-1][1], cue.end)
        else:
            covered.append([cue.start, cue.end])
    named = set(home.values())
    for turn in resolution.turns:
        if turn.speaker in named:
            continue
        start = turn.start
        for a, b in covered:
            if b <= start or a >= turn.end:
                continue
            if a > start:
                turns.append(Turn(start, a, turn.speaker))
            start = max(start, b)
        if start < turn.end:
            turns.append(Turn(start, turn.end, turn.speaker))
    return renumber(replace(resolution, turns=sorted(turns, key=lambda t: (t.start, t.speaker))))


@dataclass(frozen=True)
class Placing:
    """Where the platform's transcript was put: ``pieces`` (from the transcript's time their
    first cue starts at, seconds added to their times), in order — none when it was left as it
    is; ``heard``, the share of its cues whose words were heard in the recording (None: too few
    to judge); ``foreign``: so few that it is another recording's, whatever its names say."""

    pieces: tuple[tuple[float, float], ...]
    heard: float | None
    foreign: bool = False

    def put(self, cue: Cue) -> Cue:
        """``cue`` moved as its piece is."""
        at = bisect.bisect_right([start for start, _ in self.pieces], cue.start) - 1
        seconds = self.pieces[max(at, 0)][1] if self.pieces else 0.0
        return replace(cue, start=cue.start + seconds, end=cue.end + seconds)

    @property
    def moved(self) -> list[list[float]]:
        """[where in the recording a piece starts, seconds its times were moved by] for each
        piece, or none when nothing was moved."""
        if not any(seconds for _, seconds in self.pieces):
            return []
        return [[round(start + seconds, 2), seconds] for start, seconds in self.pieces]


def placed(cues: Sequence[Cue], segments: Sequence[Segment], p: NameParams) -> Placing:
    """Where the platform's transcript lies in the recording by its words (``captions.offset``):
    each piece moved there when that is ``p.caption_offset`` or more off, if at least three and
    ``p.caption_found`` of its cues with words tell so; how many of them were heard there."""
    if not cues:
        return Placing((), None)
    heard = [
        span
        for s in segments
        for span in ([(w.start, w.end, w.word) for w in s.words] or [(s.start, s.end, s.text)])
    ]
    found = captions.offset(cues, heard)
    share = found.found / found.cues if found.cues else 0.0
    told = found.found >= 3 and share >= p.caption_found
    pieces = tuple(
        (start, seconds if abs(seconds) >= p.caption_offset else 0.0)
        for start, seconds in (found.pieces if told else ())
    )
    if found.cues < p.caption_judged:
        return Placing(pieces, None)
    return Placing(pieces, round(share, 3), share < p.caption_found)


def regroup_by_captions(resolution: Resolution, captioned: Captioned, p: NameParams) -> Resolution:
    """The voices regrouped as the platform's transcript names their speech: a name counts in a
    voice for at least ``p.caption_seconds``, in cues lying at least half in its turns (not the
    edge of a cue a little early or late). Each name is at home in the voice holding most of
    it. Speech a voice holds under a name at home elsewhere goes to that voice (one person heard
    as two, or a part of one's speech heard in another's voice); a voice with two names at home
    in it (voices alike, heard as one) is split at the cues' edges, the name with most of it
    keeping the voice and each other one becoming a speaker of its own. Speech under no cue of
    those names (a pause, another name's edge) goes with the part before it, or the first with
    the part after."""
    heard = caption_seconds(resolution.turns, captioned, within=0.5)
    home = homes(heard)
    fresh = max((t.speaker for t in resolution.turns), default=-1) + 1
    becomes: dict[tuple[int, str], int] = {}
    groups = []
    given: set[int] = set()  # voices given speech from another
    for speaker, said in sorted(heard.items()):
        names = sorted(
            (who for who, (seconds, _) in said.items() if seconds >= p.caption_seconds),
            key=lambda who: -said[who][0],
        )
        own = [who for who in names if home[who] == speaker]
        elsewhere = {(speaker, who): home[who] for who in names if home[who] != speaker}
        becomes |= elsewhere
        given |= set(elsewhere.values())
        becomes |= {(speaker, who): speaker for who in own[:1]}
        for who in own[1:]:
            becomes[speaker, who] = fresh
            fresh += 1
        if len(own) > 1:
            groups.append(tuple(becomes[speaker, who] for who in own))
    changed = {speaker for (speaker, _), k in becomes.items() if k != speaker}
    if not changed:
        return resolution
    turns: list[Turn] = []
    for turn in resolution.turns:
        if turn.speaker not in changed:
            turns.append(turn)
            continue
        cues = list(captioned.under(turn.start, turn.end))
        edges = sorted(
            {turn.start, turn.end}
            | {x for c in cues for x in (c.start, c.end) if turn.start < x < turn.end}
        )
        pieces = []
        for a, b in itertools.pairwise(edges):
            who = next((c.who for c in cues if c.start <= (a + b) / 2 < c.end), None)
            pieces.append((a, b, becomes.get((turn.speaker, who or ""))))
        known = [k for *_, k in pieces if k is not None]
        parts: list[Turn] = []
        for a, b, k in pieces:
            k = k if k is not None else parts[-1].speaker if parts else (known or [turn.speaker])[0]
            if parts and parts[-1].speaker == k:
                parts[-1] = replace(parts[-1], end=b)
            else:
                parts.append(Turn(a, b, k))
        turns += parts
    origin = dict(resolution.origin)
    for (speaker, _), new in becomes.items():
        origin.setdefault(new, origin.get(speaker, speaker))
    return renumber(
        replace(
            resolution,
            turns=sorted(turns, key=lambda t: t.start),
            origin=origin,
            captioned=[*resolution.captioned, *groups],
            given=resolution.given | given,
            by_tracks=captioned.tracks,
        )
    )


def listed_as(who: str, people: Sequence[Speaker], least: int = 90) -> Speaker | None:
    """The one person on the event page a platform's name for someone is ("Glenda Napier
    (Energy Cluster Denmark)", "napier glenda", "Glenda" when no other Glenda is listed,
    "Audiencemember" — a track's name, its spaces left out — for "Audience member")."""
    from rapidfuzz import fuzz, utils

    def letters(name: str) -> str:
        return "".join(c for c in name.casefold() if c.isalnum())

    exact = [person for person in people if letters(person.name) == letters(who)]
    close = [
        person
        for person in people
        if fuzz.token_set_ratio(who, person.name, processor=utils.default_process) >= least
    ]
    found = exact or close
    return found[0] if len(found) == 1 else None


def by_captions(
    table: list[SpeakerInfo],
    turns: Sequence[Turn],
    captioned: Captioned,
    people: Sequence[Speaker],
    p: NameParams,
) -> None:
    """Name the voices the words left anonymous as the meeting platform's transcript names them
    (the name it gives for over ``p.caption_share`` of a voice's speech, at least
    ``p.caption_seconds``): the person of the event page it is, else as the platform wrote it;
    one voice per person, the longest. Where the words named a voice and the transcript says
    someone else, the words win and a note says so."""
    heard = caption_seconds(turns, captioned)
    found = []
    for info in table:
        said = heard.get(info.index, {})
        if said:
            who, (seconds, first) = max(said.items(), key=lambda kv: kv[1][0])
            share = seconds / sum(s for s, _ in said.values())
            if seconds >= p.caption_seconds and share > p.caption_share:
                found.append((seconds, info, who, share, first))
    taken = {name_key(info.name) for info in table if info.name}
    for _, info, who, share, first in sorted(found, key=lambda f: -f[0]):
        person = listed_as(who, people) or Speaker(name=who)
        if info.name:  # by the words (a reviewer's name is no evidence to weigh against)
            if info.named_by == "evidence" and name_key(info.name) != name_key(person.name):
                info.notes.append(
                    Notice(
                        "%(who)s's own track (the meeting platform's) holds this voice; the "
                        "words say %(name)s, and the words win",
                        {"who": who, "name": info.name},
                    )
                    if captioned.tracks
                    else Notice(
                        "the meeting platform's transcript says %(who)s; the words say %(name)s, "
                        "and the words win",
                        {"who": who, "name": info.name},
                    )
                )
            continue
        if name_key(person.name) in taken:
            info.notes.append(
                Notice(
                    "%(who)s's own track (the meeting platform's) holds this voice, but their "
                    "speech is placed in another",
                    {"who": who},
                )
                if captioned.tracks
                else Notice(
                    "the meeting platform's transcript says %(who)s, whose speech is placed in "
                    "another voice",
                    {"who": who},
                )
            )
            continue
        taken.add(name_key(person.name))
        _give(info, person, "tracks" if captioned.tracks else "captions", share)
        info.notes.append(
            Notice(
                "named by the participant's own track the meeting platform recorded (%(who)s)",
                {"who": who},
            )
            if captioned.tracks
            else Notice(
                "named as the meeting platform's transcript names this voice (%(who)s)",
                {"who": who},
            )
        )
        if people and person not in people:
            info.notes.append(Notice("not on the event page (check it)"))
        info.evidence.append(
            {
                "kind": TRACKS if captioned.tracks else CAPTIONS,
                "person": person.name,
                "heard": who,
                "time": first,
                "score": round(share, 3),
            }
        )


class Name(Stage):
    """Transcript + turns → ``speakers.json``: who is who, with evidence."""

    name = "name"
    Params = NameParams
    needs = ("transcribe", "diarize", "tracks")
    libraries = ("jellyfish", "rapidfuzz", "scipy", "spacy")
    data_files = ("data/naming-*.yaml",)

    def params(self, ctx: Context) -> NameParams:
        overrides = load_overrides(
            ctx.summary_dir / "speakers.yaml", ctx.event
        ) | speaker_overrides(ctx.review, ctx.event)
        return NameParams(
            people=tuple(p.model_dump() for p in ctx.event.speakers),
            overrides={k: v.model_dump() for k, v in sorted(overrides.items())},
            merges={k: f.same_as for k, f in sorted(ctx.review.speakers.items()) if f.same_as},
            reviewed=tuple(sorted(ctx.review.speakers)),
            captions=captions.digest(ctx.captions),
            library=tuple(
                (
                    v.name,
                    hashlib.sha256(v.vector.tobytes() + repr(v.recordings).encode()).hexdigest()[
                        :16
                    ],
                )
                for v in ctx.library or ()
            ),
        )

    def models(self, params: NameParams) -> dict[str, str]:
        return {"spacy": identity()["spacy"]}  # reads names heard that are not listed

    def outputs(self, ctx: Context, params: Any) -> list[Path]:
        return [ctx.out / "speakers.json"]

    def run(
        self, ctx: Context, params: NameParams, inputs: Mapping[str, Any], progress: ProgressFn
    ) -> Speakers:
        report = Report()
        diarization = inputs["diarize"]
        people = [Speaker(**x) for x in params.people]
        strangers = unlisted(inputs["transcribe"], people, params)
        resolution, pieces = resolve(inputs["transcribe"], diarization, people, params, strangers)
        tracked = inputs["tracks"]
        where = Placing((), None)
        if tracked and tracked.spoken:  # the participants' own tracks: before a transcript
            captioned = Captioned.of([Cue(*said) for said in tracked.spoken], tracks=True)
        else:
            where = placed(ctx.captions, inputs["transcribe"].segments, params)
            captioned = Captioned.of([where.put(c) for c in ctx.captions])
        agreed = agreement(resolution.turns, captioned) if captioned.cues else 0.0
        used = agreed >= params.caption_agreement and not where.foreign
        if used:  # its names regroup the voices: one person heard as two, two as one
            resolution = regroup_by_captions(resolution, captioned, params)
            if captioned.tracks:
                resolution = timed_by_tracks(resolution, captioned)
            pieces = attribute(
                inputs["transcribe"].segments, resolution.turns, params.flicker_words
            )
        merged = merges(params, {t.speaker for t in resolution.turns}, report)
        overrides = {k: Speaker(**v) for k, v in params.overrides.items()}
        notes = resolution.notes()
        uncertain = {
            new: diarization.uncertain[old]
            for new, old in resolution.origin.items()
            if old in diarization.uncertain and new not in notes
        }

        def table_of(merged: dict[int, int]) -> Speakers:
            turns = [replace(t, speaker=merged.get(t.speaker, t.speaker)) for t in resolution.turns]
            merged_pieces = [(seg, merged.get(spk, spk)) for seg, spk in pieces]
            utterances = [Utterance(spk, s.start, s.text, s.end) for s, spk in merged_pieces]
            count = len({t.speaker for t in turns})
            names, evidence = name_speakers(
                utterances, people, count, params, inputs["transcribe"].spoken
            )
            table = speaker_table(
                merged_pieces, names, evidence, overrides, notes, uncertain, turns
            )
            return Speakers(table, turns, merged_pieces, asdict(report))

        named = table_of(merged)
        alike = renamed_alike(named.speakers)
        if alike:  # merged as ``same_as`` would have merged them (counted before the table)
            report.applied += len(alike)
            named = table_of({s: alike.get(t, t) for s, t in merged.items()} | alike)
        table = named.speakers
        utterances = [Utterance(spk, seg.start, seg.text, seg.end) for seg, spk in named.pieces]
        if used:
            by_captions(table, named.turns, captioned, people, params)
        if captioned.cues:
            source = "tracks" if captioned.tracks else "transcript"
            named.platform = {"source": source, "agreement": round(agreed, 3), "used": used}
            if not captioned.tracks:
                named.platform |= {"moved": where.moved, "heard": where.heard}
            if where.foreign:
                named.platform["why"] = "words"
        if ctx.library:
            recognise(table, speaker_prints(named, diarization), ctx.library, people, params)
        anonymous = {info.index for info in table if info.name is None}
        unnamed = [u for u in utterances if u.speaker in anonymous]
        # a first name alone is a hint for the reviewer, not evidence that splits or names voices
        heard = heard_names(unnamed, people, params, inputs["transcribe"].spoken, first_names=True)
        mark_heard(table, heard)
        mark_leads(table)
        return named

    def write(self, ctx: Context, params: Any, result: Speakers) -> None:
        write_json(ctx.out / "speakers.json", result.to_dict())

    def load(self, ctx: Context, params: NameParams, inputs: Mapping[str, Any]) -> Speakers:
        data = read_json(ctx.out / "speakers.json")
        named = Speakers.from_dict(data)
        segments = inputs["transcribe"].segments
        named.pieces = attribute(segments, named.turns, params.flicker_words)
        return named

    def facts(self, result: Speakers) -> dict[str, Any]:
        return {"named": sum(1 for i in result.speakers if i.name), "review": result.review}
