"""Who may sign in and what each role may see.

Pay is sensitive: an agent must see only their own figures and pay slip, a viewer no pay
at all. The rules live here as data (ROLE_PERMISSIONS) so the pages ask `user.can(...)`
instead of each re-deciding. Passwords are stored only as salted, deliberately slow
argon2id hashes; every change to the accounts lands in the audit trail (never a password),
and so does every failed sign-in, which the lockout against guessing counts.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from csperf.db import Database
from csperf.importer import SHOP_LEVEL_ACCOUNT
from csperf.safe_export import to_csv

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024  # argon2 takes any length; this only stops absurd inputs
MAX_USERNAME_LENGTH = 64
SESSION_LIFETIME = timedelta(days=14)  # a browser stays signed in this long unless signed out
LOCKOUT_FAILURES = 5  # wrong passwords for one name within LOCKOUT_WINDOW pause that name's sign-in …
LOCKOUT_WINDOW = timedelta(minutes=15)  # … for this long

ROLES: tuple[str, ...] = ("owner", "supervisor", "agent", "viewer")
# Chinese with the code the command line takes (csperf user add --role), and English.
ROLE_LABELS: dict[str, tuple[str, str]] = {
    "owner": ("所有者 (owner)", "Owner"),
    "supervisor": ("主管 (supervisor)", "Supervisor"),
    "agent": ("客服 (agent)", "Agent"),
    "viewer": ("只读查看 (viewer)", "Viewer"),
}


def role_label(role: str, lang: str = "zh") -> str:
    """A user role as the dashboard names it in its language."""
    zh, en = ROLE_LABELS.get(role, (role, role))
    return zh if lang == "zh" else en


PERMISSIONS: dict[str, str] = {
    "view_team": "查看全部客服的绩效数据",
    "view_own": "查看本人的绩效数据",
    "view_pay_all": "查看所有人的绩效工资",
    "view_own_pay": "查看本人的工资单",
    "edit_schemes": "编辑考核方案",
    "whatif": "方案模拟 (what-if)",
    "import": "导入数据文件",
    "edit_roster": "编辑客服名单",
    "enter_qa": "录入质检分",
    "set_targets": "设定月度目标",
    "manage_users": "管理用户账号",
    "view_audit": "查看操作日志",
    "review": "查看经营回顾",
}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "owner": frozenset(PERMISSIONS),
    "supervisor": frozenset({
        "view_team", "view_own", "view_pay_all", "view_own_pay", "edit_schemes", "whatif",
        "import", "edit_roster", "enter_qa", "set_targets", "review",
    }),
    "agent": frozenset({"view_own", "view_own_pay"}),
    "viewer": frozenset({"view_team", "view_own", "review"}),  # view_own: the agent page, without pay
}

_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile, random salt per hash


@dataclass(frozen=True)
class User:
    """A signed-in person. Agents are bound to one shop account; the others are not."""

    username: str
    role: str
    shop: str | None = None
    account: str | None = None

    def can(self, permission: str) -> bool:
        if permission not in PERMISSIONS:
            raise KeyError(f"未知权限 {permission!r} — unknown permission; known: {', '.join(PERMISSIONS)}")
        return permission in ROLE_PERMISSIONS[self.role]

    def is_own(self, shop: str, account: str) -> bool:
        return self.shop is not None and (self.shop, self.account) == (shop, account)

    def may_view_figures(self, shop: str, account: str) -> bool:
        """Whether this user may see one agent account's KPIs."""
        return self.can("view_team") or (self.can("view_own") and self.is_own(shop, account))

    def may_view_pay(self, shop: str, account: str) -> bool:
        """Whether this user may see one agent account's pay."""
        return self.can("view_pay_all") or (self.can("view_own_pay") and self.is_own(shop, account))


# -- validation ----------------------------------------------------------------------------

def _clean_username(username: str) -> str:
    name = unicodedata.normalize("NFC", str(username or "")).strip()
    if not name:
        raise ValueError("用户名不能为空 — username is empty")
    if len(name) > MAX_USERNAME_LENGTH:
        raise ValueError(f"用户名最长 {MAX_USERNAME_LENGTH} 个字符 — username too long")
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name):
        raise ValueError("用户名不能包含控制字符 — username contains control characters")
    return name


