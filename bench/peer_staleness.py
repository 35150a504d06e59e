"""The numpy + scipy peer of evalset's staleness statistics, for `npm run bench:staleness`.

What a user would write in Python instead of lib/refresh/staleness.ts: per dimension, the observed
divergence `scipy.spatial.distance.jensenshannon(reference, current) ** 2` (scipy returns the
Jensen–Shannon DISTANCE, the square root of the divergence; natural log by default, so nats), and the
noise floor as the two-sample bootstrap under the null (Efron & Tibshirani 1993, Algorithm 16.1):
`Generator.multinomial` draws B samples of each side's size from the pooled histogram at once, one
row per replicate, `jensenshannon(..., axis=1) ** 2` gives the B null divergences, and
`np.quantile(..., q)` (type 7, numpy's default) the floor. Each dimension gets its own
`np.random.default_rng(seed)`, as each of evalset's floors is drawn from the seed on its own.

    peer_staleness.py PATH [--runs N | --once]

PATH is the bench's JSON: {seed, replicates, quantile, agreement_seeds, cases: {NAME: [comparison]}},
a comparison being {dimensions: [{name, reference: [counts], current: [counts]}]}. The histograms are
turned into numpy arrays before any timing. Then, per case, one cold pass (a fresh process's first
call pays numpy's and scipy's lazy set-up: timed apart), and N warm passes timed with
time.perf_counter around the computation alone, so the interpreter's start, the imports and reading
the JSON never count. Then, untimed, what the bench needs to check agreement: each floor's replicates
again (same seed, same draws) at the 0.91 and 0.99 quantiles, and the floors of the first comparison
of the first case at each of the agreement seeds. One JSON line on stdout.

With --once, only one pass of every case and a one-line JSON summary: the bench times that process
from its spawn to its exit (the end-to-end figure, interpreter start and imports included).
"""

import json
import sys
import time
from importlib.metadata import version

import numpy as np
from scipy.spatial.distance import jensenshannon

# The quantiles of each side's own replicates between which the other side's floor must lie (see bench/staleness.ts).
BAND = (0.91, 0.99)


def null_divergences(reference: np.ndarray, current: np.ndarray, seed: int, replicates: int) -> np.ndarray:
    """The B bootstrap divergences under the null: both sides redrawn from the pooled histogram."""
    pooled = reference + current
    p = pooled / pooled.sum()
    rng = np.random.default_rng(seed)
    a = rng.multinomial(int(reference.sum()), p, size=replicates)
    b = rng.multinomial(int(current.sum()), p, size=replicates)
    return jensenshannon(a, b, axis=1) ** 2


def staleness(dimensions: list[tuple[np.ndarray, np.ndarray]], seed: int, replicates: int, quantile: float) -> list[tuple[float, float]]:
    """(divergence, noise floor) per dimension, nats."""
    out = []
    for reference, current in dimensions:
        jsd = jensenshannon(reference, current) ** 2
        floor = np.quantile(null_divergences(reference, current, seed, replicates), quantile)
        out.append((float(jsd), float(floor)))
    return out


def run_case(comparisons, seed, replicates, quantile):
    return [staleness(dims, seed, replicates, quantile) for dims in comparisons]


def timed(f):
    t = time.perf_counter()
    value = f()
    return value, time.perf_counter() - t


def main() -> None:
    path, args = sys.argv[1], sys.argv[2:]
    once = args == ["--once"]
    runs = 0 if once else int(args[1]) if args[:1] == ["--runs"] else 5
    with open(path, encoding="utf8") as f:
        spec = json.load(f)
    seed, replicates, quantile = spec["seed"], spec["replicates"], spec["quantile"]
    cases = {
        name: [
            [(np.asarray(d["reference"], dtype=np.int64), np.asarray(d["current"], dtype=np.int64)) for d in comparison["dimensions"]]
            for comparison in comparisons
        ]
        for name, comparisons in spec["cases"].items()
    }

    if once:
        results = {name: run_case(comparisons, seed, replicates, quantile) for name, comparisons in cases.items()}
        print(json.dumps({name: sum(len(r) for r in rs) for name, rs in results.items()}))
        return

    report = {"cold_s": {}, "runs_s": {}, "results": {}}
    for name, comparisons in cases.items():
        results, cold = timed(lambda: run_case(comparisons, seed, replicates, quantile))
        report["cold_s"][name] = cold
        report["runs_s"][name] = [timed(lambda: run_case(comparisons, seed, replicates, quantile))[1] for _ in range(runs)]
        rows = []
        for dims, result in zip(comparisons, results):
            row = []
            for (reference, current), (jsd, floor) in zip(dims, result):
                values = null_divergences(reference, current, seed, replicates)
                lo, again, hi = np.quantile(values, [BAND[0], quantile, BAND[1]])
                if np.isnan(values).any():
                    raise SystemExit("a null divergence is NaN: jensenshannon took the square root of a rounding below 0")
                if again != floor:
                    raise SystemExit("the same seed gave another floor: the replicates are not reproducible")
                row.append({"jsd": jsd, "floor": floor, "band": [float(lo), float(hi)]})
            rows.append(row)
        report["results"][name] = rows

    first = next(iter(cases.values()))[0]
    report["seed_floors"] = [[floor for _, floor in staleness(first, s, replicates, quantile)] for s in spec["agreement_seeds"]]
    report["versions"] = {"numpy": np.__version__, "scipy": version("scipy")}
    print(json.dumps(report))


if __name__ == "__main__":
    main()
