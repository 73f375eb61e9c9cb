"""Slides: timing from the video track and from speech, image-only decks, the summary's slide
view, DOCX and PDF handouts, and the reviewer round-trip (review.yaml → every output)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import replace
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image, ImageOps

from pipeline.core.errors import PipelineError
from pipeline.outputs.render import page_ranges
from pipeline.stages import slides
from pipeline.tools import demo
from tests.helpers import ROOT, damage, run_cli, truth

FAST = ("--model", "tiny.en")


def slide_at(intervals: list[tuple[int, float, float]], t: float) -> int | None:
    return next((n for n, a, b in intervals if a <= t < b), None)


def agreement(
    found: list[tuple[int, float, float]], truth_slides: list[dict], within: int
) -> float:
    """Share of the talk's time on which the found slide is within ``within`` of the true one."""
    reference = [(s["page"], s["start"], s["end"]) for s in truth_slides]
    times = np.arange(0.0, reference[-1][2], 0.1)
    hits = [
        (f := slide_at(found, t)) is not None and abs(f - slide_at(reference, t)) <= within
        for t in times
    ]
    return float(np.mean(hits))


def summary_dir(demo_run) -> Path:
    return demo_run.out_dir.parent.parent / "summaries" / demo_run.rec_id


def test_slide_timing_from_video_is_exact_to_one_sampled_frame(demo_files, demo_run):
    data = json.loads((summary_dir(demo_run) / "slides.json").read_text())
    timeline = data["timeline"]
    expected = truth(demo_files)["slides"]
    assert [t["number"] for t in timeline] == [s["page"] for s in expected]  # incl. the revisit
    for found, true in zip(timeline, expected, strict=True):
        assert found["method"] == "video"
        assert abs(found["start"] - true["start"]) <= slides.SlidesParams().frame_interval
        assert abs(found["end"] - true["end"]) <= slides.SlidesParams().frame_interval
    pages = {s["number"]: s for s in data["slides"]}
    assert len(pages) == len(demo.DECK) == 7
    assert pages[7]["shown"] == []  # the appendix was never on screen
    assert "Appendix" in pages[7]["text"]
    for page in pages.values():
        assert (summary_dir(demo_run) / page["thumbnail"]).stat().st_size > 1000


def test_summary_cites_slides_and_shows_what_was_said_on_each(demo_run):
    md = (summary_dir(demo_run) / "summary.md").read_text()
    green = md.split("## Green transition", 1)[1].split("\n## ", 1)[0]
    assert "*Slides:* 2" in green
    resilience = md.split("## Resilience", 1)[1].split("\n## ", 1)[0]
    assert "*Slides:* 4" in resilience
    view = md.split("### Slide 4: PROPLAST: resilience", 1)[1].split("\n### ", 1)[0]
    assert "Susana Remotti:" in view and "(timing from video)" in view
    assert "![Slide 4](slides/" in view
    assert "Slide 7" not in md
    html = (summary_dir(demo_run) / "summary.html").read_text()
    assert html.count('src="data:image/png;base64,') >= 6  # self-contained thumbnails
    assert 'id="slide-eu-clusters-talk-demo-slides-4"' in html


def test_docx_and_pdf_handouts(demo_run, tmp_path):
    from docx import Document

    folder = summary_dir(demo_run)
    doc = Document(str(folder / "summary.docx"))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = {c.text for t in doc.tables for row in t.rows for c in row.cells}
    assert {"Glenda Napier", "Susana Remotti", "Energy Cluster Denmark"} <= cells
    assert "Green transition" in text and "Slide 4 — PROPLAST: resilience" in text
    assert "climate targets" in text  # the planted takeaway
    assert len(doc.inline_shapes) >= 6  # slide thumbnails
    pdf = folder / "summary.pdf"
    words = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
    assert "Glenda Napier" in words.stdout and "Slides and what was said" in words.stdout
    assert "All webinars" not in words.stdout  # the page's link to the index: no use on paper
    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "2", str(pdf), str(tmp_path / "page")],
        check=True,
    )
    from PIL import Image

    rendered = sorted(tmp_path.glob("page-*.png"))
    assert len(rendered) == 2
    for path in rendered:
        pixels = np.asarray(Image.open(path).convert("L"))
        assert pixels.std() > 10  # text and pictures, not a blank page
    shutil.copy(rendered[0], Path(__file__).parent / "artifacts" / "summary-pdf-page1.png")