def check_password(password: str) -> None:
    """The password policy; raises ValueError with a message to show as is."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(
            f"密码至少需要 {MIN_PASSWORD_LENGTH} 个字符 — password must be at least "
            f"{MIN_PASSWORD_LENGTH} characters"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValueError(f"密码最长 {MAX_PASSWORD_LENGTH} 个字符 — password too long")


def _check_role(role: str, shop: str | None, account: str | None) -> tuple[str | None, str | None]:
    if role not in ROLES:
        raise ValueError(f"未知角色 {role!r}，可选: {', '.join(ROLES)} — unknown role")
    shop = (shop or "").strip() or None
    account = (account or "").strip() or None
    if role == "agent" and (shop is None or account is None):
        raise ValueError("客服 (agent) 账号必须绑定店铺和子账号 (shop 与 account) — an agent needs shop and account")
    if role != "agent" and (shop is not None or account is not None):
        raise ValueError(f"只有客服 (agent) 账号绑定店铺和子账号；{role} 不需要 — only agents are bound to an account")
    return shop, account


def _owners(cur) -> int:
    return int(cur.execute("SELECT count(*) FROM users WHERE role = 'owner'").fetchall()[0][0])


def _check_account(cur, shop: str, account: str) -> None:
    """An agent's account must be one the dashboard knows (with figures, or in the roster):
    a login bound to a misspelt one would show its agent nothing, in every period."""
    known = """SELECT shop, account FROM facts WHERE current AND account <> ?
               UNION SELECT shop, account FROM roster"""
    if cur.execute(f"SELECT 1 FROM ({known}) WHERE shop = ? AND account = ?",
                   [SHOP_LEVEL_ACCOUNT, shop, account]).fetchall():
        return
    if not cur.execute(f"SELECT 1 FROM ({known}) WHERE shop = ?", [SHOP_LEVEL_ACCOUNT, shop]).fetchall():
        raise ValueError(f"没有店铺 {shop} 的数据，花名册里也没有；请检查拼写 — no figures and no roster entry "
                         f"for shop {shop}; check the spelling")
    raise ValueError(f"店铺 {shop} 没有客服账号 {account}（没有数据，也不在花名册里）；请检查拼写，或先导入它的数据、"
                     f"把它加进花名册 — shop {shop} has no agent account {account} (no figures, not in the "
                     "roster); check the spelling, or import its figures or add it to the roster first")


# -- accounts ------------------------------------------------------------------------------

def has_users(db: Database) -> bool:
    """False on a fresh install: the dashboard then asks for the first (owner) account."""
    return bool(db.scalar("SELECT count(*) FROM users"))


def add_user(
    db: Database,
    username: str,
    password: str,
    role: str,
    shop: str | None = None,
    account: str | None = None,
    by: str | None = None,
) -> User:
    """Create an account. The first account must be an owner, so someone can manage the rest;
    an agent's, one bound to an account the dashboard knows."""
    name = _clean_username(username)
    shop, account = _check_role(role, shop, account)
    check_password(password)
    password_hash = _hasher.hash(password)
    with db.write() as cur:
        if cur.execute("SELECT 1 FROM users WHERE username = ?", [name]).fetchall():
            raise ValueError(f"用户名 {name} 已存在 — username already exists")
        if role != "owner" and _owners(cur) == 0:
            raise ValueError("第一个用户必须是所有者 (owner) — the first account must be an owner")
        if role == "agent":
            _check_account(cur, shop, account)
        cur.execute(
            "INSERT INTO users (username, password_hash, role, shop, account) VALUES (?, ?, ?, ?, ?)",
            [name, password_hash, role, shop, account],
        )
        bound = f" {shop}:{account}" if role == "agent" else ""
        db.audit(cur, by, "user_add", f"{name} ({role}{bound})")
    return User(name, role, shop, account)


def set_password(db: Database, username: str, password: str, by: str | None = None) -> None:
    name = _clean_username(username)
    check_password(password)
    password_hash = _hasher.hash(password)
    with db.write() as cur:
        if not cur.execute("SELECT 1 FROM users WHERE username = ?", [name]).fetchall():
            raise ValueError(f"没有用户 {name} — no such user")
        cur.execute("UPDATE users SET password_hash = ? WHERE username = ?", [password_hash, name])
        cur.execute("DELETE FROM user_sessions WHERE username = ?", [name])  # signed out everywhere
        db.audit(cur, by, "user_password", name)


