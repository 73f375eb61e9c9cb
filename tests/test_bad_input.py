"""Bad input through the real CLI: one clear line, exit code ≠ 0, no traceback, nothing half-written."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from docx import Document
from filelock import FileLock

from pipeline.core.probe import probe
from pipeline.stages.extract import ExtractParams, extract
from pipeline.tools import demo
from pipeline.tools.evaluate import wer
from tests.helpers import ROOT, damage, files_under, run_cli, stage_status


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args], check=True)


def make_video_without_audio(path: Path) -> None:
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "color=c=red:s=160x120:r=5:d=2",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        str(path),
    )


def make_truncated_mp4(path: Path, source: Path) -> None:
    data = source.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def make_text_as_mp4(path: Path) -> None:
    path.write_text("this is not a video\n" * 50)


def make_empty(path: Path) -> None:
    path.write_bytes(b"")


CASES = {
    "missing": (None, "file not found"),
    "zero-byte.mp4": (make_empty, "file is empty"),
    "text [bold]notes.mp4": (make_text_as_mp4, "not a readable media file"),  # said as named
    # a line break, a colour escape and a right-to-left override: shown as escapes, one line
    "two\nlines \x1b[31mred\u202eevil.mp4": (make_text_as_mp4, "not a readable media file"),
    "video-only.mp4": (make_video_without_audio, "no audio stream"),
    "truncated.mp4": ("truncated", "not a readable media file"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_recording_is_refused_with_one_clear_line(name, tmp_path, demo_files):
    maker, expected = CASES[name]
    recording = tmp_path / ("missing [red]talk.mp4" if maker is None else name)
    if maker == "truncated":
        make_truncated_mp4(recording, demo_files.recording)
    elif maker is not None:
        maker(recording)
    result = run_cli("run", str(recording), cwd=tmp_path)
    assert result.code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    said = "".join(repr(c)[1:-1] if c in "\n\x1b\u202e" else c for c in recording.name)
    assert expected in lines[0] and said in lines[0] and " — " in lines[0]  # what, where, fix
    assert not any(c in result.stderr for c in "\x1b\u202e")
    assert "Traceback" not in result.stderr + result.stdout
    assert files_under(tmp_path / "transcripts") == []


def test_a_web_address_is_told_apart_from_a_missing_file(tmp_path):
    """A link pasted as the recording ("https://…"): said to be a web address, as given (the
    path had kept one of its two slashes: "https:/…: file not found"), with what to do; nothing
    is fetched and nothing written."""
    address = "https://example.com/webinars/EU Clusters Talk.mp4"
    result = run_cli("run", address, cwd=tmp_path)
    assert result.code == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"error: {address}: a web address, not a file — download"), line
    assert "Traceback" not in result.stderr + result.stdout
    assert files_under(tmp_path / "transcripts") == []


def test_invalid_sidecar_names_the_field_and_exits_2(tmp_path, short_clip):
    recording = tmp_path / "talk.wav"
    shutil.copyfile(short_clip, recording)
    (tmp_path / "talk.event.yaml").write_text(
        "title: ok\ndate: 15 May\nspeakers:\n  - role: CEO\nsildes: x.pdf\n"
    )
    result = run_cli("run", str(recording), cwd=tmp_path)
    assert result.code == 2
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1 and "Traceback" not in line
    assert (
        "talk.event.yaml" in line
        and "field 'date'" in line
        and "field 'name' of speaker 1:" in line
    )
    assert "unknown field 'sildes'" in line
    assert not (tmp_path / "transcripts").exists() or files_under(tmp_path / "transcripts") == []


def test_broken_yaml_sidecar_is_a_config_error(tmp_path, short_clip):
    recording = tmp_path / "talk.wav"
    shutil.copyfile(short_clip, recording)
    (tmp_path / "talk.event.yaml").write_text("title: [unclosed\n")
    result = run_cli("run", str(recording), cwd=tmp_path)
    assert (
        result.code == 2 and "not valid YAML" in result.stderr and "Traceback" not in result.stderr
    )


def test_warnings_on_a_german_page_are_german(tmp_path):
    """A German talk summarised in German (`--summary-language same`): the page's warnings and
    its no-speech line are in the page's language (before: English sentences on a German
    page); the line on stderr stays English, as every message of the tool."""
    recording = tmp_path / "stille.mp3"
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=44100:cl=stereo", "-t", "20", str(recording))
    result = run_cli(
        "run", "-q", "--language", "de", "--summary-language", "same", str(recording), cwd=tmp_path
    )
    assert result.code == 0, result.stderr
    assert "the audio is silent (never louder than -50 dBFS)" in result.stderr
    (page,) = (tmp_path / "summaries").glob("*/summary.html")
    html = page.read_text()
    assert "Der Ton ist stumm (nie lauter als -50 dBFS)" in html
    assert "In dieser Aufnahme wurden keine Wörter erkannt." in html
    assert "the audio is silent" not in html and "No words were recognised" not in html


def test_silence_gives_an_empty_transcript_not_hallucinated_text(tmp_path):
    recording = tmp_path / "silence.mp3"
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=44100:cl=stereo", "-t", "20", str(recording))
    result = run_cli("run", str(recording), "--model", "tiny.en", "-q", cwd=tmp_path)
    assert result.code == 0, result.stderr
    # a muted microphone is told, even when quiet: one line, on stderr (cron mails it)
    said = result.stderr
    assert said.startswith("warning: ") and "silence.mp3: the audio is silent" in said
    assert "microphone muted" in said and len(said.splitlines()) == 1
    (out,) = [p for p in (tmp_path / "transcripts").iterdir() if p.is_dir()]
    data = json.loads((out / "transcript.json").read_text())
    assert data["segments"] == [] and data["duration"] == pytest.approx(20, abs=0.1)
    assert (out / "transcript.txt").read_text() == ""
    assert (out / "transcript.vtt").read_text().strip() == "WEBVTT"
    # the summary says so, without empty speaker, timeline or transcript sections
    (page,) = (tmp_path / "summaries").glob("*/summary.md")
    text = page.read_text()
    assert "No words were recognised in this recording." in text
    assert "## Speakers" not in text and "## Timeline" not in text
    html = page.with_suffix(".html").read_text()
    assert 'id="speakers"' not in html and 'id="timeline"' not in html
    assert "Warning: the audio is silent" in html
    headings = [
        p.text
        for p in Document(str(page.with_suffix(".docx"))).paragraphs
        if p.style.name.startswith("Heading")
    ]
    assert headings == ["Summary"]


def test_a_recording_without_an_event_page_is_dated_by_its_own_creation_time(tmp_path, short_clip):
    """Zoom, OBS and phones write the day into the file (``creation_time``): with no event page,
    or one without a date, the page carries that day — the event page's own date wins, a zero
    date of a tag never set (1970) is none — and ``status`` finds the run up to date. Its title
    is the file's name, underscores read as spaces."""
    recording = tmp_path / "talk.m4a"
    ffmpeg("-i", str(short_clip), "-metadata", "creation_time=2024-05-15T21:30:00Z", str(recording))
    result = run_cli("run", "--model", "tiny.en", "-q", recording.name, cwd=tmp_path)
    assert result.code == 0, result.stderr
    (folder,) = (tmp_path / "summaries").glob("talk-*")
    assert json.loads((folder / "summary.json").read_text())["date"] == "2024-05-15"
    assert "2024-05-15 · " in (folder / "summary.html").read_text()
    status = run_cli("status", "--json", cwd=tmp_path)
    assert [row["state"] for row in json.loads(status.stdout)] == ["done"], status.stdout
    # the event page's date is the event's
    (tmp_path / "talk.event.yaml").write_text("title: Talk\ndate: 2024-06-01\n")
    again = run_cli("run", "--model", "tiny.en", "-q", recording.name, cwd=tmp_path)
    assert again.code == 0, again.stderr
    assert json.loads((folder / "summary.json").read_text())["date"] == "2024-06-01"
    # a tag never set: no date
    unset = tmp_path / "team_call_ recording.m4a"
    ffmpeg("-i", str(short_clip), "-metadata", "creation_time=1970-01-01T00:00:00Z", str(unset))
    assert run_cli("run", "--model", "tiny.en", "-q", unset.name, cwd=tmp_path).code == 0
    (plain,) = (tmp_path / "summaries").glob("team-call-recording-*")
    summary = json.loads((plain / "summary.json").read_text())
    assert summary.get("date", "") == "" and summary["title"] == "team call recording"


