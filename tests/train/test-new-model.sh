#!/bin/sh
# relabel train --project: a new model from scratch on a project of 4 real indoor images (NYU
# Depth v2 with SUN RGB-D 37-class labels, ../shared/datasets/indoor-labelled) that has no model:
# the loss falls, the result is a version with no parent, the 4 images recorded as trained on,
# made current, and it pre-labels (scores the project, predicts an image in the SUN RGB-D
# palette); SIGTERM stops a run and adds nothing; bad combinations are refused.
set -u
fail() { echo "FAIL: $*"; exit 1; }
indoor=$(cd "$RELABEL_SUNRGBD/../indoor-labelled" 2>/dev/null && pwd) || fail "no indoor-labelled"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/ds/train/color" "$tmp/ds/train/label"
for s in nyu0001 nyu0300 nyu0388 nyu0433; do
  ln -s "$indoor/images/$s.png" "$tmp/ds/train/color/$s.png"
  ln -s "$indoor/labels37/$s.png" "$tmp/ds/train/label/$s.png"
done
P=$tmp/p.relabel
"$RELABEL_BIN" import --project "$P" --dataset sunrgbd --label-convention 1-based "$tmp/ds" \
  > "$tmp/import.out" || fail "import exited $?"
grep -q "labels read as 1-based (0 = void, 1..37 the classes), from --label-convention" \
  "$tmp/import.out" || fail "import did not say the convention: $(cat "$tmp/import.out")"
[ "$("$RELABEL_BIN" models --project "$P" --json | tr -d ' \n')" = "[]" ] \
  || fail "the new project already has a model"

# Refusals: one line each, exit 2.
"$RELABEL_BIN" train --project "$P" --dataset "sunrgbd:$tmp/ds" 2> "$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q "exclude each other" "$tmp/err" || fail "--project with --dataset: $rc"
"$RELABEL_BIN" train --project "$P" --init "$tmp/none.safetensors" 2> "$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q "do not apply" "$tmp/err" || fail "--project with --init: $rc"
"$RELABEL_BIN" train --project "$tmp/missing.relabel" 2> "$tmp/err"; rc=$?
[ $rc -eq 1 ] && grep -q "missing.relabel: no such project file" "$tmp/err" \
  || fail "missing project: $rc $(cat "$tmp/err")"

# 1. A short run at 1/4 scale (160x120 images, 96x128 crops): the loss falls, a version appears.
"$RELABEL_BIN" train --project "$P" --iters 24 --scale 0.25 --crop 96x128 --threads 2 -q \
  --out "$tmp/m.safetensors" > "$tmp/train.out" || fail "train --project exited $?"
cat "$tmp/train.out"
/usr/bin/python3 - "$tmp/train.out" <<'PY' || exit 1
import re, sys
t = open(sys.argv[1]).read()
m = re.search(r"version (\d+) \(segnet-basic, no parent\), trained from scratch on (\d+) labelled "
              r"images, (\d+) steps .* first tenth of the steps ([0-9.]+), of the last ([0-9.]+); "
              r"made current", t)
assert m, t
version, images, steps, first, last = int(m[1]), int(m[2]), int(m[3]), float(m[4]), float(m[5])
assert (version, images, steps) == (1, 4, 24), (version, images, steps)
# 38-way cross-entropy starts near ln(38) = 3.6 (He init, weighted); it must fall clearly.
assert first > 2.5 and last < 0.75 * first, (first, last)
PY
/usr/bin/python3 - "$P" "$RELABEL_BIN" <<'PY' || exit 1
import json, subprocess, sys
p, b = sys.argv[1], sys.argv[2]
models = json.loads(subprocess.check_output([b, "models", "--project", p, "--json"]))
assert len(models) == 1, models
m = models[0]
assert m["version"] == 1 and m["parent"] is None and m["current"] is True, m
assert m["trained_on"] == 4 and m["settings"]["kind"] == "new-model", m
s = m["settings"]
assert (s["lr"], s["lr_poly"], s["class_weight_power"]) == (0.02, 0.9, 0.5), s
assert s["input_norm"] == "dataset", s   # the default, read back from the model file
imgs = subprocess.check_output([b, "models", "--project", p, "--images", "1"], text=True)
assert sorted(l.split()[0] for l in imgs.splitlines() if l.strip()) == \
    ["nyu0001", "nyu0300", "nyu0388", "nyu0433"], imgs
PY
# 2. It pre-labels: the project's images scored with it (in-sample), and an image predicted.
"$RELABEL_BIN" eval --project "$P" --json > "$tmp/eval.json" || fail "eval --project exited $?"
/usr/bin/python3 -c "
import json, sys; e = json.load(open('$tmp/eval.json'))
g = e.get('global_accuracy', e.get('G'))
assert g is not None and g > 0.05, e.keys()
print('in-sample G after 24 steps: %.3f' % g)" || fail "eval output"
"$RELABEL_BIN" predict --model "$tmp/m.safetensors" --out "$tmp/pred" --threads 2 \
  "$indoor/images/nyu0046.png" > /dev/null || fail "predict exited $?"
