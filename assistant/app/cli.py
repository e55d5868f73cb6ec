"""Command line: ``assistant ingest | ask | eval | serve | bench``.

Errors meant for people (empty question, unreachable store, unwritable data dir) are printed as one
line and exit with code 2; nothing here prints a traceback for them.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from assistant.errors import AssistantError
from assistant.settings import get_settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Bürger-Assistent: Fragen zu Initiativen der interkulturellen Öffnung, mit Quellenangaben.")


def _fail(exc: AssistantError, lang: str = "de", code: int = 2) -> None:
    typer.echo(f"Fehler: {exc.message(lang)}" if lang == "de" else f"Error: {exc.message(lang)}", err=True)
    raise typer.Exit(code)


@app.command()
def ingest(
    paths: Annotated[Optional[list[Path]], typer.Argument(help="Dateien oder Ordner (Standard: seeds/)")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Ohne Fortschrittsbalken")] = False,
    check: Annotated[
        bool, typer.Option("--check", help="Jeden gespeicherten Abschnitt auf Auffindbarkeit per Vektorsuche prüfen (~4 s je 10.000)")
    ] = False,
) -> None:
    """Dokumente einlesen und den Index abgleichen (idempotent)."""
    from ingest.pipeline import ingest_paths

    settings = get_settings()
    try:
        report = ingest_paths(paths or [settings.seeds_dir], settings, progress=not quiet, check_all=check)
    except AssistantError as exc:
        _fail(exc)
    for path, reason in report.skipped:
        typer.echo(f"übersprungen: {path} – {reason}", err=True)
    typer.echo(report.summary())
    if not report.ok:
        typer.echo("Fehler: Es konnte kein Dokument eingelesen werden.", err=True)
        raise typer.Exit(1)


def _print_answer(ans, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(ans.to_json(), ensure_ascii=False))
        return
    if ans.short is not None:
        typer.echo(f"{'In short' if ans.language == 'en' else 'Kurz'}: {ans.short.text} [{ans.short.n}]\n")
    typer.echo(ans.answer)
    if ans.citations:
        en = ans.language == "en"
        typer.echo("\nSources:" if en else "\nQuellen:")
        for c in ans.citations:
            date = c.date or ("no date" if en else "ohne Datum")
            link = f" – {c.url}" if c.url else ""
            typer.echo(f"[{c.n}] {c.title} ({date}){link}\n    {'Quote' if en else 'Zitat'}: {c.quote}")
    if ans.abstained and (linked := [d for d in ans.documents if d.url]):
        typer.echo("\nTo read for yourself (in German):" if ans.language == "en" else "\nZum Nachlesen:")
        for d in linked:
            typer.echo(f"- {d.title} – {d.url}")


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help='Die Frage, oder "-" für eine Frage pro Zeile von stdin')],
    as_json: Annotated[bool, typer.Option("--json", help="Antwort als JSON-Objekt")] = False,
) -> None:
    """Eine Frage beantworten, mit nummerierten Quellen."""
    from assistant.pipeline import Assistant
    from assistant.question import Question

    settings = get_settings()
    lang, read = "de", None
    if question != "-":
        try:  # read before loading the model, so a blank question fails at once
            read = Question.parse(question, (), settings)
            lang = read.language
        except AssistantError as exc:
            _fail(exc)
    try:
        assistant = Assistant.from_settings(settings)
        if read is not None:
            _print_answer(assistant.ask(read), as_json)
            return
    except AssistantError as exc:
        _fail(exc, lang)
    _answer_lines(assistant, sys.stdin.buffer, as_json)


def _answer_lines(assistant, stream, as_json: bool) -> None:
    """One question per line of ``stream`` (bytes), the model loaded once. The loop never dies on a
    bad line: invalid UTF-8 is dropped, and with ``--json`` every non-empty line gets one JSON object
    (an answer or ``{"question", "error"}``). Empty lines are skipped, as separators."""
    from assistant.language import detect_language

    for raw in stream:
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if not line.strip():
            continue
        shown = " ".join(line.replace("\ufffd", " ").split())[:200]
        lang = detect_language(shown)
        try:
            _print_answer(assistant.ask(line), as_json)
        except AssistantError as exc:
            _print_error(shown, exc.message(lang), lang, as_json)
        except Exception as exc:  # one broken question must not end a batch; the operator sees the type
            _print_error(shown, _GENERIC[lang], lang, as_json)
            typer.echo(f"({exc.__class__.__name__})", err=True)
        sys.stdout.flush()


_GENERIC = {
    "de": "Bei dieser Frage ist ein Fehler aufgetreten. Bitte später erneut versuchen.",
    "en": "Something went wrong with this question. Please try again later.",
}


def _print_error(question: str, message: str, lang: str, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps({"question": question, "error": message}, ensure_ascii=False))
    else:
        typer.echo(f"Fehler: {message}" if lang == "de" else f"Error: {message}", err=True)


@app.command("eval")
def eval_(
    squad: Annotated[Optional[Path], typer.Option(help="SQuAD-Datei statt des Seed-Fragensatzes")] = None,
    holdout: Annotated[float, typer.Option(help="Anteil der Absätze, die aus dem Index bleiben")] = 0.0,
    out: Annotated[Optional[Path], typer.Option(help="Ordner für report.json/.md/.html")] = None,
    baseline: Annotated[Optional[Path], typer.Option(help="Früherer report.json zum Vergleich")] = None,
    tolerance: Annotated[float, typer.Option(help="Erlaubter Rückgang je Metrik")] = 0.02,
    limit: Annotated[Optional[int], typer.Option(help="Nur die ersten N Fragen")] = None,
    use_index: Annotated[bool, typer.Option("--use-index", help="Den vorhandenen Index statt eines temporären nutzen")] = False,
    questions: Annotated[
        Optional[Path], typer.Option(
            help="Ohne --squad: dieser Fragensatz (JSONL wie evals/seed_questions.jsonl) über die Seed-Dokumente; "
            "mit --squad: nur diese Fragen, anders formuliert (Zeilen „ID<Tab>Frage“)"
        )
    ] = None,
) -> None:
    """Die Offline-Evaluation ausführen (Antworten, Zitate, Enthaltungen, Latenz)."""
    from evals.cli import eval_command

    try:
        code = eval_command(squad, holdout, out, baseline, tolerance, limit, use_index, questions=questions)
    except AssistantError as exc:
        _fail(exc)
    raise typer.Exit(code)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Adresse")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 7860,
) -> None:
    """Den Web-Chat (Gradio) starten: Bürger-Chat unter /, Prüfansicht (mit Anmeldung) unter /staff."""
    from assistant.app.web.server import serve as serve_web

    try:
        serve_web(get_settings(), host=host, port=port)
    except AssistantError as exc:
        _fail(exc)


@app.command("staff-password")
def staff_password() -> None:
    """Ein Passwort für die Prüfansicht festlegen: gibt den Wert für ASSISTANT_STAFF_PASSWORD_HASH aus.

    Das Passwort wird von der Standardeingabe gelesen (oder zweimal abgefragt); gespeichert wird
    nur sein scrypt-Hash."""
    from assistant.security import hash_password

    if sys.stdin.isatty():
        password = typer.prompt("Passwort für die Prüfansicht", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    if len(password) < 12:
        typer.echo("Fehler: Das Passwort muss mindestens 12 Zeichen lang sein.", err=True)
        raise typer.Exit(2)
    typer.echo(hash_password(password))


bench_app = typer.Typer(
    add_completion=False,
    invoke_without_command=True,
    help="Benchmarks, die Zahlen ausgeben (keine Tests): Leistung/Skalierung und Last.",
)
app.add_typer(bench_app, name="bench")


@bench_app.callback()
def bench_default(ctx: typer.Context) -> None:
    """Ohne Unterbefehl: der Leistungs-Benchmark (wie `assistant bench perf`)."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(bench_perf)


