"""Write ``prediction_validated.json``: what every prediction entry gives with light settings.

The stored file was first written by the prediction code as it was before the scale work of
issue 16 (commit e3d05de), so ``tests/test_prediction_equal.py`` proved that the faster code
validates to the same figures for the same seeds. It was regenerated once, on purpose, after
the permutation importance gained intervals and ``improvement_logit`` (``model: logistic``) was
added: before that, every entry's metrics, performance and coefficient estimates were still
those of e3d05de; only ``importance.csv`` (new columns) and the tree models' importance rows
(new intervals) had changed. Regenerate only for a change that is meant to change
results, and say so in the changelog::

    .venv/bin/python tests/reference/make_prediction_validated.py

Per entry (``tests/prediction_entries.py``): ``metrics.json`` as the fit stage writes it, the
coefficients as written, and the SHA-256 of every table as written.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from prediction_entries import fitted_outputs, light_entries, light_inputs  # noqa: E402

OUT = HERE / "prediction_validated.json"


def digest(text: str) -> str:
    """SHA-256 of a table as written."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def expected() -> dict[str, dict[str, object]]:
    """Every light entry's metrics, coefficients and table digests."""
    inputs = light_inputs()
    out: dict[str, dict[str, object]] = {}
    for name, entry in light_entries().items():
        result = fitted_outputs(name, entry, inputs)
        out[name] = {
            "metrics": result["metrics"],
            "coefficients": result["coefficients"],
            "tables": {k: digest(v) for k, v in result["tables"].items()},
        }
    return out


if __name__ == "__main__":
    OUT.write_text(json.dumps(expected(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {OUT.name}")
