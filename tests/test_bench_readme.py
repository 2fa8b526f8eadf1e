"""The README's performance table is the last full benchmark run's, as ``bench/RESULTS.json`` records it."""

from __future__ import annotations

import json

from bench import readme


def test_the_readme_shows_the_figures_of_the_results_file() -> None:
    results = json.loads(readme.RESULTS.read_text())
    text = readme.README.read_text()
    assert readme.rendered(text, results) == text, "run `python -m bench.readme` after `make bench`"
    assert results["meta"]["mode"] == "full" and not results["meta"].get("uncommitted_changes")


def test_a_changed_figure_shows_as_a_difference() -> None:
    results = json.loads(readme.RESULTS.read_text())
    results["summary"]["rows"][0]["ours"] = "1 rps"
    text = readme.README.read_text()
    assert readme.rendered(text, results) != text
