"""Templates: layout, lookup, safe rendering, and every prepared message passing the linter."""

from datetime import UTC, datetime

import pytest
from jinja2.exceptions import SecurityError, UndefinedError

from responders.limits import check, length, sms_segments
from responders.lint import consistency, lint
from responders.templates import (
    PHASES,
    REPLY_CATEGORIES,
    Rendered,
    TemplateLibrary,
    TemplateMissing,
    example_context,
)

ACTIVE = PHASES[:5]  # investigating .. resolved
LIB = TemplateLibrary()
NOW = datetime(2025, 3, 4, 10, 40, tzinfo=UTC)


def raw_facts(ctx):
    """The linter's view of the facts the template was rendered with."""
    facts = ctx["facts"]
    eta = None
    if facts["eta"]:
        hours, minutes = facts["eta"].split()[0].split(":")
        eta = NOW.replace(hour=int(hours), minute=int(minutes))
    return {"cause": facts["cause"], "eta": eta, "eta_estimate": eta, "impact": facts["impact"]}


def test_every_en_template_has_a_fr_twin_and_vice_versa():
    paths = set(LIB.available())
    assert len(paths) > 50
    for path in paths:
        stem, lang, ext = path.rsplit(".", 2)
        assert ext == "j2" and lang in ("en", "fr"), path
        twin = f"{stem}.{'fr' if lang == 'en' else 'en'}.j2"
        assert twin in paths, f"{path} has no {twin}"


def test_required_inventory_exists():
    paths = set(LIB.available())
    required = []
    for lang in ("en", "fr"):
        for phase in ACTIVE:
            for crisis in ("generic", "outage", "data_leak"):
                required.append(f"status/{crisis}/{phase}.{lang}.j2")
            for who in ("team", "ceo", "customers", "sms"):
                required.append(f"notify/generic/{who}.{phase}.{lang}.j2")
        for category in REPLY_CATEGORIES:
            required.append(f"replies/generic/{category}.{lang}.j2")
        required += [f"postmortem/generic/board.{lang}.j2", f"postmortem/generic/public.{lang}.j2"]
    assert sorted(set(required) - paths) == []


def test_lookup_prefers_crisis_type_then_falls_back_to_generic():
    ctx = example_context("en", crisis_type="outage")
    assert (
        LIB.render(
            "status", name="investigating", crisis_type="outage", lang="en", context=ctx
        ).template
        == "status/outage/investigating.en.j2"
    )
    degraded = example_context("en", crisis_type="degraded")
    assert (
        LIB.render(
            "status", name="investigating", crisis_type="degraded", lang="en", context=degraded
        ).template
        == "status/generic/investigating.en.j2"
    )


def test_missing_template_is_a_clear_error():
    with pytest.raises(TemplateMissing) as exc:
        LIB.render(
            "notify",
            name="board.fixing",
            crisis_type="outage",
            lang="en",
            context=example_context("en"),
        )
    assert exc.value.kind == "notify" and exc.value.name == "board.fixing"
    assert "notify/generic/board.fixing.en.j2" in str(exc.value)
    with pytest.raises(TemplateMissing):
        LIB.render(
            "status",
            name="investigating",
            crisis_type="outage",
            lang="de",
            context=example_context("en"),
        )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "html", "name": "investigating", "crisis_type": "outage", "lang": "en"},
        {"kind": "status", "name": "../../etc/passwd", "crisis_type": "outage", "lang": "en"},
        {"kind": "status", "name": "investigating", "crisis_type": "../notify", "lang": "en"},
    ],
)
def test_invalid_lookup_arguments_are_rejected(kwargs):
    with pytest.raises(ValueError):
        LIB.render(**kwargs, context=example_context("en"))


def test_subject_is_split_off_for_email_like_messages_only():
    ctx = example_context("fr")
    team = LIB.render(
        "notify", name="team.investigating", crisis_type="outage", lang="fr", context=ctx
    )
    assert isinstance(team, Rendered)
    assert team.subject.startswith("[Incident n° 12 · majeure] En cours d'analyse")
    assert not team.body.startswith("Subject")
    for kind, name in (
        ("status", "investigating"),
        ("notify", "sms.investigating"),
        ("replies", "outage_complaint"),
    ):
        rendered = LIB.render(kind, name=name, crisis_type="outage", lang="fr", context=ctx)
        assert rendered.subject == "" and "Subject" not in rendered.body


