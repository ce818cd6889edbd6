"""The Plan page's callbacks through the real app (issue 19): only approvers and admins
change the plan, a refused record lists its reasons and saves nothing, the playbook text is
read line by line, and the chosen risk fills the form."""

from __future__ import annotations

import sys
from datetime import datetime

from flask_login import login_user
from sqlalchemy import select

from dashboard.app import create_app
from dashboard.auth import User, add_user
from dashboard.context import DashboardContext
from responders import plan
from responders.drafts import Brand
from responders.plan_defaults import seed_default_plan
from responders.templates import TemplateLibrary
from store.models import UserRow

NOW = datetime(2026, 12, 3, 12, 0)
FORM = {"key": "supplier", "crisis_type": "billing",
        "scenario": "The payment provider is down", "probability": 2, "impact": 3,
        "owner": "CFO", "every": 180, "langs": ["en"], "segments": ["customers"],
        "audiences": ["status", "ceo"], "phases": ["investigating"],
        "playbook": ("comms_lead: Tell customers their payments are safe\n\n"
                     "Tech lead: Switch to the backup provider")}


def test_plan_callbacks(store):
    with store.session() as s:
        seed_default_plan(s, actor="demo", now=NOW)
        for name, role in (("ed", "editor"), ("apo", "approver")):
            add_user(s, name, "pw", role, now=NOW)
        ids = dict(s.execute(select(UserRow.username, UserRow.id)).all())
    ctx = DashboardContext(store=store, clock=lambda: NOW, library=TemplateLibrary(),
                           brand=Brand(), secret_key="test")
    app = create_app(ctx)
    page = next(m for name, m in sys.modules.items() if name.endswith("pages.plan"))
    with app.server.test_request_context("/_dash-update-component"):
        login_user(User(ids["ed"], "ed", "editor"))
        assert "Only approvers and admins" in str(page.save(1, *FORM.values()))
        login_user(User(ids["apo"], "apo", "approver"))
        assert "Risk supplier: added." in str(page.save(1, *FORM.values()))
        refused = page.save(1, *{**FORM, "owner": "", "probability": 9}.values())
        assert "owner: required" in str(refused) and "probability: must be 1-5, not 9" in \
            str(refused)
        no_colon = page.save(1, *{**FORM, "playbook": "call everyone"}.values())
        assert "playbook line 1: write 'role: action'" in str(no_colon)

        health, _register, options, value, _lessons, _incidents, risks = page.refresh(
            None, None, None, None, None)
        # The health details are worded on the page (here in English), not by the store.
        assert "nobody reachable in segment press (needed by rumour, bad-press)" in str(health)
        assert page.health_detail("review_overdue", {"day": None}) == "last reviewed never"
        assert page.health_detail("action_open", {"text": "Fix", "owner": "ops",
                                                  "due_day": None, "incident": 2}) == \
            "Fix (owner ops, no due date; incident #2)"
        assert value == "outage" and options[0] == {"label": "16 · outage", "value": "outage"}
        assert "supplier" in [o["value"] for o in risks]
        detail = str(page.show("supplier", None, None))
        assert "Prepared messages (2, 0 failing)" in detail and "customers: 0 reachable" in detail
        filled = page.fill_form("supplier")
        assert filled[0] == "supplier" and filled[-1] == (
            "comms_lead: Tell customers their payments are safe\n"
            "tech_lead: Switch to the backup provider")
    with store.session() as s:
        row = plan.find(s, "supplier")
        assert (row.owner, row.probability, row.langs) == ("CFO", 2, ["en"])
        assert row.messages == [["status", "investigating"], ["ceo", "investigating"]]
        assert row.playbook == {"comms_lead": ["Tell customers their payments are safe"],
                                "tech_lead": ["Switch to the backup provider"]}