def test_odd_file_name_spaces_unicode_leading_dash(tmp_path, short_clip):
    recording = tmp_path / "-Talk #2 — Garcés & “Remotti”.wav"
    shutil.copyfile(short_clip, recording)
    result = run_cli("run", "--model", "tiny.en", "-q", "--", recording.name, cwd=tmp_path)
    assert result.code == 0, result.stderr
    (out,) = [p for p in (tmp_path / "transcripts").iterdir() if p.is_dir()]
    assert out.name.startswith("talk-2-garces-remotti-")
    said = json.loads((out / "transcript.json").read_text())
    script = " ".join(line.text for line in (demo.SCRIPT[0], demo.SCRIPT[3]))
    assert wer(script, " ".join(seg["text"] for seg in said["segments"])) < 0.4


def test_a_truncated_file_is_told_not_hidden(tmp_path, short_clip):
    """A FLAC cut after a fifth of its bytes still announces the whole duration in its header:
    processed up to the cut (exit 0), with one warning line, in the manifest and on the page."""
    whole = tmp_path / "whole.flac"
    ffmpeg("-i", str(short_clip), "-ar", "16000", "-ac", "1", str(whole))
    cut = tmp_path / "talk (cut).flac"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 5])
    result = run_cli("run", str(cut), "--model", "tiny.en", "--no-diarize", "-q", cwd=tmp_path)
    assert result.code == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("warning:"), result.stderr
    assert "talk (cut).flac" in lines[0] and "looks truncated" in lines[0]
    assert " s announced" in lines[0] and " — download or export it again" in lines[0]
    (out,) = [p for p in (tmp_path / "transcripts").iterdir() if p.is_dir()]
    warnings = json.loads((out / "manifest.json").read_text())["stages"]["extract"]["warnings"]
    assert warnings and "looks truncated" in warnings[0]
    page = (tmp_path / "summaries" / out.name / "summary.html").read_text()
    assert f"Warning: {warnings[0]}" in page
    whole_run = run_cli("run", str(whole), "--model", "tiny.en", "--no-diarize", "-q", cwd=tmp_path)
    assert whole_run.code == 0 and whole_run.stderr.strip() == ""  # the whole file: no warning


