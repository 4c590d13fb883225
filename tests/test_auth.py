import csv
import io
from datetime import datetime, timedelta

import pytest
from argon2 import PasswordHasher

from csperf import auth
from csperf.db import Database


@pytest.fixture
def db():
    database = Database(":memory:")
    yield database
    database.close()


def rostered(db, shop, account):
    with db.write() as cur:
        cur.execute("INSERT INTO roster (shop, account, name) VALUES (?, ?, ?)", [shop, account, account])


@pytest.fixture
def staffed(db):
    rostered(db, "旗舰店", "旗舰店:小王")
    auth.add_user(db, "boss", "boss-pass-1", "owner")
    auth.add_user(db, "lead", "lead-pass-1", "supervisor", by="boss")
    auth.add_user(db, "wang", "wang-pass-1", "agent", shop="旗舰店", account="旗舰店:小王", by="boss")
    auth.add_user(db, "look", "look-pass-1", "viewer", by="boss")
    return db


def _hash_of(db, username):
    return db.scalar("SELECT password_hash FROM users WHERE username = ?", [username])


def test_hashes_are_salted_argon2_and_verify(db):
    auth.add_user(db, "boss", "same-password", "owner")
    auth.add_user(db, "boss2", "same-password", "owner")
    first, second = _hash_of(db, "boss"), _hash_of(db, "boss2")
    assert first.startswith("$argon2id$") and second.startswith("$argon2id$")
    assert first != second
    assert "same-password" not in first
    assert PasswordHasher().verify(first, "same-password")
    assert PasswordHasher().verify(second, "same-password")


def test_authenticate(staffed):
    user = auth.authenticate(staffed, "wang", "wang-pass-1")
    assert user == auth.User("wang", "agent", "旗舰店", "旗舰店:小王")
    assert auth.authenticate(staffed, "wang", "wrong-pass-1") is None
    assert auth.authenticate(staffed, "nobody", "wang-pass-1") is None
    assert auth.authenticate(staffed, "", "") is None
    assert auth.authenticate(staffed, " wang ", "wang-pass-1") == user


def test_unknown_user_still_costs_a_hash(staffed, monkeypatch):
    calls = []

    class CountingHasher(PasswordHasher):
        def verify(self, hash, password):
            calls.append(hash)
            return super().verify(hash, password)

    monkeypatch.setattr(auth, "_hasher", CountingHasher())
    assert auth.authenticate(staffed, "nobody", "whatever-1") is None
    assert len(calls) == 1 and calls[0].startswith("$argon2id$")


def test_weak_hash_is_upgraded_on_sign_in(staffed):
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("lead-pass-2")
    with staffed.write() as cur:
        cur.execute("UPDATE users SET password_hash = ? WHERE username = 'lead'", [weak])
    assert auth.authenticate(staffed, "lead", "lead-pass-2").role == "supervisor"
    upgraded = _hash_of(staffed, "lead")
    assert upgraded != weak
    assert "m=65536,t=3,p=4" in upgraded
    assert auth.authenticate(staffed, "lead", "lead-pass-2") is not None


def test_password_policy(db):
    with pytest.raises(ValueError, match="至少需要 8 个字符"):
        auth.add_user(db, "boss", "short7c", "owner")
    auth.add_user(db, "boss", "exactly8", "owner")
    with pytest.raises(ValueError, match="至少需要 8 个字符"):
        auth.set_password(db, "boss", "1234567")
    assert not db.scalar("SELECT count(*) FROM audit WHERE action = 'user_password'")


def test_set_password(staffed):
    auth.set_password(staffed, "wang", "new-pass-99", by="boss")
    assert auth.authenticate(staffed, "wang", "wang-pass-1") is None
    assert auth.authenticate(staffed, "wang", "new-pass-99").username == "wang"
    with pytest.raises(ValueError, match="没有用户"):
        auth.set_password(staffed, "ghost", "new-pass-99")


