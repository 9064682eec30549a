"""One real stack and one Debian Chromium per session, for the web chat's browser tests.

The stack is the same three processes `make run` starts (the Rasa server also
serves /chat); two small local web servers play a partner site that may embed
the chat and a foreign site that may not.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from bot.channels.web_auth import WebChatSettings
from bot.common.secrets import generate
from bot.launcher import BACKEND_BIN, ROOT, Stack
from tests.browser.helpers import ARTIFACTS
from tests.support import free_port, running_stack

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
#: 32 random bytes, as the Rasa server demands (bot/common/secrets.py)
SECRET = generate("WEBCHAT_SECRET")


class Site:
    """A web page on its own origin that embeds the chat with the README's snippet."""

    def __init__(self, rasa_url: str, port: int | None = None) -> None:
        self.port = port or free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        self.rasa_url = rasa_url
        self.token = ""
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                token = f' data-user-token="{site.token}"' if site.token else ""
                body = (
                    '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
                    '<meta name="viewport" content="width=device-width, initial-scale=1">'
                    "<title>合作网站</title></head><body><h1>合作网站</h1>"
                    f'<script src="{site.rasa_url}/chat/widget.js"{token} defer></script>'
                    "</body></html>"
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def partner_origin() -> str:
    """Reserve the origin of the partner site before the stack starts (it is allow-listed)."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, partner_origin: str) -> Iterator[Stack]:
    """Start backend, action server and Rasa (with the web channel) on free ports."""
    workdir = tmp_path_factory.mktemp("browser-stack")
    extra = {"WEBCHAT_SECRET": SECRET, "WEBCHAT_ALLOWED_ORIGINS": partner_origin}
    with running_stack(workdir, ARTIFACTS / "logs", "browser", extra) as stack:
        yield stack


@pytest.fixture(scope="session")
def webchat(stack: Stack) -> WebChatSettings:
    """The web chat's settings as the Rasa server sees them (to sign test tokens)."""
    return WebChatSettings.from_env(stack.env)


@pytest.fixture(scope="session")
def partner_site(stack: Stack, partner_origin: str) -> Iterator[Site]:
    """A site on the allow-list that embeds the chat bubble."""
    site = Site(stack.rasa_url, port=int(partner_origin.rsplit(":", 1)[1]))
    yield site
    site.close()


@pytest.fixture(scope="session")
def foreign_site(stack: Stack) -> Iterator[Site]:
    """A site nobody allow-listed that copies the snippet anyway."""
    site = Site(stack.rasa_url)
    yield site
    site.close()


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    """Start Playwright's driver once."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless; never a downloaded browser."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (make test does it)")
    browser = playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh phone-sized tab with its own storage."""
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    page = context.new_page()
    yield page
    context.close()


# --- hotline console (issue 5) ------------------------------------------------
AGENT_PASSWORD = "browser-agent-secret-2026"
DESK = {"width": 1400, "height": 1000}


@pytest.fixture(scope="session")
def agents(stack: Stack) -> list[str]:
    """Create the console accounts once, with the operator command."""
    teams_of = {"li": "housing,general", "wang": "schooling", "chen": "settlement"}
    for username, teams in teams_of.items():
        subprocess.run(
            [str(BACKEND_BIN / "python"), "-m", "bot.backend.cli", "create-agent", username,
             "--name", f"{username}老师", "--teams", teams, "--password-stdin"],
            cwd=ROOT, env=stack.env, input=AGENT_PASSWORD + "\n", text=True,
            capture_output=True, check=True,
        )  # fmt: skip
    return list(teams_of)


@pytest.fixture
def desk(browser: Browser, agents: list[str]) -> Iterator[Page]:
    """A desktop-sized tab for the console; a dialog (an injected alert) is recorded.

    The console's Content-Security-Policy forbids eval, which Playwright's waits
    use; the tests bypass it, so escaping is checked without that second guard.
    """
    context = browser.new_context(viewport=DESK, locale="zh-CN", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.dialogs = dialogs  # type: ignore[attr-defined]
    yield page
    context.close()
