"""The public status page: server-rendered HTML (no JavaScript), shared with customers, plus
the same in JSON (`/status.json`), RSS 2.0 (`/status.rss`) and Atom (`/status.atom`).

Only published things appear: updates the outbox delivered to the status page, the
configured components and their state, and maintenance a human scheduled; never the
internal incident state. Jinja autoescapes everything interpolated into the HTML; the feeds
are built with ElementTree (which escapes) after dropping characters XML cannot carry.
"""

from __future__ import annotations

import flask

from dashboard import data
from dashboard.context import current
from dashboard.public import queries
from dashboard.public.feeds import atom, entries, rss
from dashboard.public.subscribe import init_subscriptions
from dashboard.public.text import TEXT, when

# Everything here is public; dashboard.auth must let these through the login wall.
PUBLIC_PATHS = ("/status", "/status.json", "/status.rss", "/status.atom", "/status/subscribe",
                "/status/subscribe/webhook")
# The subscriber links carry their own proof (a secret token) instead of a login.
PUBLIC_PREFIXES = ("/status/confirm/", "/status/unsubscribe/")


PAGE = """<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="30">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ brand }} · {{ t.title }}</title>
<link rel="alternate" type="application/atom+xml" href="/status.atom?lang={{ lang }}">
<link rel="alternate" type="application/rss+xml" href="/status.rss?lang={{ lang }}">
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f8fafc;
color:#0f172a;line-height:1.5}
main{max-width:760px;margin:0 auto;padding:24px 16px 48px}
header{display:flex;justify-content:space-between;align-items:center;margin-bottom:20px}
h1{font-size:24px;margin:0} nav a{margin-left:12px;color:#1d4ed8;font-weight:600}
nav a.on{color:#0f172a;text-decoration:none}
.state{padding:18px 20px;border-radius:10px;font-size:20px;font-weight:700;margin-bottom:28px}
.ok{background:#dcfce7;color:#14532d;border:1px solid #86efac}
.bad{background:#fee2e2;color:#7f1d1d;border:1px solid #fca5a5}
.warn{background:#fef9c3;color:#713f12;border:1px solid #fde047}
.maint{background:#dbeafe;color:#1e3a8a;border:1px solid #93c5fd}
.state small{display:block;font-size:15px;font-weight:500;margin-top:4px}
h2{font-size:18px;border-bottom:1px solid #cbd5e1;padding-bottom:6px}
h3{font-size:16px;margin:18px 0 4px}
ul.comps{list-style:none;padding:0;margin:0 0 24px;background:#fff;border:1px solid #e2e8f0;
border-radius:8px}
ul.comps li{display:flex;justify-content:space-between;padding:10px 16px;
border-top:1px solid #e2e8f0} ul.comps li:first-child{border-top:0}
.c-operational{color:#15803d}.c-degraded{color:#a16207}.c-partial_outage{color:#c2410c}
.c-major_outage{color:#b91c1c}.c-maintenance{color:#1d4ed8}.c-checking{color:#a16207}
article{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:14px 16px;margin:12px 0}
.meta{font-size:14px;color:#475569;margin-bottom:6px}
.phase{display:inline-block;font-weight:700;color:#0f172a;margin-right:8px}
.body{white-space:pre-wrap;word-wrap:break-word}
#subscribe{margin-top:28px} #subscribe label{display:block;font-weight:600;margin-bottom:4px}
#subscribe input{padding:7px 9px;font-size:15px;border:1px solid #94a3b8;border-radius:6px}
#subscribe button{padding:7px 12px;font-size:15px;font-weight:700;background:#1d4ed8;color:#fff;
border:0;border-radius:6px}
footer{font-size:13px;color:#64748b;margin-top:32px} footer a{color:#1d4ed8;margin-left:8px}
</style></head><body><main>
<header><h1>{{ brand }} · {{ t.title }}</h1>
<nav><a href="?lang=en" class="{{ 'on' if lang == 'en' }}">English</a>
<a href="?lang=fr" class="{{ 'on' if lang == 'fr' }}">Français</a></nav></header>
{% if page.incidents %}
  {% for i in page.incidents %}
  <div class="state bad" id="state">{{ t.ongoing }}{{ t.colon }} {{ i.title }}
    <small>{{ t.phases.get(i.phase, i.phase) }} · {{ when(i.updated_at) }}{% if i.next_update_at %}
      · <span class="next-update">{{ t.next_update }} {{ when(i.next_update_at) }}</span>{% endif %}</small></div>
  {% endfor %}
{% elif overall == 'operational' %}
  <div class="state ok" id="state">{{ t.operational }}</div>
{% else %}
  <div class="state {{ 'maint' if overall == 'maintenance' else 'warn' }}" id="state">{{ t.overall[overall] }}</div>
{% endif %}
{% if components %}
<h2>{{ t.components }}</h2>
<ul class="comps" id="components">{% for c in components %}
<li id="component-{{ c.key }}"><span>{{ c.name }}</span><span class="c-{{ c.state }}">{{ t.states[c.state] }}</span></li>
{% endfor %}</ul>
{% endif %}
{% if windows %}
<h2>{{ t.maintenance }}</h2>
{% for m in windows %}
<article id="maintenance-{{ m.id }}" class="maintenance"><div class="meta">
{% if m.in_progress %}<span class="phase">{{ t.in_progress }}</span>{% endif %}
{{ t.from }} {{ when(m.starts_at) }} {{ t.to }} {{ when(m.ends_at) }}</div>
<div><b>{{ m.title }}</b></div>{% if m.body %}<div class="body">{{ m.body }}</div>{% endif %}</article>
{% endfor %}
{% endif %}
<h2>{{ t.updates }}</h2>
{% for g in groups %}
{% if not g.ongoing and (loop.first or groups[loop.index0 - 1].ongoing) %}<h3>{{ t.past }}</h3>{% endif %}
<section class="incident" id="incident-{{ g.incident_id }}">
{% for p in g.updates %}
<article id="update-{{ p.id }}"><div class="meta"><span class="phase">{{ t.phases.get(p.phase, p.phase) }}</span>
{{ p.title }} · {{ when(p.published_at) }}</div>
<div class="body">{{ p.body }}</div></article>
{% endfor %}
</section>
{% else %}
<p>{{ t.none_yet if page.incidents else t.none }}</p>
{% endfor %}
<form method="post" action="/status/subscribe" id="subscribe">
<label for="sub-email">{{ t.get_updates }}</label>
<input id="sub-email" name="email" type="email" required maxlength="254" placeholder="{{ t.email }}">
<input type="hidden" name="lang" value="{{ lang }}">
<button type="submit">{{ t.feeds }}</button></form>
<footer>{{ t.updated }}{{ t.colon }} {{ when(now) }} · {{ t.feeds }}{{ t.colon }}
<a href="/status.atom?lang={{ lang }}">Atom</a><a href="/status.rss?lang={{ lang }}">RSS</a>
<a href="/status.json?lang={{ lang }}">JSON</a></footer>
</main></body></html>"""


