"""Operator commands: ``python -m bot.backend.cli init-db | import-hospitals PATH | serve | purge``.

Analytics (bot/backend/analytics): ``analytics-consume`` reads Rasa's event
queue on RabbitMQ into the analytics tables until stopped; ``analytics-ingest
FILE`` stores a recorded event stream the same way (a replay, or `make run`,
which has no broker).

Agent accounts of the hotline console: ``create-agent``, ``set-agent-password``,
``disable-agent``, ``list-agents`` (bot/backend/agents/cli.py). ``serve`` runs
the backend API alone; ``python -m bot.server`` runs it with the console.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from sqlalchemy.orm import Session

from bot.backend.agents.cli import add_commands as add_agent_commands
from bot.backend.bootstrap import import_hospitals_file, init_db
from bot.backend.config import Settings, load_settings
from bot.backend.db import create_db_engine
from bot.backend.errors import ApiError
from bot.backend.logs import server_log_config
from bot.backend.main import create_app
from bot.backend.retention import PurgeReport, purge
from bot.common.metrics import prepare_multiprocess
from bot.common.secrets import SecretError


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _init_db(settings: Settings, _args: argparse.Namespace) -> int:
    report = init_db(settings.database_url, now=_now())
    print(
        f"数据库已升级到最新结构；区县：新增 {report.districts.created}，"
        f"更新 {report.districts.updated}；告知书新增 {report.notices_added} 个版本。"
    )
    if report.hospitals is None:
        print("已有医院数据，未导入样例医院。")
    else:
        print(f"已导入样例医院 {report.hospitals.created} 家（样例数据，仅供开发演示）。")
    return 0


def _import_hospitals(settings: Settings, args: argparse.Namespace) -> int:
    summary = import_hospitals_file(settings.database_url, path=args.path, now=_now())
    print(f"医院导入完成：新增 {summary.created} 家，更新 {summary.updated} 家。")
    return 0


def _purge(settings: Settings, args: argparse.Namespace) -> int:
    now = datetime.fromisoformat(args.now) if args.now else _now()
    if now.tzinfo is None:
        print("错误：--now 需要带时区，例如 2029-12-01T00:00:00+08:00", file=sys.stderr)
        return 2
    report = run_purge(settings, now=now, conversation_days=args.conversation_days)
    print(
        f"清理完成：匿名化申请 {report.requests} 件（清空备注 {report.audit_notes} 条），"
        f"人工会话 {report.handoffs} 个（删除消息 {report.handoff_messages} 条），"
        f"删除闲置对话 {report.tracker_conversations} 个，"
        f"遮盖对话事件 {report.tracker_events_masked} 条。"
    )
    return 0


def run_purge(
    settings: Settings, *, now: datetime, conversation_days: int | None = None
) -> PurgeReport:
    """Run the retention purge once against the configured databases."""
    engine = create_db_engine(settings.database_url)
    try:
        with Session(engine) as session:
            return purge(
                session,
                now=now,
                conversation_days=conversation_days or settings.conversation_retention_days,
                tracker_store_url=settings.tracker_store_url or None,
            )
    finally:
        engine.dispose()


#: how long uvicorn waits for a worker's health answer before restarting it
WORKER_HEALTHCHECK_SECONDS = 60


def serve(
    app: FastAPI, settings: Settings, *, factory: str = "bot.backend.main:create_app"
) -> None:
    """Serve ``app`` on BACKEND_HOST:BACKEND_PORT until stopped, logging through uvicorn.

    With BACKEND_WORKERS > 1 each worker process builds its own app from
    ``factory`` (an import string, as uvicorn needs), reading the same settings.
    Refuses to start (exit 2, one line on stderr) on a missing, placeholder or
    short secret.
    """
    try:
        settings.refuse_weak_secrets()
    except SecretError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(2) from None
    log_config = server_log_config()
    prepare_multiprocess(settings.backend_workers)  # workers share one /metrics (README)
    if settings.backend_workers > 1:
        # worker processes import the app themselves (each builds it from the environment)
        uvicorn.run(
            factory,
            factory=True,
            workers=settings.backend_workers,
            # a worker answers uvicorn's health ping only once it has imported the app;
            # on a busy machine that takes longer than the default 5 s, and uvicorn then
            # kills and restarts every worker forever (seen at load 11 on 2 cores)
            timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
            host=settings.backend_host,
            port=settings.backend_port,
            log_config=log_config,
            proxy_headers=False,
        )
        return
    uvicorn.run(
        app,
        host=settings.backend_host,
        port=settings.backend_port,
        log_config=log_config,
        proxy_headers=False,
    )


def _serve(settings: Settings, _args: argparse.Namespace) -> int:
    serve(create_app(settings), settings)
    return 0


def _provision_postgres(_settings: Settings, args: argparse.Namespace) -> int:
    from bot.backend import provision

    if args.drop:
        provision.drop(args.admin_url, database=args.database)
    else:
        password = os.environ.get(args.password_env) if args.password_env else None
        provision.provision(
            args.admin_url, role=args.role, database=args.database, password=password
        )
    return 0


def _analytics_consume(settings: Settings, args: argparse.Namespace) -> int:
    import signal

    from bot.backend.analytics.consumer import BrokerSettings
    from bot.backend.analytics.service import consumer_for
    from bot.common.pii import install_pii_filter

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    install_pii_filter()
    broker = BrokerSettings()
    consumer = consumer_for(settings, broker)
    signal.signal(signal.SIGTERM, lambda *_: consumer.stop())
    signal.signal(signal.SIGINT, lambda *_: consumer.stop())
    print(
        f"分析事件消费中：{broker.rabbitmq_host}:{broker.rabbitmq_port}"
        f" 队列 {broker.rabbitmq_queue}",
        flush=True,
    )
    if args.exit_when_idle is None:
        report = consumer.run_forever()
    else:
        report = consumer.run(idle_exit_seconds=args.exit_when_idle)
    print(
        f"已处理消息 {report.messages} 条：新存 {report.stored}，重复 {report.duplicates}，"
        f"无关 {report.skipped}，无法识别 {report.malformed}。"
    )
    return 0


def _analytics_ingest(settings: Settings, args: argparse.Namespace) -> int:
    from bot.backend.analytics.service import read_stream, replay

    try:
        events = read_stream(args.path)
    except (OSError, ValueError) as exc:
        print(f"错误：无法读取事件文件：{exc}", file=sys.stderr)
        return 1
    report, bad = replay(settings, events)
    print(
        f"已读入事件 {len(events)} 条：新存 {report.stored}，重复 {report.duplicates}，"
        f"无关 {report.skipped}，无法识别 {bad}。"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Describe the subcommands."""
    parser = argparse.ArgumentParser(
        prog="python -m bot.backend.cli", description="渝才助手服务申请后端的运维命令"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "init-db", help="升级数据库结构，载入区县与告知书；没有医院时导入样例医院"
    ).set_defaults(handler=_init_db)
    importer = commands.add_parser("import-hospitals", help="从 CSV 导入医院（按 code 更新）")
    importer.add_argument("path", type=Path, help="医院 CSV 文件路径")
    importer.set_defaults(handler=_import_hospitals)
    commands.add_parser(
        "serve",
        help="在 BACKEND_HOST:BACKEND_PORT 上只启动后端 API（默认仅本机）；"
        "连同坐席工作台请用 python -m bot.server",
    ).set_defaults(handler=_serve)
    purger = commands.add_parser(
        "purge", help="按告知书保存期限匿名化申请，清理闲置对话与人工会话记录（记入审计）"
    )
    purger.add_argument("--now", help="以此时间为准（ISO 8601，带时区；默认当前时间）")
    purger.add_argument(
        "--conversation-days", type=int, default=None, help="对话闲置多少天后删除（默认取设置）"
    )
    purger.set_defaults(handler=_purge)
    provisioner = commands.add_parser(
        "provision-postgres", help="为一个服务建立独立的 PostgreSQL 角色和数据库（可重复执行）"
    )
    provisioner.add_argument("--role", required=True)
    provisioner.add_argument("--database", required=True)
    provisioner.add_argument(
        "--admin-url",
        default=os.environ.get(
            "POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    provisioner.add_argument("--password-env", help="环境变量名：该角色的密码从这里读取")
    provisioner.add_argument("--drop", action="store_true", help="删除该数据库（测试用）")
    provisioner.set_defaults(handler=_provision_postgres)
    consume = commands.add_parser(
        "analytics-consume", help="从 RabbitMQ 读取 Rasa 的对话事件，写入统计表（直到停止）"
    )
    consume.add_argument(
        "--exit-when-idle", type=float, default=None, metavar="SECONDS",
        help="队列空闲这么多秒后退出（补录、测试用）",
    )  # fmt: skip
    consume.set_defaults(handler=_analytics_consume)
    ingest = commands.add_parser("analytics-ingest", help="把录下的对话事件（JSON）写入统计表")
    ingest.add_argument("path", type=Path, help="事件文件：JSON 数组或每行一个 JSON")
    ingest.set_defaults(handler=_analytics_ingest)
    add_agent_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand and turn known errors into a message and exit code 1."""
    args = build_parser().parse_args(argv)
    settings = load_settings()
    try:
        return int(args.handler(settings, args))
    except ApiError as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
