"""The authors' DiMR code, timed for `dimr-bench model`: training steps and guided sampling.

Runs their PyTorch model (`libs/core/blocks.py`) and DPM-Solver (`dpm_solver.py`) from a checkout of
their repository given with --repo (nothing of theirs is copied into this project), on the model
configuration given as JSON in the authors' field names, float32 on the CPU as their code runs there.

  --fixed          the two one-line changes, applied at run time by wrapping (their files are not edited):
                   (a) their ConvNeXt block hands its depthwise convolution a contiguous channels-last input
                       (`x.contiguous()` before `ChannelFirst`: their stage keeps NCHW strides under the
                       channels-last view, and libtorch's CPU backward for that layout is slow);
                   (b) guided sampling runs the conditional and unconditional rows in one batched forward
                       instead of their eval.py's two passes.
                   Without --fixed: the code as published.
  --checkpointing  which training phases to time: off, on or off,on (their blocks as published recompute
                   activations through torch.utils.checkpoint: "on").

Prints one JSON object (one line):
  matmul_gflops         float32 1024^3 matmul, median of 10 calls
  train.<off|on>        s_per_step and cpu_s_per_step (medians of --steps after one warm-up), peak_kib
  sample                s, cpu_s, images (= --sample-batch), peak_kib
Peaks are VmHWM in KiB, reset to the resident size before each phase (`peak_reset` says whether the kernel
allowed it; without the reset they are the process's peak so far). Phases run smallest first: sampling,
then training with checkpointing, then without, freed memory handed back to the system in between.
"""
import argparse
import ctypes
import gc
import json
import os
import statistics
import sys
import time
import warnings

import torch

warnings.filterwarnings("ignore")


def peak_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return -1


def reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def release_memory():
    """Hands freed heap memory back to the system (glibc), so the next phase's peak starts low."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def matmul_gflops(n=1024, calls=10):
    a, b = torch.randn(n, n), torch.randn(n, n)
    for _ in range(3):
        a @ b
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - start)
    return 2 * n ** 3 / statistics.median(times) / 1e9


def apply_fixed_convnext(B):
    """(a): the same block, its depthwise convolution fed `x.contiguous()` (channels-last memory)."""
    def _forward(self, x, condition_embeds, condition_masks, pos):
        x = x + self.dropout(self.block1(x.contiguous()))
        x = x + self.dropout(self.block2(x))
        return x
    B.ConvNeXtBlock._forward = _forward


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--repo", required=True)
    p.add_argument("--config", required=True, help="model configuration JSON")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--checkpointing", default="off,on", help="off, on or off,on")
    p.add_argument("--fixed", action="store_true", help="apply the two one-line changes")
    p.add_argument("--sample-batch", type=int, default=0, help="images sampled (0: no sampling)")
    p.add_argument("--nfe", type=int, default=25)
    p.add_argument("--image-size", type=int, default=32)
    p.add_argument("--threads", type=int, default=0)
    a = p.parse_args()
    phases = [c for c in a.checkpointing.split(",") if c]
    if any(c not in ("off", "on") for c in phases):
        p.error("--checkpointing takes off, on or off,on")
    if a.threads:
        torch.set_num_threads(a.threads)
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "refs"))
    import dimr_fixture as F
    F.stub_imports()
    sys.path.insert(0, a.repo)
    import libs.core.blocks as B
    from dpm_solver import DPM_Solver, NoiseScheduleVP

    if a.fixed:
        apply_fixed_convnext(B)
    published = {cls: cls.forward for cls in (B.TransformerBlock, B.ConvNeXtBlock)}

    def set_checkpointing(on):
        for cls, forward in published.items():
            cls.forward = forward if on else cls._forward

    cfg = json.loads(open(a.config).read())
    classes = cfg["num_classes"]
    size, channels = a.image_size, cfg["channels"]
    out = {"threads": torch.get_num_threads(), "torch": torch.__version__, "fixed": a.fixed,
           "matmul_gflops": matmul_gflops(), "train": {}}

    if a.sample_batch:
        set_checkpointing(False)
        out["peak_reset"] = reset_peak()
        torch.manual_seed(0)
        model = B.MRModel(F.Namespace(cfg))
        model.eval()
        betas = torch.linspace(0.00085 ** 0.5, 0.0120 ** 0.5, 1000, dtype=torch.float64) ** 2
        schedule = NoiseScheduleVP(schedule="discrete", betas=betas.float())
        labels = torch.arange(a.sample_batch) % (classes - 1)
        null = torch.full_like(labels, classes - 1)
        both = torch.cat([labels, null])

        def model_fn(z, t_continuous):
            log_snr = (t_continuous * 1000).float() / 1000 * 8 - 4
            if a.fixed:  # (b): one forward of the conditional and unconditional rows
                log_snr2 = log_snr.repeat(2) if log_snr.dim() else log_snr
                cond, uncond = model(torch.cat([z, z]), log_snr=log_snr2, y=both)[-1].chunk(2)
            else:  # as their eval.py: two passes
                cond = model(z, log_snr=log_snr, y=labels)[-1]
                uncond = model(z, log_snr=log_snr, y=null)[-1]
            return cond + 1.0 * (cond - uncond)

        solver = DPM_Solver(model_fn, schedule, predict_x0=True)
        z = torch.randn(a.sample_batch, channels, size, size)
        with torch.no_grad():
            model_fn(z, torch.full((a.sample_batch,), 0.5))  # warm-up: one guided call
            start, cpu_start = time.perf_counter(), time.process_time()
            solver.sample(z, steps=a.nfe, eps=1.0 / 1000, T=1)
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        out["sample"] = {"s": seconds, "cpu_s": cpu, "images": a.sample_batch, "peak_kib": peak_kib()}
        del model, solver

    # Smallest first (sampling, then checkpointed training), so memory kept from one phase hides no later peak.
    for phase in [c for c in ("on", "off") if c in phases]:
        set_checkpointing(phase == "on")
        release_memory()
        out["peak_reset"] = reset_peak()
        torch.manual_seed(0)
        model = B.MRModel(F.Namespace(cfg))
        out["parameters"] = sum(q.numel() for q in model.parameters())
        model.train()
        opt = torch.optim.AdamW(model.parameters(), lr=2e-4, betas=(0.99, 0.99), weight_decay=0.03)
        x = torch.randn(a.batch, channels, size, size)
        y = torch.randint(0, classes - 1, (a.batch,))
        log_snr = torch.randint(1, 1001, (a.batch,)).float() / 1000 * 8 - 4
        coeffs = [0.25 ** (len(cfg["stage_configs"]) - 1 - i) for i in range(len(cfg["stage_configs"]))]
        times, cpu_times = [], []
        for _ in range(a.steps + 1):
            start, cpu_start = time.perf_counter(), time.process_time()
            outs = model(x, log_snr=log_snr, y=y)
            loss = sum(c * o.square().mean() for c, o in zip(coeffs, outs))
            opt.zero_grad()
            loss.backward()
            opt.step()
            times.append(time.perf_counter() - start)
            cpu_times.append(time.process_time() - cpu_start)
        out["train"][phase] = {"s_per_step": statistics.median(times[1:]),
                               "cpu_s_per_step": statistics.median(cpu_times[1:]), "peak_kib": peak_kib()}
        del model, opt, outs, loss

    print(json.dumps(out))


if __name__ == "__main__":
    main()
