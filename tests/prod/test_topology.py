"""The production topology under faults: honest answers, nothing lost, nothing doubled.

One topology for the whole module (starting two Rasa instances costs minutes
on two cores); the tests run in this order and the last one kills a Rasa
instance for good. Each fault test ends with the ledger check.
"""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg2
import pytest

from bot.launcher import ROOT
from tests.e2e.widget_user import WidgetUser
from tests.fake_wechat import WeChatPusher
from tests.prod.conftest import ARTIFACTS, BUSY, NUMBER, Prod, check_ledger

ID_NUMBER = "11010519491231002X"
PHONES: list[str] = []


def phone(n: int) -> str:
    """A distinct valid mobile number per user (remembered for the log check)."""
    value = f"1370000{n:04d}"
    PHONES.append(value)
    return value


def fill_housing(
    prod: Prod, user: str, mobile: str, *, until_id: bool = True, base: str | None = None
) -> str:
    """Fill the housing form up to the read-back (or the phone question); return the last reply."""
    assert "告知" in prod.say(user, "帮我申请青年人才公租房，想住沙坪坝", base=base)
    prod.say(user, "同意", base=base)
    prod.say(user, "2个人", base=base)
    prod.say(user, "2027年5月", base=base)
    reply = prod.say(user, "周杰", base=base)
    if not until_id:
        return reply
    prod.say(user, mobile, base=base)
    return prod.say(user, ID_NUMBER, base=base)


def ledger(prod: Prod) -> None:
    check_ledger(prod, ARTIFACTS / "logs", (*PHONES, ID_NUMBER))


def test_the_public_listener_serves_only_chat_socketio_and_wechat(prod: Prod) -> None:
    public = prod.topology.public_url

    def status(path: str, method: str = "GET") -> int:
        request = urllib.request.Request(f"{public}{path}", method=method, data=None)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)

    assert status("/chat") == 200
    for page in ("/chat/privacy", "/chat/widget.js", "/chat/chat.css", "/chat/webchat.js"):
        assert status(page) == 200, page
    assert status("/socket.io/?EIO=4&transport=polling") == 200
    assert status("/webhooks/wechat/webhook") in {400, 403}  # reached, refused unsigned
    for private in ("/webhooks/rest/webhook", "/status", "/conversations/x/tracker", "/model/parse",
                    "/webhook", "/api/v1/requests", "/console/", "/",
                    "/chat/anything-else", "/health", "/metrics"):  # fmt: skip
        assert status(private) == 404, private


def test_every_part_reports_ready(prod: Prod) -> None:
    for n in (1, 2):
        code, body = prod.ready(prod.topology.rasa_url(n))
        assert code == 200, body
        assert body["tracker_store"] == body["lock_store"] == body["event_broker"] == "ok"
    code, body = prod.ready(prod.topology.backend_url)
    assert (code, body) == (200, {"status": "ok", "database": "ok"})


def rest_turns_per_instance(prod: Prod, backend: str = "rasa_rest") -> dict[str, int]:
    """HAProxy's count of requests ``backend`` sent to each Rasa instance so far (stats CSV)."""
    url = f"http://127.0.0.1:{prod.topology.env['HAPROXY_STATS_PORT']}/stats;csv"
    with urllib.request.urlopen(url, timeout=10) as response:
        rows = csv.DictReader(response.read().decode().lstrip("# ").splitlines())
        return {
            row["svname"]: int(row["stot"])
            for row in rows
            if row["pxname"] == backend and row["svname"] in ("rasa1", "rasa2")
        }


def test_new_senders_go_to_the_less_busy_instance(prod: Prod) -> None:
    """One at a time, new senders alternate (a hash of the sender spread them at random)."""
    before = rest_turns_per_instance(prod)
    for n in range(60):
        assert prod.say(f"spread-{n}", "你好")
    after = rest_turns_per_instance(prod)
    served = {name: after[name] - before[name] for name in after}
    assert sum(served.values()) == 60
    assert abs(served["rasa1"] - served["rasa2"]) <= 2, served


def test_a_senders_turns_stay_on_one_instance(prod: Prod) -> None:
    """Each instance counts its own senders' turns: split over two, the limit would double."""
    limit = int(prod.topology.env.get("CHAT_TURNS_PER_MINUTE", "20"))
    for _ in range(limit):
        assert prod.say("chatty", "你好")
    with pytest.raises(urllib.error.HTTPError) as refused:
        prod.say("chatty", "你好")
    assert refused.value.code == 429
    assert "太快" in json.loads(refused.value.read())[0]["text"]


