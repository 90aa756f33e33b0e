#!/usr/bin/python3
"""Writes the seed corpora under tests/fuzz/corpus/ from real files, kept to a few KB each:
crops of real CamVid images and labels (PNG and JPEG), the header of the shipped model with its
tensors cut down, lines of CamVid's train.txt, classes.json files as the folder loader expects
them, and a project made by `relabel import` on a 2-image folder dataset then VACUUMed.

Usage: tests/fuzz/make-corpus.py RELABEL_BINARY [CAMVID_DIR]
(RELABEL_BINARY: e.g. build/app/relabel; CAMVID_DIR: default ../shared/datasets/camvid)."""
import io
import json
import os
import sqlite3
import struct
import subprocess
import sys
import tempfile

from PIL import Image

here = os.path.dirname(os.path.abspath(__file__))
top = os.path.dirname(os.path.dirname(here))
relabel = os.path.abspath(sys.argv[1])
camvid = sys.argv[2] if len(sys.argv) > 2 else os.path.join(top, '..', 'shared', 'datasets',
                                                            'camvid')
corpus = os.path.join(here, 'corpus')
# CamVid's classes (SegNet tutorial colours), void 11 drawn black.
camvid_colours = [(128, 128, 128), (128, 0, 0), (192, 192, 128), (128, 64, 128), (60, 40, 222),
                  (128, 128, 0), (192, 128, 128), (64, 64, 128), (64, 0, 128), (64, 64, 0),
                  (0, 128, 192)]


def put(target, name, data):
    os.makedirs(os.path.join(corpus, target), exist_ok=True)
    with open(os.path.join(corpus, target, name), 'wb') as f:
        f.write(data)


def encode(img, fmt, **kw):
    b = io.BytesIO()
    img.save(b, fmt, **kw)
    return b.getvalue()


def crops():
    """A real image and its label cut to 24 x 18 pixels from the middle of the frame."""
    first = open(os.path.join(camvid, 'train.txt')).readline().split()
    name = os.path.basename(first[0])
    img = Image.open(os.path.join(camvid, 'train', name)).convert('RGB')
    lab = Image.open(os.path.join(camvid, 'trainannot', name))
    box = (228, 171, 252, 189)
    return img.crop(box), lab.crop(box)


def png_jpeg():
    img, lab = crops()
    put('png', 'rgb.png', encode(img, 'PNG'))
    put('png', 'rgba.png', encode(img.convert('RGBA'), 'PNG'))
    put('png', 'label-gray.png', encode(lab.convert('L'), 'PNG'))
    pal = lab.convert('L').convert('P')
    flat = [c for rgb in camvid_colours for c in rgb] + [0, 0, 0] * (256 - len(camvid_colours))
    pal.putpalette(flat)
    put('png', 'label-palette.png', encode(pal, 'PNG'))
    put('png', 'label-1bit.png', encode(lab.convert('L').point(lambda v: v & 1).convert('1'),
                                        'PNG'))
    put('png', 'gray16.png', encode(lab.convert('I').point(lambda v: v * 4000), 'PNG'))
    colour = Image.new('RGB', lab.size)
    colour.putdata([camvid_colours[v] if v < 11 else (0, 0, 0) for v in lab.getdata()])
    put('png', 'label-colour.png', encode(colour, 'PNG'))
    put('jpeg', 'baseline.jpg', encode(img, 'JPEG', quality=80))
    put('jpeg', 'progressive.jpg', encode(img, 'JPEG', quality=60, progressive=True))
    put('jpeg', 'gray.jpg', encode(img.convert('L'), 'JPEG', quality=70))
    put('jpeg', 'cmyk.jpg', encode(img.convert('CMYK'), 'JPEG', quality=50))
    put('jpeg', 'subsampled.jpg', encode(img, 'JPEG', quality=90, subsampling=2))


def safetensors_bytes(meta, tensors):
    header = {'__metadata__': meta} if meta is not None else {}
    data = b''
    for name, dtype, shape, raw in tensors:
        header[name] = {'dtype': dtype, 'shape': shape,
                        'data_offsets': [len(data), len(data) + len(raw)]}
        data += raw
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * (-len(h) % 8)
    return struct.pack('<Q', len(h)) + h + data


def safetensors():
    path = os.path.join(top, 'resources', 'models', 'segnet-basic-camvid.safetensors')
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        blob = f.read()
    meta = header.pop('__metadata__')
    # The shipped model's own small tensors (biases, batch norm), in file order.
    small = []
    for name, t in header.items():
        a, b = t['data_offsets']
        if b - a <= 256 and len(small) < 5:
            small.append((name, t['dtype'], t['shape'], blob[a:b]))
    put('safetensors', 'real-header.safetensors', safetensors_bytes(meta, small))
    put('safetensors', 'metadata-only.safetensors', safetensors_bytes(meta, []))
    put('safetensors', 'dtypes.safetensors', safetensors_bytes({'note': 'x'}, [
        ('w', 'F32', [2, 3], struct.pack('<6f', *range(6))),
        ('enc1.bn.num_batches_tracked', 'I64', [], struct.pack('<q', 7)),
        ('h', 'F16', [2], b'\x00\x3c\x00\x40'),
        ('e', 'F32', [0, 4], b''),
    ]))


