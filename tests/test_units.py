"""Small pieces: sidecar validation, writers, ids, atomic writes, sentence splitting, memory."""

from __future__ import annotations

import datetime as dt
import errno
import json
import sqlite3
import sys
import unicodedata
from pathlib import Path

import ffmpeg
import pytest
import srt
import webvtt
import yaml

from pipeline.core.errors import ConfigError, PipelineError
from pipeline.core.event import Event, Speaker, find_sidecar, load_event, near_sidecar
from pipeline.core.language import language_code
from pipeline.core.probe import MEDIA_SUFFIXES, ffmpeg_name, probe, run_with_progress
from pipeline.core.store import as_named, atomic_write, slugify
from pipeline.core.types import Segment, Transcript, Word
from pipeline.outputs.formats import WRITERS, clock
from pipeline.service import catalog
from pipeline.service.state import discover
from pipeline.stages.functions import clean
from pipeline.stages.slides import resolve_decks
from pipeline.stages.transcribe import outside, split_sentences
from tests.helpers import ROOT, mounted, run_python

pytestmark = pytest.mark.check  # the fast tier: `make check`


def test_words_read_again_never_reach_into_the_words_kept():
    """A stretch read again keeps only its words outside the kept segments' words: one inside is
    dropped, one Whisper stretched over the next segment's first word (an AMD EPYC's reading of
    the demo: a cut-off "I" from 67.9 s to 69.7 s over "I'll" at 68.83 s) ends where that
    segment starts, one that began in the segment before starts where it ends."""

    def w(start: float, end: float, text: str) -> Word:
        return Word(start, end, text, 0.9)

    kept = [
        Segment(0, 60.0, 64.0, "Before.", words=[w(60.0, 61.0, " Before"), w(62.0, 64.0, ".")]),
        Segment(
            1,
            68.8,
            72.0,
            "I'll listen.",
            words=[w(68.83, 69.17, " I'll"), w(69.2, 72.0, " listen.")],
        ),
    ]
    found = [
        Segment(
            0,
            63.8,
            69.7,
            "Tail then I",
            words=[w(63.8, 64.6, " Tail"), w(65.0, 66.0, " then"), w(67.9, 69.7, " I")],
        ),
        Segment(1, 69.0, 71.0, "listen", words=[w(69.5, 70.5, " listen")]),
    ]
    (only,) = outside(found, kept)
    assert [(x.start, x.end, x.word) for x in only.words] == [
        (64.0, 64.6, " Tail"),
        (65.0, 66.0, " then"),
        (67.9, 68.83, " I"),
    ]
    assert (only.start, only.end, only.text) == (64.0, 68.83, "Tail then I")
    every = [x for s in [*kept, only] for x in s.words]
    for x in every:  # no word's middle inside another segment's words
        mid = (x.start + x.end) / 2
        assert sum(s.words[0].start < mid < s.words[-1].end for s in [*kept, only]) == 1


def test_example_sidecar_of_the_seed_event_is_valid():
    event = load_event(ROOT / "examples" / "eu-clusters-talk-2024-05-15.event.yaml")
    assert event.date == dt.date(2024, 5, 15) and len(event.speakers) == 6
    assert event.speakers[4].name == "Kristina Šermukšnytė-Alešiūnienė"
    prompt = event.prompt()
    assert "Glenda Napier, Energy Cluster Denmark" in prompt and len(prompt) <= 600


def test_the_prompt_gives_listed_names_as_said_without_their_titles():
    """Whisper is prompted with the names people say: an event page's "Prof. Dr.-Ing." or
    ", PhD" is not said, and a prompt with them changed what the demo's guests were heard to
    say (the same talk, the names titled: some of its sentences heard otherwise)."""
    plain = Event(speakers=[Speaker(name="Glenda Napier", org="Energy Cluster Denmark")])
    titled = Event(
        speakers=[
            Speaker(
                name="Prof. Dr.-Ing. Glenda Napier, PhD (keynote)", org="Energy Cluster Denmark"
            )
        ]
    )
    assert titled.prompt() == plain.prompt() == "Speakers: Glenda Napier, Energy Cluster Denmark"


@pytest.mark.parametrize(
    ("name", "encoding"),
    [
        ("talk.event.json", "utf-8-sig"),  # PowerShell's Out-File, Notepad's "UTF-8 with BOM"
        ("talk.event.yaml", "utf-8-sig"),
        ("talk.event.yaml", "utf-16"),  # Notepad's "Unicode"
        ("talk.event.json", "utf-16"),
        ("talk.event.yaml", "utf-32"),
    ],
)
def test_a_sidecar_saved_with_a_byte_order_mark_is_read(tmp_path, name, encoding):
    """Windows editors save text with a byte-order mark: the sidecar is read as its mark says
    (a JSON sidecar with the UTF-8 mark was refused: "Unexpected UTF-8 BOM"); text in UTF-16
    without a mark is one clear line."""
    sidecar = tmp_path / name
    fields = {
        "title": "Grüne Wende — Q&A",
        "speakers": ["Glenda Napier, CEO, Energy Cluster Denmark"],
    }
    text = (
        json.dumps(fields, ensure_ascii=False)
        if name.endswith(".json")
        else yaml.safe_dump(fields, allow_unicode=True)
    )
    sidecar.write_bytes(text.encode(encoding))
    event = load_event(sidecar)
    assert event.title == "Grüne Wende — Q&A"
    assert [(s.name, s.org) for s in event.speakers] == [
        ("Glenda Napier", "Energy Cluster Denmark")
    ]
    sidecar.write_bytes(text.encode("utf-16-le"))  # no mark: not UTF-8, said so
    with pytest.raises(ConfigError, match="save it as UTF-8 text"):
        load_event(sidecar)


