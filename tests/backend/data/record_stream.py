"""Record a real conversation's event stream for the analytics tests (run by hand, rarely).

``.venv/rasa/bin/python tests/backend/data/record_stream.py OUT.json`` starts
the three processes as ``make run`` does (the trained model, fresh SQLite
databases, free ports), with Rasa's SQL event broker added, holds a few
conversations over REST, and writes the events exactly as the broker received
them (``Event.as_dict()`` with ``sender_id``) as a JSON array.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import tempfile
import urllib.request
from pathlib import Path

from bot.common.secrets import generated_env
from bot.launcher import ROOT, Stack, default_env
from tests.support import MODEL, free_port

#: (sender, messages): policy questions the knowledge base may not cover, gibberish,
#: off-topic questions, a form begun and a person asked for over REST (a callback)
CONVERSATIONS = [
    ("rec-web-01", ["你好", "人才公寓可以养宠物吗", "电话是谁发明的", "谢谢"]),
    ("rec-web-02", ["asdfghjkl", "我想申请人才公寓", "不办了"]),
    ("rec-web-03", ["今天天气怎么样", "我的手机号13812345678能查申请吗"]),
    ("rec-web-04", ["转人工", "好的"]),
    ("rec-web-05", ["子女入学要不要考试", "孩子上学需要体检吗", "人才公寓能养猫吗"]),
]


def say(stack: Stack, sender: str, text: str) -> None:
    """Send one message over the REST channel."""
    body = json.dumps({"sender": sender, "message": text}, ensure_ascii=False).encode()
    request = urllib.request.Request(
        f"{stack.rasa_url}/webhooks/rest/webhook", data=body,
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=60) as response:
        print(sender, text, "->", json.loads(response.read()))


def main(out: Path) -> None:
    """Start the stack with an SQL event broker, talk, and dump the broker's table."""
    workdir = Path(tempfile.mkdtemp(prefix="yucai-record-"))
    action_port = free_port()
    env = {**default_env(), **generated_env(),
           "DATABASE_URL": f"sqlite:///{workdir / 'backend.db'}",
           "BACKEND_PORT": str(free_port()), "ACTION_SERVER_PORT": str(action_port),
           "RASA_PORT": str(free_port()), "SERVICE_HOURS": "mon-sun 00:00-24:00",
           "TRACKER_STORE_URL": f"sqlite:///{workdir / 'tracker.db'}"}  # fmt: skip
    env["BACKEND_URL"] = f"http://127.0.0.1:{env['BACKEND_PORT']}"
    events_db = workdir / "events.db"
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{action_port}/webhook"\n'
        "  headers:\n    Authorization: Bearer ${ACTION_SERVER_TOKEN}\n"
        f'tracker_store:\n  type: SQL\n  dialect: "sqlite"\n  db: "{workdir / "tracker.db"}"\n'
        f'event_broker:\n  type: SQL\n  dialect: "sqlite"\n  db: "{events_db}"\n',
        encoding="utf-8",
    )
    stack = Stack(env=env, model=MODEL, endpoints=endpoints, log_dir=workdir / "logs")
    stack.prepare_backend()
    try:
        stack.start()
        for sender, messages in CONVERSATIONS:
            for text in messages:
                say(stack, sender, text)
    finally:
        stack.stop()
    with sqlite3.connect(events_db) as db:
        rows = [json.loads(data) for (data,) in db.execute("SELECT data FROM events ORDER BY id")]
    out.write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(rows)} events -> {out} (work files in {workdir})")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main(Path(sys.argv[1]))
