#!/usr/bin/env python3
"""Reference numbers for Tests/DiffusionTests (schedule, multi-scale loss, samplers).

Runs the DiMR authors' own code (their checkout is passed with --dimr; nothing of it is copied
into this repository) and diffusers' schedulers on small analytic "networks" that the Swift tests
rebuild op for op, and writes Tests/DiffusionTests/Fixtures/diffusion_refs.safetensors.

    .venv/bin/python scripts/refs/diffusion_refs.py --dimr PATH/TO/DiMR \
        [--fixture PATH/TO/tiny2r_tdrmsn.safetensors] [--out FILE]

Needs torch, numpy, safetensors and diffusers. Deterministic: rerunning gives the same tensors.
"""

import argparse
import ast
import json
import math
import os
import sys
import types

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import save_file, safe_open

NUM_CLASSES = 10          # classes 0..9, 10 is the null class
NULL_CLASS = NUM_CLASSES


def load_authors(dimr):
    """The authors' schedule/loss (train.py), multi-scale targets (sde.py) and DPM-Solver."""
    sys.path.insert(0, dimr)
    if "absl" not in sys.modules:  # sde.py only logs through absl
        absl = types.ModuleType("absl")
        absl.logging = types.SimpleNamespace(info=print, debug=lambda *a, **k: None)
        sys.modules["absl"] = absl
        sys.modules["absl.logging"] = absl.logging
    import sde
    import dpm_solver
    # train.py imports a training stack (accelerate, wandb, ...) we do not need: execute only
    # its schedule and loss definitions, taken from the file as they are.
    with open(os.path.join(dimr, "train.py")) as f:
        tree = ast.parse(f.read())
    wanted = {"stable_diffusion_beta_schedule", "check_zip", "get_skip", "stp", "mos", "Schedule", "LSimple"}
    body = [node for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in wanted]
    assert {node.name for node in body} == wanted, "train.py changed"
    namespace = {"np": np, "torch": torch, "multi_scale_targets": sde.multi_scale_targets}
    exec(compile(ast.Module(body=body, type_ignores=[]), "train.py", "exec"), namespace)
    return types.SimpleNamespace(sde=sde, dpm=dpm_solver, **{k: namespace[k] for k in wanted})


# ---------------------------------------------------------------- analytic networks (mirrored in Swift)

def analytic_eps(x, log_snr, y, bias):
    """eps = x * g + bias[y] * (1 - g), g = sigmoid(2 * log_snr): (B, C, H, W)."""
    g = torch.sigmoid(log_snr * 2).view(-1, 1, 1, 1)
    return x * g + bias[y] * (1 - g)


def analytic_multiscale(x, log_snr, y, bias, levels):
    """The full-size analytic prediction plus 2^l-pooled copies, lowest resolution first."""
    full = analytic_eps(x, log_snr, y, bias)
    outs = [full]
    for level in range(1, levels):
        r = 2 ** level
        outs.insert(0, F.avg_pool2d(full, r) * r * 0.9)
    return outs


def guided_eps(x, time, y, bias, rule, scale, power):
    """Guidance as in the authors' eval.py, with time on the 0...1000 scale (B,)."""
    log_snr = (time.float() / 1000) * 8 - 4
    cond = analytic_eps(x, log_snr, y, bias)
    if rule == "none":
        return cond
    uncond = analytic_eps(x, log_snr, torch.full_like(y, NULL_CLASS), bias)
    if rule == "constant":
        return cond + scale * (cond - uncond)
    step = (1 - torch.cos(((1 - time[0] / 1000) ** power) * math.pi)) * 1 / 2
    s = (scale - 1) * step + 1
    return uncond + s * (cond - uncond)


# ---------------------------------------------------------------- sections

def schedule_refs(A, out):
    betas = A.stable_diffusion_beta_schedule()
    sched = A.Schedule(betas)
    out["schedule.betas"] = torch.from_numpy(betas.copy())
    out["schedule.alpha_bar"] = torch.from_numpy(sched.cum_alphas.copy())
    out["schedule.one_minus_alpha_bar"] = torch.from_numpy(sched.cum_betas.copy())
    out["schedule.signal_f32"] = torch.from_numpy(sched.cum_alphas ** 0.5).float()
    out["schedule.noise_f32"] = torch.from_numpy(sched.cum_betas ** 0.5).float()
    return betas, sched


