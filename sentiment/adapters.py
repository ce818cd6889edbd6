"""The fine-tuned encoder at run time: LoRA adapters merged into it, and its int8 ONNX build.

``Adapter`` reads ``weights/sentiment_adapter.npz`` (written by ``training.train_adapter``) and
adds each low-rank update ``scale * B @ A`` to the weight it was trained for, so the tuned
encoder is an ordinary ``BertModel`` that costs no more than the base one. ``Pooled`` turns it into the
sentence encoder (mean pooling, L2 norm) that both run paths share.

``ensure_int8_onnx`` exports that encoder, mean pooling and L2 norm included, to ONNX, fuses
attention, layer norms and GELU into ONNX Runtime's kernels and quantises the matrix products to
int8 (dynamic, per channel), once per adapter into the cache dir. It is the default backend
(figures in the model card). Each use marks its build as used; builds this version of the
code no longer makes (earlier adapters or conversions, about 400 MB each) are deleted once no
process has used them for ``UNUSED_DAYS``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sentiment.encoder_build import ADAPTER_PATH, CONVERSION_VERSION, LORA_TARGETS, build_once

# Bump when the export or quantisation changes, so stale builds are rebuilt, not trusted.
ONNX_BUILD_VERSION = 2
MODEL_FILE = "encoder.int8.onnx"
MARKER = "crisiswatch-build.json"
UNUSED_DAYS = 14


def file_digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:8]


class Adapter:
    """LoRA updates per adapted linear: ``l{layer}.{short}.A`` (rank, in) and ``.B`` (out, rank)."""

    def __init__(self, path: Path) -> None:
        with np.load(path, allow_pickle=False) as z:
            self.version = str(z["version"])
            rank, alpha = int(z["rank"]), float(z["alpha"])
            self.pairs = {
                key[:-2]: (z[key].astype(np.float32), z[key[:-2] + ".B"].astype(np.float32))
                for key in z.files
                if key.endswith(".A")
            }
        if not self.pairs:
            raise ValueError(f"{path}: no adapters in file")
        self.scale = alpha / rank
        self.digest = file_digest(path)

    def merge_into(self, model: Any) -> None:
        """Add every update to the weights of a transformers BertModel, in place."""
        for name, (a, b) in self.pairs.items():
            layer, short = name.split(".", 1)
            module = model.encoder.layer[int(layer[1:])].get_submodule(LORA_TARGETS[short])
            delta = torch.from_numpy(self.scale * (b @ a))
            if delta.shape != module.weight.shape:
                raise ValueError(f"adapter {name}: shape {tuple(delta.shape)} does not fit")
            with torch.no_grad():
                module.weight += delta


def ensure_int8_onnx(cache_dir: Path, encoder_dir: Path, adapter: Adapter | None) -> Path:
    """Path of the int8 ONNX encoder for (base encoder, adapter), built once
    (``sentiment.encoder_build.build_once``)."""
    tag = adapter.digest if adapter else "base"

    def export_and_quantise(tmp: Path) -> dict:
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from transformers import AutoModel, AutoTokenizer

        bert = AutoModel.from_pretrained(encoder_dir, attn_implementation="eager").eval()
        if adapter:
            adapter.merge_into(bert)
        sample = AutoTokenizer.from_pretrained(encoder_dir)(
            ["query: a", "query: two words"], padding=True, return_tensors="pt"
        )
        print("  exporting to ONNX", file=sys.stderr, flush=True)
        torch.onnx.export(
            Pooled(bert),
            (sample["input_ids"], sample["attention_mask"]),
            str(tmp / "encoder.onnx"),
            input_names=["input_ids", "attention_mask"],
            output_names=["embedding"],
            dynamic_axes={"input_ids": {0: "batch", 1: "tokens"},
                          "attention_mask": {0: "batch", 1: "tokens"}, "embedding": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )  # fmt: skip
        print("  fusing attention, layer norms and GELU", file=sys.stderr, flush=True)
        fused = fuse_bert(tmp / "encoder.onnx", tmp / "encoder.fused.onnx", bert.config)
        print("  quantising to int8", file=sys.stderr, flush=True)
        quantize_dynamic(
            str(tmp / "encoder.fused.onnx"),
            str(tmp / MODEL_FILE),
            # the embedding table stays fp32: no drift there
            op_types_to_quantize=["MatMul", "Attention"],
            per_channel=True,
            reduce_range=True,  # 7-bit weights: no u8*s8 overflow on CPUs without VNNI
            weight_type=QuantType.QInt8,
            extra_options={"DefaultTensorType": 1},  # float, for nodes shape inference misses
        )
        (tmp / "encoder.onnx").unlink()
        (tmp / "encoder.fused.onnx").unlink()
        return {"adapter": tag, "encoder": str(encoder_dir), "fused": fused}

    which = "sentiment-tuned" if adapter else "base"

    def build_dir(tag: str) -> Path:
        # the base conversion's version is in the name: a rebuilt base invalidates this too
        return Path(cache_dir) / f"{encoder_dir.name}.v{CONVERSION_VERSION}-{tag}-int8-onnx"

    target = build_dir(tag)
    if (target / MARKER).is_file():
        os.utime(target / MARKER)  # in use: before the build check, so no pruner takes it
    build_once(target, MARKER, ONNX_BUILD_VERSION,
               f"build of the embedded model, step {3 if adapter is None else 2} of 3: "
               f"the int8 {which} encoder",
               export_and_quantise)  # fmt: skip
    current = {target, build_dir("base")}
    if ADAPTER_PATH.is_file():
        current.add(build_dir(file_digest(ADAPTER_PATH)))
    prune_unused_builds(Path(cache_dir), keep=current)
    return target / MODEL_FILE


def prune_unused_builds(cache_dir: Path, keep: set[Path],
                        days: float = UNUSED_DAYS) -> list[Path]:
    """Delete the int8 builds in ``cache_dir``, other than ``keep``, whose marker says no
    process has used them for ``days``; returns what was deleted. A process still running an
    old build is unaffected (ONNX Runtime has read the file); one started later rebuilds it."""
    cutoff = time.time() - days * 86400
    gone = []
    for marker in Path(cache_dir).glob(f"*-int8-onnx/{MARKER}"):
        build = marker.parent
        if build not in keep and marker.stat().st_mtime < cutoff:
            shutil.rmtree(build, ignore_errors=True)
            print(f"crisiswatch: removed {build.name}, unused for {days:g} days",
                  file=sys.stderr, flush=True)
            gone.append(build)
    return gone


def fuse_bert(src: Path, dst: Path, config: Any) -> dict[str, int]:
    """Rewrite an exported BERT graph with ONNX Runtime's fused kernels (one Attention node
    per layer, SkipLayerNormalization, BiasGelu): one text per run went from 70 to 86 texts/s
    in int8 on this project's 2-core machine, the same embeddings to 1e-7 in fp32. Returns the
    count of each fused operator; raises if the attention of some layer was not fused, since
    the speed figures assume it was."""
    from onnxruntime.transformers.optimizer import optimize_model

    model = optimize_model(
        str(src),
        model_type="bert",
        num_heads=config.num_attention_heads,
        hidden_size=config.hidden_size,
        opt_level=0,  # graph fusions only; the session applies its own at load time
    )
    counts = {k: v for k, v in model.get_fused_operator_statistics().items() if v}
    if counts.get("Attention", 0) != config.num_hidden_layers:
        raise RuntimeError(f"attention fusion matched {counts.get('Attention', 0)} of "
                           f"{config.num_hidden_layers} layers: {counts}")  # fmt: skip
    model.save_model_to_file(str(dst))
    return counts


class Pooled(torch.nn.Module):
    """A BertModel as a sentence encoder: L2-normalised mean of its last hidden states over
    the real (unmasked) tokens. The same module runs in torch and is exported to ONNX."""

    def __init__(self, bert: Any) -> None:
        super().__init__()
        self.bert = bert

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask)[0]
        return mean_pool(hidden, attention_mask)


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """L2-normalised float32 mean of ``hidden`` (batch, tokens, dim) over unmasked tokens."""
    m = attention_mask.unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)
    return torch.nn.functional.normalize(pooled.float(), dim=-1)
