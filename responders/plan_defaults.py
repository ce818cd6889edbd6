"""A sensible starting plan (issue 19): the four crises a SaaS company most often faces,
with messages prepared for the first hours, the segments to reach and each role's first
actions. The demo and the drill seed it; a real company imports its own
(`crisiswatch plan import`) and edits from there."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from responders import plan
from store.models import PlanRiskRow

_FIRST_HOURS = ("investigating", "identified", "fixing", "resolved")


def _messages(audiences, phases=_FIRST_HOURS) -> list[dict]:
    return [{"audience": a, "phase": p} for p in phases for a in audiences]


DEFAULT_RISKS = [
    {
        "key": "outage", "crisis_type": "outage",
        "scenario": "Login and file sync down for most customers for several hours "
                    "(a bad deployment, a cloud region lost)",
        "probability": 4, "impact": 4, "owner": "CTO",
        "messages": _messages(("status", "team", "ceo", "sms")),
        "segments": ["staff", "on-call", "management", "customers", "key-accounts"],
        "playbook": {
            "commander": ["Declare the incident from the alert", "Name the tech lead"],
            "tech_lead": ["Write what is known and not known in the facts",
                          "Give an ETA only once the cause is found"],
            "comms_lead": ["Approve the first status update within 30 minutes",
                           "Keep the customers' hourly update"],
            "support_lead": ["Pin the status page link in every support reply"],
        },
        "exercise_every_days": 90,
    },
    {
        "key": "data-leak", "crisis_type": "data_leak",
        "scenario": "Customer contact details exposed through a misconfigured export or "
                    "storage link",
        "probability": 2, "impact": 5, "owner": "CISO",
        "messages": _messages(("status", "team", "ceo", "customers")),
        "segments": ["staff", "management", "board", "customers", "regulators"],
        "playbook": {
            "commander": ["Declare: the regulator's 72-hour clock starts at awareness"],
            "legal": ["Fill the GDPR art. 33 checklist", "Decide on the art. 34 notice"],
            "tech_lead": ["Close the exposure and keep the access logs"],
            "comms_lead": ["Say what is and is not confirmed; never presuppose a breach"],
            "spokesperson": ["Take press calls with the approved statement only"],
        },
        "exercise_every_days": 180,
    },
    {
        "key": "rumour", "crisis_type": "controversy",
        "scenario": "A false claim that we were hacked spreads on social media",
        "probability": 3, "impact": 3, "owner": "Head of communication",
        "messages": _messages(("status", "team", "ceo"), ("investigating", "resolved")),
        "segments": ["staff", "management", "customers", "press"],
        "playbook": {
            "comms_lead": ["Link the claim to one official statement",
                           "Answer with the correction, never repeating the claim"],
            "tech_lead": ["Confirm in writing what the logs show"],
            "spokesperson": ["Give journalists the statement and the status page"],
        },
        "exercise_every_days": 180,
    },
    {
        "key": "bad-press", "crisis_type": "controversy",
        "scenario": "A critical press article about a product decision or a customer "
                    "dispute",
        "probability": 3, "impact": 2, "owner": "Head of communication",
        "messages": _messages(("team", "ceo"), ("investigating", "resolved")),
        "segments": ["management", "board", "press", "key-accounts"],
        "playbook": {
            "spokesperson": ["Answer the journalist within the day with checked facts"],
            "legal": ["Review the statement before it goes out"],
            "comms_lead": ["Brief management and the key-account owners first"],
        },
        "exercise_every_days": 365,
    },
]


def seed_default_plan(session: Session, *, actor: str, now: datetime) -> int:
    """Store the default plan when the register is empty (never over a company's own);
    reviewed and exercised recently, so a fresh demo's health view shows only what is
    really missing. Returns how many risks were added."""
    if session.execute(select(func.count()).select_from(PlanRiskRow)).scalar_one():
        return 0
    for i, record in enumerate(DEFAULT_RISKS):
        plan.save(session, {**record,
                            "last_reviewed": (now - timedelta(days=30 + 7 * i)).date(),
                            "last_exercised": (now - timedelta(days=20 + 10 * i)).date()},
                  actor=actor, now=now)
    return len(DEFAULT_RISKS)
