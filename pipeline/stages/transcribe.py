"""The transcribe stage: faster-whisper (default) or openai-whisper behind one function.

Both engines give the same ``Transcript``: segments with words (start, end, probability). Both run
Silero VAD first (shipped in the faster-whisper wheel) so silence yields no text and long pauses do
not make Whisper drop later passages. Models are loaded once per process and reused.
Recordings longer than ``block_seconds`` are read and recognised a block at a time, each block
ending in a pause, so memory stays flat however long the recording is.
"""

from __future__ import annotations

import base64
import bisect
import contextlib
import copy
import gzip
import importlib
import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache, partial
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import PipelineError
from ..core.stage import Context, ProgressFn, Stage
from ..core.store import read_json, write_json
from ..core.types import Heard, Segment, Transcript, Word, heard_otherwise, languages_heard
from ..core.wav import open_wav, read_samples
from ..models import encoded, weights

ENGINES = ("faster-whisper", "openai-whisper")
SR = 16000
WINDOW = 60.0  # seconds of audio per stretch the language is guessed on …
MIN_SPEECH = 3.0  # … when it holds at least this much speech


# Words ending in a full stop that do not end a sentence (compared in lower case, with the stop)
ABBREVIATIONS = (
    "mr.", "mrs.", "ms.", "dr.", "prof.", "st.", "no.", "nos.", "vs.", "jr.", "sr.", "mt.",
    "fig.", "approx.", "dept.", "e.g.", "i.e.", "cf.", "ca.", "art.", "para.", "vol.", "pp.",
)  # fmt: skip


@dataclass(frozen=True)
class TranscribeParams:
    """Everything that changes what the recogniser writes (threads change only its speed)."""

    engine: str = "faster-whisper"
    model: str = "base"
    language: str = "auto"
    compute_type: str = "int8"
    beam_size: int = 5
    batched: bool = True
    batch_size: int = 8
    prompt: str = ""
    block_seconds: float = 900.0  # longer recordings are recognised in blocks of about this …
    cut_search: float = 30.0  # … each cut in the middle of the longest pause in its last 30 s
    max_segment_seconds: float = 15.0  # decoder windows are re-cut into sentences at most this long
    segment_pause: float = 0.8  # … or at a pause this long after a word without punctuation
    abbreviations: tuple[str, ...] = ABBREVIATIONS  # their full stop ends no sentence
    task: str = "transcribe"  # or "translate": English, by the same model (the translate stage)
    no_repeat: int = 0  # no phrase of this many words twice in a window (0: no such rule)
    # batched decoding: a pause between words holding this much speech is read again (0: never) …
    reread: float = 3.0
    clip_seconds: float = 28.0  # … in clips of at most this long (Whisper reads 30 s at a time)
    clip_pause: float = 2.0  # … a longer pause starts a new clip
    # a word the decoder put in a stretch of speech it cannot have been said in moves to
    # the stretch it runs into, when at least this long a pause lies between them (0: never)
    rejoin: float = 1.0
    # a batched window whose text compresses more than this (gzip ratio: Whisper's own sign of a
    # decoding loop, repeating one sentence over the speech after it) is read again alone, with
    # Whisper's temperature fallback (0: never)
    loop_ratio: float = 2.4
    # a batched window whose words are mostly the prompt's (in runs of three or more in the
    # prompt's order: Whisper writing out the prompt over speech it cannot hear) is read again
    # without it; the new reading stands unless it is the prompt's words too (0: never)
    echo_share: float = 0.6
    # Whisper's language guess on the speech of this many minute-long stretches spread over the
    # recording: weighed by their speech, they decide an "auto" language (one stretch: the first
    # 30 s of speech decide) and check a given one (0: neither)
    language_windows: int = 3
    # each 30-s window in the language Whisper hears in it (faster-whisper's ``multilingual``);
    # also chosen, for a language to be detected, when a stretch is heard as another
    multilingual: bool = False


def _round(x: float) -> float:
    return round(float(x), 3)


# --- faster-whisper -------------------------------------------------------------------------


class _Among:
    """CTranslate2's Whisper, whose language detection chooses only among ``languages`` (among
    all, when none are given), noting each choice."""

    def __init__(self, whisper: Any, languages: Collection[str]) -> None:
        self._whisper, self._tokens = whisper, {f"<|{code}|>" for code in languages}
        self.chosen: list[tuple[str, float]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._whisper, name)

    def detect_language(self, *args: Any, **kwargs: Any) -> list[list[tuple[str, float]]]:
        held = [
            [guess for guess in guesses if guess[0] in self._tokens] or guesses
            for guesses in self._whisper.detect_language(*args, **kwargs)
        ]
        self.chosen.extend(guesses[0] for guesses in held)
        return held


def _among(model: Any, languages: Collection[str]) -> Any:
    """The faster-whisper model with its window-by-window language detection (``multilingual``)
    held to ``languages`` — the ones heard in the recording: a window of a few seconds is
    otherwise free to be heard as any language (a 4-s German tail came out in Hebrew letters).
    A shallow copy: the weights are shared."""
    held = copy.copy(model)
    held.model = _Among(model.model, languages)
    return held


