"""Both engines, real weights from the model packages, offline; the same Transcript out of both."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import whisper

from pipeline import media, models
from pipeline.convert import read_ct2, to_openai_state
from pipeline.transcribe import AsrOptions, transcribe


@pytest.fixture(scope="module")
def clip_audio(short_clip, tmp_path_factory):
    return media.extract(media.probe(short_clip), tmp_path_factory.mktemp("a") / "audio.wav")


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
        clip_audio.path, AsrOptions(engine=engine, model=model, batched=batched), seen.append
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
