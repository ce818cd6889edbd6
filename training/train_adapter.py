"""Fine-tune the embedded encoder for sentiment: ``python -m training.train_adapter``.

Trains low-rank adapters (LoRA) on the upper layers of multilingual-e5-small, together with the
linear sentiment head, on every language of ``../shared/data/sentiment`` (``tweeteval_en`` and
``xlmt_<lang>``). The lower layers and the embedding matrix stay frozen, so their output is
computed once per text and kept in memory; each epoch then only runs (and back-propagates
through) the upper layers.

Writes ``sentiment/weights/sentiment_adapter.npz`` (the adapters, fp16, ~1 MB) and
``sentiment/weights/sentiment_head.npz`` (the head, in ``LinearHead``'s format). The head starts
from the frozen-encoder logistic regression (``training.train_head``) and the adapters from
zero, so step 0 is exactly the frozen model; the epoch with the best val score is kept.
At run time ``sentiment.model`` merges the adapters into the encoder's weights, so scoring
costs the same as before and the rumour and crisis-type heads read the tuned embedding (they are
retrained on it by their own scripts).
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

from sentiment.encoder_build import ADAPTER_PATH, LORA_TARGETS, ensure_encoder_dir
from sentiment.model import HEAD_PATH, LABELS, MAX_TOKENS, QUERY_PREFIX
from training.common import DEFAULT_CACHE, DEFAULT_DATA, FROZEN_HEAD_PATH, load_texts
from training.common import evaluate as evaluate_head

ADAPTER_VERSION = "1"


def lora_layers(model, first: int, rank: int, alpha: float):
    """Wrap the LORA_TARGETS linears of layers ``first..`` in trainable low-rank updates."""
    import torch

    class LoRALinear(torch.nn.Module):
        def __init__(self, base: torch.nn.Linear):
            super().__init__()
            self.base = base
            self.A = torch.nn.Parameter(torch.randn(rank, base.in_features) / math.sqrt(rank))
            self.B = torch.nn.Parameter(torch.zeros(base.out_features, rank))
            self.scale = alpha / rank

        def forward(self, x):
            return self.base(x) + (x @ self.A.T @ self.B.T) * self.scale

    adapters = {}
    for i in range(first, model.config.num_hidden_layers):
        layer = model.encoder.layer[i]
        for short, path in LORA_TARGETS.items():
            parent_path, _, attr = path.rpartition(".")
            parent = layer.get_submodule(parent_path)
            wrapped = LoRALinear(getattr(parent, attr))
            setattr(parent, attr, wrapped)
            adapters[f"l{i}.{short}"] = wrapped
    return adapters


def frozen_features(model, tokenizer, texts: list[str], first: int, batch: int = 64):
    """Output of embeddings + layers[:first] for each text, unpadded, fp16 (in input order)."""
    import torch

    top = model.encoder.layer
    model.encoder.layer = top[:first]  # run only the frozen part
    out: list[np.ndarray] = [np.zeros(0)] * len(texts)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    t0 = time.monotonic()
    try:
        with torch.inference_mode():
            for n, s in enumerate(range(0, len(order), batch)):
                idx = order[s : s + batch]
                enc = tokenizer(
                    [QUERY_PREFIX + texts[i] for i in idx],
                    padding=True,
                    truncation=True,
                    max_length=MAX_TOKENS,
                    return_tensors="pt",
                )
                hidden = model(**enc).last_hidden_state
                lengths = enc["attention_mask"].sum(1).tolist()
                for j, i in enumerate(idx):
                    out[i] = hidden[j, : lengths[j]].to(torch.float16).numpy().copy()
                if n % 50 == 0:
                    rate = (s + len(idx)) / (time.monotonic() - t0)
                    print(f"  frozen layers: {s + len(idx)}/{len(texts)} ({rate:.0f}/s)",
                          file=sys.stderr, flush=True)  # fmt: skip
    finally:
        model.encoder.layer = top
    return out


def upper_forward(model, first: int, feats: list[np.ndarray]):
    """Run layers first.. on a batch of cached features; L2-normalised mean-pooled output."""
    import torch
    from transformers.masking_utils import create_bidirectional_mask

    width = max(len(f) for f in feats)
    hidden = torch.zeros(len(feats), width, feats[0].shape[1])
    mask = torch.zeros(len(feats), width, dtype=torch.long)
    for j, f in enumerate(feats):
        hidden[j, : len(f)] = torch.from_numpy(f.astype(np.float32))
        mask[j, : len(f)] = 1
    attn = create_bidirectional_mask(config=model.config, inputs_embeds=hidden, attention_mask=mask)
    for layer in model.encoder.layer[first:]:
        hidden = layer(hidden, attn)
        hidden = hidden[0] if isinstance(hidden, tuple) else hidden
    m = mask.unsqueeze(-1).float()
    pooled = (hidden * m).sum(1) / m.sum(1)
    return torch.nn.functional.normalize(pooled, dim=-1)


def length_batches(lengths: np.ndarray, size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffled batches of similar lengths: shuffle, sort within pools of 50 batches, split."""
    perm = rng.permutation(len(lengths))
    batches = []
    for s in range(0, len(perm), size * 50):
        pool = perm[s : s + size * 50]
        pool = pool[np.argsort(lengths[pool], kind="stable")]
        batches += [pool[k : k + size] for k in range(0, len(pool), size)]
    rng.shuffle(batches)
    return batches


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    # The defaults are the run that produced the committed weights.
    ap.add_argument("--en-train", type=int, default=0, help="tweeteval train subsample (0 = all)")
    ap.add_argument("--first", type=int, default=4, help="first adapted layer (0-based)")
    ap.add_argument("--rank", type=int, default=16)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--exclude", nargs="*", default=["xlmt_hi"], help="datasets not trained on")
    # The product's two languages get more weight than their small XLM-T sets would have.
    ap.add_argument("--repeat", nargs="*", default=["xlmt_fr=3"],
                    help="DATASET=K: show that dataset's train rows K times per epoch")  # fmt: skip
    ap.add_argument("--init-head", type=Path, default=FROZEN_HEAD_PATH)
    ap.add_argument("--adapter-out", type=Path, default=ADAPTER_PATH)
    ap.add_argument("--head-out", type=Path, default=HEAD_PATH)
    args = ap.parse_args(argv)
    if not args.data.is_dir():
        print(f"no training data at {args.data}", file=sys.stderr)
        return 2

    import torch
    from transformers import AutoModel, AutoTokenizer

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    path = ensure_encoder_dir(args.cache_dir)
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path, dtype=torch.float32, attn_implementation="eager")
    for p in model.parameters():
        p.requires_grad_(False)

    data = load_texts(args.data, args.en_train)
    train = [
        (n, t, y) for n, s in data.items() if n not in args.exclude for t, y in zip(*s["train"])
    ]
    print(f"train: {len(train)} texts", file=sys.stderr)
    if not train:
        print("no training rows left (every train text is also in a val split)", file=sys.stderr)
        return 2
    model.eval()
    feats = frozen_features(model, tokenizer, [t for _, t, _ in train], args.first)
    y = torch.tensor([label for _, _, label in train])
    val = {n: (frozen_features(model, tokenizer, s["val"][0], args.first), s["val"][1])
           for n, s in data.items()}  # fmt: skip

    adapters = lora_layers(model, args.first, args.rank, alpha=2.0 * args.rank)
    with np.load(args.init_head) as z:
        head = torch.nn.Linear(model.config.hidden_size, 3)
        head.weight.data = torch.from_numpy(z["coef"].astype(np.float32))
        head.bias.data = torch.from_numpy(z["intercept"].astype(np.float32))
    params = [p for a in adapters.values() for p in (a.A, a.B)] + list(head.parameters())
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    counts = np.bincount(y.numpy(), minlength=3)
    loss_fn = torch.nn.CrossEntropyLoss(  # balanced classes, as the frozen head was fitted
        weight=torch.tensor(len(y) / (3 * counts), dtype=torch.float32)
    )
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
        """Label indices for cached lower-layer features, with the current adapters and head."""
        order = np.argsort([len(f) for f in feats])
        pred = np.zeros(len(feats), int)
        with torch.inference_mode():
            for s in range(0, len(order), 64):
                idx = order[s : s + 64]
                logits = head(upper_forward(model, args.first, [feats[i] for i in idx]))
                pred[idx] = logits.argmax(1).numpy()
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
        """Write the current weights; called at each new best, so an interrupted run keeps it."""
        lora, coef, intercept = snapshot(adapters, head)
        meta = {
            "first_layer": args.first,
            "rank": args.rank,
            "alpha": 2.0 * args.rank,
            "epochs": args.epochs,
            "best_epoch": epoch,
            "lr": args.lr,
            "batch": args.batch,
            "en_train": args.en_train,
            "excluded": args.exclude,
            "repeat": repeat,
            "n_train": len(train),
            "metrics": metrics,
            "history": [_headline(h) for h in history],
        }
        args.adapter_out.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            args.adapter_out,
            version=np.array(ADAPTER_VERSION),
            rank=np.array(args.rank),
            alpha=np.array(2.0 * args.rank),
            meta=np.array(json.dumps(meta)),
            **{k: v.astype(np.float16) for k, v in lora.items()},
        )
        np.savez_compressed(
            args.head_out,
            coef=coef,
            intercept=intercept,
            labels=np.array(LABELS),
            version=np.array(f"ft{ADAPTER_VERSION}"),
            meta=np.array(json.dumps(meta)),
        )
        print(json.dumps(meta, indent=1))
        print(f"wrote {args.adapter_out} and {args.head_out}", file=sys.stderr, flush=True)

    history = [evaluate()]
    best = history[0]["selection"]
    save(history[0], 0)
    for epoch in range(1, args.epochs + 1):
        t0, total = time.monotonic(), 0.0
        batches = [epoch_rows[b] for b in length_batches(lengths[epoch_rows], args.batch, rng)]
        for k, b in enumerate(batches):
            model.train()
            logits = head(upper_forward(model, args.first, [feats[i] for i in b]))
            loss = loss_fn(logits, y[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item()
            if k % 100 == 0:
                rate = (k + 1) * args.batch / (time.monotonic() - t0)
                print(f"  epoch {epoch} batch {k}/{len(batches)} loss {total / (k + 1):.4f} "
                      f"({rate:.0f} texts/s)", file=sys.stderr, flush=True)  # fmt: skip
        history.append(evaluate())
        if history[-1]["selection"] > best:
            best = history[-1]["selection"]
            save(history[-1], epoch)
    return 0


def _headline(m: dict[str, float]) -> dict[str, float]:
    """The EN, FR and summary figures of an evaluation, rounded, for the history log."""
    keep = ("tweeteval_en/macro_recall", "xlmt_fr/macro_f1", "xlmt_mean_macro_f1", "selection")
    return {k: round(m[k], 4) for k in keep}


def snapshot(adapters, head) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    lora = {}
    for name, a in adapters.items():
        lora[f"{name}.A"] = a.A.detach().numpy().copy()
        lora[f"{name}.B"] = a.B.detach().numpy().copy()
    return lora, head.weight.detach().numpy().copy(), head.bias.detach().numpy().copy()


if __name__ == "__main__":
    raise SystemExit(main())
