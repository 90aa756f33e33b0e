#!/usr/bin/python3
# PyTorch 1.13 peer of bench-engine.c: SegNet-Basic / SegNet at 360x480 (or --size) in fp32 NCHW,
# fp32 channels-last and bf16 autocast (channels-last): inference, training step at batch 4 (or
# --batch), peak RSS.
import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "engine"))

H, W, CLASSES, BATCH = 360, 480, 11, 4
ARCHS = {"basic": "SegNetBasic", "vgg": "SegNet"}
CONFIGS = ("fp32-nchw", "fp32-cl", "bf16-cl")


def status_kb(field):
    """A /proc/self/status field (VmHWM restarts at exec, unlike ru_maxrss, which a child
    inherits from the parent that forked it)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return float(line.split()[1])
    return -1.0


def median(v):
    v = sorted(v)
    n = len(v)
    return v[n // 2] if n % 2 else 0.5 * (v[n // 2 - 1] + v[n // 2])


def measure(arch, config, mode, threads, runs, weights=None):
    import contextlib
    import torch
    import torch.nn as nn
    import parity
    start_kb = status_kb("VmRSS")
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    fmt = torch.contiguous_format if config == "fp32-nchw" else torch.channels_last
    bf16 = config.startswith("bf16")

    def autocast():
        if bf16:
            return torch.autocast("cpu", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    model = getattr(parity, ARCHS[arch])(CLASSES)
    if weights and mode == "infer":
        # The same trained weights bench-engine's inference uses (PyTorch state_dict names).
        tensors, _ = parity.read_safetensors(weights)
        model.load_state_dict({k: torch.from_numpy(v).float() for k, v in tensors.items()},
                              strict=False)
    model = model.to(memory_format=fmt)
    times, cpu = [], []
    if mode == "infer":
        model.eval()
        x = torch.randn(1, 3, H, W).to(memory_format=fmt)
        with torch.no_grad():
            for _ in range(runs + 1):
                t0 = time.perf_counter()
                with autocast():
                    model(x).argmax(1)
                times.append(time.perf_counter() - t0)
    else:
        model.train()
        x = torch.randn(BATCH, 3, H, W).to(memory_format=fmt)
        y = torch.randint(0, CLASSES, (BATCH, H, W))
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
        loss_fn = nn.CrossEntropyLoss(ignore_index=255)
        for _ in range(runs + 1):
            t0 = time.perf_counter()
            c0 = time.process_time()
            opt.zero_grad()
            with autocast():
                loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
    first, rest = times[0], times[1:]
    hwm_mb = status_kb("VmHWM") / 1024.0
    print("RESULT %s %s %s %.6f %.6f %.6f %.1f %.1f"
          % (arch, config, mode, first, median(rest), min(rest), hwm_mb, start_kb / 1024.0))
    if cpu:
        # CPU seconds of a training step (all threads): on a busy machine, divided by the
        # threads, it estimates the step with the cores to itself (bench-speed prints the same).
        print("CPURESULT %s %s %s %.6f %.6f"
              % (arch, config, mode, median(cpu[1:]), min(cpu[1:])))


def set_size(size, batch):
    global H, W, BATCH
    H, W = (int(v) for v in size.split("x"))
    BATCH = batch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", choices=("basic", "vgg", "both"), default="both")
    ap.add_argument("--configs", default=",".join(CONFIGS))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--train-runs", type=int, default=3)
    ap.add_argument("--quiet", action="store_true",
                    help="only RESULT lines per measurement (bench-engine prints them itself)")
    ap.add_argument("--child", nargs=3, metavar=("ARCH", "CONFIG", "MODE"))
    ap.add_argument("--model", help="SegNet-Basic safetensors for inference (trained weights)")
    ap.add_argument("--size", default="%dx%d" % (H, W), help="HxW of the images (default 360x480)")
    ap.add_argument("--batch", type=int, default=BATCH, help="training batch (default 4)")
    a = ap.parse_args()
    set_size(a.size, a.batch)
    if a.child:
        arch, config, mode = a.child
        measure(arch, config, mode, a.threads, a.runs if mode == "infer" else a.train_runs,
                a.model if arch == "basic" else None)
        return
    try:
        import torch
    except ImportError as e:
        print("PyTorch not available: %s" % e)
        sys.exit(1)
    onednn = [l.strip() for l in torch.__config__.show().splitlines()
              if "oneDNN" in l or "MKL-DNN" in l]
    print("  PyTorch %s (%s), %d threads; each measurement in its own process"
          % (torch.__version__, onednn[0] if onednn else "no oneDNN line in its config",
             a.threads))
    sys.stdout.flush()
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads))
    failed = 0
    archs = ("basic", "vgg") if a.arch == "both" else (a.arch,)
    for arch in archs:
        for config in a.configs.split(","):
            if config not in CONFIGS:
                print("relabel: --configs: '%s' is not one of %s" % (config, ", ".join(CONFIGS)),
                      file=sys.stderr)
                sys.exit(2)
            for mode in ("infer", "train"):
                cmd = [sys.executable, os.path.abspath(__file__), "--threads", str(a.threads),
                       "--runs", str(a.runs), "--train-runs", str(a.train_runs),
                       "--size", a.size, "--batch", str(a.batch),
                       "--child", arch, config, mode] + (["--model", a.model] if a.model else [])
                p = subprocess.run(cmd, capture_output=True, text=True, env=env)
                results = [l for l in p.stdout.splitlines() if l.startswith("RESULT ")]
                for line in p.stdout.splitlines():
                    if line.startswith("CPURESULT "):
                        print(line)
                if p.returncode != 0 or not results:
                    err = p.stderr.strip().splitlines()
                    print("  PyTorch %s %s %s failed: %s"
                          % (arch, config, mode, err[-1] if err else "exit %d" % p.returncode))
                    failed = 1
                for line in results:
                    print(line)
                    _, ar, c, m, first, med, mn, hwm, start = line.split()
                    if not a.quiet:
                        print("  PyTorch %-5s %-9s %-5s median %.3f s (min %.3f; first call"
                              " %.3f s), peak RSS %.0f MB (%.0f at start)"
                              % (ar, c, m, float(med), float(mn), float(first), float(hwm),
                                 float(start)))
                sys.stdout.flush()
    sys.exit(failed)


if __name__ == "__main__":
    main()
