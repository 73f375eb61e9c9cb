"""What the pipeline knows of each language: how people say who speaks (``data/naming-<lang>.yaml``)
and which spaCy pipeline reads it; a language's code from its name ("Deutsch" → "de"); a listed
name spelled in any case. The phrases are data; this module only compiles them."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

DATA = Path(__file__).parents[1] / "data"
_UPPER = "".join(c for c in map(chr, range(0x41, 0x250)) if c.isupper())
_WORDS = rf"[{_UPPER}][\w'’\-]+(?:\s+[{_UPPER}][\w'’\-]+){{0,3}}"
# A name as Whisper writes it: one to four capitalised words ("Glenda Napier", "Łukasz Żak",
# "Siobhán O'Brien") — not a possessive ("I'm Marek's deputy", "this is Glenda's point").
NAME = rf"(?!{_WORDS}['’]s\b)({_WORDS})"


@dataclass(frozen=True)
class Naming:
    """One language's patterns around a name; group 1 of each is the name heard."""

    language: str  # the language(s) of the phrases (English when the talk's has no file)
    intro: re.Pattern[str]  # "I am", "my name is" (with or without a name after it)
    introduces: tuple[re.Pattern[str], ...]  # "I am Glenda …", "Glenda here" (not "this is …")
    named: re.Pattern[str]  # "my name is …", "Mein Name ist …": always one's own name after it
    presents: re.Pattern[str]  # "this is Marek …": oneself, or a guest the host presents
    handoff: tuple[re.Pattern[str], ...]  # "Carolina, over to you", "What do you think, Marek?"
    bare_handoff: re.Pattern[str]  # a sentence handing the floor to nobody named ("Go ahead.")
    # a host presenting or welcoming one person ("… and with me today is my co-host Tom
    # Reilly.", "Nous accueillons maintenant …"): a hand-off when the sentence ends the host's turn
    joined: re.Pattern[str]
    # a sentence that is nothing but a name ("Jonas Weber."): a hand-off when it ends the turn
    # (Whisper, prompted with the event's names, wrote "Jonas, bitte." and "Rasa, over to you."
    # as the whole name)
    called: re.Pattern[str]
    # a sentence opening with a name and a comma ("Marco, I think you're still on mute."): said
    # to that person (group 1), so not by them
    vocative: re.Pattern[str]
    # one's colleague named ("Mein Kollege Lukas Hofmann erklärt jetzt …"): a hand-off with it is
    # the one who holds the floor handing it on, not the host
    colleague: re.Pattern[str]
    # a hand-off still to come, said on the way ("Before I hand over to Glenda, …"): the floor
    # does not pass at the same voice's next sentence (``evidence.floor``)
    deferred: re.Pattern[str]
    # that hand-off's clause up to its comma ("Before I hand over to Glenda, "): what the
    # sentence says besides is read without it (``functions.function``)
    deferred_clause: re.Pattern[str]
    questioned: re.Pattern[str]  # "My question is for Beatriz.": a hand-off, in a question's words
    handing: re.Pattern[str]  # a hand-off phrase before a name ("over to", "escuchemos ahora a")
    # a word opening a sentence that announces who is next ("And now", "Na koniec"), and what
    # may follow the name it announces: the sentence's end, or who the person is
    announcing: re.Pattern[str]
    announced: re.Pattern[str]
    # said right after the name handed the floor: it does not happen ("…, but she has left")
    withdrawn: re.Pattern[str]
    # one after a sentence opening with a name ("Pavel, you have been very patient. Please go
    # ahead."): that person is handed the floor (group 1)
    addressed: re.Pattern[str]
    # said before a hand-off phrase in its sentence: the floor passes later, not now ("After the
    # break, we will hear from Glenda Napier.")
    later: re.Pattern[str]
    # said after a hand-off by the same voice before anyone else speaks: it did not happen
    # ("Carolina, can you hear me? No? We'll try again later.")
    postponed: re.Pattern[str]
    thanks: tuple[re.Pattern[str], ...]  # "Thank you, Marek", "Marek, thank you" opening one
    # the words of thanks opening one, before a name (in any case: "Thank you, glenda napier."),
    # and what after the name makes it a welcome before that person speaks ("… for joining us")
    thanking: re.Pattern[str]
    welcome: re.Pattern[str]
    # "Hello all, Glenda Napier from Energy Cluster Denmark": group "org" is what follows the name
    with_org: re.Pattern[str]
    # a name, then an organisation (anywhere): "…, Tomas Berg from Nordic Wood Cluster."
    named_org: re.Pattern[str]
    presenting: re.Pattern[str]  # "… is our first speaker": not oneself
    relative: re.Pattern[str]  # "(it's Glenda) who will start": someone else speaks of her
    # "project manager at …": a role of 1, 2, 3 or 4 words; or one's own ("and I lead …")
    roles: tuple[re.Pattern[str], ...]
    lead_in: re.Pattern[str]  # what opens a sentence before a name: "So, Dr. …", "Und Frau …"
    # a word straight after a name, not a conjunction: "Elena Rossi holds …", not "Koen Peeters
    # and I …" nor "Glenda Napier, as you said, …"
    goes_on: re.Pattern[str]
    third_person: re.Pattern[str]  # "He has worked …" opening a sentence: someone spoken of
    # (case ending, nominative ending) of a language that declines names ("owi", ""): Piotrowi
    inflections: tuple[tuple[str, str], ...] = ()
    # who a question read out is from: "Maria from Lombardy asks …", "a question from Jan"
    asker: tuple[re.Pattern[str], ...] = ()

    def put_off(self, handed: re.Match[str]) -> bool:
        """Whether a word of later (``later``) comes before the hand-off phrase ``handed`` in
        its sentence: "After the break, we will hear from Glenda Napier." hands over nothing now."""
        return bool(self.later.search(handed.string, 0, handed.start()))

    def org_openings(self, text: str) -> list[str]:
        """Where an organisation may open ``text``: at once, or after one's role ("project
        manager at Mobile Heights", "gerente del Clúster de la Madera" — the role may be one
        word or up to four, "head of digital at …") or what one does there ("and I lead …",
        "je dirige …")."""
        ends = [m.end() for x in self.roles if (m := x.match(text))]
        return [text, *dict.fromkeys(text[end:] for end in ends)]


