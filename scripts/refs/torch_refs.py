"""Writes Tests/TorchTests/Fixtures/torch_refs.safetensors: inputs and PyTorch's outputs for the Torch op tests.

Run with the project's virtual environment (torch 2.13 CPU):
    .venv/bin/python scripts/refs/torch_refs.py
Keys are `in.<name>` for inputs and `out.<name>` for results; the Swift tests in
Tests/TorchTests/OpParityTests.swift recompute every `out.*` from the `in.*` tensors.
"""
import os

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "Tests", "TorchTests", "Fixtures", "torch_refs.safetensors")

torch.set_num_threads(1)
refs = {}


def put(name, tensor):
    refs[name] = tensor.detach().contiguous().clone()


def main():
    # ---- creation ----
    put("out.arange_int", torch.arange(0, 10, 3))
    put("out.arange_float", torch.arange(0.5, 2.0, 0.25, dtype=torch.float32))
    put("out.linspace", torch.linspace(-1, 1, 7))
    put("out.full", torch.full((2, 3), 2.5))

    # ---- random numbers ----
    torch.manual_seed(0)
    put("out.default_randn", torch.randn(2, 3))
    g = torch.Generator().manual_seed(42)
    put("out.gen_randn", torch.randn(3, 4, generator=g))
    put("out.gen_randn_big", torch.randn(4, 8, generator=g))  # 16+ elements: libtorch's vectorised path
    put("out.gen_rand", torch.rand(5, generator=g))
    put("out.gen_randint", torch.randint(0, 10, (6,), generator=g))
    put("out.gen_randn_f64", torch.randn(3, dtype=torch.float64, generator=g))

    # ---- inputs ----
    gi = torch.Generator().manual_seed(1234)
    a = torch.randn(2, 3, 4, generator=gi)
    b = torch.randn(3, 1, generator=gi)
    pos = torch.rand(2, 3, 4, generator=gi) + 0.5
    for name, t in [("a", a), ("b", b), ("pos", pos)]:
        put(f"in.{name}", t)

    # ---- elementwise ----
    put("out.add", a + b)
    put("out.sub", a - b)
    put("out.mul", a * b)
    put("out.div", a / pos)
    put("out.add_scalar", a + 2.5)
    put("out.rsub_scalar", 2.5 - a)
    put("out.mul_scalar", 3.0 * a)
    put("out.rdiv_scalar", 1.5 / pos)
    put("out.sub_scalar", a - 0.75)
    put("out.div_scalar", a / 4.0)
    put("out.neg", -a)
    put("out.gt", a > b)
    put("out.le_scalar", a <= 0.3)
    put("out.eq", a.round() == b.round())
    put("out.where", torch.where(a > 0, a, b))
    put("out.clamp", a.clamp(min=-0.5, max=0.5))
    put("out.clamp_min", a.clamp(min=0.1))
    put("out.exp", a.exp())
    put("out.log", pos.log())
    put("out.sqrt", pos.sqrt())
    put("out.rsqrt", pos.rsqrt())
    put("out.pow_scalar", pos.pow(2.5))
    put("out.pow_tensor", pos.pow(b))
    put("out.sin", a.sin())
    put("out.cos", a.cos())
    put("out.erf", a.erf())
    put("out.sigmoid", a.sigmoid())
    put("out.silu", F.silu(a))
    put("out.gelu", F.gelu(a))
    put("out.gelu_tanh", F.gelu(a, approximate="tanh"))
    put("out.softmax", a.softmax(dim=-1))
    put("out.log_softmax", a.log_softmax(dim=1))

    # ---- reductions ----
    put("out.sum_all", a.sum())
    put("out.sum_d1_keep", a.sum(dim=1, keepdim=True))
    put("out.mean_d02", a.mean(dim=(0, 2)))
    put("out.var_d1", a.var(dim=1))
    put("out.var_d2_c0_keep", a.var(dim=2, correction=0, keepdim=True))
    put("out.max_d2", a.amax(dim=2))
    put("out.argmax_d1", a.argmax(dim=1))
    put("out.argmax_d2_keep", a.argmax(dim=2, keepdim=True))
    put("out.norm_last_keep", a.norm(p=2, dim=-1, keepdim=True))
    put("out.norm1_all", a.norm(p=1))

    # ---- linear algebra ----
    m = torch.randn(4, 5, generator=gi)
    bm = torch.randn(2, 4, 5, generator=gi)
    bi = torch.randn(2, 3, 5, generator=gi)
    put("in.m", m)
    put("in.bm", bm)
    put("in.bi", bi)
    put("out.matmul", a @ m)
    put("out.bmm", torch.bmm(a, bm))
    put("out.baddbmm", torch.baddbmm(bi, a, bm, beta=0.5, alpha=2.0))
    put("out.addcmul", torch.addcmul(a, pos, b, value=0.3))

    # ---- convolutions, pooling, resizing ----
    img = torch.randn(2, 4, 8, 8, generator=gi)
    cw = torch.randn(6, 4, 3, 3, generator=gi)
    cb = torch.randn(6, generator=gi)
    cwg = torch.randn(6, 2, 3, 3, generator=gi)
    small = torch.randn(2, 4, 5, 5, generator=gi)
    tw = torch.randn(4, 3, 4, 4, generator=gi)
    tb = torch.randn(3, generator=gi)
    twg = torch.randn(4, 2, 3, 3, generator=gi)
    for name, t in [("img", img), ("cw", cw), ("cb", cb), ("cwg", cwg), ("small", small), ("tw", tw), ("tb", tb), ("twg", twg)]:
        put(f"in.{name}", t)
    put("out.conv_s2p1", F.conv2d(img, cw, cb, stride=2, padding=1))
    put("out.conv_g2", F.conv2d(img, cwg, None, stride=1, padding=1, groups=2))
    put("out.convt_s2p1", F.conv_transpose2d(small, tw, tb, stride=2, padding=1))
    put("out.convt_g2", F.conv_transpose2d(small, twg, None, stride=1, padding=0, groups=2))
    put("out.avgpool_k2", F.avg_pool2d(img, 2))
    put("out.avgpool_k3s2p1", F.avg_pool2d(img, 3, stride=2, padding=1))
    put("out.interp_area_4", F.interpolate(img, size=(4, 4), mode="area"))
    put("out.interp_area_3", F.interpolate(img, size=(3, 3), mode="area"))
    put("out.interp_nearest_up", F.interpolate(img, size=(12, 12), mode="nearest"))
    put("out.interp_nearest_down", F.interpolate(img, size=(5, 5), mode="nearest"))
    put("out.interp_bilinear", F.interpolate(img, size=(11, 13), mode="bilinear", align_corners=False))
    put("out.interp_bilinear_ac", F.interpolate(img, size=(5, 6), mode="bilinear", align_corners=True))

    # ---- normalisation, embedding, attention, loss ----
    lw = torch.randn(4, generator=gi)
    lb = torch.randn(4, generator=gi)
    gw = torch.randn(4, generator=gi)
    gb = torch.randn(4, generator=gi)
    table = torch.randn(10, 4, generator=gi)
    idx = torch.tensor([[1, 9, 3], [0, 3, 7]])
    q = torch.randn(2, 2, 5, 8, generator=gi)
    k = torch.randn(2, 2, 6, 8, generator=gi)
    v = torch.randn(2, 2, 6, 8, generator=gi)
    mask = torch.rand(5, 6, generator=gi) > 0.3
    mask[:, 0] = True
    logits = torch.randn(5, 7, generator=gi)
    target = torch.tensor([0, 6, 3, 3, 1])
    for name, t in [("lw", lw), ("lb", lb), ("gw", gw), ("gb", gb), ("table", table), ("idx", idx), ("q", q),
                    ("k", k), ("v", v), ("mask", mask), ("logits", logits), ("target", target)]:
        put(f"in.{name}", t)
    put("out.layer_norm_affine", F.layer_norm(a, (4,), lw, lb, eps=1e-5))
    put("out.layer_norm_2d", F.layer_norm(a, (3, 4), eps=1e-6))
    put("out.group_norm", F.group_norm(img, 2, gw, gb, eps=1e-5))
    put("out.group_norm_plain", F.group_norm(img, 4, eps=1e-6))
    put("out.embedding", F.embedding(idx, table))
    put("out.sdpa", F.scaled_dot_product_attention(q, k, v))
    put("out.sdpa_mask", F.scaled_dot_product_attention(q, k, v, attn_mask=mask))
    put("out.sdpa_causal_scale", F.scaled_dot_product_attention(q, k[:, :, :5], v[:, :, :5], is_causal=True, scale=0.2))
    put("out.cross_entropy", F.cross_entropy(logits, target))
    put("out.cross_entropy_ls", F.cross_entropy(logits, target, label_smoothing=0.1))
    put("out.cross_entropy_none", F.cross_entropy(logits, target, reduction="none"))

    # ---- shape ----
    put("out.permute", a.permute(2, 0, 1).contiguous())
    put("out.transpose", a.transpose(0, 2).contiguous())
    put("out.reshape", a.reshape(4, -1))
    put("out.cat", torch.cat([a, a * 2], dim=1))
    put("out.stack", torch.stack([a, -a], dim=1))
    put("out.narrow", a.narrow(2, 1, 2).contiguous())
    sel = torch.tensor([2, 0, 2])
    gidx = torch.tensor([[[3, 0], [1, 1], [2, 0]], [[0, 0], [3, 2], [1, 3]]])
    put("in.sel", sel)
    put("in.gidx", gidx)
    put("out.index_select", a.index_select(1, sel))
    put("out.gather", a.gather(2, gidx))
    put("out.repeat", b.repeat(2, 1, 3))
    put("out.expand", b.expand(2, 3, 4).contiguous())

    # ---- dtype conversion ----
    cast_src = torch.cat([a.flatten() * 7, torch.tensor([0.0, -0.0, 2.5, -2.5, 65504.0, 1e-8])])
    put("in.cast_src", cast_src)
    for name, dt in [("float64", torch.float64), ("bfloat16", torch.bfloat16), ("float16", torch.float16),
                     ("int64", torch.int64), ("bool", torch.bool)]:
        put(f"out.to_{name}", cast_src.to(dt))
    put("out.f64_to_f32", cast_src.double().mul(1.0 / 3.0).float())

    # ---- autograd of a small composite function ----
    x = torch.randn(2, 3, 6, 6, generator=gi)
    w = torch.randn(4, 3, 3, 3, generator=gi) * 0.3
    bias = torch.randn(4, generator=gi)
    nw = torch.randn(6, generator=gi)
    nb = torch.randn(6, generator=gi)
    proj = torch.randn(36, 5, generator=gi)
    tgt = torch.randn(2, 4, 5, generator=gi)
    leaves = {"x": x, "w": w, "bias": bias, "nw": nw, "nb": nb, "proj": proj}
    for name, t in leaves.items():
        put(f"in.ag_{name}", t)
    put("in.ag_tgt", tgt)
    for t in leaves.values():
        t.requires_grad_(True)
    h = F.conv2d(x, w, bias, padding=1)  # (2, 4, 6, 6)
    h = F.layer_norm(h, (6,), nw, nb) + 0.5 * h  # normalised rows plus a residual, so the conv bias matters
    h = F.gelu(h).reshape(2, 4, 36).softmax(dim=-1)  # (2, 4, 36)
    out = h @ proj  # (2, 4, 5)
    loss = ((out - tgt) ** 2).mean() + out.sigmoid().sum() * 0.1
    loss.backward()
    put("out.ag_loss", loss)
    for name, t in leaves.items():
        put(f"out.ag_grad_{name}", t.grad)

    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    save_file(refs, OUT, metadata={"generator": "scripts/refs/torch_refs.py", "torch": torch.__version__})
    print(f"wrote {len(refs)} tensors, {os.path.getsize(OUT)} bytes to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
