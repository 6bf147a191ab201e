"""Writes a DiMR parity fixture by running the paper authors' PyTorch model (qihao067/DiMR).

The file has the layout of the shared fixtures (see Tests/DiMRTests/Fixtures/README.md): the
configuration and loss coefficients in the metadata, the state dict under `model.`, forward
inputs and outputs for per-sample and shared time, one multi-scale training loss with its
targets and the gradient of its mean for every parameter. Sampler rows are not written.

Usage (the authors' repository is only read, never imported from its own folder layout):
    python scripts/refs/dimr_fixture.py --ref PATH/TO/DiMR --preset adarmsn2r --out FILE.safetensors
    python scripts/refs/dimr_fixture.py --ref PATH/TO/DiMR --config CONFIG.json --coeffs 0.25,1 --out FILE
    python scripts/refs/dimr_fixture.py --ref PATH/TO/DiMR --preset init3r --init-only --seed 7 --out FILE

With --init-only the file holds just the freshly initialised weights (`init.<name>`) after
`torch.manual_seed(seed)`, with the seed in the metadata: a check that the port draws the same
initial weights from the same seed.

The authors' model code imports `timm` (for trunc_normal_) and `einops` (unused), and `sde.py` (for the
multi-scale targets) imports `absl` and `tqdm`; all are stubbed here so that torch, numpy and
safetensors are the only requirements.
"""

import argparse
import importlib.machinery
import json
import math
import sys
import types
import warnings

import numpy as np
import torch
from safetensors.torch import save_file


def inverse_cdf_trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0):
    """timm's truncated normal (inverse-CDF method; torch 2.13's own rejection-samples other numbers)."""
    def cdf(v):
        return (1.0 + math.erf(v / math.sqrt(2.0))) / 2.0
    with torch.no_grad():
        low, high = cdf((a - mean) / std), cdf((b - mean) / std)
        tensor.uniform_(2 * low - 1, 2 * high - 1)
        tensor.erfinv_()
        tensor.mul_(std * math.sqrt(2.0))
        tensor.add_(mean)
        tensor.clamp_(min=a, max=b)
    return tensor


def stub_imports():
    timm = types.ModuleType("timm")
    models = types.ModuleType("timm.models")
    layers = types.ModuleType("timm.models.layers")
    layers.trunc_normal_ = inverse_cdf_trunc_normal_
    absl = types.ModuleType("absl")
    absl.logging = types.SimpleNamespace(info=print)
    tqdm = types.ModuleType("tqdm")
    tqdm.tqdm = lambda it, *a, **k: it
    sys.modules.update({"timm": timm, "timm.models": models, "timm.models.layers": layers,
                        "einops": types.ModuleType("einops"), "absl": absl, "tqdm": tqdm})
    for name in ("timm", "timm.models", "timm.models.layers", "einops", "absl", "tqdm"):
        sys.modules[name].__spec__ = importlib.machinery.ModuleSpec(name, None)


class Namespace:
    """Attribute access over a JSON configuration, the way the authors' `Args` class works."""

    def __init__(self, d):
        for k, v in d.items():
            setattr(self, k, [Namespace(s) for s in v] if k == "stage_configs" else v)


def stage(block, dim, hidden, blocks, size, image_ratio, feature_ratio, heads=None, kernel=None):
    s = {"block_type": block, "dim": dim, "hidden_dim": hidden, "num_blocks": blocks,
         "max_height": size, "max_width": size, "image_input_ratio": image_ratio,
         "input_feature_ratio": feature_ratio, "final_kernel_size": 3, "dropout_prob": 0}
    if heads is not None:
        s["num_attention_heads"] = heads
    if kernel is not None:
        s["kernel_size"] = kernel
    return s


PRESETS = {
    # Two resolutions with the input-conditioned RMS norm (AdaRMSNorm conditions on x[:, 0]).
    "adarmsn2r": ({"channels": 2, "num_classes": 11, "block_grad_to_lowres": False, "norm_type": "ADARMSN",
                   "stage_configs": [stage("TransformerBlock", 32, 64, 3, 8, 1, 2, heads=2),
                                     stage("ConvNeXtBlock", 16, 32, 4, 16, 1, 1, kernel=5)]},
                  [0.25, 1.0], 16),
    # Plain RMSNorm (a learned scale, no time dependence), odd block counts.
    "rmsn2r": ({"channels": 1, "num_classes": 11, "block_grad_to_lowres": False, "norm_type": "RMSN",
                "stage_configs": [stage("TransformerBlock", 32, 48, 5, 8, 1, 2, heads=4),
                                  stage("ConvNeXtBlock", 16, 24, 2, 16, 1, 1, kernel=3)]},
               [0.25, 1.0], 16),
    # Three resolutions: a Transformer on a down-sampled image, then two ConvNeXt stages.
    "tdrmsn3r": ({"channels": 1, "num_classes": 11, "block_grad_to_lowres": False, "norm_type": "TDRMSN",
                  "stage_configs": [stage("TransformerBlock", 32, 64, 3, 4, 2, 2, heads=2),
                                    stage("ConvNeXtBlock", 16, 32, 3, 8, 2, 1, kernel=3),
                                    stage("ConvNeXtBlock", 8, 16, 2, 16, 1, 1, kernel=5)]},
                 [1 / 16, 0.25, 1.0], 16),
    # Every kind of randomly initialised layer (for --init-only).
    "init3r": ({"channels": 2, "num_classes": 5, "block_grad_to_lowres": False, "norm_type": "ADARMSN",
                "stage_configs": [stage("TransformerBlock", 16, 24, 2, 4, 2, 2, heads=2),
                                  stage("ConvNeXtBlock", 8, 16, 3, 8, 2, 1, kernel=3),
                                  stage("ConvNeXtBlock", 8, 12, 1, 16, 1, 1, kernel=5)]},
               [1 / 16, 0.25, 1.0], 16),
    # Three resolutions, LayerNorm, gradient blocked between stages.
    "ln3r_blockgrad": ({"channels": 1, "num_classes": 11, "block_grad_to_lowres": True, "norm_type": "LN",
                        "stage_configs": [stage("TransformerBlock", 16, 32, 2, 4, 2, 2, heads=2),
                                          stage("TransformerBlock", 16, 32, 1, 8, 2, 1, heads=1),
                                          stage("ConvNeXtBlock", 8, 16, 3, 16, 1, 1, kernel=3)]},
                       [1 / 16, 0.25, 1.0], 16),
}


