#!/bin/sh
# relabel train end to end on 8 real CamVid images at 1/8 scale: the loss falls and training-set
# accuracy (validated on the same images) rises far above chance; a run stopped after k steps and
# resumed for N-k more ends with the same weights as N steps straight, also with the recipe's
# augmentation (random scale, photometric jitter, poly decay) and a held-out sequence choosing the
# model, and with per-image input standardisation; the held-out images are not trained on and
# choose --out; --split trains on several
# splits and refuses to validate one of them; the loss is in the model's metadata; bad input is
# refused.
set -u
fail() { echo "FAIL: $*"; exit 1; }
[ -d "$RELABEL_CAMVID/train" ] || fail "no CamVid at $RELABEL_CAMVID"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/ds"
ln -s "$RELABEL_CAMVID/train" "$tmp/ds/train"
ln -s "$RELABEL_CAMVID/trainannot" "$tmp/ds/trainannot"
head -8 "$RELABEL_CAMVID/train.txt" > "$tmp/ds/train.txt"
cp "$tmp/ds/train.txt" "$tmp/ds/val.txt"
common="--dataset camvid:$tmp/ds --batch 4 --scale 0.125 --threads 1 --engine reference -q"

# 1. Learning: 40 steps (20 epochs of 8 images).
"$RELABEL_BIN" train $common --out "$tmp/learn.safetensors" --iters 40 --no-flip --val-every 100 \
  || fail "training run exited $?"
/usr/bin/python3 - "$tmp/learn.safetensors.log.jsonl" <<'PY' || exit 1
import json, sys
steps = [json.loads(l) for l in open(sys.argv[1])]
loss = [s["loss"] for s in steps if s["type"] == "step"]
val = [s for s in steps if s["type"] == "val"]
assert len(loss) == 40, len(loss)
first, last = sum(loss[:3]) / 3, sum(loss[-3:]) / 3
print(f"loss {first:.3f} -> {last:.3f}; final training-set G {val[-1]['global_accuracy']:.3f} "
      f"mIoU {val[-1]['miou']:.3f}")
assert last < 0.5 * first, "loss did not fall by half"
# Chance is 1/11; always predicting the most frequent class of these images gives about 0.3.
assert val[-1]["global_accuracy"] > 0.6, "training-set accuracy stayed low"
PY
[ -f "$tmp/learn.safetensors" ] || fail "no model written"
[ -d "$tmp/learn.safetensors.ckpt" ] || fail "no checkpoint written"

# 2. Resume equivalence: 6 steps straight vs 3 + resume to 6 (flips and crops on, RNG resumed).
aug="--crop 32x48 --val-split="
"$RELABEL_BIN" train $common $aug --out "$tmp/a.safetensors" --iters 6 || fail "run a"
"$RELABEL_BIN" train $common $aug --out "$tmp/b.safetensors" --iters 3 || fail "run b"
"$RELABEL_BIN" train $common $aug --out "$tmp/b.safetensors" --iters 6 \
  --resume "$tmp/b.safetensors.ckpt" || fail "run b resumed"
"$RELABEL_BIN" train $common $aug --out "$tmp/c.safetensors" --iters 3 || fail "run c"
/usr/bin/python3 "$RELABEL_SOURCE_ROOT/tests/train/compare_models.py" \
  "$tmp/a.safetensors" "$tmp/b.safetensors" 1e-5 || fail "resumed weights differ"
# ... and the comparison can fail: 3 steps are not 6.
if /usr/bin/python3 "$RELABEL_SOURCE_ROOT/tests/train/compare_models.py" \
  "$tmp/a.safetensors" "$tmp/c.safetensors" 1e-5 >/dev/null; then
  fail "3-step and 6-step models compare equal"
fi

# 2b. The same with the recipe's augmentation and poly decay: still exact on resume, and the
# augmentation is in effect (the weights differ from the run without it). The poly schedule
# depends on the total, so the first leg is the 6-step run stopped at step 3 (--stop-after takes
# the SIGTERM path: checkpoint, then exit).
recipe="$aug --random-scale 0.75,1.25 --brightness 0.3 --contrast 0.3 --saturation 0.3 \
  --gamma 0.3 --lr-poly 0.9"
