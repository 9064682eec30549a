"""The cluster manifests and the HAProxy config, checked offline (no cluster, no network).

Runs in the ops environment (``.venv/ops``: kubernetes-validate, PyYAML):
every resource against the Kubernetes API schema, plus what a schema cannot
say: probes everywhere, autoscaling where it is safe, only public paths in
the Ingress, and every ``${VAR}`` Rasa's endpoints need provided.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
KUBERNETES_VERSION = "1.30.0"
PUBLIC_PATHS = {
    "/chat", "/chat/privacy", "/chat/widget.js", "/chat/chat.css", "/chat/webchat.js",
    "/socket.io", "/webhooks/wechat/webhook",
}  # fmt: skip
#: what the Secret ``yucai-secrets`` must hold (README "Running on a cluster")
SECRET_KEYS = {
    "BACKEND_API_TOKEN", "ACTION_SERVER_TOKEN", "RASA_API_TOKEN", "ID_NUMBER_KEY",
    "TRACKER_STORE_URL", "WEBCHAT_SECRET", "BACKEND_DB_PASSWORD",
    "TRACKER_DB_PASSWORD", "REDIS_PASSWORD", "RABBITMQ_USER", "RABBITMQ_PASSWORD",
    "DATABASE_URL", "WEBCHAT_REDIS_URL", "WECHAT_STORE_URL", "WECHAT_APP_ID",
    "WECHAT_APP_SECRET", "WECHAT_TOKEN", "WECHAT_ENCODING_AES_KEY", "METRICS_TOKEN",
}  # fmt: skip


def resources() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc:
                found.append((path.name, doc))
    return found


def by_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for _, doc in resources() if doc["kind"] == kind}


@pytest.mark.parametrize(
    "resource", resources(), ids=lambda r: f"{r[0]}:{r[1]['kind']}/{r[1]['metadata']['name']}"
)
def test_every_resource_matches_the_kubernetes_schema(resource: tuple[str, dict[str, Any]]) -> None:
    kubernetes_validate.validate(resource[1], KUBERNETES_VERSION, strict=True)


def test_every_deployment_has_readiness_and_liveness_probes_and_limits() -> None:
    deployments = by_kind("Deployment")
    assert set(deployments) == {"yucai-rasa", "yucai-actions", "yucai-backend", "yucai-analytics"}
    for name, deployment in deployments.items():
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            assert "readinessProbe" in container and "livenessProbe" in container, name
            assert container["resources"]["limits"]["memory"], name
            assert {"configMapRef": {"name": "yucai-config"}} in container["envFrom"]
            assert {"secretRef": {"name": "yucai-secrets"}} in container["envFrom"]
    rasa = deployments["yucai-rasa"]["spec"]["template"]["spec"]["containers"][0]
    assert rasa["readinessProbe"]["httpGet"]["path"] == "/ready"  # tracker + lock store
    assert rasa["command"][-1] == "bot.serving"  # fail-closed Rasa, not plain `rasa run`
    backend = deployments["yucai-backend"]["spec"]["template"]["spec"]["containers"][0]
    assert backend["readinessProbe"]["httpGet"]["path"] == "/ready"


def test_rasa_takes_jwts_and_the_action_servers_a_token() -> None:
    deployments = by_kind("Deployment")
    rasa = deployments["yucai-rasa"]["spec"]["template"]["spec"]["containers"][0]
    assert "--auth-token" not in rasa["args"] and "run" not in rasa["args"]
    actions = deployments["yucai-actions"]["spec"]["template"]["spec"]["containers"][0]
    assert actions["command"][-1] == "actions.server"  # behind ACTION_SERVER_TOKEN
    endpoints = yaml.safe_load((ROOT / "deploy" / "endpoints.prod.yml").read_text("utf-8"))
    assert endpoints["action_endpoint"]["headers"] == {
        "Authorization": "Bearer ${ACTION_SERVER_TOKEN}"
    }
    config = by_kind("ConfigMap")["yucai-config"]["data"]
    assert config["YUCAI_PROFILE"] == "production" and config["REST_CHANNEL"] == "signed"


def test_rasa_and_the_action_servers_autoscale_from_two() -> None:
    hpas = by_kind("HorizontalPodAutoscaler")
    assert {h["spec"]["scaleTargetRef"]["name"] for h in hpas.values()} == {
        "yucai-rasa",
        "yucai-actions",
    }
    assert all(h["spec"]["minReplicas"] >= 2 for h in hpas.values())


def test_the_ingress_routes_only_public_paths_to_rasa() -> None:
    paths = set()
    for ingress in by_kind("Ingress").values():
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                assert path["backend"]["service"]["name"] == "yucai-rasa"
                paths.add(path["path"])
    assert paths == PUBLIC_PATHS
    wechat = by_kind("Ingress")["yucai-wechat"]["metadata"]["annotations"]
    assert wechat["nginx.ingress.kubernetes.io/upstream-hash-by"] == "$arg_openid"


def test_every_variable_of_the_prod_endpoints_is_provided() -> None:
    config = set(by_kind("ConfigMap")["yucai-config"]["data"])
    needed = set(
        re.findall(r"\$\{([A-Z0-9_]+)\}", _without_comments(ROOT / "deploy" / "endpoints.prod.yml"))
    )
    assert needed <= config | SECRET_KEYS, needed - config - SECRET_KEYS
    lock = int(by_kind("ConfigMap")["yucai-config"]["data"]["TICKET_LOCK_LIFETIME"])
    assert lock > float(by_kind("ConfigMap")["yucai-config"]["data"]["ACTION_TIMEOUT_SECONDS"])


def test_the_haproxy_config_is_valid() -> None:
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(haproxy).exists():
        pytest.skip("HAProxy is not installed (make run-prod installs it)")
    names = ("YUCAI_PUBLIC_PORT", "YUCAI_INTERNAL_PORT", "ACTION_LB_PORT", "HAPROXY_STATS_PORT",
             "RASA_PORT_1", "RASA_PORT_2", "ACTION_SERVER_PORT_1",
             "ACTION_SERVER_PORT_2")  # fmt: skip
    ports = {name: str(20000 + n) for n, name in enumerate(names)}
    checked = subprocess.run(
        [haproxy, "-c", "-f", str(ROOT / "deploy" / "haproxy" / "haproxy.cfg")],
        env=ports, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "WARNING" not in checked.stdout + checked.stderr


def _without_comments(path: Path) -> str:
    return "\n".join(
        line.split("#", 1)[0] for line in path.read_text(encoding="utf-8").splitlines()
    )


def test_every_secret_the_processes_require_is_a_key_of_the_secret() -> None:
    # bot/common/secrets.py is pure standard library: read it without importing the project
    source = (ROOT / "bot" / "common" / "secrets.py").read_text(encoding="utf-8")
    block = source.split("SECRETS: dict[str, str] = {", 1)[1].split("}", 1)[0]
    required = set(re.findall(r'^\s*"([A-Z0-9_]+)":', block, flags=re.MULTILINE))
    assert "METRICS_TOKEN" in required
    assert required <= SECRET_KEYS, required - SECRET_KEYS
    comment = _comments(K8S / "config.yaml")
    for name in required - {"WECHAT_APP_SECRET", "WECHAT_TOKEN", "WECHAT_ENCODING_AES_KEY"}:
        assert name in comment, f"{name} is not listed among the Secret's keys in config.yaml"


def _comments(path: Path) -> str:
    lines = path.read_text(encoding="utf-8").splitlines()
    return "\n".join(line.split("#", 1)[1] for line in lines if "#" in line)
