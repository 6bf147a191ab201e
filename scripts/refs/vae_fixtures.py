"""Writes autoencoder parity fixtures by running the paper authors' KL autoencoder (qihao067/DiMR,
`libs/autoencoder.py`, the Stable Diffusion KL-f8 layout) on CPU in float32.

Each file has the layout of the shared `vae_tiny.safetensors` (see Tests/AutoencoderTests/Fixtures/README.md):
metadata `ddconfig` (JSON), `embed_dim`, `scale_factor`; tensors `model.<name>` (the state dict),
`input.image` (B, in_channels, H, W) in [-1, 1], `input.noise` (B, embed_dim, H/f, W/f),
`output.moments` (encoder + quant_conv), `output.latent` (the authors' `sample` with that noise) and
`output.decoded` (the authors' `decode` of that latent).

Usage:
    python scripts/refs/vae_fixtures.py PATH/TO/DiMR --out Tests/AutoencoderTests/Fixtures \
        --tiny-pth PATH/TO/vae_tiny.pth [--only NAME ...]

`vae_tiny` takes its weights from the given `vae_tiny.pth` (its ddconfig is read off the weight shapes); the
other layouts get PyTorch's default initialisation with the GroupNorm scales and shifts spread from 1 and 0
(so that a port that ignored them would miss), after `torch.manual_seed` of the layout's seed. The authors'
model is always built through their `FrozenAutoencoderKL`, which loads the weights strictly from a `.pth`.
"""

import argparse
import contextlib
import io
import json
import os
import re
import sys
import tempfile

import torch
from safetensors.torch import save_file

SCALE_FACTOR = 0.18215

# name -> (ddconfig, embed_dim, image shape (B, C, H, W), seed). Each exercises something the others do not.
# Linear-attention to_qkv weights are multiplied by this after init (see vae_linear_avgpool_tanh).
QKV_GAIN = 6.0
LAYOUTS = {
    # attention at resolution 16 of 32 in both encoder (num_res_blocks entries) and decoder (one more);
    # embed_dim 3 != z_channels 4, so quant_conv and post_quant_conv change the channel count
    "vae_attn16_embed3": (dict(double_z=True, z_channels=4, resolution=32, in_channels=3, out_ch=3, ch=32,
                               ch_mult=[1, 1, 1], num_res_blocks=1, attn_resolutions=[16], dropout=0.0),
                          3, (2, 3, 32, 32), 11),
    # the KL-f8 depth (four levels, down-sampling by 8) on a non-square image
    "vae_f8_nonsquare": (dict(double_z=True, z_channels=4, resolution=256, in_channels=3, out_ch=3, ch=32,
                              ch_mult=[1, 1, 1, 1], num_res_blocks=1, attn_resolutions=[], dropout=0.0),
                         4, (2, 3, 24, 40), 12),
    # resolution 18 with three levels: the encoder counts 18, 9, 4 and the decoder 4, 8, 16, so attention at 9
    # lands in encoder level 1 only and attention at 16 in decoder level 0 only; two ResNet blocks per level
    # (three in the decoder); one input channel, two output channels
    "vae_res18_mono": (dict(double_z=True, z_channels=2, resolution=18, in_channels=1, out_ch=2, ch=32,
                            ch_mult=[1, 1, 1], num_res_blocks=2, attn_resolutions=[9, 16], dropout=0.0),
                       2, (3, 1, 16, 16), 13),
    # the authors' other options: linear attention (in the middle), average-pool down-sampling / plain nearest
    # up-sampling (no resampling convolutions), tanh on the decoder output. Linear attention has no residual and
    # with PyTorch's default init its output hardly varies over positions, so the GroupNorm after it (one channel
    # per group) magnifies float32 rounding (4.5e-6 between float32 and float64 in the reference itself); its
    # to_qkv weights are multiplied by 6 (see QKV_GAIN), which brings that to 1.5e-6 like the other layouts.
    "vae_linear_avgpool_tanh": (dict(double_z=True, z_channels=4, resolution=16, in_channels=3, out_ch=3, ch=32,
                                     ch_mult=[1, 1], num_res_blocks=1, attn_resolutions=[], dropout=0.0,
                                     use_linear_attn=True, resamp_with_conv=False, tanh_out=True),
                                4, (2, 3, 16, 16), 14),
}


def import_authors(repo):
    sys.path.insert(0, os.path.abspath(repo))
    from libs.autoencoder import Decoder, Encoder, FrozenAutoencoderKL  # noqa: E402  (the authors' code)
    return Encoder, Decoder, FrozenAutoencoderKL


