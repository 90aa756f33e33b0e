#!/usr/bin/python3
# GUI test of issue 20's tools under Xvfb with real input (xdotool), on the bundled demo:
# finds where the canvas shows the image (two brush dabs, undone), then
#  - the magic wand: W, wheel over the image raises the tolerance (preview), a click paints;
#    the saved change must equal an independent NumPy/SciPy flood (4-connected, Euclidean RGB
#    distance to the clicked pixel within the tolerance) from the clicked pixel;
#  - the superpixel brush: S, a drag; the saved change must be whole SLIC superpixels (size 16,
#    the project's own SLIC through gui-probe), all of class C, including those under the drag;
#  - the lasso: R and L, a drag around a rectangle replaces the start's class inside it only;
#  - Shift+B shows the boundaries, K the contour overlay, / the class picker (type "sky", Enter
#    picks Sky), Shift+I removes islands: screenshots of each under tests/gui/output/.
# Every edit must be one undo step (Ctrl+Z restores the mask). Any GTK warning fails the test.
import importlib.util
import os
import subprocess
import sys
import tempfile
import shutil
import time

import numpy as np
from scipy import ndimage

spec = importlib.util.spec_from_file_location(
    "gui", os.path.join(os.path.dirname(os.path.abspath(__file__)), "test-gui.py"))
gui = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gui)
check, xdo, dump, dump_until = gui.check, gui.xdo, gui.dump, gui.dump_until
IMAGE = gui.IMAGE
CLASSES = ["Sky", "Building", "Pole", "Road", "Pavement", "Tree", "SignSymbol", "Fence", "Car",
           "Pedestrian", "Bicyclist"]


def probe(*args):
    return subprocess.run([gui.PROBE] + [str(a) for a in args], check=True, capture_output=True,
                          text=True).stdout.split()


def changed_since(project, tmp, before, name):
    return dump_until(project, os.path.join(tmp, name), lambda m: not np.array_equal(m, before))


def dab_centre(project, tmp, wid, before, x, y):
    """Brush dab at window (x, y); the centroid of the changed pixels."""
    xdo("mousemove", "--window", wid, x, y, "click", "1")
    after = changed_since(project, tmp, before, "dab.raw")
    ys, xs = np.nonzero(after != before)
    return (xs.mean() + 0.5, ys.mean() + 0.5) if len(xs) else None, after


def undo_to(project, tmp, wid, want, n):
    for _ in range(n):
        xdo("key", "--window", wid, "ctrl+z")
        time.sleep(0.3)
    got = dump_until(project, os.path.join(tmp, "undo.raw"), lambda m: np.array_equal(m, want))
    return np.array_equal(got, want)


def wand_reference(rgb, px, py, tol):
    d = np.sqrt(((rgb.astype(np.float64) - rgb[py, px].astype(np.float64)) ** 2).sum(axis=2))
    lab, _ = ndimage.label(d <= tol)   # 4-connected by default
    return lab == lab[py, px]