@bench_app.command("perf")
def bench_perf(
    out: Annotated[Path, typer.Option(help="Ordner für bench.json")] = Path("bench-out/perf"),
    sizes: Annotated[str, typer.Option(help="Korpusgrößen in Abschnitten, durch Kommas getrennt")] = "1000,10000,100000",
    queries: Annotated[int, typer.Option(help="Anzahl der xquad-Fragen je Korpusgröße", min=1)] = 100,
    skip: Annotated[Optional[list[str]], typer.Option(help="Teil auslassen: ingest, query, langchain, cold (mehrfach möglich)")] = None,
    cache: Annotated[Path, typer.Option(help="Ordner für die erzeugten Korpora (wird wiederverwendet)")] = Path("bench-out/cache"),
    squad: Annotated[Optional[Path], typer.Option(help="xquad-de-Datei (Standard: ../shared/bench/xquad-de/xquad.de.json)")] = None,
    ingest_docs: Annotated[int, typer.Option(help="xquad-Absätze für die Ingest-Messung", min=1)] = 30,
    langchain_max: Annotated[int, typer.Option(help="LangChain-Vergleich nur bis zu dieser Korpusgröße")] = 100000,
) -> None:
    """Ingest-Durchsatz, Abfrage-Latenz bei 1k/10k/100k Chunks, Kaltstart, LangChain-Vergleich."""
    from evals.bench.perf import run_perf

    try:
        size_list = tuple(int(x) for x in sizes.split(",") if x.strip())
    except ValueError:
        typer.echo(f"Fehler: --sizes erwartet Zahlen mit Kommas, z. B. 1000,10000 (nicht {sizes!r}).", err=True)
        raise typer.Exit(2)
    raise typer.Exit(
        run_perf(get_settings(), out, size_list, queries, tuple(skip or ()), cache, squad, ingest_docs, langchain_max)
    )