def test_strict_undefined_and_whitespace_cleanup(tmp_path):
    (tmp_path / "status" / "generic").mkdir(parents=True)
    (tmp_path / "status" / "generic" / "investigating.en.j2").write_text(
        "\n\nSubject: Hi {{ brand.name }}\n\n\nline one   \n\n\n\n\nline two\n\n"
    )
    (tmp_path / "status" / "generic" / "identified.en.j2").write_text("{{ facts.typo }}")
    lib = TemplateLibrary(tmp_path)
    out = lib.render(
        "status",
        name="investigating",
        crisis_type="x",
        lang="en",
        context={"brand": {"name": "Nimbus"}},
    )
    assert out == Rendered(
        "Hi Nimbus", "line one\n\nline two", "status/generic/investigating.en.j2"
    )
    with pytest.raises(UndefinedError):
        lib.render("status", name="identified", crisis_type="x", lang="en", context={"facts": {}})
    assert lib.available() == [
        "status/generic/identified.en.j2",
        "status/generic/investigating.en.j2",
    ]


def test_sandbox_blocks_unsafe_templates_and_does_not_evaluate_user_text(tmp_path):
    (tmp_path / "replies" / "generic").mkdir(parents=True)
    (tmp_path / "replies" / "generic" / "praise.en.j2").write_text(
        "{{ ''.__class__.__mro__[1].__subclasses__() }}"
    )
    with pytest.raises(SecurityError):
        TemplateLibrary(tmp_path).render(
            "replies", name="praise", crisis_type="x", lang="en", context={}
        )
    ctx = example_context("en")
    ctx["mention"]["author"] = "@evil {{ 7 * 7 }}"
    body = LIB.render(
        "replies", name="outage_complaint", crisis_type="outage", lang="en", context=ctx
    ).body
    assert "{{ 7 * 7 }}" in body and "49" not in body


def _every_message(lang, crisis_type, phase, ctx):
    """(kind, name, audience, channel) for every message of one incident update."""
    jobs = [("status", phase, "customers", None)]
    for who in ("team", "ceo", "customers"):
        jobs.append(("notify", f"{who}.{phase}", who, None))
    jobs.append(("notify", f"sms.{phase}", "customers", "sms"))
    for category in REPLY_CATEGORIES:
        jobs.append(("replies", category, "customers", "x"))
    return jobs


def _variants():
    for crisis_type in ("outage", "data_leak", "degraded", "billing"):
        for lang in ("en", "fr"):
            for phase in ACTIVE:
                yield (
                    crisis_type,
                    lang,
                    phase,
                    example_context(lang, phase=phase, crisis_type=crisis_type),
                )
            # Engineering has the cause but no ETA yet: messages must say the ETA is unknown.
            ctx = example_context(lang, phase="fixing", crisis_type=crisis_type)
            ctx["facts"]["eta"] = None
            yield crisis_type, lang, "fixing", ctx


@pytest.mark.parametrize(
    "crisis_type, lang, phase, ctx",
    list(_variants()),
    ids=lambda v: v if isinstance(v, str) else ("eta" if v["facts"]["eta"] else "no-eta"),
)
def test_every_rendered_message_lints_clean_of_errors(crisis_type, lang, phase, ctx):
    update = []
    for kind, name, audience, channel in _every_message(lang, crisis_type, phase, ctx):
        rendered = LIB.render(kind, name=name, crisis_type=crisis_type, lang=lang, context=ctx)
        errors = [
            f
            for f in lint(
                rendered.body,
                audience=audience,
                phase=phase,
                lang=lang,
                channel=channel,
                facts=raw_facts(ctx),
                now=NOW,
            )
            if f.severity == "error"
        ]
        assert errors == [], f"{rendered.template}:\n{rendered.body}\n{errors}"
        if kind in ("status", "notify") and audience in ("customers", "team", "ceo"):
            # Customer- and staff-facing messages acknowledge an unknown cause.
            assert not [
                f
                for f in lint(
                    rendered.body, audience=audience, phase=phase, lang=lang, facts=raw_facts(ctx)
                )
                if f.rule == "truth"
            ], rendered.body
        if rendered.subject:
            assert check("x", rendered.subject) is None  # subjects stay short
        update.append(rendered.body)
    assert consistency(update) == []


