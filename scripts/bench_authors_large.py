"""The authors' DiMR code at the paper's sizes, measured for `dimr-bench large` (one mode per process).

Each run prints one JSON object on its last stdout line; peaks are VmHWM from /proc/self/status in KiB,
reset between phases by writing 5 to /proc/self/clear_refs where the kernel allows it ("peak_reset": false
says it did not, and the peaks are then cumulative over the process).

Modes (the authors' repository is given with --repo and only read; nothing of theirs is copied here):
  forward    their MRModel (random init, eval, no_grad) on the JSON --config: for each --batches B, one
             guided forward batched as 2B (classes then the null class) and, as their eval.py calls it,
             two passes of B; median wall and CPU seconds of --repeats after one warm-up, and the peak of
             each phase.
  decode     their FrozenAutoencoderKL (KL-f8 layout of libs/autoencoder.get_model, default random init)
             decoding one 4x32x32 latent.
  load       their model built as eval.py builds it, then load_state_dict(torch.load(--pth, map_location='cpu')):
             the peak of the model alone and of the whole load.
  write-pth  no authors' code: writes a state dict of random float32 tensors (normal, std 0.02) with the
             names and shapes of --shapes (a JSON list of [name, shape]) to --out with torch.save.
"""
import argparse
import json
import os
import re
import statistics
import sys
import time
import warnings

import torch

warnings.filterwarnings("ignore")


def peak_kib():
    """The process's peak resident set size so far (VmHWM), KiB."""
    with open("/proc/self/status") as f:
        return int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1))


def reset_peak():
    """Resets VmHWM to the current resident size; False where the kernel refuses."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def median_seconds(fn, repeats):
    """Median wall seconds and median CPU seconds (all threads) of fn over repeats calls after a warm-up."""
    fn()
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def authors_model(repo, config_path):
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "refs"))
    import dimr_fixture as F
    F.stub_imports()  # timm's trunc_normal_ (inverse CDF), einops (unused by the model)
    sys.path.insert(0, repo)
    import libs.core.blocks as B
    with open(config_path) as f:
        cfg = json.load(f)
    torch.manual_seed(0)
    return B.MRModel(F.Namespace(cfg)), cfg


def forward(a):
    model, cfg = authors_model(a.repo, a.config)
    model.eval()
    out = {"parameters": sum(p.numel() for p in model.parameters()), "build_peak_kib": peak_kib()}
    channels, size, null_class = cfg["channels"], a.image_size, cfg["num_classes"] - 1
    out["peak_reset"] = reset_peak()
    rows = {}
    for b in a.batches:
        g = torch.Generator().manual_seed(b)
        x = torch.randn(b, channels, size, size, generator=g)
        y = torch.randint(0, null_class, (b,), generator=g)
        null = torch.full((b,), null_class, dtype=torch.long)
        log_snr = torch.zeros(2 * b)  # t = 500: 500 / 1000 * 8 - 4
        x2, y2 = torch.cat([x, x]), torch.cat([y, null])
        row = {}
        with torch.no_grad():
            reset_peak()
            def batched():
                cond, uncond = model(x2, log_snr=log_snr, y=y2)[-1].chunk(2)
                return cond + 0.4 * (cond - uncond)
            s, c = median_seconds(batched, a.repeats)
            row["batched_s_per_image"], row["batched_cpu_s_per_image"] = s / b, c / b
            row["batched_peak_kib"] = peak_kib()
            reset_peak()

            def two_passes():
                cond = model(x, log_snr=log_snr[:b], y=y)[-1]
                uncond = model(x, log_snr=log_snr[:b], y=null)[-1]
                return cond + 0.4 * (cond - uncond)
            s, c = median_seconds(two_passes, a.repeats)
            row["two_pass_s_per_image"], row["two_pass_cpu_s_per_image"] = s / b, c / b
            row["two_pass_peak_kib"] = peak_kib()
        rows[str(b)] = row
    out["batches"] = rows
    return out


def decode(a):
    sys.path.insert(0, a.repo)
    import libs.autoencoder as A
    # Their constructor loads weights from a path; random weights are measured, so the load is skipped.
    real_load, real_load_state_dict = torch.load, A.FrozenAutoencoderKL.load_state_dict
    torch.load = lambda *args, **kwargs: {}
    A.FrozenAutoencoderKL.load_state_dict = lambda self, state, strict=True: ([], [])
    try:
        torch.manual_seed(0)
        model = A.get_model("random-weights")
    finally:
        torch.load, A.FrozenAutoencoderKL.load_state_dict = real_load, real_load_state_dict
    out = {"parameters": sum(p.numel() for p in model.parameters()), "build_peak_kib": peak_kib()}
    out["peak_reset"] = reset_peak()
    z = torch.randn(1, 4, 32, 32, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        out["decode_s"], out["decode_cpu_s"] = median_seconds(lambda: model.decode(z), a.repeats)
    out["decode_peak_kib"] = peak_kib()
    return out


def load(a):
    model, _ = authors_model(a.repo, a.config)
    out = {"model_peak_kib": peak_kib()}
    start = time.perf_counter()
    missing, unexpected = model.load_state_dict(torch.load(a.pth, map_location="cpu"))
    out["load_s"] = time.perf_counter() - start
    assert not missing and not unexpected, (missing, unexpected)
    out["load_peak_kib"] = peak_kib()  # the whole process: model, loaded dict and file
    return out


def write_pth(a):
    with open(a.shapes) as f:
        shapes = json.load(f)
    g = torch.Generator().manual_seed(a.seed)
    state = {name: torch.randn(shape, generator=g) * 0.02 for name, shape in shapes}
    torch.save(state, a.out)
    return {"tensors": len(state), "bytes": os.path.getsize(a.out)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["forward", "decode", "load", "write-pth"])
    p.add_argument("--repo")
    p.add_argument("--config")
    p.add_argument("--batches", default="1,4")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--image-size", type=int, default=32)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--pth")
    p.add_argument("--shapes")
    p.add_argument("--out")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    a.batches = [int(b) for b in a.batches.split(",")]
    if a.threads:
        torch.set_num_threads(a.threads)
    out = {"forward": forward, "decode": decode, "load": load, "write-pth": write_pth}[a.mode](a)
    out["threads"] = torch.get_num_threads()
    out["torch"] = torch.__version__
    print(json.dumps(out))


if __name__ == "__main__":
    main()
