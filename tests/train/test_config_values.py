"""TrainConfig.validate names the option and the value it refuses: NaN and infinity too, which every
`x < 0` style check let through (a traceback deep in a step, or a run that trained with NaN stored)."""

from __future__ import annotations

import math

import pytest

from samplernn.common.errors import UsageError
from samplernn.train.config import TrainConfig


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("attack_seconds", math.nan),  # int(nan * rate): ValueError in the step
        ("attack_seconds", math.inf),  # OverflowError in the step
        ("attack_weight", math.nan),  # accepted, then "loss became NaN" at step 4
        ("attack_noise", math.inf),  # accepted and stored
        ("kit_retune", math.nan),  # accepted and stored
        ("lr", math.inf),  # failed at step 2, "lr": Infinity in run.json
        ("sound_seconds", math.inf),  # OverflowError making the validation notes
        ("max_minutes", math.inf),
        ("score_tie", math.nan),
    ],
)
def test_a_value_that_is_not_finite_is_refused_by_its_option(field: str, value: float) -> None:
    with pytest.raises(UsageError) as err:
        TrainConfig(**{field: value}).validate()
    option = "--" + field.replace("_", "-")
    assert str(err.value) == f"{option} must be a finite number, got {value}"


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"sound_notes": -1}, "--sound-notes must be >= 0, got -1"),
        ({"sound_seconds": 0.0}, "--sound-seconds must be > 0, got 0"),
        ({"score_tie": -1.0}, "--score-tie must be within 0..1, got -1"),
        ({"score_tie": 1.5}, "--score-tie must be within 0..1, got 1.5"),
    ],
)
def test_each_sound_score_setting_is_named_alone(setting: dict, message: str) -> None:
    with pytest.raises(UsageError) as err:
        TrainConfig(**setting).validate()
    assert str(err.value) == message


def test_the_defaults_and_edge_values_pass() -> None:
    TrainConfig().validate()
    TrainConfig(score_tie=0.0, sound_seconds=30.0, max_minutes=0.5, kit_retune=12.0).validate()