def _any(phrases: list[str]) -> str:
    """The phrases as one case-insensitive group (the name after them stays case-sensitive)."""
    return "(?i:" + "|".join(f"(?:{p})" for p in phrases) + ")"


# the phrase lists that may take a filler word between two of their words
LOOSE = (
    *("introduction", "introduction_after", "presentation"),
    *(
        "handoff_before",
        "handoff_after",
        "handoff_announcing",
        "handoff_joined",
        "handoff_joined_after",
        "handoff_question",
    ),
    *("thanks", "thanks_after"),
)


def _loose(phrase: str, fillers: list[str]) -> str:
    """``phrase`` with one of ``fillers`` allowed between any two of its words ("Sie haben
    *jetzt* das Wort", "Tiene *ahora* la palabra") and after its last ("Thanks *again*,
    Carolina", "I'd like to invite *now* …"): each space outside a character class becomes a
    space, optionally after a filler."""
    filler = rf"(?:\s+{_any(fillers)}\b)"
    gap = rf"(?:{filler}?\s+)"
    out, depth, escaped = [], 0, False
    for char in phrase:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == " " and depth == 0:
            char = gap
        out.append(char)
    return f"(?:{''.join(out)}){filler}?"


def naming_languages() -> tuple[str, ...]:
    """The languages with naming patterns."""
    return tuple(sorted(p.stem.removeprefix("naming-") for p in DATA.glob("naming-*.yaml")))


# "{greeted}" inside a phrase: the phrases of the file's key ``greeted``, as one group;
# "{capital}": a capital letter, in any case-insensitive phrase ("… to Italy with {capital}…")
_PART = re.compile(r"\{([a-z_]+)\}")
_BUILT_IN = {"capital": f"(?-i:[{_UPPER}])"}


