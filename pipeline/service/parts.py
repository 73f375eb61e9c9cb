"""One webinar recorded in parts — Zoom starts a new file each time the recording is stopped and
started again (``zoom_0.mp4``, ``zoom_1.mp4``), a recorder splits at a size limit — joined end to
end into one recording that is processed like any other. ffmpeg's concat demuxer copies the
streams when every part is encoded alike (seconds for an hour); parts encoded otherwise have
their sound joined and encoded again, without their video (no slides are read from it). Each
join is remembered by content in the transcripts folder, so that a batch does not process its
parts on their own as well."""

from __future__ import annotations

import os
import re
import shlex
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import ffmpeg
from filelock import FileLock, Timeout

from ..core.config import Settings
from ..core.errors import PipelineError
from ..core.event import SIDECAR_SUFFIXES, find_sidecar
from ..core.probe import MEDIA_SUFFIXES, ffmpeg_name, last_line, probe, run_with_progress
from ..core.store import (
    HASH_CACHE,
    as_named,
    atomic_write,
    cached_sha256,
    file_sha256,
    read_json,
    write_json,
)
from ..core.types import MediaInfo

# Zoom's names for the files of one meeting's recording, a new one each time it is started again
ZOOM_PARTS = (
    re.compile(r"zoom_\d+\.mp4", re.IGNORECASE),
    re.compile(r"video\d{6,}\.mp4", re.IGNORECASE),
)
RECORD = ".joined.json"  # in the transcripts folder: {joined sha256: [its parts' sha256]}
JOINING = ".joining.lock"  # in the transcripts folder: held by the join under way
# seconds the joined length may differ from the parts' added up (each part's last packets)
SLACK = 1.0
# the sound alone, encoded again, by the joined file's kind (AAC where it is not told)
SOUND = {
    ".webm": ("libopus", "96k"), ".weba": ("libopus", "96k"), ".ogg": ("libopus", "96k"),
    ".oga": ("libopus", "96k"), ".opus": ("libopus", "96k"), ".mp3": ("libmp3lame", "128k"),
    ".wav": ("pcm_s16le", None), ".flac": ("flac", None),
}  # fmt: skip


@dataclass(frozen=True)
class Joined:
    """A recording joined from its parts: where each part starts in it, whether their streams
    were copied end to end (``why`` not, if not: their sound alone was joined), whether this
    call made it."""

    path: Path
    parts: tuple[Path, ...]
    starts: tuple[float, ...]
    duration: float
    copied: bool
    why: str = ""
    made: bool = True


def _streams(part: Path) -> tuple[tuple[object, ...], ...]:
    """What must match for the parts' streams to be copied end to end: each moving video's codec
    and size, each audio track's codec, rate and channels."""
    streams = ffmpeg.probe(ffmpeg_name(part))["streams"]
    return tuple(
        (s["codec_type"], s.get("codec_name"), s.get("width"), s.get("height"))
        if s["codec_type"] == "video"
        else (s["codec_type"], s.get("codec_name"), s.get("sample_rate"), s.get("channels"))
        for s in streams
        if s.get("codec_type") == "audio"
        or (s.get("codec_type") == "video" and not s.get("disposition", {}).get("attached_pic"))
    )


def _told(layout: tuple[tuple[object, ...], ...]) -> str:
    """A part's streams as a person reads them: "h264 1920×1080, aac 48000 Hz"."""
    return ", ".join(
        f"{codec} {a}×{b}" if kind == "video" else f"{codec} {a} Hz" for kind, codec, a, b in layout
    )


def checked(parts: Sequence[Path], output: Path) -> list[MediaInfo]:
    """Each part read as a recording (a clear error for the one that is not); the parts and the
    joined file's name make sense together."""
    if len(parts) < 2:
        raise PipelineError(
            "only one part given",
            parts[0] if parts else None,
            "give two parts or more (a recording in one piece: cli.py run it)",
            exit_code=2,
        )
    named = [as_named(p) for p in parts]
    for path in (*named, output):
        if "\n" in str(path) or "\r" in str(path):
            raise PipelineError(
                "a line break in the name", repr(str(path)), "rename it first", exit_code=2
            )
    seen: set[Path] = set()
    for path in named:
        if path.exists() and path.resolve() in seen:
            raise PipelineError("given twice", path, "give each part once", exit_code=2)
        seen.add(path.resolve())
    if output.suffix.lower() not in MEDIA_SUFFIXES:
        raise PipelineError(
            "the joined recording's name does not end as a recording's",
            output,
            "end it in .mp4, .mkv, .m4a, … (the kind of file ffmpeg writes)",
            exit_code=2,
        )
    if output.resolve() in seen:
        raise PipelineError(
            "the joined recording would replace one of its parts",
            output,
            "give --output another name",
            exit_code=2,
        )
    return [probe(path) for path in named]


