"""Reference data for Tests/DatasetsTests (run with the project's venv python from the repository root).

Writes into Tests/DatasetsTests/Fixtures/:
  fashion_mnist_facts.json  numbers read from Debian's Fashion-MNIST files with gzip + numpy
  png/<name>.png            small PNGs built by hand here (zlib + struct, own filter code)
  png/<name>.raw            the 8-bit pixels each should decode to (row, column, channel)
  png/manifest.json         width, height, channels per name
"""
import gzip
import json
import os
import struct
import sys
import zlib

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "DatasetsTests", "Fixtures")
MNIST = os.environ.get("DIMR_FASHION_MNIST", "/usr/share/datasets/fashion-mnist")


def idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    shape = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def mnist_facts():
    facts = {}
    for split, prefix in [("train", "train"), ("test", "t10k")]:
        images = idx(os.path.join(MNIST, f"{prefix}-images-idx3-ubyte.gz"))
        labels = idx(os.path.join(MNIST, f"{prefix}-labels-idx1-ubyte.gz"))
        facts[split] = {
            "count": int(images.shape[0]),
            "first_labels": [int(v) for v in labels[:20]],
            "last_label": int(labels[-1]),
            "label_histogram": [int(v) for v in np.bincount(labels, minlength=10)],
            "first_image_row_14": [int(v) for v in images[0, 14]],
            "first_image_sum": int(images[0].astype(np.int64).sum()),
            "last_image_sum": int(images[-1].astype(np.int64).sum()),
            "pixel_sum": int(images.astype(np.int64).sum()),
            # mean of the padded images scaled in float32 (x / 127.5 - 1, border -1), summed in float64
            "scaled_padded_mean": float(((images.astype(np.float32) / np.float32(127.5) - np.float32(1)).astype(np.float64).sum()
                                         - images.shape[0] * (32 * 32 - 28 * 28)) / (images.shape[0] * 32 * 32)),
        }
    with open(os.path.join(OUT, "fashion_mnist_facts.json"), "w") as f:
        f.write("{\n" + ",\n".join(f' "{k}": {json.dumps(v)}' for k, v in facts.items()) + "\n}\n")


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def filter_rows(samples, bpp, filters):
    """samples: (H, rowbytes) uint8. Returns filtered bytes with a filter byte per row."""
    out = bytearray()
    prev = [0] * samples.shape[1]
    for y, row in enumerate(samples.tolist()):
        ftype = filters[y % len(filters)]
        out.append(ftype)
        for i, x in enumerate(row):
            a = row[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            pred = [0, a, b, (a + b) // 2, paeth(a, b, c)][ftype]
            out.append((x - pred) & 0xFF)
        prev = row
    return bytes(out)


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def png(width, height, depth, color, filtered, extra=b"", split_idat=1):
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, 0)
    data = zlib.compress(filtered, 9)
    parts = [data[i * len(data) // split_idat:(i + 1) * len(data) // split_idat] for i in range(split_idat)]
    text = chunk(b"tEXt", b"Comment\x00made by datasets_refs.py")
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + text + extra
            + b"".join(chunk(b"IDAT", p) for p in parts) + chunk(b"IEND", b""))


def png_fixtures():
    folder = os.path.join(OUT, "png")
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(20240611)
    manifest = {}

    def save(name, blob, pixels):
        with open(os.path.join(folder, name + ".png"), "wb") as f:
            f.write(blob)
        with open(os.path.join(folder, name + ".raw"), "wb") as f:
            f.write(pixels.astype(np.uint8).tobytes())
        manifest[name] = {"width": int(pixels.shape[1]), "height": int(pixels.shape[0]), "channels": int(pixels.shape[2])}

    w, h = 13, 10
    ramp = (np.arange(h)[:, None, None] * 23 + np.arange(w)[None, :, None] * 11) % 256
    for channels, color in [(1, 0), (2, 4), (3, 2), (4, 6)]:
        pix = ((ramp + np.arange(channels)[None, None, :] * 60 + rng.integers(0, 40, (h, w, channels))) % 256).astype(np.uint8)
        blob = png(w, h, 8, color, filter_rows(pix.reshape(h, -1), channels, [0, 1, 2, 3, 4]), split_idat=2)
        save(f"color{color}_8bit_allfilters", blob, pix)

    # 16-bit RGB: the decoder keeps the high byte.
    pix16 = rng.integers(0, 65536, (h, w, 3)).astype(">u2")
    raw16 = np.frombuffer(pix16.tobytes(), dtype=np.uint8).reshape(h, w * 6)
    save("color2_16bit", png(w, h, 16, 2, filter_rows(raw16, 6, [4, 3, 2, 1, 0])), (pix16 >> 8).astype(np.uint8))

    # Palette with transparency: becomes RGBA.
    palette = rng.integers(0, 256, (6, 3)).astype(np.uint8)
    alpha = np.array([255, 0, 128, 7], dtype=np.uint8)  # shorter than the palette: the rest are opaque
    index = rng.integers(0, 6, (h, w)).astype(np.uint8)
    rgba = np.concatenate([palette[index], np.append(alpha, [255, 255])[index][..., None]], axis=2)
    extra = chunk(b"PLTE", palette.tobytes()) + chunk(b"tRNS", alpha.tobytes())
    save("color3_palette_trns", png(w, h, 8, 3, filter_rows(index, 1, [1, 4]), extra=extra), rgba)

    with open(os.path.join(folder, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    png_fixtures()
    if "--no-mnist" not in sys.argv:
        mnist_facts()
