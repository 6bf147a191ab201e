"""Reference images for the PNG (libpng) and JPEG (libjpeg-turbo) decoders of Tests/DatasetsTests.

Run from the repository root with a venv holding numpy and pillow, and a C compiler with libjpeg:
    python3 -m venv .venv && .venv/bin/pip install numpy pillow
    .venv/bin/python scripts/refs/image_codec_refs.py

Writes Tests/DatasetsTests/Fixtures/images/:
  <name>.png, <name>.jpg   a file to decode
  <name>.raw               the 8-bit pixels it must decode to (row, column, channel)
  manifest.json            file, width, height, channels per name
  arithmetic.jpg           an arithmetic-coded JPEG (refused by the decoder; no expected pixels)

PNGs are built by hand here (zlib + struct; bit packing, Adam7 passes and row filters written here)
to cover what PIL does not write (interlacing, 16-bit color, 1/2/4-bit palettes). Their expected
pixels come from the source arrays and are checked against PIL's decoding, a second decoder.
JPEGs are written by PIL; their expected pixels are PIL's decoding (its bundled libjpeg-turbo with
the default accurate integer IDCT and fancy upsampling); CMYK ones through PIL's convert("RGB").
"""
import json
import os
import struct
import subprocess
import sys
import tempfile
import zlib

import numpy as np
from PIL import Image, features

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from datasets_refs import chunk, filter_rows  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "DatasetsTests", "Fixtures", "images")
SIGNATURE = b"\x89PNG\r\n\x1a\n"
# (x start, y start, x step, y step) of the seven Adam7 passes.
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
W, H = 13, 10


