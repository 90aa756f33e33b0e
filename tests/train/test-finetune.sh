#!/bin/sh
# relabel finetune end to end on a project of 6 CamVid train + 2 val images at 1/8 scale: new model
# versions (parent recorded when the base came from the project, the exact training images and
# their label versions, the current flag following the held-out check), `relabel models` (text and
# JSON, in-sample marking), a val metrics run equal to `relabel predict` + `relabel eval` of the
# written model and whose confusion counts every non-void val pixel (counted here from the PNGs),
# --corrected-only, --train-last (only the last layers change), cancel, bad input, no temp files
# left.
set -u
fail() { echo "FAIL: $*"; exit 1; }
[ -d "$RELABEL_CAMVID/train" ] || fail "no CamVid at $RELABEL_CAMVID"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/ds" "$tmp/tmpdir"
for d in train trainannot val valannot; do ln -s "$RELABEL_CAMVID/$d" "$tmp/ds/$d"; done
head -6 "$RELABEL_CAMVID/train.txt" > "$tmp/ds/train.txt"
head -2 "$RELABEL_CAMVID/val.txt" > "$tmp/ds/val.txt"
P="$tmp/p.relabel"
# The job's temporary folder goes under TMPDIR: it must be empty again after every run.
export TMPDIR="$tmp/tmpdir"
no_temp() { [ -z "$(ls -A "$TMPDIR")" ] || fail "temporary files left after $1: $(ls "$TMPDIR")"; }
q() {
  /usr/bin/python3 -c "import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])" "$P" "$1"
}

"$RELABEL_BIN" import --project "$P" --dataset camvid "$tmp/ds" >/dev/null || fail "import"
"$RELABEL_BIN" train --dataset camvid:"$tmp/ds" --out "$tmp/base.safetensors" --iters 3 \
  --scale 0.125 --threads 1 --val-split= -q || fail "base training"
ft="--iters 2 --scale 0.125 --threads 1 -q"

# 0. relabel models --add: version 1, current.
"$RELABEL_BIN" models --project "$P" --add "$tmp/base.safetensors" > "$tmp/out0" \
  || fail "models --add exited $?"
grep -q "^version 1 added" "$tmp/out0" || fail "models --add: $(cat "$tmp/out0")"
[ "$(q 'select id from models where current = 1')" = 1 ] || fail "version 1 is not current"

# 1. From a model file: stored without a parent; the held-out images (1 of the 2 val ones) are
# scored before and after, and the new version is current exactly when the check passed.
"$RELABEL_BIN" finetune --project "$P" --model "$tmp/base.safetensors" --out "$tmp/m1.safetensors" \
  $ft > "$tmp/out1" 2>"$tmp/err1" || fail "finetune from a file exited $?"
no_temp "finetune 1"
[ -f "$tmp/m1.safetensors" ] || fail "m1 not written"
grep -q "^version 2 " "$tmp/out1" || fail "no version printed: $(cat "$tmp/out1")"
[ "$(q 'select count(*) from models')" = 2 ] || fail "version 2 not stored"
[ "$(q 'select parent_id from models where id = 2')" = None ] || fail "version 2 has a parent"
grep -q "^held-out     1 images  before: G .* after: G " "$tmp/out1" \
  || fail "no held-out scores: $(cat "$tmp/out1")"
/usr/bin/python3 - "$P" "$tmp/out1" "$tmp/err1" <<'PY' || exit 1
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
c = json.loads(db.execute("select config from models where id = 2").fetchone()[0])
h = c["heldout"]
assert h["images"] == 1 and c["heldout_images"] == 1, c
ok = (h["after"]["global_accuracy"] >= h["before"]["global_accuracy"] - 0.005
      and h["after"]["miou"] >= h["before"]["miou"] - 0.005)
current = db.execute("select id from models where current = 1").fetchone()[0]
assert c["made_current"] == ok and current == (2 if ok else 1), (c, current)
err = open(sys.argv[3]).read()
assert ok == ("not made current" not in err), err
# trained on the 6 train images, each with its label revision and the SHA-1 of its mask
rows = db.execute("select image_id, rev, label_sha1 from model_train_images where model_id = 2"
                  " order by image_id").fetchall()