def qsample_and_loss_refs(A, sched, out):
    g = torch.Generator().manual_seed(1)
    for levels, coeffs in [(2, [0.25, 1.0]), (3, [1 / 16, 1 / 4, 1.0])]:
        B, C, H = 4, 3, 16
        x0 = torch.randn(B, C, H, H, generator=g)
        noise = torch.randn(B, C, H, H, generator=g)
        n = np.array([1, 1000, 500, 137][:B])
        y = torch.tensor([0, 3, NULL_CLASS, 9][:B])
        bias = torch.randn(NUM_CLASSES + 1, C, H, H, generator=g) * 0.5
        seen = {}

        def nnet(xn, log_snr, y):
            seen["xn"], seen["log_snr"] = xn, log_snr
            return analytic_multiscale(xn, log_snr, y, bias, levels)

        real_choice, real_randn_like = np.random.choice, torch.randn_like
        np.random.choice = lambda *a, **k: n
        torch.randn_like = lambda t: noise.clone()
        try:
            loss = A.LSimple(x0, nnet, sched, loss_coeffs=coeffs, y=y)
        finally:
            np.random.choice, torch.randn_like = real_choice, real_randn_like
        p = f"loss{levels}."
        out[p + "x0"], out[p + "noise"], out[p + "timesteps"], out[p + "y"] = x0, noise, torch.from_numpy(n), y
        out[p + "bias"] = bias
        out[p + "xn"], out[p + "log_snr"] = seen["xn"], seen["log_snr"]
        out[p + "per_sample"] = loss
        for size, t in A.sde.multi_scale_targets(noise, levels=levels, scale_correction=True).items():
            out[p + f"target.{size}"] = t


def target_refs(A, out):
    g = torch.Generator().manual_seed(2)
    for name, side in [("even", 16), ("odd", 17)]:
        noise = torch.randn(2, 3, side, side, generator=g)
        out[f"targets.{name}.noise"] = noise
        for size, t in A.sde.multi_scale_targets(noise, levels=3, scale_correction=True).items():
            out[f"targets.{name}.{size}"] = t


def vp_refs(A, betas, out):
    ns = A.dpm.NoiseScheduleVP(schedule="discrete", betas=torch.tensor(betas).float())
    probes = torch.cat([torch.linspace(1.0, 1.0 / 1000, 13), torch.linspace(1.0, 1.0 / 1000, 11),
                        ns.t_discrete[0, ::97], torch.tensor([0.0005, 0.3333, 0.77777, 1.0])])

    def each(fn, values):  # one value at a time, as the solver evaluates them (small tensors)
        return torch.cat([fn(v.reshape(1)) for v in values])

    out["vp.t"] = probes
    out["vp.log_mean_coeff"] = each(ns.marginal_log_mean_coeff, probes)
    out["vp.std"] = each(ns.marginal_std, probes)
    out["vp.alpha"] = each(ns.marginal_alpha, probes)
    lam = each(ns.marginal_lambda, probes)
    out["vp.lambda"] = lam
    lam_in = torch.cat([lam, torch.linspace(-8.0, 4.0, 25)])
    out["vp.lambda_in"] = lam_in
    out["vp.inverse_lambda"] = each(ns.inverse_lambda, lam_in)
    return ns


def authors_solver_refs(A, ns, out):
    g = torch.Generator().manual_seed(3)
    z = torch.randn(2, 4, 8, 8, generator=g)
    y = torch.tensor([3, 7])
    bias = torch.randn(NUM_CLASSES + 1, 4, 8, 8, generator=g) * 0.5
    out["solver.z"], out["solver.y"], out["solver.bias"] = z, y, bias
    runs = [("none", 0.0, 1.0, s, 3) for s in [1, 2, 3, 4, 5, 6, 10, 12, 20]]
    runs += [("none", 0.0, 1.0, s, 2) for s in [5, 8]]
    runs += [("constant", 0.4, 1.0, 12, 3), ("constant", 0.4, 1.0, 10, 3),
             ("decayed", 1.5, 1.0, 10, 3), ("decayed", 3.0, 2.0, 7, 3)]
    for rule, scale, power, steps, order in runs:
        def model_fn(x, t_continuous):
            return guided_eps(x, t_continuous * 1000, y, bias, rule, scale, power)
        solver = A.dpm.DPM_Solver(model_fn, ns, predict_x0=True, thresholding=False)
        result = solver.sample(z.clone(), steps=steps, eps=1.0 / 1000, T=1.0, order=order)
        out[f"authors.{rule}.{steps}.{order}"] = result


