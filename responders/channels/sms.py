"""SMS through Twilio's REST API: POST /2010-04-01/Accounts/{sid}/Messages.json, form
encoded, basic auth (account SID, auth token). `base_url` is configurable so tests and
compatible providers can stand in for api.twilio.com."""

from __future__ import annotations

from datetime import datetime

from responders.channels.base import ChannelError, Delivery, Message
from responders.channels.http import Http

MAX_CHARS = 1600  # Twilio's limit; longer bodies are refused with a 400


class TwilioSMSChannel:
    name = "sms"

    def __init__(self, account_sid: str, auth_token: str, from_number: str,
                 to: str = "", base_url: str = "https://api.twilio.com",
                 http: Http | None = None):
        self.account_sid, self.auth_token = account_sid, auth_token
        self.from_number, self.to = from_number, to
        self.base_url = base_url.rstrip("/")
        self.http = http or Http()

    def send(self, message: Message, now: datetime) -> Delivery:
        to = message.to or self.to
        if not to:
            raise ChannelError("sms: no recipient number", permanent=True)
        body = message.body if len(message.body) <= MAX_CHARS else \
            message.body[:MAX_CHARS - 1] + "…"
        url = f"{self.base_url}/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        response = self.http.post(url, what=self.name,
                                  data={"To": to, "From": self.from_number, "Body": body},
                                  auth=(self.account_sid, self.auth_token))
        try:
            sid = response.json().get("sid")
        except ValueError:
            sid = None
        return Delivery(external_id=sid)


# GSM 03.38: the basic set (one septet each) and the extension table (escape + one: two).
GSM7_BASIC = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
                 "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENDED = set("^{}\\[~]|€\f")


def sms_segments(body: str) -> tuple[str, int]:
    """(encoding, segments billed) for `body`: GSM-7 when every character is in the GSM
    alphabet (160 septets in one segment, 153 per part beyond), else UCS-2 (70 UTF-16
    units, 67 per part). French accents outside GSM-7 (ê, ç, â, î, ô, û, œ) switch the whole
    message to UCS-2, which is why a French SMS costs more segments."""
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in body):
        units = sum(2 if ch in GSM7_EXTENDED else 1 for ch in body)
        return "GSM-7", 1 if units <= 160 else -(-units // 153)
    units = len(body.encode("utf-16-le")) // 2
    return "UCS-2", 1 if units <= 70 else -(-units // 67)