def test_names_pasted_in_decomposed_form_are_read_composed(tmp_path):
    """ "Carolina Garcés, Łukasz Śliwiński" pasted with each accent as a separate mark (NFD, as
    some Mac applications copy text): read as the composed letters the recogniser writes.
    Decomposed, the name matching took each accent for a space ("garce s") and scored the
    person's own name 90 and 82 instead of 100."""
    said = ["Carolina Garcés", "Łukasz Śliwiński"]
    sidecar = tmp_path / "talk.event.yaml"
    listed = "".join(f"  - {unicodedata.normalize('NFD', n)}\n" for n in said)
    sidecar.write_text(f"speakers:\n{listed}", encoding="utf-8")
    assert [s.name for s in load_event(sidecar).speakers] == said


def test_speakers_may_be_listed_as_the_event_page_lines_them(tmp_path):
    """Staff copy the event page's "Speakers included" lines into the sidecar, one list item
    each or the whole list pasted as one block: "Name, role, organisation" gives the same
    people as the mapping form (the organisation keeps its own commas: "DG GROW, European
    Commission")."""
    example = load_event(ROOT / "examples" / "eu-clusters-talk-2024-05-15.event.yaml")
    lines = [f"{s.name}, {s.role}, {s.org}" for s in example.speakers]
    sidecar = tmp_path / "talk.event.yaml"
    sidecar.write_text(yaml.safe_dump({"speakers": lines}, allow_unicode=True), encoding="utf-8")
    assert load_event(sidecar).speakers == example.speakers
    assert any("," in s.org for s in example.speakers)
    sidecar.write_text("speakers: [Glenda Napier, 'Ann Lee, CEO']\n", encoding="utf-8")
    assert [(s.name, s.role, s.org) for s in load_event(sidecar).speakers] == [
        ("Glenda Napier", "", ""),
        ("Ann Lee", "CEO", ""),
    ]
    pasted = "speakers: |\n" + "".join(f"  - {line}\n" for line in lines) + "\n"
    sidecar.write_text(pasted, encoding="utf-8")  # the page's list pasted as one block
    assert load_event(sidecar).speakers == example.speakers
    sidecar.write_text("speakers: [', CEO']\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="speakers"):
        load_event(sidecar)


@pytest.mark.parametrize(
    "written",
    [
        "2024-05-15",
        "15 May 2024",
        "May 15, 2024",
        "Wednesday, 15 May 2024",
        "15. Mai 2024",
        "15 mai 2024",
        "15 maggio 2024",
        "15 de mayo de 2024",
        "15 maja 2024",
        "15.05.2024",
        "15 May 2024, 8:30 – 9:45 CET",
        "mercredi 15 mai 2024, 8h30",
        "2024-5-15",
        "2024/05/15",
        "2024.05.15",
        "20240515",
    ],
)
def test_a_date_may_be_written_as_the_event_page_writes_it(tmp_path, written):
    """The date copied from an event page in any of the six languages, or with dots (day
    first); before, anything but 2024-05-15 was refused with "invalid character in year". The
    year first, the month next, however written (2024-5-15 was "no day of the calendar" until
    2026-12-07, 2024/05/15 "no date")."""
    sidecar = tmp_path / "talk.event.json"
    sidecar.write_text(json.dumps({"date": written}), encoding="utf-8")
    assert load_event(sidecar).date == dt.date(2024, 5, 15)


@pytest.mark.parametrize(
    "written",
    ["05/15/2024", "15/05/2024", "31 February 2024", "15 May", "soon", "2024-05/15"],
)
def test_a_date_nobody_can_read_for_sure_is_refused_with_the_form_to_use(tmp_path, written):
    """Slashes (day or month first?), a day the month lacks, no year: one clear line."""
    sidecar = tmp_path / "talk.event.json"
    sidecar.write_text(json.dumps({"date": written}), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"field 'date': .* write it as 2024-05-15"):
        load_event(sidecar)


def test_a_yaml_sidecar_keeps_what_looks_like_a_date_as_written(tmp_path):
    """YAML reads an unquoted 2024-05-15 as a date: a title that is a date was refused as no
    text, and 2024-02-30 raised the loader's own ValueError, with neither file nor field."""
    sidecar = tmp_path / "talk.event.yaml"
    sidecar.write_text("title: 2024-05-15\ndate: 2024-05-15\n", encoding="utf-8")
    event = load_event(sidecar)
    assert event.title == "2024-05-15" and event.date == dt.date(2024, 5, 15)
    sidecar.write_text("date: 2024-02-30\n", encoding="utf-8")
    with pytest.raises(
        ConfigError, match=r"talk.event.yaml: .*field 'date': '2024-02-30' is no day"
    ):
        load_event(sidecar)


def test_sidecar_json_and_discovery(tmp_path):
    rec = tmp_path / "talk.mp4"
    (tmp_path / "talk.event.json").write_text('{"title": "T", "slides": "deck.pdf"}')
    found = find_sidecar(rec)
    assert found == tmp_path / "talk.event.json"
    assert load_event(found).slides == ["deck.pdf"]


def test_discovery_follows_linked_folders_once(tmp_path):
    """A folder of recordings that links to others (``recordings/2024 -> /mnt/nas/2024``, as
    staff mount a share into it) is searched through its links — they were passed over without
    a word, so nothing on the share was ever processed; a link back up the tree is read once,
    hidden folders and the outputs are still left out."""
    share = tmp_path / "nas" / "2024"
    share.mkdir(parents=True)
    (share / "talk.mp4").write_bytes(b"x")
    (share / ".hidden.mp4").write_bytes(b"x")
    rec = tmp_path / "recordings"
    (rec / "own").mkdir(parents=True)
    (rec / "own" / "local.wav").write_bytes(b"x")
    (rec / "2024").symlink_to(share, target_is_directory=True)
    (share / "back").symlink_to(rec, target_is_directory=True)  # a loop
    (rec / ".cache").mkdir()
    (rec / ".cache" / "old.mp3").write_bytes(b"x")
    outputs = share / "transcripts"
    outputs.mkdir()
    (outputs / "audio.wav").write_bytes(b"x")
    found = discover(rec, (outputs,))
    assert found == [rec / "2024" / "talk.mp4", rec / "own" / "local.wav"]


# how a file of each suffix `batch` takes is written here: (ffmpeg format, codec options)
WRITTEN_AS = {
    ".mp4": ("mp4", {"c:a": "aac"}), ".m4v": ("mp4", {"c:a": "aac"}),
    ".mov": ("mov", {"c:a": "aac"}), ".mkv": ("matroska", {"c:a": "libopus"}),
    ".mka": ("matroska", {"c:a": "flac"}), ".webm": ("webm", {"c:a": "libopus"}),
    ".weba": ("webm", {"c:a": "libopus"}), ".avi": ("avi", {"c:a": "libmp3lame"}),
    ".wmv": ("asf", {"c:a": "wmav2"}), ".asf": ("asf", {"c:a": "wmav2"}),
    ".flv": ("flv", {"c:a": "aac"}), ".f4v": ("f4v", {"c:a": "aac"}),
    ".3gp": ("3gp", {"c:a": "aac"}), ".3g2": ("3g2", {"c:a": "aac"}),
    ".mpg": ("mpeg", {"c:a": "mp2"}), ".mpeg": ("mpeg", {"c:a": "mp2"}),
    ".vob": ("vob", {"c:a": "mp2"}), ".ts": ("mpegts", {"c:a": "aac"}),
    ".mts": ("mpegts", {"c:a": "ac3"}), ".m2ts": ("mpegts", {"c:a": "mp2"}),
    ".ogv": ("ogg", {"c:a": "libvorbis"}), ".mp3": ("mp3", {"c:a": "libmp3lame"}),
    ".mp2": ("mp2", {"c:a": "mp2"}), ".m4a": ("ipod", {"c:a": "aac"}),
    ".m4b": ("ipod", {"c:a": "aac"}), ".aac": ("adts", {"c:a": "aac"}),
    ".ac3": ("ac3", {"c:a": "ac3"}), ".wav": ("wav", {"c:a": "pcm_s16le"}),
    ".flac": ("flac", {"c:a": "flac"}), ".wv": ("wv", {"c:a": "wavpack"}),
    ".ogg": ("ogg", {"c:a": "libvorbis"}), ".oga": ("ogg", {"c:a": "flac"}),
    ".opus": ("opus", {"c:a": "libopus"}), ".wma": ("asf", {"c:a": "wmav2"}),
    ".aif": ("aiff", {"c:a": "pcm_s16be"}), ".aiff": ("aiff", {"c:a": "pcm_s16be"}),
    ".caf": ("caf", {"c:a": "alac"}),
}  # fmt: skip


def test_every_suffix_batch_takes_is_a_recording_ffmpeg_reads(tmp_path):
    """Each suffix ``discover`` takes (one written in upper case, as cameras name files) is
    found, and a file of it as its programs write it is read by ffprobe with its length — and
    the list grew by the names recordings also come in (a browser's ``.weba``, Apple's ``.caf``
    and ``.m4b``, a phone's ``.3g2``, a DVD's ``.vob``, ``.asf``, ``.f4v``, ``.ogv``, ``.mp2``,
    ``.ac3``, ``.wv``), which a scheduled batch had passed over without a word."""
    assert set(WRITTEN_AS) == set(MEDIA_SUFFIXES)
    folder = tmp_path / "recordings"
    folder.mkdir()
    for suffix, (form, codec) in WRITTEN_AS.items():
        name = folder / f"talk{suffix.upper() if suffix == '.mp4' else suffix}"
        tone = ffmpeg.input("sine=frequency=440:duration=2", f="lavfi")
        tone.output(ffmpeg_name(name), f=form, **codec).run(quiet=True)
    (folder / "notes.txt").write_text("not a recording")
    found = discover(folder)
    assert sorted(p.suffix.lower() for p in found) == sorted(MEDIA_SUFFIXES)
    for path in found:
        assert probe(path).duration == pytest.approx(2.0, abs=0.2), path.name


def test_a_sidecar_named_after_the_whole_file_name_is_found(tmp_path):
    """``talk.mp4.event.yaml`` (the recording's name as the file manager shows it, plus the
    suffix) is its sidecar too — before, it was passed over without a word and nobody was
    named. ``talk.event.yaml`` comes first when both are there."""
    rec = tmp_path / "talk.mp4"
    (tmp_path / "talk.mp4.event.yaml").write_text("title: Whole name\n")
    assert find_sidecar(rec) == tmp_path / "talk.mp4.event.yaml"
    assert find_sidecar(tmp_path / "talk.mkv") is None
    (tmp_path / "talk.event.yaml").write_text("title: Stem\n")
    assert find_sidecar(rec) == tmp_path / "talk.event.yaml"


@pytest.mark.parametrize(("recording_form", "sidecar_form"), [("NFD", "NFC"), ("NFC", "NFD")])
def test_a_sidecar_and_deck_named_in_another_unicode_form_are_found(
    tmp_path, recording_form, sidecar_form
):
    """ "Présentation Garcés.wav" as a Mac writes it (é as e + accent) beside
    "Présentation Garcés.event.yaml" as a Linux editor types it (é as one character), and the
    other way round: the same name to a reader, other bytes to the file system — the sidecar
    was passed over without a word, and a deck it lists as typed was "not found", as was the
    recording's name typed in the other form (`cli.py run` looks it up with ``as_named``)."""
    name = "Présentation Garcés"

    def form(text: str, which: str) -> str:
        return unicodedata.normalize(which, text)

    recording = tmp_path / form(f"{name}.wav", recording_form)
    recording.write_bytes(b"")
    sidecar = tmp_path / form(f"{name}.event.yaml", sidecar_form)
    sidecar.write_text(f"title: Cluster talk\nslides: {form('Diapos été.pdf', sidecar_form)}\n")
    deck = tmp_path / form("Diapos été.pdf", recording_form)
    deck.write_bytes(b"%PDF-1.4\n")
    assert find_sidecar(recording) == sidecar
    assert as_named(tmp_path / form(f"{name}.wav", sidecar_form)) == recording  # typed: found
    assert resolve_decks([], load_event(sidecar).slides, sidecar) == [deck]
    sidecar.rename(tmp_path / form(f"{name}.yaml", sidecar_form))  # misnamed: pointed out
    assert near_sidecar(recording) == tmp_path / form(f"{name}.yaml", sidecar_form)


@pytest.mark.parametrize(
    ("name", "near"),
    [
        ("talk.yaml", True),
        ("Talk-Event.YML", True),
        ("talk_events.json", True),
        ("talk.mp4.yaml", True),
        ("talk.event.yaml.txt", True),
        ("talk2.event.yaml", False),  # another recording's
        ("talk.notes.yaml", False),
        ("talk.event.yaml.bak", False),
    ],
)
def test_a_file_that_looks_meant_as_the_sidecar_is_pointed_out(tmp_path, name, near):
    """Misnamed, it is no sidecar (the run warns of it); another recording's sidecar is not."""
    (tmp_path / name).write_text("title: T\n")
    assert find_sidecar(tmp_path / "talk.mp4") is None
    assert near_sidecar(tmp_path / "talk.mp4") == (tmp_path / name if near else None)


def test_a_language_is_given_by_code_or_by_name(tmp_path):
    """Codes in any case and languages' names in English or in themselves (Babel's CLDR
    names) give the code — on the command line and in the sidecar; before, "German" and "DE"
    in a sidecar were refused and `--language German` reached the recogniser as 'german'."""
    given = ("DE", " German ", "Deutsch", "français", "POLSKI", "Italian", "auto", "xx", "Elvish")
    assert [language_code(v) for v in given] == [
        "de",
        "de",
        "de",
        "fr",
        "pl",
        "it",
        "auto",
        "xx",
        "elvish",
    ]
    path = tmp_path / "talk.event.yaml"
    for value in ("Deutsch", "DE"):
        path.write_text(f"title: T\nlanguage: {value}\n")
        assert load_event(path).language == "de"


def test_a_speakers_organisation_may_be_spelt_out(tmp_path):
    """The event page heads the column "Organisation": ``organisation:`` (and ``organization:``)
    is a speaker's ``org`` — both were refused as unknown fields, with the event's fields as
    the ones allowed."""
    path = tmp_path / "x.event.yaml"
    path.write_text(
        "speakers:\n  - {name: Ann Lee, organisation: Mobile Heights}\n"
        "  - {name: Bo Li, organization: PROPLAST Italy}\n  - {name: Cy Ng, org: DG GROW}\n"
    )
    assert [s.org for s in load_event(path).speakers] == [
        "Mobile Heights",
        "PROPLAST Italy",
        "DG GROW",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("speakers: {name: x}", "field 'speakers'"),
        ("language: Elvish", "field 'language': 'Elvish' is neither a language code"),
        ("- a\n- b", "must be a mapping"),
        ("title: 3\nspeakers:\n  - name: ''", "field 'name' of speaker 1:"),
        (  # a speaker's unknown field: theirs listed (the event's were), once for all entries
            "speakers:\n" + "".join(f"  - {{name: P{i}, roel: x}}\n" for i in range(30)),
            "unknown field 'roel' in speakers 1, 2, 3 (+27 more) (a speaker's fields: name, "
            "role, org) — fix it",
        ),
        (
            "speakers:\n  - name: Ann Lee\n  - name: Bo Li\n  - name: ann  LEE",
            "'ann  LEE' is listed twice (entries 1 and 3): list each person once",
        ),
    ],
)
def test_sidecar_errors_name_the_field(tmp_path, text, expected):
    path = tmp_path / "x.event.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_event(path)
    assert (
        expected in str(info.value) and str(path) in str(info.value) and info.value.exit_code == 2
    )


