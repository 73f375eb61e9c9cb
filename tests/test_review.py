"""The reviewer round-trip: review.yaml edits reach every output through `cli.py rerender`
without re-running a model, and survive re-processing."""

from __future__ import annotations

import itertools
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from pipeline.outputs.formats import clock
from tests.helpers import run_cli, stage_status

NEW_NAME = "Dr. Glenda Q. Napier-Test"
FIXED = "Our cluster mapped every hydrogen valley in Europe."


@pytest.fixture()
def workspace(demo_run, tmp_path: Path) -> Path:
    """A copy of the demo run's outputs to edit."""
    shutil.copytree(demo_run.out_dir.parent.parent, tmp_path, dirs_exist_ok=True)
    return tmp_path


def everything(workspace: Path, rec_id: str) -> dict[str, str]:
    """The text of every output format."""
    out, summary = workspace / "transcripts" / rec_id, workspace / "summaries" / rec_id
    texts = {
        name: (out / name).read_text()
        for name in (
            "transcript.txt",
            "transcript.srt",
            "transcript.vtt",
            "transcript.json",
            "speakers.rttm",
        )
    }
    texts["summary.md"] = (summary / "summary.md").read_text().replace("\\", "")  # unescaped
    texts["summary.html"] = (summary / "summary.html").read_text()
    texts |= {name: (summary / name).read_text() for name in ("chapters.txt", "chapters.vtt")}
    from docx import Document

    doc = Document(str(summary / "summary.docx"))
    texts["summary.docx"] = "\n".join(
        [p.text for p in doc.paragraphs]
        + [c.text for t in doc.tables for r in t.rows for c in r.cells]
    )
    pdf = subprocess.run(
        ["pdftotext", str(summary / "summary.pdf"), "-"], capture_output=True, text=True, check=True
    )
    texts["summary.pdf"] = " ".join(pdf.stdout.split())
    return texts


def test_review_file_is_created_with_instructions(demo_run):
    path = demo_run.out_dir.parent.parent / "summaries" / demo_run.rec_id / "review.yaml"
    text = path.read_text()
    assert f"cli.py rerender {demo_run.rec_id}" in text
    assert yaml.safe_load(text) is None  # all commented out: no corrections yet


def test_rename_merge_text_fix_and_dropped_takeaway_reach_every_format(demo_run, workspace):
    rec_id = demo_run.rec_id
    ids = {s.name: s.id for s in demo_run.speakers if s.name}
    guest = next(s.id for s in demo_run.speakers if not s.name)
    segments = demo_run.transcript.segments
    target = next(  # a turn's first segment: after a pause, it starts there for any model
        seg
        for before, seg in itertools.pairwise(segments)
        if seg.speaker != before.speaker and seg.start > segments[-1].end / 3
    )
    guest_said = [
        s.start
        for s in segments
        if s.speaker == next(i.label for i in demo_run.speakers if i.id == guest)
    ]
    summary = json.loads((workspace / "summaries" / rec_id / "summary.json").read_text())
    dropped = summary["takeaways"]["green"][0]["text"][:40]  # whatever was heard
    chapters = json.loads((workspace / "summaries" / rec_id / "chapters.json").read_text())
    starts = [c["start"] for c in chapters["chapters"]]
    review = {
        "speakers": {ids["Glenda Napier"]: NEW_NAME, guest: {"same_as": ids["Susana Remotti"]}},
        "segments": [{"at": target.start + 0.3, "text": FIXED}, {"at": 9999.0, "text": "gone"}],
        "takeaways": {"drop": [dropped]},
        # the opening retitled, the last chapter joined to the one before, one past the end
        "chapters": [
            {"at": 1, "title": "Welcome <b>& agenda</b>"},
            {"at": starts[-1]},
            {"at": 9999.0, "title": "x"},
        ],
    }
    path = workspace / "summaries" / rec_id / "review.yaml"
    path.write_text(yaml.safe_dump(review))
    result = run_cli("rerender", rec_id, cwd=workspace)
    assert result.code == 0, result.stderr
    status = stage_status(result.stdout)
    assert status["transcribe"] == status["diarize"] == status["extract"] == "up to date"
    assert status["name"] == status["export"] == status["summarize"] == "ran"
    assert "review correction not applied" in result.stderr and "9999" in result.stderr
    assert "chapters at 9999" in result.stderr
    listed = (workspace / "summaries" / rec_id / "chapters.txt").read_text().splitlines()
    assert listed[0] == "00:00 Welcome ‹b›& agenda‹/b›" and len(listed) == len(starts) - 1
    page = (workspace / "summaries" / rec_id / "summary.html").read_text()
    assert "Welcome &lt;b&gt;&amp; agenda&lt;/b&gt;" in page
    outputs = everything(workspace, rec_id)
    for name, text in outputs.items():
        wanted = NEW_NAME.replace(" ", "_") if name == "speakers.rttm" else NEW_NAME
        assert wanted in text, f"rename missing from {name}"
        assert "Speaker 5" not in text and "Speaker_5" not in text, f"merge missing from {name}"
    for name in (
        "transcript.txt",
        "transcript.srt",
        "transcript.vtt",
        "summary.html",
        "summary.docx",
    ):
        assert FIXED in " ".join(outputs[name].split()), f"text fix missing from {name}"
    assert "] Glenda Napier:" not in outputs["transcript.txt"]
    assert "<v Glenda Napier>" not in outputs["transcript.vtt"]
    assert "Glenda_Napier" not in outputs["speakers.rttm"]
    lines = outputs["transcript.txt"].splitlines()
    merged = [
        line for line in lines if any(line.startswith(f"[{clock(t)[:8]}]") for t in guest_said)
    ]
    assert merged and all("] Susana Remotti: " in line for line in merged)  # the target's name
    after = json.loads((workspace / "summaries" / rec_id / "summary.json").read_text())
    assert not any(dropped in p["text"] for p in after["takeaways"].get("green", []))
    speakers = json.loads((workspace / "transcripts" / rec_id / "speakers.json").read_text())
    assert len(speakers["speakers"]) == len(demo_run.speakers) - 1

    again = run_cli("rerender", rec_id, cwd=workspace)
    assert set(stage_status(again.stdout).values()) == {"up to date"}
    quiet = run_cli("rerender", rec_id, "-q", cwd=workspace)  # a cron job still hears of it
    assert quiet.code == 0 and not quiet.stdout, quiet.stderr
    assert "review correction not applied" in quiet.stderr and "9999" in quiet.stderr

    changed = run_cli(
        "run", str(demo_run_recording(workspace, rec_id)), "--model", "tiny.en", cwd=workspace
    )
    assert changed.code == 0, changed.stderr
    assert stage_status(changed.stdout)["transcribe"] == "ran"
    text = (workspace / "transcripts" / rec_id / "transcript.txt").read_text()
    assert FIXED in text and NEW_NAME in text  # corrections survive re-transcription


