#!/usr/bin/python3
# PyTorch parity of the C engine: the same SegNet-Basic and SegNet (or, with --variants, the decoder
# variants of issue 21), loaded from the safetensors the C side wrote, run in float64 on the same
# CamVid images; compares logits, loss, every gradient, parameters and running statistics after 3
# SGD steps (train mode, batch 2), and eval logits.
import json
import os
import struct
import subprocess
import sys
import tempfile
import time

try:
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:
    print("SKIP: PyTorch/numpy not available:", e)
    sys.exit(77)

torch.set_num_threads(2)
failures = []


def read_safetensors(path):
    """A tiny safetensors reader (the safetensors module is not installed)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    out = {}
    for name, v in header.items():
        assert v["dtype"] == "F32", (path, name, v["dtype"])
        b, e = v["data_offsets"]
        out[name] = np.frombuffer(data[8 + n + b:8 + n + e], dtype="<f4").reshape(v["shape"]).copy()
    return out, meta


# How close to 0 (relative to the layer's largest value) a ReLU input must be where the C side
# decided differently; the oneDNN fp32 run loosens it (tests/engine/meson.build).
KINK_TOL = float(os.environ.get("RELABEL_PARITY_KINK_TOL", "1e-4"))

class ConvBN(nn.Module):
    def __init__(self, c_in, c_out, k, relu, groups=1):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, k, padding=(k - 1) // 2, groups=groups)
        self.bn = nn.BatchNorm2d(c_out, eps=1e-5, momentum=0.1)
        self.relu = relu

    def forward(self, x):
        x = self.bn(self.conv(x))
        if not self.relu:
            return x
        masks = getattr(self, "c_masks", None)
        if not masks:
            return F.relu(x)
        # Follow the C side's ReLU decisions; where they differ from PyTorch's, the input must
        # be within rounding of 0 (a kink), else it is a real mismatch.
        mask = torch.from_numpy(masks.pop(0)).to(x.dtype)
        differ = (x > 0).to(x.dtype) != mask
        if differ.any():
            worst = x[differ].abs().max().item()
            scale = x.abs().max().item()
            ok = worst <= KINK_TOL * scale
            self.report.append((int(differ.sum()), worst, scale, ok))
        return x * mask


class SegNetBase(nn.Module):
    def set_masks(self, masks, report):
        """masks: the C side's ReLU masks, one per conv with ReLU in forward order."""
        for m in self.modules():
            if isinstance(m, ConvBN) and m.relu:
                m.c_masks = masks
                m.report = report

    def forward(self, x, c_indices=None, what=""):
        x, sizes, indices, _ = self.encode(x, c_indices, what)
        for dec, i, s in zip(self.decoders, reversed(indices), reversed(sizes)):
            x = F.max_unpool2d(x, i, 2, 2, output_size=s)
            x = dec(x)
        return self.classifier(x)

    def encode(self, x, c_indices=None, what=""):
        """c_indices: the C side's pooling indices per stage. Where they differ from PyTorch's,
        the two candidates must be a near-tie (then rounding decides, in either program), and
        the C choice is followed so that the rest compares arithmetic, not tie-breaking.
        Returns the last pool's output, the pre-pool sizes, the indices and the encoder maps."""
        sizes, indices, feats = [], [], []
        for s, enc in enumerate(self.encoders):
            x = enc(x)
            feats.append(x)
            sizes.append(x.shape[-2:])
            p, i = F.max_pool2d(x, 2, 2, ceil_mode=True, return_indices=True)
            if c_indices is not None:
                ci = torch.from_numpy(c_indices[s]).long()
                if ci.shape != i.shape:
                    failures.append("%s stage %d: index shape %s vs %s" % (what, s, ci.shape, i.shape))
                    ci = i
                differ = ci != i
                if differ.any():
                    flat = x.flatten(2)
                    gap = (flat.gather(2, i.flatten(2)) - flat.gather(2, ci.flatten(2))).abs().max().item()
                    scale = x.abs().max().item()
                    ok = gap <= 1e-4 * scale
                    print("%s %-40s %d argmax differ, all near-ties: gap %.3g (scale %.3g)"
                          % ("ok  " if ok else "FAIL", "%s pool %d" % (what, s + 1), int(differ.sum()), gap, scale))
                    if not ok:
                        failures.append("%s pool %d: argmax differs by %.3g, not a near-tie" % (what, s + 1, gap))
                    i = ci
                    p = flat.gather(2, ci.flatten(2)).view_as(p)
            x = p
            indices.append(i)
        return x, sizes, indices, feats


