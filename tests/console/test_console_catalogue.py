"""The console shows every kind and label of the request catalogue, and keeps no copy of them."""

from __future__ import annotations

from pathlib import Path

from bot.common.catalogue import ALL_KINDS, FORM_KINDS
from tests.console.conftest import MakeAgent

STATIC = Path(__file__).resolve().parents[2] / "bot" / "console" / "static"


def test_the_forms_describe_every_form_kind_from_the_catalogue(make_agent: MakeAgent) -> None:
    desk = make_agent("li", role="supervisor")
    forms = desk.get("/console/api/forms").json()
    assert [k["kind"] for k in forms["kinds"]] == [k.code for k in FORM_KINDS]
    for described, kind in zip(forms["kinds"], FORM_KINDS, strict=True):
        assert described["title"] == kind.title and described["notice"]["version"]
        assert [f["label"] for f in described["fields"]] == [f.label for f in kind.fields]
        assert {f["body_key"] for f in described["fields"] if f["section"] == "details"} | set(
            described["fixed_details"]
        ) == set(kind.detail_keys)


def test_labels_come_from_the_catalogue(make_agent: MakeAgent) -> None:
    desk = make_agent("li", role="supervisor")
    labels = desk.get("/console/api/catalogue").json()
    assert labels["kinds"] == {k.code: k.title for k in ALL_KINDS}
    assert labels["details"]["settlement"]["target_district"] == "拟落户区县"


def test_the_pages_hold_no_copy_of_the_catalogue() -> None:
    scripts = "\n".join(p.read_text(encoding="utf-8") for p in STATIC.glob("*.js"))
    for kind in ALL_KINDS:
        assert kind.title not in scripts
        for field in kind.fields:
            assert f'"{field.label}"' not in scripts, field.label
            for name in (field.choices or {}).values():
                assert name not in scripts, name
