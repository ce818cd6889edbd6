"""A tiny XLM-R sequence classifier (random weights) and its tokenizer, saved to a folder, so
the real `pipeline("text-classification", model=DIR)` loading path runs offline and fast.
The `tiny_classifier_dir` fixture in tests/conftest.py builds it once per session."""

from __future__ import annotations

from pathlib import Path


def save_tiny_classifier(directory: Path) -> Path:
    """A tiny XLM-R sequence classifier (random weights) and tokenizer saved to disk, so the
    real `pipeline("text-classification", model=DIR)` loading path runs offline."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import (
        PreTrainedTokenizerFast,
        XLMRobertaConfig,
        XLMRobertaForSequenceClassification,
    )

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
