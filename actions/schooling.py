"""Children's school enrollment requests (人才子女入学), checked by the catalogue's parsers."""

from __future__ import annotations

from actions.forms import RequestFormValidation
from bot.common.catalogue import SCHOOLING


class ValidateSchoolingForm(RequestFormValidation):
    """Validate the schooling form; a stage said with its grade ("初二") fills both."""

    kind = SCHOOLING
