#!/bin/sh
# relabel study (issue 21) on a tiny CamVid: 6 images of 0001TP to train on, 3 of 0006R0 held out,
# 3 val images, all scaled to 80x60, two architectures (segnet-basic, fcn-basic), a budget of a few
# steps.
# - The command writes a complete table (every run, both balancings; parameters, storage
#   multiplier, inference time, held-out and val G, C, mIoU, BF) in table.json and table.md.
# - Its figures equal an independent `relabel predict` + `relabel eval` of each saved model on
#   the images the run lists as scored; the parameter counts equal the trainable tensors of the
#   saved files, counted in Python.
# - --resume skips finished runs (their files stay byte for byte); a run stopped part way
#   (--stop-after, the SIGTERM path) resumes from its checkpoint and ends with the same weights
#   and figures as the run done in one go.
# - Bad input (unknown architecture, missing dataset, bad budget, a study folder without
#   --resume, a resume with another budget, an unknown held-out sequence): one line, exit 2 or 1.
set -u
fail() { echo "FAIL: $*"; exit 1; }
[ -d "$RELABEL_CAMVID/train" ] || fail "no CamVid at $RELABEL_CAMVID"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
PY=/usr/bin/python3
ARCH2=fcn-basic

$PY - "$RELABEL_CAMVID" "$tmp/ds" <<'PY' || fail "making the small dataset"
import os, sys
from PIL import Image
src, dst = sys.argv[1], sys.argv[2]
lines = open(f"{src}/train.txt").read().split("\n")
splits = {"train": [l for l in lines if "/0001TP_" in l][:6] + [l for l in lines if "/0006R0_" in l][:3],
          "val": [l for l in open(f"{src}/val.txt").read().split("\n") if l][:3]}
for split, ls in splits.items():
    os.makedirs(f"{dst}/{split}"); os.makedirs(f"{dst}/{split}annot")
    out = []
    for l in ls:
        n = os.path.basename(l.split()[0])
        Image.open(f"{src}/{split}/{n}").convert("RGB").resize((80, 60), Image.BILINEAR).save(f"{dst}/{split}/{n}")
        Image.open(f"{src}/{split}annot/{n}").resize((80, 60), Image.NEAREST).save(f"{dst}/{split}annot/{n}")
        out.append(f"/SegNet/CamVid/{split}/{n} /SegNet/CamVid/{split}annot/{n}")
    open(f"{dst}/{split}.txt", "w").write("\n".join(out) + "\n")
PY
common="--dataset camvid:$tmp/ds --budget iters=6,crop=32x48,batch=2,score-images=2 \
  --threads 1 --timing-size 60x80 --timing-runs 3"

# 1. The study: 2 architectures x 2 balancings.
"$RELABEL_BIN" study $common --archs "segnet-basic,$ARCH2" --out "$tmp/s" > "$tmp/out" \
  2> "$tmp/err" || fail "study exited $?: $(cat "$tmp/err")"
grep -q "4 runs finished (0 kept" "$tmp/out" || fail "summary: $(cat "$tmp/out")"
[ -f "$tmp/s/table.md" ] || fail "no table.md"

# 2. Complete, and equal to predict + eval of the saved models.
$PY - "$tmp" "$RELABEL_BIN" "segnet-basic,$ARCH2" <<'PY' || exit 1
import json, math, os, struct, subprocess, sys
tmp, relabel, archs = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
t = json.load(open(f"{tmp}/s/table.json"))
assert t["finished_runs"] == 4 and t["runs"] == 4, t
assert t["budget"] == "iters=6,crop=32x48,batch=2,score-images=2", t["budget"]
rows = {(r["arch"], r["balancing"]): r for r in t["rows"]}
assert set(rows) == {(a, b) for a in archs for b in ("median", "natural")}, rows.keys()
md = open(f"{tmp}/s/table.md").read()
def trainable(path):
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    h = json.loads(data[8:8 + n]); h.pop("__metadata__", None)
    return sum(math.prod(v["shape"]) for k, v in h.items()
               if not k.endswith(("running_mean", "running_var", "num_batches_tracked")))