class SegNetBasic(SegNetBase):
    def __init__(self, n_classes):
        super().__init__()
        for i in range(1, 5):
            setattr(self, "enc%d" % i, ConvBN(3 if i == 1 else 64, 64, 7, True))
            setattr(self, "dec%d" % i, ConvBN(64, 64, 7, False))
        self.classifier = nn.Conv2d(64, n_classes, 1)
        self.encoders = [self.enc1, self.enc2, self.enc3, self.enc4]
        self.decoders = [self.dec4, self.dec3, self.dec2, self.dec1]


class SegNet(SegNetBase):
    """VGG-16 encoder (13 conv3x3+BN+ReLU), mirrored decoder; names enc1.0 ... dec1.0."""

    def __init__(self, n_classes):
        super().__init__()
        depth, width = [2, 2, 3, 3, 3], [64, 128, 256, 512, 512]
        c = 3
        for b in range(5):
            layers = []
            for _ in range(depth[b]):
                layers.append(ConvBN(c, width[b], 3, True))
                c = width[b]
            setattr(self, "enc%d" % (b + 1), nn.Sequential(*layers))
        for b in range(4, -1, -1):
            n = 1 if b == 0 else depth[b]
            layers = []
            for i in range(n):
                out = width[b - 1] if (i == n - 1 and b > 0) else width[b]
                layers.append(ConvBN(c, out, 3, True))
                c = out
            setattr(self, "dec%d" % (b + 1), nn.Sequential(*layers))
        self.classifier = nn.Conv2d(64, n_classes, 3, padding=1)
        self.encoders = [getattr(self, "enc%d" % i) for i in range(1, 6)]
        self.decoders = [getattr(self, "dec%d" % i) for i in range(5, 0, -1)]


class DecoderVariant(SegNetBase):
    """The decoder variants of the SegNet paper's Table 1 (issue 21), written from
    engine/README.md's description, not from the C layer list: SegNet-Basic's encoder, then
    - segnet-basic-encoder-addition: unpool, + the encoder's pre-pool map, conv 7x7 + BN;
    - segnet-basic-single-channel-decoder: unpool, depthwise conv 7x7 + BN;
    - bilinear-interpolation: 4 bilinear upsamplings (align_corners=False) to the pre-pool sizes;
    - fcn-basic*: K = classes (dim. reduction by 1x1 convs, "reduce" after the last pool and
      "skip1..4" of each encoder map) or 64; per decoder ConvTranspose2d(K, K, 4, 2, 1) cropped to
      the pre-pool size, + the (reduced) encoder map unless no-addition, conv 7x7 + BN;
    then a 1x1 classifier."""

    def __init__(self, arch, n_classes):
        super().__init__()
        self.arch = arch
        for i in range(1, 5):
            setattr(self, "enc%d" % i, ConvBN(3 if i == 1 else 64, 64, 7, True))
        self.encoders = [self.enc1, self.enc2, self.enc3, self.enc4]
        c = 64
        if arch.startswith("fcn-basic"):
            self.addition = "no-addition" not in arch
            reduce = "no-dim-reduction" not in arch
            c = n_classes if reduce else 64
            if self.addition and reduce:
                for i in range(1, 5):
                    setattr(self, "skip%d" % i, nn.Conv2d(64, c, 1))
            self.reduce = nn.Conv2d(64, c, 1) if reduce else None
            for i in range(1, 5):
                setattr(self, "up%d" % i, nn.ConvTranspose2d(c, c, 4, stride=2, padding=1))
                setattr(self, "dec%d" % i, ConvBN(c, c, 7, False))
        elif arch == "segnet-basic-encoder-addition":
            for i in range(1, 5):
                setattr(self, "dec%d" % i, ConvBN(64, 64, 7, False))
        elif arch == "segnet-basic-single-channel-decoder":
            for i in range(1, 5):
                setattr(self, "dec%d" % i, ConvBN(64, 64, 7, False, groups=64))
        else:
            assert arch == "bilinear-interpolation", arch
        self.classifier = nn.Conv2d(c, n_classes, 1)

    def forward(self, x, c_indices=None, what=""):
        x, sizes, indices, feats = self.encode(x, c_indices, what)
        for s in range(3, -1, -1):
            size = sizes[s]
            if self.arch == "bilinear-interpolation":
                x = F.interpolate(x, size=tuple(size), mode="bilinear", align_corners=False)
                continue
            dec = getattr(self, "dec%d" % (s + 1))
            if self.arch.startswith("fcn-basic"):
                if s == 3 and self.reduce is not None:
                    x = self.reduce(x)
                x = getattr(self, "up%d" % (s + 1))(x)[:, :, :size[0], :size[1]]
                if self.addition:
                    skip = getattr(self, "skip%d" % (s + 1), None)
                    x = x + (skip(feats[s]) if skip is not None else feats[s])
            else:
                x = F.max_unpool2d(x, indices[s], 2, 2, output_size=size)
                if self.arch == "segnet-basic-encoder-addition":
                    x = x + feats[s]
            x = dec(x)
        return self.classifier(x)