ids = [r[0] for r in db.execute("select id from images where split = 'train' order by id")]
assert [r[0] for r in rows] == ids and len(ids) == 6, (rows, ids)
assert all(len(r[2]) == 40 for r in rows), rows
# relabel train stored its loss weights in the base's metadata: the fine-tune trains with them
assert (c["loss"], c["class_weights_from"], c["freeze_bn"]) == ("cross_entropy", "model", True), c
print("version 2:", "made current" if ok else "not made current")
PY

# 2. From the project's current model: parent recorded.
cur=$(q 'select id from models where current = 1')
"$RELABEL_BIN" finetune --project "$P" --out "$tmp/m2.safetensors" $ft --val-split val \
  > "$tmp/out2" 2>/dev/null || fail "finetune from the project exited $?"
no_temp "finetune 2"
[ "$(q 'select count(*) from models')" = 3 ] || fail "version 3 not stored"
[ "$(q 'select parent_id from models where id = 3')" = "$cur" ] \
  || fail "version 3's parent is not the current version $cur"
[ "$(q 'select json_extract(config, "$.train_images") from models where id = 3')" = 6 ] \
  || fail "version 3 not trained on the 6 train images"
grep -q "^val (2 images" "$tmp/out2" || fail "no val metrics printed: $(cat "$tmp/out2")"

# 3. The stored metrics: ranges, K x K confusion over every non-void val pixel, and the same
# numbers as relabel predict + relabel eval of the written model file; the stored blob is m2.
mkdir "$tmp/pred" "$tmp/gt"
for n in $(sed 's|.*/val/\([^ ]*\) .*|\1|' "$tmp/ds/val.txt"); do
  ln -s "$RELABEL_CAMVID/valannot/$n" "$tmp/gt/$n"
done
"$RELABEL_BIN" predict --model "$tmp/m2.safetensors" --out "$tmp/pred" --threads 1 \
  --list "$tmp/ds/val.txt" >/dev/null || fail "predict"
"$RELABEL_BIN" eval --gt "$tmp/gt" --pred "$tmp/pred" --dataset camvid --json > "$tmp/eval.json" \
  || fail "eval"
/usr/bin/python3 - "$P" "$tmp/gt" "$tmp/eval.json" "$tmp/m2.safetensors" <<'PY' || exit 1
import json, os, sqlite3, sys
import numpy as np
from PIL import Image
db = sqlite3.connect(sys.argv[1])
rows = db.execute("select model_id, split, metrics from metrics_runs where split = 'val'"
                  " order by id").fetchall()
assert [(r[0], r[1]) for r in rows] == [(3, "val")], rows
m = json.loads(rows[0][2])
assert m["images"] == 2, m["images"]
for k in ("global_accuracy", "class_accuracy", "miou", "bf"):
    assert 0 <= m[k] <= 1, (k, m[k])
for c in m["per_class"]:
    for k in ("accuracy", "iou", "bf"):
        assert c[k] is None or 0 <= c[k] <= 1, (c, k)
conf = np.array(m["confusion"])
assert conf.shape == (11, 11), conf.shape

labels = [np.array(Image.open(os.path.join(sys.argv[2], n))) for n in sorted(os.listdir(sys.argv[2]))]
nonvoid = sum(int((l < 11).sum()) for l in labels)
assert conf.sum() == nonvoid, (conf.sum(), nonvoid)
assert sum(c["pixels"] for c in m["per_class"]) == nonvoid
ref = json.load(open(sys.argv[3]))
assert ref["confusion"] == m["confusion"], "confusion differs from relabel eval of the model file"
for k in ("global_accuracy", "class_accuracy", "miou", "bf"):
    assert abs(ref[k] - m[k]) < 1e-9, (k, ref[k], m[k])
assert [i["name"] for i in m["per_image"]] == [i["name"] for i in ref["per_image"]]
blob = db.execute("select weights from models where id = 3").fetchone()[0]
assert blob == open(sys.argv[4], "rb").read(), "stored weights differ from the written file"
print(f"val G {m['global_accuracy']:.3f} mIoU {m['miou']:.3f}; {nonvoid} non-void pixels")
PY

# 4. --corrected-only: nothing corrected yet is an error; after one stroke, one training image.
"$RELABEL_BIN" finetune --project "$P" --out "$tmp/x.safetensors" $ft --corrected-only \
  2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] || fail "--corrected-only without corrections exited $rc"
