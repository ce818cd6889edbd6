"""An RSS 2.0 news feed built from (guid, title, RFC 822 date) items, as the RSS collector
tests and the `crisiswatch sources check` / `collect` tests serve it."""

from __future__ import annotations


def rss(items: list[tuple[str, str, str]]) -> str:
    body = "".join(
        f"<item><title>{title}</title><link>https://news.example/{guid}</link>"
        f"<guid isPermaLink=\"false\">{guid}</guid><pubDate>{date}</pubDate>"
        f"<description>&lt;p&gt;{title} &amp;amp; more&lt;/p&gt;</description></item>"
        for guid, title, date in items)
    return ('<?xml version="1.0"?><rss version="2.0"><channel><title>Tech News</title>'
            f'<link>https://news.example</link><language>en-us</language>{body}</channel></rss>')


ITEMS = [("a1", "Nimbus outage hits thousands", "Sat, 21 Nov 2026 10:00:00 GMT"),
         ("a2", "Unrelated story about weather", "Sat, 21 Nov 2026 10:05:00 GMT"),
         ("a3", "Is Nimbus safe after the breach rumours?", "Sat, 21 Nov 2026 10:10:00 GMT")]
