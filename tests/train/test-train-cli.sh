#!/bin/sh
# relabel train end to end on 8 real CamVid images at 1/8 scale: the loss falls and training-set
# accuracy (validated on the same images) rises far above chance; a run stopped after k steps and
# resumed for N-k more ends with the same weights as N steps straight; bad input is refused.
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
echo "ok: learning, resume equivalence, bad input"
