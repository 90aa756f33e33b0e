"""Compares two safetensors model files tensor by tensor (max abs difference <= tol), reading the
format by hand (8-byte header length, JSON header, raw little-endian data); with --retag, writes a
copy whose classifier has a different class count (for the bad-input test); with --meta SRC DST
KEY VALUE, a copy whose __metadata__ KEY is VALUE (removed when VALUE is "-")."""
import json
import struct
import sys

import numpy as np


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    tensors = {}
    for name, info in header.items():
        assert info["dtype"] == "F32", name
        a, b = info["data_offsets"]
        tensors[name] = np.frombuffer(data[base + a:base + b], "<f4").reshape(info["shape"])
    return tensors, meta


def write(path, tensors, meta):
    header = {"__metadata__": meta}
    blobs, off = [], 0
    for name, t in tensors.items():
        raw = np.ascontiguousarray(t, "<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def main():
    if sys.argv[1] == "--retag":
        tensors, meta = read(sys.argv[2])
        k = int(sys.argv[4])
        tensors["classifier.weight"] = tensors["classifier.weight"][:k]
        tensors["classifier.bias"] = tensors["classifier.bias"][:k]
        meta["num_classes"] = str(k)
        meta["class_names"] = json.dumps(json.loads(meta["class_names"])[:k])
        if "class_weights" in meta:  # the loss weights are per class too
            meta["class_weights"] = json.dumps(json.loads(meta["class_weights"])[:k])
        write(sys.argv[3], tensors, meta)
        sys.exit(0)

    if sys.argv[1] == "--meta":
        tensors, meta = read(sys.argv[2])
        key, value = sys.argv[4], sys.argv[5]
        if value == "-":
            meta.pop(key, None)
        else:
            meta[key] = value
        write(sys.argv[3], tensors, meta)
        sys.exit(0)

    a, _ = read(sys.argv[1])
    b, _ = read(sys.argv[2])
    tol = float(sys.argv[3])
    assert a.keys() == b.keys(), "different tensor names"
    worst = max(float(np.max(np.abs(a[k] - b[k]))) for k in a)
    print(f"max abs difference over {len(a)} tensors: {worst:.3g}")
    sys.exit(0 if worst <= tol else 1)


if __name__ == "__main__":
    main()
