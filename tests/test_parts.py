"""A webinar recorded in parts (recording stopped and started again): `cli.py join` makes one
recording of them — real ffmpeg on generated speech (espeak-ng) — and a batch processes that
one, not its parts (real Whisper, tiny.en)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from filelock import FileLock

from pipeline.core.config import Settings
from pipeline.core.probe import probe
from pipeline.service import copies
from pipeline.service import parts as parts_mod
from pipeline.service.runner import run
from pipeline.tools import demo
from pipeline.tools.evaluate import der, read_rttm
from tests.helpers import ROOT, own_tracks, run_cli, truth

FAST = ("--model", "tiny.en", "--settle", "0", "--no-diarize")


def ffmpeg_to(target: Path, *args: str) -> Path:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args, str(target)], check=True)
    return target


def recorded(target: Path, speech: Path, size: str = "320x240", rate: int = 48000) -> Path:
    """``speech`` as a meeting tool saves it: a still video of ``size`` and AAC sound."""
    video = ("-f", "lavfi", "-i", f"color=c=navy:size={size}:rate=5", "-i", str(speech))
    coded = ("-c:v", "mpeg4", "-c:a", "aac", "-ar", str(rate), "-shortest")
    return ffmpeg_to(target, *video, *coded)


@pytest.fixture(scope="module")
def parts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Zoom's folder of a meeting whose recording was stopped once: ``zoom_0.mp4`` (with the
    event page) and ``zoom_1.mp4``, encoded alike; and a third part exported otherwise."""
    folder = tmp_path_factory.mktemp("parts") / "recordings" / "2024-05-15 EU Clusters Talk"
    folder.mkdir(parents=True)
    for i, lines in enumerate((demo.SCRIPT[:2], demo.SCRIPT[2:4])):
        speech = folder.parent.parent / f"speech{i}.wav"
        demo.synthesize(lines, demo.PEOPLE, speech)
        recorded(folder / f"zoom_{i}.mp4", speech)
    recorded(folder.parent.parent / "-exported ünï.mp4", speech, "640x360", 44100)
    (folder / "zoom_0.event.yaml").write_text('title: "Parts <b>joined</b> talk"\n')
    return folder


