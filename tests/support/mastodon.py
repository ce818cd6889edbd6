"""A Mastodon `POST /api/v1/statuses` for the fake HTTP server, shaped like the documented
Status entity and honouring Idempotency-Key like Mastodon does (a repeated key posts once).
Used by the Mastodon channel tests and by the outbox's crash-and-retry test."""

from __future__ import annotations

from tests.support.fake_http import Reply, Request


def status_json(id_: str, text: str, reply_to: str | None = None) -> dict:
    return {"id": id_, "uri": f"https://social.example/users/nimbus/statuses/{id_}",
            "url": f"https://social.example/@nimbus/{id_}", "created_at": "2026-03-10T10:00:00Z",
            "content": f"<p>{text}</p>", "visibility": "public", "in_reply_to_id": reply_to,
            "account": {"id": "1", "username": "nimbus", "acct": "nimbus"}}


def mastodon_fields(req: Request) -> dict:
    """Mastodon.py posts a form, or JSON when a field needs it."""
    return req.form if "form" in req.headers.get("content-type", "") else req.json


class MastodonServer:
    """A route handler: `fake.route("POST", "/api/v1/statuses", MastodonServer())`."""

    def __init__(self):
        self.posted: dict[str, dict] = {}
        self.count = 0

    def __call__(self, req: Request) -> Reply:
        fields = mastodon_fields(req)
        key = req.headers.get("idempotency-key")
        if key in self.posted:
            return Reply(200, self.posted[key])
        self.count += 1
        status = status_json(str(110000 + self.count), fields["status"],
                             fields.get("in_reply_to_id"))
        if key:
            self.posted[key] = status
        return Reply(200, status)