# resume_equal P FLAGS WHAT: P"a" trains 6 steps straight, P"b" is the same run stopped at step 3
# and resumed; both end with the same weights, which differ from the plain run's (a).
resume_equal() {
  "$RELABEL_BIN" train $common $2 --out "$tmp/$1a.safetensors" --iters 6 || fail "$3 run a"
  "$RELABEL_BIN" train $common $2 --out "$tmp/$1b.safetensors" --iters 6 --stop-after 3 \
    || fail "$3 run b"
  grep -q '"iter": 3,' "$tmp/$1b.safetensors.ckpt/state.json" || fail "$3 run b: not stopped at 3"
  "$RELABEL_BIN" train $common $2 --out "$tmp/$1b.safetensors" --iters 6 \
    --resume "$tmp/$1b.safetensors.ckpt" || fail "$3 run b resumed"
  /usr/bin/python3 "$RELABEL_SOURCE_ROOT/tests/train/compare_models.py" \
    "$tmp/$1a.safetensors" "$tmp/$1b.safetensors" 1e-5 || fail "resumed $3 weights differ"
  if /usr/bin/python3 "$RELABEL_SOURCE_ROOT/tests/train/compare_models.py" \
    "$tmp/a.safetensors" "$tmp/$1a.safetensors" 1e-5 >/dev/null; then
    fail "the $3 run ends with the same weights as the plain one"
  fi
}
resume_equal r "$recipe" recipe

# 2d. Per-image input standardisation (--input-norm image): it learns as the default does, is
# stored in the model and in each leg's log, resumes exactly, changes the weights, and a model
# keeps its own (continuing it with another is refused).
"$RELABEL_BIN" train $common --input-norm image --out "$tmp/in.safetensors" --iters 40 --no-flip \
  --val-every 100 || fail "--input-norm image run exited $?"
resume_equal i "$aug --input-norm image" input-norm
/usr/bin/python3 - "$tmp" <<'PY' || exit 1
import json, struct, sys
tmp = sys.argv[1]
def meta(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        return json.loads(f.read(n))["__metadata__"]
assert meta(tmp + "/in.safetensors")["input_norm"] == "image"
assert meta(tmp + "/ib.safetensors")["input_norm"] == "image"
assert "input_norm" not in meta(tmp + "/a.safetensors"), "a dataset-normalised model wrote the key"
log = [json.loads(l) for l in open(tmp + "/in.safetensors.log.jsonl")]
loss = [s["loss"] for s in log if s["type"] == "step"]
val = [s for s in log if s["type"] == "val"]
first, last = sum(loss[:3]) / 3, sum(loss[-3:]) / 3
print(f"input-norm image: loss {first:.3f} -> {last:.3f}; training-set G "
      f"{val[-1]['global_accuracy']:.3f}")
assert last < 0.5 * first and val[-1]["global_accuracy"] > 0.6
legs = [json.loads(l) for l in open(tmp + "/ib.safetensors.log.jsonl") if '"start"' in l]
assert len(legs) == 2 and all(l["input_norm"] == "image" for l in legs), legs
assert all(l["engine"] == "reference" for l in legs), legs
PY
"$RELABEL_BIN" train $common $aug --out "$tmp/x.safetensors" --iters 1 \
  --init "$tmp/ia.safetensors" || fail "continuing an image-normalised model exited $?"
/usr/bin/python3 -c "
import json, struct, sys
f = open(sys.argv[1], 'rb'); n = struct.unpack('<Q', f.read(8))[0]
assert json.loads(f.read(n))['__metadata__']['input_norm'] == 'image'" "$tmp/x.safetensors" \
  || fail "--init did not keep the model's input normalisation"
"$RELABEL_BIN" train $common $aug --input-norm dataset --out "$tmp/x.safetensors" --iters 1 \
  --init "$tmp/ia.safetensors" 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] && grep -q "input normalisation is 'image'" "$tmp/err" \
  || fail "--input-norm dataset on an image model: exit $rc, $(cat "$tmp/err")"
"$RELABEL_BIN" train $common --input-norm lcn --out "$tmp/x.safetensors" 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q "lcn" "$tmp/err" || fail "--input-norm lcn exited $rc"

