"""M6: train Yucai's full model into a scratch directory, and the stock bot (cached).

Both train as ``make train`` does, with TensorFlow's own thread count (every
core: training is one job; ``TRAIN_TF_THREADS``, default ``0``), and with an
empty Rasa training cache of their own (``RASA_CACHE_DIRECTORY``): a warm cache
would make a retraining look fast. The stock ``rasa init`` project is kept under
``var/bench/cache/`` keyed by the Rasa and Python versions, so a re-run serves
the same model and reports the training figures it measured then.
"""

from __future__ import annotations

import hashlib
import json
import platform
import shutil
from importlib import metadata
from pathlib import Path
from typing import Any

from bot.bench.procs import timed_run
from bot.launcher import RASA_BIN, ROOT

TRAIN_TIMEOUT_S = 900.0


def train_threads(env: dict[str, str]) -> str:
    """Return the TensorFlow threads training runs with (the Makefile's ``TRAIN_TF_THREADS``)."""
    return env.get("TRAIN_TF_THREADS", "").strip() or "0"


def stock_key(threads: str = "0") -> str:
    """Return the cache key of the stock bot: what decides what ``rasa init`` trains, and how."""
    versions = f"rasa {metadata.version('rasa')} python {platform.python_version()}"
    return hashlib.sha256(f"{versions} threads {threads}".encode()).hexdigest()[:12]


def _training_env(base: dict[str, str], cache: Path) -> dict[str, str]:
    threads = train_threads(base)
    return {
        **base,
        "RASA_CACHE_DIRECTORY": str(cache),
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_INTRA_OP_PARALLELISM_THREADS": threads,
        "TF_INTER_OP_PARALLELISM_THREADS": threads,
    }


def stock_bot(cache_root: Path, env: dict[str, str], log_dir: Path) -> dict[str, Any]:
    """Return the stock bot's project, model and training figures, training it if not cached."""
    home = cache_root / f"stock-{stock_key(train_threads(env))}"
    record = home / "training.json"
    project = home / "project"
    models = sorted((project / "models").glob("*.tar.gz")) if project.exists() else []
    if record.exists() and models:
        figures = json.loads(record.read_text(encoding="utf-8"))
        return {**figures, "cached": True, "project": str(project), "model": str(models[-1])}
    shutil.rmtree(home, ignore_errors=True)
    project.mkdir(parents=True)  # rasa init --no-prompt wants the directory to exist
    run = timed_run(
        [str(RASA_BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(project)],
        cwd=home,
        env=_training_env(env, home / "rasa-cache"),
        log=log_dir / "stock-train.log",
        timeout=TRAIN_TIMEOUT_S,
    )
    shutil.rmtree(home / "rasa-cache", ignore_errors=True)
    models = sorted((project / "models").glob("*.tar.gz"))
    if run.returncode != 0 or not models:
        raise RuntimeError(f"rasa init failed ({run.returncode}); see {log_dir}/stock-train.log")
    figures = {
        "wall_s": run.wall_s,
        "peak_rss_mib": run.peak_rss_mib,
        "model_mib": models[-1].stat().st_size / 2**20,
        "rasa": metadata.version("rasa"),
    }
    record.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return {**figures, "cached": False, "project": str(project), "model": str(models[-1])}


def yucai_model(scratch: Path, env: dict[str, str], log_dir: Path) -> dict[str, Any]:
    """Train Yucai's full model as ``make train`` does, into ``scratch`` (never models/)."""
    out = scratch / "models"
    run = timed_run(
        [str(RASA_BIN / "rasa"), "train", "--fixed-model-name", "yucai",
         "--out", str(out), "--quiet", "--augmentation", "0"],
        cwd=ROOT,
        env=_training_env(env, scratch / "rasa-cache"),
        log=log_dir / "yucai-train.log",
        timeout=TRAIN_TIMEOUT_S,
    )  # fmt: skip
    model = out / "yucai.tar.gz"
    if run.returncode != 0 or not model.exists():
        raise RuntimeError(f"rasa train failed ({run.returncode}); see {log_dir}/yucai-train.log")
    figures = {
        "wall_s": run.wall_s,
        "peak_rss_mib": run.peak_rss_mib,
        "model_mib": model.stat().st_size / 2**20,
        "cached": False,
    }
    shutil.rmtree(scratch, ignore_errors=True)  # a model and a cache nobody serves
    return figures