def _lang() -> str:
    lang = flask.request.args.get("lang", "en")
    return lang if lang in TEXT else "en"


def public_status(session, lang: str, now) -> dict:
    """Everything the public page, JSON and feeds show, in `lang`."""
    page = queries.localised_titles(session, data.status_page(session, lang), lang)
    windows = queries.maintenance(session, lang, now)
    comps = queries.no_false_all_clear(queries.components(session, lang, now, windows),
                                       page["incidents"])
    return {"page": page, "windows": windows, "components": comps,
            "overall": queries.overall(page, comps, windows),
            "groups": queries.by_incident(page["posts"], page["incidents"])}


def _public(response):
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def init_status(server: flask.Flask) -> None:
    @server.route("/status")
    def status_html():
        ctx, lang = current(), _lang()
        now = ctx.clock()
        with ctx.store.session() as session:
            status = public_status(session, lang, now)
        zone = ctx.brand.tz_for(lang)
        html = flask.render_template_string(PAGE, lang=lang, t=TEXT[lang],
                                            when=lambda at: when(at, lang, zone),
                                            brand=ctx.brand.name, now=now, **status)
        response = _public(flask.make_response(html))
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'")
        return response

    init_subscriptions(server)

    @server.route("/status.json")
    def status_json():
        ctx, lang = current(), _lang()
        now = ctx.clock()
        with ctx.store.session() as session:
            status = public_status(session, lang, now)
        page = status["page"]

        def iso(at):
            return at.isoformat() + "Z" if at else None

        return _public(flask.jsonify({
            "brand": ctx.brand.name, "lang": lang, "generated_at": iso(now),
            "state": page["state"], "overall": status["overall"],
            "incidents": [{**i, "updated_at": iso(i["updated_at"]),
                           "next_update_at": iso(i.get("next_update_at"))}
                          for i in page["incidents"]],
            "updates": [{**p, "published_at": iso(p["published_at"])} for p in page["posts"]],
            "components": [{**c, "updated_at": iso(c["updated_at"])}
                           for c in status["components"]],
            "maintenance": [{**m, "starts_at": iso(m["starts_at"]), "ends_at": iso(m["ends_at"]),
                             "announced_at": iso(m["announced_at"])} for m in status["windows"]],
        }))

    def feed(build, mimetype):
        ctx, lang = current(), _lang()
        now = ctx.clock()
        with ctx.store.session() as session:
            status = public_status(session, lang, now)
        page_url = ctx.brand.status_url.split("?")[0].split("#")[0]
        body = build(ctx.brand.name, lang, page_url, flask.request.url,
                     entries(status, lang, page_url), now)
        return _public(flask.Response(body, mimetype=mimetype))

    @server.route("/status.atom")
    def status_atom():
        return feed(atom, "application/atom+xml")

    @server.route("/status.rss")
    def status_rss():
        return feed(rss, "application/rss+xml")