[ -s "$tmp/pred/nyu0046.png" ] || fail "no prediction written"

# 3. SIGTERM during a run: stops, says so, adds nothing.
"$RELABEL_BIN" train --project "$P" --iters 5000 --scale 0.25 --crop 96x128 --threads 1 \
  > "$tmp/stop.out" 2> "$tmp/stop.err" &
pid=$!
i=0
while [ $i -lt 600 ] && ! grep -q "^iter 2/" "$tmp/stop.err"; do sleep 0.5; i=$((i + 1)); done
kill -TERM $pid
wait $pid; rc=$?
[ $rc -eq 1 ] || fail "stopped run exited $rc"
grep -q "stopped; nothing was added to" "$tmp/stop.err" || fail "no stop message: $(tail -2 "$tmp/stop.err")"
n=$("$RELABEL_BIN" models --project "$P" --json | /usr/bin/python3 -c "import json,sys; print(len(json.load(sys.stdin)))")
[ "$n" = 1 ] || fail "a stopped run added a version ($n versions)"

# 4. --init-encoder: every layer but the 38-class classifier comes from the CamVid model (11
# classes), with its input statistics; a tiny learning rate keeps the copied weights as they were
# after 2 steps, so they must equal the CamVid model's; the classifier is new (38 outputs); the
# new file lists the CamVid model's training images, then its own (trained_on).
camvid="$RELABEL_SOURCE_ROOT/resources/models/segnet-basic-camvid.safetensors"
"$RELABEL_BIN" train --project "$P" --init-encoder "$camvid" --init "$camvid" 2> "$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q "excludes --init" "$tmp/err" || fail "--init-encoder with --init: $rc"
"$RELABEL_BIN" train --project "$P" --init-encoder "$tmp/m.safetensors.nope" --iters 1 \
  --scale 0.25 --crop 96x128 --threads 2 -q 2> "$tmp/err"; rc=$?
[ $rc -eq 1 ] && grep -q "m.safetensors.nope" "$tmp/err" || fail "missing --init-encoder: $rc"
"$RELABEL_BIN" train --project "$P" --init-encoder "$camvid" --iters 2 --lr 1e-12 --scale 0.25 \
  --crop 96x128 --threads 2 --out "$tmp/enc.safetensors" --name "from CamVid" \
  > "$tmp/enc.out" 2> "$tmp/enc.err" || fail "train --init-encoder exited $?: $(cat "$tmp/enc.err")"
grep -q "48 tensors copied, 2 initialised afresh" "$tmp/enc.err" \
  || fail "no copy report: $(cat "$tmp/enc.err")"
grep -q "trained from the layers that fit of the given model" "$tmp/enc.out" \
  || fail "the summary does not say where it started: $(cat "$tmp/enc.out")"
/usr/bin/python3 - "$camvid" "$tmp/enc.safetensors" <<'PY' || exit 1
import json, struct, sys
import numpy as np
def load(p):
    with open(p, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        h = json.loads(f.read(n)); base = 8 + n
        out = {}
        for k, v in h.items():
            if k == "__metadata__":
                continue
            f.seek(base + v["data_offsets"][0])
            out[k] = np.frombuffer(f.read(v["data_offsets"][1] - v["data_offsets"][0]),
                                   dtype="<f4").reshape(v["shape"])
        return h["__metadata__"], out
ma, a = load(sys.argv[1]); mb, b = load(sys.argv[2])
assert mb["num_classes"] == "38" and b["classifier.weight"].shape[0] == 38, mb["num_classes"]
assert a["classifier.weight"].shape[0] == 11
assert json.loads(ma["input_mean"]) == json.loads(mb["input_mean"]), (ma["input_mean"], mb["input_mean"])
convs = [k for k in a if k.endswith("conv.weight")]
assert len(convs) == 8, convs
for k in convs:
    d = float(np.abs(a[k] - b[k]).max())
    assert d < 1e-5, (k, d)
# the copied layers learnt from CamVid's train images: those come first in its trained_on, then
# the project's images it trained on here
ta, tb = json.loads(ma["trained_on"]), json.loads(mb["trained_on"])
assert len(ta) == 367 and tb[:367] == ta and len(tb) > 367, (len(ta), len(tb))
print("init-encoder: 8 conv weights equal to the CamVid model's, classifier 38 outputs, its"
      " %d training images listed before the %d of this run" % (len(ta), len(tb) - len(ta)))
PY
echo "PASS"
