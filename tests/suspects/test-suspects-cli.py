#!/usr/bin/python3
# relabel suspects on a project of 2 CamVid val images with the shipped model: the --json shape
# issue 19 gives (keys, types, best first, class indices of the project's spec, bboxes inside
# the image, names that `relabel undo --image` takes), --top, and bad input (exit 1 / 2, one
# line on stderr naming the file); --model FILE reuses the version with those exact weights.
import json, os, sqlite3, struct, subprocess, sys, tempfile

BIN = os.environ["RELABEL_BIN"]
camvid = os.environ.get("RELABEL_CAMVID", "")
model = os.path.join(os.environ["RELABEL_SOURCE_ROOT"],
                     "resources/models/segnet-basic-camvid.safetensors")
if not os.path.exists(os.path.join(camvid, "val.txt")):
    print("1..0 # SKIP no CamVid")
    sys.exit(0)

def run(*args, rc=0):
    p = subprocess.run([BIN, *args], capture_output=True, text=True)
    assert p.returncode == rc, (args, p.returncode, p.stdout, p.stderr)
    return p

with tempfile.TemporaryDirectory() as tmp:
    ds = os.path.join(tmp, "ds")
    os.mkdir(ds)
    for d in ("val", "valannot"):
        os.symlink(os.path.join(camvid, d), os.path.join(ds, d))
    lines = open(os.path.join(camvid, "val.txt")).read().splitlines()[:2]
    open(os.path.join(ds, "val.txt"), "w").write("\n".join(lines) + "\n")
    open(os.path.join(ds, "train.txt"), "w").write("")
    P = os.path.join(tmp, "p.relabel")
    run("import", "--project", P, "--dataset", "camvid", ds)

    # No model yet: a run-time failure naming the project.
    e = run("suspects", "--project", P, rc=1).stderr
    assert e.count("\n") == 1 and P in e and "no model" in e, e
    # Usage errors.
    run("suspects", rc=2)
    run("suspects", "--project", P, "--top", "-1", rc=2)
    run("suspects", "--project", P, "stray", rc=2)
    e = run("suspects", "--project", os.path.join(tmp, "none.relabel"), rc=1).stderr
    assert "none.relabel" in e, e
    e = run("suspects", "--project", P, "--model", "7", rc=1).stderr
    assert "no model version 7" in e, e

    # --model FILE adds it as a version and pre-labels both images with confidences.
    out = run("suspects", "--project", P, "--model", model, "--top", "5", "--json").stdout
    doc = json.loads(out)
    assert list(doc) == ["regions"], doc
    regions = doc["regions"]
    assert 1 <= len(regions) <= 5, regions
    db = sqlite3.connect(P)
    names = {r[0]: (r[1], r[2]) for r in db.execute("select name, width, height from images")}
    assert db.execute("select count(*) from predictions where conf is not null").fetchone()[0] == 2
    kinds = []
    for r in regions:
        assert set(r) == {"image", "labelled_class", "suggested_class", "pixels", "score",
                          "weight", "bbox", "kind"}, r
        assert r["image"] in names, r
        w, h = names[r["image"]]
        assert r["kind"] in ("region", "boundary"), r
        assert 0 <= r["labelled_class"] < 11 and 0 <= r["suggested_class"] < 11, r
        assert r["labelled_class"] != r["suggested_class"], r
        x, y, bw, bh = r["bbox"]
        assert 0 <= x and 0 <= y and bw >= 1 and bh >= 1 and x + bw <= w and y + bh <= h, r
        assert 1 <= r["pixels"] <= bw * bh, r
        assert isinstance(r["score"], (int, float)), r
        assert r["weight"] == 1, r      # no answers yet
        kinds.append((0 if r["kind"] == "region" else 1, -r["score"]))
    assert kinds == sorted(kinds), "not best first: %s" % kinds
    # The same ranking on a second run (nothing left to pre-label), and --top 0 lists all.
    again = json.loads(run("suspects", "--project", P, "--top", "5", "--json").stdout)
    assert again == doc, (again, doc)
    every = json.loads(run("suspects", "--project", P, "--top", "0", "--json").stdout)["regions"]
    assert every[:len(regions)] == regions and len(every) >= len(regions)
    assert len(every) == db.execute("select count(*) from suspects").fetchone()[0]
    assert db.execute("select count(*) from models").fetchone()[0] == 1
    # --model with the same file again: that version, not a new one, and nothing predicted again
    # (the predictions keep their rows: a re-prediction would replace them).
    rowids = db.execute("select rowid from predictions order by rowid").fetchall()
    same = json.loads(run("suspects", "--project", P, "--model", model, "--top", "5",
                          "--json").stdout)
    assert same == doc, (same, doc)
    assert db.execute("select count(*) from models").fetchone()[0] == 1
    assert db.execute("select rowid from predictions order by rowid").fetchall() == rowids
    # `image` is the name paint and undo take.
    p = run("undo", "--project", P, "--image", regions[0]["image"])
    assert "nothing to undo" in p.stdout, p.stdout
    # The text form.
    text = run("suspects", "--project", P, "--top", "3").stdout.splitlines()
    assert text[0].startswith("%d suspected regions (model version 1), worst 3" % len(every)), text
    assert len(text) == 4 and regions[0]["image"] in text[1], text
    # another file (the same model re-saved with one weight changed) is a new version
    other = os.path.join(tmp, "other.safetensors")
    blob = bytearray(open(model, "rb").read())
    blob[-4:] = struct.pack("<f", struct.unpack("<f", bytes(blob[-4:]))[0] + 0.5)
    open(other, "wb").write(bytes(blob))
    run("suspects", "--project", P, "--model", other, "--top", "1")
    assert db.execute("select count(*) from models").fetchone()[0] == 2
print("1..1\nok 1 relabel suspects --json")
