"""Stages as declared units: what goes into a stage's key, and what `status` and `batch` make of
it. Keys are computed without running anything; the last test runs the real CLI."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.core import stage as stage_mod
from pipeline.core.config import Settings
from pipeline.core.errors import ConfigError
from pipeline.core.event import load_event
from pipeline.core.stage import code_fingerprint, explain, plan
from pipeline.core.types import Diarization, Segment, Transcript, Turn
from pipeline.service.runner import Results, context
from pipeline.stages import STAGES
from pipeline.tools import demo
from tests.helpers import ROOT, run_cli

pytestmark = pytest.mark.check  # the fast tier: `make check`

NAMES = [s.name for s in STAGES]


def downstream(name: str) -> set[str]:
    """The stages that need ``name``, directly or not."""
    found: set[str] = set()
    for stage in STAGES:
        if set(stage.needs) & (found | {name}):
            found.add(stage.name)
    return found


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory):
    """A context like a real run's (the seed event, a slide deck, a participant's own track
    beside the recording), with no recording needed."""
    folder = tmp_path_factory.mktemp("plan")
    deck = folder / "deck.pdf"
    demo.make_deck(deck)
    (folder / "audioGlendaNapier21715765400.m4a").write_bytes(b"a track")
    sidecar = ROOT / "examples" / "eu-clusters-talk-2024-05-15.event.yaml"
    settings = Settings(
        transcripts_dir=folder / "t", summaries_dir=folder / "s", slides=(deck,), threads=2
    )

    def make(settings: Settings = settings):
        event = load_event(sidecar)
        return context(folder / "talk.mp4", settings, sidecar, event, "ab" * 32, "talk-abababab")

    return make, settings


def changed(value):
    """Another value of the same kind."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return round(value * 1.1 + 0.01, 4)
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, tuple):
        return (*value, value[-1]) if value else ({"at": 1.0, "text": "x"},)
    if isinstance(value, dict):
        return {**value, "added": 1}
    return 3  # None: an optional count or switch


def test_every_parameter_reruns_its_stage_and_those_after_it_and_nothing_before(example):
    make, settings = example
    base = plan(make(), STAGES)
    assert all(p.enabled for p in base.values())
    checked = 0
    for stage in STAGES:
        defaults = base[stage.name].params
        for field in dataclasses.fields(defaults):
            value = changed(getattr(defaults, field.name))
            tuned = dataclasses.replace(settings, tuning={stage.name: {field.name: value}})
            now = plan(make(tuned), STAGES)
            rerun = {n for n in NAMES if now[n].key != base[n].key}
            assert rerun == {stage.name} | downstream(stage.name), (stage.name, field.name)
            reasons = explain(
                {"status": "done", "key": base[stage.name].key, "hashed": base[stage.name].hashed},
                now[stage.name],
                [],
            )
            assert any(r.startswith(f"parameter {field.name}:") for r in reasons), reasons
            checked += 1
    assert checked >= 80  # every tuned constant is a parameter now


def test_a_themes_mention_redoes_only_the_summary_and_its_title_the_topics(example, tmp_path):
    """A theme's ``mention`` ("the green transition") is only how the summary's opening names it:
    changing it in a ``--topics`` file makes only the summary again; its description, the topics
    and everything after."""
    make, settings = example
    default = (ROOT / "pipeline/data/topics.yaml").read_text(encoding="utf-8")
    keys = {}
    for name, text in {
        "same": default,
        "mention": default.replace("mention: the green transition", "mention: green growth"),
        "description": default.replace("The green transition: climate", "Green: climate"),
    }.items():
        assert (text != default) == (name != "same")  # the words replaced are in the file
        path = tmp_path / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
        planned = plan(make(dataclasses.replace(settings, topics_file=path)), STAGES)
        keys[name] = {n: planned[n].key for n in NAMES}
    moved = {
        name: {n for n in NAMES if keys[name][n] != keys["same"][n]}
        for name in ("mention", "description")
    }
    assert moved == {"mention": {"summarize"}, "description": {"topics"} | downstream("topics")}


