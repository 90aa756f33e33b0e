#!/usr/bin/python3
# Benchmark: the annotation window's frame gaps (ms between two frame-clock ticks, as the window
# logs them to RELABEL_DEBUG=frame-log=PATH) while the user paints strokes, switches images and
# while a pre-label job runs, driven with real input (xdotool) on the demo project. Prints
# p50/p95/p99/max per phase; on a 60 Hz frame clock a gap of ~16.7 ms is a frame on time, 33 ms one dropped frame.
# Run it under Xvfb from a build folder (it is a program, not a test):
#   RELABEL_BIN=build/relabel RELABEL_BUILD_ROOT=build RELABEL_SOURCE_ROOT=. \
#   xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- \
#     /usr/bin/python3 tests/bench/bench-window-frames.py [ROUNDS]
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    "gui", os.path.join(HERE, "..", "gui", "test-gui.py"))
gui = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gui)


def mark(log, text):
    with open(log, "a") as f:
        f.write("# bench %s\n" % text)


def phase_gaps(lines, name):
    gaps, inside = [], False
    for l in lines:
        if l == "# bench %s-start" % name:
            inside = True
        elif l == "# bench %s-end" % name:
            inside = False
        elif inside and not l.startswith("#"):
            gaps.append(gui.frame_gap(l)[0])
    return np.array(gaps)


def report(name, g):
    if len(g) == 0:
        print("%-13s no frames" % name)
        return
    print("%-13s n %5d  p50 %6.1f  p95 %6.1f  p99 %6.1f  max %6.1f ms  (> 17 ms: %d, > 33 ms: %d)"
          % (name, len(g), np.percentile(g, 50), np.percentile(g, 95), np.percentile(g, 99),
             g.max(), int((g > 17).sum()), int((g > 33).sum())), flush=True)


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    tmp = tempfile.mkdtemp(prefix="relabel-bench-frames-")
    try:
        model = os.path.join(tmp, "segnet-basic-random.safetensors")
        subprocess.run(["/usr/bin/python3", os.path.join(HERE, "..", "gui", "make-model.py"),
                        model], check=True)
        log = os.path.join(tmp, "frames.log")
        proc, project = gui.start_app(tmp, ["--model", model],
                                      {"RELABEL_DEBUG": "frame-log=" + log})
        wid = gui.app_window(proc, tmp)
        if wid is None:
            sys.exit(1)
        time.sleep(2.0)
        gui.xdo("windowfocus", "--sync", wid)

        mark(log, "idle-start")
        time.sleep(3.0)
        mark(log, "idle-end")

        gui.xdo("key", "--window", wid, "3")
        mark(log, "stroke-start")
        for r in range(rounds * 4):
            y = 300 + 25 * r
            gui.drag(wid, [(420 + 40 * i, y + (i % 2) * 6) for i in range(12)])
            time.sleep(0.4)   # the stroke's end (commit) lands in this phase too
        mark(log, "stroke-end")

        mark(log, "switch-start")
        for r in range(rounds * 8):
            gui.xdo("key", "--window", wid, "d" if (r // 4) % 2 == 0 else "a")
            time.sleep(0.25)
        time.sleep(0.5)
        mark(log, "switch-end")

        mark(log, "job-start")
        gui.xdo("key", "--window", wid, "ctrl+shift+l")
        gui.wait_log(log, "# job-end", 240)
        mark(log, "job-end")

        gui.stop_app(proc, tmp, wid)
        with open(log) as f:
            lines = f.read().splitlines()
        print("bench-window-frames: demo project (5 images, 480x360), %d rounds, %s" %
              (rounds, os.environ.get("GSK_RENDERER", "cairo renderer")))
        for name in ("idle", "stroke", "switch", "job"):
            report(name, phase_gaps(lines, name))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
