#!/usr/bin/env python3
"""torch_step.py: the peer of xfer_bench_step. PyTorch running the same
network (CaffeNet, the small preset, torchvision's resnet18 / resnet50, or
resnet-small built from torchvision's BasicBlock), batch, threads and solver
for one training step (forward, backward, SGD with momentum and weight
decay), printing images/s in the same columns."""
import argparse
import time

import torch
import torch.nn as nn


def caffe_layout(classes, channels, conv1, widths, pooled, fc):
    """Caffe's five conv and three fully connected layers (groups, LRN, ceil
    pooling, dropout) at the given widths; conv1 is (kernel, stride, pad)."""
    c1, c2, c3, c4, c5 = widths
    kernel, stride, pad = conv1
    return nn.Sequential(
        nn.Conv2d(channels, c1, kernel, stride=stride, padding=pad), nn.ReLU(inplace=True),
        nn.MaxPool2d(3, 2, ceil_mode=True), nn.LocalResponseNorm(5, 1e-4, 0.75, 1.0),
        nn.Conv2d(c1, c2, 5, padding=2, groups=2), nn.ReLU(inplace=True),
        nn.MaxPool2d(3, 2, ceil_mode=True), nn.LocalResponseNorm(5, 1e-4, 0.75, 1.0),
        nn.Conv2d(c2, c3, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(c3, c4, 3, padding=1, groups=2), nn.ReLU(inplace=True),
        nn.Conv2d(c4, c5, 3, padding=1, groups=2), nn.ReLU(inplace=True),
        nn.MaxPool2d(3, 2, ceil_mode=True), nn.Flatten(),
        nn.Linear(c5 * pooled * pooled, fc), nn.ReLU(inplace=True), nn.Dropout(0.5),
        nn.Linear(fc, fc), nn.ReLU(inplace=True), nn.Dropout(0.5),
        nn.Linear(fc, classes))


def resnet_small(classes):
    """net_spec.cpp's resnet-small: a 3x3 stem of 16, three stages of two
    torchvision BasicBlocks (16, 32, 64 wide, the last two strided), the global
    pool and fc."""
    from torchvision.models.resnet import BasicBlock

    def stage(inplanes, planes, stride):
        down = None
        if stride != 1 or inplanes != planes:
            down = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))
        return [BasicBlock(inplanes, planes, stride, down), BasicBlock(planes, planes)]

    return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(inplace=True),
                         *stage(16, 16, 1), *stage(16, 32, 2), *stage(32, 64, 2),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, classes))


# The residual presets: the network, and the input (channels, side).
RESNETS = {
    "resnet18": (lambda classes: __import__("torchvision").models.resnet18(num_classes=classes), (3, 224)),
    "resnet50": (lambda classes: __import__("torchvision").models.resnet50(num_classes=classes), (3, 224)),
    "resnet-small": (resnet_small, (1, 24)),
}

# The presets of src/net/net_spec.cpp: the layout's arguments, and the input
# (channels, side).
PRESETS = {
    "caffenet": (dict(channels=3, conv1=(11, 4, 0), widths=(96, 256, 384, 384, 256), pooled=6, fc=4096),
                 (3, 227)),
    "small": (dict(channels=1, conv1=(3, 1, 1), widths=(32, 64, 96, 96, 64), pooled=3, fc=256), (1, 24)),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--network", default="caffenet", choices=["caffenet", "small", *RESNETS])
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--iters", type=int, default=5)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    classes = 10 if a.network in ("small", "resnet-small") else 1000
    if a.network in RESNETS:
        make, (c, s) = RESNETS[a.network]
        net = make(classes).train()
    else:
        layout, (c, s) = PRESETS[a.network]
        net = caffe_layout(classes, **layout)
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    x = torch.randn(a.batch, c, s, s) * 50
    y = torch.randint(0, classes, (a.batch,))
    loss_fn = nn.CrossEntropyLoss()
    fwd = bwd = upd = 0.0
    for i in range(a.warmup + a.iters):
        t0 = time.perf_counter()
        loss = loss_fn(net(x), y)
        t1 = time.perf_counter()
        opt.zero_grad(set_to_none=False)
        loss.backward()
        t2 = time.perf_counter()
        opt.step()
        t3 = time.perf_counter()
        if i >= a.warmup:
            fwd += t1 - t0
            bwd += t2 - t1
            upd += t3 - t2
    n = a.iters
    step = (fwd + bwd + upd) / n
    print(f"# pytorch {torch.__version__}, preset {a.network}, batch {a.batch}, threads {a.threads}")
    print(f"{'torch':<8} {fwd / n * 1e3:10.2f} {bwd / n * 1e3:10.2f} {upd / n * 1e3:10.2f} "
          f"{step * 1e3:10.2f} {a.batch / step:12.1f}")


if __name__ == "__main__":
    main()
