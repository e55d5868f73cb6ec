"""Durable store of what users say about answers (👍 / 👎, a comment, a "wrong source" flag).

One SQLite file, ``settings.data_dir / "feedback.sqlite3"``, so feedback survives restarts and
can be copied or backed up as a single file. Staff read it as CSV; the 👎 entries become eval
items that QA completes with gold answers, which closes the loop from complaints to tests.
"""
from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import closing
from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.records import Turn

RATINGS = ("up", "down")
FILENAME = "feedback.sqlite3"

# Cells that spreadsheet programs would execute as a formula (CSV injection): a citizen's
# question like "=HYPERLINK(...)" must reach staff as text when they open the CSV in Excel.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL DEFAULT '[]',
    comment TEXT NOT NULL DEFAULT '',
    wrong_source INTEGER NOT NULL DEFAULT 0,
    history TEXT NOT NULL DEFAULT '[]',
    abstained INTEGER NOT NULL DEFAULT 0,
    language TEXT NOT NULL DEFAULT 'de'
)
"""

CSV_COLUMNS = (
    "id",
    "created_at",
    "rating",
    "question",
    "answer",
    "comment",
    "wrong_source",
    "abstained",
    "language",
    "citations",
    "history",
)


@dataclass(frozen=True)
class FeedbackEntry:
    """One stored rating of one answer."""

    id: int
    created_at: str  # UTC, ISO 8601
    rating: str  # "up" or "down"
    question: str
    answer: str
    citations: list[dict[str, Any]] = field(default_factory=list)
    comment: str = ""
    wrong_source: bool = False
    history: list[dict[str, str]] = field(default_factory=list)  # previous turns of the chat
    abstained: bool = False
    language: str = "de"


def _check_rating(rating: str) -> str:
    if rating not in RATINGS:
        raise ValueError(f"rating must be one of {RATINGS}, got {rating!r}")
    return rating


def _citation_json(citation: Any) -> dict[str, Any]:
    if isinstance(citation, dict):
        return dict(citation)
    if hasattr(citation, "to_json"):
        return citation.to_json()
    if is_dataclass(citation) and not isinstance(citation, type):
        return asdict(citation)
    raise TypeError(f"citation must be a Citation or a dict, got {type(citation).__name__}")


def _turn_json(turn: Turn | dict[str, str]) -> dict[str, str]:
    if isinstance(turn, Turn):
        return {"question": turn.question, "answer": turn.answer}
    return {"question": str(turn.get("question", "")), "answer": str(turn.get("answer", ""))}


def _csv_cell(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if text.startswith(_FORMULA_PREFIXES):
        return "'" + text
    return text


class FeedbackStore:
    """Feedback rows in one SQLite file. Safe to share between threads: each call opens its own
    connection, so Gradio's worker threads never share a cursor."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as con, con:
            con.execute(_SCHEMA)

    @classmethod
    def from_settings(cls, settings: Any) -> FeedbackStore:
        """The store at ``settings.data_dir / "feedback.sqlite3"``."""
        return cls(Path(settings.data_dir) / FILENAME)

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=10)
        con.row_factory = sqlite3.Row
        return con

    def add(
        self,
        *,
        rating: str,
        question: str,
        answer: str,
        citations: Iterable[Any] = (),
        comment: str = "",
        wrong_source: bool = False,
        history: Sequence[Turn | dict[str, str]] = (),
        abstained: bool = False,
        language: str = "de",
    ) -> int:
        """Store one rating and return its id. ``citations`` are ``Citation`` records or dicts."""
        row = (
            datetime.now(UTC).isoformat(timespec="seconds"),
            _check_rating(rating),
            question,
            answer,
            json.dumps([_citation_json(c) for c in citations], ensure_ascii=False),
            comment.strip(),
            int(bool(wrong_source)),
            json.dumps([_turn_json(t) for t in history], ensure_ascii=False),
            int(bool(abstained)),
            language,
        )
        with closing(self._connect()) as con, con:
            cur = con.execute(
                "INSERT INTO feedback (created_at, rating, question, answer, citations, comment,"
                " wrong_source, history, abstained, language) VALUES (?,?,?,?,?,?,?,?,?,?)",
                row,
            )
            return int(cur.lastrowid)

    def update(
        self,
        entry_id: int,
        *,
        rating: str | None = None,
        comment: str | None = None,
        wrong_source: bool | None = None,
    ) -> None:
        """Change a stored rating, e.g. when the user adds a comment after clicking 👎."""
        changes: dict[str, Any] = {}
        if rating is not None:
            changes["rating"] = _check_rating(rating)
        if comment is not None:
            changes["comment"] = comment.strip()
        if wrong_source is not None:
            changes["wrong_source"] = int(bool(wrong_source))
        if not changes:
            return
        assignments = ", ".join(f"{column} = ?" for column in changes)
        with closing(self._connect()) as con, con:
            cur = con.execute(
                f"UPDATE feedback SET {assignments} WHERE id = ?", (*changes.values(), entry_id)
            )
            if cur.rowcount == 0:
                raise KeyError(f"no feedback entry with id {entry_id}")

    def get(self, entry_id: int) -> FeedbackEntry:
        with closing(self._connect()) as con:
            row = con.execute("SELECT * FROM feedback WHERE id = ?", (entry_id,)).fetchone()
        if row is None:
            raise KeyError(f"no feedback entry with id {entry_id}")
        return self._entry(row)

    def to_csv(self) -> str:
        """All entries, oldest first, as CSV text (citations and history as JSON cells)."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for entry in reversed(self.list()):
            record = asdict(entry)
            record["wrong_source"] = int(entry.wrong_source)
            record["abstained"] = int(entry.abstained)
            writer.writerow(
                [record["id"]] + [_csv_cell(record[column]) for column in CSV_COLUMNS[1:]]
            )
        return out.getvalue()

    def export_eval_items(self) -> list[dict[str, Any]]:
        """The 👎 entries as eval-set items, oldest first.

        Marked answerable with empty gold fields: QA decides per item whether the documents hold
        the answer and fills in gold answers and evidence; the user's comment goes into ``note``.
        """
        items = []
        for entry in reversed(self.list()):
            if entry.rating != "down":
                continue
            note = entry.comment
            if entry.wrong_source:
                note = f"[falsche Quelle] {note}".strip()
            items.append(
                {
                    "id": f"feedback-{entry.id}",
                    "question": entry.question,
                    "history": entry.history,
                    "answerable": True,
                    "gold_answers": [],
                    "gold_doc": "",
                    "gold_docs": [],
                    "gold_evidence": [],
                    "category": "feedback",
                    "lang": entry.language,
                    "note": note,
                }
            )
        return items

    def eval_jsonl(self) -> str:
        """``export_eval_items()`` as JSON Lines text, one item per line."""
        return "".join(
            json.dumps(item, ensure_ascii=False) + "\n" for item in self.export_eval_items()
        )

    @staticmethod
    def _entry(row: sqlite3.Row) -> FeedbackEntry:
        return FeedbackEntry(
            id=row["id"],
            created_at=row["created_at"],
            rating=row["rating"],
            question=row["question"],
            answer=row["answer"],
            citations=json.loads(row["citations"]),
            comment=row["comment"],
            wrong_source=bool(row["wrong_source"]),
            history=json.loads(row["history"]),
            abstained=bool(row["abstained"]),
            language=row["language"],
        )

    # Defined last: the method name shadows the builtin inside the class body.
    def list(self, limit: int | None = None) -> list[FeedbackEntry]:
        """Stored entries, newest first; at most ``limit`` of them if given."""
        query = "SELECT * FROM feedback ORDER BY id DESC"
        params: tuple[int, ...] = ()
        if limit is not None:
            query += " LIMIT ?"
            params = (limit,)
        with closing(self._connect()) as con:
            rows = con.execute(query, params).fetchall()
        return [self._entry(row) for row in rows]
