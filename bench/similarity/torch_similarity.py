#!/usr/bin/env python3
"""torch_similarity.py: the peer of xfer_similarity. PyTorch measuring the
same thing: debiased linear CKA between every transfer boundary (1..8) of two
of our checkpoints, over the first N validation images of a store in minibatches
of B, printing the 8x8 matrix and images/s.

Usage: torch_similarity.py CKPT_A.h5 CKPT_B.h5 --data DIR --images N --batch B
       --threads T [--format csv|md] [--repeat R] [--check]"""
import argparse
import json
import os
import sys
import time
import zlib

import h5py
import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from torch_step import PRESETS, caffe_layout  # noqa: E402  (the network itself, not a copy)

LAYERS = ["conv1", "conv2", "conv3", "conv4", "conv5", "fc6", "fc7", "fc8"]
MIN_BATCH = 4  # the unbiased HSIC divides by n-3 (src/similarity/cka.h: kMinCkaBatch)
F64 = torch.float64


def fail(msg):
    sys.exit(f"torch_similarity: {msg}")


def open_h5(path):
    try:
        return h5py.File(path, "r")
    except OSError as e:
        fail(f"{path}: cannot open as HDF5 ({e})")


# ---------------------------------------------------------------------------
# Checkpoint (src/net/checkpoint.cpp): the preset's network, its weights, its own mean.

def load_net(path):
    with open_h5(path) as f:
        attr = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
        if attr.get("schema") != "xfer.checkpoint" or attr.get("preset") not in PRESETS:
            fail(f"{path}: not an xfer checkpoint of a known preset ({', '.join(PRESETS)})")
        outputs = int(attr.get("num_outputs", 0))
        if not 1 <= outputs <= 100000:
            fail(f"{path}: num_outputs {outputs} out of range")
        layout, (channels, side) = PRESETS[attr["preset"]]
        net = caffe_layout(outputs, **layout)
        params = [m for m in net if isinstance(m, (nn.Conv2d, nn.Linear))]
        for name, m in zip(LAYERS, params, strict=True):
            for key, t in (("weights", m.weight), ("bias", m.bias)):
                d = f.get(f"/params/{name}/{key}")
                if d is None or d.shape != tuple(t.shape) or d.dtype != np.float32:
                    fail(f"{path}: /params/{name}/{key} is not float32 {list(t.shape)}")
                v = d[()]
                if not np.isfinite(v).all():  # a NaN would still print a number below
                    fail(f"{path}: /params/{name}/{key} holds non-finite values")
                t.data.copy_(torch.from_numpy(v))
        d = f.get("/mean")
        if d is None or d.ndim != 3 or d.shape[0] != channels or min(d.shape[1:]) < side:
            fail(f"{path}: /mean must be [{channels},H,W] with H, W >= the crop {side}")
        mean = torch.from_numpy(d[()].astype(np.float32))
    if not torch.isfinite(mean).all():
        fail(f"{path}: /mean holds non-finite values")
    return net.eval(), params, attr["preset"], mean, side


def hook(params):
    """Boundary n = 1..7 is what parameter layer n+1 receives (after the ReLU,
    pooling and LRN that follow layer n), 8 the logits. Widened to float64 as
    they are taken, so no in-place ReLU downstream can change them."""
    reps = [None] * 8

    def keep(i, x):
        reps[i] = x.reshape(x.shape[0], -1).to(F64)

    for i, m in enumerate(params[1:]):
        m.register_forward_pre_hook(lambda mod, inp, i=i: keep(i, inp[0]))
    params[-1].register_forward_hook(lambda mod, inp, out: keep(7, out))
    return reps


# ---------------------------------------------------------------------------
# Data: a store's val shards in manifest order (src/data/shard_format.h).

