"""Talent housing requests (人才公寓 / 青年人才公租房), checked by the catalogue's parsers."""

from __future__ import annotations

from actions.forms import RequestFormValidation
from bot.common.catalogue import HOUSING


class ValidateHousingForm(RequestFormValidation):
    """Validate the housing form."""

    kind = HOUSING
