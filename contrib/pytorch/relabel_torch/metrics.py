"""The SegNet paper's metrics exactly as engine/rl-metrics.h defines them (and `relabel eval`
computes them): G, C, mIoU over an accumulated confusion matrix, BF as the mean over images of
the mean boundary F1 over the classes with a boundary in the truth or the prediction, tolerance
0.0075 * image diagonal, exact Euclidean distances (scipy's distance transform)."""
import math

import numpy as np

try:
    from scipy.ndimage import distance_transform_edt
except ImportError:   # BF is then reported as NaN
    distance_transform_edt = None


def _boundary(m):
    b = np.zeros(m.shape, bool)
    b[:-1, :-1] = (m[:-1, :-1] != m[:-1, 1:]) | (m[:-1, :-1] != m[1:, :-1]) | (m[:-1, :-1] != m[1:, 1:])
    b[-1, :-1] = m[-1, :-1] != m[-1, 1:]
    b[:-1, -1] = m[:-1, -1] != m[1:, -1]
    return b


def _dist_to(b):
    return distance_transform_edt(~b) if b.any() else np.full(b.shape, np.inf)


class Metrics:
    def __init__(self, n_classes, ignore_index):
        self.k, self.ignore = n_classes, ignore_index
        self.conf = np.zeros((n_classes, n_classes), np.int64)
        self.truth = np.zeros(n_classes, np.int64)   # t_i, void predictions included
        self.bf_sum, self.bf_images = 0.0, 0

    def add(self, truth, pred):
        k = self.k
        valid = (truth < k) & (truth != self.ignore)
        t = truth[valid].astype(np.int64)
        p = pred[valid].astype(np.int64)
        ok = (p < k) & (p != self.ignore)
        self.conf += np.bincount(t[ok] * k + p[ok], minlength=k * k).reshape(k, k)
        self.truth += np.bincount(t, minlength=k)
        if distance_transform_edt is None:
            return
        h, w = truth.shape
        d = 0.0075 * math.sqrt(h * h + w * w)
        f1 = []
        for c in range(k):
            if c == self.ignore:
                continue
            bt, bp = _boundary(truth == c), _boundary(pred == c)
            if not bt.any() and not bp.any():
                continue
            prec = float((_dist_to(bt)[bp] <= d).mean()) if bp.any() else 0.0
            rec = float((_dist_to(bp)[bt] <= d).mean()) if bt.any() else 0.0
            f1.append(2 * prec * rec / (prec + rec) if prec + rec > 0 else 0.0)
        self.bf_sum += float(np.mean(f1)) if f1 else 0.0
        self.bf_images += 1

    def state(self):
        """A flat float64 vector to sum across processes (all_reduce)."""
        return np.concatenate([self.conf.ravel(), self.truth, [self.bf_sum, self.bf_images]]).astype(np.float64)

    def load_state(self, v):
        k = self.k
        self.conf = np.rint(v[:k * k]).astype(np.int64).reshape(k, k)
        self.truth = np.rint(v[k * k:k * k + k]).astype(np.int64)
        self.bf_sum, self.bf_images = float(v[-2]), int(round(v[-1]))

    def scores(self):
        diag = np.diag(self.conf).astype(np.float64)
        t = self.truth
        g = diag.sum() / t.sum() if t.sum() > 0 else float("nan")
        acc = [diag[i] / t[i] for i in range(self.k) if t[i] > 0]
        union = t + self.conf.sum(0) - np.diag(self.conf)
        iou = [diag[i] / union[i] for i in range(self.k) if union[i] > 0]
        bf = (self.bf_sum / self.bf_images if self.bf_images > 0 and distance_transform_edt is not None
              else float("nan"))
        return {"g": float(g), "c": float(np.mean(acc)) if acc else float("nan"),
                "miou": float(np.mean(iou)) if iou else float("nan"), "bf": bf}
