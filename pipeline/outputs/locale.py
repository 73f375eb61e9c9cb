"""The fixed words of the summary documents in the reviewer's language: gettext catalogs
(``pipeline/data/locale/<lang>/LC_MESSAGES/messages.po``, read and compiled in memory by Babel)
and dates and numbers formatted by Babel's CLDR data. English is the source language: its words
are the message ids, so an English document is exactly what the templates say."""

from __future__ import annotations

import datetime as dt
import gettext
import io
from collections.abc import Callable
from functools import cache
from pathlib import Path

from ..core.types import Notice, Transcript, heard_otherwise
from .formats import clock

LOCALES = Path(__file__).parents[1] / "data" / "locale"
MAX_PLACES = 4  # a warning names at most this many places where the language changes


def page_languages() -> tuple[str, ...]:
    """The languages the documents' fixed words are translated into, besides English."""
    return tuple(sorted(p.parent.parent.name for p in LOCALES.glob("*/LC_MESSAGES/messages.po")))


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The catalog of ``language`` (no translation for English or a language without one)."""
    if language not in page_languages():
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import Translations

    path = LOCALES / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def page_language(language: str) -> str:
    """The language the documents' fixed words will be in: ``language`` if it has a catalog,
    else English."""
    return language if language == "en" or language in page_languages() else "en"


def long_date(day: dt.date, language: str) -> str:
    """ "15 May 2024", "15. Mai 2024", "15 mai 2024"."""
    from babel.dates import format_date

    return format_date(day, "d MMMM y" if language == "en" else "long", locale=language)


def page_date(day: dt.date, language: str) -> str:
    """The date in a document's header: ISO in English (as the event pages write it), the
    language's long form otherwise."""
    return day.isoformat() if language == "en" else long_date(day, language)


def percent(share: float, language: str) -> str:
    """A share of 0–1 as a whole percentage in the language's style ("42%", "42 %")."""
    from babel.numbers import format_percent

    return format_percent(share, locale=language)


def labelled(gettext: Callable[[str], str], word: str) -> str:
    """``word`` (already in the language) as a label before what it names: "Warning:", and in
    French typography "Avertissement :"."""
    return gettext("%(label)s:") % {"label": word}


def notices(said: list[Notice], language: str) -> str:
    """Several notices in ``language``, one after another ("; ")."""
    return "; ".join(notice(n, language) for n in said)


def notice(said: Notice, language: str) -> str:
    """A notice (a warning about the input, a note on a speaker) in ``language``, its numbers
    written the language's way."""
    from babel.numbers import format_decimal

    catalog = translations(language)
    return said.say(
        lambda message, plural, count: (
            catalog.ngettext(message, plural, count) if plural else catalog.gettext(message)
        ),
        lambda value, decimals: format_decimal(
            value, "0." + "0" * decimals if decimals else "0", locale=language
        ),
    )


def language_doubt(transcript: Transcript, language: str = "en") -> str:
    """A warning, in ``language``, when stretches of the recording were heard as another
    language than the transcript's: all of them (the language given was wrong), or some (a
    bilingual webinar: read window by window in the language heard in each, or — the language
    given — in that one throughout; read window by window, the places named are those of the
    windows transcribed in another language). "" otherwise, and when no words were recognised
    (what the VAD took for speech was not)."""
    other = heard_otherwise(transcript.heard, transcript.language)
    if not other or not transcript.segments:
        return ""
    from babel import Locale

    _ = translations(language).gettext
    names = Locale(language).languages

    def name(code: str) -> str:
        return names.get(code, code)

    said, code = name(transcript.language), other[0].language
    if len(other) == len(transcript.heard) and {h.language for h in other} == {code}:
        return _(
            "the recording sounds like %(heard)s, but was transcribed as %(said)s, the language "
            "it was given (--language, or the sidecar's `language:`) — if that is wrong, run "
            "again with --language %(code)s, or correct the sidecar"
        ) % {"heard": name(code), "said": said, "code": code}
    if transcript.mixed and transcript.windows:  # where each language was transcribed
        other = [w for w in transcript.windows if w.language != transcript.language] or other
    where = ", ".join(
        _("%(language)s around %(start)s–%(end)s")
        % {"language": name(h.language), "start": clock(h.start)[:8], "end": clock(h.end)[:8]}
        for h in other[:MAX_PLACES]
    ) + (", …" if len(other) > MAX_PLACES else "")
    if transcript.mixed:
        return _(
            "the recording changes language (%(where)s): each 30-s window was transcribed in the "
            "language heard in it, and the summary reads the talk as %(said)s, the language of "
            "most of it — check the transcript where the language changes"
        ) % {"where": where, "said": said}
    return _(
        "the recording seems to change language (%(where)s); it was transcribed in %(said)s "
        "throughout, so those parts may be Whisper's %(said)s rendering of them — for each part "
        "in its own language, run again with --set transcribe.multilingual=true"
    ) % {"where": where, "said": said}