for (arch, bal), r in rows.items():
    assert r["finished"] and r["class_weight_power"] == (1.0 if bal == "median" else 0.0), r
    model = f"{tmp}/s/{r['model']}"
    assert r["parameters"] == trainable(model), (arch, r["parameters"], trainable(model))
    assert r["inference_ms"] > 0, r
    # the paper's Table 1: indices 1, FCN-Basic's 11-channel maps 11
    assert r["storage_multiplier"] == {"segnet-basic": 1, "fcn-basic": 11}[arch], r
    res = json.load(open(os.path.dirname(model) + "/result.json"))
    for key, split, n_all in (("heldout", "train", 3), ("val", "val", 3)):
        s = res[key]
        # score-images=2 of 3: evenly spaced, the first and the second
        assert s["images"] == 2 == len(s["names"]), s
        for m in ("global_accuracy", "class_accuracy", "miou", "bf"):
            assert r[key][m] is not None and 0 <= r[key][m] <= 1, (arch, bal, key, m, r[key])
        d = f"{tmp}/{arch}-{bal}-{key}"
        os.makedirs(f"{d}/gt")
        with open(f"{d}/list.txt", "w") as f:
            for n in s["names"]:
                f.write(f"{tmp}/ds/{split}/{n}.png\n")
                os.symlink(f"{tmp}/ds/{split}annot/{n}.png", f"{d}/gt/{n}.png")
        subprocess.run([relabel, "predict", "--model", model, "--out", f"{d}/pred", "--list",
                        f"{d}/list.txt", "--threads", "1"], check=True)
        ev = json.loads(subprocess.run([relabel, "eval", "--gt", f"{d}/gt", "--pred", f"{d}/pred",
                                        "--dataset", "camvid", "--json"], check=True,
                                       capture_output=True, text=True).stdout)
        assert ev["images"] == 2, ev["images"]
        for m in ("global_accuracy", "class_accuracy", "miou", "bf"):
            assert abs(ev[m] - r[key][m]) < 1e-9, (arch, bal, key, m, ev[m], r[key][m])
    # the markdown row shows the same figures (in %, one decimal)
    cells = [f"{100 * r[k][m]:.1f}" for k in ("heldout", "val")
             for m in ("global_accuracy", "class_accuracy", "miou", "bf")]
    assert f"| {arch} | {r['parameters'] / 1e6:.3f} |" in md, arch
    assert " | ".join(cells) in md, (arch, bal, cells)
print("table complete and equal to predict + eval:",
      {f"{a}-{b}": round(r["heldout"]["global_accuracy"], 4) for (a, b), r in rows.items()})
PY

# 3. --resume: the finished runs are kept as they are.
sums() { find "$tmp/s/runs" -type f ! -name '*.log.jsonl' | sort | xargs sha256sum; }
sums > "$tmp/before"
"$RELABEL_BIN" study $common --archs "segnet-basic,$ARCH2" --out "$tmp/s" --resume > "$tmp/out" \
  2> "$tmp/err" || fail "resume exited $?: $(cat "$tmp/err")"
grep -q "4 runs finished (4 kept from earlier)" "$tmp/out" || fail "resume: $(cat "$tmp/out")"
[ "$(grep -c 'finished earlier, kept' "$tmp/err")" -eq 4 ] || fail "resume: $(cat "$tmp/err")"
grep -q "^run .*: training$" "$tmp/err" && fail "resume trained again: $(cat "$tmp/err")"
sums | cmp -s - "$tmp/before" || fail "resume changed finished runs"
grep -c '"command"' "$tmp/s/study.json" | grep -qx 2 || fail "the resume is not recorded"

