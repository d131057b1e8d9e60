"""Administration from the command line: ``python -m backend.cli create-user ...``, ``migrate``,
``telegram-set-webhook URL``, ``retention [--dry-run]``, ``report-tallies [--rebuild]``.

The first manager is created here (there is no default account). The password is read from a
prompt, or from standard input with --password-stdin, never from the command line, so it does not
end up in shell history or process lists.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections import Counter

from backend.db.migrations import upgrade_to_head
from backend.db.session import make_engine, make_sessionmaker, session_scope
from backend.services import staff
from backend.settings import get_settings


def _create_user(args: argparse.Namespace) -> int:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password (12+ characters): ")
        if password != getpass.getpass("Again: "):
            print("The passwords do not match.", file=sys.stderr)
            return 2
    engine = make_engine(get_settings().database_url)
    upgrade_to_head(engine)
    try:
        for session in session_scope(make_sessionmaker(engine)):
            user = staff.create_user(session, args.email, args.name, staff.Role(args.role), password)
            print(f"Created {user.role} {user.email} (id {user.id}).")
    except ValueError as exc:
        print(f"Not created: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    return 0


def _migrate(_: argparse.Namespace) -> int:
    engine = make_engine(get_settings().database_url)
    upgrade_to_head(engine)
    engine.dispose()
    print("Database is at the latest schema.")
    return 0


def _telegram_webhook(args: argparse.Namespace) -> int:
    import asyncio

    from backend.channels.telegram import set_webhook

    settings = get_settings()
    if not settings.telegram_bot_token or not settings.telegram_secret_token:
        print("Set TELEGRAM_BOT_TOKEN and TELEGRAM_SECRET_TOKEN first.", file=sys.stderr)
        return 2
    if not args.url.startswith("https://") and not args.allow_http:
        print("Telegram only delivers to https:// addresses.", file=sys.stderr)
        return 2
    ok = asyncio.run(set_webhook(settings, args.url))
    print("Telegram webhook set." if ok else "Telegram did not accept the webhook.")
    return 0 if ok else 1


def _retention(args: argparse.Namespace) -> int:
    """Anonymise residents past the retention period (``--dry-run`` only counts). Each batch is its
    own transaction, so a long first run keeps what it has done if stopped. Prints counts, never names."""
    from zoneinfo import ZoneInfo

    from backend.domain.timescales import load_profile
    from backend.services import retention
    from backend.services.context import CaseContext
    from backend.services.rasa_trackers import TrackerEraser

    settings = get_settings()
    ctx = CaseContext(profile=load_profile(settings.policy_profile), timezone=ZoneInfo(settings.timezone))
    engine = make_engine(settings.database_url)
    upgrade_to_head(engine)
    factory = make_sessionmaker(engine)
    total, counts, result = 0, Counter[str](), None
    limit = None if args.dry_run else args.batch
    trackers = TrackerEraser(settings.rasa_tracker_database_url) if settings.rasa_tracker_database_url else None
    try:
        while True:
            for session in session_scope(factory):
                result = retention.run(session, ctx, settings.retention_years, "cli:retention", dry_run=args.dry_run, limit=limit, trackers=trackers)
            assert result is not None
            total += len(result.anonymised)
            counts.update(result.counts)
            if args.dry_run or not result.more_due or not result.anonymised:
                break
    finally:
        engine.dispose()
    verb = "Would anonymise" if args.dry_run else "Anonymised"
    print(f"{verb} {total} resident record(s) (retention {settings.retention_years} years, today {result.today}).")
    print(f"Kept because something is open: {result.kept_open}; not yet due: {result.not_yet_due}; already anonymised: {result.already_anonymised}.")
    for kind, n in sorted(counts.items()):
        print(f"  {kind}: {n}")
    return 0


def _report_tallies(args: argparse.Namespace) -> int:
    """Check the managers' report tallies against the record; ``--rebuild`` writes them afresh.

    The tallies follow every change made through the application; this is for what they cannot see
    (a bulk load or a hand edit in SQL, a ``holidays`` release changing a past bank holiday), which
    ``/reports/reconcile`` reports. Exit status 1 when a check finds differences.
    """
    from backend.services import reports_tallies

    engine = make_engine(get_settings().database_url)
    upgrade_to_head(engine)
    rows, differences = 0, list[str]()
    try:
        for session in session_scope(make_sessionmaker(engine)):  # committed when the loop ends
            if args.rebuild:
                rows = reports_tallies.rebuild(session)
            else:
                differences = reports_tallies.differences(session)
    finally:
        engine.dispose()
    if args.rebuild:
        print(f"Report tallies rebuilt from the record: {rows} row(s).")
        return 0
    for line in differences:
        print(line)
    print(f"Report tallies: {len(differences)} difference(s) from the record." + (" Run with --rebuild to repair." if differences else ""))
    return 1 if differences else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backend.cli", description="Case backend administration")
    sub = parser.add_subparsers(dest="command", required=True)
    cu = sub.add_parser("create-user", help="create a staff user (agent, officer or manager)")
    cu.add_argument("--email", required=True)
    cu.add_argument("--name", required=True)
    cu.add_argument("--role", required=True, choices=[r.value for r in staff.Role])
    cu.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    cu.set_defaults(func=_create_user)
    mg = sub.add_parser("migrate", help="apply database migrations")
    mg.set_defaults(func=_migrate)
    tw = sub.add_parser("telegram-set-webhook", help="point Telegram at this server's /channels/telegram, with the secret token")
    tw.add_argument("url", help="the public https URL of /channels/telegram")
    tw.add_argument("--allow-http", action="store_true", help="for a local fake Bot API in tests")
    tw.set_defaults(func=_telegram_webhook)
    rt = sub.add_parser("retention", help="anonymise residents' records past the retention period (RETENTION_YEARS), keeping the statistics")
    rt.add_argument("--dry-run", action="store_true", help="only count what would be anonymised")
    rt.add_argument("--batch", type=int, default=200, help="residents per transaction")
    rt.set_defaults(func=_retention)
    tl = sub.add_parser("report-tallies", help="check the report tallies against the record (exit 1 when they differ)")
    tl.add_argument("--rebuild", action="store_true", help="write them afresh from the record instead")
    tl.set_defaults(func=_report_tallies)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
