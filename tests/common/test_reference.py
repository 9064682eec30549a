"""Tests for bot.common.reference: the district list and finding a district in free text."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.common import reference
from bot.common.reference import District, load_districts, match_district, match_districts


@pytest.fixture
def districts() -> tuple[District, ...]:
    """The real district list shipped in bot/reference_data."""
    return load_districts()


def test_real_list_is_complete_and_consistent(districts: tuple[District, ...]) -> None:
    assert len(districts) == 40
    assert len({d.code for d in districts}) == len(districts)
    assert len({d.name for d in districts}) == len(districts)
    assert {d.kind for d in districts} == {"district", "county", "autonomous_county", "new_area"}
    assert all(isinstance(d.aliases, tuple) and all(d.aliases) for d in districts)


def test_aliases_are_split_on_bars(districts: tuple[District, ...]) -> None:
    yubei = next(d for d in districts if d.code == "500112")
    assert yubei == District("500112", "渝北区", "district", ("渝北", "两路", "回兴"))


def test_no_term_points_at_two_districts() -> None:
    owners: dict[str, set[str]] = {}
    for term, district in reference._term_index():
        owners.setdefault(term, set()).add(district.code)
    assert owners
    assert all(len(codes) == 1 for codes in owners.values()), owners


def test_default_path_does_not_depend_on_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference._load.cache_clear()
    monkeypatch.chdir(tmp_path)
    assert len(load_districts()) == 40


def test_load_is_cached() -> None:
    assert load_districts() is load_districts()


def test_explicit_path(tmp_path: Path) -> None:
    csv_file = tmp_path / "d.csv"
    csv_file.write_text(
        "code,name,kind,aliases\n500112,渝北区,district, 渝北 || 两路 \n500233,忠县,county,\n",
        encoding="utf-8-sig",
    )
    assert load_districts(csv_file) == (
        District("500112", "渝北区", "district", ("渝北", "两路")),
        District("500233", "忠县", "county", ()),
    )


@pytest.mark.parametrize(
    "content",
    ["name,code,kind,aliases\n渝北区,500112,district,\n", "code,name,kind,aliases\n,渝北区,d,\n"],
)
def test_malformed_csv_is_refused(tmp_path: Path, content: str) -> None:
    csv_file = tmp_path / "bad.csv"
    csv_file.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError):
        load_districts(csv_file)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("渝北区", "渝北区"),
        ("我们住渝北", "渝北区"),
        ("九龙坡那边", "九龙坡区"),
        ("杨家坪", "九龙坡区"),
        ("江北", "江北区"),
        ("江北区观音桥", "江北区"),
        ("我在江北嘴上班", "江北区"),
        ("渝北", "渝北区"),  # not 江北 / 北碚
        ("北碚", "北碚区"),
        ("高新区", "西部（重庆）科学城"),
        ("重庆高新区", "西部（重庆）科学城"),
        ("科学城", "西部（重庆）科学城"),
        ("西部(重庆)科学城", "西部（重庆）科学城"),
        ("西部（重庆）科学城那边", "西部（重庆）科学城"),
        ("两江新区", "两江新区"),
        ("礼嘉", "两江新区"),
        ("沙区", "沙坪坝区"),
        ("南坪", "南岸区"),
        ("壁山", "璧山区"),
        ("开县", "开州区"),
        ("忠县", "忠县"),
        ("忠州", "忠县"),
        ("石柱", "石柱土家族自治县"),
        ("秀山县", "秀山土家族苗族自治县"),
        ("彭水苗族土家族自治县", "彭水苗族土家族自治县"),
        ("要得，就住沙坪坝嘛", "沙坪坝区"),
        ("渝 中 区", "渝中区"),
        ("两路", "渝北区"),
        ("我想在两路口租房", None),  # 两路口 is in 渝中区, not 两路
        ("江北机场附近", None),  # the airport lies in 渝北区
        ("重庆", None),
        ("重庆市", None),
        ("北京", None),
        ("北京市朝阳区", None),
        ("", None),
    ],
)
def test_match_district(text: str, name: str | None) -> None:
    found = match_district(text)
    assert (found.name if found else None) == name


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("渝中和两江新区", "两江新区"),  # 4 characters beat 2
        ("科学城还是渝中区", "西部（重庆）科学城"),  # equally long: the first one said
    ],
)
def test_longest_mention_wins_then_leftmost(text: str, name: str) -> None:
    found = match_district(text)
    assert found is not None and found.name == name


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("从渝中搬到江北区", ["渝中区", "江北区"]),
        ("渝北区渝北", ["渝北区"]),
        ("两江新区", ["两江新区"]),
        ("西部科学城", ["西部（重庆）科学城"]),
        ("北京", []),
    ],
)
def test_match_districts_lists_each_once_in_reading_order(text: str, names: list[str]) -> None:
    assert [d.name for d in match_districts(text)] == names
