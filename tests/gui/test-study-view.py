#!/usr/bin/python3
# The decoder-study window (issue 21) under Xvfb, on a study `relabel study` makes here (2
# variants, segnet-basic and fcn-basic, a few steps on 9 CamVid images scaled to 80x60):
# - it opens from the dashboard with the keyboard (Alt+2, Alt+D "Decoder Study…", the folder
#   typed into the chooser) and, in the dark-style run, from RELABEL_DEBUG study=DIR; it shows the table (both runs finished) and, for the first scored image, the
#   two variants' boundary-error views side by side;
# - each view's image BF and mIoU equal `relabel predict` + `relabel eval --json` of that model
#   on that image (an independent path: files and the CLI), and the views are not empty;
# - light and dark styles: screenshots build/tests/gui/output/gui-study-view*.png. Any GTK
#   warning fails the test.
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("gui", os.path.join(HERE, "test-gui.py"))
gui = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gui)
check = gui.check
BIN = os.environ["RELABEL_BIN"]
CAMVID = os.environ["RELABEL_CAMVID"]


def make_study(tmp):
    from PIL import Image
    ds = os.path.join(tmp, "ds")
    lines = open(os.path.join(CAMVID, "train.txt")).read().split("\n")
    splits = {"train": [l for l in lines if "/0001TP_" in l][:6]
              + [l for l in lines if "/0006R0_" in l][:3],
              "val": [l for l in open(os.path.join(CAMVID, "val.txt")).read().split("\n")
                      if l][:3]}
    for split, ls in splits.items():
        os.makedirs(os.path.join(ds, split))
        os.makedirs(os.path.join(ds, split + "annot"))
        out = []
        for l in ls:
            n = os.path.basename(l.split()[0])
            Image.open(os.path.join(CAMVID, split, n)).convert("RGB").resize(
                (80, 60), Image.BILINEAR).save(os.path.join(ds, split, n))
            Image.open(os.path.join(CAMVID, split + "annot", n)).resize(
                (80, 60), Image.NEAREST).save(os.path.join(ds, split + "annot", n))
            out.append("/SegNet/CamVid/%s/%s /SegNet/CamVid/%sannot/%s" % (split, n, split, n))
        with open(os.path.join(ds, split + ".txt"), "w") as f:
            f.write("\n".join(out) + "\n")
    study = os.path.join(tmp, "study")
    subprocess.run([BIN, "study", "--dataset", "camvid:" + ds, "--archs", "segnet-basic,fcn-basic",
                    "--balancing", "median", "--budget", "iters=4,crop=32x48,batch=2,score-images=2",
                    "--threads", "1", "--timing-size", "60x80", "--timing-runs", "1",
                    "--out", study], check=True, capture_output=True)
    return ds, study


def reference(tmp, ds, model, name):
    """`relabel predict` + `relabel eval --json` of one model on one image: (bf, miou)."""
    d = tempfile.mkdtemp(dir=tmp)
    split = "val" if os.path.exists(os.path.join(ds, "val", name + ".png")) else "train"
    os.makedirs(os.path.join(d, "gt"))
    os.symlink(os.path.join(ds, split + "annot", name + ".png"), os.path.join(d, "gt", name + ".png"))
    subprocess.run([BIN, "predict", "--model", model, "--out", os.path.join(d, "pred"),
                    os.path.join(ds, split, name + ".png")], check=True)
    ev = json.loads(subprocess.run([BIN, "eval", "--gt", os.path.join(d, "gt"), "--pred",
                                    os.path.join(d, "pred"), "--dataset", "camvid", "--json"],
                                   check=True, capture_output=True, text=True).stdout)
    return ev["per_image"][0]["bf"], ev["per_image"][0]["miou"]