def test_a_user_changes_their_own_password_proving_the_current_one(staffed):
    here, elsewhere = (auth.start_session(staffed, auth.user_by_name(staffed, "wang")) for _ in range(2))
    with pytest.raises(ValueError, match="当前密码不正确"):
        auth.change_own_password(staffed, "wang", "not-it-123", "mine-only-7", keep_token=here)
    with pytest.raises(ValueError, match="至少"):
        auth.change_own_password(staffed, "wang", "wang-pass-1", "short", keep_token=here)
    with pytest.raises(ValueError, match="与当前密码相同"):
        auth.change_own_password(staffed, "wang", "wang-pass-1", "wang-pass-1", keep_token=here)
    assert auth.authenticate(staffed, "wang", "wang-pass-1").username == "wang"  # nothing changed so far
    auth.change_own_password(staffed, "wang", "wang-pass-1", "mine-only-7", keep_token=here)
    assert auth.authenticate(staffed, "wang", "wang-pass-1") is None
    assert auth.authenticate(staffed, "wang", "mine-only-7").username == "wang"
    assert auth.resume_session(staffed, here).username == "wang"  # this browser stays signed in
    assert auth.resume_session(staffed, elsewhere) is None  # a browser left signed in elsewhere does not
    trail = auth.audit_frame(staffed)
    assert "wang（本人修改 — changed by themselves）" in set(trail["detail"])
    assert not trail["detail"].str.contains("mine-only-7").any()


def test_roles_and_bindings_are_checked(db):
    with pytest.raises(ValueError, match="第一个用户必须是所有者"):
        auth.add_user(db, "look", "look-pass-1", "viewer")
    auth.add_user(db, "boss", "boss-pass-1", "owner")
    with pytest.raises(ValueError, match="未知角色"):
        auth.add_user(db, "x", "xxxx-pass", "admin")
    with pytest.raises(ValueError, match="必须绑定店铺和子账号"):
        auth.add_user(db, "x", "xxxx-pass", "agent", shop="旗舰店")
    with pytest.raises(ValueError, match="只有客服"):
        auth.add_user(db, "x", "xxxx-pass", "viewer", account="a")
    with pytest.raises(ValueError, match="已存在"):
        auth.add_user(db, "boss", "boss-pass-2", "owner")
    with pytest.raises(ValueError, match="控制字符"):
        auth.add_user(db, "bad\x00name", "xxxx-pass", "viewer")
    assert list(auth.list_users(db)["username"]) == ["boss"]


def test_last_owner_cannot_be_removed(staffed):
    with pytest.raises(ValueError, match="最后一个所有者"):
        auth.remove_user(staffed, "boss", by="boss")
    auth.add_user(staffed, "boss2", "boss-pass-2", "owner", by="boss")
    auth.remove_user(staffed, "boss", by="boss2")
    with pytest.raises(ValueError, match="最后一个所有者"):
        auth.remove_user(staffed, "boss2", by="boss2")
    auth.remove_user(staffed, "wang", by="boss2")
    assert list(auth.list_users(staffed)["username"]) == ["boss2", "lead", "look"]
    with pytest.raises(ValueError, match="没有用户"):
        auth.remove_user(staffed, "wang")


def test_a_role_changes_in_place_keeping_the_password_and_taking_effect_at_once(staffed):
    token = auth.start_session(staffed, auth.user_by_name(staffed, "look"))
    made = auth.change_role(staffed, "look", "supervisor", by="boss")
    assert made == auth.User("look", "supervisor") == auth.resume_session(staffed, token)  # still signed in, promoted
    assert auth.authenticate(staffed, "look", "look-pass-1") == made  # the password stays
    rostered(staffed, "旗舰店", "旗舰店:小李")
    assert auth.change_role(staffed, "wang", "agent", shop="旗舰店", account="旗舰店:小李", by="boss").account \
        == "旗舰店:小李"  # an agent bound to another account
    assert auth.change_role(staffed, "wang", "viewer", by="boss") == auth.User("wang", "viewer")
    trail = auth.audit_frame(staffed)
    assert list(trail.loc[trail["action"] == "user_role", "detail"])[::-1] == [
        "look: viewer → supervisor", "wang: agent 旗舰店:旗舰店:小王 → agent 旗舰店:旗舰店:小李",
        "wang: agent 旗舰店:旗舰店:小李 → viewer"]
    assert auth.action_label("user_role", "en") == "role changed"