@cache
def _phrase_lists(code: str) -> dict[str, list[str]]:
    """One language's naming file as read (``data/naming-<code>.yaml``), each ``{key}`` in a
    phrase standing for the phrases of ``key`` ("hi {greeted}": "hi (?:everyone|all|…)"),
    ``{capital}`` for a capital letter; ``{name}``, the name itself, stays. Not to be changed."""
    data = yaml.safe_load((DATA / f"naming-{code}.yaml").read_text(encoding="utf-8"))

    def part(match: re.Match[str]) -> str:
        key = match.group(1)
        if key in data:
            return f"(?:{'|'.join(data[key])})"
        return _BUILT_IN.get(key, match.group(0))

    return {key: [_PART.sub(part, p) for p in phrases] for key, phrases in data.items()}


@cache
def naming(language: str) -> Naming:
    """The naming patterns of ``language`` (English when there are none for it). Several
    languages joined by "+" — a talk that changes language (``Transcript.spoken``) — give one
    set matching the phrases of each."""
    codes = dict.fromkeys(c if c in naming_languages() else "en" for c in language.split("+"))
    data: dict[str, list[str]] = {}
    for code in codes:
        for key, phrases in _phrase_lists(code).items():
            data.setdefault(key, []).extend(p for p in phrases if p not in data[key])
    language = "+".join(codes)
    if fillers := data.get("fillers"):
        data |= {key: [_loose(x, fillers) for x in data[key]] for key in LOOSE if key in data}

    def optional(key: str) -> list[str]:  # phrases a language may lack: then none ever match
        # (an optional part built of them is then simply absent)
        return data.get(key) or ["(?!)"]

    intro = data["introduction"]
    start = r"(?:^|[.!?]\s+)"
    # "Mr. Przeor", "Herr Schmidt", "el señor García": the title (and its article) is not the
    # name; "We go ahead": nor is a pronoun
    pronoun = rf"(?!{_any(optional('pronouns'))}\b)"
    article = rf"(?:{_any(optional('title_articles'))}\s+)?"
    name = rf"(?:\b{article}{_any(optional('titles'))}\.?\s+)?{pronoun}{NAME}"
    openers = _any(optional("openers"))
    # "Okay, thank you, Marek": words before the thanks
    opener = rf"(?:{openers}[,.!]?\s+){{0,2}}"
    # a word said alone or before a question that asks nobody to speak ("Right?", "Sorry, what?")
    unasked = rf"(?!(?:{openers}|{_any(optional('interjections'))})\b)"
    lead = r"(?:[\w'’ ]{1,25},\s+)?"  # "Great presentation, Susana, thank you."
    soft = rf"(?:{_any(optional('question_softeners'))},?\s+)?"  # "Marek, maybe you …?"
    who = rf"(?:{_any(optional('handoff_appositive'))}\s+)?"  # "… to our guest from Italy, Susana"
    joiners, articles = optional("introduction_org"), optional("org_articles")
    and_ = _any(optional("conjunctions"))  # "and" between two people
    gap = r"(?:\s+|(?<=['’]))"  # after "from", or straight after an elided "d'" (d'Energy …)
    # after an announced name: the sentence's end, or who the person is ("…, chief executive of
    # BioVale", "…, who leads …", "… from BioVale", "…, from BioVale" — not "…, from what I
    # understand")
    org_after = rf"(?:{_any(articles)}\s+)?[{_UPPER}]"
    announced = (
        rf"(?=\s*(?:[.!]|$)|\s+{_any(joiners)}{gap}|\s*,\s+{_any(joiners)}{gap}{org_after}|"
        rf"\s*,\s+(?:{_any(optional('relatives'))}\b|"
        rf"(?:{_any(optional('determiners'))}\s+)?(?:[\w'’-]+\s+){{0,3}}[\w'’-]+\s+"
        rf"{_any(optional('role_joiners'))}{gap}))"
    )
    thanked = rf"(?:{_any(data['thanks'])},?\s+{_WORDS},\s+)?"  # "Thanks Marek, and hi everyone, …"
    # between a name and an organisation: a comma or "from", "at" … (and "the")
    joined = (
        rf"(?:\s*,\s*(?:{_any(joiners)}{gap})?|\s+{_any(joiners)}{gap})(?:{_any(articles)}\s+)?"
    )
    with_org = re.compile(  # "Hello all, Glenda Napier from (the) …"; a language without it: none
        rf"^{thanked}{opener}(?:{_any(optional('addressees'))}[,.!]?\s+)?{name}{joined}"
        rf"(?P<org>[^.!?]*)"
        if "introduction_org" in data
        else "(?!)(?P<org>)"
    )
    after = _any(optional("introduction_after"))
    org = rf"(?:,?\s+{_any(joiners)}{gap}[^,.!?]{{1,50}}?)?,?\s+"  # "Glenda from …, over to you"
    bare = rf"{opener}{_any(data['handoff_after'])}\s*[.!]?$"  # "Please go ahead." alone
    withdrawn = rf",?\s+{_any(optional('handoff_withdrawn'))}"  # "…, but she has left"
    clause = rf"(?:(?!{_WORDS},)[\w'’]+(?:\s+[\w'’]+){{1,6}},\s+)?"  # "now we can hear you, "
    announcing = rf"{start}{_any(optional('handoff_announced'))},?\s+"  # "And now, "
    thanking = rf"^{lead}{opener}[¡]?{_any(data['thanks'])},?\s+"  # "Okay, thank you, "
    welcome = rf",?\s+{_any(optional('thanks_welcome'))}"  # "…, for joining us"
    return Naming(
        language,
        intro=re.compile(rf"\b{_any(intro)}\b"),
        introduces=(
            re.compile(rf"\b{_any(intro)}\s+{name}"),
            re.compile(  # "Glenda here, …"; after a comma only where it ends the clause
                rf"(?:^|[.!?,]\s+){name}(?:\s+{after}|,\s+{after}(?=\s*(?:[,.!;]|$)))"
            ),
        ),
        named=re.compile(rf"\b{_any(optional('introduction_name'))}\s+{name}"),
        presents=re.compile(rf"\b{_any(optional('presentation'))}\s+{name}"),
        handoff=(
            # "Glenda, over to you" — not "… an Glenda übergeben, aber sie ist nicht mehr da"
            re.compile(rf"{name}{org}{_any(data['handoff_after'])}(?!{withdrawn})"),
            re.compile(  # not "… to Glenda, but she has dropped off"
                rf"\b{_any(data['handoff_before'])},?\s+{who}(?>{name})"
                rf"(?!{withdrawn})"
            ),
            re.compile(
                rf"{start}{opener}(?:{_any(optional('handoff_announced'))},?\s+)?{name}"
                rf"{org}{_any(optional('handoff_announcing'))}"
            ),
            re.compile(rf"{start}{name},\s+{_any(data['handoff_please'])}\b"),
            # "The floor is yours, Carolina.", "Sie haben das Wort, Frau Napier.": the name after
            re.compile(rf"{start}{opener}{_any(data['handoff_after'])},\s+{name}\s*[.!]?$"),
            re.compile(rf"{announcing}{name}{announced}"),
            re.compile(
                rf"{start}{opener}{unasked}{name},\s+[¿]?{soft}{_any(data['question_words'])}\b[^.!?]*\?"
            ),
            # "…, y Pablo Serrano, Jorge, ¿quieres empezar?": "¿" opens the question mid-sentence
            re.compile(rf"[,;:]\s+{name},\s+¿{soft}{_any(data['question_words'])}\b[^.!?]*\?"),
            re.compile(rf",\s+{unasked}{name}\s*\?"),  # "What do you think, Glenda?"
            # "… is with us to respond. Karen?" — not "What?"
            re.compile(rf"{start}(?!{_any(data['question_words'])}\b){unasked}{name}\s*\?"),
            *(  # "it's Carolina's turn": the name capitalised, not "everyone's"
                re.compile(f"{_any([before])}{pronoun}({_WORDS})['’]s{_any([after])}")
                for before, _, after in (
                    x.partition("{name}'s") for x in data.get("handoff_possessive", [])
                )
            ),
            *(  # "Let's bring Carolina into the conversation.": the name inside the phrase
                re.compile(rf"\b{_any([before.strip()])}\s+{name}\s+{_any([after.strip()])}\b")
                for before, _, after in (
                    x.partition("{name}") for x in data.get("handoff_around", [])
                )
            ),
        ),
        bare_handoff=re.compile(rf"^{bare}"),
        called=re.compile(rf"^{name}\s*[.!]?$"),
        vocative=re.compile(rf"^{opener}{name},"),
        colleague=re.compile(rf"\b{_any(optional('colleagues'))}\b"),
        deferred=re.compile(rf"\b{_any(optional('handoff_deferred'))}\b"),
        deferred_clause=re.compile(
            rf"(?:^|,?\s+){_any(optional('handoff_deferred'))}\b[^,.?!:;]*,?\s*"
        ),
        handing=re.compile(rf"\b{_any(data['handoff_before'])},?\s+"),
        announcing=re.compile(announcing),
        announced=re.compile(announced),
        withdrawn=re.compile(withdrawn),
        questioned=re.compile(rf"\b{_any(optional('handoff_question'))}\s+{name}"),
        # one name (and where from), then the sentence's end or a comma: not "… is Tom Reilly
        # and Glenda Napier", "… d'Energy Cluster Denmark et Carolina Garcés"
        joined=re.compile(  # … and the verb that ends the sentence, if any ("… begrüßen zu dürfen")
            rf"\b{_any(optional('handoff_joined'))},?\s+{name}"
            rf"(?:,?\s+{_any(joiners)}{gap}(?:(?!\s+{and_}\b)[^,.!?]){{1,60}})?"
            rf"(?:\s+{_any(optional('handoff_joined_after'))})?(?=\s*(?:[.!;,]|$))"
            rf"(?![^.!?]*\s{and_}\s+[{_UPPER}])"  # nor one more person later in the sentence
        ),
        # … or the same sentence's end ("Carolina, I see you're unmuted, so please go ahead."),
        # a short clause before it ("Okay, now we can hear you, please go ahead." — not another
        # name: "Glenda, great point. Carolina, please go ahead.") or a question to "you" that
        # ends the turn ("Mikko, let's start in Finland. What is your cluster doing …?")
        addressed=re.compile(
            rf"{start}{opener}{name},\s[^.!?]*(?:[.!?:]|,)\s+(?:{opener}{clause}{bare}|{soft}"
            rf"{_any(data['question_words'])}\b[^.!?]*\b{_any(optional('question_you'))}\b[^.!?]*\?$)"
        ),
        postponed=re.compile(rf"\b{_any(optional('handoff_postponed'))}\b"),
        later=re.compile(rf"\b{_any(optional('handoff_later'))}\b"),
        thanks=(
            # not "Thanks Carolina for joining us", said before she speaks
            re.compile(rf"{thanking}(?>{name})(?!{welcome})"),
            re.compile(rf"^{lead}{name},?\s+{_any(optional('thanks_after'))}\b"),
        ),
        thanking=re.compile(thanking),
        welcome=re.compile(welcome),
        with_org=with_org,
        named_org=re.compile(rf"{name}{joined}{_WORDS}"),
        presenting=re.compile(rf"^[\s,;:–-]*{_any(optional('presenting'))}\b"),
        relative=re.compile(rf"[\s,]*{_any(optional('relatives'))}\b"),
        roles=(
            *(  # up to six words, not "our …" (a host presenting her), then "at" ("I'm team
                # leader for cluster policy in DG GROW")
                re.compile(
                    rf"^(?!{_any(optional('determiners'))}\b)(?:[\w'’-]+\s+){{{k}}}[\w'’-]+\s+"
                    rf"{_any(optional('role_joiners'))}{gap}(?:{_any(articles)}\s+)?"
                )
                for k in range(6)
            ),
            # "Carolina Garcés, and I work on internationalisation at Mobile Heights."
            re.compile(rf"^{_any(optional('introduction_role'))}{gap}(?:{_any(articles)}\s+)?"),
        ),
        lead_in=re.compile(rf"^{opener}(?:{article}{_any(optional('titles'))}\.?\s+)?"),
        goes_on=re.compile(rf"\s+(?!{and_}\b)\w"),
        third_person=re.compile(rf"^{opener}{_any(optional('third_person'))}\b"),
        inflections=tuple(
            (ending, nominative)
            for ending, _, nominative in (x.partition(":") for x in data.get("inflections", []))
        ),
        asker=(
            re.compile(
                rf"{name}(?:,?\s+{_any(optional('asker_from'))}\b\s*[^,.?!:]{{1,40}}?,?)?"
                rf"\s+{_any(optional('asker_verbs'))}\b"
            ),
            re.compile(rf"\b{_any(optional('asker_before'))}\s+{name}"),
        ),
    )


