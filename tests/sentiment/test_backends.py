"""The "auto" backend choice (sentiment.backends): int8 unless the CPU has native bf16 and
bf16 measured at least 10% faster there, decided once per CPU and build."""

from __future__ import annotations

import json

from sentiment import backends


def test_the_verdict_is_measured_once_per_cpu_and_build_and_kept(tmp_path):
    calls = []

    def measure(rates):
        return lambda backend: calls.append(backend) or rates[backend]

    faster = measure({"onnx-int8": 280.0, "torch": 330.0})
    assert backends.fastest_backend(tmp_path, "build A", faster) == "torch"
    assert calls == ["onnx-int8", "torch"]
    assert backends.fastest_backend(tmp_path, "build A", faster) == "torch"
    assert len(calls) == 2  # kept: the next start does not time again
    # within the margin, the reference int8 build stays
    assert backends.fastest_backend(tmp_path, "build B", measure({"onnx-int8": 300.0,
                                                                  "torch": 320.0})) == "onnx-int8"
    kept = json.loads((tmp_path / backends.CHOICE_FILE).read_text())
    assert {v["backend"] for v in kept.values()} == {"torch", "onnx-int8"}
    assert all(backends.cpu_model() in key for key in kept)
    # a damaged file is measured again, not trusted
    (tmp_path / backends.CHOICE_FILE).write_text("{not json")
    assert backends.fastest_backend(tmp_path, "build A", faster) == "torch" and len(calls) == 6


def test_sample_texts_are_fixed_and_tweet_sized():
    texts = backends.sample_texts(64)
    assert texts == backends.sample_texts(64) and len(set(texts)) > 50
    assert 20 <= sum(map(len, texts)) / len(texts) <= 200