def test_a_damaged_recording_is_decoded_past_its_errors_and_told(tmp_path, short_clip):
    """An MP3 of 80 s with noise written over it every 50 bytes: ffmpeg decodes past the bad
    packets and writes a line for each (well over the 64 kB a pipe holds — which had stopped
    ffmpeg, and the run with it, for good). Broken frame headers also break the time stamps:
    on them the sound would last 26 minutes, nearly all of it silence filled in. The sound that
    decodes is taken closed up (exit 0), and two warnings say so and how damaged the file is,
    in the manifest and on the page."""
    recording = tmp_path / "talk, damaged.mp3"
    loop = ("-stream_loop", "3", "-i", str(short_clip))
    ffmpeg(*loop, "-c:a", "libmp3lame", "-b:a", "64k", str(recording))
    damage(recording)
    result = run_cli(
        "run", str(recording), "--model", "tiny.en", "--no-diarize", "-q", cwd=tmp_path, timeout=180
    )
    assert result.code == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 2 and all(line.startswith("warning: ") for line in lines), lines
    assert all("talk, damaged.mp3" in line for line in lines)
    stamps = re.search(r"on them its sound would last ([\d.]+) s, ([\d.]+) s announced", lines[0])
    assert stamps and float(stamps[1]) > 5 * float(stamps[2]), lines[0]
    count = re.search(
        r"ffmpeg met (\d+) errors decoding the recording \(the last: (.+?)\)", lines[1]
    )
    assert count and int(count[1]) > 500, lines[1]
    assert "0x" not in count[2]  # no memory address: the same words on every run
    assert "damaged in places" in lines[1]
    (out,) = [p for p in (tmp_path / "transcripts").iterdir() if p.is_dir()]
    audio = json.loads((out / "audio.json").read_text())
    assert 0.3 * audio["announced"] < audio["duration"] < audio["announced"]  # no silence added
    page = (tmp_path / "summaries" / out.name / "summary.html").read_text()
    assert "errors decoding the recording" in page and "time stamps are broken" in page