def val_shards(store, n, mean):
    """The shards holding the first n val images, each checked against the
    CRC-32 the manifest records (as the loader does), with how many to take."""
    try:
        with open(os.path.join(store, "manifest.json")) as fh:
            man = json.load(fh)
        shards = man["subsets"]["val"]["shards"]
    except (OSError, ValueError, KeyError) as e:
        fail(f"{store}: not a store with val shards ({e!r})")
    if [man.get("channels"), man.get("height"), man.get("width")] != list(mean.shape):
        fail(f"{store}: images are not {'x'.join(map(str, mean.shape))} like the checkpoint's mean")
    out, left = [], n
    for sh in shards:
        if left == 0:
            break
        name = str(sh["file"])
        if os.path.basename(name) != name or not name.startswith("val-"):
            fail(f"{store}: the manifest names shard '{name}'")
        path, crc, size = os.path.join(store, name), 0, 0
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 24):
                crc, size = zlib.crc32(chunk, crc), size + len(chunk)
        if crc != int(sh["crc32"], 16) or size != int(sh["bytes"]):
            fail(f"{path}: checksum mismatch (recorded {sh['crc32']}, computed {crc:08x})")
        out.append((path, min(left, int(sh["num_images"]))))
        left -= out[-1][1]
    if left:
        fail(f"{store}: has {n - left} validation images, --images asks for {n}")
    return out


def batches(shards, b):
    """uint8 [b,C,H,W] minibatches of consecutive images, across shards."""
    buf, have = [], 0
    for path, take in shards:
        with open_h5(path) as f:
            img = f["images"]
            if img.dtype != np.uint8 or img.ndim != 4 or img.shape[0] < take:
                fail(f"{path}: images are not uint8 [N,C,H,W] with N >= {take}")
            pos = 0
            while pos < take:
                k = min(b - have, take - pos)
                buf.append(img[pos:pos + k])
                have, pos = have + k, pos + k
                if have == b:
                    yield np.concatenate(buf)
                    buf, have = [], 0
    if have:
        yield np.concatenate(buf)


def preprocess(u8, mean, side):
    """As src/data/loader_pipeline.cpp: the pixel (0..255, not rescaled) minus
    the stored-size mean at the same pixel, then the centre crop at integer
    offset (stored - crop) / 2, no mirror."""
    x = torch.from_numpy(u8).float() - mean
    y0, x0 = (x.shape[2] - side) // 2, (x.shape[3] - side) // 2
    return x[:, :, y0:y0 + side, x0:x0 + side].contiguous()


# ---------------------------------------------------------------------------
# Debiased linear CKA: the unbiased HSIC of Song, Smola, Gretton, Bedo,
# Borgwardt (JMLR 2012, eq. 5), each term summed over minibatches before the
# ratio as in Nguyen, Raghu, Kornblith (ICLR 2021, section 3.1).

def grams(reps):
    """K~ = X X^T with a zero diagonal, flattened; its row sums K~1; 1'K~1."""
    k = torch.stack([x @ x.T for x in reps])
    k.diagonal(dim1=1, dim2=2).zero_()
    rows = k.sum(2)
    return k.flatten(1), rows, rows.sum(1)


def hsic(g, n):
    """HSIC_1 of every pair of the stacked Grams. K~, L~ are symmetric, so
    tr(K~L~) = <K~, L~> and 1'K~L~1 = (K~1)'(L~1): all pairs in two products."""
    k, rows, tot = g
    return (k @ k.T + torch.outer(tot, tot) / ((n - 1) * (n - 2)) - 2.0 / (n - 2) * (rows @ rows.T)) / (n * (n - 3))


def measure(nets, shards, b, keep=None):
    """The 8x8 CKA matrix; with keep=(i, j) also the float64 representations
    at boundary i of A and j of B of every minibatch (for --check)."""
    s, kept = torch.zeros(16, 16, dtype=F64), []  # summed HSIC_1 of A's 8 and B's 8 boundaries
    with torch.no_grad():
        for u8 in batches(shards, b):
            g = []
            for net, reps, mean, side in nets:
                net(preprocess(u8, mean, side))
                g.append(grams(reps))
            if keep:
                kept.append((nets[0][1][keep[0]].numpy().copy(), nets[1][1][keep[1]].numpy().copy()))
            s += hsic([torch.cat(t) for t in zip(*g)], len(u8))
    self_ = s.diagonal()
    for i in range(16):
        if not self_[i] > 0:  # the same for every image, or the estimate failed
            fail(f"net {'AB'[i // 8]} boundary {i % 8 + 1}: HSIC with itself is {float(self_[i]):.3g}, "
                 "CKA undefined")
    return s[:8, 8:] / torch.sqrt(torch.outer(self_[:8], self_[8:])), kept


