"""The shape every `crisiswatch ... import FILE` shares: read the file (or `-`, stdin), hand
its text to an importer inside one store session, print the importer's report (lines, or
one JSON object with --json) and exit 0, or 1 when it refused records, or 2 when the file
could not be read or was refused whole (nothing imported)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path


def read_text(path: str) -> str:
    """The text of `path` (`-`: stdin); a UTF-8 byte-order mark is dropped."""
    if path == "-":
        return sys.stdin.read()
    return Path(path).read_text(encoding="utf-8-sig")


def run_import(app, path: str, as_json: bool, importer: Callable,
               refused_whole: type[Exception]) -> int:
    """`importer(session, text)` -> a report with `lines()`, `as_dict()` and `refused`; it
    raises `refused_whole` for a file it takes nothing from."""
    try:
        text = read_text(path)
    except (OSError, UnicodeDecodeError) as exc:
        print(f"crisiswatch: cannot read {path}: {exc}", file=sys.stderr)
        return 2
    try:
        with app.store.session() as session:
            report = importer(session, text)
    except refused_whole as exc:
        print(f"crisiswatch: {path}: {exc}; nothing imported", file=sys.stderr)
        return 2
    print(json.dumps(report.as_dict()) if as_json else "\n".join(report.lines()))
    return 1 if report.refused else 0
