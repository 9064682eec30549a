"""Measure topic accuracy on the held-out questions: our pipeline beside the baseline.

For each model, every held-out example is parsed, its predicted intent mapped
to a topic through data/topics.yml, and compared with the topic of its label.
Writes var/eval/report.md (accuracy, macro-F1, per-topic P/R/F1, the
misclassified examples), report.json and a confusion-matrix PNG per model.

    python -m bot.nlu.evaluate --model ours=models/yucai.tar.gz \
        --model baseline=var/eval/models/baseline.tar.gz
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from rasa.core.agent import Agent  # noqa: E402
from rasa.shared.nlu.training_data.loading import load_data  # noqa: E402
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support  # noqa: E402

from bot.knowledge.topics import topic_of  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
HELDOUT = ROOT / "tests" / "nlu" / "heldout.yml"
OUT = ROOT / "var" / "eval"


@dataclass
class Result:
    """One model's predictions on the held-out set and its scores."""

    name: str
    gold: list[str] = field(default_factory=list)
    predicted: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    intents: list[str] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        """Share of examples whose predicted topic is the labelled one."""
        hits = sum(g == p for g, p in zip(self.gold, self.predicted, strict=True))
        return hits / len(self.gold) if self.gold else 0.0

    def per_topic(self, topics: list[str]) -> dict[str, tuple[float, float, float, int]]:
        """Return topic → (precision, recall, F1, support)."""
        p, r, f, n = precision_recall_fscore_support(
            self.gold, self.predicted, labels=topics, zero_division=0
        )
        return {t: (p[i], r[i], f[i], int(n[i])) for i, t in enumerate(topics)}

    def macro_f1(self, topics: list[str]) -> float:
        """Mean F1 over the topics of the held-out set."""
        scores = self.per_topic(topics)
        return sum(s[2] for s in scores.values()) / len(scores)


def predicted_topic(parse: dict) -> tuple[str, str]:
    """Return (intent, topic) of a parse, a retrieval intent's full key winning."""
    intent = (parse.get("intent") or {}).get("name") or "nlu_fallback"
    for selector in (parse.get("response_selector") or {}).values():
        if not isinstance(selector, dict):
            continue
        key = (selector.get("response") or {}).get("intent_response_key")
        if key and key.split("/")[0] == intent:
            intent = key
    return intent, topic_of(intent) or "unmapped"


async def evaluate(name: str, model: Path, heldout: Path) -> Result:
    """Parse every held-out example with one model."""
    agent = Agent.load(str(model))
    result = Result(name)
    for message in load_data(str(heldout), language="zh").intent_examples:
        text = message.get("text")
        intent, topic = predicted_topic(await agent.parse_message(text))
        result.texts.append(text)
        result.gold.append(topic_of(message.get("intent")) or "unmapped")
        result.predicted.append(topic)
        result.intents.append(intent)
    return result


def plot_confusion(result: Result, topics: list[str], path: Path) -> None:
    """Save the topic confusion matrix (rows: labelled, columns: predicted) as a PNG."""
    labels = topics + sorted(set(result.predicted) - set(topics))
    matrix = confusion_matrix(result.gold, result.predicted, labels=labels)
    size = max(8, len(labels) * 0.45)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    for i in range(len(labels)):
        for j in range(len(labels)):
            if matrix[i, j]:
                colour = "white" if matrix[i, j] > matrix.max() / 2 else "black"
                ax.text(j, i, matrix[i, j], ha="center", va="center", fontsize=7, color=colour)
    ax.set_xlabel("predicted topic")
    ax.set_ylabel("labelled topic")
    ax.set_title(f"{result.name}: accuracy {result.accuracy:.1%}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def report(results: list[Result], out: Path) -> str:
    """Write report.md / report.json and return the Markdown."""
    topics = sorted(set(results[0].gold))
    lines = ["# Held-out topic evaluation", "", "| model | examples | accuracy | macro-F1 |"]
    lines.append("|---|---|---|---|")
    for r in results:
        lines.append(f"| {r.name} | {len(r.gold)} | {r.accuracy:.1%} | {r.macro_f1(topics):.3f} |")
    header = " | ".join(f"{r.name} P / R / F1" for r in results)
    lines += ["", f"| topic | n | {header} |", "|---|---|" + "---|" * len(results)]
    scores = [r.per_topic(topics) for r in results]
    for t in topics:
        cells = " | ".join(f"{s[t][0]:.2f} / {s[t][1]:.2f} / {s[t][2]:.2f}" for s in scores)
        lines.append(f"| {t} | {scores[0][t][3]} | {cells} |")
    for r in results:
        wrong = [
            (text, g, p, i)
            for text, g, p, i in zip(r.texts, r.gold, r.predicted, r.intents, strict=True)
            if g != p
        ]
        lines += ["", f"## {r.name}: {len(wrong)} misclassified", ""]
        lines += [f"- {text} — labelled {g}, predicted {p} ({i})" for text, g, p, i in wrong]
        lines.append(f"\n![{r.name}](confusion_{r.name}.png)")
    markdown = "\n".join(lines) + "\n"
    (out / "report.md").write_text(markdown, encoding="utf-8")
    summary = {r.name: {"accuracy": r.accuracy, "macro_f1": r.macro_f1(topics)} for r in results}
    (out / "report.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return markdown


def main(argv: list[str] | None = None) -> int:
    """Evaluate each named model and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", required=True, help="name=path.tar.gz")
    parser.add_argument("--heldout", type=Path, default=HELDOUT)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    args.out.mkdir(parents=True, exist_ok=True)
    results = []
    for item in args.model:
        name, _, path = item.partition("=")
        result = asyncio.run(evaluate(name, Path(path), args.heldout))
        plot_confusion(result, sorted(set(result.gold)), args.out / f"confusion_{name}.png")
        results.append(result)
    print(report(results, args.out))
    print(f"report: {args.out / 'report.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
