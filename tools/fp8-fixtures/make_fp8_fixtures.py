#!/usr/bin/env python3
"""FP8 (E4M3, 128x128-style block scales) fixtures made with PyTorch's float8_e4m3fn.

    pip install torch==2.13.0+cpu safetensors numpy
    python3 tools/fp8-fixtures/make_fp8_fixtures.py

Writes
  compression/src/test/resources/fp8/e4m3.f32          the 256 byte values decoded by torch (float32 LE)
  compression/src/test/resources/fp8/block.{fp8,scale,f32}
                                                       a (140, 200) weight quantized in 128x128 blocks as
                                                       DeepSeek-V3 does (scale = amax / 448), its (2, 2) F32
                                                       weight_scale_inv and torch's dequantized values
  engine-java/src/test/resources/fp8/qwen3_moe-fp8     the golden tiny Qwen3-MoE with every attention and
                                                       expert projection stored F8_E4M3 + weight_scale_inv
                                                       (32x32 blocks so a 64-wide matrix has several), and
                                                       twin/: the same model with torch's dequantized values
"""
import json
import shutil
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

ROOT = Path(__file__).resolve().parents[2]
FP8 = torch.float8_e4m3fn


def quantize_blocks(w: torch.Tensor, br: int, bc: int):
    """DeepSeek-V3's block quantization: per (br, bc) block, scale = amax / 448; q = w / scale in E4M3."""
    rows, cols = w.shape
    sr, sc = -(-rows // br), -(-cols // bc)
    scale = torch.zeros(sr, sc, dtype=torch.float32)
    q = torch.zeros(rows, cols, dtype=FP8)
    for i in range(sr):
        for j in range(sc):
            blk = w[i * br:(i + 1) * br, j * bc:(j + 1) * bc].float()
            s = blk.abs().max().clamp(min=1e-12) / 448.0
            scale[i, j] = s
            q[i * br:(i + 1) * br, j * bc:(j + 1) * bc] = (blk / s).to(FP8)
    return q, scale


def dequantize_blocks(q: torch.Tensor, scale: torch.Tensor, br: int, bc: int):
    rows, cols = q.shape
    s = scale.repeat_interleave(br, 0)[:rows].repeat_interleave(bc, 1)[:, :cols]
    return q.to(torch.float32) * s


def main():
    out = ROOT / "compression/src/test/resources/fp8"
    out.mkdir(parents=True, exist_ok=True)
    table = torch.arange(256, dtype=torch.uint8).view(FP8).to(torch.float32)
    (out / "e4m3.f32").write_bytes(table.numpy().astype("<f4").tobytes())
    g = torch.Generator().manual_seed(16)
    w = torch.randn(140, 200, generator=g) * torch.logspace(-3, 1, 200)  # columns of very different magnitude
    q, s = quantize_blocks(w, 128, 128)
    (out / "block.fp8").write_bytes(q.view(torch.uint8).numpy().tobytes())
    (out / "block.scale").write_bytes(s.numpy().astype("<f4").tobytes())
    (out / "block.f32").write_bytes(dequantize_blocks(q, s, 128, 128).numpy().astype("<f4").tobytes())

    src = ROOT / "engine-java/src/test/resources/golden/qwen3_moe"
    dst = ROOT / "engine-java/src/test/resources/fp8/qwen3_moe-fp8"
    (dst / "twin").mkdir(parents=True, exist_ok=True)
    cfg = json.loads((src / "config.json").read_text())
    cfg["quantization_config"] = {"quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic", "weight_block_size": [32, 32]}
    W = load_file(str(src / "model.safetensors"))
    fp8, twin = {}, {}
    for name, t in W.items():
        t = t.to(torch.float32)
        # As the FP8 releases do: projections in FP8; embeddings, lm_head, norms and routers stay in high precision.
        if t.ndim == 2 and name.endswith("_proj.weight"):
            q, s = quantize_blocks(t, 32, 32)
            fp8[name] = q
            fp8[name + "_scale_inv"] = s
            twin[name] = dequantize_blocks(q, s, 32, 32)
        else:
            fp8[name] = t
            twin[name] = t
    save_file(fp8, str(dst / "model.safetensors"))
    (dst / "config.json").write_text(json.dumps(cfg, indent=2) + "\n")
    save_file(twin, str(dst / "twin" / "model.safetensors"))
    shutil.copy(src / "config.json", dst / "twin" / "config.json")
    print("wrote", out, dst, "torch", torch.__version__)


if __name__ == "__main__":
    main()
