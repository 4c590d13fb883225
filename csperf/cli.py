"""The `csperf` command line: the same functions the dashboard calls, for scripts and checks.

Errors a user can cause (a bad file, a busy database, a wrong option) end with a clear
message and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import getpass
import os
import stat
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from csperf import db as dbmod
from csperf import queries
from csperf import ui_format as fmt_ui

EXIT_BAD_INPUT = 2
EXIT_BUSY = 3

TABLE_KPIS = ["receptions", "inquiries", "conversion_rate", "sales", "aov", "first_response_s",
              "reply_rate", "satisfaction", "refund_rate"]


class UserError(Exception):
    """A mistake in what the user asked for; printed without a traceback."""


class HeldByNoDashboard(dbmod.DatabaseBusy):
    """Busy, and what holds the database is no dashboard: there is none to stop or use instead."""


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期格式应为 YYYY-MM-DD: {text!r}") from None


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 1:
        raise argparse.ArgumentTypeError(f"应为正整数: {text!r} — must be a whole number above 0")
    return value


PERIOD_DEFAULT = ("不加 --from/--to 时：数据最后一天所在月的 1 号到最后一天 — without --from/--to: from the 1st of "
                  "the month of the last day with data to that day")


def _period(args) -> tuple[date, date]:
    """--from/--to; without --to, up to the last day with data; without --from, from the 1st
    of the end's month (the month so far, or a whole month when --to ends one)."""
    if args.date_from and args.date_to:
        start, end = args.date_from, args.date_to
    else:
        database = _open(args)
        _first, last = queries.data_range(database)
        if last is None:
            raise UserError("数据库里还没有数据 — no data yet: run `csperf import FILE` or `csperf demo`")
        end = args.date_to or last
        start = args.date_from or end.replace(day=1)
    if start > end:  # else an empty table, as if there were no data
        raise UserError(f"--from {start} 晚于 --to {end} — --from is after --to")
    return start, end


def _open(args) -> dbmod.Database:
    return dbmod.open_db(args.db)


# How long a command that hands work to the running dashboard waits to report its outcome: the
# watcher polls every 3 s and lets a file settle 2 s, so a file usually lands within ten.
HANDOVER_WAIT_S = 60.0


def _emit(frame: pd.DataFrame, fmt: str, table_columns: list[str] | None = None, *,
          money: Sequence[str] = (), scores: Sequence[str] = ()) -> None:
    """Print `frame` as CSV, JSON or a table. Money columns are rounded to the cent in every
    format and scores to 0.1 in the table (spec/scoring.md: only when shown or exported)."""
    frame = frame.assign(**{column: fmt_ui.to_cent(frame[column]) for column in money if column in frame.columns})
    if fmt == "csv" and _stdout_is_a_file():  # `> 4月.csv`: as the dashboard's downloads, for Excel
        from csperf import safe_export

        _write_bytes(safe_export.to_csv(frame))
    elif fmt == "csv":  # a pipe or a terminal: plain UTF-8 for the next program, every value as stored
        sys.stdout.write(frame.to_csv(index=False))
    elif fmt == "json":
        sys.stdout.write(frame.to_json(orient="records", force_ascii=False, date_format="iso", indent=1))
        sys.stdout.write("\n")
    else:
        shown = _readable(frame[[c for c in (table_columns or frame.columns) if c in frame.columns]],
                          keep=[*money, *scores])
        formatters = {column: fmt_ui.money for column in money} | {column: fmt_ui.score for column in scores}
        with pd.option_context("display.max_rows", 500, "display.max_columns", 30, "display.width", 200):
            print(shown.to_string(index=False, formatters={c: f for c, f in formatters.items() if c in shown})
                  if not shown.empty else "(无数据 — no rows)")


TABLE_TEXT_WIDTH = 48  # a table cell's text beyond this is cut (a scheme's description, a SHA-256)


def _readable(frame: pd.DataFrame, keep: Sequence[str]) -> pd.DataFrame:
    """A table for reading: a missing text or date reads "—" (not None, <NA> or NaT), and a
    long text is cut with "…", so each row stays one line; numbers and `keep` stay as they are
    for their formatters. CSV and JSON keep every value whole."""
    out = frame.copy()
    for column in out.columns:
        if column in keep or pd.api.types.is_numeric_dtype(out[column]):
            continue
        values = out[column].astype(object).where(out[column].notna(), "—")
        out[column] = values.map(lambda v: v if not isinstance(v, str) or len(v) <= TABLE_TEXT_WIDTH
                                 else v[:TABLE_TEXT_WIDTH - 1] + "…")
    return out


def _stdout_is_a_file() -> bool:
    """Whether stdout is redirected to a file (`> 4月.csv`, opened in Excel next), where CSV
    gets a BOM so Excel reads the Chinese, and formula-looking text is guarded. A pipe or a
    terminal gets plain CSV: a BOM or a guarding quote would reach the next program as data."""
    try:
        return stat.S_ISREG(os.fstat(sys.stdout.fileno()).st_mode)
    except (AttributeError, OSError, ValueError):  # no file descriptor (captured output)
        return False


def _write_bytes(data: bytes) -> None:
    """Bytes as they are to stdout (a redirect to 4月.csv keeps its BOM and CRLF rows)."""
    sys.stdout.flush()
    raw = getattr(sys.stdout, "buffer", None)
    if raw is None:  # a text-only stream (some embedding hosts)
        sys.stdout.write(data.decode("utf-8"))
        return
    raw.write(data)
    raw.flush()


# -- commands ------------------------------------------------------------------------------