CODE = re.compile(r"auto|[a-z]{2,3}")  # the shape of a language as the pipeline keeps it


@cache
def _names() -> dict[str, str]:
    """Language names (casefolded) → two-letter code: each language's English name ("German")
    and its own ("Deutsch"), from Babel's CLDR data."""
    from babel import Locale, UnknownLocaleError

    names: dict[str, str] = {}
    for code, english in Locale("en").languages.items():
        if len(code) != 2:  # Whisper's codes; not a regional variant ("de_AT")
            continue
        names.setdefault(english.casefold(), code)
        try:
            own = Locale(code).get_display_name(code)
        except (UnknownLocaleError, ValueError):
            continue
        if own:
            names.setdefault(own.casefold(), code)
    return names


@cache
def _months() -> dict[str, int]:
    """Month names and their abbreviations in every language with naming phrases (Babel's CLDR
    data: "mai", "maggio", "maja", "sept") → the month's number; a word two languages give
    different months is left out."""
    from babel import Locale

    found: dict[str, set[int]] = {}
    for code in naming_languages():
        months = Locale(code).months
        for context in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                for number, word in months[context][width].items():
                    found.setdefault(word.casefold().rstrip("."), set()).add(number)
    return {word: next(iter(numbers)) for word, numbers in found.items() if len(numbers) == 1}


