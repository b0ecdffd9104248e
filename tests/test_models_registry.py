"""The model registry and the contract every registered model keeps.

The contract tests are parametrised over :func:`pipeline.models.registry.keys` (each model's
``example()`` configuration) and over every entry of ``models:`` in params.yaml, so a new model
or a new entry is tested without editing this file: it must fit small synthetic inputs, give
the same result for the same seed, leave its input frames unchanged, and produce outputs that
follow docs/outputs.md.
"""

from __future__ import annotations

import copy
import dataclasses
import json

import pandas as pd
import pytest

from pipeline.config import ROOT as PROJECT
from pipeline.config import read_params_file
from pipeline.errors import ParamsError
from pipeline.models import registry
from pipeline.models._simulate import simulate_inputs
from pipeline.models.base import (
    COEFFICIENT_COLUMNS,
    FAMILIES,
    FitResult,
    Model,
    ModelError,
    ModelInputs,
    check_fit_result,
)
from pipeline.models.mixed.mixed_lm import MixedLM

PARAMS_MODELS = read_params_file().get("models") or {}


@pytest.fixture(scope="module")
def inputs() -> ModelInputs:
    return simulate_inputs(250, seed=7)


def _assert_contract(model: Model, inputs: ModelInputs, where: str) -> None:
    scores_before = inputs.scores.copy(deep=True)
    trajectories_before = inputs.trajectories.copy(deep=True)
    first = model.fit(inputs)
    second = model.fit(ModelInputs(inputs.scores, inputs.trajectories, inputs.seed))
    # The input is left unchanged.
    pd.testing.assert_frame_equal(inputs.scores, scores_before)
    pd.testing.assert_frame_equal(inputs.trajectories, trajectories_before)
    # Outputs follow docs/outputs.md.
    check_fit_result(first, where)
    assert len(first.coefficients) > 0
    for key in ("n_trajectories", "n_measurements", "converged", "warnings"):
        if model.family == "mixed":
            assert key in first.metrics, key
    # Same seed, same result.
    pd.testing.assert_frame_equal(first.coefficients, second.coefficients)
    assert json.dumps(first.metrics, sort_keys=True) == json.dumps(second.metrics, sort_keys=True)
    assert sorted(first.tables) == sorted(second.tables)
    for name in first.tables:
        pd.testing.assert_frame_equal(first.tables[name], second.tables[name])


def test_registry_lists_the_mixed_model() -> None:
    assert "mixed_lm" in registry.keys()
    assert not {"base", "registry"} & set(registry.keys())
    assert not any(key.startswith("_") for key in registry.keys())


@pytest.mark.parametrize("key", registry.keys())
def test_registered_model_is_a_frozen_dataclass_of_a_known_family(key: str) -> None:
    cls = registry.get(key)
    assert issubclass(cls, Model)
    assert cls.family in FAMILIES
    assert dataclasses.is_dataclass(cls)
    example = cls.example()
    field = dataclasses.fields(example)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(example, field, None)


@pytest.mark.parametrize("key", registry.keys())
def test_contract_of_every_registered_model(key: str, inputs: ModelInputs) -> None:
    _assert_contract(registry.get(key).example(), inputs, key)


@pytest.mark.parametrize("entry", sorted(PARAMS_MODELS))
def test_contract_of_every_params_entry(entry: str, inputs: ModelInputs) -> None:
    model = registry.build(entry, PARAMS_MODELS[entry])
    _assert_contract(model, inputs, f"models.{entry}")


def test_params_ship_the_three_mixed_models() -> None:
    expected = {"ssd12_mixed": "ssd12_total", "eq5d_index_mixed": "eq5d5l_index"}
    expected["eq5d_vas_mixed"] = "eq5d_vas"
    for entry, outcome in expected.items():
        model = registry.build(entry, PARAMS_MODELS[entry])
        assert model.family == "mixed"
        assert isinstance(model, MixedLM)
        assert model.outcome == outcome
        assert model.re_formula == "~years"


def test_unknown_model_key_is_a_one_line_params_error() -> None:
    with pytest.raises(ParamsError, match="unknown model 'no_such_model'.*available: .*mixed_lm"):
        registry.build("x", {"model": "no_such_model"})


