"""The shared lower stack (sentiment.stacks): the scorer reads sentiment and topic in one pass
of layers 0-3, and gets what two whole passes give."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from sentiment.model import LABELS, QUERY_PREFIX, EmbeddedSentiment, embed_together
from sentiment.scorer import Scorer
from sentiment.stacks import SHARED_LAYERS, check_adapter_above


def test_an_adapter_below_the_cut_is_refused():
    check_adapter_above(SimpleNamespace(pairs={f"l{SHARED_LAYERS}.q": None, "l11.fo": None}))
    with pytest.raises(ValueError, match="layer 3"):
        check_adapter_above(SimpleNamespace(pairs={"l3.q": None, "l8.q": None}))


def fake_embedding(text: str, salt: str) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha256((salt + text).encode()).digest()[:4], "little")
    v = np.random.default_rng(seed).standard_normal(384).astype(np.float32)
    return v / np.linalg.norm(v)


class FakeTopic:
    def embed(self, texts):
        return np.stack([fake_embedding(t, "base") for t in texts])


class FakeSentiment:
    """Sentiment from a fixed rule; ``predict_with_topic`` as EmbeddedSentiment's contract."""

    name = "fake-sentiment/1"

    def __init__(self):
        self.joint_calls = []

    def predict(self, texts):
        return [dict(zip(LABELS, (0.7, 0.2, 0.1) if "down" in t else (0.1, 0.2, 0.7)))
                for t in texts]  # fmt: skip

    def topic_encoder(self):
        return FakeTopic()

    def predict_with_topic(self, texts, topic):
        self.joint_calls.append(list(texts))
        return self.predict(texts), topic.embed(texts)


class PredictOnly:
    """The same model seen without its joint reading: the scorer's two-pass path."""

    def __init__(self, model):
        self.name, self.predict = model.name, model.predict


def test_the_scorer_reads_both_in_one_joint_call_with_the_same_scores():
    texts = ["the app is down again", "RT @x: the app is down again", "love the fix",
             "love the fix", "le site est down depuis ce matin"]  # fmt: skip
    model = FakeSentiment()
    joint = Scorer(model).score(texts)
    assert model.joint_calls == [["the app is down again", "love the fix",
                                  "le site est down depuis ce matin"]]  # distinct, once
    apart = Scorer(PredictOnly(model), encoder=FakeTopic()).score(texts)
    assert joint == apart


# --------------------------------------------------------------------------------------------
# the real encoder (slow: builds the model unless CRISISWATCH_CACHE_DIR holds it)
# --------------------------------------------------------------------------------------------

TEXTS = ["ok", "The app has been down for 3 hours, this is unacceptable",
         "Le site est en panne depuis ce matin, c'est inadmissible " * 12,
         "merci 👍", "@acme is it true you got hacked?? my card was charged twice"]  # fmt: skip


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> Path:
    given = os.environ.get("CRISISWATCH_CACHE_DIR")
    return Path(given) if given else tmp_path_factory.mktemp("model-cache")


@pytest.mark.slow
def test_int8_shared_stack_gives_the_builds_own_embeddings_to_the_bit(cache_dir):
    import onnxruntime as ort

    from sentiment.adapters import Adapter, ensure_int8_onnx

    model = EmbeddedSentiment(cache_dir, backend="onnx-int8")
    tuned, base = embed_together([model.encoder, model.topic_encoder()], TEXTS)
    for adapter, got in ((model.encoder.adapter, tuned), (None, base)):
        whole = ort.InferenceSession(str(ensure_int8_onnx(cache_dir, model.encoder.path,
                                                          adapter)))  # fmt: skip
        for text, row in zip(TEXTS, got):
            enc = model.encoder.tokenizer([QUERY_PREFIX + text], truncation=True,
                                          max_length=128, return_tensors="np")  # fmt: skip
            feed = {k: enc[k].astype(np.int64) for k in ("input_ids", "attention_mask")}
            assert np.array_equal(whole.run(None, feed)[0][0], row)
    assert isinstance(model.encoder.adapter, Adapter)


@pytest.mark.slow
def test_torch_shared_stack_and_padding_match_the_whole_model(cache_dir):
    import torch
    from transformers import AutoModel

    from sentiment.adapters import Pooled

    model = EmbeddedSentiment(cache_dir, backend="torch", bf16=False)
    tuned, base = embed_together([model.encoder, model.topic_encoder()], TEXTS)
    for adapter, got in ((model.encoder.adapter, tuned), (None, base)):
        bert = AutoModel.from_pretrained(model.encoder.path, dtype=torch.float32)
        if adapter:
            adapter.merge_into(bert)
        whole = Pooled(bert).eval()
        for text, row in zip(TEXTS, got):
            enc = model.encoder.tokenizer([QUERY_PREFIX + text], truncation=True,
                                          max_length=128, return_tensors="pt")  # fmt: skip
            with torch.inference_mode():
                ref = whole(enc["input_ids"], enc["attention_mask"]).numpy()[0]
            assert np.abs(ref - row).max() < 1e-5
