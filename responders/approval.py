"""Approval: nothing leaves crisiswatch that an approver did not say yes to, as written.

An approval is bound to the SHA-256 of the exact body; the outbox re-checks it before
sending, so an edit after approval (by any path) can never go out unapproved.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from functools import partial
from operator import attrgetter

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from responders.incidents import facts_for, record
from responders.lint import Finding, lint
from responders.lint_messages import LANGS as LINT_LANGS
from responders.wording import Localized, WordedError, Wording, moment, word, wording
from store.models import ApprovalRow, DraftRow, DraftStatus, IncidentRow

APPROVER_ROLES = ("approver", "admin")
EDITOR_ROLES = ("editor", "approver", "admin")


class ApprovalError(WordedError, PermissionError):
    """Approval refused: wrong role, two-person rule, lint errors, or an unexplained
    warning override. The message says which and what to do."""


def body_hash(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def lint_draft(session: Session, draft: DraftRow, now: datetime,
               ui_lang: str = "en") -> list[Finding]:
    """The linter's findings on a draft, with the incident's facts as the truth, worded in
    `ui_lang`."""
    facts = None
    if draft.incident_id is not None:
        incident = session.get(IncidentRow, draft.incident_id)
        facts = facts_for(incident, draft.lang)
    channel = draft.channel if draft.kind in ("reply", "correction") or draft.channel == "sms" \
        else None
    return lint(draft.body, audience=draft.audience, phase=draft.phase, lang=draft.lang,
                channel=channel, facts=facts, now=now, ui_lang=ui_lang)


def quoted_findings(check: Callable[[str], list[Finding]], severity: str,
                    show: Callable[[Finding], str] = attrgetter("message")) -> Localized:
    """The `severity` findings of `check(ui_lang)` (a lint call), each `show`n and joined by
    "; ", in every language the linter words its findings in: the parameter of a refusal
    that quotes them, shown in its reader's language (`str()` of the refusal: English)."""
    texts = {ui: "; ".join(show(f) for f in check(ui) if f.severity == severity)
             for ui in LINT_LANGS}
    return Localized(texts, texts["en"])


def stale_reason(session: Session, draft: DraftRow, now: datetime) -> Wording | None:
    """Why the draft can no longer go out as written (a `Wording`: `str()` is the English),
    or None: it was built from an older
    version of the incident (phase, facts or promised next update changed since), or the
    next update it promises is already past. Drafts that record no version (typed by hand
    outside crisiswatch's drafting) are judged by their promise alone."""
    if draft.incident_id is None:
        return None
    incident = session.get(IncidentRow, draft.incident_id)
    if incident is None:
        return None
    if draft.incident_version is not None and draft.incident_version != (incident.version or 0):
        if draft.phase and draft.phase != incident.phase:
            return wording("out of date: written during '{then}', the incident is now "
                           "'{phase}'; a new text is being prepared",
                           then=word("phase", draft.phase), phase=word("phase", incident.phase))
        return wording("out of date: the facts or the promised next update changed after it "
                       "was written; a new text is being prepared")
    if draft.promised_next_update is not None and draft.promised_next_update <= now:
        return wording("out of date: it promises the next update by {at}, which has passed",
                       at=moment(draft.promised_next_update))
    return None


def approve(session: Session, draft: DraftRow, *, approver: str, role: str, now: datetime,
            override_reason: str | None = None, two_person_rule: bool = False) -> ApprovalRow:
    """Approve the draft's current body, or raise ApprovalError saying why not."""
    if role not in APPROVER_ROLES:
        raise ApprovalError(wording("{who} is a {role}; only an approver or admin can approve",
                                    who=approver, role=word("role", role)))
    if draft.status != DraftStatus.DRAFT:
        raise ApprovalError(wording("draft #{id} is {status}, not awaiting approval",
                                    id=draft.id, status=word("status", draft.status)))
    if two_person_rule and draft.author == approver:
        raise ApprovalError("two-person rule: the author of a draft cannot approve it")
    stale = stale_reason(session, draft, now)
    if stale:
        raise ApprovalError(wording("draft #{id} is {stale}", id=draft.id, stale=stale))
    check = partial(lint_draft, session, draft, now)  # check(ui_lang)
    findings = check()
    if any(f.severity == "error" for f in findings):
        raise ApprovalError(wording("fix before approving: {findings}",
                                    findings=quoted_findings(check, "error")))
    warnings = [f for f in findings if f.severity == "warning"]
    if warnings and not (override_reason or "").strip():
        raise ApprovalError(wording("give a reason to approve despite: {findings}",
                                    findings=quoted_findings(check, "warning")))
    approval = ApprovalRow(draft_id=draft.id, approver=approver, at=now,
                           body_sha256=body_hash(draft.body),
                           override_reason=(override_reason or None) if warnings else None)
    session.add(approval)
    draft.status, draft.updated_at = DraftStatus.APPROVED, now
    if draft.incident_id is not None:
        what = {"id": draft.id, "audience": word("audience", draft.audience),
                "channel": word("channel", draft.channel), "lang": word("lang", draft.lang)}
        record(session, session.get(IncidentRow, draft.incident_id), now, approver, "approval",
               wording("Approved draft #{id} ({audience}/{channel}/{lang}) (override: "
                       "{reason})", reason=override_reason, **what) if warnings else
               wording("Approved draft #{id} ({audience}/{channel}/{lang})", **what))
    return approval


def reject(session: Session, draft: DraftRow, *, actor: str, now: datetime) -> None:
    """Withdraw a draft that will not be sent (also one whose sending failed or whose
    outcome is unconfirmed and that a human decided not to send after all)."""
    if draft.status not in (DraftStatus.DRAFT, DraftStatus.APPROVED, DraftStatus.NEEDS_CHECK, DraftStatus.FAILED):
        raise ApprovalError(wording("draft #{id} is {status}; it can no longer be rejected",
                                    id=draft.id, status=word("status", draft.status)))
    draft.status, draft.updated_at = DraftStatus.REJECTED, now
    void_approvals(session, draft)
    if draft.incident_id is not None:
        record(session, session.get(IncidentRow, draft.incident_id), now, actor, "draft",
               wording("Rejected draft #{id}", id=draft.id))


def void_approvals(session: Session, draft: DraftRow) -> None:
    session.execute(update(ApprovalRow).where(ApprovalRow.draft_id == draft.id)
                    .values(void=True))


def valid_approval(session: Session, draft: DraftRow) -> ApprovalRow | None:
    """The approval that covers the draft's body exactly as it is now, if any."""
    return session.execute(
        select(ApprovalRow).where(
            ApprovalRow.draft_id == draft.id, ApprovalRow.void.is_(False),
            ApprovalRow.body_sha256 == body_hash(draft.body),
        ).limit(1)
    ).scalar_one_or_none()
