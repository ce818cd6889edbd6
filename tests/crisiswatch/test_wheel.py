"""The wheel carries everything the product reads at run time (templates, weights,
migrations, dashboard assets): built, installed in a fresh environment outside the
checkout, and run from there (a drill, then the demo's dashboard)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(python, env) of a new venv holding only the built wheel; its dependencies come from
    this test's environment through a path file, never from the checkout."""
    root = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w",
                    str(root / "dist"), str(PROJECT)], check=True, cwd=root, timeout=600)
    wheel = next((root / "dist").glob("crisiswatch-*.whl"))
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
                    "--no-deps", str(wheel)], check=True, timeout=600)
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True)
    (Path(site.stdout.strip()) / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {**os.environ, "CRISISWATCH_DATA_DIR": str(root / "data"), "PYTHONNOUSERSITE": "1",
           "CRISISWATCH_CACHE_DIR": os.environ.get(
               "CRISISWATCH_CACHE_DIR", str(Path.home() / ".cache" / "crisiswatch"))}
    env.pop("CRISISWATCH_DATABASE_URL", None)
    env.pop("PYTHONPATH", None)
    return python, env, root


def test_the_installed_package_is_not_the_checkout(installed):
    python, env, root = installed
    code = "import crisiswatch, templates; print(crisiswatch.__file__, templates.__file__)"
    out = subprocess.run([str(python), "-c", code], capture_output=True, text=True, env=env,
                         cwd=root, check=True)
    assert str(PROJECT) not in out.stdout, out.stdout


def test_a_drill_runs_from_the_wheel(installed):
    python, env, root = installed
    out = subprocess.run([str(python), "-m", "crisiswatch.cli", "drill", "--scenario",
                          "outage", "--json"], capture_output=True, text=True, env=env,
                         cwd=root, timeout=900, check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout)
    assert result["alerts_before_onset"] == 0
    assert result["first_alert_after_onset_s"] is not None
    assert result["published"] >= 1 and result["drafts"] > 0
    assert (root / "data" / "drill.db").is_file()  # its data dir, not the checkout's var/


def test_the_dashboard_serves_from_the_wheel(installed):
    python, env, root = installed
    port = free_port()
    proc = subprocess.Popen([str(python), "-m", "crisiswatch.cli", "demo", "--no-browser"],
                            env={**env, "CRISISWATCH_PORT": str(port)}, cwd=root,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline, pages = time.monotonic() + 600, {}
        while time.monotonic() < deadline and len(pages) < 3:
            for path in ("/login", "/status", "/assets/session.js"):
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
                        pages[path] = (r.status, r.read())
                except OSError:
                    time.sleep(2)
                    break
            assert proc.poll() is None, "the demo exited"
        assert {p: s for p, (s, _) in pages.items()} == {
            "/login": 200, "/status": 200, "/assets/session.js": 200}
        assert pages["/assets/session.js"][1].strip()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
