"""Shared bits of the benchmarks: results.md sections, peak memory, machine description."""

from __future__ import annotations

import os
import platform
import re
import resource
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results.md"
SHARED_DATA = ROOT.parent / "shared" / "data"


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}"


def write_section(name: str, body: str) -> None:
    """Replace (or add) the ``## name`` section of bench/results.md."""
    from pipeline.core.store import atomic_write

    text = (
        RESULTS.read_text(encoding="utf-8")
        if RESULTS.exists()
        else "# Benchmark results\n\nWritten by the scripts in bench/; run by hand.\n"
    )
    section = f"<!-- {name} -->\n## {name}\n\n{body.strip()}\n<!-- /{name} -->\n"
    pattern = re.compile(rf"<!-- {re.escape(name)} -->.*?<!-- /{re.escape(name)} -->\n", re.S)
    text = (
        pattern.sub(lambda _m: section, text)
        if pattern.search(text)
        else text.rstrip() + "\n\n" + section
    )
    atomic_write(RESULTS, text)
