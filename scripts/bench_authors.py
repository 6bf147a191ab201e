"""The authors' DiMR code, timed for `dimr-bench model`: one training step and guided sampling.

Runs their PyTorch model (`libs/core/blocks.py`) and DPM-Solver (`dpm_solver.py`) from a checkout of
their repository given with --repo (nothing of theirs is copied into this project), on the model
configuration given as JSON in the authors' field names, and prints one JSON object:
  train_s_per_step       median seconds of forward + backward + AdamW at --batch
  sample_images_per_s    images per second with their DPM-Solver (fast, order 3) and guidance
With --checkpointing their blocks recompute activations (as published); without it they run directly.
"""
import argparse
import json
import math
import os
import statistics
import sys
import time
import warnings

import torch

warnings.filterwarnings("ignore")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--repo", required=True)
    p.add_argument("--config", required=True, help="model configuration JSON")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--checkpointing", action="store_true")
    p.add_argument("--sample-batch", type=int, default=0)
    p.add_argument("--nfe", type=int, default=25)
    p.add_argument("--image-size", type=int, default=32)
    p.add_argument("--threads", type=int, default=0)
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "refs"))
    import dimr_fixture as F
    F.stub_imports()
    sys.path.insert(0, a.repo)
    import libs.core.blocks as B
    from dpm_solver import DPM_Solver, NoiseScheduleVP

    if not a.checkpointing:
        B.TransformerBlock.forward = B.TransformerBlock._forward
        B.ConvNeXtBlock.forward = B.ConvNeXtBlock._forward
    cfg = json.loads(open(a.config).read())
    torch.manual_seed(0)
    model = B.MRModel(F.Namespace(cfg))
    classes = cfg["num_classes"]
    out = {"parameters": sum(q.numel() for q in model.parameters()), "threads": torch.get_num_threads()}
    size, channels = a.image_size, cfg["channels"]

    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=2e-4, betas=(0.99, 0.99), weight_decay=0.03)
    x = torch.randn(a.batch, channels, size, size)
    y = torch.randint(0, classes - 1, (a.batch,))
    log_snr = torch.randint(1, 1001, (a.batch,)).float() / 1000 * 8 - 4
    coeffs = [0.25 ** (len(cfg["stage_configs"]) - 1 - i) for i in range(len(cfg["stage_configs"]))]
    times = []
    for _ in range(a.steps + 1):
        start = time.perf_counter()
        outs = model(x, log_snr=log_snr, y=y)
        loss = sum(c * o.square().mean() for c, o in zip(coeffs, outs))
        opt.zero_grad()
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - start)
    out["train_s_per_step"] = statistics.median(times[1:])
    out["train_images_per_s"] = a.batch / out["train_s_per_step"]

    if a.sample_batch:
        model.eval()
        betas = torch.linspace(0.00085 ** 0.5, 0.0120 ** 0.5, 1000, dtype=torch.float64) ** 2
        schedule = NoiseScheduleVP(schedule="discrete", betas=betas.float())
        labels = torch.arange(a.sample_batch) % (classes - 1)
        null = torch.full_like(labels, classes - 1)

        def model_fn(z, t_continuous):
            log_snr = (t_continuous * 1000).float() / 1000 * 8 - 4
            cond = model(z, log_snr=log_snr, y=labels)[-1]
            uncond = model(z, log_snr=log_snr, y=null)[-1]
            return cond + 1.0 * (cond - uncond)

        solver = DPM_Solver(model_fn, schedule, predict_x0=True)
        z = torch.randn(a.sample_batch, channels, size, size)
        with torch.no_grad():
            start = time.perf_counter()
            solver.sample(z, steps=a.nfe, eps=1.0 / 1000, T=1)
            seconds = time.perf_counter() - start
        out["sample_images_per_s"] = a.sample_batch / seconds
    print(json.dumps(out))


if __name__ == "__main__":
    main()
