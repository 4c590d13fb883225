"""People and manual scores: who owns which account, and the supervisors' QA marks.

Exports only know accounts (子账号); pay, teams, comparison groups and exclusions need
people. The roster maps each (shop, account) to a person with team, role, level, base
salary, shift and an exclusion flag (robots, test and manager accounts). A change from a
date (a team move, a promotion, a new base) is recorded as such, so the months before it
keep their teams, scores and pay; an edit without a date corrects the state in force,
back to the account's last recorded change (or all its history). QA scores (and
the VIP scheme's member-care and data-completeness scores) are the KPIs nobody exports:
supervisors enter them per account and month. Files come
from shop staff as they keep them, so every bad cell is reported by file, row and
column, and a file with any error writes nothing.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
from python_calamine import CalamineWorkbook

from csperf.db import Database
from csperf.metrics import KPI_BY_NAME, MANUAL_SCORES
from csperf.values import split_accounts

ROSTER_COLUMNS = ["shop", "account", "name", "team", "role", "level", "base_salary", "shift", "excluded"]
ROLES = ("presales", "aftersales", "vip")
LEVELS = ("trainee", "junior", "mid", "senior", "vip")  # trainee: the presets' base-0 level

_ROSTER_HEADERS = {
    "account": ("账号", "子账号", "客服账号", "旺旺", "account"),
    "name": ("姓名", "名字", "name"),
    "shop": ("店铺", "店铺名称", "shop"),
    "team": ("团队", "组别", "小组", "team"),
    "role": ("岗位", "角色", "role"),
    "level": ("级别", "职级", "level"),
    "base_salary": ("底薪", "基本工资", "base_salary", "basesalary"),
    "shift": ("班次", "shift"),
    "excluded": ("排除", "是否排除", "excluded", "exclude"),
    "valid_from": ("生效日期", "变更日期", "调整日期", "生效时间", "valid_from", "effective_from", "effective_date"),
}
CHANGEABLE = ["name", "team", "role", "level", "base_salary", "shift", "excluded"]
_QA_HEADERS = {
    "account": _ROSTER_HEADERS["account"],
    "name": _ROSTER_HEADERS["name"],
    "shop": _ROSTER_HEADERS["shop"],
    "month": ("月份", "月", "month"),
    "qa_score": ("质检分", "质检得分", "质检", "qa_score", "qascore", "qa"),
    "member_care": ("会员维护分", "会员维护", "会员维护评分", "member_care", "membercare"),
    "data_completeness": ("资料完整度", "资料完整度分", "资料完整度评分", "data_completeness", "datacompleteness"),
}
_COLUMN_ZH = {
    "account": "账号", "name": "姓名", "shop": "店铺", "team": "团队", "role": "岗位",
    "level": "级别", "base_salary": "底薪", "shift": "班次", "excluded": "排除", "valid_from": "生效日期",
    "month": "月份", **{m: KPI_BY_NAME[m].zh for m in MANUAL_SCORES},
}

_ROLE_VALUES = {
    "售前": "presales", "presales": "presales", "pre-sales": "presales", "presale": "presales",
    "售后": "aftersales", "aftersales": "aftersales", "after-sales": "aftersales",
    "aftersale": "aftersales", "vip": "vip", "vip客服": "vip",
}
_LEVEL_VALUES = {
    "实习": "trainee", "见习": "trainee", "试用": "trainee", "新人": "trainee", "trainee": "trainee",
    "初级": "junior", "junior": "junior", "中级": "mid", "mid": "mid", "middle": "mid",
    "高级": "senior", "senior": "senior", "vip": "vip",
}
_TRUE = {"是", "y", "yes", "1", "true", "t", "√", "排除"}
_FALSE = {"", "否", "n", "no", "0", "false", "f"}
_MAX_LISTED_ERRORS = 20


class RosterError(ValueError):
    """Bad roster or QA input; the message names the file, row and column, in Chinese first."""


@dataclass
class RosterResult:
    file: str
    rows: int
    inserted: int
    updated: int
    people: int | None  # None: the file has no name column to count people by
    unused: tuple[str, ...] = ()  # header cells the roster keeps nothing of
    changes: int = 0  # dated rows recorded as a change from their 生效日期

    def summary(self) -> str:
        people_zh, people_en = ("", "") if self.people is None else (f"，{self.people} 人", f", {self.people} people")
        changes_zh, changes_en = ((f"，记录变更 {self.changes} 条（从生效日期起）",
                                   f", {self.changes} changes recorded from their dates") if self.changes else ("", ""))
        text = (f"✓ {self.file}: 花名册 {self.rows} 个账号（新增 {self.inserted}，更新 {self.updated}）{people_zh}"
                f"{changes_zh} — roster: {self.rows} accounts ({self.inserted} new, {self.updated} updated)"
                f"{people_en}{changes_en}")
        if self.unused:
            zh, en = "、".join(self.unused), ", ".join(self.unused)
            text += f"\n  ! 未使用的列：{zh} — columns not used: {en}"
            if any("日期" in c or "时间" in c for c in self.unused):
                text += ("\n  ! 只有“生效日期”列记录从某天起的变更（调组、调岗、调薪）；没有生效日期的行是更正，"
                         "对该账号全部历史（或其最近一次变更以来）生效。离职的客服留在花名册里即可，不要标记排除"
                         "（排除会去掉其全部历史） — only a 生效日期 column records a change from a day (team, role, "
                         "pay); a row without one is a correction, applying to all the account's history (or since "
                         "its last recorded change). Keep a leaver in the roster rather than excluding them "
                         "(exclusion removes all their history)")
        return text


@dataclass
class QaResult:
    file: str
    rows: int
    scores: int

    def summary(self) -> str:
        return (f"✓ {self.file}: {self.rows} 行，记入 {self.scores} 个账号的月度评分 — {self.rows} rows: "
                f"{self.scores} account-month scores stored")


# -- public: roster ----------------------------------------------------------------------


def import_roster(db: Database, path: str | Path, user: str | None = None) -> RosterResult:
    """Upsert a roster file (csv/xlsx/xls) keyed (shop, account); columns it lacks are kept.

    A row with a 生效日期 records a change from that day (as `record_change`), so a file
    may hold an account's history, a row per change; a new account's first row is its
    state from the beginning. A row without one corrects the state in force."""
    path = Path(path)
    header_row, header, body, labels = _read_with_header(path, _ROSTER_HEADERS, required="account")
    records = _roster_records(header, body, path.name, first_row=header_row + 1)
    unused = tuple(text for position, text in enumerate(labels) if text and position not in header)
    present = [c for c in ROSTER_COLUMNS if c in header.values()]
    dated = sorted((r for r in records if r["valid_from"]), key=lambda r: (r["shop"], r["account"], r["valid_from"]))
    keys = {(r["shop"], r["account"]) for r in records}
    changes, errors = 0, []
    with db.write() as cur:
        existing = _existing_keys(cur, records)
        undated = [r for r in records if not r["valid_from"]]
        _upsert_roster(cur, undated, present)
        rostered = existing | {(r["shop"], r["account"]) for r in undated}
        for record in dated:
            key = (record["shop"], record["account"])
            if key not in rostered:
                _upsert_roster(cur, [{**record, "valid_from": None}], present)  # from the beginning
                rostered.add(key)
                continue
            try:
                changes += _apply_change(cur, *key, record["valid_from"],
                                         {c: record[c] for c in present if c in CHANGEABLE}) is not None
            except RosterError as exc:
                errors.append(f"{path.name} 第{record['row']}行：{exc}")
        _raise_if(errors)
        db.audit(cur, user, "roster_import",
                 f"{path.name}: {len(records)} rows" + (f", {changes} dated changes" if changes else ""))
    return RosterResult(
        file=path.name,
        rows=len(keys),
        inserted=len(keys - existing),
        updated=len({(r["shop"], r["account"]) for r in undated} & existing),
        people=len({r["name"] for r in records if r["name"]}) if "name" in header.values() else None,
        unused=unused,
        changes=changes,
    )


def roster_frame(db: Database) -> pd.DataFrame:
    """The whole roster, in the editor's column order."""
    return db.query(f"SELECT {', '.join(ROSTER_COLUMNS)} FROM roster ORDER BY shop, team, account")


