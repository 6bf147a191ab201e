"""Reference features of pytorch-fid's FID Inception-v3 on random weights, for Tests/EvaluationTests.

Run from the repository root with a Python holding torch==2.13.0+cpu, pytorch-fid (0.3.0, which pulls torchvision),
numpy and safetensors. Writes Tests/EvaluationTests/Fixtures/inception_random.safetensors:

  images         uint8 (3, 40, 48, 3)  NHWC input images (random bytes, seed 2015)
  pool           float64 (3, 2048)     pool3 features (pytorch-fid's output block 3)
  logits         float64 (3, 1008)     pool3 @ fc.weight^T: the logits of the ADM evaluator's
                                       Inception Score (its softmax graph multiplies by the weights only)
  spatial        float64 (3, 2023)     Mixed_6d.branch1x1 output (TF's mixed_6/conv), first 7 channels,
                                       17x17, flattened in (H, W, C) order as the ADM evaluator does

The network is pytorch-fid's own: `pytorch_fid.inception.InceptionV3([3])`, whose `fid_inception_v3()`
builds torchvision's Inception3 with the FIDInceptionA/C/E_1/E_2 blocks and calls
`load_state_dict_from_url`; that function is replaced here by one that returns the random state dict
below, so pytorch-fid's own loading, resizing (299x299 bilinear, align_corners=False), input scaling
(2x - 1) and forward pass run unchanged. The run is in float64 (`model.double()`), so the reference is
the exact output of these float32 weights to about 1e-15; the printed float32 run shows the spread of a
float32 evaluation.

Weights (RandomInceptionWeights in the Swift tests repeats this): one `torch.Generator` seeded with
SEED draws `torch.rand(shape)` for every state-dict key in sorted order (num_batches_tracked excluded),
each u in [0, 1) mapped by float32 tensor arithmetic:
  *.conv.weight          (u * 2 - 1) * sqrt(6 / fan_in)         (He-uniform: activations keep their scale)
  *.bn.weight            u * 0.5 + 0.75
  *.bn.bias              (u * 2 - 1) * 0.1
  *.bn.running_mean      (u * 2 - 1) * 0.1
  *.bn.running_var       u * 0.5 + 0.75
  fc.weight              (u * 2 - 1) * sqrt(3 / 2048)
  fc.bias                (u * 2 - 1) * 0.1
Uniform draws and these operations are exact IEEE float32 operations, the same on every x86-64 CPU.
"""
import math
import os
import sys
import types

import numpy as np
import torch
from safetensors.torch import save_file

# PyPI's torchvision is a CUDA build whose C operators cannot load beside the CPU torch wheel; pytorch-fid
# uses only its pure-Python Inception3, so the module that registers fake kernels for those operators is
# stubbed before torchvision is imported.
sys.modules["torchvision._meta_registrations"] = types.ModuleType("torchvision._meta_registrations")
import pytorch_fid.inception as fid_inception  # noqa: E402

SEED = 1512
IMAGE_SEED = 2015
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "EvaluationTests", "Fixtures", "inception_random.safetensors")


def random_weights(keys_and_shapes):
    g = torch.Generator().manual_seed(SEED)
    state = {}
    for key in sorted(keys_and_shapes):
        shape = keys_and_shapes[key]
        if key.endswith("num_batches_tracked"):
            continue
        u = torch.rand(shape, generator=g)
        if key.endswith(".conv.weight"):
            fan_in = shape[1] * shape[2] * shape[3]
            t = (u * 2 - 1) * math.sqrt(6 / fan_in)
        elif key.endswith(".bn.weight") or key.endswith(".bn.running_var"):
            t = u * 0.5 + 0.75
        elif key.endswith(".bn.bias") or key.endswith(".bn.running_mean"):
            t = (u * 2 - 1) * 0.1
        elif key == "fc.weight":
            t = (u * 2 - 1) * math.sqrt(3 / 2048)
        elif key == "fc.bias":
            t = (u * 2 - 1) * 0.1
        else:
            raise ValueError(f"unexpected key {key}")
        state[key] = t
    return state


def main():
    skeleton = fid_inception._inception_v3(num_classes=1008, aux_logits=False, weights=None)
    shapes = {k: tuple(v.shape) for k, v in skeleton.state_dict().items()}
    state = random_weights(shapes)
    print(f"{len(state)} tensors, {sum(t.numel() for t in state.values())} numbers")
    fid_inception.load_state_dict_from_url = lambda *args, **kwargs: state
    model = fid_inception.InceptionV3([3]).eval()

    captured = {}
    mixed_6d = model.blocks[2][6]
    assert isinstance(mixed_6d, fid_inception.FIDInceptionC)
    mixed_6d.branch1x1.register_forward_hook(lambda m, i, o: captured.__setitem__("spatial", o))

    g = torch.Generator().manual_seed(IMAGE_SEED)
    images = torch.randint(0, 256, (3, 40, 48, 3), generator=g, dtype=torch.uint8)

    def run(dtype):
        m = model.to(dtype)
        x = images.permute(0, 3, 1, 2).to(dtype) / 255  # as torchvision's ToTensor
        with torch.no_grad():
            pool = m(x)[0].flatten(1)
            spatial = captured["spatial"][:, :7].permute(0, 2, 3, 1).reshape(x.shape[0], -1)
            fc = state["fc.weight"].to(dtype)
            logits = pool @ fc.T
        return pool, logits, spatial

    pool64, logits64, spatial64 = run(torch.float64)
    pool32, logits32, spatial32 = run(torch.float32)
    for name, a, b in [("pool", pool32, pool64), ("logits", logits32, logits64), ("spatial", spatial32, spatial64)]:
        err = ((a.double() - b).abs().max() / b.abs().max()).item()
        print(f"{name}: shape {tuple(b.shape)}, max |x| {b.abs().max().item():.4g}, mean {b.mean().item():.4g}, "
              f"zeros {(b == 0).double().mean().item():.3f}, float32 run vs float64: {err:.3g} relative")
    save_file({"images": images.contiguous(), "pool": pool64.contiguous(), "logits": logits64.contiguous(),
               "spatial": spatial64.contiguous()}, OUT, metadata={"seed": str(SEED), "image_seed": str(IMAGE_SEED),
                                                                 "pytorch_fid": "0.3.0", "torch": torch.__version__})
    print("wrote", OUT)


if __name__ == "__main__":
    main()
