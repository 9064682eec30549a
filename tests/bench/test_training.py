"""M6 trains Yucai and the stock bot the same way ``make train`` trains (bot/bench/training.py)."""

from __future__ import annotations

from pathlib import Path

from bot.bench import training


def test_training_takes_tensorflows_own_thread_count_unless_told(tmp_path: Path) -> None:
    serving = {"TF_INTRA_OP_PARALLELISM_THREADS": "1", "TF_INTER_OP_PARALLELISM_THREADS": "1"}
    env = training._training_env(serving, tmp_path / "cache")
    assert env["TF_INTRA_OP_PARALLELISM_THREADS"] == "0"
    assert env["TF_INTER_OP_PARALLELISM_THREADS"] == "0"
    assert env["RASA_CACHE_DIRECTORY"] == str(tmp_path / "cache")

    told = training._training_env({**serving, "TRAIN_TF_THREADS": " 1 "}, tmp_path / "cache")
    assert told["TF_INTRA_OP_PARALLELISM_THREADS"] == "1"
    assert told["TF_INTER_OP_PARALLELISM_THREADS"] == "1"


def test_a_stock_bot_trained_another_way_is_not_taken_from_the_cache() -> None:
    assert training.stock_key("0") == training.stock_key("0")
    assert training.stock_key("0") != training.stock_key("1")
