"""Scores against ground truth: word error rate the usual way (jiwer after openai-whisper's
English text normaliser), and topic agreement of spans with known topic turns."""

from __future__ import annotations

from functools import cache


@cache
def _normaliser():  # type: ignore[no-untyped-def]
    from whisper.normalizers import EnglishTextNormalizer

    return EnglishTextNormalizer()


def wer(reference: str, hypothesis: str) -> float:
    """WER of ``hypothesis`` against ``reference``, both normalised (numbers, spelling, case)."""
    import jiwer

    normalise = _normaliser()
    ref, hyp = normalise(reference), normalise(hypothesis)
    if not ref.strip():
        return 0.0 if not hyp.strip() else 1.0
    return float(jiwer.wer(ref, hyp))


def topic_agreement(turns: list[dict], spans: list[dict]) -> float:
    """Share of the turns' time (``start``, ``end``, ``topic``) lying inside a span of the same
    topic."""
    matched = sum(
        max(0.0, min(t["end"], s["end"]) - max(t["start"], s["start"]))
        for t in turns
        for s in spans
        if s["topic"] == t["topic"]
    )
    return matched / sum(t["end"] - t["start"] for t in turns)
