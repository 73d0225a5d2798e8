"""Independent PyTorch implementation of the collapse-lab `full` workload (the GPU peer in bench/).

The same workload as numpy_full.py: fixed design, accumulate, full refit every iteration; per trial X (T×d) and w*,
(XᵀX)⁻¹ once; per iteration new labels y = X·w_src + σ·ε, Xᵀy, the running pooled mean over generations,
ŵ = (XᵀX)⁻¹·pooled, error ‖ŵ − w*‖². Batched over trials with bmm in float32 (the kernels' precision), on CUDA
when a GPU is visible, else on the CPU. Timings synchronise the device. Prints one JSON object.
Usage: python3 torch_full.py DIM SAMPLES TRIALS ITERATIONS [REPEATS] [DEVICE]
"""
import json
import sys
import time

import torch


def run(d, T, trials, iterations, generator, device):
    X = torch.randn(trials, T, d, generator=generator, device=device)
    w_star = torch.randn(trials, d, 1, generator=generator, device=device) / d ** 0.5
    Xt = X.transpose(1, 2)
    G_inv = torch.linalg.inv(torch.bmm(Xt, X))
    pooled_sum = torch.zeros(trials, d, 1, device=device)
    source = w_star
    errors = torch.empty(iterations, device=device)
    for n in range(1, iterations + 1):
        y = torch.bmm(X, source) + torch.randn(trials, T, 1, generator=generator, device=device)
        pooled_sum += torch.bmm(Xt, y)
        w_hat = torch.bmm(G_inv, pooled_sum / n)
        errors[n - 1] = ((w_hat - w_star) ** 2).sum(dim=(1, 2)).mean()
        source = w_hat
    return errors.cpu()


def synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def main():
    d, T, trials, iterations = (int(a) for a in sys.argv[1:5])
    repeats = int(sys.argv[5]) if len(sys.argv) > 5 else 3
    device = torch.device(sys.argv[6] if len(sys.argv) > 6 else ("cuda" if torch.cuda.is_available() else "cpu"))
    generator = torch.Generator(device=device).manual_seed(7)
    run(d, T, min(trials, 256), 2, generator, device)  # warm-up: kernels, allocator
    synchronize(device)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        errors = run(d, T, trials, iterations, generator, device)
        synchronize(device)
        times.append(time.perf_counter() - start)
    times.sort()
    median = times[len(times) // 2]
    print(json.dumps({
        "peer": "torch", "version": torch.__version__, "device": str(device),
        "deviceName": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "threads": torch.get_num_threads(), "dim": d, "samples": T, "trials": trials, "iterations": iterations,
        "medianSeconds": median, "minSeconds": times[0], "maxSeconds": times[-1],
        "trialIterationsPerSecond": trials * iterations / median,
        "accumulateErrorLast": float(errors[-1]), "theoryLast": d / (T - d - 1) * sum(1 / i ** 2 for i in range(1, iterations + 1)),
    }))


if __name__ == "__main__":
    main()
