"""Run ``rasa`` with the production changes: ``python -m bot.serving run --endpoints …``.

Everything after ``bot.serving`` is Rasa's own command line. Before Rasa
starts, this process makes the tracker store fail closed and bounds custom
actions (``fail_closed``) and adds ``GET /ready`` (``readiness``). The lock
lifetime is Rasa's ``TICKET_LOCK_LIFETIME``; it must stay above
``ACTION_TIMEOUT_SECONDS``, or a slow turn's lock could expire under it.
"""

from __future__ import annotations

import os
import sys

from bot.serving import fail_closed, readiness


def main() -> None:
    """Install the changes, then hand the command line to Rasa."""
    timeout = float(os.environ.get("ACTION_TIMEOUT_SECONDS", "4"))
    lock_lifetime = float(os.environ.get("TICKET_LOCK_LIFETIME", "60"))
    if lock_lifetime <= timeout:
        sys.exit(
            f"TICKET_LOCK_LIFETIME ({lock_lifetime:g}s) must be above "
            f"ACTION_TIMEOUT_SECONDS ({timeout:g}s)"
        )
    fail_closed.install(timeout)
    readiness.install()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