def _transcript(text: str, speaker: str | None = None) -> Transcript:
    words = [Word(0.5, 1.0, " " + text, 0.9)]
    seg = Segment(0, 0.5, 1.0, text, words, speaker=speaker)
    return Transcript("en", 1.0, 2.0, "faster-whisper", "base", [seg])


def test_vtt_escapes_markup_and_carries_voice_tags(tmp_path):
    transcript = _transcript("<script>alert(1)</script> & more", speaker="Glenda <Napier>")
    vtt = WRITERS["vtt"].render(transcript)
    assert "<script>" not in vtt and "&lt;script&gt;" in vtt
    assert "<v Glenda &lt;Napier&gt;>" in vtt
    path = tmp_path / "t.vtt"
    path.write_text(vtt)
    (caption,) = webvtt.read(str(path))
    assert caption.start == "00:00:00.500" and caption.voice == "Glenda &lt;Napier&gt;"
    (sub,) = srt.parse(WRITERS["srt"].render(transcript))
    assert sub.content.replace("\n", " ") == "Glenda <Napier>: <script>alert(1)</script> & more"


def test_clock_and_slug():
    assert clock(3725.5) == "01:02:05.500" and clock(0.0004, ",") == "00:00:00,000"
    assert slugify("-Talk #2 — Garcés & “Remotti”") == "talk-2-garces-remotti"
    assert slugify("../../etc/passwd") == "etc-passwd" and slugify("———") == "recording"


