"""Operator commands for agent accounts, added to ``python -m bot.backend.cli``.

Passwords never appear on the command line (shell history, ``ps``): they are
typed at a prompt, or piped in with ``--password-stdin``.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

from sqlalchemy.orm import Session

from bot.backend.agents import service
from bot.backend.agents.models import ROLES, TEAMS
from bot.backend.config import Settings
from bot.backend.db import create_db_engine
from bot.backend.errors import ValidationFailedError

Handler = Callable[[Settings, argparse.Namespace], int]


def _now() -> datetime:
    return datetime.now(timezone.utc)


@contextmanager
def _session(settings: Settings) -> Iterator[Session]:
    engine = create_db_engine(settings.database_url)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("密码：")
    if first != getpass.getpass("再次输入密码："):
        raise ValidationFailedError("两次输入的密码不一致")
    return first


def _create(settings: Settings, args: argparse.Namespace) -> int:
    password = _read_password(args)
    with _session(settings) as session:
        agent = service.create_agent(
            session,
            username=args.username,
            display_name=args.name or args.username,
            password=password,
            role=args.role,
            teams=args.teams.split(","),
            now=_now(),
        )
        print(f"已创建{agent.role}账号 {agent.username}（小组：{'、'.join(agent.teams)}）。")
    return 0


def _password(settings: Settings, args: argparse.Namespace) -> int:
    password = _read_password(args)
    with _session(settings) as session:
        service.set_password(session, username=args.username, password=password, now=_now())
    print(f"已为 {args.username} 设置新密码，原有登录已全部失效。")
    return 0


def _disable(settings: Settings, args: argparse.Namespace) -> int:
    with _session(settings) as session:
        service.set_active(session, username=args.username, active=args.enable, now=_now())
    print(f"已{'启用' if args.enable else '停用'}账号 {args.username}。")
    return 0


def _list(settings: Settings, _args: argparse.Namespace) -> int:
    with _session(settings) as session:
        for agent in service.list_agents(session):
            state = "启用" if agent.active else "停用"
            print(
                f"{agent.username}\t{agent.display_name}\t{agent.role}\t{','.join(agent.teams)}\t{state}"
            )
    return 0


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the agent-account subcommands on the backend's CLI."""
    create = commands.add_parser("create-agent", help="创建热线坐席账号（密码在提示符输入）")
    create.add_argument("username", help="登录用户名：小写字母开头，2–32 位")
    create.add_argument("--name", help="显示名称，如 李老师；默认同用户名")
    create.add_argument("--role", choices=ROLES, default="agent", help="agent 或 supervisor")
    create.add_argument(
        "--teams",
        default="general",
        help=f"逗号分隔的小组：{','.join(TEAMS)}（决定可见的申请与转人工会话）",
    )
    create.add_argument("--password-stdin", action="store_true", help="从标准输入读取一行作为密码")
    create.set_defaults(handler=_create)
    password = commands.add_parser("set-agent-password", help="重设坐席密码并使其所有登录失效")
    password.add_argument("username")
    password.add_argument("--password-stdin", action="store_true")
    password.set_defaults(handler=_password)
    disable = commands.add_parser("disable-agent", help="停用坐席账号（--enable 重新启用）")
    disable.add_argument("username")
    disable.add_argument("--enable", action="store_true")
    disable.set_defaults(handler=_disable)
    commands.add_parser("list-agents", help="列出坐席账号").set_defaults(handler=_list)