def test_a_role_change_is_refused_for_the_last_owner_an_unknown_account_or_no_change(staffed):
    with pytest.raises(ValueError, match="最后一个所有者"):
        auth.change_role(staffed, "boss", "supervisor", by="boss")
    with pytest.raises(ValueError, match="没有客服账号"):
        auth.change_role(staffed, "look", "agent", shop="旗舰店", account="旗舰店:谁", by="boss")
    with pytest.raises(ValueError, match="必须绑定"):
        auth.change_role(staffed, "look", "agent", by="boss")
    with pytest.raises(ValueError, match="只有客服"):
        auth.change_role(staffed, "wang", "viewer", shop="旗舰店", account="旗舰店:小王")
    with pytest.raises(ValueError, match="没有变化"):
        auth.change_role(staffed, "lead", "supervisor")
    with pytest.raises(ValueError, match="没有用户"):
        auth.change_role(staffed, "nobody", "viewer")
    assert list(auth.list_users(staffed)["role"]) == ["owner", "supervisor", "viewer", "agent"]
    auth.add_user(staffed, "boss2", "boss-pass-2", "owner", by="boss")
    auth.change_role(staffed, "boss", "supervisor", by="boss2")  # another owner remains
    assert auth.user_by_name(staffed, "boss").role == "supervisor"


def test_why_a_session_ended(staffed):
    since = datetime.now().astimezone()
    assert auth.why_session_ended(staffed, "look", since) == "ended"  # signed out elsewhere, or expired
    auth.set_password(staffed, "lead", "lead-pass-2", by="boss")
    auth.change_own_password(staffed, "look", "look-pass-1", "look-pass-2")
    assert auth.why_session_ended(staffed, "lead", since) == "password"
    assert auth.why_session_ended(staffed, "look", since) == "password"
    assert auth.why_session_ended(staffed, "look", datetime.now().astimezone() + timedelta(seconds=5)) == "ended"
    assert auth.why_session_ended(staffed, "wang", since) == "ended"  # another user's new password is not theirs
    auth.remove_user(staffed, "wang", by="boss")
    assert auth.why_session_ended(staffed, "wang", since) == "removed"


def test_list_users_has_no_hashes(staffed):
    users = auth.list_users(staffed)
    assert list(users.columns) == ["username", "role", "shop", "account", "created_at"]
    assert list(users["username"]) == ["boss", "lead", "look", "wang"]
    assert not users.astype(str).apply(lambda col: col.str.contains("argon2")).any().any()


def test_user_by_name(staffed):
    assert auth.user_by_name(staffed, "wang") == auth.User("wang", "agent", "旗舰店", "旗舰店:小王")
    assert auth.user_by_name(staffed, "boss") == auth.User("boss", "owner")
    assert auth.user_by_name(staffed, "ghost") is None
    assert auth.user_by_name(staffed, "") is None


def test_has_users(db):
    assert not auth.has_users(db)
    auth.add_user(db, "boss", "boss-pass-1", "owner")
    assert auth.has_users(db)


def test_permission_table():
    owner = auth.User("boss", "owner")
    supervisor = auth.User("lead", "supervisor")
    agent = auth.User("wang", "agent", "旗舰店", "旗舰店:小王")
    viewer = auth.User("look", "viewer")
    assert all(owner.can(p) for p in auth.PERMISSIONS)
    assert supervisor.can("view_pay_all") and supervisor.can("edit_schemes") and supervisor.can("import")
    assert not supervisor.can("manage_users")
    assert agent.can("view_own_pay") and not agent.can("view_team") and not agent.can("view_pay_all")
    assert not agent.can("import") and not agent.can("review")
    assert viewer.can("view_team") and viewer.can("review")
    assert viewer.can("view_own") and agent.can("view_own")  # the agent page: a viewer picks anyone, without pay
    assert not viewer.can("view_pay_all") and not viewer.can("view_own_pay") and not viewer.can("whatif")
    with pytest.raises(KeyError):
        owner.can("delete_everything")


