"""Drive the hotline console the way an agent does: sign in, type what the caller says, read."""

from __future__ import annotations

import re

from playwright.sync_api import Page

from bot.launcher import Stack
from tests.browser.helpers import ARTIFACTS


def sign_in(page: Page, stack: Stack, username: str, password: str) -> None:
    """Open the console, get sent to the sign-in page, sign in and wait for the forms."""
    page.goto(f"{stack.backend_url}/console/")
    page.wait_for_url(re.compile(r"/console/login$"))
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-button")
    page.wait_for_url(re.compile(r"/console/$"))
    page.wait_for_selector("body[data-ready=call]")


def caller_says(page: Page, text: str) -> None:
    """Type what the caller said, press Enter, and wait until the turn is understood."""
    page.fill("#utterance", text)
    page.press("#utterance", "Enter")
    page.wait_for_function(
        "([text]) => [...document.querySelectorAll('#turns li')]"
        ".some(li => li.textContent === text)",
        arg=[text],
    )


def shot(page: Page, name: str) -> None:
    """Keep a screenshot of the console as a test artifact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"console-{name}.png"), full_page=True)