def test_slides_from_speech_alone_within_one_slide(demo_files, tmp_path):
    """Audio only (no video track): slides are aligned to what was said."""
    folder = tmp_path / "rec"
    folder.mkdir()
    audio = folder / "talk.m4a"
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-loglevel",
            "error",
            "-i",
            str(demo_files.recording),
            "-vn",
            "-c:a",
            "copy",
            str(audio),
        ],
        check=True,
    )
    shutil.copy(demo_files.deck, folder / "deck.pdf")
    event = yaml.safe_load(demo_files.sidecar.read_text()) | {"slides": ["deck.pdf"]}
    (folder / "talk.event.yaml").write_text(yaml.safe_dump(event))
    result = run_cli("run", str(audio), *FAST, "--no-diarize", "-q", cwd=tmp_path)
    assert result.code == 0, result.stderr
    data = json.loads(next((tmp_path / "summaries").glob("*/slides.json")).read_text())
    assert {t["method"] for t in data["timeline"]} == {"speech"}
    found = [(t["number"], t["start"], t["end"]) for t in data["timeline"]]
    assert agreement(found, truth(demo_files)["slides"], within=1) >= 0.8


def test_image_only_deck_is_matched_by_image(tmp_path):
    files = demo.make_webinar(
        tmp_path / "rec", name="pictures", script=demo.SCRIPT[:5], slides=True, image_only=True
    )
    result = run_cli("run", str(files.recording), *FAST, "--no-diarize", "-q", cwd=tmp_path)
    assert result.code == 0, result.stderr
    data = json.loads(next((tmp_path / "summaries").glob("*/slides.json")).read_text())
    assert all(s["text"] == "" for s in data["slides"])  # no text layer
    expected = truth(files)["slides"]
    assert [(t["number"], t["method"]) for t in data["timeline"]] == [
        (s["page"], "video") for s in expected
    ]
    for found, true in zip(data["timeline"], expected, strict=True):
        assert abs(found["start"] - true["start"]) <= slides.SlidesParams().frame_interval


def test_bad_decks_are_clear_errors(demo_files, tmp_path):
    folder = tmp_path / "rec"
    folder.mkdir()
    clip = folder / "clip.mp4"
    shutil.copy(demo_files.recording, clip)
    (folder / "notes.pdf").write_text("not a pdf")
    bad = run_cli("run", str(clip), "--slides", str(folder / "notes.pdf"), *FAST, cwd=tmp_path)
    assert bad.code == 2 and "not a PDF file" in bad.stderr and "Traceback" not in bad.stderr
    (folder / "clip.event.yaml").write_text("slides: ../../etc/passwd\n")
    escape = run_cli("run", str(clip), *FAST, cwd=tmp_path)
    assert escape.code == 2 and "outside the sidecar's folder" in escape.stderr
    truncated = folder / "cut.pdf"
    truncated.write_bytes(demo_files.deck.read_bytes()[:400])
    with pytest.raises(PipelineError, match="PDF"):
        slides.load_decks([truncated], tmp_path / "out")
    from reportlab.pdfgen import canvas

    huge = canvas.Canvas(str(folder / "huge.pdf"))
    for _ in range(slides.MAX_PAGES + 1):
        huge.showPage()
    huge.save()
    with pytest.raises(PipelineError, match="at most"):
        slides.load_decks([folder / "huge.pdf"], tmp_path / "out")


