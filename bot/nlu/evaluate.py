"""Measure topic accuracy on the held-out questions: our pipeline beside the baseline.

For each model, every held-out example is parsed, its predicted intent mapped
to a topic through data/topics.yml, and compared with the topic of its label.
Also, with the same answering code as the assistant (bot/nlu/measures.py): the
off-topic false-accept rate on tests/nlu/offtopic_heldout.yml, the two-part
score on tests/nlu/two_part.yml, and per-topic accuracy on the message-board
register (tests/nlu/heldout_register.yml). Writes var/eval/report.md
(accuracy, macro-F1, per-topic P/R/F1, the misclassified examples),
report.json and a confusion-matrix PNG per model.

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

from bot.knowledge import load_knowledge_base  # noqa: E402
from bot.knowledge.coverage import topic_vocabulary  # noqa: E402
from bot.knowledge.topics import topic_of  # noqa: E402
from bot.nlu.measures import (  # noqa: E402
    OffTopic,
    load_two_part,
    off_topic,
    per_topic_accuracy,
    two_part,
)

ROOT = Path(__file__).resolve().parents[2]
HELDOUT = ROOT / "tests" / "nlu" / "heldout.yml"
OFFTOPIC = ROOT / "tests" / "nlu" / "offtopic_heldout.yml"
REGISTER = ROOT / "tests" / "nlu" / "heldout_register.yml"
TWO_PART = ROOT / "tests" / "nlu" / "two_part.yml"
OUT = ROOT / "var" / "eval"
REGISTER_BAR = 0.9


@dataclass
class Result:
    """One model's predictions on the held-out set and its scores."""

    name: str
    gold: list[str] = field(default_factory=list)
    predicted: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    intents: list[str] = field(default_factory=list)
    off_topic: OffTopic = field(default_factory=OffTopic)
    two_part: float = 0.0
    two_part_missed: list[str] = field(default_factory=list)
    register: dict[str, float] = field(default_factory=dict)
    register_accuracy: float = 0.0

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


async def evaluate(name: str, model: Path, heldout: Path, extra: ExtraSets | None = None) -> Result:
    """Parse every held-out example with one model, and the off-topic, register, two-part sets."""
    agent = Agent.load(str(model))
    result = Result(name)
    for message in load_data(str(heldout), language="zh").intent_examples:
        text = message.get("text")
        intent, topic = predicted_topic(await agent.parse_message(text))
        result.texts.append(text)
        result.gold.append(topic_of(message.get("intent")) or "unmapped")
        result.predicted.append(topic)
        result.intents.append(intent)
    if extra is not None:
        await measure_extra(agent, result, extra)
    return result


@dataclass
class ExtraSets:
    """The held-out sets measured beside topic accuracy (any may be missing)."""

    off_topic: Path | None = OFFTOPIC
    register: Path | None = REGISTER
    two_part: Path | None = TWO_PART


async def measure_extra(agent: Agent, result: Result, extra: ExtraSets) -> None:
    """Measure the off-topic false-accept rate, the register and the two-part score."""
    kb, vocabulary = load_knowledge_base(), topic_vocabulary()
    intents: dict[str, str] = {}

    async def parse_all(texts: list[str]) -> None:
        for text in texts:
            if text not in intents:
                intents[text] = predicted_topic(await agent.parse_message(text))[0]

    if extra.off_topic and extra.off_topic.exists():
        texts = [m.get("text") for m in load_data(str(extra.off_topic)).intent_examples]
        await parse_all(texts)
        result.off_topic = off_topic(intents.__getitem__, texts, kb, vocabulary)
    if extra.register and extra.register.exists():
        examples = load_data(str(extra.register), language="zh").intent_examples
        await parse_all([m.get("text") for m in examples])
        gold = [topic_of(m.get("intent")) or "unmapped" for m in examples]
        predicted = [topic_of(intents[m.get("text")]) or "unmapped" for m in examples]
        result.register = per_topic_accuracy(gold, predicted)
        hits = sum(g == p for g, p in zip(gold, predicted, strict=True))
        result.register_accuracy = hits / len(gold) if gold else 0.0
    if extra.two_part and extra.two_part.exists():
        cases = load_two_part(extra.two_part)
        await parse_all([c.text for c in cases])
        result.two_part, result.two_part_missed = two_part(
            intents.__getitem__, cases, kb, vocabulary
        )


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
    lines = ["# Held-out topic evaluation", ""]
    lines.append(
        "| model | examples | accuracy | macro-F1 | off-topic routed to policy "
        "| off-topic answered with policy | two-part score | register accuracy |"
    )
    lines.append("|---|---|---|---|---|---|---|---|")
    for r in results:
        off = r.off_topic
        lines.append(
            f"| {r.name} | {len(r.gold)} | {r.accuracy:.1%} | {r.macro_f1(topics):.3f} "
            f"| {len(off.routed)}/{off.total} ({off.routed_rate:.1%}) "
            f"| {len(off.answered)}/{off.total} ({off.false_accept_rate:.1%}) "
            f"| {r.two_part:.1%} | {r.register_accuracy:.1%} |"
        )
    lines += register_lines(results)
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
        if r.off_topic.answered:
            lines += ["", f"Off-topic answered with policy ({r.name}):", ""]
            lines += [f"- {text}" for text in r.off_topic.answered]
        if r.two_part_missed:
            lines += ["", f"Two-part questions not answered in full ({r.name}):", ""]
            lines += [f"- {text}" for text in r.two_part_missed]
        lines.append(f"\n![{r.name}](confusion_{r.name}.png)")
    markdown = "\n".join(lines) + "\n"
    (out / "report.md").write_text(markdown, encoding="utf-8")
    summary = {
        r.name: {
            "accuracy": r.accuracy,
            "macro_f1": r.macro_f1(topics),
            "off_topic_routed_rate": r.off_topic.routed_rate,
            "off_topic_false_accept_rate": r.off_topic.false_accept_rate,
            "two_part_score": r.two_part,
            "register_accuracy": r.register_accuracy,
            "register_per_topic": r.register,
        }
        for r in results
    }
    (out / "report.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return markdown


def register_lines(results: list[Result]) -> list[str]:
    """Per-topic accuracy on the message-board register, each model a column."""
    topics = sorted({t for r in results for t in r.register})
    if not topics:
        return []
    lines = ["", f"Message-board register, per-topic accuracy (bar {REGISTER_BAR:.0%}):", ""]
    lines += ["| topic | " + " | ".join(r.name for r in results) + " |"]
    lines += ["|---|" + "---|" * len(results)]
    for t in topics:
        lines.append(
            f"| {t} | " + " | ".join(f"{r.register.get(t, 0):.0%}" for r in results) + " |"
        )
    return lines


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
        result = asyncio.run(evaluate(name, Path(path), args.heldout, ExtraSets()))
        plot_confusion(result, sorted(set(result.gold)), args.out / f"confusion_{name}.png")
        results.append(result)
    print(report(results, args.out))
    print(f"report: {args.out / 'report.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
