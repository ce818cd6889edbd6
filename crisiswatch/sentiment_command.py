"""`crisiswatch sentiment predict` and `crisiswatch rumours predict`.

Contract (stable)::

    crisiswatch sentiment predict INPUT [--output OUT]   # negative | neutral | positive
    crisiswatch rumours predict INPUT [--output OUT]     # rumour | non-rumour

INPUT is a text file with one text per line, or a TSV/CSV file whose header has a ``text``
column (a ``.tsv``/``.csv`` file, or any file whose first line holds a tab/comma-separated
``text`` field). One label per input text is written, in input order, to OUT or stdout.
Both use the live pipeline's scorer (``App.scorer``), so a label is the one the pipeline
stores: ``sentiment predict`` runs only its sentiment model (``Scorer.sentiment_labels``: one
encoder pass per distinct text), ``rumours predict`` the whole reading, the rumour label
being the rumour score ``>= 0.5``. No database is opened.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

csv.field_size_limit(sys.maxsize)


def register(subparsers) -> None:
    """Add ``sentiment predict`` and ``rumours predict``; handlers are ``func(args, app)``."""
    for name, help_, fn in (
        ("sentiment", "sentiment of texts (negative, neutral, positive)", predict_sentiment),
        ("rumours", "rumour or non-rumour for each text", predict_rumours),
    ):
        group = subparsers.add_parser(name, help=help_).add_subparsers(
            dest=f"{name}_command", required=True
        )
        p = group.add_parser("predict", help=help_,
                             description=f"{help_}: one label per input text, in order")
        p.add_argument("input", metavar="INPUT",
                       help="text file (one text per line) or TSV/CSV with a 'text' column")
        p.add_argument("--output", "-o", metavar="OUT", help="write labels here (default stdout)")
        p.set_defaults(func=fn)


def read_texts(path: Path) -> list[str]:
    """The texts of INPUT, in order (see the module docstring)."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        content = fh.read()
    lines = content.splitlines()
    if not lines:
        return []
    first = lines[0]
    delimiter = None
    if path.suffix.lower() == ".tsv" or "text" in first.split("\t"):
        delimiter = "\t"
    elif path.suffix.lower() == ".csv" or "text" in next(csv.reader([first])):
        delimiter = ","
    if delimiter is None:
        return lines
    if delimiter == "\t":  # TSV: one row per line, no quoting (tabs never occur in texts)
        header = first.split("\t")
        if "text" not in header:
            raise ValueError(f"{path}: the header has no 'text' column: {header}")
        col = header.index("text")
        return [row.split("\t")[col] if len(row.split("\t")) > col else ""
                for row in lines[1:]]
    reader = csv.DictReader(content.splitlines(keepends=True))
    if "text" not in (reader.fieldnames or []):
        raise ValueError(f"{path}: the header has no 'text' column: {reader.fieldnames}")
    return [row["text"] or "" for row in reader]



def _run(args, app, label) -> int:
    try:
        texts = read_texts(Path(args.input))
    except (OSError, ValueError) as exc:
        print(f"crisiswatch: cannot read {args.input}: {exc}", file=sys.stderr)
        return 2
    labels = label(app.scorer, texts) if texts else []
    body = "".join(f"{x}\n" for x in labels)
    if args.output:
        Path(args.output).write_text(body, encoding="utf-8")
    else:
        sys.stdout.write(body)
    return 0


def predict_sentiment(args: argparse.Namespace, app) -> int:
    return _run(args, app, lambda scorer, texts: scorer.sentiment_labels(texts))


def predict_rumours(args: argparse.Namespace, app) -> int:
    from sentiment.rumour import NON_RUMOUR, RUMOUR, THRESHOLD

    return _run(args, app, lambda scorer, texts: [
        RUMOUR if s.rumour >= THRESHOLD else NON_RUMOUR for s in scorer.score(texts)])
