"""Open and seal WeChat's safe-mode (AES) envelopes; refuse anything suspect.

Every check happens before a message reaches Rasa: signatures are compared in
constant time, timestamps must be fresh, XML is parsed with defusedxml (no
DTD, no entities) and must decrypt for our own AppID / CorpID.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from wechatpy.crypto import PrpCrypto, WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException

from bot.channels.wechat.settings import WECOM, WeChatSettings


class Rejected(Exception):
    """A request WeChat did not send, or sent broken; answered without Rasa."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def sign(*parts: str) -> str:
    """Return WeChat's signature: SHA-1 over the sorted, concatenated parts."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def require_signature(given: str | None, *parts: str) -> None:
    """Compare a signature in constant time; refuse it if missing or wrong."""
    if not given or not hmac.compare_digest(sign(*parts).encode(), given.encode()):
        raise Rejected(403, "bad signature")


def require_fresh(timestamp: str | None, skew: int, now: float | None = None) -> None:
    """Refuse replays: the timestamp must be within `skew` seconds of our clock."""
    try:
        sent = int(timestamp or "")
    except ValueError:
        raise Rejected(400, "timestamp is not a number") from None
    if abs((now if now is not None else time.time()) - sent) > skew:
        raise Rejected(403, "stale timestamp")


def parse_xml(data: bytes | str) -> dict[str, str]:
    """Parse a flat <xml> document safely into tag → text."""
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError):
        raise Rejected(400, "malformed or unsafe XML") from None
    if root.tag != "xml":
        raise Rejected(400, "root element is not <xml>")
    return {child.tag: (child.text or "").strip() for child in root}


@dataclass(frozen=True)
class Opened:
    """A verified, decrypted message: its fields and the XML wechatpy parses."""

    fields: dict[str, str]
    xml: str


class Envelope:
    """The channel's crypto, bound to one account's token, key and id."""

    def __init__(self, settings: WeChatSettings) -> None:
        self.settings = settings
        self._key = settings.aes_key
        self._crypto = WeChatCrypto(settings.token, settings.encoding_aes_key, settings.app_id)

    def _decrypt(self, ciphertext: str) -> str:
        try:
            return str(PrpCrypto(self._key).decrypt(ciphertext, self.settings.app_id))
        except InvalidAppIdException:
            raise Rejected(403, "encrypted for another AppID") from None
        except Exception:  # bad base64, padding or length: all just garbage to us
            raise Rejected(400, "cannot decrypt") from None

    def verify_url(self, args: Mapping[str, str]) -> str:
        """Answer the server-URL check: the echo string, decrypted for WeCom."""
        s = self.settings
        timestamp, nonce, echo = args.get("timestamp"), args.get("nonce"), args.get("echostr")
        if not (timestamp and nonce and echo):
            raise Rejected(400, "missing timestamp, nonce or echostr")
        require_fresh(timestamp, s.max_clock_skew_seconds)
        if s.mode == WECOM:
            require_signature(args.get("msg_signature"), s.token, timestamp, nonce, echo)
            return self._decrypt(echo)
        require_signature(args.get("signature"), s.token, timestamp, nonce)
        return echo

    def open(self, args: Mapping[str, str], body: bytes) -> Opened:
        """Verify, check freshness, decrypt and parse one pushed message."""
        s = self.settings
        if s.mode != WECOM and args.get("encrypt_type") != "aes":
            raise Rejected(400, "safe mode (encrypt_type=aes) is required")
        timestamp, nonce = args.get("timestamp"), args.get("nonce")
        if not (timestamp and nonce):
            raise Rejected(400, "missing timestamp or nonce")
        ciphertext = parse_xml(body).get("Encrypt")
        if not ciphertext:
            raise Rejected(400, "no <Encrypt> element")
        require_signature(args.get("msg_signature"), s.token, timestamp, nonce, ciphertext)
        require_fresh(timestamp, s.max_clock_skew_seconds)
        xml = self._decrypt(ciphertext)
        fields = parse_xml(xml)
        for name in ("ToUserName", "FromUserName", "CreateTime", "MsgType"):
            if not fields.get(name):
                raise Rejected(400, f"message without {name}")
        return Opened(fields=fields, xml=xml)

    def seal(self, reply_xml: str) -> str:
        """Encrypt and sign a passive reply the way WeChat expects it."""
        nonce = secrets.token_hex(8)
        return str(self._crypto.encrypt_message(reply_xml, nonce, str(int(time.time()))))
