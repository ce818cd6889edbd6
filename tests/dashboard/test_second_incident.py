"""A second incident declared while one is active (issue 16): refused with a warning that
names the active one, declared only on an explicit confirmation, which the audit keeps."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import pytest

from dashboard import actions
from dashboard.context import DashboardContext
from responders.drafts import Brand
from responders.templates import TemplateLibrary
from store.models import AuditRow, IncidentRow

NOW = datetime(2026, 3, 10, 10, 0)
EDITOR = SimpleNamespace(username="eve", role="editor", is_authenticated=True)


@pytest.fixture
def ctx(store):
    return DashboardContext(store=store, clock=lambda: NOW, library=TemplateLibrary(),
                            brand=Brand(), secret_key="test-secret",
                            refresh_drafts=lambda now: 0)


def declare(ctx, title, **kw):
    return actions.declare_incident(ctx, EDITOR, alert_id=None, title=title,
                                    crisis_type="outage", severity="major", **kw)


def test_second_incident_needs_a_confirmation_and_names_the_active_one(ctx, store):
    first = declare(ctx, "Login outage")
    with pytest.raises(actions.SecondIncident) as refused:
        declare(ctx, "Payments down")
    assert refused.value.active_id == first and refused.value.title == "Login outage"
    assert f"#{first}" in str(refused.value) and "still active" in str(refused.value)
    with store.session() as s:
        assert s.query(IncidentRow).count() == 1  # nothing declared by the refusal

    second = declare(ctx, "Payments down", confirm_second=True)
    with store.session() as s:
        assert s.query(IncidentRow).count() == 2
        detail = s.query(AuditRow.detail).filter(AuditRow.target == f"incident:{second}"
                                                 ).scalar()
    assert f"confirmed while incident #{first} is active" in detail


def test_no_warning_once_the_previous_incident_is_resolved(ctx, store):
    first = declare(ctx, "Login outage")
    actions.set_phase(ctx, EDITOR, first, "resolved")
    second = declare(ctx, "Payments down")
    with store.session() as s:
        detail = s.query(AuditRow.detail).filter(AuditRow.target == f"incident:{second}"
                                                 ).scalar()
    assert second != first and "confirmed while" not in detail