# 2c. A held-out sequence: 6 images of 0001TP trained on, 3 of 0006R0 held out and scored each
# epoch; --out is the epoch with the best held-out (G + mIoU) / 2, the same after a resume.
mkdir "$tmp/ho"
ln -s "$RELABEL_CAMVID/train" "$tmp/ho/train"
ln -s "$RELABEL_CAMVID/trainannot" "$tmp/ho/trainannot"
{ head -6 "$RELABEL_CAMVID/train.txt"; grep '/0006R0_' "$RELABEL_CAMVID/train.txt" | head -3; } \
  > "$tmp/ho/train.txt"
ho="--dataset camvid:$tmp/ho --batch 2 --scale 0.125 --threads 1 --engine reference -q \
  --crop 32x48 --val-split= --holdout-sequences 0006R0 --random-scale 0.75,1.25 \
  --brightness 0.2 --lr-poly 0.9 --lr 0.05"
"$RELABEL_BIN" train $ho --out "$tmp/ha.safetensors" --iters 12 || fail "holdout run a"
"$RELABEL_BIN" train $ho --out "$tmp/hb.safetensors" --iters 12 --stop-after 5 \
  || fail "holdout run b"
"$RELABEL_BIN" train $ho --out "$tmp/hb.safetensors" --iters 12 \
  --resume "$tmp/hb.safetensors.ckpt" || fail "holdout run b resumed"
/usr/bin/python3 "$RELABEL_SOURCE_ROOT/tests/train/compare_models.py" \
  "$tmp/ha.safetensors" "$tmp/hb.safetensors" 1e-5 || fail "resumed holdout choice differs"
/usr/bin/python3 - "$tmp/ha.safetensors" <<'PY' || exit 1
import json, struct, sys
out = sys.argv[1]
log = [json.loads(l) for l in open(out + ".log.jsonl")]
start = [l for l in log if l["type"] == "start"][0]
hold = [l for l in log if l["type"] == "holdout"]
assert start["train_images"] == 6 and start["holdout_images"] == 3, start
assert start["select"] == "holdout:0006R0", start
assert not [l for l in log if l["type"] == "val"], "val ran with --val-split="
assert len(hold) == 4 and all(h["images"] == 3 for h in hold), hold   # 3 steps an epoch
state = json.load(open(out + ".ckpt/state.json"))
score = [(h["global_accuracy"] + h["miou"]) / 2 for h in hold]
best = max(range(len(hold)), key=lambda i: (score[i], -i))   # the first of equals
assert abs(state["best_score"] - score[best]) < 1e-6, (state, score)
assert state["best_score_epoch"] == hold[best]["epoch"], (state, hold)
# the loss and its weights are in the model, equal to those the log says it trained with
with open(out, "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]
    meta = json.loads(f.read(n))["__metadata__"]
assert meta["loss"] == "cross_entropy", meta
w = json.loads(meta["class_weights"])
assert len(w) == 11 and max(abs(a - b) for a, b in zip(w, start["class_weights"])) < 1e-5, w
assert float(meta["class_weight_power"]) == start["class_weight_power"], meta
print(f"held-out scores {[round(x, 3) for x in score]}, chose epoch {state['best_score_epoch']}")
PY
# Training on several splits (the shipped model's train + val run): both splits' images are
# trained on; validating a split that is trained on is refused (its scores would be in-sample).
"$RELABEL_BIN" train $common $aug --split train,val --out "$tmp/tv.safetensors" --iters 1 \
  || fail "--split train,val exited $?"
/usr/bin/python3 -c "
import json, sys
start = [json.loads(l) for l in open(sys.argv[1]) if '\"start\"' in l][0]
assert start['train_images'] == 16, start" "$tmp/tv.safetensors.log.jsonl" \
  || fail "--split train,val did not train on 16 images"
"$RELABEL_BIN" train $common --split train,val --out "$tmp/x.safetensors" --iters 1 \
  2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] && grep -q "in-sample" "$tmp/err" \
  || fail "validating a trained split: exit $rc, $(cat "$tmp/err")"
# A held-out sequence with no training image is refused, not silently ignored.
"$RELABEL_BIN" train $ho --holdout-sequences 0006RX --out "$tmp/x.safetensors" --iters 1 \
  2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] || fail "unknown held-out sequence exited $rc"
