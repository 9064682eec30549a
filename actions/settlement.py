"""Settling and personnel-file transfer (人才落户与档案服务), the errand the 人才管家 runs.

Every field is checked by its catalogue parser (bot/common/catalogue).
"""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.forms import RequestFormValidation, SlotDict, latest_intent
from bot.common.catalogue import SETTLEMENT
from bot.common.parsers.services import parse_settlement_service


class ValidateSettlementForm(RequestFormValidation):
    """Validate the settlement form."""

    kind = SETTLEMENT

    async def extract_settlement_service(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotDict:
        """Read the errand from the wish itself (我想申请办理人才落户手续), as the question would.

        The entity is learned from requests, and an extractor may miss it in a new phrasing;
        the parser reads the same words every time. Only on the request, only when nothing
        set the slot yet, and only when the words name an errand: otherwise the form asks.
        """
        if latest_intent(tracker) != "request_settlement":
            return {}
        if tracker.get_slot("settlement_service") is not None:
            return {}
        found = parse_settlement_service(tracker.latest_message.get("text"))
        return {"settlement_service": found.value} if found.ok else {}
