"""Evaluate triage on labelled messages the model never saw.

Usage: .venv-bot/bin/python scripts/triage_eval.py FILE.tsv [FILE2.tsv ...] [--model models/x.tar.gz]

FILE has a header `label<TAB>text`. Each text is classified by the newest model in models/ (or
--model; an NLU-only model from `rasa train nlu` works too). Prints per-label precision/recall/F1,
the confusion pairs, and as its last line `accuracy=0.XXX complaint_recall=0.XXX`. A fallback
("I didn't understand") counts as wrong: it is what the resident would get. With several files the
model is loaded once, each file gets its own report, and a summary line per file is printed before
the last line, which is then the figure over all files pooled.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import logging
import os
import sys
from collections import Counter
from pathlib import Path

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
logging.disable(logging.WARNING)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the pipeline's own components (bot.components)


def newest_model() -> Path:
    models = sorted((ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        sys.exit("no model in models/: run `make train` first")
    return models[-1]


def read(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader)
        if [h.strip() for h in header[:2]] != ["label", "text"]:
            sys.exit(f"{path}: the first line must be 'label<TAB>text', not {header!r}")
        rows = [(r[0].strip(), r[1].strip()) for r in reader if len(r) >= 2 and r[1].strip()]
    if not rows:
        sys.exit(f"{path}: no examples")
    return rows


async def classify(model: Path, texts: list[str]) -> list[str]:
    import structlog
    from rasa.core.agent import Agent

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

    agent = Agent.load(str(model))
    out = []
    for text in texts:
        parsed = await agent.parse_message(text)
        out.append(parsed["intent"]["name"])
    return out


def report(gold: list[str], pred: list[str]) -> None:
    labels = sorted(set(gold))
    print(f"{'label':<22}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}")
    for label in labels:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == p == label)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if p == label and g != label)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        print(f"{label:<22}{precision:>10.3f}{recall:>10.3f}{f1:>10.3f}{tp + fn:>10}")
    pairs = Counter((g, p) for g, p in zip(gold, pred, strict=True) if g != p)
    if pairs:
        print("\nconfusion pairs (true -> predicted: count)")
        for (g, p), n in pairs.most_common():
            print(f"  {g} -> {p}: {n}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", type=Path, nargs="+", metavar="file")
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--show-errors", action="store_true")
    args = parser.parse_args()
    per_file = [(path, read(path)) for path in args.files]
    model = args.model or newest_model()
    texts = [text for _, rows in per_file for _, text in rows]
    predictions = iter(asyncio.run(classify(model, texts)))
    summary = []
    all_gold: list[str] = []
    all_pred: list[str] = []
    for path, rows in per_file:
        gold = [label for label, _ in rows]
        pred = [next(predictions) for _ in rows]
        print(f"== {path}   model: {model.name}   examples: {len(rows)}\n")
        report(gold, pred)
        if args.show_errors:
            print("\nerrors")
            for (label, text), p in zip(rows, pred, strict=True):
                if label != p:
                    print(f"  [{label} -> {p}] {text}")
        summary.append((path.name, *figures(gold, pred)))
        all_gold += gold
        all_pred += pred
        print()
    if len(per_file) > 1:
        for name, accuracy, complaint_recall in summary:
            print(f"{name:<28} accuracy={accuracy:.3f} complaint_recall={complaint_recall:.3f}")
    accuracy, complaint_recall = figures(all_gold, all_pred)
    print(f"accuracy={accuracy:.3f} complaint_recall={complaint_recall:.3f}")


def figures(gold: list[str], pred: list[str]) -> tuple[float, float]:
    accuracy = sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold)
    complaints = [p for g, p in zip(gold, pred, strict=True) if g == "complaint"]
    complaint_recall = sum(p == "complaint" for p in complaints) / len(complaints) if complaints else 0.0
    return accuracy, complaint_recall


if __name__ == "__main__":
    main()
