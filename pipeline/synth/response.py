"""Non-response: which occasions yield an administration of which questionnaire.

At each occasion the client completes the ROM battery with probability
``response.occasion[timepoint]`` (``response.end_after_dropout`` at the end of a drop-out);
given the battery, each questionnaire is completed with ``response.questionnaire[name]``.
The CQI is only offered at the end occasion; the EQ-5D-3L only up to
``schedule.eq5d3l_until`` (it ran beside the 5L until then). Response is missing at random
given the timepoint and the end reason; it does not depend on the outcome.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.synth.design import day_number
from pipeline.synth.params import QUESTIONNAIRES, TIMEPOINTS, SynthParams
from pipeline.synth.schedule import END


def draw_response(
    rng: np.random.Generator,
    occasions: pd.DataFrame,
    trajectories: pd.DataFrame,
    params: SynthParams,
) -> dict[str, np.ndarray]:
    """Questionnaire name -> boolean mask over ``occasions`` of completed administrations."""
    response = params.response
    traj = occasions["trajectory"].to_numpy()
    timepoint = occasions["timepoint"].to_numpy()
    p_battery = np.array([response.occasion[t] for t in TIMEPOINTS])[timepoint]
    dropout_end = (timepoint == END) & (trajectories["end_reason"].to_numpy()[traj] == "dropout")
    p_battery = np.where(dropout_end, response.end_after_dropout, p_battery)
    battery = rng.random(len(occasions)) < p_battery

    day = trajectories["start_day"].to_numpy()[traj] + occasions["day"].to_numpy()
    offered = {
        "cqi": timepoint == END,
        "eq5d3l": day <= day_number(params.schedule.eq5d3l_until),
    }
    masks: dict[str, np.ndarray] = {}
    for name in QUESTIONNAIRES:
        completed = battery & (rng.random(len(occasions)) < response.questionnaire[name])
        masks[name] = completed & offered.get(name, True)
    return masks