def demo_run_recording(workspace: Path, rec_id: str) -> Path:
    manifest = json.loads((workspace / "transcripts" / rec_id / "manifest.json").read_text())
    return Path(manifest["run"]["recording"])


def test_a_speaker_renamed_as_another_one_is_that_person(demo_run, workspace):
    """The demo's anonymous guest renamed to the name the evidence gave another speaker
    (``S5: Susana Remotti``, as a reviewer writes it, in other letter case): one person — one
    row with both talk times, the guest's lines hers — as ``same_as`` would have made it; before,
    the table listed her twice."""
    rec_id = demo_run.rec_id
    rows = {s.id: s for s in demo_run.speakers}
    guest = next(s for s in demo_run.speakers if not s.name)
    susana = next(s for s in demo_run.speakers if s.name == "Susana Remotti")
    review = {"speakers": {guest.id: "susana  REMOTTI"}}
    (workspace / "summaries" / rec_id / "review.yaml").write_text(yaml.safe_dump(review))
    result = run_cli("rerender", rec_id, "-q", cwd=workspace)
    assert result.code == 0 and result.stderr == "", result.stderr
    speakers = json.loads((workspace / "transcripts" / rec_id / "speakers.json").read_text())
    table = {row["id"]: row for row in speakers["speakers"]}
    assert set(table) == set(rows) - {guest.id}
    assert table[susana.id]["name"] == "Susana Remotti"
    assert table[susana.id]["talk_time"] == pytest.approx(
        susana.talk_time + guest.talk_time, abs=0.05
    )
    text = (workspace / "transcripts" / rec_id / "transcript.txt").read_text()
    assert guest.label not in text and "susana  REMOTTI" not in text
    md = (workspace / "summaries" / rec_id / "summary.md").read_text()
    table_md = md.split("## Speakers", 1)[1].split("\n## ", 1)[0]
    assert table_md.count("| Susana Remotti |") == 1


