"""The PyTorch reference for the speed comparison: workloads W1-W3 of
docs/WORKLOADS.md in PyTorch on the CPU, timed the way
`mdn bench` times them, printing one JSON object per workload.

A benchmark, not a test: nothing in `npm test` runs it. It needs PyTorch,
NumPy and Pillow (`pip install torch numpy pillow`).

    python3 tests/pytorch_reference.py W1 W2 W3 [--threads 2] [--steps N] [--epochs N]

The model follows the spec to the letter (sigma = exp(s), Cholesky diagonal
exp(raw), PyTorch's default Linear initialisation, Adam with the spec's
settings); `mdn` floors every scale at sigma_min + exp(s), which costs the
same element-wise work.
"""

import argparse
import json
import math
import os
import statistics
import time

import numpy as np
import torch
from PIL import Image

LN_2PI = math.log(2 * math.pi)


def images_dir():
    here = os.path.abspath(os.getcwd())
    while True:
        candidate = os.path.join(here, "tests", "images")
        if os.path.isdir(candidate):
            return candidate
        parent = os.path.dirname(here)
        if parent == here:
            raise SystemExit("no tests/images at or above the working directory")
        here = parent


class Mdn(torch.nn.Module):
    """inputs -> tanh trunk -> K logits, K*D means, K scale groups."""

    def __init__(self, inputs, hidden, k, d, kind):
        super().__init__()
        layers, width = [], inputs
        for h in hidden:
            layers += [torch.nn.Linear(width, h), torch.nn.Tanh()]
            width = h
        self.trunk = torch.nn.Sequential(*layers)
        self.k, self.d, self.kind = k, d, kind
        scales = {"iso": 1, "diag": d, "full": d * (d + 1) // 2}[kind]
        self.scales = scales
        self.head = torch.nn.Linear(width, k * (1 + d + scales))

    def nll(self, x, y):
        raw = self.head(self.trunk(x))
        b, k, d = raw.shape[0], self.k, self.d
        log_pi = torch.log_softmax(raw[:, :k], dim=1)
        mu = raw[:, k : k + k * d].reshape(b, k, d)
        scale = raw[:, k + k * d :].reshape(b, k, self.scales)
        r = y.unsqueeze(1) - mu
        if self.kind == "full":
            log_diag = scale[:, :, :d]
            tril = torch.zeros(b, k, d, d)
            rows, cols = torch.tril_indices(d, d, -1)
            tril[:, :, rows, cols] = scale[:, :, d:]
            tril = tril + torch.diag_embed(log_diag.exp())
            z = torch.linalg.solve_triangular(tril, r.unsqueeze(-1), upper=False).squeeze(-1)
            half_log_det = log_diag.sum(-1)
        else:
            z = r * torch.exp(-scale)
            half_log_det = scale.sum(-1) * (d // self.scales)
        log_n = -0.5 * z.square().sum(-1) - half_log_det - 0.5 * d * LN_2PI
        return -torch.logsumexp(log_pi + log_n, dim=1).mean()


def adam(model):
    return torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)


def stats(ms):
    return {"min": round(min(ms), 3), "median": round(statistics.median(ms), 3), "max": round(max(ms), 3)}


def w1(steps):
    g = torch.Generator().manual_seed(0)
    y = torch.rand(2500, 1, generator=g) * 21.0 - 10.5
    x = 7.0 * torch.sin(0.75 * y) + 0.5 * y + torch.randn(2500, 1, generator=g)
    model = Mdn(1, [24], 24, 1, "diag")
    optim = adam(model)
    ms = []
    for step in range(steps):
        start = time.perf_counter()
        optim.zero_grad(set_to_none=True)
        loss = model.nll(x, y)
        loss.backward()
        optim.step()
        if 50 <= step < 1050:
            ms.append((time.perf_counter() - start) * 1e3)
    with torch.no_grad():
        nll = model.nll(x, y).item()
    return {"ms_per_step": stats(ms), "nll": nll, "steps": steps}


def picture(side):
    rgb = np.asarray(Image.open(os.path.join(images_dir(), "astronaut.png")).convert("RGB"), dtype=np.float64)
    f = rgb.shape[0] // side
    rgb = rgb.reshape(side, f, side, f, 3).mean(axis=(1, 3)) / 255.0
    coords = (2 * np.arange(side) + 1) / side - 1
    yy, xx = np.meshgrid(coords, coords, indexing="ij")
    inputs = np.stack([xx.ravel(), yy.ravel()], axis=1)
    return torch.tensor(inputs, dtype=torch.float32), torch.tensor(rgb.reshape(-1, 3), dtype=torch.float32)


def paint(side, kind, timed, epochs):
    x, y = picture(side)
    model = Mdn(2, [128] * 4, 8, 3, kind)
    optim = adam(model)
    n, batch = x.shape[0], 1024
    ms = []
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        order = torch.randperm(n)
        for i in range(0, n, batch):
            rows = order[i : i + batch]
            optim.zero_grad(set_to_none=True)
            model.nll(x[rows], y[rows]).backward()
            optim.step()
        if timed[0] <= epoch <= timed[1]:
            ms.append((time.perf_counter() - start) * 1e3)
    return {"ms_per_epoch": stats(ms), "epochs": epochs}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workloads", nargs="+", choices=["W1", "W2", "W3"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=10_000, help="W1 steps (the spec: 10 000)")
    parser.add_argument("--epochs", type=int, help="W2/W3 epochs (default: the end of the timing window)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    for workload in args.workloads:
        if workload == "W1":
            result = w1(args.steps)
        elif workload == "W2":
            result = paint(128, "diag", (2, 21), args.epochs or 21)
        else:
            result = paint(256, "full", (2, 11), args.epochs or 11)
        result.update(workload=workload, threads=args.threads, torch=torch.__version__)
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
