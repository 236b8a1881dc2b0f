"""DDP on CPU: 2 gloo processes keep identical parameters, match one process on the whole batch and take
the same checkpoint decisions."""

from __future__ import annotations

import json
import socket
import time

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from support.ddp_worker import CFG, worker
from support.synth_data import write_synth_dataset

from samplernn.train.config import TrainConfig
from samplernn.train.loop import train

# spawn, not fork: forking a test process that already runs other threads (the web server's,
# numba's) can leave a lock held forever in the child.
START = "spawn"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(not dist.is_available() or not dist.is_gloo_available(), reason="needs gloo")
def test_two_gloo_processes_match_one_process(tmp_path):
    dataset = write_synth_dataset(tmp_path / "bank", min_len=40, max_len=100)
    single = train(dataset, tmp_path / "single", TrainConfig.from_dict(CFG))

    args = (2, free_port(), str(dataset), str(tmp_path / "ddp"), str(tmp_path))
    ctx = mp.start_processes(worker, args=args, nprocs=2, join=False, start_method=START)
    deadline = time.monotonic() + 120
    while not ctx.join(timeout=1):
        if time.monotonic() > deadline:
            for p in ctx.processes:
                p.kill()
            pytest.fail("DDP workers hung")
    r0 = torch.load(tmp_path / "rank0.pt", weights_only=True)
    r1 = torch.load(tmp_path / "rank1.pt", weights_only=True)
    for k in r0:
        assert torch.equal(r0[k], r1[k]), f"ranks diverged at {k}"

    one = torch.load(tmp_path / "single" / "checkpoints" / "last.pt", weights_only=True)
    two = torch.load(tmp_path / "ddp" / "checkpoints" / "last.pt", weights_only=True)
    assert two["step"] == one["step"] == 4
    for k, v in one["state_dict"].items():
        torch.testing.assert_close(two["state_dict"][k], v, rtol=1e-5, atol=1e-6, msg=k)
        if k == "cond_features.note_embed.weight":  # r0 is taken before the last validation
            r0[k], v = r0[k][[0, 48, 55, 60]], v[[0, 48, 55, 60]]  # fills the untrained rows
        torch.testing.assert_close(r0[k], v, rtol=1e-5, atol=1e-6, msg=k)
    # the gathered hidden state and the sharded validation agree with the single process
    for a, b in zip(one["hidden"], two["hidden"], strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    assert two["best"]["val"] == pytest.approx(single.best_val, rel=1e-5)
    # rank 0 scored the sound of the validation notes; both ranks took its decisions
    results = [json.loads((tmp_path / f"result{r}.json").read_text()) for r in (0, 1)]
    assert results[0] == results[1] and results[0]["best_score"] == two["best"]["score"] is not None

    # a DDP checkpoint resumes in one process and carries on like the single-process run
    longer = TrainConfig.from_dict({**CFG, "steps": 6})
    train(dataset, tmp_path / "ddp", longer, resume=True)
    train(dataset, tmp_path / "single", longer, resume=True)
    one = torch.load(tmp_path / "single" / "checkpoints" / "last.pt", weights_only=True)
    two = torch.load(tmp_path / "ddp" / "checkpoints" / "last.pt", weights_only=True)
    for k, v in one["state_dict"].items():
        torch.testing.assert_close(two["state_dict"][k], v, rtol=1e-4, atol=1e-5, msg=k)