def test_a_length_guessed_from_the_bit_rate_is_measured_not_called_truncated(tmp_path, short_clip):
    """A raw AAC file and a VBR MP3 without its Xing header (as a stream or a recorder writes
    it), the clip after 5 s of silence: ffprobe guesses their lengths from the first packets'
    bit rate — 29 s for 26 s of AAC, 259 s for 26 s of MP3 — and both were "decoded 25.8 s of
    the 259.4 s announced: the file looks truncated — download or export it again". Their length
    is measured from the packets instead: no warning. An MP3 with its header, cut off, still
    is told to be truncated."""
    opened = ("-f", "lavfi", "-t", "5", "-i", "anullsrc=r=22050:cl=mono", "-i", str(short_clip))
    joined = ("-filter_complex", "[0][1]concat=n=2:v=0:a=1")
    aac, vbr, cut = tmp_path / "memo.aac", tmp_path / "stream.mp3", tmp_path / "cut.mp3"
    ffmpeg(*opened, *joined, "-c:a", "aac", "-f", "adts", str(aac))
    ffmpeg(*opened, *joined, "-c:a", "libmp3lame", "-q:a", "0", "-write_xing", "0", str(vbr))
    ffmpeg(*opened, *joined, "-c:a", "libmp3lame", "-b:a", "64k", str(tmp_path / "whole.mp3"))
    cut.write_bytes((tmp_path / "whole.mp3").read_bytes()[:100_000])
    for recording in (aac, vbr):
        info = probe(recording)
        audio = extract(info, tmp_path / "audio.wav", ExtractParams())
        assert audio.warnings == [], (recording.name, audio)
        assert info.duration == pytest.approx(audio.duration, abs=0.2)
        assert info.timeline == pytest.approx(audio.duration, abs=0.2)
    audio = extract(probe(cut), tmp_path / "audio.wav", ExtractParams())
    assert [w.message for w in audio.warnings] == [
        "decoded %(decoded)s s of the %(announced)s s announced: the file looks truncated — "
        "download or export it again"
    ]