def change_own_password(db: Database, username: str, current: str, new: str, keep_token: str | None = None) -> None:
    """A user replaces their own password, proving the current one: otherwise only the owner
    sets passwords, and so knows everyone's. Every other session of theirs ends (a browser
    left signed in elsewhere); the one changing it (`keep_token`) stays signed in."""
    name = _clean_username(username)
    found = db.rows("SELECT password_hash FROM users WHERE username = ?", [name])
    try:
        _hasher.verify(found[0][0] if found else _unknown_user_hash(), current if isinstance(current, str) else "")
    except (VerificationError, InvalidHashError):
        raise ValueError("当前密码不正确 — the current password is wrong") from None
    if new == current:
        raise ValueError("新密码与当前密码相同 — the new password is the current one")
    check_password(new)
    password_hash = _hasher.hash(new)
    with db.write() as cur:
        cur.execute("UPDATE users SET password_hash = ? WHERE username = ?", [password_hash, name])
        cur.execute("DELETE FROM user_sessions WHERE username = ? AND token_sha256 <> ?",
                    [name, _token_hash(keep_token) if keep_token else ""])
        db.audit(cur, name, "user_password", f"{name}（本人修改 — changed by themselves）")


def remove_user(db: Database, username: str, by: str | None = None) -> None:
    """Delete an account; the last owner stays, or nobody could manage accounts again."""
    name = _clean_username(username)
    with db.write() as cur:
        found = cur.execute("SELECT role FROM users WHERE username = ?", [name]).fetchall()
        if not found:
            raise ValueError(f"没有用户 {name} — no such user")
        if found[0][0] == "owner" and _owners(cur) == 1:
            raise ValueError(
                f"{name} 是最后一个所有者 (owner)，不能删除；请先添加另一个所有者 — cannot remove the last owner"
            )
        cur.execute("DELETE FROM users WHERE username = ?", [name])
        cur.execute("DELETE FROM user_sessions WHERE username = ?", [name])
        db.audit(cur, by, "user_remove", f"{name} ({found[0][0]})")


def change_role(db: Database, username: str, role: str, shop: str | None = None, account: str | None = None,
                by: str | None = None) -> User:
    """Give an account another role (or an agent another bound account), keeping its name,
    password and audit trail: removing and adding it again would lose all three. It takes
    effect on the user's next page run (every run reads the role afresh). The last owner
    keeps the role, as in `remove_user`."""
    name = _clean_username(username)
    shop, account = _check_role(role, shop, account)
    with db.write() as cur:
        found = cur.execute("SELECT role, shop, account FROM users WHERE username = ?", [name]).fetchall()
        if not found:
            raise ValueError(f"没有用户 {name} — no such user")
        before = found[0]
        if tuple(before) == (role, shop, account):
            raise ValueError(f"{name} 已经是{role_label(role)}" + (f"，绑定 {shop}:{account}" if account else "")
                             + f"，没有变化 — {name} already has this role")
        if before[0] == "owner" and role != "owner" and _owners(cur) == 1:
            raise ValueError(f"{name} 是最后一个所有者 (owner)，不能改为其他角色；请先添加另一个所有者 — "
                             "the last owner keeps the role; add another owner first")
        if role == "agent":
            _check_account(cur, shop, account)
        cur.execute("UPDATE users SET role = ?, shop = ?, account = ? WHERE username = ?", [role, shop, account, name])
        was = before[0] + (f" {before[1]}:{before[2]}" if before[2] else "")
        now = role + (f" {shop}:{account}" if account else "")
        db.audit(cur, by, "user_role", f"{name}: {was} → {now}")
    return User(name, role, shop, account)


def list_users(db: Database) -> pd.DataFrame:
    """Accounts without their hashes."""
    return db.query(
        "SELECT username, role, shop, account, created_at FROM users ORDER BY username"
    )


def user_by_name(db: Database, username: str) -> User | None:
    """An account without checking a password: for single sign-on, where the identity
    provider already did, and right after creating an account."""
    try:
        name = _clean_username(username)
    except ValueError:
        return None
    found = db.rows("SELECT role, shop, account FROM users WHERE username = ?", [name])
    return User(name, *found[0]) if found else None


@cache
def _unknown_user_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


class LockedOut(PermissionError):
    """Sign-in refused for a while after repeated wrong passwords (the message says how long)."""


_ATTEMPT_KEY = secrets.token_bytes(16)  # per process: see _attempts


def _attempts(name: str, known: bool) -> tuple[str | None, str, list]:
    """Who a sign-in attempt is filed under in the audit trail, with the SQL that finds that
    person's rows. A known user by name; a name nobody has only by a keyed digest in the detail,
    for the lockout to count its attempts too (locking only real names would tell which exist),
    while a password typed into the name field never lands in the trail. The key lives only in
    this process, so no copy of the database can test guesses against it."""
    if known:
        return name, "", ("username = ?", [name])
    tag = f" #{hmac.new(_ATTEMPT_KEY, name.encode(), hashlib.sha256).hexdigest()[:8]}"
    return None, tag, ("username IS NULL AND ends_with(detail, ?)", [tag])


