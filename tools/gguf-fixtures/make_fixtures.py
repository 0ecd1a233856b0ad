#!/usr/bin/env python3
"""Dequantization fixtures for the ggml block types Strata reads from GGUF files.

For each type: random blocks (random bytes, with every f16 scale field replaced by a finite
random half so the reference never sees NaN), and the values the `gguf` package's numpy
dequantizer (gguf.quants.dequantize) makes of them. The Java test
(compression/src/test/java/io/strata/compression/ggml/GgmlDequantTest.java) dequantizes the
same bytes and compares block by block.

    pip install gguf==0.19.0 numpy
    python3 tools/gguf-fixtures/make_fixtures.py compression/src/test/resources/ggml

Writes OUT/TYPE.blocks (raw blocks), OUT/TYPE.f32 (little-endian float32 values) and
OUT/index.json (type, blocks, block size, bytes per block, gguf version).
"""
import importlib.metadata
import json
import sys
from pathlib import Path

import gguf
import numpy as np
from gguf import GGMLQuantizationType as T
from gguf.constants import GGML_QUANT_SIZES

# Byte offsets of the f16 scale fields inside one block of each type.
HALF_FIELDS = {T.Q8_0: [0], T.Q4_0: [0], T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208]}
BLOCKS = 24


def blocks_for(t, rng):
    block, size = GGML_QUANT_SIZES[t]
    if t == T.F32:
        return rng.standard_normal(BLOCKS * 8).astype("<f4").view(np.uint8)
    if t == T.F16:
        return (rng.standard_normal(BLOCKS * 8) * 4).astype("<f2").view(np.uint8)
    if t == T.BF16:
        f = (rng.standard_normal(BLOCKS * 8) * 4).astype("<f4")
        return (f.view(np.uint32) >> 16).astype("<u2").view(np.uint8)
    raw = rng.integers(0, 256, size=(BLOCKS, size), dtype=np.uint8)
    for off in HALF_FIELDS.get(t, []):
        # magnitudes from 1e-4 to 1e-1 (as real scales), random sign; a few exact zeros
        h = (rng.choice([-1.0, 1.0], BLOCKS) * 10.0 ** rng.uniform(-4, -1, BLOCKS)).astype("<f2")
        h[0] = 0.0
        raw[:, off:off + 2] = h.view(np.uint8).reshape(BLOCKS, 2)
    return raw.reshape(-1)


def main(out: Path):
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(16)
    index = {"gguf_version": importlib.metadata.version("gguf"), "numpy_version": np.__version__, "types": []}
    for t in [T.F32, T.F16, T.BF16, T.Q8_0, T.Q4_0, T.Q4_K, T.Q5_K, T.Q6_K, T.MXFP4]:
        data = blocks_for(t, rng)
        block, size = GGML_QUANT_SIZES[t]
        n_blocks = data.size // size
        ref = gguf.quants.dequantize(data.reshape(1, -1), t).astype("<f4").reshape(-1)
        assert ref.size == n_blocks * block, (t.name, ref.size)
        (out / f"{t.name}.blocks").write_bytes(data.tobytes())
        (out / f"{t.name}.f32").write_bytes(ref.tobytes())
        index["types"].append({"type": t.name, "blocks": int(n_blocks), "block_size": block, "type_size": size})
    (out / "index.json").write_text(json.dumps(index, indent=1) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "compression/src/test/resources/ggml"))
