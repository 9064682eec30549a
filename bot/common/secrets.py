"""The assistant's secrets: which variables they are, what counts as weak, how to make them.

Pure standard library: the launcher, the backend, the action server and the
Rasa channels all refuse to start on a missing, placeholder or short secret
with the same one-line Chinese-and-English reason. ``make run`` writes a local,
git-ignored ``.env`` with freshly generated values the first time
(``ensure_env_file``), so no two installations share a secret.
"""

from __future__ import annotations

import base64
import secrets
import string
from collections.abc import Mapping
from pathlib import Path

#: Every secret, with what it protects (the README's security section lists them too).
SECRETS: dict[str, str] = {
    "BACKEND_API_TOKEN": "the action server's token for the backend API",
    "ACTION_SERVER_TOKEN": "Rasa's token for the action server",
    "RASA_API_TOKEN": "signs the JWTs of Rasa's HTTP API (sent in a header)",
    "WEBCHAT_SECRET": "signs web chat sessions, user tokens and REST sender tokens",
    "ID_NUMBER_KEY": "encrypts resident ID numbers at rest and keys their lookup hash",
    "WECHAT_TOKEN": "WeChat's message signature token",
    "WECHAT_ENCODING_AES_KEY": "WeChat's safe-mode AES key",
    "WECHAT_APP_SECRET": "WeChat's AppSecret for the customer-service API",
    "METRICS_TOKEN": "Prometheus's bearer token for GET /metrics of every process",
}
#: Values that were ever documented or defaulted: never accepted as a secret.
PLACEHOLDERS = frozenset(
    {
        "dev-backend-token",
        "dev-rasa-token",
        "dev-webchat-secret",
        "dev-wechat-token",
        "dev-wechat-secret",
        "eXVjYWktbG9jYWwtZGV2LWtleS1ub3QtYS1zZWNyZXQ",
        "generated-by-make-run",
        "change-me",
        "changeme",
        "secret",
        "password",
    }
)
#: 32 random bytes, written in base64url without padding.
MIN_LENGTH = 43
#: WeChat allows a Token of 3-32 letters and digits: we take the longest.
WECHAT_TOKEN_LENGTH = 32
_ALNUM = string.ascii_letters + string.digits


class SecretError(ValueError):
    """A secret is missing, a placeholder or too short: the process must not start."""


def weakness(name: str, value: str | None) -> str | None:
    """Return why ``value`` cannot be ``name``'s secret (Chinese / English), or None."""
    value = (value or "").strip()
    if not value:
        return f"{name} 未设置 / is not set"
    if value in PLACEHOLDERS or value.lower().startswith(("dev-", "change", "generated-by")):
        return f"{name} 是示例占位值 / is a placeholder"
    if name == "WECHAT_TOKEN":
        if len(value) < WECHAT_TOKEN_LENGTH or not all(c in _ALNUM for c in value):
            return f"{name} 须为 32 位字母数字 / must be 32 letters and digits"
        return None
    if name == "WECHAT_ENCODING_AES_KEY":
        return None if len(value) == 43 else f"{name} 须为 43 个字符 / must be 43 characters"
    if name == "WECHAT_APP_SECRET":
        # issued by WeChat (32 hex characters); we can only refuse what is obviously not it
        return None if len(value) >= 32 else f"{name} 太短 / is too short"
    if len(value) < MIN_LENGTH or len(set(value)) < 12:
        return f"{name} 太短（至少 32 个随机字节）/ is too short (needs 32 random bytes)"
    return None


def require(name: str, value: str | None) -> str:
    """Return the secret, or raise SecretError with the one-line reason."""
    reason = weakness(name, value)
    if reason is not None:
        raise SecretError(refusal(reason))
    return (value or "").strip()


def refusal(reason: str) -> str:
    """Word the one-line start-up refusal, pointing at the fix."""
    return (
        f"拒绝启动：{reason}。请删除 .env 中的该行后重新运行 make run 生成新值 / "
        "refusing to start: delete that line from .env and run make run to generate one"
    )


def require_all(env: Mapping[str, str], names: tuple[str, ...] = tuple(SECRETS)) -> None:
    """Check several secrets at once; the first weak one stops the start."""
    for name in names:
        require(name, env.get(name))


def generate(name: str) -> str:
    """Make a fresh random value of the shape ``name`` needs."""
    if name == "WECHAT_TOKEN":
        return "".join(secrets.choice(_ALNUM) for _ in range(WECHAT_TOKEN_LENGTH))
    if name == "WECHAT_ENCODING_AES_KEY":
        return base64.b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    if name == "WECHAT_APP_SECRET":
        return secrets.token_hex(16)
    while True:  # a 43-character value with fewer than 12 distinct characters is rare
        value = secrets.token_urlsafe(32)
        if weakness(name, value) is None:
            return value


def generated_env() -> dict[str, str]:
    """Return a fresh value for every secret (test stacks use this)."""
    return {name: generate(name) for name in SECRETS}


def read_env_file(path: Path) -> dict[str, str]:
    """Read KEY=VALUE lines (comments and blanks skipped) from an env file."""
    values: dict[str, str] = {}
    if not path.exists():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip().strip('"').strip("'")
    return values


def ensure_env_file(path: Path, environ: Mapping[str, str]) -> list[str]:
    """Add a generated value for every secret that neither ``path`` nor ``environ`` sets.

    Values already there are never changed (a weak one is refused at start-up
    with the reason instead). Returns the names written. The file is created
    readable by its owner only.
    """
    present = read_env_file(path)
    missing = [
        name for name in SECRETS if not present.get(name, "").strip() and name not in environ
    ]
    if not missing:
        return []
    lines = [f"{name}={generate(name)}" for name in missing]
    header = "" if path.exists() else "# local secrets, generated by make run; never commit\n"
    path.touch(mode=0o600, exist_ok=True)
    existing = path.read_text(encoding="utf-8")
    if existing and not existing.endswith("\n"):
        existing += "\n"
    # a blank value (``NAME=``) is replaced rather than duplicated
    kept = [line for line in existing.splitlines() if line.partition("=")[0].strip() not in missing]
    body = "\n".join(kept + lines) + "\n"
    path.write_text(header + body if header else body, encoding="utf-8")
    path.chmod(0o600)
    return missing
