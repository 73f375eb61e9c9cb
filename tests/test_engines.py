"""Both engines, real weights from the model packages, offline; the same Transcript out of both."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable

import numpy as np
import onnxruntime
import pytest
import torch
import whisper

from pipeline.core.event import Event, Speaker, load_event
from pipeline.core.probe import probe
from pipeline.core.store import read_json
from pipeline.core.types import Segment, Transcript, Word
from pipeline.core.wav import load_audio
from pipeline.models import onnx
from pipeline.models import weights as models
from pipeline.models.convert import read_ct2, to_openai_state
from pipeline.stages import extract as media
from pipeline.stages.extract import ExtractParams
from pipeline.stages.transcribe import (
    TranscribeParams,
    clips,
    echo_share,
    looping,
    rejoined,
    reread,
    transcribe,
    unechoed,
    unheard,
    unlooped,
)
from pipeline.tools import demo
from pipeline.tools.evaluate import wer
from tests.helpers import mounted


@pytest.fixture(scope="module")
def clip_audio(short_clip, tmp_path_factory):
    target = tmp_path_factory.mktemp("a") / "audio.wav"
    media.extract(probe(short_clip), target, ExtractParams())
    return target


@pytest.mark.parametrize(
    ("engine", "model", "batched"),
    [
        ("faster-whisper", "base", True),
        ("faster-whisper", "base", False),
        ("openai-whisper", "base", False),
        ("openai-whisper", "tiny.en", False),
    ],
)
def test_engines_give_the_same_kind_of_transcript(clip_audio, engine, model, batched):
    seen: list[float] = []
    transcript = transcribe(
        clip_audio, TranscribeParams(engine=engine, model=model, batched=batched), 2, seen.append
    )
    assert transcript.engine == engine and transcript.model == model and transcript.language == "en"
    assert 0.5 <= transcript.language_probability <= 1.0
    text = transcript.text.lower()
    assert "welcome" in text and "cluster" in text and "floor is yours" in text
    assert transcript.segments and all(s.words for s in transcript.segments)
    for seg in transcript.segments:
        assert seg.start < seg.end and all(
            seg.start <= w.start <= w.end <= seg.end for w in seg.words
        )
    assert seen and max(seen) <= transcript.duration + 0.5  # progress advanced in audio seconds


def test_assembled_models_match_their_checksums():
    for name, spec in models.PACKAGED.items():
        folder = models.assemble(name)
        assert models._md5(folder / "model.bin") == spec.md5
        assert {"config.json", "tokenizer.json", "vocabulary.txt"} <= {
            p.name for p in folder.iterdir()
        }


def test_tampered_cache_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("WEBINAR_PIPELINE_CACHE", str(tmp_path))
    folder = models.assemble("tiny.en")
    with (folder / "model.bin").open("r+b") as f:
        f.seek(1000)
        f.write(b"\x00" * 64)
    assert models.assemble("tiny.en") == folder
    assert models._md5(folder / "model.bin") == models.PACKAGED["tiny.en"].md5


def test_onnx_exports_are_built_once_and_redone_when_stale(tmp_path, monkeypatch):
    monkeypatch.setenv("WEBINAR_PIPELINE_CACHE", str(tmp_path / "cache"))
    weights = tmp_path / "weights.pt"
    weights.write_bytes(b"first")
    network = torch.nn.Linear(4, 2).eval()
    builds = []

    def build():
        builds.append(1)
        return (
            network,
            {"input": np.zeros((2, 4), np.float32)},
            {"input": {0: "n"}, "output": {0: "n"}},
        )

    path = onnx.onnx_model("toy", weights, build)
    assert onnx.onnx_model("toy", weights, build) == path and len(builds) == 1
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    (got,) = onnxruntime.InferenceSession(str(path)).run(None, {"input": x})
    with torch.inference_mode():
        assert np.allclose(got, network(torch.from_numpy(x)).numpy(), atol=1e-6)
    twin = tmp_path / "other-venv" / "weights.pt"  # the same package in another install
    twin.parent.mkdir()
    twin.write_bytes(b"first")
    os.utime(twin, ns=(1, 1))
    assert onnx.onnx_model("toy", twin, build) == path and len(builds) == 1
    assert onnx.onnx_model("toy", weights, build) == path and len(builds) == 1
    weights.write_bytes(b"second")  # other weights (a reinstalled package)
    onnx.onnx_model("toy", weights, build)
    assert len(builds) == 2
    monkeypatch.setattr(onnx, "export_code", lambda build: "other")  # the export's code changed
    onnx.onnx_model("toy", weights, build)
    assert len(builds) == 3
    monkeypatch.undo()
    monkeypatch.setenv("WEBINAR_PIPELINE_CACHE", str(tmp_path / "cache"))
    onnx.onnx_model("toy", weights, build)
    assert len(builds) == 4
    path.write_bytes(b"damaged")  # the export itself changed
    (path.parent / ".toy.onnx.x1y2.tmp").write_bytes(b"half an export")  # a killed export's
    onnx.onnx_model("toy", weights, build)
    assert len(builds) == 5 and onnxruntime.InferenceSession(str(path)).run(None, {"input": x})
    assert sorted(p.name for p in path.parent.iterdir()) == [  # the digests live elsewhere
        "toy.onnx",
        "toy.onnx.lock",
        "toy.source",
    ]
    # the key holds the code of the module a project network's build comes from, not only this one's
    build.__module__ = "pipeline.models.diarization"
    assert onnx.export_code(build) != onnx.export_code(lambda: None)


def test_a_read_only_prepared_cache_serves_another_install(tmp_path, monkeypatch):
    """A cache prepared once (``models prepare`` by an administrator) and then mounted read-only
    serves an install whose weights are the same bytes at another place: nothing is rebuilt,
    and the digest it cannot remember does not stop the run."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("WEBINAR_PIPELINE_CACHE", str(cache))
    weights = tmp_path / "admin" / "weights.pt"
    weights.parent.mkdir()
    weights.write_bytes(b"packaged weights")
    builds = []

    def build():
        builds.append(1)
        network = torch.nn.Linear(4, 2).eval()
        return network, {"input": np.zeros((2, 4), np.float32)}, {"input": {0: "n"}}

    path = onnx.onnx_model("toy", weights, build)
    user = tmp_path / "user" / "weights.pt"
    user.parent.mkdir()
    user.write_bytes(b"packaged weights")
    with mounted(cache, "--bind", str(cache)):
        subprocess.run(["mount", "-o", "remount,bind,ro", str(cache)], check=True)
        with pytest.raises(OSError):
            (cache / "probe").write_text("x")  # read-only indeed, even for root
        assert onnx.onnx_model("toy", user, build) == path and len(builds) == 1


