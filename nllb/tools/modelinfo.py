"""What a CTranslate2 model file holds, read from model.bin's index without loading weights.

model.bin: version (u32), spec name, spec revision (u32), variable count
(u32), then per variable its name, rank (u8), dimensions (u32 each), type
(u8), byte count (u32) and data; strings are u16-length-prefixed and
NUL-terminated. Data is skipped with seek, so a 6 GB file reads in
milliseconds.
"""

from __future__ import annotations

import dataclasses
import re
import struct
from pathlib import Path

from nllb.modeldir import ModelDirectory

DTYPES = ("float32", "int8", "int16", "int32", "float16", "bfloat16")
_BYTES = {"float32": 4, "int8": 1, "int16": 2, "int32": 4, "float16": 2, "bfloat16": 2}
# Beyond the weights: activations, the decoding cache and allocator slack.
_WORKSPACE_SHARE = 0.25


@dataclasses.dataclass(frozen=True)
class ModelInfo:
    spec: str
    parameters: int
    weight_bytes: int
    dtypes: dict[str, int]
    d_model: int
    vocabulary: int
    encoder_layers: int
    decoder_layers: int
    languages: int
    fingerprint: str
    synthetic: str | None

    def device_memory_estimate(self, compute_type: str) -> int:
        """Bytes of device memory to expect with weights held in `compute_type`."""
        weight_type = compute_type.split("_")[0] if compute_type.startswith("int8") else compute_type
        per_parameter = _BYTES.get(weight_type, 2)
        return int(self.parameters * per_parameter * (1 + _WORKSPACE_SHARE))

    def as_dict(self) -> dict:
        return {
            "architecture": self.spec,
            "parameters": self.parameters,
            "file_weight_bytes": self.weight_bytes,
            "stored_types": self.dtypes,
            "d_model": self.d_model,
            "vocabulary": self.vocabulary,
            "encoder_layers": self.encoder_layers,
            "decoder_layers": self.decoder_layers,
            "languages": self.languages,
            "fingerprint": self.fingerprint,
            "synthetic": self.synthetic,
            "device_memory_estimate_bytes": {
                t: self.device_memory_estimate(t) for t in ("float32", "float16", "int8_float16", "int8")
            },
        }


def read(path: str | Path) -> ModelInfo:
    directory = ModelDirectory.open(path)
    with (directory.path / "model.bin").open("rb") as f:
        (version,) = struct.unpack("<I", f.read(4))
        spec, revision = ("", 1) if version < 2 else (_string(f), struct.unpack("<I", f.read(4))[0])
        (count,) = struct.unpack("<I", f.read(4))
        parameters, total, dtypes, shapes = 0, 0, {}, {}
        for _ in range(count):
            name = _string(f)
            (rank,) = struct.unpack("<B", f.read(1))
            dims = struct.unpack(f"<{rank}I", f.read(4 * rank)) if rank else ()
            if version >= 4:
                type_id, size = struct.unpack("<BI", f.read(5))
                dtype = DTYPES[type_id] if type_id < len(DTYPES) else f"type{type_id}"
            else:
                item, items = struct.unpack("<BI", f.read(5))
                dtype, size = f"{item}-byte", item * items
            f.seek(size, 1)
            elements = 1
            for d in dims:
                elements *= d
            if rank >= 1:  # scalars are settings, not weights
                parameters += elements
                total += size
                dtypes[dtype] = dtypes.get(dtype, 0) + elements
            shapes[name] = dims
    embedding = next((dims for name, dims in shapes.items() if re.match(r"encoder/embeddings(_0)?/weight$", name)), (0, 0))
    return ModelInfo(
        spec=spec or "unknown",
        parameters=parameters,
        weight_bytes=total,
        dtypes=dtypes,
        d_model=embedding[1] if len(embedding) == 2 else 0,
        vocabulary=len(directory.vocabulary),
        encoder_layers=_layers(shapes, "encoder"),
        decoder_layers=_layers(shapes, "decoder"),
        languages=len(directory.languages),
        fingerprint=directory.fingerprint,
        synthetic=directory.synthetic,
    )


def _string(f) -> str:
    (length,) = struct.unpack("<H", f.read(2))
    return f.read(length)[:-1].decode("utf-8")


def _layers(shapes: dict, stack: str) -> int:
    found = {int(m.group(1)) for name in shapes if (m := re.match(rf"{stack}/layer_(\d+)/", name))}
    return max(found) + 1 if found else 0