def written_date(text: str) -> dt.date | None:
    """The date an event page writes in words or with dots — "15 May 2024", "May 15, 2024",
    "15. Mai 2024", "1er mai 2024", "15 de mayo de 2024", "15.05.2024" (day first), the hours
    after it left aside — or None when the text is not one such date (with slashes: day or
    month first, nobody can tell)."""
    text = re.sub(r"\b\d{1,2}(?::|h)\d{2}\b", " ", text)  # the hours: "…, 8:30 – 9:45 CET", "8h30"
    words = re.findall(r"\d+|[^\W\d]+", text.casefold())  # "1er mai", "1st May": the number
    months = [_months()[w] for w in words if w in _months()]
    numbers = [w for w in words if w.isdigit()]
    years = [n for n in numbers if len(n) == 4]
    days = [n for n in numbers if len(n) <= 2]
    if len(months) == 1 and len(years) == 1 and len(days) == 1 and len(numbers) == 2:
        year, month, day = int(years[0]), months[0], int(days[0])
    elif m := re.fullmatch(r"\s*(\d{1,2})\.\s*(\d{1,2})\.\s*(\d{4})\s*", text):
        day, month, year = map(int, m.groups())
    else:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def language_code(value: str) -> str:
    """The code of a language given by code in any case ("de", "DE") or by name in English or
    in itself ("German", "Deutsch"); "auto" stays; anything else is returned as given
    (lower-cased) for the recogniser to refuse with its list."""
    bare = " ".join(value.split()).casefold()
    if CODE.fullmatch(bare):
        return bare
    return _names().get(bare, bare)


