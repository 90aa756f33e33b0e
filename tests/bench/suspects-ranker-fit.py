#!/usr/bin/python3
"""Is the suspects ranking at the limit of its region features? Fits a linear ranker (logistic
regression, class-balanced, L2) on the regions that bench-suspects-noise --dump wrote for some
seeds and scores it, beside the engine's own score, on a dump of other seeds: recall at N, 2N
and 5N per noise kind (N = injected errors per draw). Prints figures; not a test.

    build/tests/suspects/bench-suspects-noise --seeds 1,2,3,4,5 --dump fit.csv
    build/tests/suspects/bench-suspects-noise --seeds 11,12,13,14,15 --dump score.csv
    tests/bench/suspects-ranker-fit.py fit.csv score.csv

The features are the engine's, per region (rl-suspects.h): log pixels, log differing pixels,
confident share, mean confidences of the suggested and the labelled class, their margin and its
square, share in the boundary band, isolation, log of the class pair's differing pixels over the
draw, the two classes' thresholds and the confidences' distances to them, the kind, differing
share, and how much of its bounding box the region fills. No class identity: the ranker must
not learn the noise generator's table of confusable pairs. An error counts as found at K when a
region among the top K finds it (the bench's rule, applied when it wrote the dump)."""
import csv
import math
import sys

import numpy as np


def features(r, pair_total):
    px, dis, dif = float(r["pixels"]), float(r["disagreeing"]), float(r["differing"])
    cp, cl = float(r["conf_pred"]), float(r["conf_label"])
    tl, ts = float(r["thr_l"]), float(r["thr_s"])
    m = cp - cl
    return [math.log1p(px), math.log1p(dif), dis / max(dif, 1), cp, cl, m, m * m,
            float(r["inside_band"]), float(r["isolated"]), math.log1p(pair_total), tl, ts,
            cp - ts, tl - cl, int(r["kind"]), dif / max(px, 1),
            math.log1p(float(r["w"]) * float(r["h"])) - math.log1p(px)]


def load(path):
    rows = list(csv.DictReader(open(path)))
    totals = {}
    for r in rows:
        if r["pixels"] != "0" and r["kind"] == "0":
            key = (r["noise"], r["seed"], r["labelled"], r["suggested"])
            totals[key] = totals.get(key, 0.0) + float(r["differing"])
    x, y, draw, err, score, n_err = [], [], [], [], [], {}
    for r in rows:
        d = (r["noise"], r["seed"])
        if r["error"] != "-1":
            n_err.setdefault(d, set()).add(r["error"])
        if r["pixels"] == "0":      # an error no region found
            continue
        key = (r["noise"], r["seed"], r["labelled"], r["suggested"])
        x.append(features(r, totals.get(key, 0.0)))
        y.append(r["error"] != "-1")
        draw.append(d)
        err.append(r["error"])
        score.append(float(r["score"]) - 10 * int(r["kind"]))   # boundary ones after regions
    return np.array(x), np.array(y, float), draw, err, np.array(score), n_err


def recall(score, draw, err, n_err):
    by_draw = {}
    for i, d in enumerate(draw):
        by_draw.setdefault(d, []).append(i)
    out = {}
    for d, idx in by_draw.items():
        idx.sort(key=lambda i: -score[i])
        n = len(n_err.get(d, ())) or 1
        out.setdefault(d[0], []).append(
            [len({err[i] for i in idx[:k] if err[i] != "-1"}) / n for k in (n, 2 * n, 5 * n)])
    return {kind: np.mean(v, axis=0) for kind, v in out.items()}


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: suspects-ranker-fit.py FIT.csv SCORE.csv")
    xf, yf, _, _, _, _ = load(sys.argv[1])
    xs, _, draw, err, engine, n_err = load(sys.argv[2])
    mu, sd = xf.mean(0), xf.std(0) + 1e-9
    a, b = (xf - mu) / sd, (xs - mu) / sd
    w, c = np.zeros(a.shape[1]), 0.0
    pos = yf.mean()
    weight = np.where(yf == 1, 0.5 / pos, 0.5 / (1 - pos))
    for _ in range(3000):
        g = (1 / (1 + np.exp(-(a @ w + c))) - yf) * weight
        w -= 0.1 * (a.T @ g / len(yf) + 1e-3 * w)
        c -= 0.1 * g.mean()
    ours, theirs = recall(engine, draw, err, n_err), recall(b @ w + c, draw, err, n_err)
    print("recall at N / 2N / 5N on %s (ranker fitted on %s)" % (sys.argv[2], sys.argv[1]))
    for kind in ours:
        print("%-10s engine score %s | linear ranker %s" % (
            kind, " ".join("%.2f" % v for v in ours[kind]),
            " ".join("%.2f" % v for v in theirs[kind])))


if __name__ == "__main__":
    main()
