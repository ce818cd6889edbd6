"""The one-time model build keeps third-party chatter out of the terminal."""

from __future__ import annotations

import logging
import warnings

from sentiment.encoder_build import build_once, third_party_output_to


def test_library_logs_and_warnings_go_to_the_build_log(tmp_path, capfd):
    root = logging.getLogger()
    before = root.handlers[:], root.level
    log_file = tmp_path / "build.log"
    with third_party_output_to(log_file):
        logging.getLogger("onnxruntime.quantization").info("Quantization parameters for tensor")
        warnings.warn("the exported graph will produce incorrect results", UserWarning)
    err = capfd.readouterr().err
    assert "Quantization parameters" not in err and "incorrect results" not in err
    text = log_file.read_text()
    assert "Quantization parameters" in text and "incorrect results" in text
    assert (root.handlers, root.level) == before  # the terminal's handlers are back


def test_build_once_prints_one_line_per_step_and_says_where_the_log_is(tmp_path, capfd):
    def build(tmp):
        logging.getLogger("onnx").info("noise")
        (tmp / "model").write_text("x")
        return {}

    target = build_once(tmp_path / "thing", "marker.json", 1, "build of a thing", build)
    err = capfd.readouterr().err
    assert "noise" not in err
    assert "one-time build of a thing" in err and str(tmp_path / "build.log") in err
    assert (target / "model").is_file()
    assert build_once(tmp_path / "thing", "marker.json", 1, "build of a thing", build) == target
    assert capfd.readouterr().err == ""  # built already: silent
