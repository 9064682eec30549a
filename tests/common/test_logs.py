"""Log lines as bot/logging.yml configures them: request ids, JSON or plain, PII masked."""

from __future__ import annotations

import io
import json
import logging
import logging.config
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.common.logs import clean_request_id, log_format, new_request_id, request_id

ROOT = Path(__file__).resolve().parents[2]
PHONE = "13812345678"
ID_NUMBER = "11010519491231002X"

Capture = Callable[[str], tuple[logging.Logger, io.StringIO]]


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch) -> Iterator[Capture]:
    """Apply bot/logging.yml with a LOG_FORMAT, writing into a buffer; restore logging after."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)

    def _configure(chosen: str) -> tuple[logging.Logger, io.StringIO]:
        monkeypatch.setenv("LOG_FORMAT", chosen)
        config = yaml.safe_load((ROOT / "bot" / "logging.yml").read_text(encoding="utf-8"))
        buffer = io.StringIO()
        config["handlers"]["console"]["stream"] = buffer
        logging.config.dictConfig(config)
        return logging.getLogger("yucai.tests.logs"), buffer

    yield _configure
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


def json_lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    """Parse every line written; each must be one JSON object."""
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_json_lines_carry_the_turn_id_and_keep_numbers_masked(configured: Capture) -> None:
    logger, buffer = configured("json")
    token = request_id.set("turn-42")
    try:
        logger.info("用户 %s 的身份证 %s", PHONE, ID_NUMBER, extra={"contact": {"phone": PHONE}})
        try:
            raise ValueError(f"bad phone {PHONE}")
        except ValueError:
            logger.exception("提交失败，身份证 %s", ID_NUMBER)
    finally:
        request_id.reset(token)
    logger.warning("outside any turn")
    written = buffer.getvalue()
    assert PHONE not in written and ID_NUMBER not in written
    first, failed, outside = json_lines(buffer)
    assert first["message"] == "用户 138****5678 的身份证 1101**********002X"
    assert first["contact"] == {"phone": "138****5678"}  # extra fields are masked too
    assert (first["level"], first["logger"], first["request_id"]) == (
        "INFO",
        "yucai.tests.logs",
        "turn-42",
    )
    assert first["time"].startswith("20") and "process" in first
    assert (
        failed["request_id"] == "turn-42"
        and "ValueError: bad phone 138****5678" in (failed["exc_info"])
    )
    assert outside["request_id"] == "-"


def test_plain_lines_are_readable_with_the_turn_id(configured: Capture) -> None:
    logger, buffer = configured("plain")
    token = request_id.set("turn-7")
    try:
        logger.info("回电号码 %s", PHONE)
    finally:
        request_id.reset(token)
    line = buffer.getvalue().strip()
    assert line.endswith("INFO    yucai.tests.logs [turn-7] - 回电号码 138****5678")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "plain"),
        ({"YUCAI_PROFILE": "production"}, "json"),
        ({"YUCAI_PROFILE": "production", "LOG_FORMAT": "plain"}, "plain"),
        ({"LOG_FORMAT": " JSON "}, "json"),
        ({"LOG_FORMAT": ""}, "plain"),
    ],
)
def test_the_profile_chooses_json_unless_told(env: dict[str, str], expected: str) -> None:
    assert log_format(env) == expected


def test_an_unknown_log_format_is_refused() -> None:
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        log_format({"LOG_FORMAT": "xml"})


@pytest.mark.parametrize(
    "value",
    [None, 42, "", "a" * 65, "two\nlines", 'quote"d', "空格 id", "x; rm -rf"],
)
def test_a_callers_id_that_could_forge_lines_is_replaced(value: object) -> None:
    assert clean_request_id(value) is None


def test_plain_ids_are_kept_and_new_ones_are_unique() -> None:
    assert clean_request_id(" req-2026.11:29_A ") == "req-2026.11:29_A"
    made = {new_request_id() for _ in range(100)}
    assert len(made) == 100 and all(clean_request_id(value) == value for value in made)


def test_terminal_colours_stay_out_of_json_lines(configured: Capture) -> None:
    logger, buffer = configured("json")
    logger.info("Started server process [%d]", 42, extra={"color_message": "\x1b[36m%d\x1b[0m"})
    (line,) = json_lines(buffer)
    assert line["message"] == "Started server process [42]" and "color_message" not in line
