#!/usr/bin/python3
# The suspects queue in the window (issue 19) under Xvfb with real keys (xdotool): a project of 3
# CamVid val images pre-labelled with confidences and ranked by `relabel suspects`; the app opens
# it, the panel lists the stored queue (first-page time from the panel's debug line), N / N /
# Shift+N walk it (each key must highlight the stored queue's region of its row; screenshot
# with the region highlighted and centred), Shift+A accepts the
# first region: the project's mask must change exactly on that region's pixels (all in its
# bounding box, all from its labelled to its suggested class, as many as the queue says) as one
# undoable edit recorded as "accept-suggestion", and an answer about its class pair (which
# weighs the queue); Ctrl+Z restores every pixel (and the image's status); Shift+D dismisses
# the region then selected ("not an error" remembered in the project). The status bar under the
# pointer names the label and the predicted class with its confidence, which must be the value
# stored in the project at that pixel (the blob decoded here independently). GTK warnings fail it.
import importlib.util
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
import shutil
import zlib

import numpy as np

spec = importlib.util.spec_from_file_location(
    "gui", os.path.join(os.path.dirname(os.path.abspath(__file__)), "test-gui.py"))
gui = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gui)
check, xdo = gui.check, gui.xdo

camvid = os.environ.get("RELABEL_CAMVID", "")
MODEL = os.path.join(gui.SRC, "resources/models/segnet-basic-camvid.safetensors")


def dump(project, image, path):
    out = subprocess.run([gui.PROBE, "dump", project, image, path], check=True,
                         capture_output=True, text=True).stdout.split()
    return np.fromfile(path, dtype=np.uint8).reshape(int(out[1]), int(out[0]))


def dump_until(project, image, path, done, timeout=30):
    return gui.wait_for(lambda: dump(project, image, path), done, timeout, 0.3)


def rows(project, sql, args=()):
    """The rows of one query on the project, on a connection of its own."""
    db = sqlite3.connect(project)
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def queue(project):
    """The stored queue in the panel's order before any answer (rl_suspects_list: kind, score x
    weight desc, id; every weight is 1 until a suggestion is accepted or dismissed)."""
    return rows(project, "SELECT s.id, i.name, s.labelled, s.suggested, s.pixels, s.x, s.y, s.w,"
                         " s.h FROM suspects s JOIN images i ON i.id = s.image_id"
                         " ORDER BY s.kind, s.score DESC, s.id")


def stored_confidence(project, image):
    """The confidence blob of image's prediction (rl-project-suspects.c's format, decoded here):
    "RLC1", width, height, label revision, then zlib of four (H, W) planes: predicted class,
    round(255 p) of it, of the labelled class, the labels; planes 2 and 3 are row-wise
    differences from the left neighbour mod 256."""
    blob = rows(project, "SELECT p.conf FROM predictions p JOIN images i ON i.id = p.image_id"
                         " WHERE i.name = ? AND p.conf IS NOT NULL", (image,))[0][0]
    assert blob[:4] == b"RLC1"
    w, h = int.from_bytes(blob[4:8], "little"), int.from_bytes(blob[8:12], "little")
    planes = np.frombuffer(zlib.decompress(blob[20:]), dtype=np.uint8).reshape(4, h, w)
    conf = np.cumsum(planes[1].astype(np.int64), axis=1) % 256
    return planes[0], conf


STATUS = re.compile(r"status: (\S+)   x (\d+)  y (\d+)   \S+ \(\d+\)   predicted"
                    r" (\S+) \((\d+)\), (\d+) % sure")


