"""Shared fixtures: synthetic webinars made with espeak-ng + ffmpeg, run through the pipeline."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest
import yaml

from pipeline.core.config import Settings
from pipeline.service.runner import RunResult, run
from pipeline.tools import demo


@pytest.fixture(scope="session")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> demo.DemoFiles:
    """The demo mini-webinar (mp4 + sidecar + ground truth), made once per test session."""
    return demo.make_webinar(tmp_path_factory.mktemp("recordings"), slides=True)


@pytest.fixture(scope="session")
def demo_run(demo_files: demo.DemoFiles, tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    """The demo webinar through the pipeline with the default settings (base, int8, batched)."""
    base = tmp_path_factory.mktemp("workspace")
    return run(
        demo_files.recording,
        Settings(transcripts_dir=base / "transcripts", summaries_dir=base / "summaries"),
    )


@pytest.fixture(scope="session")
def short_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two speakers, ~10 s, as WAV (22.05 kHz, as espeak writes it)."""
    script = [demo.SCRIPT[0], demo.SCRIPT[3]]
    path = tmp_path_factory.mktemp("clip") / "clip.wav"
    demo.synthesize(script, demo.PEOPLE, path)
    return path


DETECTED = ("es", "pl")  # their generated sidecar gives no language: Whisper must find it


@pytest.fixture(scope="module")
def talk(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[str], tuple[demo.DemoFiles, RunResult]]:
    """A generated webinar in a language (de, fr, it, es, pl) through the pipeline with the
    default settings, made on first use in a test file (each language costs about a minute, so
    the files that need them run in parallel)."""

    @cache
    def make(language: str) -> tuple[demo.DemoFiles, RunResult]:
        folder = tmp_path_factory.mktemp(f"talk-{language}")
        files = demo.make_talk(folder / "recordings", language, f"webinar-{language}")
        if language in DETECTED:
            event = yaml.safe_load(files.sidecar.read_text(encoding="utf-8"))
            del event["language"]
            files.sidecar.write_text(yaml.safe_dump(event, allow_unicode=True), encoding="utf-8")
        settings = Settings(
            transcripts_dir=folder / "transcripts", summaries_dir=folder / "summaries"
        )
        return files, run(files.recording, settings)

    return make
