"""Sentences that restate another of the same speaker in nearly the same words — a recap, a
slide read out again, a question asked twice: the summary shows one of them."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

from ..core.types import SentenceTopic

# rapidfuzz ratio (0–100, case and punctuation ignored) from which a sentence restates another
# (set a priori: restatements in the generated 60-min webinar's recaps, as Whisper heard them
# each time, score 95–96; two different sentences sharing "40 percent" or "30% … 2019" 63–71)
RESTATED = 85
# a sentence of at least this many words can be said again inside a longer one (Whisper splits
# a sentence said again in other places); shorter fragments ("One more", "resilience.") are
# inside many sentences by chance
INSIDE_WORDS = 4
# a sentence the same voice starts again, in whole, at the head of one of its next this many
# sentences (no other voice between) was begun again to say more: "What's the username? The
# username. What's the username and password?" (an AMI meeting) asks one question
RESTART_WITHIN = 2


def restates(earlier: str, later: str) -> bool:
    """``later`` says ``earlier`` again in nearly the same words."""
    from rapidfuzz import fuzz, utils

    return fuzz.ratio(earlier, later, processor=utils.default_process) >= RESTATED


def title_cased(text: str) -> bool:
    """Whisper wrote the sentence in title case ("Good Question, Digital Europe Programme Support
    Skills Training"), as it does for a whole window at times: at least three of the words of four
    letters or more after the first, and at least 60 % of them, begin with a capital."""
    words = [w for w in re.findall(r"[^\W\d_]+", text)[1:] if len(w) >= 4]
    capitals = sum(w[0].isupper() for w in words)
    return capitals >= 3 and capitals >= 0.6 * len(words)


def restatements(items: Sequence[SentenceTopic], unclear: np.ndarray) -> np.ndarray:
    """Per sentence, whether it restates another sentence of the same speaker that stands for
    both: the clearly heard one (``unclear``: heard poorly), else one not ``title_cased``, else
    the earlier. A sentence said again inside a longer one (``inside``) restates it, unless
    that one was heard less well; one begun again to say more (``restarted``) restates that."""
    from rapidfuzz import fuzz

    out = restarted(items)
    by_speaker: dict[str | None, list[int]] = {}
    for i, it in enumerate(items):
        by_speaker.setdefault(it.sentence.speaker, []).append(i)
    for idx in by_speaker.values():
        texts = [items[i].sentence.text for i in idx]
        close = _alike(texts, fuzz.ratio)
        cased = [title_cased(t) for t in texts]
        rank = [(bool(unclear[i]), c) for i, c in zip(idx, cased, strict=True)]
        within = inside(texts, close)
        standing: list[int] = []  # positions in idx, clearly heard ones first, each in time order
        for j in sorted(range(len(idx)), key=lambda j: (*rank[j], j)):
            if close[j, standing].any() or any(rank[k] <= rank[j] for k in within[j]):
                out[idx[j]] = True
            else:
                standing.append(j)
    return out


def restarted(items: Sequence[SentenceTopic]) -> np.ndarray:
    """Per sentence, whether its speaker says it again, whole (case and punctuation ignored), at
    the head of a longer sentence among their next ``RESTART_WITHIN`` sentences, no other voice
    between."""
    from rapidfuzz import utils

    words = [utils.default_process(it.sentence.text).split() for it in items]
    out = np.zeros(len(items), bool)
    for i, it in enumerate(items):
        for k in range(i + 1, min(i + 1 + RESTART_WITHIN, len(items))):
            if items[k].sentence.speaker != it.sentence.speaker:
                break
            if len(words[k]) > len(words[i]) > 0 and words[k][: len(words[i])] == words[i]:
                out[i] = True
                break
    return out


def inside(texts: Sequence[str], close: np.ndarray) -> list[list[int]]:
    """Per text, the longer ones that say it again inside them and say more (rapidfuzz partial
    ratio ≥ ``RESTATED``, case and punctuation ignored, where the two are not ``close`` as
    wholes; only texts of ``INSIDE_WORDS`` words or more)."""
    from rapidfuzz import fuzz, utils

    partial = _alike(texts, fuzz.partial_ratio)
    size = [len(utils.default_process(t)) for t in texts]
    return [
        [
            k
            for k in np.flatnonzero(partial[j]).tolist()
            if size[k] > size[j] and not close[j, k] and len(texts[j].split()) >= INSIDE_WORDS
        ]
        for j in range(len(texts))
    ]


def _alike(texts: Sequence[str], scorer: Callable[..., float]) -> np.ndarray:
    """Which pairs of ``texts`` ``scorer`` (a rapidfuzz scorer, case and punctuation ignored)
    finds ≥ ``RESTATED`` alike: non-zero where they are."""
    from rapidfuzz import process, utils

    return process.cdist(
        texts,
        texts,
        scorer=scorer,
        processor=utils.default_process,
        score_cutoff=RESTATED,
        dtype=np.uint8,
    )
