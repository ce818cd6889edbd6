"""The status page as RSS 2.0 and Atom: built with ElementTree (which escapes) after
dropping the characters XML cannot carry, newest entry first.

What strangers and responders wrote must reach a reader as text, never as markup. Atom says
so itself (`type="text"`). RSS 2.0 cannot: readers take its titles and descriptions as HTML,
so those are HTML-escaped first (then ElementTree escapes that for XML), paragraphs and line
breaks kept as `<p>` and `<br>`: a fact "<b>40%</b> & more" shows as those very characters.
Checked by parsing both feeds with feedparser, as a reader does.
(feedgen was considered: it leaves this escaping to the caller, so it would not remove it.)
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from datetime import UTC
from email.utils import format_datetime

from dashboard.public.text import TEXT, WHEN

# XML 1.0 cannot carry these even escaped; a stranger's text must not break the feed.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _x(text) -> str:
    return _NOT_XML.sub("", str(text or ""))


def _html_text(text) -> str:
    """One line of plain text as HTML that renders as exactly that text (RSS titles)."""
    return html.escape(_x(text), quote=True)


def _html_paragraphs(text) -> str:
    """Plain text as HTML rendering as that text: blank lines make paragraphs, single
    newlines line breaks (RSS descriptions)."""
    paragraphs = re.split(r"\n[ \t]*\n", _x(text).strip())
    return "".join("<p>" + _html_text(p).replace("\n", "<br>") + "</p>"
                   for p in paragraphs if p)


def entries(status: dict, lang: str, page_url: str) -> list[dict]:
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
    _sub(channel, "title", _html_text(f"{brand} · {TEXT[lang]['title']}"))
    _sub(channel, "link", f"{page_url}?lang={lang}")
    _sub(channel, "description", _html_text(f"{brand} · {TEXT[lang]['updates']}"))
    _sub(channel, "language", lang)
    _sub(channel, "lastBuildDate", rfc822(now))
    _sub(channel, "atom:link", rel="self", type="application/rss+xml", href=_x(self_url))
    for e in entries:
        item = _sub(channel, "item")
        _sub(item, "title", _html_text(e["title"]))
        _sub(item, "link", e["link"])
        _sub(item, "guid", e["id"], isPermaLink="false")
        _sub(item, "pubDate", rfc822(e["at"]))
        _sub(item, "description", _html_paragraphs(e["body"]))
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
