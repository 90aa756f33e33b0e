#!/usr/bin/python3
"""input_norm "image" (each image's channels standardised after the mean/std normalisation,
rl_standardize_planes) in contrib/pytorch, checked against the engine: a model written by
`relabel train --input-norm image` reads as such and is rewritten byte for byte by make_metadata;
an unknown value, a file that requires a feature this version does not know, or a damaged
list of training images (trained_on, which the engine writes as train.py does), is refused by
the package and by the engine; `relabel predict` labels agree with the package's on val images;
`relabel train` and train.py, from that model with the same seed and recipe (augmentation on),
see the same first loss and score validation alike, and write the same metadata; train.py
--input-norm makes image models and refuses another value for a continued one. Each comparison
is also made with the same weights read as "dataset", which must fail it."""
import json
import os
import subprocess
import tempfile

from contrib_common import BIN, CONTRIB, PY, check, finish, make_export, np, read_png, run
import torch
from PIL import Image

from relabel_torch import (SafetensorsError, load_model, read_safetensors, save_model,
                           write_safetensors)
from relabel_torch.data import Dataset, TrainSet, full_image, standardize_planes
from relabel_torch.models import make_metadata, trained_on_of

torch.set_num_threads(1)
ENV = dict(os.environ, OMP_NUM_THREADS="1")
# test-ddp's recipe with augmentation on, on images stored at a quarter size (120x90)
RECIPE = ["--crop", "64x96", "--batch", "2", "--lr", "0.01", "--random-scale", "0.75,1.25",
          "--brightness", "0.25", "--contrast", "0.25", "--saturation", "0.25", "--gamma", "0.25",
          "--seed", "7", "--scale", "0.25", "-q", "--threads", "1"]


def metadata_of(info, raw, input_norm):
    return make_metadata(info["arch"], info["class_names"], info["ignore_index"],
                         info["input_mean"], info["input_std"], info["bn_eps"], raw.get("loss"),
                         info.get("class_weights"), info.get("class_weight_power"), input_norm,
                         info.get("trained_on"))


def refused_alike(tmp, image, name, tensors, meta, why):
    """A model file of these tensors and metadata is refused by the package and by `relabel
    predict` with the same one line, "PATH: why"."""
    path = os.path.join(tmp, name)
    write_safetensors(path, list(tensors.items()), meta)
    expect = "%s: %s" % (path, why)
    try:
        load_model(path)
        check(False, "%s was loaded" % name)
    except SafetensorsError as e:
        check(str(e) == expect, "the package refuses it: %s" % e)
    r = subprocess.run([BIN, "predict", "--model", path, "--out", os.path.join(tmp, "p"), image],
                       capture_output=True, text=True)
    check(r.returncode == 1 and expect in r.stderr and r.stderr.count("\n") == 1,
          "relabel predict refuses it the same way: %s" % r.stderr.strip())


def log_of(path):
    """The run's JSON-lines log as (steps, validations, starts)."""
    log = [json.loads(l) for l in open(path + ".log.jsonl")]
    return tuple([l for l in log if l["type"] == k] for k in ("step", "val", "start"))