def test_a_page_far_taller_than_wide_is_drawn_small(tmp_path):
    """A deck whose second page is 3 × 14 400 pt (PDF's largest side; a hostile or broken
    export): drawn at the width's scale it was 320 × 1.5 million pixels — 57 s and 4 GB for
    one page. Now no taller than two widths; a slide-shaped page is drawn as before."""
    from reportlab.pdfgen import canvas

    deck = canvas.Canvas(str(tmp_path / "tall.pdf"), pagesize=(960, 540))
    deck.drawString(100, 270, "Clusters and the green transition")
    deck.showPage()
    deck.setPageSize((3, 14400))
    deck.showPage()
    deck.save()
    pages = slides.load_decks([tmp_path / "tall.pdf"], tmp_path / "out")
    sizes = [Image.open(tmp_path / "out" / page.thumbnail).size for page in pages]
    assert sizes[0] == (320, 180) and "green transition" in pages[0].text
    assert sizes[1][1] <= 640 and sizes[1][0] <= 2


def test_demo_deck_is_the_same_file_every_time(tmp_path):
    """`cli.py demo` rewrites its deck on every call: with a creation date or a random document
    id inside, the slides and summaries of the demo would be redone on every re-run."""
    for image_only in (False, True):
        first, second = tmp_path / f"a{image_only}.pdf", tmp_path / f"b{image_only}.pdf"
        demo.make_deck(first, image_only=image_only)
        demo.make_deck(second, image_only=image_only)
        assert first.read_bytes() == second.read_bytes()


def test_page_ranges():
    assert page_ranges([("d", 2), ("d", 3), ("d", 4), ("d", 6)]) == "2–4, 6"
    assert page_ranges([("a", 1), ("b", 2), ("b", 3)]) == "a 1; b 2–3"


def test_undecided_stretches_are_where_key_frames_leave_the_slide_open():
    pages = [0] * 30 + [1] * 30 + [None] * 5 + [1] * 25  # the page each key frame shows, held
    keys = [0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0]
    ranges = slides.undecided(pages, keys, [44.0], step=1.0)
    # the change shown at 30 happened after the key frame at 20; the big frame at 44 lies between
    # the key frames at 40 and 50; no slide at 60-64 (from the key frame before); the tail
    assert ranges == [(20, 30), (40, 65), (80, None)]
    assert slides.undecided([2] * 10, [], [], step=1.0) == [(0, None)]  # no key frames: all


def silent_share(folder: Path, images: list[Path], shown: list[tuple[int, float, float]]) -> Path:
    """A silent screen-share video showing ``images[i]`` at each ``shown`` (x264 ultrafast, 10
    frames/s: a key frame every 25 s)."""
    silence = folder / "silence.wav"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
         "anullsrc=r=16000:cl=mono", "-t", f"{shown[-1][2]:g}", str(silence)],
        check=True,
    )  # fmt: skip
    video = folder / "share.mp4"
    demo.mux_slides(silence, video, images, shown)
    return video


def screen_share(
    folder: Path, shown: list[tuple[int, float, float]]
) -> tuple[Path, list[slides.Page]]:
    """A silent screen share of the demo deck's pages, and the pages as the stage reads them."""
    deck = folder / "deck.pdf"
    demo.make_deck(deck)
    video = silent_share(folder, demo.render_pages(deck, folder), shown)
    return video, slides.load_decks([deck], folder / "summary")


def test_a_four_by_three_deck_between_black_bars_is_matched(tmp_path):
    wide = tmp_path / "wide.pdf"
    demo.make_deck(wide)
    pictures = [
        Image.open(page).convert("RGB").crop((80, 0, 560, 360))  # 4:3 out of 16:9
        for page in demo.render_pages(wide, tmp_path)
    ]
    deck = tmp_path / "four-by-three.pdf"  # an image-only deck of 4:3 pages
    pictures[0].save(deck, save_all=True, append_images=pictures[1:])
    on_screen = []  # each page centred on a 16:9 screen, black bars beside it
    for i, picture in enumerate(pictures):
        on_screen.append(tmp_path / f"screen-{i}.png")
        ImageOps.pad(picture, (640, 360), color="black").save(on_screen[-1])
    shown = [(0, 0.0, 30.0), (2, 30.0, 60.0), (5, 60.0, 90.0)]
    video = silent_share(tmp_path, on_screen, shown)
    pages = slides.load_decks([deck], tmp_path / "summary")
    p = slides.SlidesParams()
    found = slides.runs(slides.watch(video, pages, p, 90.0), p.frame_interval, "video")
    assert [s.page for s in found] == [i for i, _, _ in shown]
    for s, (_, start, end) in zip(found, shown, strict=True):
        assert abs(s.start - start) <= p.frame_interval and abs(s.end - end) <= p.frame_interval