def test_wechat_users_spread_by_load_and_each_stays_on_one_instance(prod: Prod) -> None:
    """New OpenIDs alternate between the instances; one user's pushes all reach one of them."""
    wechat = WeChatPusher(f"{prod.topology.public_url}/webhooks/wechat/webhook")

    def push(user: str) -> None:
        body, query = wechat.seal(wechat.text(user, "你好"))
        assert wechat.post(body, {**query, "openid": user}).status == 200

    before = rest_turns_per_instance(prod, "rasa_wechat")
    for n in range(40):
        push(f"oPRODspread{n:04d}")
    middle = rest_turns_per_instance(prod, "rasa_wechat")
    spread = {name: middle[name] - before[name] for name in middle}
    assert sum(spread.values()) == 40
    assert abs(spread["rasa1"] - spread["rasa2"]) <= 2, spread
    for _ in range(6):
        push("oPRODstays0001")
    after = rest_turns_per_instance(prod, "rasa_wechat")
    stayed = sorted(after[name] - middle[name] for name in after)
    assert stayed == [0, 6], stayed


def test_a_request_through_haproxy_is_created_once(prod: Prod) -> None:
    user = "prod-happy"
    assert "请核对" in fill_housing(prod, user, phone(1))
    done = prod.say(user, "确认提交")
    assert NUMBER.search(done), done
    ledger(prod)


def test_tracker_store_unreachable_mid_form_fails_closed_and_the_form_survives(
    prod: Prod,
) -> None:
    user = "prod-tracker-down"
    fill_housing(prod, user, phone(2), until_id=False)
    before = len(prod.tracker(user)["events"])
    prod.proxies["tracker_db"].set_mode("refuse")
    try:
        reply, took = prod.timed_say(user, PHONES[-1])
    finally:
        prod.proxies["tracker_db"].set_mode("pass")
    assert BUSY in reply and took < 5, (reply, took)
    assert len(prod.tracker(user)["events"]) == before, "nothing of the failed turn is saved"
    # the half-filled form is intact: the same answer now goes on to the ID number
    assert "身份证" in prod.say(user, PHONES[-1])
    assert "请核对" in prod.say(user, ID_NUMBER)
    assert NUMBER.search(prod.say(user, "确认提交"))
    ledger(prod)


def test_redis_unreachable_fails_closed_then_recovers(prod: Prod) -> None:
    user = "prod-redis-down"
    prod.proxies["redis"].set_mode("refuse")
    try:
        reply, took = prod.timed_say(user, "你好")
    finally:
        prod.proxies["redis"].set_mode("pass")
    assert BUSY in reply and took < 5, (reply, took)
    assert BUSY not in prod.say(user, "你好")


def test_rabbitmq_down_turns_are_still_answered(prod: Prod) -> None:
    user = "prod-broker-down"
    prod.proxies["rabbitmq"].set_mode("refuse")
    try:
        reply, took = prod.timed_say(user, "人才住房怎么申请")
        assert reply and BUSY not in reply and took < 5, (reply, took)
        # the instances stay ready: events wait in memory for the broker
        for n in (1, 2):
            code, body = prod.ready(prod.topology.rasa_url(n))
            assert code == 200 and body["event_broker"] in {"ok", "buffering"}
        assert prod.event_backlog() > 0  # that turn's events are kept, not dropped
    finally:
        prod.proxies["rabbitmq"].set_mode("pass")
    assert BUSY not in prod.say(user, "谢谢")
    # the broker comes back: the kept events are published and confirmed
    deadline = time.monotonic() + 60
    while prod.event_backlog() > 0:
        assert time.monotonic() < deadline, "the events kept while RabbitMQ was away stay unsent"
        time.sleep(1)


