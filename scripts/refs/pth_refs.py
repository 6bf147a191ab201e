"""Writes Tests/TorchTests/Fixtures/pth/: small PyTorch checkpoints, valid and hostile, for the .pth reader.

Run with the project's virtual environment (torch 2.13 CPU):
    .venv/bin/python scripts/refs/pth_refs.py
Valid files come from torch.save itself; `expected.safetensors` holds what each should load as
(`<file>/<name>`, contiguous). Hostile files are built with a hand-driven pickler inside real zips.
"""
import collections
import io
import os
import pickle
import zipfile

import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "Tests", "TorchTests", "Fixtures", "pth")
os.makedirs(OUT, exist_ok=True)
expected = {}
g = torch.Generator().manual_seed(7)


def save(name, obj, state):
    torch.save(obj, os.path.join(OUT, name))
    for key, tensor in state.items():
        expected[f"{name}/{key}"] = tensor.detach().contiguous().clone()


# Every storage type a state dict may hold, a scalar and an empty tensor.
plain = collections.OrderedDict()
plain["f32"] = torch.randn(3, 4, generator=g)
plain["f16"] = torch.randn(5, generator=g).half()
plain["bf16"] = torch.randn(2, 3, generator=g).bfloat16()
plain["f64"] = torch.randn(2, 2, generator=g).double()
plain["i64"] = torch.arange(-3, 3)
plain["i32"] = torch.arange(6, dtype=torch.int32).reshape(2, 3)
plain["bool"] = torch.tensor([True, False, True])
plain["u8"] = torch.arange(250, 256, dtype=torch.uint8)
plain["scalar"] = torch.tensor(2.5)
plain["empty"] = torch.zeros(0, 3)
save("plain.pth", plain, plain)

# Several tensors viewing one storage: offsets, transposes, steps.
base = torch.arange(24, dtype=torch.float32)
views = collections.OrderedDict(full=base, slice=base[4:10], transposed=base.view(4, 6).t(),
                                stepped=base.view(4, 6)[:, ::2], row=base.view(4, 6)[2])
save("views.pth", views, views)

# A training checkpoint: the state dict under "model" with DataParallel's prefix, beside other things.
inner = collections.OrderedDict()
inner["module.linear.weight"] = torch.randn(2, 3, generator=g)
inner["module.linear.bias"] = torch.randn(2, generator=g)
save("nested.pth", {"model": inner, "step": 10, "lr": 2e-4, "name": "run"},
     {k[len("module."):]: v for k, v in inner.items()})

# torch.compile's prefix; parameters (saved through _rebuild_parameter).
compiled = collections.OrderedDict()
compiled["_orig_mod.w"] = torch.nn.Parameter(torch.randn(3, generator=g))
compiled["_orig_mod.b"] = torch.nn.Parameter(torch.randn(1, generator=g), requires_grad=False)
save("compiled.pth", compiled, {k[len("_orig_mod."):]: v for k, v in compiled.items()})


