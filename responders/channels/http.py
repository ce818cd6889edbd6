"""The one HTTP chokepoint every web channel goes through.

Timeouts on every request; transient failures (connection errors, timeouts, 5xx, 408,
429) retried with exponential backoff; 4xx is a permanent `ChannelError` (bad credentials
or a refused message does not get better by asking again), and so is a redirect the caller
chose not to follow (a moved endpoint stays moved). The response body is never
put in an error message whole (it may echo secrets); the first 200 characters at most.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import requests

from responders.channels.base import ChannelError

log = logging.getLogger("crisiswatch.channels")

TRANSIENT_STATUS = (408, 425, 429)


class Http:
    """`post(url, ...)` with retries; one instance per channel, sharing a session."""

    def __init__(self, timeout: float = 10.0, retries: int = 2, backoff: float = 0.5,
                 sleep: Callable[[float], None] = time.sleep):
        self.timeout, self.retries, self.backoff, self.sleep = timeout, retries, backoff, sleep
        self.session = requests.Session()

    def post(self, url: str, *, what: str, **kwargs) -> requests.Response:
        """POST and return the 2xx response, or raise ChannelError after the retries.
        `what` names the channel in errors ("slack", "sms"...); kwargs go to requests."""
        error = ""
        for attempt in range(self.retries + 1):
            if attempt:
                self.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                response = self.session.post(url, timeout=self.timeout, **kwargs)
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