def _concat_list(parts: Sequence[Path], where: Path) -> Path:
    """The concat demuxer's list of ``parts`` (absolute ``file:`` URLs, quotes escaped)."""
    lines = ["ffconcat version 1.0"]
    lines += ["file '" + ffmpeg_name(p).replace("'", "'\\''") + "'" for p in parts]
    listing = where / "parts.ffconcat"
    listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return listing


def _copied(
    parts: Sequence[Path], video: bool, target: Path, progress: Callable[[float], None]
) -> str:
    """Join by copying the streams; "" when done, else what ffmpeg said."""
    listing = _concat_list(parts, target.parent)
    joined = ffmpeg.input(str(listing), f="concat", safe=0)
    streams = (joined["v:0"], joined["a"]) if video else (joined["a"],)
    stream = ffmpeg.output(*streams, str(target), c="copy")
    ran = run_with_progress(stream, float("inf"), progress)
    return "" if ran.code == 0 else last_line(ran.stderr)


def _sound(parts: Sequence[Path], target: Path, progress: Callable[[float], None]) -> None:
    """Join the parts' first audio tracks, encoded again as the target's kind allows."""
    codec, rate = SOUND.get(target.suffix.lower(), ("aac", "128k"))
    joined = ffmpeg.concat(*(ffmpeg.input(ffmpeg_name(p)).audio for p in parts), v=0, a=1)
    options = {"acodec": codec, **({"audio_bitrate": rate} if rate else {})}
    ran = run_with_progress(joined.output(str(target), **options), float("inf"), progress)
    if ran.code != 0:
        raise PipelineError(
            f"ffmpeg could not join the parts' sound ({last_line(ran.stderr)})",
            target,
            "check each part plays to its end",
        )


def _starts(infos: Sequence[MediaInfo], copied: bool) -> tuple[float, ...]:
    """Where each part starts in the joined recording: after the whole of the parts before it
    (streams copied: as long as their longest stream), or after their sound (sound alone)."""
    lengths = [(info.timeline if copied else 0.0) or info.duration for info in infos]
    return tuple(sum(lengths[:i], 0.0) for i in range(len(lengths)))


def _record(transcripts: Path) -> dict[str, list[str]]:
    try:
        known = read_json(transcripts / RECORD)
    except (OSError, ValueError):
        return {}
    return known if isinstance(known, dict) else {}


def _sha(path: Path, transcripts: Path) -> str:
    return cached_sha256(path, transcripts / HASH_CACHE)


def join(
    parts: Sequence[Path],
    output: Path,
    transcripts: Path,
    on_progress: Callable[[float, float], None] | None = None,
    on_wait: Callable[[], None] | None = None,
) -> Joined:
    """Join ``parts`` (in the order they were recorded) into ``output``, written whole or not at
    all; remember the join in ``transcripts``. ``output`` already joined from these very parts is
    left as it is (``made`` False); any other file of that name is never replaced.
    ``on_progress`` hears of the seconds written and the total. Joins into one transcripts
    folder are made one at a time (``on_wait`` hears that this one waits for another): two
    joins of the same parts at once make it once, the second finding it made."""
    infos = checked(parts, output)
    transcripts.mkdir(parents=True, exist_ok=True)
    shas = [_sha(info.path, transcripts) for info in infos]
    lock = FileLock(str(transcripts / JOINING))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        if on_wait:
            on_wait()
        lock.acquire()
    try:
        return _join_alone(infos, shas, output, transcripts, on_progress)
    finally:
        lock.release()


def _join_alone(
    infos: Sequence[MediaInfo],
    shas: list[str],
    output: Path,
    transcripts: Path,
    on_progress: Callable[[float, float], None] | None,
) -> Joined:
    """``join``'s work, under its lock."""
    named = tuple(info.path for info in infos)
    total = sum(info.timeline or info.duration for info in infos)
    if output.exists():
        if _record(transcripts).get(_sha(output, transcripts)) != shas:
            raise PipelineError(
                "a file of that name is there already, and not joined from these parts",
                output,
                "give --output another name, or move that file away",
                exit_code=2,
            )
        kept = probe(output)
        copied = kept.has_video or not any(info.has_video for info in infos)
        return Joined(output, named, _starts(infos, copied), kept.duration, copied, made=False)
    layouts = [_streams(path) for path in named]
    why = next(
        (
            f"{named[i].name} is {_told(layout)}, {named[0].name} {_told(layouts[0])}"
            for i, layout in enumerate(layouts)
            if layout != layouts[0]
        ),
        "",
    )

    def told(seconds: float) -> None:
        if on_progress:
            on_progress(min(seconds, total), total)

    work = output.with_name(f".{output.name}.joining.tmp")  # a killed join's is removed first
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        target = work / ("joined" + output.suffix)
        if not why and (said := _copied(named, infos[0].has_video, target, told)):
            why = f"their streams could not be copied end to end (ffmpeg: {said})"
        joined = probe(target) if not why else None
        if joined and abs((joined.timeline or joined.duration) - total) > SLACK * len(named):
            why = f"copied end to end, they lasted {joined.duration:.1f} s, not {total:.1f} s"
        if why:
            target.unlink(missing_ok=True)
            _sound(named, target, told)
            joined = probe(target)
        assert joined is not None
        with target.open("rb") as f:
            os.fsync(f.fileno())
        # remembered before it is in place: a join stopped between the two is no stranger's file
        with FileLock(str(transcripts / (RECORD + ".lock"))):
            record = _record(transcripts)
            record[file_sha256(target)] = shas
            write_json(transcripts / RECORD, record)
        if output.exists():  # made meanwhile by someone else: theirs is kept
            raise PipelineError(
                "a file of that name appeared while the parts were joined", output, "run again"
            )
        os.replace(target, output)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return Joined(output, named, _starts(infos, copied=not why), joined.duration, not why, why)


