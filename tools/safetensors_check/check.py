#!/usr/bin/python3
"""Verify pretrain's safetensors files with PyTorch, without the safetensors package.

Debian's python3-torch 1.13 has no safetensors module, so this script parses
the format by hand (8-byte little-endian header length, JSON header, raw
little-endian data) and builds tensors with torch.frombuffer. BF16 data is
loaded as torch.bfloat16.

Usage:
  check.py FILE.safetensors [EXPECTED.json]   check one file
  check.py --fixture                           write a fixture with the Go
                                               writer (go test) and check it
  check.py --go FILE.safetensors               compare PyTorch's reading of FILE
                                               with the Go reader's (go test)

EXPECTED.json maps each tensor name to {"dtype", "shape", "bits"} where bits
are the float32 bit patterns ("0x3f800000") of the values widened to float32.
Without it the script prints what it loaded. Exit status 0 means every check
passed.
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

import torch

DTYPES = {"F32": torch.float32, "BF16": torch.bfloat16, "F16": torch.float16, "F64": torch.float64}
SIZES = {"F32": 4, "BF16": 2, "F16": 2, "F64": 8}


def load(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    if n % 8 != 0:
        raise ValueError(f"header length {n} is not a multiple of 8")
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    data = blob[8 + n:]
    meta = header.pop("__metadata__", None)
    out = {}
    end = 0
    for name, e in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        b, t = e["data_offsets"]
        if b != end:
            raise ValueError(f"{name}: starts at {b}, previous tensor ended at {end}")
        if b % SIZES[e["dtype"]] != 0:
            raise ValueError(f"{name}: offset {b} not aligned to {SIZES[e['dtype']]}")
        end = t
        numel = 1
        for d in e["shape"]:
            numel *= d
        if t - b != numel * SIZES[e["dtype"]]:
            raise ValueError(f"{name}: {t - b} bytes for shape {e['shape']}")
        buf = bytearray(data[b:t])
        x = torch.frombuffer(buf, dtype=DTYPES[e["dtype"]]) if numel else torch.empty(0, dtype=DTYPES[e["dtype"]])
        out[name] = x.reshape(e["shape"])
    if end != len(data):
        raise ValueError(f"tensors cover {end} of {len(data)} data bytes")
    return out, meta


def bits(x):
    f = x.to(torch.float32).reshape(-1).contiguous()
    return ["0x%08x" % (v & 0xFFFFFFFF) for v in f.view(torch.int32).tolist()]


def check(path, expected_path):
    tensors, meta = load(path)
    print(f"{path}: {len(tensors)} tensors, metadata {meta}")
    if expected_path is None:
        for name, x in sorted(tensors.items()):
            print(f"  {name} {x.dtype} {list(x.shape)} {x.reshape(-1)[:4].tolist()}")
        return 0
    with open(expected_path) as f:
        expected = json.load(f)
    failures = 0
    if sorted(expected) != sorted(tensors):
        print(f"FAIL names: file {sorted(tensors)} expected {sorted(expected)}")
        failures += 1
    for name, e in sorted(expected.items()):
        x = tensors.get(name)
        if x is None:
            continue
        want_dtype = DTYPES[e["dtype"]]
        got_bits = bits(x)
        ok = x.dtype == want_dtype and list(x.shape) == e["shape"] and got_bits == e["bits"]
        if e["dtype"] == "BF16" and ok:
            # Round trip: torch's own float32 -> bfloat16 must give the same tensor back.
            again = x.to(torch.float32).to(torch.bfloat16)
            ok = torch.equal(again.view(torch.int16), x.view(torch.int16))
        print(f"  {'ok  ' if ok else 'FAIL'} {name} {x.dtype} {list(x.shape)}")
        failures += not ok
    print("PASS" if failures == 0 else f"FAIL: {failures} problem(s)")
    return 1 if failures else 0


def main(argv):
    if argv[1:2] == ["--fixture"]:
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        with tempfile.TemporaryDirectory() as d:
            env = dict(os.environ, SAFETENSORS_FIXTURE=d)
            subprocess.run(["go", "test", "-count=1", "-run", "^TestWriteFixture$", "./sdk/checkpoint/"],
                           cwd=root, env=env, check=True)
            return check(os.path.join(d, "sample.safetensors"), os.path.join(d, "expected.json"))
    if argv[1:2] == ["--go"] and len(argv) == 3:
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        with tempfile.TemporaryDirectory() as d:
            env = dict(os.environ, SAFETENSORS_FIXTURE=d, SAFETENSORS_DUMP=os.path.abspath(argv[2]))
            subprocess.run(["go", "test", "-count=1", "-run", "^TestWriteFixture$", "./sdk/checkpoint/"],
                           cwd=root, env=env, check=True)
            return check(argv[2], os.path.join(d, "expected.json"))
    if len(argv) < 2:
        print(__doc__)
        return 2
    return check(argv[1], argv[2] if len(argv) > 2 else None)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