def test_atomic_write_leaves_the_old_file_on_failure(tmp_path):
    target = tmp_path / "out.txt"
    atomic_write(target, "old")
    with pytest.raises(TypeError):
        atomic_write(target, 42)  # type: ignore[arg-type]
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_a_full_disk_is_raised_even_when_ffmpeg_exits_0(tmp_path):
    """ffmpeg 5.1's Ogg muxer cannot write its trailer on a full disk (``/dev/full``), says so,
    and exits 0: the write is a full disk all the same, not a finished file."""
    clip = tmp_path / "tone.wav"
    ffmpeg.input("sine=f=440:d=2", f="lavfi").output(str(clip)).run(quiet=True)
    opus = ffmpeg.input(str(clip)).output("/dev/full", format="ogg", acodec="libopus")
    with pytest.raises(OSError) as raised:
        run_with_progress(opus, 2.0, None)
    assert raised.value.errno == errno.ENOSPC


def test_the_catalog_s_failures_say_what_to_do(tmp_path, monkeypatch):
    """Garbage in the file: delete it and reindex. Another run holding it: run again later (not
    "delete it")."""
    garbage, held = tmp_path / "garbage", tmp_path / "held"
    garbage.mkdir()
    (garbage / catalog.CATALOG_NAME).write_bytes(b"not a database, " * 512)
    unreadable = r"unreadable .* `cli\.py reindex` rebuilds it"
    with pytest.raises(PipelineError, match=unreadable), catalog.connect(garbage):
        pass
    with catalog.connect(held):
        pass
    holder = sqlite3.connect(held / catalog.CATALOG_NAME)
    holder.execute("BEGIN EXCLUSIVE")
    monkeypatch.setattr(catalog, "WAIT_SECONDS", 0.2)
    busy_line = r"busy: another run .* run again when"
    with pytest.raises(PipelineError, match=busy_line) as busy, catalog.connect(held) as db:
        db.execute("DELETE FROM webinars")
    holder.rollback()
    assert "delete" not in str(busy.value)


