"""One webinar saved more than once: Zoom writes an audio-only ``.m4a`` beside the video (and a
video per layout when asked: shared screen, gallery, active speaker), OBS's ``.mkv`` sits beside
the ``.mp4`` remuxed from it. Other bytes, the same sound: a batch would process each and list
the webinar twice. Copies are recognised among the recordings of one folder by their lengths and
their loudness over time (decoded, so another codec, level or a start a few seconds apart does
not hide them), and one of them is processed. Zoom's "separate audio file for each participant"
(``audioGlendaNapier21234567890.m4a``, beside the video or in its ``Audio Record`` folder) are
parts of the webinar, not webinars: told by their names, never processed alone."""

from __future__ import annotations

import contextlib
import json
import mimetypes
import subprocess
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core import participants
from ..core.errors import PipelineError
from ..core.probe import ffmpeg_name, probe
from ..core.store import Workspace, read_json, write_json

RATE = 8000  # Hz the sound is decoded at to be compared
PER_SECOND = 50  # loudness values per second: 20-ms frames, so a copy that starts a part of a
# frame later still matches (at 2 a second, 1.3 s later read as 0.43 on a far-field meeting)
# correlation of two loudness curves at their best shift that makes them one sound: chosen on
# the tune part of bench/copies.py (different sounds at most 0.50, a copy at least 0.84)
MATCH = 0.7
SLACK = 2.0  # seconds two copies' lengths may differ
MAX_SHIFT = 5.0  # seconds one copy may start before the other
_FLAT = 1.0  # dB: a curve that varies less (silence, a steady tone) is compared with nothing
CACHE = ".same-sound.json"  # verdicts by pair of contents: a copy is not decoded every run


@dataclass(frozen=True)
class Candidate:
    """A recording of a batch as the comparison needs it."""

    path: Path
    sha: str
    duration: float
    has_video: bool
    finished: bool  # processed by an earlier run: it stays the one processed


def loudness(path: Path) -> np.ndarray:
    """The loudness (dB) of ``path``'s first audio track, ``PER_SECOND`` values a second: its
    sound decoded to 8 kHz mono and read piece by piece (an hour is 58 MB of samples)."""
    frame = RATE // PER_SECOND
    args = ["ffmpeg", "-nostdin", "-v", "error", "-i", ffmpeg_name(path), "-map", "0:a:0"]
    args += ["-ac", "1", "-ar", str(RATE), "-f", "s16le", "pipe:1"]
    levels: list[float] = []
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as process:
        assert process.stdout is not None
        # whole frames at a time (a read gives all it asks for but at the end: a last part
        # frame, left out)
        while piece := process.stdout.read(frame * 2 * 600):
            count = len(piece) // (frame * 2)
            samples = np.frombuffer(piece[: count * frame * 2], "<i2").astype(np.float32)
            power = (samples.reshape(count, frame) ** 2).mean(axis=1)
            levels.extend(10 * np.log10(power + 1.0))
    return np.asarray(levels)


def similarity(a: np.ndarray, b: np.ndarray, max_shift: int) -> float:
    """The correlation of two loudness curves at the shift (up to ``max_shift`` values either
    way) where they agree best; 0 for a flat curve or too little overlap."""
    best = 0.0
    for shift in range(-max_shift, max_shift + 1):
        x, y = (a[shift:], b) if shift >= 0 else (a, b[-shift:])
        n = min(len(x), len(y))
        if n < 10 * PER_SECOND or x[:n].std() < _FLAT or y[:n].std() < _FLAT:
            continue
        best = max(best, float(np.corrcoef(x[:n], y[:n])[0, 1]))
    return best


