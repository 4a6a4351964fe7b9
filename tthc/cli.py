"""``tthc``: the command-line tool for content and retrieval work (runs in ``.venv``).

``main()`` parses arguments; each ``cmd_*`` function does one subcommand's work. Machine
output (``--json``) goes to stdout alone; progress and logs go to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from tthc_settings import Settings, read_settings

err = Console(stderr=True)


def _progress(message: str) -> None:
    err.print(f"[cyan]›[/cyan] {message}")


def _dump(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


# -- procedures ------------------------------------------------------------------------
def _missing(folder: Path) -> bool:
    if folder.exists():
        return False
    err.print(f"[red]no such folder or file: {folder}[/red]")
    return True


def cmd_procedures_validate(args: argparse.Namespace, settings: Settings) -> int:
    from guides.loader import load_guides  # noqa: PLC0415

    if _missing(args.dir):
        return 2
    result = load_guides(args.dir)
    for problem in result.problems:
        sys.stdout.write(f"{problem}\n")
    published = len(result.published())
    err.print(
        f"{len(result.guides)} valid guides ({published} published, "
        f"{len(result.guides) - published} drafts); {len(result.problems)} problems"
    )
    return 1 if result.problems else 0


def cmd_procedures_list(args: argparse.Namespace, settings: Settings) -> int:
    from guides.loader import load_guides  # noqa: PLC0415

    result = load_guides(args.dir)
    rows = [{"code": g.code, "id": g.id, "title": g.title, "status": g.status.value} for g in result.guides]
    if args.json:
        _dump(rows)
    else:
        for row in rows:
            sys.stdout.write(f"{row['code']}\t{row['status']}\t{row['id']}\t{row['title']}\n")
    return 0


def _catalog(args: argparse.Namespace, settings: Settings) -> Path | None:
    """The catalog folder: --catalog, else the CATALOG_DIR setting; None when there is none."""
    folder = args.catalog or settings.catalog_dir
    return folder if folder is not None and folder.is_dir() else None


def cmd_procedures_stale(args: argparse.Namespace, settings: Settings) -> int:
    from guides.catalog.review import stale_guides  # noqa: PLC0415
    from guides.loader import load_guides  # noqa: PLC0415

    if _missing(args.dir):
        return 2
    catalog = _catalog(args, settings)
    if args.catalog is not None and catalog is None:
        err.print(f"[red]catalog folder not found: {args.catalog}[/red]")
        return 2
    result = load_guides(args.dir)
    guides = [(g, result.paths[g.id]) for g in result.guides]
    rows = [s.to_dict() for s in stale_guides(guides, days=args.days, catalog=catalog)]
    if args.json:
        _dump(rows)
    else:
        for row in rows:
            fields = ",".join(row["changed_fields"]) or "-"  # type: ignore[arg-type]
            sys.stdout.write(f"{row['code']}\t{row['reason']}\t{fields}\t{row['last_reviewed'] or 'never'}"
                             f"\t{row['path']}\n")
    changed = sum(1 for row in rows if row["reason"] == "catalog_changed")
    where = f"; catalog {catalog}: {changed} changed since their last check" if catalog else "; no catalog compared"
    err.print(f"{len(rows)} guides to look at (not reviewed in {args.days} days{where})")
    return 0


def cmd_procedures_check(args: argparse.Namespace, settings: Settings) -> int:
    from guides.catalog.check import check_guides, load_record, record_fingerprints  # noqa: PLC0415
    from guides.catalog.review import ReviewError, store_fingerprint  # noqa: PLC0415
    from guides.loader import load_guides  # noqa: PLC0415

    if _missing(args.dir):
        return 2
    catalog = _catalog(args, settings)
    if catalog is None:
        where = args.catalog or "CATALOG_DIR (not set, and ../shared/data/national-procedures is not there)"
        err.print(f"[red]no national catalog to compare with: {where}; give --catalog DIR or set CATALOG_DIR[/red]")
        return 2
    result = load_guides(args.dir)
    for problem in result.problems:
        err.print(f"[yellow]skipped: {problem}[/yellow]")
    by_key = {**{g.id: g for g in result.guides}, **{g.code: g for g in result.guides}}
    for key in args.accept:
        guide = by_key.get(key)
        record = load_record(catalog, guide.code) if guide else None
        if guide is None or record is None:
            err.print(f"[red]--accept {key}: {'no such guide' if guide is None else 'no catalog record'}[/red]")
            return 2
        try:
            store_fingerprint(result.paths[guide.id], record_fingerprints(record))
        except ReviewError as exc:
            err.print(f"[red]{exc}[/red]")
            return 2
        err.print(f"accepted {guide.id}: the catalog record's fingerprints are stored in {result.paths[guide.id]}")
    guides = [by_key[k] for k in args.accept] if args.accept else result.guides
    report = check_guides(guides, catalog)
    if args.json:
        _dump([f.to_dict() for f in report.findings])
    else:
        current = None
        for f in report.findings:
            if f.id != current:
                current = f.id
                sys.stdout.write(f"{f.id} ({f.code})\n")
            sys.stdout.write(f"  {f.field:<12} {f.kind:<13} guide: {f.guide}\n{'':29}catalog: {f.catalog}\n")
    for guide_id in report.without_record:
        err.print(f"[yellow]{guide_id}: its code is not in the catalog[/yellow]")
    for line in report.unreadable:
        err.print(f"[yellow]record not readable: {line}[/yellow]")
    counts = report.counts()
    failing = report.contradictions({g.id for g in result.guides if g.is_published})
    err.print(f"{report.checked} guides checked against {catalog}: {counts['contradiction']} contradictions "
              f"({len(failing)} in published guides), {counts['omission']} omissions, {counts['explained']} explained")
    return 1 if failing else 0


def cmd_procedures_import(args: argparse.Namespace, settings: Settings) -> int:
    from guides.catalog import run_import  # noqa: PLC0415

    if not args.source.is_dir():
        err.print(f"[red]catalog folder not found: {args.source}[/red]")
        return 2
    report = run_import(args.source, args.out)
    if args.json:
        _dump(report.to_dict())
    else:
        sys.stdout.write(report.to_text() + "\n")
    return 0


# -- retrieval -------------------------------------------------------------------------
def _build_options(args: argparse.Namespace, settings: Settings):  # type: ignore[no-untyped-def]
    from retrieval.build import BuildOptions  # noqa: PLC0415

    # An explicit --procedures folder is indexed alone unless --catalog is given too.
    catalog = None if args.no_catalog else (args.catalog or (None if args.procedures else settings.catalog_dir))
    return BuildOptions(
        catalog_dir=catalog,
        procedures_dir=args.procedures or settings.procedures_dir,
        out_dir=args.out or settings.index_dir,
        include_drafts=args.include_drafts or settings.include_drafts,
        embedding_model=args.model or settings.embedding_model or None,
        embedding_dim=settings.embedding_dim,
        embedding_epochs=settings.embedding_epochs,
        embedding_vocab_size=settings.embedding_vocab_size,
        exact_index_max=settings.exact_index_max,
        nlu_dir=settings.nlu_dir,
        train_dirs=tuple(args.train_with) if args.train_with is not None else (settings.procedures_dir,),
    )


def cmd_index_build(args: argparse.Namespace, settings: Settings) -> int:
    from retrieval.build import build_index, is_stale  # noqa: PLC0415

    options = _build_options(args, settings)
    if args.if_stale and not is_stale(options):
        err.print(f"index in {options.out_dir} is up to date")
        return 0
    # Training libraries print metrics to stdout: keep stdout for the JSON alone.
    with contextlib.redirect_stdout(sys.stderr):
        manifest = build_index(options, progress=_progress)
    if args.json:
        _dump(manifest)
    return 0


def _load_index(folder: Path | None, settings: Settings):  # type: ignore[no-untyped-def]
    from retrieval.index import MANIFEST, SearchIndex  # noqa: PLC0415

    folder = folder or settings.index_dir
    if not (folder / MANIFEST).exists():
        err.print(f"[red]no index in {folder}: run `tthc index build` first[/red]")
        raise SystemExit(2)
    return SearchIndex.load(folder)


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    index = _load_index(args.index, settings)
    hits = index.search(args.query, k=args.k)
    if args.json:
        _dump([h.to_json() for h in hits])
    else:
        for hit in hits:
            sys.stdout.write(f"{hit.score:.3f}\t{hit.code}\t{hit.title}\n")
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from retrieval.evaluate import evaluate, load_eval_items  # noqa: PLC0415

    index = _load_index(args.index, settings)
    items = load_eval_items(args.file)
    if args.baseline == "bm25":
        from retrieval.baseline import Bm25Baseline  # noqa: PLC0415

        index = Bm25Baseline(index)
    elif args.baseline == "dense":
        from retrieval.baseline import DenseBaseline  # noqa: PLC0415

        index = DenseBaseline(index)
    report = evaluate(index, items, threshold=settings.answer_threshold)
    report["ranker"] = args.baseline or "fused"
    if args.json:
        _dump(report)
    else:
        from retrieval.evaluate import format_report  # noqa: PLC0415

        sys.stdout.write(format_report(report) + "\n")
    return 0


# -- dialogue --------------------------------------------------------------------------
def cmd_dialogue_eval(args: argparse.Namespace, settings: Settings) -> int:
    from tthc.dialogue_eval import Runner, format_report, load_conversations, score  # noqa: PLC0415

    try:
        conversations = load_conversations(args.file)
    except (OSError, ValueError) as error:
        err.print(f"[red]{error}[/red]")
        return 2
    runner = Runner(url=args.url)
    err.print(f"{len(conversations)} conversations to {args.url} (run {runner.run})")
    results = runner.evaluate(conversations, concurrency=args.concurrency)
    report = score(results)
    if args.json:
        _dump(report)
    else:
        sys.stdout.write(format_report(report, results) + "\n")
    return 0


# -- parser ----------------------------------------------------------------------------
def _read_password(args: argparse.Namespace, prompt: str) -> str:
    """From --password (tests), standard input (--password-stdin), or asked without echo."""
    import getpass  # noqa: PLC0415

    if getattr(args, "password", None) is not None:
        return str(args.password)
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return getpass.getpass(prompt)


def cmd_admin_create_user(args: argparse.Namespace, settings: Settings) -> int:
    from console.users import UserError, create_user  # noqa: PLC0415
    from tthc_data.engine import engine_for, session_scope  # noqa: PLC0415
    from tthc_data.migrate import upgrade  # noqa: PLC0415

    url = settings.database_url
    password = _read_password(args, f"Mật khẩu cho {args.username}: ")
    upgrade(url)
    try:
        with session_scope(engine_for(url)) as session:
            create_user(session, args.username, password, args.role)
    except UserError as error:
        err.print(f"[red]{error}[/red]")
        return 1
    print(f"created {args.role} {args.username!r}")
    return 0


def cmd_admin_set_password(args: argparse.Namespace, settings: Settings) -> int:
    from console.users import UserError, set_password  # noqa: PLC0415
    from tthc_data.engine import engine_for, session_scope  # noqa: PLC0415
    from tthc_data.migrate import upgrade  # noqa: PLC0415

    url = settings.database_url
    password = _read_password(args, f"Mật khẩu mới cho {args.username}: ")
    upgrade(url)
    try:
        with session_scope(engine_for(url)) as session:
            set_password(session, args.username, password)
    except UserError as error:
        err.print(f"[red]{error}[/red]")
        return 1
    print(f"new password for {args.username!r}; every login of that account has ended")
    return 0


def cmd_console_purge(args: argparse.Namespace, settings: Settings) -> int:
    from console.retention import delete_older_than, delete_sender  # noqa: PLC0415
    from tthc_data.engine import engine_for  # noqa: PLC0415
    from tthc_data.migrate import upgrade  # noqa: PLC0415

    upgrade(settings.database_url)
    engine = engine_for(settings.database_url)
    if args.sender:
        counts = delete_sender(engine, args.sender, actor="cli")
    else:
        counts = delete_older_than(engine, args.days or settings.retention_days, actor="cli")
    print(json.dumps(counts, ensure_ascii=False))
    return 0


# -- database ----------------------------------------------------------------------------
def _shown(url: str) -> str:
    from sqlalchemy.engine.url import make_url  # noqa: PLC0415

    return make_url(url).render_as_string(hide_password=True)


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from tthc_data.migrate import current_revision, head_revision, upgrade  # noqa: PLC0415

    url = args.url or settings.database_url
    before = current_revision(url)
    upgrade(url)
    after = current_revision(url)
    if args.json:
        _dump({"url": _shown(url), "from": before, "to": after, "head": head_revision()})
    elif before == after:
        err.print(f"database {_shown(url)} is up to date (revision {after})")
    else:
        err.print(f"database {_shown(url)} upgraded from {before or 'empty'} to {after}")
    return 0


def cmd_db_current(args: argparse.Namespace, settings: Settings) -> int:
    from tthc_data.migrate import current_revision, head_revision  # noqa: PLC0415

    url = args.url or settings.database_url
    current, head = current_revision(url), head_revision()
    if args.json:
        _dump({"url": _shown(url), "current": current, "head": head, "up_to_date": current == head})
    else:
        print(f"{current or 'empty'} (newest: {head})")
    return 0 if current == head else 1


def cmd_deploy_render(args: argparse.Namespace, settings: Settings) -> int:
    from pydantic import ValidationError  # noqa: PLC0415

    from tthc import deploy  # noqa: PLC0415

    try:
        args.topology = args.topology or deploy.TOPOLOGY
        topology = deploy.load(args.topology)
    except (OSError, ValidationError) as error:
        err.print(f"[red]{args.topology}: {error}[/red]")
        return 2
    folder = args.topology.parent
    if args.check:
        outdated = deploy.stale(topology, folder)
        for name in outdated:
            sys.stdout.write(f"{folder / name} does not match {args.topology.name}\n")
        if outdated:
            err.print("run `tthc deploy render` and commit the files")
        return 1 if outdated else 0
    for path in deploy.write(topology, folder):
        err.print(f"wrote {path}")
    return 0


def build_parser(settings: Settings) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tthc", description="Content and retrieval tools.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", required=True)

    procedures = sub.add_parser("procedures", help="validate, list and import procedure guides")
    psub = procedures.add_subparsers(dest="procedures_command", required=True)
    p = psub.add_parser("validate", help="check every guide file; exit 1 on any problem")
    p.add_argument("dir", nargs="?", type=Path, default=settings.procedures_dir)
    p.set_defaults(func=cmd_procedures_validate)
    p = psub.add_parser("list", help="list guides (sub-folders and drafts included)")
    p.add_argument("dir", nargs="?", type=Path, default=settings.procedures_dir)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_procedures_list)
    p = psub.add_parser("stale", help="guides whose catalog record changed since their last check, "
                                      "or not reviewed for N days")
    p.add_argument("dir", nargs="?", type=Path, default=settings.procedures_dir)
    p.add_argument("--days", type=int, default=365, help="review age that makes a guide stale (default 365)")
    p.add_argument("--catalog", type=Path, default=None, help="catalog folder (default: CATALOG_DIR)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_procedures_stale)
    p = psub.add_parser("check", help="compare every guide with its catalog record; exit 1 when a "
                                      "published guide contradicts it")
    p.add_argument("dir", nargs="?", type=Path, default=settings.procedures_dir)
    p.add_argument("--catalog", type=Path, default=None, help="catalog folder (default: CATALOG_DIR)")
    p.add_argument("--accept", action="append", default=[], metavar="ID",
                   help="store the record's fingerprints in this guide (id or code; repeatable), then check it")
    p.add_argument("--json", action="store_true", help="print the findings as JSON")
    p.set_defaults(func=cmd_procedures_check)
    p = psub.add_parser("import", help="turn the national catalog's JSON records into drafts")
    p.add_argument("--source", type=Path, required=True, help="catalog folder (ministry sub-folders)")
    p.add_argument("--out", type=Path, required=True, help="where to write the draft guides")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_procedures_import)

    index = sub.add_parser("index", help="build the search index")
    isub = index.add_subparsers(dest="index_command", required=True)
    p = isub.add_parser("build", help="train the encoder and build the index artefacts")
    p.add_argument("--procedures", type=Path, default=None)
    p.add_argument("--include-drafts", action="store_true")
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--model", default=None, help="pretrained sentence-transformers model or folder")
    p.add_argument(
        "--train-with",
        type=Path,
        action="append",
        help="published guides that also teach the encoder without being indexed "
        "(default: the project's procedures folder; repeatable)",
    )
    tiers = p.add_mutually_exclusive_group()
    tiers.add_argument("--catalog", type=Path, default=None,
                       help="index the national catalog's procedures without a curated guide too "
                            "(default: CATALOG_DIR, unless --procedures is given)")
    tiers.add_argument("--no-catalog", action="store_true", help="the curated guides alone")
    p.add_argument("--if-stale", action="store_true", help="do nothing when the index is up to date")
    p.add_argument("--json", action="store_true", help="print the manifest")
    p.set_defaults(func=cmd_index_build)

    p = sub.add_parser("search", help="find the guides answering a question")
    p.add_argument("query")
    p.add_argument("--k", type=int, default=5)
    p.add_argument("--index", type=Path, default=None)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("eval", help="recall@k and MRR of the index on a labelled question file")
    p.add_argument("file", type=Path)
    p.add_argument("--index", type=Path, default=None)
    p.add_argument("--baseline", choices=["bm25", "dense"], default=None,
                   help="rank by BM25 alone, or by the encoder alone, instead")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_eval)

    dialogue = sub.add_parser("dialogue", help="evaluate whole conversations against a running bot")
    dsub_ = dialogue.add_subparsers(dest="dialogue_command", required=True)
    p = dsub_.add_parser("eval", help="send each conversation of FILE turn by turn and score the bot's record")
    p.add_argument("file", type=Path)
    p.add_argument("--url", default="http://localhost:5005/webhooks/rest/webhook",
                   help="the REST channel's full webhook URL")
    p.add_argument("--concurrency", type=int, default=4, help="conversations sent at once")
    p.add_argument("--json", action="store_true", help="print only the figures and failures as JSON")
    p.set_defaults(func=cmd_dialogue_eval)

    admin = sub.add_parser("admin", help="staff accounts of the console")
    asub = admin.add_subparsers(dest="admin_command", required=True)
    p = asub.add_parser("create-user", help="create a console account (asks for the password)")
    p.add_argument("username")
    p.add_argument("--role", choices=["admin", "clerk"], default="admin")
    p.add_argument("--password", default=None, help=argparse.SUPPRESS)  # tests only: visible in `ps`
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.set_defaults(func=cmd_admin_create_user)
    p = asub.add_parser("set-password", help="give an account a new password and end all its logins")
    p.add_argument("username")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.set_defaults(func=cmd_admin_set_password)

    console = sub.add_parser("console", help="console data maintenance")
    csub = console.add_subparsers(dest="console_command", required=True)
    p = csub.add_parser("purge", help="delete conversations older than RETENTION_DAYS (or one sender's data)")
    p.add_argument("--days", type=int, default=None)
    p.add_argument("--sender", default=None, help="delete everything about this sender id instead")
    p.set_defaults(func=cmd_console_purge)

    db = sub.add_parser("db", help="the database's tables (Alembic migrations)")
    dbsub = db.add_subparsers(dest="db_command", required=True)
    p = dbsub.add_parser("upgrade", help="create or bring every table up to date (run before the services start)")
    p.add_argument("--url", default=None, help="the database (default: DATABASE_URL)")
    p.add_argument("--json", action="store_true", help="print the revisions before and after as JSON")
    p.set_defaults(func=cmd_db_upgrade)
    p = dbsub.add_parser("current", help="the database's revision; exit 1 when it is not the newest")
    p.add_argument("--url", default=None, help="the database (default: DATABASE_URL)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_db_current)

    deploy = sub.add_parser("deploy", help="deployment files of the scaled-out stack")
    dsub = deploy.add_subparsers(dest="deploy_command", required=True)
    p = dsub.add_parser("render", help="write docker-compose.yml, the Procfile and nginx configs from topology.yml")
    p.add_argument("--topology", type=Path, default=None,
                   help="default: deploy/topology.yml")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file is out of date")
    p.set_defaults(func=cmd_deploy_render)
    return parser


def main(argv: Sequence[str] | None = None, settings: Settings | None = None) -> int:
    """Run one subcommand; ``settings`` (read from the environment when not given) are built
    once here and handed to it."""
    settings = settings if settings is not None else read_settings()
    args = build_parser(settings).parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )
    from retrieval.encoder import offline_mode  # noqa: PLC0415

    offline_mode()
    return int(args.func(args, settings))


if __name__ == "__main__":
    raise SystemExit(main())