grep -q "human-corrected" "$tmp/err" || fail "--corrected-only: $(cat "$tmp/err")"
first=$(head -1 "$tmp/ds/train.txt" | sed 's|.*/train/\([^ ]*\)\.png .*|\1|')
"$RELABEL_BIN" paint --project "$P" --image "$first" --class 3 --radius 20 \
  --stroke "100,100 300,100" >/dev/null || fail "paint"
"$RELABEL_BIN" finetune --project "$P" --out "$tmp/m3.safetensors" $ft --corrected-only \
  --val-split= >"$tmp/out4" 2>/dev/null || fail "--corrected-only after a stroke exited $?"
[ "$(q 'select json_extract(config, "$.train_images") from models where id = 4')" = 1 ] \
  || fail "--corrected-only did not train on the one corrected image"
[ "$(q "select count(*) from metrics_runs where split = 'val'")" = 1 ] \
  || fail "--val-split= stored metrics"
# The corrected image's scores after are in-sample (the version trained on it), and say so.
grep -q "^corrected    1 images  before: G .*  after: G .* (in-sample)$" "$tmp/out4" \
  || fail "corrected scores not marked in-sample: $(cat "$tmp/out4")"
"$RELABEL_BIN" models --project "$P" > "$tmp/models" || fail "relabel models exited $?"
grep -q "^version 4" "$tmp/models" && grep -q "corrected .* (in-sample before and after)" "$tmp/models" \
  && grep -q "parent version .*, trained on 6 images" "$tmp/models" \
  && grep -q "^    trained on 6 images" "$tmp/models" \
  || fail "relabel models: $(cat "$tmp/models")"
"$RELABEL_BIN" models --project "$P" --json > "$tmp/models.json" || fail "models --json"
/usr/bin/python3 - "$P" "$tmp/models.json" "$tmp/ds/train.txt" "$first" <<'PY' || exit 1
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
train_first = sys.argv[4]
v = json.load(open(sys.argv[2]))
assert [m["version"] for m in v] == [1, 2, 3, 4], v
assert [m["current"] for m in v].count(True) == 1, v
cur = db.execute("select id from models where current = 1").fetchone()[0]
assert [m["version"] for m in v if m["current"]] == [cur], (v, cur)
m4 = v[3]
# trained_on counts the project's images the weights learnt from: version 4's own fine-tune (the
# corrected image, at its label revision) and, through the trained_on of its file, those its
# ancestors learnt from (the base's 6, recorded by relabel train; revision -1)
assert m4["trained_on"] == 6 and m4["corrected"]["images"] == 1, m4
assert m4["settings"]["train_images"] == 1, m4
assert m4["corrected"]["after"]["in_sample"] is True, m4
assert m4["heldout"]["after"]["in_sample"] is False, m4
assert v[0]["trained_on"] == 6 and v[0]["heldout"] is None, v[0]
rows = db.execute("select i.name, t.rev, t.label_sha1 from model_train_images t join images i"
                  " on i.id = t.image_id where t.model_id = ? order by i.name", (1,)).fetchall()
train = sorted(l.split()[0].rsplit("/", 1)[1][:-4] for l in open(sys.argv[3]))
assert [r[0] for r in rows] == train and all(r[1:] == (-1, "") for r in rows), (rows, train)
rows = db.execute("select i.name, t.rev, t.label_sha1 from model_train_images t join images i"
                  " on i.id = t.image_id where t.model_id = 4 and t.rev >= 0").fetchall()
assert len(rows) == 1 and rows[0][0] == train_first and len(rows[0][2]) == 40, rows
PY
# --set-current picks any version; an unknown one is a one-line error.
"$RELABEL_BIN" models --project "$P" --set-current 1 >/dev/null || fail "--set-current 1"
[ "$(q 'select id from models where current = 1')" = 1 ] || fail "--set-current 1 not applied"
"$RELABEL_BIN" models --project "$P" --set-current 9 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -q "no model with id 9" "$tmp/err" \
  || fail "--set-current 9 exited $rc: $(cat "$tmp/err")"
[ "$(q 'select id from models where current = 1')" = 1 ] || fail "a refused --set-current changed it"