def copies(
    candidates: Sequence[Candidate], heard: Callable[[Candidate], np.ndarray], cache: Path
) -> dict[Path, Path]:
    """{copy: the recording kept for it} among ``candidates`` (one folder's). Kept first: one
    processed before, then one with video (it carries the slides), then by name; a recording
    processed before is never a copy. Pairs are compared only when their lengths are within
    ``SLACK`` of each other; their verdict is remembered in ``cache``."""
    try:
        known: dict[str, bool] = json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    before = dict(known)
    curves: dict[str, np.ndarray] = {}

    def same(a: Candidate, b: Candidate) -> bool:
        pair = "|".join(sorted((a.sha, b.sha)))
        if pair not in known:
            for c in (a, b):
                if c.sha not in curves:
                    curves[c.sha] = heard(c)
            shift = int(MAX_SHIFT * PER_SECOND)
            known[pair] = similarity(curves[a.sha], curves[b.sha], shift) >= MATCH
        return known[pair]

    found: dict[Path, Path] = {}
    kept: list[Candidate] = []
    for c in sorted(candidates, key=lambda c: (not c.finished, not c.has_video, c.path.name)):
        twin = next(
            (
                k
                for k in kept
                if not c.finished and abs(k.duration - c.duration) <= SLACK and same(c, k)
            ),
            None,
        )
        if twin is None:
            kept.append(c)
        else:
            found[c.path] = twin.path
    if known != before:
        with contextlib.suppress(OSError):  # read-only: only costs decoding again next time
            write_json(cache, known)
    return found


def _finished(workspace: Workspace, rec_id: str | None) -> tuple[float, bool] | None:
    """A recording processed to its end before (under ``rec_id``): its length and whether it
    has video, as its manifest tells them (None: not finished)."""
    if rec_id is None:
        return None
    try:
        manifest = read_json(workspace.transcript_dir(rec_id) / "manifest.json")
        media = manifest["source"]["media"]
        done = manifest["stages"]["summarize"]["status"] == "done"
        return (float(media["duration"]), bool(media["has_video"])) if done else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def in_batch(
    shas: Mapping[Path, str],
    transcripts: Path,
    heard: Callable[[Candidate], np.ndarray] = lambda c: loudness(c.path),
) -> dict[Path, Path]:
    """{copy: the recording kept for it} among a batch's recordings (``shas``: each content
    once, with its sha256), folder by folder, in the folders holding a recording not processed
    before (``heard``: how a loudness curve is had). A recording that cannot be read is left to
    its run to report."""
    workspace = Workspace(transcripts)
    folders: dict[Path, list[Path]] = defaultdict(list)
    for path in shas:
        folders[path.parent].append(path)
    found: dict[Path, Path] = {}
    for paths in folders.values():
        if len(paths) < 2:
            continue
        ids = {path: workspace.find_existing(shas[path]) for path in paths}
        if all(ids.values()):
            continue  # nothing new in this folder (a scheduled run's usual case): no manifest read
        candidates = []
        for path in paths:
            try:
                if before := _finished(workspace, ids[path]):
                    candidates.append(Candidate(path, shas[path], *before, finished=True))
                else:
                    info = probe(path)
                    candidates.append(
                        Candidate(path, shas[path], info.duration, info.has_video, False)
                    )
            except (OSError, PipelineError):
                continue
        if not all(c.finished for c in candidates):
            found.update(copies(candidates, heard, transcripts / CACHE))
    return found


def participant_tracks(recordings: Sequence[Path]) -> dict[Path, Path]:
    """{participant's track: a recording of the webinar it belongs to} among ``recordings``: a
    track so named, with a recording not so named in its folder or the folder above (Zoom's
    ``Audio Record``), a video first. A track without one is a recording like any other."""
    tracks = [path for path in recordings if participants.is_track(path)]
    others = sorted(
        (path for path in recordings if path not in tracks),
        key=lambda path: (not (mimetypes.guess_type(path.name)[0] or "").startswith("video"), path),
    )
    found = {}
    for track in tracks:
        near = (track.parent, track.parent.parent)
        if webinar := next((o for folder in near for o in others if o.parent == folder), None):
            found[track] = webinar
    return found
