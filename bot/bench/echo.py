"""The ceiling: a JSON echo on Rasa's own web stack (sanic 21.12), one worker.

``python -m bot.bench.echo PORT``. It answers the REST webhook's shape —
``[{"recipient_id": sender, "text": message}]`` — so the bench drives it like
a bot; whatever a bot spends above this is the bot, not the framework.
"""

from __future__ import annotations

import sys

from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, json

app = Sanic("bench_echo")


@app.post("/webhooks/rest/webhook")
async def webhook(request: Request) -> HTTPResponse:
    """Return the message as the bot's one reply."""
    body = request.json or {}
    return json(
        [{"recipient_id": body.get("sender"), "text": body.get("message")}], ensure_ascii=False
    )


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]), workers=1, access_log=False, debug=False)
