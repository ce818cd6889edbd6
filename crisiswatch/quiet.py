"""A quiet terminal for `crisiswatch demo` (issue 20, "a first start a newcomer trusts"):
what the libraries say goes to a log file, the terminal shows crisiswatch's own lines.

`libraries_to(log_file)` sends, for the rest of the process:

- every log record (root logger: ONNX Runtime's quantiser, waitress's "Serving on",
  alembic, and transformers' own logger, which normally writes to stderr itself) to
  `log_file`; crisiswatch's own warnings and errors still reach stderr as well;
- every Python warning (torch's TracerWarning, setuptools', transformers') to that file
  through logging's `py.warnings` logger;
- transformers' and huggingface_hub's progress bars ("Loading weights: 0%|...") off: they
  are tqdm bars written straight to stderr, no logger can catch them;
- ONNX Runtime's C++ log (it writes "[W:onnxruntime:...]" to fd 2, bypassing Python)
  down to errors.

The one-time model build (`sentiment.encoder_build.build_once`) keeps writing its own
step lines to stderr and the libraries' output of a build to the same build.log.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

OUR_LOGGERS = ("crisiswatch", "collectors", "signals", "responders", "dashboard", "sentiment",
               "store")
ORT_ERROR = 3  # onnxruntime's severity levels: 0 verbose, 1 info, 2 warning, 3 error


class _Ours(logging.Filter):
    """Records of crisiswatch's own packages only."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.name.split(".", 1)[0] in OUR_LOGGERS


def libraries_to(log_file: Path) -> Path:
    """Route library logs, warnings and progress bars to `log_file` from now on (see the
    module docstring); returns the file. Imports the libraries it quietens only when they
    are installed (transformers and onnxruntime are optional extras)."""
    log_file = Path(log_file)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    to_file = logging.FileHandler(log_file, encoding="utf-8")
    to_file.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    ours = logging.StreamHandler(sys.stderr)
    ours.setLevel(logging.WARNING)
    ours.addFilter(_Ours())
    ours.setFormatter(logging.Formatter("crisiswatch: %(levelname)s %(message)s"))
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(to_file)
    root.addHandler(ours)
    root.setLevel(logging.INFO)
    logging.captureWarnings(True)  # the filters stay Python's: ResourceWarnings stay ignored
    _quieten_transformers()
    _quieten_onnxruntime()
    return log_file


def _quieten_transformers() -> None:
    try:
        from huggingface_hub.utils import disable_progress_bars
        from transformers.utils import logging as hf_logging
    except ImportError:  # the torch extra is not installed: nothing of theirs will print
        return
    hf_logging.disable_progress_bar()
    hf_logging.disable_default_handler()  # its own stderr handler...
    hf_logging.enable_propagation()  # ...replaced by ours: the root logger's file
    disable_progress_bars()


def _quieten_onnxruntime() -> None:
    try:
        import onnxruntime
    except ImportError:
        return
    onnxruntime.set_default_logger_severity(ORT_ERROR)
