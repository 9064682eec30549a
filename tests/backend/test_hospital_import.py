"""The hospital CSV importer upserts by code and stops on a bad row."""

from __future__ import annotations

import csv
from datetime import datetime, timezone
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.backend import cli
from bot.backend.bootstrap import SAMPLE_HOSPITALS_CSV, import_hospitals_file, init_db
from bot.backend.reference.loaders import HOSPITAL_COLUMNS, ReferenceDataError
from bot.backend.reference.models import District, Hospital, HospitalDepartment

LATER = datetime(2026, 12, 1, tzinfo=timezone.utc)
HEADER = ",".join(HOSPITAL_COLUMNS)


def write_csv(path: Path, *rows: str, header: str = HEADER) -> Path:
    """Write a hospital CSV with the given data lines."""
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def hospital_codes(session: Session) -> list[str]:
    """List hospital codes in id order."""
    return list(session.scalars(select(Hospital.code).order_by(Hospital.id)))


def test_init_db_imports_the_sample_list(session: Session) -> None:
    with SAMPLE_HOSPITALS_CSV.open(encoding="utf-8") as handle:
        expected = [row["code"] for row in csv.DictReader(handle)]
    assert hospital_codes(session) == expected
    assert session.scalar(select(func.count()).select_from(District)) == 40


def test_import_updates_by_code_and_adds_new_ones(
    ready_database_url: str, tmp_path: Path, session: Session, client: TestClient
) -> None:
    path = write_csv(
        tmp_path / "hospitals.csv",
        "cqmu_fah,重庆医科大学附属第一医院（总院）,附一院,渝中区,骨科|眼科|急诊科,false,false",
        "cq_new,重庆市新医院,新医院,两江新区,儿科|急诊科,true,false",
    )
    summary = import_hospitals_file(ready_database_url, path=path, now=LATER)
    assert (summary.created, summary.updated) == (1, 1)
    codes = hospital_codes(session)
    assert len(codes) == 13 and codes[0] == "cqmu_fah" and codes[-1] == "cq_new"
    served = {h["code"]: h for h in client.get("/api/v1/reference/hospitals").json()}
    assert served["cqmu_fah"] == {
        "id": served["cqmu_fah"]["id"],
        "code": "cqmu_fah",
        "name": "重庆医科大学附属第一医院（总院）",
        "short_names": ["附一院"],
        "district": "渝中区",
        "departments": ["骨科", "眼科", "急诊科"],
        "green_channel_24h": False,
        "is_sample": False,
    }
    assert served["cq_new"]["district"] == "两江新区"
    assert served["cqmu_sah"]["is_sample"] is True  # rows not in the file stay


def test_import_twice_changes_nothing_more(ready_database_url: str, session: Session) -> None:
    before = session.scalar(select(func.count()).select_from(HospitalDepartment))
    summary = import_hospitals_file(ready_database_url, path=SAMPLE_HOSPITALS_CSV, now=LATER)
    assert (summary.created, summary.updated) == (0, 12)
    assert session.scalar(select(func.count()).select_from(HospitalDepartment)) == before


def test_departments_can_be_reordered_removed_and_readded(
    ready_database_url: str, tmp_path: Path, client: TestClient
) -> None:
    row = "cq_mch,重庆市妇幼保健院,市妇幼,渝北区,{},true,true"
    for departments in ("儿科|妇产科|眼科", "眼科|儿科", "妇产科|眼科|儿科"):
        path = write_csv(tmp_path / "h.csv", row.format(departments))
        import_hospitals_file(ready_database_url, path=path, now=LATER)
        served = {h["code"]: h for h in client.get("/api/v1/reference/hospitals").json()}
        assert served["cq_mch"]["departments"] == departments.split("|")