def test_converted_checkpoint_matches_the_ctranslate2_weights():
    """Split Q/K/V and dequantised weights reproduce the fused CTranslate2 tensors."""
    variables = read_ct2(models.assemble("base") / "model.bin")
    dims, state = to_openai_state(variables)
    assert dims["n_vocab"] == 51865 and dims["n_text_layer"] == 6 and dims["n_mels"] == 80
    fused = variables["decoder/layer_2/self_attention/linear_0/weight"]
    q, k, v = (state[f"decoder.blocks.2.attn.{n}.weight"] for n in ("query", "key", "value"))
    assert np.array_equal(np.concatenate([q, k, v]), fused)
    assert "decoder.blocks.2.attn.key.bias" not in state
    checkpoint = torch.load(models.openai_checkpoint("base"), weights_only=True)
    model = whisper.model.Whisper(whisper.model.ModelDimensions(**checkpoint["dims"]))
    model.load_state_dict(checkpoint["model_state_dict"])  # strict: every weight present, no extras


def test_clips_join_close_spans_and_cut_long_ones():
    assert clips([(0, 5), (6, 10), (13, 20)], 28, 2) == [(0, 10), (13, 20)]
    assert clips([(0, 5), (6, 30)], 28, 2) == [(0, 5), (6, 30)]  # together over 28 s
    assert clips([(0, 70)], 28, 2) == [(0, 28), (28, 56), (56, 70)]
    assert clips([], 28, 2) == []


