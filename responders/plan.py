"""The crisis plan's risk register (issue 19): the crises the company could face, ranked by
probability x impact, each with its prepared messages, the contact segments to reach, a
short playbook (first actions per role) and a rehearsal schedule.

A risk is validated as a whole record (`validate`) before it is stored: every problem is
reported at once, as one line per field, and nothing is written when any is found. The
same validator serves the dashboard's form, `crisiswatch plan import` and the changes a
post-mortem proposes, so the three accept exactly the same records.

Record shape (what `to_record` gives and `validate` takes; dates are ISO days or datetimes)::

    key: outage                      # stable name, [a-z0-9-], what import matches on
    crisis_type: outage              # responders.incidents.CRISIS_TYPES
    scenario: "Login and sync down in every region for hours"
    probability: 4                   # 1 (rare) .. 5 (expected)
    impact: 5                        # 1 (minor) .. 5 (severe)
    owner: CTO
    last_reviewed: 2026-11-02        # or null
    languages: [en, fr]
    messages: [{audience: status, phase: investigating}, ...]   # MESSAGE_AUDIENCES x PHASES
    segments: [staff, customers]     # responders.contacts.SEGMENTS
    playbook: {commander: ["Declare the incident", ...], ...}  # ROLES
    exercise_every_days: 90          # or null (never scheduled)
    last_exercised: 2026-09-10       # or null
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from responders.cell import ROLES
from responders.contacts import SEGMENTS
from responders.incidents import CRISIS_TYPES
from responders.templates import LANGS
from store.models import AuditRow, PlanRiskRow, PlanUpdateRow

# Where a prepared message goes: the public status page, the notify templates per audience.
MESSAGE_AUDIENCES = ("status", "team", "ceo", "customers", "sms")
PHASES = ("investigating", "identified", "fixing", "monitoring", "resolved")
SCALE = range(1, 6)
FIELDS = ("key", "crisis_type", "scenario", "probability", "impact", "owner", "last_reviewed",
          "languages", "messages", "segments", "playbook", "exercise_every_days",
          "last_exercised")
REQUIRED = ("key", "crisis_type", "scenario", "probability", "impact", "owner")
_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
MAX_TEXT = 2000


class PlanError(ValueError):
    """A record the register refuses; `reasons` holds one line per problem."""

    def __init__(self, reasons: list[str]):
        self.reasons = list(reasons)
        super().__init__("; ".join(self.reasons))


@dataclass(frozen=True)
class Risk:
    """A validated register record (see the module docstring for the fields)."""

    key: str
    crisis_type: str
    scenario: str
    probability: int
    impact: int
    owner: str
    last_reviewed: datetime | None
    languages: tuple[str, ...]
    messages: tuple[tuple[str, str], ...]  # (audience, phase)
    segments: tuple[str, ...]
    playbook: dict[str, tuple[str, ...]]
    exercise_every_days: int | None
    last_exercised: datetime | None

    @property
    def score(self) -> int:
        return self.probability * self.impact


def score(row: PlanRiskRow) -> int:
    """Risk = probability x impact (1..25)."""
    return row.probability * row.impact


def rank_key(row: PlanRiskRow) -> tuple:
    """Highest risk first; at equal risk the worse impact first (a rare disaster outranks
    a frequent nuisance), then the key, so the order is stable."""
    return (-score(row), -row.impact, -row.probability, row.key)


def _when(value, label: str, reasons: list[str]) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):  # naive = UTC; an offset is converted to UTC
        return value if value.tzinfo is None else (value - value.utcoffset()).replace(
            tzinfo=None)
    if isinstance(value, date):
        return datetime.combine(value, time())
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            reasons.append(f"{label}: {value!r} is not a date (YYYY-MM-DD)")
            return None
        return _when(parsed, label, reasons)
    reasons.append(f"{label}: {value!r} is not a date (YYYY-MM-DD)")
    return None


def _int(value, label: str, allowed: range | None, reasons: list[str]) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        else:
            reasons.append(f"{label}: must be a whole number, not {value!r}")
            return None
    if allowed is not None and value not in allowed:
        reasons.append(f"{label}: must be {allowed.start}-{allowed.stop - 1}, not {value}")
        return None
    return value


def _text(value, label: str, reasons: list[str], limit: int = MAX_TEXT) -> str:
    if not isinstance(value, str) or not value.strip():
        reasons.append(f"{label}: required (text)")
        return ""
    if len(value) > limit:
        reasons.append(f"{label}: at most {limit} characters")
    return value.strip()


def _list(value, label: str, reasons: list[str]) -> list:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        reasons.append(f"{label}: must be a list")
        return []
    return list(value)


def _messages(value, reasons: list[str]) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    for i, item in enumerate(_list(value, "messages", reasons)):
        if isinstance(item, dict):
            audience, phase = item.get("audience"), item.get("phase")
        elif isinstance(item, list | tuple) and len(item) == 2:
            audience, phase = item
        else:
            reasons.append(f"messages[{i}]: must be {{audience, phase}}")
            continue
        if audience not in MESSAGE_AUDIENCES:
            reasons.append(f"messages[{i}]: unknown audience {audience!r} "
                           f"(one of {', '.join(MESSAGE_AUDIENCES)})")
        elif phase not in PHASES:
            reasons.append(f"messages[{i}]: unknown phase {phase!r} (one of {', '.join(PHASES)})")
        elif (audience, phase) not in out:
            out.append((audience, phase))
    return tuple(sorted(out, key=lambda m: (PHASES.index(m[1]),
                                            MESSAGE_AUDIENCES.index(m[0]))))


def _playbook(value, reasons: list[str]) -> dict[str, tuple[str, ...]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        reasons.append("playbook: must map a role to its first actions")
        return {}
    out = {}
    for role, actions in value.items():
        if role not in ROLES:
            reasons.append(f"playbook: unknown role {role!r} (one of {', '.join(ROLES)})")
            continue
        if isinstance(actions, str):
            actions = [actions]
        items = []
        for action in _list(actions, f"playbook.{role}", reasons):
            if not isinstance(action, str) or not action.strip():
                reasons.append(f"playbook.{role}: every action is a non-empty text")
            else:
                items.append(action.strip())
        if items:
            out[role] = tuple(items)
    return {role: out[role] for role in ROLES if role in out}


def validate(record: dict) -> Risk:
    """A `Risk` from a record, or `PlanError` listing every problem (see module docstring
    for the shape). Unknown fields are refused too: a misspelt field would otherwise be
    dropped silently."""
    if not isinstance(record, dict):
        raise PlanError(["a risk must be a mapping of fields"])
    reasons: list[str] = []
    unknown = sorted(set(record) - set(FIELDS), key=str)
    if unknown:
        reasons.append(f"unknown field(s) {', '.join(map(str, unknown))} "
                       f"(known: {', '.join(FIELDS)})")
    for name in REQUIRED:
        if record.get(name) in (None, ""):
            reasons.append(f"{name}: required")
    key = record.get("key")
    if key not in (None, "") and (not isinstance(key, str) or not _KEY.match(key)):
        reasons.append(f"key: {key!r} must be lowercase letters, digits and '-'")
    crisis_type = record.get("crisis_type")
    if crisis_type not in (None, "") and crisis_type not in CRISIS_TYPES:
        reasons.append(f"crisis_type: unknown {crisis_type!r} (one of {', '.join(CRISIS_TYPES)})")
    scenario = _text(record["scenario"], "scenario", reasons) if record.get("scenario") else ""
    owner = _text(record["owner"], "owner", reasons, 64) if record.get("owner") else ""
    probability = _int(record["probability"], "probability", SCALE, reasons) \
        if record.get("probability") is not None else None
    impact = _int(record["impact"], "impact", SCALE, reasons) \
        if record.get("impact") is not None else None
    langs = _list(record.get("languages", list(LANGS)), "languages", reasons)
    bad = [lang for lang in langs if lang not in LANGS]
    if bad:
        reasons.append(f"languages: unknown {', '.join(map(str, bad))} (one of {', '.join(LANGS)})")
    elif not langs:
        reasons.append("languages: at least one")
    segments = _list(record.get("segments"), "segments", reasons)
    bad = [s for s in segments if s not in SEGMENTS]
    if bad:
        reasons.append(f"segments: unknown {', '.join(map(str, bad))} "
                       f"(known: {', '.join(SEGMENTS)})")
    every = record.get("exercise_every_days")
    every = _int(every, "exercise_every_days", range(1, 3651), reasons) \
        if every not in (None, "") else None
    messages = _messages(record.get("messages"), reasons)
    playbook = _playbook(record.get("playbook"), reasons)
    reviewed = _when(record.get("last_reviewed"), "last_reviewed", reasons)
    exercised = _when(record.get("last_exercised"), "last_exercised", reasons)
    if reasons:
        raise PlanError(reasons)
    return Risk(key=key, crisis_type=crisis_type, scenario=scenario,
                probability=probability, impact=impact, owner=owner, last_reviewed=reviewed,
                languages=tuple(lang for lang in LANGS if lang in langs), messages=messages,
                segments=tuple(s for s in SEGMENTS if s in segments), playbook=playbook,
                exercise_every_days=every, last_exercised=exercised)


def _day(at: datetime | None) -> date | datetime | None:
    """A day when the time is midnight (what the form and files hold), else the moment."""
    if at is None:
        return None
    return at.date() if at.time() == time() else at


def to_record(row: PlanRiskRow) -> dict:
    """The stored risk as a plain record, in field order (the export format)."""
    return {
        "key": row.key, "crisis_type": row.crisis_type, "scenario": row.scenario,
        "probability": row.probability, "impact": row.impact, "owner": row.owner,
        "last_reviewed": _day(row.last_reviewed_at), "languages": list(row.langs),
        "messages": [{"audience": a, "phase": p} for a, p in row.messages],
        "segments": list(row.segments),
        "playbook": {role: list(actions) for role, actions in row.playbook.items()},
        "exercise_every_days": row.exercise_every_days,
        "last_exercised": _day(row.last_exercised_at),
    }


def _columns(risk: Risk) -> dict:
    return {"crisis_type": risk.crisis_type, "scenario": risk.scenario,
            "probability": risk.probability, "impact": risk.impact, "owner": risk.owner,
            "last_reviewed_at": risk.last_reviewed, "langs": list(risk.languages),
            "messages": [list(m) for m in risk.messages], "segments": list(risk.segments),
            "playbook": {r: list(a) for r, a in risk.playbook.items()},
            "exercise_every_days": risk.exercise_every_days,
            "last_exercised_at": risk.last_exercised}


def register(session: Session) -> list[PlanRiskRow]:
    """Every risk, highest first (`rank_key`)."""
    return sorted(session.execute(select(PlanRiskRow)).scalars(), key=rank_key)


def find(session: Session, key: str) -> PlanRiskRow | None:
    return session.execute(select(PlanRiskRow).where(PlanRiskRow.key == key)).scalar_one_or_none()


def save(session: Session, record: dict, *, actor: str, now: datetime,
         create_only: bool = False) -> tuple[PlanRiskRow, str]:
    """Add or update the risk `record["key"]` names; returns (row, "added" | "updated" |
    "unchanged"). Raises PlanError (nothing written) when the record is refused, or when
    `create_only` and the key exists. Every change is audited."""
    risk = validate(record)
    row = find(session, risk.key)
    columns = _columns(risk)
    if row is None:
        row = PlanRiskRow(key=risk.key, created_at=now, updated_at=now, updated_by=actor,
                          **columns)
        session.add(row)
        session.flush()
        _audit(session, now, actor, "plan.add", risk.key, f"risk {risk.score}")
        return row, "added"
    if create_only:
        raise PlanError([f"key: a risk named {risk.key!r} already exists"])
    changed = [name for name, value in columns.items() if getattr(row, name) != value]
    if not changed:
        return row, "unchanged"
    for name in changed:
        setattr(row, name, columns[name])
    row.updated_at, row.updated_by = now, actor
    _audit(session, now, actor, "plan.edit", risk.key, ", ".join(changed))
    return row, "updated"


def mark_reviewed(session: Session, row: PlanRiskRow, *, actor: str, now: datetime) -> None:
    """The owner went through the risk and found it right: last reviewed = now."""
    row.last_reviewed_at, row.updated_at, row.updated_by = now, now, actor
    _audit(session, now, actor, "plan.review", row.key, "")


def mark_exercised(session: Session, row: PlanRiskRow, *, actor: str, now: datetime) -> None:
    """The risk's scenario was rehearsed: last exercised = now."""
    row.last_exercised_at, row.updated_at, row.updated_by = now, now, actor
    _audit(session, now, actor, "plan.exercise", row.key, "")


def delete(session: Session, row: PlanRiskRow, *, actor: str, now: datetime) -> None:
    """Remove a risk; the plan updates that pointed at it keep their text, unlinked."""
    for update in session.execute(select(PlanUpdateRow).where(
            PlanUpdateRow.risk_id == row.id)).scalars():
        update.risk_id = None
    _audit(session, now, actor, "plan.delete", row.key, "")
    session.delete(row)


def exercise_due(row: PlanRiskRow, now: datetime) -> datetime | None:
    """When the next rehearsal is due (None: no schedule); never exercised = due now."""
    if not row.exercise_every_days:
        return None
    if row.last_exercised_at is None:
        return now
    return row.last_exercised_at + timedelta(days=row.exercise_every_days)


def _audit(session: Session, now: datetime, actor: str, action: str, target: str,
           detail: str) -> None:
    session.add(AuditRow(at=now, actor=actor, action=action, target=f"risk:{target}",
                         detail=detail))