def cmd_import(args) -> int:
    from csperf import importer

    args.files = _expand_folders(args.files)
    mapping = _parse_map(args.map) if args.map else None
    if args.check:
        return _check_files(args, mapping)
    try:
        database = _open(args)
    except dbmod.DatabaseBusy as busy:
        from csperf import inbox

        folder = _dashboard_inbox(args, busy)
        options = _import_options(args) + (["--skip-bad-rows"] if args.skip_bad_rows else [])
        if options:  # the inbox imports a file as it is: its options would be lost on the way
            raise dbmod.DatabaseBusy(
                f"{busy}\n收件箱只能按文件本身导入，{' '.join(options)} 无法随文件带过去；请在看板「数据」页上传，"
                f"或关闭看板后再运行 — the inbox imports files as they are and {' '.join(options)} would be lost: "
                "upload on the dashboard's data page, or stop the dashboard first")
        dropped = inbox.drop_files([Path(p) for p in args.files], folder)
        followed = {path: inbox.file_id(path) for path in dropped}  # before the watcher moves them
        print(f"{busy}\n看板正在运行，文件已放入收件箱，将由看板自动导入 — the dashboard holds the database; "
              f"the files were dropped into its inbox and it will import them:")
        for path in dropped:
            print(f"  {path}")
        return _report_handover(inbox.await_outcomes(followed, args.wait) if args.wait > 0 else [], args.wait)

    results, progress = [], _progress_line(args.quiet, "行")
    for path in map(Path, args.files):  # as importer.import_files, with the command line's answer to a question
        try:
            results.append(importer.import_file(
                database, path, shop=args.shop, date_from=args.date_from, date_to=args.date_to, mapping=mapping,
                skip_bad_rows=args.skip_bad_rows, user=args.user, progress=progress))
        except importer.AmbiguousDateOrder as exc:
            results.append(importer.ImportResult(file_name=path.name, error=f"{exc}\n  {DATE_ORDER_ANSWER}"))
        except importer.BadInput as exc:
            results.append(importer.ImportResult(file_name=path.name, error=str(exc)))
    if not args.quiet:
        print(file=sys.stderr)
    options = "/".join(_import_options(args))
    failed = 0
    for result in results:
        if result.error:
            failed += 1
            print(f"✗ {result.error}", file=sys.stderr)
            continue
        print(result.summary())
        if result.duplicate and options:  # a corrected --shop or period would otherwise be dropped unseen
            print(f"  ! 若要按这次的 {options} 重新导入，请先撤销: csperf undo {result.import_id} — already imported "
                  f"as #{result.import_id}; to import it again with these options, undo it first: "
                  f"csperf undo {result.import_id}")
    return EXIT_BAD_INPUT if failed else 0


DATE_ORDER_ANSWER = ("命令行上这样指定: --map 'date_order=dmy' (日-月-年) 或 --map 'date_order=mdy' (月-日-年)，"
                     "已有 --map 时用逗号接在后面 — on the command line: --map 'date_order=dmy' (day-month-year) "
                     "or --map 'date_order=mdy' (month-day-year), after a comma in an existing --map")


def _import_options(args) -> list[str]:
    """The options given that say how to read the files (the shop, the period, the mapping)."""
    return [flag for flag, given in (("--shop", args.shop), ("--from", args.date_from), ("--to", args.date_to),
                                     ("--map", args.map)) if given]


def _expand_folders(paths: list[str]) -> list[str]:
    """A folder stands for the spreadsheets in it (a day's downloads), by name; not its subfolders."""
    from csperf import inbox

    files = []
    for path in map(Path, paths):
        if not path.is_dir():
            files.append(str(path))
            continue
        found = sorted(str(entry) for entry in path.iterdir()
                       if entry.is_file() and not entry.name.startswith((".", "~$"))  # hidden, Office lock files
                       and entry.suffix.lower() in inbox.KIND_BY_SUFFIX)
        if not found:
            raise UserError(f"文件夹 {path} 里没有 .xlsx/.xls/.csv 文件 — no spreadsheet files in the folder {path}")
        files += found
    return files


def _report_handover(outcomes: list[tuple[Path, str, str]], waited: float) -> int:
    """What the dashboard made of the files handed to it (inbox.await_outcomes): a failure
    is an error here too (exit 2), so a script learns of it; files it has not got to yet are
    said to be waiting, exit 0."""
    failed = False
    for path, outcome, detail in outcomes:
        if outcome == "imported":
            print(f"✓ {path.name}: 看板已导入（或与已导入的文件相同） — imported by the dashboard (or a duplicate)")
        elif outcome == "failed":
            failed = True
            print(f"✗ {detail}" if detail.startswith(path.name) else f"✗ {path.name}: {detail}", file=sys.stderr)
        else:
            print(f"注意: {path.name} 在 {waited:g} 秒内还没导入，看板稍后会导入；结果见「数据」页的导入记录 — not imported "
                  f"within {waited:g} s; the dashboard will get to it: see the data page's import history",
                  file=sys.stderr)
    return EXIT_BAD_INPUT if failed else 0


def _dashboard_inbox(args, busy: dbmod.DatabaseBusy) -> Path:
    """The inbox of the dashboard holding the database. Anything else holding it (a script,
    another tool) watches no inbox: work handed over would never be done, so it is busy."""
    from csperf import inbox

    folder = inbox.dashboard_inbox(dbmod.resolve_path(args.db), busy.holder)
    if folder is None:
        raise HeldByNoDashboard(
            f"{busy}\n占用它的不是正在监视收件箱的看板，没有转交任何内容；请等它结束后再运行 — database busy "
            "(held by another process, not a dashboard watching the inbox): nothing was handed over; "
            "run again once it is done")
    return folder


def _progress_line(quiet: bool, unit: str):
    """A progress callback that rewrites one stderr line (nothing when quiet)."""

    def progress(done, total, message=""):
        if quiet:
            return
        share = f" {done / total:.0%}" if total else ""
        count = f" {done:,} {unit}" if done else ""
        print(f"\r  {message}{count}{share}".ljust(72), end="", file=sys.stderr, flush=True)

    return progress