@cache
def _batched() -> type:
    """faster-whisper's batched decoding that keeps the stretches of speech (Silero VAD's, in
    seconds) each window joined: ``joined``, a list per window. (A class made on first use:
    faster-whisper is imported only when a recording is transcribed.)"""
    from faster_whisper import BatchedInferencePipeline

    class Batched(BatchedInferencePipeline):
        def __init__(self, model: Any) -> None:
            super().__init__(model)
            self.joined: list[list[tuple[float, float]]] = []

        def forward(self, features: Any, tokenizer: Any, chunks: Any, options: Any) -> Any:
            self.joined += [
                [(c["start"] / SR, c["end"] / SR) for c in w["segments"]] for w in chunks
            ]
            return super().forward(features, tokenizer, chunks, options)

    return Batched


@cache
def _listening() -> type:
    """``_batched`` window by window in the language detected in each (``multilingual``), that
    keeps which language each segment was read in: ``noting(pieces)`` passes the decoded
    segments on and adds a ``windows`` entry (the segment's times, its window's language) for
    each. Its model is ``_among``'s."""

    class Listening(_batched()):  # type: ignore[misc]
        def __init__(self, model: Any) -> None:
            super().__init__(model)
            self.windows: list[Heard] = []
            self._chosen: dict[int, tuple[str, float]] = {}  # by the window's ``seek``

        def forward(self, features: Any, tokenizer: Any, chunks: Any, options: Any) -> Any:
            among = self.model.model
            among.chosen.clear()
            out = super().forward(features, tokenizer, chunks, options)
            for chunk, guess in zip(chunks, among.chosen, strict=False):
                self._chosen[int(chunk["offset"] * self.model.frames_per_second)] = guess
            return out

        def noting(self, pieces: Iterable[Any]) -> Iterator[Any]:
            for piece in pieces:
                if piece.seek in self._chosen:
                    token, p = self._chosen[piece.seek]
                    self.windows.append(
                        Heard(_round(piece.start), _round(piece.end), token[2:-2], _round(p))
                    )
                yield piece

    return Listening


def rejoined(
    segments: list[Segment], joined: Sequence[Sequence[tuple[float, float]]], least: float
) -> list[Segment]:
    """``segments`` with each word put back in the stretch of speech it was said in. Whisper
    reads a window's stretches of speech (``joined``: Silero's, per window) end to end
    and gives each word the place of the stretch its middle falls in. When music, a click or a
    cough before a long pause is a stretch of its own, Whisper can stretch the first word after
    the pause back over it, and the word lands the whole pause too early ("Everyone," at 0:00
    over 45 s of hold music, the rest of its sentence at 0:46). A word that is alone in its
    stretch, longer than that stretch (it cannot have been said in it) and runs over its edge
    into the next stretch of the window (or the last) moves there, by the pause between them
    when it lasts ``least`` seconds or more: not before that stretch's start (not after the last
    one's end). Across a shorter pause the word is at most that far off."""
    stretches = [(a, b, i < len(w) - 1, i > 0) for w in joined for i, (a, b) in enumerate(w)]
    stretches.sort()
    starts = [a for a, *_ in stretches]

    def place(w: Word) -> int | None:
        k = bisect.bisect_right(starts, (w.start + w.end) / 2) - 1
        return k if k >= 0 and (w.start + w.end) / 2 <= stretches[k][1] + 0.01 else None

    held: dict[int, int] = {}
    for w in (w for seg in segments for w in seg.words):
        if (k := place(w)) is not None:
            held[k] = held.get(k, 0) + 1

    def moved(w: Word) -> Word:
        k = place(w)
        if k is None or held[k] != 1 or w.end - w.start <= stretches[k][1] - stretches[k][0]:
            return w
        a, b, joins_next, joins_last = stretches[k]
        if joins_next and w.end > b and (gap := stretches[k + 1][0] - b) >= least:
            start = max(w.start + gap, stretches[k + 1][0])
            return replace(w, start=_round(start), end=_round(max(w.end + gap, start)))
        if joins_last and w.start < a and (gap := a - stretches[k - 1][1]) >= least:
            end = min(w.end - gap, stretches[k - 1][1])
            return replace(w, start=_round(min(w.start - gap, end)), end=_round(end))
        return w

    out = []
    for seg in segments:
        words = [moved(w) for w in seg.words]
        if words != seg.words:
            words.sort(key=lambda w: w.start)
            seg = replace(seg, start=words[0].start, end=max(w.end for w in words), words=words)
        out.append(seg)
    return out


def runs(windows: list[Heard]) -> list[Heard]:
    """Consecutive stretches in one language joined (their probabilities weighed by time)."""
    joined: list[Heard] = []
    for w in windows:
        last = joined[-1] if joined else None
        if last is None or last.language != w.language:
            joined.append(w)
            continue
        a, b = last.end - last.start, w.end - w.start
        p = (last.probability * a + w.probability * b) / (a + b) if a + b else w.probability
        joined[-1] = Heard(last.start, w.end, w.language, _round(p))
    return joined


