"""Test helpers: the real CLI in a subprocess, ground truth readers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from pipeline.tools import demo

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


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
