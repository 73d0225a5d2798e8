"""Independent vectorised numpy implementation of the collapse-lab `full` workload (the peer in bench/).

Fixed design, accumulate, full refit every iteration: per trial X (T×d) and w*, (XᵀX)⁻¹ once; per iteration new labels
y = X·w_src + σ·ε, Xᵀy, the running pooled mean over generations, ŵ = (XᵀX)⁻¹·pooled, error ‖ŵ − w*‖².
Batched over trials with einsum/matmul in float64 (numpy's default). Prints one JSON object.
Usage: python3 numpy_full.py DIM SAMPLES TRIALS ITERATIONS [REPEATS]
"""
import json
import sys
import time

import numpy as np


def run(d, T, trials, iterations, rng):
    X = rng.standard_normal((trials, T, d))
    w_star = rng.standard_normal((trials, d)) / np.sqrt(d)
    G_inv = np.linalg.inv(np.einsum("ntj,ntk->njk", X, X))
    pooled_sum = np.zeros((trials, d))
    source = w_star
    errors = np.empty(iterations)
    for n in range(1, iterations + 1):
        y = np.einsum("ntk,nk->nt", X, source) + rng.standard_normal((trials, T))
        pooled_sum += np.einsum("ntj,nt->nj", X, y)
        w_hat = np.einsum("njk,nk->nj", G_inv, pooled_sum / n)
        errors[n - 1] = np.mean(np.sum((w_hat - w_star) ** 2, axis=1))
        source = w_hat
    return errors


def main():
    d, T, trials, iterations = (int(a) for a in sys.argv[1:5])
    repeats = int(sys.argv[5]) if len(sys.argv) > 5 else 3
    rng = np.random.default_rng(7)
    run(d, T, min(trials, 256), 2, rng)  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        errors = run(d, T, trials, iterations, rng)
        times.append(time.perf_counter() - start)
    times.sort()
    median = times[len(times) // 2]
    print(json.dumps({
        "peer": "numpy", "version": np.__version__, "dim": d, "samples": T, "trials": trials, "iterations": iterations,
        "medianSeconds": median, "minSeconds": times[0], "maxSeconds": times[-1],
        "trialIterationsPerSecond": trials * iterations / median,
        "accumulateErrorLast": float(errors[-1]), "theoryLast": d / (T - d - 1) * sum(1 / i ** 2 for i in range(1, iterations + 1)),
    }))


if __name__ == "__main__":
    main()