def save_roster_frame(db: Database, df: pd.DataFrame, user: str | None = None) -> int:
    """Replace the roster with an edited table (canonical or Chinese column names): a
    correction of each account's state in force. An account's recorded changes stay, and
    go with it when its row is deleted."""
    header = {}
    for position, column in enumerate(df.columns):
        key = _match_header(str(column), _ROSTER_HEADERS)
        if key is not None and key not in header.values():
            header[position] = key
    if "account" not in header.values():
        raise RosterError("花名册表格缺少“账号”列 — the roster table has no account column")
    body = [list(row) for row in df.itertuples(index=False)]
    records = _roster_records(header, body, "花名册", first_row=1)
    with db.write() as cur:
        since = {(shop, account): day for shop, account, day in
                 cur.execute("SELECT shop, account, valid_from FROM roster").fetchall()}
        cur.execute("DELETE FROM roster")
        _upsert_roster(cur, [{**r, "valid_from": since.get((r["shop"], r["account"]))} for r in records],
                       ROSTER_COLUMNS)
        cur.execute("DELETE FROM roster_past p WHERE NOT EXISTS "
                    "(SELECT 1 FROM roster r WHERE r.shop = p.shop AND r.account = p.account)")
        db.audit(cur, user, "roster_edit", f"{len(records)} rows")
    return len(records)