grep -q "0006RX" "$tmp/err" || fail "unknown held-out sequence: $(cat "$tmp/err")"
"$RELABEL_BIN" train $common --out "$tmp/x.safetensors" --random-scale 1.5,0.5 2>/dev/null; rc=$?
[ $rc -eq 2 ] || fail "bad --random-scale exited $rc"

# 3. Bad input: exit 1 with one line; usage errors exit 2.
mkdir "$tmp/nolabels"
"$RELABEL_BIN" train --dataset camvid:"$tmp/nolabels" --out "$tmp/x.safetensors" 2>"$tmp/err"
rc=$?; [ $rc -eq 1 ] || fail "missing dataset exited $rc"
[ "$(wc -l < "$tmp/err")" -eq 1 ] || fail "missing dataset: not one line: $(cat "$tmp/err")"
"$RELABEL_BIN" train --out "$tmp/x.safetensors" 2>/dev/null; rc=$?
[ $rc -eq 2 ] || fail "missing --dataset exited $rc"
"$RELABEL_BIN" train $common --out "$tmp/x.safetensors" --crop 3x3 2>/dev/null; rc=$?
[ $rc -eq 2 ] || fail "bad --crop exited $rc"
# A model whose class count differs from the dataset's.
/usr/bin/python3 "$RELABEL_SOURCE_ROOT/tests/train/compare_models.py" --retag \
  "$tmp/a.safetensors" "$tmp/five.safetensors" 5 || fail "could not make a 5-class model"
"$RELABEL_BIN" train $common --out "$tmp/x.safetensors" --iters 1 --init "$tmp/five.safetensors" \
  2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] || fail "5-class init exited $rc"
grep -q "classes" "$tmp/err" || fail "5-class init: $(cat "$tmp/err")"
# The loss keys: a model without them (made before they existed) still loads; malformed ones
# are refused with the key's name.
cm="$RELABEL_SOURCE_ROOT/tests/train/compare_models.py"
/usr/bin/python3 "$cm" --meta "$tmp/a.safetensors" "$tmp/old1.safetensors" class_weights - \
  && /usr/bin/python3 "$cm" --meta "$tmp/old1.safetensors" "$tmp/old2.safetensors" loss - \
  && /usr/bin/python3 "$cm" --meta "$tmp/old2.safetensors" "$tmp/old.safetensors" \
    class_weight_power - || fail "could not strip the loss keys"
"$RELABEL_BIN" train $common $aug --out "$tmp/x.safetensors" --iters 1 --init "$tmp/old.safetensors" \
  || fail "a model without loss keys was refused"
/usr/bin/python3 "$cm" --meta "$tmp/a.safetensors" "$tmp/badw.safetensors" class_weights "[1, 2]" \
  || fail "could not write bad class_weights"
"$RELABEL_BIN" train $common --out "$tmp/x.safetensors" --iters 1 --init "$tmp/badw.safetensors" \
  2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] || fail "2 class weights for 11 classes exited $rc"
grep -q "class_weights" "$tmp/err" || fail "bad class_weights: $(cat "$tmp/err")"
# A label value beyond the spec.
mkdir -p "$tmp/bad/train" "$tmp/bad/trainannot"
first=$(head -1 "$tmp/ds/train.txt" | sed 's|.*/train/\([^ ]*\) .*|\1|')
cp "$RELABEL_CAMVID/train/$first" "$tmp/bad/train/"
/usr/bin/python3 -c "
import zlib, struct, sys
w, h = 480, 360
raw = b''.join(b'\x00' + bytes([200]) * w for _ in range(h))
def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))
png = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 0, 0, 0, 0)) \
    + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b'')
open(sys.argv[1], 'wb').write(png)" "$tmp/bad/trainannot/$first"
echo "/SegNet/CamVid/train/$first /SegNet/CamVid/trainannot/$first" > "$tmp/bad/train.txt"
"$RELABEL_BIN" train --dataset camvid:"$tmp/bad" --out "$tmp/x.safetensors" --iters 1 -q \
  2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] || fail "label value 200 exited $rc"
grep -q "200" "$tmp/err" || fail "label value 200: $(cat "$tmp/err")"
echo "ok: learning, resume equivalence (plain, recipe, input-norm, held-out), held-out choice, loss metadata, bad input"
