"""The public status page: server-rendered HTML (no JavaScript), shared with customers, plus
the same in JSON (`/status.json`), RSS 2.0 (`/status.rss`) and Atom (`/status.atom`).

Only published things appear: updates the outbox delivered to the status page, the
configured components and their state, and maintenance a human scheduled; never the
internal incident state. Jinja autoescapes everything interpolated into the HTML; the feeds
are built with ElementTree (which escapes) after dropping characters XML cannot carry.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC
from email.utils import format_datetime

import flask

from dashboard import data, status_data
from dashboard.context import current
from dashboard.status_subscribe import init_subscriptions

# Everything here is public; dashboard.auth must let these through the login wall.
PUBLIC_PATHS = ("/status", "/status.json", "/status.rss", "/status.atom", "/status/subscribe",
                "/status/subscribe/webhook")
# The subscriber links carry their own proof (a secret token) instead of a login.
PUBLIC_PREFIXES = ("/status/confirm/", "/status/unsubscribe/")

TEXT = {
    "en": {"operational": "All systems operational", "ongoing": "Ongoing incident",
           "updates": "Updates", "none": "No incidents reported.", "updated": "Page updated",
           "phases": {"investigating": "Investigating", "identified": "Identified",
                      "fixing": "Fix in progress", "monitoring": "Monitoring",
                      "resolved": "Resolved", "postmortem": "Post-incident report"},
           "title": "Status", "components": "Components", "maintenance": "Scheduled maintenance",
           "in_progress": "In progress", "from": "From", "to": "to", "past": "Past incidents",
           "feeds": "Subscribe", "email": "Email", "get_updates": "Get updates by email",
           "states": {"operational": "Operational", "degraded": "Degraded performance",
                      "partial_outage": "Partial outage", "major_outage": "Major outage",
                      "maintenance": "Under maintenance"},
           "overall": {"degraded": "Some systems are degraded",
                       "partial_outage": "Partial outage", "major_outage": "Major outage",
                       "maintenance": "Maintenance in progress"}},
    "fr": {"operational": "Tous les services fonctionnent normalement",
           "ongoing": "Incident en cours", "updates": "Mises à jour",
           "none": "Aucun incident signalé.", "updated": "Page mise à jour",
           "phases": {"investigating": "Analyse en cours", "identified": "Cause identifiée",
                      "fixing": "Correction en cours", "monitoring": "Surveillance",
                      "resolved": "Résolu", "postmortem": "Rapport d'incident"},
           "title": "État des services", "components": "Services",
           "maintenance": "Maintenance programmée", "in_progress": "En cours", "from": "Du",
           "to": "au", "past": "Incidents passés", "feeds": "S'abonner", "email": "E-mail",
           "get_updates": "Recevoir les mises à jour par e-mail",
           "states": {"operational": "Opérationnel", "degraded": "Performances dégradées",
                      "partial_outage": "Panne partielle", "major_outage": "Panne majeure",
                      "maintenance": "En maintenance"},
           "overall": {"degraded": "Certains services sont dégradés",
                       "partial_outage": "Panne partielle", "major_outage": "Panne majeure",
                       "maintenance": "Maintenance en cours"}},
}
WHEN = "%H:%M UTC, %d %b %Y"

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
.c-major_outage{color:#b91c1c}.c-maintenance{color:#1d4ed8}
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
  <div class="state bad" id="state">{{ t.ongoing }}: {{ i.title }}
    <small>{{ t.phases.get(i.phase, i.phase) }} · {{ i.updated_at.strftime(when) }}</small></div>
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
{{ t.from }} {{ m.starts_at.strftime(when) }} {{ t.to }} {{ m.ends_at.strftime(when) }}</div>
<div><b>{{ m.title }}</b></div>{% if m.body %}<div class="body">{{ m.body }}</div>{% endif %}</article>
{% endfor %}
{% endif %}
<h2>{{ t.updates }}</h2>
{% for g in groups %}
{% if not g.ongoing and (loop.first or groups[loop.index0 - 1].ongoing) %}<h3>{{ t.past }}</h3>{% endif %}
<section class="incident" id="incident-{{ g.incident_id }}">
{% for p in g.updates %}
<article id="update-{{ p.id }}"><div class="meta"><span class="phase">{{ t.phases.get(p.phase, p.phase) }}</span>
{{ p.title }} · {{ p.published_at.strftime(when) }}</div>
<div class="body">{{ p.body }}</div></article>
{% endfor %}
</section>
{% else %}
<p>{{ t.none }}</p>
{% endfor %}
<form method="post" action="/status/subscribe" id="subscribe">
<label for="sub-email">{{ t.get_updates }}</label>
<input id="sub-email" name="email" type="email" required maxlength="254" placeholder="{{ t.email }}">
<input type="hidden" name="lang" value="{{ lang }}">
<button type="submit">{{ t.feeds }}</button></form>
<footer>{{ t.updated }}: {{ now.strftime(when) }} · {{ t.feeds }}:
<a href="/status.atom?lang={{ lang }}">Atom</a><a href="/status.rss?lang={{ lang }}">RSS</a>
<a href="/status.json?lang={{ lang }}">JSON</a></footer>
</main></body></html>"""


