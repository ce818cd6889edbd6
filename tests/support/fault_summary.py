"""The fault suite's summary table (issue 16): one line per fault test, printed at the end
of any run that ran tests marked `fault` (tests/conftest.py calls these hooks).

A fault is named by the first line of its test's docstring (else the test's name); its
tries are the test's parameter cases (engines, payloads) that ran, and passed how many
passed. Skipped cases are listed apart: a skip is not a pass.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass


@dataclass
class Tally:
    tries: int = 0
    passed: int = 0
    skipped: int = 0


class FaultSummary:
    def __init__(self) -> None:
        self.faults: dict[str, Tally] = defaultdict(Tally)
        self.names: dict[str, str] = {}  # nodeid -> fault name

    def collected(self, item) -> None:
        """Remember the fault name of a `fault`-marked test item."""
        if item.get_closest_marker("fault") is None:
            return
        doc = (getattr(getattr(item, "function", None), "__doc__", None) or "").strip()
        self.names[item.nodeid] = doc.splitlines()[0] if doc else item.originalname

    def report(self, report) -> None:
        """Count one test phase's report (pytest_runtest_logreport)."""
        name = self.names.get(report.nodeid)
        if name is None:
            return
        tally = self.faults[name]
        if report.skipped:
            tally.skipped += 1
        elif report.when == "call":
            tally.tries += 1
            tally.passed += report.passed
        elif report.failed:  # an error in setup or teardown is a failed try
            tally.tries += 1

    def lines(self) -> list[str]:
        if not self.faults:
            return []
        width = max(len(n) for n in self.faults)
        out = [f"{'fault':{width}}  tries  passed  skipped  outcome"]
        for name, t in self.faults.items():
            outcome = ("held" if t.tries and t.passed == t.tries
                       else "skipped" if not t.tries else "BROKEN")
            out.append(f"{name:{width}}  {t.tries:5}  {t.passed:6}  {t.skipped:7}  {outcome}")
        total = sum(t.tries for t in self.faults.values())
        passed = sum(t.passed for t in self.faults.values())
        out.append(f"{len(self.faults)} faults, {total} tries, {passed} passed")
        return out
