#!/usr/bin/python3
# The metrics dashboard under Xvfb with real input (xdotool), on the bundled demo:
# - Alt+2 shows the dashboard (the window's frame log says which page is visible); the demo has
#   no stored result yet, so Compute (Alt+C) scores the current version on val in the background
#   while the frame clock keeps every gap under 100 ms (beyond what a timer probe stalling at
#   the same time explains: the machine did not run that CPU, see test-gui.py's own_gaps);
# - the stored run is the one `relabel eval --project` prints for the same version, split and
#   labels (its confusion matrix);
# - a click on the largest off-diagonal confusion cell (located from the chart's debug line)
#   filters the image list to exactly the images `relabel eval --cell A,B` lists, in its order,
#   switches to the images page, opens the first and highlights as many pixels as the metrics
#   counted for it;
# - Alt+1 / Alt+2 switch pages; a second start in the dark style shows the stored result at once;
# - compare mode: a second version (random weights, scored by `relabel eval`) chosen in "Compare
#   with" gives per image which version is better exactly as the two `relabel eval` runs say;
# - Export: metrics as CSV and JSON and the confusion matrix as PNG through the menu and the file
#   dialog (typed path); the files hold the CLI's figures and a real image of the chart.
# Screenshots: build/tests/gui/output/gui-dashboard*.png. Any GTK warning fails the test.
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("gui", os.path.join(HERE, "test-gui.py"))
gui = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gui)
check = gui.check


def wait_file(path, want, timeout):
    """The text of path once it contains `want` (or the last text read after the timeout)."""
    return gui.wait_log(path, want, timeout)


def confusion_grid(stderr, timeout=30):
    """The confusion chart's last logged place once it has one that stays the same for a second
    (the chart logs it when it draws and its place changes; the layout settles in a few frames),
    or the last line seen after the timeout (None when there was none)."""
    seen = []

    def settled():
        lines = [l for l in gui.read_text(stderr).splitlines() if "confusion grid" in l]
        seen.append((len(lines), lines[-1] if lines else None))
        return len(seen) >= 2 and seen[-1][1] is not None and seen[-1] == seen[-2]
    gui.wait_for(settled, bool, timeout, 1.0)
    return seen[-1][1]


