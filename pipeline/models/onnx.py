"""ONNX exports of torch networks made from packaged weights, built once in the model cache."""

from __future__ import annotations

import hashlib
import json
import shutil
import warnings
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from filelock import FileLock

from ..core.stage import code_fingerprint
from ..core.store import atomic_path, atomic_write
from .cache import cache_dir, digest, stamp


def onnx_path(name: str) -> Path:
    """Where the ONNX export of network ``name`` lives in the cache."""
    return cache_dir() / "onnx" / f"{name}.onnx"


def onnx_model(
    name: str,
    weights: Path,
    build: Callable[[], tuple[Any, dict[str, Any], dict[str, dict[int, str]]]],
) -> Path:
    """An ONNX export of a torch network made from packaged ``weights``, built once in the cache.

    ``build`` returns (network, example inputs by name, dynamic axes of the inputs and of
    "output"); it only runs when the export is missing or stale (other weights, another torch,
    changed code). ONNX Runtime runs the diarization networks 1.3–1.5× faster than torch on
    CPU, same outputs to 1e-5 (see docs/benchmarks.md)."""
    target = onnx_path(name)
    marker = target.with_suffix(".source")
    source = f"{digest(weights)}|torch {metadata.version('torch')}|code {export_code(build)}"

    def ready() -> bool:
        try:
            return marker.read_text() == f"{source}|{stamp(target)}"
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
            network, examples, axes = build()
            with atomic_path(target) as tmp, torch.no_grad(), warnings.catch_warnings():
                # the tracer's notes (instance norm in train mode, LSTM batch size, a shape
                # test made constant) do not apply to these networks: tests compare outputs
                warnings.simplefilter("ignore")
                torch.onnx.export(
                    network,
                    tuple(torch.as_tensor(x) for x in examples.values()),
                    str(tmp),
                    input_names=list(examples),
                    output_names=["output"],
                    dynamic_axes=axes,
                    dynamo=False,
                    opset_version=17,
                )
            atomic_write(marker, f"{source}|{stamp(target)}")
    return target


def export_code(build: Callable[..., Any]) -> str:
    """A digest of the code an export is made by: this module's and that of the module ``build``
    comes from, with what they import (``code_fingerprint``: comments and docstrings do not
    count), so changed export settings or network code redo the cached exports."""
    modules = [__name__, *([build.__module__] if build.__module__.startswith("pipeline.") else [])]
    files = {path: code for module in modules for path, code in code_fingerprint(module).items()}
    return hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()[:16]


def discard_exports() -> None:
    """Remove the cached ONNX exports (rebuilt on next use)."""
    shutil.rmtree(cache_dir() / "onnx", ignore_errors=True)
