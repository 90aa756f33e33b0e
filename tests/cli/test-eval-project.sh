#!/bin/sh
# relabel eval --project: a model version of a project scored inside it (issue 18's CLI), on a
# project of 3 CamVid val + 2 train images with the shipped model as version 1.
# - Its JSON equals `relabel predict` + `relabel eval --gt --pred` on the same images (the folder
#   path is independent of the project: files, not stored predictions and masks), and its
#   per-image confusion pairs add up to that path's confusion matrix; --cell lists the images of
#   one confusion cell, most pixels first.
# - --labels original scores against the imported labels, --labels current against the edited
#   ones; a paint stroke changes one and not the other, and the confusion counts follow it.
# - The shipped model's file says it trained on CamVid train: the project records those images as
#   its training images, also when imported after the model. A version fine-tuned on the train images marks exactly those in-sample.
# - Each run is stored as a metrics run under its key, and `relabel models` shows it with the
#   version's settings; --images, --rename and --delete (never the current version).
# - Bad input exits 1 or 2 with one line.
set -u
fail() { echo "FAIL: $*"; exit 1; }
[ -d "$RELABEL_CAMVID/val" ] || fail "no CamVid at $RELABEL_CAMVID"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/ds" "$tmp/gt" "$tmp/pred"
for d in train trainannot val valannot; do ln -s "$RELABEL_CAMVID/$d" "$tmp/ds/$d"; done
head -2 "$RELABEL_CAMVID/train.txt" > "$tmp/ds/train.txt"
head -3 "$RELABEL_CAMVID/val.txt" > "$tmp/ds/val.txt"
P="$tmp/p.relabel"
model="$RELABEL_SOURCE_ROOT/resources/models/segnet-basic-camvid.safetensors"
q() {
  /usr/bin/python3 -c "import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])" "$P" "$1"
}

