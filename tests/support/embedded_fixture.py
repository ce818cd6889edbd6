"""One real embedded model per test session, for tests marked slow.

Reuses an already built encoder (CRISISWATCH_CACHE_DIR, else ~/.cache/crisiswatch) when one is
there, so the slow tests do not convert the model again; otherwise builds it in a tmp dir.
"""

from __future__ import annotations

import os
from pathlib import Path

from sentiment.encoder_build import ENCODER_NAME

_MODEL = None


def embedded_model(tmp_path_factory):
    global _MODEL
    if _MODEL is None:
        from sentiment.model import EmbeddedSentiment

        cache = Path(os.environ.get("CRISISWATCH_CACHE_DIR") or Path.home() / ".cache" / "crisiswatch")
        if not (cache / ENCODER_NAME / "crisiswatch-conversion.json").is_file():
            cache = tmp_path_factory.mktemp("model-cache")
        _MODEL = EmbeddedSentiment(cache)
    return _MODEL
