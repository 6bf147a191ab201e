"""Writes Tests/NNTests/Fixtures/nn_refs.safetensors: PyTorch reference numbers for the NN target.

Run from the package root with the project's Python (torch 2.13 CPU):
    .venv/bin/python scripts/refs/nn_refs.py

Contents (all float32 unless noted):
  <layer>.x / .weight / .bias / .out      forward of Linear, Conv2d, ConvTranspose2d, LayerNorm, GroupNorm, Embedding
  init.<layer>.*                          default initialisation with a generator seeded as the key says
  adamw.*                                 5 AdamW steps, two parameter groups, linear lr warm-up (LambdaLR)
  ema.*                                   EMA after each of those steps, fixed and warm-up decay
  clip.*                                  clip_grad_norm_ results
The hyper-parameters below are repeated in Tests/NNTests/ReferenceTests.swift.
"""
import math
import os

import torch
import torch.nn as nn
from safetensors.torch import save_file

torch.set_num_threads(1)
out = {}


def put(key, t):
    out[key] = t.detach().clone().contiguous()


g = torch.Generator().manual_seed(1234)


def randn(*shape):
    return torch.randn(*shape, generator=g)


# ---- forward passes with given weights ----
x = randn(2, 3, 5)
w, b = randn(4, 5), randn(4)
put("linear.x", x); put("linear.weight", w); put("linear.bias", b)
put("linear.out", nn.functional.linear(x, w, b))

x = randn(2, 4, 7, 6)
w, b = randn(6, 2, 3, 3), randn(6)  # groups 2, stride 2, padding 1
put("conv2d.x", x); put("conv2d.weight", w); put("conv2d.bias", b)
put("conv2d.out", nn.functional.conv2d(x, w, b, stride=2, padding=1, groups=2))

x = randn(2, 4, 3, 4)
w, b = randn(4, 3, 3, 3), randn(6)  # groups 2 -> 6 output channels, stride 2, padding 1, output_padding 1
put("convT.x", x); put("convT.weight", w); put("convT.bias", b)
put("convT.out", nn.functional.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1, groups=2))

x = randn(2, 3, 8) * 3 + 1
w, b = randn(8), randn(8)
put("layernorm.x", x); put("layernorm.weight", w); put("layernorm.bias", b)
put("layernorm.out", nn.functional.layer_norm(x, (8,), w, b, eps=1e-6))
put("layernorm.out_plain", nn.functional.layer_norm(x, (8,), None, None, eps=1e-5))

x = randn(2, 6, 3, 3) * 2 - 1
w, b = randn(6), randn(6)
put("groupnorm.x", x); put("groupnorm.weight", w); put("groupnorm.bias", b)
put("groupnorm.out", nn.functional.group_norm(x, 3, w, b, eps=1e-6))

w = randn(7, 4)
idx = torch.tensor([[0, 6, 2], [3, 3, 1]], dtype=torch.int64)
put("embedding.weight", w); put("embedding.indices", idx)
put("embedding.out", nn.functional.embedding(idx, w))

# ---- default initialisation (PyTorch's module constructors on a freshly seeded default generator) ----
torch.manual_seed(11)
m = nn.Linear(5, 4)
put("init.linear.seed11.weight", m.weight); put("init.linear.seed11.bias", m.bias)
torch.manual_seed(12)
m = nn.Conv2d(4, 6, 3, groups=2)
put("init.conv2d.seed12.weight", m.weight); put("init.conv2d.seed12.bias", m.bias)
torch.manual_seed(13)
m = nn.ConvTranspose2d(4, 6, 3, groups=2)
put("init.convT.seed13.weight", m.weight); put("init.convT.seed13.bias", m.bias)
torch.manual_seed(14)
m = nn.Embedding(7, 4)
put("init.embedding.seed14.weight", m.weight)


