"""Voiceprint arithmetic shared by the diarization and the evidence about who speaks."""

from __future__ import annotations

import numpy as np

from .types import Turn


def speaker_voices(turns: list[Turn], voices: np.ndarray) -> dict[int, np.ndarray]:
    """Each speaker's voice: the normalised, length-weighted mean of their turns' voices (turns
    without a voice, all zeros, left out)."""
    sums: dict[int, np.ndarray] = {}
    for turn, voice in zip(turns, voices, strict=True):
        if voice.any():
            sums[turn.speaker] = sums.get(turn.speaker, 0) + voice * (turn.end - turn.start)
    return {k: v / (np.linalg.norm(v) + 1e-9) for k, v in sums.items()}
