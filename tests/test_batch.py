"""Batch runs, locking, Dask, scheduling, status and the search catalog — with real recordings
(espeak-ng + ffmpeg), real Whisper (tiny.en for speed), real SQLite and a real Dask cluster."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console
from rich.progress import Progress

from pipeline.core.errors import PipelineError
from pipeline.service import batch, copies, state
from pipeline.stages import STAGES
from pipeline.tools import demo
from tests.helpers import ROOT, mounted, run_cli

# every stage but slides and tracks (the test recordings have no deck, no participant's track)
PER_RECORDING = len(STAGES) - 2

FAST = ("--model", "tiny.en", "--settle", "0")  # files made a moment ago are taken at once


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three short generated webinars and two bad files."""
    folder = tmp_path_factory.mktemp("batch") / "recordings"
    demo.make_webinar(folder, name="talk one", script=demo.SCRIPT[:3])
    demo.make_webinar(folder, name="talk-two", script=demo.SCRIPT[3:6])
    demo.make_webinar(folder, name="talk three", script=demo.SCRIPT[6:9])
    (folder / "not a video.mp4").write_text("this is text, not a recording\n")
    (folder / "empty.wav").write_bytes(b"")
    return folder


def good_only(recordings: Path, target: Path) -> Path:
    """A copy of the folder without the bad files."""
    shutil.copytree(
        recordings, target, ignore=shutil.ignore_patterns("not a video.mp4", "empty.wav")
    )
    return target


def log(folder: Path) -> list[dict]:
    path = folder / "transcripts" / "batch.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def ran(lines: list[dict]) -> list[tuple[str, str]]:
    return [(line["id"], line["stage"]) for line in lines if line["status"] == "ran"]


