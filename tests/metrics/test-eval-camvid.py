#!/usr/bin/python3
# `relabel eval --json` on real CamVid val labels with perturbed predictions, checked against a
# straightforward independent implementation of the SegNet definitions (numpy + scipy EDT).
import json
import math
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    from PIL import Image
    from scipy.ndimage import distance_transform_edt
except ImportError as e:
    print(f"SKIP: {e}")
    sys.exit(77)

N_IMAGES = 24
K, IGNORE = 11, 11


def fail(msg):
    print(f"FAIL: {msg}")
    sys.exit(1)


def boundary(mask):
    """Boundary map of a binary mask exactly as the issue defines it."""
    b = np.zeros(mask.shape, bool)
    m = mask
    b[:-1, :-1] = (m[:-1, :-1] != m[:-1, 1:]) | (m[:-1, :-1] != m[1:, :-1]) | \
                  (m[:-1, :-1] != m[1:, 1:])
    b[-1, :-1] = m[-1, :-1] != m[-1, 1:]
    b[:-1, -1] = m[:-1, -1] != m[1:, -1]
    return b


def dist_to(b):
    """Euclidean distance of every pixel to the nearest True pixel of b (inf when none)."""
    if not b.any():
        return np.full(b.shape, np.inf)
    return distance_transform_edt(~b)


def image_metrics(truth, pred):
    H, W = truth.shape
    valid = (truth < K) & (truth != IGNORE)
    t = truth[valid].astype(np.int64)
    p = pred[valid].astype(np.int64)
    in_set = (p < K) & (p != IGNORE)
    conf = np.bincount(t[in_set] * K + p[in_set], minlength=K * K).reshape(K, K)
    tcount = np.bincount(t, minlength=K)
    d = 0.0075 * math.sqrt(H * H + W * W)
    f1 = {}
    for c in range(K):
        if c == IGNORE:
            continue
        bt, bp = boundary(truth == c), boundary(pred == c)
        if not bt.any() and not bp.any():
            continue
        prec = float((dist_to(bt)[bp] <= d).mean()) if bp.any() else 0.0
        rec = float((dist_to(bp)[bt] <= d).mean()) if bt.any() else 0.0
        f1[c] = 2 * prec * rec / (prec + rec) if prec + rec > 0 else 0.0
    return conf, tcount, f1


def scores(conf, tcount):
    diag = np.diag(conf).astype(float)
    g = diag.sum() / tcount.sum() if tcount.sum() > 0 else None
    acc = [diag[i] / tcount[i] for i in range(K) if tcount[i] > 0]
    union = tcount + conf.sum(axis=0) - np.diag(conf)
    iou = [diag[i] / union[i] for i in range(K) if union[i] > 0]
    return (g, float(np.mean(acc)) if acc else None, float(np.mean(iou)) if iou else None,
            acc, iou)


def perturb(truth, k, rng):
    H, W = truth.shape
    kind = k % 5
    if kind == 0:
        return truth.copy()
    pred = truth.copy()
    if kind in (1, 4):   # shift by a few pixels, edges replicated: boundaries near d = 4.5
        dy, dx = rng.integers(-6, 7, size=2)
        rows = np.clip(np.arange(H) - dy, 0, H - 1)
        cols = np.clip(np.arange(W) - dx, 0, W - 1)
        pred = pred[rows][:, cols]
    if kind in (2, 4):   # random class swaps in 16x16 blocks
        for _ in range(60):
            r, c = rng.integers(0, H - 16), rng.integers(0, W - 16)
            pred[r:r + 16, c:c + 16] = rng.integers(0, K)
    if kind in (3, 4):   # void and out-of-range predictions, speckle
        r, c = rng.integers(0, H - 40), rng.integers(0, W - 40)
        pred[r:r + 40, c:c + 40] = 11
        pred[rng.random((H, W)) < 0.01] = 200
        noise = rng.random((H, W)) < 0.02
        pred[noise] = rng.integers(0, K, size=int(noise.sum()))
    return pred


def close(a, b, tol, what):
    if a is None or b is None:
        if a is not b:
            fail(f"{what}: relabel {a}, reference {b}")
        return
    if not abs(a - b) <= tol:
        fail(f"{what}: relabel {a!r}, reference {b!r} (diff {abs(a - b):.3g})")