def _check_files(args, mapping: dict[str, str] | None) -> int:
    """Read the files as an import would and show how each column is read; store nothing."""
    from csperf import aliases, importer

    try:
        remembered = importer.remembered_maps(_open(args))
    except dbmod.DatabaseBusy:
        remembered = {}
        print("数据库正被另一个进程占用（看板或其他程序），已记住的列映射未用于这次检查 — the database is held by "
              "another process (the dashboard or another program): remembered mappings are not applied to this "
              "check", file=sys.stderr)
    failed = 0
    for path in args.files:
        try:
            parsed = importer.parse_file(Path(path), shop=args.shop, date_from=args.date_from, date_to=args.date_to,
                                         mapping=mapping, skip_bad_rows=args.skip_bad_rows, remembered=remembered)
        except importer.BadInput as exc:
            failed += 1
            print(f"✗ {exc}")
            if isinstance(exc, importer.AmbiguousDateOrder):
                print(f"  {DATE_ORDER_ANSWER}")
            columns = exc.columns
        else:
            period = f"{parsed.period_from} ~ {parsed.period_to}" if parsed.period_from else "?"
            print(f"✓ {parsed.file_name}: {parsed.format} · {parsed.shop or '?'} · {period} · {parsed.rows} 行 rows")
            for note in parsed.notes:
                print(f"  ! {note}")
            columns = parsed.columns
        for column in columns:
            meaning = (f"{column.meaning} ({aliases.MAPPING_FIELDS[column.meaning][0]})" if column.meaning
                       else "已知，不导入 — known, not stored" if column.recognised else "? 未识别 — not recognised")
            print(f"  {column.header} = {meaning}" + (f"   e.g. {column.sample}" if column.sample else ""))
    if failed:
        print("用 --map 字段=表头 指定列的含义 (e.g. --map 'agent=坐席,receptions=进线量') — give meanings with --map",
              file=sys.stderr)
    return EXIT_BAD_INPUT if failed else 0


def _parse_map(text: str) -> dict[str, str]:
    mapping = {}
    for part in text.split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise UserError(f"--map 需要 字段=表头 形式 (e.g. agent=坐席): {part!r}")
        key, header = part.split("=", 1)
        mapping[key.strip()] = header.strip()
    return mapping


def cmd_imports(args) -> int:
    _emit(queries.imports(_open(args), limit=args.limit), args.format,
          ["import_id", "file_name", "sha256", "format", "shop", "rows", "sessions", "period_from", "period_to",
           "imported_at", "undone_at"])
    return 0


def cmd_undo(args) -> int:
    database = _open(args)
    try:
        database.undo_import(args.import_id, username=args.user)
    except KeyError:
        raise UserError(f"没有导入 #{args.import_id} (csperf imports 列出全部) — no import #{args.import_id} "
                        "(csperf imports lists them)") from None
    except ValueError:
        raise UserError(f"导入 #{args.import_id} 已经撤销过 — import #{args.import_id} was already undone") from None
    print(f"已撤销导入 #{args.import_id} — import #{args.import_id} undone")
    return 0


def cmd_roster(args) -> int:
    from csperf import roster

    changing = {field: value for field, value in (
        ("name", args.name), ("team", args.team), ("role", args.role), ("level", args.level),
        ("base_salary", args.base), ("shift", args.shift), ("excluded", args.exclude)) if value is not None}
    if (changing or args.valid_from) and not args.change:
        raise UserError("--from、--team 等只和 --change 账号 一起用 — --from, --team … go with --change SHOP:ACCOUNT")
    if args.change and (args.file or not args.valid_from):
        raise UserError("记录变更需要生效日期：csperf roster --change 店铺:账号 --from 2026-07-01 --team B组 — "
                        "a change needs --from DATE")
    database = _open(args)
    if args.change:
        shop, account = _shop_account(args.change)
        said = roster.record_change(database, shop, account, args.valid_from, changing, user=args.user)
        print(f"✓ {said}（之前的日子保持原样 — the days before keep their state）" if said
              else f"{shop}:{account} 在 {args.valid_from} 已是这样，未记录变更 — already so on that day: nothing recorded")
        return 0
    if args.undo_change:
        print("✓ " + roster.undo_change(database, *_shop_account(args.undo_change), user=args.user))
        return 0
    if args.rename:
        print("✓ " + roster.rename(database, *args.rename, user=args.user))
        return 0
    if args.history:
        _emit(roster.changes_frame(database), args.format)
        return 0
    if args.unmatched:
        _emit(queries.unmatched_accounts(database), args.format)
        return 0
    if not args.file:
        _emit(roster.roster_frame(database), args.format)
        return 0
    print(roster.import_roster(database, Path(args.file), user=args.user).summary())
    return 0


def _shop_account(text: str) -> tuple[str, str]:
    from csperf import roster

    shop, account = roster.split_account(text)
    if not shop or not account:
        raise UserError(f"账号应写成 店铺:子账号，而不是“{text}” — write the account as SHOP:ACCOUNT")
    return shop, account


def cmd_qa(args) -> int:
    from csperf import roster

    print(roster.import_qa(_open(args), Path(args.file), user=args.user).summary())
    return 0


