"""List the knowledge entries whose answer has not been checked against its source lately.

The source carries no publication date, so each answer shows when it was last
checked; this report names the entries due for another look (default: not
checked in 180 days), oldest first, and exits 1 if there are any.

    python -m bot.knowledge.report [--days 180] [--today YYYY-MM-DD]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence

from bot.knowledge.loader import load_entries
from bot.knowledge.model import Entry

STALE_AFTER_DAYS = 180


def stale_entries(entries: Sequence[Entry], today: dt.date, days: int) -> list[Entry]:
    """Return the entries last checked more than `days` days before `today`, oldest first."""
    limit = today - dt.timedelta(days=days)
    return sorted((e for e in entries if e.checked < limit), key=lambda e: (e.checked, e.id))


def render(entries: Sequence[Entry], stale: Sequence[Entry], today: dt.date, days: int) -> str:
    """Describe the knowledge base's freshness in a few lines of text."""
    lines = [f"{len(entries)} entries; checked more than {days} days before {today}: {len(stale)}"]
    for entry in stale:
        age = (today - entry.checked).days
        lines.append(
            f"  {entry.checked}  {age:>4} days  {entry.topic:<16} {entry.id}  {entry.title}"
        )
    if entries and not stale:
        oldest = min(e.checked for e in entries)
        lines.append(f"  none; the oldest check is {oldest} ({(today - oldest).days} days)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the staleness report; exit 1 when an entry is due for a check."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=STALE_AFTER_DAYS)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=dt.date.today())
    args = parser.parse_args(argv)
    entries = load_entries()
    stale = stale_entries(entries, args.today, args.days)
    print(render(entries, stale, args.today, args.days))
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