def record_change(db: Database, shop: str, account: str, valid_from, changes: dict,
                  user: str | None = None) -> str | None:
    """From `valid_from` on, the account's name, team, role, level, base, shift or exclusion
    are `changes` (values as a roster file writes them: 售后, 中级, 4500 …); the days before
    keep the state they had. Returns what changed, or None when nothing did."""
    shop, account = str(shop or "").strip(), str(account or "").strip()
    day = parse_day(valid_from)
    values = _change_values(changes)
    with db.write() as cur:
        said = _apply_change(cur, shop, account, day, values)
        if said:
            db.audit(cur, user, "roster_change", said)
    return said


def undo_change(db: Database, shop: str, account: str, user: str | None = None) -> str:
    """Take back an account's latest recorded change: the state before it holds again."""
    with db.write() as cur:
        before = cur.execute(
            f"SELECT valid_from, valid_to, {', '.join(CHANGEABLE)} FROM roster_past WHERE shop = ? AND account = ? "
            "ORDER BY valid_to DESC LIMIT 1", [shop, account]).fetchall()
        if not before:
            raise RosterError(f"账号 {shop}:{account} 没有记录过变更 — no change recorded for {shop}:{account}")
        since, until, *values = before[0]
        cur.execute(f"UPDATE roster SET valid_from = ?, {', '.join(f'{c} = ?' for c in CHANGEABLE)} "
                    "WHERE shop = ? AND account = ?", [since, *values, shop, account])
        cur.execute("DELETE FROM roster_past WHERE shop = ? AND account = ? AND valid_to = ?", [shop, account, until])
        day = until + timedelta(days=1)
        said = f"{shop}:{account} {day} 起的变更已撤销 — {shop}:{account}: the change from {day} is undone"
        db.audit(cur, user, "roster_change_undone", said)
    return said


def rename(db: Database, old: str, new: str, user: str | None = None) -> str:
    """A shop (`旗舰店`) or a sub-account (`旗舰店:小美`) renamed on its platform: its history,
    roster states, QA scores, targets and bound users move to the `new` name (a shop's new
    name; for an account `店铺:新账号`, or the new account alone in the same shop), so the
    files under the new name continue it (Database.rename). Returns what moved."""
    (shop, account), (new_shop, new_account) = _named(old), _named(new)
    if account is not None and new_account is None:  # a bare new name: the account's, in its shop
        new_shop, new_account = shop, new_shop
    if (account is None) != (new_account is None):
        raise RosterError(f"店铺只能改成店铺名，账号只能改成账号：“{old}” → “{new}” — rename a shop to a shop name, "
                          "an account to SHOP:ACCOUNT")
    if not new_shop or (account is not None and not new_account) or (shop, account) == (new_shop, new_account):
        raise RosterError(f"新名称为空或与原名称相同：“{new}” — the new name is empty or the same")
    held = "shop = ?" + (" AND account = ?" if account is not None else "")
    params = [shop, *([account] if account is not None else [])]
    if not db.scalar(f"SELECT (SELECT count(*) FROM facts WHERE {held}) + (SELECT count(*) FROM roster WHERE {held})",
                     params * 2):
        raise RosterError(f"没有“{old}”的数据或花名册记录 — nothing is stored under {old}")
    try:
        moved = db.rename(shop, new_shop, account, new_account, username=user)
    except ValueError as exc:
        raise RosterError(str(exc)) from None
    was, now = (f"{shop}:{account}", f"{new_shop}:{new_account}") if account is not None else (shop, new_shop)
    return (f"{was} 已改名为 {now}：{moved['fact_rows']} 行数据、{moved['roster']} 个花名册账号随之改名 — "
            f"{was} renamed {now}: {moved['fact_rows']} rows of figures and {moved['roster']} roster "
            f"account{'' if moved['roster'] == 1 else 's'} moved")


def _named(text: str) -> tuple[str, str | None]:
    """`店铺` → (店铺, None); `店铺:账号` or `店铺：账号` → (店铺, 账号), split at the last colon
    (a shop's name is taken whole, a JD-style dash in it included)."""
    shop, colon, account = str(text or "").strip().replace("：", ":").rpartition(":")
    return (shop.strip(), account.strip()) if colon else (account.strip(), None)


def changes_frame(db: Database) -> pd.DataFrame:
    """Every state of the accounts with a recorded change, oldest first: shop, account,
    valid_from (None: from the beginning), valid_to (None: still in force), as YYYY-MM-DD,
    and the state."""
    return db.query(
        f"""SELECT shop, account, CAST(nullif(valid_from, DATE '0001-01-01') AS VARCHAR) AS valid_from,
                   CAST(nullif(valid_to, DATE '9999-12-31') AS VARCHAR) AS valid_to, {', '.join(CHANGEABLE)}
            FROM roster_dated r
            WHERE EXISTS (SELECT 1 FROM roster_past p WHERE p.shop = r.shop AND p.account = r.account)
            ORDER BY shop, account, r.valid_to""")


