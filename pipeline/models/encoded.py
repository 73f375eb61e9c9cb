"""Whisper's encoder outputs, kept from the transcription for the translation of the same talk.

Both read the recording in the same 30-s windows (the same blocks, the same voice-activity
chunks), so the translation's windows are the transcription's, feature for feature: what the
encoder made of a window once — more than a third of the translation's time — is looked up by the
hash of its features instead of computed again. Only a talk that will be translated keeps them
(the transcribe stage decides once the language is found), at most ``LIMIT`` bytes of them (an
hour of speech holds about 450 MB), and the translate stage lets them go. A window not kept is
simply encoded: the result is the same either way.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

LIMIT = 768 * 2**20  # bytes of encoder output kept (about two hours of speech for `base`)

_kept: dict[bytes, np.ndarray] = {}
_keeping = False
_reused = 0


def keep(on: bool) -> None:
    """Start (or stop) keeping the encoder outputs of the windows encoded from now on."""
    global _keeping
    _keeping = on


def forget() -> None:
    """Stop keeping and let every kept output go."""
    keep(False)
    _kept.clear()


def held() -> int:
    """How many windows' outputs are kept."""
    return len(_kept)


def reused() -> int:
    """How many windows were looked up instead of encoded, in this process so far."""
    return _reused


def _key(features: np.ndarray) -> bytes:
    return hashlib.blake2b(np.ascontiguousarray(features).tobytes(), digest_size=16).digest()


class Remembering:
    """A faster-whisper ``WhisperModel`` whose ``encode`` looks windows up before computing
    them, and keeps what it computes while keeping is on; everything else is the model's."""

    def __init__(self, model: Any) -> None:
        self._model = model

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)

    def encode(self, features: np.ndarray) -> Any:
        global _reused
        if not _kept and not _keeping:  # the usual case: nothing to look up or keep
            return self._model.encode(features)
        import ctranslate2

        rows = features if features.ndim == 3 else features[None]
        keys = [_key(row) for row in rows]
        outputs: dict[int, np.ndarray] = {i: _kept[k] for i, k in enumerate(keys) if k in _kept}
        todo = [i for i in range(len(rows)) if i not in outputs]
        _reused += len(outputs)
        if todo:
            fresh = np.array(self._model.encode(np.ascontiguousarray(rows[todo])))
            for i, out in zip(todo, fresh, strict=True):
                outputs[i] = out
                if _keeping and sum(o.nbytes for o in _kept.values()) + out.nbytes <= LIMIT:
                    _kept[keys[i]] = out
        stacked = np.stack([outputs[i] for i in range(len(rows))])
        return ctranslate2.StorageView.from_array(np.ascontiguousarray(stacked))
