"""A channel that writes what it would send to a JSON-lines file: the drill's stand-in for
Slack, email and social networks, and an audit trail of exactly what went out."""

from __future__ import annotations

import json
import threading
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from responders.channels.base import Delivery, Message

_lock = threading.Lock()


class LogChannel:
    def __init__(self, name: str, path: Path):
        self.name = name
        self.path = Path(path)

    def send(self, message: Message, now: datetime) -> Delivery:
        line = json.dumps({"at": now.isoformat(), "channel": self.name, **asdict(message)},
                          ensure_ascii=False)
        with _lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as f:
                f.write(line + "\n")
        return Delivery(external_id=f"log-{self.name}-{message.draft_id}")
