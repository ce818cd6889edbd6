"""Rumour score: how likely a mention passes on an unverified claim.

Version 4 (``weights/rumour_head.npz``, trained by ``training.train_rumour``): the **mean of
two members' probabilities**,

- a logistic regression over the base multilingual-e5-small sentence embedding (no sentiment
  adapters: ``EmbeddedSentiment.topic_encoder()``, computed once per text by the scorer) and the
  transparent wording features of ``sentiment.lexicons.rumour_features`` (24: EN/FR hedges and
  hearsay, "is it true" / "c'est vrai que" questions, the French journalistic conditional, leak
  and hack claims, attribution and breaking-news terms, first-hand experience, complaint and
  status-update wording, ...), and
- a word 1-2-gram multinomial naive Bayes over *event-masked* text (``event_masked``: links,
  handles, hashtags, capitalised names and numbers become placeholders, so the n-grams say how
  a claim is worded, not which event or brand it is about), its log-odds calibrated on
  cross-fitted (by event) scores.

Training rows: the PHEME source tweets (``label`` only, never ``veracity``), 1,308 brand-chatter
non-rumours and 72 hand-labelled data-leak posts (``training/data/leak_rows_labelled.tsv``);
the naive Bayes reads the PHEME tweets only.

Validated on whole unseen events only (nested leave-one-event-out over the 7 PHEME events of
``../shared/data/rumours``; the regression's C and embedding weight and the threshold chosen on
the 6 other events each time, the threshold by the best F1, averaged over a +/-0.02 window,
with precision >= 0.5 over the inner events that have >= 10 tweets of each class). Over the
3,125 tweets of the 7 unseen events: pooled rumour **F1 0.654, P 0.561, R 0.783**; per-event
F1 mean 0.695, sd 0.195 (gurlitt 0.40, ferguson 0.45 to ebola-essien 0.96); over the 5 events
with both classes, F1 0.615, P 0.512. Version 3 (stacked word NB, pooled threshold): 0.647 /
P 0.536. On 1,500 unseen inbound customer-support tweets (``train_rumour.support_check_texts``)
it flags 5.1 % (version 3 on the same tweets 7.7 %; on a second sample 3.9 % against 5.5 %).
About 38 variants were scored on the same 7 events, so the figures are somewhat optimistic;
figures and caveats: ``weights/MODEL_CARD.md``.

The mean squeezes the score towards the middle (one member is shrunk): plain complaints score
about 0.27-0.40 where version 3 gave 0.0-0.47, so the dashboard's "possible" band starts at
0.45 (``dashboard.components.POSSIBLE_RUMOUR``); the flag (>= 0.5) is what the stages read.

The output is shifted so that **0.5 is the decision threshold** chosen on the
leave-one-event-out folds (the raw threshold is stored with the weights): the rest of the code
(detectors, dashboard, reply drafts) reads ``rumour >= 0.5`` as "a rumour", whatever threshold
training picked. The probability is used as the model gives it, with no rule on top.
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
NGRAM_FEATURE = "masked_word_nb_logodds"  # the naive-Bayes member's input, as stored
NB_CLIP = 15.0  # |log-odds| cap: one long tweet must not outvote every other input

_URL = re.compile(r"https?://\S+")
_HANDLE = re.compile(r"@\w+")
_HASHTAG = re.compile(r"#\w+")
# A capitalised word (or run of them) inside a sentence: a name of a person, place, brand or
# event ("Michael Brown", "Germanwings", "Telyo"); the sentence's first word is left alone.
_NAME = re.compile(r"(?<=[\w,;:] )[A-Z][a-z]+(?:[ '][A-Z][a-z]+)*")
_NUMBER = re.compile(r"\d+")


def event_masked(text: str) -> str:
    """What the word n-grams see: links, handles, hashtags, capitalised names inside a sentence
    and numbers replaced by placeholders (they say *what* event or account a post is about,
    which does not carry to the next event, not *how* a claim is passed on), lower case."""
    text = _HASHTAG.sub(" #tag ", _HANDLE.sub(" @user ", _URL.sub(" httpurl ", text)))
    return _NUMBER.sub("0", _NAME.sub(" xname ", text)).lower()


NGRAM_COLUMNS = 2**20


@functools.cache
def _hashing_vectorizer():
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(
        n_features=NGRAM_COLUMNS,
        ngram_range=(1, 2),
        alternate_sign=False,
        norm=None,
        preprocessor=event_masked,
        token_pattern=r"(?u)[#@]?\b\w+\b|[?!]",
    )


def ngram_counts(texts: list[str]):
    """Word 1-2-gram counts of ``event_masked`` texts (scipy CSR, NGRAM_COLUMNS hashed columns;
    "?" and "!" are tokens too). Hashing keeps the weights file free of a vocabulary and the
    columns stable across scikit-learn versions (murmurhash3)."""
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


def feature_matrix(embeddings: np.ndarray, texts: list[str]) -> np.ndarray:
    """[embedding | wording features] rows, in ``texts`` order: the regression member's input."""
    wording = np.array([rumour_features(t) for t in texts], np.float32).reshape(
        len(texts), len(RUMOUR_FEATURES)
    )
    return np.hstack([np.asarray(embeddings, np.float32).reshape(len(texts), -1), wording])


