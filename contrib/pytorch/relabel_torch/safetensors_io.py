"""Safetensors read and write without the `safetensors` package (not in Debian 12).

The format: 8-byte little-endian header length N, N bytes of JSON header
({"__metadata__": {str: str}, name: {"dtype", "shape", "data_offsets": [begin, end]}}), then the
raw little-endian data. write_safetensors() lays the header out exactly as Relabel's engine does
(compact JSON, metadata first, tensors in the given order, padded with spaces to a multiple of 8),
so a model read and written back unchanged is the same file byte for byte.
"""
import json
import os
import struct
import tempfile
from collections import OrderedDict

import numpy as np

MAX_HEADER = 100 * 1024 * 1024
_DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
           "I8": "i1", "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1", "BOOL": "?"}


class SafetensorsError(ValueError):
    """A file that is not a valid safetensors file; the message names the file and the cause."""


def read_safetensors(path):
    """Returns (OrderedDict name -> numpy array, OrderedDict metadata), both in file order.
    BF16 tensors are refused (Relabel writes F32 only)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise SafetensorsError("%s: cannot read: %s" % (path, e.strerror)) from None
    if len(data) < 8:
        raise SafetensorsError("%s: too short for a safetensors file (%d bytes)" % (path, len(data)))
    (n,) = struct.unpack("<Q", data[:8])
    if n > MAX_HEADER or 8 + n > len(data):
        raise SafetensorsError("%s: header length %d does not fit the file (%d bytes)"
                               % (path, n, len(data)))
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"), object_pairs_hook=OrderedDict)
    except (UnicodeDecodeError, ValueError) as e:
        raise SafetensorsError("%s: header is not JSON: %s" % (path, e)) from None
    if not isinstance(header, dict):
        raise SafetensorsError("%s: header is not a JSON object" % path)
    meta = header.pop("__metadata__", OrderedDict())
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        raise SafetensorsError("%s: __metadata__ is not an object of strings" % path)
    body = data[8 + n:]
    out = OrderedDict()
    for name, v in header.items():
        if not isinstance(v, dict) or not {"dtype", "shape", "data_offsets"} <= set(v):
            raise SafetensorsError("%s: tensor '%s' lacks dtype, shape or data_offsets" % (path, name))
        if v["dtype"] not in _DTYPES:
            raise SafetensorsError("%s: tensor '%s' has unsupported dtype '%s'" % (path, name, v["dtype"]))
        shape, offs = v["shape"], v["data_offsets"]
        if (not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape)
                or not isinstance(offs, list) or len(offs) != 2
                or not all(isinstance(o, int) for o in offs)):
            raise SafetensorsError("%s: tensor '%s' has a bad shape or data_offsets" % (path, name))
        dt = np.dtype(_DTYPES[v["dtype"]])
        b, e = offs
        if not 0 <= b <= e <= len(body) or e - b != dt.itemsize * int(np.prod(shape, dtype=np.int64)):
            raise SafetensorsError("%s: tensor '%s' has data_offsets %s that do not match its shape "
                                   "or the file" % (path, name, offs))
        out[name] = np.frombuffer(body, dtype=dt, count=(e - b) // dt.itemsize, offset=b).reshape(shape)
    return out, meta


def _escape(s):
    """JSON string exactly as the engine's rl_json_escape writes it."""
    out = ['"']
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20:
            out.append("\\u%04x" % ord(ch))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def write_safetensors(path, tensors, metadata=None):
    """tensors: iterable of (name, array-like float32); metadata: {str: str} (order kept).
    Written to a temporary file in the same folder and renamed into place."""
    parts, blobs, offset = [], [], 0
    meta = metadata or {}
    if meta:
        items = []
        for k, v in meta.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise TypeError("metadata keys and values must be strings: %r=%r" % (k, v))
            items.append(_escape(k) + ":" + _escape(v))
        parts.append('"__metadata__":{' + ",".join(items) + "}")
    for name, t in tensors:
        a = np.ascontiguousarray(t, dtype="<f4")
        raw = a.tobytes()
        parts.append("%s:{\"dtype\":\"F32\",\"shape\":[%s],\"data_offsets\":[%d,%d]}"
                     % (_escape(name), ",".join(str(d) for d in a.shape), offset, offset + len(raw)))
        offset += len(raw)
        blobs.append(raw)
    header = ("{" + ",".join(parts) + "}").encode("utf-8")
    header += b" " * (-len(header) % 8)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=os.path.basename(path) + ".tmp-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(struct.pack("<Q", len(header)))
            f.write(header)
            for raw in blobs:
                f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