def _locked_for(cur, who: tuple[str, list]) -> float:
    """Seconds the name stays locked: LOCKOUT_FAILURES wrong passwords since its last sign-in,
    all within LOCKOUT_WINDOW, lock it for LOCKOUT_WINDOW from the last of them (0: not locked)."""
    where, params = who
    count, span, age = cur.execute(
        f"""SELECT count(*), epoch(max(happened_at) - min(happened_at)), epoch(current_timestamp - max(happened_at))
            FROM (SELECT happened_at FROM audit
                  WHERE action = 'login_failed' AND {where}
                    AND audit_id > coalesce((SELECT max(audit_id) FROM audit WHERE action = 'login' AND {where}), 0)
                  ORDER BY audit_id DESC LIMIT ?)""",
        [*params, *params, LOCKOUT_FAILURES]).fetchall()[0]
    window = LOCKOUT_WINDOW.total_seconds()
    return window - age if count == LOCKOUT_FAILURES and span <= window and age < window else 0.0


def _locked_out(seconds: float) -> LockedOut:
    minutes = max(1, math.ceil(seconds / 60))
    return LockedOut(f"登录失败次数过多，此用户名已暂停登录，请 {minutes} 分钟后再试 — too many failed sign-ins: "
                     f"this username is paused; try again in {minutes} minute{'s' if minutes > 1 else ''}")


def authenticate(db: Database, username: str, password: str) -> User | None:
    """The user, or None for a wrong name or password (the same slow work either way).

    After LOCKOUT_FAILURES wrong passwords for a name within LOCKOUT_WINDOW, raises LockedOut
    for that name (known or not, so the lock tells nothing) until the window has passed; a
    successful sign-in starts the count again. A hash made with weaker parameters than today's
    is replaced on a successful sign-in.
    """
    try:
        name = _clean_username(username)
    except ValueError:
        name = ""
    found = db.rows(
        "SELECT password_hash, role, shop, account FROM users WHERE username = ?", [name]
    ) if name else []
    filed_as, tag, who = _attempts(name, bool(found))
    with db.cursor() as cur:
        locked = _locked_for(cur, who)
    if locked:
        raise _locked_out(locked)
    stored = found[0][0] if found else _unknown_user_hash()
    try:
        _hasher.verify(stored, password if isinstance(password, str) else "")
        ok = bool(found)
    except (VerificationError, InvalidHashError):
        ok = False
    upgraded = _hasher.hash(password) if ok and _hasher.check_needs_rehash(stored) else None
    with db.write() as cur:
        if not ok:
            db.audit(cur, filed_as, "login_failed",
                     ("密码错误 — wrong password" if found else "未知用户名 — unknown username") + tag)
            locked = _locked_for(cur, who)
            if locked:  # that was the last try allowed: the owner sees it in the trail
                minutes = LOCKOUT_WINDOW // timedelta(minutes=1)
                db.audit(cur, filed_as, "login_locked",
                         f"连续 {LOCKOUT_FAILURES} 次登录失败，暂停 {minutes} 分钟 — {LOCKOUT_FAILURES} failed "
                         f"sign-ins, paused for {minutes} minutes{tag}")
        else:
            if upgraded:
                cur.execute(
                    "UPDATE users SET password_hash = ? WHERE username = ? AND password_hash = ?",
                    [upgraded, name, stored],
                )
            db.audit(cur, name, "login", found[0][1])
    if locked:
        raise _locked_out(locked)
    if not ok:
        return None
    _hash, role, shop, account = found[0]
    return User(name, role, shop, account)


# -- staying signed in ---------------------------------------------------------------------

def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(db: Database, user: User) -> str:
    """A token the browser keeps so that a reload or a new tab finds `user` signed in,
    until SESSION_LIFETIME passes, they sign out, or their password changes. Only its
    hash is stored: a copy of the database signs nobody in."""
    token = secrets.token_urlsafe(32)
    with db.write() as cur:
        cur.execute("DELETE FROM user_sessions WHERE expires_at <= current_timestamp")
        cur.execute("INSERT INTO user_sessions VALUES (?, ?, ?)",
                    [_token_hash(token), user.username, datetime.now().astimezone() + SESSION_LIFETIME])
    return token