def cmd_target(args) -> int:
    from csperf import roster, targets

    database = _open(args)
    if args.action == "list":
        frame = targets.targets_frame(database, args.month)
        frame = frame.assign(scope=[targets.scope_label(*where) for where in zip(frame["shop"], frame["team"],
                                                                                  frame["account"])],
                             month=pd.to_datetime(frame["month"]).dt.strftime("%Y-%m"))
        if args.format == "table":
            frame = frame.assign(value=[fmt_ui.value(m, v) for m, v in zip(frame["metric"], frame["value"])])
        _emit(frame[["month", "scope", "shop", "team", "account", "metric", "value", "set_by", "set_at"]], args.format,
              ["month", "scope", "metric", "value", "set_by"])
        return 0
    if args.action == "import":
        if not args.metric:
            raise UserError("target import 需要表格文件 — a spreadsheet is required")
        try:
            stored = targets.import_targets(database, Path(args.metric), user=args.user)
        except targets.TargetError as exc:
            raise UserError(str(exc)) from None
        print(f"{Path(args.metric).name}：已导入 {stored} 个目标 — {stored} targets imported")
        return 0
    if args.action == "copy":
        if not args.source or not args.month:
            raise UserError("target copy 需要 --source 和 --month — --source and --month are required")
        source, month = f"{roster.parse_month(args.source):%Y-%m}", f"{roster.parse_month(args.month):%Y-%m}"
        if args.shop or args.team or args.account:
            copied = targets.copy_month(database, args.source, args.month, shop=args.shop, team=args.team,
                                        account=args.account, user=args.user)
            scope = targets.scope_label(*targets.scope(args.shop, args.team, args.account))
            print(f"{scope} 从 {source} 复制了 {copied} 个目标到 {month} — {copied} targets copied")
        else:
            copied = targets.copy_every_scope(database, args.source, args.month, user=args.user)
            print(f"{targets.EVERY_SCOPE_LABEL} 从 {source} 复制了 {copied} 个目标到 {month} — {copied} targets "
                  "copied for every scope (all shops, each shop, team and agent)")
        return 0
    if not args.metric or not args.month:
        raise UserError(f"target {args.action} 需要 METRIC 和 --month — METRIC and --month are required")
    if args.action == "set" and args.value is None:
        raise UserError("target set 需要目标值 — a VALUE is required, e.g. 35% or 1200000")
    if args.action == "clear":
        _need_target(database, args)
    try:
        stored = targets.set_target(database, args.metric, args.month, args.value if args.action == "set" else None,
                                    shop=args.shop, team=args.team, account=args.account, user=args.user)
    except targets.TargetError as exc:
        raise UserError(str(exc)) from None
    scope = targets.scope_label(*targets.scope(args.shop, args.team, args.account))
    month = f"{roster.parse_month(args.month):%Y-%m}"
    print(f"{scope} {month} {args.metric} 目标 = {fmt_ui.value(args.metric, stored)}" if stored is not None
          else f"{scope} {month} {args.metric} 目标已删除 — target cleared")
    return 0


def _need_target(database: dbmod.Database, args) -> None:
    """Clearing a target that is not there is a typo in its month, scope or KPI: say so."""
    from csperf import roster, targets
    from csperf.metrics import KPI_BY_NAME

    if args.metric not in KPI_BY_NAME:
        return  # set_target names the KPIs it knows
    try:
        where = targets.scope(args.shop, args.team, args.account)
    except targets.TargetError as exc:
        raise UserError(str(exc)) from None
    month = roster.parse_month(args.month)
    stored = targets.targets_frame(database, month)
    if not ((stored["metric"] == args.metric) & (stored["shop"] == where[0]) & (stored["team"] == where[1])
            & (stored["account"] == where[2])).any():
        raise UserError(f"没有这个目标：{targets.scope_label(*where)} {month:%Y-%m} {args.metric}（csperf target list 列出全部）"
                        f" — no such target: {targets.scope_label(*where, lang='en')} {month:%Y-%m} {args.metric} "
                        "(csperf target list lists them)")


def _role(value: str | None, *, every: bool = False) -> str | None:
    """A --role as the roster takes it (售前, 售后, VIP …) or as its code; `every`: also all/全部."""
    from csperf import roster

    if not value:
        return value
    if every and value.strip().lower() in ("all", "全部"):
        return "all"
    code = roster.parse_role(value)
    if code is None:
        raise UserError(f"未知岗位“{value}”，可选 售前/售后/VIP{'/全部' if every else ''} — unknown role {value}: "
                        f"presales, aftersales{', vip or all' if every else ' or vip'}")
    return code


def _check_filters(database: dbmod.Database, shop=None, team=None, role=None, given_role=None) -> None:
    """A shop, team or role that nothing holds is a typo, not a period without figures: an
    empty table with exit 0 would read as "this shop had no data"."""
    from csperf import roster

    options = queries.filter_options(database)
    teams = options["teams_of"].get(shop, []) if shop in options["shop"] else options["team"]
    roles = sorted(options["role"], key=lambda r: roster.ROLES.index(r) if r in roster.ROLES else len(roster.ROLES))
    for value, shown, known, zh, en, zh_known in (
            (shop, shop, options["shop"], "店铺", "shop", options["shop"]),
            (team, team, teams, "团队", "team", teams),
            (role, given_role or role, roles, "岗位", "role", [fmt_ui.ROLE_LABELS.get(r, (r,))[0] for r in roles])):
        if value and value not in known:
            raise UserError(f"没有{zh}“{shown}”（已有：{'、'.join(zh_known) or '无'}） — no {en} {shown} "
                            f"(there are: {', '.join(known) or 'none'})")


_SPANS_NAMED = 5  # a year by day of weekly files would name 52


def _spanning_note(left_out: list[tuple[str, date, date]]) -> str:
    """The dashboard's note on such exports (views.SPANNING_EXPORTS), naming what was left out."""
    spans = [f"{shop} {first}~{last}" for shop, first, last in left_out[:_SPANS_NAMED]]
    more = len(left_out) - len(spans)
    zh = "、".join(spans) + (f" 等 {len(left_out)} 段" if more else "")
    en = ", ".join(spans) + (f" and {more} more" if more else "")
    return (f"注意: {zh} 的数据来自跨越多天的导出（如周报、月报），拆不到每一天或每一周，也拆不进只含其中几天的期间，"
            f"本表没有计入 — figures from exports spanning several days (a weekly or monthly file) cannot be split "
            f"by day or week, nor into a period holding only part of them: this table leaves out {en}")