def _lang() -> str:
    lang = flask.request.args.get("lang", "en")
    return lang if lang in TEXT else "en"


def public_status(session, lang: str, now) -> dict:
    """Everything the public page, JSON and feeds show, in `lang`."""
    page = data.status_page(session, lang)
    windows = status_data.maintenance(session, lang, now)
    comps = status_data.components(session, lang, now, windows)
    return {"page": page, "windows": windows, "components": comps,
            "overall": status_data.overall(page, comps, windows),
            "groups": status_data.by_incident(page["posts"], page["incidents"])}


# XML 1.0 cannot carry these even escaped; a stranger's text must not break the feed.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _x(text) -> str:
    return _NOT_XML.sub("", str(text or ""))


def _entries(status: dict, lang: str, page_url: str) -> list[dict]:
    """Feed entries, newest first: every update, and every maintenance announcement."""
    t = TEXT[lang]
    out = [{"id": f"{page_url}?lang={lang}#update-{p['id']}",
            "link": f"{page_url}?lang={lang}#update-{p['id']}",
            "title": f"{t['phases'].get(p['phase'], p['phase'])}: {p['title']}",
            "at": p["published_at"], "body": p["body"]} for p in status["page"]["posts"]]
    out += [{"id": f"{page_url}?lang={lang}#maintenance-{m['id']}",
             "link": f"{page_url}?lang={lang}#maintenance-{m['id']}",
             "title": f"{t['maintenance']}: {m['title']}", "at": m["announced_at"],
             "body": (f"{t['from']} {m['starts_at'].strftime(WHEN)} {t['to']} "
                      f"{m['ends_at'].strftime(WHEN)}\n\n{m['body']}").strip()}
            for m in status["windows"]]
    return sorted(out, key=lambda e: e["at"], reverse=True)


def _iso(at) -> str:
    return at.replace(microsecond=0).isoformat() + "Z"


def _sub(parent, tag: str, text=None, **attrs):
    el = ET.SubElement(parent, tag, {k.rstrip("_"): v for k, v in attrs.items()})
    if text is not None:
        el.text = _x(text)
    return el


def atom(brand: str, lang: str, page_url: str, self_url: str, entries: list[dict], now) -> bytes:
    ns = "http://www.w3.org/2005/Atom"
    feed = ET.Element("feed", {"xmlns": ns, "xml:lang": lang})
    _sub(feed, "id", f"{page_url}?lang={lang}")
    _sub(feed, "title", f"{brand} · {TEXT[lang]['title']}")
    _sub(feed, "updated", _iso(entries[0]["at"] if entries else now))
    _sub(feed, "link", rel="self", type="application/atom+xml", href=_x(self_url))
    _sub(feed, "link", rel="alternate", type="text/html", href=f"{page_url}?lang={lang}")
    _sub(_sub(feed, "author"), "name", brand)
    for e in entries:
        entry = _sub(feed, "entry")
        _sub(entry, "id", e["id"])
        _sub(entry, "title", e["title"])
        _sub(entry, "updated", _iso(e["at"]))
        _sub(entry, "published", _iso(e["at"]))
        _sub(entry, "link", rel="alternate", type="text/html", href=e["link"])
        _sub(entry, "content", e["body"], type="text")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def rss(brand: str, lang: str, page_url: str, self_url: str, entries: list[dict], now) -> bytes:
    def rfc822(at):

        return format_datetime(at.replace(tzinfo=UTC), usegmt=True)

    root = ET.Element("rss", {"version": "2.0", "xmlns:atom": "http://www.w3.org/2005/Atom"})
    channel = _sub(root, "channel")
    _sub(channel, "title", f"{brand} · {TEXT[lang]['title']}")
    _sub(channel, "link", f"{page_url}?lang={lang}")
    _sub(channel, "description", f"{brand} · {TEXT[lang]['updates']}")
    _sub(channel, "language", lang)
    _sub(channel, "lastBuildDate", rfc822(now))
    _sub(channel, "atom:link", rel="self", type="application/rss+xml", href=_x(self_url))
    for e in entries:
        item = _sub(channel, "item")
        _sub(item, "title", e["title"])
        _sub(item, "link", e["link"])
        _sub(item, "guid", e["id"], isPermaLink="false")
        _sub(item, "pubDate", rfc822(e["at"]))
        _sub(item, "description", e["body"])
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


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
        html = flask.render_template_string(PAGE, lang=lang, t=TEXT[lang], when=WHEN,
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
            "incidents": [{**i, "updated_at": iso(i["updated_at"])} for i in page["incidents"]],
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
                     _entries(status, lang, page_url), now)
        return _public(flask.Response(body, mimetype=mimetype))

    @server.route("/status.atom")
    def status_atom():
        return feed(atom, "application/atom+xml")

    @server.route("/status.rss")
    def status_rss():
        return feed(rss, "application/rss+xml")