"$RELABEL_BIN" import --project "$P" --dataset camvid "$tmp/ds" >/dev/null || fail "import"
"$RELABEL_BIN" eval --project "$P" 2> "$tmp/err" && fail "eval without a model succeeded"
[ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -q "no model to evaluate" "$tmp/err" \
  || fail "no model: $(cat "$tmp/err")"
"$RELABEL_BIN" models --project "$P" --add "$model" >/dev/null || fail "models --add"
# The shipped file lists the images it trained on (CamVid train: trained_on): the project's 2
# train images are recorded as version 1's, from labels the project does not know ("-").
"$RELABEL_BIN" models --project "$P" --images 1 | sort > "$tmp/imgs1" || fail "models --images 1"
sed 's/ .*//; s/.*\///; s/\.png$/\ttrain\t-/' "$tmp/ds/train.txt" | sort > "$tmp/want1"
cmp -s "$tmp/imgs1" "$tmp/want1" || fail "models --images 1: $(cat "$tmp/imgs1")"

# 1. The project's figures equal the folder path's.
"$RELABEL_BIN" eval --project "$P" --split val --labels original --json > "$tmp/proj.json" \
  2> "$tmp/err" || fail "eval --project exited $?: $(cat "$tmp/err")"
grep -q "^scoring image 3/3$" "$tmp/err" || fail "no progress: $(cat "$tmp/err")"
sed 's/ .*//; s/.*\///' "$tmp/ds/val.txt" | while read -r img; do
  echo "$RELABEL_CAMVID/val/$img"
  ln -s "$RELABEL_CAMVID/valannot/$img" "$tmp/gt/$img"
done > "$tmp/list"
"$RELABEL_BIN" predict --model "$model" --out "$tmp/pred" --list "$tmp/list" >/dev/null 2>&1 \
  || fail "predict"
"$RELABEL_BIN" eval --gt "$tmp/gt" --pred "$tmp/pred" --dataset camvid --json > "$tmp/dir.json" \
  || fail "eval --gt --pred"
/usr/bin/python3 - "$tmp/proj.json" "$tmp/dir.json" <<'PY' || exit 1
import json, sys
p, d = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert p["model"] == 1 and p["split"] == "val" and p["labels"] == "original", p
assert p["in_sample_images"] == 0 and not any(i["in_sample"] for i in p["per_image"]), p
for k in ("images", "global_accuracy", "class_accuracy", "miou", "bf", "confusion", "per_class"):
    assert p[k] == d[k], (k, p[k], d[k])
for a, b in zip(p["per_image"], d["per_image"]):
    a = dict(a); del a["in_sample"]; del a["confusion_pairs"]
    assert a == b, (a, b)
# the per-image off-diagonal pairs add up to the folder path's confusion matrix
K = len(d["confusion"])
total = [[0] * (K + 1) for _ in range(K)]
for img in p["per_image"]:
    for t, q, n in img["confusion_pairs"]:
        assert t != q and n > 0, (t, q, n)
        total[t][q] += n
for t in range(K):
    for q in range(K):
        if t != q:
            assert total[t][q] == d["confusion"][t][q], (t, q, total[t][q], d["confusion"][t][q])
# the biggest off-diagonal cell, for --cell below
t, q = max(((t, q) for t in range(K) for q in range(K) if t != q), key=lambda c: total[c[0]][c[1]])
open(sys.argv[1] + ".cell", "w").write("%d,%d\n" % (t, q))
want = sorted(((-n, i["name"]) for i in p["per_image"] for tt, qq, n in i["confusion_pairs"]
               if (tt, qq) == (t, q)))
open(sys.argv[1] + ".want", "w").write("".join("%s\t%d\n" % (name, -n) for n, name in want))
assert p["images"] == 3 and 400000 < sum(map(sum, p["confusion"])) <= 3 * 480 * 360, p["confusion"]
print("project and folder agree: G %.4f mIoU %.4f BF %.4f" % (p["global_accuracy"], p["miou"], p["bf"]))
PY
[ "$(q "select count(*) from predictions where model_id = 1")" = 3 ] || fail "predictions not stored"
# --cell A,B: the images with pixels labelled A and predicted B, most first.
"$RELABEL_BIN" eval --project "$P" --split val --labels original --cell "$(cat "$tmp/proj.json.cell")" \
  > "$tmp/cell" 2>/dev/null || fail "eval --cell"
[ -s "$tmp/cell" ] && cmp -s "$tmp/cell" "$tmp/proj.json.want" \
  || fail "--cell $(cat "$tmp/proj.json.cell"): $(cat "$tmp/cell") vs $(cat "$tmp/proj.json.want")"
"$RELABEL_BIN" eval --project "$P" --cell 1 2>/dev/null; [ $? -eq 2 ] || fail "--cell 1"

# 2. A stroke painting class 4 changes the current labels only.
img=$(sed -n '1{s/ .*//; s/.*\///; s/\.png$//; p}' "$tmp/ds/val.txt")
"$RELABEL_BIN" paint --project "$P" --image "$img" --class 4 --radius 40 --stroke "200,200 300,250" \
  >/dev/null || fail "paint"
"$RELABEL_BIN" eval --project "$P" --model 1 --split val --labels current --json > "$tmp/cur.json" \
  2>/dev/null || fail "eval --labels current"
"$RELABEL_BIN" eval --project "$P" --split val --labels original --json > "$tmp/orig.json" \
  2>/dev/null || fail "eval --labels original, again"
/usr/bin/python3 - "$tmp/proj.json" "$tmp/orig.json" "$tmp/cur.json" <<'PY' || exit 1
import json, sys
before, orig, cur = (json.load(open(f)) for f in sys.argv[1:])
assert orig["confusion"] == before["confusion"], "the original labels changed"
# every painted pixel that was not already Pavement moved into row 4 (void pixels join it)
rows = lambda m, r: sum(m["confusion"][r])
assert rows(cur, 4) > rows(orig, 4) + 5000, (rows(cur, 4), rows(orig, 4))
assert cur["labels"] == "current" and cur["confusion"] != orig["confusion"]
PY

# 3. A version fine-tuned on the 2 train images: exactly those are in-sample.
"$RELABEL_BIN" finetune --project "$P" --out "$tmp/m2.safetensors" --iters 1 --scale 0.125 \
  --threads 1 --heldout 0 -q \
  >/dev/null 2>&1 || fail "finetune"
"$RELABEL_BIN" eval --project "$P" --model 2 --json > "$tmp/v2.json" 2>/dev/null \
  || fail "eval --model 2"
train=$(sed 's/ .*//; s/.*\///; s/\.png$//' "$tmp/ds/train.txt" | sort | tr '\n' ' ')
/usr/bin/python3 - "$tmp/v2.json" "$train" <<'PY' || exit 1
import json, sys
v = json.load(open(sys.argv[1]))
assert v["model"] == 2 and v["split"] is None and v["images"] == 5, v
marked = sorted(i["name"] for i in v["per_image"] if i["in_sample"])
assert v["in_sample_images"] == 2 and marked == sys.argv[2].split(), (marked, sys.argv[2])
PY
"$RELABEL_BIN" eval --project "$P" --model 2 2>/dev/null | grep -q "5 images, 2 of them in-sample" \
  || fail "the text output does not say in-sample"

# 4. Stored runs, one per evaluation, under their keys (before any more are added).
[ "$(q "select count(*) from metrics_runs where model_id = 1 and split = 'val:original'")" = 2 ] \
  || fail "val:original runs"
[ "$(q "select count(*) from metrics_runs where model_id = 1 and split = 'val'")" = 1 ] \
  || fail "val run"
[ "$(q "select count(*) from metrics_runs where model_id = 2 and split = 'all'")" = 2 ] \
  || fail "all run"

# 5. relabel models shows the stored runs, the settings and the images a version trained on;
# rename; delete (never the current version; a deleted version's runs and predictions go too).
"$RELABEL_BIN" models --project "$P" --json > "$tmp/models.json" || fail "models --json"
"$RELABEL_BIN" eval --project "$P" --model 1 --split val --json > "$tmp/v1val.json" 2>/dev/null \
  || fail "eval --model 1 --split val"
"$RELABEL_BIN" models --project "$P" --json > "$tmp/models.json" || fail "models --json"
/usr/bin/python3 - "$tmp/models.json" "$tmp/v1val.json" "$tmp/v2.json" <<'PY' || exit 1
import json, sys
m, v1, v2 = (json.load(open(f)) for f in sys.argv[1:])
runs = m[0]["metrics"]
assert sorted(runs) == ["val", "val:original"], runs
assert runs["val"]["miou"] == v1["miou"] and runs["val"]["global_accuracy"] == v1["global_accuracy"]
assert m[1]["metrics"]["all"]["in_sample_images"] == 2 and m[1]["metrics"]["all"]["bf"] == v2["bf"]
assert m[0]["settings"] is None and m[1]["settings"]["job"] == "finetune", m[1]["settings"]
PY
"$RELABEL_BIN" models --project "$P" | grep -q "^    val  *3 images: G " || fail "models text: no run"
"$RELABEL_BIN" models --project "$P" --images 2 | cut -f1 | sort | tr '\n' ' ' > "$tmp/imgs"
[ "$(cat "$tmp/imgs")" = "$train" ] || fail "models --images 2: $(cat "$tmp/imgs") vs $train"
"$RELABEL_BIN" models --project "$P" --rename 2 --name "street fix" >/dev/null || fail "rename"
[ "$(q "select name from models where id = 2")" = "street fix" ] || fail "not renamed"
"$RELABEL_BIN" eval --project "$P" --model "street fix" --split val --json 2>/dev/null \
  | grep -q '"model" : 2' || fail "eval --model by name"
cur=$(q "select id from models where current = 1")
"$RELABEL_BIN" models --project "$P" --delete "$cur" 2> "$tmp/err"; st=$?
[ $st -eq 1 ] && grep -q "is the current model" "$tmp/err" || fail "deleting the current: $st"
other=$((3 - cur))
"$RELABEL_BIN" models --project "$P" --delete "$other" >/dev/null || fail "delete $other"
[ "$(q "select count(*) from models")/$(q "select count(*) from metrics_runs where model_id = $other")/$(q "select count(*) from predictions where model_id = $other")" = "1/0/0" ] \
  || fail "version $other not deleted with its runs and predictions"

# 5b. An image imported after the model entered the project is matched too: the remaining
# version's file lists CamVid train (the shipped model's list, carried by a fine-tune).
head -3 "$RELABEL_CAMVID/train.txt" > "$tmp/ds/train.txt"
"$RELABEL_BIN" import --project "$P" --dataset camvid "$tmp/ds" >/dev/null || fail "import again"
third=$(sed -n '3{s/ .*//; s/.*\///; s/\.png$//; p}' "$tmp/ds/train.txt")
"$RELABEL_BIN" models --project "$P" --images "$cur" | grep -q "^$third	train	-$" \
  || fail "the image imported later is not recorded: $("$RELABEL_BIN" models --project "$P" \
  --images "$cur")"

# 6. Bad input.
"$RELABEL_BIN" eval --project "$P" --model 9 2> "$tmp/err"; st=$?
[ $st -eq 1 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -q "no model version '9'" "$tmp/err" \
  || fail "unknown version: exit $st, $(cat "$tmp/err")"
"$RELABEL_BIN" eval --project "$P" --split nosuch 2> "$tmp/err"; st=$?
[ $st -eq 1 ] && grep -q "no image of split 'nosuch' has current labels" "$tmp/err" \
  || fail "unknown split: exit $st, $(cat "$tmp/err")"
"$RELABEL_BIN" eval --project "$P" --labels both 2>/dev/null; [ $? -eq 2 ] || fail "--labels both"
"$RELABEL_BIN" eval --model 1 --gt "$tmp/gt" --pred "$tmp/pred" --dataset camvid 2>/dev/null
[ $? -eq 2 ] || fail "--model without --project"
"$RELABEL_BIN" eval --project "$tmp/none.relabel" 2> "$tmp/err"; st=$?
[ $st -eq 1 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] || fail "missing project: exit $st"
echo "ok"