def numpy_cka(kept):
    """The formula term by term in numpy, written apart from the code above."""
    def h(k, l):
        n, one = len(k), np.ones(len(k))
        return (np.trace(k @ l) + (one @ k @ one) * (one @ l @ one) / ((n - 1) * (n - 2))
                - 2.0 / (n - 2) * (one @ k @ l @ one)) / (n * (n - 3))
    s = np.zeros(3)
    for x, y in kept:
        k, l = x @ x.T, y @ y.T
        np.fill_diagonal(k, 0)
        np.fill_diagonal(l, 0)
        s += [h(k, l), h(k, k), h(l, l)]
    return s[0] / np.sqrt(s[1] * s[2])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("ckpt_a")
    ap.add_argument("ckpt_b")
    ap.add_argument("--data", required=True, help="a store folder, e.g. data/fmnist/all")
    ap.add_argument("--images", type=int, required=True, help="the first N validation images")
    ap.add_argument("--batch", type=int, required=True, help="minibatch B (every one, the last too, >= 4)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--format", choices=["csv", "md"], default="csv")
    ap.add_argument("--repeat", type=int, default=1, help="time R passes, report the best")
    ap.add_argument("--check", action="store_true", help="recompute boundary 4 of A x 6 of B in numpy")
    a = ap.parse_args()
    if a.batch < MIN_BATCH or a.images < MIN_BATCH or 0 < a.images % a.batch < MIN_BATCH:
        fail(f"--images {a.images} in minibatches of --batch {a.batch} leaves one of fewer than "
             f"{MIN_BATCH} images; change either")
    if not 1 <= a.threads <= 1024 or not 1 <= a.repeat <= 1000:
        fail("--threads must be in 1..1024, --repeat in 1..1000")
    torch.set_num_threads(a.threads)
    loaded = [load_net(p) for p in (a.ckpt_a, a.ckpt_b)]
    if loaded[0][2] != loaded[1][2] or loaded[0][3].shape != loaded[1][3].shape:
        fail(f"the checkpoints are of presets {loaded[0][2]} and {loaded[1][2]}, "
             f"means {list(loaded[0][3].shape)} and {list(loaded[1][3].shape)}")
    nets = [(net, hook(params), mean, side) for net, params, _, mean, side in loaded]
    shards = val_shards(a.data, a.images, loaded[0][3])  # checksums: before the clock
    best = float("inf")
    for _ in range(a.repeat):
        t0 = time.perf_counter()  # from the first image read to the last CKA
        cka, _ = measure(nets, shards, a.batch)
        best = min(best, time.perf_counter() - t0)
    # The unbiased HSIC is an inner product (of U-centred Grams; Song et al.
    # 2012), so |CKA| <= 1 by Cauchy-Schwarz; just below 0 is an estimate.
    if not (torch.isfinite(cka).all() and (cka.abs() <= 1 + 1e-9).all()):
        fail(f"CKA outside [-1, 1]: {cka}")
    if a.check:
        again, kept = measure(nets, shards, a.batch, keep=(3, 5))
        ref, got = numpy_cka(kept), float(cka[3, 5])
        if abs(ref - got) > 1e-9 or not torch.equal(again, cka):
            fail(f"--check failed: numpy gives {ref:.12f}, torch {got:.12f} (or a rerun differs)")
        print(f"# check: boundary 4 x 6, numpy {ref:.12f}, torch {got:.12f}", file=sys.stderr)
    if a.format == "csv":
        print("net_a,net_b,layer_a,layer_b,images,cka")
        for i in range(8):
            for j in range(8):
                print(f"{a.ckpt_a},{a.ckpt_b},{i + 1},{j + 1},{a.images},{float(cka[i, j]):.9f}")
    else:
        print(f"CKA over {a.images} images; rows: boundaries of {a.ckpt_a}, columns: of {a.ckpt_b}\n")
        print("| A \\ B | " + " | ".join(str(j + 1) for j in range(8)) + " |\n" + "|---" * 9 + "|")
        for i in range(8):
            print(f"| {i + 1} | " + " | ".join(f"{float(v):.4f}" for v in cka[i]) + " |")
    sys.stdout.flush()  # the timing line after the table, also when both go to a terminal
    print(f"# torch: {a.images} images in {best:.3f} s: {a.images / best:.1f} images/s", file=sys.stderr)


if __name__ == "__main__":
    main()