def test_a_catalog_on_a_full_disk_is_told_as_a_full_disk(tmp_path):
    full = tmp_path / "full"
    with mounted(full, "-t", "tmpfs", "-o", "size=64k", "tmpfs"):
        with pytest.raises(OSError), open(full / "filler", "wb") as filler:
            while True:
                filler.write(b"x" * 4096)
                filler.flush()
        with pytest.raises(OSError) as raised, catalog.connect(full):
            pass
    assert raised.value.errno == errno.ENOSPC
    assert raised.value.filename == str(full / catalog.CATALOG_NAME)


def test_split_sentences_cuts_at_full_stops_pauses_and_length():
    words = [
        Word(0.0, 0.4, " One", 1),
        Word(0.4, 0.8, " two.", 1),
        Word(0.9, 1.2, " Three", 1),
        Word(3.0, 3.4, " four", 1),
    ] + [Word(4.0 + i, 4.5 + i, " w", 1) for i in range(20)]
    segments = split_sentences([Segment(0, 0.0, 24.5, "x", words)], max_seconds=15.0)
    assert [s.text for s in segments[:3]] == ["One two.", "Three", "four" + " w" * 14]
    assert all(s.end - s.start <= 15.0 for s in segments) and [s.id for s in segments] == list(
        range(len(segments))
    )
    assert sum(len(s.words) for s in segments) == len(words)


