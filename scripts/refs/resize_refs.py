"""Reference outputs of PIL's Image.resize (BOX, BICUBIC) and of the ADM centre crop for Tests/DatasetsTests/ResizeTests.swift.

Pillow 13 changed the order of the two resampling passes (vertical first when the height shrinks by
more than twice as many pixels as the width); DiMR's authors ran an earlier Pillow (horizontal pass
always first). So this runs twice, on x86-64, from the repository root:
    python3 -m venv .venv && .venv/bin/pip install numpy pillow              # Pillow 13
    .venv/bin/pip install --target .venv/pillow12 "pillow>=12,<13"
    PYTHONPATH=.venv/pillow12 .venv/bin/python scripts/refs/resize_refs.py   # first: Pillow 12
    .venv/bin/python scripts/refs/resize_refs.py                             # then: Pillow 13

Writes Tests/DatasetsTests/Fixtures/resize/:
  resize_refs.npz           (Pillow <= 12) uint8 arrays: in_<image> (H, W) or (H, W, 3) inputs,
                            out_<case> the expected outputs
  manifest.json             (Pillow <= 12) the Pillow version, and per case: name, input, op ("box",
                            "bicubic" or "crop"), width and height (resizes) or size (crops)
  resize_refs_pillow13.npz  (Pillow 13) out_<case> for the cases where Pillow 13 runs some resize
                            vertical pass first; the run checks every other case is unchanged
  manifest_pillow13.json    (Pillow 13) the same fields for those cases

The centre crop is guided-diffusion's center_crop_arr as DiMR's datasets.py uses it: halve with
BOX while the short side is at least twice the size, BICUBIC so the short side is the size
(round() of side * scale, Python's round half to even), then the central square.
"""
import json
import os

import numpy as np
import PIL
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "DatasetsTests", "Fixtures", "resize")
rng = np.random.default_rng(20240813)


def noise(w, h, channels):
    shape = (h, w) if channels == 1 else (h, w, channels)
    return rng.integers(0, 256, size=shape, dtype=np.uint8)


