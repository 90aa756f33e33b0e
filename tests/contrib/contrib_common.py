"""Shared by the contrib/pytorch tests: skip (77) without torch, paths, and a small CamVid
export made the way a user makes one (relabel import, then relabel export --format camvid)."""
import os
import subprocess
import sys

try:
    import numpy as np  # noqa: F401
    import torch  # noqa: F401
    from PIL import Image  # noqa: F401
except ImportError as e:
    print("SKIP: PyTorch, numpy or PIL not available:", e)
    sys.exit(77)

SRC = os.environ.get("RELABEL_SOURCE_ROOT", os.path.abspath(os.path.join(os.path.dirname(__file__), "../..")))
BIN = os.environ.get("RELABEL_BIN", os.path.join(SRC, "build/app/relabel"))
CAMVID = os.environ.get("RELABEL_CAMVID", os.path.join(SRC, "../shared/datasets/camvid"))
PY = "/usr/bin/python3"
CONTRIB = os.path.join(SRC, "contrib/pytorch")
sys.path.insert(0, CONTRIB)

TRAIN = ["0001TP_006690", "0001TP_008490", "0006R0_f02670", "0016E5_00901", "0016E5_04620",
         "0016E5_06420"]
VAL = ["0016E5_07959", "0016E5_07961"]
failures = []


def check(ok, what):
    print("%s %s" % ("ok  " if ok else "FAIL", what), flush=True)
    if not ok:
        failures.append(what)


def finish():
    if failures:
        print("%d failed: %s" % (len(failures), "; ".join(failures)))
        sys.exit(1)
    print("all passed")
    sys.exit(0)


def run(cmd, **kw):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
    if r.returncode != 0:
        print(r.stdout[-4000:])
        raise SystemExit("FAIL: %s exited %d" % (" ".join(cmd[:3]), r.returncode))
    return r.stdout


def make_export(tmp):
    """A CamVid folder of the few images above, imported into a project and exported."""
    if not os.path.isdir(os.path.join(CAMVID, "train")):
        print("SKIP: no CamVid at", CAMVID)
        sys.exit(77)
    cv = os.path.join(tmp, "cv")
    for split, names in (("train", TRAIN), ("val", VAL)):
        for sub in (split, split + "annot"):
            os.makedirs(os.path.join(cv, sub))
            for n in names:
                os.symlink(os.path.join(os.path.abspath(CAMVID), sub, n + ".png"),
                           os.path.join(cv, sub, n + ".png"))
        with open(os.path.join(cv, split + ".txt"), "w") as f:
            for n in names:
                f.write("%s/%s.png %sannot/%s.png\n" % (split, n, split, n))
    proj = os.path.join(tmp, "p.relabel")
    run([BIN, "import", "--project", proj, "--dataset", "camvid", cv])
    exp = os.path.join(tmp, "export")
    run([BIN, "export", "--project", proj, "--format", "camvid", "--out", exp])
    return exp


def read_png(path):
    return np.array(Image.open(path))
