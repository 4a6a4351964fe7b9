"""Retrieval benchmark: build time, query latency p50/p95 and memory at three sizes.

``python -m benchmarks.retrieval`` runs each scenario in its own process (so memory
figures do not mix), prints a table and writes ``results/bench-retrieval.json``:

- curated: the published guides (the encoder is trained as in ``tthc index build``);
- both-tiers: the curated guides plus every catalog record without one (``--catalog``);
- catalog: all 2,642 national-catalog records imported as drafts (needs ../shared);
- synthetic-100k: 100,000 passages from generated guides, encoded with the curated
  model (so the figure is the index, not encoder training), HNSW above the exact limit.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil

from benchmarks.report import save
from tthc_text.paths import REPO_ROOT

RESULTS = "bench-retrieval.json"  # in results/
SCENARIOS = ("curated", "both-tiers", "catalog", "synthetic-100k")
CATALOG = REPO_ROOT.parent / "shared" / "data" / "national-procedures"
# What each of the three rankers finds, from the same build: the eval files per scenario.
EVAL_FILES = {
    "curated": ("eval.yml", "eval_new_guides_blind.yml", "faq_now_curated.yml", "oos_catalog.yml"),
    "both-tiers": ("eval.yml", "eval_new_guides_blind.yml", "faq_now_curated.yml", "faq_catalog.yml", "faq_catalog_holdout.yml", "faq_catalog_blind3.yml",
                   "oos_catalog.yml"),
    "catalog": ("eval.yml",),
}


def _rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def _queries() -> list[str]:
    from retrieval.evaluate import load_eval_items  # noqa: PLC0415

    return [i.q for i in load_eval_items(REPO_ROOT / "retrieval" / "data" / "eval.yml")]


def _measure_queries(folder: Path) -> dict[str, float]:
    from retrieval.index import SearchIndex  # noqa: PLC0415

    before = _rss_mb()
    t0 = time.perf_counter()
    index = SearchIndex.load(folder)
    load_s = time.perf_counter() - t0
    loaded = _rss_mb()
    queries = _queries()
    index.search(queries[0])  # warm-up
    times = []
    for q in queries:
        t = time.perf_counter()
        index.search(q, k=5)
        times.append((time.perf_counter() - t) * 1000)
    return {
        "passages": len(index.passages),
        "load_s": round(load_s, 2),
        "query_p50_ms": round(float(np.percentile(times, 50)), 2),
        "query_p95_ms": round(float(np.percentile(times, 95)), 2),
        "index_rss_mb": round(loaded - before, 1),
        "process_rss_mb": round(_rss_mb(), 1),
    }


def _rankers(folder: Path, files: tuple[str, ...]) -> dict[str, dict[str, dict[str, object]]]:
    """recall@1 / recall@5 / MRR, and the share of out-of-scope questions rejected at 0.5, of the
    fused ranker, BM25 alone and the encoder alone."""
    from retrieval.baseline import Bm25Baseline, DenseBaseline  # noqa: PLC0415
    from retrieval.evaluate import evaluate, load_eval_items  # noqa: PLC0415
    from retrieval.index import SearchIndex  # noqa: PLC0415

    index = SearchIndex.load(folder)
    out: dict[str, dict[str, dict[str, object]]] = {}
    for name in files:
        items = load_eval_items(REPO_ROOT / "retrieval" / "data" / name)
        out[name] = {}
        for ranker, ranked in (("fused", index), ("bm25", Bm25Baseline(index)), ("dense", DenseBaseline(index))):
            report = evaluate(ranked, items, threshold=0.5)
            in_scope = bool(report.get("n"))  # a file of out-of-scope questions alone has no recall
            out[name][ranker] = {k: report.get(k) if in_scope or k == "oos_rejected" else None
                                 for k in ("recall@1", "recall@5", "mrr", "oos_rejected")}
    return out


def _synthetic_guides(n_guides: int, seed: int = 7):  # type: ignore[no-untyped-def]
    from guides.loader import load_guides  # noqa: PLC0415
    from guides.schema import Guide, Status  # noqa: PLC0415

    base = load_guides(REPO_ROOT / "procedures").published()
    words = sorted({w for g in base for t in [g.title, *g.aliases] for w in t.lower().split()})
    rng = random.Random(seed)
    guides = []
    for i in range(n_guides):
        title = " ".join(rng.choice(words) for _ in range(rng.randint(4, 9)))
        aliases = [" ".join(rng.choice(words) for _ in range(rng.randint(2, 5))) for _ in range(4)]
        guides.append(
            Guide(code=f"9.{i:06d}", id=f"synthetic-{i}", title=title.capitalize(), aliases=aliases,
                  status=Status.draft, source="https://example.invalid/synthetic")
        )
    return guides


def run_scenario(name: str) -> dict[str, object]:
    from retrieval.build import BuildOptions, build_from_guides, build_index  # noqa: PLC0415
    from tthc_settings import Settings  # noqa: PLC0415

    settings = Settings()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "index"
        if name == "curated":
            options = BuildOptions(procedures_dir=settings.procedures_dir, out_dir=out, nlu_dir=settings.nlu_dir)
            t0 = time.perf_counter()
            build_index(options, progress=lambda _: None)
        elif name == "both-tiers":
            if not CATALOG.is_dir():
                return {"scenario": name, "skipped": "the national catalog (../shared) is not available"}
            options = BuildOptions(procedures_dir=settings.procedures_dir, out_dir=out, nlu_dir=settings.nlu_dir,
                                   train_dirs=(settings.procedures_dir,), catalog_dir=CATALOG)
            t0 = time.perf_counter()
            build_index(options, progress=lambda _: None)
        elif name == "catalog":
            from guides.catalog import run_import  # noqa: PLC0415

            catalog = REPO_ROOT.parent / "shared" / "data" / "national-procedures"
            if not catalog.is_dir():
                return {"scenario": name, "skipped": "the national catalog (../shared) is not available"}
            drafts = Path(tmp) / "drafts"
            run_import(catalog, drafts)
            options = BuildOptions(procedures_dir=drafts, out_dir=out, include_drafts=True,
                                   nlu_dir=settings.nlu_dir, train_dirs=(settings.procedures_dir,))
            t0 = time.perf_counter()
            build_index(options, progress=lambda _: None)
        else:
            model = settings.index_dir / "model"
            if not model.is_dir():
                return {"scenario": name, "skipped": "needs the curated index (make index) for its encoder"}
            guides = _synthetic_guides(20_000)
            options = BuildOptions(procedures_dir=Path(tmp) / "none", out_dir=out, include_drafts=True,
                                   embedding_model=str(model), exact_index_max=settings.exact_index_max)
            t0 = time.perf_counter()
            build_from_guides(guides, options, progress=lambda _: None)
        build_s = time.perf_counter() - t0
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        figures = _measure_queries(out)
        rankers = _rankers(out, EVAL_FILES[name]) if name in EVAL_FILES else {}
    return {"scenario": name, "guides": manifest["guides"], "index_type": manifest["index_type"],
            "build_s": round(build_s, 1), **figures, "rankers": rankers}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.retrieval")
    parser.add_argument("--scenario", choices=SCENARIOS)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.scenario:
        print(json.dumps(run_scenario(args.scenario)))
        return
    rows = []
    for name in SCENARIOS:
        done = subprocess.run([sys.executable, "-m", "benchmarks.retrieval", "--scenario", name],
                              cwd=REPO_ROOT, capture_output=True, text=True, check=True)
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    header = f"{'scenario':16} {'guides':>7} {'passages':>9} {'index':>15} {'build s':>8} {'p50 ms':>7} {'p95 ms':>7} {'RSS MB':>7}"
    print(header)
    for r in rows:
        if "skipped" in r:
            print(f"{r['scenario']:16} skipped: {r['skipped']}")
            continue
        print(f"{r['scenario']:16} {r['guides']:>7} {r['passages']:>9} {r['index_type']:>15} {r['build_s']:>8} "
              f"{r['query_p50_ms']:>7} {r['query_p95_ms']:>7} {r['process_rss_mb']:>7}")

    print(f"\n{'scenario':12} {'eval file':24} {'ranker':7} {'R@1':>6} {'R@5':>6} {'MRR':>6} {'OOS rej':>7}")
    for r in rows:
        for file, by_ranker in (r.get("rankers") or {}).items():
            for ranker, m in by_ranker.items():
                cells = [m.get(k) for k in ("recall@1", "recall@5", "mrr")]
                oos = m.get("oos_rejected")
                print(f"{r['scenario']:12} {file:24} {ranker:7} " + " ".join(f"{c if c is not None else '-':>6}" for c in cells)
                      + f" {oos if oos is not None else '-':>7}")

    machine = {"cpus": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
               "python": platform.python_version(), "date": dt.date.today().isoformat()}
    save({"machine": machine, "rows": rows}, RESULTS)


if __name__ == "__main__":
    main()
