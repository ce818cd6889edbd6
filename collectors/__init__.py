"""Sources of brand mentions and support-ticket counts, each incremental and resumable."""

from importlib import import_module

from collectors.base import Batch, Collector, CollectorError, Mention, TicketCount

# Lazy: a source's client library is imported only when that source is configured.
COLLECTORS: dict[str, str] = {
    "drill": "collectors.drill:DrillCollector",
    "x": "collectors.x:XCollector",
    "reddit": "collectors.reddit:RedditCollector",
    "mastodon": "collectors.mastodon:MastodonCollector",
    "bluesky": "collectors.bluesky:BlueskyCollector",
    "rss": "collectors.rss:RSSCollector",
    "zendesk": "collectors.zendesk:ZendeskCollector",
    "csv": "collectors.csv_import:CSVTicketCollector",
    "replay": "collectors.replay:ReplayCollector",
}


def load_collector_class(name: str) -> type:
    """The collector class registered under `name` (KeyError if unknown)."""
    module, _, attr = COLLECTORS[name].partition(":")
    return getattr(import_module(module), attr)


__all__ = [
    "COLLECTORS",
    "Batch",
    "Collector",
    "CollectorError",
    "Mention",
    "TicketCount",
    "load_collector_class",
]