def _apply_change(cur, shop: str, account: str, day: date, values: dict) -> str | None:
    """Record a change from `day` (see record_change) inside the caller's transaction."""
    found = cur.execute(f"SELECT valid_from, {', '.join(CHANGEABLE)} FROM roster WHERE shop = ? AND account = ?",
                        [shop, account]).fetchall()
    if not found:
        raise RosterError(f"账号 {shop}:{account} 不在花名册中，请先把它加入花名册 — {shop}:{account} is not in the roster")
    since, *stored = found[0]
    current = dict(zip(CHANGEABLE, stored))
    wanted = {**current, **values}
    if since is not None and day < since:
        earlier = cur.execute(f"SELECT {', '.join(CHANGEABLE)} FROM roster_past WHERE shop = ? AND account = ? "
                              "AND coalesce(valid_from, DATE '0001-01-01') <= ? AND valid_to >= ?",
                              [shop, account, day, day]).fetchall()
        state = dict(zip(CHANGEABLE, earlier[0])) if earlier else None
        if state is not None and state == {**state, **values}:
            return None  # that day's state has it already (a roster file with its history imported again)
        raise RosterError(f"{shop}:{account} 已记录 {since} 起的变更，生效日期不能更早；要改更早的状态，请先撤销那次变更"
                          f" — a change from {since} is recorded: undo it to change an earlier state")
    if wanted == current:
        return None
    if since is None or day > since:
        cur.execute(f"INSERT INTO roster_past (shop, account, valid_from, valid_to, {', '.join(CHANGEABLE)}) "
                    f"VALUES (?, ?, ?, ?, {', '.join('?' for _ in CHANGEABLE)})",
                    [shop, account, since, day - timedelta(days=1), *stored])
    cur.execute(f"UPDATE roster SET valid_from = ?, {', '.join(f'{c} = ?' for c in CHANGEABLE)} "
                "WHERE shop = ? AND account = ?", [day, *(wanted[c] for c in CHANGEABLE), shop, account])
    moved = [c for c in CHANGEABLE if wanted[c] != current[c]]
    zh = "，".join(f"{_COLUMN_ZH[c]} {_shown(current[c])} → {_shown(wanted[c])}" for c in moved)
    en = ", ".join(f"{c.replace('_salary', '')} {_shown(current[c], 'en')} → {_shown(wanted[c], 'en')}" for c in moved)
    return f"{shop}:{account} 自 {day} 起：{zh} — {shop}:{account} from {day}: {en}"


def _shown(value, lang: str = "zh") -> str:
    if value is None:
        return "（空）" if lang == "zh" else "(blank)"
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    return _text(value)


def _change_values(changes: dict) -> dict:
    """A change's values, read and checked as a roster file's cells are."""
    unknown = set(changes) - set(CHANGEABLE)
    if unknown:
        raise ValueError(f"not a roster field: {', '.join(sorted(unknown))}")
    if not changes:
        raise RosterError("没有要变更的内容 — nothing to change")
    header = {**dict(enumerate(changes)), len(changes): "account", len(changes) + 1: "shop"}
    record = _roster_records(header, [[*changes.values(), "变更", "变更"]], "变更", first_row=1)[0]
    return {c: record[c] for c in changes}


def bind_account(
    db: Database,
    shop: str,
    account: str,
    name: str,
    team: str | None = None,
    role: str | None = None,
    user: str | None = None,
) -> None:
    """Give an (unmatched) account to a person; team, role, level and shift default to theirs."""
    shop, account, name = (str(v or "").strip() for v in (shop, account, name))
    if not shop or not account:
        raise RosterError("绑定账号需要店铺和账号 — shop and account are required")
    if not name:
        raise RosterError(f"账号 {shop}:{account} 的姓名为空 — name is required")
    if role is not None and str(role).strip():
        given, role = role, _parse_choice(role, _ROLE_VALUES)
        if role is None:
            raise RosterError(f"未知岗位“{given}”，应为 售前/售后/VIP — unknown role")
    known = db.rows(
        "SELECT team, role, level, shift FROM roster WHERE name = ? ORDER BY shop, account LIMIT 1", [name]
    )
    template = dict(zip(("team", "role", "level", "shift"), known[0])) if known else {}
    record = {
        "shop": shop,
        "account": account,
        "name": name,
        "team": (team or "").strip() or template.get("team"),
        "role": role or template.get("role"),
        "level": template.get("level"),
        "base_salary": None,
        "shift": template.get("shift"),
        "excluded": False,
    }
    with db.write() as cur:
        _upsert_roster(cur, [record], ["shop", "account", "name", "team", "role", "level", "shift"])
        db.audit(cur, user, "roster_bind", f"{shop}:{account} → {name}")


