"""`crisiswatch sentiment predict` and `crisiswatch rumours predict`: input formats, order,
stdout / --output. The command tests use the tiny Hugging Face classifier (the
`tiny_classifier_dir` fixture of tests/conftest.py) for sentiment, but the scorer also loads
the rumour and crisis-type heads on the base embedded encoder, as in the pipeline, so they
are marked slow; one more slow test runs the default model."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from crisiswatch import cli
from crisiswatch.sentiment_command import read_texts

ROOT = Path(__file__).resolve().parents[2]
RUMOUR = "Apparently Nimbus got hacked, unconfirmed but a friend who works there says so"
PLAIN = "Moved our files to Nimbus last month"
LABELS = {"negative", "neutral", "positive"}


@pytest.fixture
def env(monkeypatch, tmp_path, tiny_classifier_dir):
    monkeypatch.setenv("CRISISWATCH_SENTIMENT_MODEL", str(tiny_classifier_dir))
    monkeypatch.setenv("CRISISWATCH_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CRISISWATCH_DATABASE_URL", "sqlite:///" + str(tmp_path / "never.db"))
    return tmp_path


def test_read_texts_understands_lines_tsv_and_csv(tmp_path):
    (tmp_path / "a.txt").write_text("one\ntwo, with comma\n\nfour\n", encoding="utf-8")
    assert read_texts(tmp_path / "a.txt") == ["one", "two, with comma", "", "four"]
    (tmp_path / "b.tsv").write_text("label\ttext\nx\thello\ny\tworld\n", encoding="utf-8")
    assert read_texts(tmp_path / "b.tsv") == ["hello", "world"]
    (tmp_path / "c.csv").write_text('id,text\n1,"a, quoted\nmultiline"\n2,b\n',
                                    encoding="utf-8")
    assert read_texts(tmp_path / "c.csv") == ["a, quoted\nmultiline", "b"]
    (tmp_path / "d.dat").write_text("event\ttext\ne\tsniffed tsv\n", encoding="utf-8")
    assert read_texts(tmp_path / "d.dat") == ["sniffed tsv"]
    (tmp_path / "e.csv").write_text("id,body\n1,x\n", encoding="utf-8")
    with pytest.raises(ValueError):
        read_texts(tmp_path / "e.csv")


@pytest.mark.slow  # loads the real embedded encoder (rumour and crisis-type heads)
def test_rumours_predict_text_file_to_stdout_in_order(env, capsys):
    src = env / "in.txt"
    src.write_text(f"{PLAIN}\n{RUMOUR}\n{PLAIN}\n", encoding="utf-8")
    assert cli.main(["rumours", "predict", str(src)]) == 0
    assert capsys.readouterr().out.splitlines() == ["non-rumour", "rumour", "non-rumour"]
    assert not (env / "never.db").exists()  # predicting opens no database


@pytest.mark.slow  # loads the real embedded encoder (rumour and crisis-type heads)
def test_rumours_predict_csv_to_output_file(env):
    src, out = env / "in.csv", env / "out.txt"
    src.write_text(f'event,text,label\nx,"{RUMOUR}",r\ny,"{PLAIN}",n\n', encoding="utf-8")
    assert cli.main(["rumours", "predict", str(src), "--output", str(out)]) == 0
    assert out.read_text(encoding="utf-8").splitlines() == ["rumour", "non-rumour"]


@pytest.mark.slow  # loads the real embedded encoder (rumour and crisis-type heads)
def test_sentiment_predict_tsv_and_text_one_label_per_text(env, capsys):
    texts = ["the app is down", "love this", "great", "the app is down"]
    tsv = env / "in.tsv"
    tsv.write_text("label\ttext\n" + "".join(f"x\t{t}\n" for t in texts), encoding="utf-8")
    out = env / "labels.txt"
    assert cli.main(["sentiment", "predict", str(tsv), "-o", str(out)]) == 0
    got = out.read_text(encoding="utf-8").splitlines()
    assert len(got) == 4 and set(got) <= LABELS and got[0] == got[3]
    txt = env / "in.txt"
    txt.write_text("\n".join(texts) + "\n", encoding="utf-8")
    assert cli.main(["sentiment", "predict", str(txt)]) == 0
    assert capsys.readouterr().out.splitlines() == got


def test_missing_input_is_an_error(env, capsys):
    assert cli.main(["sentiment", "predict", str(env / "absent.txt")]) == 2
    assert "cannot read" in capsys.readouterr().err


@pytest.mark.slow
def test_default_model_through_the_real_command_line(tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("The app has been down for 3 hours, this is unacceptable\n"
                   "Merci pour votre réactivité, tout fonctionne parfaitement, bravo !\n"
                   "Is it true Nimbus got hacked?\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "CRISISWATCH_SENTIMENT_MODEL"}
    env["CRISISWATCH_DATA_DIR"] = str(tmp_path / "var")
    run = [sys.executable, "-m", "crisiswatch.cli"]
    sent = subprocess.run([*run, "sentiment", "predict", str(src)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=600, check=False)
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout.splitlines()[:2] == ["negative", "positive"]
    rum = subprocess.run([*run, "rumours", "predict", str(src)], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=600, check=False)
    assert rum.returncode == 0, rum.stderr
    assert rum.stdout.splitlines() == ["non-rumour", "non-rumour", "rumour"]
