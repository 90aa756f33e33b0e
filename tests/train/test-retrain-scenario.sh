#!/bin/sh
# Issue 14's Retrain scenario with fewer images (retrain_scenario.py): 24 CamVid val images, 4 of
# them with the Road under (240, 330) painted Pavement, the shipped model as version 1, then
# `relabel finetune` with its defaults (the GUI's Retrain's too). The corrections must move the
# model (their mIoU up by at least 0.02) while nothing else gets worse (G and mIoU of the other
# images against CamVid's labels down by at most 0.5 point), and the new version becomes current.
# Then a destructive fine-tune of the same project (lr 0.03, batch-norm statistics taken from its
# batches) must score worse on the held-out images, be kept but not made current, and say why in
# one line; the current version stays.
set -u
fail() { echo "FAIL: $*"; exit 1; }
[ -d "$RELABEL_CAMVID/val" ] || fail "no CamVid at $RELABEL_CAMVID"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
model="$RELABEL_SOURCE_ROOT/resources/models/segnet-basic-camvid.safetensors"
/usr/bin/python3 "$RELABEL_SOURCE_ROOT/tests/train/retrain_scenario.py" --relabel "$RELABEL_BIN" \
  --camvid "$RELABEL_CAMVID" --model "$model" --work "$tmp/s" --images 24 > "$tmp/s.json" \
  || fail "the scenario did not run"
/usr/bin/python3 - "$tmp/s.json" <<'PY' || exit 1
import json, sys
d = json.load(open(sys.argv[1]))
cb, ca = d["corrected_before"]["miou"], d["corrected_after"]["miou"]
ob, oa = d["others_before"], d["others_after"]
print("finetune %.0f s; corrected mIoU %.3f -> %.3f; others G %.2f -> %.2f, mIoU %.2f -> %.2f"
      % (d["seconds"], cb, ca, 100 * ob["global_accuracy"], 100 * oa["global_accuracy"],
         100 * ob["miou"], 100 * oa["miou"]))
print(d["finetune_stdout"])
assert ca >= cb + 0.02, "the corrections did not move the model enough"
assert oa["global_accuracy"] >= ob["global_accuracy"] - 0.005, "G on the other images fell"
assert oa["miou"] >= ob["miou"] - 0.005, "mIoU on the other images fell"
v = d["models"]
assert [m["current"] for m in v] == [False, True], v
assert v[1]["corrected"]["after"]["in_sample"] and not v[1]["heldout"]["after"]["in_sample"], v
PY

# A destructive fine-tune: kept as version 3, not made current, one line on stderr saying why.
P="$tmp/s/p.relabel"
"$RELABEL_BIN" finetune --project "$P" --out "$tmp/bad.safetensors" --lr 0.03 --train-bn \
  --iters 10 > "$tmp/out" 2> "$tmp/err" || fail "the destructive fine-tune exited $?: $(cat "$tmp/err")"
# progress lines and notes (e.g. "note: no labelled 'train' images: ...") aside, one line
grep -v "^iter \|^training \|^labels written\|^scoring image\|^note: " "$tmp/err" > "$tmp/err1"
[ "$(wc -l < "$tmp/err1")" -eq 1 ] \
  && grep -q "^relabel: version 3 was not made current: on [0-9]* held-out images it scored worse: .*; version 2 stays current$" "$tmp/err1" \
  || fail "no one-line reason: $(cat "$tmp/err1")"
"$RELABEL_BIN" models --project "$P" --json > "$tmp/models.json" || fail "relabel models"
/usr/bin/python3 - "$tmp/models.json" <<'PY' || exit 1
import json, sys
v = json.load(open(sys.argv[1]))
assert [m["current"] for m in v] == [False, True, False], v
h = v[2]["heldout"]
assert (h["after"]["global_accuracy"] < h["before"]["global_accuracy"] - 0.005
        or h["after"]["miou"] < h["before"]["miou"] - 0.005), h
assert v[2]["not_current_reason"].startswith("not made current: on "), v[2]
print("destructive version: held-out G %.1f -> %.1f, mIoU %.1f -> %.1f: not made current"
      % (100 * h["before"]["global_accuracy"], 100 * h["after"]["global_accuracy"],
         100 * h["before"]["miou"], 100 * h["after"]["miou"]))
PY
echo "ok: the corrections move the model, nothing else gets worse; a worse version is not made current"