with tempfile.TemporaryDirectory() as tmp:
    exp = make_export(tmp)
    # An image-norm model written by the engine (2 steps from He init, at 60x45).
    a = os.path.join(tmp, "image.safetensors")
    run([BIN, "train", "--dataset", "camvid:" + exp, "--out", a, "--input-norm", "image",
         "--iters", "2", "--batch", "2", "--scale", "0.125", "--val-split", "", "-q", "--threads",
         "1", "--engine", "reference"])
    model, info, raw = load_model(a)
    check(info["input_norm"] == "image" and raw.get("input_norm") == "image",
          "the engine's image-norm model reads as input_norm '%s'" % info["input_norm"])
    back = os.path.join(tmp, "back.safetensors")
    save_model(back, model, metadata_of(info, raw, "image"))
    check(open(back, "rb").read() == open(a, "rb").read(),
          "make_metadata(input_norm='image') rewrites the engine's file byte for byte")
    # The same weights as a dataset model: no key written, and read back as "dataset".
    d = os.path.join(tmp, "as-dataset.safetensors")
    save_model(d, model, metadata_of(info, raw, "dataset"))
    _, dinfo, draw = load_model(d)
    check("input_norm" not in draw and dinfo["input_norm"] == "dataset",
          "input_norm 'dataset' is not written and an absent key reads as 'dataset'")

    # An unknown value: refused by the package and by the engine, with the same one line.
    t, m = read_safetensors(a)
    image = os.path.join(exp, "val", os.listdir(os.path.join(exp, "val"))[0])
    refused_alike(tmp, image, "bad.safetensors", t, dict(m, input_norm="channel"),
                  "input_norm 'channel' is not one this version knows (dataset, image)")
    # The image-norm file says that its reader must know input_norm; a file that requires a
    # feature this version does not know is refused by both, with the same line.
    check(raw.get("requires") == '["input_norm"]',
          "the engine's image-norm model requires input_norm (%s)" % raw.get("requires"))
    refused_alike(tmp, image, "newer.safetensors", t,
                  dict(m, requires='["input_norm", "input_lrn"]'),
                  "made for a newer Relabel (it requires 'input_lrn', which this version does not"
                  " know)")
    # The engine's file lists the images it trained on (trained_on: names and SHA-1s of the image
    # files, as train.py computes them); a damaged list is refused by both with the same line.
    want = trained_on_of([], Dataset(exp).split("train"))
    check(info.get("trained_on") == want and len(want) > 0,
          "the engine's file lists its %d training images as train.py would" % len(want))
    refused_alike(tmp, image, "trained-on.safetensors", t, dict(m, trained_on='[["a", "b"]]'),
                  "trained_on is not a JSON list of [name, SHA-1] pairs")
    try:
        make_metadata("segnet-basic", ["a"], 1, [0.5] * 3, [0.2] * 3, input_norm="channel")
        check(False, "make_metadata took input_norm 'channel'")
    except ValueError as e:
        check("channel" in str(e), "make_metadata refuses it: %s" % e)

    # standardize_planes against the definition in float64 (fp32 rounding of values of a few units).
    ds = Dataset(exp)
    val = TrainSet(ds.split("val"), ds, 0.25)
    x, _ = full_image(val, 0, info["input_mean"], info["input_std"])
    x64 = x.astype(np.float64)
    m64 = x64.mean(axis=(1, 2), keepdims=True)
    ref = (x64 - m64) / np.sqrt(x64.var(axis=(1, 2), keepdims=True) + 1e-5)
    err = float(np.abs(standardize_planes(x) - ref).max())
    check(err < 1e-5, "standardize_planes vs float64: max abs. diff %.1e (< 1e-5)" % err)

    # relabel predict (fp32, reference path) on the val images at 120x90 against the package.
    imgs = []
    for i in range(val.n):
        imgs.append(os.path.join(tmp, "val%d.png" % i))
        Image.fromarray(val.rgb[i]).save(imgs[-1])
    pred = os.path.join(tmp, "pred")
    run([BIN, "predict", "--engine", "reference", "--threads", "1", "--model", a, "--out", pred]
        + imgs)
    for norm in ("image", "dataset"):
        same = total = 0
        gap = 0.0
        with torch.no_grad():
            for i, p in enumerate(imgs):
                x, _ = full_image(val, i, info["input_mean"], info["input_std"], norm)
                logits = model(torch.from_numpy(x)[None])[0]
                theirs = torch.from_numpy(read_png(os.path.join(pred, "val%d.png" % i)).astype(np.int64))
                same += int((logits.argmax(0) == theirs).sum())
                total += theirs.numel()
                # how far below the package's best logit the engine's label is, relative to the
                # logits' range: 0 where they agree, rounding-small at a near tie
                g = logits.max(0).values - logits.gather(0, theirs[None])[0]
                gap = max(gap, float(g.max() / logits.abs().max()))
        frac = same / total
        # fp32 rounding can flip a near-tied max-pool choice, which moves a value locally: a few
        # pixels may then differ, at small gaps (measured: none at 120x90; 10 of 43200 pixels,
        # gap 0.6 % at 240x180); reading the input the wrong way is wrong on most pixels.
        ok = frac >= 0.999 and gap < 0.05
        if norm == "image":
            check(ok, "relabel predict agrees with the package on %.3f %% of %d pixels (bar 99.9 %%), "
                  "largest logit gap %.1e of the range (bar 5e-2)" % (100 * frac, total, gap))
        else:
            check(not ok, "... and the same model read as 'dataset' does not: %.3f %% of the pixels, "
                  "gap %.2f" % (100 * frac, gap))

    # The first training step and the validation after it, relabel train and train.py from the
    # image model, same seed and recipe; train.py from the weights read as "dataset" must differ.
    outs = {}
    for who, init in (("relabel", a), ("train.py", a), ("train.py-dataset", d)):
        out = os.path.join(tmp, "%s.safetensors" % who)
        if who == "relabel":
            run([BIN, "train", "--dataset", "camvid:" + exp, "--init", init, "--out", out,
                 "--iters", "1", "--engine", "reference"] + RECIPE)
        else:
            run([PY, os.path.join(CONTRIB, "train.py"), "--dataset", exp, "--init", init,
                 "--out", out, "--iters", "1"] + RECIPE, env=ENV)
        outs[who] = (out,) + log_of(out)
    (_, lc, vc, sc), (p_out, lp, vp, sp), (_, ld, vd, _) = (outs[k] for k in
                                                            ("relabel", "train.py", "train.py-dataset"))
    check(sc[0]["input_norm"] == "image" and sp[0]["input_norm"] == "image",
          "both logs say input_norm image")
    rel = abs(lc[0]["loss"] - lp[0]["loss"]) / abs(lc[0]["loss"])
    check(rel < 1e-4, "first loss: relabel train %.6f, train.py %.6f (rel. diff %.1e < 1e-4)"
          % (lc[0]["loss"], lp[0]["loss"], rel))
    rel_d = abs(lc[0]["loss"] - ld[0]["loss"]) / abs(lc[0]["loss"])
    check(rel_d >= 1e-4, "... read as 'dataset', train.py's first loss is %.6f (rel. diff %.1e)"
          % (ld[0]["loss"], rel_d))
    # The validation scores after that step (one pixel of the 2 x 120 x 90 is 4.6e-5 of G; the
    # weights differ by the step's rounding, so a few pixels may flip).
    scores = ("global_accuracy", "class_accuracy", "miou", "bf")
    dv = max(abs(vc[0][k] - vp[0][k]) for k in scores)
    dv_d = max(abs(vc[0][k] - vd[0][k]) for k in scores)
    check(dv < 1e-3, "validation G, C, mIoU, BF: relabel train %s, train.py %s (largest diff "
          "%.1e < 1e-3)" % ("/".join("%.4f" % vc[0][k] for k in scores),
                            "/".join("%.4f" % vp[0][k] for k in scores), dv))
    check(dv_d >= 1e-3, "... read as 'dataset', train.py's are %s (largest diff %.1e)"
          % ("/".join("%.4f" % vd[0][k] for k in scores), dv_d))
    _, mc = read_safetensors(outs["relabel"][0])
    _, mp = read_safetensors(p_out)
    check(mc == mp and mp.get("input_norm") == "image",
          "the two written models' __metadata__ are identical (input_norm %s)" % mp.get("input_norm"))

    # train.py --input-norm: a continued model keeps its own (another value is a usage error) ...
    r = subprocess.run([PY, os.path.join(CONTRIB, "train.py"), "--dataset", exp, "--resume",
                        p_out + ".ckpt.pt", "--out", os.path.join(tmp, "r.safetensors"),
                        "--iters", "2", "--input-norm", "dataset"] + RECIPE,
                       capture_output=True, text=True, env=ENV)
    check(r.returncode == 2 and "input normalisation is 'image', not 'dataset'" in r.stderr
          and r.stderr.count("\n") == 1,
          "train.py --resume (an image model's checkpoint) --input-norm dataset: exit %d, %s"
          % (r.returncode, r.stderr.strip()))
    # ... and a new model gets the option, with relabel train's metadata.
    n_out = os.path.join(tmp, "new.safetensors")
    run([PY, os.path.join(CONTRIB, "train.py"), "--dataset", exp, "--out", n_out, "--iters", "1",
         "--batch", "1", "--scale", "0.125", "--val-split", "", "-q", "--threads", "1",
         "--input-norm", "image"], env=ENV)
    _, mn = read_safetensors(n_out)
    check(mn == raw, "train.py --input-norm image writes relabel train --input-norm image's "
          "__metadata__ (input_norm %s)" % mn.get("input_norm"))
finish()
