"""Start ``rasa run`` with its secrets checked and kept out of the process list.

``python -m bot.rasa_server [rasa run options]`` refuses to start on a missing,
placeholder or short secret of the Rasa side (``bot/common/secrets.py``), then
runs Rasa with ``--jwt-secret $RASA_API_TOKEN``: Rasa's HTTP API then takes
only JWTs in the ``Authorization`` header (``bot/common/rasa_jwt.py``), never
``?token=``. The secret is added to the arguments inside this process, so it
never appears in ``ps`` output.
"""

from __future__ import annotations

import os
import sys

from bot.common import secrets as secret_rules

#: Everything the Rasa server and its channels need (endpoints.yml reads ACTION_SERVER_TOKEN).
RASA_SECRETS = (
    "RASA_API_TOKEN",
    "ACTION_SERVER_TOKEN",
    "WEBCHAT_SECRET",
    "WECHAT_TOKEN",
    "WECHAT_ENCODING_AES_KEY",
    "WECHAT_APP_SECRET",
    "METRICS_TOKEN",
)


def run_arguments(options: list[str]) -> list[str]:
    """Return ``rasa run`` with ``options`` and the JWT secret, after checking the secrets.

    Raises ``SecretError`` on a missing, placeholder or short secret. Used by
    ``python -m bot.serving`` too, so the production topology's Rasa takes
    the same JWTs and refuses the same weak secrets.
    """
    secret_rules.require_all(os.environ, RASA_SECRETS)
    secret = os.environ["RASA_API_TOKEN"].strip()
    # one argument with "=": a generated secret may start with "-", which argparse
    # would otherwise take for an option ("--jwt-secret: expected one argument")
    return ["rasa", "run", *options, f"--jwt-secret={secret}", "--jwt-method", "HS256"]


def keep_logging_config(options: list[str]) -> None:
    """Keep ``--logging-config-file``'s handler as configured (JSON lines, every turn's line).

    After applying the file, ``rasa`` calls coloredlogs' ``install``, which
    swaps the formatter of any stderr handler for its own plain one (it keeps
    the filters): the JSON lines and the request id would be lost. It also
    adds a filter that drops a record identical to the one before, so the
    second of two turns logging the same line would leave no trace.
    """
    if "--logging-config-file" not in options:
        return
    import rasa.__main__ as rasa_entry
    import rasa.utils.io

    configure = rasa_entry.configure_logging_and_warnings

    def leave_logging_alone(loglevel: str | None) -> None:
        """Do nothing: the logging config file has the last word."""

    def configure_without_dropping_lines(
        log_level: int | None = None,
        logging_config_file: str | None = None,
        warn_only_once: bool = True,
        filter_repeated_logs: bool = True,
    ) -> None:
        """Apply the file as Rasa does, keeping repeated lines (each has its turn)."""
        configure(log_level, logging_config_file, warn_only_once, filter_repeated_logs=False)

    rasa.utils.io.configure_colored_logging = leave_logging_alone
    rasa_entry.configure_logging_and_warnings = configure_without_dropping_lines


def main() -> int:
    """Check the secrets, then hand over to Rasa's own command line."""
    try:
        sys.argv = run_arguments(sys.argv[1:])
    except secret_rules.SecretError as exc:
        print(exc, file=sys.stderr)
        return 2
    keep_logging_config(sys.argv)
    from bot.serving import metrics

    metrics.install()  # turns, fallbacks, handoff offers and GET /metrics (README: Metrics)
    from bot.serving import tuning

    tuning.install()  # SQLite tracker store, checked answers, event classes (docs/performance.md)
    from bot.serving import long_sessions

    long_sessions.install()  # a long conversation goes on in a new session (SESSION_MAX_TURNS)
    from rasa.__main__ import main as rasa_main

    rasa_main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