def test_the_stages_after_one_depend_on_every_file_it_wrote_that_they_read(example):
    """The summaries embed the slide thumbnails: a deck redrawn with the same words (slides.json
    unchanged) must still make the summary again, so the thumbnails are part of what slides
    produced."""
    from pipeline.stages.slides import load_decks

    make, _ = example
    ctx = make()
    base = plan(ctx, STAGES)
    slides = base["slides"]
    ctx.summary_dir.mkdir(parents=True, exist_ok=True)
    (ctx.summary_dir / "slides.json").write_text("{}")
    keys = []
    for width in (320, 240):  # the same pages drawn anew: other pixels, the same slides.json
        load_decks(ctx.decks, ctx.summary_dir, width)
        written = slides.stage.written(ctx, slides.params)
        assert len(written) == 1 + len(demo.DECK)
        recorded = {"slides": {"key": slides.key, "produced": stage_mod.produced(written)}}
        keys.append(plan(ctx, STAGES, recorded)["summarize"].key)
    assert keys[0] != keys[1]


def test_unknown_stage_or_parameter_is_a_usage_error(example):
    make, settings = example
    for tuning in ({"diarise": {"threshold": 0.3}}, {"diarize": {"treshold": 0.3}}):
        with pytest.raises(ConfigError):
            plan(make(dataclasses.replace(settings, tuning=tuning)), STAGES)
    with pytest.raises(ConfigError):
        plan(make(dataclasses.replace(settings, tuning={"diarize": {"threshold": "high"}})), STAGES)


@pytest.mark.parametrize(
    ("stage", "field", "value", "said"),
    [
        ("transcribe", "beam_size", -3, "must be 1 or more (the default is 5)"),
        ("transcribe", "batch_size", 0, "must be 1 or more"),
        ("diarize", "threshold", -0.1, "must be 0 or more"),
        ("extract", "silent_dbfs", 5, "must be 0 or less"),
    ],
)
def test_a_value_across_zero_from_its_default_is_a_usage_error(example, stage, field, value, said):
    """``--set transcribe.beam_size=-3`` reached the decoder and failed as an unexpected
    TypeError of ctranslate2's; a value on the other side of zero from the parameter's default
    is refused before anything runs. Zero stays allowed where the default is positive and not a
    count (``diarize.twin_distance=0`` turns the joining off)."""
    make, settings = example
    with pytest.raises(ConfigError, match=re.escape(said)):
        plan(make(dataclasses.replace(settings, tuning={stage: {field: value}})), STAGES)
    plan(make(dataclasses.replace(settings, tuning={"diarize": {"twin_distance": 0.0}})), STAGES)


def fingerprint_in(package: Path, module: str) -> dict[str, str]:
    """The code fingerprint as a fresh interpreter computes it from ``package``'s copy."""
    script = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); "
        "from pipeline.core.stage import code_fingerprint; "
        "print(json.dumps(code_fingerprint(sys.argv[2])))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(package), module],
        capture_output=True,
        text=True,
        check=True,
        cwd=package,
    )
    return json.loads(out.stdout)


