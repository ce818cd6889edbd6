"""Which backend the "auto" encoder runs on this machine.

Both backends are validated (model card): the int8 ONNX build (EN 73.6 / FR 75.9 on val) and
bf16 torch (EN 73.6 / FR 74.3). Which one is faster depends on the chip:

- without native bf16 units torch emulates bf16 (8.5 texts/s against 116/s for int8 on the
  project's AVX2 machine): int8, no contest;
- with them (AMX, AVX512-BF16) the issue measured bf16 at 330/s against 285/s for an int8
  build, but this project's int8 build is fused and runs one text per core, which neither
  figure covers. So the first start there times both on the same texts and keeps bf16 only
  if it is at least ``MARGIN`` faster (int8 is the reference build). The verdict is kept in
  the cache dir, per CPU model and build, so a machine does not switch backends (and
  scores) from one start to the next.
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

_SUBJECTS = ["@acme", "the app", "le site", "your support team", "my order", "the checkout page",
             "la connexion", "mon compte", "the status page", "votre service client"]
_CLAIMS = ["is down again since this morning", "est en panne depuis ce matin",
           "works great now, thanks for the quick fix", "has been broken for hours",
           "ne marche plus du tout", "was fixed quickly, merci", "keeps crashing on login",
           "charged me twice and nobody answers", "a l'air de fuiter des données ??"]
_TAILS = ["", " #fail", " 😡", " https://t.co/x1y2z3", " unacceptable.", " 👍", " any ETA?"]


def sample_texts(n: int = 256) -> list[str]:
    """``n`` fixed EN/FR brand mentions of tweet length (about 30 tokens), for timing."""
    out = []
    for i in range(n):
        parts = [f"{_SUBJECTS[(i + k) % len(_SUBJECTS)]} {_CLAIMS[(i * 7 + k) % len(_CLAIMS)]}"
                 f"{_TAILS[(i + 3 * k) % len(_TAILS)]}" for k in range(1 + i % 3)]
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
    and library versions). ``measure(backend)`` returns texts/s; it is called only when no
    verdict is cached."""
    path = Path(cache_dir) / CHOICE_FILE
    key = f"{cpu_model()} | {os.cpu_count()} cpus | {build}"
    try:
        verdicts = json.loads(path.read_text())
    except (OSError, ValueError):
        verdicts = {}
    if key in verdicts and verdicts[key].get("backend") in ("onnx-int8", "torch"):
        return verdicts[key]["backend"]
    print("crisiswatch: this CPU has native bf16; timing the int8 and bf16 builds once...",
          file=sys.stderr, flush=True)
    rates = {backend: measure(backend) for backend in ("onnx-int8", "torch")}
    backend = "torch" if rates["torch"] >= MARGIN * rates["onnx-int8"] else "onnx-int8"
    print(f"crisiswatch: int8 {rates['onnx-int8']:.0f} texts/s, bf16 {rates['torch']:.0f} "
          f"texts/s: using {'bf16' if backend == 'torch' else 'int8'} (kept in {path})",
          file=sys.stderr, flush=True)
    verdicts[key] = {"backend": backend, "texts_per_s": rates,
                     "measured": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(json.dumps(verdicts, indent=1, sort_keys=True))
    tmp.replace(path)  # atomic: two processes starting together each write a whole file
    return backend


def timed(embed: Callable[[list[str]], object], texts: list[str]) -> float:
    """Texts/s of ``embed`` over ``texts``, after a warm-up call (first-call allocations)."""
    embed(texts[:16])
    start = time.perf_counter()
    embed(texts)
    return len(texts) / (time.perf_counter() - start)
