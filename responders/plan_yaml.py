"""The crisis plan as a YAML file, so it lives in version control too (issue 19).

File format (`export_yaml` writes it, `import_yaml` reads it)::

    version: 1
    risks:
      - key: outage
        crisis_type: outage
        ...                     # the fields of responders.plan (module docstring)

Import checks each risk on its own with the register's validator: a refused risk is
reported with its position, key and every reason, the others go in. It is idempotent: a
risk is matched on its key, updated in place when it differs and left alone when it does
not, so importing the same file twice changes nothing the second time. Risks stored but
absent from the file are kept (an import never deletes). A file that is not YAML, or not a
mapping with a `risks` list, raises `PlanFileError` before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import yaml
from sqlalchemy.orm import Session

from responders import plan

FORMAT_VERSION = 1


class PlanFileError(ValueError):
    """The file as a whole cannot be read as a plan; nothing was imported."""


@dataclass
class ImportReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: list[tuple[int, str, list[str]]] = field(default_factory=list)  # (no, key, why)

    def lines(self) -> list[str]:
        """A summary line, then one line per refused risk."""
        head = (f"{len(self.added)} added, {len(self.updated)} updated, "
                f"{len(self.unchanged)} unchanged, {len(self.refused)} refused")
        return [head, *(f"risks[{i}] ({key}): " + "; ".join(why)
                        for i, key, why in self.refused)]

    def as_dict(self) -> dict:
        return {"added": self.added, "updated": self.updated, "unchanged": self.unchanged,
                "refused": [{"index": i, "key": key, "reasons": why}
                            for i, key, why in self.refused]}


def export_yaml(session: Session) -> str:
    """The whole register, highest risk first, as YAML (UTF-8 text, stable field order)."""
    document = {"version": FORMAT_VERSION,
                "risks": [plan.to_record(row) for row in plan.register(session)]}
    # Flow style for the innermost lists and mappings: `languages: [en, fr]`, one line per
    # prepared message; the rest block style, so a diff shows one changed field per line.
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=88,
                          default_flow_style=None)


def parse(text: str) -> list:
    """The file's risk records, or PlanFileError saying why the file is not a plan."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise PlanFileError(f"not valid YAML{where}: {problem}") from exc
    if not isinstance(document, dict):
        raise PlanFileError("the file must be a mapping with `version: 1` and a `risks` list")
    unknown = sorted(set(document) - {"version", "risks"}, key=str)
    if unknown:
        raise PlanFileError(f"unknown top-level key(s) {', '.join(map(str, unknown))} "
                            "(expected version, risks)")
    if "version" not in document:
        raise PlanFileError(f"missing `version: {FORMAT_VERSION}` (the format of the file)")
    if document["version"] != FORMAT_VERSION:
        raise PlanFileError(f"unsupported version {document.get('version')!r} "
                            f"(this crisiswatch reads version {FORMAT_VERSION})")
    risks = document.get("risks")
    if not isinstance(risks, list):
        raise PlanFileError("`risks` must be a list of risks")
    return risks


def import_yaml(session: Session, text: str, *, actor: str, now: datetime) -> ImportReport:
    """Import the plan in `text` (see module docstring); the caller commits."""
    records = parse(text)
    report = ImportReport()
    seen: dict[str, int] = {}
    for i, record in enumerate(records):
        key = record.get("key") if isinstance(record, dict) else None
        label = str(key) if key else "no key"
        if isinstance(key, str) and key in seen:
            report.refused.append((i, label, [f"key {key!r} already used by risks[{seen[key]}]"]))
            continue
        try:  # save validates the whole record before writing anything
            _, outcome = plan.save(session, record, actor=actor, now=now)
        except plan.PlanError as exc:
            report.refused.append((i, label, exc.reasons))
            continue
        seen[key] = i
        getattr(report, outcome).append(key)
    return report
