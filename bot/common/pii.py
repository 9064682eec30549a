"""Recognise, normalise and mask mainland mobile numbers and resident ID numbers.

Pure standard library: imported by the Rasa action server and by the backend.
"""

from __future__ import annotations

import logging
import re
from datetime import date
from typing import Any, Literal

from bot.common.text import to_half_width

__all__ = [
    "IdProblem",
    "PiiMaskingFilter",
    "find_id_numbers",
    "find_mobiles",
    "fold_width",
    "install_pii_filter",
    "is_valid_mobile",
    "is_valid_resident_id",
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "mask_text",
    "normalize_digits",
    "normalize_mobile",
    "normalize_resident_id",
    "resident_id_problem",
]

IdProblem = Literal["length", "characters", "region", "birth_date", "check_digit"]

_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−﹣", "-"))

# ASCII digits only: other scripts' digits must not slip through as "valid".
_BETWEEN_DIGITS = re.compile(r"(?<=[0-9])[\s-]+(?=[0-9])")
_MOBILE = re.compile(r"(?:\(?(?:\+|00)?86\)?)?(1[3-9][0-9]{9})")
_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# GB/T 2260 province-level codes, plus 81/82/83 (Hong Kong, Macao, Taiwan residence permits).
_PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
    "50 51 52 53 54 61 62 63 64 65 71 81 82 83".split()
)

# Shapes searched inside free text: any digit may be preceded by one separator; no digit may
# touch the match on either side (Chinese text has no word boundaries).
_D = "[0-9０-９]"
_SEP = "[ \u3000\\-－]?"
_ID_IN_TEXT = re.compile(rf"(?<!{_D})[1-9１-９](?:{_SEP}{_D}){{16}}{_SEP}[0-9０-９XxＸｘ](?!{_D})")
_ANY_DIGIT = re.compile(_D)
_PHONE_IN_TEXT = re.compile(
    rf"(?<!{_D})(?P<prefix>(?:[+＋]|00|００)?[8８][6６]{_SEP})?"
    rf"[1１]{_SEP}[3-9３-９](?:{_SEP}{_D}){{9}}(?!{_D})"
)


def fold_width(s: str) -> str:
    """Make full-width ASCII, the ideographic space and dash look-alikes plain ASCII."""
    return to_half_width(s).translate(_DASHES)


def normalize_digits(s: str) -> str:
    """Make typed numbers comparable: half-width, no spaces or dashes between digits."""
    return _BETWEEN_DIGITS.sub("", fold_width(s))


def normalize_mobile(s: str) -> str | None:
    """Return the bare 11-digit mainland mobile number, or None if `s` is not one."""
    compact = re.sub(r"[\s-]", "", normalize_digits(s))
    match = _MOBILE.fullmatch(compact)
    return match.group(1) if match else None


def is_valid_mobile(s: str) -> bool:
    """Tell whether `s` is a mainland mobile number, optionally with +86."""
    return normalize_mobile(s) is not None


def _compact_id(s: str) -> str:
    return re.sub(r"[\s-]", "", normalize_digits(s)).upper()


def _check_digit(first17: str) -> str:
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=False)) % 11]


def resident_id_problem(s: str, *, today: date | None = None) -> IdProblem | None:
    """Say what is wrong with a resident ID number so the user can be told; None if valid."""
    compact = _compact_id(s)
    if len(compact) != 18:
        return "length"
    if not _ID_SHAPE.fullmatch(compact):
        return "characters"
    if compact[:2] not in _PROVINCES:
        return "region"
    try:
        born = date(int(compact[6:10]), int(compact[10:12]), int(compact[12:14]))
    except ValueError:
        return "birth_date"
    if born.year < 1900 or born > (today or date.today()):
        return "birth_date"
    if compact[17] != _check_digit(compact[:17]):
        return "check_digit"
    return None


def normalize_resident_id(s: str, *, today: date | None = None) -> str | None:
    """Return the 18-character ID with an upper-case X, or None if it is not valid."""
    if resident_id_problem(s, today=today) is not None:
        return None
    return _compact_id(s)