def test_hung_action_servers_still_get_an_answer_within_about_5s(prod: Prod) -> None:
    rest_user = "prod-actions-hung"
    web = WidgetUser(prod.topology.public_url)
    actions = [prod.topology.service(f"actions{n}").process for n in (1, 2)]
    for process in actions:
        assert process is not None
        os.kill(process.pid, signal.SIGSTOP)
    try:
        reply, took = prod.timed_say(rest_user, "帮我申请青年人才公租房，想住沙坪坝")
        assert BUSY in reply and took < 6, (reply, took)
        started = time.monotonic()
        web.say("我想给我女儿办小学入学，我们住渝北")
        web.expect(BUSY, timeout=10)
        assert time.monotonic() - started < 6
    finally:
        for process in actions:
            assert process is not None
            os.kill(process.pid, signal.SIGCONT)
        web.sio.disconnect()
    # HAProxy's health checks take the woken servers back within a few seconds
    assert "告知" in _eventually(prod, "prod-actions-woken", "帮我申请青年人才公租房，想住沙坪坝")


def _eventually(prod: Prod, user: str, text: str, within: float = 30) -> str:
    """Say ``text`` until the answer is no longer "busy" (a part coming back)."""
    deadline = time.monotonic() + within
    while True:
        reply = prod.say(user, text)
        if BUSY not in reply or time.monotonic() > deadline:
            return reply
        time.sleep(1)


def test_hung_action_servers_wechat_still_gets_an_answer(prod: Prod) -> None:
    wechat = WeChatPusher(f"{prod.topology.public_url}/webhooks/wechat/webhook")
    user = "oPRODwechatHung0001"
    actions = [prod.topology.service(f"actions{n}").process for n in (1, 2)]
    for process in actions:
        assert process is not None
        os.kill(process.pid, signal.SIGSTOP)
    try:
        body, query = wechat.seal(wechat.text(user, "帮我申请青年人才公租房，想住沙坪坝"))
        answer = wechat.post(body, {**query, "openid": user})  # WeChat adds ?openid=
        assert answer.status == 200 and answer.seconds < 5, answer
        if answer.body == "success":  # too slow for the passive reply: the API brings it
            texts = prod.wechat_api.wait_for_texts(user, 1, timeout=10)
        else:
            texts = [wechat.open_reply(answer.body)["Content"]]
        assert any(BUSY in text for text in texts), texts
    finally:
        for process in actions:
            assert process is not None
            os.kill(process.pid, signal.SIGCONT)
    assert BUSY not in _eventually(prod, "prod-actions-woken-2", "帮我申请青年人才公租房")


def test_bursts_of_confirm_from_two_senders_and_two_instances_make_one_request_each(
    prod: Prod,
) -> None:
    users = {"prod-burst-a": phone(3), "prod-burst-b": phone(4)}
    for user, mobile in users.items():
        assert "请核对" in fill_housing(prod, user, mobile)
    bases = [prod.topology.internal_url, prod.topology.rasa_url(1), prod.topology.rasa_url(2)]
    jobs = [(user, bases[i % 3]) for user in users for i in range(6)]  # both instances race too
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        replies = list(pool.map(lambda job: prod.say(job[0], "确认提交", base=job[1]), jobs))
    assert all(BUSY not in r for r in replies), replies
    for user in users:
        numbers = {n for u, n in prod.told if u == user}
        assert len(numbers) == 1, numbers
        rows = prod.rows(
            "select count(*) from service_request where sender_id = %s", prod.sender_id(user)
        )
        assert rows[0][0] == 1
    ledger(prod)


def test_the_backends_answer_lost_after_commit_is_retried_with_the_same_key(prod: Prod) -> None:
    user = "prod-answer-lost"
    assert "请核对" in fill_housing(prod, user, phone(6))
    backend_proxy = prod.proxies["backend"]
    backend_proxy.set_mode("drop_responses", drop_limit=1)  # committed, answer lost once
    try:
        done = prod.say(user, "确认提交")
    finally:
        backend_proxy.set_mode("pass")
    assert backend_proxy.drops >= 1
    assert NUMBER.search(done), done
    assert (
        prod.rows(
            "select count(*) from service_request where sender_id = %s", prod.sender_id(user)
        )[0][0]
        == 1
    )
    ledger(prod)


