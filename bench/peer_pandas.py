"""The pandas + pyarrow peer of evalset's classify + sample, for `npm run bench`.

Same job, done the idiomatic dataframe way: read the pool JSONL with pyarrow's multithreaded JSON
reader into Arrow-backed pandas columns, classify difficulty with the taxonomy's precedence and
thresholds, draw a proportional stratified sample with groupby().sample(), write it to Parquet
(ZSTD, as evalset does) and a JSON sidecar with the per-stratum counts and the file's SHA-256.

Usage: peer_pandas.py ROOT OUT_DIR SIZE SEED
Prints one JSON line on stdout: peak RSS (KiB, ru_maxrss on Linux) and per-step seconds.
"""

import hashlib
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.json as pj

SEP = "\u00d7"  # the stratum separator: category×difficulty


def main() -> None:
    root, out_dir, size, seed = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    steps: dict[str, float] = {}
    t = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        steps[name] = round(now - t, 3)
        t = now

    taxonomy = json.loads((root / "taxonomy" / "strata.json").read_text(encoding="utf-8"))
    difficulty = taxonomy["difficulty"]
    levels = np.array([level["id"] for level in difficulty["levels"]], dtype=object)

    # Pin the signal types: a failure_rate of 0 or 1 is written as an integer, and type inference
    # per block must not make it an int64 column in one block and a double column in the next.
    signals_type = pa.struct(
        [("failure_rate", pa.float64()), ("reasoning_steps", pa.int64()), ("prompt_tokens", pa.int64())]
    )
    parse = pj.ParseOptions(explicit_schema=pa.schema([("signals", signals_type)]), unexpected_field_behavior="infer")
    frames = [
        pj.read_json(path, parse_options=parse).to_pandas(types_mapper=pd.ArrowDtype)
        for path in sorted((root / "datasets" / "pool").glob("*.jsonl"))
    ]
    df = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    lap("read")

    # The first signal present in the precedence decides; level = number of thresholds <= value.
    decided = np.zeros(len(df), dtype=bool)
    level = np.full(len(df), -1, dtype=np.int64)
    for name in difficulty["precedence"]:
        values = df["signals"].struct.field(name)
        present = values.notna().to_numpy() & ~decided
        thresholds = np.asarray(difficulty["signals"][name]["thresholds"], dtype=np.float64)
        numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
        level[present] = np.searchsorted(thresholds, numbers[present], side="right")
        decided |= present
    labels = np.where(decided, levels[np.maximum(level, 0)], difficulty["default"])
    df["difficulty"] = pd.array(labels, dtype=pd.ArrowDtype(pa.string()))
    df["stratum"] = df["task_category"].astype(str) + SEP + df["difficulty"].astype(str)
    lap("classify")

    sample = df.groupby("stratum").sample(frac=min(1.0, size / len(df)), random_state=seed)
    sample = sample[["id", "prompt", "reference", "task_category", "difficulty", "stratum", "capabilities", "labels", "source"]]
    sample = sample.sort_values("id", ignore_index=True)
    lap("sample")

    out_dir.mkdir(parents=True, exist_ok=True)
    data = out_dir / "data.parquet"
    sample.to_parquet(data, engine="pyarrow", compression="zstd", index=False)
    digest = hashlib.sha256(data.read_bytes()).hexdigest()
    counts = {str(k): int(v) for k, v in sample["stratum"].value_counts().sort_index().items()}
    pool_counts = {str(k): int(v) for k, v in df["stratum"].value_counts().sort_index().items()}
    sidecar = {"rows": len(sample), "pool": len(df), "strata": counts, "pool_strata": pool_counts, "sha256": digest}
    (out_dir / "meta.json").write_text(json.dumps(sidecar, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    lap("write")

    print(
        json.dumps(
            {
                "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                "rows": len(sample),
                "pool": len(df),
                "steps": steps,
            }
        )
    )


if __name__ == "__main__":
    main()
