"""Settling and personnel-file transfer (人才落户与档案服务), the errand the 人才管家 runs.

Every field is checked by its catalogue parser (bot/common/catalogue).
"""

from __future__ import annotations

from actions.forms import RequestFormValidation
from bot.common.catalogue import SETTLEMENT


class ValidateSettlementForm(RequestFormValidation):
    """Validate the settlement form."""

    kind = SETTLEMENT