def test_a_recording_with_several_audio_tracks_says_so_and_takes_the_one_asked_for(
    tmp_path, short_clip
):
    """A video with the room's (silent) sound on track 1 and the speech on track 2, shorter
    than the video: the run names both tracks, --audio-track 2 (or the sidecar's
    `audio_track: 2`) transcribes the speech, a track it does not have is a usage error."""
    recording = tmp_path / "panel, two tracks.mkv"
    ffmpeg(
        *("-f", "lavfi", "-i", "color=c=blue:s=160x120:r=5:d=30"),
        *("-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo", "-i", str(short_clip)),
        *("-map", "0:v", "-map", "1:a", "-map", "2:a", "-t", "30", "-c:v", "libx264"),
        *("-c:a", "aac", "-metadata:s:a:0", "title=Room", "-metadata:s:a:1", "language=eng"),
        *("-metadata:s:a:1", "title=Speaker <mic>"),
        str(recording),
    )
    fast = ("--model", "tiny.en", "--no-diarize")
    first = run_cli("run", str(recording), *fast, "-q", cwd=tmp_path)
    assert first.code == 0, first.stderr
    lines = [line for line in first.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("warning:"), first.stderr
    assert "2 audio tracks (1: “Room”, 2 ch; 2: eng, “Speaker <mic>”, 1 ch)" in lines[0]
    assert "transcribed track 1" in lines[0] and "--audio-track N" in lines[0]
    assert "track 1 is silent — is the speech on another?" in lines[0]
    (out,) = [p for p in (tmp_path / "transcripts").iterdir() if p.is_dir()]
    assert json.loads((out / "transcript.json").read_text())["segments"] == []
    page = (tmp_path / "summaries" / out.name / "summary.html").read_text()
    assert "“Speaker &lt;mic&gt;”" in page  # the warning is on the page, escaped

    second = run_cli("run", str(recording), *fast, "--audio-track", "2", cwd=tmp_path)
    assert second.code == 0, second.stderr
    assert set(stage_status(second.stdout).values()) == {"ran"}  # extract and all after it
    assert "transcribed track 2" in second.stderr and "truncated" not in second.stderr
    assert "silent" not in second.stderr
    said = " ".join(
        s["text"] for s in json.loads((out / "transcript.json").read_text())["segments"]
    )
    script = " ".join(line.text for line in (demo.SCRIPT[0], demo.SCRIPT[3]))
    assert wer(script, said) < 0.4
    audio = json.loads((out / "audio.json").read_text())
    assert audio["announced"] == pytest.approx(audio["duration"], abs=0.1)  # the track's, not 30 s

    recording.with_name("panel, two tracks.event.yaml").write_text("audio_track: 2\n")
    sidecar = run_cli("run", str(recording), *fast, cwd=tmp_path)
    assert sidecar.code == 0, sidecar.stderr
    status = stage_status(sidecar.stdout)
    assert status["extract"] == status["transcribe"] == "up to date"  # the same track

    missing = run_cli("run", str(recording), *fast, "--audio-track", "3", cwd=tmp_path)
    lines = [line for line in missing.stderr.splitlines() if line.strip()]
    assert missing.code == 2 and len(lines) == 1, missing.stderr
    assert "audio track 3: the recording has 2 audio tracks" in lines[0]
    assert "give a number from 1 to 2" in lines[0]
    linked = run_cli("run", str(recording), *fast, "--media", "link", cwd=tmp_path)
    lines = [line for line in linked.stderr.splitlines() if line.strip()]
    assert linked.code == 2 and len(lines) == 1, linked.stderr  # it would play track 1
    assert "but track 2 is transcribed" in lines[0] and "--media copy" in lines[0]


def test_sound_that_starts_late_or_skips_keeps_the_video_s_timeline(tmp_path, short_clip):
    """Sound starting 3 s into the video, and a 2-s hole in its timestamps 6 s later (a live
    stream's dropout): the transcript's times are the video's, so subtitles stay in sync."""
    recording = tmp_path / "late and gappy.mkv"
    ffmpeg(
        *("-f", "lavfi", "-i", "color=c=blue:s=160x120:r=5:d=30"),
        *("-itsoffset", "3", "-i", str(short_clip)),
        *("-filter_complex", "[1:a]asetpts='if(gte(T,9),PTS+2/TB,PTS)'[a]"),
        *("-map", "0:v", "-map", "[a]", "-c:v", "libx264", "-c:a", "libopus"),
        str(recording),
    )
    plain = tmp_path / "plain.wav"
    shutil.copyfile(short_clip, plain)
    for path in (recording, plain):
        result = run_cli("run", str(path), "--model", "tiny.en", "--no-diarize", "-q", cwd=tmp_path)
        assert result.code == 0 and not result.stderr.strip(), result.stderr
    (late,) = (tmp_path / "transcripts").glob("late-and-gappy-*/audio.json")
    (clip,) = (tmp_path / "transcripts").glob("plain-*/audio.json")
    late_audio, clip_audio = (json.loads(p.read_text()) for p in (late, clip))
    assert late_audio["duration"] == pytest.approx(clip_audio["duration"] + 5, abs=0.1)
    said = json.loads(late.with_name("transcript.json").read_text())["segments"]
    assert said and said[0]["start"] >= 1.5  # silence until 3 s: nothing heard before


def test_sound_that_starts_after_most_of_the_video_is_not_called_broken(tmp_path, short_clip):
    """The clip's sound starting 25 s into a video: on the timeline it lasts over twice its
    own length — but no longer than the recording, so it is no broken time stamp (the guard
    against those compares with the whole recording's length): kept on the timeline, no
    warning."""
    recording = tmp_path / "late.mp4"
    ffmpeg(
        *("-f", "lavfi", "-i", "color=c=blue:s=160x120:r=5:d=30"),
        *("-itsoffset", "25", "-i", str(short_clip), "-map", "0:v", "-map", "1:a"),
        *("-c:v", "libx264", "-c:a", "aac", str(recording)),
    )
    info = probe(recording)
    audio = extract(info, tmp_path / "audio.wav", ExtractParams())
    assert audio.duration > ExtractParams().overlong_share * info.duration
    assert audio.duration == pytest.approx(25 + info.duration, abs=0.3)
    assert audio.warnings == []


def test_a_podcast_s_cover_picture_is_no_video(tmp_path, short_clip):
    """An MP3 carrying album art has a "video" stream of one picture: the page links it as
    sound (as video, Chromium drew an empty picture box above the controls)."""
    cover = tmp_path / "cover.png"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=320x320:rate=1", "-frames:v", "1", str(cover))
    recording = tmp_path / "episode 12.mp3"
    ffmpeg(
        *("-i", str(short_clip), "-i", str(cover), "-map", "0:a", "-map", "1:v"),
        *("-c:a", "libmp3lame", "-c:v", "mjpeg", "-disposition:v", "attached_pic"),
        str(recording),
    )
    entries = ("-show_entries", "stream=codec_type", "-of", "csv=p=0")
    streams = subprocess.run(
        ["ffprobe", "-v", "error", *entries, str(recording)],
        capture_output=True,
        text=True,
    ).stdout.split()
    assert streams == ["audio", "video"]  # the case: ffprobe calls the picture a video stream
    result = run_cli(
        "run",
        "--model",
        "tiny.en",
        "--no-diarize",
        "-q",
        "--media",
        "link",
        "--",
        str(recording),
        cwd=tmp_path,
    )
    assert result.code == 0 and not result.stderr.strip(), result.stderr
    (page,) = (tmp_path / "summaries").glob("episode-12-*/summary.html")
    html = page.read_text()
    assert '<audio id="media"' in html and "<video" not in html


def started_past_extraction(recording: Path, cwd: Path) -> tuple[subprocess.Popen, Path]:
    """``cli.py run`` on ``recording``, once its manifest records the extract stage (the run
    then transcribing), and that manifest."""
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "cli.py"), "run", str(recording), "-q"],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        found = list((cwd / "transcripts").glob("*/manifest.json"))
        if found and "extract" in json.loads(found[0].read_text() or "{}").get("stages", {}):
            return proc, found[0]
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("run ended before it could be interrupted")


