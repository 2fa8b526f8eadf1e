"""The README's performance table, rendered from the last full run's ``bench/RESULTS.json``.

The figures have one home, the results file ``make bench`` writes; the README shows them between two
markers, rewritten by ``python -m bench.readme`` (which ``make bench`` runs after a full run), and
``tests/test_bench_readme.py`` checks that the README shows what the results file says.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.json"
README = ROOT / "README.md"
BEGIN = "<!-- bench:summary: rendered from bench/RESULTS.json by `python -m bench.readme`; do not edit -->"
END = "<!-- /bench:summary -->"


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "**not met**")


def table(summary: dict[str, Any]) -> list[str]:
    """The results table: one row per workload, its figures beside the same run's baselines."""
    lines = [
        "| # | workload | ours | baseline (same run) | ratio | target | status |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in summary["rows"]:
        lines.append(
            f"| {row['id']} | {row['workload']} | {row['ours']} | {row['baseline']} | {row['ratio']} | "
            f"{row['target']} | {verdict(row['met'])} |"
        )
    return lines


def block(results: dict[str, Any]) -> str:
    """What the README shows between its markers: where the figures come from, and the table."""
    meta = results["meta"]
    load = " ".join(f"{x:.1f}" for x in meta["load_average_start"])
    dirty = " + uncommitted changes" if meta.get("uncommitted_changes") else ""
    head = (
        f"Run of {meta['date']} at commit `{meta['commit']}`{dirty} ({meta['mode']} mode; load average {load} "
        f"at the start on {meta['machine']['cores']} cores). Full results, PostgreSQL beside SQLite and the run's notes: "
        "[bench/RESULTS.md](bench/RESULTS.md)."
    )
    return "\n".join([BEGIN, head, "", *table(results["summary"]), END])


def rendered(readme: str, results: dict[str, Any]) -> str:
    """``readme`` with its block replaced by the one ``results`` give."""
    start, end = readme.index(BEGIN), readme.index(END) + len(END)
    return readme[:start] + block(results) + readme[end:]


def main() -> None:
    results = json.loads(RESULTS.read_text())
    README.write_text(rendered(README.read_text(), results))
    print(f"README.md: performance table from {RESULTS.relative_to(ROOT)} (commit {results['meta']['commit']})")


if __name__ == "__main__":
    main()
