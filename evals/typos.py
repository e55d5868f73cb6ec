"""xquad-de's questions as citizens type them: with typing errors, often lower case.

``python -m evals.typos ../shared/bench/xquad-de/xquad.de.json > evals/xquad_typo_questions.tsv``
writes the file `assistant eval --squad … --questions` reads (id<TAB>question). Deterministic (one
seeded generator, questions in file order), so the committed file can be checked by regenerating it.

Each question gets one typing error (two in a third of them) in words of five or more letters: two
neighbouring letters swapped, a letter dropped, doubled, or replaced by its neighbour on a German
keyboard. Independently, half the questions are lower-cased and three in ten lose their "?".
(Lower case alone was measured too: no effect on the answers.)
"""
from __future__ import annotations

import random
import re
import sys
from pathlib import Path

SEED = 8
_ROWS = ("qwertzuiopü", "asdfghjklöä", "yxcvbnm")
_NEIGHBOURS = {ch: row[max(i - 1, 0) : i] + row[i + 1 : i + 2] for row in _ROWS for i, ch in enumerate(row)}


def mistype(word: str, rnd: random.Random) -> str:
    """``word`` with one typing error inside it (never the first letter)."""
    i = rnd.randrange(1, len(word) - 1)
    op = rnd.choice(("swap", "drop", "double", "neighbour"))
    if op == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if op == "drop":
        return word[:i] + word[i + 1 :]
    if op == "double":
        return word[:i] + word[i] + word[i:]
    return word[:i] + rnd.choice(_NEIGHBOURS.get(word[i].lower()) or word[i]) + word[i + 1 :]


def with_typos(question: str, rnd: random.Random) -> str:
    parts = re.findall(r"\w+|\W+", question)
    long_words = [i for i, p in enumerate(parts) if len(p) >= 5 and p.isalpha()]
    for i in rnd.sample(long_words, min(len(long_words), rnd.choice((1, 1, 2)))):
        parts[i] = mistype(parts[i], rnd)
    out = "".join(parts)
    if rnd.random() < 0.5:
        out = out.lower()
    if rnd.random() < 0.3:
        out = out.rstrip("? ")
    return out


def main(path: str) -> None:
    from .squad import load_squad

    rnd = random.Random(SEED)
    _, items = load_squad(Path(path))
    print(f"# xquad-de questions with typing errors (python -m evals.typos, seed {SEED}); CC BY-SA 4.0 like XQuAD")
    for item in items:
        print(f"{item['id']}\t{with_typos(item['question'], rnd)}")


if __name__ == "__main__":
    main(sys.argv[1])
