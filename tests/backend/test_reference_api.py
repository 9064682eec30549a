"""Reference endpoints serve the CSV data the bot matches against."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.backend import payloads

REFERENCE_DATA = Path(__file__).resolve().parents[2] / "bot" / "reference_data"


def test_districts_match_the_csv(client: TestClient) -> None:
    response = client.get("/api/v1/reference/districts")
    assert response.status_code == 200
    districts = response.json()
    with (REFERENCE_DATA / "districts.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [d["code"] for d in districts] == [row["code"] for row in rows]
    yubei = next(d for d in districts if d["name"] == "渝北区")
    assert yubei == {
        "code": "500112",
        "name": "渝北区",
        "kind": "district",
        "aliases": ["渝北", "两路", "回兴"],
    }
    assert {d["kind"] for d in districts} == {
        "district",
        "county",
        "autonomous_county",
        "new_area",
    }


def test_housing_types(client: TestClient) -> None:
    assert client.get("/api/v1/reference/housing-types").json() == [
        {"code": "talent_apartment", "name": "人才公寓"},
        {"code": "youth_rental", "name": "青年人才公租房"},
    ]


def test_school_stages(client: TestClient) -> None:
    assert client.get("/api/v1/reference/school-stages").json() == [
        {"code": "kindergarten", "name": "幼儿园", "grades": 3},
        {"code": "primary", "name": "小学", "grades": 6},
        {"code": "junior", "name": "初中", "grades": 3},
        {"code": "senior", "name": "高中", "grades": 3},
    ]


def test_sample_hospitals_are_served_and_marked_as_samples(client: TestClient) -> None:
    hospitals = client.get("/api/v1/reference/hospitals").json()
    assert len(hospitals) == 12
    assert all(h["is_sample"] for h in hospitals)
    first = hospitals[0]
    assert first["code"] == "cqmu_fah"
    assert first["name"] == "重庆医科大学附属第一医院"
    assert "重医附一院" in first["short_names"]
    assert first["district"] == "渝中区"
    assert "心血管内科" in first["departments"]
    assert isinstance(first["id"], int) and isinstance(first["green_channel_24h"], bool)
    assert all(8 <= len(h["departments"]) <= 15 for h in hospitals)
    by_code = {h["code"]: h for h in hospitals}
    assert by_code["tmmu_swh"]["short_names"][0] == "西南医院"
    assert by_code["cqu_tgh"]["district"] == "万州区"


@pytest.mark.parametrize("kind", ["housing", "schooling", "hospital"])
def test_current_notice_per_kind(client: TestClient, kind: str) -> None:
    response = client.get(f"/api/v1/consent/notices/{kind}")
    assert response.status_code == 200
    notice = response.json()
    assert notice["kind"] == kind
    assert notice["version"] == payloads.NOTICE_VERSIONS[kind]
    assert "个人信息" in notice["text"]
    assert notice["published_at"].endswith("+08:00")


def test_notice_of_unknown_kind_is_a_validation_error(client: TestClient) -> None:
    response = client.get("/api/v1/consent/notices/pension")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
    assert "kind" in response.json()["error"]["fields"]
