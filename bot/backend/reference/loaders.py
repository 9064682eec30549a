"""Read the hospital CSV into checked rows, naming the line of any bad row."""

from __future__ import annotations

import csv
import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from bot.backend.errors import ValidationFailedError

HOSPITAL_COLUMNS = (
    "code",
    "name",
    "short_names",
    "district",
    "departments",
    "green_channel_24h",
    "is_sample",
)
_CODE = re.compile(r"^[a-z0-9_]{2,64}$")
_TRUE = frozenset({"true", "1", "yes", "y", "是"})
_FALSE = frozenset({"false", "0", "no", "n", "否"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class ReferenceDataError(ValidationFailedError):
    """A reference-data file cannot be imported as it stands."""

    def __init__(self, path: Path, line: int | None, reason: str):
        self.path = path
        self.line = line
        self.reason = reason
        where = f"第 {line} 行：" if line is not None else ""
        super().__init__(f"{path.name} {where}{reason}")


@dataclass(frozen=True)
class HospitalRow:
    """One checked line of a hospital CSV."""

    code: str
    name: str
    short_names: tuple[str, ...]
    district: str
    departments: tuple[str, ...]
    green_channel_24h: bool
    is_sample: bool


def read_hospitals_csv(path: Path, *, district_names: Collection[str]) -> list[HospitalRow]:
    """Parse and check every row, failing on the first bad one with its line number."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [col for col in HOSPITAL_COLUMNS if col not in (reader.fieldnames or [])]
            if missing:
                raise ReferenceDataError(path, 1, f"缺少列：{'、'.join(missing)}")
            rows: list[HospitalRow] = []
            seen: set[str] = set()
            for record in reader:
                line = reader.line_num
                row = _parse_row(path, line, record, district_names)
                if row.code in seen:
                    raise ReferenceDataError(path, line, f"医院代码重复：{row.code}")
                seen.add(row.code)
                rows.append(row)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ReferenceDataError(path, None, f"无法读取文件（{type(exc).__name__}）") from exc
    if not rows:
        raise ReferenceDataError(path, None, "文件中没有医院数据")
    return rows


def _parse_row(
    path: Path, line: int, record: dict[str, str | None], district_names: Collection[str]
) -> HospitalRow:
    """Check one CSV record; the reasons are meant for the operator who edits the file."""

    def cell(column: str) -> str:
        value = (record.get(column) or "").strip()
        if _CONTROL.search(value):
            raise ReferenceDataError(path, line, f"{column} 含有控制字符")
        return value

    def split(column: str, max_len: int) -> tuple[str, ...]:
        items = tuple(item.strip() for item in cell(column).split("|") if item.strip())
        too_long = [item for item in items if len(item) > max_len]
        if too_long:
            raise ReferenceDataError(path, line, f"{column} 中“{too_long[0]}”过长")
        if len(set(items)) != len(items):
            raise ReferenceDataError(path, line, f"{column} 中有重复项")
        return items

    def flag(column: str) -> bool:
        value = cell(column).lower()
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise ReferenceDataError(path, line, f"{column} 应为 true 或 false，实际为“{value}”")

    if None in record:
        raise ReferenceDataError(path, line, "列数多于表头")
    code = cell("code")
    if not _CODE.match(code):
        raise ReferenceDataError(
            path, line, f"医院代码“{code}”无效（应为 2–64 位小写字母、数字或下划线）"
        )
    name = cell("name")
    if not name or len(name) > 100:
        raise ReferenceDataError(path, line, "医院名称不能为空且不超过 100 字")
    district = cell("district")
    if district not in district_names:
        raise ReferenceDataError(
            path, line, f"未知区县“{district}”（请使用 districts.csv 中的规范名称）"
        )
    departments = split("departments", 32)
    if not departments:
        raise ReferenceDataError(path, line, "至少需要一个科室")
    return HospitalRow(
        code=code,
        name=name,
        short_names=split("short_names", 50),
        district=district,
        departments=departments,
        green_channel_24h=flag("green_channel_24h"),
        is_sample=flag("is_sample"),
    )
