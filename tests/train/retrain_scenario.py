#!/usr/bin/python3
"""Issue 14's Retrain scenario, for measuring and for tests/train/test-retrain-scenario.sh.

A project of CamVid val images (all 101, or --images N of them evenly spaced) with the shipped
model as version 1; on the images at val.txt indices --corrected (default 0, 25, 50, 75) the
Road under pixel (240, 330) is painted Pavement (`relabel fill --class 4 --at 240,330`); then
`relabel finetune` with the given arguments (the defaults when none). Both versions predict every
image of the project, and `relabel eval` scores them:
  corrected: the corrected images against their corrected labels,
  others:    the other images against CamVid's original labels.
Prints one JSON object (fractions 0..1; seconds = wall time of `relabel finetune`).

usage: retrain_scenario.py --relabel BIN --camvid DIR --model M --work DIR [--images N]
                           [--corrected 0,25,50,75] [--threads T] [-- FINETUNE ARGS...]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.exit("FAIL: %s exited %d: %s%s" % (" ".join(cmd), r.returncode, r.stdout, r.stderr))
    return r


def main():
    argv = sys.argv[1:]
    extra = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1:]
    ap = argparse.ArgumentParser()
    ap.add_argument("--relabel", required=True)
    ap.add_argument("--camvid", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--images", type=int, default=101)
    ap.add_argument("--corrected", default="0,25,50,75")
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args(argv)

    lines = [l for l in open(os.path.join(a.camvid, "val.txt")).read().split("\n") if l.strip()]
    corrected_idx = [int(x) for x in a.corrected.split(",")]
    n = min(a.images, len(lines))
    picked = sorted(set([round(i * (len(lines) - 1) / max(1, n - 1)) for i in range(n)]
                        + corrected_idx))
    names = [os.path.basename(lines[i].split()[0])[:-4] for i in picked]
    corrected = [os.path.basename(lines[i].split()[0])[:-4] for i in corrected_idx]

    w = a.work
    shutil.rmtree(w, ignore_errors=True)
    os.makedirs(os.path.join(w, "ds"))
    for d in ("val", "valannot"):
        os.symlink(os.path.join(a.camvid, d), os.path.join(w, "ds", d))
    with open(os.path.join(w, "ds", "val.txt"), "w") as f:
        for i in picked:
            f.write(lines[i] + "\n")
    P = os.path.join(w, "p.relabel")
    run([a.relabel, "import", "--project", P, "--dataset", "camvid", os.path.join(w, "ds")])
    run([a.relabel, "models", "--project", P, "--add", a.model])
    for c in corrected:
        run([a.relabel, "fill", "--project", P, "--image", c, "--class", "4", "--at", "240,330"])

    new = os.path.join(w, "new.safetensors")
    t0 = time.monotonic()
    ft = subprocess.run([a.relabel, "finetune", "--project", P, "--out", new] + extra,
                        capture_output=True, text=True)
    seconds = time.monotonic() - t0
    if ft.returncode != 0:
        sys.exit("FAIL: finetune exited %d: %s" % (ft.returncode, ft.stderr))

    # Ground truth: corrected labels of the corrected images, original ones of the others.
    run([a.relabel, "export", "--project", P, "--format", "camvid", "--out",
         os.path.join(w, "export")])
    gt = {"corrected": os.path.join(w, "gt-corrected"), "others": os.path.join(w, "gt-others")}
    for d in gt.values():
        os.makedirs(d)
    for nm in names:
        kind = "corrected" if nm in corrected else "others"
        src = (os.path.join(w, "export", "valannot", nm + ".png") if kind == "corrected"
               else os.path.join(a.camvid, "valannot", nm + ".png"))
        os.symlink(src, os.path.join(gt[kind], nm + ".png"))
    listfile = os.path.join(w, "list.txt")
    with open(listfile, "w") as f:
        for nm in names:
            f.write(os.path.join(a.camvid, "val", nm + ".png") + "\n")

    out = {"seconds": seconds, "images": len(names), "corrected_images": corrected,
           "finetune_stdout": ft.stdout, "finetune_stderr": ft.stderr[-2000:]}
    thr = ["--threads", str(a.threads)] if a.threads else []
    for tag, model in (("before", a.model), ("after", new)):
        pred = os.path.join(w, "pred-" + tag)
        run([a.relabel, "predict", "--model", model, "--out", pred, "--list", listfile] + thr)
        for kind, d in gt.items():
            pd = os.path.join(w, "pred-%s-%s" % (tag, kind))
            os.makedirs(pd)
            for f in os.listdir(d):
                os.symlink(os.path.join(pred, f), os.path.join(pd, f))
            r = run([a.relabel, "eval", "--gt", d, "--pred", pd, "--dataset", "camvid", "--json"])
            m = json.loads(r.stdout)
            out["%s_%s" % (kind, tag)] = {k: m[k] for k in
                                          ("global_accuracy", "class_accuracy", "miou", "bf")}
    models = run([a.relabel, "models", "--project", P, "--json"])
    out["models"] = json.loads(models.stdout)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