def resume_session(db: Database, token: str | None) -> User | None:
    """The user a token from `start_session` signs in; None once it ended or expired."""
    if not isinstance(token, str) or not token:  # a cookie the browser did not send (or AppTest's stand-in)
        return None
    found = db.rows("SELECT username FROM user_sessions WHERE token_sha256 = ? AND expires_at > current_timestamp",
                    [_token_hash(token)])
    return user_by_name(db, found[0][0]) if found else None


def end_session(db: Database, token: str | None) -> None:
    """Sign out: the token no longer signs anyone in."""
    if token:
        with db.write() as cur:
            cur.execute("DELETE FROM user_sessions WHERE token_sha256 = ?", [_token_hash(token)])


def why_session_ended(db: Database, username: str, since: datetime | None) -> str:
    """Why a session that held at `since` no longer does, for the sign-in form to say:
    "removed" (the account is gone), "password" (a new password, by the owner or the user
    elsewhere, since then), else "ended" (signed out in another tab, or its time ran out)."""
    if user_by_name(db, username) is None:
        return "removed"
    if since is not None and db.scalar(
            "SELECT count(*) FROM audit WHERE action = 'user_password' AND happened_at >= ? "
            "AND (detail = ? OR starts_with(detail, ?))", [since, username, f"{username}（"]):
        return "password"
    return "ended"


# -- audit trail ---------------------------------------------------------------------------

# what each action code the trail stores means, in the dashboard's two languages
AUDIT_ACTIONS: dict[str, tuple[str, str]] = {
    "login": ("登录", "sign-in"), "login_failed": ("登录失败", "failed sign-in"),
    "login_locked": ("暂停登录", "sign-in paused"),
    "user_add": ("添加用户", "user added"), "user_password": ("修改密码", "password changed"),
    "user_remove": ("删除用户", "user removed"), "user_role": ("修改角色", "role changed"),
    "import": ("导入", "import"), "undo": ("撤销导入", "import undone"),
    "roster_import": ("导入花名册", "roster imported"), "roster_edit": ("编辑花名册", "roster edited"),
    "roster_bind": ("绑定账号", "account bound"), "level_pay": ("级别底薪", "level base pay"),
    "roster_change": ("花名册变更", "roster change recorded"),
    "roster_change_undone": ("撤销花名册变更", "roster change taken back"),
    "rename": ("店铺或账号改名", "shop or account renamed"),
    "qa_import": ("导入质检分", "QA scores imported"), "qa_set": ("录入质检分", "QA score entered"),
    "scheme_save": ("保存方案", "scheme saved"), "scheme_assign": ("指派方案", "scheme assigned"),
    "target_set": ("设置目标", "target set"), "target_clear": ("删除目标", "target cleared"),
    "target_copy": ("复制目标", "targets copied"), "target_import": ("导入目标", "targets imported"),
}


def action_label(action: str, lang: str = "zh") -> str:
    """An audit action in words (an unknown code, from a later version, as it is)."""
    zh, en = AUDIT_ACTIONS.get(action, (action, action))
    return zh if lang == "zh" else en


def audit_frame(db: Database, since: date | datetime | str | None = None) -> pd.DataFrame:
    """Who did what and when, newest first; `since` keeps entries at or after it."""
    if since is None:
        return db.query(
            "SELECT happened_at, username, action, detail FROM audit ORDER BY audit_id DESC"
        )
    try:
        start = pd.Timestamp(since)
    except ValueError:
        start = pd.NaT
    if pd.isna(start):
        raise ValueError(f"无法识别的起始时间 {since!r} — expected a date like 2026-10-01")
    return db.query(
        "SELECT happened_at, username, action, detail FROM audit "
        "WHERE happened_at >= CAST(? AS TIMESTAMPTZ) ORDER BY audit_id DESC",
        [start.isoformat()],
    )


AUDIT_HEADERS = {"happened_at": ("时间", "Time"), "username": ("用户", "User"), "action": ("操作", "Action"),
                 "detail": ("详情", "Detail")}


def audit_csv(db: Database, since: date | datetime | str | None = None, lang: str = "zh") -> bytes:
    """The audit trail as an Excel-safe CSV, headers and actions in `lang` (details as stored)."""
    frame = audit_frame(db, since)
    frame["happened_at"] = frame["happened_at"].dt.strftime("%Y-%m-%d %H:%M:%S")
    frame["action"] = frame["action"].map(lambda action: action_label(action, lang))
    return to_csv(frame.rename(columns={column: zh if lang == "zh" else en
                                        for column, (zh, en) in AUDIT_HEADERS.items()}))