def cmd_kpis(args) -> int:
    start, end = _period(args)
    if args.shop_level and (args.by in ("agent", "person", "team") or args.team or args.role):
        # the shops' own figures (店铺整体): no agent, team or role to group or filter by
        raise UserError("--shop-level 只能配 --by shop/day/week/month/total 和 --shop — shop-level figures "
                        "go by shop or period, and filter by --shop only")
    database = _open(args)
    role = _role(args.role)
    _check_filters(database, args.shop, args.team, role, args.role)
    if args.shop_level:
        filters = {"shop": args.shop}
    else:
        filters = {"shop": args.shop, "team": args.team, "role": role}
    frame = queries.kpi_table(database, start, end, by=args.by, shop_level=args.shop_level, **filters)
    if "agents" in frame.columns:  # a total over no rows is one row of nothing
        frame = frame[frame["agents"].fillna(0) > 0]
    left_out = queries.spanning_left_out(database, start, end, args.by, shop_level=args.shop_level, **filters)
    if left_out:
        print(_spanning_note(left_out), file=sys.stderr)
    if (frame.empty and not args.shop_level and not args.team and not role
            and not queries.kpi_table(database, start, end, by="shop", shop_level=True, shop=args.shop).empty):
        print("这段时间只有店铺整体数据，加 --shop-level 查看 — only shop-level figures in this period: add --shop-level",
              file=sys.stderr)
    first = {"agent": ["agent", "shop", "team", "role"], "team": ["shop", "team", "role"]}.get(args.by, [args.by])
    frame = frame[[c for c in first if c in frame.columns] + [c for c in frame.columns if c not in first]]
    if args.by == "agent":  # the table names the person behind each account, as the dashboard does
        first = ["agent", "name", "shop", "team", "role"]
    if args.by in ("week", "month"):  # a week or month the period cuts, or with days missing, shows it
        first = [args.by, "last_date", "days"]
    if args.format == "table":  # as the dashboard shows them: each rate with the count it rests on
        frame = frame.assign(**{
            name: [fmt_ui.with_count(name, v, n) for v, n in zip(frame[name], frame[f"{name}_n"])]
            if f"{name}_n" in frame.columns else frame[name].map(lambda v, name=name: fmt_ui.value(name, v))
            for name in TABLE_KPIS if name in frame.columns})
    _emit(frame, args.format, first + TABLE_KPIS)
    return 0


def cmd_score(args) -> int:
    from csperf import scheme as scheme_mod
    from csperf import schemes, scoring, views

    if args.version is not None and not args.scheme:
        raise UserError("--version 需要和 --scheme 一起用 — --version goes with --scheme NAME")
    database = _open(args)
    schemes.ensure_presets(database)
    start, end = _period(args)
    role = _role(args.role)
    _check_filters(database, args.shop, role=role, given_role=args.role)
    # Everyone is scored and --shop/--role only pick the rows shown, as on the dashboard: a
    # display filter must not shrink a comparison group and so move scores, ranks and pay.
    kpis = queries.agent_kpis(database, start, end)
    shown = {"shop": args.shop, "role": role}
    left_out = queries.spanning_left_out(database, start, end, "agent", **shown)
    if left_out:
        print(_spanning_note(left_out), file=sys.stderr)
    if args.scheme:
        path = Path(args.scheme)
        if path.suffix == ".toml":  # a file was meant, not a saved scheme's name
            if args.version is not None:
                raise UserError("--version 只用于已保存的方案，方案文件没有版本 — --version picks a saved scheme's "
                                "version; a scheme file has none")
            if not path.is_file():
                raise UserError(f"找不到方案文件 {path} — scheme file not found")
            chosen = scheme_mod.load_scheme(path)
        else:
            chosen, version = schemes.get_scheme(database, args.scheme, args.version, as_of=end)
            chosen = replace(chosen, version=version)
        result, used = views.apply_filters(scoring.score(kpis, chosen), shown), [chosen]
        by_label = {chosen.name: chosen}
        result.insert(0, "scheme", chosen.name)
        metrics = [rule.metric for rule in chosen.kpis]
        other_roles = views.apply_filters(kpis[~scoring.covers(chosen, kpis)], shown)
        if not other_roles.empty:
            print(f"注意: {len(other_roles)} 个账号的岗位不是 {chosen.role}，不在方案「{chosen.name}」的范围内，未评分 — "
                  f"not scored, their role is not {chosen.role}: " + ", ".join(other_roles["agent"].astype(str)),
                  file=sys.stderr)
    else:
        scored = views.score_agents(kpis, views.assigned_schemes(database, end)).within(shown)
        result, metrics, used = scored.frame, scored.metrics, list(scored.schemes.values())
        by_label = scored.schemes
        if not scored.unassigned.empty:
            print(f"注意: {len(scored.unassigned)} 个账号没有适用的方案，未评分 — no scheme applies to their "
                  "role: " + ", ".join(scored.unassigned["agent"].astype(str)), file=sys.stderr)
    last_day = queries.data_range(database)[1] or end
    for note in views.period_notes(used, start, end, last_day):
        print(f"注意: {note.text(start, end, last_day)} — {note.text(start, end, last_day, 'en')}", file=sys.stderr)
    for zh, en in zip(views.band_fit_notes(result, by_label), views.band_fit_notes(result, by_label, "en")):
        print(f"注意: {zh} — {en}", file=sys.stderr)
    columns = ["shop", "agent", "team", "role", "score", "rank"]
    columns += [f"{metric}_score" for metric in metrics]
    columns += ["skipped", "coefficient", "bonus", "penalty", "commission", "rank_award", "team_share",
                "base", "pay"]
    if args.format == "table":  # a reader's table names the person behind each account; files keep their columns
        columns.insert(2, "name")
    frame = result[[c for c in columns if c in result.columns]]
    _emit(frame, args.format, ["shop", "agent", "name", "team", "role", "score", "rank", "skipped", "coefficient",
                               "bonus", "penalty", "commission", "base", "pay"],
          money=scoring.MONEY_COLUMNS, scores=["score", *(f"{metric}_score" for metric in metrics)])
    print(_schemes_used(database, used), file=sys.stdout if args.format == "table" else sys.stderr)
    return 0


def _schemes_used(database: dbmod.Database, used) -> str:
    """The scheme versions that scored the period, and any newer one left unused: a period
    is paid with the version saved by its end, so one saved today misses a month whose
    data ends yesterday unless asked for."""
    from csperf import schemes

    latest = schemes.list_schemes(database).groupby("name")["version"].max()
    zh, en = [], []
    for name, version in sorted({(s.name, s.version) for s in used}, key=lambda pair: (pair[0], pair[1] or 0)):
        if version is None:
            zh.append(f"{name}（方案文件）")
            en.append(f"{name} (from a file)")
            continue
        zh.append(f"{name} v{version}")
        en.append(f"{name} v{version}")
        newest = int(latest.get(name, version))
        if newest > version:
            zh[-1] += f"（较新的 v{newest} 未用于本期，可加 --scheme {name} --version {newest}）"
            en[-1] += f" (v{newest}, saved later, not used)"
    return f"方案: {'，'.join(zh) or '无'} — schemes used: {', '.join(en) or 'none'}"


