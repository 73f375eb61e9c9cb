"""The optional event sidecar (``<recording>.event.yaml|.json``): title, date, speakers, vocabulary."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from .errors import ConfigError
from .language import CODE, language_code, spoken_name, written_date
from .store import as_named, nfc, not_utf8, read_yaml, written_text

SIDECAR_SUFFIXES = (".event.yaml", ".event.yml", ".event.json")
EXAMPLE = "examples/eu-clusters-talk-2024-05-15.event.yaml"
_PROMPT_CHARS = 600  # Whisper keeps ~224 prompt tokens; stay well inside them


class Speaker(BaseModel):
    """One person on the event page."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    role: str = Field(default="", max_length=300)
    # "organisation" as the event page heads the column (and "organization") is the org
    org: str = Field(
        default="",
        max_length=300,
        validation_alias=AliasChoices("org", "organisation", "organization"),
    )

    @model_validator(mode="before")
    @classmethod
    def _from_line(cls, value: Any) -> Any:
        """A line as the event page lists a speaker, "Glenda Napier, CEO, Energy Cluster
        Denmark": the name to the first comma, the role to the second, the rest the
        organisation ("…, DG GROW, European Commission")."""
        if not isinstance(value, str):
            return value
        name, role, org = [*(part.strip() for part in value.split(",", 2)), "", ""][:3]
        return {"name": name, "role": role, "org": org}


