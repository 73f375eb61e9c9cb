"""Real recordings with references from ../shared/data (skipped cleanly when absent)."""

from __future__ import annotations

import json

import pytest

from pipeline.config import Settings
from pipeline.evaluate import wer
from pipeline.runner import run
from tests.helpers import SHARED_DATA

ASR = SHARED_DATA / "asr"
pytestmark = pytest.mark.skipif(
    not (ASR / "references.json").exists(), reason="../shared/data/asr not present"
)


@pytest.mark.parametrize(("name", "bound"), [("jfk.flac", 0.0), ("OSR_us_000_0034_8k.wav", 0.05)])
def test_real_speech_wer(name, bound, tmp_path):
    reference = json.loads((ASR / "references.json").read_text())[name]
    result = run(
        ASR / name, Settings(transcripts_dir=tmp_path, summaries_dir=tmp_path / "summaries")
    )
    assert wer(reference, result.transcript.text) <= bound


def test_real_lecture_in_webm_goes_through(tmp_path):
    lecture = SHARED_DATA / "media" / "lewin_physicsworks.webm"
    if not lecture.exists():
        pytest.skip("lecture recording not present")
    result = run(lecture, Settings(transcripts_dir=tmp_path, summaries_dir=tmp_path / "summaries"))
    assert result.transcript.duration == pytest.approx(203, abs=3)
    assert len(result.transcript.text.split()) > 200
