"""Tests for bot.common.pii: phones, resident IDs, masking and the logging filter."""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator
from datetime import date

import pytest

from bot.common.pii import (
    PiiMaskingFilter,
    fold_width,
    install_pii_filter,
    is_valid_mobile,
    is_valid_resident_id,
    mask_id_number,
    mask_name,
    mask_phone,
    mask_text,
    normalize_digits,
    normalize_mobile,
    normalize_resident_id,
    resident_id_problem,
)

TODAY = date(2026, 11, 27)
SAMPLE_ID = "11010519491231002X"  # the well-known GB 11643 example


def with_check_digit(first17: str) -> str:
    """Complete 17 characters with their ISO 7064 MOD 11-2 check digit (test oracle)."""
    weights = [2 ** (17 - i) % 11 for i in range(17)]
    remainder = sum(int(c) * w for c, w in zip(first17, weights, strict=True)) % 11
    return first17 + "10X98765432"[remainder]


def fake_id(region: str = "500101", born: str = "19900101", sequence: str = "123") -> str:
    """Build a synthetic, checksum-valid ID number."""
    return with_check_digit(region + born + sequence)


VALID_IDS = [
    SAMPLE_ID,
    fake_id(),
    fake_id("500112", "20000229", "001"),  # leap day
    fake_id("500240", "19010101", "999"),
    fake_id("810000", "19851130", "052"),  # Hong Kong residence permit
    fake_id("650102", "20261127", "010"),  # born today
]


def test_oracle_agrees_with_the_known_sample() -> None:
    assert with_check_digit(SAMPLE_ID[:17]) == SAMPLE_ID


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("１３８１２３４５６７８", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("138－1234－5678", "13812345678"),
        ("138\u30001234\u30005678", "13812345678"),
        ("电话：１３８　１２３４　５６７８", "电话:13812345678"),
        ("ＡＢＣ１２３", "ABC123"),
        ("2026-11-27", "20261127"),
        ("3 口人", "3 口人"),
        ("", ""),
    ],
)
def test_normalize_digits(raw: str, expected: str) -> None:
    assert normalize_digits(raw) == expected


def test_fold_width_maps_dash_lookalikes() -> None:
    assert fold_width("１３８—１２３４–５６７８") == "138-1234-5678"


@pytest.mark.parametrize(
    "raw",
    [
        "13812345678",
        "19912345678",
        "１３８１２３４５６７８",
        " 138 1234 5678 ",
        "138-1234-5678",
        "+8613812345678",
        "+86 138 1234 5678",
        "86-138-1234-5678",
        "008613812345678",
        "(+86)13812345678",
    ],
)
def test_valid_mobiles_normalise_to_11_digits(raw: str) -> None:
    assert is_valid_mobile(raw)
    assert normalize_mobile(raw) == raw_digits(raw)


def raw_digits(raw: str) -> str:
    digits = "".join(c for c in normalize_digits(raw) if c.isdigit())
    return digits[-11:]


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "1381234567",  # 10 digits
        "138123456789",  # 12 digits
        "12812345678",  # second digit 2
        "10012345678",
        "23812345678",
        "02312345678",  # Chongqing landline
        "+1 13812345678",
        "8713812345678",
        "138abcd5678",
        "13٨١٢٣٤٥٦٧٨",  # Arabic-Indic digits are not folded
        "电话13812345678",  # surrounding text: use the validators for that
    ],
)
def test_invalid_mobiles(raw: str) -> None:
    assert not is_valid_mobile(raw)
    assert normalize_mobile(raw) is None


@pytest.mark.parametrize("id_number", VALID_IDS)
def test_valid_resident_ids(id_number: str) -> None:
    assert resident_id_problem(id_number, today=TODAY) is None
    assert is_valid_resident_id(id_number, today=TODAY)
    assert normalize_resident_id(id_number, today=TODAY) == id_number