def test_kill_9_of_the_action_servers_right_after_the_backend_committed(prod: Prod) -> None:
    user = "prod-actions-killed"
    assert "请核对" in fill_housing(prod, user, phone(5))
    backend_proxy = prod.proxies["backend"]
    killed = threading.Event()

    def kill_actions() -> None:
        for n in (1, 2):
            prod.topology.kill(f"actions{n}")
        killed.set()

    backend_proxy.on_drop = kill_actions
    backend_proxy.set_mode("drop_responses", drop_limit=1)
    try:
        reply, took = prod.timed_say(user, "确认提交")
    finally:
        backend_proxy.on_drop = None
        backend_proxy.set_mode("pass")
    # Rasa may answer (HAProxy's 502 from the first server killed) before the
    # proxy's thread has killed the second one and set the flag
    assert killed.wait(10)
    assert BUSY in reply and not NUMBER.search(reply) and took < 7, (reply, took)
    assert (
        prod.rows(
            "select count(*) from service_request where sender_id = %s", prod.sender_id(user)
        )[0][0]
        == 1
    )
    for n in (1, 2):
        prod.topology.restart(f"actions{n}")
    done = prod.say(user, "重试")
    number = NUMBER.search(done)
    assert number, done
    assert prod.rows(
        "select number from service_request where sender_id = %s", prod.sender_id(user)
    ) == [(number.group(0),)]
    ledger(prod)


def _drop_backend_connections(prod: Prod) -> int:
    env = prod.topology.env
    with psycopg2.connect(host=env["POSTGRES_HOST"], user="postgres", dbname="postgres") as conn:
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute(
                "select count(pg_terminate_backend(pid)) from pg_stat_activity"
                " where datname = %s and pid <> pg_backend_pid()",
                (env["BACKEND_DB_NAME"],),
            )
            return int(cursor.fetchone()[0])


def test_backend_database_connections_dropped_during_creation(prod: Prod) -> None:
    users = {f"prod-pgdrop-{n}": phone(10 + n) for n in range(4)}
    for user, mobile in users.items():
        assert "请核对" in fill_housing(prod, user, mobile)
    stop = threading.Event()

    def keep_dropping() -> None:
        while not stop.is_set():
            _drop_backend_connections(prod)
            time.sleep(0.05)

    dropper = threading.Thread(target=keep_dropping)
    dropper.start()
    try:
        with ThreadPoolExecutor(max_workers=len(users)) as pool:
            replies = dict(
                zip(users, pool.map(lambda u: prod.say(u, "确认提交"), users), strict=True)
            )
    finally:
        stop.set()
        dropper.join()
    for user, reply in replies.items():
        if not NUMBER.search(reply):  # told plainly, details kept: retry with the same key
            assert "重试" in reply, reply
            assert NUMBER.search(prod.say(user, "重试")), user
    for user in users:
        assert (
            prod.rows(
                "select count(*) from service_request where sender_id = %s", prod.sender_id(user)
            )[0][0]
            == 1
        )
    assert prod.ready(prod.topology.backend_url)[0] == 200
    ledger(prod)


def test_backend_restart_under_load(prod: Prod) -> None:
    users = {f"prod-restart-{n}": phone(20 + n) for n in range(3)}
    for user, mobile in users.items():
        assert "请核对" in fill_housing(prod, user, mobile)
    with ThreadPoolExecutor(max_workers=4) as pool:
        chatter = [pool.submit(prod.say, f"prod-chatter-{n}", "人才住房怎么申请") for n in range(6)]
        restart = pool.submit(prod.topology.restart, "backend")
        time.sleep(0.3)
        confirms = {user: pool.submit(prod.say, user, "确认提交") for user in users}
        restart.result(timeout=120)
        assert all(f.result(timeout=60) for f in chatter)
        replies = {user: f.result(timeout=60) for user, f in confirms.items()}
    for user, reply in replies.items():
        if not NUMBER.search(reply):
            assert "重试" in reply, reply
            assert NUMBER.search(prod.say(user, "重试")), user
        assert (
            prod.rows(
                "select count(*) from service_request where sender_id = %s", prod.sender_id(user)
            )[0][0]
            == 1
        )
    ledger(prod)


def test_an_agent_reply_reaches_the_socket_through_the_other_instance(prod: Prod) -> None:
    web = WidgetUser(prod.topology.public_url)
    try:
        web.say("你好")
        web.expect("渝才助手")
        held_by = web.sio.eio.http.cookies.get("YUCAI_RASA")
        assert held_by in {"r1", "r2"}
        other = prod.topology.rasa_url(2 if held_by == "r1" else 1)
        body = json.dumps([{"event": "bot", "text": "人工客服小李：您好"}]).encode()
        request = urllib.request.Request(
            f"{other}/conversations/{web.session_id}/tracker/events"
            "?output_channel=latest&execute_side_effects=true",
            body,
            {"Content-Type": "application/json", **prod.topology.rasa_headers("tests")},
        )
        with urllib.request.urlopen(request, timeout=15) as response:
            assert response.status == 200
        web.expect("人工客服小李", timeout=15)
    finally:
        web.sio.disconnect()