def infer_ddconfig(state, resolution):
    """The ddconfig and embed_dim a KL autoencoder state dict was made with (no attention layers but the middle)."""
    if any(re.match(r"(encoder\.down|decoder\.up)\.\d+\.attn\.", k) for k in state):
        raise SystemExit("the state dict has attention at a resolution; its ddconfig cannot be read off the shapes")
    ch, in_channels = state["encoder.conv_in.weight"].shape[:2]
    levels = 1 + max(int(k.split(".")[2]) for k in state if k.startswith("encoder.down."))
    ch_mult = [state[f"encoder.down.{i}.block.0.conv1.weight"].shape[0] // ch for i in range(levels)]
    num_res_blocks = 1 + max(int(k.split(".")[4]) for k in state if k.startswith("encoder.down.0.block."))
    z_channels = state["decoder.conv_in.weight"].shape[1]
    double_z = state["encoder.conv_out.weight"].shape[0] == 2 * z_channels
    ddconfig = dict(double_z=double_z, z_channels=int(z_channels), resolution=resolution,
                    in_channels=int(in_channels), out_ch=int(state["decoder.conv_out.weight"].shape[0]), ch=int(ch),
                    ch_mult=ch_mult, num_res_blocks=num_res_blocks, attn_resolutions=[], dropout=0.0)
    return ddconfig, int(state["post_quant_conv.weight"].shape[1])


def random_state(Encoder, Decoder, ddconfig, embed_dim):
    """PyTorch's default init of the authors' layers, GroupNorm affine spread by N(0, 0.1^2), linear attention's
    to_qkv multiplied by QKV_GAIN."""
    holder = torch.nn.Module()
    holder.encoder = Encoder(**ddconfig)
    holder.decoder = Decoder(**ddconfig)
    holder.quant_conv = torch.nn.Conv2d(2 * ddconfig["z_channels"], 2 * embed_dim, 1)
    holder.post_quant_conv = torch.nn.Conv2d(embed_dim, ddconfig["z_channels"], 1)
    with torch.no_grad():
        for name, module in holder.named_modules():
            if isinstance(module, torch.nn.GroupNorm):
                module.weight.add_(0.1 * torch.randn_like(module.weight))
                module.bias.add_(0.1 * torch.randn_like(module.bias))
            if name.endswith("to_qkv"):
                module.weight.mul_(QKV_GAIN)
    return holder.state_dict()


@contextlib.contextmanager
def fixed_randn_like(noise):
    """Makes the authors' `sample` draw `noise` instead of fresh numbers."""
    original = torch.randn_like

    def given(like, *args, **kwargs):
        assert like.shape == noise.shape, (like.shape, noise.shape)
        return noise.clone()

    torch.randn_like = given
    try:
        yield
    finally:
        torch.randn_like = original


def write_fixture(FrozenAutoencoderKL, path, ddconfig, embed_dim, state, image_shape, seed):
    with tempfile.TemporaryDirectory() as tmp:
        weights = os.path.join(tmp, "weights.pth")
        torch.save(state, weights)
        with contextlib.redirect_stdout(io.StringIO()):  # the authors' constructors print
            model = FrozenAutoencoderKL(ddconfig, embed_dim, weights, scale_factor=SCALE_FACTOR)
    generator = torch.Generator().manual_seed(seed)
    image = torch.rand(image_shape, generator=generator) * 2 - 1
    factor = 2 ** (len(ddconfig["ch_mult"]) - 1)
    b, _, h, w = image_shape
    noise = torch.randn((b, embed_dim, h // factor, w // factor), generator=generator)
    with torch.no_grad():
        moments = model.encode_moments(image)
        with fixed_randn_like(noise):
            latent = model.sample(moments)
        decoded = model.decode(latent)
    tensors = {"model." + k: v.contiguous() for k, v in model.state_dict().items()}
    tensors.update({"input.image": image, "input.noise": noise, "output.moments": moments,
                    "output.latent": latent, "output.decoded": decoded})
    metadata = {"ddconfig": json.dumps(ddconfig), "embed_dim": str(embed_dim), "scale_factor": str(SCALE_FACTOR)}
    save_file(tensors, path, metadata=metadata)
    print(f"{path}: {sum(v.numel() for k, v in tensors.items() if k.startswith('model.'))} parameters, "
          f"image {tuple(image.shape)} -> moments {tuple(moments.shape)} -> decoded {tuple(decoded.shape)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("authors_repo", help="a checkout of github.com/qihao067/DiMR")
    parser.add_argument("--out", required=True, help="folder for the .safetensors files")
    parser.add_argument("--tiny-pth", help="the shared fixtures' vae_tiny.pth (for vae_tiny.safetensors)")
    parser.add_argument("--only", nargs="*", help="layout names to write (default: all)")
    args = parser.parse_args()

    torch.set_num_threads(1)
    Encoder, Decoder, FrozenAutoencoderKL = import_authors(args.authors_repo)
    names = args.only or (["vae_tiny"] if args.tiny_pth else []) + list(LAYOUTS)
    os.makedirs(args.out, exist_ok=True)
    for name in names:
        path = os.path.join(args.out, name + ".safetensors")
        if name == "vae_tiny":
            if not args.tiny_pth:
                raise SystemExit("vae_tiny needs --tiny-pth")
            state = torch.load(args.tiny_pth, map_location="cpu", weights_only=True)
            ddconfig, embed_dim = infer_ddconfig(state, resolution=32)
            write_fixture(FrozenAutoencoderKL, path, ddconfig, embed_dim, state, (2, 3, 32, 32), seed=10)
            continue
        if name not in LAYOUTS:
            raise SystemExit(f"unknown layout {name}; known: vae_tiny, {', '.join(LAYOUTS)}")
        ddconfig, embed_dim, image_shape, seed = LAYOUTS[name]
        torch.manual_seed(seed)
        with contextlib.redirect_stdout(io.StringIO()):
            state = random_state(Encoder, Decoder, ddconfig, embed_dim)
        write_fixture(FrozenAutoencoderKL, path, ddconfig, embed_dim, state, image_shape, seed)


if __name__ == "__main__":
    main()