def test_two_parts_are_joined_end_to_end_and_a_batch_processes_the_whole(parts, tmp_path):
    """The parts' streams are copied end to end (their sound in order, the video kept); the
    event page of the first goes with the joined recording; joining again does nothing. A batch
    had processed each part as a webinar, with a warning; the next one processes the joined
    recording — words of both parts in one transcript — and tells each part as a part of it,
    processed no more, whose earlier outputs `cli.py remove` then takes off the list."""
    folder = tmp_path / "recordings"
    folder.mkdir()
    meeting = folder / parts.name
    subprocess.run(["cp", "-r", str(parts), str(meeting)], check=True)
    first, second = meeting / "zoom_0.mp4", meeting / "zoom_1.mp4"
    output = meeting / "EU Clusters Talk.mp4"
    # a scheduled batch came first: each part processed as a webinar, with a warning
    before = run_cli("batch", "recordings", *FAST, cwd=tmp_path)
    assert before.code == 0, before.stderr
    assert "zoom_1.mp4 beside it looks like other parts of this Zoom meeting" in before.stderr
    earlier = {p.name for p in (tmp_path / "transcripts").iterdir() if p.is_dir()}
    assert len(earlier) == 2
    joined = run_cli("join", "-o", str(output), "--", str(first), str(second), cwd=tmp_path)
    assert joined.code == 0, joined.stderr
    split = probe(first).timeline
    told = " ".join(joined.stdout.split())
    assert f"{output} (00:00:" in told and "2 parts, streams copied" in told
    assert f"00:00:00 {first}" in told
    assert f"00:00:{int(split):02d} {second}" in told
    assert (meeting / "EU Clusters Talk.event.yaml").read_text() == (
        meeting / "zoom_0.event.yaml"
    ).read_text()
    info = probe(output)
    assert info.has_video
    assert info.timeline == pytest.approx(split + probe(second).timeline, abs=0.3)
    # its sound is the first part's, then the second's from where the second starts
    whole = copies.loudness(output)
    for start, part in ((0.0, first), (split, second)):
        own = copies.loudness(part)
        at = round(start * copies.PER_SECOND)
        assert copies.similarity(whole[at : at + len(own)], own, 10) > copies.MATCH
    made = output.stat().st_mtime_ns
    again = run_cli("join", "-o", str(output), "--", str(first), str(second), cwd=tmp_path)
    assert again.code == 0, again.stderr
    assert "already joined from these parts" in again.stdout
    assert output.stat().st_mtime_ns == made

    result = run_cli("batch", "recordings", *FAST, cwd=tmp_path)
    assert result.code == 0, result.stderr
    said = " ".join(result.stderr.split())
    for i, part in enumerate((first, second), 1):
        (its,) = [e for e in earlier if e.startswith(part.stem.replace("_", "-"))]
        assert (
            f"part {meeting.name}/{part.name} — part {i} of 2 of the webinar joined into "
            f"{output.name} (`cli.py join`) — not processed on its own; `cli.py run` it to "
            "process it anyway; its outputs from before the join are still listed: "
            f"`cli.py remove {its}` removes them"
        ) in said
        removed = run_cli("remove", its, "--yes", cwd=tmp_path)  # as told
        assert removed.code == 0, removed.stderr
    (out,) = [
        p for p in (tmp_path / "transcripts").iterdir() if p.is_dir() and p.name not in earlier
    ]
    segments = json.loads((out / "transcript.json").read_text())["segments"]
    assert any(s["end"] < split for s in segments)
    assert any(s["start"] > split - 0.5 for s in segments)  # the second part is heard too
    assert (
        "Parts &lt;b&gt;joined&lt;/b&gt; talk"
        in (tmp_path / "summaries" / out.name / "summary.html").read_text()
    )
    rows = json.loads(run_cli("status", "--json", cwd=tmp_path).stdout)
    assert {r["recording"]: r["state"] for r in rows} == {
        output.name: "done",
        first.name: "part",
        second.name: "part",
    }
    listed = (tmp_path / "summaries" / "index.html").read_text()
    assert out.name in listed and not any(e in listed for e in earlier)


def test_parts_encoded_otherwise_have_their_sound_joined(parts, tmp_path):
    """A part exported at another size and rate cannot be copied end to end: the sound of both
    is joined (encoded again, in order), the run says why and that no video was kept. Written
    in another folder, it gets no copy of the first part's event page, and is told so."""
    other = parts.parent.parent / "-exported ünï.mp4"
    output = tmp_path / "joined.mkv"
    result = run_cli(
        "join", "--out", str(tmp_path / "t"), "-o", str(output), "--",
        str(parts / "zoom_0.mp4"), str(other), cwd=tmp_path,
    )  # fmt: skip
    assert result.code == 0, result.stderr
    said = " ".join(result.stderr.split())
    assert "the parts' sound alone was joined, not their video" in said
    assert "-exported ünï.mp4 is mpeg4 640×360, aac 44100 Hz" in said
    # the first part's event page names its slides from its own folder: not carried elsewhere
    assert "the parts have an event page in another folder" in said
    assert "copy the right one beside joined.mkv as joined.event.yaml" in said
    assert not (tmp_path / "joined.event.yaml").exists()
    assert "sound only" in result.stdout
    info = probe(output)
    assert not info.has_video
    first = probe(parts / "zoom_0.mp4").duration  # the sound's, not the video's
    assert info.duration == pytest.approx(first + probe(other).duration, abs=0.3)
    assert f"00:00:{int(first):02d} {other}" in " ".join(result.stdout.split())


