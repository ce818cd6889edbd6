"""Distil the fine-tuned encoder into a 4-layer one: ``python -m sentiment.train_student``.

The 12-layer encoder that ``sentiment.train_adapter`` tunes scores ~110 tweets/s on two AVX2
cores; a third of the layers runs about three times as fast. The student keeps layers
``--layers`` of the base multilingual-e5-small (embeddings included, all frozen) and learns
low-rank adapters on all of them, plus the linear head, to reproduce the teacher: its
embedding (cosine), its sentiment probabilities (KL) and the gold labels (cross-entropy), on
the same train rows as the teacher.

Writes ``sentiment/weights/sentiment_student.npz`` (adapters and the list of kept layers, in
``sentiment.adapters.Adapter``'s format) and ``sentiment/weights/sentiment_student_head.npz``;
the epoch with the best val score is kept.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from sentiment.model import ADAPTER_PATH, HEAD_PATH, LABELS, E5Encoder, ensure_encoder_dir
from sentiment.train_adapter import (
    frozen_features,
    length_batches,
    lora_layers,
    snapshot,
    upper_forward,
)
from sentiment.train_head import DEFAULT_CACHE, DEFAULT_DATA, embed_cached, load_texts
from sentiment.train_head import evaluate as evaluate_head

WEIGHTS = Path(__file__).parent / "weights"
STUDENT_PATH = WEIGHTS / "sentiment_student.npz"
STUDENT_HEAD_PATH = WEIGHTS / "sentiment_student_head.npz"
STUDENT_VERSION = "1"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--en-train", type=int, default=24000, help="tweeteval train subsample")
    ap.add_argument("--layers", default="0,4,8,11", help="base layers the student keeps")
    ap.add_argument("--rank", type=int, default=32)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--cosine-weight", type=float, default=5.0)
    ap.add_argument("--exclude", nargs="*", default=["xlmt_hi"], help="datasets not trained on")
    ap.add_argument("--repeat", nargs="*", default=["xlmt_fr=3"],
                    help="DATASET=K: show that dataset's train rows K times per epoch")  # fmt: skip
    ap.add_argument("--teacher", type=Path, default=ADAPTER_PATH)
    ap.add_argument("--teacher-head", type=Path, default=HEAD_PATH)
    ap.add_argument("--adapter-out", type=Path, default=STUDENT_PATH)
    ap.add_argument("--head-out", type=Path, default=STUDENT_HEAD_PATH)
    args = ap.parse_args(argv)
    if not args.data.is_dir():
        print(f"no training data at {args.data}", file=sys.stderr)
        return 2

    import torch
    from transformers import AutoModel, AutoTokenizer

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    keep = [int(i) for i in args.layers.split(",")]
    data = load_texts(args.data, args.en_train)
    train = [
        (n, t, y) for n, s in data.items() if n not in args.exclude for t, y in zip(*s["train"])
    ]
    if not train:
        print("no training rows left (every train text is also in a val split)", file=sys.stderr)
        return 2
    print(f"train: {len(train)} texts; teacher embeddings", file=sys.stderr)
    teacher = E5Encoder(args.cache_dir, adapter=args.teacher)
    target = torch.from_numpy(
        embed_cached(teacher, [t for _, t, _ in train], args.cache_dir / "embeddings")
    )
    del teacher
    with np.load(args.teacher_head) as z:  # the shared head: the student has no language heads
        t_coef, t_bias = (torch.from_numpy(z[k].astype(np.float32)) for k in ("coef", "intercept"))
    target_probs = torch.softmax(target @ t_coef.T + t_bias, dim=1)

    path = ensure_encoder_dir(args.cache_dir)
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path, dtype=torch.float32, attn_implementation="eager")
    model.encoder.layer = torch.nn.ModuleList([model.encoder.layer[i] for i in keep])
    model.config.num_hidden_layers = len(keep)
    for p in model.parameters():
        p.requires_grad_(False)
    model.eval()
    feats = frozen_features(model, tokenizer, [t for _, t, _ in train], 0)  # embeddings only
    y = torch.tensor([label for _, _, label in train])
    val = {n: (frozen_features(model, tokenizer, s["val"][0], 0), s["val"][1])
           for n, s in data.items()}  # fmt: skip

    adapters = lora_layers(model, 0, args.rank, alpha=2.0 * args.rank)
    head = torch.nn.Linear(model.config.hidden_size, 3)
    head.weight.data, head.bias.data = t_coef.clone(), t_bias.clone()
    params = [p for a in adapters.values() for p in (a.A, a.B)] + list(head.parameters())
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    counts = np.bincount(y.numpy(), minlength=3)
    ce = torch.nn.CrossEntropyLoss(weight=torch.tensor(len(y) / (3 * counts), dtype=torch.float32))
    repeat = {name: int(k) for name, _, k in (r.partition("=") for r in args.repeat)}
    epoch_rows = np.concatenate(
        [np.full(repeat.get(name, 1), i) for i, (name, _, _) in enumerate(train)]
    )
    lengths = np.array([len(f) for f in feats])
    steps = args.epochs * math.ceil(len(epoch_rows) / args.batch)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda k: min(1.0, k / 100) * max(0.0, 1 - k / steps)
    )

    def predict(feats: list[np.ndarray]) -> np.ndarray:
        order = np.argsort([len(f) for f in feats])
        pred = np.zeros(len(feats), int)
        with torch.inference_mode():
            for s in range(0, len(order), 64):
                idx = order[s : s + 64]
                pred[idx] = head(upper_forward(model, 0, [feats[i] for i in idx])).argmax(1).numpy()
        return pred

    val_sets = {name: {"val": (vf, vy, None)} for name, (vf, vy) in val.items()}

    def evaluate() -> dict[str, float]:
        model.eval()
        m = evaluate_head(SimpleNamespace(predict=predict), val_sets, tuple(args.exclude))
        print("  val: EN recall {:.4f}  FR F1 {:.4f}  xlmt F1 {:.4f}".format(
            m["tweeteval_en/macro_recall"], m["xlmt_fr/macro_f1"], m["xlmt_mean_macro_f1"]),
            file=sys.stderr, flush=True)  # fmt: skip
        return m

    def save(metrics: dict[str, float], epoch: int) -> None:
        lora, coef, intercept = snapshot(adapters, head)
        meta = {"layers": keep, "rank": args.rank, "epochs": args.epochs, "best_epoch": epoch,
                "lr": args.lr, "cosine_weight": args.cosine_weight, "en_train": args.en_train,
                "repeat": repeat, "n_train": len(train), "metrics": metrics}  # fmt: skip
        args.adapter_out.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            args.adapter_out,
            version=np.array(f"s{STUDENT_VERSION}"),
            rank=np.array(args.rank),
            alpha=np.array(2.0 * args.rank),
            layers=np.array(keep),
            meta=np.array(json.dumps(meta)),
            **{k: v.astype(np.float16) for k, v in lora.items()},
        )
        np.savez_compressed(args.head_out, coef=coef, intercept=intercept,
                            labels=np.array(LABELS), version=np.array(f"s{STUDENT_VERSION}"),
                            meta=np.array(json.dumps(meta)))  # fmt: skip
        print(json.dumps(meta, indent=1))
        print(f"wrote {args.adapter_out} and {args.head_out}", file=sys.stderr, flush=True)

    best = -1.0
    for epoch in range(1, args.epochs + 1):
        t0, total = time.monotonic(), 0.0
        batches = [epoch_rows[b] for b in length_batches(lengths[epoch_rows], args.batch, rng)]
        for k, b in enumerate(batches):
            model.train()
            emb = upper_forward(model, 0, [feats[i] for i in b])
            logits = head(emb)
            loss = (
                ce(logits, y[b])
                + torch.nn.functional.kl_div(
                    torch.log_softmax(logits, 1), target_probs[b], reduction="batchmean"
                )
                + args.cosine_weight * (1 - (emb * target[b]).sum(1)).mean()
            )
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item()
            if k % 100 == 0:
                rate = (k + 1) * args.batch / (time.monotonic() - t0)
                print(f"  epoch {epoch} batch {k}/{len(batches)} loss {total / (k + 1):.4f} "
                      f"({rate:.0f} texts/s)", file=sys.stderr, flush=True)  # fmt: skip
        metrics = evaluate()
        if metrics["selection"] > best:
            best = metrics["selection"]
            save(metrics, epoch)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
