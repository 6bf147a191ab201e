"""Reference archives for the NPZ/ZIP tests of Tests/DatasetsTests (run from the repository root).

Writes into Tests/DatasetsTests/Fixtures/formats/:
  numpy_savez.npz             np.savez of the arrays below (stored entries)
  numpy_savez_compressed.npz  np.savez_compressed of the same (deflated entries)
  zip64_all.zip               stored entries whose central headers put sizes and offsets in Zip64
                              extra fields, with a Zip64 end record (built with struct here, then
                              read back with Python's zipfile to prove it valid)
  zip64-offset.npz            hostile: a Zip64 local-header offset past 2^63
  stored-huge.npz             hostile: a stored entry declaring 2^40 bytes, 5 present
  deflate-endless.npz         hostile: a deflate stored block claiming more bytes than the file has
The last three stopped or hung ZIPFoundation 0.9.20 (see Sources/Datasets/ZipReader.swift).
The Swift tests rebuild the arrays' values themselves: nothing here runs at test time.
"""
import io
import os
import struct
import zipfile
import zlib

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "DatasetsTests", "Fixtures", "formats")


def arrays():
    """Small arrays of every dtype the reader supports; values the Swift tests recompute."""
    return {
        "bytes": np.arange(24, dtype=np.uint8).reshape(2, 3, 4),
        "floats": (np.arange(5, dtype=np.float32) * np.float32(0.5) - np.float32(1)),
        "halves": np.array([0.5, -2.0, 65504.0], dtype=np.float16),
        "doubles": np.arange(6, dtype=np.float64).reshape(3, 2) / 8,
        "longs": np.array([-3, 0, 1 << 40], dtype=np.int64),
        "ints": np.zeros((0, 3), dtype=np.int32),
        "flags": np.array([[True, False], [False, True]]),
        "scalar": np.array(7, dtype=np.int64),
    }


def local(name, method, crc, csize, usize, extra=b""):
    return struct.pack("<IHHHHHIIIHH", 0x04034B50, 45 if extra else 20, 0, method, 0, 0x21, crc, csize, usize,
                       len(name), len(extra)) + name + extra


def central(name, method, crc, csize, usize, offset, extra=b""):
    return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0x0314, 45 if extra else 20, 0, method, 0, 0x21, crc,
                       csize, usize, len(name), len(extra), 0, 0, 0, 0o100644 << 16, offset) + name + extra


def end(count, size, offset):
    return struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, size, offset, 0)


def zip64_all():
    files = [(b"a.bin", bytes([1, 2, 3])), (b"b.bin", bytes([9]) * 1000)]
    body, directory = b"", b""
    for name, data in files:
        crc = zlib.crc32(data)
        offset = len(body)
        body += local(name, 0, crc, 0xFFFFFFFF, 0xFFFFFFFF, struct.pack("<HHQQ", 1, 16, len(data), len(data))) + data
        directory += central(name, 0, crc, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF,
                             struct.pack("<HHQQQ", 1, 24, len(data), len(data), offset))
    record = len(body) + len(directory)
    zip64_end = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, len(files), len(files), len(directory), len(body))
    locator = struct.pack("<IIQI", 0x07064B50, 0, record, 1)
    return body + directory + zip64_end + locator + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF,
                                                                0xFFFFFFFF, 0xFFFFFFFF, 0), files


def main():
    os.makedirs(OUT, exist_ok=True)
    np.savez(os.path.join(OUT, "numpy_savez.npz"), **arrays())
    np.savez_compressed(os.path.join(OUT, "numpy_savez_compressed.npz"), **arrays())

    data, files = zip64_all()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.testzip() is None
        assert [(i.filename.encode(), z.read(i)) for i in z.infolist()] == files
    with open(os.path.join(OUT, "zip64_all.zip"), "wb") as f:
        f.write(data)

    name, payload = b"a.npy", b"hello"
    crc = zlib.crc32(payload)
    lh = local(name, 0, crc, 5, 5) + payload
    cd = central(name, 0, crc, 5, 5, 0xFFFFFFFF, struct.pack("<HHQ", 1, 8, 0xFFFFFFFFFFFFFF00))
    with open(os.path.join(OUT, "zip64-offset.npz"), "wb") as f:
        f.write(lh + cd + end(1, len(cd), len(lh)))

    big = struct.pack("<HHQQ", 1, 16, 1 << 40, 1 << 40)
    lh = local(name, 0, crc, 0xFFFFFFFF, 0xFFFFFFFF, big) + payload
    cd = central(name, 0, crc, 0xFFFFFFFF, 0xFFFFFFFF, 0, big)
    with open(os.path.join(OUT, "stored-huge.npz"), "wb") as f:
        f.write(lh + cd + end(1, len(cd), len(lh)))

    block = b"\x00\xff\xff\x00\x00"  # a non-final stored block of 65535 bytes, of which none follow
    lh = local(name, 8, 0, len(block), 100) + block
    cd = central(name, 8, 0, len(block), 100, 0)
    with open(os.path.join(OUT, "deflate-endless.npz"), "wb") as f:
        f.write(lh + cd + end(1, len(cd), len(lh)))


if __name__ == "__main__":
    main()
