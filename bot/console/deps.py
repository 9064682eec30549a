"""Dependencies of the console's endpoints: Rasa's client and the knowledge base."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request

from bot.backend.rasa_client import RasaClient, rasa_for

if TYPE_CHECKING:  # loading the knowledge base pulls in Jieba: only when first asked
    from bot.knowledge import KnowledgeBase


def get_rasa(request: Request) -> RasaClient:
    """Hand the app's Rasa client to an endpoint."""
    return rasa_for(request.app)


def get_knowledge_base() -> KnowledgeBase:
    """Return the policy knowledge base, loaded once per process."""
    from bot.knowledge import load_knowledge_base

    return load_knowledge_base()


RasaDep = Annotated[RasaClient, Depends(get_rasa)]
KnowledgeDep = Annotated[Any, Depends(get_knowledge_base)]
