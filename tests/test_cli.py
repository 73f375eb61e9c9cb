"""The command line as a user types it (real subprocess)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.helpers import run_cli


def test_demo_command_generates_and_processes_the_sample(tmp_path):
    result = run_cli(
        "demo",
        "--folder",
        "rec",
        "--out",
        "tr",
        "--summaries",
        "su",
        "--model",
        "tiny.en",
        cwd=tmp_path,
    )
    assert result.code == 0, result.stderr
    assert "rec/eu-clusters-talk-demo.mp4" in result.stdout and "transcript.vtt" in result.stdout
    (out,) = [p for p in (tmp_path / "tr").iterdir() if p.is_dir()]
    speakers = json.loads((out / "speakers.json").read_text())["speakers"]
    assert "Glenda Napier" in {s["label"] for s in speakers}
    assert (tmp_path / "su" / out.name / "topics.json").exists()
    assert (tmp_path / "rec" / "eu-clusters-talk-demo.truth.rttm").exists()
    # run again in an 80-column terminal: no work, and every speaker's name whole on one line
    again = run_cli("run", "--out", "tr", "--summaries", "su", "--model", "tiny.en",
                    "rec/eu-clusters-talk-demo.mp4", cwd=tmp_path, columns=80)  # fmt: skip
    assert again.code == 0, again.stderr
    assert again.stdout.count("up to date") >= 10 and " ran " not in again.stdout
    assert max(map(len, again.stdout.splitlines())) <= 80
    for label in {s["label"] for s in speakers}:  # whoever was named on this CPU
        assert label in again.stdout
    # each row's talk time in whole seconds, as the page has it (7.6 s: 7 and 00:00:07, not 8)
    rows = [line.split("│") for line in again.stdout.splitlines() if line.startswith("│ S")]
    talk = {cells[1].strip(): cells[4].strip() for cells in rows}
    assert talk == {s["id"]: str(int(s["talk_time"])) for s in speakers}, again.stdout
    status = run_cli("status", "--out", "tr", "--summaries", "su", cwd=tmp_path, columns=80)
    assert status.code == 0 and out.name in status.stdout  # the id whole: `status ID` takes it
    # without --summaries, each recording's own summaries folder: not "stale, output missing"
    # (before: looked in summaries/ and found no recording.opus)
    own = json.loads(run_cli("status", "--out", "tr", "--json", cwd=tmp_path).stdout)
    assert [(row["id"], row["state"]) for row in own] == [(out.name, "done")], own
    # a name a reviewer typed is printed as typed, never read as the terminal's markup
    guest = next(s["id"] for s in speakers if s["label"].startswith("Speaker"))
    review = tmp_path / "su" / out.name / "review.yaml"
    review.write_text(f'speakers:\n  {guest}: "Anna [bold]Rossi[/bold]"\n', encoding="utf-8")
    renamed = run_cli("run", "--out", "tr", "--summaries", "su", "--model", "tiny.en",
                      "rec/eu-clusters-talk-demo.mp4", cwd=tmp_path, columns=80)  # fmt: skip
    assert renamed.code == 0, renamed.stderr
    assert "Anna [bold]Rossi[/bold]" in renamed.stdout
    # rerender without --summaries reads the review file, and writes, where the run did (before:
    # summaries/, where there is no review file — a second, uncorrected summary there)
    review.write_text(f"speakers:\n  {guest}: Anna Bianchi\n", encoding="utf-8")
    redone = run_cli("rerender", out.name, "--out", "tr", cwd=tmp_path)
    assert redone.code == 0, redone.stderr
    assert "Anna Bianchi" in (tmp_path / "su" / out.name / "summary.md").read_text()
    assert not (tmp_path / "summaries").exists()


@pytest.mark.check
def test_bad_speaker_count_is_a_usage_error(tmp_path):
    result = run_cli("run", "x.mp4", "--num-speakers", "0", cwd=tmp_path)
    assert result.code == 2 and result.stderr.strip() == "error: --num-speakers must be ≥ 1"
    # a count for a diarization that is skipped was ignored without a word
    skipped = run_cli("run", "x.mp4", "--no-diarize", "--num-speakers", "3", cwd=tmp_path)
    assert skipped.code == 2 and " ".join(skipped.stderr.split()) == (
        "error: --num-speakers works on what diarization finds, but --no-diarize skips it — "
        "drop one or the other"
    )
    both = run_cli("batch", "--no-diarize", "--max-speakers", "2", "--far-field", cwd=tmp_path)
    assert both.code == 2 and "--max-speakers and --far-field/--near-field work on " in both.stderr
    library = run_cli("run", "x.mp4", "--no-diarize", "--library", "voices", cwd=tmp_path)
    assert library.code == 2 and "--library works on what diarization finds" in library.stderr
    assert not (tmp_path / "voices").exists()
    threads = run_cli("run", "x.mp4", "--threads", "-1", cwd=tmp_path)
    assert threads.code == 2 and "--threads ≥ 0 (0: every core)" in threads.stderr


def test_run_takes_several_recordings_and_goes_on_past_a_bad_one(tmp_path, short_clip):
    """``cli.py run recordings/*.wav`` — as a shell expands it — was refused ("Got unexpected
    extra argument(s)"); now each is processed in turn, one that fails is told in its line and
    the next goes on, exit 1 at the end. A sidecar or deck given on the command line belongs
    to one recording: with several, refused before any work."""
    first, second = tmp_path / "first talk.wav", tmp_path / "-second.wav"
    shutil.copy(short_clip, first)
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(short_clip), "-af", "apad=pad_dur=1", str(second)],
        check=True,
    )
    (tmp_path / "broken.wav").write_text("not audio")
    fast = ("--no-diarize", "--media", "none", "-q")
    result = run_cli("run", *fast, "--", first.name, "broken.wav", second.name, cwd=tmp_path)
    assert result.code == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: broken.wav: not a readable media file")
    # without -q too: the one line — the bars of a run failing before its first stage, which
    # showed nothing, had ended with an empty line before it
    alone = run_cli("run", "--", "broken.wav", cwd=tmp_path)
    assert alone.code == 1 and alone.stderr.startswith("error: broken.wav")
    assert alone.stderr.count("\n") == 1
    made = sorted(p.name for p in (tmp_path / "transcripts").iterdir() if p.is_dir())
    assert [name.rsplit("-", 1)[0] for name in made] == ["first-talk", "second"]
    assert all((tmp_path / "summaries" / name / "summary.html").is_file() for name in made)
    again = run_cli(
        "run", "--no-diarize", "--media", "none", "--", first.name, second.name, cwd=tmp_path
    )
    assert again.code == 0 and again.stdout.count("up to date") == 2 * 10  # no video: no slides
    assert again.stdout.rstrip().endswith("2 recordings: 2 done, 0 failed")
    for option in (("--event", "talk.event.yaml"), ("--slides", "deck.pdf")):
        refused = run_cli("run", *option, "--", first.name, second.name, cwd=tmp_path)
        assert refused.code == 2
        assert f"error: {option[0]} belongs to one recording, and 2 were given" in refused.stderr


@pytest.mark.check
def test_the_command_list_reads_each_description_as_one_paragraph(tmp_path):
    """`cli.py --help` on a wide terminal: each command's description on its own line, not
    broken where the docstring's source line ends, and placeholders such as <out> shown."""
    result = run_cli("--help", cwd=tmp_path)
    assert result.code == 0, result.stderr
    lines = [line.strip("│ ") for line in result.stdout.splitlines()]
    run = next(line for line in lines if line.startswith("run "))
    assert run.endswith("topics, summary and reviewer page.")
    assert any("logged to <out>/batch.jsonl" in line for line in lines)


@pytest.mark.check
@pytest.mark.parametrize("command", ["run", "batch", "demo"])
def test_option_help_keeps_room_for_descriptions_at_80_columns(tmp_path, command):
    """`cli.py run --help` in an 80-column terminal: short value placeholders (flags none), so
    each description has ≥ 28 columns — with type names such as <list[Path]> and
    STAGE.PARAM=VALUE in their own column it had 18 ("Event sidecar" and "(default:" apart)."""
    result = run_cli(command, "--help", cwd=tmp_path, columns=80)
    assert result.code == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if line.startswith("│ --")]
    assert len(rows) >= 20 and max(map(len, result.stdout.splitlines())) <= 80
    quiet = next(row for row in rows if row.startswith("│ --quiet"))
    start = quiet.index("No progress" if command != "batch" else "For cron")
    assert len(quiet) - 2 - start >= 28  # the description column's width
    flags = [row for row in rows if row.split()[1] in ("--quiet", "--sequential", "--diarize")]
    assert flags and not any("<bool>" in row for row in flags)


@pytest.mark.check
def test_commands_run_in_the_wrong_folder_say_so_and_make_nothing_there(tmp_path):
    """`status` printed an empty table, `reindex` made summaries/ with a catalog and an index
    page, `search` said "no matches": now each says there is nothing here and which option
    points at the right folder, and no folder is made."""
    status = run_cli("status", cwd=tmp_path)
    assert status.code == 0 and status.stdout == ""
    assert "nothing here: no recording processed in transcripts" in status.stderr
    assert "--out DIR" in status.stderr
    reindex = run_cli("reindex", cwd=tmp_path)
    assert reindex.code == 2 and "summaries: no summaries folder here — give --summaries" in (
        " ".join(reindex.stderr.split())
    )
    search = run_cli("search", "hydrogen", cwd=tmp_path)
    assert search.code == 1 and "no processed webinars here — give --summaries" in (
        " ".join(search.stderr.split())
    )
    assert list(tmp_path.iterdir()) == []


def test_models_list(tmp_path):
    result = run_cli("models", "list", cwd=tmp_path)
    assert (
        result.code == 0
        and "tiny.en" in result.stdout
        and "e68e0899975fd655a74451927bfbbec0" in result.stdout
    )
