"""The faster validation code gives the validated figures of the code before it, seed for seed.

``tests/reference/prediction_validated.json`` holds what every prediction entry of params.yaml
(light validation settings, ``tests/prediction_entries.py``; one extra entry by the optimism
bootstrap) gave with the prediction code before the scale work (commit e3d05de; regenerated once
for the importance intervals and the new logistic entry, see
``tests/reference/make_prediction_validated.py``): metrics.json as written, the coefficients as
written and the SHA-256 of every table as written. The current code must reproduce them exactly.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from prediction_entries import light_entries

STORED = json.loads(
    (Path(__file__).parent / "reference" / "prediction_validated.json").read_text("utf-8")
)
ENTRIES = light_entries()


def digest(text: str) -> str:
    """SHA-256 of a table as written (as the generator computes it)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_every_entry_has_stored_figures() -> None:
    assert sorted(STORED) == sorted(ENTRIES)


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_validated_figures_are_unchanged(
    name: str, light_prediction_outputs: dict[str, dict[str, Any]]
) -> None:
    stored, now = STORED[name], light_prediction_outputs[name]
    metrics = json.loads(json.dumps(now["metrics"], sort_keys=True))
    assert metrics["performance"] == stored["metrics"]["performance"]
    assert metrics == stored["metrics"]
    assert now["coefficients"] == stored["coefficients"]
    assert {k: digest(v) for k, v in now["tables"].items()} == stored["tables"]
