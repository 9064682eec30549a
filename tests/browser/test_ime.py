"""Chinese input methods: the Enter that picks a candidate must not send the half-typed text."""

from __future__ import annotations

import time

from playwright.sync_api import Page

from bot.launcher import Stack
from tests.browser.chat import Chat

# An Enter keydown that arrives while an input method is still composing, with the
# keyCode (13) that rasa-webchat's own handler treats as "send".
COMPOSING_ENTER = """input => input.dispatchEvent(new KeyboardEvent("keydown", {
    key: "Enter", code: "Enter", keyCode: 13, which: 13,
    isComposing: true, bubbles: true, cancelable: true, composed: true,
}))"""


def test_enter_while_composing_sends_nothing(page: Page, stack: Stack) -> None:
    chat = Chat(page, "ime")
    page.goto(f"{stack.rasa_url}/chat")
    chat.wait_for("渝才助手")
    chat.input.fill("我想预约")
    chat.input.evaluate(COMPOSING_ENTER)
    time.sleep(1.5)  # a send would show the user's bubble at once
    assert chat.sent() == [] and chat.input.input_value() == "我想预约"
    chat.shot("composing")

    chat.input.press("Enter")  # composition over: the same Enter now sends
    page.wait_for_function("document.querySelectorAll('.rw-client').length === 1")
    assert chat.sent() == ["我想预约"] and chat.input.input_value() == ""
