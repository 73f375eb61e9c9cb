"""The slides stage: which slide of which deck was on screen when.

Decks are PDFs (pypdfium2: text layer and page images; image-only decks work too). Two sources
of timing, combined:
1. the video track (a screen share): frames sampled every ``interval`` seconds by ffmpeg, a frame
   that barely differs from the previous one keeps its match (scene-change check), others are
   matched to the rendered pages by perceptual hash (imagehash): of the whole frame, of its
   quarters, or of the part of the frame where a search of a few key frames found the slides
   (cameras beside or under them). The key frames are read first;
   only where two successive ones do not show the same slide is the video between them decoded
   frame by frame (an HD screen share costs minutes an hour to decode whole);
2. speech, where the video gives no match or there is no video: a monotonic alignment (Viterbi:
   slides advance in order, may be skipped, rarely go back) of slide text to transcript windows
   by sentence-embedding + TF-IDF similarity.
"""

from __future__ import annotations

import bisect
import math
import re
import subprocess
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import ConfigError, PipelineError
from ..core.probe import ffmpeg_name
from ..core.review import Report
from ..core.stage import Context, ProgressFn, Stage
from ..core.store import as_named, atomic_path, file_sha256, read_json, slugify, write_json
from ..core.types import Deck, Interval, Sentence, Showing, SlideMap, SlidePage
from ..models import text

MAX_PAGES = 500  # a deck with more pages is refused (bounded time and memory)
FULL_DECODE = 0.8  # decode every frame when the stretches to decode are more of the video
BURST = 0.25  # a frame this big against its key frame changes much of the picture
UNSEEN = 30.0  # s: key frames at most this far apart that show no slide: the video shows none
LOCATE_FRAMES = 12  # key frames, spread over the video, searched for a slide that does not fill it
SHRUNK = 0.5  # … down to this share of the frame's width (a side-by-side layout: ≈ 0.7)

Box = tuple[int, int, int, int]  # left, top, right, bottom in a sampled frame


@dataclass(frozen=True)
class SlidesParams:
    """Everything that decides which slide was on screen when."""

    decks: tuple[tuple[str, str], ...] = ()  # (file name, sha256) of every deck
    thumb_width: int = 320
    frame_interval: float = 1.0  # seconds between sampled video frames
    frame_size: tuple[int, int] = (256, 144)  # frames are hashed at this size (grey)
    max_hash_distance: int = 10  # of 64 bits: above this a frame shows no slide of the decks
    tile_distance: int = 9  # of 192 bits: the best three quarters of a frame match a page's …
    tile_margin: int = 6  # … and no other page's come this close (a thumbnail over one quarter)
    box_margin: int = 4  # of 64 bits: a page found in a part of the frame is this much nearer
    # than any other (a layout with cameras beside or under the slide; bench/slides.py)
    same_frame: float = 1.5  # mean absolute grey difference under which a frame is "unchanged"
    speech_window: float = 12.0  # seconds of transcript per alignment window
    skip_penalty: float = 0.08  # per skipped slide …
    back_penalty: float = 0.5  # … and for going back
    fixes: tuple[dict[str, Any], ...] = field(
        default_factory=tuple
    )  # reviewer: {start, end, slide, deck}


@dataclass(frozen=True)
class Page:
    """One page of a deck: its text layer (may be empty), thumbnail and perceptual hash."""

    deck: str  # the deck's slug
    number: int  # 1-based
    text: str
    thumbnail: str  # path relative to the summary folder
    phash: str  # 64-bit perceptual hash, hex
    boxed: str  # … of the page on a 16:9 screen (black bars beside a 4:3 page)
    quarters: str  # the perceptual hashes of its four quarters on that screen, one after the other
    aspect: float  # width ÷ height

    @property
    def key(self) -> str:
        return f"{self.deck}#{self.number}"


@dataclass(frozen=True)
class Shown:
    """A page on screen from ``start`` to ``end`` (seconds), and how we know."""

    page: int  # index into the page list
    start: float
    end: float
    method: str  # "video" | "speech" | "review"
    confidence: float


