"""Turn pydantic's English validation errors into polite Chinese reasons per field."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

#: Sources FastAPI puts first in an error location; not part of the field name.
_SOURCES = frozenset({"body", "header", "query", "path", "cookie"})
#: Discriminator tags FastAPI inserts into locations inside a tagged union.
_UNION_TAGS = frozenset({"housing", "schooling", "hospital", "callback"})

_TEMPLATES: dict[str, str] = {
    "missing": "此项为必填项",
    "string_too_long": "不能超过 {max_length} 个字符",
    "string_type": "应为文本",
    "string_pattern_mismatch": "格式不正确",
    "string_unicode": "应为文本",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "greater_than_equal": "不能小于 {ge}",
    "greater_than": "应大于 {gt}",
    "less_than_equal": "不能大于 {le}",
    "less_than": "应小于 {lt}",
    "literal_error": "取值无效，可选：{expected}",
    "enum": "取值无效，可选：{expected}",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "date_type": "日期格式应为 YYYY-MM-DD",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "date_from_datetime_inexact": "日期格式应为 YYYY-MM-DD",
    "datetime_type": "时间格式应为 ISO 8601，如 2026-11-27T10:00:00+08:00",
    "datetime_parsing": "时间格式应为 ISO 8601，如 2026-11-27T10:00:00+08:00",
    "datetime_from_date_parsing": "时间格式应为 ISO 8601，如 2026-11-27T10:00:00+08:00",
    "extra_forbidden": "不支持此字段",
    "model_type": "格式不正确，应为对象",
    "model_attributes_type": "格式不正确，应为对象",
    "dict_type": "格式不正确，应为对象",
    "list_type": "应为列表",
    "json_invalid": "请求体不是合法的 JSON",
    "json_type": "请求体不是合法的 JSON",
    "union_tag_invalid": "申请类型无效，可选：{expected_tags}",
    "union_tag_not_found": "缺少申请类型 kind",
}
_FALLBACK = "取值无效"
#: Errors about the body as a whole, reported under a fixed field name.
_WHOLE_BODY_FIELDS = {
    "json_invalid": "body",
    "json_type": "body",
    "union_tag_invalid": "kind",
    "union_tag_not_found": "kind",
}


def field_name(loc: Sequence[int | str]) -> str:
    """Name a field by its dotted path inside the body, header or query."""
    parts = list(loc)
    if parts and parts[0] in _SOURCES:
        source = parts.pop(0)
        if source == "body" and len(parts) > 1 and parts[0] in _UNION_TAGS:
            parts.pop(0)
    if parts and isinstance(parts[-1], str) and "[" in parts[-1]:
        parts.pop()  # pydantic names the failing union member last; not a field
    return ".".join(str(part) for part in parts) or "body"


def chinese_reason(error: Mapping[str, Any]) -> str:
    """Give the Chinese reason for one pydantic error."""
    kind = str(error.get("type", ""))
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    if kind in {"value_error", "assertion_error"} and "error" in ctx:
        return str(ctx["error"])
    if kind == "string_too_short":
        return (
            "不能为空"
            if ctx.get("min_length", 1) <= 1
            else "至少 {min_length} 个字符".format(**ctx)
        )
    template = _TEMPLATES.get(kind)
    if template is None:
        return _FALLBACK
    try:
        return template.format(**{key: _plain(value) for key, value in ctx.items()})
    except (KeyError, IndexError):
        return _FALLBACK


def _plain(value: Any) -> str:
    """Render pydantic's ``'a', 'b' or 'c'`` lists the Chinese way."""
    text = str(value).replace("'", "")
    return text.replace(" or ", "、").replace(", ", "、")


def translate_validation_errors(
    errors: Iterable[Mapping[str, Any]],
) -> tuple[dict[str, str], bool]:
    """Map errors to ``{field: reason}`` and tell whether consent is what failed."""
    fields: dict[str, str] = {}
    consent_problem = False
    for error in errors:
        name = _WHOLE_BODY_FIELDS.get(str(error.get("type")), "") or field_name(
            error.get("loc", ())
        )
        fields.setdefault(name, chinese_reason(error))
        if name == "consent" or name.startswith("consent."):
            consent_problem = True
    return fields, consent_problem