def test_sentences_do_not_end_after_abbreviations_or_at_a_comma_pause():
    """As in a real address: "Mr. Vice President, Mr. Speaker, …" with pauses after the commas,
    "Dr. Smith", "No. 5", "e.g. data", an initial ("B. Jones"): one sentence each, cut only after
    the real full stop, and across two decoder windows."""

    def words(text: str, start: float, gap_after: set[int]) -> list[Word]:
        out, t = [], start
        for i, token in enumerate(text.split()):
            out.append(Word(round(t, 2), round(t + 0.3, 2), " " + token, 1))
            t += 0.3 + (1.2 if i in gap_after else 0.05)
        return out

    first = words("Mr. Vice President, Mr. Speaker, members of the Senate,", 0.0, {2, 4})
    second = words(
        "yesterday, December 7, 1941, a date which will live. Dr. Smith met B. Jones,",
        6.0,
        {0, 2, 3},
    )
    third = words("e.g. at No. 5 Main St. near the station. Thanks.", 20.0, set())
    segments = split_sentences(
        [
            Segment(0, 0.0, 5.9, "a", first),
            Segment(1, 6.0, 19.0, "b", second),
            Segment(2, 20.0, 24.0, "c", third),
        ],
        max_seconds=15.0,
    )
    assert [s.text for s in segments] == [
        "Mr. Vice President, Mr. Speaker, members of the Senate, yesterday, December 7, 1941, a date which will live.",
        "Dr. Smith met B. Jones, e.g. at No. 5 Main St. near the station.",
        "Thanks.",
    ]


def test_subtitles_are_cues_of_two_short_lines_broken_at_clause_ends():
    text = (
        "Clusters connect more than one hundred thousand companies across Europe, and this "
        "conference showed how much they can do together when they share skills, data and "
        "infrastructure. It was a good day."
    )
    tokens = text.split()
    words = [Word(i * 0.35, i * 0.35 + 0.3, " " + w, 1) for i, w in enumerate(tokens)]
    transcript = Transcript(
        "en", 1.0, 12.0, "x", "y", split_sentences([Segment(0, 0, 12, text, words)])
    )
    for seg in transcript.segments:
        seg.speaker = "Ann"
    subs = list(srt.parse(WRITERS["srt"].render(transcript)))
    assert len(subs) >= 3
    for sub in subs:
        lines = sub.content.splitlines()
        assert len(lines) <= 2 and all(len(line) <= 42 for line in lines)
        assert (sub.end - sub.start).total_seconds() <= 7.0
    assert subs[0].content.startswith("Ann: ") and not subs[1].content.startswith("Ann")
    assert subs[0].content.endswith("Europe,") and subs[1].content.endswith("skills,")
    assert " ".join(s.content.replace("\n", " ") for s in subs).split()[1:] == tokens
    paragraph = WRITERS["txt"].render(transcript)
    assert paragraph == f"[00:00:00] Ann: {text}\n"  # one paragraph for the turn


def test_segment_without_words_is_kept():
    seg = Segment(0, 1.0, 2.0, "hello", [])
    assert split_sentences([seg])[0].text == "hello"


def test_paths_with_dashes_are_passed_as_file_urls(tmp_path):
    from pipeline.core.probe import ffmpeg_name

    name = ffmpeg_name(Path(tmp_path / "-i x:y.mp4"))
    assert name.startswith("file:/") and name.endswith("-i x:y.mp4")