def load_decks(decks: Sequence[Path], summary_dir: Path, thumb_width: int = 320) -> list[Page]:
    """Every page of every deck, thumbnails written to ``summary_dir/slides/``."""
    import imagehash
    import pypdfium2 as pdfium
    from PIL import ImageOps

    pages: list[Page] = []
    for path in decks:
        try:
            pdf = pdfium.PdfDocument(str(path))
        except (pdfium.PdfiumError, OSError) as exc:
            locked = getattr(exc, "err_code", None) == pdfium.raw.FPDF_ERR_PASSWORD
            raise PipelineError(
                "the PDF deck is password-protected"
                if locked
                else f"not a readable PDF deck ({exc})",
                path,
                "export it without a password" if locked else "give the slides as a PDF file",
            ) from None
        try:
            if len(pdf) > MAX_PAGES:
                raise PipelineError(
                    f"the deck has {len(pdf)} pages (at most {MAX_PAGES} are read)",
                    path,
                    "split the deck or give only the slides that were shown",
                )
            slug = slugify(path.stem, 32)
            for i in range(len(pdf)):
                page = pdf[i]
                width, height = page.get_size()
                # a page far taller than wide is drawn no taller than two widths: a hostile
                # deck's 3 × 14 400 pt page took 57 s and 4 GB at the width's scale
                scale = min(thumb_width / (width or 1.0), 2 * thumb_width / (height or 1.0))
                image = page.render(scale=scale).to_pil().convert("RGB")
                screen = ImageOps.pad(image, (thumb_width, thumb_width * 9 // 16), color="black")
                text = page.get_textpage().get_text_bounded()
                name = f"slides/{slug}-{i + 1:03d}.png"
                with atomic_path(summary_dir / name) as tmp:
                    image.save(tmp, format="PNG", optimize=True)
                pages.append(
                    Page(
                        slug,
                        i + 1,
                        " ".join(text.split()),
                        name,
                        str(imagehash.phash(image)),
                        str(imagehash.phash(screen)),
                        quarter_hashes(screen),
                        image.width / image.height,
                    )
                )
        except pdfium.PdfiumError as exc:
            raise PipelineError(f"damaged PDF deck ({exc})", path, "export it again") from None
        finally:
            pdf.close()
    return pages


def prune_thumbnails(summary_dir: Path, keep: Sequence[Page]) -> None:
    """Delete thumbnails of pages no longer in the decks (a deck replaced, renamed or dropped)."""
    wanted = {summary_dir / p.thumbnail for p in keep}
    for png in (summary_dir / "slides").glob("*.png"):
        if png not in wanted:
            png.unlink(missing_ok=True)


def sample_frames(
    video: Path,
    interval: float = 1.0,
    size: tuple[int, int] = (256, 144),
    start: float = 0.0,
    duration: float | None = None,
    keyframes: bool = False,
) -> Iterator[tuple[float, np.ndarray]]:
    """(time, grey frame of ``size``) every ``interval`` seconds of the recording's first video
    stream, from ``start`` for ``duration`` seconds (or to the end). With ``keyframes`` only the
    key frames are decoded (ffmpeg's demuxer drops the rest), each held until the next one."""
    import ffmpeg

    width, height = size
    options: dict[str, Any] = {"ss": start} if start else {}
    if duration is not None:
        options["t"] = duration
    if keyframes:
        options["discard"] = "nokey"
    args = (
        ffmpeg.input(ffmpeg_name(video), **options)["v:0"]
        .output(  # a simple filter graph: the demuxer honours -discard for it, not for -filter_complex
            "pipe:",
            vf=f"fps={1 / interval}:start_time=0,scale={width}:{height}",
            format="rawvideo",
            pix_fmt="gray",
        )
        .global_args("-nostdin", "-hide_banner", "-loglevel", "quiet")
        .compile()
    )
    # no error pipe: a damaged video's line per bad frame would fill it and stop ffmpeg
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    pixels, index = width * height, 0
    try:
        while True:
            chunk = process.stdout.read(pixels)
            if len(chunk) < pixels:
                break
            frame = np.frombuffer(chunk, dtype=np.uint8).reshape(height, width)
            yield start + index * interval, frame
            index += 1
    finally:
        process.stdout.close()
        process.kill()
        process.wait()


def quarter_hashes(image: Any) -> str:
    """The perceptual hashes of an image's four quarters (a PIL image), hex, one after the other."""
    import imagehash

    width, height = image.size
    boxes = [
        (x, y, x + width // 2, y + height // 2) for y in (0, height // 2) for x in (0, width // 2)
    ]
    return "".join(str(imagehash.phash(image.crop(box))) for box in boxes)


def _bits(hexes: str) -> np.ndarray:
    return np.array([int(b) for b in bin(int(hexes, 16))[2:].zfill(4 * len(hexes))])


def _phash_bits(image: Any) -> np.ndarray:
    """The 64 bits of a PIL image's perceptual hash."""
    import imagehash

    return imagehash.phash(image).hash.flatten().astype(int)


def match_frames(
    frames: Iterable[tuple[float, np.ndarray]],
    pages: Sequence[Page],
    p: SlidesParams,
    on_progress: Callable[[float], None] | None = None,
    box: Box | None = None,
) -> list[tuple[float, int | None, float]]:
    """(time, page index or None, confidence) per sampled frame, by perceptual hash: of the
    whole frame, else of its best three quarters (a camera thumbnail over one corner), when they
    match one page clearly better than any other, else of the ``box`` where ``locate`` found
    the slides (cameras beside or under them)."""
    from PIL import Image

    hashes = np.array([[_bits(page.phash), _bits(page.boxed)] for page in pages])
    quarters = np.array([_bits(page.quarters).reshape(4, 64) for page in pages])
    out: list[tuple[float, int | None, float]] = []
    previous: np.ndarray | None = None
    for t, frame in frames:
        if on_progress:
            on_progress(t)
        if (
            previous is not None
            and out
            and np.abs(frame.astype(np.int16) - previous).mean() < p.same_frame
        ):
            out.append((t, out[-1][1], out[-1][2]))
            continue
        previous = frame.astype(np.int16)
        image = Image.fromarray(frame)
        bits = _phash_bits(image)
        distance = np.abs(hashes - bits).sum(axis=2).min(axis=1) if len(pages) else np.array([])
        best = int(np.argmin(distance)) if len(distance) else -1
        if best >= 0 and distance[best] <= p.max_hash_distance:
            out.append((t, best, round(1 - float(distance[best]) / 64, 3)))
            continue
        if len(pages):
            own = _bits(quarter_hashes(image)).reshape(4, 64)
            apart = np.sort(np.abs(quarters - own).sum(axis=2), axis=1)[:, :3].sum(axis=1)
            best, *other = np.argsort(apart)
            if apart[best] <= p.tile_distance and (
                not other or apart[other[0]] - apart[best] >= p.tile_margin
            ):
                out.append((t, int(best), round(1 - float(apart[best]) / 192, 3)))
                continue
        if box is not None and len(pages):
            bits = _phash_bits(image.crop(box))
            distance = np.abs(hashes[:, 0] - bits).sum(axis=1)
            best = int(np.argmin(distance))
            if distance[best] <= p.max_hash_distance:
                out.append((t, best, round(1 - float(distance[best]) / 64, 3)))
                continue
        out.append((t, None, 0.0))
    return out


def candidate_boxes(size: tuple[int, int], aspects: Iterable[float]) -> list[Box]:
    """Where a slide that does not fill the frame may sit in a frame of ``size``: each page
    shape from ``SHRUNK`` of the frame's width (or height) up to all of it, in steps of 2.5 %,
    flush with either edge or centred, across and down (how call recorders lay out a shared
    screen beside or above their camera tiles)."""
    width, height = size
    boxes: set[Box] = set()
    for aspect in aspects:
        for share in np.arange(SHRUNK, 1.0001, 0.025):
            w = min(round(width * share), round(height * share * aspect))
            h = round(w / aspect)
            for x in {0, (width - w) // 2, width - w}:
                for y in {0, (height - h) // 2, height - h}:
                    boxes.add((x, y, x + w, y + h))
    return sorted(boxes)


def locate(frames: Sequence[np.ndarray], pages: Sequence[Page], p: SlidesParams) -> Box | None:
    """The place of slides that do not fill the frame: the box of ``candidate_boxes`` in which
    the most ``frames`` show a page (within ``p.max_hash_distance``, and ``p.box_margin`` nearer
    than any other page), if that is at least two of them (one, if only one is given); None if
    no box is."""
    from PIL import Image

    if not frames or not pages:
        return None
    height, width = frames[0].shape
    boxes = candidate_boxes((width, height), {round(page.aspect, 2) for page in pages})
    hashes = np.array([_bits(page.phash) for page in pages])
    found: dict[Box, list[int]] = {}
    for frame in frames:
        image = Image.fromarray(frame)
        for box in boxes:
            bits = _phash_bits(image.crop(box))
            first, *other = np.sort(np.abs(hashes - bits).sum(axis=1))
            if first <= p.max_hash_distance and (not other or other[0] - first >= p.box_margin):
                found.setdefault(box, []).append(int(first))
    if not found:
        return None
    box = min(found, key=lambda b: (-len(found[b]), sum(found[b])))
    return box if len(found[box]) >= min(2, len(frames)) else None


def key_frames(video: Path) -> tuple[list[float], list[float]]:
    """The first video stream's key frames, and its other frames that change much of the
    picture (a packet of at least ``BURST`` of the size of the key frame before it): their
    times, from the packets alone (nothing decoded)."""
    import ffmpeg

    try:
        found = ffmpeg.probe(
            ffmpeg_name(video), select_streams="v:0", show_entries="packet=pts_time,size,flags"
        )
    except ffmpeg.Error:
        return [], []
    keys: list[float] = []
    bursts: list[float] = []
    key_size = 0
    for packet in sorted(
        (float(p["pts_time"]), int(p.get("size", 0)), "K" in p.get("flags", ""))
        for p in found.get("packets", [])
        if p.get("pts_time", "N/A") != "N/A"
    ):
        t, size, key = packet
        if key:
            keys.append(t)
            key_size = size
        elif keys and size >= BURST * key_size:
            bursts.append(t)
    return keys, bursts


def undecided(
    pages: Sequence[int | None], keys: Sequence[float], bursts: Sequence[float], step: float
) -> list[tuple[int, int | None]]:
    """Sample ranges ``[first, last]`` to decode frame by frame, given the page each key frame
    shows held until the next (one per sample, every ``step`` seconds) and the times of the key
    frames and of the frames between them that change much of the picture: wherever the page
    changes or is none, from the key frame before the change to the sample that shows it; around
    each such frame, from the key frame before it to the one after; and from the key frame held
    at the last sample to the end (``last`` None; ffmpeg may stop holding before the last key
    frame). Overlapping ranges are joined."""

    def first_after(key: float) -> int:
        return min(math.ceil(key / step), len(pages))

    def shown_at(i: int) -> int:  # the key frame held at sample i (-1: none yet)
        return bisect.bisect_right(keys, (i + 0.5) * step) - 1

    def held_before(i: int) -> int:  # the first sample after the key frame held before sample i
        j = shown_at(i)
        return first_after(keys[j - 1]) if j >= 1 else 0

    ranges: list[tuple[int, int | None]] = [
        (held_before(i), i)
        for i in range(len(pages))
        if pages[i] is None or (i and pages[i] != pages[i - 1])
    ]
    for t in bursts:
        j = bisect.bisect_right(keys, t)  # the key frame after it
        ranges.append((first_after(keys[j - 1]), first_after(keys[j]) if j < len(keys) else None))
    last = shown_at(len(pages) - 1)
    ranges.append((first_after(keys[last]) if last >= 0 else 0, None))
    joined: list[tuple[int, int | None]] = []
    for first, last in sorted(ranges, key=lambda r: r[0]):
        if joined and (joined[-1][1] is None or first <= joined[-1][1] + 1):
            start, end = joined[-1]
            joined[-1] = (start, None if end is None or last is None else max(end, last))
        else:
            joined.append((first, last))
    return joined


def covered(ranges: Sequence[tuple[int, int | None]], total: int) -> int:
    """How many of ``total`` samples the ``undecided`` ranges cover (``last`` None: to the end)."""
    return sum((total if b is None else b + 1) - a for a, b in ranges)


def watch(
    video: Path,
    pages: Sequence[Page],
    p: SlidesParams,
    duration: float,
    on_progress: Callable[[float], None] | None = None,
) -> list[tuple[float, int | None, float]]:
    """``match_frames`` over the whole video, decoding little of it: the key frames first, then
    only the stretches ``undecided`` leaves open — or every frame, when those would be most of
    the ``duration`` (seconds) anyway. Assumes that a slide two successive key frames show
    stayed on screen between them unless a frame between them changes much of the picture, and
    that a video whose key frames, at most ``UNSEEN`` seconds apart, show no slide shows none (a
    camera view). Where key frames show no slide whole, ``LOCATE_FRAMES`` of them, spread over
    the video, are searched for slides in a part of the frame (``locate``); the box found is
    read in every frame after that."""
    step = p.frame_interval
    keys, bursts = key_frames(video)
    spread: list[tuple[float, np.ndarray]] = []
    held = match_frames(
        _keeping(
            sample_frames(video, step, p.frame_size, keyframes=True),
            max(step, duration / LOCATE_FRAMES),
            spread,
        ),
        pages,
        p,
    )
    unmatched = {round(t / step) for t, page, _ in held if page is None}
    box = locate([frame for t, frame in spread if round(t / step) in unmatched], pages, p)
    if box is not None:
        held = match_frames(
            sample_frames(video, step, p.frame_size, keyframes=True), pages, p, box=box
        )
    gaps = np.diff([0.0, *keys, duration]) if keys else [duration]
    if all(page is None for _, page, _ in held) and max(gaps) <= UNSEEN:
        return held
    ranges = undecided([page for _, page, _ in held], keys, bursts, step)
    total = max(len(held), math.ceil(duration / step))
    if covered(ranges, total) > FULL_DECODE * total:
        frames = sample_frames(video, step, p.frame_size)
        return match_frames(frames, pages, p, on_progress, box)
    found = {i: (i * step, page, confidence) for i, (_, page, confidence) in enumerate(held)}
    for a, b in ranges:
        frames = sample_frames(
            video, step, p.frame_size, a * step, None if b is None else (b - a + 1) * step
        )
        for t, page, confidence in match_frames(frames, pages, p, on_progress, box):
            found[round(t / step)] = (round(t / step) * step, page, confidence)
    return [found[i] for i in sorted(found)]


def _keeping(
    frames: Iterator[tuple[float, np.ndarray]], every: float, kept: list[tuple[float, np.ndarray]]
) -> Iterator[tuple[float, np.ndarray]]:
    """``frames`` passed on, one at least ``every`` seconds also appended to ``kept``."""
    due = 0.0
    for t, frame in frames:
        if t >= due:
            kept.append((t, frame))
            due = t + every
        yield t, frame


def runs(
    samples: Sequence[tuple[float, int | None, float]], step: float, method: str
) -> list[Shown]:
    """Consecutive samples on one page → intervals [first sample, last sample + step)."""
    shown: list[Shown] = []
    for t, page, confidence in samples:
        if page is None:
            continue
        last = shown[-1] if shown else None
        if last and last.page == page and abs(last.end - t) < step / 2:
            n = (last.end - last.start) / step
            merged = (last.confidence * n + confidence) / (n + 1)
            shown[-1] = Shown(page, last.start, t + step, method, round(merged, 3))
        else:
            shown.append(Shown(page, t, t + step, method, confidence))
    return shown


def _windows(said: Sequence[Sentence], length: float) -> list[tuple[float, float, str]]:
    windows: list[tuple[float, float, str]] = []
    for s in said:
        if windows and s.start - windows[-1][0] < length:
            start, _, text = windows[-1]
            windows[-1] = (start, s.end, f"{text} {s.text}")
        else:
            windows.append((s.start, s.end, s.text))
    return windows


def similarity(window_texts: Sequence[str], page_texts: Sequence[str]) -> np.ndarray:
    """Windows × pages: mean of sentence-embedding cosine and TF-IDF cosine (0 for empty pages)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    has_text = np.array([bool(re.search(r"\w", t)) for t in page_texts])
    sim = np.zeros((len(window_texts), len(page_texts)))
    if not has_text.any() or not window_texts:
        return sim
    texts = [t for t, ok in zip(page_texts, has_text, strict=True) if ok]
    tfidf = TfidfVectorizer(stop_words="english", sublinear_tf=True).fit([*texts, *window_texts])
    lexical = (tfidf.transform(window_texts) @ tfidf.transform(texts).T).toarray()
    model = text.encoder()
    a = model.encode(list(window_texts))
    b = model.encode(texts)
    sim[:, has_text] = 0.5 * (a @ b.T) + 0.5 * lexical
    return sim


def viterbi(scores: np.ndarray, skip_penalty: float = 0.08, back_penalty: float = 0.5) -> list[int]:
    """The best monotonic-ish page per window: staying or advancing by one is free, skipping
    ahead costs per skipped page, going back costs more."""
    n_windows, n_pages = scores.shape
    index = np.arange(n_pages)
    gap = index[None, :] - index[:, None]  # from → to
    transition = np.where(gap >= 0, -skip_penalty * np.maximum(gap - 1, 0), -back_penalty)
    best = scores[0] - skip_penalty * index
    back = np.zeros((n_windows, n_pages), dtype=int)
    for w in range(1, n_windows):
        total = best[:, None] + transition
        back[w] = np.argmax(total, axis=0)
        best = total[back[w], index] + scores[w]
    path = [int(np.argmax(best))]
    for w in range(n_windows - 1, 0, -1):
        path.append(int(back[w][path[-1]]))
    return path[::-1]


def align_speech(said: Sequence[Sentence], pages: Sequence[Page], p: SlidesParams) -> list[Shown]:
    """Slides from speech alone: windows of transcript aligned to the decks' text in order."""
    windows = _windows(said, p.speech_window)
    if not windows or not pages:
        return []
    scores = similarity([w[2] for w in windows], [p.text for p in pages])
    if not scores.any():
        return []
    path = viterbi(scores, p.skip_penalty, p.back_penalty)
    shown: list[Shown] = []
    for (start, end, _), page, w in zip(windows, path, range(len(windows)), strict=True):
        confidence = round(float(np.clip(scores[w, page], 0, 1)), 3)
        if shown and shown[-1].page == page:
            last = shown[-1]
            shown[-1] = Shown(page, last.start, end, "speech", max(last.confidence, confidence))
        else:
            if shown:  # the change happens between the windows
                last = shown[-1]
                shown[-1] = Shown(last.page, last.start, start, "speech", last.confidence)
            shown.append(Shown(page, start, end, "speech", confidence))
    return shown


def combine(video: Sequence[Shown], speech: Sequence[Shown]) -> list[Shown]:
    """Video matches where there are any; speech fills the time between them."""
    out = list(video)
    covered = sorted((s.start, s.end) for s in video)
    for s in speech:
        start = s.start
        for a, b in [*covered, (float("inf"), float("inf"))]:
            if b <= start:
                continue
            if a > start and min(a, s.end) - start >= 1.0:
                out.append(Shown(s.page, start, min(a, s.end), "speech", s.confidence))
            start = max(start, b)
            if start >= s.end:
                break
    return sorted(out, key=lambda s: s.start)


def uncovered(video: Sequence[Shown], start: float, end: float, least: float = 1.0) -> bool:
    """Whether [start, end) holds ``least`` seconds in a row that no video match covers: the
    only time speech can add a slide (``combine``); a talk shown whole needs no speech reading."""
    t = start
    for s in sorted(video, key=lambda s: s.start):
        if min(s.start, end) - t >= least:
            return True
        t = max(t, s.end)
        if t >= end:
            return False
    return end - t >= least


def resolve_decks(given: Sequence[Path], listed: Sequence[str], sidecar: Path | None) -> list[Path]:
    """The decks to use: ``--slides`` paths, else the sidecar's ``slides:`` (relative to the
    sidecar, and never outside its folder). Each must be a PDF file."""
    if given:
        paths = [Path(p) for p in given]
        origin = "--slides"
    else:
        base = sidecar.parent.resolve() if sidecar else Path.cwd()
        paths = []
        for entry in listed:
            path = (base / entry).resolve()
            if not path.is_relative_to(base):
                raise ConfigError(
                    f"slides path '{entry}' points outside the sidecar's folder",
                    sidecar,
                    "put the deck next to the sidecar and give its file name",
                )
            paths.append(path)
        origin = f"slides in {sidecar}"
    paths = [as_named(path) for path in paths]
    for path in paths:
        try:
            with path.open("rb") as f:
                magic = f.read(5)
        except OSError as exc:
            raise ConfigError(
                f"{origin}: cannot read the deck ({exc.strerror})", path, "check the path"
            ) from None
        if magic != b"%PDF-":
            raise ConfigError(f"{origin}: not a PDF file", path, "export the slides as PDF")
    return paths


def slide_map(pages: Sequence[Page], shown: Sequence[Shown], decks: Sequence[Path]) -> SlideMap:
    """slides.json: the decks, every page with its shown intervals, and the timeline."""
    by_page: dict[int, list[Interval]] = {}
    for s in shown:
        by_page.setdefault(s.page, []).append(
            Interval(round(s.start, 2), round(s.end, 2), s.method, s.confidence)
        )
    return SlideMap(
        [
            Deck(d.name, slugify(d.stem, 32), sum(p.deck == slugify(d.stem, 32) for p in pages))
            for d in decks
        ],
        [
            SlidePage(p.deck, p.number, p.text[:1000], p.thumbnail, by_page.get(i, []))
            for i, p in enumerate(pages)
        ],
        [
            Showing(
                pages[s.page].deck,
                pages[s.page].number,
                round(s.start, 2),
                round(s.end, 2),
                s.method,
                s.confidence,
            )
            for s in shown
        ],
    )


def fix_slides(
    shown: list[Shown], pages: list[Page], p: SlidesParams, report: Report
) -> list[Shown]:
    """Slide intervals with the reviewer's matches forced over whatever was found."""
    out = list(shown)
    decks = list(dict.fromkeys(page.deck for page in pages))
    for fix in p.fixes:
        start, end, number = fix["start"], fix["end"], fix["slide"]
        deck = slugify(fix["deck"], 32) if fix.get("deck") else (decks[0] if decks else "")
        index = next(
            (i for i, page in enumerate(pages) if page.deck == deck and page.number == number), None
        )
        if index is None or end <= start:
            report.not_applied.append(f"slides {start}–{end}: no slide {number} in '{deck}'")
            continue
        kept = []
        for s in out:
            if s.end <= start or s.start >= end:
                kept.append(s)
                continue
            if s.start < start:
                kept.append(replace(s, end=start))
            if s.end > end:
                kept.append(replace(s, start=end))
        out = sorted([*kept, Shown(index, start, end, "review", 1.0)], key=lambda s: s.start)
        report.applied += 1
    return out


class Slides(Stage):
    """Decks + video + sentences → ``slides.json`` and ``slides/*.png`` (only with decks)."""

    name = "slides"
    Params = SlidesParams
    needs = ("extract", "topics")
    reads_source = True  # the video track
    libraries = ("pypdfium2", "imagehash", "Pillow", "scikit-learn", "ffmpeg")

    def enabled(self, ctx: Context) -> bool:
        return bool(ctx.decks)

    def params(self, ctx: Context) -> SlidesParams:
        return SlidesParams(
            decks=tuple((d.name, file_sha256(d)) for d in ctx.decks),
            fixes=tuple(ctx.review.part("slides")),
        )

    def models(self, params: SlidesParams) -> dict[str, str]:
        return {"sentence-encoder": text.identity()["sentence-encoder"]}

    def outputs(self, ctx: Context, params: Any) -> list[Path]:
        return [ctx.summary_dir / "slides.json"]

    def written(self, ctx: Context, params: Any) -> list[Path]:
        """Its thumbnails too: the summaries embed them."""
        return [*self.outputs(ctx, params), *sorted((ctx.summary_dir / "slides").glob("*.png"))]

    def run(
        self, ctx: Context, params: SlidesParams, inputs: Mapping[str, Any], progress: ProgressFn
    ) -> SlideMap:
        report = Report()
        pages = load_decks(ctx.decks, ctx.summary_dir, params.thumb_width)
        video: list[Shown] = []
        if ctx.info is not None and ctx.info.has_video:
            samples = watch(ctx.recording, pages, params, ctx.info.duration, progress)
            video = runs(samples, params.frame_interval, "video")
        said = [it.sentence for it in inputs["topics"].sentences]
        gaps = bool(said) and uncovered(video, said[0].start, max(x.end for x in said))
        speech = align_speech(said, pages, params) if gaps else []
        shown = fix_slides(combine(video, speech), pages, params, report)
        prune_thumbnails(ctx.summary_dir, pages)
        result = slide_map(pages, shown, ctx.decks)
        result.review = asdict(report)
        return result

    def write(self, ctx: Context, params: Any, result: SlideMap) -> None:
        write_json(ctx.summary_dir / "slides.json", result.to_dict())

    def load(self, ctx: Context, params: Any, inputs: Mapping[str, Any]) -> SlideMap:
        data = read_json(ctx.summary_dir / "slides.json")
        return SlideMap.from_dict(data)

    def facts(self, result: SlideMap) -> dict[str, Any]:
        methods = {i.method for page in result.slides for i in page.shown}
        return {
            "pages": len(result.slides),
            "from_video": "video" in methods,
            "review": result.review,
        }

    def discard(self, ctx: Context) -> None:
        """The decks were taken away: so are the slide outputs."""
        prune_thumbnails(ctx.summary_dir, [])
        (ctx.summary_dir / "slides.json").unlink(missing_ok=True)