def copy_package(target: Path) -> Path:
    shutil.copytree(
        ROOT / "pipeline", target / "pipeline", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(ROOT / "cli.py", target / "cli.py")
    return target


def test_comments_docstrings_and_formatting_do_not_count_code_does(tmp_path):
    package = copy_package(tmp_path / "copy")
    module = "pipeline.stages.diarize"
    original = fingerprint_in(package, module)
    assert original == code_fingerprint(module)  # paths are relative: a copy hashes the same
    source = package / "pipeline" / "stages" / "diarize.py"
    text = source.read_text()
    cosmetic = (
        text.replace('"""The diarize stage:', '"""Reworded docstring. The diarize stage:', 1)
        .replace("def fbank(", "# a new comment\n\n\ndef fbank(", 1)
        .replace("SEGMENT_BATCH = 2", "SEGMENT_BATCH = (2)  # same value, other formatting", 1)
    )
    assert cosmetic != text
    source.write_text(cosmetic)
    assert fingerprint_in(package, module) == original
    source.write_text(text.replace("SEGMENT_BATCH = 2", "SEGMENT_BATCH = 16", 1))
    edited = fingerprint_in(package, module)
    assert {p for p in original if edited[p] != original[p]} == {"pipeline/stages/diarize.py"}
    # a module the stage imports counts too; one it does not import does not
    types = package / "pipeline" / "core" / "types.py"
    types.write_text(types.read_text() + "\nEXTRA = 1\n")
    assert (
        fingerprint_in(package, module)["pipeline/core/types.py"]
        != original["pipeline/core/types.py"]
    )
    assert "pipeline/stages/topics.py" not in original


def test_stages_that_read_the_wav_do_not_hold_the_extract_stages_code():
    """A change to extract's code reaches the stages after it through the WAV it writes (early
    cutoff), not through their fingerprints: they share the WAV reader and ffmpeg helpers, not
    extract.py."""
    for module in ("transcribe", "translate", "diarize", "media", "slides"):
        held = code_fingerprint(f"pipeline.stages.{module}")
        assert "pipeline/stages/extract.py" not in held, module
    assert "pipeline/core/wav.py" in code_fingerprint("pipeline.stages.transcribe")
    assert "pipeline/core/probe.py" in code_fingerprint("pipeline.stages.extract")


def test_a_record_from_before_keys_were_explained_is_stale(example):
    make, _ = example
    planned = plan(make(), STAGES)["diarize"]
    old = {"status": "done", "key": "0123456789abcdef", "settings": {}}
    assert explain(old, planned, []) == [
        "finished by an older version that kept no record of what it hashed"
    ]
    assert explain(None, planned, []) == ["not run yet"]


def test_status_explains_why_and_batch_redoes_exactly_the_stale_stages(
    demo_files, demo_run, tmp_path, monkeypatch
):
    """A recording finished under other code, topic definitions or packages is stale; `status
    --explain` names what changed, stage by stage; `batch` redoes only what is stale."""
    work = tmp_path / "work"
    shutil.copytree(demo_run.out_dir.parent.parent, work)
    package = copy_package(tmp_path / "copy")
    ids = demo_run.rec_id
    cli = [sys.executable, str(package / "cli.py")]

    def status(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*cli, "status", *extra, "--out", "transcripts", "--summaries", "summaries"],
            cwd=work,
            capture_output=True,
            text=True,
            env={**os.environ, "COLUMNS": "200"},
        )

    rows = json.loads(status("--json").stdout)
    assert [(r["id"], r["state"], r["pending"]) for r in rows] == [(ids, "done", [])]
    topics = package / "pipeline" / "stages" / "topics.py"
    topics.write_text(topics.read_text() + "\n# reworded nothing but a comment\n")
    assert json.loads(status("--json").stdout)[0]["state"] == "done"

    topics.write_text(topics.read_text() + "\nUNUSED = 1\n")  # code, though it changes no output
    row = json.loads(status("--json").stdout)[0]
    assert row["state"] == "stale" and row["pending"] == [
        "topics",
        "chapters",
        "slides",
        "summarize",
    ]
    # the table: the stages that surely run (their own code), then those that may (it said
    # "every stage" when none was up to date, for a change of extract's code alone)
    assert row["waiting"] == ["chapters", "slides"]
    table = " ".join(status().stdout.split())
    assert "topics, summarize; then up to 2 more, as their inputs change" in table
    explained = status(ids, "--explain").stdout
    assert "topics: would run — code pipeline/stages/topics.py changed" in explained
    assert (  # whether it will: only if what topics writes changes
        "summarize: would run — upstream stage chapters runs first (and this one only if "
        "chapters's outputs change); upstream stage slides runs first (and this one only if "
        "slides's outputs change); upstream stage topics runs first" in explained
    )
    assert "name: up to date" in explained and "extract: up to date" in explained

    themes = package / "pipeline" / "data" / "topics.yaml"
    themes.write_text(themes.read_text().replace("min_score: 0.25", "min_score: 0.3"))
    assert "parameter config:" in status(ids, "--explain").stdout

    log = work / "transcripts" / "batch.jsonl"
    result = subprocess.run(
        [
            *cli,
            "batch",
            str(demo_files.recording.parent),
            "--out",
            "transcripts",
            "-q",
            "--settle",
            "0",
        ],
        cwd=work,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    ran = [
        line["stage"]
        for line in map(json.loads, log.read_text().splitlines())
        if line["status"] == "ran"
    ]
    assert ran == [
        "topics",
        "chapters",
        "slides",
        "summarize",
    ]  # min_score changed what topics wrote
    assert json.loads(status("--json").stdout)[0]["state"] == "done"

    # another package version: the stages it computes are stale, and say so (in-process)
    from pipeline.service import state

    real = stage_mod.package_version
    monkeypatch.setattr(
        stage_mod, "package_version", lambda name: "9.9" if name == "pydub" else real(name)
    )
    why = state.why_stale(
        state.Manifest.load(work / "transcripts" / ids / "manifest.json"), work / "summaries"
    )
    assert why["extract"] == [f'library pydub: "{real("pydub")}" → "9.9"']
    assert why["transcribe"] == [
        "upstream stage extract runs first (and this one only if extract's outputs change)"
    ]


def test_status_explain_needs_an_id_and_a_known_one(tmp_path):
    assert run_cli("status", "--explain", cwd=tmp_path).code == 2
    assert run_cli("status", "nope", "--explain", cwd=tmp_path).code == 2


def _broken(transcript: Transcript, kind: str) -> Transcript:
    """A copy of ``transcript`` broken the ways a recogniser's output can be."""
    t = dataclasses.replace(
        transcript, segments=[dataclasses.replace(s) for s in transcript.segments]
    )
    for s in t.segments:
        s.words = [dataclasses.replace(w) for w in s.words]
    words = [w for s in t.segments for w in s.words]
    if kind == "no speech":
        t.segments = []
    elif kind == "odd words":  # markup, emoji, a long token, abbreviations, figures
        odd = [" <b>x</b>", " 🙂", " " + "x" * 80, " Mr.", " 50%", " €3", " ...", "", " ♪"]
        for k, w in enumerate(words[::3]):
            w.word = odd[k % len(odd)]
        for s in t.segments:
            s.text = "".join(w.word for w in s.words)
    elif kind == "odd times":  # zero-length, reversed, past the end
        for k, w in enumerate(words):
            if k % 4 == 0:
                w.end = w.start
            elif k % 4 == 1:
                w.start, w.end = w.end, w.start
            elif k % 9 == 2:
                w.end = t.duration + 5.0
    elif kind == "hallucinated repeats":
        t.segments += [
            dataclasses.replace(t.segments[2], id=len(t.segments) + k) for k in range(20)
        ]
        t.segments.sort(key=lambda s: s.start)
    elif kind == "punctuation only":
        for s in t.segments[::2]:
            for w in s.words:
                w.word = " ."
            s.text = "".join(w.word for w in s.words)
    elif kind == "one segment":
        t.segments = [
            Segment(0, words[0].start, words[-1].end, "".join(w.word for w in words), words)
        ]
    for k, s in enumerate(t.segments):
        s.id = k
    return t


@pytest.mark.parametrize(
    ("kind", "turns"),
    [
        ("no speech", "as heard"),
        ("odd words", "as heard"),
        ("odd times", "one voice"),
        ("hallucinated repeats", "a voice per turn"),
        ("punctuation only", "none"),
        ("one segment", "as heard"),
    ],
)
def test_every_stage_after_the_recogniser_survives_what_it_may_write(
    demo_run, tmp_path, kind, turns
):
    """Whisper's output is input too: no words, markup and emoji, words of no length or reversed
    times, a hallucinated segment twenty times, segments of full stops, one segment for the
    whole talk — each with the diarization as heard, one voice, a voice per turn or no turns at
    all — goes through naming, the exports, translation, topics, slides and the summary (run and
    written) without an error, and the reviewer page is written. (A /tmp harness ran 420 such
    cases on the demo and 120 on the German one, 2026-12-05: none failed.)"""
    settings = Settings(transcripts_dir=tmp_path / "t", summaries_dir=tmp_path / "s")
    shutil.copytree(demo_run.out_dir, settings.transcripts_dir / demo_run.out_dir.name)
    shutil.copytree(demo_run.summary_dir, settings.summaries_dir / demo_run.summary_dir.name)
    event_file = demo_run.recording.with_suffix(".event.yaml")
    manifest = json.loads((demo_run.out_dir / "manifest.json").read_text())
    ctx = context(
        demo_run.recording,
        settings,
        event_file,
        load_event(event_file),
        manifest["source"]["sha256"],
        demo_run.out_dir.name,
    )
    plans = plan(ctx, STAGES, {})
    done = Results(ctx, plans)
    heard = done["diarize"]
    new_turns = {
        "as heard": heard.turns,
        "one voice": [Turn(t.start, t.end, 0) for t in heard.turns],
        "a voice per turn": [Turn(t.start, t.end, k) for k, t in enumerate(heard.turns)],
        "none": [],
    }[turns]
    voices = heard.voices if new_turns else heard.voices[:0]
    known = {
        "extract": done["extract"],
        "transcribe": _broken(done["transcribe"], kind),
        "diarize": Diarization(new_turns, heard.far_field, voices, {}, heard.narrowband),
        "media": done["media"],
    }
    for st in (s for s in STAGES if s.name not in known):
        planned = plans[st.name]
        if not planned.enabled:  # translation: the talk is in English
            known[st.name] = None
            continue
        result = st.run(ctx, planned.params, {n: known[n] for n in st.needs}, lambda _: None)
        st.write(ctx, planned.params, result)
        known[st.name] = result
    assert (ctx.summary_dir / "summary.html").stat().st_size > 0
    assert json.loads((ctx.summary_dir / "summary.json").read_text())["abstract"]
