#!/usr/bin/python3
"""Writes a Relabel model (any --arch) as ONNX.

  export_onnx.py MODEL.safetensors OUT.onnx [--height 360 --width 480] [--dynamic] [--opset 13]

The graph takes "image": float32 (N, 3, H, W) RGB values 0..255 (the model's input_mean /
input_std normalisation is inside the graph, and for a model with input_norm "image" each
image's channel standardisation too: ReduceMean over H and W, in float32) and gives "logits"
(N, C, H, W) and "labels" (N, H, W) int64, the argmax. Max-pooling keeps its argmax (ONNX
MaxPool's Indices output, ceil mode) and max-unpooling is a ScatterElements of each plane into
those indices (PyTorch 1.13 has no ONNX export of max_unpool2d; the values are the same). The
model's __metadata__ is copied into the ONNX file's metadata_props. With --dynamic, N, H and W
are free (the file is checked at the given size only).
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
PROG = "export_onnx.py"


def fail(msg, code=1):
    print("%s: %s" % (PROG, msg), file=sys.stderr)
    sys.exit(code)


try:
    import torch
except ImportError as e:
    fail("needs PyTorch: %s" % e)

from relabel_torch import models  # noqa: E402
from relabel_torch.data import STANDARDIZE_EPS  # noqa: E402
from relabel_torch.safetensors_io import SafetensorsError  # noqa: E402


class Exported(torch.nn.Module):
    def __init__(self, net, mean, std, input_norm="dataset"):
        super().__init__()
        self.net = net
        self.standardize = input_norm == "image"
        self.register_buffer("scale", (1.0 / (255.0 * torch.tensor(std, dtype=torch.float32))).view(1, 3, 1, 1))
        self.register_buffer("shift", (-torch.tensor(mean, dtype=torch.float32)
                                       / torch.tensor(std, dtype=torch.float32)).view(1, 3, 1, 1))

    def forward(self, image):
        x = image * self.scale + self.shift
        if self.standardize:
            # rl_standardize_planes: population variance, eps 1e-5 (the engine sums in double)
            m = x.mean(dim=(2, 3), keepdim=True)
            d = x - m
            x = d / torch.sqrt((d * d).mean(dim=(2, 3), keepdim=True) + STANDARDIZE_EPS)
        logits = self.net(x)
        return logits, logits.argmax(1)


def exportable(path):
    """(module ready for torch.onnx.export, parsed metadata, raw metadata)."""
    net, info, meta = models.load_model(path)
    net.unpool = "scatter"
    m = Exported(net, info["input_mean"], info["input_std"], info["input_norm"]).eval()
    return m, info, meta


def export(path, out, height=360, width=480, dynamic=False, opset=13):
    m, info, meta = exportable(path)
    x = torch.zeros(1, 3, height, width)
    axes = {"image": {0: "n", 2: "h", 3: "w"}, "logits": {0: "n", 2: "h", 3: "w"},
            "labels": {0: "n", 1: "h", 2: "w"}} if dynamic else None
    tmp = out + ".tmp"
    with torch.no_grad():
        torch.onnx.export(m, x, tmp, input_names=["image"], output_names=["logits", "labels"],
                          dynamic_axes=axes, opset_version=opset, do_constant_folding=True)
    try:
        import onnx
    except ImportError:
        onnx = None
    if onnx is not None:
        g = onnx.load(tmp)
        for k, v in meta.items():
            p = g.metadata_props.add()
            p.key, p.value = k, v
        g.producer_name = "relabel contrib/pytorch/export_onnx.py"
        onnx.save(g, tmp)
    os.replace(tmp, out)
    return info


def main(argv):
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    p.add_argument("model", metavar="MODEL.safetensors")
    p.add_argument("out", metavar="OUT.onnx")
    p.add_argument("--height", type=int, default=360)
    p.add_argument("--width", type=int, default=480)
    p.add_argument("--dynamic", action="store_true", help="free batch size, height and width")
    p.add_argument("--opset", type=int, default=13)
    a = p.parse_args(argv)
    if not (1 <= a.height <= 8192 and 1 <= a.width <= 8192) or not 11 <= a.opset <= 17:
        fail("--height/--width must be 1..8192 and --opset 11..17", 2)
    try:
        info = export(a.model, a.out, a.height, a.width, a.dynamic, a.opset)
    except (SafetensorsError, OSError) as e:
        fail(str(e))
    print("%s: %s, %d classes, input %s -> %s" % (PROG, info["arch"], info["num_classes"],
          "N x 3 x H x W" if a.dynamic else "1 x 3 x %d x %d" % (a.height, a.width), a.out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