def check_pointer(tmp, wid, P):
    """Hovers two points of the canvas; the logged status must match the stored prediction.
    The window logs the status line on each motion event: a line that came after the move (more
    matching lines than before it) is waited for; while none comes the pointer moves by a pixel
    again (a motion before the prediction was loaded logs no "predicted")."""
    stderr = os.path.join(tmp, "app.stderr")
    seen = []
    for (x, y) in ((700, 420), (560, 300)):
        before = len(STATUS.findall(gui.read_text(stderr)))
        step = [0]

        def status_lines():
            xdo("mousemove", "--window", wid, x + step[0] % 2, y)
            step[0] += 1
            return STATUS.findall(gui.read_text(stderr))[before:]
        lines = gui.wait_for(status_lines, bool, 30, 0.5)
        if lines:
            seen.append(lines[-1])
    check(len(seen) == 2, "the status bar shows the predicted class and its confidence under the"
          " pointer (%d of 2 points)" % len(seen))
    for image, px, py, name, cls, pct in seen:
        pred, conf = stored_confidence(P, image)
        px, py, cls, pct = int(px), int(py), int(cls), int(pct)
        want = (int(conf[py, px]) * 100 + 127) // 255
        check(pred[py, px] == cls and pct == want,
              "under the pointer at (%d, %d) of %s: predicted %d, %d %% sure (stored: %d, %d %%)"
              % (px, py, image, cls, pct, pred[py, px], want))


def main():
    if not os.path.exists(os.path.join(camvid, "val.txt")):
        print("SKIP: no CamVid")
        return
    tmp = tempfile.mkdtemp(prefix="relabel-suspects-gui-")
    try:
        run(tmp)
    finally:
        if not os.environ.get("KEEP_TMP"):
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print("kept", tmp)
    if gui.failures:
        print("%d check(s) failed" % len(gui.failures))
        sys.exit(1)


