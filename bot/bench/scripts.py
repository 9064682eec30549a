"""What the bench says to each target: Yucai's real work, the stock bot's own English, an echo.

Yucai's mix is half request-flow turns (a talent-housing request from the first
message to its number: consent, form, read-back, a backend write) and half
policy questions (knowledge search with a cited answer), as the load test of
the production topology has it (tests/load/locustfile.py). The stock bot gets
the messages its own ``rasa init`` stories know. Each conversation has a new
sender; a step's ``expect`` is a regular expression its reply must match.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Step:
    """One message, what kind of turn it is, and what its reply must contain."""

    text: str
    kind: str
    expect: str | None = None
    #: False where saying nothing is the bot's own choice (the stock bot, deep in a long chat)
    must_answer: bool = True


Conversation = tuple[Step, ...]

#: a request number: random in production (HS20261129-4827K), sequential elsewhere
NUMBER = r"[A-Z]{2}\d{8}-\d{4}[A-Z]?"
CITED = "来源"
#: questions the e2e tests pin to a cited answer (tests/e2e/test_policy_answers.py)
POLICY_QUESTIONS = (
    "全市人才住房一共筹集了多少套",
    "科技工作者看病的定点医院有几家，晚上能看不",
    "娃儿上学的服务已经办了好多人次了",
    "金凤凰那个码扫了能干嘛",
    "人才管家可以帮我跑哪些手续",
    "承诺件以前要35天，现在好久能办完",
    "知识价值信用贷款一共放了多少钱给几家企业",
    "高校科研院所的编制绿色通道支持了几个人",
)
DISTRICTS = ("渝北", "沙坪坝", "江北", "九龙坡", "南岸")
#: a valid test resident ID (GB 11643 check digit), as tests/load uses
ID_NUMBER = "11010519491231002X"


def housing_request(rng: random.Random) -> Conversation:
    """Return a talent-housing request from the first message to the number (8 turns)."""
    phone = f"135{rng.randint(0, 99_999_999):08d}"
    return (
        Step(f"帮我申请青年人才公租房，想住{rng.choice(DISTRICTS)}", "request", "告知"),
        Step("同意", "request"),
        Step(f"{rng.randint(1, 4)}个人", "request"),
        Step("2027年5月", "request"),
        Step("周杰", "request"),
        Step(phone, "request"),
        Step(ID_NUMBER, "request", "请核对"),
        Step("确认提交", "request", NUMBER),
    )


def policy_questions(rng: random.Random, count: int = 2) -> Conversation:
    """Return ``count`` policy questions, each answered from the knowledge base with a source."""
    return tuple(Step(q, "policy", CITED) for q in rng.sample(POLICY_QUESTIONS, count))


def yucai_mix(seed: int = 13) -> Callable[[], Conversation]:
    """Return a source of Yucai conversations: one request flow, then four policy chats."""
    rng = random.Random(seed)
    shape = itertools.cycle(("request", "policy", "policy", "policy", "policy"))

    def next_conversation() -> Conversation:
        if next(shape) == "request":
            return housing_request(rng)
        return policy_questions(rng)

    return next_conversation


#: one long conversation for M3 (no form: a form would end in a request each time)
YUCAI_LONG = tuple(Step(q, "policy", CITED) for q in POLICY_QUESTIONS) + (Step("谢谢", "chat"),)

#: the stock bot's own stories and rules (rasa init): greet, mood, cheer up, bot challenge
STOCK_CONVERSATIONS: tuple[Conversation, ...] = (
    (Step("hello", "chat"), Step("I am feeling great", "chat")),
    (Step("hi", "chat"), Step("I am sad", "chat"), Step("yes", "chat")),
    (Step("good morning", "chat"), Step("very bad", "chat"), Step("no", "chat")),
    (Step("are you a bot?", "chat"), Step("bye", "chat")),
)
#: its stories are two or three turns long: 200 turns in one conversation go off them, and
#: it may then predict no reply at all, which is its answer, not a failure of the bench
STOCK_LONG: Conversation = tuple(
    replace(step, must_answer=False) for step in itertools.chain.from_iterable(STOCK_CONVERSATIONS)
)

ECHO_CONVERSATIONS: tuple[Conversation, ...] = ((Step("hello", "echo", "hello"),),)


def cycling(conversations: tuple[Conversation, ...]) -> Callable[[], Conversation]:
    """Return a source that hands out ``conversations`` in turn, forever."""
    cycle = itertools.cycle(conversations)
    return lambda: next(cycle)


def endless(source: Callable[[], Conversation]) -> Iterator[Conversation]:
    """Return an iterator over a conversation source (for the sequential M1 run)."""
    while True:
        yield source()
