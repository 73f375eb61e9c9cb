"""Zoom's "separate audio file for each participant": ``audioGlendaNapier21715765400.m4a``
("audio", the name the person joined with, spaces left out, a number), beside the meeting's
video or in its ``Audio Record`` folder. Each holds one person's microphone: who spoke when,
by name. Which files they are, and whose."""

from __future__ import annotations

import os
import re
from pathlib import Path

# letters first, no spaces; the mixed ``audio1234567890.m4a`` has no name and is no such track
PARTICIPANT = re.compile(r"audio(?P<who>[^\W\d_]\S*?)\d{6,}\.m4a", re.IGNORECASE)
FOLDER = "audio record"  # Zoom's folder for them, beside the video (letter case aside)


def is_track(path: Path) -> bool:
    """Whether ``path`` is named as one participant's own track."""
    return PARTICIPANT.fullmatch(path.name) is not None


def who(path: Path) -> str:
    """The name a track was recorded under, its words apart again ("GlendaNapier" → "Glenda
    Napier", "ZoëO_Brien" → "Zoë O Brien")."""
    match = PARTICIPANT.fullmatch(path.name)
    letters = match["who"] if match else path.stem
    words = []
    for i, char in enumerate(letters):
        if char.isupper() and i and letters[i - 1].islower():
            words.append(" ")
        words.append(" " if char in "_." else char)
    return " ".join("".join(words).split())


def near(recording: Path) -> tuple[Path, ...]:
    """The participants' tracks beside ``recording`` or in an ``Audio Record`` folder beside it,
    in name order; none for a track itself (processed on its own, as asked)."""
    if is_track(recording):
        return ()
    found = []
    folder = recording.parent
    try:
        with os.scandir(folder) as entries:
            places = [Path(e.path) for e in entries if e.is_dir() and e.name.casefold() == FOLDER]
        for place in (folder, *places):
            with os.scandir(place) as entries:
                found += [Path(e.path) for e in entries if e.is_file() and is_track(Path(e.name))]
    except OSError:  # an unreadable folder: no tracks (the recording itself is read elsewhere)
        return ()
    return tuple(sorted(found))
