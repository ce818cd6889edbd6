"""Collectors for the sources named in the config file's [sources.*] tables."""

from __future__ import annotations

from collectors import COLLECTORS, load_collector_class
from crisiswatch.settings import Settings


def configured_collectors(settings: Settings) -> list[tuple[object, str]]:
    """(collector, query) pairs for every enabled, known source in the config."""
    pairs = []
    for name, conf in settings.sources.items():
        if name not in COLLECTORS:
            raise ValueError(f"unknown source [sources.{name}]; known: {', '.join(COLLECTORS)}")
        if not conf.get("enabled", True):
            continue
        cls = load_collector_class(name)
        collector = cls.from_config(conf)
        for query in conf.get("queries", [name]):
            pairs.append((collector, query))
    return pairs
