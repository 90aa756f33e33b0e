#!/usr/bin/python3
# `relabel eval` end to end on a hand-computed case, and its bad input: exit codes (1 run time,
# 2 usage) and one-line messages naming the file. Python standard library only.
import json
import os
import struct
import subprocess
import sys
import tempfile
import zlib

RELABEL = os.environ["RELABEL_BIN"]
failures = 0


def write_png(path, rows):
    """8-bit grayscale PNG of a list of rows of label values."""
    h, w = len(rows), len(rows[0])
    raw = b"".join(b"\0" + bytes(r) for r in rows)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + \
            struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def run(*args):
    return subprocess.run([RELABEL, "eval", *args], capture_output=True, text=True)


def expect(what, r, code, *needles):
    global failures
    err = r.stderr.strip()
    ok = r.returncode == code and all(n in err for n in needles)
    if code != 0:
        ok = ok and err.startswith("relabel") and len(err.splitlines()) == 1
    if not ok:
        failures += 1
        print(f"FAIL {what}: exit {r.returncode} (want {code}), stderr {err!r}, want {needles}")
    else:
        print(f"ok {what}: exit {code} {err!r}")


with tempfile.TemporaryDirectory() as tmp:
    gt, pred = os.path.join(tmp, "gt"), os.path.join(tmp, "pred")
    os.mkdir(gt)
    os.mkdir(pred)
    # The case of tests/metrics/test-metrics.c (test_void_missing_outside), K = 4, ignore 3:
    # G = 1/2, C = 1/2, mIoU = 5/18, BF = 38/105; class 2 is missing from the truth
    # (accuracy null, IoU 0, BF 0); class 3 is the ignore value (not listed).
    write_png(os.path.join(gt, "a.png"), [[0, 0, 1, 1], [0, 3, 1, 7]])
    write_png(os.path.join(pred, "a.png"), [[0, 1, 1, 2], [5, 2, 1, 0]])
    write_png(os.path.join(pred, "zextra.png"), [[0]])
    r = run("--gt", gt, "--pred", pred, "--classes", "4", "--ignore", "3", "--json")
    expect("hand case", r, 0, "note: 1 prediction without ground truth")
    out = json.loads(r.stdout)
    want = {"images": 1, "global_accuracy": 0.5, "class_accuracy": 0.5, "miou": 5 / 18,
            "bf": 38 / 105}
    for k, v in want.items():
        if abs(out[k] - v) > 1e-12:
            failures += 1
            print(f"FAIL hand case {k}: {out[k]} != {v}")
    if out["confusion"] != [[1, 1, 0, 0], [0, 2, 1, 0], [0, 0, 0, 0], [0, 0, 0, 0]]:
        failures += 1
        print(f"FAIL hand case confusion {out['confusion']}")
    c2 = out["per_class"][2]
    if [p["index"] for p in out["per_class"]] != [0, 1, 2] or c2["accuracy"] is not None \
            or c2["iou"] != 0 or c2["bf"] != 0 or c2["pixels"] != 0 or "name" in c2:
        failures += 1
        print(f"FAIL hand case per_class {out['per_class']}")
    im = out["per_image"]
    if len(im) != 1 or im[0]["name"] != "a" or abs(im[0]["bf"] - 38 / 105) > 1e-12:
        failures += 1
        print(f"FAIL hand case per_image {im}")
    if "NaN" in r.stdout or "nan" in r.stdout:
        failures += 1
        print("FAIL NaN printed")

    # Text output: a table with n/a for the class missing from the truth.
    r = run("--gt", gt, "--pred", pred, "--classes", "4", "--ignore", "3")
    expect("text output", r, 0)
    if "50.00" not in r.stdout or "n/a" not in r.stdout or "36.19" not in r.stdout:
        failures += 1
        print(f"FAIL text output:\n{r.stdout}")

    # --dataset sunrgbd: K 38, value 0 and values > 37 void, classes 1..37 named.
    # truth 1 1 2 0 255 / pred 1 2 2 2 2: non-void (1->1, 1->2, 2->2): G = 2/3,
    # C = (1/2 + 1) / 2 = 3/4, IoU_1 = n11 / (t_1 + n11 - n11) = 1 / (2 + 1 - 1) = 1/2,
    # IoU_2 = n22 / (t_2 + n12 + n22 - n22) = 1 / (1 + 2 - 1) = 1/2, mIoU = 1/2.
    sun_gt, sun_pred = os.path.join(tmp, "sun-gt"), os.path.join(tmp, "sun-pred")
    os.mkdir(sun_gt)
    os.mkdir(sun_pred)
    write_png(os.path.join(sun_gt, "img-000001.png"), [[1, 1, 2, 0, 255]])
    write_png(os.path.join(sun_pred, "img-000001.png"), [[1, 2, 2, 2, 2]])
    r = run("--gt", sun_gt, "--pred", sun_pred, "--dataset", "sunrgbd", "--json")
    expect("sunrgbd", r, 0)
    out = json.loads(r.stdout)
    pc = out["per_class"]
    if [p["index"] for p in pc] != list(range(1, 38)) or pc[0]["name"] != "wall" \
            or abs(out["global_accuracy"] - 2 / 3) > 1e-12 \
            or abs(out["class_accuracy"] - 0.75) > 1e-12 or abs(out["miou"] - 0.5) > 1e-12 \
            or len(out["confusion"]) != 38 or out["confusion"][1][2] != 1:
        failures += 1
        print(f"FAIL sunrgbd: {r.stdout[:400]}")

    # Usage errors: exit 2.
    expect("no --classes", run("--gt", gt, "--pred", pred), 2, "usage")
    expect("no --pred", run("--gt", gt, "--classes", "4"), 2, "usage")
    for bad in ("abc", "0", "257", "4x", ""):
        expect(f"--classes {bad!r}", run("--gt", gt, "--pred", pred, "--classes", bad), 2,
               "--classes")
    expect("--ignore 300", run("--gt", gt, "--pred", pred, "--classes", "4", "--ignore", "300"),
           2, "--ignore")
    expect("--threads 0", run("--gt", gt, "--pred", pred, "--classes", "4", "--threads", "0"),
           2, "--threads")
    expect("unknown dataset", run("--gt", gt, "--pred", pred, "--dataset", "kitti"), 2, "kitti")
    expect("unknown option", run("--gt", gt, "--pred", pred, "--classes", "4", "--bogus"), 2,
           "--bogus")

    # Run-time errors: exit 1, one line naming the file.
    missing = os.path.join(tmp, "nope")
    expect("missing gt dir", run("--gt", missing, "--pred", pred, "--classes", "4"), 1, missing)
    expect("missing pred dir", run("--gt", gt, "--pred", missing, "--classes", "4"), 1, missing)
    empty = os.path.join(tmp, "empty")
    os.mkdir(empty)
    expect("empty gt dir", run("--gt", empty, "--pred", pred, "--classes", "4"), 1, empty,
           "no label")
    write_png(os.path.join(gt, "b.png"), [[0, 0], [1, 1]])
    expect("missing prediction", run("--gt", gt, "--pred", pred, "--classes", "4"), 1,
           os.path.join(pred, "b.png"), "missing prediction")
    write_png(os.path.join(pred, "b.png"), [[0, 0, 0], [1, 1, 1]])
    expect("size mismatch", run("--gt", gt, "--pred", pred, "--classes", "4"), 1,
           os.path.join(pred, "b.png"), "size")
    with open(os.path.join(pred, "b.png"), "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\nbroken")
    expect("corrupt prediction", run("--gt", gt, "--pred", pred, "--classes", "4"), 1,
           os.path.join(pred, "b.png"))
    write_png(os.path.join(pred, "b.png"), [[0, 0], [1, 1]])
    write_png(os.path.join(pred, "b.PNG"), [[0, 0], [1, 1]])
    expect("ambiguous prediction", run("--gt", gt, "--pred", pred, "--classes", "4"), 1,
           "b.PNG", "b.png")
    os.unlink(os.path.join(pred, "b.PNG"))
    expect("two images", run("--gt", gt, "--pred", pred, "--classes", "4", "--json"), 0)

sys.exit(1 if failures else 0)
