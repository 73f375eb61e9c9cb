"""What each sentence of a talk does — content, introduction, hand-off, thanks (or greeting),
housekeeping, question — so that takeaways, points and the abstract come from content only and
the audience's questions from questions. Rules first: the phrases of each function are data
(``pipeline/data/functions-<language>.yaml``), and the name stage's own patterns for
introductions and hand-offs by name count too. Where the rules find content, a logistic
regression on the sentence's MiniLM vector (``pipeline/data/functions-<language>.npz``, trained
on the labelled examples by ``train``) may read running the call or thanks in other words than
the rules' ("Your microphone seems to be off."). Measured on a labelled set of webinar sentences
(``tests/data/sentence_functions.tsv``; ``bench/functions.py``)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import yaml

from ..core.language import Naming, naming, spelled_after, spelled_end, spelled_name, spoken_name

FUNCTIONS = ("content", "introduction", "handoff", "thanks", "housekeeping", "question")
THEMED = frozenset({"content", "question"})  # what a sentence does when it can carry a theme
DATA = Path(__file__).parents[1] / "data"
# what the model may read where the rules find content (a question, an introduction or a
# hand-off is told by its form or by a name, which the rules read), and how sure it must be:
# more likely than not (set a priori)
REREAD = ("housekeeping", "thanks")
LIKELY = 0.5
C_GRID = (1.0, 4.0, 16.0, 64.0)  # regularisation tried in ``train`` (its own cross-validation)
GREETED = re.compile(r"^\w+,\s+")  # one word and a comma before it: "Hi, …", "Hallo, …"
# a sentence of a listed name, an organisation and at most this many other words is no point
# (set a priori: a greeting and where from, "Hej from Sweden, …")
AROUND_NAME = 4
_REPEAT = re.compile(r"\b(\w+)(?:\s+\1\b)+", re.I)  # "the the"


@dataclass(frozen=True)
class Phrases:
    """One language's phrases for each function."""

    opener: re.Pattern[str]  # a word a sentence may open with ("And thank you …")
    leading: re.Pattern[str]  # markers and greetings a point loses at its start ("So, hello, …")
    fillers: re.Pattern[str]  # hesitations a point loses wherever they are ("um", "euh")
    handoff: tuple[re.Pattern[str], ...]
    introduction: tuple[re.Pattern[str], ...]
    housekeeping: tuple[re.Pattern[str], ...]
    thanks: tuple[re.Pattern[str], ...]
    not_thanks: tuple[re.Pattern[str], ...]
    question_starts: tuple[re.Pattern[str], ...]
    thanks_max_words: int
    asked: tuple[re.Pattern[str], ...] = ()  # "My question is whether …": asks, with a full stop
    relayed: tuple[re.Pattern[str], ...] = ()  # "Someone in the chat asks, …?"
    not_relayed: tuple[re.Pattern[str], ...] = ()  # "We have time for a question from the …"
    programme: tuple[re.Pattern[str], ...] = ()  # "… will present …" about two listed people
    unfinished: re.Pattern[str] = re.compile("(?!)")  # a last word no sentence ends on


@cache
def phrases(language: str = "en") -> Phrases:
    """The phrases of ``language`` (English when there is no file for it)."""
    path = DATA / f"functions-{language}.yaml"
    if not path.exists():
        path = DATA / "functions-en.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))

    def compiled(key: str) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p, re.IGNORECASE) for p in data.get(key, []))

    openers = "|".join(data.get("openers", [])) or "(?!)"
    leading = "|".join(data.get("leading", [])) or "(?!)"
    fillers = "|".join(data.get("fillers", [])) or "(?!)"
    unfinished = "|".join(data.get("unfinished", [])) or "(?!)"
    return Phrases(
        re.compile(rf"^(?:{openers})\b,?\s+", re.IGNORECASE),
        re.compile(rf"^(?:(?:{leading})\b[,.!]?\s+)+", re.IGNORECASE),
        re.compile(rf"\b(?:{fillers})\b,?\s*", re.IGNORECASE),
        compiled("handoff"),
        compiled("introduction"),
        compiled("housekeeping"),
        compiled("thanks"),
        compiled("not_thanks"),
        compiled("question_starts"),
        int(data.get("thanks_max_words", 14)),
        compiled("asked"),
        compiled("relayed"),
        compiled("not_relayed"),
        compiled("programme"),
        re.compile(rf"(?<![\w'’-])(?:{unfinished})[\s.,;:!?…]*$"),  # case as written: "plan A."
    )


def unfinished(text: str, language: str = "en") -> bool:
    """Whether ``text`` stops on a word no sentence ends on ("I think it should be a", "… and
    the": cut off by another voice or by the end of the recording)."""
    return bool(phrases(language).unfinished.search(text))


def relayed(text: str, language: str = "en") -> bool:
    """Whether ``text`` passes on a question from the chat or the audience ("Someone in the chat
    asks, how …?", "We have another question from the audience.")."""
    p = phrases(language)
    said = p.opener.sub("", text.strip())
    return any(x.search(said) for x in p.relayed) and not any(x.search(said) for x in p.not_relayed)