def test_two_joins_of_the_same_parts_at_once_make_it_once(parts, tmp_path):
    """Two joins into one output at the same moment (a colleague and a script): made one at a
    time — each says it waits while a third holds the folder's join lock — the first joins, the
    second finds it joined from these parts; both succeed, and nothing half-made is left. (They
    shared one temporary folder before: the second removed the first's file under it.)"""
    output = tmp_path / "joined.mp4"
    args = ["join", "--out", "t", "-o", str(output), "--"]
    args += [str(parts / "zoom_0.mp4"), str(parts.parent.parent / "-exported ünï.mp4")]
    (tmp_path / "t").mkdir()
    logs = [tmp_path / "t" / f"join{i}.log" for i in range(2)]
    with FileLock(str(tmp_path / "t" / parts_mod.JOINING)):  # a join under way
        procs = []
        for log in logs:
            with log.open("w") as stderr:
                procs.append(
                    subprocess.Popen(
                        [sys.executable, str(ROOT / "cli.py"), *args],
                        cwd=tmp_path,
                        stdin=subprocess.DEVNULL,
                        stdout=subprocess.PIPE,
                        stderr=stderr,
                        text=True,
                    )
                )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not all(
            "waiting for another join" in log.read_text() for log in logs
        ):
            time.sleep(0.2)
    told = sorted(" ".join(proc.communicate(timeout=300)[0].split()) for proc in procs)
    errs = [" ".join(log.read_text().split()) for log in logs]
    assert [proc.returncode for proc in procs] == [0, 0], errs
    assert all("waiting for another join into t to finish" in err for err in errs)
    assert "already joined from these parts" in told[0] and "sound only" in told[1], told
    assert probe(output).duration > 10
    assert sorted(p.name for p in tmp_path.iterdir()) == ["joined.mp4", "t"]


def test_a_join_that_cannot_be_made_leaves_nothing_and_says_why(parts, tmp_path):
    """A part without sound, one part alone, a part given twice, a joined name that is no
    recording's, and one taken by another file: one line each, exit code ≠ 0, no file written or replaced, no temporary left."""
    mute = ffmpeg_to(tmp_path / "mute.mp4", "-f", "lavfi", "-i", "color=size=64x64", "-t", "1")
    first = str(parts / "zoom_0.mp4")
    taken = tmp_path / "taken.mp4"
    taken.write_bytes(b"someone's file")
    cases = {
        (first, str(mute)): (1, f"{mute}: no audio stream in this file"),
        (first,): (2, "only one part given"),
        (first, first): (2, "zoom_0.mp4: given twice — give each part once"),
    }
    for given, (code, message) in cases.items():
        result = run_cli("join", "-o", str(tmp_path / "out.mp4"), "--", *given, cwd=tmp_path)
        assert result.code == code, result.stderr
        assert message in " ".join(result.stderr.split())
        assert "Traceback" not in result.stderr
    second = str(parts / "zoom_1.mp4")
    named = run_cli("join", "-o", str(tmp_path / "talk"), "--", first, second, cwd=tmp_path)
    assert named.code == 2
    assert "talk: the joined recording's name does not end as a recording's" in named.stderr
    result = run_cli("join", "-o", str(taken), "--", first, second, cwd=tmp_path)
    assert result.code == 2
    assert "a file of that name is there already, and not joined from these parts" in (
        " ".join(result.stderr.split())
    )
    assert taken.read_bytes() == b"someone's file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mute.mp4", "taken.mp4", "transcripts"]


