"""What the training and evaluation scripts share: the data locations, reading the labelled
TSV splits, embedding with an on-disk cache, and the official metrics (macro-recall for
TweetEval, macro-F1 for XLM-T)."""

from __future__ import annotations

import hashlib
import sys
import time
from pathlib import Path

import numpy as np

from sentiment.crisis_type import CLASSES
from sentiment.model import LABELS, E5Encoder

PROJECT = Path(__file__).resolve().parents[1]
SHARED_DATA = PROJECT.parent / "shared" / "data"
DEFAULT_DATA = SHARED_DATA / "sentiment"
DEFAULT_CACHE = Path.home() / ".cache" / "crisiswatch"
WEIGHTS = PROJECT / "sentiment" / "weights"
FROZEN_HEAD_PATH = WEIGHTS / "sentiment_head_frozen.npz"
CRISIS_TYPES_PATH = PROJECT / "training" / "data" / "crisis_types.tsv"
CHUNK = 1024


def read_tsv(path: Path) -> tuple[list[str], np.ndarray]:
    """(texts, label indices into LABELS) from a ``label<TAB>text`` file with a header."""
    texts, labels = [], []
    with open(path, encoding="utf-8") as fh:
        next(fh)
        for line in fh:
            label, _, text = line.rstrip("\n").partition("\t")
            if label in LABELS and text.strip():
                texts.append(text)
                labels.append(LABELS.index(label))
    return texts, np.array(labels, dtype=np.int64)


def embed_cached(encoder: E5Encoder, texts: list[str], cache: Path) -> np.ndarray:
    cache.mkdir(parents=True, exist_ok=True)
    parts = []
    for start in range(0, len(texts), CHUNK):
        chunk = texts[start : start + CHUNK]
        key = hashlib.sha256(
            f"{encoder.identity}\0{encoder.max_tokens}\0{encoder.batch_size}\0".encode()
            + "\0".join(chunk).encode()
        ).hexdigest()[:24]
        path = cache / f"{key}.npy"
        if path.is_file():
            parts.append(np.load(path))
            continue
        t0 = time.monotonic()
        emb = encoder.embed(chunk)
        np.save(path, emb)
        parts.append(emb)
        rate = len(chunk) / (time.monotonic() - t0)
        print(f"  embedded {start + len(chunk)}/{len(texts)} ({rate:.0f}/s)", file=sys.stderr)
    return np.concatenate(parts) if parts else np.zeros((0, 384), np.float32)


def macro_recall(y: np.ndarray, pred: np.ndarray) -> float:
    from sklearn.metrics import recall_score

    return float(recall_score(y, pred, average="macro", labels=[0, 1, 2], zero_division=0))


def macro_f1(y: np.ndarray, pred: np.ndarray) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(y, pred, average="macro", labels=[0, 1, 2], zero_division=0))


def load_texts(data: Path, en_train: int) -> dict[str, dict[str, tuple[list[str], np.ndarray]]]:
    """{dataset: {split: (texts, labels)}} for every dataset dir under ``data``. Train texts
    that also occur in any val split are dropped (xlmt_en and tweeteval share SemEval tweets),
    so val figures stay honest; tweeteval train is subsampled to ``en_train`` rows (0 = all)."""
    raw = {}
    for d in sorted(p for p in data.iterdir() if (p / "train.tsv").is_file()):
        raw[d.name] = {s: read_tsv(d / f"{s}.tsv") for s in ("train", "val")}
    val_texts = {t for splits in raw.values() for t in splits["val"][0]}
    out: dict[str, dict[str, tuple[list[str], np.ndarray]]] = {}
    for name, splits in raw.items():
        out[name] = {}
        for split, (texts, y) in splits.items():
            keep = np.arange(len(texts))
            if split == "train":
                keep = np.array([i for i, t in enumerate(texts) if t not in val_texts], int)
                if name == "tweeteval_en" and en_train and len(keep) > en_train:
                    # fixed permutation, so a larger --en-train reuses the cached chunks
                    keep = np.random.default_rng(0).permutation(keep)[:en_train]
            print(f"{name}/{split}: {len(keep)} texts", file=sys.stderr)
            out[name][split] = ([texts[i] for i in keep], y[keep])
    return out


def load_data(data: Path, encoder: E5Encoder, cache: Path, en_train: int):
    """{dataset: {split: (X, y, texts)}}: ``load_texts`` embedded by ``encoder``."""
    return {
        name: {
            split: (embed_cached(encoder, texts, cache), y, texts)
            for split, (texts, y) in splits.items()
        }
        for name, splits in load_texts(data, en_train).items()
    }


def evaluate(model, data, exclude: tuple[str, ...] = ()) -> dict[str, float]:
    """EN macro-recall on tweeteval val (its official metric) and macro-F1 on each xlmt val;
    ``selection`` (what the grid search maximises) averages EN recall with the mean xlmt F1
    over the datasets not excluded from training."""
    m = {}
    for name, splits in data.items():
        X, y, _ = splits["val"]
        pred = model.predict(X)
        m[f"{name}/macro_recall"] = macro_recall(y, pred)
        m[f"{name}/macro_f1"] = macro_f1(y, pred)
    xlmt = [
        v
        for k, v in m.items()
        if k.startswith("xlmt_") and k.endswith("macro_f1") and k.split("/")[0] not in exclude
    ]
    m["xlmt_mean_macro_f1"] = float(np.mean(xlmt)) if xlmt else 0.0
    m["selection"] = (m.get("tweeteval_en/macro_recall", 0.0) + m["xlmt_mean_macro_f1"]) / 2
    return m


def read_labelled(path: Path = CRISIS_TYPES_PATH) -> list[tuple[str, str, str, str]]:
    """Rows (label, lang, text, split) of the labelled set. The held-out split is every 4th
    row of each (lang, label) group in file order; the French rows were written alongside
    the English ones in the same order, so a text and its translation fall on the same side."""
    rows, seen = [], {}
    with open(path, encoding="utf-8") as fh:
        header = next(fh).rstrip("\n").split("\t")
        if header != ["label", "lang", "text"]:
            raise ValueError(f"{path}: header {header}, expected label, lang, text")
        for line in fh:
            label, lang, text = line.rstrip("\n").split("\t")
            if label not in CLASSES:
                raise ValueError(f"{path}: unknown class {label!r}")
            k = seen[(lang, label)] = seen.get((lang, label), -1) + 1
            rows.append((label, lang, text, "test" if k % 4 == 3 else "train"))
    return rows
