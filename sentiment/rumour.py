"""Rumour score: how likely a mention passes on an unverified claim.

A logistic regression (``weights/rumour_head.npz``, trained by ``training.train_rumour``) over
three kinds of input:

- the base multilingual-e5-small sentence embedding (no sentiment adapters:
  ``EmbeddedSentiment.topic_encoder()``, computed once per text by the scorer),
- the transparent wording features of ``sentiment.lexicons.rumour_features`` (24: EN/FR hedges
  and hearsay, "is it true" / "c'est vrai que" questions, the French journalistic conditional,
  leak and hack claims, attribution and breaking-news terms, first-hand experience, complaint
  and status-update wording, ...), and
- (version 3) the log-odds of a word 1-2-gram naive Bayes (``ngram_counts``, 9,161 hashed
  n-grams), stacked: in training its input to the regression was cross-fitted by event, so its
  weight says how far n-grams carry to an event they were not trained on.

Training rows: the PHEME source tweets (``label`` only, never ``veracity``), 1,308 brand-chatter
non-rumours and 72 hand-labelled data-leak posts (``training/data/leak_rows_labelled.tsv``),
class-balanced, C = 0.1, embedding block x0.1 after standardising; the naive Bayes reads the
PHEME tweets only.

Validated on whole unseen events only (nested leave-one-event-out): for each of the 7 PHEME
events, C, the embedding weight and the threshold (best pooled rumour F1 with pooled precision
>= 0.5) are chosen on the 6 others, each of them scored by a model that saw neither it nor
the held-out event; the refit model then scores the held-out event. Over the 3,125 tweets of
the 7 unseen events: pooled rumour **F1 0.647, P 0.536, R 0.816**; per-event F1 mean 0.687,
sd 0.189 (gurlitt 0.42, ferguson 0.45 to ebola-essien 0.96). Version 2 (no n-grams), same
procedure: 0.642 / P 0.540, mean 0.687 -> 0.678; a word n-gram naive Bayes alone 0.597 at
best (P 0.534), 0.477 at its own 0.5. The goal (pooled F1 >= 0.65 with P >= 0.5) is **not met**,
and the difference to version 2 is well inside the noise (per-event sd about 0.2). On 1,500
unseen inbound customer-support tweets (``train_rumour.support_check_texts``) this head flags
7.7 % (version 2 on the same tweets 6.8 %; on a second sample 5.5 % against 4.9 %). Figures
and caveats: ``weights/MODEL_CARD.md``.

The stored intercept is shifted so that **0.5 is the decision threshold** chosen on the
leave-one-event-out folds (raw 0.26): the rest of the code (detectors, dashboard, reply
drafts) reads ``rumour >= 0.5`` as "a rumour", and keeps doing so whatever threshold training
picked. The probability is used as the model gives it, with no rule on top.
Without the weights file, or without an embedding, callers fall back to
``sentiment.lexicons.rumour_score``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sentiment.lexicons import RUMOUR_FEATURES, rumour_features

RUMOUR_HEAD_PATH = Path(__file__).parent / "weights" / "rumour_head.npz"
THRESHOLD = 0.5  # on the stored (shifted) probability; see the module docstring
RUMOUR, NON_RUMOUR = "rumour", "non-rumour"
NGRAM_FEATURE = "word_nb_logodds"  # the name of the stacked naive-Bayes column
NB_CLIP = 15.0  # |log-odds| cap: one long tweet must not outvote every other input

_URL = re.compile(r"https?://\S+")
_HANDLE = re.compile(r"@\w+")
_DIGIT = re.compile(r"\d")


def normalise(text: str) -> str:
    """What the word n-grams see: links, handles and digits folded (they name the event or the
    account, not the way a claim is passed on), lower case."""
    return _DIGIT.sub("0", _HANDLE.sub(" @user ", _URL.sub(" httpurl ", text))).lower()


NGRAM_COLUMNS = 2**20


@functools.cache
def _hashing_vectorizer():
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(
        n_features=NGRAM_COLUMNS,
        ngram_range=(1, 2),
        alternate_sign=False,
        norm=None,
        preprocessor=normalise,
        token_pattern=r"(?u)[#@]?\b\w+\b|[?!]",
    )


def ngram_counts(texts: list[str]):
    """Word 1-2-gram counts (scipy CSR, NGRAM_COLUMNS hashed columns; "?" and "!" are tokens
    too). Hashing keeps the weights file free of a vocabulary and the columns stable across
    scikit-learn versions (murmurhash3)."""
    return _hashing_vectorizer().transform(texts).tocsr()


@dataclass(frozen=True)
class NaiveBayesScore:
    """A multinomial naive Bayes over ``ngram_counts``, kept as its log-odds: for the hashed
    columns ``cols`` (those seen at least twice in training), ``delta`` = log P(term | rumour) -
    log P(term | non-rumour), ``bias`` = the log prior ratio."""

    cols: np.ndarray
    delta: np.ndarray
    bias: float

    @functools.cached_property
    def _delta_by_column(self) -> np.ndarray:
        # one weight per hashed column (0 where the NB kept none): a sparse row times a dense
        # vector costs its few non-zeros, where selecting 9,000 columns costs about 1 ms a call
        full = np.zeros(NGRAM_COLUMNS, np.float64)
        full[self.cols] = self.delta
        return full

    def logodds(self, counts) -> np.ndarray:
        """Clipped log P(rumour | text) / P(non-rumour | text) per row of ``counts``."""
        z = counts @ self._delta_by_column + self.bias
        return np.clip(np.asarray(z, np.float64).reshape(-1), -NB_CLIP, NB_CLIP)


def feature_matrix(
    embeddings: np.ndarray, texts: list[str], nb: NaiveBayesScore | None = None
) -> np.ndarray:
    """[embedding | wording features | NB log-odds (when ``nb``)] rows, in ``texts`` order."""
    wording = np.array([rumour_features(t) for t in texts], np.float32).reshape(
        len(texts), len(RUMOUR_FEATURES)
    )
    blocks = [np.asarray(embeddings, np.float32).reshape(len(texts), -1), wording]
    if nb is not None:
        blocks.append(nb.logodds(ngram_counts(texts)).astype(np.float32)[:, None])
    return np.hstack(blocks)


class RumourModel:
    """Binary logistic regression over ``feature_matrix``; ``name`` identifies the weights.

    Version 3 weights add the stacked word n-gram naive Bayes (``nb_cols``, ``nb_delta``,
    ``nb_bias``) as the last input; version 2 files (without them) still load."""

    def __init__(self, path: Path = RUMOUR_HEAD_PATH) -> None:
        with np.load(path, allow_pickle=False) as z:
            self.coef = z["coef"].astype(np.float32).reshape(-1)
            self.intercept = float(z["intercept"])
            self.features = [str(x) for x in z["features"]]
            self.version = str(z["version"])
            self.meta = json.loads(str(z["meta"])) if "meta" in z else {}
            self.nb = (
                NaiveBayesScore(
                    z["nb_cols"].astype(np.int64),
                    z["nb_delta"].astype(np.float64),
                    float(z["nb_bias"]),
                )
                if "nb_cols" in z
                else None
            )
        if self.features != list(RUMOUR_FEATURES):
            raise ValueError(
                f"{path}: trained on wording features {self.features}, the code has "
                f"{list(RUMOUR_FEATURES)}; retrain with python -m training.train_rumour"
            )
        self.digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:8]
        self.name = f"rumour-lr/{self.version}-{self.digest}"

    @property
    def embedding_dim(self) -> int:
        return self.coef.shape[0] - len(self.features) - (self.nb is not None)

    def inputs(self, embeddings: np.ndarray, texts: list[str]) -> np.ndarray:
        """The rows the regression reads (``feature_matrix`` with this model's NB)."""
        return feature_matrix(embeddings, texts, self.nb)

    def probabilities(self, embeddings: np.ndarray, texts: list[str]) -> np.ndarray:
        """P(rumour) per text, shifted so that >= THRESHOLD means "rumour"."""
        if not texts:
            return np.zeros(0)
        z = self.inputs(embeddings, texts) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z.astype(np.float64)))


def load_rumour_model(path: Path = RUMOUR_HEAD_PATH) -> RumourModel | None:
    """The trained model, or None when its weights are absent (callers use the lexicon)."""
    return RumourModel(path) if Path(path).is_file() else None


def labels(scores) -> list[str]:
    """``rumour`` / ``non-rumour`` for each score."""
    return [RUMOUR if s >= THRESHOLD else NON_RUMOUR for s in scores]
