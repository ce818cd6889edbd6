"""Building the parts from settings: the store, the scorer, the channels, a pipeline."""

from __future__ import annotations

from functools import cached_property

from crisiswatch.pipeline import Pipeline
from crisiswatch.settings import Settings
from responders.channels.log import LogChannel
from responders.channels.statuspage import StatusPageChannel
from responders.templates import TemplateLibrary
from sentiment.scorer import Scorer
from store import Store

# Until the real adapters are configured, everything but the status page goes to the log
# channel: what would have been sent is kept, nothing leaves the machine.
LOGGED_CHANNELS = ("slack", "email", "sms", "x", "reddit", "mastodon", "bluesky")


class App:
    """The wired application; parts are built on first use (the model takes seconds)."""

    def __init__(self, settings: Settings):
        self.settings = settings

    @cached_property
    def store(self) -> Store:
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        store = Store(self.settings.database_url)
        store.upgrade()
        return store

    @cached_property
    def scorer(self) -> Scorer:
        from sentiment.model import load_sentiment_model

        return Scorer(load_sentiment_model(self.settings.model, self.settings.cache_dir))

    @cached_property
    def library(self) -> TemplateLibrary:
        return TemplateLibrary()

    @cached_property
    def channels(self) -> dict:
        channels = {name: LogChannel(name, self.settings.outbox_log) for name in LOGGED_CHANNELS}
        channels["statuspage"] = StatusPageChannel(self.store)
        return channels

    def pipeline(self, collectors) -> Pipeline:
        return Pipeline(store=self.store, collectors=collectors, scorer=self.scorer,
                        channels=self.channels, brand=self.settings.brand,
                        library=self.library)