def set_level_pay(db: Database, level: str, base_salary: float, user: str | None = None) -> None:
    """The base salary of a level, used for agents whose roster row has no 底薪 of their own."""
    canonical = _parse_choice(level, _LEVEL_VALUES)
    if canonical is None:
        raise RosterError(f"未知级别“{level}”，应为 实习/初级/中级/高级/VIP — unknown level")
    amount = _number(base_salary)
    if amount is None or amount < 0:
        raise RosterError(f"级别 {level} 的底薪“{base_salary}”不是有效金额 — invalid base salary")
    with db.write() as cur:
        cur.execute(
            "INSERT INTO level_pay VALUES (?, ?) ON CONFLICT (level) DO UPDATE "
            "SET base_salary = EXCLUDED.base_salary",
            [canonical, amount],
        )
        db.audit(cur, user, "level_pay", f"{canonical} = {amount:g}")


def level_pay_frame(db: Database) -> pd.DataFrame:
    return db.query("SELECT level, base_salary FROM level_pay ORDER BY base_salary, level")


# -- public: QA scores -------------------------------------------------------------------


def import_qa(db: Database, path: str | Path, user: str | None = None) -> QaResult:
    """Store supervisors' monthly scores (QA, member care, data completeness: whichever
    columns the file has) given per account or per person (姓名). A blank cell enters
    nothing and keeps what was stored."""
    path = Path(path)
    header_row, header, body, _ = _read_with_header(path, _QA_HEADERS, required=None)
    columns = set(header.values())
    kinds = [m for m in MANUAL_SCORES if m in columns]
    missing = [c for c in ("month",) if c not in columns] + ([] if kinds else ["qa_score"])
    if not columns & {"account", "name"}:
        missing.insert(0, "account")
    if missing:
        wanted = "、".join("账号或姓名" if c == "account" else _COLUMN_ZH[c] for c in missing)
        raise RosterError(f"{path.name}：缺少“{wanted}”列 — missing column(s)")
    scores: dict[tuple[str, str, date], tuple[dict[str, float], int]] = {}
    errors: list[str] = []
    for offset, raw in enumerate(body):
        row_no = header_row + 1 + offset
        cells = _cells_by_key(header, raw)
        if not any(cells.values()):
            continue
        where = f"{path.name} 第{row_no}行"
        try:
            month = parse_month(cells.get("month", ""))
        except RosterError as exc:
            errors.append(f"{where}“月份”列：{exc}")
            continue
        try:
            given = {m: _score(cells[m], m) for m in kinds if cells.get(m, "") != ""}
            if not given:
                raise RosterError(f"没有填写分数 — no score given ({'、'.join(_COLUMN_ZH[m] for m in kinds)})")
            accounts = _qa_accounts(db, cells)
        except RosterError as exc:
            errors.append(f"{where}：{exc}")
            continue
        for shop, account in accounts:
            key = (shop, account, month)
            if key in scores and scores[key][1] != row_no:
                errors.append(
                    f"{where}：{shop}:{account} {month:%Y-%m} 的分数与第{scores[key][1]}行重复"
                )
            scores[key] = (given, row_no)
    _raise_if(errors)
    with db.write() as cur:
        for (shop, account, month), (given, _) in scores.items():
            _upsert_qa(cur, shop, account, month, given, user)
        db.audit(cur, user, "qa_import", f"{path.name}: {len(scores)} scores")
    return QaResult(file=path.name, rows=len({row for _, row in scores.values()}), scores=len(scores))


def set_qa(
    db: Database, shop: str, account: str, month, score, user: str | None = None, metric: str = "qa_score"
) -> None:
    """Enter or correct one account's QA score (or another manual score) for one month."""
    if metric not in MANUAL_SCORES:
        raise ValueError(f"{metric!r} is not a manual score; known: {', '.join(MANUAL_SCORES)}")
    shop, account = str(shop or "").strip(), str(account or "").strip()
    if not shop or not account:
        raise RosterError(f"{_COLUMN_ZH[metric]}需要店铺和账号 — shop and account are required")
    first_day = parse_month(month)
    value = _score(score, metric)
    with db.write() as cur:
        _upsert_qa(cur, shop, account, first_day, {metric: value}, user)
        db.audit(cur, user, "qa_set", f"{shop}:{account} {first_day:%Y-%m} {metric} = {value:g}")