def test_interrupted_run_resumes_from_the_last_finished_stage(tmp_path, demo_files):
    """SIGKILL during transcription; the re-run skips extraction and leaves no temp files."""
    recording = tmp_path / demo_files.recording.name
    shutil.copyfile(demo_files.recording, recording)
    proc, manifest = started_past_extraction(recording, tmp_path)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    first = json.loads(manifest.read_text())["stages"]
    assert "transcribe" not in first and not (manifest.parent / "transcript.json").exists()

    result = run_cli("run", str(recording), "-q", cwd=tmp_path)
    assert result.code == 0, result.stderr
    stages = json.loads(manifest.read_text())["stages"]
    assert stages["extract"] == first["extract"]  # not redone
    assert {"transcribe", "export"} <= set(stages)
    leftovers = [p for p in files_under(tmp_path / "transcripts") if p.name.endswith(".tmp")]
    assert leftovers == []


def test_a_run_stopped_by_sigterm_unwinds_and_says_so(tmp_path, demo_files):
    """SIGTERM — what systemd sends to stop a service, and `timeout` — during transcription:
    the run unwinds as Ctrl-C does (it had died at once, silently, exit -15): one line, exit
    143, no temporary file, the finished stage kept."""
    recording = tmp_path / demo_files.recording.name
    shutil.copyfile(demo_files.recording, recording)
    proc, manifest = started_past_extraction(recording, tmp_path)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 143, stderr
    assert stderr.strip().endswith(
        "stopped (SIGTERM) — finished stages are kept; run the same command again to resume"
    ), stderr
    assert "Traceback" not in stderr
    everything = files_under(tmp_path / "transcripts") + files_under(tmp_path / "summaries")
    assert [p for p in everything if p.name.endswith(".tmp")] == []
    assert "extract" in json.loads(manifest.read_text())["stages"]


