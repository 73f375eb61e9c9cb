"""Hostile input, one row per case: every row ends in one clear line (what, which file, what to
do) and a non-zero exit when it is an error, or in complete outputs when it is not — never a
traceback, a partial output file, or damage to anything else in the folder."""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from pipeline.models import weights as models
from pipeline.tools import demo
from tests.helpers import ROOT, mounted, run_cli, run_python

PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(2)>"


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args], check=True)


@dataclass
class Case:
    """Build the input in ``work`` and return the CLI arguments; ``code`` is the expected exit."""

    make: Callable[[Path, Path], list[str]]
    code: int
    says: str = ""  # a phrase the error line (or, at exit 0, the one warning line) must contain
    mount: str = ""  # mount a tmpfs over <work>/out with these options first


def speech(work: Path, clip: Path, name: str = "talk.wav") -> Path:
    target = work / name
    shutil.copy(clip, target)
    return target


def sidecar(work: Path, clip: Path, text: str) -> list[str]:
    audio = speech(work, clip)
    (work / "talk.event.yaml").write_text(text)
    return [str(audio)]


def _zero(work: Path, clip: Path) -> list[str]:
    (work / "empty.mp4").write_bytes(b"")
    return [str(work / "empty.mp4")]


def _text_as_mp4(work: Path, clip: Path) -> list[str]:
    (work / "notes.mp4").write_text("meeting notes, not a video\n" * 50)
    return [str(work / "notes.mp4")]


