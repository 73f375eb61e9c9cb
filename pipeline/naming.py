"""The naming stage: anonymous speakers → people on the event page, from evidence in the words.

Evidence, each with the words and time it came from:
- self-introduction: "I'm Glenda Napier", "my name is …", "this is …" said by the speaker;
- organisation in a self-introduction: "… the CEO of Energy Cluster Denmark";
- hand-off: "Carolina, over to you", "the floor is yours", "over to you, Marek" → the next speaker;
- thanks: "Thank you, Marek" at the start of a turn → the previous speaker.
Names are matched to the sidecar's list with rapidfuzz (ASR misspellings), the evidence scores
are summed per (speaker, person) and people are assigned one-to-one (Hungarian). A speaker
whose best score is below ``MIN_SCORE`` stays "Speaker N": no guessing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from .errors import ConfigError
from .event import Event, Speaker
from .types import Segment

MIN_SCORE = 0.9  # a self-introduction alone, or a hand-off plus a thanks, is enough
MIN_MATCH = 80  # rapidfuzz score (0–100) for a heard name to count as a listed name
WEIGHTS = {"self-introduction": 1.0, "organisation": 0.5, "hand-off": 0.6, "thanks": 0.5}

_NAME = r"([A-ZÀ-Ý][\w'’\-]+(?:\s+[A-ZÀ-Ý][\w'’\-]+){0,3})"
_SELF = re.compile(rf"\b(?:I am|I'm|my name is|My name is|this is|This is)\s+{_NAME}")
_INTRO = re.compile(r"\b(?:I am|I'm|my name is|My name is)\b")
_HANDOFF = (
    re.compile(
        rf"{_NAME},?\s+(?:the floor is yours|over to you|please go ahead|you have the floor)"
    ),
    re.compile(
        rf"(?:over to you|hand over to|pass (?:it )?over to|give the floor to|turn to),?\s+{_NAME}"
    ),
    re.compile(rf"(?:^|[.!?]\s+){_NAME},\s+please\b"),
)
_THANKS = re.compile(rf"^(?:Thank you|Thanks)(?: very much| so much)?,?\s+{_NAME}")


def is_introduction_or_handoff(text: str) -> bool:
    """Sentences about who is speaking ("I'm …", "Carolina, over to you") rather than the subject."""
    return bool(_SELF.search(text) or any(p.search(text) for p in _HANDOFF))


@dataclass(frozen=True)
class Utterance:
    """What the naming stage reads: who (anonymous index) said what, when."""

    speaker: int
    start: float
    text: str


@dataclass
class Evidence:
    kind: str
    speaker: int
    person: str
    heard: str
    time: float
    score: float


@dataclass
class SpeakerInfo:
    """A row of the speaker table."""

    id: str  # "S1", "S2", … by first appearance
    label: str  # what the outputs show: the name, or "Speaker N"
    name: str | None = None
    role: str = ""
    org: str = ""
    confidence: float = 0.0
    named_by: str | None = None  # "evidence" | "override" | None
    talk_time: float = 0.0
    turns: int = 0
    evidence: list[dict[str, object]] = field(default_factory=list)


def _match(heard: str, people: list[Speaker]) -> tuple[int, float] | None:
    """The listed person a heard name refers to (full, first or last name), with a 0–1 score."""
    from rapidfuzz import fuzz, utils

    best: tuple[int, float] | None = None
    for i, person in enumerate(people):
        parts = person.name.split()
        forms = {person.name, parts[0], parts[-1]}
        for candidate in (heard, " ".join(heard.split()[:2]), heard.split()[0]):
            score = max(fuzz.ratio(candidate, f, processor=utils.default_process) for f in forms)
            if score >= MIN_MATCH and (best is None or score / 100 > best[1]):
                best = (i, score / 100)
    return best


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


def gather(utterances: list[Utterance], people: list[Speaker]) -> list[Evidence]:
    """Every piece of naming evidence in the transcript."""
    found: list[Evidence] = []

    def add(
        kind: str, speaker: int, heard: str, time: float, match: tuple[int, float] | None
    ) -> None:
        if match is not None and speaker >= 0:
            person, score = match
            found.append(
                Evidence(
                    kind, speaker, people[person].name, heard, time, round(WEIGHTS[kind] * score, 3)
                )
            )

    for i, utt in enumerate(utterances):
        for m in _SELF.finditer(utt.text):
            add("self-introduction", utt.speaker, m.group(0), utt.start, _match(m.group(1), people))
        if _INTRO.search(utt.text):
            for person, score in _org_mentions(utt.text, people):
                add("organisation", utt.speaker, people[person].org, utt.start, (person, score))
        nxt = next((u for u in utterances[i + 1 :] if u.speaker != utt.speaker), None)
        for pattern in _HANDOFF:
            for m in pattern.finditer(utt.text):
                if nxt is not None:
                    add("hand-off", nxt.speaker, m.group(0), utt.start, _match(m.group(1), people))
        m = _THANKS.match(utt.text)
        prev = next((u for u in reversed(utterances[:i]) if u.speaker != utt.speaker), None)
        if m and prev is not None:
            add("thanks", prev.speaker, m.group(0), utt.start, _match(m.group(1), people))
    return found


def name_speakers(
    utterances: list[Utterance], people: list[Speaker], n_speakers: int
) -> tuple[dict[int, tuple[Speaker, float]], list[Evidence]]:
    """One-to-one names for the speakers the evidence supports: {speaker: (person, confidence)}."""
    from scipy.optimize import linear_sum_assignment

    evidence = gather(utterances, people)
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
        share = scores[r, c] / total if total else 0.0
        if scores[r, c] >= MIN_SCORE and share >= 0.5:
            names[int(r)] = (people[c], round(float(min(1.0, scores[r, c] / 2) * share), 2))
    return names, evidence


def speaker_table(
    pieces: list[tuple[Segment, int]],
    names: dict[int, tuple[Speaker, float]],
    evidence: list[Evidence],
    overrides: dict[str, Speaker],
) -> list[SpeakerInfo]:
    """The speaker table: ids by first appearance, names (override > evidence > "Speaker N"),
    talk time and turns from the attributed segments."""
    table: dict[int, SpeakerInfo] = {}
    previous = None
    for seg, spk in pieces:
        if spk < 0:
            continue
        info = table.setdefault(spk, SpeakerInfo(id=f"S{spk + 1}", label=f"Speaker {spk + 1}"))
        info.talk_time = round(info.talk_time + seg.end - seg.start, 2)
        info.turns += spk != previous
        previous = spk
    for spk, info in table.items():
        info.evidence = [
            {"kind": e.kind, "person": e.person, "heard": e.heard, "time": e.time, "score": e.score}
            for e in evidence
            if e.speaker == spk
        ]
        chosen = overrides.get(info.id)
        if chosen is not None:
            person, info.named_by, info.confidence = chosen, "override", 1.0
        elif spk in names:
            (person, info.confidence), info.named_by = names[spk], "evidence"
        else:
            continue
        info.name, info.role, info.org, info.label = (
            person.name,
            person.role,
            person.org,
            person.name,
        )
    return [table[k] for k in sorted(table)]


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
    import yaml
    from pydantic import ValidationError

    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(
            f"cannot read speaker names ({' '.join(str(exc).split())})", path, "fix the YAML"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError("expected a mapping like `S2: Glenda Napier`", path, "fix the file")
    listed = {p.name: p for p in event.speakers}
    result = {}
    for key, value in data.items():
        if not re.fullmatch(r"S\d+", str(key)):
            raise ConfigError(
                f"'{key}' is not a speaker id (S1, S2, …)", path, "use the ids of speakers.json"
            )
        try:
            person = (
                listed.get(value) or Speaker(name=value)
                if isinstance(value, str)
                else Speaker.model_validate(value)
            )
        except ValidationError as exc:
            raise ConfigError(
                f"{key}: {exc.errors()[0]['msg']}", path, "give a name or {name, role, org}"
            ) from None
        result[str(key)] = person
    return result