def test_a_recording_moved_away_mid_run_is_said_not_read_around(tmp_path, demo_files):
    """The recording moved away while it is transcribed: the slides stage, which reads its
    video, stops with one line (exit 1) — it had timed the slides from speech alone without a
    word, and kept them so once the file was back. Put back, the run finishes from where it
    stopped, the slides timed from the video."""
    for made in (demo_files.recording, demo_files.sidecar, demo_files.deck):
        assert made is not None
        shutil.copyfile(made, tmp_path / made.name)
    recording = tmp_path / demo_files.recording.name
    proc, manifest = started_past_extraction(recording, tmp_path)
    recording.rename(tmp_path / "moved.mp4")
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 1, stderr
    assert stderr.strip() == (
        f"error: {recording}: the recording is gone (moved or deleted while it was being "
        "processed) — put it back and run again (finished stages are kept)"
    )
    assert "slides" not in json.loads(manifest.read_text())["stages"]
    (tmp_path / "moved.mp4").rename(recording)
    again = run_cli("run", str(recording), "-q", cwd=tmp_path)
    assert again.code == 0, again.stderr
    stages = json.loads(manifest.read_text())["stages"]
    assert stages["slides"]["from_video"] and stages["transcribe"]["status"] == "done"


def test_unknown_engine_is_a_usage_error(tmp_path, short_clip):
    result = run_cli("run", str(short_clip), "--engine", "nope", cwd=tmp_path)
    assert (
        result.code == 2
        and "unknown engine 'nope'" in result.stderr
        and "Traceback" not in result.stderr
    )


@pytest.mark.parametrize("engine", ["faster-whisper", "openai-whisper"])
def test_a_language_whisper_does_not_know_is_a_usage_error(tmp_path, short_clip, engine):
    """`--language xx` (or `language: xx` in the sidecar): one line naming the language and
    what to use, exit 2, no transcript — before, exit 1 with the engine's message telling the
    user to check the model name and rebuild its cache."""
    recording = tmp_path / "talk.wav"
    shutil.copyfile(short_clip, recording)
    result = run_cli(
        "run", "-q", "--engine", engine, "--language", "xx", str(recording), cwd=tmp_path
    )
    line = result.stderr.strip()
    assert result.code == 2 and len(line.splitlines()) == 1 and "Traceback" not in line
    assert "language 'xx'" in line and "auto" in line and "model name" not in line
    assert not list((tmp_path / "transcripts").rglob("transcript.json"))
    (tmp_path / "talk.event.yaml").write_text("title: t\nlanguage: xx\n")
    sidecar = run_cli("run", "--engine", engine, str(recording), cwd=tmp_path)
    assert sidecar.code == 2 and "language 'xx'" in sidecar.stderr