def main():
    camvid = os.environ.get("RELABEL_CAMVID", "")
    relabel = os.environ.get("RELABEL_BIN", "")
    annot = os.path.join(camvid, "valannot")
    if not os.path.isdir(annot):
        print(f"SKIP: no CamVid at {annot}")
        sys.exit(77)
    names = sorted(f for f in os.listdir(annot) if f.endswith(".png"))[:N_IMAGES]
    rng = np.random.default_rng(4)
    with tempfile.TemporaryDirectory() as tmp:
        gt_dir, pred_dir = os.path.join(tmp, "gt"), os.path.join(tmp, "pred")
        os.mkdir(gt_dir)
        os.mkdir(pred_dir)
        total_conf = np.zeros((K, K), np.int64)
        total_t = np.zeros(K, np.int64)
        per_image, class_f1 = [], {c: [] for c in range(K)}
        for k, name in enumerate(names):
            truth = np.array(Image.open(os.path.join(annot, name)))
            if truth.ndim != 2:
                fail(f"{name}: not a single-channel label")
            if k == 3:
                truth = truth.copy()
                truth[100:140, 200:260] = 11   # some void in the truth as well
            pred = perturb(truth, k, rng)
            Image.fromarray(truth).save(os.path.join(gt_dir, name))
            Image.fromarray(pred).save(os.path.join(pred_dir, name))
            conf, tcount, f1 = image_metrics(truth, pred)
            total_conf += conf
            total_t += tcount
            g, c, miou, _, _ = scores(conf, tcount)
            bf = float(np.mean(list(f1.values()))) if f1 else 0.0
            per_image.append((name[:-4], g, c, miou, bf))
            for cls, v in f1.items():
                class_f1[cls].append(v)
        # An extra prediction without ground truth is ignored.
        Image.fromarray(pred).save(os.path.join(pred_dir, "extra.png"))

        outs = []
        for threads in ("2", "1"):
            r = subprocess.run([relabel, "eval", "--gt", gt_dir, "--pred", pred_dir,
                                "--dataset", "camvid", "--json", "--threads", threads],
                               capture_output=True, text=True)
            if r.returncode != 0:
                fail(f"relabel eval exited {r.returncode}: {r.stderr}")
            outs.append(r.stdout)
        if outs[0] != outs[1]:
            fail("output differs between --threads 2 and --threads 1")
        out = json.loads(outs[0])

    if out["images"] != len(names):
        fail(f"images {out['images']} != {len(names)}")
    if out["confusion"] != total_conf.tolist():
        fail("confusion matrix differs")
    g, c, miou, acc, iou = scores(total_conf, total_t)
    close(out["global_accuracy"], g, 1e-9, "G")
    close(out["class_accuracy"], c, 1e-9, "C")
    close(out["miou"], miou, 1e-9, "mIoU")
    close(out["bf"], float(np.mean([im[4] for im in per_image])), 1e-6, "BF")
    union = total_t + total_conf.sum(axis=0) - np.diag(total_conf)
    classes = [c for c in range(K) if c != IGNORE]
    if [pc["index"] for pc in out["per_class"]] != classes:
        fail("per_class indices")
    for pc in out["per_class"]:
        i = pc["index"]
        if pc["pixels"] != int(total_t[i]):
            fail(f"class {i} pixels {pc['pixels']} != {total_t[i]}")
        close(pc["accuracy"], total_conf[i, i] / total_t[i] if total_t[i] else None, 1e-9,
              f"class {i} accuracy")
        close(pc["iou"], total_conf[i, i] / union[i] if union[i] else None, 1e-9,
              f"class {i} IoU")
        close(pc["bf"], float(np.mean(class_f1[i])) if class_f1[i] else None, 1e-6,
              f"class {i} BF")
        if not pc.get("name"):
            fail(f"class {i} has no name with --dataset camvid")
    if len(out["per_image"]) != len(per_image):
        fail("per_image length")
    for got, (name, g, c, miou, bf) in zip(out["per_image"], per_image):
        if got["name"] != name:
            fail(f"per_image name {got['name']} != {name}")
        close(got["global_accuracy"], g, 1e-9, f"{name} G")
        close(got["class_accuracy"], c, 1e-9, f"{name} C")
        close(got["miou"], miou, 1e-9, f"{name} mIoU")
        close(got["bf"], bf, 1e-6, f"{name} BF")
    # The perturbations must leave something to measure: not everything perfect.
    if not (0.3 < out["bf"] < 0.99 and 0.5 < out["global_accuracy"] < 0.99):
        fail(f"perturbations too weak or too strong: G {out['global_accuracy']} BF {out['bf']}")
    print(f"ok: {len(names)} CamVid val images, G {out['global_accuracy']:.6f} "
          f"C {out['class_accuracy']:.6f} mIoU {out['miou']:.6f} BF {out['bf']:.6f}")


main()