# 4. A run stopped at step 3 of 6 resumes from its checkpoint: same weights as in one go.
"$RELABEL_BIN" study $common --archs segnet-basic --balancing median --out "$tmp/p" \
  --stop-after 3 > /dev/null 2> "$tmp/err" && fail "a stopped study exited 0"
grep -q '"iter": 3,' "$tmp/p/runs/segnet-basic-median/model.safetensors.ckpt/state.json" \
  || fail "not stopped at step 3"
[ -f "$tmp/p/runs/segnet-basic-median/result.json" ] && fail "a stopped run has a result"
tail -1 "$tmp/err" | grep -q "0 of 1 runs finished.*--resume" || fail "stop: $(cat "$tmp/err")"
grep -q "not run yet" "$tmp/p/table.md" || fail "the partial table does not say what is missing"
"$RELABEL_BIN" study $common --archs segnet-basic --balancing median --out "$tmp/p" --resume \
  > /dev/null 2> "$tmp/err" || fail "resume of the stopped run exited $?: $(cat "$tmp/err")"
grep -q "resuming from its checkpoint" "$tmp/err" || fail "did not resume: $(cat "$tmp/err")"
$PY "$RELABEL_SOURCE_ROOT/tests/train/compare_models.py" \
  "$tmp/p/runs/segnet-basic-median/model.safetensors" \
  "$tmp/s/runs/segnet-basic-median/model.safetensors" 1e-5 || fail "resumed weights differ"
$PY - "$tmp" <<'PY' || exit 1
import json, sys
a = json.load(open(f"{sys.argv[1]}/p/runs/segnet-basic-median/result.json"))
b = json.load(open(f"{sys.argv[1]}/s/runs/segnet-basic-median/result.json"))
for k in ("heldout", "val"):
    assert a[k] == b[k], (k, a[k], b[k])
PY

# 5. Bad input: one line each.
one_line() {  # expected-status description command...
  want=$1; what=$2; shift 2
  "$@" > /dev/null 2> "$tmp/err"; rc=$?
  [ "$rc" -eq "$want" ] || fail "$what: exit $rc, wanted $want: $(cat "$tmp/err")"
  [ "$(wc -l < "$tmp/err")" -eq 1 ] || fail "$what: not one line: $(cat "$tmp/err")"
  grep -q "$WANT" "$tmp/err" || fail "$what: $(cat "$tmp/err")"
}
B="$RELABEL_BIN"
WANT="unknown architecture 'nope'" one_line 2 "unknown arch" \
  "$B" study $common --archs segnet-basic,nope --out "$tmp/x"
WANT="$tmp/missing" one_line 1 "missing dataset" \
  "$B" study --dataset "camvid:$tmp/missing" --out "$tmp/x"
WANT="iters wants a positive number" one_line 2 "zero iterations" \
  "$B" study --dataset "camvid:$tmp/ds" --budget iters=0 --out "$tmp/x"
WANT="unknown key 'speed'" one_line 2 "unknown budget key" \
  "$B" study --dataset "camvid:$tmp/ds" --budget iters=5,speed=2 --out "$tmp/x"
WANT="exactly one of iters" one_line 2 "iters and epochs" \
  "$B" study --dataset "camvid:$tmp/ds" --budget iters=5,epochs=2 --out "$tmp/x"
WANT="crop wants HxW" one_line 2 "tiny crop" \
  "$B" study --dataset "camvid:$tmp/ds" --budget iters=5,crop=8x8 --out "$tmp/x"
WANT="add --resume" one_line 2 "existing study" \
  "$B" study $common --archs segnet-basic --out "$tmp/s"
WANT="budget" one_line 2 "resume with another budget" \
  "$B" study --dataset "camvid:$tmp/ds" --budget iters=7 --archs segnet-basic --out "$tmp/s" \
  --resume
WANT="held-out sequence 'XX99'" one_line 1 "unknown held-out sequence" \
  "$B" study $common --holdout-sequences XX99 --out "$tmp/x"
[ -e "$tmp/x" ] && fail "a refused study left a folder"
echo "ok"