def test_slides_from_key_frames_are_those_of_every_frame(tmp_path):
    # a 6-s detour to page 3 between two key frames that both show page 2 (one every 25 s)
    shown = [(0, 0.0, 40.0), (1, 40.0, 90.0), (2, 90.0, 96.0), (1, 96.0, 160.0), (3, 160.0, 200.0)]
    video, pages = screen_share(tmp_path, shown)
    p = slides.SlidesParams()
    keys, bursts = slides.key_frames(video)
    assert 5 <= len(keys) <= 12 and bursts  # x264 ultrafast: no scene cuts, big frames instead
    held = slides.match_frames(slides.sample_frames(video, keyframes=True), pages, p)
    ranges = slides.undecided([page for _, page, _ in held], keys, bursts, 1.0)
    decoded = slides.covered(ranges, len(held))
    assert decoded < 0.6 * len(held)  # most of the video is not decoded frame by frame

    first = slides.watch(video, pages, p, 200.0)
    every = slides.match_frames(slides.sample_frames(video), pages, p)
    assert [t for t, _, _ in first] == [t for t, _, _ in every]
    changes = [a for _, a, _ in shown[1:]]
    for (t, a, _), (_, b, _) in zip(first, every, strict=True):
        assert a == b or min(abs(t - c) for c in changes) <= p.frame_interval
    assert [s.page for s in slides.runs(first, 1.0, "video")] == [i for i, _, _ in shown]


def test_a_damaged_video_is_sampled_to_its_end(tmp_path):
    """A 2-minute H.264 video with noise written over it every 150 bytes: ffmpeg writes a line
    per broken frame (over 64 kB, what a pipe holds — which had stopped it and the sampling
    for good); the frames are read to the end. Run in a child process so that a stall fails
    the test instead of hanging the run."""
    video = tmp_path / "damaged.ts"
    subprocess.run(
        [
            *("ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi"),
            *("-i", "testsrc=s=320x240:r=10:d=120", "-c:v", "libx264", "-g", "10", str(video)),
        ],
        check=True,
    )
    damage(video, every=150)
    count = (
        "from pathlib import Path; from pipeline.stages.slides import sample_frames; "
        f"print(sum(1 for _ in sample_frames(Path({str(video)!r}))))"
    )
    sampled = subprocess.run(
        [sys.executable, "-c", count], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert sampled.returncode == 0, sampled.stderr
    assert int(sampled.stdout) >= 100  # a frame a second, and more where time stamps broke


def test_a_video_whose_key_frames_show_no_slide_is_not_decoded_further(tmp_path, monkeypatch):
    deck = tmp_path / "deck.pdf"
    demo.make_deck(deck)
    camera = tmp_path / "camera.mp4"  # moving pictures, a key frame every 10 s, no slide
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
         "testsrc2=size=640x360:rate=10", "-t", "120", "-c:v", "libx264", "-preset",
         "ultrafast", "-g", "100", str(camera)],
        check=True,
    )  # fmt: skip
    pages = slides.load_decks([deck], tmp_path / "summary")
    reads = []
    real = slides.sample_frames
    monkeypatch.setattr(
        slides, "sample_frames", lambda *a, **k: reads.append(k) or real(*a, **k)
    )  # counts the reads; ffmpeg runs
    found = slides.watch(camera, pages, slides.SlidesParams(), 120.0)
    assert len(found) >= 110 and all(page is None for _, page, _ in found)
    assert reads == [{"keyframes": True}]  # the key frames alone
    reads.clear()
    assert slides.watch(camera, pages, slides.SlidesParams(), 200.0)  # 80 s without key frames
    assert len(reads) == 2 and not reads[1].get("keyframes")  # … so every frame is read