def test_a_word_longer_than_the_stretch_it_landed_in_goes_to_the_stretch_it_runs_into():
    """The batched decoder reads a window's stretches of speech end to end, and places a word by
    the stretch its middle falls in: a first word stretched back over a click before a long
    pause lands the whole pause early. Alone in its stretch and longer than it, it moves."""
    joined = [[(0.0, 0.5), (45.4, 46.2), (46.2, 49.5)], [(60.0, 60.8), (70.0, 72.0), (80.0, 81.2)]]

    def seg(i: int, *words: tuple[str, float, float]) -> Segment:
        ws = [Word(a, b, text, 0.9) for text, a, b in words]
        return Segment(i, ws[0].start, ws[-1].end, "".join(w.word for w in ws).strip(), ws)

    heard = [
        seg(0, (" Everyone,", 0.0, 0.94), (" my", 46.25, 46.41), (" name", 46.41, 46.61)),
        seg(1, (" Yes.", 70.5, 72.1)),  # alone in its stretch, but said in it: stays
        seg(2, (" so", 60.0, 60.2), (" then", 60.2, 61.3)),  # not alone in its stretch: stays
    ]
    first, *rest = rejoined(heard, joined, 1.0)
    assert [(w.word, w.start, w.end) for w in first.words[:2]] == [
        (" Everyone,", 45.4, 45.84),  # by the 44.9-s pause, from the stretch's start
        (" my", 46.25, 46.41),
    ]
    assert (first.start, first.end, first.text) == (45.4, 46.61, heard[0].text)
    assert rest == heard[1:]
    assert rejoined(heard, joined, 45.0) == heard  # the pause is shorter than asked for
    # the last word of a window never moves into the next window's stretch
    across = [seg(0, (" Yes", 80.0, 81.5))]
    assert rejoined(across, [[(80.0, 81.2)], [(81.3, 84.0)]], 0.05) == across
    back = [seg(0, (" it", 10.0, 12.0)), seg(1, (" Right.", 19.6, 20.9))]  # cough after the pause
    assert rejoined(back, [[(9.8, 12.3), (20.0, 20.5)]], 1.0)[1].words[0].start == pytest.approx(
        11.9
    )


@pytest.mark.parametrize("batched", [True, False])
def test_the_first_words_after_hold_music_are_not_put_in_the_music(tmp_path, batched):
    """45 s of waiting-room music, then a welcome: Silero hears the music's first beat as
    speech, and Whisper stretched the first word over it — "Everyone," at 0:00, the rest of the
    sentence at 0:46 (batched and sequential decoding alike). No word may lie in the music."""
    tune = "220*pow(2\\,floor(mod(t*2\\,8))/6)"  # a new note every 0.5 s …
    beat = "0.1*sin(2*PI*110*t)*lt(mod(t\\,1)\\,0.1)"  # … and a beat every second
    music = f"0.2*sin(2*PI*{tune}*t)+0.1*sin(4*PI*{tune}*t)+{beat}"
    speech = tmp_path / "speech.wav"
    said = (
        "Hello everyone. My name is Glenda Napier and I work on the green transition. Our "
        "cluster helps companies cut their carbon emissions and install solar panels on every roof."
    )
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(speech), said], check=True)
    mixed = tmp_path / "hold.wav"
    inputs = ["-f", "lavfi", "-i", f"aevalsrc='{music}':s=22050:d=45", "-i", str(speech)]
    join = "[0:a]aecho=0.8:0.7:120:0.3[m];[m][1:a]concat=n=2:v=0:a=1"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", *inputs, "-filter_complex", join, str(mixed)],
        check=True,
    )
    media.extract(probe(mixed), tmp_path / "audio.wav", ExtractParams())
    opts = TranscribeParams(language="en", batched=batched)
    transcript = transcribe(tmp_path / "audio.wav", opts)
    words = [w for s in transcript.segments for w in s.words]
    assert len(words) > 15
    assert min(w.start for w in words) > 44.5, [(w.word, w.start) for w in words[:3]]


def _longest_turn(demo_files, demo_run) -> tuple[dict, Callable[[Segment], bool], list[Segment]]:
    """The demo's longest scripted turn, whether a segment lies inside it, and the segments of
    its transcript as first heard."""
    truth = json.loads(demo_files.truth.read_text(encoding="utf-8"))
    turn = max(truth["turns"], key=lambda t: t["end"] - t["start"])

    def inside(seg: Segment) -> bool:
        return turn["start"] - 0.5 <= seg.start and seg.end <= turn["end"] + 0.5

    return turn, inside, Transcript.from_dict(read_json(demo_run.out_dir / "asr.json")).segments


def test_speech_the_batched_recogniser_skipped_is_read_again(demo_files, demo_run):
    """Batched Whisper can end a window early and lose the rest of its speech (a whole turn, at
    times). Take the words of the longest scripted turn out of the demo's transcript: the pause
    that leaves is heard to hold speech, and reading it again gives that turn's words back."""
    turn, inside, first = _longest_turn(demo_files, demo_run)
    kept = [s for s in first if not inside(s)]
    assert 0 < len(kept) < len(first)
    audio = load_audio(demo_run.out_dir / "audio.wav")
    opts = TranscribeParams(language="en")
    holes = unheard(audio, kept, opts.reread)
    assert any(a < turn["end"] and b > turn["start"] for a, b in holes)
    model = models.faster_whisper(opts.model, opts.compute_type, 2)
    found, windows = reread(model, audio, kept, opts, "en")
    assert windows == []  # read in one language: no window language to keep
    assert [s.id for s in found] == list(range(len(found)))
    assert [s.start for s in found] == sorted(s.start for s in found)
    again = " ".join(s.text for s in found if inside(s))
    assert wer(turn["text"], again, "en") < 0.5, again


