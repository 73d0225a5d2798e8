#!/usr/bin/env python3
"""An external model family for collapse-lab, in Python with numpy only: a d-dimensional Gaussian fit by maximum
likelihood. collapse-lab runs one subcommand per call (spec: gaussian.yaml) and exchanges files:

  gaussian.py DIM real N SEED OUT            N items of N(0, I_DIM) as JSON Lines, one list per line
  gaussian.py DIM fit POOL SEED MODEL        weighted mean and covariance of the pool; MODEL is a JSON file
  gaussian.py DIM sample MODEL N SEED OUT    N items of N(mean, cov)
  gaussian.py DIM evaluate MODEL TEST OUT    metrics against N(0, I) and the held-out items in TEST

POOL is JSON Lines of {"set", "weight", "w", "x"}: x an item, w its weight (the weights sum to 1). Every random draw
comes from SEED, so a resumed run is bit-identical. Errors go to stderr with a non-zero exit.
"""
import json
import sys

import numpy as np


def read_items(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def write_items(path, x):
    with open(path, "w") as f:
        for row in x:
            f.write(json.dumps([float(v) for v in row]) + "\n")


def main(argv):
    dim, op, args = int(argv[1]), argv[2], argv[3:]
    if op in ("real", "sample"):
        model = json.load(open(args[0])) if op == "sample" else None
        n, seed, out = int(args[-3]), int(args[-2]), args[-1]
        z = np.random.default_rng(seed).standard_normal((n, dim))
        if model is not None:
            z = np.asarray(model["mean"]) + z @ np.linalg.cholesky(np.asarray(model["cov"])).T
        write_items(out, z)
    elif op == "fit":
        pool, _seed, out = args
        rows = read_items(pool)
        x = np.array([r["x"] for r in rows], dtype=float)
        w = np.array([r["w"] for r in rows], dtype=float)
        mean = w @ x
        centred = x - mean
        cov = (centred * w[:, None]).T @ centred  # the weighted MLE: each item counts w
        with open(out, "w") as f:
            json.dump({"mean": mean.tolist(), "cov": cov.tolist()}, f)
    elif op == "evaluate":
        model_path, test, out = args
        model = json.load(open(model_path))
        mean, cov = np.asarray(model["mean"]), np.asarray(model["cov"])
        sign, logdet = np.linalg.slogdet(cov)
        if sign <= 0:
            raise SystemExit("evaluate: the fitted covariance is not positive definite")
        x = np.array(read_items(test), dtype=float) - mean
        quad = np.einsum("ij,ij->i", x @ np.linalg.inv(cov), x)
        nll = 0.5 * (quad.mean() + logdet + dim * np.log(2 * np.pi))
        metrics = {"logDetRatio": logdet, "traceRatio": np.trace(cov) / dim, "meanError": float(mean @ mean), "heldOutNll": nll}
        with open(out, "w") as f:
            json.dump({k: float(v) for k, v in metrics.items()}, f)
    else:
        raise SystemExit(f"unknown operation {op!r}")


if __name__ == "__main__":
    main(sys.argv)