def _rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (uvicorn's workers), in MB."""
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]
        pending += [int(child) for child in children]
    return total


def _memory(prod: Prod) -> dict[str, float]:
    return {
        service.name: _rss_mb(service.process.pid)
        for service in prod.topology.services
        if service.process is not None and service.process.poll() is None
    }


def test_load_of_simulated_users_through_haproxy(prod: Prod) -> None:
    """Locust: 30 s in make test; YUCAI_LOAD_SECONDS / YUCAI_LOAD_USERS for make soak."""
    seconds = int(os.environ.get("YUCAI_LOAD_SECONDS", "30"))
    users = int(os.environ.get("YUCAI_LOAD_USERS", "4"))
    locust = ROOT / ".venv" / "ops" / "bin" / "locust"
    if not locust.exists():
        pytest.skip("the ops environment is missing: `make ops` creates it")
    out = ARTIFACTS / "load"
    out.mkdir(parents=True, exist_ok=True)
    ledger_file = out / "ledger.tsv"
    ledger_file.write_text("", encoding="utf-8")
    before = _memory(prod)
    run = subprocess.run(
        [str(locust), "-f", str(ROOT / "tests" / "load" / "locustfile.py"), "--headless",
         "-u", str(users), "-r", "2", "-t", f"{seconds}s", "--stop-timeout", "30",
         "-H", prod.topology.internal_url, "--csv", str(out / "run"), "--only-summary"],
        cwd=ROOT,
        env={
            **os.environ,
            "YUCAI_LOAD_LEDGER": str(ledger_file),
            # the simulated users sign in as the host site would (REST is signed)
            "WEBCHAT_SECRET": prod.topology.env["WEBCHAT_SECRET"],
        },
        capture_output=True, text=True, timeout=seconds + 180, check=False,
    )  # fmt: skip
    after = _memory(prod)
    with open(out / "run_stats.csv", encoding="utf-8") as stats:
        total = next(row for row in csv.DictReader(stats) if row["Name"] == "Aggregated")
    with open(out / "run_failures.csv", encoding="utf-8") as failures:
        failed = {row["Error"]: int(row["Occurrences"]) for row in csv.DictReader(failures)}
    for line in ledger_file.read_text(encoding="utf-8").splitlines():
        sender, number = line.split("\t")
        prod.told.append((sender, number))
    report = (
        f"load: {users} users for {seconds}s through HAProxy: {total['Request Count']} turns, "
        f"{total['Failure Count']} failed, p50 {total['50%']} ms, p95 {total['95%']} ms, "
        f"p99 {total['99%']} ms, requests created {len(ledger_file.read_text().splitlines())}\n"
        f"failures: {failed}\n"
        + "\n".join(
            f"RSS {name}: {before.get(name, 0):.0f} -> {mb:.0f} MB "
            f"({mb - before.get(name, 0):+.0f})"
            for name, mb in after.items()
        )
    )
    (out / "report.txt").write_text(report + "\n", encoding="utf-8")
    print("\n" + report)
    assert int(total["Request Count"]) > 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert not any("empty reply" in error for error in failed), failed  # never silence
    ledger(prod)


def test_kill_9_of_one_rasa_mid_form_the_user_carries_on_through_the_other(prod: Prod) -> None:
    users = {f"prod-rasa-killed-{n}": phone(30 + n) for n in range(2)}
    for user in users:  # half a form each, on instance 1
        fill_housing(prod, user, "", until_id=False, base=prod.topology.rasa_url(1))
    prod.topology.kill("rasa1")
    for user, mobile in users.items():  # through HAProxy, which now has only instance 2
        assert "身份证" in prod.say(user, mobile), user
        read_back = prod.say(user, ID_NUMBER)
        assert "请核对" in read_back and "沙坪坝" in read_back and "2027" in read_back
        assert NUMBER.search(prod.say(user, "确认提交"))
    ledger(prod)