def test_a_window_caught_in_a_loop_is_read_again(demo_files, demo_run):
    """Batched Whisper can repeat one sentence over the speech after it (the generated 10-min
    webinar: one audience question four times over 20 s of answers). Put such a window over the
    demo's longest scripted turn: it is found by its compression and read again alone, and the
    turn's own words come back in its place."""
    turn, inside, first = _longest_turn(demo_files, demo_run)
    heard = [s for s in first if inside(s)]
    opts = TranscribeParams(language="en")
    assert heard and not looping(first, opts.loop_ratio)  # the sentences as heard pass
    sentence = max(turn["text"].split(". "), key=len)
    loop = Segment(id=99, start=heard[0].start, end=heard[-1].end, text=" ".join([sentence] * 4))
    assert looping([loop], opts.loop_ratio) == [loop]
    window = sorted([s for s in first if not inside(s)] + [loop], key=lambda s: s.start)
    audio = load_audio(demo_run.out_dir / "audio.wav")
    model = models.faster_whisper(opts.model, opts.compute_type, 2)
    found = unlooped(model, audio, window, opts, "en")
    assert loop.text not in [s.text for s in found] and not looping(found, opts.loop_ratio)
    assert [s.id for s in found] == list(range(len(found)))
    assert [s.start for s in found] == sorted(s.start for s in found)
    again = " ".join(s.text for s in found if inside(s))
    assert wer(turn["text"], again, "en") < 0.5, again
    assert unlooped(model, audio, first, opts, "en") == first  # nothing looped: nothing read


def test_a_window_read_again_adds_no_words_where_the_next_window_has_them(demo_files, demo_run):
    """A looping window's stretch can end inside the next window's first words (seen on the
    generated 60-min webinar: "I'm going to see if I can..." added over the first second of the
    next speaker's sentence, out of order in the transcript). Let the loop over the demo's
    longest turn reach 2 s into the words after it: read again, the turn comes back, and no
    word lands inside another segment's words."""
    turn, inside, first = _longest_turn(demo_files, demo_run)
    heard = [s for s in first if inside(s)]
    after = next(s for s in first if s.start > heard[-1].end)
    assert after.words[-1].end - after.words[0].start > 3  # the next turn is longer than 2 s
    opts = TranscribeParams(language="en")
    loop = Segment(id=99, start=heard[0].start, end=after.start + 2, text=heard[0].text * 6)
    assert looping([loop], opts.loop_ratio) == [loop]
    window = sorted([s for s in first if not inside(s)] + [loop], key=lambda s: s.start)
    audio = load_audio(demo_run.out_dir / "audio.wav")
    model = models.faster_whisper(opts.model, opts.compute_type, 2)
    found = unlooped(model, audio, window, opts, "en")
    assert (after.start, after.text) in [(s.start, s.text) for s in found]
    again = " ".join(s.text for s in found if inside(s))
    assert wer(turn["text"], again, "en") < 0.5, again
    spans = [(s.words[0].start, s.words[-1].end) for s in found if s.words]
    for i, seg in enumerate(found):
        for w in seg.words:
            t = (w.start + w.end) / 2
            others = [j for j, (a, b) in enumerate(spans) if a < t < b and j != i]
            assert not others, (w, seg.text, [found[j].text for j in others])


