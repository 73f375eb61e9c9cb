"""Batch throughput: 1 local worker vs 2 local workers vs a 2-worker Dask LocalCluster.

    .venv/bin/python bench/batch.py [--model base]

Six generated webinars (the demo script, each started at a different line) (espeak-ng voices, mp4), then each configuration runs
``cli.py batch`` in a fresh process on a fresh output folder, so model loading, worker start-up
and the whole pipeline are in the time. Results go to bench/results.md; the last line is
machine-readable: ``speedup_2_workers=<x> speedup_dask=<x>``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, machine, write_section

ROTATIONS = range(6)  # the demo script started at line i: six distinct ~2.3-min talks
CONFIGS = [
    ("1 worker (in process)", ["--workers", "1"]),
    ("2 local workers (process pool)", ["--workers", "2"]),
    ("Dask LocalCluster, 2 workers", ["--dask", "--workers", "2"]),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="base")
    args = parser.parse_args()
    from pipeline.core.probe import probe
    from pipeline.tools import demo

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "recordings"
        for i in ROTATIONS:
            script = [*demo.SCRIPT[i:], *demo.SCRIPT[:i]]
            demo.make_webinar(folder, name=f"webinar {i + 1}", script=script)
        audio = sum(probe(p).duration for p in sorted(folder.glob("*.mp4")))
        rows = []
        for label, extra in CONFIGS:
            work = Path(tmp) / label.split()[0]
            work.mkdir()
            started = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    str(ROOT / "cli.py"),
                    "batch",
                    str(folder),
                    "--model",
                    args.model,
                    "--quiet",
                    *extra,
                ],
                cwd=work,
                check=True,
            )
            seconds = time.perf_counter() - started
            lines = [
                json.loads(x)
                for x in (work / "transcripts" / "batch.jsonl").read_text().splitlines()
            ]
            done = len(
                {x["id"] for x in lines if x["stage"] == "summarize" and x["status"] == "ran"}
            )
            rows.append((label, seconds, done))
            print(f"{label}: {seconds:.1f} s, {done} recordings", flush=True)
    base = rows[0][1]
    table = [
        f"Run {dt.date.today()} on {machine()}: {len(ROTATIONS)} generated webinars, "
        f"{audio / 60:.1f} min of audio in all, model {args.model}, whole pipeline per recording, "
        "each configuration a fresh `cli.py batch` process (model loading and worker start-up included).",
        "",
        "| configuration | wall s | recordings | audio min per wall min | speed-up |",
        "|---|---|---|---|---|",
    ]
    table += [
        f"| {label} | {s:.1f} | {n} | {audio / s:.2f} | {base / s:.2f}× |" for label, s, n in rows
    ]
    write_section("Batch", "\n".join(table))
    print("\n".join(table))
    print(f"speedup_2_workers={base / rows[1][1]:.2f} speedup_dask={base / rows[2][1]:.2f}")


if __name__ == "__main__":
    main()