_SPELLED_WORD = re.compile(r"[\w'’\-]+")  # a word of a name spelled in any case
_REMARK = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")  # "(moderator)", "[tbc]" beside a listed name


@cache
def _titles() -> frozenset[str]:
    """Every language's titles and listed titles, casefolded ("dr", "prof", "phd", "ing")."""
    return frozenset(
        w.casefold()
        for code in naming_languages()
        for key in ("titles", "listed_titles")
        for w in _phrase_lists(code).get(key, [])
    )


def unremarked(name: str) -> str:
    """A listed name without its remarks in brackets ("Marek Przeor (moderator)" → "Marek
    Przeor"); titles stay — the page writes them on purpose."""
    return " ".join(_REMARK.sub(" ", name).split()) or name


@cache
def spoken_name(name: str) -> str:
    """A listed name as people say it: without the titles and degrees an event page writes
    round it, in any of the languages ("Prof. Dr.-Ing. Maria Keller", "Maria Keller, PhD" →
    "Maria Keller"), and without a remark in brackets ("Marek Przeor (moderator)"), so that
    "Maria, over to you" is hers. Two words stay at least ("Don Smith", "Dr. Keller" are kept
    whole)."""
    bare = unremarked(name)
    words = bare.split()

    def title(word: str) -> bool:
        parts = [part for part in re.split(r"[.,\-]+", word.casefold()) if part]
        return bool(parts) and all(part in _titles() for part in parts)

    start, end = 0, len(words)
    while end - start > 2 and title(words[start]):
        start += 1
    while end - start > 2 and title(words[end - 1]):
        end -= 1
    if (start, end) == (0, len(words)):
        return bare
    return " ".join(words[start:end]).rstrip(",")