def cmd_scheme(args) -> int:
    from csperf import schemes

    database = _open(args)
    schemes.ensure_presets(database)
    if args.action == "list":
        _emit(schemes.list_schemes(database), args.format)
    elif args.action == "show":
        print(schemes.export_scheme(database, _need(args.name, "NAME"), args.version))
    elif args.action == "export":
        text = schemes.export_scheme(database, _need(args.name, "NAME"), args.version)
        if args.output:
            Path(args.output).write_text(text, encoding="utf-8")
            print(f"已导出到 {args.output}")
        else:
            print(text)
    elif args.action == "import":
        version = schemes.import_scheme_file(database, Path(_need(args.name, "FILE")), args.note, args.user)
        print(f"已保存为新版本 v{version} — saved as version {version}")
    elif args.action == "assign":
        name = _need(args.name, "NAME")
        schemes.assign_scheme(database, _role(_need(args.role, "--role"), every=True), name,
                              _need(args.valid_from, "--from"), shop=args.shop or "", team=args.team or "",
                              version=args.version, user=args.user)
        scope = "/".join(x for x in (args.shop, args.team) if x) or "全部店铺 all shops"
        print(f"{args.role} ({scope}) 自 {args.valid_from} 起使用 {name}"
              f"{f' v{args.version}' if args.version else '（各期用当期最新版本）'}")
    elif args.action == "assignments":
        _emit(schemes.list_assignments(database), args.format)
    return 0


def _need(value, what: str):
    if not value:
        raise UserError(f"缺少 {what}")
    return value


def cmd_demo(args) -> int:
    from csperf import demo

    try:
        database = _open(args)
    except dbmod.DatabaseBusy as busy:
        if args.if_empty:
            print(f"{busy}; 跳过演示数据 — skipping demo data")
            return 0
        raise
    real = demo.holds_real_data(database)
    if args.if_empty and not demo.is_empty(database):
        print("数据库已有数据，不加载演示数据 — database has data; demo not loaded")
        if not real:  # the demo's own database, loaded before
            _demo_login(database)
        return 0
    if real:
        raise UserError(f"{database.path} 里已有导入的真实数据，演示数据会混进去；请用另一个数据库试用，如 --db demo.duckdb "
                        "— this database holds imported data the demo would mix into: use another database for it")
    summary = demo.load_demo(database, progress=_progress_line(args.quiet, "个文件"))
    if not args.quiet:
        print(file=sys.stderr)
    print(summary)
    _demo_login(database)
    return 0


DEMO_LOGIN = ("demo", "csperf-demo")


def _demo_login(database) -> None:
    """A demo database gets a demo owner login, printed and clearly marked as such."""
    from csperf import auth

    if not auth.has_users(database):
        auth.add_user(database, DEMO_LOGIN[0], DEMO_LOGIN[1], "owner", by="demo")
    if auth.authenticate(database, *DEMO_LOGIN) is not None:
        print(f"演示账号 (仅用于演示数据 — DEMO ONLY): 用户名 {DEMO_LOGIN[0]} / 密码 {DEMO_LOGIN[1]}")


def cmd_user(args) -> int:
    import getpass

    from csperf import auth

    database = _open(args)
    if args.action == "list":
        _emit(auth.list_users(database), args.format)
        return 0
    name = _need(args.username, "USERNAME")
    if args.action == "remove":
        auth.remove_user(database, name, by=args.user)
        print(f"已删除用户 {name}")
        return 0
    if args.action == "role":
        role = _need(args.role, "--role")
        auth.change_role(database, name, role, shop=args.shop, account=args.account, by=args.user)
        bound = f"，绑定 {args.shop}:{args.account}" if role == "agent" else ""
        print(f"已把 {name} 改为 {auth.role_label(role)}{bound}；密码不变，下次操作页面时生效 — role changed; "
              "the password stays, and it takes effect on their next page")
        return 0
    password = args.password or getpass.getpass(f"{name} 的密码 / password: ")
    if args.action == "add":
        role = args.role or "viewer"
        auth.add_user(database, name, password, role, shop=args.shop, account=args.account, by=args.user)
        print(f"已添加用户 {name} ({role})")
    else:
        auth.set_password(database, name, password, by=args.user)
        print(f"已修改 {name} 的密码")
    return 0


def cmd_audit(args) -> int:
    from csperf import auth

    _emit(auth.audit_frame(_open(args)), args.format)
    return 0


def cmd_backup(args) -> int:
    from csperf import backup

    dest = args.dest  # a string: a trailing slash says it is a folder
    source = dbmod.resolve_path(args.db)
    if not source.exists():  # opening it would create an empty database, and back that up
        raise UserError(f"数据库 {source} 不存在，没有可备份的内容（请检查 --db 或 $CSPERF_DB） — no database at "
                        f"{source}: nothing to back up (check --db / $CSPERF_DB)")
    try:
        database = _open(args)
    except dbmod.DatabaseBusy as busy:
        request = backup.request_backup(_dashboard_inbox(args, busy), dest)
        print(f"看板正在运行：已请求看板写出备份到 {dest} (request {request.name}) — the dashboard "
              "holds the database; it will write the backup within a few seconds")
        if args.wait <= 0:
            return 0
        outcome, detail = backup.await_request(request, args.wait)
        if outcome == "failed":
            print(f"✗ 看板没能写出备份: {detail} — the dashboard could not write the backup", file=sys.stderr)
            return EXIT_BAD_INPUT
        if outcome == "pending":
            print(f"注意: {args.wait:g} 秒内看板还没写出备份，结果见 {request.parent} 下的 done/failed — the backup was "
                  f"not written within {args.wait:g} s; see done/failed under {request.parent}", file=sys.stderr)
            return 0
        print(f"已备份到 {detail} — backup written")
        return 0
    written = backup.backup(database, dest)
    print(f"已备份到 {written} — backup written")
    return 0


