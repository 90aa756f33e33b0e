#!/usr/bin/python3
# Writes a SegNet-Basic safetensors file with random (He-initialised) weights for 11 CamVid
# classes (or, with --sunrgbd, SUN RGB-D's 37 + void 0): the GUI tests need a model of the real
# size to pre-label with, not a good one.
import json
import struct
import sys

import numpy as np


def main(out, sunrgbd=False):
    rng = np.random.default_rng(7)
    tensors = {}

    def block(name, cin, cout, k):
        std = np.sqrt(2.0 / (cin * k * k))
        tensors[name + ".conv.weight"] = (rng.standard_normal((cout, cin, k, k)) * std)
        tensors[name + ".conv.bias"] = np.zeros(cout)
        tensors[name + ".bn.weight"] = np.ones(cout)
        tensors[name + ".bn.bias"] = np.zeros(cout)
        tensors[name + ".bn.running_mean"] = np.zeros(cout)
        tensors[name + ".bn.running_var"] = np.ones(cout)

    block("enc1", 3, 64, 7)
    for i in (2, 3, 4):
        block("enc%d" % i, 64, 64, 7)
    for i in (4, 3, 2, 1):
        block("dec%d" % i, 64, 64, 7)
    names = ["Sky", "Building", "Pole", "Road", "Pavement", "Tree", "SignSymbol", "Fence",
             "Car", "Pedestrian", "Bicyclist"]
    ignore = 11
    if sunrgbd:
        names = ["void", "wall", "floor", "cabinet", "bed", "chair", "sofa", "table", "door",
                 "window", "bookshelf", "picture", "counter", "blinds", "desk", "shelves",
                 "curtain", "dresser", "pillow", "mirror", "floor mat", "clothes", "ceiling",
                 "books", "fridge", "tv", "paper", "towel", "shower curtain", "box",
                 "whiteboard", "person", "night stand", "toilet", "sink", "lamp", "bathtub",
                 "bag"]
        ignore = 0
    k = len(names)
    tensors["classifier.weight"] = rng.standard_normal((k, 64, 1, 1)) * 0.1
    tensors["classifier.bias"] = np.zeros(k)
    header = {"__metadata__": {
        "arch": "segnet-basic", "num_classes": str(k), "class_names": json.dumps(names),
        "ignore_index": str(ignore), "input_mean": "[0.4, 0.4, 0.4]",
        "input_std": "[0.3, 0.3, 0.3]", "bn_eps": "1e-05"}}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        data = np.ascontiguousarray(tensors[name], dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(out, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


if __name__ == "__main__":
    main(sys.argv[1], "--sunrgbd" in sys.argv[2:])