def camvid_list():
    with open(os.path.join(camvid, 'train.txt')) as f:
        real = [next(f) for _ in range(3)]
    put('camvid-list', 'real-lines.txt', ''.join(real).encode())
    put('camvid-list', 'layout.txt', (
        '/SegNet/CamVid/train/a.png /SegNet/CamVid/trainannot/a.png\n'
        '# the validation images\n'
        'val/b.png valannot/b.png\r\n'
        '/elsewhere/val/c.png\t/elsewhere/valannot/c.png\n'
        'train/a.png trainannot/a.png extra\n'
        'val/b.png\n').encode())


def classes_json():
    classes = [{'name': n, 'color': list(c)} for n, c in zip(
        ['Sky', 'Building', 'Pole', 'Road'], camvid_colours)]
    put('classes-json', 'minimal.json',
        json.dumps({'classes': classes[:2]}).encode())
    put('classes-json', 'full.json', json.dumps({
        'id': 'street', 'classes': classes, 'ignore_index': 255, 'void_color': [0, 0, 0],
        'high_is_void': False}, indent=2).encode())
    put('classes-json', 'void-inside.json', json.dumps({
        'classes': [{'name': 'void', 'color': [0, 0, 0]}] + classes[:3], 'ignore_index': 0,
        'void_color': [0, 0, 0], 'high_is_void': True}).encode())


def project():
    """relabel import on a 2-image folder dataset, paint, fill and undo steps, then a model,
    prediction and metrics run put in with SQL (their real forms are megabytes), VACUUMed with
    512-byte pages."""
    img, lab = crops()
    with tempfile.TemporaryDirectory() as d:
        ds = os.path.join(d, 'ds')
        os.makedirs(os.path.join(ds, 'images'))
        os.makedirs(os.path.join(ds, 'labels'))
        with open(os.path.join(ds, 'classes.json'), 'w') as f:
            f.write(json.dumps({'classes': [{'name': n, 'color': list(c)} for n, c in zip(
                ['Sky', 'Building', 'Pole'], camvid_colours)], 'ignore_index': 255}))
        small = img.resize((8, 6))
        small.save(os.path.join(ds, 'images', 'a.png'))
        small.transpose(Image.FLIP_LEFT_RIGHT).save(os.path.join(ds, 'images', 'b.png'))
        Image.new('L', (8, 6), 1).save(os.path.join(ds, 'labels', 'a.png'))
        p = os.path.join(d, 'seed.relabel')
        run = lambda *a: subprocess.run([relabel, *a], check=True, stdout=subprocess.DEVNULL,
                                        env=dict(os.environ, ASAN_OPTIONS='detect_leaks=0'))
        run('import', '--project', p, '--dataset', 'folder', ds)
        run('paint', '--project', p, '--image', 'a', '--class', '2', '--radius', '1.5',
            '--stroke', '1,1 6,4')
        run('fill', '--project', p, '--image', 'b', '--class', '0', '--at', '2,2')
        run('paint', '--project', p, '--image', 'b', '--class', '1', '--radius', '1',
            '--stroke', '3,3')
        run('undo', '--project', p, '--image', 'b')
        db = sqlite3.connect(p)
        mask = bytes(db.execute('SELECT png FROM masks WHERE kind = 0 LIMIT 1').fetchone()[0])
        model = open(os.path.join(corpus, 'safetensors', 'real-header.safetensors'), 'rb').read()
        db.execute("INSERT INTO models (id, name, weights, created) VALUES "
                   "(1, 'seed', ?, '2026-01-01T00:00:00Z')", (model,))
        db.execute("INSERT INTO predictions (image_id, model_id, png, miou, bf, created) "
                   "SELECT id, 1, ?, 0.5, 0.25, '2026-01-01T00:00:00Z' FROM images LIMIT 1",
                   (mask,))
        db.execute("INSERT INTO metrics_runs (model_id, split, metrics, created) VALUES "
                   "(1, 'train', '{\"miou\": 0.5}', '2026-01-01T00:00:00Z')")
        db.commit()
        db.execute('PRAGMA journal_mode = DELETE')
        db.execute('PRAGMA page_size = 512')
        db.execute('VACUUM')
        db.close()
        put('project', 'folder-2-images.relabel', open(p, 'rb').read())


png_jpeg()
safetensors()
camvid_list()
classes_json()
if os.access(relabel, os.X_OK):
    project()
for t in sorted(os.listdir(corpus)):
    files = os.listdir(os.path.join(corpus, t))
    print(t, len(files), 'files,', sum(os.path.getsize(os.path.join(corpus, t, f))
                                     for f in files), 'bytes')
