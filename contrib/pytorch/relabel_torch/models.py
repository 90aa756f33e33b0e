"""The engine's networks in PyTorch, with the same tensor names (engine/rl-net.c) and the same
__metadata__ (ARCHITECTURE.md, "Model files"), so that a state_dict is a Relabel model file.

segnet-basic: enc1..enc4 = conv 7x7 (64, pad 3, bias) + BN + ReLU, max-pool 2x2 stride 2 ceil
mode keeping the argmax; dec4..dec1 = max-unpool to the pre-pool size + conv 7x7 + BN (no ReLU);
classifier conv 1x1.  segnet: VGG-16's 13 conv 3x3 + BN + ReLU in 5 blocks (enc1.0 ... enc5.2),
the mirrored decoder (dec5.0 ... dec1.0, each conv + BN + ReLU after a max-unpool), classifier
conv 3x3 64 -> C.
"""
import hashlib
import json
import math
import re
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .safetensors_io import SafetensorsError, _escape, read_safetensors, write_safetensors

ARCHS = ("segnet-basic", "segnet")
BN_EPS = 1e-5
REQUIRED_META = ("arch", "num_classes", "class_names", "ignore_index", "input_mean", "input_std",
                 "bn_eps")
# What follows (rgb / 255 - mean) / std (rl-net.h RL_INPUT_NORM_*): nothing ("dataset", the default
# and what a file without the key means), or each image's channels standardised over the image
# the network sees ("image"; data.standardize_planes).
INPUT_NORMS = ("dataset", "image")
# The features a reader must know to use a model as its writer meant (the "requires" key, a JSON
# list of names; rl-net.c known_features): a file that requires another one is refused.
KNOWN_FEATURES = ("input_norm",)
_SHA1 = re.compile(r"[0-9a-f]{40}")


def check_trained_on(path, pairs):
    """The engine's check of trained_on (rl-net.c rl_trained_on_check): a list of [name, SHA-1]
    pairs of strings, the SHA-1 40 lowercase hexadecimal digits; the pairs as lists."""
    if not isinstance(pairs, list) or not all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(s, str) for s in p)
            and _SHA1.fullmatch(p[1]) for p in pairs):
        raise SafetensorsError("%s: trained_on is not a JSON list of [name, SHA-1] pairs" % path)
    return pairs


def trained_on_of(had, samples):
    """What a model trained on samples ((name, image path, label path) tuples) records in
    trained_on, as relabel train does (rl-train-loop.c record_trained_on): the pairs it had (a
    resumed or --init model's), then each sample's name and the SHA-1 of its image file's bytes,
    each image once."""
    out, seen = [], set()
    for name, sha1 in had or []:
        if sha1 not in seen:
            seen.add(sha1)
            out.append([name, sha1])
    for name, image, _ in samples:
        with open(image, "rb") as f:
            sha1 = hashlib.sha1(f.read()).hexdigest()
        if sha1 not in seen:
            seen.add(sha1)
            out.append([name, sha1])
    return out


class ConvBN(nn.Module):
    def __init__(self, c_in, c_out, k, relu, eps=BN_EPS):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, k, padding=(k - 1) // 2)
        self.bn = nn.BatchNorm2d(c_out, eps=eps, momentum=0.1)
        self.relu = relu

    def forward(self, x):
        x = self.bn(self.conv(x))
        return F.relu(x) if self.relu else x


def unpool_scatter(x, indices, size):
    """max_unpool2d written as ScatterElements over each (n, c) plane: the same values, and it
    exports to ONNX (torch 1.13 has no ONNX symbolic for max_unpool2d)."""
    n, c = x.shape[0], x.shape[1]
    h, w = size[0], size[1]
    out = x.new_zeros((n, c, h * w))
    out = out.scatter(2, indices.flatten(2), x.flatten(2))
    return out.view(n, c, h, w)


class _SegNetBase(nn.Module):
    arch = None

    def __init__(self):
        super().__init__()
        self.unpool = "native"   # or "scatter" (ONNX export)

    def forward(self, x):
        sizes, indices = [], []
        for enc in self._encoders():
            x = enc(x)
            sizes.append(x.shape[-2:])
            x, i = F.max_pool2d(x, 2, 2, ceil_mode=True, return_indices=True)
            indices.append(i)
        for dec, i, s in zip(self._decoders(), reversed(indices), reversed(sizes)):
            if self.unpool == "scatter":
                x = unpool_scatter(x, i, s)
            else:
                x = F.max_unpool2d(x, i, 2, 2, output_size=s)
            x = dec(x)
        return self.classifier(x)

    def param_names(self):
        """Tensor names in the engine's order (what a model file holds)."""
        return [k for k in self.state_dict() if not k.endswith("num_batches_tracked")]


