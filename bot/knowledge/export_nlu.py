"""Write the knowledge base's question forms as NLU examples of their topic's intent.

The classifier learns every question form the knowledge base answers, so a
new entry teaches both at once and the two cannot drift apart. Examples that
a hand-written data file or the held-out set already has are left out (the
held-out set must stay unseen). Run `make nlu-from-knowledge` after editing
bot/knowledge/entries; tests/knowledge/test_export_nlu.py fails while the
generated file is stale.

    python -m bot.knowledge.export_nlu [--check]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml

from bot.knowledge import POLICY_TOPICS, load_knowledge_base
from bot.knowledge.topics import intent_topics

ROOT = Path(__file__).resolve().parents[2]
NLU_DIR = ROOT / "data" / "nlu"
OUTPUT = NLU_DIR / "knowledge.yml"
HELDOUT = ROOT / "tests" / "nlu" / "heldout.yml"
HEADER = (
    "# GENERATED from bot/knowledge/entries by `python -m bot.knowledge.export_nlu`.\n"
    "# Do not edit: change the knowledge entries and regenerate.\n"
)


def _key(text: str) -> str:
    return re.sub(r"[\s，。？！,.?!、~～]", "", text).lower()


def _examples_in(path: Path) -> set[str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    found = set()
    for item in data.get("nlu") or []:
        for line in str(item.get("examples") or "").splitlines():
            line = line.strip()
            if line.startswith("- "):
                found.add(_key(re.sub(r"\[([^\]]*)\][({][^)}]*[)}]", r"\1", line[2:])))
    return found


def render() -> str:
    """Return the generated NLU file's text."""
    topic_intent = {}
    for intent, topic in intent_topics().items():
        if topic in POLICY_TOPICS and intent.startswith("ask_"):
            topic_intent[topic] = intent
    known = _examples_in(HELDOUT)
    for path in sorted(NLU_DIR.glob("*.yml")):
        if path != OUTPUT:
            known |= _examples_in(path)
    blocks = []
    for topic in POLICY_TOPICS:
        lines = []
        for entry in load_knowledge_base().in_topic(topic):
            for question in entry.questions:
                if _key(question) not in known:
                    known.add(_key(question))
                    lines.append(f"      - {question}")
        if lines:
            head = f"  - intent: {topic_intent[topic]}\n    examples: |\n"
            blocks.append(head + "\n".join(lines))
    return HEADER + 'version: "3.1"\n\nnlu:\n' + "\n".join(blocks) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the file, or with --check tell whether it is up to date."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT.relative_to(ROOT)} is stale: run python -m bot.knowledge.export_nlu")
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
