"""The one HTTP chokepoint every web channel goes through.

Timeouts on every request; transient failures (connection errors, timeouts, 5xx, 408,
429) retried with exponential backoff; 4xx is a permanent `ChannelError` (bad credentials
or a refused message does not get better by asking again), and so is a redirect the caller
chose not to follow (a moved endpoint stays moved). The response body is never
put in an error message whole (it may echo secrets); the first 200 characters at most.

`post(..., connect_to=IP)` sends to that address instead of resolving the URL's host again,
while TLS still checks the certificate against the host name (SNI and hostname check). A
caller that vetted where a name resolves (subscriber webhooks) so posts where it vetted: a
name re-pointed between the check and the connection (DNS rebinding) changes nothing.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

from responders.channels.base import ChannelError

log = logging.getLogger("crisiswatch.channels")

TRANSIENT_STATUS = (408, 425, 429)


class Http:
    """`post(url, ...)` with retries; one instance per channel, sharing a session."""

    def __init__(self, timeout: float = 10.0, retries: int = 2, backoff: float = 0.5,
                 sleep: Callable[[float], None] = time.sleep):
        self.timeout, self.retries, self.backoff, self.sleep = timeout, retries, backoff, sleep
        self.session = requests.Session()

    def post(self, url: str, *, what: str, connect_to: str | None = None,
             **kwargs) -> requests.Response:
        """POST and return the 2xx response, or raise ChannelError after the retries.
        `what` names the channel in errors ("slack", "sms"...); `connect_to`: an IP address
        to connect to instead of resolving the URL's host; kwargs go to requests."""
        session = self.session
        if connect_to:
            parts = urlsplit(url)
            url = _at_address(url, connect_to)
            kwargs["headers"] = {**kwargs.get("headers", {}), "Host": parts.netloc}
            session = requests.Session()
            session.mount(f"{parts.scheme}://", _NamedHost(parts.hostname or ""))
        try:
            return self._post(session, url, what, kwargs)
        finally:
            if session is not self.session:
                session.close()

    def _post(self, session: requests.Session, url: str, what: str,
              kwargs: dict) -> requests.Response:
        error = ""
        for attempt in range(self.retries + 1):
            if attempt:
                self.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                response = session.post(url, timeout=self.timeout, **kwargs)
            except requests.Timeout:
                error = f"{what}: timed out after {self.timeout:g}s"
            except requests.RequestException as exc:
                error = f"{what}: connection failed ({type(exc).__name__})"
            else:
                if response.status_code < 300:
                    return response
                snippet = response.text[:200].replace("\n", " ")
                error = f"{what}: HTTP {response.status_code} {snippet}".rstrip()
                if 300 <= response.status_code < 500 and \
                        response.status_code not in TRANSIENT_STATUS:
                    raise ChannelError(error, permanent=True)
            log.warning("%s (attempt %d of %d)", error, attempt + 1, self.retries + 1)
        raise ChannelError(error, permanent=False)


def _at_address(url: str, ip: str) -> str:
    """`url` with its host replaced by the IP address `ip` (port, path and query kept)."""
    parts = urlsplit(url)
    address = ipaddress.ip_address(ip)
    host = f"[{address}]" if address.version == 6 else str(address)
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit(parts._replace(netloc=netloc))


class _NamedHost(HTTPAdapter):
    """Connects to the address in the URL but speaks TLS to `hostname`: SNI and the
    certificate check use the name, not the address."""

    def __init__(self, hostname: str):
        self.hostname = hostname
        super().__init__()

    def init_poolmanager(self, connections, maxsize, block=False, **pool_kwargs):
        # urllib3 drops both keywords for plain http pools
        super().init_poolmanager(connections, maxsize, block, server_hostname=self.hostname,
                                 assert_hostname=self.hostname, **pool_kwargs)