def _sigmoid(z) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(z, np.float64)))


def _logit(p) -> np.ndarray:
    p = np.clip(np.asarray(p, np.float64), 1e-12, 1 - 1e-12)
    return np.log(p / (1 - p))


class RumourModel:
    """P(rumour) from the weights of ``training.train_rumour``; ``name`` identifies them.

    Version 4: the mean of two members' probabilities, the regression over ``feature_matrix``
    (``coef``, ``intercept``) and the calibrated masked word n-gram naive Bayes (``nb_cols``,
    ``nb_delta``, ``nb_bias``, calibrated by ``nb_scale``, ``nb_offset``), shifted so that the
    trained ``threshold`` reads 0.5 and scaled by ``calibration_slope``. Version 2 files (the regression alone, its intercept
    already shifted) still load; version 3 files (a stacked NB over unmasked n-grams) do not."""

    def __init__(self, path: Path = RUMOUR_HEAD_PATH) -> None:
        with np.load(path, allow_pickle=False) as z:
            self.coef = z["coef"].astype(np.float32).reshape(-1)
            self.intercept = float(z["intercept"])
            self.features = [str(x) for x in z["features"]]
            self.version = str(z["version"])
            self.meta = json.loads(str(z["meta"])) if "meta" in z else {}
            if "nb_cols" in z and "nb_scale" not in z:
                raise ValueError(f"{path}: a version-3 head; retrain with python -m training.train_rumour")
            self.nb = (
                NaiveBayesScore(
                    z["nb_cols"].astype(np.int64),
                    z["nb_delta"].astype(np.float64),
                    float(z["nb_bias"]),
                )
                if "nb_cols" in z
                else None
            )
            self.nb_scale = float(z["nb_scale"]) if self.nb else 0.0
            self.nb_offset = float(z["nb_offset"]) if self.nb else 0.0
            self.threshold = float(z["threshold"]) if "threshold" in z else THRESHOLD
            self.slope = float(z["calibration_slope"]) if "calibration_slope" in z else 1.0
        if self.features != list(RUMOUR_FEATURES):
            raise ValueError(
                f"{path}: trained on wording features {self.features}, the code has "
                f"{list(RUMOUR_FEATURES)}; retrain with python -m training.train_rumour"
            )
        self.digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:8]
        self.name = f"rumour-lr/{self.version}-{self.digest}"

    @property
    def embedding_dim(self) -> int:
        return self.coef.shape[0] - len(self.features)

    def inputs(self, embeddings: np.ndarray, texts: list[str]) -> np.ndarray:
        """The rows the regression member reads (``feature_matrix``)."""
        return feature_matrix(embeddings, texts)

    def member_probabilities(self, embeddings: np.ndarray, texts: list[str]):
        """(regression P(rumour), naive-Bayes P(rumour) or None), unshifted, one per text."""
        p_lr = _sigmoid(self.inputs(embeddings, texts) @ self.coef + self.intercept)
        if self.nb is None:
            return p_lr, None
        return p_lr, _sigmoid(self.nb_scale * self.nb.logodds(ngram_counts(texts)) + self.nb_offset)

    def probabilities(self, embeddings: np.ndarray, texts: list[str]) -> np.ndarray:
        """P(rumour) per text: the members' mean, shifted so that >= THRESHOLD means "rumour"
        and scaled by the calibration slope (which keeps every flag and the order of texts)."""
        if not texts:
            return np.zeros(0)
        p_lr, p_nb = self.member_probabilities(embeddings, texts)
        p = p_lr if p_nb is None else (p_lr + p_nb) / 2
        return _sigmoid(self.slope * (_logit(p) - _logit(self.threshold)) + _logit(THRESHOLD))


def load_rumour_model(path: Path = RUMOUR_HEAD_PATH) -> RumourModel | None:
    """The trained model, or None when its weights are absent (callers use the lexicon)."""
    return RumourModel(path) if Path(path).is_file() else None


def labels(scores) -> list[str]:
    """``rumour`` / ``non-rumour`` for each score."""
    return [RUMOUR if s >= THRESHOLD else NON_RUMOUR for s in scores]
