#!/usr/bin/env python3
"""torchvision_weights.py: converts between an xfer checkpoint of a residual
preset (resnet18, resnet50) and a torchvision state_dict, either way.

  torchvision_weights.py to-torch CHECKPOINT.h5 OUT.pt
  torchvision_weights.py from-torch STATE_DICT.pt OUT.h5 --preset resnet18 [--num-outputs 1000]

The names are the same on both sides: xfer's residual presets name their
layers as torchvision's resnet.py does (conv1, bn1, layer1.0.conv1,
layer2.0.downsample.0, fc, ...). The mapping, for a layer L:

  xfer checkpoint (HDF5)           torchvision state_dict
  /params/L/weights                L.weight    (conv OIHW, fc [out, in], BatchNorm's scale)
  /params/L/bias                   L.bias      (fc, BatchNorm's shift; convolutions have none)
  /buffers/L/running_mean          L.running_mean
  /buffers/L/running_var           L.running_var
  (none)                           L.num_batches_tracked  (0 on the way to torch, dropped on
                                                           the way back: with momentum 0.1
                                                           PyTorch never reads it)

from-torch writes a checkpoint xfer_train takes as --base (a model: no
momentum, iteration 0), so a base can start from torchvision weights a user
already has (for example torchvision's ImageNet-trained resnet18, whose 1,000
outputs are then fc's). It carries no mean image.
"""
import argparse
import json
import sys

import h5py
import numpy as np
import torch

SCHEMA = "xfer.checkpoint"


def fail(msg):
    print(f"torchvision_weights: {msg}", file=sys.stderr)
    sys.exit(1)


def to_torch(path):
    """The state_dict of an xfer checkpoint, in torchvision's names."""
    state = {}
    with h5py.File(path, "r") as f:
        if f.attrs.get("schema") not in (SCHEMA, SCHEMA.encode()):
            fail(f"{path}: not an xfer checkpoint")
        for layer, g in f["params"].items():
            state[f"{layer}.weight"] = torch.from_numpy(np.array(g["weights"], dtype=np.float32))
            if "bias" in g:
                state[f"{layer}.bias"] = torch.from_numpy(np.array(g["bias"], dtype=np.float32))
        for layer, g in f.get("buffers", {}).items():
            state[f"{layer}.running_mean"] = torch.from_numpy(np.array(g["running_mean"], dtype=np.float32))
            state[f"{layer}.running_var"] = torch.from_numpy(np.array(g["running_var"], dtype=np.float32))
            state[f"{layer}.num_batches_tracked"] = torch.tensor(0, dtype=torch.long)
    return state


def from_torch(state, out, preset, num_outputs):
    """Writes `state` as a version-2 xfer checkpoint (a model, no momentum)."""
    layers = {}
    for key, t in state.items():
        layer, _, what = key.rpartition(".")
        if what == "num_batches_tracked":
            continue
        if what not in ("weight", "bias", "running_mean", "running_var"):
            fail(f"{key}: not a parameter or running statistic of a torchvision ResNet")
        v = t.detach().cpu().numpy().astype(np.float32)
        if not np.all(np.isfinite(v)):
            fail(f"{key} holds a value that is not finite")
        layers.setdefault(layer, {})[what] = v
    with h5py.File(out, "w") as f:
        for layer, d in layers.items():
            p = f.create_group(f"params/{layer}")
            p["weights"] = d["weight"]
            if "bias" in d:
                p["bias"] = d["bias"]
            if "running_mean" in d:
                b = f.create_group(f"buffers/{layer}")
                b["running_mean"] = d["running_mean"]
                b["running_var"] = d["running_var"]
        text = h5py.string_dtype("utf-8")
        for name, value in [("schema", SCHEMA), ("preset", preset), ("config", ""), ("config_hash", "torchvision"),
                            ("cell_id", ""), ("curve", "[]"),
                            ("provenance", json.dumps({"converted_by": "scripts/torchvision_weights.py"}))]:
            f.attrs.create(name, value, dtype=text)
        for name, value in [("schema_version", 2), ("num_outputs", num_outputs), ("frozen_layers", 0),
                            ("iteration", 0), ("data_epoch", 0), ("data_index", 0), ("wall_ms", 0)]:
            f.attrs[name] = np.int64(value)
        f.attrs["rng"] = np.zeros(4, dtype=np.uint64)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="direction", required=True)
    t = sub.add_parser("to-torch")
    t.add_argument("checkpoint")
    t.add_argument("out")
    f = sub.add_parser("from-torch")
    f.add_argument("state_dict")
    f.add_argument("out")
    f.add_argument("--preset", required=True, choices=["resnet18", "resnet50"])
    f.add_argument("--num-outputs", type=int, default=None)
    a = ap.parse_args()
    if a.direction == "to-torch":
        torch.save(to_torch(a.checkpoint), a.out)
    else:
        state = torch.load(a.state_dict, map_location="cpu")
        outputs = a.num_outputs or state["fc.weight"].shape[0]
        from_torch(state, a.out, a.preset, outputs)


if __name__ == "__main__":
    main()