def rezip(source, target, rename=None, drop=(), replace=None, truncate_entry=None):
    """Copies a zip entry by entry: renames the top folder, drops records, replaces or truncates entries."""
    with zipfile.ZipFile(os.path.join(OUT, source)) as zin, \
            zipfile.ZipFile(os.path.join(OUT, target), "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            top, _, rest = info.filename.partition("/")
            if rest in drop:
                continue
            data = zin.read(info.filename)
            if replace and rest in replace:
                data = replace[rest]
            if truncate_entry == rest:
                data = data[: len(data) // 2]
            zout.writestr(f"{rename or top}/{rest}", data)


# As older torch versions wrote (the authors used 2.1): fewer records, another folder name.
rezip("plain.pth", "old_records.pth", rename="archive", drop=(".format_version", ".storage_alignment", "byteorder",
                                                            ".data/serialization_id", "version"))
for key, tensor in plain.items():
    expected[f"old_records.pth/{key}"] = tensor.contiguous().clone()


class Call:
    """Pickles as REDUCE of `fn` on `args`."""
    def __init__(self, fn, args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return (self.fn, self.args)


class Storage:
    def __init__(self, kind, key, numel):
        self.kind, self.key, self.numel = kind, key, numel


class HostilePickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ("storage", self.storage_class(obj.kind), obj.key, "cpu", obj.numel)
        return None

    def storage_class(self, kind):
        return getattr(torch, kind)


def raw_pickle(obj):
    buffer = io.BytesIO()
    HostilePickler(buffer, protocol=2).dump(obj)
    return buffer.getvalue()


def with_pickle(name, data_pkl, storages=None):
    """A zip laid out as torch.save's, with the given data.pkl and storages."""
    with zipfile.ZipFile(os.path.join(OUT, name), "w", zipfile.ZIP_STORED) as z:
        z.writestr(f"{name[:-4]}/data.pkl", data_pkl)
        for key, data in (storages or {}).items():
            z.writestr(f"{name[:-4]}/data/{key}", data)


rebuild = torch._utils._rebuild_tensor_v2
floats = torch.arange(6, dtype=torch.float32).numpy().tobytes()


def tensor_call(kind, key, numel, offset, size, stride):
    return Call(rebuild, (Storage(kind, key, numel), offset, size, stride, False, collections.OrderedDict()))


with_pickle("bad_offset.pth", raw_pickle({"t": tensor_call("FloatStorage", "0", 6, -1, (2,), (1,))}), {"0": floats})
with_pickle("huge_offset.pth", raw_pickle({"t": tensor_call("FloatStorage", "0", 6, 2**62, (2,), (1,))}), {"0": floats})
with_pickle("bad_stride.pth", raw_pickle({"t": tensor_call("FloatStorage", "0", 6, 0, (2, 3), (-3, 1))}), {"0": floats})
with_pickle("past_end.pth", raw_pickle({"t": tensor_call("FloatStorage", "0", 6, 0, (3, 3), (3, 1))}), {"0": floats})
with_pickle("huge_size.pth", raw_pickle({"t": tensor_call("FloatStorage", "0", 6, 0, (2**40, 2**40), (1, 1))}), {"0": floats})
with_pickle("short_storage.pth", raw_pickle({"t": tensor_call("FloatStorage", "0", 600, 0, (600,), (1,))}), {"0": floats})
with_pickle("huge_numel.pth", raw_pickle({"t": tensor_call("FloatStorage", "0", 2**61, 0, (2,), (1,))}), {"0": floats})
with_pickle("missing_storage.pth", raw_pickle({"t": tensor_call("FloatStorage", "7", 6, 0, (6,), (1,))}), {"0": floats})
with_pickle("other_dtype.pth", raw_pickle({"t": tensor_call("ComplexFloatStorage", "0", 3, 0, (3,), (1,))}), {"0": floats})

import os as _os  # noqa: E402  (the functions a hostile pickle calls; never called here)
import builtins  # noqa: E402
with_pickle("os_system.pth", raw_pickle({"t": Call(_os.system, ("echo pwned",))}))
with_pickle("builtins_eval.pth", raw_pickle({"t": Call(builtins.eval, ("1+1",))}))
with_pickle("reduce_list.pth", raw_pickle({"t": Call(collections.OrderedDict, ([("a", 1)],))}))

plain_pickle = zipfile.ZipFile(os.path.join(OUT, "plain.pth")).read("plain/data.pkl")
with_pickle("truncated_pickle.pth", plain_pickle[: len(plain_pickle) // 2])
rezip("plain.pth", "truncated_storage.pth", truncate_entry="data/0")
with open(os.path.join(OUT, "plain.pth"), "rb") as f:
    whole = f.read()
with open(os.path.join(OUT, "truncated_zip.pth"), "wb") as f:
    f.write(whole[: len(whole) // 2])
with open(os.path.join(OUT, "not_a_zip.pth"), "wb") as f:
    f.write(b"\x80\x02}q\x00.")  # a bare pickle: the legacy (pre-1.6) format

save_file(expected, os.path.join(OUT, "expected.safetensors"))
print("wrote", sorted(os.listdir(OUT)))


# Resource attacks: nesting that would overflow the stack when freed, a dict shared by many paths
# ("billion laughs"), a view of far more elements than its storage (stride 0).
def raw_bytes_pth(name, data_pkl, storages=None):
    with_pickle(name, data_pkl, storages)


deep = b"\x80\x02" + b"]" * 30000 + b"a" * 29999 + b"."
raw_bytes_pth("deep_nesting.pth", deep)
def short_string(text):
    return b"X" + len(text).to_bytes(4, "little") + text.encode()


# A top dict {"L0": {}, "L1": {a, b, c, d -> L0}, ..., "L14": {a, b, c, d -> L13}}: 4^14 paths, 15 dicts.
laughs = bytearray(b"\x80\x02}(" + short_string("L0") + b"}q\x00")
for level in range(1, 15):
    laughs += short_string(f"L{level}") + b"}q" + bytes([level]) + b"("
    laughs += b"".join(short_string(k) + b"h" + bytes([level - 1]) for k in "abcd") + b"u"
laughs += b"u."
raw_bytes_pth("shared_dicts.pth", bytes(laughs))
with_pickle("expanded_view.pth", raw_pickle({"t": tensor_call("FloatStorage", "0", 6, 0, (16384, 32768), (0, 0))}), {"0": floats})

# A nested dict's path that collides with a dotted key: two tensors would be named "a.b".
torch.save({"a.b": torch.zeros(2), "a": {"b": torch.ones(3)}}, os.path.join(OUT, "colliding_names.pth"))

# Deflated storages: as written (loads), and one entry padded far past what its storage holds (refused before
# inflating the padding).
def deflated(source, target, pad=None):
    with zipfile.ZipFile(os.path.join(OUT, source)) as zin, \
            zipfile.ZipFile(os.path.join(OUT, target), "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if pad and info.filename.endswith("/" + pad):
                data += bytes(1 << 20)
            zout.writestr(info.filename, data)


deflated("views.pth", "deflated.pth")
deflated("views.pth", "deflated_padded.pth", pad="data/0")
