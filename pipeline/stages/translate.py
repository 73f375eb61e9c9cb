"""The translate stage: English text for a talk in another language, so that topics, sentence
functions, takeaways and the abstract can read it; the transcript outputs stay in the talk's
language.

Whisper's own translation task (the same multilingual model as the transcript, ``task=translate``,
with word times) reads the recording again exactly as the transcription did — the same blocks,
the same voice-activity windows, batched — so the encoder outputs the transcription kept for it
(``models.encoded``) are decoded again instead of computed again. Every English word keeps its
time, so each English word lands in the original segment it was said in (``Translation.onto``),
and so with that segment's speaker. Repeated three-word phrases are barred (batched decoding
has no temperature fallback, and on weak audio the translation can loop). Whisper's
translation can also stop before the end of its window: runs of recognised segments that no
English word landed in are read once more, in clips of consecutive segments (up to
``chunk_seconds``, cut at pauses over ``chunk_pause``). Nothing runs — no model is loaded — when
the talk is already in the summary language or the user asked for a summary in the talk's own
language (``same``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import PipelineError
from ..core.stage import Context, ProgressFn, Stage
from ..core.store import read_json, write_json
from ..core.types import Segment, Transcript, Translation
from ..core.wav import spans_only
from ..models import encoded, weights
from .transcribe import TranscribeParams, clips, in_order, read_clips, transcribe

SR = 16000
TARGETS = ("en", "same")


@dataclass(frozen=True)
class TranslateParams:
    """What changes the English text (threads change only its speed)."""

    target: str = "en"  # the summary's language: "en", or "same" (the talk's, no translation)
    model: str = "base"
    compute_type: str = "int8"
    beam_size: int = 1  # greedy: the English feeds topics and takeaways, not the transcript
    batch_size: int = 8
    no_repeat: int = 3  # no phrase of this many words twice in one window
    refill: float = 3.0  # a run of untranslated segments this long (speech s) is read again …
    chunk_seconds: float = 28.0  # … in clips of at most this long (Whisper reads 30 s at a time)
    chunk_pause: float = 2.0  # … a longer pause between two segments starts a new clip

    def reading(self, language: str) -> TranscribeParams:
        """The transcription's settings for reading the talk in ``language`` into English."""
        return TranscribeParams(
            model=self.model,
            language=language,
            compute_type=self.compute_type,
            beam_size=self.beam_size,
            batch_size=self.batch_size,
            task="translate",
            no_repeat=self.no_repeat,
            reread=0.0,  # what the translation skipped is found by ``missed`` instead
            language_windows=0,  # the language is the transcription's
        )


def missed(segments: list[Segment], english: list[Segment], least: float) -> list[list[Segment]]:
    """Runs of consecutive recognised segments that no English word landed in (as
    ``Translation.onto`` places words), each holding at least ``least`` seconds of speech."""
    covered = {seg.id for seg in Translation("", "", True, "", english).onto(segments)}
    runs: list[list[Segment]] = []
    for i, seg in enumerate(segments):
        if seg.id in covered:
            continue
        if runs and segments[i - 1] is runs[-1][-1]:
            runs[-1].append(seg)
        else:
            runs.append([seg])
    return [run for run in runs if sum(s.end - s.start for s in run) >= least]


def parts_in_other_languages(
    transcript: Transcript, target: str
) -> list[tuple[str, list[Segment]]]:
    """Runs of consecutive segments a talk that changes language was transcribed in another
    language than ``target`` (``Transcript.language_of``), with that language."""
    parts: list[tuple[str, list[Segment]]] = []
    previous = target
    for seg in transcript.segments:
        language = transcript.language_of(seg)
        if language != target:
            if language == previous:
                parts[-1][1].append(seg)
            else:
                parts.append((language, [seg]))
        previous = language
    return parts


def translate(
    audio: np.ndarray,
    language: str,
    spans: list[tuple[float, float]],
    p: TranslateParams,
    threads: int,
) -> list[Segment]:
    """English segments (with word times in the recording) for each clip of ``audio``."""
    model = weights.faster_whisper(p.model, p.compute_type, threads)
    return read_clips(model, audio, spans, p.reading(language), language)


