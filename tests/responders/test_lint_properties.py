"""Property-based: the linter never crashes on any text, for any audience, phase, language,
channel and facts; every template renders for every combination the library claims."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from responders import limits
from responders.incidents import CRISIS_TYPES
from responders.lint import Finding, consistency, lint
from responders.templates import (
    LANGS,
    PHASES,
    REPLY_CATEGORIES,
    TemplateLibrary,
    example_context,
)

FAST = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])
LIBRARY = TemplateLibrary()
# Words the rules look for, so generated text reaches the interesting branches.
PHRASES = [
    "caused by", "due to", "root cause", "à cause de", "ETA", "by 14:30 UTC", "in 30 min",
    "d'ici 15h", "dans 2 heures", "next update", "prochaine mise à jour", "guaranteed",
    "never happen again", "100% fixed", "technical problem in progress", "some users",
    "PANIC", "disaster", "!!!", "human error", "Bob's fault", "erreur humaine", "60%", "60 %",
    "we are investigating", "nous analysons", "not yet known", "11:30", "23:59", "24:00",
    "99:99", "25h", "0 min", "-5 min", "https://status.example/x", "@user", "🙂", "👍🏽",
    "\u200d", "e\u0301", "\n\n", "\x00", "€", "ê", "\u202f", "’",
]
text = st.one_of(
    st.text(max_size=400),
    st.lists(st.one_of(st.sampled_from(PHRASES), st.text(max_size=20)), max_size=25)
    .map(" ".join),
)
when = st.one_of(st.none(), st.datetimes(min_value=datetime(2000, 1, 1),
                                         max_value=datetime(2100, 1, 1)))
facts = st.one_of(st.none(), st.fixed_dictionaries({
    "cause": st.one_of(st.none(), st.text(max_size=40)),
    "eta": when, "eta_estimate": when,
    "impact": st.one_of(st.text(max_size=40), st.sampled_from(["60%", "60 %", ""])),
}))
AUDIENCES = st.sampled_from(["team", "ceo", "customers", "board", "other"])
PHASE = st.one_of(st.none(), st.sampled_from([*PHASES, "unknown"]))
LANG = st.sampled_from([*LANGS, "de", ""])
CHANNEL = st.one_of(st.none(), st.sampled_from(
    sorted({*limits.LIMITS, "sms", "email", "statuspage", "slack", "nope"})))


@FAST
@given(text=text, audience=AUDIENCES, phase=PHASE, lang=LANG, channel=CHANNEL, facts=facts,
       now=when)
def test_lint_never_crashes(text, audience, phase, lang, channel, facts, now):
    findings = lint(text, audience=audience, phase=phase, lang=lang, channel=channel,
                    facts=facts, now=now)
    for f in findings:
        assert isinstance(f, Finding) and f.severity in ("error", "warning")
        assert f.rule and f.message
        if f.span is not None:
            start, end = f.span
            assert 0 <= start <= end <= len(text)
        f.as_dict()


@FAST
@given(st.lists(text, max_size=5))
def test_consistency_never_crashes(messages):
    for f in consistency(messages):
        assert isinstance(f, Finding)


def _render_all(kind, name, crisis_type, lang, ctx):
    rendered = LIBRARY.render(kind, name=name, crisis_type=crisis_type, lang=lang, context=ctx)
    assert rendered.body.strip()
    assert "{{" not in rendered.body and "{%" not in rendered.body
    return rendered


def test_every_template_file_renders():
    """Each file the library holds renders with the context its path implies."""
    files = LIBRARY.available()
    assert files
    for path in files:
        kind, crisis_type, leaf = path.split("/")
        name, lang, _ = leaf.rsplit(".", 2)
        if kind == "followup" and name == "affected":  # the art. 34 notice: its four items
            ctx = {"nature": "a copy of the customer database was taken",
                   "consequences": "phishing e-mails that use your name",
                   "measures": "we closed the access and reset every password",
                   "contact": "dpo@example.com"}
            assert _render_all(kind, name, crisis_type, lang, ctx).template == path
            continue
        if kind == "followup":  # a personal letter: its own few fields, no incident context
            ctx = {"name": "Carla Key", "title": "Login outage", "resolved": "2026-12-03 12:00",
                   "facts": {"impact": "logins failed", "actions": "we rolled back"},
                   "owner": "Dana"}
            assert _render_all(kind, name, crisis_type, lang, ctx).template == path
            continue
        if kind == "status":
            phase, category = name, "outage_complaint"
        elif kind == "notify":
            phase, category = name.split(".")[1], "outage_complaint"
        elif kind == "postmortem":
            phase, category = "postmortem", "outage_complaint"
        else:
            phase, category = "investigating", name
        ctx = example_context(lang, phase=phase, crisis_type=crisis_type
                              if crisis_type != "generic" else "outage", category=category)
        rendered = _render_all(kind, name, crisis_type, lang, ctx)
        assert rendered.template == path


@FAST
@given(crisis_type=st.sampled_from(CRISIS_TYPES), lang=st.sampled_from(LANGS),
       phase=st.sampled_from(PHASES[:-1]), category=st.sampled_from(REPLY_CATEGORIES),
       audience=st.sampled_from(["team", "ceo", "customers", "sms"]),
       statement=st.one_of(st.none(), st.just("https://status.example/#update-3")))
def test_every_claimed_combination_resolves_and_renders(crisis_type, lang, phase, category,
                                                        audience, statement):
    """Every crisis type x phase x language x audience (x reply category) finds a template
    (type-specific or generic) and renders it."""
    ctx = example_context(lang, phase=phase, crisis_type=crisis_type, category=category)
    ctx["statement_url"] = statement
    _render_all("status", phase, crisis_type, lang, ctx)
    _render_all("notify", f"{audience}.{phase}", crisis_type, lang, ctx)
    reply = _render_all("replies", category, crisis_type, lang, ctx)
    if category == "rumour" and statement:
        assert statement in reply.body


timeline_items = st.lists(st.tuples(st.text(max_size=12), st.text(max_size=60)), max_size=6)


@FAST
@given(crisis_type=st.sampled_from(CRISIS_TYPES), lang=st.sampled_from(LANGS),
       name=st.sampled_from(["board", "public"]),
       extra=st.fixed_dictionaries({}, optional={
           "timeline": st.one_of(timeline_items, st.text(max_size=80)),
           "lessons": st.text(max_size=120), "follow_ups": st.text(max_size=120),
           "summary": st.text(max_size=120)}),
       cause_known=st.booleans())
def test_postmortems_render_with_any_generated_sections(crisis_type, lang, name, extra,
                                                        cause_known):
    ctx = example_context(lang, phase="postmortem", crisis_type=crisis_type)
    if not cause_known:
        ctx["facts"]["cause"] = None
    ctx["facts"].update(extra)
    body = _render_all("postmortem", name, crisis_type, lang, ctx).body
    summary = extra.get("summary", "")
    if summary.isalnum():  # plain words survive the template cleaner as they are
        assert summary in body


def test_now_in_the_past_or_future_is_fine():
    """A `now` years away from the incident breaks nothing: the ETA is read on the day of the
    agreed estimate, so it has passed only for a `now` after it, however far."""
    base = datetime(2026, 3, 10, 10, 0)
    facts = {"cause": "x", "eta": base, "eta_estimate": base, "impact": "1%"}
    passed = {}
    for delta in (timedelta(days=-3650), timedelta(0), timedelta(days=3650)):
        findings = lint("ETA: 14:30 UTC. Next update 11:00 UTC.", phase="fixing", facts=facts,
                        now=base + delta)
        assert all(isinstance(f, Finding) and f.severity in ("error", "warning")
                   for f in findings)
        passed[delta.days] = [f for f in findings if f.rule == "over_promise"]
    assert passed[-3650] == [] and passed[0] == []
    [late] = passed[3650]
    assert late.severity == "error" and "already passed" in late.message
