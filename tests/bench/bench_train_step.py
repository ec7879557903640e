#!/usr/bin/python3
"""images/s of a resnet20 training step (SGD, momentum, weight decay, cross-entropy) in
qharness and in Debian's python3-torch, side by side in one run, on the same machine, with the
same thread count, batch size and image shape. The ratio qharness / python is what to watch:
both call the same ATen kernels, so a ratio below 1.0 is overhead of ours.

  /usr/bin/python3 tests/bench/bench_train_step.py --qharness build/bin/qharness \
      [--threads 1] [--images 2048] [--batch 128]

qharness's number is the `train_images_per_s` metric of a one-epoch `train` trial on
synthetic 1x28x28 data (training steps only, including its batch loading); Python's is the
same number of steps on pre-made tensors (no data loading at all), after one warm-up step.
"""
import argparse
import os
import subprocess
import tempfile
import time

import h5py
import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    def __init__(self, inp, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inp, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inp != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inp, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + (self.downsample(x) if self.downsample is not None else x))


class ResNet20(nn.Module):
    """The same network as qharness's resnet20 (harness/src/models/resnet.cpp)."""

    def __init__(self, channels=1, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        blocks, inp = [], 16
        for i, planes in enumerate((16, 32, 64)):
            layer = []
            for b in range(3):
                layer.append(BasicBlock(inp, planes, 2 if i > 0 and b == 0 else 1))
                inp = planes
            blocks.append(nn.Sequential(*layer))
        self.layer1, self.layer2, self.layer3 = blocks
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


def python_images_per_s(images, batch, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = ResNet20()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    steps = max(1, images // batch)
    xs = [torch.randn(batch, 1, 28, 28) for _ in range(min(steps, 4))]
    ys = [torch.randint(0, 10, (batch,)) for _ in range(min(steps, 4))]

    def step(i):
        opt.zero_grad()
        loss = F.cross_entropy(model(xs[i % len(xs)]), ys[i % len(ys)])
        loss.backward()
        opt.step()
        return loss.item()

    step(0)   # warm-up
    t = time.perf_counter()
    for i in range(steps):
        step(i)
    return steps * batch / (time.perf_counter() - t)


def qharness_images_per_s(binary, images, batch, threads):
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "bench.yaml"), "w") as f:
            f.write(f"""name: bench
task: train
threads: {threads}
data: {{dataset: synthetic, batch_size: {batch}, synthetic: {{train_size: {images}, test_size: {batch}}}}}
model: {{arch: resnet20}}
train: {{epochs: 1, lr: 0.05, schedule: constant}}
""")
        subprocess.run([binary, "run", "bench.yaml"], cwd=tmp, check=True, capture_output=True)
        with h5py.File(os.path.join(tmp, "results/bench/bench.h5"), "r") as h:
            (trial,) = h["trials"].values()
            return float(trial["metrics/train_images_per_s"][()])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--qharness", required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--images", type=int, default=2048)
    ap.add_argument("--batch", type=int, default=128)
    a = ap.parse_args()
    q = qharness_images_per_s(os.path.abspath(a.qharness), a.images, a.batch, a.threads)
    p = python_images_per_s(a.images, a.batch, a.threads)
    print(f"resnet20 training step, batch {a.batch}, 1x28x28, {a.threads} thread(s), {a.images} images")
    print(f"  qharness      {q:9.1f} images/s")
    print(f"  python3-torch {p:9.1f} images/s  (torch {torch.__version__})")
    print(f"  ratio qharness/python = {q / p:.3f}")


if __name__ == "__main__":
    main()
