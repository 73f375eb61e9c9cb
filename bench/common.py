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
    """Cores, CPU model and its widest vector instructions (the speech recogniser's int8 kernels
    differ with them, and so do its words and its speed), Python version."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        info = ""
    fields = dict(re.findall(r"^(model name|flags)\s*:\s*(.*)$", info, re.M))
    flags = set(fields.get("flags", "").split())
    vector = next((f for f in ("avx512_vnni", "avx512f", "avx2", "avx") if f in flags), "")
    cpu = "; ".join(x for x in (platform.machine(), fields.get("model name", ""), vector) if x)
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
