"""The console's two pages; every value on them is filled in by script as text."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, RedirectResponse, Response

from bot.console.auth import OptionalCallerDep

STATIC = Path(__file__).resolve().parent.parent / "static"
router = APIRouter(tags=["console"], include_in_schema=False)


@router.get("/login")
def login_page() -> Response:
    """Serve the sign-in page."""
    return FileResponse(STATIC / "login.html", media_type="text/html; charset=utf-8")


@router.get("")
@router.get("/")
def console_page(caller: OptionalCallerDep) -> Response:
    """Serve the console to a signed-in agent; send anyone else to sign in."""
    if caller is None:
        return RedirectResponse("/console/login", status_code=303)
    return FileResponse(STATIC / "console.html", media_type="text/html; charset=utf-8")
