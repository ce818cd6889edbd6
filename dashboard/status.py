"""The public status page: server-rendered HTML (no JavaScript), shared with customers.

Only published updates appear (approved drafts the outbox delivered to the status page),
never the internal incident state. Jinja autoescapes everything interpolated.
"""

from __future__ import annotations

import flask

from dashboard import data
from dashboard.context import current

TEXT = {
    "en": {"operational": "All systems operational", "ongoing": "Ongoing incident",
           "updates": "Updates", "none": "No incidents reported.", "updated": "Page updated",
           "phases": {"investigating": "Investigating", "identified": "Identified",
                      "fixing": "Fix in progress", "monitoring": "Monitoring",
                      "resolved": "Resolved", "postmortem": "Post-incident report"},
           "title": "Status"},
    "fr": {"operational": "Tous les services fonctionnent normalement",
           "ongoing": "Incident en cours", "updates": "Mises à jour",
           "none": "Aucun incident signalé.", "updated": "Page mise à jour",
           "phases": {"investigating": "Analyse en cours", "identified": "Cause identifiée",
                      "fixing": "Correction en cours", "monitoring": "Surveillance",
                      "resolved": "Résolu", "postmortem": "Rapport d'incident"},
           "title": "État des services"},
}

PAGE = """<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="30">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ brand }} · {{ t.title }}</title>
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
.state small{display:block;font-size:15px;font-weight:500;margin-top:4px}
h2{font-size:18px;border-bottom:1px solid #cbd5e1;padding-bottom:6px}
article{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:14px 16px;margin:12px 0}
.meta{font-size:14px;color:#475569;margin-bottom:6px}
.phase{display:inline-block;font-weight:700;color:#0f172a;margin-right:8px}
.body{white-space:pre-wrap;word-wrap:break-word}
footer{font-size:13px;color:#64748b;margin-top:32px}
</style></head><body><main>
<header><h1>{{ brand }} · {{ t.title }}</h1>
<nav><a href="?lang=en" class="{{ 'on' if lang == 'en' }}">English</a>
<a href="?lang=fr" class="{{ 'on' if lang == 'fr' }}">Français</a></nav></header>
{% if page.incidents %}
  {% for i in page.incidents %}
  <div class="state bad" id="state">{{ t.ongoing }}: {{ i.title }}
    <small>{{ t.phases.get(i.phase, i.phase) }} · {{ i.updated_at.strftime('%H:%M UTC, %d %b %Y') }}</small></div>
  {% endfor %}
{% else %}
  <div class="state ok" id="state">{{ t.operational }}</div>
{% endif %}
<h2>{{ t.updates }}</h2>
{% for p in page.posts %}
<article><div class="meta"><span class="phase">{{ t.phases.get(p.phase, p.phase) }}</span>
{{ p.title }} · {{ p.published_at.strftime('%H:%M UTC, %d %b %Y') }}</div>
<div class="body">{{ p.body }}</div></article>
{% else %}
<p>{{ t.none }}</p>
{% endfor %}
<footer>{{ t.updated }}: {{ now.strftime('%H:%M UTC, %d %b %Y') }}</footer>
</main></body></html>"""


def _lang() -> str:
    lang = flask.request.args.get("lang", "en")
    return lang if lang in TEXT else "en"


def init_status(server: flask.Flask) -> None:
    @server.route("/status")
    def status_html():
        ctx, lang = current(), _lang()
        with ctx.store.session() as session:
            page = data.status_page(session, lang)
        html = flask.render_template_string(PAGE, page=page, lang=lang, t=TEXT[lang],
                                            brand=ctx.brand.name, now=ctx.clock())
        response = flask.make_response(html)
        response.headers["Cache-Control"] = "no-cache"
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'")
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    @server.route("/status.json")
    def status_json():
        ctx, lang = current(), _lang()
        with ctx.store.session() as session:
            page = data.status_page(session, lang)

        def iso(at):
            return at.isoformat() + "Z" if at else None

        return flask.jsonify({
            "brand": ctx.brand.name, "lang": lang, "generated_at": iso(ctx.clock()),
            "state": page["state"],
            "incidents": [{**i, "updated_at": iso(i["updated_at"])} for i in page["incidents"]],
            "updates": [{**p, "published_at": iso(p["published_at"])} for p in page["posts"]],
        })
