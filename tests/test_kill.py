"""SIGKILL at 20 random moments aimed across the stages: each re-run resumes, and the final outputs are
byte-identical to an uninterrupted run's, with no temporary file left behind."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.stages import STAGES
from pipeline.tools import demo
from tests.helpers import ROOT

STAGE_NAMES = [s.name for s in STAGES if s.name != "tracks"]  # no participant's tracks here
# where a kill lands: the stage the runner's own thread is in (a background stage, the media's
# encoding, is recorded only when waited for, and runs beside these)
IN_TURN = [s.name for s in STAGES if not s.background and s.name in STAGE_NAMES]

ARGS = ["--model", "tiny.en", "-q"]
DETERMINISTIC = (
    "asr.json",
    "diarization.json",
    "speakers.json",
    "transcript.json",
    "transcript.txt",
    "transcript.srt",
    "transcript.vtt",
    "speakers.rttm",
    "topics.json",
    "slides.json",
    "summary.json",
    "summary.md",
    "summary.html",
    "recording.opus",  # encoded bit-exact
)


def command(recording: Path) -> list[str]:
    return [sys.executable, str(ROOT / "cli.py"), "run", str(recording), *ARGS]


def outputs(work: Path) -> dict[str, bytes]:
    found = {}
    for path in sorted(work.rglob("*")):
        if path.name in DETERMINISTIC:
            found[path.name] = path.read_bytes()
    return found


def stages_done(work: Path) -> dict:
    manifests = list(work.glob("transcripts/*/manifest.json"))
    return json.loads(manifests[0].read_text())["stages"] if manifests else {}


def current_stage(work: Path) -> str:
    """The first stage the manifest does not list as done (where a kill lands)."""
    done = stages_done(work)
    return next((name for name in IN_TURN if name not in done), "finished")


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    files = demo.make_webinar(
        tmp_path_factory.mktemp("kill"), name="kill me", script=demo.SCRIPT[:4], slides=True
    )
    return files.recording


def wait_for(work: Path, stage: str, proc: subprocess.Popen) -> None:
    """Block until every stage before ``stage`` is done (or the run has ended). A run whose
    stages were all done before it started is "finished" at once, while its process still lives."""
    order = [*IN_TURN, "finished"]
    while proc.poll() is None and order.index(current_stage(work)) < order.index(stage):
        time.sleep(0.02)


def test_sigkill_at_random_moments_then_resume_gives_identical_outputs(recording, tmp_path):
    reference = tmp_path / "reference"
    reference.mkdir()
    subprocess.run(command(recording), cwd=reference, check=True)
    expected = outputs(reference)
    cost = {name: entry["seconds"] for name, entry in stages_done(reference).items()}
    started = time.monotonic()  # a finished recording re-run: imports and probing, no stage
    subprocess.run(command(recording), cwd=reference, check=True)
    startup = time.monotonic() - started
    assert set(expected) == set(DETERMINISTIC)
    assert set(cost) == set(STAGE_NAMES)

    # Each kill is aimed at a stage (a random moment inside its measured run time), so the kills
    # spread over the pipeline however fast or slow this machine is.
    rng = random.Random(20261125)
    kills: list[str] = []
    for round_ in range(4):
        work = tmp_path / f"round{round_}"
        work.mkdir()
        for target in sorted(rng.sample(IN_TURN, 5), key=IN_TURN.index):
            ready = current_stage(work) == target  # earlier stages done: the run starts there
            proc = subprocess.Popen(command(recording), cwd=work, start_new_session=True)
            wait_for(work, target, proc)
            time.sleep((startup if ready else 0.0) + rng.uniform(0.1, 0.9) * cost[target])
            if proc.poll() is None:
                kills.append(current_stage(work))
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        finish = subprocess.run(command(recording), cwd=work, capture_output=True, text=True)
        assert finish.returncode == 0, finish.stderr
        assert outputs(work) == expected, f"round {round_}: outputs differ after kills"
        assert not [p for p in work.rglob("*") if p.name.endswith(".tmp")], "temp files left"
        shutil.rmtree(work)
    artifacts = ROOT / "tests" / "artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "kill-stages.json").write_text(json.dumps(kills))  # where the kills landed
    assert len(kills) >= 15, kills  # most aimed kills hit a running process
    assert len(set(kills) - {"finished"}) >= 5, kills  # and they landed across the pipeline
