"""Which samples and random draws a step gets: the same however the step's global batch is shared out among
processes and micro-batches (training/sampling.py)."""

import pytest
import torch

from seethrough.core.errors import BadInput
from seethrough.training.sampling import (
    indices_for_step,
    per_process_batch,
    positions_in_step,
    shard,
    step_draws,
    validation_draws,
)


def test_the_shards_of_all_processes_are_the_global_batch_once():
    for processes in (1, 2, 4, 8):
        positions = [p for rank in range(processes) for p in shard(8, rank, processes)]
        assert positions == list(range(8))
    indices = indices_for_step(10, 3, 0, 4, seed=1)
    parts = [[indices[p] for p in shard(4, rank, 2)] for rank in range(2)]
    assert parts[0] + parts[1] == indices


def test_an_uneven_split_is_refused_in_one_line():
    assert per_process_batch(6, 3) == 2
    with pytest.raises(BadInput, match="batch_size 3 cannot be split evenly over 2 processes") as info:
        shard(3, 0, 2)
    assert "\n" not in str(info.value)


def _first_draws(draws) -> list[float]:
    return [float(torch.rand(1, generator=g)) for g in draws.samples]


def test_a_samples_draws_depend_on_its_place_in_the_step_only():
    whole = _first_draws(step_draws(7, 5, range(4)))
    halves = _first_draws(step_draws(7, 5, [0, 1])) + _first_draws(step_draws(7, 5, [2, 3]))
    assert whole == halves  # two processes draw what one draws
    by_micro = _first_draws(step_draws(7, 5, positions_in_step(0, 2, [0, 1]))) + _first_draws(
        step_draws(7, 5, positions_in_step(1, 2, [0, 1])))
    assert by_micro == whole  # two micro-batches of 2 draw what one batch of 4 draws
    assert len(set(whole)) == 4  # and every sample draws differently
    assert _first_draws(step_draws(7, 6, range(4))) != whole
    assert _first_draws(validation_draws(7)) != whole[:1]
    shared = [float(torch.rand(1, generator=step_draws(7, 5, p).shared)) for p in ([0, 1], [2, 3])]
    assert shared[0] == shared[1]  # the step-wide choice is the same on every process


def test_noise_and_timesteps_are_per_sample():
    whole = step_draws(3, 1, range(4))
    noise = whole.randn((2, 3))
    t = step_draws(3, 1, range(4)).randint(1000)
    assert noise.shape == (4, 2, 3) and t.shape == (4,)
    half = step_draws(3, 1, [2, 3])
    assert torch.equal(half.randn((2, 3)), noise[2:])
