"""The architecture of DESIGN.md "Layout", tested: the import contracts of .importlinter
(layers, no cycles, nothing imports training/, independent sources and channel adapters),
the one module that sends, the shape of the test suite itself, and the README's picture of
the packages."""

from __future__ import annotations

import ast
import configparser
import re
import runpy
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
CONFIG = ROOT / ".importlinter"
# DESIGN.md "Layout", top to bottom: each package imports only from those below it.
LAYERS = ["crisiswatch", "dashboard", "responders", "signals", "sentiment", "collectors", "store"]


def installed_packages() -> list[str]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    include = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    return sorted({pattern.rstrip("*").rstrip(".") for pattern in include})


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def contract_ids() -> list[str]:
    config = configparser.ConfigParser()
    config.read(CONFIG)
    prefix = "importlinter:contract:"
    return [s.removeprefix(prefix) for s in config.sections() if s.startswith(prefix)]


# --- import contracts -----------------------------------------------------------------------


def test_every_design_package_is_installed_and_layered():
    installed = set(installed_packages())
    assert set(LAYERS) <= installed, set(LAYERS) - installed
    for data_only in installed - set(LAYERS):  # templates/: Jinja files, no code to layer
        assert [p.name for p in modules(data_only)] in ([], ["__init__.py"]), data_only
    config = configparser.ConfigParser()
    config.read(CONFIG)
    assert config["importlinter:contract:layers"]["layers"].split() == LAYERS
    assert {"layers", "no-cycles", "training"} <= set(contract_ids())


@pytest.mark.parametrize("contract", contract_ids())
def test_import_contract_is_kept(contract):
    """`lint-imports --contract ID`: on failure the message lists every offending import."""
    lint_imports = Path(sys.executable).with_name("lint-imports")
    # run from the root, where lint-imports finds .importlinter by itself
    done = subprocess.run([str(lint_imports), "--contract", contract, "--no-cache"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)
    report = done.stdout + done.stderr
    assert done.returncode == 0, report
    assert "1 kept, 0 broken" in report, report


# --- one module sends -----------------------------------------------------------------------

DELIVERY = "responders/delivery.py"
# Any other `.send` (call, or a reference that could be called later) must be listed here with
# the reason it is not Channel.send. None today: smtplib's send_message and atproto's
# send_post in the channel adapters are other names.
SEND_ALLOWED: dict[tuple[str, int], str] = {}


def send_uses() -> list[tuple[str, int, str]]:
    found = []
    for package in installed_packages():
        for path in modules(package):
            rel = path.relative_to(ROOT).as_posix()
            for node in ast.walk(ast.parse(path.read_text(), filename=rel)):
                attribute = isinstance(node, ast.Attribute) and node.attr == "send"
                by_name = (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                           and node.func.id == "getattr" and len(node.args) >= 2
                           and isinstance(node.args[1], ast.Constant)
                           and node.args[1].value == "send")
                if attribute or by_name:
                    found.append((rel, node.lineno, ast.unparse(node)))
    return found


def test_only_the_delivery_module_calls_channel_send():
    assert (ROOT / DELIVERY).is_file(), f"{DELIVERY} is the one module that calls Channel.send"
    outside = [f"{rel}:{line}: {code}" for rel, line, code in send_uses()
               if rel != DELIVERY and (rel, line) not in SEND_ALLOWED]
    assert outside == [], "Channel.send is called only from " + DELIVERY + ":\n" + "\n".join(
        outside)
    assert any(rel == DELIVERY for rel, _, _ in send_uses())


# --- the tests themselves -------------------------------------------------------------------


def all_test_files() -> list[Path]:
    return sorted(TESTS.rglob("test_*.py"))


def test_tests_are_grouped_like_the_packages():
    """tests/<package>/test_*.py, plus tests about the whole (this file) at the top."""
    groups = {p.parent.name for p in all_test_files() if p.parent != TESTS}
    assert groups <= set(LAYERS), groups - set(LAYERS)
    assert [p.name for p in all_test_files() if p.parent == TESTS] == ["test_architecture.py"]
    for folder in {p.parent for p in all_test_files()} | {TESTS / "support"}:
        assert (folder / "__init__.py").is_file(), folder


def imported_modules(tree: ast.AST) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_no_test_module_imports_another():
    """Shared helpers live in tests/support/ (imported as tests.support.X) or conftest.py."""
    offenders = []
    for path in sorted(TESTS.rglob("*.py")):
        for name in imported_modules(ast.parse(path.read_text())):
            if name.rsplit(".", 1)[-1].startswith("test_") or name.startswith("conftest"):
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
            top = name.split(".")[0]
            if top in {"support", "fake_http", "fakeapi", "embedded_fixture"}:
                offenders.append(f"{path.relative_to(ROOT)} imports {name} (use tests.support)")
    assert offenders == []


def test_every_test_asserts_something():
    """A test function without an assert (or pytest.raises / fail / warns) checks nothing."""
    empty = []
    for path in all_test_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) \
                    and node.name.startswith("test_"):
                checks = any(isinstance(n, ast.Assert) or (
                    isinstance(n, ast.Attribute) and n.attr in {"raises", "fail", "warns"})
                    for n in ast.walk(node))
                if not checks:
                    empty.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert empty == []


def test_readme_architecture_picture_matches_the_imports():
    readme = (ROOT / "README.md").read_text()
    found = re.search(r"<!-- architecture-picture -->\n(.*?)\n<!-- /architecture-picture -->",
                      readme, re.DOTALL)
    assert found, "README lost its architecture-picture markers"
    drawn = runpy.run_path(str(ROOT / "docs" / "architecture.py"))["mermaid"]()
    assert found.group(1) == drawn, "regenerate it: .venv/bin/python docs/architecture.py"


def test_architecture_picture_keeps_only_unimplied_arrows():
    reduction = runpy.run_path(str(ROOT / "docs" / "architecture.py"))["reduction"]
    edges = {("a", "b"), ("b", "c"), ("a", "c"), ("c", "d")}
    assert reduction(edges) == {("a", "b"), ("b", "c"), ("c", "d")}