@cache
def _function_words() -> frozenset[str]:
    """The stop words spaCy lists for every language with naming patterns ("mit", "chez",
    "with", "dla"; none for a language spaCy lacks): a word before a surname that is one of
    these is no first name."""
    from importlib import import_module

    words: set[str] = set()
    for code in naming_languages():
        try:
            words |= import_module(f"spacy.lang.{code}.stop_words").STOP_WORDS
        except ModuleNotFoundError:
            continue
    return frozenset(words)


def spelled_after(
    pattern: re.Pattern[str], text: str, names: Sequence[str], min_match: int = 80
) -> Iterator[tuple[re.Match[str], tuple[int, float]]]:
    """Each match of ``pattern`` in ``text`` ("I am", "escuchemos ahora a") that a listed name
    follows, spelled whole in any case (``spelled_name``), with that name's index and score."""
    for m in pattern.finditer(text):
        if hit := spelled_name(text[m.end() :], names, min_match):
            yield m, hit


def spelled_name(text: str, names: Sequence[str], min_match: int = 80) -> tuple[int, float] | None:
    """The listed name (its index, a 0–1 score) that the words opening ``text`` spell whole,
    whatever their case — "nicola Lefèvre" for Nicolas Lefèvre: Whisper writes an unfamiliar
    name in lower case at times, which the capitalised ``NAME`` does not read. The whole name
    must match (rapidfuzz), not a first or last name alone: lower-case words after "I am" are
    otherwise what people are ("happy to be here"); nor a possessive ("I am Glenda Napier's
    deputy"). A first name misheard in lower case before the surname heard right and
    capitalised ("ksiśtof Mazur" for Krzysztof Mazur) is read as the capitalised words would
    be, by the surname, when the whole is at most 10 points short and the word before it is no
    function word ("Ich bin mit Przeor in Brüssel" is not Marek Przeor)."""
    from rapidfuzz import fuzz, utils

    words = _SPELLED_WORD.findall(text)
    best: tuple[int, float] | None = None
    for i, name in enumerate(map(spoken_name, names)):
        n = len(name.split())
        if len(words) < n or re.search(r"['’]s$", words[n - 1]):
            continue
        ratio = fuzz.ratio(" ".join(words[:n]), name, processor=utils.default_process)
        if (
            n > 1
            and min_match - 10 <= ratio < min_match
            and words[n - 1][0].isupper()
            and words[0].casefold() not in _function_words()
        ):
            surname = fuzz.ratio(words[n - 1], name.split()[-1], processor=utils.default_process)
            ratio = surname if surname >= min_match else ratio
        score = ratio / 100
        if score >= min_match / 100 and (best is None or score > best[1]):
            best = (i, score)
    return best


def spelled_end(text: str, start: int, name: str) -> int:
    """Where in ``text`` the words of ``name`` that ``spelled_name`` read from ``start`` end."""
    return spelled_ends(text, start, name)[-1]


def spelled_ends(text: str, start: int, name: str) -> list[int]:
    """Where in ``text`` each of the words of ``name`` that ``spelled_name`` read from
    ``start`` ends ("Glenda later" read as Glenda Napier: after "Glenda", after "later")."""
    words = list(_SPELLED_WORD.finditer(text, start))
    return [w.end() for w in words[: len(spoken_name(name).split())]]