# 5. A project with only val images (like the demo) trains on every labelled image, and says so.
mkdir "$tmp/valonly"
for d in val valannot; do ln -s "$RELABEL_CAMVID/$d" "$tmp/valonly/$d"; done
cp "$tmp/ds/val.txt" "$tmp/valonly/val.txt"
"$RELABEL_BIN" import --project "$tmp/v.relabel" --dataset camvid "$tmp/valonly" >/dev/null \
  || fail "import val only"
"$RELABEL_BIN" finetune --project "$tmp/v.relabel" --model "$tmp/base.safetensors" \
  --out "$tmp/v.safetensors" --iters 1 --scale 0.125 --threads 1 > /dev/null 2>"$tmp/err" \
  || fail "val-only project exited $?: $(cat "$tmp/err")"
grep -q "no labelled 'train' images: training on the 1 labelled images" "$tmp/err" \
  || fail "no fallback note: $(cat "$tmp/err")"
/usr/bin/python3 -c "
import json, sqlite3, sys
c = json.loads(sqlite3.connect(sys.argv[1]).execute('select config from models').fetchone()[0])
assert (c['train_split'], c['train_images'], c['heldout_images']) == ('*', 1, 1), c
assert c['heldout']['after_in_sample'] is False, c" \
  "$tmp/v.relabel" || fail "val-only config"

# 5a. A project of the base's own training images only: every labelled image is one the model
# learnt from (its file's trained_on), so those are held out, in-sample before and after.
mkdir "$tmp/trainonly"
for d in train trainannot; do ln -s "$RELABEL_CAMVID/$d" "$tmp/trainonly/$d"; done
cp "$tmp/ds/train.txt" "$tmp/trainonly/train.txt"
"$RELABEL_BIN" import --project "$tmp/t.relabel" --dataset camvid "$tmp/trainonly" >/dev/null \
  || fail "import train only"
"$RELABEL_BIN" finetune --project "$tmp/t.relabel" --model "$tmp/base.safetensors" \
  --out "$tmp/t.safetensors" --iters 1 --scale 0.125 --threads 1 > "$tmp/out5a" 2>"$tmp/err" \
  || fail "train-only project exited $?: $(cat "$tmp/err")"
grep -q "^held-out     2 images  before: G .* (in-sample)  after: G .* (in-sample)$" "$tmp/out5a" \
  || fail "held-out images the base trained on not marked in-sample: $(cat "$tmp/out5a")"
/usr/bin/python3 -c "
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
# the new version (the base was given as a file, not stored) learnt from all 6: 4 in its own
# fine-tune, the 2 held out through the base
assert db.execute('select count(*) from model_train_images where model_id = 1').fetchone()[0] == 6
assert db.execute('select count(*) from model_train_images where model_id = 1 and rev = -1'
                  ).fetchone()[0] == 2
c = json.loads(db.execute('select config from models where id = 1').fetchone()[0])
assert (c['train_images'], c['heldout_images']) == (4, 2), c
assert c['heldout']['before_in_sample'] is True and c['heldout']['after_in_sample'] is True, c" \
  "$tmp/t.relabel" || fail "train-only config"

# 5b. --train-last 1: only the classifier learns; every other tensor of the new version, running
# statistics included, is the base's bit for bit; the option is recorded with the version.
"$RELABEL_BIN" finetune --project "$tmp/v.relabel" --model "$tmp/base.safetensors" \
  --out "$tmp/last1.safetensors" --train-last 1 --iters 2 --scale 0.125 --threads 1 -q \
  > /dev/null 2>"$tmp/err" || fail "--train-last 1 exited $?: $(cat "$tmp/err")"
/usr/bin/python3 - "$RELABEL_SOURCE_ROOT/tests/train" "$tmp/base.safetensors" \
  "$tmp/last1.safetensors" "$tmp/v.relabel" <<'PY' || exit 1
import json, sqlite3, sys
import numpy as np
sys.path.insert(0, sys.argv[1])
from compare_models import read
base, _ = read(sys.argv[2])
new, _ = read(sys.argv[3])
assert sorted(base) == sorted(new), (sorted(base), sorted(new))
learnt = sorted(n for n in base if not np.array_equal(base[n], new[n]))
assert learnt == ["classifier.bias", "classifier.weight"], learnt
c = json.loads(sqlite3.connect(sys.argv[4]).execute(
    "select config from models order by id desc limit 1").fetchone()[0])