def cmd_restore(args) -> int:
    from csperf import backup

    target = dbmod.resolve_path(args.db)
    set_aside = backup.restore(Path(args.src), target)
    print(f"已从 {args.src} 恢复到 {target}")
    if set_aside:
        print(f"原数据库已移到 {set_aside} — the previous database was moved aside, not deleted")
    return 0


def cmd_inbox(args) -> int:
    from csperf import inbox

    events = inbox.process(_open(args), user=args.user)
    for event in events:
        print(event)
    if not events:
        print("收件箱没有待导入的文件 — inbox is empty")
    return 0


# -- parser --------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="csperf", description="客服绩效看板 — CS performance for online shops")
    parser.add_argument("--db", help="database file (default: $CSPERF_DB, else data/csperf.duckdb)")
    parser.add_argument("--user", default=None,
                        help="who is acting, for the audit trail (default: the system user, as cli:NAME)")
    sub = parser.add_subparsers(dest="command", required=True)

    def with_format(p):
        p.add_argument("--format", choices=["csv", "json", "table"], default="table")
        return p

    def with_period(p, first=("起始日（默认：结束日所在月的 1 号） — first day (default: the 1st of the "
                              "end's month)"),
                    last="结束日（默认：数据的最后一天） — last day (default: the last day with data)"):
        p.add_argument("--from", dest="date_from", type=_date, metavar="YYYY-MM-DD", help=first)
        p.add_argument("--to", dest="date_to", type=_date, metavar="YYYY-MM-DD", help=last)
        return p

    p = with_period(sub.add_parser("import", help="import export files (xlsx/xls/csv)"),
                    "文件没有自带日期时的起始日（文件名或表内有日期时忽略） — the first day of a file that "
                    "carries no dates (ignored when its name or its cells give them)",
                    "文件没有自带日期时的结束日（默认同 --from） — the last day of such a file (default: --from)")
    p.add_argument("files", nargs="+", help="平台导出的表格（.xlsx/.xls/.csv），或放着它们的文件夹 — export files, "
                                            "or a folder holding them")
    p.add_argument("--shop", help="文件没写店铺时记到这个店铺（文件自带店铺名时忽略） — the shop of a file that names "
                                  "none (ignored when it does)")
    p.add_argument("--map", help="指定列的含义，如 'agent=坐席,date=日期'；'ignore:1=备注' 不导入该列；'date_order=dmy' "
                                 "或 'mdy' 指定 01-02-2026 这类日期的顺序 — header mapping, e.g. 'agent=坐席,date=日期'; "
                                 "'ignore:1=备注' leaves a column out; 'date_order=dmy' or 'mdy' orders dates like "
                                 "01-02-2026")
    p.add_argument("--skip-bad-rows", action="store_true",
                   help="跳过读不出的行（逐行列出）并导入其余各行，而不是拒绝整个文件 — skip the rows that cannot be "
                        "read (listed) and import the rest, instead of refusing the whole file")
    p.add_argument("--quiet", action="store_true", help="不显示进度行 — no progress line")
    p.add_argument("--wait", type=float, default=HANDOVER_WAIT_S, metavar="SECONDS",
                   help=f"看板运行时，等它导入交给收件箱的文件、报告结果的最长秒数（默认 {HANDOVER_WAIT_S:g}；0 = 不等） — "
                        "while the dashboard runs, how long to wait for it to import the files handed to its inbox "
                        f"and report the outcome (default {HANDOVER_WAIT_S:g}; 0: do not wait)")
    p.add_argument("--check", action="store_true",
                   help="只显示每一列会被怎样读取，不写入任何数据 — only show how each column would be read; store nothing")
    p.set_defaults(run=cmd_import)

    p = with_format(sub.add_parser("imports", help="list imports"))
    p.add_argument("--limit", type=_count)
    p.set_defaults(run=cmd_imports)

    p = sub.add_parser("undo", help="undo one import")
    p.add_argument("import_id", type=int)
    p.set_defaults(run=cmd_undo)

    p = with_format(sub.add_parser("roster", help="import a roster, or list it / unmatched accounts; record a "
                                                  "team, role or pay change from a date"))
    p.add_argument("file", nargs="?", help="a roster file; a 生效日期 column records each row as a change from that day")
    p.add_argument("--unmatched", action="store_true")
    p.add_argument("--history", action="store_true", help="list the accounts' recorded changes, state by state")
    p.add_argument("--change", metavar="SHOP:ACCOUNT", help="record a change from --from on: the days before keep "
                                                            "their team, role and pay")
    p.add_argument("--from", dest="valid_from", type=_date, help="the day a --change takes effect")
    for option, what in (("--name", "姓名"), ("--team", "团队"), ("--role", "岗位: 售前/售后/VIP"),
                         ("--level", "级别: 实习/初级/中级/高级/VIP"), ("--base", "底薪"), ("--shift", "班次"),
                         ("--exclude", "排除: 是/否")):
        p.add_argument(option, help=f"--change: {what}")
    p.add_argument("--undo-change", metavar="SHOP:ACCOUNT", help="take back the account's latest recorded change")
    p.add_argument("--rename", nargs=2, metavar=("OLD", "NEW"),
                   help="a shop (店铺) or sub-account (店铺:账号) renamed on its platform: its history, roster, QA "
                        "scores and targets move to the new name")
    p.set_defaults(run=cmd_roster)

    p = sub.add_parser("qa", help="import supervisor scores (QA; the VIP scheme's member care, data completeness)")
    p.add_argument("file")
    p.set_defaults(run=cmd_qa)

    p = with_format(sub.add_parser("target", help="monthly KPI targets for all shops, a shop, a team or an agent"))
    p.add_argument("action", choices=["set", "clear", "list", "copy", "import"])
    p.add_argument("metric", nargs="?", help="set/clear: a KPI name, e.g. sales, conversion_rate, first_response_s; "
                                             "import: a spreadsheet (月份, 店铺, 团队, then 指标 + 目标 or a column per KPI)")
    p.add_argument("value", nargs="?", help="set: 1200000, 120万, 35%%, 20秒")
    p.add_argument("--month", help="YYYY-MM (list: only this month)")
    p.add_argument("--shop", help="this shop's target (default: all shops)")
    p.add_argument("--team", help="this team's target (with --shop)")
    p.add_argument("--account", help="this agent account's target (with --shop)")
    p.add_argument("--source", help="copy: the month whose targets fill --month's empty ones "
                                    "(every scope's, or only the scope --shop/--team/--account name)")
    p.set_defaults(run=cmd_target)

    p = with_format(with_period(sub.add_parser("kpis", help="KPIs for a period", description=PERIOD_DEFAULT)))
    p.add_argument("--by", choices=queries.BY_CHOICES, default="agent")
    p.add_argument("--shop")
    p.add_argument("--team")
    p.add_argument("--role", help="岗位：售前/售后/VIP（或 presales/aftersales/vip） — role")
    p.add_argument("--shop-level", action="store_true",
                   help="the shops' own figures (files with no agent column, such as 生意参谋), never summed "
                        "with the agents'; with --by shop|day|week|month|total")
    p.set_defaults(run=cmd_kpis)

    p = with_format(with_period(sub.add_parser("score", help="scores, ranks and pay", description=PERIOD_DEFAULT)))
    p.add_argument("--scheme", help="scheme name in the database, or a .toml file")
    p.add_argument("--version", type=int, help="with --scheme NAME: this version, not the one in force for the period")
    p.add_argument("--role", help="只显示这个岗位（售前/售后/VIP）的客服 — only this role's agents; a scheme scores "
                                  "only the agents of its own role")
    p.add_argument("--shop")
    p.set_defaults(run=cmd_score)

    p = with_format(sub.add_parser("scheme", help="scoring schemes"))
    p.add_argument("action", choices=["list", "show", "import", "export", "assign", "assignments"])
    p.add_argument("name", nargs="?", help="scheme name (show/export/assign) or TOML file (import)")
    p.add_argument("--role", help="assign: 岗位 售前/售后/VIP/全部 — the role whose agents the scheme scores and pays")
    p.add_argument("--from", dest="valid_from", help="assign: in force from this day (YYYY-MM-DD)")
    p.add_argument("--shop", help="assign: only this shop")
    p.add_argument("--team", help="assign: only this team")
    p.add_argument("--version", type=int)
    p.add_argument("--note", default="imported from file")
    p.add_argument("--output", "-o")
    p.set_defaults(run=cmd_scheme)

    p = sub.add_parser("demo", help="generate and import the demo data")
    p.add_argument("--if-empty", action="store_true", help="only when the database has no data")
    p.add_argument("--quiet", action="store_true", help="no progress line")
    p.set_defaults(run=cmd_demo)

    p = with_format(sub.add_parser("user", help="dashboard accounts"))
    p.add_argument("action", choices=["add", "passwd", "role", "remove", "list"],
                   help="role: 改角色（或客服绑定的账号），密码和记录不变 — another role or bound account, "
                        "keeping the password")
    p.add_argument("username", nargs="?")
    p.add_argument("--role", choices=["owner", "supervisor", "agent", "viewer"],
                   help="add 默认 viewer；role 必填 — add: viewer unless given; role: required")
    p.add_argument("--password", help="(else asked for)")
    p.add_argument("--shop")
    p.add_argument("--account")
    p.set_defaults(run=cmd_user)

    p = with_format(sub.add_parser("audit", help="who did what, when"))
    p.set_defaults(run=cmd_audit)

    p = sub.add_parser("backup", help="write a consistent copy, also while the dashboard runs")
    p.add_argument("dest")
    p.add_argument("--wait", type=float, default=HANDOVER_WAIT_S, metavar="SECONDS",
                   help=f"看板运行时，等它写出备份的最长秒数（默认 {HANDOVER_WAIT_S:g}；0 = 不等） — while the dashboard "
                        f"runs, how long to wait for it to write the backup (default {HANDOVER_WAIT_S:g}; 0: do not wait)")
    p.set_defaults(run=cmd_backup)

    p = sub.add_parser("restore", help="bring a backup back (dashboard stopped)")
    p.add_argument("src")
    p.set_defaults(run=cmd_restore)

    p = sub.add_parser("inbox", help="import the files waiting in the inbox now")
    p.set_defaults(run=cmd_inbox)
    return parser