def test_a_loop_read_again_that_writes_out_the_prompt_is_read_without_it(tmp_path):
    """A window read again for a loop is read with the prompt, and over speech Whisper hears
    badly that reading can be the prompt written out (a generated French talk: "Julien Roux,
    Pôle Mer Bretagne, Cluster Numérique Lyon" for 15 s of another man's turn). What it writes
    out of the prompt is read once more without it: words as many as the host's come back."""
    spec = demo.talk("fr")
    line = spec.script[0]  # the host's opening, about 11 s
    demo.synthesize([line], list(spec.people), tmp_path / "p.wav")
    media.extract(probe(tmp_path / "p.wav"), tmp_path / "audio.wav", ExtractParams())
    audio = load_audio(tmp_path / "audio.wav")
    event = Event(
        title=spec.title,
        speakers=[Speaker(name=p.name, role=p.role, org=p.org) for p in spec.people],
        vocabulary=list(spec.vocabulary),
    )
    opts = TranscribeParams(language="fr", prompt=event.prompt())
    loop = Segment(id=0, start=0.0, end=len(audio) / 16000, text="Nous voulons. " * 12)
    assert looping([loop], opts.loop_ratio) == [loop]
    model = models.faster_whisper(opts.model, opts.compute_type, 2)
    found = unlooped(model, audio, [loop], opts, "fr")
    assert found and all(echo_share(s.text, opts.prompt) < opts.echo_share for s in found)
    assert [s.id for s in found] == list(range(len(found)))
    said = " ".join(s.text for s in found).split()  # the espeak voice is heard badly: no WER
    assert len(said) > 0.6 * len(line.text.split()), said


def test_how_much_of_a_text_is_the_prompt_written_out():
    """Runs of three or more of the prompt's words, in its order, case and punctuation aside."""
    prompt = "Speakers: Glenda Napier, Energy Cluster Denmark; Marek Przeor, DG GROW. Terms: EU Clusters Talk"
    assert (
        echo_share(
            "Energy Cluster Denmark, DG GROW. Terms: EU Clusters Talk, energy cluster denmark",
            prompt,
        )
        == 1.0
    )
    # a sentence that names a speaker and her organisation is mostly its own words
    said = "Glenda Napier leads Energy Cluster Denmark, where members share heat between factories."
    assert 0 < echo_share(said, prompt) < 0.6
    assert echo_share("Glenda Napier, DG GROW", prompt) == 0.0  # no run of three
    assert echo_share("", prompt) == 0.0 and echo_share(said, "") == 0.0


def test_a_window_that_wrote_out_the_prompt_is_read_again_without_it(demo_files, demo_run):
    """Over speech it cannot hear, Whisper may write out its prompt (a generated French talk:
    the sidecar's organisations over and over for 30 s). Put such a window over the demo's
    longest turn: it is read again without the prompt and the turn's own words come back;
    a transcript with no such window is left as it is."""
    turn, inside, first = _longest_turn(demo_files, demo_run)
    heard = [s for s in first if inside(s)]
    opts = TranscribeParams(language="en", prompt=load_event(demo_files.sidecar).prompt())
    assert heard and all(echo_share(s.text, opts.prompt) < opts.echo_share for s in first)
    orgs = opts.prompt.split("Speakers: ")[1].split(". Terms")[0].replace(";", ",")
    echo = Segment(id=99, start=heard[0].start, end=heard[-1].end, text=f"{orgs}, {orgs}")
    assert echo_share(echo.text, opts.prompt) >= opts.echo_share
    window = sorted([s for s in first if not inside(s)] + [echo], key=lambda s: s.start)
    audio = load_audio(demo_run.out_dir / "audio.wav")
    model = models.faster_whisper(opts.model, opts.compute_type, 2)
    found = unechoed(model, audio, window, opts, "en")
    assert echo.text not in [s.text for s in found]
    assert all(echo_share(s.text, opts.prompt) < opts.echo_share for s in found)
    assert [s.id for s in found] == list(range(len(found)))
    again = " ".join(s.text for s in found if inside(s))
    assert wer(turn["text"], again, "en") < 0.5, again
    assert unechoed(model, audio, first, opts, "en") == first  # no echo: nothing read


def test_a_programme_read_out_is_kept_though_it_is_the_prompt(tmp_path):
    """A host who reads out the programme says the prompt's words: read again without the
    prompt, the window is the prompt's words still, so it stands as heard."""
    terms = "European Cluster Collaboration Platform, Energy Cluster Denmark, European Cluster Conference"
    person = demo.Person("host", "Host", "", "", "en-us", 50, 150)
    demo.synthesize([demo.Line("host", "other", f"{terms}.")], [person], tmp_path / "p.wav")
    media.extract(probe(tmp_path / "p.wav"), tmp_path / "audio.wav", ExtractParams())
    audio = load_audio(tmp_path / "audio.wav")
    opts = TranscribeParams(language="en", prompt=f"Terms: {terms}")
    window = [Segment(id=0, start=0.0, end=len(audio) / 16000, text=terms)]
    model = models.faster_whisper(opts.model, opts.compute_type, 2)
    assert unechoed(model, audio, window, opts, "en") == window