def test_agent_sees_only_own_figures_and_pay():
    agent = auth.User("wang", "agent", "旗舰店", "旗舰店:小王")
    viewer = auth.User("look", "viewer")
    assert agent.may_view_figures("旗舰店", "旗舰店:小王") and agent.may_view_pay("旗舰店", "旗舰店:小王")
    assert not agent.may_view_figures("旗舰店", "旗舰店:小李")
    assert not agent.may_view_pay("分店", "旗舰店:小王")
    assert viewer.may_view_figures("旗舰店", "旗舰店:小李")
    assert not viewer.may_view_pay("旗舰店", "旗舰店:小李")
    assert auth.User("lead", "supervisor").may_view_pay("旗舰店", "旗舰店:小李")


def test_audit_trail_records_changes_without_passwords(staffed):
    auth.set_password(staffed, "wang", "secret-new-1", by="lead")
    auth.authenticate(staffed, "wang", "wrong-secret")
    auth.authenticate(staffed, "ghost", "ghost-secret")
    auth.authenticate(staffed, "wang", "secret-new-1")
    trail = auth.audit_frame(staffed)
    assert list(trail["action"]) == [
        "login", "login_failed", "login_failed", "user_password",
        "user_add", "user_add", "user_add", "user_add",
    ]
    assert list(trail["username"][:4].fillna("-")) == ["wang", "-", "wang", "lead"]
    assert trail["detail"].iloc[-3] == "wang (agent 旗舰店:旗舰店:小王)"
    text = " ".join(trail["detail"].astype(str))
    for secret in ("secret-new-1", "wrong-secret", "ghost-secret", "wang-pass-1", "ghost"):
        assert secret not in text


def test_every_audit_action_is_named_in_both_languages():
    import re
    from pathlib import Path

    stored = set(re.findall(r'\.audit\(cur, [^,]+, "([a-z_]+)"', "".join(
        path.read_text(encoding="utf-8") for path in Path(auth.__file__).parent.glob("*.py"))))
    assert stored and stored <= set(auth.AUDIT_ACTIONS)
    assert auth.action_label("login", "en") == "sign-in" and auth.action_label("something_new") == "something_new"


def test_audit_since_and_csv(staffed):
    future = datetime.now() + timedelta(days=1)
    assert auth.audit_frame(staffed, since=future).empty
    assert len(auth.audit_frame(staffed, since="2000-01-01")) == 4
    with pytest.raises(ValueError, match="无法识别"):
        auth.audit_frame(staffed, since="not a date")
    with staffed.write() as cur:
        staffed.audit(cur, "lead", "import", "=HYPERLINK(\"http://evil\")")
    data = auth.audit_csv(staffed)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))
    assert rows[0] == ["时间", "用户", "操作", "详情"]
    assert rows[1][1:] == ["lead", "导入", "'=HYPERLINK(\"http://evil\")"]  # the action in words
    assert len(rows) == 6
    datetime.strptime(rows[1][0], "%Y-%m-%d %H:%M:%S")


def test_the_audit_csv_is_in_the_language_asked_for(staffed):
    auth.authenticate(staffed, "ghost", "ghost-secret")
    rows = list(csv.reader(io.StringIO(auth.audit_csv(staffed, lang="en")[3:].decode("utf-8"), newline="")))
    assert rows[0] == ["Time", "User", "Action", "Detail"]
    assert [row[2] for row in rows[1:3]] == ["failed sign-in", "user added"]
    assert rows[1][3].startswith("未知用户名 — unknown username")  # the detail as stored, as on the page