def _system_user() -> str | None:
    """Who runs the command, for the audit trail when --user is not given."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name for this uid (some containers)
        return None


def _busy_advice(args, busy: dbmod.DatabaseBusy) -> str:
    """What to do about a busy database: stop or use the dashboard holding it; anything
    else holding it (an import still at work) is waited for."""
    from csperf import inbox

    if isinstance(busy, HeldByNoDashboard):  # said so already
        return ""
    if inbox.dashboard_inbox(dbmod.resolve_path(args.db), busy.holder) is not None:
        return "\n请先停止看板，或通过看板操作 — stop the dashboard first or use it instead."
    return ("\n占用它的不是看板，而是另一个 csperf 命令或其他程序，请等它结束后再运行 — it is held by another csperf "
            "command or program, not the dashboard: run again once it has finished.")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.user = args.user or _system_user()
    with dbmod.closing_opened():
        return _run(args)


def _run(args) -> int:
    """Run the command; every error a user can cause becomes a message and an exit status."""
    try:
        return args.run(args)
    except UserError as exc:
        print(f"错误: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except dbmod.DatabaseBusy as exc:
        print(f"错误: {exc}{_busy_advice(args, exc)}", file=sys.stderr)
        return EXIT_BUSY
    except (ValueError, KeyError, FileNotFoundError, dbmod.DatabaseUnreadable) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc  # str() would quote it
        print(f"错误: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("\n已中断 — interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:  # a file or folder that cannot be read or written: no permission, a full disk
        from csperf import backup

        zh, en = backup.os_reason(exc)
        where = f" {exc.filename}" if exc.filename else ""
        print(f"错误: 无法读写{where}（{zh}） — cannot read or write {'it' if where else 'a file'}: {en}",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    except duckdb.Error as exc:
        print(f"错误: 数据库出错 — database error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
