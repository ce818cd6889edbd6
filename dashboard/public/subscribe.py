"""The public status page's subscription routes (no login; see dashboard.public.page for the
paths the login wall lets through):

- POST /status/subscribe (form: email, lang): double opt-in; the confirmation mail goes out
  on the pipeline's next `notify_subscribers` run. The answer is the same whether the
  address was new or not, so the form tells nobody who is subscribed.
- GET/POST /status/confirm/<token>, GET/POST /status/unsubscribe/<token>: GET only shows a
  button, POST acts, because mail scanners open every link in a mail.
- POST /status/subscribe/webhook (JSON {url, lang}): confirmed at once; the answer carries
  the HMAC secret and the unsubscribe link, only when the subscription is new.

The two subscribe routes take at most `SUBSCRIBES_PER_CLIENT` requests per client address
per 10 minutes (then 429, with Retry-After), so one client cannot flood the table or the
outbound mail; a confirmation mail to one address is re-sent at most hourly
(`responders.subscribers.RESEND_CONFIRMATION_AFTER`). Every value shown is escaped.
"""

from __future__ import annotations

import flask
from markupsafe import escape

from dashboard.context import current
from dashboard.ratelimit import DbRateLimit, client_address, retry_after, retry_minutes
from responders import subscribers

SUBSCRIBES_PER_CLIENT = 10
SUBSCRIBE_WINDOW_S = 10 * 60

TEXT = {
    "en": {"check": "Check your inbox: we sent a link to confirm your subscription. "
                    "Nothing is sent until you confirm.",
           "bad": "That does not look right: {error}.", "unknown": "This link is not valid.",
           "confirm_q": "Confirm your subscription to status updates?",
           "confirm_b": "Confirm", "confirmed": "Subscribed: you will get every update.",
           "unsub_q": "Stop receiving status updates?", "unsub_b": "Unsubscribe",
           "unsubbed": "Unsubscribed: you will get nothing more.", "back": "Back to the status page",
           "slow": "Too many requests from your connection. Try again in {minutes} min."},
    "fr": {"check": "Consultez votre boîte de réception : nous avons envoyé un lien pour "
                    "confirmer votre abonnement. Rien n'est envoyé avant confirmation.",
           "bad": "Cela ne semble pas correct : {error}.", "unknown": "Ce lien n'est pas valide.",
           "confirm_q": "Confirmer votre abonnement aux mises à jour ?",
           "confirm_b": "Confirmer", "confirmed": "Abonné : vous recevrez chaque mise à jour.",
           "unsub_q": "Ne plus recevoir les mises à jour ?", "unsub_b": "Se désabonner",
           "unsubbed": "Désabonné : vous ne recevrez plus rien.",
           "back": "Retour à la page d'état",
           "slow": "Trop de demandes depuis votre connexion. Réessayez dans {minutes} min."},
}
CSP = ("default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")


def _page(brand: str, lang: str, text: str, status: int = 200, button: str | None = None):
    t = TEXT.get(lang, TEXT["en"])
    form = (f'<form method="post"><button type="submit">{escape(button)}</button></form>'
            if button else "")
    html = f"""<!doctype html>
<html lang="{escape(lang)}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>{escape(brand)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:560px;margin:40px auto;padding:0 16px;
color:#0f172a}} button{{padding:9px 16px;font-size:16px;font-weight:700;background:#1d4ed8;
color:#fff;border:0;border-radius:6px}} a{{color:#1d4ed8}}</style></head><body>
<h1>{escape(brand)}</h1><p id="message">{escape(text)}</p>{form}
<p><a href="/status?lang={escape(lang)}">{escape(t["back"])}</a></p></body></html>"""
    response = flask.make_response(html, status)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _lang(value) -> str:
    return value if value in subscribers.LANGS else "en"


def init_subscriptions(server: flask.Flask) -> None:
    limit = DbRateLimit("subscribe", SUBSCRIBES_PER_CLIENT, SUBSCRIBE_WINDOW_S)

    @server.route("/status/subscribe", methods=["POST"])
    def status_subscribe():
        ctx = current()
        lang = _lang(flask.request.form.get("lang"))
        t = TEXT[lang]
        if wait := limit.take(ctx.store, client_address()):
            page = _page(ctx.brand.name, lang, t["slow"].format(minutes=retry_minutes(wait)), 429)
            page.headers.update(retry_after(wait))
            return page
        try:
            with ctx.store.session() as session:
                subscribers.subscribe(session, "email", flask.request.form.get("email", ""),
                                      lang, ctx.clock())
        except ValueError as exc:
            return _page(ctx.brand.name, lang, t["bad"].format(error=exc), 400)
        return _page(ctx.brand.name, lang, t["check"])

    @server.route("/status/subscribe/webhook", methods=["POST"])
    def status_subscribe_webhook():
        ctx = current()
        if wait := limit.take(ctx.store, client_address()):
            return flask.jsonify(error="too many requests"), 429, retry_after(wait)
        body = flask.request.get_json(silent=True)
        if not isinstance(body, dict):
            return flask.jsonify(error="send JSON: {\"url\": \"https://...\", \"lang\": \"en\"}"), 400
        lang = body.get("lang", "en")
        try:
            with ctx.store.session() as session:
                row = subscribers.subscribe(session, "webhook", str(body.get("url") or ""),
                                            lang if isinstance(lang, str) else "", ctx.clock())
                fresh, token, address = row.fresh, row.token, row.address
        except ValueError as exc:
            return flask.jsonify(error=str(exc)), 400
        if not fresh:  # never hand someone else's secret to whoever posts their URL
            return flask.jsonify(status="already subscribed", url=address), 200
        return flask.jsonify(
            status="subscribed", url=address, lang=lang, secret=token,
            signature="X-Crisiswatch-Signature: sha256=HMAC-SHA256(secret, raw body)",
            unsubscribe_url=subscribers.link(ctx.brand.status_url, "unsubscribe", token),
        ), 201

    def token_page(token: str, act, question: str, button: str, done: str):
        ctx = current()
        with ctx.store.session() as session:
            row = subscribers.by_token(session, token)
            lang = row.lang if row else _lang(flask.request.args.get("lang"))
            if row is not None and flask.request.method == "POST":
                row = act(session, token, ctx.clock())
        t = TEXT[_lang(lang)]
        if row is None:
            return _page(ctx.brand.name, lang, t["unknown"], 404)
        if flask.request.method == "GET":
            return _page(ctx.brand.name, lang, t[question], button=t[button])
        return _page(ctx.brand.name, lang, t[done])

    @server.route("/status/confirm/<token>", methods=["GET", "POST"])
    def status_confirm(token):
        return token_page(token, subscribers.confirm, "confirm_q", "confirm_b", "confirmed")

    @server.route("/status/unsubscribe/<token>", methods=["GET", "POST"])
    def status_unsubscribe(token):
        return token_page(token, subscribers.unsubscribe, "unsub_q", "unsub_b", "unsubbed")
