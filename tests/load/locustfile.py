"""Simulated users of the production topology: Chinese request flows and policy questions.

Run by tests/prod/test_topology.py (a 30-second smoke in ``make test``, a long
run in ``make soak``) with the ops environment's locust, headless, against
HAProxy's internal listener (the REST channel is not public, and signed: each
simulated user carries a user token signed with ``WEBCHAT_SECRET``)::

    WEBCHAT_SECRET=… .venv/ops/bin/locust -f tests/load/locustfile.py --headless -u 6 -r 2 -t 30s \
        -H http://127.0.0.1:8081 --csv var/load/run

Every request number a user is shown is appended to ``YUCAI_LOAD_LEDGER``
(one ``sender<TAB>number`` per line) for the ledger check. A reply that is
empty (Rasa's REST channel answers ``200 []`` on an internal error) or says
the system is busy counts as a failure.
"""

from __future__ import annotations

import os
import random
import re
import sys
import threading
import uuid
from pathlib import Path
from typing import Any

from locust import HttpUser, between, task

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bot.channels.web_auth import WebChatSettings  # noqa: E402 - standard library only

#: a request number: random in production (HS20261129-4827K), sequential elsewhere
NUMBER = re.compile(r"\b[A-Z]{2}\d{8}-\d{4}[A-Z]?\b")
#: the REST channel is signed in production: each user carries a token signed with this
SIGNER = WebChatSettings.from_env()
LEDGER = os.environ.get("YUCAI_LOAD_LEDGER", "var/load/ledger.tsv")
_ledger_lock = threading.Lock()

POLICY_QUESTIONS = [
    "人才住房怎么申请",
    "子女入学有什么政策",
    "就医绿色通道怎么用",
    "科技成果转化有什么支持",
    "重庆英才服务卡有什么用",
    "落户需要什么条件",
]
DISTRICTS = ["渝北", "沙坪坝", "江北", "九龙坡", "南岸"]
ID_NUMBER = "11010519491231002X"


class ChatUser(HttpUser):
    """One person: sometimes asks about policy, sometimes applies for talent housing."""

    wait_time = between(1, 3)

    def on_start(self) -> None:
        """Each simulated person has their own conversation."""
        self.sender = f"load-{uuid.uuid4().hex[:12]}"

    def say(self, text: str, name: str, expect: str | None = None) -> str:
        """Send one REST message; fail on an empty, busy or unexpected answer."""
        with self.client.post(
            "/webhooks/rest/webhook",
            json={"sender": self.sender, "message": text},
            headers={"Authorization": f"Bearer {SIGNER.sign_user_token(self.sender)}"},
            name=name,
            catch_response=True,
            timeout=30,
        ) as response:
            try:
                messages: list[dict[str, Any]] = response.json()
            except ValueError:
                response.failure("not JSON")
                return ""
            reply = "\n".join(m.get("text", "") for m in messages)
            if not reply:
                response.failure("empty reply (200 [])")
            elif "系统繁忙" in reply:
                response.failure("system busy")
            elif expect is not None and expect not in reply:
                response.failure(f"expected {expect!r}")
            else:
                response.success()
            return reply

    @task(2)
    def ask_policy(self) -> None:
        """Ask one policy question."""
        self.say(random.choice(POLICY_QUESTIONS), "policy question")

    @task(1)
    def apply_for_housing(self) -> None:
        """Complete a talent-housing request and remember the number shown."""
        self.sender = f"load-{uuid.uuid4().hex[:12]}"  # one request per conversation
        phone = f"135{random.randint(0, 99_999_999):08d}"
        steps = [
            (f"帮我申请青年人才公租房，想住{random.choice(DISTRICTS)}", "告知"),
            ("同意", None),
            (f"{random.randint(1, 4)}个人", None),
            ("2027年5月", None),
            ("周杰", None),
            (phone, None),
            (ID_NUMBER, "请核对"),
        ]
        for n, (text, expect) in enumerate(steps, start=1):
            if not self.say(text, f"housing step {n}", expect):
                return
        done = self.say("确认提交", "housing confirm")
        found = NUMBER.search(done)
        if found:
            with _ledger_lock, open(LEDGER, "a", encoding="utf-8") as ledger:
                ledger.write(f"{self.sender}\t{found.group(0)}\n")
