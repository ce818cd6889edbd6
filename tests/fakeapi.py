"""A local fake HTTP API for collector tests: scripted replies per (method, path), every
request recorded, served from a thread. Client libraries talk to it through their own
base-URL options, or through `mount_rewrite` (a requests adapter that sends
https://any-host/... to the fake server) when they have none.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self
from urllib.parse import parse_qs, urlsplit, urlunsplit

from requests.adapters import HTTPAdapter


@dataclass
class Reply:
    status: int = 200
    json: object = None
    body: bytes | str | None = None
    headers: dict = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"


@dataclass
class Seen:
    method: str
    path: str
    query: dict  # name -> last value
    headers: dict
    body: bytes


Handler = Callable[[Seen], Reply]


class FakeAPI:
    """Routes: a list of Replies (served in order, the last one repeated) or a function of
    the request. Unknown routes answer 404 with the path, so a test fails loudly."""

    def __init__(self):
        self.routes: dict[tuple[str, str], list[Reply] | Handler] = {}
        self.seen: list[Seen] = []
        self.counts: dict[tuple[str, str], int] = defaultdict(int)
        api = self

        class _H(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _serve(self):
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                seen = Seen(self.command, parts.path.rstrip("/") or "/",
                            {k: v[-1] for k, v in parse_qs(parts.query).items()},
                            dict(self.headers), self.rfile.read(length) if length else b"")
                api.seen.append(seen)
                reply = api.reply(seen)
                body = reply.body if reply.body is not None else json.dumps(reply.json).encode()
                if isinstance(body, str):
                    body = body.encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(body)))
                for k, v in reply.headers.items():
                    self.send_header(k, str(v))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _H)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def route(self, method: str, path: str, *replies: Reply | Handler) -> None:
        self.routes[(method, path)] = (replies[0] if len(replies) == 1 and callable(replies[0])
                                       else list(replies))

    def reply(self, seen: Seen) -> Reply:
        key = (seen.method, seen.path)
        self.counts[key] += 1
        route = self.routes.get(key)
        if route is None:
            return Reply(404, {"error": f"no route {seen.method} {seen.path}"})
        if callable(route):
            return route(seen)
        return route.pop(0) if len(route) > 1 else route[0]

    def calls(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


class RewriteAdapter(HTTPAdapter):
    """Sends every request to `base` keeping path and query (tweepy, zenpy)."""

    def __init__(self, base: str):
        super().__init__(max_retries=0)
        self.base = urlsplit(base)

    def send(self, request, **kwargs):
        parts = urlsplit(request.url)
        request.url = urlunsplit((self.base.scheme, self.base.netloc, parts.path, parts.query, ""))
        return super().send(request, **kwargs)


def mount_rewrite(session, base: str) -> None:
    adapter = RewriteAdapter(base)
    session.mount("https://", adapter)
    session.mount("http://", adapter)


class Sleeps(list):
    """An injectable `sleep` that records instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
