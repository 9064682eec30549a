"""WeChat's side of the channel, on 127.0.0.1, for the tests.

`FakeWeChatApi` is WeChat's server API (access token, customer-service
messages within the 48-hour window, template messages outside it);
`WeChatPusher` is WeChat's message push: it builds real message XML,
encrypts and signs it with wechatpy exactly as WeChat does, posts it to
the assistant's webhook and opens the encrypted passive replies.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import xmltodict
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

from tests.support import free_port

APP_ID = "wx5e1f2a3b4c5d6e7f"
TOKEN = "Yc7Tq2Lm9Wx4Rb8Nd3Kf6Hs1Jp5Gv0Za"  # 32 letters and digits, as WeChat allows
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
SECRET = "5f2c9a7e1b3d4f6a8c0e2b4d6f8a0c1e"  # 32 hex, like an AppSecret
ACCOUNT = "gh_yucai_test"
TEXT_LIMIT = 2048  # bytes WeChat accepts in one text
TEMPLATE_PATH = "/cgi-bin/message/template/send"
STATUS_TEMPLATE_ID = "tpl-yucai-status-0001"


def _text_to(message: dict[str, Any], user: str) -> bool:
    return message.get("msgtype") == "text" and message.get("touser") == user


class FakeWeChatApi:
    """Token and customer-service endpoints, recording what they were sent."""

    def __init__(self, port: int = 0, *, app_id: str = APP_ID, secret: str = SECRET) -> None:
        self.app_id, self.secret = app_id, secret
        self.token_fetches = 0
        self.sent: list[dict[str, Any]] = []
        #: users whose 48-hour customer-service window has closed (errcode 45015)
        self.window_closed: set[str] = set()
        #: template ids this account has (as added in the Official Account's back office)
        self.templates: set[str] = {STATUS_TEMPLATE_ID}
        self._tokens: set[str] = set()
        self._counter = itertools.count(1)
        self._changed = threading.Condition()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:
                pass

            def _answer(self, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                url = urllib.parse.urlsplit(self.path)
                self._answer(fake.token(url.path, dict(urllib.parse.parse_qsl(url.query))))

            def do_POST(self) -> None:  # noqa: N802
                url = urllib.parse.urlsplit(self.path)
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                query = dict(urllib.parse.parse_qsl(url.query))
                self._answer(fake.send(url.path, query.get("access_token", ""), raw))

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> FakeWeChatApi:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def token(self, path: str, query: dict[str, str]) -> dict[str, Any]:
        """Issue a token to the right AppID + secret (or CorpID + secret)."""
        if path == "/cgi-bin/token":
            ok = query.get("appid") == self.app_id and query.get("secret") == self.secret
            ok = ok and query.get("grant_type") == "client_credential"
        elif path == "/cgi-bin/gettoken":
            ok = query.get("corpid") == self.app_id and query.get("corpsecret") == self.secret
        else:
            return {"errcode": 404, "errmsg": "no such api"}
        if not ok:
            return {"errcode": 40013, "errmsg": "invalid appid or secret"}
        with self._changed:
            self.token_fetches += 1
            token = f"token-{next(self._counter)}"
            self._tokens.add(token)
        return {"access_token": token, "expires_in": 7200}

    def send(self, path: str, token: str, raw: bytes) -> dict[str, Any]:
        """Accept one text or template message, as WeChat checks it."""
        paths = ("/cgi-bin/message/custom/send", "/cgi-bin/message/send", TEMPLATE_PATH)
        if path not in paths:
            return {"errcode": 404, "errmsg": "no such api"}
        if token not in self._tokens:
            return {"errcode": 42001, "errmsg": "access_token expired"}
        body = json.loads(raw.decode("utf-8"))
        if path == TEMPLATE_PATH:
            return self._template(body)
        if path == "/cgi-bin/message/custom/send" and body.get("touser") in self.window_closed:
            return {"errcode": 45015, "errmsg": "response out of time limit"}
        content = body.get("text", {}).get("content", "")
        if body.get("msgtype") != "text" or not body.get("touser"):
            return {"errcode": 40008, "errmsg": "invalid message type"}
        if len(content.encode("utf-8")) > TEXT_LIMIT:
            return {"errcode": 45002, "errmsg": "content size out of limit"}
        with self._changed:
            self.sent.append({"path": path, **body})
            self._changed.notify_all()
        return {"errcode": 0, "errmsg": "ok"}

    def _template(self, body: dict[str, Any]) -> dict[str, Any]:
        """Accept a template message to a known template with string field values."""
        if body.get("template_id") not in self.templates:
            return {"errcode": 40037, "errmsg": "invalid template_id"}
        data = body.get("data")
        if not body.get("touser") or not isinstance(data, dict) or not data:
            return {"errcode": 47001, "errmsg": "data format error"}
        if not all(isinstance(v, dict) and isinstance(v.get("value"), str) for v in data.values()):
            return {"errcode": 47001, "errmsg": "data format error"}
        with self._changed:
            self.sent.append({"path": TEMPLATE_PATH, "msgtype": "template", **body})
            self._changed.notify_all()
        return {"errcode": 0, "errmsg": "ok", "msgid": next(self._counter)}

    def templates_to(self, user: str) -> list[dict[str, str]]:
        """Return the template messages' fields sent to a user so far."""
        with self._changed:
            return [
                {k: v["value"] for k, v in m["data"].items()}
                for m in self.sent
                if m["touser"] == user and m.get("msgtype") == "template"
            ]

    def expire_tokens(self) -> None:
        """Make every issued token invalid, as after its two hours."""
        with self._changed:
            self._tokens.clear()

    def texts_to(self, user: str) -> list[str]:
        """Return what was sent to a user so far."""
        with self._changed:
            return [m["text"]["content"] for m in self.sent if _text_to(m, user)]

    def wait_for_texts(self, user: str, count: int, timeout: float = 30) -> list[str]:
        """Wait until at least `count` texts reached a user; return them all."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                texts = [m["text"]["content"] for m in self.sent if _text_to(m, user)]
                left = deadline - time.monotonic()
                if len(texts) >= count or left <= 0:
                    return texts
                self._changed.wait(left)


@dataclass
class Response:
    """One answer of the webhook, as WeChat receives it."""

    status: int
    body: str
    seconds: float


class WeChatPusher:
    """Push messages to a webhook the way WeChat's servers do (safe mode)."""

    def __init__(self, webhook: str, *, app_id: str = APP_ID, token: str = TOKEN) -> None:
        self.webhook = webhook
        self.app_id, self.token = app_id, token
        self.crypto = WeChatCrypto(token, AES_KEY, app_id)
        self._ids = itertools.count(int(time.time() * 1000))

    def new_msg_id(self) -> str:
        """Return a fresh 64-bit-looking MsgId."""
        return str(next(self._ids))

    def message(self, user: str, msg_type: str, msg_id: str | None = None, **fields: str) -> str:
        """Build the plaintext XML WeChat pushes for one message or event."""
        parts = {
            "ToUserName": ACCOUNT,
            "FromUserName": user,
            "CreateTime": str(int(time.time())),
            "MsgType": msg_type,
            **fields,
        }
        if msg_type != "event":
            parts["MsgId"] = msg_id or self.new_msg_id()
        body = "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in parts.items())
        return f"<xml>{body}</xml>"

    def text(self, user: str, content: str, msg_id: str | None = None) -> str:
        """Build a text message."""
        return self.message(user, "text", msg_id, Content=content)

    def seal(self, xml: str, *, timestamp: int | None = None) -> tuple[str, dict[str, str]]:
        """Encrypt and sign a message; return the POST body and query."""
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        nonce = str(next(self._ids))
        envelope = xmltodict.parse(self.crypto.encrypt_message(xml, nonce, stamp))["xml"]
        body = (
            f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
            f"<Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>"
        )
        query = {
            "signature": "",  # the plain signature; safe mode relies on msg_signature
            "timestamp": stamp,
            "nonce": nonce,
            "openid": "",
            "encrypt_type": "aes",
            "msg_signature": envelope["MsgSignature"],
        }
        return body, query

    def post(self, body: bytes | str, query: dict[str, str], timeout: float = 30) -> Response:
        """POST a body to the webhook and time the answer."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        url = f"{self.webhook}?{urllib.parse.urlencode(query)}"
        request = urllib.request.Request(url, data=data, headers={"Content-Type": "text/xml"})
        start = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                status, text = answer.status, answer.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            status, text = exc.code, exc.read().decode("utf-8", "replace")
        return Response(status, text, time.monotonic() - start)

    def push(self, xml: str, **seal: Any) -> Response:
        """Seal and post one message."""
        body, query = self.seal(xml, **seal)
        return self.post(body, query)

    def open_reply(self, body: str) -> dict[str, str]:
        """Check the reply's signature, decrypt it and return its fields."""
        envelope = xmltodict.parse(body)["xml"]
        plain = self.crypto.decrypt_message(
            body, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"]
        )
        return dict(xmltodict.parse(plain)["xml"])

    def verify_url(self, *, signature: str | None = None, echostr: str = "echo-123") -> Response:
        """Make the server-URL check WeChat makes when the URL is saved."""
        stamp, nonce = str(int(time.time())), "nonce-1"
        signer = WeChatSigner()
        signer.add_data(self.token, stamp, nonce)
        sign = signature or signer.signature
        query = {"signature": sign, "timestamp": stamp, "nonce": nonce, "echostr": echostr}
        url = f"{self.webhook}?{urllib.parse.urlencode(query)}"
        try:
            with urllib.request.urlopen(url, timeout=10) as answer:
                return Response(answer.status, answer.read().decode("utf-8"), 0)
        except urllib.error.HTTPError as exc:
            return Response(exc.code, exc.read().decode("utf-8", "replace"), 0)


def stack_env(workdir: Path) -> dict[str, str]:
    """WECHAT_* settings for a test stack: this fake's account, a port for its API."""
    return {
        "WECHAT_MODE": "official_account",
        "WECHAT_APP_ID": APP_ID,
        "WECHAT_TOKEN": TOKEN,
        "WECHAT_ENCODING_AES_KEY": AES_KEY,
        "WECHAT_APP_SECRET": SECRET,
        "WECHAT_API_BASE_URL": f"http://127.0.0.1:{free_port()}",
        "WECHAT_STORE_URL": f"sqlite:///{workdir / 'wechat.db'}",
        "WECHAT_REPLY_WITHIN_SECONDS": "2",
        "WECHAT_STATUS_TEMPLATE_ID": STATUS_TEMPLATE_ID,
    }