@bench_app.command("abuse")
def bench_abuse(
    out: Annotated[Path, typer.Option(help="Ordner für abuse.json")] = Path("bench-out/abuse"),
    minutes: Annotated[float, typer.Option(help="Danach alle Angriffe so viele Minuten im Wechsel (Dauerlauf, Spitzen-RSS)")] = 0.0,
    lift_limits: Annotated[bool, typer.Option("--lift-limits", help="Ohne Grenzen je Client: misst die Schranke jeder einzelnen Anfrage")] = False,
) -> None:
    """Angriffe auf den laufenden Web-Chat: was jeder kostet (CPU s je Anfrage, RSS) und was der Angreifer bekommt."""
    from evals.bench.abuse import run_abuse

    raise typer.Exit(run_abuse(get_settings(), out, minutes, lift_limits))


@bench_app.command("load")
def bench_load(
    out: Annotated[Path, typer.Option(help="Ordner für load.json")] = Path("bench-out/load"),
    url: Annotated[Optional[str], typer.Option(help="Eine schon laufende App statt eines eigenen Servers")] = None,
    data_dir: Annotated[Optional[Path], typer.Option(help="Vorhandenen Index nutzen statt die Seeds neu einzulesen")] = None,
    levels: Annotated[str, typer.Option(help="Gleichzeitige Gespräche je Stufe, kommagetrennt")] = "1,8,32",
    seconds: Annotated[float, typer.Option(help="Dauer je Stufe in Sekunden")] = 30.0,
    endpoint: Annotated[str, typer.Option(help="chat (/ask, gestreamt wie im Browser) oder answer (/answer, JSON)")] = "chat",
    think: Annotated[float, typer.Option(help="Pause zwischen den Fragen eines Gesprächs in Sekunden (0: geschlossene Schleife)")] = 0.0,
) -> None:
    """Lasttest des laufenden Web-Chats über seine HTTP-API (1, 8, 32 gleichzeitige Gespräche)."""
    from evals.bench.load import run_load

    try:
        try:
            level_list = [int(x) for x in levels.split(",") if x.strip()]
        except ValueError:
            raise ValueError(f"--levels must be numbers separated by commas, like 1,8,32, not {levels!r}") from None
        code = run_load(
            get_settings(), out, url=url, data_dir=data_dir, levels=level_list, seconds=seconds,
            endpoint=endpoint, think_s=think,
        )  # fmt: skip
    except ValueError as exc:
        typer.echo(f"Fehler: {exc}", err=True)
        raise typer.Exit(2) from None
    raise typer.Exit(code)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
