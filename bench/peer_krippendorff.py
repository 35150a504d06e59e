"""The Python `krippendorff` peer of evalset's Krippendorff's alpha, for `npm run bench:iaa`.

Two modes, each printing one JSON line on stdout (alpha as Python's shortest round-trip repr, seconds
per step timed with time.perf_counter):

  peer_krippendorff.py matrix PATH ANNOTATORS UNITS LEVEL[,LEVEL…]
      PATH holds ANNOTATORS×UNITS signed bytes, annotator-major (one row per annotator), -1 where the
      annotator did not label the unit. It is read into a float64 matrix with NaN for missing
      ("load"), then, after one warm-up call at the first level (timed apart: a fresh process's
      first call is slower), `krippendorff.alpha(reliability_data=…, level_of_measurement=LEVEL)` is
      timed around the call alone, once per level.

  peer_krippendorff.py csv PATH ITEM ANNOTATOR LABEL
      A CSV of annotations, one row per label: pandas `read_csv`, then `pivot` to annotators × items
      (NaN where an annotator did not label an item), then nominal alpha, each step timed.
"""

import json
import sys
import time
from importlib.metadata import version

import krippendorff
import numpy as np
import pandas as pd


def matrix(path: str, annotators: int, units: int, levels: list[str]) -> dict:
    t = time.perf_counter()
    raw = np.fromfile(path, dtype=np.int8)
    if raw.size != annotators * units:
        raise SystemExit(f"{path}: {raw.size} bytes, expected {annotators} × {units}")
    data = raw.reshape(annotators, units).astype(np.float64)
    data[raw.reshape(annotators, units) < 0] = np.nan
    load = time.perf_counter() - t
    # The first call in a fresh process pays ~0.25 s more (numpy's lazy set-up, and the allocator's first
    # large blocks straight from the OS): it is timed apart as "cold_first_call_s", and the timed calls
    # below run warm, as the evalset side does after its warm-up.
    t = time.perf_counter()
    krippendorff.alpha(reliability_data=data, level_of_measurement=levels[0])
    cold = time.perf_counter() - t
    results = {}
    for level in levels:
        t = time.perf_counter()
        alpha = krippendorff.alpha(reliability_data=data, level_of_measurement=level)
        results[level] = {"alpha": float(alpha), "seconds": time.perf_counter() - t}
    labels = int(np.count_nonzero(~np.isnan(data)))
    return {"load_s": load, "cold_first_call_s": cold, "labels": labels, "levels": results}


def csv(path: str, item: str, annotator: str, label: str) -> dict:
    t = time.perf_counter()
    frame = pd.read_csv(path, usecols=[item, annotator, label])
    read = time.perf_counter() - t
    t = time.perf_counter()
    data = frame.pivot(index=annotator, columns=item, values=label).to_numpy(dtype=np.float64)
    pivot = time.perf_counter() - t
    t = time.perf_counter()
    alpha = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    seconds = time.perf_counter() - t
    return {
        "read_s": read,
        "pivot_s": pivot,
        "alpha_s": seconds,
        "alpha": float(alpha),
        "annotators": data.shape[0],
        "items": data.shape[1],
        "labels": int(np.count_nonzero(~np.isnan(data))),
    }


def main() -> None:
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "matrix":
        out = matrix(args[0], int(args[1]), int(args[2]), args[3].split(","))
    elif mode == "csv":
        out = csv(args[0], args[1], args[2], args[3])
    else:
        raise SystemExit(f"unknown mode {mode!r}: expected matrix or csv")
    out["versions"] = {
        "krippendorff": version("krippendorff"),
        "numpy": np.__version__,
        "pandas": pd.__version__,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