assert c["train_last"] == 1, c
print("--train-last 1: %d tensors kept, %s learnt" % (len(base) - len(learnt), learnt))
PY

# 6. Cancel (SIGINT mid-training): exit 1, no new model or metrics, no temp files.
before=$(q 'select count(*) from models')
# The signal goes once the run has caught signals and started (its first progress line), not
# after a fixed pause: a loaded machine may not have got that far in 3 s.
"$RELABEL_BIN" finetune --project "$P" --out "$tmp/c.safetensors" --iters 100000 --scale 0.125 \
  --threads 1 2>"$tmp/err" &
pid=$!
i=0
while [ $i -lt 240 ] && ! grep -q "^labels written for" "$tmp/err"; do sleep 0.25; i=$((i + 1)); done
grep -q "^labels written for" "$tmp/err" \
  || { kill $pid; fail "cancel: no progress line within 60 s: $(cat "$tmp/err")"; }
kill -INT $pid
wait $pid; rc=$?
[ $rc -eq 1 ] || fail "cancelled finetune exited $rc"
grep -q "cancelled" "$tmp/err" || fail "cancel: $(cat "$tmp/err")"
[ "$(q 'select count(*) from models')" = "$before" ] || fail "cancel added a model"
[ ! -e "$tmp/c.safetensors" ] || fail "cancel wrote the model file"
no_temp "cancel"

# 7. Bad input: one line, exit 1; usage errors exit 2; the project is unchanged.
state() { q "select count(*) || '/' || (select count(*) from metrics_runs) from models"; }
state_before=$(state)
"$RELABEL_BIN" finetune --project "$tmp/nope.relabel" --out "$tmp/x.safetensors" 2>"$tmp/err"
rc=$?; [ $rc -eq 1 ] || fail "missing project exited $rc"
[ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -q "nope.relabel" "$tmp/err" \
  || fail "missing project: $(cat "$tmp/err")"
"$RELABEL_BIN" finetune --project "$P" --out "$tmp/x.safetensors" --split test $ft 2>"$tmp/err"
rc=$?; [ $rc -eq 1 ] || fail "no labelled images exited $rc"
[ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -q "no labelled images" "$tmp/err" \
  || fail "no labelled images: $(cat "$tmp/err")"
/usr/bin/python3 "$RELABEL_SOURCE_ROOT/tests/train/compare_models.py" --retag \
  "$tmp/base.safetensors" "$tmp/five.safetensors" 5 || fail "could not make a 5-class model"
"$RELABEL_BIN" finetune --project "$P" --model "$tmp/five.safetensors" --out "$tmp/x.safetensors" \
  $ft 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] || fail "5-class model exited $rc"
[ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -q "5 classes" "$tmp/err" \
  || fail "5-class model: $(cat "$tmp/err")"
"$RELABEL_BIN" finetune --project "$P" --model "$tmp/nothere.safetensors" \
  --out "$tmp/x.safetensors" $ft 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] || fail "missing model file exited $rc"
grep -q "nothere.safetensors" "$tmp/err" || fail "missing model file: $(cat "$tmp/err")"
"$RELABEL_BIN" finetune --project "$P" 2>/dev/null; rc=$?
[ $rc -eq 2 ] || fail "missing --out exited $rc"
"$RELABEL_BIN" finetune --project "$P" --out "$tmp/x.safetensors" --crop 3x3 2>/dev/null; rc=$?
[ $rc -eq 2 ] || fail "bad --crop exited $rc"
"$RELABEL_BIN" finetune --project "$P" --out "$tmp/x.safetensors" --train-last -1 2>/dev/null
rc=$?; [ $rc -eq 2 ] || fail "--train-last -1 exited $rc"
[ "$(state)" = "$state_before" ] || fail "a refused run changed the project"
[ ! -e "$tmp/x.safetensors" ] || fail "a refused run wrote a model file"
no_temp "bad input"
echo "ok: versions with parents, training images, current flag, relabel models, in-sample" \
  "marking, val metrics = predict + eval, corrected-only, cancel, bad input"