def relayed_question(text: str, language: str = "en") -> str:
    """The question a sentence passes on, without the words announcing it ("Maria from
    Lombardy asks in the Q&A, are the courses free?" → "are the courses free?"); the sentence
    as it is unless a question of three words or more follows them after a comma or a colon
    ("… asks how you train people?" stays whole)."""
    p = phrases(language)
    said = p.opener.sub("", text.strip())
    for pattern in p.relayed:
        if found := pattern.search(said):
            after = said[found.end() :]
            rest = after.lstrip(" ,:;–-")
            quoted = any(c in ",:;–-" for c in after[: len(after) - len(rest)])
            if quoted and rest.endswith("?") and len(rest.split()) >= 3:
                return rest
    return text


def function(text: str, language: str = "en", names: Sequence[str] = ()) -> str:
    """What the sentence does (one of ``FUNCTIONS``): a hand-off, an introduction, housekeeping,
    a question, thanks or a greeting, in this order — else content. ``names``: the event's
    listed people, whose whole name after "I am" introduces even in lower case."""
    p, say = phrases(language), naming(language)
    whole, said = _read(text, language)
    announced = relayed(said, language)  # a question from the chat read out, or words before one
    if announced and said.endswith("?"):  # "Someone asks, how …?": not a hand-off
        return "question"
    if (  # a hand-off's own words may open with an opener ("Ora parla …", "Now, Glenda.")
        any(x.search(said) or x.search(whole) for x in say.handoff)
        or say.bare_handoff.match(said)  # "Please go ahead."
        or any(x.search(said) for x in p.handoff)
    ):
        return "handoff"
    if any(x.search(said) for x in say.introduces) or say.presents.match(GREETED.sub("", said)):
        return "introduction"  # "I am …", or opening with "this is …" ("Hi, this is Marek")
    if names and any(spelled_after(say.intro, said, names)):
        return "introduction"  # "Je suis nicola Lefèvre, Cap Digital Lyon."
    named = say.with_org.match(text.strip()) if names else None
    # the organisation capitalised, at once or after a role ("…, project manager at Mobile …")
    capital = named and any(t[:1].isupper() for t in say.org_openings(named.group("org")))
    if capital and spelled_name(named.group(1), names):
        return "introduction"  # "Glenda Napier, Energy Cluster Denmark, good morning."
    if any(x.search(said) for x in p.introduction):
        return "introduction"
    if announced:  # "We have a question from the chat.": the words before one
        return "housekeeping"
    if _programme(said, p, names):
        return "housekeeping"
    if any(x.search(said) for x in p.housekeeping):  # "Can you see my screen?" too
        return "housekeeping"
    if (
        said.endswith("?")
        or any(x.search(said) for x in p.asked)
        or (any(x.search(said) for x in p.question_starts) and not said.endswith((".", "!")))
    ):
        return "question"
    thanks = any(x.search(said) for x in p.thanks) and not _because(said, language)
    if thanks and len(said.split()) <= p.thanks_max_words:
        return "thanks"
    if names and _named_with_org(said, say.named_org, names):
        return "introduction"  # "Hedge from Sweden, Tomas Berg from Nordic Wood Cluster."
    if names and _spoken_of(said, say, names):
        return "introduction"  # "Dr. Elena Rossi holds a PhD …": a host presenting her
    return "content"


def _read(text: str, language: str) -> tuple[str, str]:
    """The sentence as its function is read: without a clause putting a hand-off off ("Before I
    hand over, one more number: …" is the number's; the clause alone stays itself), and that
    without the words it opens with ("And thank you for the talks." thanks all the same)."""
    rest = naming(language).deferred_clause.sub("", text.strip()).strip()
    whole = rest if re.search(r"\w", rest) else text.strip()
    return whole, phrases(language).opener.sub("", whole)


def _because(said: str, language: str) -> bool:
    """Whether "thanks to" in a sentence as read (``_read``) means "because of" (``not_thanks``:
    "Great progress was made, thanks to the regional fund.")."""
    return any(x.search(said) for x in phrases(language).not_thanks)


def presenting_on(found: Sequence[str], texts: Sequence[str], language: str = "en") -> list[str]:
    """``found`` (each sentence's ``function``, in talk order) with content opening with a
    third-person pronoun right after an introduction read as one too: a host going on about
    the guest she presents ("Bram de Jong directs the valley. He has worked on energy projects
    for twenty years."), not a point of her own."""
    third = naming(language).third_person
    out = list(found)
    for i in range(1, len(out)):
        if out[i] == "content" and out[i - 1] == "introduction" and third.match(texts[i]):
            out[i] = "introduction"
    return out


