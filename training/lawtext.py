"""Passages of German federal law for the reader's training set.

Source: the Markdown snapshot of federal laws and ordinances in the public repository
bundestag/gesetze (official works, § 5 UrhG; the repository itself is in the public domain).
Each passage is one paragraph (§), or a run of its subsections when the § is long, with its
enumerations joined into running text: the reader is meant to read sentences, not Markdown.

    python -m training.lawtext GIT_DIR OUT.jsonl [--n 950]

GIT_DIR is a bare clone of the repository (the script reads files with `git show`, so it needs
no work tree). The output is deterministic for a given snapshot and `--n`.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
from pathlib import Path

# Laws a citizen or an administration meets around residence, work, family, benefits, equal
# treatment and public service: the neighbourhood of the product's topic, never its documents.
LAWS: dict[str, str] = {
    "agg": "Allgemeines Gleichbehandlungsgesetz",
    "aufenthg_2004": "Aufenthaltsgesetz",
    "aufenthv": "Aufenthaltsverordnung",
    "asylblg": "Asylbewerberleistungsgesetz",
    "asylvfg_1992": "Asylgesetz",
    "bgleig_2015": "Bundesgleichstellungsgesetz",
    "rustag": "Staatsangehörigkeitsgesetz",
    "intv": "Integrationskursverordnung",
    "beschv_2013": "Beschäftigungsverordnung",
    "deuev": "Datenerfassungs- und -übermittlungsverordnung",
    "bbig_2005": "Berufsbildungsgesetz",
    "bafoeg": "Bundesausbildungsförderungsgesetz",
    "wogg": "Wohngeldgesetz",
    "beeg": "Bundeselterngeld- und Elternzeitgesetz",
    "bkgg_1996": "Bundeskindergeldgesetz",
    "bmg": "Bundesmeldegesetz",
    "pauswg": "Personalausweisgesetz",
    "passg_1986": "Passgesetz",
    "vwvfg": "Verwaltungsverfahrensgesetz",
    "ifg": "Informationsfreiheitsgesetz",
    "bdsg_2018": "Bundesdatenschutzgesetz",
    "sgb_1": "Sozialgesetzbuch Erstes Buch",
    "sgb_2": "Sozialgesetzbuch Zweites Buch",
    "sgb_3": "Sozialgesetzbuch Drittes Buch",
    "sgb_8": "Sozialgesetzbuch Achtes Buch",
    "sgb_9_2018": "Sozialgesetzbuch Neuntes Buch",
    "sgb_10": "Sozialgesetzbuch Zehntes Buch",
    "sgb_12": "Sozialgesetzbuch Zwölftes Buch",
    "freizuegg_eu_2004": "Freizügigkeitsgesetz/EU",
    "bvfg": "Bundesvertriebenengesetz",
    "bgg": "Behindertengleichstellungsgesetz",
    "muschg_2018": "Mutterschutzgesetz",
    "arbzg": "Arbeitszeitgesetz",
    "milog": "Mindestlohngesetz",
    "tzbfg": "Teilzeit- und Befristungsgesetz",
    "kschg": "Kündigungsschutzgesetz",
    "entgtranspg": "Entgelttransparenzgesetz",
    "bbg_2009": "Bundesbeamtengesetz",
    "beamtstg": "Beamtenstatusgesetz",
    "bqfg": "Berufsqualifikationsfeststellungsgesetz",
    "egovg": "E-Government-Gesetz",
    "ozg": "Onlinezugangsgesetz",
    "gg": "Grundgesetz",
    "nachwg": "Nachweisgesetz",
    "jarbschg": "Jugendarbeitsschutzgesetz",
    "uhvorschg": "Unterhaltsvorschussgesetz",
    "bwahlg": "Bundeswahlgesetz",
    "pstg": "Personenstandsgesetz",
    "bpersvg_2021": "Bundespersonalvertretungsgesetz",
    "bzrg": "Bundeszentralregistergesetz",
    "wisszeitvg": "Wissenschaftszeitvertragsgesetz",
    "bevstatg_2013": "Bevölkerungsstatistikgesetz",
}

MIN_WORDS = 35  # shorter §§ hold one fact: too little to ask several questions about
MAX_WORDS = 230  # about the size of a retrieved chunk of the product's corpus
PER_LAW_CAP = 45  # no law dominates the set (the Aufenthaltsgesetz alone has ~250 §§)
# A passage that is mostly references ("§§ 6 und 7 finden entsprechende Anwendung") cannot be
# read without the laws it points to: more than this many "§" per 100 words and it is left out.
MAX_REFS_PER_100_WORDS = 2.5

# Markdown's escapes ("1\\. März" keeps "1." from starting a list) are not part of the law's text
MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!])")
_HEADING = re.compile(r"^#{2,6} (§+ ?\d+[a-z]?)\s*(.*)$")
_ABSATZ = re.compile(r"^\(\d+[a-z]?\) ")


def _law_text(git_dir: Path, slug: str) -> str:
    path = f"{slug[0]}/{slug}/index.md"
    return subprocess.run(
        ["git", "--git-dir", str(git_dir), "show", f"HEAD:{path}"],
        check=True, capture_output=True, text=True,
    ).stdout


def _paragraph_blocks(body: list[str]) -> list[str]:
    """Join wrapped Markdown lines into blocks: one subsection "(n) …" or list item each."""
    blocks: list[str] = []
    current: list[str] = []
    for raw in body:
        line = raw.strip()
        if not line:
            if current:
                blocks.append(" ".join(current))
                current = []
            continue
        current.append(re.sub(r"\s+", " ", line))
    if current:
        blocks.append(" ".join(current))
    # A list item or a continuation ("erteilt wird. …") belongs to the subsection before it.
    merged: list[str] = []
    for block in blocks:
        if merged and not _ABSATZ.match(block):
            merged[-1] = f"{merged[-1]} {block}"
        else:
            merged.append(block)
    return [MD_ESCAPE.sub(r"\1", re.sub(r"\s+", " ", m)).strip() for m in merged]


def _sections(text: str) -> list[tuple[str, str, list[str]]]:
    """(§ number, § title, subsections) for every § of one law."""
    out: list[tuple[str, str, list[str]]] = []
    head: tuple[str, str] | None = None
    body: list[str] = []
    for line in text.splitlines():
        m = _HEADING.match(line)
        if m or line.startswith("#"):
            if head is not None:
                out.append((head[0], head[1], _paragraph_blocks(body)))
            head = (m.group(1).replace("§", "§ ").replace("  ", " "), m.group(2).strip()) if m else None
            body = []
        elif head is not None:
            body.append(line)
    if head is not None:
        out.append((head[0], head[1], _paragraph_blocks(body)))
    return out


def _chunks(blocks: list[str]) -> list[str]:
    """Runs of whole subsections of at most MAX_WORDS words; a longer single one is dropped."""
    runs: list[list[str]] = []
    for block in blocks:
        n = len(block.split())
        if n > MAX_WORDS:
            continue
        if runs and sum(len(b.split()) for b in runs[-1]) + n <= MAX_WORDS:
            runs[-1].append(block)
        else:
            runs.append([block])
    return [" ".join(r) for r in runs if len(" ".join(r).split()) >= MIN_WORDS]


def law_passages(git_dir: Path) -> list[dict]:
    passages = []
    for slug, name in LAWS.items():
        candidates = []
        for number, title, blocks in _sections(_law_text(git_dir, slug)):
            if "weggefallen" in title.lower() or not blocks:
                continue
            for i, text in enumerate(_chunks(blocks)):
                if "(weggefallen)" in text or text.count("§") * 100 > MAX_REFS_PER_100_WORDS * len(text.split()):
                    continue
                candidates.append({
                    "pid": f"law-{slug}-{number.replace('§ ', 'p')}-{i}",
                    "title": f"{name}, {number} {title}".strip(),
                    "text": text,
                    "source": "law",
                    "origin": f"bundestag/gesetze {slug[0]}/{slug}/index.md, {number}",
                    "licence": "amtliches Werk, § 5 UrhG (gemeinfrei)",
                })
        rng = random.Random(slug)
        rng.shuffle(candidates)
        passages.extend(sorted(candidates[:PER_LAW_CAP], key=lambda p: p["pid"]))
    return passages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("git_dir", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--n", type=int, default=950)
    args = parser.parse_args()
    passages = law_passages(args.git_dir)
    rng = random.Random(0)
    if len(passages) > args.n:
        passages = sorted(rng.sample(passages, args.n), key=lambda p: p["pid"])
    with args.out.open("w", encoding="utf-8") as fh:
        for p in passages:
            fh.write(json.dumps(p, ensure_ascii=False) + "\n")
    print(f"{len(passages)} passages from {len({p['pid'].split('-')[1] for p in passages})} laws -> {args.out}")


if __name__ == "__main__":
    main()