def _faster(
    audio: np.ndarray,
    opts: TranscribeParams,
    threads: int,
    on_progress: ProgressFn | None,
    translated_to: str = "",
    among: Collection[str] = (),
) -> Transcript:
    model = weights.faster_whisper(opts.model, opts.compute_type, threads)
    _check_language(opts.language, model.supported_languages)
    if opts.multilingual:
        model = _among(model, among)
    common = _decoding(opts, None if opts.language == "auto" else opts.language)
    listening = (
        _listening()(encoded.Remembering(model)) if opts.batched and opts.multilingual else None
    )
    batched = listening or (_batched()(encoded.Remembering(model)) if opts.batched else None)
    if listening is not None:  # window by window: which language each was read in, kept
        pieces, info = listening.transcribe(audio, batch_size=opts.batch_size, **common)
        pieces = listening.noting(pieces)
    elif batched is not None:
        pieces, info = batched.transcribe(audio, batch_size=opts.batch_size, **common)
    else:
        pieces, info = model.transcribe(audio, **common)
    if translated_to:  # the language is known, no window is encoded yet
        encoded.keep(opts.batched and info.language != translated_to)
    segments = segments_of(pieces, on_progress)
    if opts.rejoin and segments:  # the sequential decoder joins Silero's stretches as ``_vad``
        joined = batched.joined if batched is not None else [_vad(audio)]
        segments = rejoined(segments, joined, opts.rejoin)
    windows = listening.windows if listening is not None else []
    if opts.batched and opts.reread:
        segments, more = reread(model, audio, segments, opts, info.language)
        windows = sorted(windows + more, key=lambda w: w.start)
    if opts.batched and opts.echo_share and opts.prompt:
        segments = unechoed(model, audio, segments, opts, info.language)
    if opts.batched and opts.loop_ratio:
        segments = unlooped(model, audio, segments, opts, info.language)
    return Transcript(
        language=info.language,
        language_probability=_round(info.language_probability),
        duration=_round(len(audio) / SR),
        engine="faster-whisper",
        model=opts.model,
        segments=segments,
        windows=windows,
    )


def _decoding(opts: TranscribeParams, language: str | None) -> dict[str, Any]:
    """faster-whisper's options for ``opts`` (``language`` None: detect it)."""
    return {
        "language": language,
        "task": opts.task,
        "no_repeat_ngram_size": opts.no_repeat,
        "beam_size": opts.beam_size,
        "word_timestamps": True,
        "condition_on_previous_text": False,
        "initial_prompt": opts.prompt or None,
        "vad_filter": True,
        "multilingual": opts.multilingual,
    }


def reread(
    model: Any, audio: np.ndarray, segments: list[Segment], opts: TranscribeParams, language: str
) -> tuple[list[Segment], list[Heard]]:
    """``segments`` with the speech no recognised word covers read again. Batched decoding has
    no fallback when Whisper ends a window early: the rest of the window's speech (a whole
    speaker's turn, at times) is lost. Pauses of at least ``opts.reread`` seconds between
    words (or before the first, after the last) in which Silero VAD hears as much speech are
    read again as clips of their own (``clips``). Read window by window (``multilingual``,
    the model ``_among``'s), also the language each clip was read in."""
    heard = unheard(audio, segments, opts.reread)
    if not heard:
        return segments, []
    spans = clips(heard, opts.clip_seconds, opts.clip_pause)
    if opts.multilingual:
        model.model.chosen.clear()
    again = read_clips(model, audio, spans, opts, language)
    chosen = model.model.chosen if opts.multilingual else []
    windows = [
        Heard(_round(a), _round(b), token[2:-2], _round(p))
        for (a, b), (token, p) in zip(spans, chosen, strict=False)
    ]
    # Whisper's own rule for a window without speech (its no-speech and log-prob thresholds)
    found = [s for s in again if s.words and not (s.no_speech_prob > 0.6 and s.avg_logprob < -1.0)]
    return in_order(segments + outside(found, segments)), windows


def outside(found: Iterable[Segment], kept: Sequence[Segment]) -> list[Segment]:
    """The segments ``found`` by reading a stretch again, less their words inside a segment of
    ``kept`` (its first word's start to its last word's end): a stretch's edge can reach into
    the next window's words, which Whisper then hears cut off, as a sentence of its own ("I'm
    going to see if I can..." over the first words of the next turn). A word left that still
    reaches into a kept segment (Whisper can stretch a cut-off word over the next one's start)
    ends where that segment starts, or begins where it ends. A segment left without words is
    dropped."""
    spans = sorted(
        (s.words[0].start, s.words[-1].end) if s.words else (s.start, s.end) for s in kept
    )
    starts = [a for a, _ in spans]
    reach = np.maximum.accumulate([b for _, b in spans]) if spans else np.array([])

    def trimmed(w: Word) -> Word | None:
        mid = (w.start + w.end) / 2
        i = bisect.bisect_right(starts, mid)  # the kept spans starting before the word's middle
        if i and reach[i - 1] > mid:
            return None  # heard in a kept segment
        start = max(w.start, float(reach[i - 1])) if i else w.start
        end = min(w.end, starts[i]) if i < len(starts) else w.end
        return w if (start, end) == (w.start, w.end) else replace(w, start=start, end=end)

    out = []
    for seg in found:
        if not seg.words:  # a segment without words: its middle decides
            if trimmed(Word(seg.start, seg.end, seg.text, 0.0)):
                out.append(seg)
            continue
        words = [t for w in seg.words if (t := trimmed(w))]
        if words and words != seg.words:
            text = "".join(w.word for w in words).strip()
            seg = replace(seg, start=words[0].start, end=words[-1].end, text=text, words=words)
        if words:
            out.append(seg)
    return out