FRAGMENTED_HEAP = """
import os
import numpy as np
from pipeline.service.runner import release_memory

def rss_mb():
    return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

del_big = np.ones(2**21)  # 16 MB, mmap'd; freeing it raises glibc's mmap threshold
del del_big
chunks, pins = [], []
for _ in range(300):  # 300 MB in 1-MB heap chunks, each pinned apart by a small live one
    chunks.append(np.ones(2**17))
    pins.append(np.ones(4000))
del chunks
before = rss_mb()
release_memory()
print(before, rss_mb())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc and /proc only")
def test_release_memory_gives_freed_heap_back_to_the_system():
    out = run_python(FRAGMENTED_HEAP)
    before, after = map(float, out.split())
    assert before - after > 200, (before, after)  # glibc alone would keep the 300 MB


def test_spacy_loads_without_torch_and_torch_still_loads_after():
    out = run_python(
        "import sys\n"
        "from pipeline.models import text\n"
        "lemmas = [t.lemma_ for t in text.nlp()('Clusters were cutting emissions.')]\n"
        "print(lemmas[2], 'torch' in sys.modules)\n"
        "import torch\n"
        "print(torch.zeros(2).sum().item())\n"
    )
    assert out.split() == ["cut", "False", "0.0"]


@pytest.mark.parametrize(
    ("said", "point"),
    [
        ("Hello, when supply chains broke, we found second suppliers.", "When supply chains"),
        ("Good morning everyone, our members build wind farms.", "Our members build"),
        ("Okay, so, hello all, we train welders.", "We train welders"),
        ("So far, we have trained 200 people.", "So far, we have"),
        ("Right now, we are hiring engineers.", "Right now, we are"),
        ("Well over half of our members export.", "Well over half"),
    ],
)
def test_a_point_loses_the_greeting_it_opened_with_but_not_its_words(said, point):
    """A takeaway quotes what was said without "Hello," or "Okay, so," in front; "so far",
    "right now" and "well over" are part of what was said."""
    assert clean(said).startswith(point)


@pytest.mark.parametrize(
    ("language", "said", "point"),
    [
        ("en", "If I may add something to what Chloé said, Galileo is ours.", "Galileo is ours"),
        ("en", "If I may say so, the results are excellent.", "The results are"),
        ("de", "Also, wir haben 40 Prozent weniger Emissionen.", "Wir haben 40 Prozent"),
        (
            "de",
            "Guten Morgen zusammen, ähm, unsere Mitglieder bauen Windparks.",
            "Unsere Mitglieder",
        ),
        ("de", "Und dann haben wir Lieferanten gefunden.", "Dann haben wir"),
        ("de", "Also haben wir neue Lieferanten gesucht.", "Also haben wir"),  # verb second
        ("de", "So schnell geht das nicht.", "So schnell"),
        ("fr", "Alors, bonjour à tous, nos membres forment des soudeurs.", "Nos membres forment"),
        ("fr", "Euh, donc nous avons réduit nos émissions.", "Nous avons réduit"),
        ("fr", "Alors que les chaînes se brisaient, nous avons cherché.", "Alors que les"),
        ("fr", "Bon nombre de PME exportent.", "Bon nombre de"),
        ("it", "Allora, buongiorno a tutti, i nostri membri esportano.", "I nostri membri"),
        ("it", "Ecco, abbiamo formato 200 persone.", "Abbiamo formato"),
        ("es", "Bueno, pues hemos formado a 200 personas.", "Hemos formado"),
        ("es", "Hola a todos, nuestro clúster conecta empresas.", "Nuestro clúster"),
        ("pl", "Dzień dobry, więc nasz klaster łączy firmy.", "Nasz klaster"),
        ("pl", "No, mamy 40 członków.", "Mamy 40"),
    ],
)
def test_a_point_loses_the_markers_of_its_own_language(language, said, point):
    """A point said in German, French, Italian, Spanish or Polish loses that language's
    discourse markers, greetings and hesitations at its start — not the words its sentence
    needs ("Also haben wir …" keeps "Also": without it the verb comes first and it reads as a
    question; "alors que", "bon nombre" are part of what was said)."""
    assert clean(said, language).startswith(point)


@pytest.mark.check
def test_a_monologue_reads_in_paragraphs_of_about_a_minute():
    """TXT: a new paragraph at each change of speaker, and within a 3-minute monologue at the
    first sentence starting a minute or more after its paragraph did (before: one paragraph),
    never leaving a closing line alone."""
    segments = [
        Segment(i, 10.0 * i, 10.0 * i + 9.5, f"Sentence {i}.", speaker="Speaker 1")
        for i in range(18)
    ] + [Segment(18, 181.0, 185.0, "Thank you.", speaker="Speaker 2")]
    # the same speaker's closing line 70 s after the last cut stays in its paragraph
    alone = [*segments[:8], Segment(8, 130.0, 131.0, "Bye.", speaker="Speaker 1")]
    txt = WRITERS["txt"].render(Transcript("en", 1.0, 131.0, "faster-whisper", "base", alone))
    assert txt.count("Speaker 1:") == 2 and txt.strip().endswith("Sentence 7. Bye.")
    text = WRITERS["txt"].render(Transcript("en", 1.0, 185.0, "faster-whisper", "base", segments))
    blocks = text.strip().split("\n\n")
    assert [b.split(" Sentence")[0].split(" Thank")[0] for b in blocks] == [
        "[00:00:00] Speaker 1:",
        "[00:01:00] Speaker 1:",
        "[00:02:00] Speaker 1:",
        "[00:03:01] Speaker 2:",
    ]
    assert blocks[0].endswith("Sentence 5.") and blocks[1].endswith("Sentence 11.")
    cues = WRITERS["srt"].render(Transcript("en", 1.0, 185.0, "faster-whisper", "base", segments))
    assert cues.count("Speaker 1:") == 1  # subtitles name a speaker once per turn, as before


def test_the_language_warning_says_which_case_it_is():
    """Stretches heard as another language: all of them — the language given was wrong; some —
    the recording changes language (read window by window, or in one language as given); none
    above 0.5, or no words at all — nothing to say."""
    from pipeline.core.types import Heard
    from pipeline.outputs.locale import language_doubt

    said = [Segment(0, 1.0, 3.0, "Guten Tag.")]
    german = [Heard(0.0, 60.0, "de", 0.97), Heard(120.0, 180.0, "de", 0.91)]
    wrong = Transcript("en", 1.0, 180.0, "faster-whisper", "base", said, german)
    assert language_doubt(wrong).startswith("the recording sounds like German, but was transcribed")
    assert "--language de" in language_doubt(wrong)
    both = [Heard(0.0, 60.0, "en", 0.99), german[1]]
    given = Transcript("en", 1.0, 180.0, "faster-whisper", "base", said, both)
    assert "German around 00:02:00–00:03:00" in language_doubt(given)
    assert "--set transcribe.multilingual=true" in language_doubt(given)
    mixed = Transcript("en", 0.6, 180.0, "faster-whisper", "base", said, both, mixed=True)
    assert language_doubt(mixed).startswith("the recording changes language (German around")
    assert "--set" not in language_doubt(mixed)
    unsure = Transcript("en", 0.6, 180.0, "faster-whisper", "base", said,
                        [Heard(0.0, 60.0, "en", 0.99), Heard(120.0, 180.0, "de", 0.45)])  # fmt: skip
    assert language_doubt(unsure) == ""
    assert language_doubt(Transcript("en", 1.0, 180.0, "faster-whisper", "base", [], german)) == ""
    # in the page's language: its words, and the languages' names in it
    assert language_doubt(wrong, "de").startswith("Die Aufnahme klingt nach Deutsch, wurde aber")
    assert "allemand vers 00:02:00–00:03:00" in language_doubt(mixed, "fr")


def test_a_partial_translation_replaces_only_the_parts_translated():
    """A talk that changes language: the segments inside the spans translated get the English
    words said in them, the others stay as said; each segment's language is its window run's."""
    from pipeline.core.types import Heard, Translation

    said = [
        Segment(0, 0.0, 4.0, "Our cluster grows.", [Word(0.0, 4.0, " Our cluster grows.", 0.9)]),
        Segment(1, 5.0, 9.0, "Guten Tag.", [Word(5.0, 9.0, " Guten Tag.", 0.9)]),
        Segment(2, 10.0, 14.0, "Die Wende.", [Word(10.0, 14.0, " Die Wende.", 0.9)]),
    ]
    windows = [Heard(0.0, 4.0, "en", 0.9), Heard(5.0, 14.0, "de", 0.95)]
    talk = Transcript("en", 0.7, 15.0, "faster-whisper", "base", said, mixed=True, windows=windows)
    assert [talk.language_of(s) for s in said] == ["en", "de", "de"]
    english = [Segment(0, 5.0, 14.0, "Good day. The transition.",
                       [Word(5.2, 8.0, " Good day.", 0.8), Word(10.5, 13.0, " The transition.", 0.8)])]  # fmt: skip
    partial = Translation("de", "en", True, "", english, only=[(5.0, 14.0)])
    assert [partial.translates(s) for s in said] == [False, True, True]
    assert [s.text for s in partial.onto(said)] == [
        "Our cluster grows.",
        "Good day.",
        "The transition.",
    ]
    whole = Translation("de", "en", True, "", english)  # no spans: the whole talk
    assert [s.text for s in whole.onto(said)] == ["Good day.", "The transition."]
    assert Translation.from_dict(partial.to_dict()).only == [(5.0, 14.0)]
    # the runs of segments to translate, each with its language; an interpreted webinar
    # alternates: every run is a part of its own
    from pipeline.stages.translate import parts_in_other_languages

    assert [(lang, [s.id for s in run]) for lang, run in parts_in_other_languages(talk, "en")] == [
        ("de", [1, 2])
    ]
    alternating = [
        Heard(0.0, 4.0, "de", 0.9),
        Heard(5.0, 9.0, "en", 0.9),
        Heard(10.0, 14.0, "de", 0.9),
    ]
    talk.windows = alternating
    parts = parts_in_other_languages(talk, "en")
    assert [(lang, [s.id for s in run]) for lang, run in parts] == [("de", [0]), ("de", [2])]
    assert parts_in_other_languages(talk, "de") == [("en", [said[1]])]


@pytest.mark.parametrize(
    ("tags", "day"),
    [
        ({"creation_time": "2024-05-15T21:30:00.000000Z"}, "2024-05-15"),
        ({"creation_time": "2024-05-15"}, "2024-05-15"),
        ({"creation_time": "1904-01-01T00:00:00.000000Z"}, ""),  # QuickTime's tag never set
        ({"creation_time": "1970-01-01T00:00:00.000000Z"}, ""),
        ({"creation_time": "yesterday"}, ""),
        ({}, ""),
    ],
)
def test_the_day_a_recording_was_made_is_its_creation_time_when_set(tags, day):
    from pipeline.core.event import dated
    from pipeline.core.probe import recorded_on

    assert recorded_on(tags) == day
    assert dated(Event(), day).date == (dt.date.fromisoformat(day) if day else None)
    assert dated(Event(date="2024-06-01"), day).date == dt.date(2024, 6, 1)  # the page's wins