def trunc_normal_inverse_cdf(shape, mean, std, a, b, seed):
    """timm's trunc_normal_ (the one the DiMR authors call): inverse CDF of a clipped uniform sample."""
    cdf = lambda v: (1.0 + math.erf(v / math.sqrt(2.0))) / 2.0
    lo, hi = cdf((a - mean) / std), cdf((b - mean) / std)
    t = torch.empty(*shape)
    t.uniform_(2 * lo - 1, 2 * hi - 1, generator=torch.Generator().manual_seed(seed))
    return t.erfinv_().mul_(std * math.sqrt(2.0)).add_(mean).clamp_(min=a, max=b)


put("init.trunc_normal.seed15", trunc_normal_inverse_cdf((64, 16), 0.0, 0.02, -2.0, 2.0, 15))
put("init.trunc_normal_tight.seed16", trunc_normal_inverse_cdf((64, 16), 0.5, 1.0, -0.5, 1.0, 16))

# ---- AdamW with two parameter groups and linear warm-up ----
LR, WARMUP, BETAS, EPS, WD, STEPS = 1e-2, 3, (0.99, 0.99), 1e-8, 0.03, 5
names = ["block.weight", "block.nodecay_weight", "head.bias"]
shapes = {"block.weight": (3, 4), "block.nodecay_weight": (5,), "head.bias": (2, 2)}
params = {n: nn.Parameter(randn(*shapes[n])) for n in names}
for n in names:
    put(f"adamw.init.{n}", params[n])
decay = [params[n] for n in names if not n.endswith("nodecay_weight")]
nodecay = [params[n] for n in names if n.endswith("nodecay_weight")]
opt = torch.optim.AdamW([{"params": decay}, {"params": nodecay, "weight_decay": 0.0}],
                        lr=LR, betas=BETAS, eps=EPS, weight_decay=WD)
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(s / WARMUP, 1))
ema_fixed = {n: params[n].detach().clone() for n in names}
ema_warm = {n: params[n].detach().clone() for n in names}
for k in range(STEPS):
    opt.zero_grad()
    for n in names:
        if n == "head.bias" and k == 1:
            continue  # no gradient this step: AdamW skips the parameter and its step count
        grad = randn(*shapes[n]) * (k + 1)
        put(f"adamw.grad.{k}.{n}", grad)
        params[n].grad = grad.clone()
    opt.step()
    sched.step()
    rate_warm = min(0.9999, (1 + k) / (10 + k))
    with torch.no_grad():
        for n in names:
            # the authors' form (utils.ema): dest.mul_(rate).add_((1 - rate) * src)
            ema_fixed[n].mul_(0.9999).add_((1 - 0.9999) * params[n])
            ema_warm[n].mul_(rate_warm).add_((1 - rate_warm) * params[n])
    for n in names:
        put(f"adamw.param.{k}.{n}", params[n])
        put(f"ema.fixed.{k}.{n}", ema_fixed[n])
        put(f"ema.warmup.{k}.{n}", ema_warm[n])
for n in names:
    st = opt.state[params[n]]
    put(f"adamw.state.{n}.exp_avg", st["exp_avg"])
    put(f"adamw.state.{n}.exp_avg_sq", st["exp_avg_sq"])
    put(f"adamw.state.{n}.step", st["step"].to(torch.int64))

# ---- gradient-norm clipping ----
g1, g2 = randn(3, 4), randn(5)
put("clip.grad0", g1); put("clip.grad1", g2)
for label, max_norm in [("small", 1.0), ("large", 100.0)]:
    a, b = nn.Parameter(torch.zeros(3, 4)), nn.Parameter(torch.zeros(5))
    a.grad, b.grad = g1.clone(), g2.clone()
    total = torch.nn.utils.clip_grad_norm_([a, b], max_norm)
    put(f"clip.{label}.total", total.reshape(()))
    put(f"clip.{label}.grad0", a.grad); put(f"clip.{label}.grad1", b.grad)

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests", "NNTests", "Fixtures",
                    "nn_refs.safetensors")
os.makedirs(os.path.dirname(path), exist_ok=True)
save_file(out, path, metadata={"torch": torch.__version__})
print(f"wrote {len(out)} tensors to {os.path.normpath(path)}")
