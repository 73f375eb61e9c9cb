"""How well Whisper heard a sentence, against how much of it is wrong: the threshold under which
the summary takes a point only when nothing clearer is left (``SummarizeParams.well_heard``).

    .venv/bin/python bench/heard.py [--threshold 0.65]

Generated talks with known scripts (espeak-ng voices; the English demo webinar and the talks of
``pipeline/data/demo-<lang>.yaml``) go through the whole pipeline. For every sentence the summary
could take as a point (content, at least ``min_words`` words) it compares ``how_well_heard`` —
the mean probability Whisper gave its words — with the share of those words that are wrong
(aligned against the script of the turn they were said in, jiwer, whisper's basic normaliser).
The threshold is chosen on the **tune** talks (en, de, fr): the lowest that sets aside at least
90 % of their badly heard points (a point set aside is still taken when nothing clearer is left,
so catching misheard points weighs more than keeping every good one). It is reported on the
**report** talks (it, es, pl) and on a talk with its own script and voices (the seed-like
webinar of ``demo.SIMILAR_SCRIPT``, English). Real speech has no script here for most files, so for it the bench reports how
many sentences the threshold would set aside: LibriSpeech test-other readers, JFK + the Harvard
sentences, and the Lewin lecture (``../shared/data``, skipped when absent). Section "Heard" of
bench/results.md; the last line is ``aside_real=<share> caught=<bad set aside on report>``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
from pathlib import Path

import numpy as np
from common import SHARED_DATA, machine, write_section

TUNE, REPORT = ("en", "de", "fr"), ("it", "es", "pl", "similar")
THRESHOLDS = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75)
BAD, GOOD = 0.5, 0.2  # a sentence with at least half its words wrong / at most a fifth


def talk_rows(language: str, work: Path) -> list[tuple[float, float]]:
    """(how well heard, share of words wrong) of every sentence that could be a point."""
    import jiwer

    from pipeline.core.config import Settings
    from pipeline.core.types import Segment, TopicMap
    from pipeline.service.runner import run
    from pipeline.stages.summarize import SummarizeParams, how_well_heard, words_of
    from pipeline.tools import demo
    from pipeline.tools.evaluate import normaliser

    if language == "en":
        files = demo.make_webinar(work / "recordings", name="webinar-en")
    elif language == "similar":
        files = demo.make_webinar(
            work / "recordings", name="similar", script=demo.SIMILAR_SCRIPT, people=demo.SIMILAR
        )
    else:
        files = demo.make_talk(work / "recordings", language, f"webinar-{language}")
    result = run(files.recording, Settings(transcripts_dir=work / "t", summaries_dir=work / "s"))
    transcript = result.transcript
    topics = TopicMap.from_dict(json.loads((result.summary_dir / "topics.json").read_text()))
    normalise = normaliser("en" if language == "similar" else language)
    words = [w for seg in transcript.segments for w in seg.words]
    right: set[int] = set()  # id() of every word the script has
    for turn in json.loads(files.truth.read_text())["turns"]:
        inside = [
            w for w in words if turn["start"] - 0.5 <= (w.start + w.end) / 2 <= turn["end"] + 0.5
        ]
        said = [(id(w), token) for w in inside for token in normalise(w.word).split()]
        reference = normalise(turn["text"]).strip()
        if not said or not reference:
            continue
        aligned = jiwer.process_words(reference, " ".join(w for _, w in said))
        for chunk in aligned.alignments[0]:
            if chunk.type == "equal":
                right.update(said[j][0] for j in range(chunk.hyp_start_idx, chunk.hyp_end_idx))
    segments: dict[int, Segment] = {seg.id: seg for seg in transcript.segments}
    p = SummarizeParams()
    points = [
        it.sentence
        for it in topics.sentences
        if it.function == "content" and len(it.sentence.text.split()) >= p.min_words
    ]
    heard = how_well_heard(points, transcript.segments)
    rows = []
    for sentence, clear in zip(points, heard, strict=True):
        if inside := words_of(sentence, segments[sentence.segment].words):
            wrong = sum(id(w) not in right for w in inside) / len(inside)
            rows.append((float(clear), wrong))
    return rows


def real_speech() -> dict[str, list[float]]:
    """How well heard, per sentence of ≥ 6 words, of the real recordings (no scripts)."""
    from pipeline.core.probe import probe
    from pipeline.stages import extract
    from pipeline.stages.transcribe import TranscribeParams, transcribe

    sets: dict[str, list[Path]] = {}
    readers = SHARED_DATA / "voices" / "librispeech" / "test-other"
    if readers.is_dir():
        sets["LibriSpeech test-other (10 readers, 100 utterances)"] = sorted(
            readers.glob("*/*.flac")
        )
    asr = SHARED_DATA / "asr"
    if asr.is_dir():
        sets["JFK + Harvard sentences (8 kHz)"] = [
            asr / "jfk.flac",
            asr / "OSR_us_000_0034_8k.wav",
        ]
    lecture = SHARED_DATA / "media" / "lewin_physicsworks.webm"
    if lecture.exists():
        sets["Lewin lecture (203 s)"] = [lecture]
    out: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, files in sets.items():
            means = []
            for i, f in enumerate(files):
                wav = Path(tmp) / f"{i}.wav"
                extract.extract(probe(f), wav, extract.ExtractParams())
                transcript = transcribe(wav, TranscribeParams(language="en"))
                means += [
                    float(np.mean([w.probability for w in seg.words]))
                    for seg in transcript.segments
                    if len(seg.words) >= 6
                ]
            out[name] = means
    return out


def table(rows: list[tuple[float, float]]) -> list[str]:
    clear = np.array([r[0] for r in rows])
    wrong = np.array([r[1] for r in rows])
    bad, good = wrong >= BAD, wrong <= GOOD
    lines = []
    for t in THRESHOLDS:
        aside = clear < t
        kept = wrong[~aside].mean() if (~aside).any() else float("nan")
        lines.append(
            f"| {t:.2f} | {aside.sum()} of {len(rows)} | {(aside & bad).sum()} of {bad.sum()} | "
            f"{(aside & good).sum()} of {good.sum()} | {kept:.3f} (all: {wrong.mean():.3f}) |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threshold", type=float, default=0.6)
    args = parser.parse_args()
    found: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for language in (*TUNE, *REPORT):
            found[language] = talk_rows(language, Path(tmp) / language)
            print(language, len(found[language]), "sentences", flush=True)
    real = real_speech()
    head = [
        "| threshold | set aside | badly heard set aside (≥ half the words wrong) | "
        "well heard set aside (≤ a fifth wrong) | share of words wrong in the rest |",
        "|---|---|---|---|---|",
    ]
    body = [
        f"Run {dt.date.today()} on {machine()}. Sentences the summary could take as points "
        "(content, ≥ 6 words) of the generated talks, each through the whole pipeline.",
        "",
        f"**Tune** ({', '.join(TUNE)}: where the threshold is chosen)",
        "",
        *head,
        *table([r for lang in TUNE for r in found[lang]]),
        "",
        f"**Report** ({', '.join(REPORT[:3])})",
        "",
        *head,
        *table([r for lang in REPORT[:3] for r in found[lang]]),
        "",
        "**Report, a script and voices of its own** (the seed-like English webinar)",
        "",
        *head,
        *table(found["similar"]),
        "",
        f"**Real speech** (no script): sentences of ≥ 6 words under {args.threshold}",
        "",
        "| recordings | sentences | under the threshold | lowest |",
        "|---|---|---|---|",
        *(
            f"| {name} | {len(m)} | {sum(x < args.threshold for x in m)} | "
            f"{min(m, default=float('nan')):.2f} |"
            for name, m in real.items()
        ),
    ]
    write_section("Heard", "\n".join(body))
    print("\n".join(body))
    report = [r for lang in REPORT for r in found[lang]]
    caught = sum(1 for c, w in report if c < args.threshold and w >= BAD)
    everything = [x for m in real.values() for x in m]
    share = sum(x < args.threshold for x in everything) / max(1, len(everything))
    print(f"aside_real={share:.3f} caught={caught}/{sum(1 for _, w in report if w >= BAD)}")


if __name__ == "__main__":
    main()
