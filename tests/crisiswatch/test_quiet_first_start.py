"""A first start a newcomer trusts (issue 20): once the demo has set up its logging
(`crisiswatch.quiet.libraries_to`), nothing the libraries say reaches the terminal (file
descriptors 1 and 2, so C++ and tqdm output count too); it is all in the log file, and
crisiswatch's own warnings still show. The demo prints one line per step with its time.

The libraries are made to speak the way the real first build does (ONNX Runtime's
quantiser INFO lines, its C++ "Removing initializer" warning, transformers' "Loading
weights" bar and logger, torch's TracerWarning, waitress's "Serving on") without building
the model."""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pytest

from crisiswatch import demo, quiet

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
torch = pytest.importorskip("torch")
hf_logging = pytest.importorskip("transformers.utils.logging")


@pytest.fixture
def restored_logging():
    """Put the process's logging back as it was: other tests rely on pytest's capture."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    hf_root = logging.getLogger("transformers")
    hf_saved = hf_root.handlers[:], hf_root.propagate
    with warnings.catch_warnings():
        yield
    logging.captureWarnings(False)
    root.handlers[:], root.level = saved
    hf_root.handlers[:], hf_root.propagate = hf_saved
    hf_logging.enable_progress_bar()
    ort.set_default_logger_severity(2)


def model_with_an_unused_initializer() -> bytes:
    """A one-node ONNX graph ONNX Runtime warns about from C++ when it loads it."""
    from onnx import TensorProto, helper, numpy_helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])
    unused = numpy_helper.from_array(np.zeros(1, np.float32), "unused")
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g", [x], [y],
                              [unused])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]) \
        .SerializeToString()


def speak_like_a_first_build() -> None:
    logging.getLogger("onnxruntime.quantization.onnx_quantizer").info(
        "Quantization parameters for tensor:'/embeddings/Add_output_0'")
    logging.getLogger("waitress").info("Serving on http://127.0.0.1:8050")
    hf_logging.get_logger("transformers.modeling_utils").warning(
        "Some weights of BertModel were not initialized from the model checkpoint")
    for _ in hf_logging.tqdm(range(199), desc="Loading weights"):
        pass
    warnings.warn("Converting a tensor to a Python boolean might cause the trace to be "
                  "incorrect", torch.jit.TracerWarning, stacklevel=1)
    warnings.warn("the exported graph will produce incorrect results", UserWarning,
                  stacklevel=1)
    ort.InferenceSession(model_with_an_unused_initializer(), providers=["CPUExecutionProvider"])


@pytest.mark.filterwarnings("ignore")
def test_without_the_set_up_the_libraries_do_print(capfd, restored_logging):
    """The control: the same calls, before `libraries_to`, reach the terminal (else the
    test below would pass for nothing)."""
    logging.getLogger().addHandler(logging.StreamHandler())  # as cli.main's basicConfig
    logging.getLogger().setLevel(logging.INFO)
    speak_like_a_first_build()
    err = capfd.readouterr().err
    # (Python warnings are pytest's own here, and transformers' handler holds the stream
    # pytest had when it was made: neither is on the file descriptor in this control.)
    for said in ("Quantization parameters", "Serving on", "Loading weights",
                 "Removing initializer"):
        assert said in err, said


def test_library_output_goes_to_the_log_file_only(tmp_path, capfd, restored_logging):
    log_file = quiet.libraries_to(tmp_path / "cache" / "build.log")
    speak_like_a_first_build()
    logging.getLogger("crisiswatch.pipeline").warning("source x failed: timeout")
    logging.getLogger("crisiswatch.pipeline").info("cycle: 12 collected")
    out, err = capfd.readouterr()
    assert out == ""
    assert err.splitlines() == ["crisiswatch: WARNING source x failed: timeout"]
    kept = log_file.read_text()
    for said in ("Quantization parameters", "Serving on", "TracerWarning",
                 "the exported graph will produce incorrect results", "Some weights",
                 "cycle: 12 collected"):
        assert said in kept, said


def test_the_demo_prints_one_line_per_step_with_its_time():
    lines: list[str] = []
    steps = demo.Steps(2, lines.append)
    with steps("database ready: {n} users") as done:
        done(n=3)
    with steps("replayed {calm}", calm="5 h 40 min"):
        pass
    assert [line.rsplit(" (", 1)[0] for line in lines] == \
        ["[1/2] database ready: 3 users", "[2/2] replayed 5 h 40 min"]
    assert all(line.endswith(" s)") for line in lines)


def test_the_summary_says_where_who_and_what_next(tmp_path):
    text = "\n".join(demo.summary("http://127.0.0.1:8050/", "outage", 20.0,
                                  tmp_path / "build.log"))
    assert "open http://127.0.0.1:8050/" in text and "http://127.0.0.1:8050/status" in text
    assert all(f"{user} / {password}" in text for user, password, _role in demo.DEMO_USERS)
    assert "starts about 60 s" in text and "Approvals" in text and "Ctrl+C" in text
