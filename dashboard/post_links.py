"""Where a mention can be read in the original: the URL its collector stored, or one built
from its source and id where the network's URL scheme is known. Only http(s) links come out
(a webhook or a CSV import may have stored anything, `javascript:` included)."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

MAX_URL = 2048
# source -> (pattern its external ids follow, URL built from the match)
SCHEMES = {
    # X: numeric post ids; /i/status/ resolves without the author's handle.
    "x": (re.compile(r"\d{1,25}"), lambda m: f"https://x.com/i/status/{m.group(0)}"),
    "twitter": (re.compile(r"\d{1,25}"), lambda m: f"https://x.com/i/status/{m.group(0)}"),
    # Reddit: a submission's fullname t3_<id>; comments (t1_) need their thread, so no link.
    "reddit": (re.compile(r"t3_([a-z0-9]{1,16})"),
               lambda m: f"https://www.reddit.com/comments/{m.group(1)}"),
    # Bluesky: the post's at:// URI, shown by bsky.app under the author's DID.
    "bluesky": (re.compile(r"at://(did:[a-z]+:[A-Za-z0-9._:%-]{1,256})/app\.bsky\.feed\.post/"
                           r"([A-Za-z0-9]{1,64})"),
                lambda m: f"https://bsky.app/profile/{m.group(1)}/post/{m.group(2)}"),
}
# Mastodon ids are per instance and RSS ids are hashes: without the stored URL (or an id
# that is itself a URL) there is nothing to build.


def safe_url(url: str | None) -> str | None:
    """`url` when it is an absolute http(s) URL with a host and no blanks, else None."""
    if not url or len(url) > MAX_URL or re.search(r"[\s\x00-\x1f\x7f]", url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return quote(url, safe=":/?#[]@!$&'()*+,;=%~-._")


def post_url(source: str | None, external_id: str | None, url: str | None) -> str | None:
    """The original post of a mention: its stored `url`, else one built from `source` and
    `external_id` (`SCHEMES`), else an `external_id` that is itself a URL (Mastodon's uri);
    None when none is known or safe."""
    if stored := safe_url(url):
        return stored
    ident = (external_id or "").strip()
    scheme = SCHEMES.get((source or "").lower())
    if scheme is not None and (m := scheme[0].fullmatch(ident)):
        return safe_url(scheme[1](m))
    return safe_url(ident) if ident.lower().startswith(("https://", "http://")) else None