@pytest.mark.parametrize("crisis_type", ["outage", "data_leak"])
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_postmortems_are_blameless_and_complete(crisis_type, lang):
    ctx = example_context(lang, phase="postmortem", crisis_type=crisis_type)
    board = LIB.render("postmortem", name="board", crisis_type=crisis_type, lang=lang, context=ctx)
    public = LIB.render(
        "postmortem", name="public", crisis_type=crisis_type, lang=lang, context=ctx
    )
    for rendered, audience in ((board, "board"), (public, "customers")):
        assert rendered.subject
        assert not [
            f
            for f in lint(
                rendered.body,
                audience=audience,
                phase="postmortem",
                lang=lang,
                facts=raw_facts(ctx),
            )
            if f.severity == "error"
        ]
    for section in (
        ("Severity", "Impact", "Timeline", "Cause", "Lessons")
        if lang == "en"
        else ("Gravité", "Impact", "Chronologie", "Origine", "Enseignements")
    ):
        assert f"\n{section}\n" in board.body
    assert ctx["facts"]["cause"][1:] in board.body


def test_board_postmortem_uses_optional_timeline_and_lessons():
    ctx = example_context("en", phase="postmortem")
    ctx["facts"]["timeline"] = [("09:52 UTC", "alerts fired"), ("10:04 UTC", "incident declared")]
    ctx["facts"]["lessons"] = "Config changes now go through a canary region first."
    body = LIB.render("postmortem", name="board", crisis_type="outage", lang="en", context=ctx).body
    assert "- 09:52 UTC: alerts fired" in body and "canary region" in body
    assert "[To complete after the review meeting" not in body


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_eta_only_when_known(lang):
    with_eta = example_context(lang, phase="fixing")
    body = LIB.render(
        "status", name="fixing", crisis_type="outage", lang=lang, context=with_eta
    ).body
    assert ("14:30 UTC" if lang == "en" else "14 h 30 UTC") in body
    without = example_context(lang, phase="fixing")
    without["facts"]["eta"] = None
    body = LIB.render(
        "status", name="fixing", crisis_type="outage", lang=lang, context=without
    ).body
    assert "14:30" not in body
    assert ("cannot yet say when" in body) if lang == "en" else ("pas encore" in body)
    investigating = LIB.render(
        "status",
        name="investigating",
        crisis_type="outage",
        lang=lang,
        context=example_context(lang),
    ).body
    assert ("cannot give" in investigating) if lang == "en" else ("ne pouvons pas" in investigating)


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("phase", ACTIVE)
def test_sms_is_gsm7_and_replies_fit_x(lang, phase):
    for crisis_type in ("outage", "data_leak"):
        ctx = example_context(lang, phase=phase, crisis_type=crisis_type)
        sms = LIB.render(
            "notify", name=f"sms.{phase}", crisis_type=crisis_type, lang=lang, context=ctx
        ).body
        assert sms_segments(sms)[0] == "GSM-7" and sms_segments(sms)[1] <= 2, sms
        for category in REPLY_CATEGORIES:
            reply = LIB.render(
                "replies", name=category, crisis_type=crisis_type, lang=lang, context=ctx
            ).body
            assert length("x", reply) <= 280, reply
            assert reply.startswith(ctx["mention"]["author"] + " ")
            assert ctx["mention"]["text"] not in reply  # never echo a stranger's words


def test_rumour_reply_cites_the_official_statement():
    ctx = example_context("en")
    assert (
        ctx["brand"]["status_url"]
        in LIB.render("replies", name="rumour", crisis_type="outage", lang="en", context=ctx).body
    )
    ctx["statement_url"] = "https://nimbus.example/statement"
    body = LIB.render("replies", name="rumour", crisis_type="outage", lang="en", context=ctx).body
    assert body.endswith("https://nimbus.example/statement")


def test_example_context_follows_the_contract():
    for lang in ("en", "fr"):
        ctx = example_context(lang)
        assert set(ctx) == {"brand", "incident", "facts", "mention", "statement_url"}
        assert set(ctx["facts"]) == {
            "impact",
            "known",
            "unknown",
            "cause",
            "actions",
            "eta",
            "next_update",
        }
        assert set(ctx["incident"]) == {
            "id",
            "title",
            "crisis_type",
            "severity",
            "phase",
            "declared_at",
        }
        assert ctx["facts"]["cause"] is None and ctx["facts"]["eta"] is None
        assert not ctx["facts"]["impact"].endswith(".")
    fixing = example_context("fr", phase="fixing", crisis_type="data_leak")
    assert fixing["facts"]["cause"] and fixing["facts"]["eta"]


def test_a_fact_not_yet_given_drops_its_line_instead_of_printing_a_blank():
    ctx = example_context("en", phase="investigating")
    ctx["facts"]["known"] = ""
    body = TemplateLibrary().render("notify", name="team.investigating", crisis_type="outage",
                                    lang="en", context=ctx).body
    assert "What we know" not in body and ": ." not in body
    assert ctx["facts"]["impact"] in body
