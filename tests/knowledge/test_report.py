"""make kb-report: the entries due for another check against their source."""

from __future__ import annotations

import datetime as dt

from bot.knowledge import load_knowledge_base
from bot.knowledge.report import main, render, stale_entries


def test_entries_older_than_the_limit_are_listed_oldest_first():
    entries = load_knowledge_base().entries
    assert stale_entries(entries, dt.date(2026, 12, 1), 180) == []
    due = stale_entries(entries, dt.date(2027, 6, 1), 180)
    assert len(due) == len(entries)
    text = render(entries, due, dt.date(2027, 6, 1), 180)
    assert text.splitlines()[0].endswith(f": {len(entries)}")
    assert "designated_hospitals" in text and "186 days" in text


def test_the_command_exits_1_when_an_entry_is_due(capsys):
    assert main(["--today", "2026-12-01"]) == 0
    assert "none; the oldest check is 2026-11-27" in capsys.readouterr().out
    assert main(["--today", "2027-06-01", "--days", "90"]) == 1
