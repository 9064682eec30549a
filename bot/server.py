"""The backend process as users get it: the backend API with the agents' console on top.

The composition root: the only module that imports both ``bot.backend`` and
``bot.console``, so neither has to know the other's wiring (the console builds
on the backend; the backend never imports the console). ``make run`` starts it
as ``python -m bot.server``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from fastapi import FastAPI

from bot.backend import main as backend
from bot.backend.cli import serve
from bot.backend.config import Settings, load_settings
from bot.console.app import install_console


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the backend for ``settings`` and mount the console at ``/console``."""
    app = backend.create_app(settings)
    install_console(app)
    return app


def main(argv: Sequence[str] | None = None) -> int:
    """Serve the backend with the console on BACKEND_HOST:BACKEND_PORT until stopped."""
    if argv:
        print("usage: python -m bot.server  (settings come from the environment)", file=sys.stderr)
        return 2
    settings = load_settings()
    serve(create_app(settings), settings, factory="bot.server:create_app")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