def test_slides_under_a_camera_thumbnail_are_matched_by_their_other_quarters(tmp_path):
    shown = [(0, 0.0, 40.0), (1, 40.0, 80.0), (3, 80.0, 120.0)]
    share, pages = screen_share(tmp_path, shown)
    call = tmp_path / "call.mp4"  # a moving camera picture in the top right corner, as calls record
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(share), "-f", "lavfi", "-i",
         "testsrc2=size=128x72:rate=10", "-filter_complex",
         "[0:v][1:v]overlay=W-w-8:8:shortest=1,format=yuv420p", "-an", "-c:v", "libx264",
         "-preset", "ultrafast", str(call)],
        check=True,
    )  # fmt: skip
    p = slides.SlidesParams()
    whole = slides.match_frames(slides.sample_frames(call), pages, replace(p, tile_distance=-1))
    assert all(page is None for _, page, _ in whole)  # the whole frame's hash does not see them
    found = slides.runs(slides.watch(call, pages, p, 120.0), p.frame_interval, "video")
    assert [s.page for s in found] == [i for i, _, _ in shown]
    for s, (_, start, end) in zip(found, shown, strict=True):
        assert abs(s.start - start) <= p.frame_interval and abs(s.end - end) <= p.frame_interval


def test_slides_beside_camera_tiles_are_found_in_their_part_of_the_frame(tmp_path):
    shown = [(0, 0.0, 40.0), (1, 40.0, 80.0), (3, 80.0, 120.0)]
    share, pages = screen_share(tmp_path, shown)
    call = tmp_path / "call.mp4"  # the share shrunk to the left, two camera tiles on the right
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(share), "-f", "lavfi", "-i",
         "testsrc2=size=144x96:rate=10", "-f", "lavfi", "-i", "color=c=0x202020:s=640x360:r=10",
         "-filter_complex",
         "[0:v]scale=464:-2[slide];[2:v][slide]overlay=8:(H-h)/2:shortest=1[left];"
         "[1:v]split[a][b];[left][a]overlay=W-w-8:60[one];[one][b]overlay=W-w-8:200,"
         "format=yuv420p",
         "-t", "120", "-an", "-c:v", "libx264", "-preset", "ultrafast", str(call)],
        check=True,
    )  # fmt: skip
    p = slides.SlidesParams()
    frames = list(slides.sample_frames(call))
    assert all(page is None for _, page, _ in slides.match_frames(frames, pages, p))
    box = slides.locate([frame for _, frame in frames[::10]], pages, p)
    assert box is not None and box[0] <= 8 and 0.6 <= (box[2] - box[0]) / 256 <= 0.8
    found = slides.runs(slides.watch(call, pages, p, 120.0), p.frame_interval, "video")
    assert [s.page for s in found] == [i for i, _, _ in shown]
    for s, (_, start, end) in zip(found, shown, strict=True):
        assert abs(s.start - start) <= p.frame_interval and abs(s.end - end) <= p.frame_interval


def test_viterbi_advances_skips_and_revisits():
    scores = np.array([[0.9, 0.1, 0.1], [0.1, 0.1, 0.9], [0.1, 0.1, 0.9], [0.1, 0.95, 0.1]])
    assert slides.viterbi(scores) == [0, 2, 2, 1]  # a skip forward, then a strong revisit
    weak = np.array([[0.9, 0.1], [0.1, 0.5], [0.5, 0.45]])
    assert slides.viterbi(weak) == [0, 1, 1]  # a weak preference does not pay for going back


