"""Scores against ground truth, one definition each, for the tests and ``bench/`` alike:

- word error rate the usual way (jiwer after openai-whisper's text normaliser: the English one
  for English, the basic one — case, punctuation, diacritics kept as letters — for others);
- diarization error rate with pyannote.metrics (``collar`` is pyannote's total width: 0.5 means
  ±0.25 s; ``skip_overlap=False``), over the whole recording;
- which found speaker stands for each true one (most shared time);
- topic agreement: the share of known-topic time inside a span of that topic;
- naming evidence: whether a written phrasing is read for the right person and voice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

TimedLabel = tuple[float, float, str]  # (start, end, who or what)


@cache
def normaliser(language: str = "en"):  # type: ignore[no-untyped-def]
    from whisper.normalizers import BasicTextNormalizer, EnglishTextNormalizer

    return EnglishTextNormalizer() if language == "en" else BasicTextNormalizer()


def wer(reference: str, hypothesis: str, language: str = "en") -> float:
    """WER of ``hypothesis`` against ``reference``, both normalised (numbers, spelling, case)."""
    import jiwer

    normalise = normaliser(language)
    ref, hyp = normalise(reference), normalise(hypothesis)
    if not ref.strip():
        return 0.0 if not hyp.strip() else 1.0
    return float(jiwer.wer(ref, hyp))


def annotation(turns: Iterable[TimedLabel]) -> Any:
    """A pyannote ``Annotation`` of (start, end, speaker) turns."""
    from pyannote.core import Annotation, Segment

    ann = Annotation()
    for i, (start, end, who) in enumerate(turns):
        ann[Segment(start, end), i] = who
    return ann


def read_rttm(path: Path) -> list[TimedLabel]:
    """The (start, end, speaker) turns of an RTTM file (its first recording)."""
    from pyannote.database.util import load_rttm

    reference = next(iter(load_rttm(str(path)).values()))
    return [
        (seg.start, seg.end, str(who)) for seg, _, who in reference.itertracks(yield_label=True)
    ]


def der(
    reference: Sequence[TimedLabel],
    hypothesis: Sequence[TimedLabel],
    end: float,
    collar: float = 0.5,
) -> float:
    """Diarization error rate of ``hypothesis`` over [0, ``end``]."""
    from pyannote.core import Segment, Timeline
    from pyannote.metrics.diarization import DiarizationErrorRate

    metric = DiarizationErrorRate(collar=collar, skip_overlap=False)
    uem = Timeline([Segment(0, end)])
    return float(metric(annotation(reference), annotation(hypothesis), uem=uem))


def speaker_map(
    reference: Sequence[TimedLabel], hypothesis: Sequence[TimedLabel]
) -> dict[str, str]:
    """For each true speaker, the found speaker who shares most of their time with them (several
    true speakers can map to one found speaker: that is a merge)."""
    shared: dict[str, dict[str, float]] = {}
    for r_start, r_end, truth in reference:
        for h_start, h_end, found in hypothesis:
            overlap = min(r_end, h_end) - max(r_start, h_start)
            if overlap > 0:
                shared.setdefault(truth, {}).setdefault(found, 0.0)
                shared[truth][found] += overlap
    return {truth: max(by, key=lambda k: by[k]) for truth, by in shared.items()}


def topic_agreement(turns: list[dict], spans: list[dict]) -> float:
    """Share of the turns' time (``start``, ``end``, ``topic``) lying inside a span of the same
    topic."""
    matched = sum(
        max(0.0, min(t["end"], s["end"]) - max(t["start"], s["start"]))
        for t in turns
        for s in spans
        if s["topic"] == t["topic"]
    )
    return matched / sum(t["end"] - t["start"] for t in turns)


def phrasing_read(
    kind: str, person: str, text: str, people: Sequence[Any], language: str = "en"
) -> bool:
    """Whether the name stage reads ``text`` (said in ``language``) as evidence of ``kind``
    naming ``person`` for the right voice: a self-introduction for its own voice (after someone
    else's), a hand-off for the next voice, thanks for the voice before; kind ``none`` (a
    mention, "As Glenda said"): no evidence of anyone. ``people``: the event page's ``Speaker``
    list. ``text`` is read one sentence at a time, cut where the transcript cuts (not after
    "Mr." or "Dr.")."""
    from pipeline.stages.name import Utterance, gather
    from pipeline.stages.transcribe import ends_sentence

    turns = {
        "self-introduction": [(0, "Welcome."), (1, text)],
        "hand-off": [(0, text), (1, "Hello.")],
        "none": [(0, "Welcome."), (1, text), (2, "Hello.")],
    }.get(kind, [(1, "That is all from me."), (0, text)])
    said: list[Utterance] = []
    for speaker, words in turns:  # each voice 3 s after the last sentence, 2 s a sentence
        start = said[-1].start + 3.0 if said else 0.0
        split = words.split()
        cuts = [k + 1 for k, w in enumerate(split) if ends_sentence(w)]
        for k, (a, b) in enumerate(zip([0, *cuts], [*cuts, None], strict=True)):
            if part := " ".join(split[a:b]):
                said.append(Utterance(speaker, start + 2.0 * k, part))
    found = gather(said, list(people), language=language)
    if kind == "none":
        return all(e.kind == "organisation" for e in found)
    return any(e.kind == kind and e.speaker == 1 and e.person == person for e in found)
