"""PyTorch eager timings for `dimr-bench ops`: prints JSON with microseconds per call (medians and minima).

Mirrors the Swift and C++ loops: add of two 8-element float32 tensors, layer_norm without weights
of a (4, 16, 32) tensor over the last dim, and a square float32 matmul (GFLOP/s).
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F


def warmup_count(iters):
    return min(iters // 10 + 1, 1000)


def time_add(a, b, iters):
    for _ in range(warmup_count(iters)):
        a + b
    start = time.perf_counter_ns()
    for _ in range(iters):
        a + b
    return (time.perf_counter_ns() - start) / iters


def time_layer_norm(x, iters):
    shape = (x.shape[-1],)
    for _ in range(warmup_count(iters)):
        F.layer_norm(x, shape)
    start = time.perf_counter_ns()
    for _ in range(iters):
        F.layer_norm(x, shape)
    return (time.perf_counter_ns() - start) / iters


def time_matmul(a, b, iters):
    for _ in range(warmup_count(iters)):
        a @ b
    start = time.perf_counter_ns()
    for _ in range(iters):
        a @ b
    return (time.perf_counter_ns() - start) / iters


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--repetitions", type=int, default=31)
    p.add_argument("--add-iterations", type=int, default=5000)
    p.add_argument("--layer-norm-iterations", type=int, default=1000)
    p.add_argument("--matmul-size", type=int, default=1024)
    p.add_argument("--matmul-repetitions", type=int, default=5)
    p.add_argument("--matmul-iterations", type=int, default=3)
    p.add_argument("--threads", type=int, default=0)
    args = p.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.set_grad_enabled(True)  # the Swift side records autograd state the same way

    a, b = torch.randn(8), torch.randn(8)
    x = torch.randn(4, 16, 32)
    n = args.matmul_size
    m1, m2 = torch.randn(n, n), torch.randn(n, n)
    add = [time_add(a, b, args.add_iterations) for _ in range(args.repetitions)]
    ln = [time_layer_norm(x, args.layer_norm_iterations) for _ in range(args.repetitions)]
    mm = [time_matmul(m1, m2, args.matmul_iterations) for _ in range(args.matmul_repetitions)]
    print(json.dumps({
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "add_us": statistics.median(add) / 1000,
        "add_us_min": min(add) / 1000,
        "layer_norm_us": statistics.median(ln) / 1000,
        "layer_norm_us_min": min(ln) / 1000,
        "matmul_gflops": 2 * n ** 3 / statistics.median(mm),
    }))


if __name__ == "__main__":
    main()
