#!/usr/bin/env python3
"""Reference samples of UniPC and DPM-Solver++(3M) SDE for Tests/DiffusionTests.

Runs diffusers' UniPCMultistepScheduler (solver_type="bh2", predict_x0=True) and k-diffusion's
sample_dpmpp_3m_sde (given our per-image step noise) on the analytic network of diffusion_refs.py, from that file's inputs (solver.z, solver.y, solver.bias and the schedule), and
adds the results to Tests/DiffusionTests/Fixtures/diffusion_refs.safetensors, keeping every other
tensor as it is. diffusion_refs.py calls `solver_refs` too, so a full regeneration includes them.

    .venv/bin/python scripts/refs/solver_refs.py [--file FILE]

Needs torch, numpy, safetensors, diffusers and k-diffusion (installed with --no-deps; its
sampling.py needs scipy, torchdiffeq, torchsde and tqdm). Deterministic: rerunning gives the same tensors.
"""

import argparse
import os
import sys

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from diffusion_refs import guided_eps  # noqa: E402  (the analytic network and guidance rules)

MASK = (1 << 64) - 1
SDE_SEED = 7                       # the run seed of the SDE references
SDE_STREAM = 0x5344_4550_4E4F_4953  # DPMSolverPlusPlusSDE.noiseStream
RULES = {"none": (0.0, 1.0), "constant": (0.4, 1.0), "decayed": (1.5, 1.0)}


