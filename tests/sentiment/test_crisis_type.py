"""Crisis type: the labelled set, the stored vocabulary, the classifier and its "other"."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from responders.incidents import CRISIS_TYPES
from sentiment.crisis_type import (
    CLASSES,
    STORED,
    CrisisTypeModel,
    load_crisis_type_model,
    stored_type,
)
from sentiment.scorer import Scorer
from tests.support.embedded_fixture import embedded_model
from training.common import read_labelled


def test_labelled_set_covers_every_class_in_both_languages_with_a_held_out_split():
    rows = read_labelled()
    per = Counter((lang, label) for label, lang, _, _ in rows)
    for lang in ("en", "fr"):
        assert sum(n for (lg, _), n in per.items() if lg == lang) >= 250
        for label in CLASSES:
            assert per[(lang, label)] >= 30, (lang, label)
    split = Counter(s for *_, s in rows)
    assert 0.2 <= split["test"] / len(rows) <= 0.3
    texts = [t for _, _, t, _ in rows]
    assert len(set(texts)) == len(texts), "duplicate texts would leak across the split"


def test_stored_values_are_the_responders_crisis_types_or_none():
    assert set(STORED) == set(CLASSES)
    for cls in CLASSES:
        assert stored_type(cls) is None or stored_type(cls) in CRISIS_TYPES
    assert stored_type("slowness") == "degraded"
    assert stored_type("praise") is None and stored_type("other") is None
    assert stored_type(None) is None


def test_low_confidence_means_other():
    model = load_crisis_type_model()
    assert model is not None and model.name.startswith("crisis-lr/")
    emb = np.zeros((3, model.coef.shape[1]), np.float32)
    assert all(c in CLASSES for c in model.predict(emb))
    model.min_confidence = 1.01  # nothing is ever that sure
    assert model.predict(emb) == ["other"] * 3
    assert model.predict(np.zeros((0, model.coef.shape[1]))) == []


def test_weights_carry_their_held_out_figures():
    meta = CrisisTypeModel().meta
    assert {"en", "fr", "all"} <= set(meta["held_out"])
    assert meta["held_out"]["all"]["n"] == sum(1 for *_, s in read_labelled() if s == "test")


@pytest.fixture(scope="module")
def scorer(tmp_path_factory):
    return Scorer(embedded_model(tmp_path_factory))


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_held_out_accuracy_per_language(scorer, lang):
    rows = [r for r in read_labelled() if r[3] == "test" and r[1] == lang]
    got = [s.crisis_class for s in scorer.score([t for _, _, t, _ in rows])]
    accuracy = np.mean([g == label for g, (label, *_) in zip(got, rows)])
    # measured 0.86 EN / 0.72 FR; 1/8 = chance
    assert accuracy >= 0.65, f"{lang} accuracy {accuracy:.3f}"


@pytest.mark.slow
def test_drill_wording_is_typed_and_stored_in_responders_vocabulary(scorer):
    s = scorer.score([
        "Nimbus is down - getting error 503 on every page",
        "Apparemment les données clients de Nimbus ont fuité",
        "Love how fast Nimbus sync is on mobile",
    ])
    assert [x.crisis_type for x in s] == ["outage", "data_leak", None]
    assert s[2].crisis_class in ("praise", "other")
