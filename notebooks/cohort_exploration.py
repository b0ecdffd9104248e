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
# # Cohort exploration
#
# Reads stage outputs only (`data/processed/*.parquet`, `reports/metrics/headline.json`); run
# `dvc repro` first. Nothing here is needed by a stage: figures that matter live in
# `pipeline/reporting/` and the reports. Pair with `jupytext --set-formats py:percent,ipynb`
# (the `.ipynb` is not committed).

# %%
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import pandas as pd

# The project root: the working folder or the nearest parent holding params.yaml.
ROOT = next(p for p in (Path.cwd(), *Path.cwd().parents) if (p / "params.yaml").is_file())
PROCESSED = ROOT / "data" / "processed"
trajectories = pd.read_parquet(PROCESSED / "trajectories.parquet")
scores = pd.read_parquet(PROCESSED / "scores.parquet")
print(f"{len(trajectories)} trajectories, {len(scores)} administrations")

# %% [markdown]
# ## The headline figures (the DVC metric `dvc metrics show` prints)

# %%
headline = json.loads((ROOT / "reports" / "metrics" / "headline.json").read_text("utf-8"))
print(json.dumps(headline["data"], indent=1))
print(pd.DataFrame(headline["outcomes"]).T)

# %% [markdown]
# ## Trajectories per start year and status

# %%
per_year = pd.crosstab(trajectories["start_date"].dt.year, trajectories["status"])
print(per_year)

# %% [markdown]
# ## Comorbidity prevalence (research consent)

# %%
consent = trajectories[trajectories["research_consent"] == 1]
flags = ["cfs", *sorted(c for c in trajectories.columns if c.startswith("comorbid_"))]
prevalence = consent[flags].astype("Float64").mean().sort_values(ascending=False)
print(prevalence.round(3))

# %% [markdown]
# ## Response status per instrument (ended trajectories)

# %%
ended = trajectories[trajectories["status"] == "ended"]
response = {
    c.removeprefix("response_"): ended[c].value_counts()
    for c in sorted(trajectories.columns)
    if c.startswith("response_")
}
print(pd.DataFrame(response).fillna(0).astype(int))

# %% [markdown]
# ## SSD-12 change among completers, by depression

# %%
completers = ended[ended["ssd12_total_change"].notna()]
summary = completers.groupby("comorbid_depression")["ssd12_total_change"].describe()
print(summary.round(2))
completers.boxplot(column="ssd12_total_change", by="comorbid_depression")