def stable_diffusion_betas(n=1000):
    return torch.linspace(0.00085 ** 0.5, 0.0120 ** 0.5, n, dtype=torch.float64) ** 2


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ref", required=True, help="the authors' DiMR repository")
    parser.add_argument("--preset", choices=sorted(PRESETS))
    parser.add_argument("--config", help="JSON model configuration in the authors' field names")
    parser.add_argument("--coeffs", help="comma-separated loss coefficients, low resolution first")
    parser.add_argument("--image-size", type=int)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--init-only", action="store_true", help="write only the initial weights")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    stub_imports()
    sys.path.insert(0, args.ref)
    warnings.filterwarnings("ignore")
    from libs.core.blocks import MRModel  # noqa: E402  (the authors' model)

    if args.preset:
        config, coeffs, image_size = PRESETS[args.preset]
    else:
        with open(args.config) as f:
            config = json.load(f)
        coeffs = [float(c) for c in args.coeffs.split(",")]
        image_size = args.image_size
    torch.manual_seed(args.seed)
    model = MRModel(Namespace(json.loads(json.dumps(config))))
    if args.init_only:
        tensors = {"init." + k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
        save_file(tensors, args.out, metadata={"config": json.dumps(config), "seed": str(args.seed)})
        print(f"wrote {args.out}: {len(tensors)} initial tensors")
        return

    # Move every path away from its initial value so that each one shows in the outputs.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith((".param1", ".nodecay_weight", ".nodecay_bias")):
                p.add_(0.1 * torch.randn_like(p))
            elif name.endswith("class_embeds.weight"):
                p.add_(torch.randn_like(p))
            elif name.endswith("query_key_value.weight"):
                p.mul_(20)
            elif ".norm.linear.weight" in name:  # AdaRMSNorm starts at zero
                p.add_(0.3 * torch.randn_like(p) / math.sqrt(p.shape[1]))
            elif name.endswith("norm.scale") and p.dim() == 1:  # RMSNorm scale starts at one
                p.add_(0.1 * torch.randn_like(p))

    channels = config["channels"]
    null_class = config["num_classes"] - 1
    batch = 3
    out = {}
    for name, t in model.state_dict().items():
        out["model." + name] = t.detach().clone().contiguous()

    x = torch.randn(batch, channels, image_size, image_size)
    log_snr = torch.tensor([1, 500, 1000], dtype=torch.float32) / 1000 * 8 - 4
    log_snr_same = torch.full((batch,), 0.75)
    y = torch.tensor([0, 3, null_class])
    model.eval()
    with torch.no_grad():
        outputs = model(x, log_snr=log_snr, y=y)
        outputs_same = model(x, log_snr=log_snr_same, y=y)
    out.update({"input.x": x, "input.log_snr": log_snr, "input.log_snr_same": log_snr_same, "input.y": y})
    for i, o in enumerate(outputs):
        out[f"output.{i}"] = o.contiguous()
    for i, o in enumerate(outputs_same):
        out[f"output_same.{i}"] = o.contiguous()

    # One training loss as the authors' LSimple computes it, with fixed timesteps and noise.
    sys.path.insert(0, args.ref)
    from sde import multi_scale_targets  # noqa: E402
    model.train()
    x0 = torch.randn(batch, channels, image_size, image_size)
    noise = torch.randn_like(x0)
    n = torch.tensor([7, 420, 999])
    alphas_cumprod = np.append(1.0, np.cumprod(1.0 - stable_diffusion_betas().numpy()))
    a = torch.from_numpy(alphas_cumprod[n.numpy()] ** 0.5).float().view(-1, 1, 1, 1)
    b = torch.from_numpy((1 - alphas_cumprod[n.numpy()]) ** 0.5).float().view(-1, 1, 1, 1)
    xn = a * x0 + b * noise
    t_snr = (n.float() / 1000) * 8 - 4
    predictions = model(xn, log_snr=t_snr, y=y)
    targets = multi_scale_targets(noise, levels=len(predictions), scale_correction=True)
    per_sample = 0
    for p, c in zip(predictions, coeffs):
        per_sample = per_sample + c * (p - targets[p.shape[-1]]).pow(2).flatten(1).mean(-1)
    model.zero_grad(set_to_none=True)
    per_sample.mean().backward()
    out.update({"loss.x0": x0, "loss.noise": noise, "loss.timesteps": n, "loss.y": y.clone(),
                "loss.per_sample": per_sample.detach()})
    for size, t in targets.items():
        out[f"loss.target.{size}"] = t.clone()
    for name, p in model.named_parameters():
        if p.grad is not None:
            out["grad." + name] = p.grad.contiguous()

    metadata = {"config": json.dumps(config), "image_size": str(image_size), "loss_coeffs": json.dumps(coeffs),
                "null_class": str(null_class),
                "parameters": str(sum(p.numel() for p in model.parameters()))}
    save_file(out, args.out, metadata=metadata)
    print(f"wrote {args.out}: {len(out)} tensors, {metadata['parameters']} parameters")


if __name__ == "__main__":
    main()