def in_order(segments: Iterable[Segment]) -> list[Segment]:
    """The segments by start time, numbered from 0 (after some were read again or added)."""
    return [replace(s, id=i) for i, s in enumerate(sorted(segments, key=lambda s: s.start))]


def looping(segments: Iterable[Segment], ratio: float) -> list[Segment]:
    """The segments whose text compresses by more than ``ratio`` (gzip): a decoding loop. Each
    batched window is one segment, so this is Whisper's own test applied window by window."""
    from faster_whisper.transcribe import get_compression_ratio

    return [s for s in segments if s.text and get_compression_ratio(s.text) > ratio]


def echo_share(text: str, prompt: str, run: int = 3) -> float:
    """The share of ``text``'s words (case and punctuation aside) that lie in a run of at least
    ``run`` consecutive words found in the same order in ``prompt``."""
    words, given = re.findall(r"\w+", text.lower()), re.findall(r"\w+", prompt.lower())
    runs = {tuple(given[i : i + run]) for i in range(len(given) - run + 1)}
    covered = [False] * len(words)
    for i in range(len(words) - run + 1):
        if tuple(words[i : i + run]) in runs:
            covered[i : i + run] = [True] * run
    return sum(covered) / len(words) if words else 0.0


def unechoed(
    model: Any, audio: np.ndarray, segments: list[Segment], opts: TranscribeParams, language: str
) -> list[Segment]:
    """``segments`` with each window that wrote out the prompt read again without it. Over
    speech it cannot hear, Whisper may copy its prompt instead (seen on a generated French talk:
    "Pôle Mer Bretagne, Cluster Numérique Lyon, Pôle Mer Bretagne …", the sidecar's organisations,
    for 30 s of introductions). A window at least ``opts.echo_share`` made of the prompt's word
    runs (``echo_share``) is read again with no prompt; that reading replaces it unless it is made
    of the prompt's words as much (then they were said: a host reading out the programme). Where
    the new reading finds no words, the window is dropped: the prompt was all there was."""
    echoes = [s for s in segments if echo_share(s.text, opts.prompt) >= opts.echo_share]
    if not echoes:
        return segments
    plain = replace(opts, prompt="")
    again = read_clips(model, audio, [(s.start, s.end) for s in echoes], plain, language)
    echoed = {s.id for s in echoes}
    kept = [s for s in segments if s.id not in echoed]
    again = outside(again, kept)
    for echo in echoes:
        inside = [s for s in again if echo.start <= (s.start + s.end) / 2 <= echo.end]
        said = " ".join(s.text for s in inside)
        kept += [echo] if inside and echo_share(said, opts.prompt) >= opts.echo_share else inside
    return in_order(kept)


def unlooped(
    model: Any, audio: np.ndarray, segments: list[Segment], opts: TranscribeParams, language: str
) -> list[Segment]:
    """``segments`` with each window that fell into a loop read again. Batched decoding has no
    fallback: a window can repeat one sentence over the speech that follows it (seen on the
    generated webinars: one question four times over the next 20 s of answers). Such a window
    (``looping``) is read again alone, sequentially, with Whisper's temperature fallback on
    the same ratio; the sampling's seed is fixed, so a run repeats its result. What that reading
    writes out of the prompt (``echo_share``; seen on a generated French talk: "Julien Roux, Pôle
    Mer Bretagne, Cluster Numérique Lyon" for 15 s of another man's turn) is read once more
    without it."""
    loops = looping(segments, opts.loop_ratio)
    if not loops:
        return segments
    found = read_clips(model, audio, [(s.start, s.end) for s in loops], opts, language, False)
    echoes = [
        s for s in found if opts.echo_share and echo_share(s.text, opts.prompt) >= opts.echo_share
    ]
    if echoes:
        plain, spans = replace(opts, prompt=""), [(s.start, s.end) for s in echoes]
        found = [s for s in found if s not in echoes]
        found += outside(read_clips(model, audio, spans, plain, language, False), found)
    looped = {s.id for s in loops}
    kept = [s for s in segments if s.id not in looped]
    return in_order(kept + outside(found, kept))


def read_clips(
    model: Any,
    audio: np.ndarray,
    spans: list[tuple[float, float]],
    opts: TranscribeParams,
    language: str,
    batched: bool = True,
) -> list[Segment]:
    """Segments (times in ``audio``) of each (start, end) clip of ``audio``, every clip read as a
    window of its own (no voice-activity cut inside): batched, or (``batched`` False)
    sequentially, with Whisper's temperature fallback on ``opts.loop_ratio`` and a fixed
    sampling seed."""
    from faster_whisper import BatchedInferencePipeline

    if batched:
        pieces, _ = BatchedInferencePipeline(model).transcribe(
            audio,
            batch_size=opts.batch_size,
            clip_timestamps=[{"start": a, "end": b} for a, b in spans],
            **_decoding(opts, language),
        )
        return segments_of(pieces)
    import ctranslate2

    ctranslate2.set_random_seed(0)
    pieces, _ = model.transcribe(
        audio,
        clip_timestamps=[t for a, b in spans for t in (a, b)],
        compression_ratio_threshold=opts.loop_ratio,
        **{**_decoding(opts, language), "vad_filter": False},
    )
    return segments_of(pieces)


