"""Diarization benchmark: DER (pyannote.metrics), speaker count, naming, RTF and peak memory.

    .venv/bin/python bench/diarization.py [DIR] [--webinars 10,60] [--voices [--panels N]]
        [--telephone N] [--rooms N] [--codecs N]
        [--library] [--captions N] [--placed N] [--tracks N]

DIR holds ``X.wav`` + ``X.rttm`` pairs (default ``../shared/data/diar``: the pyannote sample
and AMI excerpts). ``--webinars`` adds generated demo webinars of the given lengths in minutes
(known turns and names) and reports naming accuracy too. ``--voices`` adds panels built from
real voices (``../shared/data/voices``; ``--panels`` from the tune pool and as many from the
held-out report pool, 10 each by default) and the espeak webinar whose five voices differ only
by variant, through the whole pipeline (named by the words). ``--telephone N`` runs the first N
panels of each pool through a telephone line, with and without the narrowband prior; ``--rooms N``
puts the people of the first N panels of each pool in reverberant rooms; ``--codecs N`` keeps the
first N panels of each pool as call recorders do, in a lossy codec at a low bit rate.
``--captions N`` gives the first N panels of each pool a meeting platform's transcript made
from their reference and measures what its use in the name stage does; ``--placed N`` shifts
such a transcript, with words another recogniser heard, in time and measures its placing by
them. ``--tracks N`` gives
them their people's own tracks, as Zoom records them, and measures the tracks stage and what
the name stage does with them. ``--library`` measures the voice library on real voices: recognition of enrolled people and
strangers wrongly named, against the threshold. DER is reported at collar 0 and 0.5
(pyannote's total width, i.e. ±0.25 s), ``skip_overlap=False``. Results go to bench/results.md;
the last line is machine-readable: ``der=<mean DER, collar 0, over DIR>``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from common import SHARED_DATA, machine, peak_rss_mb, write_section

VOICES = SHARED_DATA / "voices"
SHOWN_PANELS = 10  # real-voice panels of a pool with a row of their own in the table

COLLARS = (0.0, 0.25, 0.5)


def score(reference: list, hypothesis: list, end: float) -> dict:
    from pipeline.tools.evaluate import der

    return {f"der{c:g}": der(reference, hypothesis, end, collar=c) for c in COLLARS}


def one(wav: str, rttm: str, extra: dict) -> dict:
    """Child process: diarize one file, score it."""
    from pipeline.core.wav import load_audio
    from pipeline.stages.diarize import DiarizeParams, diarize
    from pipeline.tools.evaluate import read_rttm

    audio = load_audio(Path(wav))
    reference = read_rttm(Path(rttm))
    t0 = time.perf_counter()
    found = diarize(audio, DiarizeParams(hint=extra.get("hint")), threads=2)
    seconds = time.perf_counter() - t0
    hypothesis = [(t.start, t.end, f"S{t.speaker}") for t in found.turns]
    return {
        **score(reference, hypothesis, len(audio) / 16000),
        "found": len({t.speaker for t in found.turns}),
        "true": len({who for _, _, who in reference}),
        "far_field": found.far_field,
        "narrowband": found.narrowband,
        "rtf": seconds / (len(audio) / 16000),
        "peak_rss_mb": peak_rss_mb(),
        "duration": len(audio) / 16000,
    }


def webinar(minutes: int, folder: str) -> dict:
    """Child process: a generated webinar through the whole pipeline; DER, count, naming, WER
    against the script, and the share of scripted speech time whose topic span has the scripted
    topic."""
    from webinar import make_long_webinar

    from pipeline.core.config import Settings
    from pipeline.service.runner import run
    from pipeline.tools.evaluate import read_rttm, speaker_map, topic_agreement, wer

    files, _ = make_long_webinar(Path(folder), minutes)
    settings = Settings(
        transcripts_dir=Path(folder) / "out", summaries_dir=Path(folder) / "summaries", threads=2
    )
    result = run(files.recording, settings)
    manifest = json.loads((result.out_dir / "manifest.json").read_text())
    reference = read_rttm(files.rttm)
    hypothesis = read_rttm(result.out_dir / "speakers.rttm")
    truth = json.loads(files.truth.read_text())
    names = {p["key"]: (p["name"] if p["listed"] else None) for p in truth["people"]}
    mapped = speaker_map(reference, hypothesis)
    correct = sum(
        label.replace("_", " ") == names[who]
        or (names[who] is None and label.startswith("Speaker_"))
        for who, label in mapped.items()
    )
    spans = json.loads((settings.summaries_dir / result.rec_id / "topics.json").read_text())[
        "spans"
    ]
    duration = result.transcript.duration
    return {
        "topics": topic_agreement(truth["turns"], spans),
        "wer": wer(" ".join(t["text"] for t in truth["turns"]), result.transcript.text),
        **score(reference, hypothesis, duration),
        "found": len({who for _, _, who in hypothesis}),
        "true": len({who for _, _, who in reference}),
        "rtf": manifest["stages"]["diarize"]["seconds"] / duration,
        "rtf_all": sum(st["seconds"] for st in manifest["stages"].values()) / duration,
        "naming": f"{correct}/{len(mapped)}",
        "peak_rss_mb": peak_rss_mb(),
        "duration": duration,
    }


def heard_as(r: dict) -> str:
    """How the diarization heard a recording, for the table."""
    field = "far-field" if r["far_field"] else "near-field"
    return f"{field}, telephone band" if r["narrowband"] else field


def voice_panel(spec: dict, folder: str, params: dict | None = None) -> dict:
    """Child process: a panel of real voices, diarized with the event page's count as a hint
    (moderator and panelists listed; the audience is not); with ``spec["telephone"]`` heard
    through a telephone line (``voices.telephone``), with ``params`` overriding the diarization's
    defaults."""
    from pipeline.core.wav import load_audio
    from pipeline.stages.diarize import DiarizeParams, diarize
    from pipeline.tools import voices
    from pipeline.tools.evaluate import read_rttm

    built = voices.build_panel(VOICES, Path(folder), spec)
    wav = built.wav
    if spec.get("telephone"):
        wav = voices.telephone(wav, wav.with_suffix(".telephone.wav"))
    if spec.get("codec"):
        wav = voices.lossy(wav, wav.with_suffix(".lossy.wav"), spec["codec"])
    audio = load_audio(wav)
    reference = read_rttm(built.rttm)
    t0 = time.perf_counter()
    found = diarize(
        audio, DiarizeParams(hint=1 + len(spec["panelists"]), **(params or {})), threads=2
    )
    seconds = time.perf_counter() - t0
    hypothesis = [(t.start, t.end, f"S{t.speaker}") for t in found.turns]
    return {
        **score(reference, hypothesis, len(audio) / 16000),
        "found": len({t.speaker for t in found.turns}),
        "true": len(built.people),
        "uncertain": len(found.uncertain),
        "narrowband": found.narrowband,
        "far_field": found.far_field,
        "rtf": seconds / (len(audio) / 16000),
        "duration": len(audio) / 16000,
    }


def platform_cues(reference: list, seed: str) -> list:
    """A meeting platform's transcript of ``reference`` as its recogniser cuts it: each person's
    speech in cues of at most 8 s, every edge moved by up to 0.3 s either way (seeded)."""
    import random

    from pipeline.core.captions import Cue

    rng = random.Random(seed)
    cues = []
    for start, end, who in sorted(reference):
        while start < end:
            stop = min(end, start + 8.0)
            a, b = start + rng.uniform(-0.3, 0.3), stop + rng.uniform(-0.3, 0.3)
            if b - a > 0.2:
                cues.append(Cue(round(max(0.0, a), 3), round(b, 3), who))
            start = stop
    return cues


def _named_by(found: object, cues: list) -> list:
    """The voices ``found`` split and named by a platform transcript's ``cues`` (no event
    page), as (start, end, name or label)."""
    from pipeline.core.types import SpeakerInfo
    from pipeline.stages import name
    from pipeline.stages.evidence import Resolution

    params = name.NameParams()
    resolution = Resolution(
        found.turns, found.voices, origin={t.speaker: t.speaker for t in found.turns}
    )
    captioned = name.Captioned.of(cues)
    split = name.regroup_by_captions(resolution, captioned, params)
    speakers = sorted({t.speaker for t in split.turns})
    table = [SpeakerInfo(id=f"S{k + 1}", label=f"Speaker {k + 1}") for k in speakers]
    name.by_captions(table, split.turns, captioned, [], params)
    label = {info.index: info.name or info.label for info in table}
    return [(t.start, t.end, label[t.speaker]) for t in split.turns]


SHIFTS = (-60, -15, -5, -2, 2, 5, 15, 60)  # seconds a platform transcript is late (or early)
CUTS = (30, 120, 600)  # seconds cut out of the recording in its middle (a break)
# how a platform transcript's times are off: (late by, and later still from the middle cue on)
CONDITIONS = (
    {"aligned": (0, 0)}
    | {f"{d:+d} s": (d, 0) for d in SHIFTS}
    | {f"cut {c} s": (0, c) for c in CUTS}
    | {"trimmed 15 s, cut 120 s": (15, 120)}
)


def placed_panel(spec: dict, other: dict, folder: str) -> dict:
    """Child process: a real-voice panel diarized and transcribed as the pipeline does
    (faster-whisper base), with a platform transcript of its reference whose words another
    recogniser heard (tiny.en: cues of ``platform_cues``, each with the words whose middle lies
    in it), shifted by each of ``SHIFTS``: where the name stage places it (``name.placed``),
    whether it is then used, DER after; and the transcript of another panel (``other``, no
    person's recording in common) offered as this one's."""
    from pipeline.core.wav import load_audio
    from pipeline.stages import name
    from pipeline.stages import transcribe as T
    from pipeline.stages.diarize import DiarizeParams, diarize
    from pipeline.tools import voices
    from pipeline.tools.evaluate import read_rttm

    built = voices.build_panel(VOICES, Path(folder), spec)
    foreign = voices.build_panel(VOICES, Path(folder) / "other", other)
    audio = load_audio(built.wav)
    reference = read_rttm(built.rttm)
    end = len(audio) / 16000
    found = diarize(audio, DiarizeParams(hint=1 + len(spec["panelists"])), threads=2)
    ours = T.transcribe(built.wav, T.TranscribeParams(language="en"), 2).segments

    def platform(panel: object, seed: str) -> list:
        theirs = T.transcribe(panel.wav, T.TranscribeParams(language="en", model="tiny.en"), 2)
        words = [(w.start, w.end, w.word) for s in theirs.segments for w in s.words]
        return [
            replace(c, text="".join(w for a, z, w in words if c.start <= (a + z) / 2 < c.end))
            for c in platform_cues(read_rttm(panel.rttm), seed)
        ]

    params = name.NameParams()
    cues = platform(built, spec["name"])
    middle = cues[len(cues) // 2].start
    rows, spent = {}, 0.0
    for label, (d, cut) in CONDITIONS.items():
        late = [d + (cut if c.start >= middle else 0) for c in cues]
        given = [
            replace(c, start=c.start + s, end=c.end + s) for c, s in zip(cues, late, strict=True)
        ]
        t0 = time.perf_counter()
        where = name.placed(given, ours, params)
        spent = max(spent, time.perf_counter() - t0)
        put = [where.put(c) for c in given]
        errors = [abs(p.start - c.start) for p, c in zip(put, cues, strict=True)]
        agree = name.agreement(found.turns, name.Captioned.of(put))
        use = agree >= params.caption_agreement and not where.foreign
        rows[label] = {
            "moved": bool(where.moved),
            "pieces": len(where.moved),
            "error": max(errors),
            "within": sum(e <= 0.5 for e in errors) / len(errors),
            "told": where.heard,
            "agreement": agree,
            "used": use,
            "unplaced_used": name.agreement(found.turns, name.Captioned.of(given))
            >= params.caption_agreement,
            "der": score(reference, _named_by(found, put), end)["der0.5"] if use else None,
        }
    theirs = platform(foreign, other["name"])
    where = name.placed(theirs, ours, params)
    agree = name.agreement(found.turns, name.Captioned.of([where.put(c) for c in theirs]))
    return {
        "alone": score(reference, [(t.start, t.end, f"S{t.speaker}") for t in found.turns], end)[
            "der0.5"
        ],
        "shifted": rows,
        "foreign": {
            "moved": bool(where.moved),
            "told": where.heard,
            "agreement": agree,
            "agreed": agree >= params.caption_agreement,
            "used": agree >= params.caption_agreement and not where.foreign,
        },
        "cues": len(cues),
        "place_seconds": spent,
        "duration": end,
    }


def captioned_panel(spec: dict, folder: str) -> dict:
    """Child process: a real-voice panel diarized as ``voice_panel`` does, then split and named
    by a platform transcript of its reference (``platform_cues``); DER, count and voices named
    right, before and after."""
    from pipeline.core.wav import load_audio
    from pipeline.stages import name
    from pipeline.stages.diarize import DiarizeParams, diarize
    from pipeline.tools import voices
    from pipeline.tools.evaluate import read_rttm, speaker_map

    built = voices.build_panel(VOICES, Path(folder), spec)
    audio = load_audio(built.wav)
    reference = read_rttm(built.rttm)
    found = diarize(audio, DiarizeParams(hint=1 + len(spec["panelists"])), threads=2)
    end = len(audio) / 16000
    before = [(t.start, t.end, f"S{t.speaker}") for t in found.turns]
    cues = platform_cues(reference, spec["name"])
    moved = {
        **{
            f"shifted {d} s": [replace(c, start=c.start + d, end=c.end + d) for c in cues]
            for d in (2, 5, 15, 60)
        },
        "reversed": [replace(c, start=end - c.end, end=end - c.start) for c in cues],
    }
    agree = {
        label: name.agreement(found.turns, name.Captioned.of(some))
        for label, some in {"aligned": cues, **moved}.items()
    }
    params = name.NameParams()
    start = time.perf_counter()
    used = agree["aligned"] >= params.caption_agreement
    after = _named_by(found, cues) if used else before
    seconds = time.perf_counter() - start
    mapped = speaker_map(reference, after)
    return {
        "before": {**score(reference, before, end), "found": len({w for *_, w in before})},
        "after": {**score(reference, after, end), "found": len({w for *_, w in after})},
        "true": len(built.people),
        "named": sum(mapped.get(who) == who for who in built.people),
        "agreement": agree,
        "used": used,
        "cues": len(cues),
        "seconds": seconds,
        "duration": end,
    }


NAMES = ("AnnaLindqvist", "BrunoMarchetti", "CarolinaGarcés", "DavidOkafor", "EvaNováková")
NAMES += ("FrankMüller", "GretaHansen", "HugoBernard", "IrisDekker")


def zoom_tracks(built: object, folder: Path, seed: str, bleed: float | None) -> dict:
    """Each person's own track of a panel as Zoom keeps it: AAC in ``.m4a``, named
    ``audio<Name><number>.m4a``, starting when they joined (the moderator at the start, each
    other person 0–30 s later, never after their first words); ``bleed`` (dB): the others'
    speech leaking into each track that much lower. {path: (person, join time)}."""
    import random

    import numpy as np
    import soundfile

    rng = random.Random(seed)
    mix, _ = soundfile.read(str(built.wav), dtype="float32")
    folder.mkdir(parents=True, exist_ok=True)
    found = {}
    for i, person in enumerate(built.people):
        own, rate = soundfile.read(
            str(built.wav.with_name(f"{built.wav.stem}.track-{person}.wav")), dtype="float32"
        )
        first = min(t.start for t in built.turns if t.speaker == person)
        join = 0.0 if i == 0 else round(min(rng.uniform(0, 30), max(0.0, first - 1)), 2)
        if bleed is not None:
            own = own + (mix - own) * 10 ** (bleed / 20)
        raw = folder / f"{person}.wav"
        soundfile.write(str(raw), np.clip(own[int(join * rate) :], -1, 1), rate, subtype="PCM_16")
        path = folder / f"audio{NAMES[i]}{rng.randrange(10**10, 10**11)}.m4a"
        subprocess.run(
            [
                "ffmpeg",
                "-v",
                "error",
                "-y",
                "-i",
                str(raw),
                "-c:a",
                "aac",
                "-b:a",
                "48k",
                str(path),
            ],
            check=True,
        )
        raw.unlink()
        found[path] = (person, join)
    return found


def tracked_panel(spec: dict, other: dict, folder: str, bleed: float | None) -> dict:
    """Child process: a real-voice panel diarized as ``voice_panel`` does, then split and named
    by its people's own tracks (``zoom_tracks``) placed by the tracks stage; the next panel's
    tracks (other people, or the same people saying other things) offered beside them."""
    from pipeline.core import participants
    from pipeline.core.captions import Cue
    from pipeline.core.types import SpeakerInfo
    from pipeline.core.wav import load_audio
    from pipeline.stages import name, tracks
    from pipeline.stages.diarize import DiarizeParams, diarize
    from pipeline.stages.evidence import Resolution
    from pipeline.tools import voices
    from pipeline.tools.evaluate import read_rttm, speaker_map

    built = voices.build_panel(VOICES, Path(folder) / "own", spec, tracks=True)
    foreign = voices.build_panel(VOICES, Path(folder) / "other", other, tracks=True)
    own = zoom_tracks(built, Path(folder) / "zoom", spec["name"], bleed)
    theirs = zoom_tracks(foreign, Path(folder) / "other-zoom", other["name"], bleed)
    audio = load_audio(built.wav)
    end = len(audio) / 16000
    reference = read_rttm(built.rttm)
    who = {person: participants.who(path) for path, (person, _) in own.items()}
    reference = [(a, b, who[w]) for a, b, w in reference]
    found = diarize(audio, DiarizeParams(hint=1 + len(spec["panelists"])), threads=2)
    before = [(t.start, t.end, f"S{t.speaker}") for t in found.turns]
    start = time.perf_counter()
    placed = tracks.find_tracks([*own, *theirs], built.wav, tracks.TracksParams(), lambda _: None)
    seconds = time.perf_counter() - start
    entries = {t.file: t for t in placed.tracks}
    mine = [entries[p.name] for p in own]
    params = name.NameParams()
    captioned = name.Captioned.of([Cue(*said) for said in placed.spoken], tracks=True)
    agreed = name.agreement(found.turns, captioned)
    after = before
    if agreed >= params.caption_agreement:
        resolution = Resolution(
            found.turns, found.voices, origin={t.speaker: t.speaker for t in found.turns}
        )
        split = name.regroup_by_captions(resolution, captioned, params)
        split = name.timed_by_tracks(split, captioned)
        speakers = sorted({t.speaker for t in split.turns})
        table = [SpeakerInfo(id=f"S{k + 1}", label=f"Speaker {k + 1}") for k in speakers]
        name.by_captions(table, split.turns, captioned, [], params)
        label = {info.index: info.name or info.label for info in table}
        after = [(t.start, t.end, label[t.speaker]) for t in split.turns]
    mapped = speaker_map(reference, after)
    return {
        "before": {**score(reference, before, end), "found": len({w for *_, w in before})},
        "after": {**score(reference, after, end), "found": len({w for *_, w in after})},
        "tracks_alone": score(reference, list(placed.spoken), end),
        "true": len(built.people),
        "named": sum(mapped.get(w) == w for w in who.values()),
        "placed": sum(t.used for t in mine),
        "offset_error": max(
            abs(entries[p.name].offset - join) if entries[p.name].offset is not None else 99.0
            for p, (_, join) in own.items()
        ),
        "match_own": min(t.match for t in mine),
        "foreign_used": sum(entries[p.name].used for p in theirs),
        "foreign": len(theirs),
        "match_foreign": max(entries[p.name].match for p in theirs),
        "agreement": agreed,
        "seconds": seconds,
        "track_seconds": sum(end for _ in own) + sum(end for _ in theirs),
        "duration": end,
    }


def similar_voices(folder: str, rotate: int) -> dict:
    """Child process: the espeak webinar whose five voices differ only by variant, through the
    whole pipeline: DER, count, naming. ``rotate`` gives each person the voice of the person
    ``rotate`` places further down the list (another way for the voices to merge)."""
    from dataclasses import replace

    from pipeline.core.config import Settings
    from pipeline.service.runner import run
    from pipeline.tools import demo
    from pipeline.tools.evaluate import read_rttm, speaker_map

    voices = [p.voice for p in demo.SIMILAR]
    people = [
        replace(p, voice=voices[(i + rotate) % len(voices)]) for i, p in enumerate(demo.SIMILAR)
    ]
    files = demo.make_webinar(
        Path(folder) / f"r{rotate}",
        name="similar-voices",
        script=demo.SIMILAR_SCRIPT,
        people=people,
    )
    settings = Settings(
        transcripts_dir=Path(folder) / "out", summaries_dir=Path(folder) / "summaries", threads=2
    )
    result = run(files.recording, settings)
    reference, hypothesis = read_rttm(files.rttm), read_rttm(result.out_dir / "speakers.rttm")
    names = {p.key: p.name.replace(" ", "_") for p in demo.SIMILAR}
    mapped = speaker_map(reference, hypothesis)
    return {
        **score(reference, hypothesis, result.transcript.duration),
        "found": len({who for _, _, who in hypothesis}),
        "true": len(demo.SIMILAR),
        "naming": f"{sum(mapped.get(k) == v for k, v in names.items())}/{len(names)}",
        "split": sum(bool(s.notes) for s in result.speakers),
        "duration": result.transcript.duration,
    }


def library_curve() -> dict:
    """Child process: voiceprints as the pipeline makes them (a CAM++ embedding of up to 3 s of
    each turn, averaged with length weights), on real voices. For each pool: its people with a
    minute or more of speech enrolled from half their utterances and probed with the other half
    (and with one utterance, like a short question); its one-utterance people as strangers."""
    import numpy as np

    from pipeline.stages.diarize import DiarizeParams, _embed_batched, _middle, fbank
    from pipeline.tools import voices

    everyone = voices.people(VOICES)
    seconds = DiarizeParams().embed_seconds

    def prints(files) -> tuple[np.ndarray, float]:
        inputs, lengths = [], []
        for path in files:
            audio = voices._trim(voices._read(path))
            feats = fbank(audio, 2)
            inputs.append(_middle(feats - feats.mean(axis=0), seconds))
            lengths.append(len(audio) / 16000)
        vectors = _embed_batched(inputs, 2)
        mean = (vectors * np.array(lengths)[:, None]).sum(axis=0)
        return mean / np.linalg.norm(mean), sum(lengths)

    out: dict[str, dict] = {}
    for pool, long in (("tune", voices.TUNE), ("report", voices.REPORT)):
        enrolled = {pid: prints(everyone[pid].files[:5])[0] for pid in long}
        probes_long = {pid: prints(everyone[pid].files[5:])[0] for pid in long}
        probes_short = {pid: prints(everyone[pid].files[5:6])[0] for pid in long}
        strangers = {pid: prints(everyone[pid].files)[0] for pid in voices.audience(VOICES, pool)}
        names = list(enrolled)
        matrix = np.stack([enrolled[k] for k in names])

        def decide(
            vector, threshold: float, matrix=matrix, names=names, margin: float = 0.05
        ) -> str | None:
            scores = matrix @ vector
            order = np.argsort(-scores)
            best, second = scores[order[0]], scores[order[1]]
            return names[order[0]] if best >= threshold and best - second >= margin else None

        rows = []
        for threshold in np.arange(0.40, 0.81, 0.05):
            rows.append(
                {
                    "threshold": round(float(threshold), 2),
                    "recognised": np.mean(
                        [decide(v, threshold) == k for k, v in probes_long.items()]
                    ),
                    "recognised_short": np.mean(
                        [decide(v, threshold) == k for k, v in probes_short.items()]
                    ),
                    "strangers_named": np.mean(
                        [decide(v, threshold) is not None for v in strangers.values()]
                    ),
                }
            )
        out[pool] = {"rows": rows, "people": len(names), "strangers": len(strangers)}
    return out


def child(spec: dict) -> dict:
    """Run one measurement in a fresh process (its own peak memory, no model left loaded)."""
    proc = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(spec)], capture_output=True, text=True
    )
    if proc.returncode:
        raise SystemExit(proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_child(wav: Path, rttm: Path, extra: dict | None = None) -> dict:
    return child({"kind": "file", "wav": str(wav), "rttm": str(rttm), "extra": extra or {}})


def _tally(group: list[dict]) -> tuple[float, int, int]:
    """Panels' mean DER (collar 0.5), how many are over 5 %, how many counted exactly."""
    mean = sum(r["der0.5"] for r in group) / len(group)
    over = sum(r["der0.5"] > 0.05 for r in group)
    return mean, over, sum(r["found"] == r["true"] for r in group)


def voices_section(count: int) -> None:
    """``count`` real-voice panels of each pool (tune, report) and the similar-voices espeak
    webinar; the first ``SHOWN_PANELS`` of a pool get a row each, the rest a summary line."""
    from pipeline.tools import voices

    lines = [
        f"Run {dt.date.today()} on {machine()}, 2 threads. Panels built by `pipeline/tools/voices.py` "
        "from ../shared/data/voices (LibriSpeech, VCTK; CC BY 4.0): a moderator with short turns, "
        "four panelists in two rounds, two audience questions from one-utterance readers, pauses, "
        "20 % of changes overlapping by 0.2–0.7 s, each person at their own level (−6…+3 dB "
        "around −23 dBFS). The reference marks speech (Silero VAD on each person's clean audio, "
        "pauses ≥ 0.3 s are not speech). Diarize stage alone, the event page's count (moderator "
        "and panelists) as the hint. Thresholds were chosen on the tune pool; the report pool's "
        "people were never looked at while tuning.",
        "",
        "| panel | pool | duration s | DER collar 0 | DER collar 0.5 | speakers found / true | uncertain | diarize RTF |",
        "|---|---|---|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for pool in ("tune", "report"):
            group = []
            for spec in voices.panels(VOICES, pool, count):
                r = child({"kind": "panel", "spec": spec, "folder": tmp})
                group.append(r)
                row = (
                    f"| {spec['name']} | {pool} | {r['duration']:.0f} | {r['der0']:.3f} | "
                    f"{r['der0.5']:.3f} | {r['found']} / {r['true']} | {r['uncertain']} | {r['rtf']:.3f} |"
                )
                print(row, file=sys.stderr)
                if len(group) <= SHOWN_PANELS:
                    lines.append(row)
            summaries = [(f"{pool} mean", group[:SHOWN_PANELS])]
            if count > SHOWN_PANELS:
                summaries.append((f"{pool}, all {count}", group))
            for label, some in summaries:
                mean, over, exact = _tally(some)
                lines.append(
                    f"| **{label}** | | | | **{mean:.3f}** ({over} over 0.05) | "
                    f"{exact}/{len(some)} exact | | |"
                )
        similar = [child({"kind": "similar", "folder": tmp, "rotate": k}) for k in (0, 2)]
    lines += [
        "",
        "The espeak webinar whose five voices differ only by variant (en-gb+m3, en-us+m5, en-gb+f4, "
        "en-us+f2, en-us+f3; pitch 50, speed 155), everyone introducing themselves and the "
        "moderator handing over by name, three rounds (`demo.SIMILAR_SCRIPT`), whole pipeline. "
        "The rules that read the floor from the words were worked out on the first row; the "
        "second gives every person another of the five voices, so other voices merge:",
        "",
        "| webinar | duration s | DER collar 0 | DER collar 0.5 | speakers found / true | named right | speakers with an evidence note |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, r in zip(("similar voices", "similar voices, voices rotated"), similar, strict=True):
        lines.append(
            f"| {label} | {r['duration']:.0f} | {r['der0']:.3f} | {r['der0.5']:.3f} | "
            f"{r['found']} / {r['true']} | {r['naming']} | {r['split']} |"
        )
    write_section("Voices", "\n".join(lines))
    print("\n".join(lines))


def _panels_as(
    pool: str, count: int, folder: str, change: dict, params: dict | None = None
) -> list[dict]:
    """The first ``count`` panels of a pool, each with ``change`` to its spec (how it is
    heard), diarized in a child process with ``params``."""
    from pipeline.tools import voices

    return [
        child({"kind": "panel", "spec": {**spec, **change}, "folder": folder, "params": params})
        for spec in voices.panels(VOICES, pool, count)
    ]


def captions_section(count: int) -> None:
    """The first ``count`` real-voice panels of each pool, with a meeting platform's transcript
    of their reference (``platform_cues``): voices alone, then split and named by it; and how
    far transcripts shifted in time or reversed (another recording's) agree with the voices."""
    from pipeline.stages.name import NameParams
    from pipeline.tools import voices

    lines = [
        f"Run {dt.date.today()} on {machine()}, 2 threads. The first {count} panels of each pool "
        "(as in Voices), diarized with the event page's count as the hint; then the name stage's "
        "use of a meeting platform's transcript (`regroup_by_captions`, `by_captions`) on a "
        "transcript made from each panel's reference as a platform's recogniser cuts it: each "
        "person's speech in cues of at most 8 s, every cue edge moved by up to 0.3 s (seeded). "
        "No event page (names as the platform gives them). A name counts in a voice for ≥ "
        "`caption_seconds` (1 s: chosen on the tune pool, where 2 s, set a priori, left a 1.9-s "
        "question out of two panels; the report pool was not looked at for it); > 60 % of a "
        "voice's speech names it (set a priori). A real platform's cues are "
        "cut and timed by its own recogniser, and a shared room microphone gives one name to "
        "several people: read these as the best case. Misaligned: the same transcript shifted "
        "2, 5, 15 and 60 s later, and reversed in time (as another recording's would fall); a "
        "transcript agreeing with the voices less than `caption_agreement` (0.85, chosen on "
        "the espeak demo's transcript shifted by 0–60 s before this was run) is not used.",
        "",
        "| pool | panels | DER collar 0.5, voices alone | with the platform's transcript | exact counts, alone | with it | voices named right | transcripts used | agreement, aligned (lowest) | misaligned ones used, agreement (highest) | time for the transcript's use |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for pool in ("tune", "report"):
            group = [
                child({"kind": "captioned", "spec": spec, "folder": tmp})
                for spec in voices.panels(VOICES, pool, count)
            ]
            for r in group:
                print(json.dumps(r), file=sys.stderr)

            def mean(key: str, part: str, some: list = group) -> float:
                return sum(r[part][key] for r in some) / len(some)

            exact = {
                part: sum(r[part]["found"] == r["true"] for r in group)
                for part in ("before", "after")
            }
            named = sum(r["named"] for r in group)
            people = sum(r["true"] for r in group)
            aligned = min(r["agreement"]["aligned"] for r in group)
            wrong = [v for r in group for k, v in r["agreement"].items() if k != "aligned"]
            gate = NameParams().caption_agreement
            lines.append(
                f"| {pool} | {len(group)} | {mean('der0.5', 'before'):.3f} | "
                f"**{mean('der0.5', 'after'):.3f}** | {exact['before']}/{len(group)} | "
                f"**{exact['after']}/{len(group)}** | {named}/{people} | "
                f"{sum(r['used'] for r in group)}/{len(group)} | {aligned:.3f} | "
                f"{sum(v >= gate for v in wrong)}/{len(wrong)}, {max(wrong):.3f} | "
                f"{max(r['seconds'] for r in group) * 1000:.0f} ms at most |"
            )
    write_section("Platform transcripts", "\n".join(lines))
    print("\n".join(lines))


def _other_meetings(pool: str, count: int) -> list[tuple[dict, dict]]:
    """The first ``count`` panels of a pool, each with another meeting: the next panel with no
    audience member in common (one has a single utterance: in both panels it would be the very
    same recording, as no two meetings are)."""
    from pipeline.tools import voices

    specs = voices.panels(VOICES, pool, count + 5)
    return [
        (spec, next(o for o in specs[i + 1 :] if not set(o["guests"]) & set(spec["guests"])))
        for i, spec in enumerate(specs[:count])
    ]


def placed_section(count: int) -> None:
    """The first ``count`` real-voice panels of each pool with a platform transcript whose words
    another recogniser heard, shifted in time: placed by its words, then used or not."""
    from pipeline.stages.name import NameParams

    p = NameParams()
    lines = [
        f"Run {dt.date.today()} on {machine()}, 2 threads. The first {count} panels of each pool "
        "(as in Voices), diarized with the event page's count as the hint and transcribed as "
        "the pipeline does (faster-whisper `base`, int8). Each gets a platform transcript of "
        "its reference (cues as in Platform transcripts) whose words another recogniser heard "
        "(faster-whisper `tiny.en` on the whole panel; a cue holds the words whose middle lies "
        "in it), its times made later (or earlier) by "
        f"{', '.join(f'{d:+d}' for d in SHIFTS)} s, as a recording trimmed or started at "
        "another moment than the platform's would have it (*shifted*); or, from its middle cue "
        f"on, later by {', '.join(map(str, CUTS))} s, and 15 s late before and 135 s after, as "
        "a recording with a break cut out of it would have it (*cut*: two pieces). The name "
        "stage places it where its words are heard (`captions.offset`: every three words in a "
        "row of a cue heard in the recording at most 3 times tell how far it lies; the offsets "
        "most cues tell within 2 s are candidates, the cues in time order take them piece by "
        "piece (Viterbi: a cue telling another costs 1, a new piece 3), each made exact by "
        "where its cues' first words were heard; moved if ≥ "
        f"`caption_offset` {p.caption_offset:g} s and told by ≥ `caption_found` "
        f"{p.caption_found:.0%} of its cues with words), then uses it if it agrees with the "
        "voices (≥ 0.85, as before) and — with ≥ "
        f"`caption_judged` {p.caption_judged} cues of three words or more — the words of ≥ "
        f"{p.caption_found:.0%} of them are heard in the recording. *Another meeting*: the "
        "next panel's transcript with no audience member in common, offered as this one's "
        "(its people may be the same readers, saying other things). The thresholds were set a "
        "priori; see docs/benchmarks.md for what was run before they were. Nothing was chosen "
        "on either pool.",
        "",
        "| pool | off by | transcripts | placed | in as many pieces as made | cues within 0.5 s, lowest share | largest error | own cues heard, lowest share | used, placed | used had they not been placed | DER collar 0.5: voices alone | aligned transcript | placed | another meeting's: placed | its cues heard, highest share | agreeing by names | used | time to place |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for pool in ("tune", "report"):
        group = []
        for spec, other in _other_meetings(pool, count):
            with tempfile.TemporaryDirectory() as tmp:
                group.append(child({"kind": "placed", "spec": spec, "other": other, "folder": tmp}))
            print(json.dumps(group[-1]), file=sys.stderr)
        aligned = [r["shifted"]["aligned"] for r in group]
        others = [r["foreign"] for r in group]

        def der(some: list) -> str:
            ders = [m["der"] for m in some if m["der"] is not None]
            return f"{sum(ders) / len(ders):.3f}" if ders else "—"

        for kind, pieces in (("shifted", 1), ("cut", 2)):
            rows = [
                r["shifted"][label]
                for r in group
                for label, (d, cut) in CONDITIONS.items()
                if (cut > 0) == (kind == "cut") and (d or cut)
            ]
            lines.append(
                f"| {pool} | {kind} | {len(rows)} | **{sum(m['moved'] for m in rows)}/"
                f"{len(rows)}** | {sum(m['pieces'] == pieces for m in rows)}/{len(rows)} | "
                f"{min(m['within'] for m in rows):.2f} | {max(m['error'] for m in rows):.2f} s | "
                f"{min(m['told'] or 0.0 for m in [*rows, *aligned]):.2f} | "
                f"**{sum(m['used'] for m in rows)}/{len(rows)}** | "
                f"{sum(m['unplaced_used'] for m in rows)}/{len(rows)} | "
                f"{sum(r['alone'] for r in group) / len(group):.3f} | {der(aligned)} "
                f"({sum(a['moved'] for a in aligned)} of {len(aligned)} moved) | {der(rows)} | "
                f"{sum(o['moved'] for o in others)}/{len(others)} | "
                f"{max(o['told'] or 0.0 for o in others):.2f} | "
                f"{sum(o['agreed'] for o in others)}/{len(others)} | "
                f"**{sum(o['used'] for o in others)}/{len(others)}** | "
                f"{max(r['place_seconds'] for r in group) * 1000:.0f} ms at most |"
            )
            print(lines[-1], file=sys.stderr)
    write_section("Platform transcripts placed by their words", "\n".join(lines))
    print("\n".join(lines))


def tracks_section(count: int) -> None:
    """The first ``count`` real-voice panels of each pool with their people's own tracks (as
    Zoom keeps them) beside them, clean and with the others' speech leaking in at −30 dB."""

    lines = [
        f"Run {dt.date.today()} on {machine()}, 2 threads. The first {count} panels of each pool "
        "(as in Voices), diarized with the event page's count as the hint; beside each, its "
        "people's own tracks as Zoom keeps them (`zoom_tracks`: AAC 48 kbit/s `.m4a` named "
        "`audio<Name><number>.m4a`, each starting when its person joined: the moderator at the "
        "start, the others 0–30 s later, seeded) and the next panel's tracks as well with no "
        "audience member in common (other people, or the same people saying other things: "
        "tracks of another meeting). The tracks "
        "stage places each (offset by cross-correlation, used if its speech correlates with the "
        "recording's ≥ `match` 0.5, set a priori), then the name stage uses the speech of those "
        "placed as it uses a platform's transcript (`regroup_by_captions`, `by_captions`; no "
        "event page). *Leaking*: every track also holds the others' speech 30 dB lower (what "
        "a participant's echo cancellation lets through).",
        "",
        "| pool | tracks | panels | DER collar 0.5, voices alone | with the tracks | the tracks' speech alone | exact counts, alone | with them | voices named right | own tracks placed | largest offset error | lowest match, own | other meeting's used | highest match, other | tracks stage RTF |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for pool in ("tune", "report"):
        pairs = _other_meetings(pool, count)
        for label, bleed in (("clean", None), ("leaking", -30.0)):
            group = []
            for spec, other in pairs:
                with tempfile.TemporaryDirectory() as tmp:
                    group.append(
                        child(
                            {
                                "kind": "tracked",
                                "spec": spec,
                                "other": other,
                                "folder": tmp,
                                "bleed": bleed,
                            }
                        )
                    )
                print(json.dumps(group[-1]), file=sys.stderr)

            def mean(key: str, part: str, some: list = group) -> float:
                return sum(r[part][key] for r in some) / len(some)

            exact = {p: sum(r[p]["found"] == r["true"] for r in group) for p in ("before", "after")}
            lines.append(
                f"| {pool} | {label} | {len(group)} | {mean('der0.5', 'before'):.3f} | "
                f"**{mean('der0.5', 'after'):.3f}** | {mean('der0.5', 'tracks_alone'):.3f} | "
                f"{exact['before']}/{len(group)} | **{exact['after']}/{len(group)}** | "
                f"{sum(r['named'] for r in group)}/{sum(r['true'] for r in group)} | "
                f"{sum(r['placed'] for r in group)}/{sum(r['true'] for r in group)} | "
                f"{max(r['offset_error'] for r in group):.3f} s | "
                f"{min(r['match_own'] for r in group):.3f} | "
                f"{sum(r['foreign_used'] for r in group)}/{sum(r['foreign'] for r in group)} | "
                f"{max(r['match_foreign'] for r in group):.3f} | "
                f"{sum(r['seconds'] for r in group) / sum(r['track_seconds'] for r in group):.4f} |"
            )
            print(lines[-1], file=sys.stderr)
    write_section("Participant tracks", "\n".join(lines))
    print("\n".join(lines))


def telephone_section(count: int) -> None:
    """``count`` real-voice panels of each pool through a telephone line, diarized as they are
    (heard as telephone band: the narrowband prior) and with that prior off."""
    lines = [
        f"Run {dt.date.today()} on {machine()}, 2 threads. The first {count} panels of each pool "
        "(as in Voices) through a telephone line, as a dial-in bridge records a call: 300–3400 Hz, "
        "8 kHz G.711 µ-law and back to 16 kHz (`voices.telephone`, ffmpeg); the reference is "
        "the clean panel's. Diarize stage alone, the event page's count as the hint. *As heard*: "
        "read as telephone band, the segmentation's speech prior applies (`narrowband_prior`, "
        "chosen on the tune pool) and the voices are taken where the model heard speech unaided; "
        "*prior off*: `narrowband_prior=0`, the diarization of before.",
        "",
        "| pool | panels | heard as telephone band | DER collar 0.5, as heard | over 0.05 | exact count | DER collar 0.5, prior off | over 0.05 | exact count |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for pool in ("tune", "report"):
            runs = {}
            for label, params in (("heard", None), ("off", {"narrowband_prior": 0.0})):
                runs[label] = _panels_as(pool, count, tmp, {"telephone": True}, params)
            cells = [pool, str(count), f"{sum(r['narrowband'] for r in runs['heard'])}/{count}"]
            for group in runs.values():
                mean, over, exact = _tally(group)
                cells += [f"{mean:.3f}", str(over), f"{exact}/{count}"]
            lines.append("| " + " | ".join(cells) + " |")
            print(lines[-1], file=sys.stderr)
    write_section("Telephone", "\n".join(lines))
    print("\n".join(lines))


def _condition_rows(
    count: int, conditions: list[tuple[str, dict]], extra: Callable[[list[dict]], str]
) -> list[str]:
    """A table row per pool and condition (its label, the ``spec`` change that makes it): the
    first ``count`` panels' mean DER at collar 0.5, panels over 5 %, exact counts, ``extra``."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for pool in ("tune", "report"):
            for label, change in conditions:
                group = _panels_as(pool, count, tmp, change)
                mean, over, exact = _tally(group)
                rows.append(
                    f"| {pool} | {label} | {count} | {mean:.3f} | {over} | {exact}/{count} | "
                    f"{extra(group)} |"
                )
                print(rows[-1], file=sys.stderr)
    return rows


def rooms_section(count: int) -> None:
    """``count`` real-voice panels of each pool with their people in reverberant rooms."""
    lines = [
        f"Run {dt.date.today()} on {machine()}, 2 threads. The first {count} panels of each pool "
        "(as in Voices), every person's speech convolved with a room's impulse response "
        "(`voices.rooms`: image-source method, pyroomacoustics; the reverberation rings on after "
        "each turn, the reference marks the speech). *Own rooms*: each person in a room of their "
        "own, reverberation time 0.2–0.8 s, 0.3–1.5 m from the microphone (a webinar from homes "
        "and offices); *shared room*: a hybrid meeting, everyone 1–3 m from one microphone in a "
        "6–9 × 4–7 m room of 0.4–0.8 s. Diarize stage alone, the event page's count as the hint; "
        "nothing was chosen on these rows.",
        "",
        "| pool | rooms | panels | DER collar 0.5 | over 0.05 | exact count | heard as far-field |",
        "|---|---|---|---|---|---|---|",
    ]
    rooms = [("own rooms", {"room": "own"}), ("shared room", {"room": "shared"})]
    lines += _condition_rows(count, rooms, lambda g: f"{sum(r['far_field'] for r in g)}/{count}")
    write_section("Rooms", "\n".join(lines))
    print("\n".join(lines))


def codecs_section(count: int) -> None:
    """``count`` real-voice panels of each pool kept in lossy codecs at low bit rates."""
    from pipeline.tools import voices

    lines = [
        f"Run {dt.date.today()} on {machine()}, 2 threads. The first {count} panels of each pool "
        "(as in Voices), as they are and encoded and decoded again as call recorders and "
        "streaming sites keep a webinar's sound (`voices.lossy`, ffmpeg: Opus at 16 kbit/s in "
        "its VoIP mode, AAC-LC at 32 kbit/s); the reference is the clean panel's. Diarize stage "
        "alone, the event page's count as the hint; nothing was chosen on these rows.",
        "",
        "| pool | sound | panels | DER collar 0.5 | over 0.05 | exact count | uncertain |",
        "|---|---|---|---|---|---|---|",
    ]
    sounds = [("as recorded (WAV)", {}), *((c, {"codec": c}) for c in voices.CODECS)]
    lines += _condition_rows(count, sounds, lambda g: str(sum(r["uncertain"] for r in g)))
    write_section("Codecs", "\n".join(lines))
    print("\n".join(lines))


def library_section() -> None:
    """The voice library's recognition and false names against the threshold, per pool."""
    r = child({"kind": "library"})
    lines = [
        f"Run {dt.date.today()} on {machine()}. Voiceprints as the pipeline makes them (CAM++ on up "
        "to 3 s of clean speech per turn, averaged with length weights; here a turn is one "
        "utterance). Enrolled: each person of the pool with a minute or more of speech, from "
        "the first half of their utterances (one recording); probed with the other half (another "
        "recording), and with one utterance of it (a short question). Strangers: the pool's "
        "one-utterance readers, never enrolled. A name is given when the best similarity reaches "
        "the threshold and no other enrolled voice is within 0.05 of it.",
        "",
        "| pool | threshold | enrolled recognised (half) | enrolled recognised (one utterance) | strangers wrongly named |",
        "|---|---|---|---|---|",
    ]
    for pool in ("tune", "report"):
        for row in r[pool]["rows"]:
            lines.append(
                f"| {pool} ({r[pool]['people']} people, {r[pool]['strangers']} strangers) | "
                f"{row['threshold']:.2f} | {row['recognised']:.1%} | {row['recognised_short']:.1%} | "
                f"{row['strangers_named']:.1%} |"
            )
    write_section("Library", "\n".join(lines))
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, default=SHARED_DATA / "diar")
    parser.add_argument(
        "--webinars", default="", help="comma-separated demo webinar lengths in minutes"
    )
    parser.add_argument("--voices", action="store_true", help="real-voice panels, similar voices")
    parser.add_argument("--panels", type=int, default=10, help="real-voice panels per pool")
    parser.add_argument(
        "--telephone", type=int, default=0, help="real-voice panels per pool through a phone line"
    )
    parser.add_argument(
        "--rooms", type=int, default=0, help="real-voice panels per pool in reverberant rooms"
    )
    parser.add_argument(
        "--codecs", type=int, default=0, help="real-voice panels per pool in lossy codecs"
    )
    parser.add_argument(
        "--library", action="store_true", help="the voice library's threshold curve"
    )
    parser.add_argument(
        "--captions",
        type=int,
        default=0,
        help="real-voice panels per pool with a meeting platform's transcript",
    )
    parser.add_argument(
        "--placed",
        type=int,
        default=0,
        help="real-voice panels per pool with a platform transcript shifted in time",
    )
    parser.add_argument(
        "--tracks",
        type=int,
        default=0,
        help="real-voice panels per pool with their people's own tracks (Zoom's)",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        spec = json.loads(args.child)
        kind = spec.pop("kind", "file")
        result = {
            "webinar": lambda: webinar(spec["minutes"], spec["folder"]),
            "panel": lambda: voice_panel(spec["spec"], spec["folder"], spec.get("params")),
            "similar": lambda: similar_voices(spec["folder"], spec["rotate"]),
            "library": library_curve,
            "captioned": lambda: captioned_panel(spec["spec"], spec["folder"]),
            "placed": lambda: placed_panel(spec["spec"], spec["other"], spec["folder"]),
            "tracked": lambda: tracked_panel(
                spec["spec"], spec["other"], spec["folder"], spec["bleed"]
            ),
            "file": lambda: one(spec["wav"], spec["rttm"], spec["extra"]),
        }[kind]()
        print(json.dumps(result, default=float))
        return
    if args.voices:
        voices_section(args.panels)
    if args.telephone:
        telephone_section(args.telephone)
    if args.rooms:
        rooms_section(args.rooms)
    if args.codecs:
        codecs_section(args.codecs)
    if args.library:
        library_section()
    if args.captions:
        captions_section(args.captions)
    if args.placed:
        placed_section(args.placed)
    if args.tracks:
        tracks_section(args.tracks)
    if any(
        (
            args.voices,
            args.telephone,
            args.rooms,
            args.codecs,
            args.library,
            args.captions,
            args.placed,
            args.tracks,
        )
    ):
        return

    rows = []
    for wav in sorted(args.folder.glob("*.wav")):
        rttm = wav.with_suffix(".rttm")
        if rttm.exists():
            rows.append((wav.stem, run_child(wav, rttm)))
            print(f"{wav.stem}: {rows[-1][1]['der0']:.3f}", file=sys.stderr)
    lines = [
        f"Run {dt.date.today()} on {machine()}, 2 threads. DER via pyannote.metrics, skip_overlap=False; "
        'collar 0.5 = ±0.25 s (the usual "0.25 collar"); collar 0.25 = ±0.125 s is the convention of '
        "the 34 % figure in MODELS.md.",
        "",
        "| file | duration s | DER collar 0 | DER collar 0.25 | DER collar 0.5 | speakers found / true "
        "| heard as | RTF | peak RSS MB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in rows:
        lines.append(
            f"| {name} | {r['duration']:.0f} | {r['der0']:.3f} | {r['der0.25']:.3f} | {r['der0.5']:.3f} | "
            f"{r['found']} / {r['true']} | {heard_as(r)} | "
            f"{r['rtf']:.3f} | {r['peak_rss_mb']:.0f} |"
        )
    ami = [r for name, r in rows if name != "sample"]
    for label, group in (
        (f"all ({len(rows)})", [r for _, r in rows]),
        (f"AMI mean ({len(ami)})", ami),
    ):
        if group:
            means = " | ".join(
                f"{sum(r[k] for r in group) / len(group):.3f}"
                for k in ("der0", "der0.25", "der0.5")
            )
            lines.append(f"| **{label}** | | {means} | | | | |")
    if args.webinars:
        lines += [
            "",
            "Generated webinars through the whole pipeline (`bench/webinar.py`: the demo's five voices, "
            "four of them listed in the sidecar, one audience member never introduced; naming = true speakers "
            "whose words carry the right name, or stay anonymous; topics = share of scripted speech time "
            "inside a span of the scripted topic; WER against the script, whisper's normaliser):",
            "",
            "| webinar | DER collar 0 | DER collar 0.5 | speakers found / true | naming | diarize RTF | "
            "topics | WER | pipeline RTF | peak RSS MB |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        with tempfile.TemporaryDirectory() as tmp:
            for minutes in [int(m) for m in args.webinars.split(",") if m]:
                r = child({"kind": "webinar", "minutes": minutes, "folder": tmp})
                lines.append(
                    f"| {minutes} min ({r['duration']:.0f} s) | {r['der0']:.3f} | {r['der0.5']:.3f} | "
                    f"{r['found']} / {r['true']} | {r['naming']} | {r['rtf']:.3f} | {r['topics']:.3f} | "
                    f"{r['wer']:.3f} | {r['rtf_all']:.3f} | "
                    f"{r['peak_rss_mb']:.0f} |"
                )
                print(lines[-1], file=sys.stderr)
    write_section("Diarization", "\n".join(lines))
    print("\n".join(lines))
    mean = sum(r["der0"] for _, r in rows) / max(len(rows), 1)
    print(f"der={mean:.3f}")


if __name__ == "__main__":
    main()
