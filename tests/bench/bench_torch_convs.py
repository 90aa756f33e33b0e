#!/usr/bin/python3
# PyTorch peer of bench-speed.c: times SegNet-Basic's convolutions at 360x480 in PyTorch 1.13
# (2 threads; fp32 NCHW, fp32 channels_last, bf16 autocast) so the figures sit side by side.
import argparse
import time

import torch
import torch.nn.functional as F

PEAK_FP32_GFLOPS = 415.0

# name, c_in, c_out, k, scale (input is 360/scale x 480/scale), as in bench-speed.c
LAYERS = [
    ("enc1", 3, 64, 7, 1), ("enc2", 64, 64, 7, 2), ("enc3", 64, 64, 7, 4),
    ("enc4", 64, 64, 7, 8), ("dec4", 64, 64, 7, 8), ("dec3", 64, 64, 7, 4),
    ("dec2", 64, 64, 7, 2), ("dec1", 64, 64, 7, 1), ("cls", 64, 11, 1, 1),
]
MODES = ["fp32 NCHW", "fp32 channels_last", "bf16 autocast"]


def shape(height, width, layer, batch):
    _, c_in, c_out, k, scale = layer
    h, w = -(-height // scale), -(-width // scale)
    return batch, c_in, h, w, c_out, k


def gflop(n, c_in, h, w, c_out, k):
    return 2.0 * n * c_out * c_in * k * k * h * w * 1e-9


def best_of(fn, reps, cpu=None):
    """Best wall time of reps calls after a warm-up; cpu (a list) gets the least CPU time."""
    fn()  # warm-up: oneDNN primitive creation, allocator
    best = best_cpu = float("inf")
    for _ in range(reps):
        t, c = time.perf_counter(), time.process_time()
        fn()
        best = min(best, time.perf_counter() - t)
        best_cpu = min(best_cpu, time.process_time() - c)
    if cpu is not None:
        cpu.append(best_cpu)
    return best


def time_layer(mode, n, c_in, h, w, c_out, k, training, reps):
    """Seconds for forward, and for backward (data + weights + bias) when training."""
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(n, c_in, h, w, generator=gen) - 0.5
    wt = (torch.rand(c_out, c_in, k, k, generator=gen) - 0.5) * 0.1
    b = torch.rand(c_out, generator=gen) - 0.5
    if mode == "fp32 channels_last":
        x = x.contiguous(memory_format=torch.channels_last)
        wt = wt.contiguous(memory_format=torch.channels_last)
    autocast = mode == "bf16 autocast"
    # The first layer's input gradient is never needed (as in bench-speed.c).
    x.requires_grad_(training and c_in != 3)
    wt.requires_grad_(training)
    b.requires_grad_(training)

    def fwd():
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            return F.conv2d(x, wt, b, padding=k // 2)

    if not training:
        with torch.no_grad():
            return best_of(fwd, reps), None
    t_fwd = best_of(fwd, reps)
    y = fwd()
    gy = torch.rand(y.shape, generator=gen, dtype=y.dtype)
    if mode == "fp32 channels_last":
        gy = gy.contiguous(memory_format=torch.channels_last)

    def fwd_bwd():
        out = fwd()
        out.backward(gy)

    t_both = best_of(fwd_bwd, reps)
    return t_fwd, max(t_both - t_fwd, 0.0)


class SegNetBasic(torch.nn.Module):
    """SegNet-Basic as ARCHITECTURE.md describes it (the engine's network), for whole-net timing."""

    def __init__(self, classes=11):
        super().__init__()
        nn = torch.nn
        self.enc = nn.ModuleList(
            nn.Sequential(nn.Conv2d(3 if i == 0 else 64, 64, 7, padding=3), nn.BatchNorm2d(64),
                          nn.ReLU()) for i in range(4))
        self.dec = nn.ModuleList(
            nn.Sequential(nn.Conv2d(64, 64, 7, padding=3), nn.BatchNorm2d(64)) for _ in range(4))
        self.classifier = nn.Conv2d(64, classes, 1)

    def forward(self, x):
        idx, sizes = [], []
        for enc in self.enc:
            x = enc(x)
            sizes.append(x.shape[-2:])
            x, i = F.max_pool2d(x, 2, 2, ceil_mode=True, return_indices=True)
            idx.append(i)
        for dec, i, size in zip(self.dec, reversed(idx), reversed(sizes)):
            x = dec(F.max_unpool2d(x, i, 2, 2, output_size=size))
        return self.classifier(x)


def bench_network(height, width, reps):
    """Whole SegNet-Basic: inference at batch 1 (eval), SGD training step at batch 4."""
    print(f"\n## whole SegNet-Basic in PyTorch, {height}x{width}, best of {reps}")
    for mode in MODES:
        torch.manual_seed(0)
        net = SegNetBasic()
        x1 = torch.rand(1, 3, height, width)
        x4 = torch.rand(4, 3, height, width)
        labels = torch.randint(0, 11, (4, height, width))
        if mode == "fp32 channels_last":
            net = net.to(memory_format=torch.channels_last)
            x1 = x1.contiguous(memory_format=torch.channels_last)
            x4 = x4.contiguous(memory_format=torch.channels_last)
        autocast = mode == "bf16 autocast"
        opt = torch.optim.SGD(net.parameters(), lr=1e-3, momentum=0.9, weight_decay=5e-4)

        def infer():
            with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
                return net(x1)

        def step():
            opt.zero_grad()
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
                loss = F.cross_entropy(net(x4).float(), labels)
            loss.backward()
            opt.step()

        cpu = []
        net.eval()
        t_inf = best_of(infer, reps, cpu)
        net.train()
        t_step = best_of(step, reps, cpu)
        threads = torch.get_num_threads()
        print(f"{mode:20}: inference {t_inf * 1e3:7.1f} ms, training step (batch 4) "
              f"{t_step * 1e3:7.1f} ms | CPU time / {threads} threads: inference "
              f"{cpu[0] * 1e3 / threads:7.1f} ms, training step {cpu[1] * 1e3 / threads:7.1f} ms",
              flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--size", default="360x480")
    ap.add_argument("--inference-only", action="store_true")
    ap.add_argument("--training-only", action="store_true")
    ap.add_argument("--network", action="store_true", help="time the whole SegNet-Basic instead")
    args = ap.parse_args()
    height, width = (int(v) for v in args.size.split("x"))
    torch.set_num_threads(args.threads)
    print(f"# PyTorch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"mkldnn {torch.backends.mkldnn.is_available()}")
    with open("/proc/loadavg") as f:
        print(f"# load average at start: {f.read().strip()}")
    if args.network:
        bench_network(height, width, args.reps)
        return
    runs = []
    if not args.training_only:
        runs.append(("inference (forward)", 1, False))
    if not args.inference_only:
        runs.append(("training (forward, backward data+weights+bias)", 4, True))
    for title, batch, training in runs:
        print(f"\n## {title}: batch {batch}, {height}x{width}, best of {args.reps}")
        head = f"{'layer':5} {'GFLOP':>7}"
        for m in MODES:
            head += f" | {m:>18} fwd ms" + (" bwd ms" if training else "") + "  GF/s"
        print(head)
        totals = {m: [0.0, 0.0] for m in MODES}
        total_gf = [0.0, 0.0]
        for layer in LAYERS:
            n, c_in, h, w, c_out, k = shape(height, width, layer, batch)
            gf = gflop(n, c_in, h, w, c_out, k)
            gf_bwd = gf * (1 if c_in == 3 else 2)
            line = f"{layer[0]:5} {gf:7.2f}"
            for m in MODES:
                tf, tb = time_layer(m, n, c_in, h, w, c_out, k, training, args.reps)
                totals[m][0] += tf
                if training:
                    totals[m][1] += tb
                    line += f" | {tf * 1e3:25.1f} {tb * 1e3:6.1f} {(gf + gf_bwd) / (tf + tb):5.0f}"
                else:
                    line += f" | {tf * 1e3:25.1f} {gf / tf:5.0f}"
            total_gf[0] += gf
            total_gf[1] += gf_bwd
            print(line, flush=True)
        line = f"{'all':5} {sum(total_gf) if training else total_gf[0]:7.2f}"
        for m in MODES:
            tf, tb = totals[m]
            g = (total_gf[0] + total_gf[1]) / (tf + tb) if training else total_gf[0] / tf
            line += (f" | {tf * 1e3:25.1f} {tb * 1e3:6.1f} {g:5.0f}" if training
                     else f" | {tf * 1e3:25.1f} {g:5.0f}")
        print(line)
        for m in MODES:
            tf, tb = totals[m]
            print(f"{m}: {(tf + tb) * 1e3:.1f} ms of convolutions, "
                  f"{100 * ((sum(total_gf) if training else total_gf[0]) / (tf + tb)) / PEAK_FP32_GFLOPS:.0f}% of the fp32 peak")


if __name__ == "__main__":
    main()
