#!/usr/bin/env python3
"""torch_caffenet.py: PyTorch's peer of xfer_bench_gpu_step. CaffeNet as in
the paper's imagenet_train.prototxt (ceil-mode max pooling, LRN with Caffe's
alpha/size, grouped conv2/4/5, dropout 0.5, Caffe's lr/decay multipliers:
biases at twice the learning rate and without decay), trained with SGD
(momentum 0.9, weight decay 5e-4) on a pinned host batch copied to the GPU
every step, with the loss read back every step: the same loop as ours.
Prints one RESULT line in the same format."""
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def caffenet(outputs):
    def conv(cin, cout, k, stride=1, pad=0, groups=1, bias=0.0):
        c = nn.Conv2d(cin, cout, k, stride=stride, padding=pad, groups=groups)
        nn.init.normal_(c.weight, 0.0, 0.01)
        nn.init.constant_(c.bias, bias)
        return c

    def fc(cin, cout, std, bias):
        f = nn.Linear(cin, cout)
        nn.init.normal_(f.weight, 0.0, std)
        nn.init.constant_(f.bias, bias)
        return f

    def pool():
        return nn.MaxPool2d(3, 2, ceil_mode=True)

    def lrn():
        return nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=1.0)

    return nn.Sequential(
        conv(3, 96, 11, stride=4), nn.ReLU(inplace=True), pool(), lrn(),
        conv(96, 256, 5, pad=2, groups=2, bias=1.0), nn.ReLU(inplace=True), pool(), lrn(),
        conv(256, 384, 3, pad=1), nn.ReLU(inplace=True),
        conv(384, 384, 3, pad=1, groups=2, bias=1.0), nn.ReLU(inplace=True),
        conv(384, 256, 3, pad=1, groups=2, bias=1.0), nn.ReLU(inplace=True), pool(),
        nn.Flatten(),
        fc(256 * 6 * 6, 4096, 0.005, 1.0), nn.ReLU(inplace=True), nn.Dropout(0.5),
        fc(4096, 4096, 0.005, 1.0), nn.ReLU(inplace=True), nn.Dropout(0.5),
        fc(4096, outputs, 0.01, 0.0),
    )


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--fc8-outputs", type=int, default=1000)
    p.add_argument("--tf32", type=int, choices=(0, 1), default=0,
                   help="1: TF32 math for convolutions and matmuls")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--iters", type=int, default=20)
    a = p.parse_args()

    # Algorithm search per shape, as ours under XFER_CUDNN_BENCHMARK=1 (which
    # gpu_check.sh sets; ours keeps to deterministic algorithms even then).
    torch.backends.cudnn.benchmark = True
    torch.backends.cudnn.allow_tf32 = bool(a.tf32)
    torch.backends.cuda.matmul.allow_tf32 = bool(a.tf32)
    torch.manual_seed(1)
    dev = torch.device("cuda")
    t_setup = time.perf_counter()
    model = caffenet(a.fc8_outputs).to(dev)
    weights = [q for n, q in model.named_parameters() if n.endswith("weight")]
    biases = [q for n, q in model.named_parameters() if n.endswith("bias")]
    base_lr = 0.01
    opt = torch.optim.SGD([{"params": weights, "lr": base_lr, "weight_decay": 5e-4},
                           {"params": biases, "lr": 2 * base_lr, "weight_decay": 0.0}],
                          lr=base_lr, momentum=0.9)
    x_host = (torch.randn(a.batch, 3, 227, 227) * 50).pin_memory()
    y_host = torch.randint(0, a.fc8_outputs, (a.batch,)).pin_memory()
    torch.cuda.synchronize()
    setup_s = time.perf_counter() - t_setup

    model.train()
    loss_value = 0.0
    t0 = time.perf_counter()
    for i in range(a.warmup + a.iters):
        if i == a.warmup:
            torch.cuda.synchronize()
            t0 = time.perf_counter()
        x = x_host.to(dev, non_blocking=True)
        y = y_host.to(dev, non_blocking=True)
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        loss_value = loss.item()
    torch.cuda.synchronize()
    s = time.perf_counter() - t0
    print(f'RESULT impl=torch-{torch.__version__} backend=cuda gpu="{torch.cuda.get_device_name()}" '
          f'preset=caffenet batch={a.batch} precision={"tf32" if a.tf32 else "fp32"} '
          f'ms_per_step={1000 * s / a.iters:.2f} images_per_s={a.batch * a.iters / s:.1f} '
          f'setup_s={setup_s:.1f} last_loss={loss_value:.4f}', flush=True)


if __name__ == "__main__":
    main()