def qa_frame(db: Database, month) -> pd.DataFrame:
    """Every rostered account not excluded in the month, with its team and role then (the
    state in force at the month's end) and its manual scores (NULL if none yet)."""
    first_day = parse_month(month)
    return db.query(
        """SELECT coalesce(r.shop, q.shop) AS shop, coalesce(r.account, q.account) AS account,
                  r.name, r.team, r.role, CAST(? AS DATE) AS month, q.qa_score, q.member_care,
                  q.data_completeness, q.entered_by,
                  q.entered_at
           FROM (SELECT * FROM roster_dated WHERE last_day(CAST(? AS DATE)) BETWEEN valid_from AND valid_to
                 AND NOT coalesce(excluded, false)) r
           FULL JOIN (SELECT * FROM qa_scores WHERE month = ?) q
             ON r.shop = q.shop AND r.account = q.account
           ORDER BY shop, r.team, account""",
        [first_day, first_day, first_day],
    )


def parse_month(value) -> date:
    """'2026-10', '2026年10月', '2026/10/15', 202610, a date or an Excel serial → 2026-10-01."""
    if isinstance(value, datetime):
        return value.date().replace(day=1)
    if isinstance(value, date):
        return value.replace(day=1)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 20000 < value < 80000:
        return (date(1899, 12, 30) + timedelta(days=int(value))).replace(day=1)
    text = _text(value)
    found = re.fullmatch(
        r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?(?:\s*[-/.]?\s*\d{1,2}\s*日?)?(?:[ T].*)?", text
    ) or re.fullmatch(r"(\d{4})(\d{2})(?:\d{2})?", text)
    if found and 1 <= int(found.group(2)) <= 12:
        return date(int(found.group(1)), int(found.group(2)), 1)
    raise RosterError(f"无法识别的月份“{text}”，应为 2026-10 或 2026年10月 — unreadable month")


# -- reading files -----------------------------------------------------------------------


def _read_with_header(
    path: Path, aliases: dict[str, tuple[str, ...]], required: str | None
) -> tuple[int, dict[int, str], list[list], list[str]]:
    """The first row (within the first ten) that names a known column: its number, the fields
    by position, the rows below, and the row's texts."""
    rows = read_rows(path)
    for index, row in enumerate(rows[:10]):
        header: dict[int, str] = {}
        for position, cell in enumerate(row):
            key = _match_header(_text(cell), aliases)
            if key is not None and key not in header.values():
                header[position] = key
        if (len(header) >= 2 if required is None else required in header.values()):
            return index + 1, header, rows[index + 1:], [_text(cell) for cell in row]
    wanted = "、".join(aliases[required]) if required else "账号、姓名、月份、质检分"
    raise RosterError(
        f"{path.name}：前10行中找不到“{_COLUMN_ZH.get(required, '表头')}”列（可用列名：{wanted}）"
        f" — no header row with the required column"
    )