def _truncated(suffix: str, codec: list[str]) -> Callable[[Path, Path], list[str]]:
    def make(work: Path, clip: Path) -> list[str]:
        full = work / f"full{suffix}"
        ffmpeg("-i", str(clip), *codec, str(full))
        cut = work / f"cut{suffix}"
        cut.write_bytes(full.read_bytes()[: full.stat().st_size // 3])
        return [str(cut)]

    return make


def _video_only(work: Path, clip: Path) -> list[str]:
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "color=c=blue:s=320x240:r=5",
        "-t",
        "3",
        "-c:v",
        "libx264",
        str(work / "silent-film.mp4"),
    )
    return [str(work / "silent-film.mp4")]


def _convert(name: str, *options: str) -> Callable[[Path, Path], list[str]]:
    def make(work: Path, clip: Path) -> list[str]:
        ffmpeg("-i", str(clip), *options, str(work / name))
        return [str(work / name)]

    return make


def _generated(
    name: str, source: str, seconds: float, *options: str
) -> Callable[[Path, Path], list[str]]:
    def make(work: Path, clip: Path) -> list[str]:
        ffmpeg("-f", "lavfi", "-i", source, "-t", str(seconds), *options, str(work / name))
        return [str(work / name)]

    return make


def _looped(name: str, piece: Callable[[Path, Path], list[str]], times: int):
    """``piece`` played ``times`` times over, stream-copied (a long file without encoding it)."""

    def make(work: Path, clip: Path) -> list[str]:
        (source,) = piece(work, clip)
        ffmpeg("-stream_loop", str(times - 1), "-i", source, "-c", "copy", str(work / name))
        Path(source).unlink()
        return [str(work / name)]

    return make


def _odd_name(work: Path, clip: Path) -> list[str]:
    target = speech(work, clip, "-Talk 'quoted' \"twice\" – Zürich 東京 #1.wav")
    return ["--", str(target.name)]


def _longest_name(work: Path, clip: Path) -> list[str]:
    """A name of 255 bytes, the usual file system limit (a long title in a non-Latin script):
    its sidecar's name would be over the limit, which is no sidecar, not an error."""
    name = "Ä" * 124 + " ta.wav"  # 2 bytes each in UTF-8: 248 + 7
    assert len(name.encode()) == 255
    return [str(speech(work, clip, name))]


def _locked_pdf(work: Path, clip: Path) -> list[str]:
    from reportlab.lib.pdfencrypt import StandardEncryption
    from reportlab.pdfgen import canvas

    deck = canvas.Canvas(str(work / "deck.pdf"), encrypt=StandardEncryption("secret"))
    deck.drawString(100, 700, "Green transition")
    deck.showPage()
    deck.save()
    return [str(speech(work, clip)), "--slides", str(work / "deck.pdf")]


def _not_pdf(work: Path, clip: Path) -> list[str]:
    (work / "deck.pdf").write_text("slides, honestly")
    return [str(speech(work, clip)), "--slides", str(work / "deck.pdf")]


def _corrupt_model(work: Path, clip: Path) -> list[str]:
    model = work / "my-model"
    shutil.copytree(models.assemble("tiny.en"), model)
    with (model / "model.bin").open("r+b") as f:
        f.truncate(1000)
    return [str(speech(work, clip)), "--model", str(model)]


def _read_only(work: Path, clip: Path) -> list[str]:
    return [str(speech(work, clip)), "--out", str(work / "out")]


def _hidden_txt_sidecar(work: Path, clip: Path) -> list[str]:
    """The sidecar as Notepad saves it where extensions are hidden: ``talk.event.yaml.txt``."""
    (work / "talk.event.yaml.txt").write_text("title: Notepad's sidecar\n")
    return [str(speech(work, clip))]


def _full_summaries(work: Path, clip: Path) -> list[str]:
    return [str(speech(work, clip)), "--out", str(work / "t"), "--summaries", str(work / "out")]


def _full_disk(work: Path, clip: Path) -> list[str]:
    long = work / "long.wav"
    ffmpeg("-i", str(clip), "-af", "apad=pad_dur=30", str(long))
    return [str(long), "--out", str(work / "out")]


NOTHING = "no words were recognised"
CASES = {
    "zero-byte file": Case(_zero, 1, "empty"),
    "text renamed .mp4": Case(_text_as_mp4, 1, "not a readable media file"),
    "truncated mp4": Case(_truncated(".mp4", ["-c:a", "aac"]), 1, "not a readable media file"),
    "truncated mp3 (plays up to the cut)": Case(
        _truncated(".mp3", ["-c:a", "libmp3lame"]), 0, "looks truncated"
    ),
    "video without audio": Case(_video_only, 1, "no audio stream"),
    "WebM written live, no duration in its header": Case(  # a browser's MediaRecorder, OBS
        _convert("live.webm", "-c:a", "libopus", "-f", "webm", "-live", "1"), 0
    ),
    "6-channel audio": Case(
        _convert("surround.wav", "-af", "pan=5.1|FL=c0|FR=c0|FC=c0|LFE=c0|BL=c0|BR=c0"), 0
    ),
    "stereo whose channels cancel out (one inverted)": Case(  # a wiring or microphone fault
        _convert("inverted.wav", "-af", "pan=stereo|c0=c0|c1=-1*c0"), 0, "channels cancel"
    ),
    "8 kHz telephone audio": Case(_convert("phone.wav", "-ar", "8000", "-c:a", "pcm_mulaw"), 0),
    "96 kHz audio": Case(_convert("hires.flac", "-ar", "96000"), 0),
    "0.2 s clip": Case(_generated("blip.wav", "sine=f=440:r=16000", 0.2), 0, NOTHING),
    "10 minutes of silence": Case(
        _generated("silence.m4a", "anullsrc=r=16000:cl=mono", 600, "-c:a", "aac", "-b:a", "16k"),
        0,
        "the audio is silent",
    ),
    "music only": Case(
        _generated("music.mp3", "sine=f=262:r=22050,volume=0.3,aecho=0.8:0.9:500:0.3", 20),
        0,
        NOTHING,
    ),
    "clipped, very loud": Case(
        _convert("loud.wav", "-af", "volume=30dB,alimiter=limit=1:level=false"), 0
    ),
    "3-hour file": Case(
        _looped(
            "three-hours.opus",
            _generated("ten.opus", "anullsrc=r=8000:cl=mono", 600, "-c:a", "libopus", "-b:a", "6k"),
            18,
        ),
        0,
        "the audio is silent",
    ),
    "spaces, quotes, unicode, leading dash": Case(_odd_name, 0),
    "a name of 255 bytes": Case(_longest_name, 0),
    "sidecar slides path with ../": Case(
        lambda w, c: sidecar(w, c, "slides: ../../etc/passwd\n"), 2, "outside the sidecar"
    ),
    "sidecar with wrong types": Case(
        lambda w, c: sidecar(w, c, "date: yesterday\nspeakers: 3\n"), 2, "invalid event sidecar"
    ),
    "sidecar with a date the calendar lacks": Case(  # YAML's own loader raised a ValueError
        lambda w, c: sidecar(w, c, "date: 2024-02-30\n"),
        2,
        "'2024-02-30' is no day of the calendar",
    ),
    "sidecar with unknown fields": Case(
        lambda w, c: sidecar(w, c, "title: T\nsildes: x.pdf\n"), 2, "unknown field 'sildes'"
    ),
    "HTML/JS in every sidecar field": Case(
        lambda w, c: sidecar(
            w,
            c,
            json.dumps(
                {
                    "title": PAYLOAD,
                    "speakers": [{"name": PAYLOAD, "role": PAYLOAD, "org": PAYLOAD}],
                    "vocabulary": [PAYLOAD],
                }
            ),
        ),
        0,
    ),
    "slides that are not a PDF": Case(_not_pdf, 2, "not a PDF"),
    "a password-protected deck": Case(_locked_pdf, 1, "password-protected"),
    "a folder instead of a file": Case(
        lambda w, c: [str(w)], 1, "not a file — give the path of a recording (for a folder of them"
    ),
    "a file that does not exist": Case(lambda w, c: [str(w / "missing.mp4")], 1, "not found"),
    "read-only output folder": Case(_read_only, 2, "output folder", mount="ro,size=1m"),
    "full disk": Case(_full_disk, 1, "disk", mount="size=300k"),
    "disk full while ffmpeg writes the audio": Case(
        _full_disk, 1, "disk is full", mount="size=700k"
    ),
    "a sidecar saved as talk.event.yaml.txt": Case(
        _hidden_txt_sidecar, 0, "talk.event.yaml.txt looks like one — name it talk.event.yaml"
    ),
    "disk full while ffmpeg writes the page's audio": Case(
        _full_summaries, 1, "disk is full", mount="size=24k"
    ),
    "model folder with a corrupt model.bin": Case(_corrupt_model, 1, "model"),
}


def told_duration(path: Path) -> str:
    """The duration ``path``'s container header tells, as ffprobe prints it ("N/A": none)."""
    command = ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0"]
    return subprocess.run([*command, str(path)], capture_output=True, text=True).stdout.strip()


def tree(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_input(name, tmp_path, short_clip):
    case = CASES[name]
    work = tmp_path / "work"
    work.mkdir()
    bystander = work / "keep" / "other-webinar.txt"
    bystander.parent.mkdir()
    bystander.write_text("someone else's work\n")
    tmpfs = ("-t", "tmpfs", "-o", case.mount, "tmpfs")
    with mounted(work / "out", *tmpfs) if case.mount else contextlib.nullcontext():
        args = case.make(work, short_clip)
        before = tree(work / "keep")
        extra = [] if "--model" in args else ["--model", "tiny.en"]
        result = run_cli("run", "--no-diarize", "-q", *extra, *args, cwd=work, timeout=900)
        assert "Traceback" not in result.stderr + result.stdout
        assert result.code == case.code, result.stderr
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        if case.code:
            assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
            assert case.says in lines[0], lines[0]
            assert " — " in lines[0]  # … what to do
        elif case.says:  # processed, with the one doubt that a user must hear of
            assert len(lines) == 1 and lines[0].startswith("warning:"), result.stderr
            assert case.says in lines[0] and " — " in lines[0], lines[0]
        else:
            assert lines == [], result.stderr
        if case.code == 2:  # refused before any work: no reviewer file, no summary folder
            assert not list(work.rglob("review.yaml"))
        leftovers = [p for p in work.rglob("*") if p.name.endswith(".tmp")]
        assert leftovers == []
        if name == "disk full while ffmpeg writes the page's audio":  # no torn rendition kept
            assert not list(work.rglob("recording.opus"))
            assert f"error: {work / 'out'}/" in lines[0]  # which disk: the summary's folder
        for transcript in work.rglob("transcript.json"):
            json.loads(transcript.read_text())  # complete, never torn
        assert tree(work / "keep") == before
    if name == "3-hour file":  # all of it read, none of it heard as words
        transcript = json.loads(next(work.rglob("transcript.json")).read_text())
        assert transcript["duration"] == pytest.approx(3 * 3600, abs=1)
        assert transcript["segments"] == []
    if name.startswith("WebM written live"):  # read to its end (it was "zero duration")
        assert told_duration(work / "live.webm") == "N/A"  # the case: the header tells none
        transcript = json.loads(next(work.rglob("transcript.json")).read_text())
        assert transcript["duration"] == pytest.approx(float(told_duration(short_clip)), abs=0.1)
        assert transcript["segments"]
    if name.startswith("stereo whose channels cancel"):  # heard, not called silent
        assert json.loads(next(work.rglob("transcript.json")).read_text())["segments"]
    if name == "HTML/JS in every sidecar field":
        html = next(work.rglob("summary.html")).read_text()
        assert "<script>alert" not in html and "&lt;script&gt;alert(1)" in html
        md = next(work.rglob("summary.md")).read_text()
        assert "<script>" not in md


def test_no_shell_strings_and_safe_yaml_everywhere():
    """ffmpeg and every other tool get argument lists; YAML is only ever read by the safe
    loader (``read_yaml``'s is one, with dates left as text)."""
    from pipeline.core.store import read_yaml

    with pytest.raises(yaml.constructor.ConstructorError):
        read_yaml("!!python/object/apply:os.system ['true']")
    sources = [*ROOT.glob("pipeline/**/*.py"), ROOT / "cli.py", *ROOT.glob("bench/*.py")]
    assert len(sources) > 30
    for path in sources:
        text = path.read_text()
        for banned in (
            "shell=True",
            "os.system(",
            "os.popen(",
            "yaml.load(",
            "yaml.unsafe_load",
            "pickle.load",
        ):
            assert banned not in text, f"{banned} in {path.name}"


def test_output_paths_never_escape_whatever_the_name(tmp_path, short_clip):
    from pipeline.core.store import Workspace, slugify

    for name in ("../../etc/passwd", "..", "/abs/path", "a/../../b", "-rf", "CON", "\x00evil", "…"):
        slug = slugify(name)
        assert slug and "/" not in slug and not slug.startswith((".", "-"))
        folder = Workspace(tmp_path / "t").transcript_dir(
            Workspace(tmp_path / "t").recording_id(Path(name), "ab" * 32)
        )
        assert folder.resolve().is_relative_to((tmp_path / "t").resolve())
    escape = run_cli("rerender", "../../etc", cwd=tmp_path)
    assert escape.code == 2


def test_rerun_of_a_finished_recording_loads_no_model(demo_run):
    """A finished recording re-run: every stage skipped, no model loaded."""
    script = f"""
import json
from pathlib import Path
from pipeline.core.config import Settings
from pipeline.service.runner import run
from pipeline.models import diarization, text, weights
from pipeline.stages import transcribe
result = run(Path({str(demo_run_recording(demo_run))!r}), Settings(transcripts_dir=Path({str(demo_run.out_dir.parent)!r}), summaries_dir=Path({str(demo_run.summary_dir.parent)!r})))
loaded = [f.__name__ for f in (weights.faster_whisper, transcribe._openai_model, diarization.segmenters, diarization.embedders, diarization.segmentation_checkpoint, text.spacy_pipeline, text.encoder, text.textrank) if f.cache_info().currsize]
print(json.dumps({{"loaded": loaded, "ran": [s.name for s in result.stages if s.ran]}}))
"""
    out = run_python(script)
    report = json.loads(out.strip().splitlines()[-1])
    assert report["ran"] == [] and report["loaded"] == []  # its time: bench/end_to_end.py


def demo_run_recording(demo_run) -> Path:
    manifest = json.loads((demo_run.out_dir / "manifest.json").read_text())
    return Path(manifest["run"]["recording"])


def test_demo_generator_handles_lines_outside_the_demo_script(tmp_path):
    extra = demo.Line("guest", "digital", "Is there a second question from the audience?")
    shown = demo.slide_times(
        [demo.SCRIPT[0], extra],
        [demo.Turn("marek", 0.5, 2.0, "other", ""), demo.Turn("guest", 2.7, 4.0, "digital", "")],
        5.0,
    )
    assert shown == [(0, 0.0, 5.0)]
