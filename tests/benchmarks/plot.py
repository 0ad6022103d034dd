"""A picture of a side-by-side run of the served API against the floor.

    .venv/bin/python -m tests.benchmarks.plot docs/benchmarks/bench-2026-11-25.txt

Reads the output of the side-by-side harness run.sh (one line per scenario and round) and writes a PNG
beside it: requests per second and p99 latency per scenario, the project against the floor,
medians over the rounds. Needs matplotlib (pip install -e '.[bench]').
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path


def _ms(text: str) -> float:
    if text.endswith("ms"):
        return float(text[:-2])
    if text.endswith("us"):
        return float(text[:-2]) / 1000
    return float(text.rstrip("s")) * 1000


def read(path: Path) -> dict[str, dict[str, float]]:
    rows: dict[str, list[list[str]]] = {}
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 10 and parts[1].isdigit():
            rows.setdefault(parts[0], []).append(parts)
    return {
        name: {
            "project_rps": statistics.median(float(r[2]) for r in runs),
            "floor_rps": statistics.median(float(r[3]) for r in runs),
            "project_p99": statistics.median(_ms(r[7]) for r in runs),
            "floor_p99": statistics.median(_ms(r[8]) for r in runs),
        }
        for name, runs in rows.items()
    }


def plot(path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = read(path)
    names = list(data)
    x = range(len(names))
    fig, (rps, p99) = plt.subplots(1, 2, figsize=(12, 4.5))
    for axis, key, title in ((rps, "rps", "requests per second"), (p99, "p99", "p99 latency (ms)")):
        axis.bar([i - 0.2 for i in x], [data[n][f"project_{key}"] for n in names], 0.4,
                 label="cxg-gen", color="#2b6cb0")  # fmt: skip
        axis.bar([i + 0.2 for i in x], [data[n][f"floor_{key}"] for n in names], 0.4,
                 label="floor", color="#a0aec0")  # fmt: skip
        axis.set_xticks(list(x), names, rotation=20)
        axis.set_title(title)
        axis.legend()
    fig.suptitle(f"{path.name}: the served API against the floor (medians of the rounds)")
    fig.tight_layout()
    out = path.with_suffix(".png")
    fig.savefig(out, dpi=100)
    return out


if __name__ == "__main__":
    for name in sys.argv[1:]:
        print(plot(Path(name)))