def read_rows(path: Path) -> list[list]:
    """The first sheet of a spreadsheet, or a CSV (UTF-8 or GB18030, any common delimiter), as rows."""
    if not path.exists():
        raise RosterError(f"找不到文件 {path} — file not found")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"):
        try:
            book = CalamineWorkbook.from_path(str(path))
            return book.get_sheet_by_index(0).to_python()
        except Exception as exc:  # calamine raises its own error types per container
            raise RosterError(f"{path.name}：无法读取表格文件（{exc}） — unreadable spreadsheet") from None
    if suffix in (".csv", ".txt", ".tsv"):
        text = _decode(path)
        first_line = text.split("\n", 1)[0]
        delimiter = max(",\t;", key=first_line.count)
        return [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    raise RosterError(f"{path.name}：不支持的文件类型 {suffix}，请用 xlsx、xls 或 csv — unsupported file type")


def _decode(path: Path) -> str:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise RosterError(f"{path.name}：无法识别文件编码（UTF-8/GB18030） — unknown text encoding")


def _match_header(text: str, aliases: dict[str, tuple[str, ...]]) -> str | None:
    """The field a header names; a unit in brackets (`底薪（元）`, `质检分(满分100)`) is no part of it."""
    folded = re.sub(r"[\s_*]", "", re.sub(r"[（(][^（()）]*[)）]", "", text)).lower()
    for key, names in aliases.items():
        if folded in {re.sub(r"[\s_]", "", n).lower() for n in names}:
            return key
    return None


def _text(value) -> str:
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if value != value:  # NaN from pandas
            return ""
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _cells_by_key(header: dict[int, str], raw: list) -> dict[str, object]:
    """Cells by canonical column; dates stay dates (for 月份), everything else becomes text."""
    cells: dict[str, object] = {}
    for position, key in header.items():
        value = raw[position] if position < len(raw) else None
        dated = key in ("month", "valid_from") and isinstance(value, (date, int, float))
        cells[key] = value if dated else _text(value)
    return cells


# -- validation --------------------------------------------------------------------------


def _roster_records(header: dict[int, str], body: list[list], source: str, first_row: int) -> list[dict]:
    records: list[dict] = []
    seen: dict[tuple[str, str, date | None], int] = {}
    errors: list[str] = []
    for offset, raw in enumerate(body):
        row_no = first_row + offset
        cells = _cells_by_key(header, raw)
        if not any(cells.values()):
            continue
        where = f"{source} 第{row_no}行"
        row_errors: list[str] = []
        shop, account = split_account(cells.get("account", ""), cells.get("shop", ""))
        prefix_shop = _split_prefix(cells.get("account", ""))[0]
        if not account:
            row_errors.append(f"{where}“账号”列为空 — empty account")
        elif not shop:
            row_errors.append(f"{where}“店铺”列为空，且账号不是“店铺:子账号”格式 — no shop for {account}")
        elif prefix_shop and cells.get("shop") and cells["shop"] != prefix_shop:
            row_errors.append(
                f"{where}：账号前缀店铺“{prefix_shop}”与“店铺”列“{cells['shop']}”不一致 — shop mismatch"
            )
        record = {"shop": shop, "account": account, "row": row_no, "valid_from": None}
        if cells.get("valid_from", "") != "":
            try:
                record["valid_from"] = parse_day(cells["valid_from"])
            except RosterError as exc:
                row_errors.append(f"{where}“生效日期”列：{exc}")
        for key in ("name", "team", "shift"):
            record[key] = cells.get(key) or None
        for key, choices, hint in (
            ("role", _ROLE_VALUES, "售前/售后/VIP"),
            ("level", _LEVEL_VALUES, "实习/初级/中级/高级/VIP"),
        ):
            value = cells.get(key, "")
            record[key] = _parse_choice(value, choices) if value else None
            if value and record[key] is None:
                row_errors.append(f"{where}“{_COLUMN_ZH[key]}”列：未知值“{value}”，应为 {hint} — unknown {key}")
        salary_text = cells.get("base_salary", "")
        record["base_salary"] = _number(salary_text) if salary_text else None
        if salary_text and (record["base_salary"] is None or record["base_salary"] < 0):
            row_errors.append(f"{where}“底薪”列：“{salary_text}”不是有效金额 — base salary is not a number")
        flag = cells.get("excluded", "").lower()
        record["excluded"] = flag in _TRUE
        if flag not in _TRUE and flag not in _FALSE:
            row_errors.append(f"{where}“排除”列：“{cells['excluded']}”应为 是/否 — excluded must be yes/no")
        key = (shop, account, record["valid_from"])
        if not row_errors and key in seen:
            when = f"（生效日期 {record['valid_from']}）" if record["valid_from"] else ""
            row_errors.append(f"{where}：账号 {shop}:{account}{when} 与第{seen[key]}行重复 — duplicate account")
        errors.extend(row_errors)
        if not row_errors:
            seen[key] = row_no
            records.append(record)
    _raise_if(errors)
    return records


def parse_day(value) -> date:
    """'2026-07-01', '2026/7/1', '2026年7月1日', 20260701, a date or an Excel serial → the day."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 20000 < value < 80000:
        return date(1899, 12, 30) + timedelta(days=int(value))
    text = _text(value)
    found = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?", text) or re.fullmatch(
        r"(\d{4})(\d{2})(\d{2})", text)
    if found:
        try:
            return date(*(int(part) for part in found.groups()))
        except ValueError:  # 2026-02-30
            pass
    raise RosterError(f"无法识别的日期“{text}”，应为 2026-07-01 — unreadable date")


def split_account(cell: str, shop: str = "") -> tuple[str, str]:
    """'店铺:子账号' or '店铺：子账号' → (店铺, 子账号); the shop is the part before the last colon."""
    prefix, account = _split_prefix(cell)
    return (prefix or (shop or "").strip()), account


def _split_prefix(cell: str) -> tuple[str, str]:
    """The importer's own reading of account names, so roster keys match the imported facts."""
    shops, accounts = split_accounts([cell])
    return _text(shops.iloc[0]), _text(accounts.iloc[0])


def parse_role(value) -> str | None:
    """A role as a roster file may write it (售前, 售后, VIP, pre-sales…) → its code; None if unknown."""
    return _parse_choice(value, _ROLE_VALUES)


def _parse_choice(value, choices: dict[str, str]) -> str | None:
    return choices.get(re.sub(r"\s", "", str(value)).lower())


def _number(value) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value) if value == value else None
    text = re.sub(r"[\s,，¥￥元]", "", str(value or ""))
    try:
        return float(text)
    except ValueError:
        return None


def _score(value, metric: str = "qa_score") -> float:
    number = _number(value)
    column, english = _COLUMN_ZH[metric], KPI_BY_NAME[metric].en
    if number is None:
        raise RosterError(f"“{column}”列：“{_text(value)}”不是数字 — {english} is not a number")
    if not 0 <= number <= 100:
        raise RosterError(f"“{column}”列：{number:g} 超出 0–100 — {english} out of range")
    return number