def run(tmp):
    ds = os.path.join(tmp, "ds")
    os.mkdir(ds)
    for d in ("val", "valannot"):
        os.symlink(os.path.join(camvid, d), os.path.join(ds, d))
    lines = open(os.path.join(camvid, "val.txt")).read().splitlines()[:3]
    open(os.path.join(ds, "val.txt"), "w").write("\n".join(lines) + "\n")
    open(os.path.join(ds, "train.txt"), "w").write("")
    P = os.path.join(tmp, "p.relabel")
    subprocess.run([gui.BIN, "import", "--project", P, "--dataset", "camvid", ds], check=True,
                   capture_output=True)
    subprocess.run([gui.BIN, "suspects", "--project", P, "--model", MODEL, "--top", "0"],
                   check=True, capture_output=True)
    q = queue(P)
    check(len(q) >= 3, "the project's queue holds %d regions" % len(q))
    if len(q) < 3:
        return
    sid, image, labelled, suggested, pixels, bx, by, bw, bh = q[0]

    proc, _ = gui.start_app(tmp, [P], {"G_MESSAGES_DEBUG": "relabel-suspects-panel relabel-pointer"})
    wid = gui.app_window(proc, tmp)
    if wid is None:
        return
    # the panel's first page (logged when the list arrives)
    m = gui.wait_for(lambda: re.search(r"first page of the suspects queue \(\d+ rows\) ([0-9.]+) ms",
                                       gui.read_text(os.path.join(tmp, "app.stderr"))), bool, 30)
    first_ms = float(m.group(1)) if m else None
    check(first_ms is not None, "the panel listed the queue (first page %s ms after the project"
          " opened)" % first_ms)
    check_pointer(tmp, wid, P)
    before = dump(P, image, os.path.join(tmp, "before.raw"))

    xdo("windowfocus", "--sync", wid)
    stderr = os.path.join(tmp, "app.stderr")
    shown_line = re.compile(r"suspect region (\d+) shown \(row (-?\d+)\)")
    # region 1, region 2, back to region 1: each key's region highlighted (its image loaded)
    for key, row in (("n", 0), ("n", 1), ("shift+n", 0)):
        before_key = len(shown_line.findall(gui.read_text(stderr)))
        xdo("key", "--window", wid, key)
        want = (str(q[row][0]), str(row))
        got = gui.wait_for(lambda: shown_line.findall(gui.read_text(stderr))[before_key:],
                           lambda g: g[-1:] == [want], 30, 0.2)
        check(got[-1:] == [want], "%s highlights the queue's region at row %d (id %s; shown: %s)"
              % (key, row, want[0], got))
    time.sleep(0.5)   # the highlight is set; the next frame draws it
    shot = gui.screenshot("gui-suspects.png")
    print("screenshot:", shot)

    listed = re.compile(r"suspects queue listed: (\d+) regions")

    def panel_lists():
        return [int(n) for n in listed.findall(gui.read_text(stderr))]

    def lists():
        return panel_lists(), len(queue(P))
    seen = panel_lists()
    n0 = seen[-1:]   # the panel's list before the accept
    xdo("key", "--window", wid, "shift+a")
    after = dump_until(P, image, os.path.join(tmp, "after.raw"),
                       lambda m: not np.array_equal(m, before))
    changed = after != before
    n = int(changed.sum())
    check(n == pixels, "Accept Suggestion changed %d pixels of '%s' (the region has %d)"
          % (n, image, pixels))
    if n:
        ys, xs = np.nonzero(changed)
        check(xs.min() >= bx and xs.max() < bx + bw and ys.min() >= by and ys.max() < by + bh,
              "every changed pixel lies in the region's bounding box")
        check(bool(np.all(before[changed] == labelled)) and bool(np.all(after[changed] ==
                                                                          suggested)),
              "every changed pixel went from class %d to the suggested %d" % (labelled,
                                                                              suggested))
    last = (rows(P, "SELECT tool, n_changed FROM edits ORDER BY id DESC LIMIT 1") or [None])[0]
    check(last == ("accept-suggestion", pixels),
          "the project recorded one 'accept-suggestion' edit of %d pixels (%s)" % (pixels, last))
    answers = gui.wait_for(
        lambda: rows(P, "SELECT labelled, suggested, pixels FROM suspect_accepts"), bool, 30, 0.3)
    check(answers == [(labelled, suggested, pixels)],
          "the accept is recorded as an answer about its class pair (%s)" % answers)
    check(gui.wait_for(lambda: all(r[0] != sid for r in queue(P)), bool, 30, 0.3),
          "the accepted region left the stored queue")

    xdo("key", "--window", wid, "ctrl+z")
    undone = dump_until(P, image, os.path.join(tmp, "undone.raw"),
                        lambda m: np.array_equal(m, before))
    check(bool(np.array_equal(undone, before)), "Ctrl+Z restores every pixel")
    status = gui.wait_for(lambda: rows(P, "SELECT status FROM images WHERE name = ?", (image,)),
                          lambda r: r == [(1,)], 30, 0.3)
    check(status == [(1,)],
          "with the accept undone the image is no longer corrected (status pre-labelled)")
    # the image's queue recomputed after the undo, in the project and in the panel (a list
    # after the accept's and one after the undo's): as before the accept
    def settled(v):
        return len(v[0]) >= len(seen) + 2 and v[0][-1:] == n0 and v[1] == n0[0]
    shown, stored = gui.wait_for(lists, settled, 30, 0.3)
    check(bool(n0) and settled((shown, stored)),
          "after the undo the panel lists the queue as before the accept (%s, stored %d; before"
          " %s)" % (shown[-1:], stored, n0))
    xdo("key", "--window", wid, "shift+d")
    n_dis = gui.wait_for(lambda: rows(P, "SELECT count(*) FROM suspect_dismissals")[0][0],
                         lambda n: n > 0, 30, 0.3)
    check(n_dis == 1, "Not an Error (Shift+D) is remembered in the project (%d dismissal)" % n_dis)
    # the panel lists the queue again without the dismissed region before the screenshot
    later = gui.wait_for(panel_lists,
                         lambda ns: len(ns) > len(shown) and ns[-1] < shown[-1], 30, 0.3)
    check(bool(shown) and len(later) > len(shown) and later[-1] == shown[-1] - 1,
          "the panel lists the queue again, one region fewer (%s -> %s)"
          % (shown[-1:], later[len(shown):]))
    time.sleep(0.5)   # the rows are built; the next frame draws them
    gui.screenshot("gui-suspects-after.png")
    gui.stop_app(proc, tmp, wid)


if __name__ == "__main__":
    main()