BAD_ROWS = [
    ("unknown-district", "x_h,某医院,,火星区,儿科,true,true", "第 2 行", "未知区县“火星区”"),
    ("bad-code", "Bad Code,某医院,,渝中区,儿科,true,true", "第 2 行", "医院代码"),
    ("no-name", "x_h,,,渝中区,儿科,true,true", "第 2 行", "医院名称"),
    ("no-department", "x_h,某医院,,渝中区,,true,true", "第 2 行", "科室"),
    ("duplicate-department", "x_h,某医院,,渝中区,儿科|儿科,true,true", "第 2 行", "重复"),
    ("bad-flag", "x_h,某医院,,渝中区,儿科,maybe,true", "第 2 行", "green_channel_24h"),
    ("extra-column", "x_h,某医院,,渝中区,儿科,true,true,extra", "第 2 行", "列数"),
    ("control-char", "x_h,某\x07医院,,渝中区,儿科,true,true", "第 2 行", "控制字符"),
]


@pytest.mark.parametrize(
    ("row", "where", "reason"),
    [pytest.param(row, where, reason, id=case) for case, row, where, reason in BAD_ROWS],
)
def test_a_bad_row_stops_the_import_with_a_clear_error(
    ready_database_url: str, tmp_path: Path, session: Session, row: str, where: str, reason: str
) -> None:
    path = write_csv(tmp_path / "bad.csv", row)
    with pytest.raises(ReferenceDataError) as raised:
        import_hospitals_file(ready_database_url, path=path, now=LATER)
    assert where in raised.value.message and reason in raised.value.message
    assert "bad.csv" in raised.value.message
    assert len(hospital_codes(session)) == 12


def test_a_bad_row_late_in_the_file_writes_nothing(
    ready_database_url: str, tmp_path: Path, session: Session
) -> None:
    path = write_csv(
        tmp_path / "late.csv",
        "cq_one,第一医院,,渝中区,儿科,true,false",
        "cq_two,第二医院,,渝中区,儿科,true,false",
        "cq_one,重复医院,,渝中区,儿科,true,false",
    )
    with pytest.raises(ReferenceDataError, match="第 4 行：医院代码重复"):
        import_hospitals_file(ready_database_url, path=path, now=LATER)
    assert "cq_one" not in hospital_codes(session)


def test_missing_columns_are_named(ready_database_url: str, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "cols.csv", "x,y", header="code,name")
    with pytest.raises(ReferenceDataError, match="缺少列：short_names、district"):
        import_hospitals_file(ready_database_url, path=path, now=LATER)


def test_missing_file_is_a_clear_error(ready_database_url: str, tmp_path: Path) -> None:
    with pytest.raises(ReferenceDataError, match="无法读取文件"):
        import_hospitals_file(ready_database_url, path=tmp_path / "nope.csv", now=LATER)


def test_a_bom_from_excel_is_accepted(ready_database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_text(HEADER + "\ncq_bom,带BOM医院,,渝中区,儿科,是,否\n", encoding="utf-8-sig")
    summary = import_hospitals_file(ready_database_url, path=path, now=LATER)
    assert summary.created == 1


def test_init_db_again_keeps_an_imported_list(
    ready_database_url: str, tmp_path: Path, session: Session
) -> None:
    path = write_csv(tmp_path / "h.csv", "cqmu_fah,改名医院,,渝中区,骨科,true,false")
    import_hospitals_file(ready_database_url, path=path, now=LATER)
    report = init_db(ready_database_url, now=LATER)
    assert report.hospitals is None
    assert (report.districts.created, report.districts.updated) == (0, 0)
    assert report.notices_added == 0
    assert session.scalar(select(Hospital.name).where(Hospital.code == "cqmu_fah")) == "改名医院"


def test_cli_import_reports_and_fails_cleanly(
    ready_database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", ready_database_url)
    assert cli.main(["import-hospitals", str(SAMPLE_HOSPITALS_CSV)]) == 0
    assert "新增 0 家，更新 12 家" in capsys.readouterr().out
    bad = write_csv(tmp_path / "bad.csv", "x_h,某医院,,火星区,儿科,true,true")
    assert cli.main(["import-hospitals", str(bad)]) == 1
    assert "第 2 行：未知区县“火星区”" in capsys.readouterr().err
