"""Which samples an optimiser step trains on, and every random draw of that step, as functions of (seed, step).

The global batch of micro-batch `micro` of step `step` is `batch_size` consecutive positions of a walk through
seeded per-epoch permutations of the dataset (`indices_for_step`). With several processes each one takes a
contiguous slice of those positions (`shard`), so N processes together train on exactly the samples one process
would.

Every sample draws its randomness (augmentation, the layer picked, the VAE's latent sample, the noise and the
timestep of the loss) from its own generator, seeded by (seed, step, its position among the step's
batch_size × grad_accum samples) (`step_draws`). A sample's draws therefore depend neither on its neighbours, nor
on which process handles it, nor on how the step is cut into micro-batches, and a step after a resume draws what it
would have drawn in an uninterrupted run. Choices that hold for the whole step (stage 2's tag group) come from
`Draws.shared`, the same generator on every process.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from seethrough.core.errors import BadInput

#: what a generator is for: the draws of training steps and those of the validation preview never coincide
TRAINING, VALIDATION = 0, 1


def _generator(seed: int, step: int, purpose: int, position: int | None) -> torch.Generator:
    """A CPU generator of its own for one sample (`position`) or for the whole step (None), seeded by a
    well-mixed hash of the key (NumPy's SeedSequence), so that nearby keys give unrelated streams."""
    key = [seed, step, purpose, 0 if position is None else 1, position or 0]
    return torch.Generator().manual_seed(int(np.random.SeedSequence(key).generate_state(1, np.uint64)[0]))


@dataclass(frozen=True)
class Draws:
    """The random draws of the samples one process handles in one micro-batch."""

    #: the same on every process and micro-batch: for choices that hold for the whole step
    shared: torch.Generator
    #: one per sample of this process's part of the batch, in order
    samples: tuple[torch.Generator, ...]

    def randn(self, shape: Sequence[int]) -> torch.Tensor:
        """Standard normal noise of shape (samples, *shape), each sample's from its own generator."""
        return torch.stack([torch.randn(tuple(shape), generator=g) for g in self.samples])

    def randint(self, high: int) -> torch.Tensor:
        """One integer in [0, high) per sample, each from its own generator."""
        return torch.cat([torch.randint(0, high, (1,), generator=g) for g in self.samples])


def step_draws(seed: int, step: int, positions: Sequence[int], purpose: int = TRAINING) -> Draws:
    """The generators of the samples at `positions` (their places among the batch_size × grad_accum samples
    of step `step`)."""
    return Draws(
        shared=_generator(seed, step, purpose, None),
        samples=tuple(_generator(seed, step, purpose, p) for p in positions),
    )


def validation_draws(seed: int) -> Draws:
    """The draws of the validation preview: one sample, the same at every step of a run."""
    return step_draws(seed, 0, [0], purpose=VALIDATION)


@lru_cache(maxsize=8)
def _epoch_order(num_samples: int, seed: int, epoch: int) -> tuple[int, ...]:
    return tuple(torch.randperm(num_samples, generator=torch.Generator().manual_seed(seed + 7919 * epoch)).tolist())


def indices_for_step(
    num_samples: int, step: int, micro: int, batch_size: int, seed: int, grad_accum: int = 1
) -> list[int]:
    """Sample indices of the global micro-batch `micro` of optimiser step `step`: each epoch is a seeded
    permutation, walked in order, so the samples of a step depend only on (seed, step)."""
    if num_samples < 1:
        raise BadInput("the dataset has no training samples")
    start = (step * grad_accum + micro) * batch_size
    out = []
    for position in range(start, start + batch_size):
        epoch, offset = divmod(position, num_samples)
        out.append(_epoch_order(num_samples, seed, epoch)[offset])
    return out


def per_process_batch(batch_size: int, num_processes: int) -> int:
    """How many samples of a global batch each process takes; the global batch must split evenly, so that the
    average of the processes' mean losses is the mean loss of the whole batch."""
    if batch_size % num_processes:
        raise BadInput(
            f"batch_size {batch_size} cannot be split evenly over {num_processes} processes: use a multiple of "
            f"{num_processes} (batch_size is the global batch, shared out among the processes)"
        )
    return batch_size // num_processes


def shard(batch_size: int, process_index: int, num_processes: int) -> range:
    """The positions in a global (micro-)batch that process `process_index` of `num_processes` trains on."""
    size = per_process_batch(batch_size, num_processes)
    return range(process_index * size, (process_index + 1) * size)


def positions_in_step(micro: int, batch_size: int, shard_positions: Sequence[int]) -> list[int]:
    """Where this process's samples of micro-batch `micro` stand among all the samples of the step."""
    return [micro * batch_size + p for p in shard_positions]
