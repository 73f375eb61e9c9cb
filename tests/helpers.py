"""Test helpers: the real CLI in a subprocess, ground truth readers."""

from __future__ import annotations

import contextlib
import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from pipeline.service.runner import RunResult
from pipeline.tools import demo
from pipeline.tools.evaluate import topic_agreement, wer

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


@contextlib.contextmanager
def mounted(target: Path, *args: str) -> Iterator[None]:
    """``mount ARGS TARGET`` for the duration (the test is skipped where mounting is not
    allowed), then a lazy unmount."""
    target.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", *args, str(target)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount here ({done.stderr.decode().strip()})")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(target)], check=False)


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str


def run_python(script: str) -> str:
    """Standard output of ``script`` run by this interpreter in a fresh process, from the repo."""
    return subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout


def run_cli(*args: str, cwd: Path, timeout: float = 600, columns: int = 200) -> CliResult:
    """The real command line, in a subprocess, as a user would run it (in a terminal
    ``columns`` wide)."""
    proc = subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,  # no terminal to answer a question: as cron runs it
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "COLUMNS": str(columns)},
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def stage_status(stdout: str) -> dict[str, str]:
    """Each stage's "ran" / "up to date" from the table `run` prints."""
    status = {}
    for line in stdout.splitlines():
        cells = [c.strip() for c in line.strip("│┃ ").split("│")]
        if len(cells) == 3 and cells[1] in ("ran", "up to date"):
            status[cells[0]] = cells[1]
    return status


def truth(files: demo.DemoFiles) -> dict:
    return json.loads(files.truth.read_text(encoding="utf-8"))


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def check_translated_webinar(files: demo.DemoFiles, result: RunResult, language: str) -> None:
    """A generated webinar in ``language`` through the default pipeline: the transcript in the
    talk's language, speakers named from what they said, English by translation aligned to the
    original segments, themes, and a page with the words as said beside each point."""
    truth = json.loads(files.truth.read_text(encoding="utf-8"))
    transcript = result.transcript
    # the talk's language, detected (es, pl) or from the sidecar, and the transcript in it
    assert transcript.language == language
    assert wer(truth["script"], transcript.text, language) < 0.8
    exported = json.loads((result.out_dir / "transcript.json").read_text(encoding="utf-8"))
    assert exported["language"] == language
    # speakers named from what they said in their language (here 4 of 4; one spare for CPUs)
    speakers = json.loads((result.out_dir / "speakers.json").read_text(encoding="utf-8"))
    named = {s["name"] for s in speakers["speakers"] if s["name"]}
    listed = {p["name"] for p in truth["people"]}
    assert named <= listed and len(named) >= len(listed) - 1, named
    # English for the summary, by Whisper's translation, aligned to the original segments
    translation = json.loads((result.out_dir / "translation.json").read_text(encoding="utf-8"))
    assert translation["needed"] and translation["source"] == language
    english = " ".join(s["text"] for s in translation["segments"])
    assert len(english.split()) >= 0.4 * len(truth["script"].split())
    # no stretch of speech left untranslated: English words in every scripted turn but one
    middles = [(w["start"] + w["end"]) / 2 for s in translation["segments"] for w in s["words"]]
    turns = [t for t in truth["turns"] if t["end"] - t["start"] >= 3]
    bare = [t for t in turns if not any(t["start"] <= m <= t["end"] for m in middles)]
    assert len(bare) <= 1, bare
    topics = json.loads((result.summary_dir / "topics.json").read_text(encoding="utf-8"))
    assert f"translated from '{language}'" in topics["notes"][0]
    ids = {seg["id"] for seg in exported["segments"]}
    assert topics["sentences"] and {s["segment"] for s in topics["sentences"]} <= ids
    # the translation and the words as said (the themes' lexicons of the talk's language);
    # measured 0.55–0.88 (bench/asr.py), 0.35–0.82 on the translation alone
    assert topic_agreement(truth["turns"], topics["spans"]) >= 0.4
    # the page: English frame, English takeaways with the words as said beside them
    page = (result.summary_dir / "summary.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in page and f'<ol id="transcript" lang="{language}">' in page
    summary = json.loads((result.summary_dir / "summary.json").read_text(encoding="utf-8"))
    points = [p for group in summary["by_speaker"].values() for p in group]
    assert points and all(p.get("original") for p in points)
    originals = [seg["text"] for seg in exported["segments"]]
    assert all(any(p["original"] in said for said in originals) for p in points)
    # the abstract's points too, each with the words as said
    for paragraph in summary["abstract"].split("\n\n")[1:]:
        quoted = [q.split("”)")[0] for q in paragraph.split("(Original: “")[1:]]
        assert quoted and all(any(q in said for said in originals) for q in quoted), paragraph
    assert f'class="original" lang="{language}"' in page


def damage(path: Path, every: int = 50, seed: int = 7) -> None:
    """Overwrite four bytes in every ``every`` with noise (past the first and last 2 kB), as a
    failing disk or a broken download does: each hit is a packet the decoder rejects."""
    data = bytearray(path.read_bytes())
    rng = random.Random(seed)
    for pos in range(2000, len(data) - 2000, every):
        data[pos : pos + 4] = bytes(rng.randrange(256) for _ in range(4))
    path.write_bytes(data)


def own_tracks(files: demo.DemoFiles, folder: Path, joins: dict[str, float]) -> dict[str, Path]:
    """The demo's people's own tracks as Zoom keeps them: each person's turns of the recording's
    sound, the others' voices leaking in 30 dB lower, from when they joined (``joins``,
    seconds), AAC in ``audio<Name><number>.m4a``. {person's key: track}."""
    said = truth(files)
    decode = ["ffmpeg", "-v", "error", "-i", str(files.recording), "-ac", "1", "-ar", "16000"]
    sound = subprocess.run([*decode, "-f", "s16le", "pipe:1"], capture_output=True, check=True)
    mix = np.frombuffer(sound.stdout, np.int16)
    folder.mkdir(parents=True, exist_ok=True)
    made = {}
    for i, person in enumerate(said["people"]):
        own = mix.astype(np.float32) * 10 ** (-30 / 20)
        for turn in said["turns"]:
            if turn["speaker"] == person["key"]:
                a, b = int(turn["start"] * 16000), int(turn["end"] * 16000)
                own[a:b] = mix[a:b]
        raw = folder / f"{person['key']}.raw"
        kept = own[int(joins.get(person["key"], 0.0) * 16000) :]
        raw.write_bytes(kept.round().astype(np.int16).tobytes())
        track = folder / f"audio{person['name'].replace(' ', '')}{2171576540 + i}.m4a"
        encode = [
            "ffmpeg",
            "-v",
            "error",
            "-f",
            "s16le",
            "-ar",
            "16000",
            "-ac",
            "1",
            "-i",
            str(raw),
        ]
        subprocess.run([*encode, "-c:a", "aac", "-b:a", "48k", str(track)], check=True)
        raw.unlink()
        made[person["key"]] = track
    return made