class Event(BaseModel):
    """What the event page tells us about a recording."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(default="", max_length=500)
    date: dt.date | None = None
    language: str | None = None  # a code ("de"), a name ("German", "Deutsch") or "auto"
    audio_track: int | None = Field(default=None, ge=1, le=99)  # which audio track, from 1
    speakers: list[Speaker] = Field(default_factory=list, max_length=200)
    vocabulary: list[str] = Field(default_factory=list, max_length=500)
    slides: list[str] = Field(default_factory=list)
    library: str | None = Field(default=None, max_length=1000)  # voice library folder (opt-in)
    # the meeting platform's transcript (Zoom's .transcript.vtt, Teams' .vtt), beside the sidecar
    captions: str | None = Field(default=None, max_length=1000)

    @field_validator("language", mode="before")
    @classmethod
    def _code(cls, value: Any) -> Any:
        """ "DE", "German", "Deutsch" → "de"."""
        if not isinstance(value, str):
            return value
        code = language_code(value)
        if not CODE.fullmatch(code):
            raise ValueError(
                f"{value!r} is neither a language code (en, de, …), a language's name (German, "
                "Deutsch) nor auto"
            )
        return code

    @field_validator("date", mode="before")
    @classmethod
    def _written(cls, value: Any) -> Any:
        """ "2024-05-15" (or 2024-5-15, 2024/05/15: the year first, the month next), or as the
        event page writes it: "15 May 2024", "15. Mai 2024"."""
        if not isinstance(value, str):
            return value
        if ymd := re.fullmatch(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})", value.strip()):
            try:
                return dt.date(int(ymd[1]), int(ymd[3]), int(ymd[4]))
            except ValueError as exc:  # 2024-02-30
                raise ValueError(f"{value!r} is no day of the calendar ({exc})") from None
        with contextlib.suppress(ValueError):  # the other ISO forms: 20240515, 2024-W20-3
            return dt.date.fromisoformat(value.strip())
        if (found := written_date(value)) is None:
            raise ValueError(
                f"{value!r} is no date: write it as 2024-05-15 (year-month-day), or as the "
                "event page does, 15 May 2024"
            )
        return found

    @field_validator("slides", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("speakers", mode="before")
    @classmethod
    def _pasted(cls, value: Any) -> Any:
        """The event page's list pasted as one block of lines ("- Glenda Napier, CEO, …"):
        a speaker per line, bullets left off."""
        if not isinstance(value, str):
            return value
        lines = (line.strip().lstrip("-•*–").strip() for line in value.splitlines())
        return [line for line in lines if line]

    @field_validator("speakers")
    @classmethod
    def _each_once(cls, speakers: list[Speaker]) -> list[Speaker]:
        """A person listed twice (a copied line) would be two people of one name to the naming."""
        first: dict[str, int] = {}
        for i, speaker in enumerate(speakers, 1):
            key = name_key(speaker.name)
            if key in first:
                raise ValueError(
                    f"'{speaker.name}' is listed twice (entries {first[key]} and {i}): "
                    "list each person once"
                )
            first[key] = i
        return speakers

    def prompt(self) -> str:
        """Words Whisper should expect: names as said (no titles), organisations, roles'
        acronyms, vocabulary."""
        parts = [self.title] if self.title else []
        people = [", ".join(x for x in (spoken_name(s.name), s.org) if x) for s in self.speakers]
        if people:
            parts.append("Speakers: " + "; ".join(people))
        if self.vocabulary:
            parts.append("Terms: " + ", ".join(self.vocabulary))
        text = ". ".join(parts)
        return text if len(text) <= _PROMPT_CHARS else text[:_PROMPT_CHARS].rsplit(" ", 1)[0]


def name_key(name: str) -> str:
    """A name as names are compared: letter case and spacing aside ("ann  LEE" is Ann Lee)."""
    return " ".join(name.casefold().split())


def find_sidecar(recording: Path) -> Path | None:
    """The sidecar next to ``recording`` (``talk.mp4`` → ``talk.event.yaml``, or
    ``talk.mp4.event.yaml``), if any — none where that name would be too long for the file
    system (a recording named near its limit)."""
    for base in (recording.stem, recording.name):
        for suffix in SIDECAR_SUFFIXES:
            candidate = as_named(recording.with_name(base + suffix))
            if os.path.isfile(candidate):  # False, not an error, for a name over the limit
                return candidate
    return None


def near_sidecar(recording: Path) -> Path | None:
    """A file beside ``recording`` that looks meant as its sidecar but is not named as one
    (``talk.yaml``, ``talk-event.yml``, ``talk.event.yaml.txt`` as Notepad saves it)."""
    names = "|".join(re.escape(nfc(n)) for n in (recording.stem, recording.name))
    near = re.compile(rf"(?:{names})(?:[._ -]events?)?\.(?:ya?ml|json)(?:\.txt)?", re.IGNORECASE)
    with contextlib.suppress(OSError):
        for path in sorted(recording.parent.iterdir()):
            if near.fullmatch(nfc(path.name)) and path.is_file():
                return path
    return None


def _problems(errors: list[Any]) -> list[str]:
    """pydantic's errors as a person reads them: a speaker counted from 1, a field each list's
    speakers get wrong named once with the entries ("unknown field 'roel' in speakers 1, 2, 3
    (a speaker's fields: name, role, org)"), the fields allowed where the unknown one stands."""
    grouped: dict[str, list[int]] = {}
    for error in errors:
        loc = list(error["loc"])
        entry = loc[1] + 1 if loc[:1] == ["speakers"] and len(loc) > 2 else None
        field = ".".join(str(p) for p in (loc[2:] if entry else loc)) or "(top level)"
        if error["type"] == "extra_forbidden":
            fields = (
                "a speaker's fields: name, role, org"
                if entry
                else ("allowed: " + ", ".join(Event.model_fields))
            )
            said = f"unknown field '{field}'" + " in {}" * bool(entry) + f" ({fields})"
        else:
            detail = str(error["ctx"]["error"]) if error["type"] == "value_error" else error["msg"]
            said = f"field '{field}'" + " of {}" * bool(entry) + f": {detail}"
        grouped.setdefault(said, []).append(entry or 0)
    problems = []
    for said, entries in grouped.items():
        numbers = ", ".join(map(str, entries[:3])) + (
            f" (+{len(entries) - 3} more)" * (len(entries) > 3)
        )
        problems.append(said.format(("speakers " if len(entries) > 1 else "speaker ") + numbers))
    return problems


def load_event(path: Path) -> Event:
    """Read and validate a sidecar; any problem is a ConfigError naming the field and the fix."""
    try:
        raw = written_text(path.read_bytes())
    except UnicodeDecodeError as exc:
        raise not_utf8(exc, "event sidecar", path) from None
    except OSError as exc:
        raise ConfigError(f"cannot read event sidecar ({exc})", path, "check the file") from None
    try:
        data = json.loads(raw) if path.suffix == ".json" else read_yaml(raw)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        detail = " ".join(str(exc).split())
        raise ConfigError(
            f"not valid {path.suffix[1:].upper()}: {detail}", path, f"see {EXAMPLE}"
        ) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError("the sidecar must be a mapping of fields", path, f"see {EXAMPLE}")
    try:
        return Event.model_validate(data)
    except ValidationError as exc:
        problems = _problems(exc.errors())
        more = f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""
        raise ConfigError(
            f"invalid event sidecar: {'; '.join(problems[:3])}{more}",
            path,
            f"fix it; see {EXAMPLE}",
        ) from None


def dated(event: Event, recorded: str) -> Event:
    """``event`` with the day the recording was made (``recorded``, ISO; "" when unknown) as
    its date where the event page gives none."""
    if event.date or not recorded:
        return event
    return event.model_copy(update={"date": dt.date.fromisoformat(recorded)})


def shown_title(event: Event, recording: Path) -> str:
    """The title a recording is shown by: its event page's, else its file's name without the
    extension, underscores read as spaces ("EU_Clusters_Talk.mp4" → "EU Clusters Talk")."""
    return event.title or " ".join(recording.stem.replace("_", " ").split()) or recording.stem