def pack(rows, depth):
    """(H, N) samples below 2**depth -> (H, row bytes) uint8, big-endian, padded with zero bits."""
    h, n = rows.shape
    if depth == 16:
        return rows.astype(">u2").view(np.uint8).reshape(h, 2 * n)
    if depth == 8:
        return rows.astype(np.uint8)
    per_byte = 8 // depth
    out = np.zeros((h, (n * depth + 7) // 8), np.uint8)
    for i in range(n):
        out[:, i // per_byte] |= (rows[:, i].astype(np.uint8) << (8 - depth * (i % per_byte + 1))).astype(np.uint8)
    return out


def encode_png(samples, depth, color, interlaced=False, filters=(0, 1, 2, 3, 4), extra=b""):
    """samples: (H, W, C) integers as stored (palette indices for color type 3)."""
    h, w, c = samples.shape
    bpp = max(1, depth * c // 8)
    if interlaced:
        data = b""
        for x0, y0, dx, dy in ADAM7:
            sub = samples[y0::dy, x0::dx]
            if sub.size:
                data += filter_rows(pack(sub.reshape(sub.shape[0], -1), depth), bpp, list(filters))
    else:
        data = filter_rows(pack(samples.reshape(h, -1), depth), bpp, list(filters))
    ihdr = struct.pack(">IIBBBBB", w, h, depth, color, 0, 0, 1 if interlaced else 0)
    return (SIGNATURE + chunk(b"IHDR", ihdr) + extra + chunk(b"IDAT", zlib.compress(data, 9))
            + chunk(b"IEND", b""))


def pil_pixels(path):
    """The 8-bit pixels PIL decodes, in the conventions of our decoder."""
    with Image.open(path) as im:
        im.load()
        if im.mode == "P":
            im = im.convert("RGBA" if "transparency" in im.info else "RGB")
        elif im.mode == "1":
            im = im.convert("L")
        array = np.array(im)
        if im.mode.startswith("I"):  # 16-bit gray: keep the high byte
            array = array >> 8
    array = array.astype(np.uint8)
    return array[..., None] if array.ndim == 2 else array


def as_gray_alpha(rgba):
    """PIL opens 16-bit gray + alpha as RGBA with R = G = B."""
    if not (np.array_equal(rgba[..., 0], rgba[..., 1]) and np.array_equal(rgba[..., 0], rgba[..., 2])):
        raise SystemExit("PIL's RGBA of a gray + alpha PNG is not gray")
    return rgba[..., [0, 3]]


class Writer:
    def __init__(self):
        self.manifest = {}

    def save(self, name, ext, blob, pixels):
        with open(os.path.join(OUT, f"{name}.{ext}"), "wb") as f:
            f.write(blob)
        pixels = pixels.astype(np.uint8)
        with open(os.path.join(OUT, f"{name}.raw"), "wb") as f:
            f.write(pixels.tobytes())
        self.manifest[name] = {"file": f"{name}.{ext}", "width": int(pixels.shape[1]),
                               "height": int(pixels.shape[0]), "channels": int(pixels.shape[2])}

    def png(self, name, blob, expected):
        self.save(name, "png", blob, expected)
        decoded = pil_pixels(os.path.join(OUT, f"{name}.png"))
        if expected.shape[2] == 2 and decoded.shape[2] == 4:
            decoded = as_gray_alpha(decoded)
        if not np.array_equal(decoded, expected):
            raise SystemExit(f"{name}: PIL decodes other pixels than the source")


def png_fixtures(out, rng):
    ramp = (np.arange(H)[:, None] * 29 + np.arange(W)[None, :] * 13) % 256

    for depth in (1, 2, 4):
        top = 2 ** depth - 1
        gray = rng.integers(0, top + 1, (H, W, 1))
        scale = 255 // top
        out.png(f"gray{depth}", encode_png(gray, depth, 0), gray * scale)
    gray1 = rng.integers(0, 2, (H, W, 1))
    out.png("gray1_adam7", encode_png(gray1, 1, 0, interlaced=True), gray1 * 255)
    gray8 = (ramp[..., None] + rng.integers(0, 30, (H, W, 1))) % 256
    out.png("gray8_adam7", encode_png(gray8, 8, 0, interlaced=True), gray8)
    # A gray tRNS (one transparent value) is ignored: gray stays one channel.
    out.png("gray8_trns", encode_png(gray8, 8, 0, extra=chunk(b"tRNS", struct.pack(">H", int(gray8[0, 0, 0])))), gray8)

    gray16 = rng.integers(0, 65536, (H, W, 1))
    out.png("gray16", encode_png(gray16, 16, 0), gray16 >> 8)
    graya16 = rng.integers(0, 65536, (H, W, 2))
    out.png("graya16", encode_png(graya16, 16, 4), graya16 >> 8)
    graya8 = rng.integers(0, 256, (H, W, 2))
    out.png("graya8_adam7", encode_png(graya8, 8, 4, interlaced=True), graya8)
    rgb16 = rng.integers(0, 65536, (H, W, 3))
    out.png("rgb16_adam7", encode_png(rgb16, 16, 2, interlaced=True), rgb16 >> 8)
    rgb8 = rng.integers(0, 256, (H, W, 3))
    trns = chunk(b"tRNS", struct.pack(">HHH", *[int(v) for v in rgb8[0, 0]]))
    out.png("rgb8_trns", encode_png(rgb8, 8, 2, extra=trns), rgb8)
    rgba8 = rng.integers(0, 256, (H, W, 4))
    out.png("rgba8_adam7", encode_png(rgba8, 8, 6, interlaced=True), rgba8)
    rgba16 = rng.integers(0, 65536, (H, W, 4))
    out.png("rgba16", encode_png(rgba16, 16, 6), rgba16 >> 8)

    for depth, interlaced, with_trns in [(1, False, True), (2, False, True), (4, False, False), (4, True, True),
                                         (8, True, False)]:
        entries = min(2 ** depth, 11)
        palette = rng.integers(0, 256, (entries, 3))
        index = rng.integers(0, entries, (H, W, 1))
        extra = chunk(b"PLTE", palette.astype(np.uint8).tobytes())
        expected = palette[index[..., 0]]
        if with_trns:
            alpha = rng.integers(0, 256, entries - 1)  # shorter than the palette: the last entry is opaque
            extra += chunk(b"tRNS", alpha.astype(np.uint8).tobytes())
            expected = np.concatenate([expected, np.append(alpha, 255)[index]], axis=2)
        name = f"palette{depth}" + ("_adam7" if interlaced else "") + ("_trns" if with_trns else "")
        out.png(name, encode_png(index, depth, 3, interlaced=interlaced, extra=extra), expected)


def jpeg_fixtures(out, rng):
    w, h = 19, 13  # not multiples of the 8 or 16 pixel MCU: edge blocks are padded
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([x * 12, y * 18, (x + y) * 7], axis=2) + rng.integers(0, 50, (h, w, 3))
    rgb = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8), "RGB")

    def jpeg(name, image, mode, **options):
        path = os.path.join(OUT, f"{name}.jpg")
        image.save(path, "JPEG", **options)
        with Image.open(path) as decoded:
            decoded.load()
            expected = np.array(decoded.convert(mode))
        with open(path, "rb") as f:
            blob = f.read()
        out.save(name, "jpg", blob, expected[..., None] if expected.ndim == 2 else expected)

    jpeg("jpeg_gray", rgb.convert("L"), "L", quality=90)
    jpeg("jpeg_rgb420", rgb, "RGB", quality=85, subsampling=2)
    jpeg("jpeg_rgb422", rgb, "RGB", quality=85, subsampling=1)
    jpeg("jpeg_rgb444", rgb, "RGB", quality=95, subsampling=0)
    jpeg("jpeg_rgb420_progressive", rgb, "RGB", quality=80, subsampling=2, progressive=True)
    cmyk = Image.fromarray(rng.integers(0, 256, (h, w, 4)).astype(np.uint8), "CMYK")
    jpeg("jpeg_cmyk", cmyk, "RGB", quality=90)

    with tempfile.TemporaryDirectory() as tmp:
        tool = os.path.join(tmp, "jpeg_arith")
        subprocess.run(["cc", "-O1", "-o", tool, os.path.join(os.path.dirname(__file__), "jpeg_arith.c"), "-ljpeg"],
                       check=True)
        subprocess.run([tool, os.path.join(OUT, "jpeg_rgb420.jpg"), os.path.join(OUT, "arithmetic.jpg")], check=True)


if __name__ == "__main__":
    if not features.check_feature("libjpeg_turbo"):
        raise SystemExit("this PIL does not decode JPEG with libjpeg-turbo")
    print("PIL libjpeg-turbo", features.version_feature("libjpeg_turbo"))
    os.makedirs(OUT, exist_ok=True)
    writer = Writer()
    rng = np.random.default_rng(20250704)
    png_fixtures(writer, rng)
    jpeg_fixtures(writer, rng)
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(writer.manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"{len(writer.manifest)} images in {OUT}")
