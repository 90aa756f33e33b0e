#!/bin/sh
# Issue 21's decoder variants through the CLI on real CamVid (tiny: scale 1/16, 2 iterations):
# relabel train --arch VARIANT writes a model whose metadata names the variant, relabel predict
# runs it (the same labels on every engine path it has, layer by layer, with one note), and an
# unknown --arch is a usage error that lists the names.
set -u
BIN="$RELABEL_BIN"
CAMVID="$RELABEL_CAMVID"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail () { echo "FAIL: $*"; exit 1; }
IMG="$CAMVID/val/0016E5_07959.png"

for arch in fcn-basic segnet-basic-single-channel-decoder; do
  "$BIN" train --dataset "camvid:$CAMVID" --arch $arch --iters 2 --batch 2 --scale 0.0625 \
    --val-split "" --out "$TMP/$arch.safetensors" --threads 2 2> "$TMP/train.log" \
    || { cat "$TMP/train.log"; fail "train --arch $arch"; }
  grep -q "^training $arch on" "$TMP/train.log" || fail "$arch: $(head -3 "$TMP/train.log")"
  grep -q "iter 2/2 .*loss" "$TMP/train.log" || fail "$arch: train printed no progress"
  # the arch in the file's metadata (safetensors: 8-byte length, then the JSON header)
  /usr/bin/python3 -c "
import json, struct, sys
d = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', d[:8])[0]
sys.exit(0 if json.loads(d[8:8 + n])['__metadata__']['arch'] == sys.argv[2] else 1)" \
    "$TMP/$arch.safetensors" $arch || fail "$arch: metadata arch"
  "$BIN" predict --model "$TMP/$arch.safetensors" --out "$TMP/$arch-ref" --engine reference \
    "$IMG" 2> "$TMP/err" || fail "$arch: predict: $(cat "$TMP/err")"
  [ -s "$TMP/$arch-ref/0016E5_07959.png" ] || fail "$arch: no prediction written"
  [ -s "$TMP/err" ] && fail "$arch: the reference path printed: $(cat "$TMP/err")"
  for p in fp32 bf16; do
    "$BIN" predict --model "$TMP/$arch.safetensors" --out "$TMP/$arch-$p" --engine $p "$IMG" \
      2> "$TMP/err-$p" || {
      grep -q "needs oneDNN\|no native bf16" "$TMP/err-$p" && continue  # path absent
      fail "$arch: predict --engine $p: $(cat "$TMP/err-$p")"; }
    [ "$(wc -l < "$TMP/err-$p")" -eq 1 ] && grep -q "^relabel: note: $arch runs layer by layer" \
      "$TMP/err-$p" || fail "$arch --engine $p: note: $(cat "$TMP/err-$p")"
    same=$(/usr/bin/python3 -c "
import sys, numpy as np
from PIL import Image
a, b = (np.array(Image.open(f)) for f in sys.argv[1:3])
print((a == b).mean() if a.shape == b.shape == (360, 480) else 0)" \
      "$TMP/$arch-ref/0016E5_07959.png" "$TMP/$arch-$p/0016E5_07959.png")
    echo "# $arch --engine $p: labels agree with the reference on $same of the pixels"
    # bf16 (asked for: the automatic path of a variant is fp32): FCN-Basic to 95 %; the
    # single-channel decoder's labels follow unpooling positions that bf16 rounding moves on an
    # untrained model's near-ties (77 % measured), so only that it runs is checked there
    want=0.999; [ $p = bf16 ] && want=0.95
    [ $p = bf16 ] && [ $arch != fcn-basic ] && want=0
    /usr/bin/python3 -c "import sys; sys.exit(0 if $same >= $want else 1)" \
      || fail "$arch --engine $p agrees with the reference on only $same of the pixels"
  done
done

"$BIN" train --dataset "camvid:$CAMVID" --arch fcn-basik --iters 1 --out "$TMP/x.safetensors" \
  2> "$TMP/err"
[ $? -eq 2 ] || fail "unknown --arch is not a usage error"
grep -q "arch wants one of segnet-basic, segnet, bilinear-interpolation, .*fcn-basic-no-addition-no-dim-reduction, not 'fcn-basik'" \
  "$TMP/err" || fail "--arch message: $(cat "$TMP/err")"
echo "ok"