class Translate(Stage):
    """``audio.wav`` + ``asr.json`` → ``translation.json``: English words with times, for a talk
    in another language (or a note of why none was needed)."""

    name = "translate"
    Params = TranslateParams
    needs = ("extract", "transcribe")
    libraries = ("faster-whisper", "ctranslate2")

    def params(self, ctx: Context) -> TranslateParams:
        s = ctx.settings
        return TranslateParams(
            target=s.summary_language,
            model=s.model,
            compute_type=s.compute_type,
            batch_size=s.batch_size,
        )

    def models(self, params: TranslateParams) -> dict[str, str]:
        return {"whisper": weights.identity(params.model)} if params.target == "en" else {}

    def outputs(self, ctx: Context, params: Any) -> list[Path]:
        return [ctx.out / "translation.json"]

    def run(
        self, ctx: Context, params: TranslateParams, inputs: Mapping[str, Any], progress: ProgressFn
    ) -> Translation:
        try:
            return self._english(ctx, params, inputs["transcribe"], progress)
        finally:  # the windows the transcription kept are used now, or never
            encoded.forget()

    def _english(
        self, ctx: Context, params: TranslateParams, recognised: Transcript, progress: ProgressFn
    ) -> Translation:
        source = recognised.language
        if params.target == "same":
            return Translation(
                source, source, False, "a summary in the talk's language was asked for"
            )
        foreign = parts_in_other_languages(recognised, params.target)
        if source == params.target and not foreign:
            return Translation(source, params.target, False, f"the talk is in '{source}'")
        if not recognised.segments:
            return Translation(source, params.target, False, "no speech was recognised")
        if not foreign:  # changes language, but every window was read in the summary's
            why = f"every part was transcribed in '{params.target}'"
            return Translation(params.target, params.target, False, why)
        if params.model.endswith(".en"):
            raise PipelineError(
                f"the talk is in '{source}' but model '{params.model}' knows only English",
                fix="use a multilingual model (--model base), or --summary-language same",
                exit_code=2,
            )
        wav, threads = ctx.out / "audio.wav", ctx.settings.threads
        if source == params.target:  # it changes language: only its parts in other languages
            return self._parts(wav, foreign, params, threads)
        english = transcribe(wav, params.reading(source), threads, progress).segments
        encoded.forget()  # before the re-read
        again = missed(recognised.segments, english, params.refill)
        if again:
            more = [
                c
                for run in again
                for c in clips(
                    ((s.start, s.end) for s in run), params.chunk_seconds, params.chunk_pause
                )
            ]
            english += translate(spans_only(wav, more), source, more, params, threads)
            english = in_order(english)
        return Translation(source, params.target, True, "", english)

    @staticmethod
    def _parts(
        wav: Path, foreign: list[tuple[str, list[Segment]]], p: TranslateParams, threads: int
    ) -> Translation:
        """The parts of a talk that changes language that are not in the summary's language,
        each read into English in the language it was transcribed in (clips of its segments);
        the rest is read as it was said."""
        spans: dict[str, list[tuple[float, float]]] = {}
        for language, run in foreign:
            cut = clips(((s.start, s.end) for s in run), p.chunk_seconds, p.chunk_pause)
            spans.setdefault(language, []).extend(cut)
        only = sorted(span for cut in spans.values() for span in cut)
        audio = spans_only(wav, only)  # read once, whatever the number of parts
        english = [
            seg
            for language, cut in spans.items()
            for seg in translate(audio, language, cut, p, threads)
        ]
        english = in_order(english)
        return Translation("+".join(spans), p.target, True, "", english, only)

    def write(self, ctx: Context, params: Any, result: Translation) -> None:
        write_json(ctx.out / "translation.json", result.to_dict())

    def load(self, ctx: Context, params: Any, inputs: Mapping[str, Any]) -> Translation:
        data = read_json(ctx.out / "translation.json")
        return Translation.from_dict(data)

    def facts(self, result: Translation) -> dict[str, Any]:
        if not result.needed:
            return {"translated": False, "why": result.why}
        return {"translated": True, "from": result.source, "segments": len(result.segments)}
