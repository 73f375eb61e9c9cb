"""Topic classification benchmark: per-class precision/recall/F1 and macro-F1 on labelled text.

    .venv/bin/python bench/topics.py [FILE]

FILE is JSONL with ``text`` and ``label`` per line (default
``../shared/data/topics/topics_eval.jsonl``: real policy paragraphs labelled by their source's
structure). Two readings:
- independent: each text classified on its own;
- in context (when lines carry ``source``): the topics stage's own neighbour smoothing
  (``topics.SMOOTHING``, the kernel it applies to a talk's sentences) over consecutive texts of the
  same source document, never across documents.
Results go to bench/results.md; the last line is ``macro_f1=<in context> independent=<value>``
(only ``macro_f1=<independent>`` when there is no ``source``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from pathlib import Path

import numpy as np
from common import SHARED_DATA, machine, write_section


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "file", nargs="?", type=Path, default=SHARED_DATA / "topics" / "topics_eval.jsonl"
    )
    args = parser.parse_args()
    from pipeline.stages import topics

    rows = [
        json.loads(line)
        for line in args.file.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    config = topics.load_topic_config()
    started = time.perf_counter()
    scored = topics.score_texts([r["text"] for r in rows], config)
    seconds = time.perf_counter() - started
    truth = [r["label"] for r in rows]
    readings = {"independent": scored.scores}
    if all("source" in r for r in rows):
        readings["in context"] = in_context(scored.scores, [r["source"] for r in rows])
    lines = [
        f"Run {dt.date.today()} on {machine()}: {len(rows)} texts from {args.file.name}, "
        f"{seconds:.1f} s (spaCy + MiniLM, models loaded). In context: the stage's neighbour "
        f"smoothing {list(topics.SMOOTHING)} over consecutive texts of one source document.",
    ]
    macro = {}
    for name, scores in readings.items():
        predicted, _ = topics.decide(scores, config)
        table, macro[name] = report(truth, predicted, config.labels)
        lines += ["", f"**{name}**", "", *table]
    write_section("Topics", "\n".join(lines))
    print("\n".join(lines))
    if "in context" in macro:
        print(f"macro_f1={macro['in context']:.3f} independent={macro['independent']:.3f}")
    else:
        print(f"macro_f1={macro['independent']:.3f}")


def in_context(scores: np.ndarray, sources: list[str]) -> np.ndarray:
    """The stage's smoothing applied within each run of consecutive texts from one source."""
    from pipeline.stages.topics import smooth

    out = scores.copy()
    start = 0
    for end in range(1, len(sources) + 1):
        if end == len(sources) or sources[end] != sources[start]:
            out[start:end] = smooth(scores[start:end])
            start = end
    return out


def report(truth: list[str], predicted: list[str], labels: list[str]) -> tuple[list[str], float]:
    """Per-class precision/recall/F1 rows (Markdown) and the macro-F1."""
    from sklearn.metrics import precision_recall_fscore_support

    p, r, f, n = precision_recall_fscore_support(truth, predicted, labels=labels, zero_division=0)
    macro = float(sum(f) / len(f))
    rows = ["| class | precision | recall | F1 | n |", "|---|---|---|---|---|"]
    rows += [
        f"| {lab} | {p[i]:.3f} | {r[i]:.3f} | {f[i]:.3f} | {n[i]} |" for i, lab in enumerate(labels)
    ]
    rows.append(
        f"| **macro** | {sum(p) / len(p):.3f} | {sum(r) / len(r):.3f} | **{macro:.3f}** | {len(truth)} |"
    )
    return rows, macro


if __name__ == "__main__":
    main()
