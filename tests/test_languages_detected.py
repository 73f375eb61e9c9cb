"""Webinars in Italian, Spanish and Polish (issue 19), the latter two with no language in their
sidecar, so Whisper must detect it; German and French are in test_languages.py (a file per worker:
each language's webinar takes about a minute to make and run)."""

from __future__ import annotations

import json

import pytest

from tests.helpers import check_translated_webinar


@pytest.mark.parametrize("language", ("it", "es", "pl"))
def test_a_webinar_in_another_language(talk, language):
    check_translated_webinar(*talk(language), language)


def test_a_detected_language_is_recorded_as_detected(talk):
    """No language in the sidecar: the transcription is asked to detect it (``auto``) and the
    transcript carries what it found."""
    files, result = talk("es")
    assert "language" not in files.sidecar.read_text(encoding="utf-8")
    manifest = json.loads((result.out_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["stages"]["transcribe"]["hashed"]["params"]["language"] == "auto"
    assert result.transcript.language == "es"
