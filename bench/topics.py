"""Topic classification benchmark: per-class precision/recall/F1 and macro-F1 on labelled text.

    .venv/bin/python bench/topics.py [FILE]

FILE is JSONL with ``text`` and ``label`` per line (default
``../shared/data/topics/topics_eval.jsonl``: real policy paragraphs labelled by their source's
structure). Each text is classified on its own (no smoothing across neighbours: items are
independent). Results go to bench/results.md; the last line is ``macro_f1=<value>``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from pathlib import Path

from common import SHARED_DATA, machine, write_section


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "file", nargs="?", type=Path, default=SHARED_DATA / "topics" / "topics_eval.jsonl"
    )
    args = parser.parse_args()
    from sklearn.metrics import precision_recall_fscore_support

    from pipeline import topics

    rows = [
        json.loads(line)
        for line in args.file.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    config = topics.load_topic_config()
    started = time.perf_counter()
    scored = topics.score_texts([r["text"] for r in rows], config)
    predicted, _ = topics.decide(scored.scores, config)
    seconds = time.perf_counter() - started
    truth = [r["label"] for r in rows]
    labels = config.labels
    p, r, f, n = precision_recall_fscore_support(truth, predicted, labels=labels, zero_division=0)
    macro = float(sum(f) / len(f))
    lines = [
        f"Run {dt.date.today()} on {machine()}: {len(rows)} texts from {args.file.name}, "
        f"{seconds:.1f} s (spaCy + MiniLM, models loaded).",
        "",
        "| class | precision | recall | F1 | n |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {lab} | {p[i]:.3f} | {r[i]:.3f} | {f[i]:.3f} | {n[i]} |" for i, lab in enumerate(labels)
    ]
    lines.append(
        f"| **macro** | {sum(p) / len(p):.3f} | {sum(r) / len(r):.3f} | **{macro:.3f}** | {len(rows)} |"
    )
    write_section("Topics", "\n".join(lines))
    print("\n".join(lines))
    print(f"macro_f1={macro:.3f}")


if __name__ == "__main__":
    main()
