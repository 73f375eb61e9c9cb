"""Word error rate the usual way: jiwer after openai-whisper's English text normaliser."""

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