def diffusers_refs(betas, sched, out):
    from diffusers import DDIMScheduler, DPMSolverMultistepScheduler
    z, y, bias = out["solver.z"], out["solver.y"], out["solver.bias"]
    alpha_bar = torch.from_numpy(sched.cum_alphas[1:].copy())  # float64, index k = n - 1

    def run(scheduler, rule, scale, power):
        x = z.clone()
        for k in scheduler.timesteps:
            time = torch.full((x.shape[0],), float(int(k) + 1))
            eps = guided_eps(x, time, y, bias, rule, scale, power)
            x = scheduler.step(eps, k, x).prev_sample
        return x

    for steps, rule, scale, power in [(5, "none", 0, 1), (10, "none", 0, 1), (20, "none", 0, 1),
                                       (50, "none", 0, 1), (10, "constant", 0.4, 1), (10, "decayed", 1.5, 1)]:
        ddim = DDIMScheduler(num_train_timesteps=1000, trained_betas=betas, clip_sample=False,
                             set_alpha_to_one=True, timestep_spacing="trailing", steps_offset=0)
        ddim.alphas_cumprod = alpha_bar.clone()
        ddim.final_alpha_cumprod = torch.tensor(1.0, dtype=torch.float64)
        ddim.set_timesteps(steps)
        out[f"ddim.timesteps.{steps}"] = ddim.timesteps.clone()
        out[f"ddim.{rule}.{steps}"] = run(ddim, rule, scale, power)

    for steps in [5, 8, 10, 15, 20]:
        lu = DPMSolverMultistepScheduler(num_train_timesteps=1000, trained_betas=betas, use_lu_lambdas=True)
        lu.alphas_cumprod = alpha_bar.clone()
        lu.set_timesteps(steps)
        out[f"dpmpp.lu_timesteps.{steps}"] = lu.timesteps.clone()

    for steps, rule, scale, power in [(5, "none", 0, 1), (10, "none", 0, 1), (15, "none", 0, 1),
                                       (20, "none", 0, 1), (10, "constant", 0.4, 1), (10, "decayed", 1.5, 1)]:
        timesteps = out[f"dpmpp.lu_timesteps.{steps}"].tolist()
        assert len(set(timesteps)) == len(timesteps), "rounded log-SNR steps collide"
        dpm = DPMSolverMultistepScheduler(num_train_timesteps=1000, trained_betas=betas, solver_order=2,
                                          algorithm_type="dpmsolver++", solver_type="midpoint",
                                          lower_order_final=True, final_sigmas_type="zero")
        dpm.alphas_cumprod = alpha_bar.clone()
        dpm.set_timesteps(timesteps=timesteps)
        out[f"dpmpp.{rule}.{steps}"] = run(dpm, rule, scale, power)


def fixture_refs(path, out):
    with safe_open(path, "pt") as f:
        for key in ["loss.noise", "loss.target.16", "loss.target.32"]:
            out["fixture." + key] = f.get_tensor(key)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dimr", required=True, help="checkout of the authors' DiMR code")
    parser.add_argument("--fixture", help="a tiny2r_*.safetensors parity fixture (optional)")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "..", "Tests",
                                                      "DiffusionTests", "Fixtures", "diffusion_refs.safetensors"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    A = load_authors(os.path.abspath(args.dimr))
    out = {}
    betas, sched = schedule_refs(A, out)
    qsample_and_loss_refs(A, sched, out)
    target_refs(A, out)
    ns = vp_refs(A, betas, out)
    authors_solver_refs(A, ns, out)
    diffusers_refs(betas, sched, out)
    from solver_refs import solver_refs  # UniPC and DPM-Solver++ SDE (also runnable on its own)
    solver_refs(betas, torch.from_numpy(sched.cum_alphas[1:].copy()), out)
    if args.fixture:
        fixture_refs(args.fixture, out)
    out = {k: v.clone().contiguous() for k, v in out.items()}
    meta = {"null_class": str(NULL_CLASS), "torch": torch.__version__,
            "analytic_network": "eps = x * g + bias[y] * (1 - g), g = sigmoid(2 * log_snr)",
            "multiscale_network": "lower outputs: avg_pool2d(full, r) * r * 0.9, lowest first"}
    import diffusers
    meta["diffusers"] = diffusers.__version__
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    save_file(out, args.out, metadata=meta)
    print(f"wrote {len(out)} tensors to {os.path.normpath(args.out)}")


if __name__ == "__main__":
    main()