def test_topic_boundary_and_slide_fix_and_pinned_takeaway(demo_run, workspace):
    rec_id = demo_run.rec_id
    summary = workspace / "summaries" / rec_id
    before = json.loads((summary / "summary.json").read_text())["takeaways"]["digital"]
    sentences = json.loads((summary / "topics.json").read_text())["sentences"]
    said = next(  # a digital sentence that was not its theme's first takeaway
        s
        for s in sentences
        if s["topic"] == "digital"
        and len(s["text"].split()) >= 6
        and s["start"] != before[0]["start"]
    )
    review = {
        "topics": [
            {"start": 0, "end": 14, "topic": "green"},
            {"start": 1, "end": 2, "topic": "nonsense"},
        ],
        "slides": [{"start": 30, "end": 40, "slide": 7}],
        "takeaways": {"pin": [said["start"] + 0.2]},
    }
    (workspace / "summaries" / rec_id / "review.yaml").write_text(yaml.safe_dump(review))
    result = run_cli("rerender", rec_id, cwd=workspace)
    assert result.code == 0, result.stderr
    assert "unknown topic 'nonsense'" in result.stderr
    summary = workspace / "summaries" / rec_id
    spans = json.loads((summary / "topics.json").read_text())["spans"]
    assert spans[0]["topic"] == "green" and spans[0]["end"] >= 12
    timeline = json.loads((summary / "slides.json").read_text())["timeline"]
    assert {"number": 7, "start": 30, "end": 40, "method": "review"}.items() <= next(
        t for t in timeline if t["number"] == 7
    ).items()
    md = (summary / "summary.md").read_text()
    assert "### Slide 7: Appendix: contacts" in md
    first = json.loads((summary / "summary.json").read_text())["takeaways"]["digital"][0]
    assert first["start"] == said["start"]  # pinned takeaways come first


def test_invalid_review_file_is_a_clear_error(demo_run, workspace):
    (workspace / "summaries" / demo_run.rec_id / "review.yaml").write_text(
        "speakers:\n  Bob: Alice\n"
    )
    result = run_cli("rerender", demo_run.rec_id, cwd=workspace)
    assert result.code == 2 and "review.yaml" in result.stderr and "Traceback" not in result.stderr
    missing = run_cli("rerender", "no-such-id", cwd=workspace)
    assert missing.code == 2 and "status" in missing.stderr


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('takeaways: {drop: [""]}', "takeaways.drop.0: String should have at least 3 characters"),
        ("takeaways: {drop: [a]}", "takeaways.drop.0: String should have at least 3 characters"),
        ("topics: [{start: 50, end: 10, topic: green}]", "end (10) must come after start (50)"),
        ("slides: [{start: 30, end: 30, slide: 2}]", "end (30) must come after start (30)"),
    ],
)
def test_a_correction_that_would_do_harm_is_refused_with_the_reason(tmp_path, text, said):
    """`drop: [""]` removed every takeaway without a word (each contains ""); a span ending
    before it starts was only reported as "no speech in that span"."""
    from pipeline.core.errors import ConfigError
    from pipeline.core.review import load_review

    path = tmp_path / "review.yaml"
    path.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(said)):
        load_review(path)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "cp1252"])
def test_a_review_file_saved_by_a_windows_editor_is_read_or_said_to_be_in_another_encoding(
    tmp_path, encoding
):
    """A reviewer on Windows saves review.yaml with a byte-order mark (Notepad's "UTF-8 with
    BOM", "Unicode") or in the system's code page: it was refused as "fix the YAML" over a
    UTF-8 decoding error. Now read as its mark says; without one, not UTF-8 is said as such."""
    from pipeline.core.errors import ConfigError
    from pipeline.core.review import load_review

    path = tmp_path / "review.yaml"
    path.write_bytes("speakers:\n  S2: Carolina Garcés\n".encode(encoding))
    if encoding == "cp1252":
        with pytest.raises(ConfigError, match="not UTF-8") as caught:
            load_review(path)
        assert caught.value.fix == "save it as UTF-8 text"
        return
    assert load_review(path).speakers["S2"].name == "Carolina Garcés"


def test_a_speaker_merged_into_itself_is_reported_as_such():
    from pipeline.core.review import Report
    from pipeline.stages.name import NameParams, merges

    report = Report()
    assert merges(NameParams(merges={"S1": "S1"}), {0, 1}, report) == {}
    assert report.not_applied == ["speakers.S1: same_as itself — nothing to merge"]


def test_a_rename_to_a_listed_name_in_other_letters_brings_its_spelling_and_organisation(
    tmp_path,
):
    """`S3: glenda  napier` (as typed in a hurry) is the listed Glenda Napier — her spelling,
    role and organisation; before, the table showed "glenda  napier" with neither, and the
    summary counted the listed Glenda Napier among the people not heard."""
    from pipeline.core.event import Event, Speaker
    from pipeline.core.review import load_review
    from pipeline.stages.name import load_overrides, speaker_overrides

    event = Event(
        speakers=[Speaker(name="Glenda Napier", role="CEO", org="Energy Cluster Denmark")]
    )
    path = tmp_path / "review.yaml"
    path.write_text("speakers:\n  S3: glenda  napier\n  S4: Ada Lovelace\n", encoding="utf-8")
    renamed = speaker_overrides(load_review(path), event)
    assert renamed["S3"] == event.speakers[0]
    assert renamed["S4"] == Speaker(name="Ada Lovelace")
    older = tmp_path / "speakers.yaml"  # the older file of renames reads names alike
    older.write_text("S3: GLENDA NAPIER\n", encoding="utf-8")
    assert load_overrides(older, event)["S3"] == event.speakers[0]