def structured(w, h, channels, noise_level=40):
    """Gradients, a disc, a hard-edged checkerboard (bicubic overshoots it: clipping at 0 and 255),
    thin lines and a noisy patch (noise elsewhere would keep the fixtures from compressing)."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    planes = []
    for c in range(channels):
        # A ramp along x above the middle, along y below it (rows that repeat compress well).
        v = np.where(y < h / 2, 255 * (x / max(w - 1, 1)) * (0.4 + 0.3 * c), 255 * (y / max(h - 1, 1)) * (0.9 - 0.2 * c))
        disc = (x - 0.6 * w) ** 2 + (y - 0.4 * h) ** 2 < (0.2 * min(w, h)) ** 2
        v = np.where(disc, 40 + 90 * c, v)
        checker = ((x // 3 + y // 3) % 2 == 0) & (x < w / 3) & (y > h / 2)
        v = np.where(checker, 255, np.where((x < w / 3) & (y > h / 2), 0, v))
        v = np.where(x % 17 == 5, 255 - v, v)
        patch = (x >= 0.55 * w) & (x < 0.8 * w) & (y >= 0.6 * h) & (y < 0.85 * h)
        v = np.where(patch, v + rng.integers(-noise_level, noise_level + 1, size=v.shape), v)
        planes.append(np.clip(np.rint(v), 0, 255).astype(np.uint8))
    return planes[0] if channels == 1 else np.stack(planes, axis=-1)


def pil(arr):
    img = Image.fromarray(arr, mode="L" if arr.ndim == 2 else "RGB")
    assert img.mode in ("L", "RGB")
    return img


def adm_center_crop(img, size):
    while min(img.size) >= 2 * size:
        img = img.resize((img.size[0] // 2, img.size[1] // 2), resample=Image.BOX)
    scale = size / min(img.size)
    img = img.resize(tuple(round(side * scale) for side in img.size), resample=Image.BICUBIC)
    arr = np.asarray(img)
    top = (arr.shape[0] - size) // 2
    left = (arr.shape[1] - size) // 2
    return arr[top:top + size, left:left + size]


INPUTS = {
    "g37x23": noise(37, 23, 1),
    "rgb23x41": noise(23, 41, 3),
    "rgb1x1": noise(1, 1, 3),
    "g3x2": noise(3, 2, 1),
    "rgb9x7": noise(9, 7, 3),
    "g5x13": noise(5, 13, 1),
    "rgb190x131": structured(190, 131, 3),
    "g131x263": structured(131, 263, 1),
    "rgb250x187": structured(250, 187, 3),
    "g500x375": structured(500, 375, 1),
    "rgb375x500": structured(375, 500, 3),
    "rgb40x131": structured(40, 131, 3),
}

RESIZES = {  # input: [(filter, width, height)]
    "g37x23": [("box", 18, 11), ("box", 12, 7), ("box", 37, 5), ("box", 100, 23), ("box", 1, 1),
               ("bicubic", 13, 29), ("bicubic", 74, 46), ("bicubic", 1, 1), ("bicubic", 37, 60),
               ("bicubic", 5, 23), ("bicubic", 36, 22), ("box", 36, 5), ("bicubic", 36, 5)],
    "rgb23x41": [("box", 11, 20), ("box", 7, 41), ("box", 23, 100), ("bicubic", 23, 17),
                 ("bicubic", 50, 3), ("bicubic", 46, 82), ("bicubic", 1, 41), ("bicubic", 2, 2),
                 ("bicubic", 20, 10)],
    "rgb1x1": [("bicubic", 5, 3), ("box", 4, 4)],
    "g3x2": [("bicubic", 7, 9), ("box", 1, 1), ("bicubic", 3, 1)],
    "rgb9x7": [("bicubic", 40, 31), ("box", 4, 3)],
    "rgb190x131": [("box", 95, 65), ("bicubic", 47, 33), ("bicubic", 120, 83), ("bicubic", 29, 20),
                   ("bicubic", 3, 2), ("box", 63, 44)],
    "g131x263": [("bicubic", 64, 128), ("box", 65, 131), ("bicubic", 131, 97)],
    "rgb40x131": [("bicubic", 33, 40), ("box", 20, 65)],
}

CROPS = {  # input: [size]
    "g37x23": [32, 8],
    "rgb23x41": [32],
    "rgb1x1": [4],
    "g3x2": [3],  # 3 * 1.5 = 4.5: round() gives 4 (half to even)
    "rgb9x7": [32, 64],
    "g5x13": [32],
    "rgb190x131": [32, 64],
    "g131x263": [32, 64, 256],
    "rgb250x187": [32, 64, 128],
    "g500x375": [32, 64, 256],
    "rgb375x500": [256, 128],
    "rgb40x131": [16, 32],
}


def vertical_first(in_size, out_size):
    """Whether Pillow 13 runs the vertical pass first (and both passes are needed)."""
    (w, h), (ow, oh) = in_size, out_size
    return w != ow and h != oh and h - oh > 0 and h - oh > 2 * (w - ow)


def crop_steps(size, target):
    """The (input size, output size) of each resize the ADM centre crop makes."""
    steps = []
    while min(size) >= 2 * target:
        steps.append((size, (size[0] // 2, size[1] // 2)))
        size = steps[-1][1]
    scale = target / min(size)
    steps.append((size, tuple(round(side * scale) for side in size)))
    return steps


def all_cases():
    """(case, array) for every case, computed with the Pillow this runs on."""
    cases = []
    for name, specs in RESIZES.items():
        img = pil(INPUTS[name])
        for filt, w, h in specs:
            resample = {"box": Image.BOX, "bicubic": Image.BICUBIC}[filt]
            case = {"name": f"{name}_{filt}_{w}x{h}", "input": name, "op": filt, "width": w, "height": h,
                    "steps": [(img.size, (w, h))]}
            cases.append((case, np.asarray(img.resize((w, h), resample=resample))))
    for name, sizes in CROPS.items():
        img = pil(INPUTS[name])
        for size in sizes:
            case = {"name": f"{name}_crop{size}", "input": name, "op": "crop", "size": size,
                    "steps": crop_steps(img.size, size)}
            cases.append((case, np.ascontiguousarray(adm_center_crop(img, size))))
    return cases


def write(npz, manifest, arrays, cases):
    np.savez_compressed(os.path.join(OUT, npz), **arrays)
    for case in cases:
        case.pop("steps")
    with open(os.path.join(OUT, manifest), "w") as f:
        json.dump({"pillow": PIL.__version__, "cases": cases}, f, indent=1)
        f.write("\n")
    print(f"{npz}: {len(cases)} cases, {os.path.getsize(os.path.join(OUT, npz))} bytes, Pillow {PIL.__version__}")


def main():
    os.makedirs(OUT, exist_ok=True)
    cases = all_cases()
    if int(PIL.__version__.split(".")[0]) < 13:
        arrays = {f"in_{name}": arr for name, arr in INPUTS.items()}
        arrays.update({f"out_{case['name']}": arr for case, arr in cases})
        write("resize_refs.npz", "manifest.json", arrays, [case for case, _ in cases])
        return
    earlier = np.load(os.path.join(OUT, "resize_refs.npz"))
    for name, arr in INPUTS.items():
        assert np.array_equal(earlier[f"in_{name}"], arr), f"input {name} differs from resize_refs.npz"
    changed = [(case, arr) for case, arr in cases if any(vertical_first(*step) for step in case["steps"])]
    for case, arr in cases:
        same = np.array_equal(earlier[f"out_{case['name']}"], arr)
        if case not in [c for c, _ in changed]:
            assert same, f"{case['name']}: Pillow 13 differs though its pass order is unchanged"
        elif same:
            print(f"{case['name']}: same bytes with Pillow 13's pass order")
    write("resize_refs_pillow13.npz", "manifest_pillow13.json",
          {f"out_{case['name']}": arr for case, arr in changed}, [case for case, _ in changed])


if __name__ == "__main__":
    main()