def unheard(audio: np.ndarray, segments: list[Segment], least: float) -> list[tuple[float, float]]:
    """(start, end) of the speech Silero VAD hears in each pause of at least ``least`` seconds
    between recognised words (the audio before the first word and after the last included),
    for the pauses holding at least ``least`` seconds of speech. Only the pauses are read, so
    this costs little beside the transcription."""
    said = [(w.start, w.end) for s in segments for w in s.words or [s]]  # a segment without words
    edges = [0.0, *(t for span in said for t in span), len(audio) / SR]
    out: list[tuple[float, float]] = []
    for start, end in zip(edges[::2], edges[1::2], strict=True):
        if end - start < least:
            continue
        first = int(start * SR)
        speech = [(first / SR + a, first / SR + b) for a, b in _vad(audio[first : int(end * SR)])]
        if sum(b - a for a, b in speech) >= least:
            out += speech
    return out


def clips(
    spans: Iterable[tuple[float, float]], longest: float, pause: float
) -> list[tuple[float, float]]:
    """Consecutive (start, end) spans joined into clips of at most ``longest`` seconds with no
    pause longer than ``pause`` inside; a longer span is cut into pieces of ``longest``."""
    out: list[tuple[float, float]] = []
    for start, end in spans:
        if out and start - out[-1][1] <= pause and end - out[-1][0] <= longest:
            out[-1] = (out[-1][0], end)
            continue
        while end - start > longest:
            out.append((start, start + longest))
            start += longest
        out.append((start, end))
    return out


def segments_of(pieces: Iterable[Any], on_progress: ProgressFn | None = None) -> list[Segment]:
    """faster-whisper's segments (consumed as they are decoded) as ours, numbered from 0."""
    segments = []
    for piece in pieces:
        words = [
            Word(_round(w.start), _round(w.end), w.word, _round(w.probability))
            for w in piece.words or []
        ]
        segments.append(
            Segment(
                id=len(segments),
                start=_round(piece.start),
                end=_round(piece.end),
                text=piece.text.strip(),
                words=words,
                avg_logprob=_round(piece.avg_logprob),
                no_speech_prob=_round(piece.no_speech_prob),
            )
        )
        if on_progress:
            on_progress(piece.end)
    return segments


# --- openai-whisper -------------------------------------------------------------------------


@cache
def _openai_model(model: str) -> Any:
    import whisper

    loaded = whisper.load_model(weights.openai_checkpoint(model), device="cpu")
    heads = weights.alignment_heads(model)
    if heads:
        mask = np.zeros((loaded.dims.n_text_layer, loaded.dims.n_text_head), dtype=bool)
        for layer, head in heads:
            mask[layer, head] = True
        loaded.set_alignment_heads(base64.b85encode(gzip.compress(mask.tobytes())))
    return loaded


class _FrameProgress:
    """Stands in for the tqdm bar inside ``whisper.transcribe`` (which offers no callback):
    mel frames (100 per second) in, seconds out."""

    def __init__(self, on_progress: ProgressFn, **_: Any) -> None:
        self.on_progress, self.frames = on_progress, 0

    def __enter__(self) -> _FrameProgress:
        return self

    def __exit__(self, *_: object) -> None:
        return None

    def update(self, n: int) -> None:
        self.frames += n
        self.on_progress(self.frames / 100)


@contextlib.contextmanager
def _whisper_progress(on_progress: ProgressFn | None) -> Iterator[None]:
    wt = importlib.import_module("whisper.transcribe")  # the module, not the same-named function
    if on_progress is None:
        yield
        return
    original = wt.tqdm
    wt.tqdm = type("tqdm_shim", (), {"tqdm": lambda **kw: _FrameProgress(on_progress, **kw)})
    try:
        yield
    finally:
        wt.tqdm = original