def build(arch, path):
    tensors, meta = read_safetensors(path)
    assert meta["arch"] == arch, meta
    n_classes = int(meta["num_classes"])
    if arch in ("segnet-basic", "segnet"):
        model = (SegNetBasic if arch == "segnet-basic" else SegNet)(n_classes).double()
    else:
        model = DecoderVariant(arch, n_classes).double()
    missing, unexpected = model.load_state_dict(
        {k: torch.from_numpy(v).double() for k, v in tensors.items()}, strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        failures.append("%s: state_dict mismatch: missing %s unexpected %s" % (path, missing, unexpected))
    return model, meta


def compare(what, c_value, torch_value, tol, floor=0.0):
    """Max abs error relative to the reference's max abs value (at least floor: a conv bias
    followed by batch norm has a zero gradient, so its noise is judged against its weight's)."""
    c = np.asarray(c_value, dtype=np.float64).ravel()
    t = torch_value.detach().cpu().double().numpy().ravel() if torch.is_tensor(torch_value) \
        else np.asarray(torch_value, dtype=np.float64).ravel()
    if c.shape != t.shape:
        failures.append("%s: shape %s vs %s" % (what, c.shape, t.shape))
        print("FAIL %-40s shape %s vs %s" % (what, c.shape, t.shape))
        return
    scale = max(np.abs(t).max(), floor, 1e-12)
    err = np.abs(c - t).max() / scale
    ok = err < tol
    print("%s %-40s rel. max error %.3g (scale %.3g, tol %.0e)" % ("ok  " if ok else "FAIL", what, err, scale, tol))
    if not ok:
        failures.append("%s: relative error %.3g > %.0e" % (what, err, tol))


def run(driver, arch, scale, full, images):
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.time()
        cmd = [driver, arch, str(scale), tmp] + images + (["full"] if full else [])
        subprocess.run(cmd, check=True)
        t_c = time.time() - t0
        res, _ = read_safetensors(os.path.join(tmp, "c-results.safetensors"))
        model, meta = build(arch, os.path.join(tmp, "model0.safetensors"))
        model3, _ = read_safetensors(os.path.join(tmp, "model3.safetensors"))
        x = torch.from_numpy(res["x"]).double()
        labels = torch.from_numpy(res["labels"]).long()
        weights = torch.from_numpy(res["class_weights"]).double()
        lr, momentum, wd = (float(v) for v in res["sgd"])
        ignore = int(meta["ignore_index"])
        print("== %s %dx%d batch 2 (C side %.1f s)" % (arch, x.shape[2], x.shape[3], t_c))
        # The trainable parameter count of this independently written module against the
        # engine's (from its layer list) and, for the variants, against engine/README.md.
        n_torch = sum(p.numel() for p in model.parameters())
        n_c = int(res["num_weights"][0]) * 4096 + int(res["num_weights"][1])
        ok = n_torch == n_c and (arch not in README_COUNTS or README_COUNTS[arch] == n_c)
        print("%s %-40s %d trainable parameters, engine %d, README %s"
              % ("ok  " if ok else "FAIL", arch, n_torch, n_c, README_COUNTS.get(arch, "-")))
        if not ok:
            failures.append("%s: %d parameters in PyTorch, %d in the engine" % (arch, n_torch, n_c))
        loss_fn = nn.CrossEntropyLoss(weight=weights, ignore_index=ignore)
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum, weight_decay=wd)
        model.train()
        def stage_indices(prefix, n_stages):
            return [res["%s.%d" % (prefix, s)] for s in range(n_stages)]

        def masks(step):
            keys = sorted((k for k in res if k.startswith("mask%d." % step)), key=lambda k: int(k.split(".")[1]))
            return [res[k] for k in keys]

        def check_masks(what, report):
            if report:
                n = sum(r[0] for r in report)
                worst = max(r[1] / r[2] for r in report)
                ok = all(r[3] for r in report)
                print("%s %-40s %d ReLU decisions differ, all at kinks: worst |x| %.3g of scale"
                      % ("ok  " if ok else "FAIL", what, n, worst))
                if not ok:
                    failures.append("%s: a ReLU decision differs away from 0 (%.3g of scale)" % (what, worst))

        n_stages = len(model.encoders)
        for step in range(3):
            opt.zero_grad()
            report = []
            model.set_masks(masks(step), report)
            logits = model(x, stage_indices("idx%d" % step, n_stages), "%s step %d" % (arch, step))
            check_masks("%s step %d" % (arch, step), report)
            loss = loss_fn(logits, labels)
            loss.backward()
            if step == 0:
                compare("%s train logits" % arch, res["logits"], logits, 1e-4)
            compare("%s loss step %d" % (arch, step), res["loss%d" % step], loss, 1e-5)
            if step == 0:
                params = dict(model.named_parameters())
                for name, p in params.items():
                    floor = 0.0
                    if name.endswith("conv.bias"):
                        floor = params[name[:-4] + "weight"].grad.abs().max().item()
                    # In the variants a batch norm can feed only per-channel linear ops and
                    # another batch norm (single-channel decoder), or a ReLU with beta 0: its
                    # scale and shift then have a gradient of exactly 0, and the C side's
                    # rounding noise is judged against the same layer's weight gradient.
                    if arch not in ("segnet-basic", "segnet") and ".bn." in name:
                        floor = params[name[:name.index(".bn.")] + ".conv.weight"].grad.abs().max().item()
                    compare("%s grad %s" % (arch, name), res["grad." + name], p.grad, 1e-4, floor)
            opt.step()
        state = model.state_dict()
        for name, v in state.items():
            if name.endswith("num_batches_tracked"):
                continue
            floor = state[name[:-4] + "weight"].abs().max().item() if name.endswith("conv.bias") else 0.0
            # Parameters are O(0.01..1): judge tiny tensors (BN biases after 3 steps) against 0.01.
            compare("%s after 3 steps %s" % (arch, name), model3[name], v, 1e-4, max(floor, 1e-2))
        # Eval mode of the C-trained weights (not PyTorch's), to isolate the folded inference path.
        model, _ = build(arch, os.path.join(tmp, "model3.safetensors"))
        model.eval()
        with torch.no_grad():
            out = model(x[:1], stage_indices("eval_idx", n_stages), "%s eval" % arch)
            compare("%s eval logits (folded BN)" % arch, res["eval_logits"], out, 1e-4)
        if full:
            # float32 here: float64 convolutions at full size take minutes on 2 cores.
            model0, _ = build(arch, os.path.join(tmp, "model0.safetensors"))
            model0 = model0.float().eval()
            fx = torch.from_numpy(res["full_x"])
            t0 = time.time()
            with torch.no_grad():
                out = model0(fx, stage_indices("full_idx", n_stages), "%s full" % arch)
            compare("%s full %dx%d eval logits (%.1f s)" % (arch, fx.shape[2], fx.shape[3], time.time() - t0),
                    res["full_logits"], out, 1e-4)