def test_an_agent_is_bound_only_to_an_account_with_figures_or_in_the_roster(db):
    from conftest import synthetic_facts

    from csperf.db import ImportMeta
    from csperf.importer import SHOP_LEVEL_ACCOUNT

    auth.add_user(db, "boss", "boss-pass-1", "owner")
    db.apply_import(ImportMeta("synthetic.xlsx", "sha", "generic"), synthetic_facts(days=3))
    with pytest.raises(ValueError, match="没有店铺 悦享旗舰 的数据") as unknown_shop:
        auth.add_user(db, "typo1", "typo-pass-1", "agent", shop="悦享旗舰", account="小美", by="boss")
    assert "请检查拼写" in str(unknown_shop.value) and " — " in str(unknown_shop.value)
    with pytest.raises(ValueError, match="店铺 旗舰店 没有客服账号 小美美"):
        auth.add_user(db, "typo2", "typo-pass-1", "agent", shop="旗舰店", account="小美美", by="boss")
    with pytest.raises(ValueError, match="没有客服账号"):  # a shop's own figures are nobody's
        auth.add_user(db, "typo3", "typo-pass-1", "agent", shop="旗舰店", account=SHOP_LEVEL_ACCOUNT, by="boss")
    assert list(auth.list_users(db)["username"]) == ["boss"]
    auth.add_user(db, "mei", "mei-pass-12", "agent", shop="旗舰店", account="小美", by="boss")  # has figures
    rostered(db, "新店", "小新")
    auth.add_user(db, "xin", "xin-pass-12", "agent", shop="新店", account="小新", by="boss")  # in the roster
    assert auth.user_by_name(db, "xin") == auth.User("xin", "agent", "新店", "小新")


def test_the_command_line_says_why_it_refuses_an_agent_account_nobody_has(tmp_path, monkeypatch, capsys):
    from csperf import cli
    from csperf.db import close_all

    monkeypatch.setenv("CSPERF_DB", str(tmp_path / "cli.duckdb"))
    monkeypatch.setenv("CSPERF_INBOX", str(tmp_path / "inbox"))
    close_all()
    try:
        assert cli.main(["user", "add", "boss", "--role", "owner", "--password", "boss-pass-1"]) == 0
        code = cli.main(["user", "add", "typo1", "--role", "agent", "--shop", "悦享旗舰店", "--account", "小美美",
                         "--password", "typo-pass-1"])
        out, err = capsys.readouterr()
        assert code == cli.EXIT_BAD_INPUT and "已添加用户 typo1" not in out
        assert err.startswith("错误: 没有店铺 悦享旗舰店 的数据，花名册里也没有；请检查拼写 — ")
    finally:
        close_all()


# -- repeated wrong passwords ----------------------------------------------------------------


def _age_failures(db, minutes):
    """Move every sign-in attempt `minutes` into the past."""
    with db.write() as cur:
        cur.execute(f"UPDATE audit SET happened_at = happened_at - INTERVAL {int(minutes)} MINUTE "
                    "WHERE action LIKE 'login%'")


@pytest.mark.parametrize("username", ["wang", "nobody"])
def test_five_wrong_passwords_lock_a_name_for_fifteen_minutes(staffed, username):
    for _ in range(4):
        assert auth.authenticate(staffed, username, "wrong-pass-1") is None
    with pytest.raises(auth.LockedOut, match="登录失败次数过多") as fifth:
        auth.authenticate(staffed, username, "wrong-pass-1")
    message = str(fifth.value)
    assert "15 分钟" in message and "15 minutes" in message and username not in message
    with pytest.raises(auth.LockedOut) as sixth:  # the right password too: the same words either way
        auth.authenticate(staffed, username, "wang-pass-1")
    assert str(sixth.value) == message
    assert auth.authenticate(staffed, "lead", "lead-pass-1").username == "lead"  # other names are not locked
    _age_failures(staffed, 10)
    with pytest.raises(auth.LockedOut, match="5 分钟"):
        auth.authenticate(staffed, username, "wang-pass-1")
    _age_failures(staffed, 6)
    if username == "wang":
        assert auth.authenticate(staffed, "wang", "wang-pass-1").username == "wang"
    else:
        assert auth.authenticate(staffed, "nobody", "wang-pass-1") is None
    trail = auth.audit_frame(staffed)
    assert (trail["action"] == "login_locked").sum() == 1  # the owner sees it in the trail
    assert not trail["detail"].astype(str).str.contains("nobody").any()


