"""Run ``rasa run`` with the production changes: ``python -m bot.serving --endpoints …``.

Everything after ``bot.serving`` is ``rasa run``'s own options. As
``python -m bot.rasa_server`` it refuses a missing, placeholder or short
secret and adds ``--jwt-secret`` inside the process (JWTs in the header
only, no secret in ``ps``). Before Rasa
starts, this process makes the tracker store fail closed and bounds custom
actions (``fail_closed``) and adds ``GET /ready`` (``readiness``). The lock
lifetime is Rasa's ``TICKET_LOCK_LIFETIME``; it must stay above
``ACTION_TIMEOUT_SECONDS``, or a slow turn's lock could expire under it.
"""

from __future__ import annotations

import os
import sys

from bot.common import secrets as secret_rules
from bot.rasa_server import keep_logging_config, run_arguments
from bot.serving import fail_closed, long_sessions, metrics, readiness, tuning


def main() -> None:
    """Install the changes, then hand the command line to Rasa."""
    timeout = float(os.environ.get("ACTION_TIMEOUT_SECONDS", "4"))
    lock_lifetime = float(os.environ.get("TICKET_LOCK_LIFETIME", "60"))
    if lock_lifetime <= timeout:
        sys.exit(
            f"TICKET_LOCK_LIFETIME ({lock_lifetime:g}s) must be above "
            f"ACTION_TIMEOUT_SECONDS ({timeout:g}s)"
        )
    try:
        arguments = run_arguments(sys.argv[1:])
    except secret_rules.SecretError as exc:
        print(exc, file=sys.stderr)
        sys.exit(2)
    metrics.install()  # before fail_closed, so a turn that fails closed is counted as an error
    fail_closed.install(timeout)
    readiness.install()
    keep_logging_config(arguments)
    tuning.install()
    long_sessions.install()
    from rasa.__main__ import main as rasa_main

    sys.argv = arguments
    rasa_main()


if __name__ == "__main__":
    main()