class SegNetBasic(_SegNetBase):
    arch = "segnet-basic"

    def __init__(self, num_classes, eps=BN_EPS):
        super().__init__()
        # Registered in the engine's order: enc1..enc4, dec4..dec1, classifier.
        for i in range(1, 5):
            setattr(self, "enc%d" % i, ConvBN(3 if i == 1 else 64, 64, 7, True, eps))
        for i in range(4, 0, -1):
            setattr(self, "dec%d" % i, ConvBN(64, 64, 7, False, eps))
        self.classifier = nn.Conv2d(64, num_classes, 1)

    def _encoders(self):
        return [self.enc1, self.enc2, self.enc3, self.enc4]

    def _decoders(self):
        return [self.dec4, self.dec3, self.dec2, self.dec1]


class SegNet(_SegNetBase):
    arch = "segnet"

    def __init__(self, num_classes, eps=BN_EPS):
        super().__init__()
        depth, width = [2, 2, 3, 3, 3], [64, 128, 256, 512, 512]
        c = 3
        for b in range(5):
            layers = []
            for _ in range(depth[b]):
                layers.append(ConvBN(c, width[b], 3, True, eps))
                c = width[b]
            setattr(self, "enc%d" % (b + 1), nn.Sequential(*layers))
        for b in range(4, -1, -1):
            n = 1 if b == 0 else depth[b]
            layers = []
            for i in range(n):
                out = width[b - 1] if (i == n - 1 and b > 0) else width[b]
                layers.append(ConvBN(c, out, 3, True, eps))
                c = out
            setattr(self, "dec%d" % (b + 1), nn.Sequential(*layers))
        self.classifier = nn.Conv2d(64, num_classes, 3, padding=1)

    def _encoders(self):
        return [getattr(self, "enc%d" % i) for i in range(1, 6)]

    def _decoders(self):
        return [getattr(self, "dec%d" % i) for i in range(5, 0, -1)]


def build_model(arch, num_classes, eps=BN_EPS):
    if arch == "segnet-basic":
        return SegNetBasic(num_classes, eps)
    if arch == "segnet":
        return SegNet(num_classes, eps)
    raise ValueError("unknown architecture '%s' (segnet-basic or segnet)" % arch)


def he_init_(model, generator=None):
    """He (Kaiming normal, fan-in) conv weights, zero biases, BN gamma 1 / beta 0, running
    mean 0 / var 1: the engine's rl_net_init_params (its own RNG, so not the same numbers)."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            fan_in = m.in_channels * m.kernel_size[0] * m.kernel_size[1]
            with torch.no_grad():
                m.weight.normal_(0.0, math.sqrt(2.0 / fan_in), generator=generator)
                m.bias.zero_()
        elif isinstance(m, nn.BatchNorm2d):
            m.reset_parameters()
    return model


def _g9(v):
    """A float32 value as the engine prints it (%.9g)."""
    return "%.9g" % float(np.float32(v))


def make_metadata(arch, class_names, ignore_index, input_mean, input_std, bn_eps=BN_EPS,
                  loss=None, class_weights=None, class_weight_power=None, input_norm="dataset",
                  trained_on=None):
    """__metadata__ in the engine's order and number format (rl_net_save). input_norm is written
    only when it is not the default "dataset", as the engine does (so such files stay as they
    were, and readable by versions before the key); trained_on (a list of [name, SHA-1] pairs,
    trained_on_of) only when given, in the engine's compact JSON."""
    if input_norm not in INPUT_NORMS:
        raise ValueError("input_norm '%s' is not one of %s" % (input_norm, ", ".join(INPUT_NORMS)))
    names = "[" + ",".join(_escape(n) for n in class_names) + "]"
    meta = OrderedDict()
    meta["arch"] = arch
    meta["num_classes"] = str(len(class_names))
    meta["class_names"] = names
    meta["ignore_index"] = str(int(ignore_index))
    meta["input_mean"] = "[%s]" % ", ".join(_g9(v) for v in input_mean)
    meta["input_std"] = "[%s]" % ", ".join(_g9(v) for v in input_std)
    meta["bn_eps"] = _g9(bn_eps)
    if loss:
        meta["loss"] = loss
    if class_weights is not None:
        meta["class_weights"] = "[%s]" % ", ".join(_g9(v) for v in class_weights)
    if class_weight_power is not None and math.isfinite(class_weight_power):
        meta["class_weight_power"] = _g9(class_weight_power)
    if input_norm != "dataset":
        meta["input_norm"] = input_norm
        meta["requires"] = '["input_norm"]'
    if trained_on is not None:
        meta["trained_on"] = json.dumps(check_trained_on("trained_on", trained_on),
                                        separators=(",", ":"), ensure_ascii=False)
    return meta


