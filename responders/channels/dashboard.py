"""The dashboard as a channel: an alert is on the overview page as soon as it is in the
store, so delivering it there is recording that it was shown. It never fails and is never
quiet, which is why the alerting stage always lists it first."""

from __future__ import annotations

from datetime import datetime

from responders.channels.base import Delivery, Message


class DashboardChannel:
    name = "dashboard"

    def send(self, message: Message, now: datetime) -> Delivery:
        return Delivery(external_id=f"alert-{message.alert_id}" if message.alert_id else None)
