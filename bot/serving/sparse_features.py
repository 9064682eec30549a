"""Join a message's sparse features in one step, as scipy would join them (issue 13, row 31).

DIET reads each message's sparse features (two count-vector featurisers, the
lexical and the regex featuriser: four matrices for the tokens, three for the
sentence) joined side by side. Rasa joins them one at a time
(``Message._combine_features``): a deep copy of the first, then
``scipy.sparse.hstack`` with each next one, a new COO matrix per step through
scipy's general ``bmat``. That was 6 % of the Rasa process's samples a turn,
for matrices of a few dozen entries.

Here COO matrices are joined at once, by the arithmetic ``bmat`` does: the entries
block after block, each block's columns shifted by the widths before it, the data
type and index type scipy would choose. The result is equal to Rasa's, entry for
entry and in the same order (``tests/serving/test_sparse_features.py``). Anything
else (one matrix alone, dense features, another sparse format, rows that do not
match) takes Rasa's own path with its errors, and so does everything under a
scipy without the helpers used here (private in scipy 1.10, the pinned version).
Why not scipy: this *is* scipy's arithmetic, without the object array, the format
checks and the conversions it does for the general case.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message

try:  # scipy's own choice of types, private in scipy 1.10 (the pinned version)
    from scipy.sparse._sputils import get_index_dtype, upcast
except ImportError:  # another scipy: Rasa's own join (install() below leaves it in place)
    get_index_dtype = upcast = None


def joined(matrices: list[scipy.sparse.coo_matrix]) -> scipy.sparse.coo_matrix:
    """Return ``scipy.sparse.hstack(matrices)`` for COO matrices with the same rows."""
    rows = matrices[0].shape[0]
    offsets = np.cumsum([0] + [m.shape[1] for m in matrices])
    shape = (rows, int(offsets[-1]))
    index = get_index_dtype(maxval=max(shape))
    data = np.concatenate([m.data for m in matrices]).astype(
        upcast(*(m.dtype for m in matrices)), copy=False
    )
    row = np.concatenate([m.row for m in matrices]).astype(index, copy=False)
    col = np.concatenate(
        [np.add(m.col, offset, dtype=index) for m, offset in zip(matrices, offsets, strict=False)]
    )
    return scipy.sparse.coo_matrix((data, (row, col)), shape=shape)


def _joinable(features: list[Features]) -> bool:
    if len(features) < 2:
        return False
    rows = features[0].features.shape[0]
    return all(
        isinstance(f.features, scipy.sparse.coo_matrix) and f.features.shape[0] == rows
        for f in features
    )


def install() -> None:
    """Join sparse COO features in one step in every ``Message`` (idempotent)."""
    original = Message.__dict__["_combine_features"].__func__
    if getattr(original, "__wrapped__", None) is not None or upcast is None:
        return

    def combine_features(features: list[Features], featurizers: list[str]) -> Any:
        """Rasa's ``Message._combine_features``: COO matrices joined in one step."""
        if not _joinable(features):
            return original(features, featurizers)
        first = features[0]
        matrix = joined([f.features for f in features])
        return Features(matrix, first.type, first.attribute, featurizers)

    combine_features.__wrapped__ = original  # type: ignore[attr-defined]
    Message._combine_features = staticmethod(combine_features)