def _vad(audio: np.ndarray) -> list[tuple[float, float]]:
    """Silero VAD speech regions (its default options) as (start, end) seconds in ``audio``."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    return [(r["start"] / SR, r["end"] / SR) for r in get_speech_timestamps(audio, VadOptions())]


def _speech_regions(audio: np.ndarray) -> list[float]:
    """Silero VAD speech regions as a flat [start, end, start, end, ...] list of seconds."""
    # openai/whisper#2005: a clip ending at (or past) the last mel frame makes whisper.transcribe
    # loop forever; keep every clip inside the frames it computes (100 per second).
    last = (len(audio) // 160 - 1) / 100
    clips = [(start, min(end, last)) for start, end in _vad(audio)]
    return [t for start, end in clips if end - start >= 0.05 for t in (start, end)]


def _openai(
    audio: np.ndarray, opts: TranscribeParams, threads: int, on_progress: ProgressFn | None
) -> Transcript:
    import torch
    import whisper

    torch.set_num_threads(threads)
    model = _openai_model(opts.model)
    _check_language(
        opts.language, whisper.tokenizer.LANGUAGES if model.is_multilingual else ("en",)
    )
    duration = _round(len(audio) / SR)
    clips = _speech_regions(audio)
    language, probability = opts.language, 1.0
    if not model.is_multilingual:
        language = "en"
    if not clips:
        return Transcript(
            language if language != "auto" else "en", 0.0, duration, "openai-whisper", opts.model
        )
    if language == "auto":
        first = audio[int(clips[0] * SR) :]
        mel = whisper.log_mel_spectrogram(whisper.pad_or_trim(first), model.dims.n_mels)
        _, probs = model.detect_language(mel)
        language = max(probs, key=probs.get)
        probability = float(probs[language])
    with _whisper_progress(on_progress):
        result = model.transcribe(
            audio,
            language=language,
            beam_size=opts.beam_size,
            best_of=opts.beam_size,
            word_timestamps=True,
            condition_on_previous_text=False,
            initial_prompt=opts.prompt or None,
            clip_timestamps=clips,
            fp16=False,
            verbose=None,
        )
    segments = [
        Segment(
            id=i,
            start=_round(s["start"]),
            end=_round(s["end"]),
            text=s["text"].strip(),
            words=[
                Word(_round(w["start"]), _round(w["end"]), w["word"], _round(w["probability"]))
                for w in s.get("words", [])
            ],
            avg_logprob=_round(s["avg_logprob"]),
            no_speech_prob=_round(s["no_speech_prob"]),
        )
        for i, s in enumerate(s for s in result["segments"] if s["text"].strip())
    ]
    return Transcript(
        language, _round(probability), duration, "openai-whisper", opts.model, segments
    )


# --- one function for both ------------------------------------------------------------------

_SENTENCE_END = (".", "?", "!", "\u2026", "\u3002", "\uff1f", "\uff01")  # also CJK full stops
_CLAUSE_END = (",", ";", ":", "\u3001", "\uff0c")
_INITIALS = re.compile(r"^(?:[A-Za-z]\.)+$")  # "B.", "U.S.", "e.g."


def _check_language(language: str, known: Collection[str]) -> None:
    """One clear line (a usage error) for a language the model does not know, before any
    decoding — not the engine's message blaming the model."""
    if language != "auto" and language not in known:
        raise PipelineError(
            f"the model does not know the language '{language}' (--language, or the sidecar's "
            "`language:`)",
            fix="use auto (detect it), a code such as en, de, fr, it, es, pl or the language's "
            "name (German, Deutsch) — with a "
            "multilingual model (--model base) for a talk not in English",
            exit_code=2,
        )


def _bare(word: str) -> str:
    return word.strip().strip("\"'“”‘’()[]")


def is_abbreviation(word: str, abbreviations: tuple[str, ...] = ABBREVIATIONS) -> bool:
    """A word whose full stop does not end the sentence: "Mr.", "Dr.", "No.", "e.g.", "B."."""
    bare = _bare(word)
    return bare.lower() in abbreviations or bool(_INITIALS.match(bare))


def ends_sentence(word: str, abbreviations: tuple[str, ...] = ABBREVIATIONS) -> bool:
    """Whether ``word`` ends a sentence: a full stop, question or exclamation mark, ellipsis
    (also CJK), quotes and brackets aside — not an abbreviation's full stop."""
    bare = _bare(word)
    return bare.endswith(_SENTENCE_END) and not is_abbreviation(bare, abbreviations)


def split_sentences(
    segments: list[Segment],
    max_seconds: float = 15.0,
    pause: float = 0.8,
    abbreviations: tuple[str, ...] = ABBREVIATIONS,
) -> list[Segment]:
    """Re-cut decoder windows (batched decoding gives ~30 s ones) into sentences using word
    times: a cut after sentence-final punctuation (not after an abbreviation or an initial), at
    a pause after a word without punctuation (never at a comma's pause), and past
    ``max_seconds`` at the last clause end (comma, semicolon, colon) if there is one. A sentence
    may run on from one decoder window into the next."""
    groups: list[tuple[list[Word], Segment]] = []  # words, and the window they started in
    result: list[Segment] = []
    for seg in segments:
        if not seg.words:  # an engine that gave no words: keep the segment as it is
            groups.append(([], seg))
            continue
        for word in seg.words:
            current = groups[-1][0] if groups and groups[-1][0] else None
            if current is None:
                groups.append(([word], seg))
                continue
            last = current[-1].word.strip()
            unpunctuated = not last.endswith((*_SENTENCE_END, *_CLAUSE_END))
            if ends_sentence(last, abbreviations) or (
                unpunctuated
                and not is_abbreviation(last, abbreviations)
                and word.start - current[-1].end > pause
            ):
                groups.append(([word], seg))
            elif word.end - current[0].start > max_seconds:
                clause = [
                    i for i, w in enumerate(current[:-1]) if w.word.strip().endswith(_CLAUSE_END)
                ]
                cut = clause[-1] + 1 if clause else len(current)
                groups[-1] = (current[:cut], groups[-1][1])
                groups.append(([*current[cut:], word], seg))
            else:
                current.append(word)
    for words, seg in groups:
        if not words:
            start, end, text = seg.start, seg.end, seg.text
        else:
            start, end, text = words[0].start, words[-1].end, "".join(w.word for w in words).strip()
        if text:
            result.append(
                Segment(
                    len(result), start, end, text, list(words), seg.avg_logprob, seg.no_speech_prob
                )
            )
    return result


