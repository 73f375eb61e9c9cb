"""Convert a CTranslate2 Whisper model (model.bin) into an openai-whisper checkpoint.

No registry package ships openai-whisper ``.pt`` files, so the openai-whisper engine runs offline
on the same packaged weights as faster-whisper. The CTranslate2 binary layout is: version, spec
name, revision, then named variables (dtype, shape, bytes), then aliases for tied weights.
Attention projections are fused there and split here; int8 weights are dequantised per row.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path
from typing import BinaryIO

import numpy as np

_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}


def _read(f: BinaryIO, fmt: str) -> int:
    return struct.unpack(fmt, f.read(struct.calcsize(fmt)))[0]


def _read_string(f: BinaryIO) -> str:
    return f.read(_read(f, "<H"))[:-1].decode("utf-8")


def read_ct2(path: Path) -> dict[str, np.ndarray]:
    """All variables of a CTranslate2 model.bin, int8 weights dequantised to float32."""
    raw: dict[str, np.ndarray] = {}
    with path.open("rb") as f:
        version = _read(f, "<I")
        if version < 5:
            raise ValueError(f"unsupported CTranslate2 binary version {version}")
        spec = _read_string(f)
        if spec != "WhisperSpec":
            raise ValueError(f"not a Whisper model: {spec}")
        _read(f, "<I")  # spec revision
        for _ in range(_read(f, "<I")):
            name = _read_string(f)
            shape = tuple(_read(f, "<I") for _ in range(_read(f, "<B")))
            dtype_id = _read(f, "<B")
            if dtype_id not in _DTYPES:
                raise ValueError(f"{name}: unsupported dtype id {dtype_id}")
            data = f.read(_read(f, "<I"))
            raw[name] = np.frombuffer(data, dtype=_DTYPES[dtype_id]).reshape(shape)
        for _ in range(_read(f, "<I")):
            alias, target = _read_string(f), _read_string(f)
            raw[alias] = raw[target]
    out: dict[str, np.ndarray] = {}
    for name, value in raw.items():
        if name.endswith("/weight_scale"):
            continue
        scale = raw.get(name + "_scale")
        if scale is not None and value.dtype == np.int8:
            value = value.astype(np.float32) / scale.astype(np.float32).reshape(
                -1, *[1] * (value.ndim - 1)
            )
        out[name] = value.astype(np.float32) if value.dtype == np.float16 else value
    return out


def _layers(v: dict[str, np.ndarray], prefix: str) -> int:
    found = {int(m.group(1)) for k in v if (m := re.match(rf"{prefix}/layer_(\d+)/", k))}
    return len(found)


def to_openai_state(v: dict[str, np.ndarray]) -> tuple[dict[str, int], dict[str, np.ndarray]]:
    """Map CTranslate2 names to openai-whisper's ``Whisper`` module names; return (dims, state)."""
    state: dict[str, np.ndarray] = {}

    def linear(dst: str, src: str, bias: bool = True) -> None:
        state[f"{dst}.weight"] = v[f"{src}/weight"]
        if bias:
            state[f"{dst}.bias"] = v[f"{src}/bias"]

    def norm(dst: str, src: str) -> None:
        state[f"{dst}.weight"] = v[f"{src}/gamma"]
        state[f"{dst}.bias"] = v[f"{src}/beta"]

    def fused(dst: str, src: str, names: tuple[str, ...]) -> None:
        weights = np.split(v[f"{src}/weight"], len(names))
        biases = np.split(v[f"{src}/bias"], len(names))
        for name, w, b in zip(names, weights, biases, strict=True):
            state[f"{dst}.{name}.weight"] = w
            if name != "key":  # Whisper has no key bias (CTranslate2 stores zeros)
                state[f"{dst}.{name}.bias"] = b

    def block(dst: str, src: str, cross: bool) -> None:
        fused(f"{dst}.attn", f"{src}/self_attention/linear_0", ("query", "key", "value"))
        linear(f"{dst}.attn.out", f"{src}/self_attention/linear_1")
        norm(f"{dst}.attn_ln", f"{src}/self_attention/layer_norm")
        if cross:
            linear(f"{dst}.cross_attn.query", f"{src}/attention/linear_0")
            fused(f"{dst}.cross_attn", f"{src}/attention/linear_1", ("key", "value"))
            linear(f"{dst}.cross_attn.out", f"{src}/attention/linear_2")
            norm(f"{dst}.cross_attn_ln", f"{src}/attention/layer_norm")
        linear(f"{dst}.mlp.0", f"{src}/ffn/linear_0")
        linear(f"{dst}.mlp.2", f"{src}/ffn/linear_1")
        norm(f"{dst}.mlp_ln", f"{src}/ffn/layer_norm")

    n_audio_layer, n_text_layer = _layers(v, "encoder"), _layers(v, "decoder")
    for i in range(n_audio_layer):
        block(f"encoder.blocks.{i}", f"encoder/layer_{i}", cross=False)
    for i in range(n_text_layer):
        block(f"decoder.blocks.{i}", f"decoder/layer_{i}", cross=True)
    linear("encoder.conv1", "encoder/conv1")
    linear("encoder.conv2", "encoder/conv2")
    state["encoder.positional_embedding"] = v["encoder/position_encodings/encodings"]
    norm("encoder.ln_post", "encoder/layer_norm")
    state["decoder.token_embedding.weight"] = v["decoder/embeddings/weight"]
    state["decoder.positional_embedding"] = v["decoder/position_encodings/encodings"]
    norm("decoder.ln", "decoder/layer_norm")

    audio_ctx, audio_state = v["encoder/position_encodings/encodings"].shape
    text_ctx, text_state = v["decoder/position_encodings/encodings"].shape
    dims = {
        "n_mels": int(v["encoder/conv1/weight"].shape[1]),
        "n_audio_ctx": int(audio_ctx),
        "n_audio_state": int(audio_state),
        "n_audio_head": int(v["encoder/num_heads"]),
        "n_audio_layer": n_audio_layer,
        "n_vocab": int(v["decoder/embeddings/weight"].shape[0]),
        "n_text_ctx": int(text_ctx),
        "n_text_state": int(text_state),
        "n_text_head": int(v["decoder/num_heads"]),
        "n_text_layer": n_text_layer,
    }
    return dims, state


def convert_ct2_to_openai(model_dir: Path, target: Path) -> None:
    """Write ``target`` (a ``whisper.load_model`` checkpoint) from a CTranslate2 folder, atomically."""
    import torch

    from ..core.store import atomic_path

    dims, state = to_openai_state(read_ct2(model_dir / "model.bin"))
    tensors = {
        k: torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)) for k, a in state.items()
    }
    with atomic_path(target) as tmp:
        torch.save({"dims": dims, "model_state_dict": tensors}, tmp)
