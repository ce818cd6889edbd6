"""Regenerate the README's screenshots from the real demo, in headless Chromium.

    .venv/bin/python docs/screenshots.py [--out docs/img] [--chromium /usr/bin/chromium]

Starts `crisiswatch demo` (outage drill, simulated time at 60x) in a throwaway data
directory on a free port, logs in as the demo approver, waits until the crisis has raised
an alert, declares the incident from it as the comms lead would, waits for the drafts,
fills the facts in both languages from the playbook's suggestions, approves the first
status-page update in English and in French so the public page has something to say in
each, and saves 1440x900 PNGs of the overview (alert, then declared), the approvals queue,
the incident page and the public status page (English and French). Exits non-zero, with
the demo's log, when a step does not happen in time.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VIEWPORT = {"width": 1440, "height": 900}
LOGIN = ("lead", "crisis-demo")  # crisiswatch.demo.DEMO_USERS' approver
# The incident facts filled from the playbook's suggestions (the boxes' placeholders).
FACT_BOXES = [f"incident-{prefix}-{name}" for prefix in ("fact", "fr")
              for name in ("impact", "known", "unknown", "actions")]
# The form's own guidance, not a suggestion (no playbook for that fact): never typed in.
GENERIC_EXAMPLE = re.compile(r"^(e\.g\.|ex\.|vide =)|\(e\.g\.|\(ex\.")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(1)
    raise TimeoutError(f"no {what} after {timeout:.0f} s")


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def shoot(url: str, out: Path, chromium: str) -> list[Path]:
    from playwright.sync_api import sync_playwright

    saved = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_context(viewport=VIEWPORT).new_page()
        page.set_default_timeout(60_000)
        page.goto(url + "/login")
        page.fill("#username", LOGIN[0])
        page.fill("#password", LOGIN[1])
        page.click("button[type=submit]")
        page.wait_for_url(url + "/")

        def save(name: str) -> None:
            page.wait_for_timeout(3500)  # one dashboard refresh: charts drawn, counts current
            path = out / f"{name}.png"
            page.screenshot(path=str(path))
            saved.append(path)

        # The crisis raises its alert; the comms lead declares from it (the form comes
        # pre-filled from the playbook), and the drafts arrive for approval.
        alert = page.locator(".alert").first
        alert.wait_for(timeout=300_000)
        page.locator("#overview-activity .main-svg").first.wait_for()
        save("overview")
        alert.get_by_role("button", name=re.compile("Declare incident")).click()
        # the form is filled by a callback: wait for it, or the declaration goes out bare
        page.wait_for_function(
            "() => document.querySelector('#overview-declare-title-fr')?.value")
        page.click("#overview-declare-submit")
        page.locator("#overview-incident .clock").first.wait_for()
        # The comms lead writes the facts in both languages; here, the playbook's
        # suggestions the form shows as examples (the cause is not known yet), so the French
        # status update has French facts and can go out too.
        page.goto(url + "/incident")
        page.locator("#incident-fr-impact").wait_for()
        for box in FACT_BOXES:
            field = page.locator(f"#{box}")
            example = field.get_attribute("placeholder") or ""
            if not field.input_value().strip() and not GENERIC_EXAMPLE.search(example):
                field.fill(example)
        page.click("#incident-facts-save")
        page.locator("#incident-facts-msg .notice").wait_for()
        page.goto(url + "/approvals")
        page.locator("[id^=approvals-card-]").first.wait_for(timeout=300_000)
        save("approvals")
        for lang in ("en", "fr"):  # the first status-page update, in each language
            card = page.locator("[id^=approvals-card-]").filter(
                has=page.locator(".chan", has_text=re.compile("status page", re.IGNORECASE))).filter(
                has=page.locator(f".lang-{lang}")).first
            if not card.count():
                continue
            override = card.locator("input[type=text]")
            if override.count() and override.first.is_visible():
                override.first.fill("checked with the tech lead")
            card.get_by_role("button", name="Approve and send").click()
            page.wait_for_timeout(2500)
        page.goto(url + "/")
        save("overview-declared")
        page.goto(url + "/incident")
        save("incident")
        for lang in ("en", "fr"):
            page.goto(f"{url}/status?lang={lang}")
            save(f"status-{lang}")
        browser.close()
    return saved


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "img",
                    help="where the PNGs go (default docs/img)")
    ap.add_argument("--chromium", default="/usr/bin/chromium", help="the Chromium binary")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as data_dir:
        env = dict(os.environ, CRISISWATCH_DATA_DIR=data_dir, CRISISWATCH_PORT=str(port),
                   CRISISWATCH_HOST="127.0.0.1")
        env.pop("CRISISWATCH_DATABASE_URL", None)
        env.pop("CRISISWATCH_CONFIG", None)
        log_path = Path(data_dir) / "demo.log"
        with open(log_path, "w") as log:
            demo = subprocess.Popen(
                [str(Path(sys.executable).parent / "crisiswatch"), "demo", "--no-browser",
                 "--speed", "60"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            try:
                wait_until(lambda: answers(url + "/login"), 600, "dashboard")
                for path in shoot(url, args.out, args.chromium):
                    print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
            except Exception:
                print(log_path.read_text()[-4000:], file=sys.stderr)
                raise
            finally:
                demo.terminate()
                demo.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