def is_valid_resident_id(s: str, *, today: date | None = None) -> bool:
    """Tell whether `s` is a GB 11643 resident ID with a real, past birth date."""
    return resident_id_problem(s, today=today) is None


def find_mobiles(s: str) -> list[str]:
    """List the mobile numbers written anywhere in free text, normalised, in reading order."""
    found = (normalize_mobile(m.group()) for m in _PHONE_IN_TEXT.finditer(s))
    return [mobile for mobile in found if mobile]


def find_id_numbers(s: str) -> list[str]:
    """List the ID-shaped numbers (18 characters, not checked) in free text, compacted."""
    return [_compact_id(m.group()) for m in _ID_IN_TEXT.finditer(s)]


def _mask_all_but_last4(s: str) -> str:
    return "*" * len(s) if len(s) <= 4 else "*" * (len(s) - 4) + s[-4:]


def mask_phone(s: str) -> str:
    """Show a phone number as 138****5678; anything else keeps at most its last 4 characters."""
    mobile = normalize_mobile(s)
    if mobile is None:
        return _mask_all_but_last4(re.sub(r"[\s-]", "", normalize_digits(s)))
    return f"{mobile[:3]}****{mobile[-4:]}"


def mask_id_number(s: str) -> str:
    """Show an 18-character ID as its first 4 and last 4; anything else keeps only its last 4."""
    compact = _compact_id(s)
    if len(compact) != 18:
        return _mask_all_but_last4(compact)
    return f"{compact[:4]}{'*' * 10}{compact[-4:]}"


def mask_name(s: str) -> str:
    """Keep the first character of a name and star the rest (a 1-character name is all stars)."""
    name = s.strip()
    if len(name) <= 1:
        return "*" * len(name)
    return name[0] + "*" * (len(name) - 1)


def mask_text(s: str) -> str:
    """Mask every mobile number and ID-shaped number embedded anywhere in free text.

    IDs are masked by shape, not by check digit: a mistyped ID is still personal data.
    """
    if _ANY_DIGIT.search(s) is None:  # both shapes need digits; most text has none
        return s
    masked = _ID_IN_TEXT.sub(lambda m: mask_id_number(m.group()), s)

    def _phone(match: re.Match[str]) -> str:
        prefix = match.group("prefix") or ""
        return prefix + mask_phone(match.group()[len(prefix) :])

    return _PHONE_IN_TEXT.sub(_phone, masked)


def _safe_str(obj: object) -> str:
    try:
        return str(obj)
    except Exception:  # noqa: BLE001 - a broken __str__ must not break logging
        return f"<unprintable {type(obj).__name__}>"


def _mask_args(args: Any) -> Any:
    if isinstance(args, dict):
        return {key: mask_text(_safe_str(value)) for key, value in args.items()}
    if isinstance(args, tuple):
        return tuple(mask_text(_safe_str(value)) for value in args)
    return args


class PiiMaskingFilter(logging.Filter):
    """Mask phones and ID numbers in every record; never drops a record.

    The message is rendered once (msg % args), masked, and stored back with `args`
    cleared, so PII inside non-string arguments (dicts, ints, objects) is masked too.
    Exception and stack texts are rendered and masked in the same way.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place with masked text."""
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - bad format string: logging reports it later
            record.msg = mask_text(_safe_str(record.msg))
            record.args = _mask_args(record.args)
        else:
            record.msg = mask_text(message)
            record.args = None
        exc_info = record.exc_info
        if isinstance(exc_info, tuple) and exc_info[0] is not None and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        if isinstance(record.stack_info, str):
            record.stack_info = mask_text(record.stack_info)
        return True


def install_pii_filter(*logger_names: str) -> PiiMaskingFilter:
    """Attach one masking filter to the named loggers (root if none) and to their handlers.

    Call it after logging is configured: a logger's own filter does not see records that
    propagate from child loggers, the handler filters do. Installing twice is harmless.
    """
    pii_filter = PiiMaskingFilter()
    for name in logger_names or ("",):
        logger = logging.getLogger(name)
        for target in (logger, *logger.handlers):
            if not any(isinstance(f, PiiMaskingFilter) for f in target.filters):
                target.addFilter(pii_filter)
    return pii_filter
