"""Reference numbers for the DiT baseline from the reference implementation (facebookresearch/DiT models.py).

Writes Tests/DiTTests/Fixtures/dit_tiny.safetensors: a tiny DiT (1x8x8 images, patch 2, 3 classes + null,
2 blocks of 32, 4 heads) whose every parameter is drawn at random (the reference initialises the adaLN-Zero
modulations and the final layer to zero, which would make the output trivially zero), its inputs and outputs
for per-sample timesteps and for one shared timestep, the fixed position embedding, the parameter count and PyTorch's FlopCounterMode count of one image's forward.

    .venv/bin/python scripts/refs/dit_fixture.py --ref PATH/TO/DiT [--out FILE]

models.py imports PatchEmbed, Attention and Mlp from timm; timm 1.x needs torchvision at import, which does not
match this torch, so the three layers are given here as timm defines them (PatchEmbed: a patch-size strided
convolution, tokens flattened row-major; Attention: fused qkv with bias split as (3, heads, head_dim),
scaled_dot_product_attention, proj; Mlp: fc1, activation, fc2). Deterministic.
"""
import argparse
import importlib.util
import sys
import types

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file


class PatchEmbed(nn.Module):
    def __init__(self, img_size, patch_size, in_chans, embed_dim, bias=True):
        super().__init__()
        self.patch_size = (patch_size, patch_size)
        self.num_patches = (img_size // patch_size) ** 2
        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size, bias=bias)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class Attention(nn.Module):
    def __init__(self, dim, num_heads=8, qkv_bias=False, **_):
        super().__init__()
        self.num_heads = num_heads
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.num_heads, c // self.num_heads).permute(2, 0, 3, 1, 4)
        x = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2])
        return self.proj(x.transpose(1, 2).reshape(b, n, c))


class Mlp(nn.Module):
    def __init__(self, in_features, hidden_features, act_layer, drop=0):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden_features)
        self.act = act_layer()
        self.fc2 = nn.Linear(hidden_features, in_features)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


def load_reference(path):
    timm = types.ModuleType("timm")
    models = types.ModuleType("timm.models")
    vit = types.ModuleType("timm.models.vision_transformer")
    vit.PatchEmbed, vit.Attention, vit.Mlp = PatchEmbed, Attention, Mlp
    sys.modules.update({"timm": timm, "timm.models": models, "timm.models.vision_transformer": vit})
    spec = importlib.util.spec_from_file_location("dit_models", f"{path}/models.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ref", required=True, help="a checkout of facebookresearch/DiT")
    parser.add_argument("--out", default="Tests/DiTTests/Fixtures/dit_tiny.safetensors")
    args = parser.parse_args()
    ref = load_reference(args.ref)
    torch.manual_seed(0)
    model = ref.DiT(input_size=8, patch_size=2, in_channels=1, hidden_size=32, depth=2, num_heads=4, mlp_ratio=4.0,
                    class_dropout_prob=0.1, num_classes=3, learn_sigma=False).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.randn_like(p) * (0.02 if name == "pos_embed" else 0.2))
        model.pos_embed.copy_(torch.from_numpy(ref.get_2d_sincos_pos_embed(32, 4)).float().unsqueeze(0))
    g = torch.Generator().manual_seed(1)
    x = torch.randn(5, 1, 8, 8, generator=g)
    t = torch.tensor([0.0, 1.0, 250.5, 613.25, 999.0])
    y = torch.tensor([0, 1, 2, 3, 1])  # 3 is the null class
    from torch.utils.flop_counter import FlopCounterMode
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(x[:1], t[:1], y[:1])
    flops = counter.get_total_flops()
    with torch.no_grad():
        out = model(x, t, y)
        shared_t = torch.full((5,), 421.0)
        out_shared = model(x, shared_t, y)
    tensors = {f"model.{k}": v.detach().contiguous() for k, v in model.state_dict().items()}
    tensors.update({"input.x": x, "input.t": t, "input.y": y.long(), "output.eps": out.contiguous(),
                    "input.t_shared": shared_t, "output.eps_shared": out_shared.contiguous()})
    trainable = sum(p.numel() for n, p in model.named_parameters() if n != "pos_embed")
    save_file(tensors, args.out, metadata={"parameters": str(trainable), "flops_per_forward": str(flops), "source": "facebookresearch/DiT models.py"})
    print(f"wrote {args.out}: {trainable} trainable parameters, {flops} FLOPs per forward, |eps| max {out.abs().max():.4f}")


if __name__ == "__main__":
    main()