def test_tools(tmp):
    proc, project = gui.start_app(tmp)
    wid = gui.app_window(proc, tmp)
    if wid is None:
        return
    time.sleep(1.5)
    xdo("windowfocus", "--sync", wid)
    before = dump(project, os.path.join(tmp, "before.raw"))
    h, w = before.shape
    out = probe("rgb", project, IMAGE, os.path.join(tmp, "rgb.raw"))
    rgb = np.fromfile(os.path.join(tmp, "rgb.raw"), dtype=np.uint8).reshape(h, w, 3)

    # calibration: two dabs of the round brush with Pedestrian (key "0", rare in the demo)
    xdo("key", "--window", wid, "b", "0")
    time.sleep(0.3)
    a, m1 = dab_centre(project, tmp, wid, before, 500, 400)
    b, m2 = dab_centre(project, tmp, wid, m1, 800, 550)
    gui.screenshot("gui-tools-calibration.png")
    check(a is not None and b is not None, "two brush dabs landed (calibration)")
    if a is None or b is None:
        gui.stop_app(proc, tmp, wid)
        return
    scale = (300.0 / (b[0] - a[0]) + 150.0 / (b[1] - a[1])) / 2.0
    ox, oy = 500 - a[0] * scale, 400 - a[1] * scale

    def to_image(x, y):
        return (x - ox) / scale, (y - oy) / scale

    def to_window(ix, iy):
        return int(round(ox + ix * scale)), int(round(oy + iy * scale))

    print("canvas: %.3f screen px per image px, origin (%.1f, %.1f)" % (scale, ox, oy))
    check(undo_to(project, tmp, wid, before, 2), "Ctrl+Z twice removes the dabs")

    # --- magic wand: Road (class 3, key "4"), tolerance 20 + 5 wheel notches up = 30
    target = (240, 330)   # image pixel on the road
    wx, wy = to_window(target[0] + 0.5, target[1] + 0.5)
    xdo("key", "--window", wid, "w", "4")
    xdo("mousemove", "--window", wid, wx, wy)
    time.sleep(0.3)
    for _ in range(5):
        xdo("click", "4")     # wheel up
        time.sleep(0.1)
    time.sleep(0.5)
    gui.screenshot("gui-tools-wand-preview.png")
    xdo("click", "1")
    after = changed_since(project, tmp, before, "wand.raw")
    region_changed = after != before
    ix, iy = to_image(wx, wy)
    px, py = int(np.floor(ix)), int(np.floor(iy))
    check(abs(px - target[0]) <= 1 and abs(py - target[1]) <= 1,
          "the click maps to image pixel (%d, %d), near (%d, %d)" % (px, py, *target))
    ref = wand_reference(rgb, px, py, 30.0)
    # pixels already Road do not change: compare the region painted with the reference's
    got = region_changed | ((after == 3) & ref)
    check(int(region_changed.sum()) > 500, "the wand changed %d pixels" % region_changed.sum())
    check(bool(np.all(after[region_changed] == 3)), "every pixel the wand changed is Road")
    same = bool(np.array_equal(got, ref))
    if not same:
        match = [t for t in range(0, 200) if np.array_equal(got, wand_reference(rgb, px, py, t))]
        print("the wand's region matches the NumPy flood at tolerances %s" % match[:5])
    check(same, "the wand's region equals the NumPy flood at tolerance 30 (%d vs %d pixels, "
          "%d differ)" % (got.sum(), ref.sum(), (got != ref).sum()))
    gui.screenshot("gui-tools-wand.png")
    check(undo_to(project, tmp, wid, before, 1), "the wand is one undo step")

    # --- superpixel brush: Car (class 8, key "9"), size 16, a short drag; boundaries shown
    xdo("key", "--window", wid, "s", "9", "shift+b")
    time.sleep(1.0)
    gui.screenshot("gui-tools-superpixel-boundaries.png")
    pts = [(100 + 6 * i, 200 + 2 * i) for i in range(10)]     # image coordinates
    # The brush needs the image's superpixels, which the session computes in the background
    # once the tool is chosen; a stroke before they are ready is dropped with a notice ("the
    # superpixels are still being computed"). So the drag is repeated (the same superpixels,
    # the same class: a repeat that lands changes nothing more) until the mask changes.
    def stroke():
        gui.drag(wid, [to_window(x + 0.5, y + 0.5) for x, y in pts])
        return dump_until(project, os.path.join(tmp, "sp.raw"),
                          lambda m: not np.array_equal(m, before), 10)
    after = gui.wait_for(stroke, lambda m: not np.array_equal(m, before), 60, 0)
    changed = after != before
    probe("slic", project, IMAGE, 16, os.path.join(tmp, "slic.raw"))
    labels = np.fromfile(os.path.join(tmp, "slic.raw"), dtype=np.int32).reshape(h, w)
    painted = changed | (after == 8) & np.isin(labels, np.unique(labels[changed]))
    touched = np.unique(labels[changed]) if changed.any() else np.array([], dtype=np.int32)
    whole = all(bool(np.all(after[labels == s] == 8)) for s in touched)
    check(int(changed.sum()) > 200, "the superpixel brush changed %d pixels" % changed.sum())
    check(bool(np.all(after[changed] == 8)), "every pixel it changed is Car")
    check(whole, "it painted whole superpixels (%d of them)" % len(touched))
    # the superpixels under the drag's points, where the point lies 3+ px inside one (the
    # window -> image mapping is known to about a pixel)
    under = {int(labels[y, x]) for x, y in pts
             if len(np.unique(labels[y - 3:y + 4, x - 3:x + 4])) == 1}
    check(len(under) > 0 and under <= set(int(s) for s in touched),
          "every superpixel under the drag is painted (%d under it, %d missing)"
          % (len(under), len(under - set(int(s) for s in touched))))
    gui.screenshot("gui-tools-superpixel.png")
    check(undo_to(project, tmp, wid, before, 1), "the superpixel stroke is one undo step")
    xdo("key", "--window", wid, "shift+b")

    # --- lasso replace: R, L, SignSymbol (class 6, key "7"): a drag around a rectangle; inside
    # it, the class under the drag's start becomes SignSymbol, nothing else changes
    x0, y0, x1, y1 = 200, 240, 300, 320
    start_class = int(before[y0, x0])
    loop = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0 + 2)]
    path = []
    for (ax, ay), (bx, by) in zip(loop, loop[1:]):
        path += [(ax + (bx - ax) * k / 6.0, ay + (by - ay) * k / 6.0) for k in range(6)]
    path.append(loop[-1])
    xdo("key", "--window", wid, "r", "l", "7")
    time.sleep(0.3)
    gui.drag(wid, [to_window(x + 0.5, y + 0.5) for x, y in path])
    after = changed_since(project, tmp, before, "lasso.raw")
    changed = after != before
    yy, xx = np.mgrid[0:h, 0:w]
    def rect(m):
        return (xx >= x0 + m) & (xx <= x1 - m) & (yy >= y0 + m) & (yy <= y1 - m)
    check(int(changed.sum()) > 100, "the lasso replace changed %d pixels" % changed.sum())
    check(bool(np.all(after[changed] == 6)) and bool(np.all(before[changed] == start_class)),
          "only pixels of the start's class (%d) changed, to SignSymbol" % start_class)
    check(bool(np.all(rect(-3)[changed])), "every changed pixel lies inside the lasso")
    inner = rect(3) & (before == start_class)
    check(bool(np.all(changed[inner])),
          "every pixel of that class well inside the lasso changed (%d of %d)"
          % (changed[inner].sum(), inner.sum()))
    gui.screenshot("gui-tools-lasso.png")
    check(undo_to(project, tmp, wid, before, 1), "the lasso replace is one undo step")
    xdo("key", "--window", wid, "l")

    # --- contours, the class picker, remove islands
    xdo("key", "--window", wid, "k")
    time.sleep(0.8)
    gui.screenshot("gui-tools-contours.png")
    xdo("key", "--window", wid, "k")
    # the picker is a popover (a window of its own): the typing waits until it is shown, or
    # the letters would be the canvas's shortcuts
    shown = gui.app_windows(proc.pid)
    xdo("key", "--window", wid, "slash")
    check(bool(gui.wait_popup(proc.pid, shown)), "/ opens the class picker")
    xdo("type", "--delay", "80", "sky")
    time.sleep(0.5)
    gui.screenshot("gui-tools-class-picker.png")
    xdo("key", "Return")
    check(gui.wait_for(lambda: set(gui.app_windows(proc.pid)) == set(shown), bool, 30),
          "Return closes the class picker")
    # the picked class (Sky = 0) paints: a brush dab
    xdo("key", "--window", wid, "b")
    xdo("mousemove", "--window", wid, *to_window(300.5, 300.5), "click", "1")
    after = changed_since(project, tmp, before, "pick.raw")
    changed = after != before
    check(changed.any() and bool(np.all(after[changed] == 0)),
          "the class picker chose Sky (the next dab painted %s)"
          % (sorted(set(after[changed].tolist())) if changed.any() else "nothing"))
    check(undo_to(project, tmp, wid, before, 1), "the dab is undone")
    xdo("key", "--window", wid, "shift+i")
    after = changed_since(project, tmp, before, "islands.raw")
    changed = after != before
    check(changed.any(), "Shift+I removed islands under 64 px (%d pixels)" % changed.sum())
    if changed.any():
        # each changed component was a class region under 64 px of the labels before
        lab_before = np.zeros_like(before, dtype=np.int64)
        ok = True
        for v in np.unique(before[changed]):
            comp, _ = ndimage.label(before == v)
            sizes = np.bincount(comp.ravel())
            ok &= bool(np.all(sizes[comp[changed & (before == v)]] < 64))
        check(ok, "every pixel it changed lay in a region under 64 px")
    check(undo_to(project, tmp, wid, before, 1), "remove islands is one undo step")
    check(proc.poll() is None, "the app is still running")
    gui.stop_app(proc, tmp, wid)


def main():
    tmp = tempfile.mkdtemp(prefix="relabel-gui-tools-")
    try:
        test_tools(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if gui.failures:
        print("%d check(s) failed" % len(gui.failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