def _named_with_org(said: str, named_org: re.Pattern[str], names: Sequence[str]) -> bool:
    """Whether the sentence is little more than a listed person's whole name and an
    organisation after it, wherever it opens (Whisper's "Hedge from Sweden, Tomas Berg from
    Nordic Wood Cluster." for "Hej from Sweden, …"): her introduction, or a host presenting
    her — not a point."""
    return any(
        spelled_name(m.group(1), names)
        and len(said.split()) - len(m.group(0).split()) <= AROUND_NAME
        for m in named_org.finditer(said)
    )


def _spoken_of(said: str, say: Naming, names: Sequence[str]) -> bool:
    """Whether the sentence opens with a listed person's whole name, a title before it or not,
    and a verb straight after it: a host presenting her ("Dr. Elena Rossi holds a PhD in
    chemistry and has led …") or retelling what she said ("Glenda Napier showed us that …") —
    no point of the speaker's own. Not her name and a comma ("Glenda Napier, as you said, …"
    speaks to her), nor "Koen Peeters and I have worked …", about both."""
    text = say.lead_in.sub("", said, count=1)
    if not (hit := spelled_name(text, names)):
        return False
    return bool(say.goes_on.match(text, spelled_end(text, 0, names[hit[0]])))


def _programme(said: str, p: Phrases, names: Sequence[str]) -> bool:
    """Whether the sentence is the session's programme: it names two or more of the event's
    listed people (whole name, first or last name) and says what they will do ("First, Glenda
    Napier will present …, then Carolina Garcés will talk about …")."""
    named = sum(
        any(re.search(rf"\b{re.escape(form)}\b", said) for form in {n, n.split()[0], n.split()[-1]})
        for n in map(spoken_name, names)
        if n.strip()
    )
    return named >= 2 and any(x.search(said) for x in p.programme)


def clean(text: str, language: str = "en") -> str:
    """Drop fillers, leading discourse markers and greetings (``language``'s, from its
    sentence-function phrases), and stuttered repeats; capitalise."""
    say = phrases(language)
    text = _REPEAT.sub(r"\1", say.fillers.sub("", text)).strip()
    text = say.leading.sub("", text).strip()
    lead = len(text) - len(text.lstrip("¿¡\"'“‘«„ "))  # "¿cómo …?" → "¿Cómo …?"
    return text[:lead] + text[lead : lead + 1].upper() + text[lead + 1 :]


@dataclass(frozen=True)
class Model:
    """A multinomial logistic regression over MiniLM sentence vectors."""

    classes: tuple[str, ...]
    coef: np.ndarray  # (classes, 384)
    intercept: np.ndarray  # (classes,)
    c: float  # the regularisation it was trained with

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        from scipy.special import softmax

        return softmax(vectors @ self.coef.T + self.intercept, axis=1)


def train(vectors: np.ndarray, labels: Sequence[str]) -> Model:
    """The model of the labelled examples: the ``C_GRID`` value with the best macro-F1 in a
    stratified 5-fold cross-validation, then fitted on all of them."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    scores = [
        cross_val_score(
            LogisticRegression(C=c, max_iter=5000), vectors, labels, cv=folds, scoring="f1_macro"
        ).mean()
        for c in C_GRID
    ]
    c = C_GRID[int(np.argmax(scores))]
    fitted = LogisticRegression(C=c, max_iter=5000).fit(vectors, labels)
    return Model(tuple(fitted.classes_), fitted.coef_, fitted.intercept_, c)


def save(model: Model, path: Path) -> None:
    from ..core.store import atomic_path

    with atomic_path(path) as tmp, tmp.open("wb") as f:
        np.savez(
            f,
            classes=np.array(model.classes),
            coef=model.coef.astype(np.float32),
            intercept=model.intercept.astype(np.float32),
            c=np.float32(model.c),
        )


@cache
def model(language: str = "en") -> Model | None:
    """The shipped model of ``language``; None when there is none (the rules alone)."""
    path = DATA / f"functions-{language}.npz"
    if not path.exists():
        return None
    with np.load(path) as z:
        return Model(tuple(str(x) for x in z["classes"]), z["coef"], z["intercept"], float(z["c"]))


def functions(
    texts: Sequence[str], vectors: np.ndarray, language: str = "en", names: Sequence[str] = ()
) -> list[str]:
    """``function`` of each sentence; where that is content, the ``model`` of ``language`` (on
    the sentence's MiniLM vector, ``vectors``) reads one of ``REREAD`` when it finds it
    ``LIKELY`` — but not thanks where "thanks to" means "because of" (``not_thanks``: "Great
    progress was made, thanks to the regional fund." is a point)."""
    found = presenting_on([function(t, language, names) for t in texts], texts, language)
    learnt = model(language)
    if learnt is None or not len(found):
        return found
    chances = learnt.probabilities(np.asarray(vectors, np.float32))
    best = [learnt.classes[b] for b in chances.argmax(axis=1)]
    return [
        read
        if rule == "content"
        and read in REREAD
        and row.max() >= LIKELY
        and not (read == "thanks" and _because(_read(text, language)[1], language))
        else rule
        for rule, row, read, text in zip(found, chances, best, texts, strict=True)
    ]