@pytest.fixture(scope="module")
def first_batch(recordings: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    work = tmp_path_factory.mktemp("work")
    result = run_cli("batch", str(recordings), *FAST, cwd=work)
    return work, result


def test_batch_processes_the_good_and_reports_the_bad(first_batch):
    work, result = first_batch
    assert result.code == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = log(work)
    done_ids = {
        line["id"] for line in lines if line["stage"] == "summarize" and line["status"] == "ran"
    }
    assert len(done_ids) == 3
    for rec_id in done_ids:
        assert (work / "summaries" / rec_id / "summary.html").exists()
    failed = {Path(line["recording"]).name: line for line in lines if line["status"] == "failed"}
    assert set(failed) == {"not a video.mp4", "empty.wav"}
    assert all(line["error"] and line["stage"] == "open" for line in failed.values())
    assert {"time", "id", "stage", "status", "seconds", "error"} <= set(lines[0])
    status = json.loads(run_cli("status", "--json", "--recordings", "recordings", cwd=work).stdout)
    states = {row["recording"]: row for row in status}
    assert states["not a video.mp4"]["state"] == "failed"
    assert "not a readable media file" in states["not a video.mp4"]["error"]
    assert states["talk one.mp4"]["state"] == "done" and not states["talk one.mp4"]["pending"]
    assert states["talk one.mp4"]["processing_seconds"] > 0


def test_second_batch_does_nothing_and_a_renamed_file_is_not_redone(
    first_batch, recordings, tmp_path
):
    work, _ = first_batch
    before = len(log(work))
    again = run_cli("batch", str(recordings), *FAST, "--quiet", cwd=work)
    assert again.code == 1 and again.stdout == ""  # the bad files are still bad; quiet is quiet
    assert again.stderr == ""  # … and they failed just so before: nothing new to mail
    assert ran(log(work)[before:]) == []
    moved = tmp_path / "moved"
    shutil.copytree(recordings, moved)
    (moved / "talk one.mp4").rename(moved / "Talk One (final).mp4")
    (moved / "talk one.event.yaml").rename(moved / "Talk One (final).event.yaml")
    before = len(log(work))
    third = run_cli("batch", str(moved), *FAST, cwd=work)
    assert third.code == 1
    assert ran(log(work)[before:]) == []
    assert len({p.name for p in (work / "transcripts").iterdir() if p.is_dir()}) == 3


def test_a_removed_recording_is_left_by_the_batch_until_it_is_run(recordings, tmp_path):
    """`cli.py remove` takes a webinar off the list, not out of the folder: the next batch left
    it, and `status` calls it removed (before: the next batch — cron — processed it again, and
    until then `status` listed it as done, with every stage to run). `run` brings it back, and
    batches treat it as any other from then on."""
    (tmp_path / "recordings").mkdir()
    shutil.copy(recordings / "talk-two.mp4", tmp_path / "recordings" / "talk-two.mp4")
    args = ("batch", "recordings", *FAST, "--no-diarize")
    assert run_cli(*args, cwd=tmp_path).code == 0
    (rec_id,) = [p.name for p in (tmp_path / "transcripts").iterdir() if p.is_dir()]
    removed = run_cli("remove", rec_id, "--yes", cwd=tmp_path)
    assert removed.code == 0, removed.stderr
    assert "talk-two.mp4 itself is kept; a batch leaves it from now on" in " ".join(
        removed.stdout.split()
    )
    before = len(log(tmp_path))
    again = run_cli(*args, cwd=tmp_path)
    assert again.code == 0, again.stderr
    assert "1 skipped" in again.stdout and not (tmp_path / "transcripts" / rec_id).exists()
    (line,) = log(tmp_path)[before:]
    assert (line["status"], line["id"]) == ("removed", rec_id)
    assert "its outputs were removed (`cli.py remove`" in line["error"]
    rows = json.loads(run_cli("status", "--json", cwd=tmp_path).stdout)
    assert [(r["id"], r["state"], r["pending"]) for r in rows] == [(rec_id, "removed", [])]
    recording = tmp_path / "recordings" / "talk-two.mp4"
    ran_again = run_cli(
        "run", str(recording), "--model", "tiny.en", "--no-diarize", "-q", cwd=tmp_path
    )
    assert ran_again.code == 0, ran_again.stderr
    rows = json.loads(run_cli("status", "--json", cwd=tmp_path).stdout)
    assert [(r["id"], r["state"]) for r in rows] == [(rec_id, "done")]
    before = len(log(tmp_path))
    assert run_cli(*args, cwd=tmp_path).code == 0
    lines = log(tmp_path)[before:]  # processed as any finished recording: nothing to redo
    assert ran(lines) == [] and {line["status"] for line in lines} == {"skipped"}
    assert {line["stage"] for line in lines} >= {"extract", "summarize"}


def test_copies_of_one_recording_are_processed_once(recordings, tmp_path):
    folder = tmp_path / "recordings"
    folder.mkdir()
    shutil.copy(recordings / "talk-two.mp4", folder / "a.mp4")
    shutil.copy(recordings / "talk-two.mp4", folder / "b copy.mp4")
    result = run_cli("batch", "recordings", *FAST, "--no-diarize", cwd=tmp_path)
    assert result.code == 0, result.stderr
    lines = log(tmp_path)
    assert [line["status"] for line in lines if line["stage"] == "open"] == ["duplicate"]
    assert len({rec_id for rec_id, _ in ran(lines)}) == 1


def test_a_batch_shows_its_recordings_being_read_before_it_processes_any(tmp_path):
    """Every recording is hashed before the first is processed (copies are done once): on a
    first batch over hour-long videos on a network share that is minutes with nothing shown.
    A bar counts the bytes read — and, on the next run, the ones remembered at once."""
    folder, cache = tmp_path / "recordings", tmp_path / "transcripts"
    folder.mkdir()
    cache.mkdir()
    (folder / "a.mp4").write_bytes(os.urandom(9_000_000))  # read in 3 pieces
    shutil.copy(folder / "a.mp4", folder / "b.mp4")
    (folder / "c.mp4").write_bytes(os.urandom(1_000_000))
    paths = sorted(folder.iterdir())
    for _run in ("first", "remembered"):
        progress = Progress(console=Console(file=io.StringIO()))
        told: list[int] = []
        on_read = batch.reading_bar(paths, progress)
        assert on_read is not None

        def heard(count: int, bar=on_read, told=told) -> None:
            bar(count)
            told.append(count)

        keep, duplicates = batch.unique_by_content(paths, cache, heard)
        assert list(keep) == [paths[0], paths[2]] and [d.status for d in duplicates] == [
            "duplicate"
        ]
        (bar,) = progress.tasks
        assert bar.description == "reading" and bar.total == pytest.approx(19.0)  # MB
        assert bar.completed == pytest.approx(bar.total)
        assert len(told) == (7 if _run == "first" else 3)  # pieces read; a size each remembered
    assert batch.reading_bar(paths, None) is None  # -q: no bar


def ffmpeg_to(target: Path, *args: str) -> Path:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args, str(target)], check=True)
    return target


