"""Writes the seed inputs of the binary fuzz targets into corpus/<target>/ (run once; the
files are committed): tiny valid IDX files (plain and gzipped), CIFAR-10 records and JPEGs
(colour and grey, via torchvision.io.encode_jpeg from Debian's python3-torchvision). The YAML
targets' seeds are corpus/config/*.yaml, corpus/sweep/*.yaml and experiments/; the results
target's are files written by qharness itself: corpus/results/seed-experiment.h5 and
seed-trial.h5 are results/seed/seed.h5 and one of its trials/ after `qharness run` of a selftest
sweep of two trials (selftest.function: [quadratic, rosenbrock], dim 2)."""
import gzip
import os
import struct

import torch
from torchvision.io import encode_jpeg

HERE = os.path.dirname(os.path.abspath(__file__))


def put(target, name, data):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def idx(dims, payload):
    return bytes([0, 0, 0x08, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + bytes(payload)


put("idx", "seed-images", idx([2, 3, 3], range(18)))
put("idx", "seed-labels", idx([4], [0, 9, 3, 1]))
put("idx", "seed-images.gz", gzip.compress(idx([1, 4, 2], range(8)), mtime=0))

records = b""
for label in (3, 7):
    records += bytes([label]) + bytes((i * 7 + label) % 256 for i in range(3 * 32 * 32))
put("cifar", "seed-two-records.bin", records)

g = torch.Generator().manual_seed(0)
colour = torch.randint(0, 256, (3, 12, 10), dtype=torch.uint8, generator=g)
put("jpeg", "seed-colour.jpg", encode_jpeg(colour, quality=90).numpy().tobytes())
grey = torch.randint(0, 256, (1, 9, 13), dtype=torch.uint8, generator=g)
put("jpeg", "seed-grey.jpg", encode_jpeg(grey, quality=75).numpy().tobytes())