def test_a_zoom_part_processed_alone_says_where_the_other_parts_are(parts, tmp_path):
    """`zoom_1.mp4` run with `zoom_0.mp4` beside it: processed (it is asked for), with a warning
    naming the other part and the command that joins them. Only Zoom's names are told — two
    files of any other names are not parts of anything by their names."""
    result = run_cli("run", str(parts / "zoom_1.mp4"), *FAST[:2], "--no-diarize", cwd=tmp_path)
    assert result.code == 0, result.stderr
    said = " ".join(result.stderr.split())
    assert (
        "zoom_1.mp4: zoom_0.mp4 beside it looks like other parts of this Zoom meeting's recording "
        "(stopped and started again): processed alone, this is only part of the webinar — to "
        "process them as one, `cli.py join zoom_0.mp4 zoom_1.mp4` in its folder"
    ) in said
    for names, told in (
        (["video1715765400.mp4", "video1715767215.mp4", "audio1715765400.m4a"], 1),
        (["zoom_0.mp4", "zoom_1.mp4", "zoom_12.mp4", "zoom_1.m4a"], 2),
        (["talk 1.mp4", "talk 2.mp4"], 0),
    ):
        folder = tmp_path / f"names{told}"
        folder.mkdir()
        for name in names:
            (folder / name).touch()
        assert len(parts_mod.siblings(folder / names[0])) == told
    (tmp_path / "names2" / "zoom_2.mp4").touch()  # the join's order is the recording's
    told = parts_mod.alone(tmp_path / "names2" / "zoom_0.mp4")
    assert told and "`cli.py join zoom_0.mp4 zoom_1.mp4 zoom_2.mp4 zoom_12.mp4`" in told


def test_each_part_s_participant_tracks_name_the_voices_of_the_joined_recording(
    demo_files, tmp_path
):
    """Zoom's folder of a meeting recorded in two parts, each with every participant's own track
    of that part (Glenda joining 6.5 s in): joined, each track is found where its part lies in
    the joined recording, and one person's two tracks name one voice."""
    split = 70.0
    whole = own_tracks(demo_files, tmp_path / "whole", {"glenda": 6.5})
    zoom = tmp_path / "2024-05-15 EU Clusters Talk"
    (zoom / "Audio Record").mkdir(parents=True)
    given = [zoom / "video1715765400.mp4", zoom / "video1715767215.mp4"]
    coded = ("-c:v", "libx264", "-c:a", "aac")
    ffmpeg_to(given[0], "-i", str(demo_files.recording), "-t", str(split), *coded)
    ffmpeg_to(given[1], "-ss", str(split), "-i", str(demo_files.recording), *coded)
    for key, track in whole.items():
        late = 6.5 if key == "glenda" else 0.0
        who = track.name[: -len("2171576540.m4a")]  # audio<Name>, the number is the part's
        for number, cut in (("1715765400", ("-t",)), ("1715767215", ("-ss",))):
            own = zoom / "Audio Record" / f"{who}{number}.m4a"
            ffmpeg_to(own, *cut, str(split - late), "-i", str(track), "-c:a", "aac")
    joined = run_cli("join", "-o", str(zoom / "meeting.mp4"), "--", *map(str, given), cwd=tmp_path)
    assert joined.code == 0, joined.stderr
    start = probe(given[0]).timeline
    settings = Settings(
        transcripts_dir=tmp_path / "transcripts", summaries_dir=tmp_path / "s", model="tiny.en"
    )
    result = run(zoom / "meeting.mp4", settings)
    placed = json.loads((result.out_dir / "tracks.json").read_text(encoding="utf-8"))["tracks"]
    assert len(placed) == 2 * len(whole) and all(t["used"] for t in placed)
    for t in placed:
        first = t["file"].endswith("1715765400.m4a")
        late = 6.5 if "Glenda" in t["file"] else 0.0
        assert abs(t["offset"] - (late if first else start)) <= 0.2, t
    names = {p["name"].replace(" ", "") for p in truth(demo_files)["people"]}
    assert sorted(s.label.replace(" ", "") for s in result.speakers) == sorted(names)
    assert all(s.named_by == "tracks" for s in result.speakers)
    hypothesis = read_rttm(result.out_dir / "speakers.rttm")
    assert der(read_rttm(demo_files.rttm), hypothesis, result.transcript.duration) <= 0.05