@pytest.fixture(scope="module")
def one_webinar_saved_thrice(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder as a Zoom download and an OBS remux leave it: the video, its audio alone (AAC
    at 32 kbit/s, starting 0.737 s later), the video in another container; beside them another
    talk and silence of the same length, and the audio alone again (MP3) in another folder."""
    folder = tmp_path_factory.mktemp("copies") / "recordings"
    (folder / "elsewhere").mkdir(parents=True)
    speech, other = folder.parent / "speech.wav", folder.parent / "other.wav"
    demo.synthesize(demo.SCRIPT[:3], demo.PEOPLE, speech)
    demo.synthesize(demo.SCRIPT[3:6], demo.PEOPLE, other)
    seconds = f"{seconds_of(speech):.3f}"
    video = ("-f", "lavfi", "-i", "color=c=navy:size=320x240:rate=5", "-i", str(speech))
    ffmpeg_to(folder / "meeting.mp4", *video, "-c:v", "mpeg4", "-c:a", "aac", "-shortest")
    late = ("-af", "adelay=delays=737:all=1", "-c:a", "aac", "-b:a", "32k")
    ffmpeg_to(folder / "meeting audio only.m4a", "-i", str(speech), *late)
    ffmpeg_to(folder / "obs remux.mkv", "-i", str(folder / "meeting.mp4"), "-c", "copy")
    ffmpeg_to(folder / "other talk.wav", "-i", str(other), "-af", "apad", "-t", seconds)
    ffmpeg_to(
        folder / "silence.wav", "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", seconds
    )
    # the same sound in other bytes (a byte copy is the batch's duplicate before any of this)
    ffmpeg_to(folder / "elsewhere" / "meeting audio.mp3", "-i", str(speech), "-c:a", "libmp3lame")
    return folder


def seconds_of(path: Path) -> float:
    return float(
        subprocess.run(
            [
                "ffprobe",
                "-v",
                "error",
                "-show_entries",
                "format=duration",
                "-of",
                "csv=p=0",
                str(path),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )


def test_files_of_one_webinar_are_told_from_other_talks_of_its_length(
    one_webinar_saved_thrice, tmp_path
):
    """Zoom's audio-only file and an OBS remux are other bytes with the same sound: recognised
    as copies of the video (kept: it carries the slides), by their loudness over time — not
    another talk or silence of the same length, nor the same sound in another folder. The
    verdicts are remembered: the next batch decodes nothing."""
    found, _duplicates = batch.unique_by_content(state.discover(one_webinar_saved_thrice), tmp_path)
    twins = copies.in_batch(found, tmp_path)
    video = one_webinar_saved_thrice / "meeting.mp4"
    assert twins == {
        video.with_name("meeting audio only.m4a"): video,
        video.with_name("obs remux.mkv"): video,
    }
    assert sorted(json.loads((tmp_path / copies.CACHE).read_text()).values())[-2:] == [True, True]

    def decoded(candidate: copies.Candidate) -> None:
        pytest.fail(f"{candidate.path.name} decoded again")

    assert copies.in_batch(found, tmp_path, decoded) == twins


def test_a_batch_processes_one_file_of_a_webinar_saved_twice(one_webinar_saved_thrice, tmp_path):
    """Zoom's audio-only file processed by one batch, its video arriving for the next: the
    video is not processed again (the webinar would be listed twice) — it is told as a
    duplicate, with the file it repeats and how to process it anyway."""
    folder = tmp_path / "recordings"
    folder.mkdir()
    shutil.copy(one_webinar_saved_thrice / "meeting audio only.m4a", folder)
    first = run_cli("batch", "recordings", *FAST, "--no-diarize", cwd=tmp_path)
    assert first.code == 0, first.stderr
    shutil.copy(one_webinar_saved_thrice / "meeting.mp4", folder)
    before = len(log(tmp_path))
    second = run_cli("batch", "recordings", *FAST, "--no-diarize", cwd=tmp_path)
    assert second.code == 0, second.stderr
    assert ran(log(tmp_path)[before:]) == []
    told = " ".join(second.stderr.split())
    assert (
        "duplicate meeting.mp4 — same sound as meeting audio only.m4a: another file of that "
        "webinar (audio only, another view or container) — not processed; `cli.py run` it to "
        "process it anyway"
    ) in told
    assert len([p for p in (tmp_path / "transcripts").iterdir() if p.is_dir()]) == 1


def test_zoom_s_participant_tracks_are_told_by_name_beside_a_webinar_only():
    """Zoom names a participant's own track ``audio<Name><number>.m4a`` (its mixed audio has no
    name): beside a recording, or in the ``Audio Record`` folder below it, it is part of that
    webinar — a video named first; alone, or a name that only looks alike, it is a recording."""
    zoom = Path("/r/2024-05-15 09.30.00 EU Clusters Talk")
    video, mixed = zoom / "video1715765400.mp4", zoom / "audio1715765400.m4a"
    tracks = [
        zoom / "Audio Record" / "audioGlendaNapier21715765400.m4a",
        zoom / "audioJosé11715765400.m4a",
    ]
    lookalikes = [zoom / "audiobook2023.m4a", zoom / "audio Marek 11715765400.m4a"]
    alone = Path("/r/elsewhere/audioMarekPrzeor31715765400.m4a")
    found = copies.participant_tracks([mixed, video, *tracks, *lookalikes, alone])
    assert found == dict.fromkeys(tracks, video)
    assert copies.participant_tracks([tracks[0], mixed]) == {tracks[0]: mixed}
    assert copies.participant_tracks(tracks[:1]) == {}


def test_a_batch_processes_a_zoom_folder_s_webinar_once(one_webinar_saved_thrice, tmp_path):
    """A Zoom folder with a separate audio file for each participant: the video is processed,
    its mixed audio is a copy, and each participant's track is told as part of the webinar —
    not processed as a webinar of its own (nor read: no speakers are asked for here), and
    listed so by `status`."""
    zoom = tmp_path / "recordings" / "2024-05-15 09.30.00 EU Clusters Talk"
    (zoom / "Audio Record").mkdir(parents=True)
    shutil.copy(one_webinar_saved_thrice / "meeting.mp4", zoom / "video1715765400.mp4")
    shutil.copy(one_webinar_saved_thrice / "meeting audio only.m4a", zoom / "audio1715765400.m4a")
    track = zoom / "Audio Record" / "audioGlendaNapier21715765400.m4a"
    track.write_bytes(b"not read: a participant's track is never decoded nor hashed")
    result = run_cli("batch", "recordings", *FAST, "--no-diarize", cwd=tmp_path)
    assert result.code == 0, result.stderr
    told = " ".join(result.stderr.split())
    assert "part 2024-05-15 09.30.00 EU Clusters Talk/Audio Record/audioGlendaNapier2" in told
    assert (
        "one participant's own track (Zoom) of the webinar in video1715765400.mp4 — not processed "
        "as a webinar of its own; `cli.py run` it to process it anyway"
    ) in told
    assert "duplicate 2024-05-15 09.30.00 EU Clusters Talk/audio1715765400.m4a" in told
    assert "3 recordings: 1 done, 0 failed, 2 skipped" in " ".join(result.stdout.split())
    assert len([p for p in (tmp_path / "transcripts").iterdir() if p.is_dir()]) == 1
    rows = json.loads(run_cli("status", "--json", cwd=tmp_path).stdout)
    assert {r["recording"]: r["state"] for r in rows} == {
        "video1715765400.mp4": "done",
        "audio1715765400.m4a": "duplicate",
        track.name: "part",
    }


def test_two_concurrent_batches_process_each_recording_exactly_once(recordings, tmp_path):
    good_only(recordings, tmp_path / "recordings")
    command = [sys.executable, str(ROOT / "cli.py"), "batch", "recordings", *FAST, "--quiet"]
    procs = [subprocess.Popen(command, cwd=tmp_path) for _ in range(2)]
    codes = [p.wait(timeout=900) for p in procs]
    assert codes == [0, 0]
    stages = ran(log(tmp_path))
    assert (
        len(stages) == len(set(stages)) == 3 * PER_RECORDING
    )  # every stage of every recording, once
    for manifest in (tmp_path / "transcripts").glob("*/manifest.json"):
        assert len(json.loads(manifest.read_text())["stages"]) == PER_RECORDING


def test_a_batch_killed_mid_recording_resumes_without_corrupt_output(
    first_batch, recordings, tmp_path
):
    good_only(recordings, tmp_path / "recordings")
    command = [sys.executable, str(ROOT / "cli.py"), "batch", "recordings", *FAST, "--quiet"]
    proc = subprocess.Popen(command, cwd=tmp_path, start_new_session=True)
    deadline = time.monotonic() + 300
    while not list((tmp_path / "transcripts").glob("*/audio.wav")):  # first recording under way
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    resumed = run_cli("batch", "recordings", *FAST, cwd=tmp_path)
    assert resumed.code == 0, resumed.stderr
    assert not [p for p in tmp_path.rglob(".*.tmp")], "temporary files left behind"
    reference, _ = first_batch
    for txt in (tmp_path / "transcripts").glob("*/transcript.txt"):
        same = reference / "transcripts" / txt.parent.name / "transcript.txt"
        assert txt.read_text() == same.read_text()
    for summary in (tmp_path / "summaries").glob("*/summary.json"):
        json.loads(summary.read_text())  # complete JSON, not a torn write


def test_sigterm_stops_a_batch_s_workers_too(recordings, tmp_path):
    """SIGTERM to a batch of three recordings on two workers (`timeout`, `kill`: the workers
    get no signal of their own) once both have begun: the batch stops at once — the recording
    not begun is not begun, those under way stop where they are, one line, exit 143. Before,
    the pool's end waited for every recording, queued ones too, to be finished."""
    folder = tmp_path / "recordings"
    folder.mkdir()
    for talk in ("talk one", "talk-two", "talk three"):  # each 20 times over: minutes of work
        subprocess.run(
            [
                *("ffmpeg", "-nostdin", "-loglevel", "error", "-stream_loop", "19"),
                *("-i", str(recordings / f"{talk}.mp4"), "-vn", str(folder / f"{talk}.m4a")),
            ],
            check=True,
        )
    command = [sys.executable, str(ROOT / "cli.py"), "batch", "recordings", *FAST, "--workers", "2"]
    proc = subprocess.Popen(
        [*command, "-q"], cwd=tmp_path, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    deadline = time.monotonic() + 300
    while len(list((tmp_path / "transcripts").glob("*/audio.json"))) < 2:  # both under way
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 143, stderr
    assert stderr.strip().endswith("run the same command again to resume"), stderr
    manifests = list((tmp_path / "transcripts").glob("*/manifest.json"))
    assert len(manifests) == 2  # the third recording was never begun
    for manifest in manifests:
        assert "summarize" not in json.loads(manifest.read_text())["stages"]
    assert not list(tmp_path.rglob(".*.tmp"))


def test_dask_local_cluster_gives_the_same_outputs_as_local_workers(recordings, tmp_path):
    for name, extra in (("local", ["--workers", "2"]), ("dask", ["--dask", "--workers", "2"])):
        work = tmp_path / name
        good_only(recordings, work / "recordings")
        result = run_cli("batch", "recordings", *FAST, *extra, "--quiet", cwd=work)
        assert result.code == 0, result.stderr
    local, dask = tmp_path / "local", tmp_path / "dask"
    compared = 0
    for path in sorted(local.glob("transcripts/*/*")):
        if path.suffix in (".txt", ".srt", ".vtt", ".rttm") or path.name in (
            "asr.json",
            "speakers.json",
        ):
            other = dask / path.relative_to(local)
            assert other.read_bytes() == path.read_bytes(), path.name
            compared += 1
    for path in sorted(local.glob("summaries/*/summary.md")):
        assert (dask / path.relative_to(local)).read_text() == path.read_text()
        compared += 1
    assert compared == 3 * 7  # txt srt vtt rttm asr.json speakers.json summary.md


def test_search_finds_a_phrase_with_its_speaker_and_time(first_batch, recordings):
    work, _ = first_batch
    truth = json.loads((recordings / "talk three.truth.json").read_text())
    folder = next((work / "transcripts").glob("talk-three-*"))
    segments = json.loads((folder / "transcript.json").read_text())["segments"]
    said = segments[len(segments) // 2]  # a word as the recogniser heard it, whatever the CPU
    word = max((w.strip(".,;:!?\"'") for w in said["text"].split()), key=len)
    turn = next(t for t in truth["turns"] if t["start"] - 1.0 <= said["start"] <= t["end"])
    name = next(p["name"] for p in truth["people"] if p["key"] == turn["speaker"])
    result = run_cli("search", word, "--json", cwd=work)
    assert result.code == 0, result.stderr
    hits = [h for h in json.loads(result.stdout) if h["kind"] == "segment"]
    assert hits, result.stdout
    hit = next(h for h in hits if h["webinar"] == folder.name and h["start"] == said["start"])
    assert hit["speaker"] == name
    assert hit["link"].endswith(f"summary.html#t={hit['start']:.2f}")
    filtered = json.loads(run_cli("search", word, "--speaker", "nobody", "--json", cwd=work).stdout)
    assert filtered == []
    later = json.loads(run_cli("search", word, "--since", "2030-01-01", "--json", cwd=work).stdout)
    assert later == []
    printed = run_cli("search", word, cwd=work)
    assert name in printed.stdout and "summary.html#t=" in printed.stdout
    assert run_cli("search", word, "--since", "last week", cwd=work).code == 2


def test_search_finds_words_said_not_a_topic_or_a_speaker_of_that_name(first_batch):
    """ "digital" finds the passages that say it, not every passage on the digital transition;
    a speaker's first name finds where the name is said (``--speaker`` filters by speaker)."""
    work, _ = first_batch
    topics = [json.loads(p.read_text()) for p in (work / "summaries").glob("*/topics.json")]
    sentences = [s for t in topics for s in t["sentences"]]
    assert any(s["topic"] == "digital" and "digit" not in s["text"].lower() for s in sentences)
    said = " ".join(s["text"] for s in sentences).lower()
    # the first names the recogniser wrote somewhere, whatever the CPU (the prompt carries them)
    names = [n for n in ("Glenda", "Marek", "Carolina", "Susana") if n.lower() in said]
    assert names
    for word in ["digital", *names]:
        result = run_cli("search", word, "--json", "--limit", "500", cwd=work)
        hits = json.loads(result.stdout)
        stem = "digit" if word == "digital" else word.lower()
        assert hits and all(stem in h["text"].lower() for h in hits), (word, hits)


def test_a_takeaway_is_found_once_in_the_segment_that_said_it(first_batch):
    """Each takeaway is also a segment said: a search listed the same words twice, as the
    segment and as "(summary)", each taking one of the hits. Now once, as the segment, marked
    as a takeaway; the abstract (said by no one segment) is still its own hit."""
    work, _ = first_batch
    summary = json.loads(next((work / "summaries").glob("*/summary.json")).read_text())
    point = next(p for points in summary["takeaways"].values() for p in points)
    word = max((w.strip(".,;:!?\"'") for w in point["text"].split()), key=len)
    hits = json.loads(run_cli("search", word, "--json", "--limit", "500", cwd=work).stdout)
    plain = {id(h): " ".join(h["text"].lower().split()) for h in hits}
    segments = [h for h in hits if h["kind"] == "segment"]
    summaries = [h for h in hits if h["kind"] == "summary"]
    assert not [
        (s, g)
        for s in summaries
        for g in segments
        if s["webinar"] == g["webinar"] and plain[id(s)] in plain[id(g)]
    ], hits
    assert any(h["takeaway"] and h["kind"] == "segment" for h in hits)
    assert all(h["kind"] == "segment" or not h["takeaway"] for h in hits)
    printed = run_cli("search", word, "--limit", "500", cwd=work).stdout
    assert "(a takeaway)" in printed
    few = json.loads(run_cli("search", word, "--json", "--limit", "1", cwd=work).stdout)
    assert len(few) == 1


def test_reindex_is_incremental_and_rebuilds_a_deleted_catalog(first_batch):
    work, _ = first_batch
    first = run_cli("reindex", cwd=work)
    assert first.code == 0 and "0 webinars (re)indexed" in first.stdout
    (work / "summaries" / "catalog.sqlite").unlink()
    unsearched = run_cli("search", "cluster", cwd=work)  # not "no matches": nothing was read
    assert unsearched.code == 1 and "no search catalog — `cli.py reindex` builds it" in (
        unsearched.stderr
    )
    rebuilt = run_cli("reindex", cwd=work)
    assert "3 webinars (re)indexed" in rebuilt.stdout
    assert run_cli("search", "cluster", cwd=work).code == 0
    elsewhere = run_cli("search", "cluster", cwd=work / "summaries")  # run from the wrong folder
    assert elsewhere.code == 1 and "no processed webinars here — give --summaries" in (
        elsewhere.stderr
    )
    assert not (work / "summaries" / "summaries").exists()


def test_batch_usage_errors_exit_2(tmp_path):
    missing = run_cli("batch", "no-such-folder", cwd=tmp_path)
    assert missing.code == 2 and "not a folder" in missing.stderr
    too_many = run_cli("batch", ".", "--workers", "64", cwd=tmp_path)
    assert too_many.code == 2 and "cores" in too_many.stderr
    both = run_cli("batch", ".", "--dask", "--scheduler", "tcp://127.0.0.1:1", cwd=tmp_path)
    assert both.code == 2
    negative = run_cli("batch", ".", "--settle", "-1", cwd=tmp_path)
    assert negative.code == 2 and "--settle" in negative.stderr
    for result in (missing, too_many, both, negative):
        assert "Traceback" not in result.stderr


def test_a_file_still_being_written_is_left_for_a_later_run(tmp_path):
    """A scheduled run meets a recording still being copied in (or recorded into the folder):
    left for a later run — said without -q, nothing for cron to mail with it — and taken once it
    has not changed for --settle seconds (default 60). Before, it was taken at once: a half-copied
    file failed as unreadable, or, in a format that plays as it grows, became a short webinar."""
    (tmp_path / "recordings").mkdir()
    growing = tmp_path / "recordings" / "live.webm"
    growing.write_bytes(b"\x1a\x45\xdf\xa3 the first bytes of a Matroska file")
    quiet = run_cli("batch", "recordings", "-q", cwd=tmp_path)
    assert (quiet.code, quiet.stdout, quiet.stderr) == (0, "", "")
    told = run_cli("batch", "recordings", cwd=tmp_path)
    assert told.code == 0 and "waiting live.webm — changed " in " ".join(told.stderr.split())
    assert "--settle 0" in told.stderr and "1 still being written" in " ".join(told.stdout.split())
    assert not log(tmp_path)  # nothing was tried
    settled = time.time() - 61
    os.utime(growing, (settled, settled))
    taken = run_cli("batch", "recordings", "-q", cwd=tmp_path)
    assert taken.code == 1 and "failed live.webm" in taken.stderr  # tried now (and refused)


def test_a_webinar_waits_while_a_participant_s_track_is_still_being_written(tmp_path):
    """Zoom writes each participant's own track after the video: a video settled long ago whose
    track is still being copied in waits with it (read half-written, the track would be refused
    or read again whole next time), said with the track's name; once the track has settled too,
    the video is taken."""
    zoom = tmp_path / "recordings" / "2024-05-15 09.30.00 EU Clusters Talk"
    (zoom / "Audio Record").mkdir(parents=True)
    video = zoom / "video1715765400.mp4"
    video.write_bytes(b"not a video: taken means tried and refused")
    settled = time.time() - 3600
    os.utime(video, (settled, settled))
    track = zoom / "Audio Record" / "audioGlendaNapier21715765400.m4a"
    track.write_bytes(b"the first bytes of a track")
    told = run_cli("batch", "recordings", cwd=tmp_path)
    assert told.code == 0, told.stderr
    said = " ".join(told.stderr.split())
    assert (
        "waiting 2024-05-15 09.30.00 EU Clusters Talk/video1715765400.mp4 — its participant's "
        f"track {track.name} changed "
    ) in said
    assert "2 still being written" in " ".join(told.stdout.split())
    assert not log(tmp_path)  # nothing was tried
    os.utime(track, (settled, settled))
    taken = run_cli("batch", "recordings", "-q", cwd=tmp_path)
    assert taken.code == 1 and "failed 2024-05-15 09.30.00 EU Clusters Talk/video1715765400" in (
        " ".join(taken.stderr.split())
    )


@pytest.mark.check
def test_outputs_kept_inside_the_recordings_folder_are_not_recordings(tmp_path):
    """`batch recordings --out recordings/transcripts`: the pipeline's own files there (each
    run's audio.wav, the page's recording.opus) are not new recordings — before, the next batch
    took them for some and failed on them (or, for a real audio.wav, processed it again)."""
    own = [
        tmp_path / "recordings" / "transcripts" / "talk-1a2b" / "audio.wav",
        tmp_path / "recordings" / "summaries" / "talk-1a2b" / "recording.opus",
    ]
    for path in own:
        path.parent.mkdir(parents=True)
        path.write_bytes(b"not decodable: if read as a recording, it fails")
    where = ("--out", "recordings/transcripts", "--summaries", "recordings/summaries")
    result = run_cli("batch", "recordings", *where, "--settle", "0", "-q", cwd=tmp_path)
    assert result.code == 0, result.stderr
    assert not log(tmp_path / "recordings")  # nothing was tried
    listed = run_cli("status", *where, "--recordings", "recordings", "--json", cwd=tmp_path)
    assert listed.code == 0 and json.loads(listed.stdout) == []


def test_quiet_batch_tells_cron_of_each_new_problem_once(tmp_path):
    """`batch -q` (what cron runs): a file that fails, and a recording processed with a doubt about
    its input, are said on stderr — cron mails any output — once: the next run, with nothing
    new, says nothing (but still exits 1); a file that fails another way is said again. Matroska
    audio (.mka) is a recording too."""
    folder = tmp_path / "recordings"
    folder.mkdir()
    (folder / "broken.mp4").write_text("not a recording\n")
    panel = folder / "panel.mka"  # a tone on track 1, silence on track 2: a warning
    tracks = ("-f", "lavfi", "-i", "sine=f=300:d=4", "-f", "lavfi", "-i", "anullsrc=r=16000")
    subprocess.run(
        ["ffmpeg", "-v", "error", *tracks, "-map", "0", "-map", "1", "-t", "4", str(panel)],
        check=True,
    )
    command = ("batch", "recordings", *FAST, "--no-diarize", "-q")
    first = run_cli(*command, cwd=tmp_path)
    assert first.code == 1 and first.stdout == ""
    said = first.stderr.splitlines()
    assert len(said) == 2, said
    assert "failed broken.mp4" in said[0] and "not a readable media file" in said[0]
    assert said[1].startswith("warning: panel.mka: 2 audio tracks")
    assert (tmp_path / "summaries").is_dir() and any((tmp_path / "summaries").iterdir())
    second = run_cli(*command, cwd=tmp_path)
    assert (second.code, second.stdout, second.stderr) == (1, "", "")
    (folder / "broken.mp4").write_bytes(b"")
    third = run_cli(*command, cwd=tmp_path)
    assert third.code == 1 and "failed broken.mp4" in third.stderr and "empty" in third.stderr
    assert "panel.mka" not in third.stderr


def test_recordings_in_subfolders_are_told_by_their_path_under_the_folder(tmp_path, short_clip):
    """A folder a month, the same file name in each: both processed, and every line says which
    one (it said "done talk.wav" twice)."""
    for month, pad in (("2024-05", "0"), ("2024-06", "1")):
        (tmp_path / "recordings" / month).mkdir(parents=True)
        target = tmp_path / "recordings" / month / "talk.wav"
        subprocess.run(
            [
                "ffmpeg",
                "-v",
                "error",
                "-i",
                str(short_clip),
                "-af",
                f"apad=pad_dur={pad}",
                str(target),
            ],
            check=True,
        )
    result = run_cli("batch", "recordings", *FAST, "--no-diarize", cwd=tmp_path)
    assert result.code == 0, result.stderr
    told = " ".join(result.stderr.split())
    assert "done 2024-05/talk.wav — extract" in told and "done 2024-06/talk.wav — extract" in told


def test_a_batch_on_a_full_disk_says_so(tmp_path, short_clip):
    """The transcripts on a disk that fills: after its retries the recording fails with the line
    `run` gives (what, which folder, what to do), not as an "unexpected OSError"."""
    (tmp_path / "recordings").mkdir()
    shutil.copy(short_clip, tmp_path / "recordings" / "talk.wav")
    with mounted(tmp_path / "full", "-t", "tmpfs", "-o", "size=200k", "tmpfs"):
        result = run_cli(
            "batch", "recordings", *FAST, "--no-diarize", "--out", "full", cwd=tmp_path
        )
    said = [line for line in result.stderr.splitlines() if "failed talk.wav" in line]
    assert result.code == 1 and len(said) == 1, result.stderr
    assert "failed talk.wav — full/talk-" in said[0]  # the folder, as given
    assert said[0].endswith(
        "the disk is full — free some space and run again (finished stages are kept)"
    )
    assert "Traceback" not in result.stderr
    assert " ".join(result.stdout.split()).startswith("1 recording: 0 done, 1 failed, 0 skipped")


def test_retry_backs_off_on_transient_failures_only():
    calls = []

    def flaky() -> str:
        calls.append(time.monotonic())
        if len(calls) < 3:
            raise OSError("I/O hiccup")
        return "ok"

    assert batch.retry(flaky, 2, 0.2, batch.is_transient) == ("ok", 3)
    # 0.2 s, then 0.4 s (a sleep is never shorter; a loaded machine can make it longer)
    assert 0.2 <= calls[1] - calls[0] < 0.4 <= calls[2] - calls[1]
    calls.clear()
    with pytest.raises(OSError):
        batch.retry(flaky, 1, 0.01, batch.is_transient)
    assert len(calls) == 2

    def bad_input() -> None:
        calls.append(0.0)
        raise PipelineError("not a recording")

    calls.clear()
    with pytest.raises(PipelineError):
        batch.retry(bad_input, 5, 0.01, batch.is_transient)
    assert len(calls) == 1


def test_scheduled_run_script_never_overlaps(recordings, tmp_path):
    """deploy/run-batch.sh (used by the crontab and the systemd unit): a second run while one
    is going exits 0 at once and does nothing; the first processes everything."""
    good_only(recordings, tmp_path / "recordings")
    env = {**os.environ, "WEBINAR_PIPELINE_DATA": str(tmp_path), "WEBINAR_PIPELINE_HOME": str(ROOT)}
    script = ROOT / "deploy" / "run-batch.sh"
    first = subprocess.Popen([str(script), *FAST], env=env)
    deadline = time.monotonic() + 120
    while not (tmp_path / "transcripts" / ".batch.lock").exists():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.5)
    second = subprocess.run([str(script), *FAST], env=env, capture_output=True, timeout=60)
    assert second.returncode == 0 and first.poll() is None  # it did not wait for the first
    assert first.wait(timeout=900) == 0
    stages = ran(log(tmp_path))
    assert len(stages) == len(set(stages)) == 3 * PER_RECORDING


def test_crontab_and_systemd_units_are_valid(tmp_path):
    cron = [
        line
        for line in (ROOT / "deploy" / "crontab").read_text().splitlines()
        if line.strip() and not line.startswith("#") and "=" not in line.split()[0]
    ]
    assert len(cron) == 1
    fields = cron[0].split()
    assert len(fields) == 6 and fields[5].endswith("deploy/run-batch.sh")
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze not installed")
    for name in ("webinar-pipeline.service", "webinar-pipeline.timer"):
        text = (ROOT / "deploy" / name).read_text()
        text = text.replace("/opt/webinar-pipeline", str(ROOT)).replace(
            "User=webinars", "User=root"
        )
        (tmp_path / name).write_text(text)
    checked = subprocess.run(
        [
            "systemd-analyze",
            "verify",
            str(tmp_path / "webinar-pipeline.service"),
            str(tmp_path / "webinar-pipeline.timer"),
        ],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr
    assert "Type=oneshot" in (tmp_path / "webinar-pipeline.service").read_text()


def test_models_load_once_per_worker_not_per_recording(recordings, tmp_path):
    from pipeline.core.config import Settings
    from pipeline.models import weights

    folder = good_only(recordings, tmp_path / "recordings")
    weights.faster_whisper.cache_clear()
    settings = Settings(
        model="tiny.en",
        diarize=False,
        transcripts_dir=tmp_path / "transcripts",
        summaries_dir=tmp_path / "summaries",
    )
    outcomes = batch.run_batch(state.discover(folder), settings)
    assert [o.status for o in outcomes] == ["done"] * 3
    info = weights.faster_whisper.cache_info()
    assert info.misses == 1 and info.hits == 2
