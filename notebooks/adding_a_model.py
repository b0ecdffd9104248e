# ---
# jupyter:
#   jupytext:
#     formats: py:percent,ipynb
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Worked example: adding a model
#
# A model is one file `pipeline/models/<family>/<key>.py` (one registered class) plus one entry under
# `models:` in `params.yaml`; the `fit` stage, the contract tests and the research report pick
# it up (docs/guides/adding-a-model.md). This notebook shows the three steps without touching the
# repository: look up the registry, build a configured model from an entry, and read the
# outputs of an existing fit the way the report does. It reads stage outputs only.

# %%
from pathlib import Path

import pandas as pd
import yaml

from pipeline.models import registry

# The project root: the working folder or the nearest parent holding params.yaml.
ROOT = next(p for p in (Path.cwd(), *Path.cwd().parents) if (p / "params.yaml").is_file())
params = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))

# %% [markdown]
# ## 1. The registry: key = module name, with its family

# %%
for key in registry.keys():
    print(f"{key:28s} {registry.get(key).family}")

# %% [markdown]
# ## 2. A new entry is a mapping with `model:` and the hyper-parameters
#
# Here a second SSD-12 mixed model without the comorbidity-by-time interactions, built (not
# fitted) from an entry as `params.yaml` would hold it. Adding it to `params.yaml` under a new
# name is all it takes for `dvc repro` to fit it into `data/models/<name>/` and for the
# research report to show it.

# %%
entry = dict(params["models"]["ssd12_mixed"])
entry["formula"] = (
    "ssd12_total ~ years + comorbid_asd + comorbid_ptsd + comorbid_personality"
    " + comorbid_mild_id + comorbid_opioid + comorbid_childhood_trauma + comorbid_depression"
    " + comorbid_anxiety + age_at_start + sex + diagnosis"
)
entry["lrt_blocks"] = {}
model = registry.build("ssd12_mixed_main_effects", entry)
print(type(model).__name__, model.family)

# %% [markdown]
# ## 3. Reading a fitted model's outputs, as the report does

# %%
for name in sorted(params["models"]):
    folder = ROOT / "data" / "models" / name
    metrics = folder / "metrics.json"
    if not metrics.is_file():
        print(f"{name}: not fitted yet")
        continue
    coefficients = pd.read_csv(folder / "coefficients.csv")
    print(f"{name}: {len(coefficients)} terms")