def parse_metadata(path, meta):
    """Checks the required keys as the engine's loader does; returns a dict of parsed values
    (input_norm "dataset" when the file has no such key)."""
    for k in REQUIRED_META:
        if k not in meta:
            raise SafetensorsError("%s: metadata lacks '%s'" % (path, k))
    if "requires" in meta:
        try:
            req = json.loads(meta["requires"])
        except ValueError:
            req = None
        if not isinstance(req, list) or not all(isinstance(r, str) for r in req):
            raise SafetensorsError("%s: requires is not a JSON list of names" % path)
        for r in req:
            if r not in KNOWN_FEATURES:
                shown = "".join(c if " " <= c <= "~" else "?" for c in r[:40])
                raise SafetensorsError("%s: made for a newer Relabel (it requires '%s', which this"
                                       " version does not know)" % (path, shown))
    norm = meta.get("input_norm", "dataset")
    if norm not in INPUT_NORMS:
        # the engine's message (rl-net.c read_loss_meta), kept to one line
        shown = "".join(c if c.isprintable() else "?" for c in norm[:40])
        raise SafetensorsError("%s: input_norm '%s' is not one this version knows (%s)"
                               % (path, shown, ", ".join(INPUT_NORMS)))
    try:
        n = int(meta["num_classes"])
        names = json.loads(meta["class_names"])
        mean = [float(v) for v in json.loads(meta["input_mean"])]
        std = [float(v) for v in json.loads(meta["input_std"])]
        out = {"arch": meta["arch"], "num_classes": n, "class_names": names,
               "ignore_index": int(meta["ignore_index"]), "input_mean": mean, "input_std": std,
               "bn_eps": float(meta["bn_eps"]), "input_norm": norm}
        if "class_weights" in meta:
            out["class_weights"] = [float(v) for v in json.loads(meta["class_weights"])]
        if "class_weight_power" in meta:
            out["class_weight_power"] = float(meta["class_weight_power"])
    except (ValueError, TypeError) as e:
        raise SafetensorsError("%s: bad metadata: %s" % (path, e)) from None
    if "trained_on" in meta:
        try:
            pairs = json.loads(meta["trained_on"])
        except ValueError:
            pairs = None
        out["trained_on"] = check_trained_on(path, pairs)
    if not 1 <= n <= 256 or not isinstance(names, list) or len(names) != n:
        raise SafetensorsError("%s: class_names is not a JSON list of %d names" % (path, n))
    if len(mean) != 3 or len(std) != 3 or min(std) <= 0:
        raise SafetensorsError("%s: input_mean/input_std must be lists of 3 numbers (std > 0)" % path)
    if out["arch"] not in ARCHS:
        raise SafetensorsError("%s: unknown architecture '%s'" % (path, out["arch"]))
    return out


def load_model(path, device="cpu"):
    """A Relabel model file as (module in eval mode, float32; parsed metadata; raw metadata).
    Every tensor must be present with its shape, finite, and nothing else may be in the file
    (num_batches_tracked tolerated), as the engine requires."""
    tensors, meta = read_safetensors(path)
    info = parse_metadata(path, meta)
    model = build_model(info["arch"], info["num_classes"], info["bn_eps"])
    state = model.state_dict()
    new_state = OrderedDict()
    for name in model.param_names():
        if name not in tensors:
            raise SafetensorsError("%s: tensor '%s' is missing" % (path, name))
        t = tensors[name]
        if t.dtype != np.dtype("<f4"):
            raise SafetensorsError("%s: tensor '%s' is not F32" % (path, name))
        if tuple(t.shape) != tuple(state[name].shape):
            raise SafetensorsError("%s: tensor '%s' has shape %s, expected %s"
                                   % (path, name, list(t.shape), list(state[name].shape)))
        if not np.isfinite(t).all():
            raise SafetensorsError("%s: tensor '%s' holds NaN or infinity" % (path, name))
        new_state[name] = torch.from_numpy(t.copy())
    known = set(new_state)
    for name in tensors:
        if name not in known and not name.endswith(".num_batches_tracked"):
            raise SafetensorsError("%s: unexpected tensor '%s' for %s" % (path, name, info["arch"]))
    model.load_state_dict(new_state, strict=False)
    return model.to(device).eval(), info, meta


def model_tensors(model):
    """(name, float32 numpy array) in the engine's order, without num_batches_tracked."""
    state = model.state_dict()
    return [(k, state[k].detach().to("cpu", torch.float32).numpy()) for k in model.param_names()]


def save_model(path, model, metadata):
    """Writes model as a Relabel model file with metadata (make_metadata() or a file's own)."""
    for k in REQUIRED_META:
        if k not in metadata:
            raise ValueError("metadata lacks '%s'" % k)
    if metadata["arch"] != model.arch:
        raise ValueError("metadata says %s but the model is %s" % (metadata["arch"], model.arch))
    write_safetensors(path, model_tensors(model), metadata)