def _pause_middle(tail: np.ndarray) -> int:
    """Sample index of the middle of the longest pause (Silero VAD) in ``tail``; its end if the
    speech never pauses."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    edges = [0]
    # no padding, and pauses from 0.2 s (the defaults join speech across pauses under 2 s)
    for region in get_speech_timestamps(
        tail, VadOptions(min_silence_duration_ms=200, speech_pad_ms=0)
    ):
        edges += [region["start"], region["end"]]
    edges.append(len(tail))
    gaps = [(b - a, (a + b) // 2) for a, b in zip(edges[::2], edges[1::2], strict=True)]
    length, middle = max(gaps)
    return middle if length > 0 else len(tail)


def audio_blocks(
    path: Path, block: float, cut_search: float = 30.0
) -> Iterator[tuple[float, np.ndarray]]:
    """(offset in seconds, samples) of consecutive blocks of the WAV: the whole file when it is
    at most ``block`` seconds long, otherwise blocks of about that length, each cut in the middle
    of the longest pause in its last ``cut_search`` seconds (or half)."""
    with open_wav(path) as wav:
        total, start = wav.getnframes(), 0
        while True:
            end = start + int(block * SR)
            if end >= total:
                yield start / SR, read_samples(wav, start, total - start)
                return
            search = int(min(cut_search, block / 2) * SR)
            end = end - search + _pause_middle(read_samples(wav, end - search, search))
            yield start / SR, read_samples(wav, start, end - start)
            start = end


def _shift(seg: Segment, offset: float) -> Segment:
    """The segment (and its words) moved ``offset`` seconds later."""
    if not offset:
        return seg
    words = [
        replace(w, start=_round(w.start + offset), end=_round(w.end + offset)) for w in seg.words
    ]
    return replace(seg, start=_round(seg.start + offset), end=_round(seg.end + offset), words=words)


def _speech_stretches(path: Path, count: int) -> Iterator[tuple[float, float, np.ndarray]]:
    """(start, end, speech) of up to ``count`` non-overlapping stretches of ``WINDOW`` seconds
    spread evenly from the WAV's start to its end: the speech (Silero VAD) in each, at most 30 s
    of it; a stretch with under ``MIN_SPEECH`` seconds of speech is passed over."""
    with open_wav(path) as wav:
        total, span = wav.getnframes(), int(WINDOW * SR)
        count = max(1, min(count, total // span))
        for i in range(count):
            start = (total - span) * i // (count - 1) if count > 1 else 0
            audio = read_samples(wav, start, min(span, total - start))
            regions = [audio[int(a * SR) : int(b * SR)] for a, b in _vad(audio)]
            speech = np.concatenate(regions)[: 30 * SR] if regions else audio[:0]
            if len(speech) >= MIN_SPEECH * SR:
                yield start / SR, (start + len(audio)) / SR, speech


def _language_scores(speech: np.ndarray, opts: TranscribeParams, threads: int) -> dict[str, float]:
    """Whisper's probability of each language for up to 30 s of speech."""
    if opts.engine == ENGINES[0]:
        model = weights.faster_whisper(opts.model, opts.compute_type, threads)
        return dict(model.detect_language(audio=speech)[2])
    import torch
    import whisper

    torch.set_num_threads(threads)
    model = _openai_model(opts.model)
    _, probs = model.detect_language(
        whisper.log_mel_spectrogram(whisper.pad_or_trim(speech), model.dims.n_mels)
    )
    return {k: float(v) for k, v in probs.items()}


@dataclass(frozen=True)
class Spoken:
    """The language of a recording's speech and the guesses it was weighed from."""

    language: str
    probability: float
    heard: list[Heard]


def spoken_language(path: Path, opts: TranscribeParams, threads: int = 2) -> Spoken | None:
    """The language of the recording's speech: Whisper's guesses on stretches spread over it,
    each weighed by its seconds of speech — a short greeting in another language, or a silent
    waiting room, at the start does not decide for the whole talk. Guessed also when the
    language is given, to check it. None when no stretch holds speech, none is to be read or
    the model knows only English."""
    if opts.model.endswith(".en") or opts.language_windows < 1:
        return None
    totals: dict[str, float] = {}
    heard: list[Heard] = []
    for start, end, speech in _speech_stretches(path, opts.language_windows):
        scores = _language_scores(speech, opts, threads)
        for language, p in scores.items():
            totals[language] = totals.get(language, 0.0) + p * len(speech) / SR
        top = max(scores, key=scores.__getitem__)
        heard.append(Heard(_round(start), _round(end), top, _round(scores[top])))
    if not totals:
        return None
    language = max(totals, key=totals.__getitem__)
    return Spoken(language, _round(totals[language] / sum(totals.values())), heard)