def test_a_language_given_by_its_name_is_transcribed_in_it(tmp_path, short_clip):
    """`--language Deutsch` is German (before: refused as the unknown language 'deutsch')."""
    recording = tmp_path / "talk.wav"
    shutil.copyfile(short_clip, recording)
    result = run_cli(
        "run", "-q", "--no-diarize", "--language", "Deutsch", str(recording), cwd=tmp_path
    )
    assert result.code == 0, result.stderr
    (transcript,) = (tmp_path / "transcripts").rglob("transcript.json")
    assert json.loads(transcript.read_text())["language"] == "de"


def test_demo_generator_writes_consistent_truth(tmp_path):
    files = demo.make_webinar(tmp_path, script=demo.SCRIPT[:2])
    rttm = files.rttm.read_text().splitlines()
    assert [ln.split()[7] for ln in rttm] == ["marek", "glenda"]
    assert all(float(ln.split()[4]) > 1.0 for ln in rttm)


def test_a_replaced_file_says_its_earlier_version_stays_apart(tmp_path, short_clip):
    """A recording exported again under the same name (trimmed, re-encoded) is new content with
    a new id: the earlier one's outputs and review edits stay under its own id. The new
    version's first run says so, once (before: nothing, and the index showed both), with the
    command that removes the earlier one — which, run, leaves no trace of it but the recording."""
    recording = tmp_path / "talk.wav"
    shutil.copyfile(short_clip, recording)
    args = ("run", str(recording), "--no-diarize", "--model", "tiny.en", "-q")
    first = run_cli(*args, cwd=tmp_path)
    assert (first.code, first.stderr) == (0, "")
    (old,) = [p.name for p in (tmp_path / "transcripts").iterdir() if p.is_dir()]
    ffmpeg("-i", str(short_clip), "-t", "6", str(tmp_path / "trimmed.wav"))
    (tmp_path / "trimmed.wav").replace(recording)
    second = run_cli(*args, cwd=tmp_path)
    assert second.code == 0 and len(second.stderr.splitlines()) == 1, second.stderr
    said = " ".join(second.stderr.split())
    assert said.startswith("warning: ") and f"held another recording before ({old})" in said
    assert "review edits are not carried over" in said
    assert f"then `cli.py remove {old}` removes them" in said
    again = run_cli(*args, cwd=tmp_path)  # said once: the new version is now finished
    assert (again.code, again.stderr) == (0, "")
    # as told: asked without a terminal, nothing goes; with --yes, every trace of it
    review = tmp_path / "summaries" / old / "review.yaml"
    review.write_text(review.read_text() + "speakers:\n  S1: Marek Przeor\n")
    index = tmp_path / "summaries" / "index.html"
    assert old in index.read_text()
    asked = run_cli("remove", old, cwd=tmp_path)
    assert asked.code == 2 and "nothing removed: asked without a terminal to confirm" in (
        " ".join(asked.stderr.split())
    )
    assert (tmp_path / "transcripts" / old).is_dir() and review.is_file()
    with FileLock(str(tmp_path / "transcripts" / old / ".lock")):  # a run processing it
        busy = run_cli("remove", old, "--yes", cwd=tmp_path)
    assert busy.code == 1 and "being processed by a run" in busy.stderr
    assert (tmp_path / "summaries" / old).is_dir()
    removed = run_cli("remove", old, "--yes", cwd=tmp_path)
    assert removed.code == 0, removed.stderr
    assert f"summaries/{old}/review.yaml holds a reviewer's corrections, which go with it" in (
        " ".join(removed.stderr.split())
    )
    assert not (tmp_path / "transcripts" / old).exists()
    assert not (tmp_path / "summaries" / old).exists()
    assert old not in index.read_text()
    rows = json.loads(run_cli("status", "--json", cwd=tmp_path).stdout)
    assert len(rows) == 1 and rows[0]["id"] != old  # the new version alone
    assert recording.is_file()  # the recording itself is never touched
    unknown = run_cli("remove", "../" + old, "--yes", cwd=tmp_path)
    assert unknown.code == 2 and f"no processed recording '../{old}'" in unknown.stderr