def test_failures_spread_over_more_than_fifteen_minutes_lock_nothing(staffed):
    for _ in range(3):
        auth.authenticate(staffed, "wang", "wrong-pass-1")
    _age_failures(staffed, 16)
    for _ in range(4):
        assert auth.authenticate(staffed, "wang", "wrong-pass-1") is None
    assert auth.authenticate(staffed, "wang", "wang-pass-1").username == "wang"


def test_a_successful_sign_in_starts_the_count_again(staffed):
    for _ in range(4):
        auth.authenticate(staffed, "wang", "wrong-pass-1")
    assert auth.authenticate(staffed, "wang", "wang-pass-1").username == "wang"
    for _ in range(4):
        assert auth.authenticate(staffed, "wang", "wrong-pass-1") is None
    assert auth.authenticate(staffed, "wang", "wang-pass-1").username == "wang"


def test_unknown_names_are_counted_apart_without_landing_in_the_trail(staffed):
    for name in ("nobody", "nobody2", "nobody3", "nobody4", "nobody5", "nobody6"):
        assert auth.authenticate(staffed, name, "wrong-pass-1") is None  # six names, none tried five times
    for _ in range(3):
        assert auth.authenticate(staffed, "nobody", "wrong-pass-1") is None
    with pytest.raises(auth.LockedOut):
        auth.authenticate(staffed, "nobody", "wrong-pass-1")
    assert auth.authenticate(staffed, "nobody2", "wrong-pass-1") is None
    details = " ".join(auth.audit_frame(staffed)["detail"].astype(str))
    assert "nobody" not in details


# -- staying signed in -----------------------------------------------------------------------

def test_a_session_token_signs_in_again_until_it_ends(db):
    owner = auth.add_user(db, "boss", "correct horse", "owner")
    token = auth.start_session(db, owner)
    assert auth.resume_session(db, token) == owner
    assert db.scalar("SELECT count(*) FROM user_sessions WHERE token_sha256 = ?", [token]) == 0  # a hash only
    assert auth.resume_session(db, token + "x") is None and auth.resume_session(db, None) is None
    other = auth.start_session(db, owner)  # another browser
    auth.end_session(db, token)
    assert auth.resume_session(db, token) is None and auth.resume_session(db, other) == owner


def test_a_session_ends_when_it_expires_or_the_password_changes_or_the_user_goes(db):
    owner = auth.add_user(db, "boss", "correct horse", "owner")
    clerk = auth.add_user(db, "clerk", "battery staple", "viewer")
    expired, changed, removed = (auth.start_session(db, u) for u in (owner, owner, clerk))
    with db.write() as cur:
        cur.execute("UPDATE user_sessions SET expires_at = current_timestamp - INTERVAL 1 SECOND "
                    "WHERE token_sha256 = ?", [auth._token_hash(expired)])
    assert auth.resume_session(db, expired) is None
    auth.set_password(db, "boss", "a new passphrase")
    assert auth.resume_session(db, changed) is None
    auth.remove_user(db, "clerk")
    assert auth.resume_session(db, removed) is None
    auth.start_session(db, owner)
    assert db.scalar("SELECT count(*) FROM user_sessions") == 1  # ended ones are gone


def test_every_role_is_named_in_both_languages():
    assert [auth.role_label(role) for role in auth.ROLES] == [
        "所有者 (owner)", "主管 (supervisor)", "客服 (agent)", "只读查看 (viewer)"]
    assert [auth.role_label(role, "en") for role in auth.ROLES] == ["Owner", "Supervisor", "Agent", "Viewer"]