def test_unknown_and_missing_hyper_parameters_are_params_errors() -> None:
    with pytest.raises(ParamsError, match=r"models\.x' has unknown key\(s\): formulae"):
        registry.build("x", {"model": "mixed_lm", "family": "mixed", "formulae": "y ~ years"})
    with pytest.raises(ParamsError, match=r"models\.x' is missing key 'formula'"):
        registry.build("x", {"model": "mixed_lm", "family": "mixed"})
    with pytest.raises(ParamsError, match=r"models\.x' is missing key 'model'"):
        registry.build("x", {"formula": "y ~ years"})
    with pytest.raises(ParamsError, match=r"models\.x': formula must read"):
        registry.build("x", {"model": "mixed_lm", "family": "mixed", "formula": "y + years"})
    with pytest.raises(ParamsError, match=r"models\.x\.engine' must be one of"):
        registry.build(
            "x", {"model": "mixed_lm", "family": "mixed", "formula": "y ~ years", "engine": "lme4"}
        )


def test_family_must_name_the_models_folder() -> None:
    with pytest.raises(ParamsError, match=r"models\.x' is missing key 'family' \(here: mixed\)"):
        registry.build("x", {"model": "mixed_lm", "formula": "y ~ years"})
    with pytest.raises(ParamsError, match=r"models\.x\.family' is 'survival'.*models/mixed/"):
        registry.build("x", {"model": "mixed_lm", "family": "survival", "formula": "y ~ years"})


def test_every_model_lives_in_its_familys_folder() -> None:
    for key in registry.keys():
        family = registry.family_of(key)
        assert registry.get(key).family == family
        assert (PROJECT / "pipeline" / "models" / family / f"{key}.py").is_file()


def test_build_coerces_lists_and_mappings() -> None:
    model = registry.build(
        "x",
        {
            "model": "mixed_lm",
            "family": "mixed",
            "formula": "ssd12_total ~ years",
            "lrt_blocks": {"time": ["years"]},
            "reference_levels": {"sex": "m"},
        },
    )
    assert isinstance(model, MixedLM)
    assert tuple(model.lrt_blocks["time"]) == ("years",)
    assert model.reference_levels["sex"] == "m"


def test_check_fit_result_rejects_broken_outputs() -> None:
    good = pd.DataFrame({c: [1.0] for c in COEFFICIENT_COLUMNS}).assign(term=["a"])
    check_fit_result(FitResult(good, {"n": 1}))
    with pytest.raises(ModelError, match="columns must be"):
        check_fit_result(FitResult(good.drop(columns="p_value"), {}))
    with pytest.raises(ModelError, match="repeated coefficient term"):
        check_fit_result(FitResult(pd.concat([good, good]), {}))
    with pytest.raises(ModelError, match="non-finite"):
        check_fit_result(FitResult(good, {"auc": float("nan")}))
    with pytest.raises(ModelError, match="not JSON-able"):
        check_fit_result(FitResult(good, {"when": pd.Timestamp("2024-01-01")}))
    with pytest.raises(ModelError, match="table name"):
        check_fit_result(FitResult(good, {}, {"../x": good}))


def test_example_inputs_are_not_shared_state(inputs: ModelInputs) -> None:
    # Fitting the same model on a deep copy gives the same numbers (no hidden caching).
    model = registry.get("mixed_lm").example()
    copied = ModelInputs(copy.deepcopy(inputs.scores), copy.deepcopy(inputs.trajectories), 7)
    pd.testing.assert_frame_equal(model.fit(inputs).coefficients, model.fit(copied).coefficients)


def test_simulated_inputs_carry_every_score_column() -> None:
    """So that an entry for any scored outcome can pass the contract tests."""
    from pipeline.instruments.registry import SCORE_COLUMNS

    data = simulate_inputs(120, seed=1)
    assert [c for c in SCORE_COLUMNS if c not in data.scores.columns] == []
    continuous = [c for c in SCORE_COLUMNS if c != "phq15_severity"]
    for column in continuous:
        assert data.scores[column].notna().sum() > 50, column
        assert f"{column}_change" in data.trajectories, column
