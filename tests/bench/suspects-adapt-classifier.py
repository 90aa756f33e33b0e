#!/usr/bin/python3
"""Tries a street-adapted classifier for the suspects ranking (issue 19), offline: the model's
last layer (a 1x1 convolution on the decoder's 64 features) fitted again, by softmax regression
with an L2 pull toward the model's own weights, on the labels of the images being judged, then
the bench ranks with the adapted softmax. Cross-fitted: the images are cut into FOLDS contiguous
blocks of the sequence and each block is judged by a classifier fitted on the other blocks'
labels only (1 fold = fitted on every image, its own included: in-sample). --folds 1,2,10 makes
one cache per setting, OUT-1, OUT-2, OUT-10, from one feature pass.

Reads a prediction cache of tests/bench/bench-suspects-noise.c (made by that bench with the same
model, e.g. `--sequence 0006R0 --cache /tmp/sus-0006R0.cache`) for the images, their labels and
the cache's key, runs the model in PyTorch (relabel_torch) for the features, and writes OUT in
the same format and key, so that

  bench-suspects-noise --camvid CAMVID --sequence 0006R0 --model M --cache OUT-10

(the same --camvid spelling as made the cache: it is part of the key) ranks with the adapted
softmax. The fit uses the clean CamVid labels of the other blocks, not the bench's noisy copies:
slightly optimistic. Prints pixel accuracy (G over the sequence) before and after.

  suspects-adapt-classifier.py CACHE OUT MODEL [--camvid DIR] [--folds 1,2,10] [--l2 1e-4]
"""
import argparse
import os
import struct
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "contrib", "pytorch"))
from relabel_torch import data, models  # noqa: E402


def read_cache(path, k):
    with open(path, "rb") as f:
        klen = struct.unpack("<I", f.read(4))[0]
        key = f.read(klen)
        n = struct.unpack("<I", f.read(4))[0]
        imgs = []
        for _ in range(n):
            ln = struct.unpack("<I", f.read(4))[0]
            name = f.read(ln).decode()
            w, h = struct.unpack("<ii", f.read(8))
            lab = np.frombuffer(f.read(w * h), np.uint8).reshape(h, w)
            pred = np.frombuffer(f.read(w * h), np.uint8).reshape(h, w)
            f.read(w * h * k)   # the model's softmax: replaced
            imgs.append((name, w, h, lab, pred))
    return key, imgs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cache")
    ap.add_argument("out")
    ap.add_argument("model")
    ap.add_argument("--camvid", default=os.environ.get("RELABEL_CAMVID", "../shared/datasets/camvid"))
    ap.add_argument("--folds", default="10", help="comma-separated block counts")
    ap.add_argument("--l2", type=float, default=1e-4)
    ap.add_argument("--pixels", type=int, default=4000, help="sampled per image for the fit")
    a = ap.parse_args()
    torch.set_num_threads(1)
    model, info, _ = models.load_model(a.model)
    if info["arch"] != "segnet-basic":
        sys.exit("suspects-adapt-classifier: %s: only segnet-basic has a 1x1 classifier" % a.model)
    k = info["num_classes"]
    key, imgs = read_cache(a.cache, k)
    ds = data.Dataset(a.camvid)
    paths = {name: im for s in ("train", "val", "test") for name, im, _ in ds.split(s)}

    feats = {}
    model.classifier.register_forward_hook(lambda m, i, o: feats.__setitem__("x", i[0]))
    t0 = time.time()
    F = []
    for name, w, h, lab, pred in imgs:
        x = data.read_rgb(paths[name]).astype(np.float32).transpose(2, 0, 1) / 255.0
        x = data.normalize(x, info["input_mean"], info["input_std"], info["input_norm"])
        with torch.no_grad():
            model(torch.from_numpy(x)[None])
        F.append(feats["x"][0].reshape(64, -1).numpy().astype(np.float16))
        print("\rfeatures %d/%d %.0f s" % (len(F), len(imgs), time.time() - t0), end="",
              file=sys.stderr)
    print(file=sys.stderr)

    for folds in (int(v) for v in a.folds.split(",")):
        adapt(imgs, F, model, k, folds, a.l2, a.pixels, key, "%s-%d" % (a.out, folds))


def adapt(imgs, F, model, k, folds, l2, pixels, key, out_path):
    n = len(imgs)
    fold_of = [min(i * folds // n, folds - 1) for i in range(n)]
    rng = np.random.default_rng(0)
    X, Y, B = [], [], []
    for i, ((name, w, h, lab, pred), fe) in enumerate(zip(imgs, F)):
        lab = lab.reshape(-1)
        idx = rng.choice(lab.size, min(pixels, lab.size), replace=False)
        idx = idx[lab[idx] < k]
        X.append(fe[:, idx].T.astype(np.float32))
        Y.append(lab[idx].astype(np.int64))
        B.append(np.full(len(idx), fold_of[i]))
    X, Y, B = (torch.from_numpy(np.concatenate(v)) for v in (X, Y, B))
    w0 = model.classifier.weight.detach()[:, :, 0, 0].clone()
    b0 = model.classifier.bias.detach().clone()

    def fit(x, y):
        w = w0.clone().requires_grad_(True)
        b = b0.clone().requires_grad_(True)
        opt = torch.optim.LBFGS([w, b], max_iter=100, line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(x @ w.T + b, y) + l2 * ((w - w0) ** 2).sum()
            loss.backward()
            return loss
        opt.step(closure)
        return w.detach(), b.detach()
    fits = [fit(X[B != f], Y[B != f]) if folds > 1 else fit(X, Y) for f in range(folds)]

    right0 = right1 = total = 0
    with open(out_path + ".tmp", "wb") as out:
        out.write(struct.pack("<I", len(key)) + key + struct.pack("<I", n))
        for i, ((name, w, h, lab, pred), fe) in enumerate(zip(imgs, F)):
            wf, bf = fits[fold_of[i]]
            p = torch.softmax(wf @ torch.from_numpy(fe.astype(np.float32)) + bf[:, None], 0).numpy()
            adapted = p.argmax(0).astype(np.uint8)
            lv = lab.reshape(-1)
            m = lv < k
            right0 += int((pred.reshape(-1)[m] == lv[m]).sum())
            right1 += int((adapted[m] == lv[m]).sum())
            total += int(m.sum())
            out.write(struct.pack("<I", len(name)) + name.encode() + struct.pack("<ii", w, h))
            out.write(lab.tobytes() + adapted.tobytes() + np.rint(p * 255).astype(np.uint8).tobytes())
    os.replace(out_path + ".tmp", out_path)
    print("%d images, %d folds: G %.2f -> %.2f" % (n, folds, 100.0 * right0 / total,
                                                    100.0 * right1 / total))


if __name__ == "__main__":
    main()
