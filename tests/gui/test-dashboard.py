#!/usr/bin/python3
# The metrics dashboard under Xvfb with real input (xdotool), on the bundled demo:
# - Alt+2 shows the dashboard (the window's frame log says which page is visible); the demo has
#   no stored result yet, so Compute (Alt+C) scores the current version on val in the background
#   while the frame clock keeps every gap under 100 ms (unless a timer probe stalled at the same
#   time: then the machine did not run a CPU, see test-gui.py's own_gaps);
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
    end = time.time() + timeout
    text = ""
    while time.time() < end:
        if os.path.exists(path):
            with open(path) as f:
                text = f.read()
            if want in text:
                return text
        time.sleep(0.2)
    return text


def cli_json(*args):
    out = subprocess.run([gui.BIN] + list(args), check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def export_with_menu(wid, down, path):
    """Export menu (it opens with its first item focused), the item `down` steps below it, then
    the file dialog: type path, Enter."""
    gui.xdo("mousemove", "--window", wid, 1218, 75)
    gui.xdo("click", "1")
    time.sleep(0.8)
    for _ in range(down):
        gui.xdo("key", "Down")
        time.sleep(0.1)
    gui.xdo("key", "Return")
    time.sleep(1.5)
    gui.xdo("key", "ctrl+a")
    gui.xdo("type", "--delay", "20", path)
    time.sleep(0.3)
    gui.xdo("key", "Return")
    end = time.time() + 10
    while not os.path.exists(path) and time.time() < end:
        time.sleep(0.2)
    time.sleep(0.3)
    return os.path.exists(path)


def test_compare_export(tmp, wid, project, ref, ref2, stderr):
    """In the running window: compare with a second version, then export."""
    v1 = {im["name"]: im["miou"] for im in ref["per_image"]}
    v2 = {im["name"]: im["miou"] for im in ref2["per_image"]}
    want = (sum(v1[n] > v2[n] for n in v1), sum(v1[n] < v2[n] for n in v1),
            sum(v1[n] == v2[n] for n in v1))
    gui.xdo("mousemove", "--window", wid, 792, 75)
    gui.xdo("click", "1")
    time.sleep(0.8)
    gui.xdo("key", "Down")
    gui.xdo("key", "Down")
    gui.xdo("key", "Return")
    err = wait_file(stderr, "compared:", 10)
    got = [l for l in err.splitlines() if "compared:" in l]
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
    ok = export_with_menu(wid, 0, csv_path)
    check(ok, "Export > Metrics as CSV wrote %s" % csv_path)
    if ok:
        rows = [l.split(",") for l in open(csv_path, errors="replace").read().splitlines()]
        head = rows[0] if rows else []
        g = (float(rows[1][head.index("global_accuracy")])
             if "global_accuracy" in head and len(rows) > 1 else None)
        check(g is not None and abs(g - ref["global_accuracy"]) < 1e-6,
              "the CSV's G %s is relabel eval's %.6f (header: %s)"
              % (g, ref["global_accuracy"], ",".join(head)[:80]))
    ok = export_with_menu(wid, 1, json_path)
    check(ok, "Export > Metrics as JSON wrote %s" % json_path)
    if ok:
        got = json.load(open(json_path))
        check(got.get("confusion") == ref["confusion"],
              "the exported JSON's confusion matrix is relabel eval's")
    ok = export_with_menu(wid, 3, png_path)
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
    text = gui.wait_log(log, "# page dashboard", 10)
    check("# page dashboard" in text, "Alt+2 shows the dashboard")
    stderr = os.path.join(tmp, "app.stderr")
    err = wait_file(stderr, "run none", 20)
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
    err = wait_file(stderr, "run shown", 20)
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
    geo = [l for l in open(stderr).read().splitlines() if "confusion grid" in l]
    check(bool(geo), "the confusion chart logged its place")
    if geo:
        parts = geo[-1].split("confusion grid ")[1].split()
        n = int(parts[0])
        x0, y0 = (float(v) for v in parts[3].split(","))
        cell = float(parts[5])
        check(n == K, "the heat map shows the %d classes (got %d)" % (K, n))
        x, y = int(x0 + (tb + 0.5) * cell), int(y0 + (ta + 0.5) * cell)
        gui.xdo("mousemove", "--window", wid, x, y)
        time.sleep(0.3)
        gui.xdo("click", "1")
        text = gui.wait_log(log, "# filtered", 15)
        got = [l for l in text.splitlines() if l.startswith("# filtered")]
        check(bool(got), "clicking the cell filtered the image list")
        if got:
            f = got[-1].split()
            names = f[3].split(",") if len(f) > 3 else []
            want = [h["image"] for h in hits]
            check(int(f[2]) == len(want) and names == want,
                  "the list shows %s, as relabel eval --cell lists %s" % (names, want))
        text = gui.wait_log(log, "# page images", 10)
        check("# page images" in text, "the images page is shown after the click")
        text = gui.wait_log(log, "# highlight", 15)
        hl = [l for l in text.splitlines() if l.startswith("# highlight")]
        check(bool(hl) and hits and int(hl[-1].split()[3]) == hits[0]["pixels"],
              "the first image's highlighted pixels (%s) are those the metrics counted (%s)"
              % (hl[-1].split()[3] if hl else "none", hits[0]["pixels"] if hits else "-"))
        time.sleep(1.0)
        gui.screenshot("gui-dashboard-cell.png")
    before = open(log).read().count("# page dashboard")
    gui.xdo("key", "--window", wid, "alt+2")
    end = time.time() + 5
    while open(log).read().count("# page dashboard") == before and time.time() < end:
        time.sleep(0.2)
    check(open(log).read().count("# page dashboard") > before, "Alt+2 goes back to the dashboard")
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
    err = wait_file(stderr, "run shown", 20)
    check("run shown" in err, "after a restart the stored result shows without computing")
    shown = [l for l in err.splitlines() if "run shown" in l]
    if shown:
        print(shown[-1])
    time.sleep(1.0)
    gui.screenshot("gui-dashboard-dark.png")
    test_compare_export(tmp, wid, project, ref, ref2, stderr)
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
