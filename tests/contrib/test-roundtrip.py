#!/usr/bin/python3
"""Issue 22: Relabel-trained models (the shipped SegNet-Basic, and a VGG SegNet written by
`relabel train --arch segnet`) loaded into PyTorch and saved back are bit-identical in their
tensors (and, since the header is laid out as the engine lays it out, the same file byte for
byte); damaged files are refused with one-line messages."""
import os
import shutil
import struct
import tempfile

from contrib_common import BIN, SRC, check, finish, make_export, np, run
import torch

from relabel_torch import SafetensorsError, load_model, read_safetensors, save_model
from relabel_torch.models import build_model

torch.set_num_threads(1)


def roundtrip(path, tmp, what):
    model, info, meta = load_model(path)
    back = os.path.join(tmp, "back-" + os.path.basename(path))
    save_model(back, model, meta)
    a, ma = read_safetensors(path)
    b, mb = read_safetensors(back)
    same = list(a) == list(b) and all(a[k].dtype == b[k].dtype and a[k].shape == b[k].shape
                                      and a[k].tobytes() == b[k].tobytes() for k in a)
    check(same, "%s: %d tensors bit-identical after PyTorch and back" % (what, len(a)))
    check(ma == mb, "%s: __metadata__ identical" % what)
    check(open(path, "rb").read() == open(back, "rb").read(), "%s: the same file byte for byte" % what)
    # The names are PyTorch's state_dict names of the module (nothing renamed on the way).
    sd = [k for k in build_model(info["arch"], info["num_classes"]).state_dict()
          if not k.endswith("num_batches_tracked")]
    check(sd == list(a), "%s: the file's tensor names are the module's state_dict names, in order" % what)
    return model, info


def refused(path, expect):
    try:
        load_model(path)
    except SafetensorsError as e:
        msg = str(e)
        check(expect in msg and "\n" not in msg and path in msg, "refused with: %s" % msg)
        return
    check(False, "%s was loaded, expected an error with '%s'" % (path, expect))


with tempfile.TemporaryDirectory() as tmp:
    shipped = os.path.join(SRC, "resources/models/segnet-basic-camvid.safetensors")
    model, _ = roundtrip(shipped, tmp, "shipped segnet-basic")
    # Changing one weight changes the file (the comparison above can fail).
    with torch.no_grad():
        model.classifier.bias[0] += 1e-3
    _, _, meta = load_model(shipped)
    changed = os.path.join(tmp, "changed.safetensors")
    save_model(changed, model, meta)
    check(open(changed, "rb").read() != open(shipped, "rb").read(), "a changed weight changes the file")

    exp = make_export(tmp)
    vgg = os.path.join(tmp, "segnet-vgg.safetensors")
    run([BIN, "train", "--dataset", "camvid:" + exp, "--arch", "segnet", "--out", vgg, "--iters", "1",
         "--batch", "1", "--crop", "32x32", "--val-split", "", "-q", "--threads", "1",
         "--engine", "reference"])
    roundtrip(vgg, tmp, "relabel-trained segnet (VGG)")

    # Damaged files: one line each, naming the file.
    data = open(shipped, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    cut = os.path.join(tmp, "cut.safetensors")
    open(cut, "wb").write(data[:len(data) // 2])
    refused(cut, "data_offsets")
    short = os.path.join(tmp, "short.safetensors")
    open(short, "wb").write(data[:5])
    refused(short, "too short")
    t, m = read_safetensors(shipped)
    from relabel_torch import write_safetensors
    missing = os.path.join(tmp, "missing.safetensors")
    write_safetensors(missing, [(k, v) for k, v in t.items() if k != "dec2.bn.running_var"], m)
    refused(missing, "tensor 'dec2.bn.running_var' is missing")
    extra = os.path.join(tmp, "extra.safetensors")
    write_safetensors(extra, list(t.items()) + [("head.weight", np.zeros(3, np.float32))], m)
    refused(extra, "unexpected tensor 'head.weight'")
    nometa = os.path.join(tmp, "nometa.safetensors")
    write_safetensors(nometa, list(t.items()), {k: v for k, v in m.items() if k != "input_std"})
    refused(nometa, "metadata lacks 'input_std'")
    # ... and the engine refuses what we refuse.
    r = __import__("subprocess").run([BIN, "predict", "--model", missing, "--out", os.path.join(tmp, "p"),
                                      os.path.join(exp, "val", os.listdir(os.path.join(exp, "val"))[0])],
                                     capture_output=True, text=True)
    check(r.returncode == 1 and "dec2.bn.running_var" in r.stderr,
          "relabel predict refuses the same file: %s" % r.stderr.strip())
finish()
