"""The one fake HTTP server of the test suite: a local server in a thread that the real
client libraries (requests, tweepy, praw, Mastodon.py, atproto, zenpy, feedparser) talk to.

It records every request (`requests`, `calls(path, method)`) and answers from a route table:
`route(METHOD, path, *replies)` takes `Reply`s, served in order with the last one repeated,
or one function of the `Request` returning a `Reply`. METHOD and path may be "*" (any), so a
receiver that takes whatever is posted is `route("*", "*", ...)`. Trailing slashes do not
matter for matching. An unrouted request gets a 404 naming it, so a test fails loudly.
`Reply.delay` makes the server hang before it answers (timeouts); `tls=` serves HTTPS and
records the name each client asked for (SNI) in `server_names`.

Also here: `mount_rewrite` (send a requests session's https://any-host/... to the fake),
`Sleeps` (an injectable `sleep` that records), `free_port` and `dead_url` (nothing listens).
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self
from urllib.parse import parse_qs, urlsplit, urlunsplit

from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict

ANY = "*"


@dataclass
class Reply:
    status: int = 200
    json: object = None  # sent as JSON unless `body` is given
    body: bytes | str | None = None
    headers: dict = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"
    delay: float = 0.0  # seconds to wait before answering


@dataclass
class Request:
    method: str
    path: str  # without the query string
    target: str  # the request target as sent: path and query
    query: dict[str, str]  # name -> last value
    query_lists: dict[str, list[str]]  # name -> every value
    headers: CaseInsensitiveDict
    body: bytes

    @property
    def json(self):
        return json.loads(self.body or b"null")

    @property
    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


Handler = Callable[[Request], Reply]


def _key(path: str) -> str:
    return path if path == ANY else (path.rstrip("/") or "/")


class FakeServer:
    """Started when made; close() or leave the `with` block to stop it."""

    def __init__(self, tls: ssl.SSLContext | None = None, port: int = 0):
        """`port` 0 picks a free one; a given port restarts a receiver where it was."""
        self.routes: dict[tuple[str, str], list[Reply] | Handler] = {}
        self.requests: list[Request] = []
        self.counts: dict[tuple[str, str], int] = defaultdict(int)
        self.server_names: list[str | None] = []  # TLS SNI, one per handshake
        fake = self

        class _Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def _serve(self):
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                lists = parse_qs(parts.query)
                req = Request(self.command, parts.path, self.path,
                              {k: v[-1] for k, v in lists.items()}, lists,
                              CaseInsensitiveDict(self.headers.items()),
                              self.rfile.read(length) if length else b"")
                fake.requests.append(req)
                reply = fake.reply(req)
                if reply.delay:
                    time.sleep(reply.delay)
                body = reply.body if reply.body is not None else json.dumps(reply.json).encode()
                if isinstance(body, str):
                    body = body.encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", reply.content_type)
                    self.send_header("Content-Length", str(len(body)))
                    for k, v in reply.headers.items():
                        self.send_header(k, str(v))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                    pass

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self.server.daemon_threads = True
        if tls:
            tls.sni_callback = lambda sock, name, ctx: self.server_names.append(name)
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.scheme = "https" if tls else "http"
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()
        self._closed = False

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.server.server_address[1]}"

    def route(self, method: str, path: str, *replies: Reply | Handler) -> None:
        if len(replies) == 1 and callable(replies[0]):
            self.routes[(method, _key(path))] = replies[0]
        else:
            assert replies and all(isinstance(r, Reply) for r in replies), replies
            self.routes[(method, _key(path))] = list(replies)

    def script(self, *replies: Reply, then: Reply) -> None:
        """Answer any request no other route takes: `replies` in order, then `then` for ever
        (a plain receiver of whatever is posted)."""
        self.route(ANY, ANY, *replies, then)

    def reply(self, req: Request) -> Reply:
        path = _key(req.path)
        for key in ((req.method, path), (req.method, ANY), (ANY, path), (ANY, ANY)):
            if key in self.routes:
                break
        else:
            return Reply(404, {"error": f"no route {req.method} {req.path}"})
        self.counts[(req.method, path)] += 1
        route = self.routes[key]
        if callable(route):
            return route(req)
        return route.pop(0) if len(route) > 1 else route[0]

    def calls(self, path: str, method: str | None = None) -> list[Request]:
        return [r for r in self.requests
                if _key(r.path) == _key(path) and method in (None, r.method)]

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.server.shutdown()
            self.server.server_close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class RewriteAdapter(HTTPAdapter):
    """Sends every request to `base` keeping path and query (tweepy, zenpy)."""

    def __init__(self, base: str):
        super().__init__(max_retries=0)
        self.base = urlsplit(base)

    def send(self, request, **kwargs):
        parts = urlsplit(request.url)
        request.url = urlunsplit((self.base.scheme, self.base.netloc, parts.path, parts.query, ""))
        return super().send(request, **kwargs)


def mount_rewrite(session, base: str, prefix: str | None = None) -> None:
    """Mount the rewrite on `prefix` (e.g. "https://api.twitter.com"), or on every URL."""
    adapter = RewriteAdapter(base)
    for p in [prefix] if prefix else ["https://", "http://"]:
        session.mount(p, adapter)


class Sleeps(list):
    """An injectable `sleep` that records instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dead_url() -> str:
    """A local port nobody listens on: connection refused, fast."""
    return f"http://127.0.0.1:{free_port()}"
