"""Crisis type of a mention: what kind of trouble (if any) it talks about, English and French.

Classes (``CLASSES``): outage, slowness, data_leak (security, account takeover, phishing),
billing, defect (a feature broken while the service is up), controversy (conduct, ads,
policy, boycott), praise, other. A multinomial logistic regression
(``weights/crisis_type_head.npz``, trained by ``training.train_crisis_type`` on
``training/data/crisis_types.tsv``) reads the same frozen multilingual-e5-small embedding as
the sentiment head. When its top probability is below the stored ``min_confidence`` the
answer is "other": an unsure guess would route a reply to the wrong template.

What is stored (``ScoreRow.crisis_type``) uses the vocabulary of
``responders.incidents.CRISIS_TYPES`` (see ``stored_type``): "slowness" is stored as
"degraded"; "praise" and "other" are stored as None (not a crisis; replies recognise praise
from the sentiment label). The class itself is kept on ``Scores.crisis_class``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

CRISIS_TYPE_HEAD_PATH = Path(__file__).parent / "weights" / "crisis_type_head.npz"
CLASSES: tuple[str, ...] = (
    "outage", "slowness", "data_leak", "billing", "defect", "controversy", "praise", "other",
)  # fmt: skip
OTHER = "other"
# Class -> value stored on a score (responders.incidents.CRISIS_TYPES or None).
STORED: dict[str, str | None] = {
    "outage": "outage",
    "slowness": "degraded",
    "data_leak": "data_leak",
    "billing": "billing",
    "defect": "defect",
    "controversy": "controversy",
    "praise": None,
    "other": None,
}
# The lexicon's (sentiment.lexicons.crisis_type) names -> classes, for the fallback path.
FROM_LEXICON = {"degraded": "slowness"}


def stored_type(crisis_class: str | None) -> str | None:
    """The crisis type to store for a class ("slowness" -> "degraded"; praise/other -> None)."""
    return STORED.get(crisis_class) if crisis_class else None


class CrisisTypeModel:
    """Logistic regression over embeddings with a confidence floor below which it says other."""

    def __init__(self, path: Path = CRISIS_TYPE_HEAD_PATH) -> None:
        with np.load(path, allow_pickle=False) as z:
            self.coef = z["coef"].astype(np.float32)
            self.intercept = z["intercept"].astype(np.float32)
            self.classes = [str(x) for x in z["classes"]]
            self.min_confidence = float(z["min_confidence"])
            self.version = str(z["version"])
            self.meta = json.loads(str(z["meta"])) if "meta" in z else {}
        if sorted(self.classes) != sorted(CLASSES):
            raise ValueError(f"{path}: classes {self.classes} are not {CLASSES}")
        self.digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:8]
        self.name = f"crisis-lr/{self.version}-{self.digest}"

    def probabilities(self, embeddings: np.ndarray) -> np.ndarray:
        z = np.asarray(embeddings, np.float32) @ self.coef.T + self.intercept
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z.astype(np.float64))
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, embeddings: np.ndarray) -> list[str]:
        """One class per row; "other" when the best class is below ``min_confidence``."""
        if len(embeddings) == 0:
            return []
        probs = self.probabilities(embeddings)
        best = probs.argmax(axis=1)
        return [
            self.classes[b] if probs[i, b] >= self.min_confidence else OTHER
            for i, b in enumerate(best)
        ]


def load_crisis_type_model(path: Path = CRISIS_TYPE_HEAD_PATH) -> CrisisTypeModel | None:
    """The trained model, or None when its weights are absent (callers use the lexicon)."""
    return CrisisTypeModel(path) if Path(path).is_file() else None
