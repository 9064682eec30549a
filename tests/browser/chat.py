"""Drive rasa-webchat in a real page the way a user does: type, press Enter, click, read."""

from __future__ import annotations

import json
import re
import time

from playwright.sync_api import Page

from tests.browser.helpers import ARTIFACTS

REPLY_TIMEOUT = 60.0


class Chat:
    """One chat window in one page; every wait is for a reply the test names."""

    def __init__(self, page: Page, name: str) -> None:
        self.page = page
        self.name = name
        self.input = page.locator(".rw-new-message")

    def responses(self) -> list[str]:
        """Return the text of every bot bubble on screen, oldest first."""
        return self.page.locator(".rw-response").all_inner_texts()

    def sent(self) -> list[str]:
        """Return the text of every user bubble on screen."""
        return self.page.locator(".rw-client").all_inner_texts()

    def wait_for(self, expected: str, *, after: int = 0, timeout: float = REPLY_TIMEOUT) -> str:
        """Wait until a bubble after the first ``after`` says ``expected``; return them joined."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            new = self.responses()[after:]
            if any(expected in text for text in new):
                return "\n".join(new)
            time.sleep(0.2)
        self.shot("timeout")
        said = self.responses()[after:]
        raise AssertionError(f"no reply saying {expected!r}; the bot said: {said}")

    def say(self, text: str, expected: str) -> str:
        """Type a message, press Enter and wait for the reply that says ``expected``."""
        before = len(self.responses())
        self.input.fill(text)
        self.input.press("Enter")
        return self.wait_for(expected, after=before)

    def click(self, title: str, expected: str) -> str:
        """Click the quick reply titled exactly ``title`` and wait for the reply."""
        before = len(self.responses())
        exact = re.compile(rf"^\s*{re.escape(title)}\s*$")
        self.page.locator(".rw-reply").filter(has_text=exact).last.click()
        return self.wait_for(expected, after=before)

    def quick_replies(self) -> list[str]:
        """Return the titles of the quick replies on screen."""
        return [t.strip() for t in self.page.locator(".rw-reply").all_inner_texts()]

    def shot(self, step: str) -> None:
        """Save a screenshot of this step as a test artifact."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{self.name}-{step}.png"))

    def session_id(self) -> str:
        """Return the session id the widget keeps in this tab's storage."""
        stored = self.page.evaluate("sessionStorage.getItem('chat_session')")
        return str(json.loads(stored)["session_id"])