def open_with_keys(wid, study, log):
    """The user's path: Alt+2 (dashboard), Alt+D (Decoder Study…), the folder typed into the
    file chooser's location (Ctrl+L), Enter to accept."""
    gui.xdo("windowfocus", "--sync", wid)
    n = gui.count_lines(log, "# page dashboard")
    gui.xdo("key", "alt+2")
    gui.wait_new_line(log, "# page dashboard", n, 30)
    check(gui.count_lines(log, "# page dashboard") > n, "Alt+2 shows the dashboard")
    gui.xdo("key", "alt+d")
    chooser = gui.wait_window("Open a Decoder Study", 30)
    check(chooser is not None, "Alt+D on the dashboard opens the study folder chooser")
    if chooser is None:
        return
    gui.xdo("windowfocus", "--sync", chooser)
    time.sleep(1)
    gui.xdo("key", "ctrl+l")
    time.sleep(0.5)
    gui.xdo("type", "--delay", "20", study + "/")
    time.sleep(0.5)
    gui.xdo("key", "Return")
    time.sleep(1)
    # still open (Enter in the location entry went into the folder): accept it
    if subprocess.run(["xdotool", "search", "--onlyvisible", "--name", "Open a Decoder Study"],
                      capture_output=True, text=True).stdout.strip():
        gui.xdo("key", "alt+o")
    gui.release_keys()


def run_view(tmp, ds, study, style):
    log = os.path.join(tmp, "frames-%s.log" % style)
    # light: opened as a user does; dark: straight from RELABEL_DEBUG study=DIR
    debug = "frame-log=%s" % log + (",study=%s" % study if style == "dark" else "")
    env = {"RELABEL_DEBUG": debug}
    if style == "dark":
        env["GTK_THEME"] = "Adwaita:dark"
    proc, _ = gui.start_app(tmp, [], env)
    wid = gui.app_window(proc, tmp)
    if wid is None:
        return
    if style == "light":
        open_with_keys(wid, study, log)
    text = gui.wait_log(log, "# study-compare", 180)
    check("# study-table 2 2" in text, "%s: the table shows 2 of 2 finished runs" % style)
    line = next((l for l in text.splitlines() if l.startswith("# study-compare")), None)
    check(line is not None, "%s: the two boundary-error views are shown" % style)
    if line is not None:
        parts = line.split()
        name = parts[2]
        results = json.load(open(os.path.join(study, "table.json")))["rows"]
        models = {r["arch"]: os.path.join(study, r["model"]) for r in results}
        for part, arch in ((parts[3:8], "segnet-basic"), (parts[8:13], "fcn-basic")):
            check(part[0] == arch + "-median", "%s: the left/right views are %s" % (style, arch))
            f = dict(p.split("=") for p in part[1:])
            bf, miou = reference(tmp, ds, models[arch], name)
            check(abs(float(f["bf"]) - bf) < 1e-6 and abs(float(f["miou"]) - miou) < 1e-6,
                  "%s: %s on %s: the view's BF %s and mIoU %s equal predict + eval's %.9f, %.9f"
                  % (style, arch, name, f["bf"], f["miou"], bf, miou))
            check(int(f["missed"]) + int(f["spurious"]) > 0,
                  "%s: %s's view marks boundary errors" % (style, arch))
    view = gui.wait_window("^Decoder Study", 30)
    check(view is not None, "%s: a window titled Decoder Study is shown" % style)
    if view is not None:
        # Xvfb has no window manager to keep the transient window above the main one
        gui.xdo("windowraise", view)
        gui.xdo("windowmove", view, 0, 0)
        time.sleep(1)
    gui.screenshot("gui-study-view%s.png" % ("" if style == "light" else "-dark"))
    gui.stop_app(proc, tmp, wid)


def main():
    tmp = tempfile.mkdtemp(prefix="relabel-study-")
    try:
        ds, study = make_study(tmp)
        run_view(tmp, ds, study, "light")
        run_view(tmp, ds, study, "dark")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if gui.failures:
        print("%d check(s) failed" % len(gui.failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
