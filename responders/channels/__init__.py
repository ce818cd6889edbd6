"""Channel adapters: one `send` each. Only responders.outbox calls them."""

from responders.channels.base import Channel, ChannelError, Delivery, Message

__all__ = ["Channel", "ChannelError", "Delivery", "Message"]
