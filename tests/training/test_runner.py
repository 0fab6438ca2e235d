"""The generic training loop: exact resume, checkpoints, cooperative stop, foreign checkpoints refused.

The job here is a genuine (small) one — fitting a linear map with noisy targets — so that the loop's
guarantees are checked on real optimisation, independent of the diffusion models.
"""

from pathlib import Path

import pytest
import torch

from seethrough.core.errors import BadInput, Cancelled
from seethrough.training.checkpoints import latest_checkpoint
from seethrough.training.config import TrainConfig
from seethrough.training.runner import STOP_FILE, train
from seethrough.training.sampling import indices_for_step


class LinearFit:
    name = "linear-fit"
    unused_parameters = False

    def __init__(self, width: int = 4) -> None:
        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(32, width, generator=g)
        self.true_w = torch.randn(width, 1, generator=g)
        self.width = width

    def build(self):
        torch.manual_seed(1)
        return torch.nn.Linear(self.width, 1)

    def num_samples(self):
        return len(self.x)

    def batch(self, indices, draws):
        x = self.x[indices]
        noise = 0.01 * draws.randn((1,))
        return {"x": x, "y": x @ self.true_w + noise}

    def loss(self, model, batch, draws):
        return torch.nn.functional.mse_loss(model(batch["x"]), batch["y"])

    def save_final(self, model, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        torch.save(model.state_dict(), folder / "weights.pt")

    def signature(self):
        return {"job": self.name, "width": self.width}


def _cfg(out: Path, **kw) -> TrainConfig:
    base = dict(job="vae", data=str(out), output=str(out), lr=0.05, warmup_steps=2, max_steps=12,
                batch_size=4, checkpoint_every=5, log_every=1, mixed_precision="no", seed=3)
    base.update(kw)
    return TrainConfig(**base)


def _losses(events):
    return {e["step"]: e["loss"] for kind, e in events if kind == "metrics"}


def _recorder():
    events = []
    return events, lambda kind, **fields: events.append((kind, fields))


def test_loss_decreases_and_final_model_saved(tmp_path):
    events, emit = _recorder()
    final = train(_cfg(tmp_path / "run", max_steps=30, lr=0.1), LinearFit(), emit=emit)
    losses = list(_losses(events).values())
    assert sum(losses[-5:]) < sum(losses[:5]) / 10
    assert (final / "weights.pt").exists()
    assert [k for k, _ in events][0] == "start" and [k for k, _ in events][-1] == "done"


def test_resume_reproduces_the_uninterrupted_run(tmp_path):
    events_a, emit_a = _recorder()
    train(_cfg(tmp_path / "a"), LinearFit(), emit=emit_a)
    events_b, emit_b = _recorder()
    train(_cfg(tmp_path / "b"), LinearFit(), emit=emit_b, max_steps=7)  # interrupted after step 7
    assert latest_checkpoint(tmp_path / "b").name == "step-0000007"
    events_c, emit_c = _recorder()
    train(_cfg(tmp_path / "b"), LinearFit(), resume=tmp_path / "b", emit=emit_c)
    resumed = _losses(events_c)
    assert min(resumed) == 8
    uninterrupted = _losses(events_a)
    for step, loss in resumed.items():
        assert loss == pytest.approx(uninterrupted[step], rel=1e-6, abs=1e-9)


def test_stop_file_checkpoints_and_resumes(tmp_path):
    out = tmp_path / "run"
    events, emit = _recorder()

    def emit_and_stop(kind, **fields):
        emit(kind, **fields)
        if kind == "metrics" and fields["step"] == 4:
            (out / STOP_FILE).write_text("stop")

    with pytest.raises(Cancelled):
        train(_cfg(out), LinearFit(), emit=emit_and_stop)
    stopped = [f for k, f in events if k == "stopped"]
    assert stopped and stopped[0]["step"] == 4
    assert not (out / STOP_FILE).exists()
    # the stop wrote a complete checkpoint of the step it stopped at (not only the periodic one of step 5)
    checkpoint = Path(stopped[0]["checkpoint"])
    assert checkpoint.name == "step-0000004" and latest_checkpoint(out) == checkpoint
    assert max(_losses(events)) == 4  # no step ran after the stop

    resumed_events, emit_resumed = _recorder()
    final = train(_cfg(out), LinearFit(), resume=out, emit=emit_resumed)
    resumed = _losses(resumed_events)
    assert sorted(resumed) == list(range(5, 13))  # the next step up to max_steps, none twice, none skipped
    assert resumed_events[-1][0] == "done" and (final / "weights.pt").exists()
    uninterrupted_events, emit_uninterrupted = _recorder()
    train(_cfg(tmp_path / "uninterrupted"), LinearFit(), emit=emit_uninterrupted)
    uninterrupted = _losses(uninterrupted_events)
    for step, loss in resumed.items():  # stopping and resuming changes nothing in the run
        assert loss == pytest.approx(uninterrupted[step], rel=1e-6, abs=1e-9)


def test_checkpoint_of_another_model_is_refused(tmp_path):
    out = tmp_path / "run"
    train(_cfg(out, max_steps=5), LinearFit(width=4), emit=lambda *a, **k: None)
    with pytest.raises(BadInput, match="different job or model"):
        train(_cfg(out, max_steps=8), LinearFit(width=5), resume=out, emit=lambda *a, **k: None)


def test_nothing_to_resume(tmp_path):
    with pytest.raises(BadInput, match="no checkpoint"):
        train(_cfg(tmp_path), LinearFit(), resume=tmp_path, emit=lambda *a, **k: None)


def test_the_global_batch_is_the_same_however_it_is_cut_into_micro_batches(tmp_path):
    """4 samples at once or 2 + 2 by gradient accumulation: the same samples and draws, the same gradient up to
    the grouping of fp32 sums (tests/training/test_multiprocess.py derives the tolerance)."""
    whole, emit_whole = _recorder()
    train(_cfg(tmp_path / "whole", batch_size=4, max_steps=6), LinearFit(), emit=emit_whole)
    cut, emit_cut = _recorder()
    train(_cfg(tmp_path / "cut", batch_size=2, grad_accum=2, max_steps=6), LinearFit(), emit=emit_cut)
    for step, loss in _losses(whole).items():
        assert _losses(cut)[step] == pytest.approx(loss, rel=1e-5)


def test_step_indices_cover_each_epoch_once():
    seen = [i for step in range(8) for i in indices_for_step(32, step, 0, 4, seed=5)]
    assert sorted(seen) == list(range(32))
    assert indices_for_step(32, 3, 1, 4, seed=5, grad_accum=2) == indices_for_step(32, 7, 0, 4, seed=5)


def test_ema_weights_are_saved_and_resume_exactly(tmp_path):
    events_a, emit_a = _recorder()
    train(_cfg(tmp_path / "a", ema=True, ema_decay=0.9), LinearFit(), emit=emit_a)
    events_b, emit_b = _recorder()
    train(_cfg(tmp_path / "b", ema=True, ema_decay=0.9), LinearFit(), emit=emit_b, max_steps=6)
    _, emit_c = _recorder()
    events_c = []
    train(_cfg(tmp_path / "b", ema=True, ema_decay=0.9), LinearFit(), resume=tmp_path / "b",
          emit=lambda k, **f: events_c.append((k, f)))
    full = torch.load(tmp_path / "a" / "model" / "weights.pt")
    resumed = torch.load(tmp_path / "b" / "model" / "weights.pt")
    for key in full:
        torch.testing.assert_close(full[key], resumed[key])
    plain = LinearFit()
    train(_cfg(tmp_path / "p"), plain, emit=lambda *a, **k: None)
    no_ema = torch.load(tmp_path / "p" / "model" / "weights.pt")
    assert not torch.allclose(no_ema["weight"], full["weight"])  # averaging changed the saved weights