# The counts engine/README.md states for 11 classes (weights, biases, BN scales and shifts).
README_COUNTS = {
    "segnet-basic": 1416587,
    "bilinear-interpolation": 613003,
    "segnet-basic-single-channel-decoder": 626315,
    "segnet-basic-encoder-addition": 1416587,
    "fcn-basic": 647631,
    "fcn-basic-no-addition": 644771,
    "fcn-basic-no-dim-reduction": 1678987,
    "fcn-basic-no-addition-no-dim-reduction": 1678987,
}

VARIANTS = ["bilinear-interpolation", "segnet-basic-single-channel-decoder",
            "segnet-basic-encoder-addition", "fcn-basic", "fcn-basic-no-addition",
            "fcn-basic-no-dim-reduction", "fcn-basic-no-addition-no-dim-reduction"]


def main():
    driver = sys.argv[1]
    variants = "--variants" in sys.argv[2:]
    camvid = os.environ.get("RELABEL_CAMVID", "")
    names = ["0001TP_006690", "0016E5_00390"]
    images = []
    for n in names:
        images += [os.path.join(camvid, "train", n + ".png"), os.path.join(camvid, "trainannot", n + ".png")]
    for p in images:
        if not os.path.exists(p):
            print("FAIL: CamVid image missing:", p)
            sys.exit(1)
    if variants:
        # 30x22: odd sizes in the stages (22 -> 11 -> 6 -> 3 -> 2 and 30 -> 15 -> 8 -> 4 -> 2;
        # the transposed convs cropped from 12 to 11, 4 to 3, 16 to 15); one full 480x360
        # forward of FCN-Basic (360 -> 180 -> 90 -> 45 -> 23, cropped from 46 to 45 on the way up).
        for arch in VARIANTS:
            run(driver, arch, 16, arch == "fcn-basic", images)
    else:
        run(driver, "segnet-basic", 4, True, images)
        run(driver, "segnet", 8, False, images)
    if failures:
        print("\n%d PARITY FAILURES:" % len(failures))
        for f in failures:
            print("  " + f)
        sys.exit(1)
    print("all parity checks passed")


if __name__ == "__main__":
    main()
