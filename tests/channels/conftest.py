"""Fixtures for the channel tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fake_wechat import FakeWeChatApi


@pytest.fixture
def wechat_api() -> Iterator[FakeWeChatApi]:
    """WeChat's server API on a free port of 127.0.0.1."""
    with FakeWeChatApi() as api:
        yield api