def test_several_decks_each_page_matched_to_its_own_deck(demo_files, tmp_path):
    other = tmp_path / "guest-talk.pdf"
    demo.make_deck(
        other, (demo.Slide("A guest deck", ("Nothing like the others", "Hydrogen valleys")),) * 2
    )
    pages = slides.load_decks([other, demo_files.deck], tmp_path / "summary")
    assert {p.deck for p in pages} == {"guest-talk", demo_files.deck.stem.replace(".", "-")}
    assert len({p.thumbnail for p in pages}) == len(pages) == 2 + len(demo.DECK)
    samples = slides.match_frames(
        slides.sample_frames(demo_files.recording), pages, slides.SlidesParams()
    )
    shown = slides.runs(samples, slides.SlidesParams().frame_interval, "video")
    assert shown and all(pages[s.page].deck != "guest-talk" for s in shown)
    assert [pages[s.page].number for s in shown] == [s["page"] for s in truth(demo_files)["slides"]]


def test_changed_or_removed_deck_leaves_no_stale_slides(tmp_path):
    files = demo.make_webinar(tmp_path / "rec", name="decks", script=demo.SCRIPT[:3], slides=True)
    assert run_cli("run", str(files.recording), *FAST, "--no-diarize", "-q", cwd=tmp_path).code == 0
    out = next((tmp_path / "summaries").glob("decks-*"))
    assert len(list((out / "slides").glob("*.png"))) == len(demo.DECK)
    assert "### Slide" in (out / "summary.md").read_text(encoding="utf-8")

    shorter = files.recording.parent / "short.pdf"  # the deck replaced by a two-page one
    demo.make_deck(shorter, demo.DECK[:2])
    event = yaml.safe_load(files.sidecar.read_text())
    files.sidecar.write_text(yaml.safe_dump(event | {"slides": [shorter.name]}))
    assert run_cli("run", str(files.recording), *FAST, "--no-diarize", "-q", cwd=tmp_path).code == 0
    assert sorted(p.name for p in (out / "slides").glob("*.png")) == [
        "short-001.png",
        "short-002.png",
    ]

    files.sidecar.write_text(yaml.safe_dump(event | {"slides": []}))  # and then taken away
    assert run_cli("run", str(files.recording), *FAST, "--no-diarize", "-q", cwd=tmp_path).code == 0
    assert not (out / "slides.json").exists()
    assert not list((out / "slides").glob("*.png"))
    assert "### Slide" not in (out / "summary.md").read_text(encoding="utf-8")


def test_speech_is_read_only_where_it_can_add_a_slide():
    """``uncovered`` says when video matches leave no second of the talk to speech: then
    ``combine`` gives the same with the speech reading as without it (so it is skipped). Checked
    on 2000 random layouts of video matches and speech intervals inside the talk."""
    rng = np.random.default_rng(7)
    skipped = 0
    for _ in range(2000):
        t0, t1 = 0.0, float(rng.uniform(5, 60))
        marks = np.sort(rng.uniform(t0 - 2, t1 + 2, int(rng.integers(1, 8))))
        marks = [t0 - 2, *map(float, marks), t1 + 2]  # runs of slides with holes of 0–1.5 s
        holes = rng.uniform(0, 1.5, len(marks)) * (rng.random(len(marks)) < 0.5)
        video = [
            slides.Shown(i % 3, a + h, b, "video", 1.0)
            for i, ((a, b), h) in enumerate(zip(pairwise(marks), holes, strict=False))
            if a + h < b
        ]
        cuts = np.sort(rng.uniform(t0, t1, int(rng.integers(0, 5))))
        bounds = [t0, *map(float, cuts), t1]
        speech = [slides.Shown(1, a, b, "speech", 0.5) for a, b in pairwise(bounds)]
        if not slides.uncovered(video, t0, t1):
            skipped += 1
            assert slides.combine(video, speech) == slides.combine(video, [])
    assert 50 < skipped < 1950  # both cases were exercised


def test_a_gap_of_a_second_in_the_video_is_left_to_speech():
    video = [slides.Shown(0, 0.0, 10.0, "video", 1.0), slides.Shown(1, 11.5, 20.0, "video", 1.0)]
    assert slides.uncovered(video, 0.0, 20.0)  # 10.0–11.5
    assert not slides.uncovered(video, 0.0, 10.8)
    assert slides.uncovered(video, 0.0, 21.0)  # the end
    assert slides.uncovered([], 0.0, 1.0) and not slides.uncovered([], 0.0, 0.5)