def cli_json(*args):
    out = subprocess.run([gui.BIN] + list(args), check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def export_with_menu(pid, wid, down, path):
    """Export menu (it opens with its first item focused), the item `down` steps below it, then
    the file dialog (titled Export): type path, Enter. Each step waits for the menu or dialog it
    types into to be shown. The app writes the file under a temporary name and renames it, so
    once it exists it is whole."""
    shown = gui.app_windows(pid)
    gui.xdo("mousemove", "--window", wid, 1218, 75)
    gui.xdo("click", "1")
    check(bool(gui.wait_popup(pid, shown)), "the Export menu opens")
    for _ in range(down):
        gui.xdo("key", "Down")
        time.sleep(0.1)
    gui.xdo("key", "Return")
    dialog = gui.wait_window("^Export$", 30)
    check(dialog is not None, "the Export file dialog opens")
    if dialog is None:
        return False
    gui.xdo("windowfocus", "--sync", dialog)
    gui.xdo("key", "ctrl+a")
    gui.xdo("type", "--delay", "20", path)
    time.sleep(0.3)
    gui.xdo("key", "Return")
    ok = gui.wait_for(lambda: os.path.exists(path), bool, 30)
    # the next export's click must not land while this dialog is still closing
    gui.wait_for(lambda: dialog not in gui.search_windows("^Export$"), bool, 30)
    return ok


def test_compare_export(tmp, proc, wid, project, ref, ref2, stderr):
    """In the running window: compare with a second version, then export."""
    v1 = {im["name"]: im["miou"] for im in ref["per_image"]}
    v2 = {im["name"]: im["miou"] for im in ref2["per_image"]}
    want = (sum(v1[n] > v2[n] for n in v1), sum(v1[n] < v2[n] for n in v1),
            sum(v1[n] == v2[n] for n in v1))
    n_compared = gui.count_lines(stderr, "compared:")
    shown = gui.app_windows(proc.pid)
    gui.xdo("mousemove", "--window", wid, 792, 75)
    gui.xdo("click", "1")
    check(bool(gui.wait_popup(proc.pid, shown)), "the Compare with list opens")
    gui.xdo("key", "Down")
    gui.xdo("key", "Down")
    gui.xdo("key", "Return")
    err = gui.wait_new_line(stderr, "compared:", n_compared, 30)
    got = gui.new_lines(err, "compared:", n_compared)
    nums = tuple(int(w) for w in got[-1].split("better on ")[1].replace(",", " ").split()
                 if w.isdigit()) if got else None
    check(nums == want, "compare mode: this version better on / the other on / same on %s images,"
          " as the two `relabel eval` runs say %s" % (nums, want))
    time.sleep(1.0)
    gui.screenshot("gui-dashboard-compare.png")

    out = os.path.join(tmp, "exports")
    os.makedirs(out)
    csv_path, json_path, png_path = (os.path.join(out, n)
                                     for n in ("m.csv", "m.json", "confusion.png"))
    ok = export_with_menu(proc.pid, wid, 0, csv_path)
    check(ok, "Export > Metrics as CSV wrote %s" % csv_path)
    if ok:
        rows = [l.split(",") for l in open(csv_path, errors="replace").read().splitlines()]
        head = rows[0] if rows else []
        g = (float(rows[1][head.index("global_accuracy")])
             if "global_accuracy" in head and len(rows) > 1 else None)
        check(g is not None and abs(g - ref["global_accuracy"]) < 1e-6,
              "the CSV's G %s is relabel eval's %.6f (header: %s)"
              % (g, ref["global_accuracy"], ",".join(head)[:80]))
    ok = export_with_menu(proc.pid, wid, 1, json_path)
    check(ok, "Export > Metrics as JSON wrote %s" % json_path)
    if ok:
        got = json.load(open(json_path))
        check(got.get("confusion") == ref["confusion"],
              "the exported JSON's confusion matrix is relabel eval's")
    ok = export_with_menu(proc.pid, wid, 3, png_path)
    check(ok, "Export > Confusion Matrix as PNG wrote %s" % png_path)
    if ok:
        img = np.asarray(Image.open(png_path).convert("RGB"))
        check(img.shape[0] > 200 and img.shape[1] > 200 and len(np.unique(img.reshape(-1, 3),
                                                                           axis=0)) > 20,
              "the PNG is a drawn chart (%dx%d, %d colours)"
              % (img.shape[1], img.shape[0], len(np.unique(img.reshape(-1, 3), axis=0))))


def test_dashboard(tmp):
    log = os.path.join(tmp, "frames.log")
    env = {"RELABEL_DEBUG": "frame-log=" + log, "G_MESSAGES_DEBUG": "relabel-dashboard"}
    proc, project = gui.start_app(tmp, [], env)
    wid = gui.app_window(proc, tmp)
    if wid is None:
        return
    time.sleep(1.5)
    gui.xdo("windowfocus", "--sync", wid)
    gui.xdo("key", "--window", wid, "alt+2")
    text = gui.wait_log(log, "# page dashboard", 30)
    check("# page dashboard" in text, "Alt+2 shows the dashboard")
    stderr = os.path.join(tmp, "app.stderr")
    err = wait_file(stderr, "run none", 30)
    check("run none" in err, "the demo has no stored result yet: the dashboard says so")
    gui.screenshot("gui-dashboard-empty.png")

    # Compute in the background, with the frame clock watched
    with open(log, "a") as f:
        f.write("# eval-requested\n")
    probes = gui.start_probes()
    gui.xdo("key", "--window", wid, "alt+c")
    text = gui.wait_log(log, "# eval-end", 240)
    machine = gui.stop_probes(probes)
    check("# eval-end ok" in text, "Compute scored the version (frame log: eval-end ok)")
    lines = text.splitlines()
    try:
        a = lines.index("# eval-requested")
        b = next(i for i, l in enumerate(lines) if l.startswith("# eval-end"))
        ticks = [gui.frame_gap(l) for l in lines[a + 1:b] if not l.startswith("#")]
        print("\n".join(l for l in lines[a:b + 1]
                        if l.startswith("#") or gui.frame_gap(l)[0] > 50))
    except (ValueError, StopIteration):
        ticks = []
    check(len(ticks) >= 10, "the frame clock ticked %d times while it computed" % len(ticks))
    if ticks:
        gaps = sorted(g for g, _ in ticks)
        print("frame gaps while computing: n %d, median %.1f ms, max %.1f ms"
              % (len(gaps), gaps[len(gaps) // 2], gaps[-1]))
        own = gui.own_gaps(ticks, machine)
        check(not own, "no frame gap above 100 ms while computing that the machine did not "
              "share (%s)" % (", ".join("%.0f ms" % x for x in own) or "max %.1f ms" % gaps[-1]))
    err = wait_file(stderr, "run shown", 30)
    check("run shown" in err, "the computed run is shown")
    time.sleep(1.0)
    gui.screenshot("gui-dashboard.png")

    # the same figures as the CLI (it scores the stored predictions again)
    ref = cli_json("eval", "--project", project, "--split", "val", "--json")
    conf = ref["confusion"]
    K = len(conf)
    cells = [(conf[i][j], i, j) for i in range(K) for j in range(K) if i != j]
    pixels, ta, tb = max(cells)
    print("largest confusion: labelled %d predicted %d, %d pixels" % (ta, tb, pixels))
    hits = cli_json("eval", "--project", project, "--split", "val", "--cell",
                    "%d,%d" % (ta, tb), "--json")

    # click that cell where the chart says it is (its rows are the classes in index order)
    geo = confusion_grid(stderr)
    check(geo is not None, "the confusion chart logged its place")
    if geo:
        parts = geo.split("confusion grid ")[1].split()
        n = int(parts[0])
        x0, y0 = (float(v) for v in parts[3].split(","))
        cell = float(parts[5])
        check(n == K, "the heat map shows the %d classes (got %d)" % (K, n))
        x, y = int(x0 + (tb + 0.5) * cell), int(y0 + (ta + 0.5) * cell)
        # each of these lines may be in the log already: wait for new ones
        n_filtered, n_images, n_highlight = (gui.count_lines(log, m) for m in
                                             ("# filtered", "# page images", "# highlight"))
        gui.xdo("mousemove", "--window", wid, x, y)
        time.sleep(0.3)
        gui.xdo("click", "1")
        text = gui.wait_new_line(log, "# filtered", n_filtered, 30)
        got = gui.new_lines(text, "# filtered", n_filtered)
        check(bool(got), "clicking the cell filtered the image list")
        if got:
            f = got[-1].split()
            names = f[3].split(",") if len(f) > 3 else []
            want = [h["image"] for h in hits]
            check(int(f[2]) == len(want) and names == want,
                  "the list shows %s, as relabel eval --cell lists %s" % (names, want))
        text = gui.wait_new_line(log, "# page images", n_images, 30)
        check(bool(gui.new_lines(text, "# page images", n_images)),
              "the images page is shown after the click")
        text = gui.wait_new_line(log, "# highlight", n_highlight, 30)
        hl = gui.new_lines(text, "# highlight", n_highlight)
        check(bool(hl) and hits and int(hl[-1].split()[3]) == hits[0]["pixels"],
              "the first image's highlighted pixels (%s) are those the metrics counted (%s)"
              % (hl[-1].split()[3] if hl else "none", hits[0]["pixels"] if hits else "-"))
        time.sleep(1.0)
        gui.screenshot("gui-dashboard-cell.png")
    before = gui.count_lines(log, "# page dashboard")
    gui.xdo("key", "--window", wid, "alt+2")
    gui.wait_new_line(log, "# page dashboard", before, 30)
    check(gui.count_lines(log, "# page dashboard") > before, "Alt+2 goes back to the dashboard")
    gui.xdo("key", "--window", wid, "alt+1")
    time.sleep(0.5)
    gui.stop_app(proc, tmp, wid)

    # a second version to compare with: random weights, scored on val, not made current
    model = os.path.join(tmp, "random.safetensors")
    subprocess.run(["/usr/bin/python3", os.path.join(gui.SRC, "tests", "gui", "make-model.py"),
                    model], check=True)
    for args in (("--add", model, "--name", "random"), ("--set-current", "1")):
        subprocess.run([gui.BIN, "models", "--project", project] + list(args), check=True,
                       capture_output=True)
    ref2 = cli_json("eval", "--project", project, "--model", "2", "--split", "val", "--json")

    # the dark style, started again: the stored result shows at once
    os.rename(stderr, stderr + ".light")
    proc, project = gui.start_app(tmp, [], {"GTK_THEME": "Adwaita:dark",
                                            "G_MESSAGES_DEBUG": "relabel-dashboard",
                                            "RELABEL_DEBUG": "frame-log=" + log})
    wid = gui.app_window(proc, tmp)
    if wid is None:
        return
    time.sleep(1.5)
    gui.xdo("windowfocus", "--sync", wid)
    gui.xdo("key", "--window", wid, "alt+2")
    err = wait_file(stderr, "run shown", 30)
    check("run shown" in err, "after a restart the stored result shows without computing")
    shown = [l for l in err.splitlines() if "run shown" in l]
    if shown:
        print(shown[-1])
    time.sleep(1.0)
    gui.screenshot("gui-dashboard-dark.png")
    test_compare_export(tmp, proc, wid, project, ref, ref2, stderr)
    gui.stop_app(proc, tmp, wid)


def main():
    tmp = tempfile.mkdtemp(prefix="relabel-dash-")
    try:
        test_dashboard(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if gui.failures:
        print("%d check(s) failed" % len(gui.failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