@contextlib.contextmanager
def _engine_errors(opts: TranscribeParams) -> Iterator[None]:
    """The engine's failures (not the WAV's) as one line saying what to do."""
    try:
        yield
    except (RuntimeError, ValueError, OSError) as exc:
        raise PipelineError(
            f"{opts.engine} failed with model '{opts.model}': {' '.join(str(exc).split())[:300]}",
            fix="check the model name; for a corrupt cache run `cli.py models prepare --force`",
        ) from None


def transcribe(
    audio_path: Path,
    opts: TranscribeParams,
    threads: int = 2,
    on_progress: ProgressFn | None = None,
    translated_to: str = "",
) -> Transcript:
    """Recognise speech in a 16 kHz mono WAV with the engine and model of ``opts``, in the
    language of ``spoken_language`` when it is to be detected — and, when a stretch was heard as
    another language (or ``multilingual`` is asked for), each 30-s window in the one of the
    languages heard that Whisper hears in it. A long recording goes block by block (should no
    stretch have held speech, the language found in the first block with speech holds for the
    rest). ``translated_to``: the summary's language; a talk found to be in another keeps
    Whisper's encoder outputs for its translation (``models.encoded``)."""
    if opts.engine not in ENGINES:
        raise PipelineError(
            f"unknown engine '{opts.engine}'", fix=f"use one of: {', '.join(ENGINES)}", exit_code=2
        )
    parts: list[tuple[float, Transcript]] = []
    with _engine_errors(opts):
        found = spoken_language(audio_path, opts, threads)
    detected = found is not None and opts.language == "auto"
    if detected:
        changes = bool(heard_otherwise(found.heard, found.language))
        opts = replace(opts, language=found.language, multilingual=opts.multilingual or changes)
    heard = found.heard if found else []
    among = languages_heard(heard, opts.language) if heard else []
    run = (
        partial(_faster, translated_to=translated_to, among=among)
        if opts.engine == ENGINES[0]
        else _openai
    )
    for offset, audio in audio_blocks(audio_path, opts.block_seconds, opts.cut_search):
        progress = (lambda t, at=offset: on_progress(at + t)) if on_progress else None
        with _engine_errors(opts):
            part = run(audio, opts, threads, progress)
        parts.append((offset, part))
        if part.segments:
            opts = replace(opts, language=part.language)
    spoken = next((part for _, part in parts if part.segments), parts[0][1])
    mixed = opts.multilingual and opts.engine == ENGINES[0]  # openai-whisper reads one language
    windows = [
        replace(w, start=_round(w.start + offset), end=_round(w.end + offset))
        for offset, part in parts
        for w in part.windows
    ]
    spoken = replace(spoken, heard=heard, mixed=mixed, windows=runs(windows))
    if detected:
        spoken = replace(spoken, language_probability=found.probability)
    last_offset, last = parts[-1]
    segments = [_shift(seg, offset) for offset, part in parts for seg in part.segments]
    return replace(
        spoken,
        duration=_round(last_offset + last.duration),
        segments=split_sentences(
            segments, opts.max_segment_seconds, opts.segment_pause, opts.abbreviations
        ),
    )


class Transcribe(Stage):
    """``audio.wav`` → ``asr.json``: the recogniser's words, before speakers."""

    name = "transcribe"
    Params = TranscribeParams
    needs = ("extract",)
    libraries = ("faster-whisper", "ctranslate2", "openai-whisper", "torch")

    def params(self, ctx: Context) -> TranscribeParams:
        s = ctx.settings
        language = s.language if s.language != "auto" else (ctx.event.language or "auto")
        params = TranscribeParams(
            engine=s.engine,
            model=s.model,
            language=language,
            compute_type=s.compute_type,
            beam_size=s.beam_size,
            batched=s.batched,
            batch_size=s.batch_size,
            prompt=ctx.event.prompt(),
        )
        if s.engine == "openai-whisper":  # runs float32 and unbatched whatever is asked
            params = replace(params, compute_type="float32", batched=False, batch_size=1)
        return params

    def models(self, params: TranscribeParams) -> dict[str, str]:
        return {"whisper": weights.identity(params.model)}

    def outputs(self, ctx: Context, params: Any) -> list[Path]:
        return [ctx.out / "asr.json"]

    def run(
        self, ctx: Context, params: TranscribeParams, inputs: dict[str, Any], progress: ProgressFn
    ) -> Transcript:
        if params.model.endswith(".en") and params.language not in ("auto", "en"):
            raise PipelineError(
                f"model '{params.model}' knows only English, but the talk is in "
                f"'{params.language}' (the event sidecar's language)",
                fix="use the multilingual model (--model base) for a talk in another language",
                exit_code=2,
            )
        encoded.forget()  # another recording's windows
        target = "en" if ctx.settings.summary_language == "en" else ""
        return transcribe(ctx.out / "audio.wav", params, ctx.settings.threads, progress, target)

    def write(self, ctx: Context, params: Any, result: Transcript) -> None:
        write_json(ctx.out / "asr.json", result.to_dict())

    def load(self, ctx: Context, params: Any, inputs: Mapping[str, Any]) -> Transcript:
        return Transcript.from_dict(read_json(ctx.out / "asr.json"))

    def facts(self, result: Transcript) -> dict[str, Any]:
        return {"segments": len(result.segments), "language": result.language}
