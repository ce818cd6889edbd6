"""Which backend the "auto" encoder runs on this machine, and the operator's override.

Both backends are validated (model card): the int8 ONNX build (EN 73.6 / FR 75.9 on val) and
bf16 torch (EN 73.6 / FR 74.3 under autocast; EN 73.3 / FR 74.6 with bf16 weights as it runs
now, against int8's 73.4 / 75.9 with the same wording cues, labels agreeing on 94.2% of
tweeteval val and 92.0% of xlmt_fr val). Which one is faster depends on the chip:

- without native bf16 units torch emulates bf16 (8.5 texts/s against 116/s for int8 on the
  project's AVX2 machine): int8, no contest;
- with them (AMX, AVX512-BF16) it depends on the chip and the libraries, so the first start
  there times both and keeps bf16 only if it is at least ``MARGIN`` faster (int8 is the
  reference build). The verdict is kept in the cache dir, keyed by CPU model, core count,
  build, library versions and ``PROBE_VERSION``, so a machine does not switch backends (and
  scores) from one start to the next.

The probe times what the product runs: ``encoder.embed`` (its batching and its threads) on
``sample_texts``, tweet-length texts with the spread of real ones (10 to 70 tokens). Each
backend is warmed up on the whole sample first (every batch shape it will meet), then timed
``ROUNDS`` times, alternating int8 and bf16, best of each, so a burst of load on a shared
machine hits both. Version 1 timed one pass after a 16-text warm-up (the first run of most
batch shapes inside the timing), and torch then ran two-thread runs, which on a loaded 2-core
machine wait at OpenMP barriers: 42-61 CPU-s per 1,000 tweets measured there, against 5-6
with one thread per run, as ``E5Encoder`` now runs it; the issue's 16-26 bf16 texts/s on an
AMX CPU is of that kind.

``CRISISWATCH_SCORING_BACKEND`` overrides the choice (``SCORING_BACKENDS``): ``onnx-int8``,
``torch-bf16``, ``torch-fp32``, or ``auto`` (the default).
"""

from __future__ import annotations

import json
import os
import platform
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

MARGIN = 1.10  # bf16 must beat int8 by 10% to replace the reference build
CHOICE_FILE = "backend-choice.json"
PROBE_VERSION = 2  # part of the key: verdicts of the cold version-1 probe are not trusted
ROUNDS = 2
SCORING_BACKEND_ENV = "CRISISWATCH_SCORING_BACKEND"
# value -> (E5Encoder backend, bf16); "auto" leaves the choice to the probe
SCORING_BACKENDS: dict[str, tuple[str, bool | None]] = {
    "auto": ("auto", None),
    "onnx-int8": ("onnx-int8", None),
    "torch-bf16": ("torch", True),
    "torch-fp32": ("torch", False),
}


def scoring_backend_override(environ=os.environ) -> tuple[str, bool | None] | None:
    """(backend, bf16) asked for by ``CRISISWATCH_SCORING_BACKEND``, None when unset or
    "auto"; ValueError (one line) for any other value."""
    value = environ.get(SCORING_BACKEND_ENV, "").strip().lower()
    if value in ("", "auto"):
        return None
    if value not in SCORING_BACKENDS:
        raise ValueError(f"{SCORING_BACKEND_ENV}={value!r} is not one of "
                         f"{', '.join(SCORING_BACKENDS)}")  # fmt: skip
    return SCORING_BACKENDS[value]

_SUBJECTS = ["@acme", "the app", "le site", "your support team", "my order", "the checkout page",
             "la connexion", "mon compte", "the status page", "votre service client"]
_CLAIMS = ["is down again since this morning", "est en panne depuis ce matin",
           "works great now, thanks for the quick fix", "has been broken for hours",
           "ne marche plus du tout", "was fixed quickly, merci", "keeps crashing on login",
           "charged me twice and nobody answers", "a l'air de fuiter des données ??"]
_TAILS = ["", " #fail", " 😡", " https://t.co/x1y2z3", " unacceptable.", " 👍", " any ETA?"]


def sample_texts(n: int = 256) -> list[str]:
    """``n`` fixed EN/FR brand mentions with the lengths of real tweets: mostly one to three
    clauses (10-40 tokens), one in seven a long thread-style post (up to about 70 tokens)."""
    out = []
    for i in range(n):
        clauses = 5 + i % 2 if i % 7 == 0 else 1 + i % 3
        parts = [f"{_SUBJECTS[(i + k) % len(_SUBJECTS)]} {_CLAIMS[(i * 7 + k) % len(_CLAIMS)]}"
                 f"{_TAILS[(i + 3 * k) % len(_TAILS)]}" for k in range(clauses)]
        out.append(" ".join(parts))
    return out


def cpu_model() -> str:
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:
        cpuinfo = ""
    found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    return found.group(1).strip() if found else platform.processor() or platform.machine()


def fastest_backend(cache_dir: Path, build: str, measure: Callable[[str], float]) -> str:
    """"onnx-int8" or "torch" (bf16) for this CPU and ``build`` (names the encoder, adapter
    and library versions). ``measure(backend)`` returns texts/s of one warm timed run; it is
    called ``ROUNDS`` times per backend, alternating, only when no verdict is cached."""
    path = Path(cache_dir) / CHOICE_FILE
    key = f"{cpu_model()} | {os.cpu_count()} cpus | {build} | probe v{PROBE_VERSION}"
    try:
        verdicts = json.loads(path.read_text())
    except (OSError, ValueError):
        verdicts = {}
    if key in verdicts and verdicts[key].get("backend") in ("onnx-int8", "torch"):
        return verdicts[key]["backend"]
    print("crisiswatch: one-time check: this CPU computes in bf16 natively; timing the "
          "int8 and bf16 models to keep the faster one ...", file=sys.stderr, flush=True)
    started = time.monotonic()
    runs: dict[str, list[float]] = {"onnx-int8": [], "torch": []}
    for _ in range(ROUNDS):
        for backend, rates in runs.items():
            rates.append(measure(backend))
    rates = {backend: max(r) for backend, r in runs.items()}
    backend = "torch" if rates["torch"] >= MARGIN * rates["onnx-int8"] else "onnx-int8"
    print(f"  int8 {rates['onnx-int8']:.0f} texts/s, bf16 {rates['torch']:.0f} texts/s: "
          f"{'bf16' if backend == 'torch' else 'int8'} it is (kept in {path}); "
          f"done in {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)
    verdicts[key] = {"backend": backend, "texts_per_s": rates, "runs": runs,
                     "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
                     "measured": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(json.dumps(verdicts, indent=1, sort_keys=True))
    tmp.replace(path)  # atomic: two processes starting together each write a whole file
    return backend


def warm_timer(embed: Callable[[list[str]], object], texts: list[str]) -> Callable[[], float]:
    """Warm ``embed`` up on all of ``texts`` (every batch shape it will meet), then return a
    function giving texts/s of one more pass over them."""
    embed(texts)

    def rate() -> float:
        start = time.perf_counter()
        embed(texts)
        return len(texts) / (time.perf_counter() - start)

    return rate