@pytest.mark.parametrize(
    "raw",
    [
        "11010519491231002x",
        " 110105 19491231 002X ",
        "110105-19491231-002x",
        "１１０１０５１９４９１２３１００２Ｘ",
        "１１０１０５１９４９１２３１００２ｘ",
    ],
)
def test_resident_id_forms_normalise_to_the_canonical_one(raw: str) -> None:
    assert normalize_resident_id(raw, today=TODAY) == SAMPLE_ID


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("", "length"),
        (SAMPLE_ID[:17], "length"),
        (SAMPLE_ID + "1", "length"),
        ("110105491231002", "length"),  # legacy 15-digit format
        ("11010519491231X021", "characters"),
        ("1101051949123100AX", "characters"),
        ("110105١٩٤٩١٢٣١002X", "characters"),
        (with_check_digit("99010519900101123"), "region"),
        (with_check_digit("00010519900101123"), "region"),
        (with_check_digit("50010119990230123"), "birth_date"),  # 30 February
        (with_check_digit("50010119901301123"), "birth_date"),  # month 13
        (with_check_digit("50010118991231123"), "birth_date"),  # before 1900
        (with_check_digit("50010120261128123"), "birth_date"),  # tomorrow
        (with_check_digit("50010120990101123"), "birth_date"),
        ("110105194912310021", "check_digit"),
        ("500101199001011234", "check_digit"),  # the backend-api.md example is not valid
    ],
)
def test_invalid_resident_ids_say_why(raw: str, problem: str) -> None:
    assert resident_id_problem(raw, today=TODAY) == problem
    assert not is_valid_resident_id(raw, today=TODAY)
    assert normalize_resident_id(raw, today=TODAY) is None


@pytest.mark.parametrize("id_number", VALID_IDS)
def test_every_single_character_mutation_is_rejected(id_number: str) -> None:
    for position in range(18):
        for replacement in "0123456789X":
            if replacement == id_number[position]:
                continue
            mutated = id_number[:position] + replacement + id_number[position + 1 :]
            assert not is_valid_resident_id(mutated, today=TODAY), mutated


def test_birth_date_defaults_to_the_real_today() -> None:
    assert is_valid_resident_id(SAMPLE_ID)
    assert not is_valid_resident_id(fake_id(born="29991231"))


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("13812345678", "138****5678"),
        ("+86 138-1234-5678", "138****5678"),
        ("１３８１２３４５６７８", "138****5678"),
        ("02312345678", "*******5678"),  # not a mobile: keep only the last 4
        ("12345", "*2345"),
        ("123", "***"),
        ("", ""),
    ],
)
def test_mask_phone(raw: str, masked: str) -> None:
    assert mask_phone(raw) == masked


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        (SAMPLE_ID, "1101**********002X"),
        ("11010519491231002x", "1101**********002X"),
        ("500101199001011234", "5001**********1234"),  # masks by shape, even if invalid
        ("110105491231002", "***********1002"),
        ("1234", "****"),
    ],
)
def test_mask_id_number(raw: str, masked: str) -> None:
    assert mask_id_number(raw) == masked


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("张三丰", "张**"),
        ("张三", "张*"),
        ("欧阳娜娜", "欧***"),
        ("阿依古丽·买买提", "阿*******"),
        (" 李四 ", "李*"),
        ("张", "*"),
        ("", ""),
    ],
)
def test_mask_name(raw: str, masked: str) -> None:
    assert mask_name(raw) == masked


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("我的电话是13812345678谢谢", "我的电话是138****5678谢谢"),
        ("电话13812345678，身份证11010519491231002X", "电话138****5678，身份证1101**********002X"),
        ("身份证11010519491231002x号", "身份证1101**********002X号"),
        ("手机１３８１２３４５６７８", "手机138****5678"),
        ("打+86 138 1234 5678找我", "打+86 138****5678找我"),
        ("8613812345678", "86138****5678"),
        ("号码138-1234-5678和139 1234 5678", "号码138****5678和139****5678"),
        ("身份证 110105 19491231 002X", "身份证 1101**********002X"),
        ("500101199001011234", "5001**********1234"),  # wrong check digit: still masked
        ("{'phone': '13812345678'}", "{'phone': '138****5678'}"),
        # Things that are not personal data stay as they are.
        ("申请编号HS20261127-0001", "申请编号HS20261127-0001"),
        ("日期2026-11-27，3口人", "日期2026-11-27，3口人"),
        ("座机023-67891234", "座机023-67891234"),
        ("订单12812345678", "订单12812345678"),
        ("时间戳1764230400000", "时间戳1764230400000"),
        ("没有号码", "没有号码"),
        ("", ""),
    ],
)
def test_mask_text(text: str, masked: str) -> None:
    assert mask_text(text) == masked


@pytest.mark.parametrize(
    "text",
    ["13812345678", SAMPLE_ID, "我叫张三，电话 138 1234 5678，身份证 11010519491231002X。"],
)
def test_mask_text_is_idempotent(text: str) -> None:
    once = mask_text(text)
    assert mask_text(once) == once
    assert "12345678" not in once and "19491231" not in once


def test_normalisers_never_raise_and_are_idempotent() -> None:
    rng = random.Random(20261127)
    alphabet = "0123456789０１２３xX+- 　—张三\u202e\u200d😊\x00"
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        assert normalize_digits(normalize_digits(text)) == normalize_digits(text)
        for normalise in (normalize_mobile, normalize_resident_id):
            value = normalise(text)
            assert value is None or normalise(value) == value
        assert mask_text(mask_text(text)) == mask_text(text)


