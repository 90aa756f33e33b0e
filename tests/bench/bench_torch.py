#!/usr/bin/python3
# PyTorch 1.13 fp32 peer of bench-engine.c: SegNet-Basic at 360x480, NCHW and channels-last,
# inference latency (median), peak RSS, training step at batch 4. Each measurement in a child.
import argparse
import os
import resource
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "engine"))


def measure(mode, layout, threads, runs):
    import torch
    import torch.nn as nn
    from parity import SegNetBasic
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    fmt = torch.channels_last if layout == "channels-last" else torch.contiguous_format
    model = SegNetBasic(11).to(memory_format=fmt)
    times = []
    if mode == "infer":
        model.eval()
        x = torch.randn(1, 3, 360, 480).to(memory_format=fmt)
        with torch.no_grad():
            for r in range(runs + 1):
                t0 = time.perf_counter()
                model(x).argmax(1)
                if r > 0:
                    times.append(time.perf_counter() - t0)
    else:
        model.train()
        x = torch.randn(4, 3, 360, 480).to(memory_format=fmt)
        y = torch.randint(0, 12, (4, 360, 480))
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
        loss_fn = nn.CrossEntropyLoss(ignore_index=11)
        for r in range(runs + 1):
            t0 = time.perf_counter()
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()
            if r > 0:
                times.append(time.perf_counter() - t0)
    times.sort()
    n = len(times)
    med = times[n // 2] if n % 2 else 0.5 * (times[n // 2 - 1] + times[n // 2])
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print("RESULT %s %s %.4f %.0f" % (mode, layout, med, rss))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--train-runs", type=int, default=3)
    ap.add_argument("--child", nargs=2)
    ap.add_argument("--c-infer", type=float, default=0)
    ap.add_argument("--c-train", type=float, default=0)
    a = ap.parse_args()
    if a.child:
        measure(a.child[0], a.child[1], a.threads, a.runs if a.child[0] == "infer" else a.train_runs)
        return
    try:
        import torch
    except ImportError:
        print("PyTorch not available")
        sys.exit(1)
    import subprocess
    results = {}
    for mode in ("infer", "train"):
        for layout in ("nchw", "channels-last"):
            out = subprocess.run([sys.executable, __file__, "--threads", str(a.threads), "--runs",
                                  str(a.runs), "--train-runs", str(a.train_runs), "--child", mode, layout],
                                 capture_output=True, text=True, check=True).stdout
            for line in out.splitlines():
                if line.startswith("RESULT"):
                    _, m, l, t, rss = line.split()
                    results[(m, l)] = (float(t), float(rss))
                    what = "inference" if m == "infer" else "training step, batch 4"
                    print("PyTorch %s fp32 %s %s: median %.3f s, peak RSS %.0f MB"
                          % (torch.__version__, l, what, float(t), float(rss)))
    for m in ("infer", "train"):
        best = min(("nchw", "channels-last"), key=lambda l: results[(m, l)][0])
        c = a.c_infer if m == "infer" else a.c_train
        line = "PyTorch best %s: %s %.3f s" % ("inference" if m == "infer" else "training step", best, results[(m, best)][0])
        if c > 0:
            line += "; C engine / PyTorch time ratio %.2f" % (c / results[(m, best)][0])
        print(line)


if __name__ == "__main__":
    main()