def in_batch(shas: Mapping[Path, str], transcripts: Path) -> dict[Path, tuple[Path, int, int]]:
    """{part: (the recording joined from it, which part, of how many)} among a batch's
    recordings (``shas``: their sha256): the parts of a joined recording that is in the batch
    too. Parts whose joined recording is gone are recordings like any other."""
    record = _record(transcripts)
    by_sha = {sha: path for path, sha in shas.items()}
    found = {}
    for joined, parts in record.items():
        if joined in by_sha and isinstance(parts, list):
            for i, sha in enumerate(parts):
                if sha in by_sha and sha != joined:
                    found[by_sha[sha]] = (by_sha[joined], i + 1, len(parts))
    return found


@dataclass(frozen=True)
class Carried:
    """The joined recording's event sidecar: ``copy`` made from the parts' ``source``, or
    ``why`` theirs was not copied ("" when there was nothing to copy, or it has its own)."""

    copy: Path | None = None
    source: Path | None = None
    why: str = ""


def carry_sidecar(parts: Sequence[Path], output: Path) -> Carried:
    """The parts' event sidecar copied beside the joined recording under its name
    (``talk.event.yaml`` for ``talk.mp4``) when it has none — not when the parts have several
    (which is meant?), nor into another folder (a sidecar names its slides and transcript from
    its own)."""
    found = list(dict.fromkeys(s for p in parts if (s := find_sidecar(as_named(p)))))
    if not found or find_sidecar(output):
        return Carried()
    if len(found) > 1 or found[0].parent.resolve() != output.parent.resolve():
        which = "several event pages" if len(found) > 1 else "an event page in another folder"
        return Carried(
            why=f"the parts have {which} ({', '.join(map(str, found))}): not copied — copy the "
            f"right one beside {output.name} as {output.stem}.event.yaml, its paths (slides, "
            "transcript) as seen from there"
        )
    kind = next(k for k in SIDECAR_SUFFIXES if found[0].name.endswith(k))
    copy = output.with_name(output.stem + kind)
    atomic_write(copy, found[0].read_bytes())
    return Carried(copy, found[0])


def siblings(recording: Path) -> list[Path]:
    """The other files of a Zoom meeting recorded in parts beside ``recording`` (``zoom_1.mp4``
    beside ``zoom_0.mp4``; ``video…`` beside ``video…``), by name; none for any other name."""
    kind = next((k for k in ZOOM_PARTS if k.fullmatch(recording.name)), None)
    if kind is None:
        return []
    try:
        names = sorted(
            (p for p in recording.parent.iterdir() if kind.fullmatch(p.name)), key=_number
        )
    except OSError:
        return []
    return [p for p in names if p.name != recording.name and p.is_file()]


def _number(part: Path) -> int:
    """A Zoom part's number (``zoom_10.mp4`` → 10): the order they were recorded in."""
    return int(re.sub(r"\D", "", part.name) or 0)


def alone(recording: Path) -> str | None:
    """The warning for a part of a recording in parts processed on its own."""
    others = siblings(recording)
    if not others:
        return None
    every = " ".join(shlex.quote(p.name) for p in sorted([recording, *others], key=_number))
    look = "look" if others[1:] else "looks"
    return (
        f"{', '.join(p.name for p in others)} beside it {look} like other parts of this Zoom "
        "meeting's recording (stopped and started again): processed alone, this is only part "
        f"of the webinar — to process them as one, `cli.py join {every}` in its folder, then run "
        "the joined recording"
    )


def skipped(webinar: Path, part: int, parts: int, earlier: str | None, settings: Settings) -> str:
    """Why a batch leaves a part of a joined recording alone (``earlier``: the id it was
    processed under before it was joined, whose outputs are still listed)."""
    told = (
        f"part {part} of {parts} of the webinar joined into {webinar.name} (`cli.py join`) — not "
        "processed on its own; `cli.py run` it to process it anyway"
    )
    if earlier:
        told += (
            "; its outputs from before the join are still listed: "
            f"`{remove_command(earlier, settings)}` removes them"
        )
    return told


def remove_command(rec_id: str, settings: Settings) -> str:
    """The command that removes ``rec_id``'s outputs (`cli.py remove`), as typed here."""
    out = settings.transcripts_dir
    given = ["--out", str(out)] if out != Path("transcripts") else []
    return "cli.py remove " + shlex.join([*given, rec_id])