# --- logging ---------------------------------------------------------------------------


@pytest.fixture
def pii_logger(caplog: pytest.LogCaptureFixture) -> Iterator[logging.Logger]:
    """A logger that masks its own records before caplog sees them."""
    caplog.set_level(logging.DEBUG)
    logger = logging.getLogger("yucai.tests.pii")
    installed = install_pii_filter(logger.name)
    yield logger
    logger.removeFilter(installed)


@pytest.fixture
def root_filter() -> Iterator[None]:
    """Remove whatever masking filters a test installs on the root logger and its handlers."""
    yield
    root = logging.getLogger()
    for target in (root, *root.handlers):
        for found in [f for f in target.filters if isinstance(f, PiiMaskingFilter)]:
            target.removeFilter(found)


def test_filter_masks_message_and_args(
    pii_logger: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    pii_logger.info("用户手机号 %s，身份证 %s", "13812345678", SAMPLE_ID)
    pii_logger.info("slots %s", {"phone": "13812345678", "id_number": SAMPLE_ID})
    pii_logger.info("as int %d", 13812345678)
    pii_logger.info("%(phone)s", {"phone": "13812345678"})
    pii_logger.info({"raw": "13812345678"})
    assert "13812345678" not in caplog.text
    assert SAMPLE_ID not in caplog.text
    assert caplog.text.count("138****5678") == 5
    assert "1101**********002X" in caplog.text


def test_filter_masks_exception_text(
    pii_logger: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    try:
        raise ValueError("bad phone 13812345678")
    except ValueError:
        pii_logger.exception("failed for %s", "13912345678")
    assert "13812345678" not in caplog.text
    assert "13912345678" not in caplog.text
    assert "bad phone 138****5678" in caplog.text
    assert "Traceback" in caplog.text


def test_filter_masks_stack_info(
    pii_logger: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    pii_logger.info("phone 13812345678", stack_info=True)
    assert "13812345678" not in caplog.text
    assert "Stack (most recent call last)" in caplog.text


@pytest.mark.usefixtures("root_filter")
def test_root_install_masks_records_propagated_from_any_logger(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    install_pii_filter()  # after caplog's handler is on the root logger, like after dictConfig
    logging.getLogger("rasa.core.processor").info("Received user message '13812345678'")
    assert "13812345678" not in caplog.text
    assert "'138****5678'" in caplog.text


@pytest.mark.usefixtures("root_filter")
def test_install_is_idempotent() -> None:
    first = install_pii_filter()
    install_pii_filter("")
    root = logging.getLogger()
    for target in (root, *root.handlers):
        assert [f for f in target.filters if isinstance(f, PiiMaskingFilter)] == [first]


def test_install_on_named_logger_adds_to_it_and_its_handlers() -> None:
    logger = logging.getLogger("yucai.tests.named")
    handler = logging.NullHandler()
    logger.addHandler(handler)
    try:
        installed = install_pii_filter("yucai.tests.named")
        assert installed in logger.filters and installed in handler.filters
        assert installed not in logging.getLogger().filters
    finally:
        logger.removeHandler(handler)
        logger.filters.clear()


def _record(msg: object, args: object = None, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, msg, None, None)
    record.args = args  # type: ignore[assignment]
    record.__dict__.update(extra)
    return record


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no str")


@pytest.mark.parametrize(
    ("record", "expected_msg"),
    [
        (_record("phone %s", ("13812345678",)), "phone 138****5678"),
        (_record("no args 13812345678"), "no args 138****5678"),
        (_record("percent %d%% done"), "percent %d%% done"),  # no args: left unformatted
        (_record(12345678901), "12345678901"),  # not a mobile
        (_record(None), "None"),
        (_record("too few %s %s", ("13812345678",)), "too few %s %s"),  # broken format
        (_record("bad %d", ("13812345678x",)), "bad %d"),
        (_record(Unprintable()), "<unprintable Unprintable>"),
    ],
)
def test_filter_survives_any_record(record: logging.LogRecord, expected_msg: str) -> None:
    assert PiiMaskingFilter().filter(record) is True
    assert record.msg == expected_msg
    assert "13812345678" not in repr(record.args)


def test_filter_keeps_broken_records_reportable() -> None:
    record = _record("too few %s %s", ("13812345678",))
    PiiMaskingFilter().filter(record)
    assert record.args == ("138****5678",)
    mapping = _record("%(a)s %(b)s", {"a": "13812345678"})
    PiiMaskingFilter().filter(mapping)
    assert mapping.msg == "%(a)s %(b)s" and mapping.args == {"a": "138****5678"}