def _qa_accounts(db: Database, cells: dict) -> list[tuple[str, str]]:
    """The roster accounts a QA row is about: one account, or every account of a person."""
    if cells.get("account"):
        shop, account = split_account(cells["account"], cells.get("shop", ""))
        if shop:  # checked as an account without one is: a typo would store an orphan score
            known = db.rows("SELECT 1 FROM roster WHERE shop = ? AND account = ?", [shop, account]) or db.rows(
                "SELECT 1 FROM facts WHERE shop = ? AND account = ? AND current LIMIT 1", [shop, account]
            )
            if not known:
                elsewhere = "、".join(s for (s,) in _shops_of(db, account))  # a typo in the shop, then
                raise RosterError(f"账号“{shop}:{account}”不在花名册中，也不在已导入的数据中"
                                  + (f"（{elsewhere} 有这个账号）" if elsewhere else "")
                                  + " — unknown account" + (f" ({elsewhere} has it)" if elsewhere else ""))
            return [(shop, account)]
        found = _shops_of(db, account)
        if not found:
            raise RosterError(f"账号“{account}”不在花名册中，也不在已导入的数据中 — unknown account")
        if len(found) > 1:
            shops = "、".join(s for (s,) in found)
            raise RosterError(f"账号“{account}”出现在多个店铺（{shops}），请填写店铺 — ambiguous account")
        return [(found[0][0], account)]
    name = cells.get("name", "")
    if not name:
        raise RosterError("账号和姓名都为空 — neither account nor name given")
    found = db.rows(
        "SELECT shop, account FROM roster WHERE name = ? AND (shop = ? OR ? = '') ORDER BY shop, account",
        [name, cells.get("shop", ""), cells.get("shop", "")],
    )
    if not found:
        raise RosterError(f"姓名“{name}”不在花名册中，请先导入花名册 — name not in roster")
    return [(shop, account) for shop, account in found]


def _shops_of(db: Database, account: str) -> list[tuple]:
    """The shops an account is rostered in, else the shops whose imported figures have it."""
    return db.rows("SELECT DISTINCT shop FROM roster WHERE account = ? ORDER BY shop", [account]) or db.rows(
        "SELECT DISTINCT shop FROM facts WHERE account = ? AND current ORDER BY shop", [account]
    )


def _raise_if(errors: list[str]) -> None:
    if errors:
        raise RosterError("未写入任何数据 — nothing was saved:\n" + listed_errors(errors))


def listed_errors(errors: list[str]) -> str:
    """A file's refused rows, one per line, the first _MAX_LISTED_ERRORS of them."""
    listed = errors[:_MAX_LISTED_ERRORS]
    if len(errors) > _MAX_LISTED_ERRORS:
        listed.append(f"……另有 {len(errors) - _MAX_LISTED_ERRORS} 处错误 — and more")
    return "\n".join(listed)


# -- writing -----------------------------------------------------------------------------


def _existing_keys(cur, records: list[dict]) -> set[tuple[str, str]]:
    keys = {(r["shop"], r["account"]) for r in records}
    stored = cur.execute("SELECT shop, account FROM roster").fetchall()
    return keys & {tuple(k) for k in stored}


def _upsert_roster(cur, records: list[dict], columns: list[str]) -> None:
    """Insert (since the record's `valid_from`: None unless the account has recorded
    changes) or correct the state in force; on update only `columns` are overwritten (the
    file's own columns)."""
    names = ", ".join([*ROSTER_COLUMNS, "valid_from"])
    marks = ", ".join("?" for _ in range(len(ROSTER_COLUMNS) + 1))
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c not in ("shop", "account"))
    conflict = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
    for record in records:
        cur.execute(
            f"INSERT INTO roster ({names}) VALUES ({marks}) ON CONFLICT (shop, account) {conflict}",
            [*(record[c] for c in ROSTER_COLUMNS), record.get("valid_from")],
        )


def _upsert_qa(cur, shop: str, account: str, month: date, scores: dict[str, float], user: str | None) -> None:
    """Set the given manual scores of one account-month; the others keep their values."""
    names = list(scores)
    cur.execute(
        f"""INSERT INTO qa_scores (shop, account, month, {", ".join(names)}, entered_by)
            VALUES (?, ?, ?, {", ".join("?" for _ in names)}, ?)
            ON CONFLICT (shop, account, month) DO UPDATE SET
                {"".join(f"{m} = EXCLUDED.{m}, " for m in names)}entered_by = EXCLUDED.entered_by,
                entered_at = now()""",
        [shop, account, month, *scores.values(), user],
    )