def mix(value):
    """SplitMix64's finaliser, as InitialNoise.mix."""
    z = (value + 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def image_seed(seed, index):
    """InitialNoise.imageSeed."""
    return mix(mix(seed) ^ index)


def sde_noise_generators(count):
    """Image i's step-noise generator, as DPMSolverPlusPlusSDE.noiseSeed(index: i)."""
    return [torch.Generator().manual_seed(image_seed(SDE_SEED ^ SDE_STREAM, i)) for i in range(count)]


def run(scheduler, z, y, bias, rule, noise_generators=None):
    """Samples from z with the scheduler; step k's network time is timestep k + 1 (our n)."""
    scale, power = RULES[rule]
    x = z.clone()
    for k in scheduler.timesteps:
        time = torch.full((x.shape[0],), float(int(k) + 1))
        eps = guided_eps(x, time, y, bias, rule, scale, power)
        if noise_generators is None:
            x = scheduler.step(eps, k, x).prev_sample
        else:
            noise = torch.cat([torch.randn(1, *x.shape[1:], generator=g) for g in noise_generators])
            x = scheduler.step(eps, k, x, variance_noise=noise).prev_sample
    return x


def log_snr_steps(out, steps):
    """diffusers' use_lu_lambdas steps (our n - 1), from diffusion_refs.py's section."""
    timesteps = out[f"dpmpp.lu_timesteps.{steps}"].tolist()
    assert len(set(timesteps)) == len(timesteps), "rounded log-SNR steps collide"
    return timesteps


def unipc_refs(betas, alpha_bar, out):
    from diffusers import UniPCMultistepScheduler
    z, y, bias = out["solver.z"], out["solver.y"], out["solver.bias"]

    def scheduler(order, spacing):
        s = UniPCMultistepScheduler(num_train_timesteps=1000, trained_betas=betas, solver_order=order,
                                    solver_type="bh2", predict_x0=True, lower_order_final=True,
                                    final_sigmas_type="zero", timestep_spacing=spacing)
        s.alphas_cumprod = alpha_bar.clone()
        return s

    for order in [2, 3]:
        for steps, rule in [(5, "none"), (10, "none"), (15, "none"), (20, "none"), (10, "constant"), (10, "decayed")]:
            # UniPC's set_timesteps takes no custom steps: set the log-SNR steps the way its default
            # branch sets any steps (sigma of each step, then a final 0, in float32).
            s = scheduler(order, "linspace")
            s.set_timesteps(steps)
            k = np.array(log_snr_steps(out, steps), dtype=np.int64)
            sigmas = ((1 - alpha_bar.numpy()) / alpha_bar.numpy()) ** 0.5
            s.sigmas = torch.from_numpy(np.concatenate([sigmas[k], [0.0]]).astype(np.float32))
            s.timesteps = torch.from_numpy(k)
            s.num_inference_steps = len(k)
            out[f"unipc.{order}.{rule}.{steps}"] = run(s, z, y, bias, rule)
        for steps in [6, 10]:
            s = scheduler(order, "trailing")
            s.set_timesteps(steps)
            out[f"unipc.trailing_timesteps.{steps}"] = s.timesteps.clone()
            out[f"unipc.{order}.trailing.{steps}"] = run(s, z, y, bias, "none")


def load_k_diffusion_sampling():
    """k-diffusion's sampling.py alone: the package's __init__ imports its training stack
    (torchvision, scikit-image, clean-fid, ...), which the samplers do not use."""
    import importlib.util
    import types
    spec = importlib.util.find_spec("k_diffusion")
    path = os.path.join(spec.submodule_search_locations[0], "sampling.py")
    package = types.ModuleType("k_diffusion")
    package.__path__ = []
    package.utils = types.ModuleType("k_diffusion.utils")
    sys.modules.setdefault("k_diffusion", package)
    sys.modules.setdefault("k_diffusion.utils", package.utils)
    module_spec = importlib.util.spec_from_file_location("k_diffusion.sampling", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def sde_refs(alpha_bar, out):
    """k-diffusion's sample_dpmpp_3m_sde (eta 1) on the log-SNR steps, in its sigma = sqrt((1 - abar) / abar)
    variables: x_k = x / alpha, the network sees x = alpha x_k at step n, and the result is the last x0."""
    sampling = load_k_diffusion_sampling()
    z, y, bias = out["solver.z"], out["solver.y"], out["solver.bias"]
    for steps, rule in [(5, "none"), (10, "none"), (15, "none"), (20, "none"), (10, "constant"), (10, "decayed")]:
        scale, power = RULES[rule]
        k = log_snr_steps(out, steps)
        abar = alpha_bar[k]                                         # float64, our step n = k + 1
        sigmas = torch.cat([((1 - abar) / abar).sqrt(), torch.zeros(1, dtype=torch.float64)])
        calls = iter(range(steps))

        def model(x, _sigma):
            i = next(calls)            # one call per step, in order (k-diffusion passes sigma in float32)
            sigma = sigmas[i]
            alpha = 1 / (sigma ** 2 + 1).sqrt()
            x_vp = x * alpha
            eps = guided_eps(x_vp, torch.full((x.shape[0],), float(k[i] + 1)), y, bias, rule, scale, power)
            return (x_vp - (sigma * alpha) * eps) / alpha

        generators = sde_noise_generators(z.shape[0])

        def noise_sampler(sigma, sigma_next):
            return torch.cat([torch.randn(1, *z.shape[1:], generator=g) for g in generators])

        x = z / (1 / (sigmas[0] ** 2 + 1).sqrt())
        result = sampling.sample_dpmpp_3m_sde(model, x, sigmas, disable=True, noise_sampler=noise_sampler)
        out[f"dpmpp_3m_sde.{rule}.{steps}"] = result.float()
    out["dpmpp_3m_sde.seed"] = torch.tensor([SDE_SEED], dtype=torch.int64)


def solver_refs(betas, alpha_bar, out):
    """Adds the UniPC and DPM-Solver++(3M) SDE references to `out`.

    betas: float64 numpy (N); alpha_bar: float64 tensor (N), index k = step n - 1.
    """
    unipc_refs(betas, alpha_bar, out)
    sde_refs(alpha_bar, out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", default=os.path.join(os.path.dirname(__file__), "..", "..", "Tests",
                                                       "DiffusionTests", "Fixtures", "diffusion_refs.safetensors"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    with safe_open(args.file, "pt") as f:
        meta = f.metadata() or {}
        out = {key: f.get_tensor(key) for key in f.keys()}
    betas = out["schedule.betas"].numpy()
    alpha_bar = out["schedule.alpha_bar"][1:].clone()
    solver_refs(betas, alpha_bar, out)
    import diffusers
    from importlib.metadata import version
    meta["diffusers"] = diffusers.__version__
    meta["k_diffusion"] = version("k-diffusion")
    meta["sde_noise"] = "image i, step k: randn(1, C, H, W) from its own generator seeded by mix(mix(seed ^ stream) ^ i)"
    save_file({k: v.clone().contiguous() for k, v in out.items()}, args.file, metadata=meta)
    print(f"wrote {len(out)} tensors to {os.path.normpath(args.file)}")


if __name__ == "__main__":
    main()
