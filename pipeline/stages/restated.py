"""Sentences that restate another of the same speaker in nearly the same words — a recap, a
slide read out again, a question asked twice: the summary shows one of them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..core.types import SentenceTopic

# rapidfuzz ratio (0–100, case and punctuation ignored) from which a sentence restates another
# (set a priori: restatements in the generated 60-min webinar's recaps, as Whisper heard them
# each time, score 95–96; two different sentences sharing "40 percent" or "30% … 2019" 63–71)
RESTATED = 85


def restates(earlier: str, later: str) -> bool:
    """``later`` says ``earlier`` again in nearly the same words."""
    from rapidfuzz import fuzz, utils

    return fuzz.ratio(earlier, later, processor=utils.default_process) >= RESTATED


def restatements(items: Sequence[SentenceTopic], unclear: np.ndarray) -> np.ndarray:
    """Per sentence, whether it restates another sentence of the same speaker that stands for
    both: the clearly heard one (``unclear``: heard poorly), else the earlier."""
    from rapidfuzz import fuzz, process, utils

    out = np.zeros(len(items), bool)
    by_speaker: dict[str | None, list[int]] = {}
    for i, it in enumerate(items):
        by_speaker.setdefault(it.sentence.speaker, []).append(i)
    for idx in by_speaker.values():
        texts = [items[i].sentence.text for i in idx]
        close = process.cdist(
            texts,
            texts,
            scorer=fuzz.ratio,
            processor=utils.default_process,
            score_cutoff=RESTATED,
            dtype=np.uint8,
        )
        standing: list[int] = []  # positions in idx, clearly heard ones first, each in time order
        for j in sorted(range(len(idx)), key=lambda j: (unclear[idx[j]], j)):
            if close[j, standing].any():
                out[idx[j]] = True
            else:
                standing.append(j)
    return out
