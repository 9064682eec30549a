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
)


def run_arguments(options: list[str]) -> list[str]:
    """Return ``rasa run`` with ``options`` and the JWT secret, after checking the secrets.

    Raises ``SecretError`` on a missing, placeholder or short secret. Used by
    ``python -m bot.serving`` too, so the production topology's Rasa takes
    the same JWTs and refuses the same weak secrets.
    """
    secret_rules.require_all(os.environ, RASA_SECRETS)
    secret = os.environ["RASA_API_TOKEN"].strip()
    return ["rasa", "run", *options, "--jwt-secret", secret, "--jwt-method", "HS256"]


def main() -> int:
    """Check the secrets, then hand over to Rasa's own command line."""
    try:
        sys.argv = run_arguments(sys.argv[1:])
    except secret_rules.SecretError as exc:
        print(exc, file=sys.stderr)
        return 2
    from bot.serving import tuning

    tuning.install()
    from rasa.__main__ import main as rasa_main

    rasa_main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
