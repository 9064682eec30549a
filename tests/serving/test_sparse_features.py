"""A message's sparse features joined in one step equal Rasa's joins, entry for entry.

``bot.serving.sparse_features`` replaces ``Message._combine_features`` (installed by the
tests, not on import); Rasa's own is its ``__wrapped__``. Random COO matrices of the
kinds the featurisers make (integer counts, float flags, empty ones, unsorted and
repeated entries, wide vocabularies) are joined both ways and compared array by
array, dtype included.
"""

from __future__ import annotations

import copy
import random
from typing import Any

import numpy as np
import pytest
import scipy.sparse
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message

from bot.serving import sparse_features


def _ours() -> Any:
    sparse_features.install()  # as tuning.install() does in the Rasa process
    return Message.__dict__["_combine_features"].__func__


def ours(features: list[Features], featurizers: list[str]) -> Any:
    return _ours()(features, featurizers)


def rasas(features: list[Features], featurizers: list[str]) -> Any:
    return _ours().__wrapped__(features, featurizers)


def coo(rng: random.Random, rows: int, dtype: str) -> scipy.sparse.coo_matrix:
    width = rng.choice((1, 7, 24, 2_490, 70_000))
    count = rng.randint(0, min(60, rows * width))
    row = [rng.randrange(rows) for _ in range(count)]  # unsorted, may repeat
    col = [rng.randrange(width) for _ in range(count)]
    data = np.array([rng.randint(1, 5) for _ in range(count)], dtype=dtype)
    return scipy.sparse.coo_matrix((data, (row, col)), shape=(rows, width))


def same(left: Features, right: Features) -> None:
    assert (left.type, left.attribute, left.origin) == (right.type, right.attribute, right.origin)
    assert type(left.features) is type(right.features)
    assert left.features.shape == right.features.shape
    for name in ("data", "row", "col"):
        ours, rasas = getattr(left.features, name), getattr(right.features, name)
        assert ours.dtype == rasas.dtype, name
        assert np.array_equal(ours, rasas), name


def test_random_joins_equal_rasas() -> None:
    rng = random.Random(31)
    for _ in range(400):
        rows = rng.choice((1, 3, 7, 40))
        dtypes = [rng.choice(("int64", "float64", "float32", "int32")) for _ in range(5)]
        features = [
            Features(coo(rng, rows, dtype), "sequence", "text", f"featurizer{i}")
            for i, dtype in enumerate(dtypes[: rng.randint(2, 5)])
        ]
        originals = copy.deepcopy(features)
        names = [f.origin for f in features]
        same(ours(features, names), rasas(features, names))
        for before, after in zip(originals, features, strict=True):
            same(before, after)  # neither way changes the message's own features
    assert ours(features, names).origin is names, "the origin is the list Rasa is given"


@pytest.mark.parametrize(
    "matrices",
    [
        [scipy.sparse.coo_matrix(np.eye(3))],  # one alone
        [scipy.sparse.csr_matrix(np.eye(3)), scipy.sparse.coo_matrix(np.eye(3))],
        [np.eye(3), np.ones((3, 2))],  # dense
    ],
)
def test_other_features_take_rasas_path(matrices: list) -> None:
    features = [Features(m, "sequence", "text", "f") for m in matrices]
    mine, theirs = ours(features, ["f"]), rasas(features, ["f"])
    assert type(mine.features) is type(theirs.features)
    assert np.array_equal(scipy.sparse.csr_matrix(mine.features).toarray(),
                          scipy.sparse.csr_matrix(theirs.features).toarray())  # fmt: skip


def test_rows_that_do_not_match_get_rasas_error() -> None:
    features = [
        Features(scipy.sparse.coo_matrix(np.eye(3)), "sequence", "text", "a"),
        Features(scipy.sparse.coo_matrix(np.eye(2)), "sequence", "text", "b"),
    ]
    with pytest.raises(ValueError, match="sequence dimensions do not match"):
        ours(features, ["a", "b"])
    assert ours([], ["a"]) is None


def test_installed_once() -> None:
    installed = _ours()
    sparse_features.install()
    assert Message.__dict__["_combine_features"].__func__ is installed
    assert installed is not installed.__wrapped__
