"""Saved schemes: versions, assignments, the presets on a new install, and a past month's
pay that stays the same to the cent after the scheme is edited."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pandas as pd
import pytest

from csperf import schemes
from csperf.db import Database
from csperf.scheme import SchemeError, dump_scheme, load_scheme
from csperf.scoring import score

V1 = '''name = "售前方案"
role = "presales"
[[kpi]]
metric = "conversion_rate"
weight = 70
[[kpi]]
metric = "receptions"
weight = 30
[pay]
performance_pay = 2000
coefficients = [[0, 0.6], [90, 0.9], [100, 1.0], [110, 1.2]]
'''
V2 = V1.replace("weight = 70", "weight = 20").replace("weight = 30", "weight = 80")


@pytest.fixture
def db():
    database = Database(":memory:")
    yield database
    database.close()


def backdate(db: Database, name: str, version: int, when: str) -> None:
    """Pretend a version was saved at `when` (Asia/Shanghai)."""
    with db.write() as cur:
        cur.execute("UPDATE schemes SET created_at = CAST(? AS TIMESTAMPTZ) WHERE name = ? AND version = ?",
                    [when + "+08:00", name, version])


def march_kpis() -> pd.DataFrame:
    # pooled conversion 50/200 = 0.25, mean receptions 300
    return pd.DataFrame({
        "agent": ["wang", "li"], "shop": ["S", "S"], "team": ["T", "T"], "role": ["presales", "presales"],
        "base_salary": [3000.0, 2500.0],
        "conversion_rate": [0.35, 0.15], "conversion_rate_num": [35.0, 15.0], "conversion_rate_n": [100.0, 100.0],
        "receptions": [240.0, 360.0],
    })


def test_every_save_is_a_new_version_with_note_and_audit(db):
    assert schemes.save_scheme(db, load_scheme(V1), "首版", user="boss") == 1
    assert schemes.save_scheme(db, load_scheme(V2), "改权重", user="boss") == 2
    listed = schemes.list_schemes(db)
    assert listed[["name", "version", "role", "note", "created_by", "latest"]].values.tolist() == [
        ["售前方案", 1, "presales", "首版", "boss", False],
        ["售前方案", 2, "presales", "改权重", "boss", True],
    ]
    assert listed["created_at"].notna().all()
    audit = db.query("SELECT username, action, detail FROM audit ORDER BY audit_id")
    assert audit.values.tolist() == [["boss", "scheme_save", "售前方案 v1: 首版"],
                                     ["boss", "scheme_save", "售前方案 v2: 改权重"]]


def test_get_scheme_latest_or_a_given_version(db):
    schemes.save_scheme(db, load_scheme(V1), "v1")
    schemes.save_scheme(db, load_scheme(V2), "v2")
    latest, version = schemes.get_scheme(db, "售前方案")
    assert version == 2 and latest == load_scheme(V2)
    first, version = schemes.get_scheme(db, "售前方案", 1)
    assert version == 1 and first == load_scheme(V1)
    with pytest.raises(KeyError, match="没有方案 '售前方案' v9"):
        schemes.get_scheme(db, "售前方案", 9)
    with pytest.raises(KeyError, match="没有方案 'nope'"):
        schemes.get_scheme(db, "nope")


def test_most_specific_assignment_in_force_wins(db):
    for name in ("全店", "A店", "A店一组", "通用"):
        schemes.save_scheme(db, load_scheme(V1.replace("售前方案", name)), "")
    schemes.assign_scheme(db, "presales", "全店", "2024-01-01")
    schemes.assign_scheme(db, "presales", "A店", "2024-03-01", shop="A")
    schemes.assign_scheme(db, "presales", "A店一组", "2024-02-01", shop="A", team="一组")
    schemes.assign_scheme(db, "all", "通用", "2020-01-01")

    def chosen(role, on, shop=None, team=None):
        return schemes.scheme_for(db, role, on, shop, team)[0].name

    assert chosen("presales", "2024-03-31", "A", "一组") == "A店一组"  # team beats shop despite the later date
    assert chosen("presales", "2024-03-31", "A", "二组") == "A店"
    assert chosen("presales", "2024-02-29", "A", "二组") == "全店"  # the shop's own not yet in force
    assert chosen("presales", "2024-03-31", "B", "一组") == "全店"
    assert chosen("aftersales", "2024-03-31", "A") == "通用"  # role 'all' covers roles without their own
    assert chosen(None, "2024-03-31") == "通用"
    assert chosen("presales", "2023-12-31") == "通用"
    with pytest.raises(LookupError, match="没有给角色 presales"):
        schemes.scheme_for(db, "presales", "2019-12-31")


def test_a_later_assignment_replaces_an_earlier_one_from_its_date(db):
    schemes.save_scheme(db, load_scheme(V1), "")
    schemes.save_scheme(db, load_scheme(V1.replace("售前方案", "新方案")), "")
    schemes.assign_scheme(db, "presales", "售前方案", dt.date(2024, 1, 1))
    schemes.assign_scheme(db, "presales", "新方案", dt.date(2024, 4, 1))
    assert schemes.scheme_for(db, "presales", "2024-03-31")[0].name == "售前方案"
    assert schemes.scheme_for(db, "presales", "2024-04-30")[0].name == "新方案"
    assert len(schemes.list_assignments(db)) == 2


def test_assignment_checks_role_scheme_version_and_date(db):
    schemes.save_scheme(db, load_scheme(V1), "")
    with pytest.raises(ValueError, match="未知角色 'boss'"):
        schemes.assign_scheme(db, "boss", "售前方案", "2024-01-01")
    with pytest.raises(KeyError, match="没有方案 'nope'"):
        schemes.assign_scheme(db, "presales", "nope", "2024-01-01")
    with pytest.raises(KeyError, match="v3"):
        schemes.assign_scheme(db, "presales", "售前方案", "2024-01-01", version=3)
    with pytest.raises(ValueError, match="valid_from: 日期格式应为 YYYY-MM-DD"):
        schemes.assign_scheme(db, "presales", "售前方案", "March")
    assert schemes.list_assignments(db).empty


def test_a_pinned_version_is_used_whatever_was_saved_later(db):
    schemes.save_scheme(db, load_scheme(V1), "v1")
    schemes.save_scheme(db, load_scheme(V2), "v2")
    schemes.assign_scheme(db, "presales", "售前方案", "2024-01-01", version=1, user="boss")
    assert schemes.scheme_for(db, "presales", dt.date.today())[1] == 1
    assert db.scalar("SELECT detail FROM audit WHERE action = 'scheme_assign'") == "presales 全部 自 2024-01-01: 售前方案 v1"


def test_unpinned_takes_the_latest_version_saved_by_the_period_end(db):
    schemes.save_scheme(db, load_scheme(V1), "v1")
    schemes.save_scheme(db, load_scheme(V2), "v2")
    schemes.save_scheme(db, load_scheme(V1), "v3")
    schemes.assign_scheme(db, "presales", "售前方案", "2024-01-01")
    backdate(db, "售前方案", 1, "2024-01-05 09:00:00")
    backdate(db, "售前方案", 2, "2024-02-29 23:59:59")  # the last second of February in Shanghai
    backdate(db, "售前方案", 3, "2024-03-01 00:00:00")
    assert schemes.scheme_for(db, "presales", "2024-01-31")[1] == 1
    assert schemes.scheme_for(db, "presales", "2024-02-29")[1] == 2
    assert schemes.scheme_for(db, "presales", "2024-03-31")[1] == 3
    # a period before any version was saved uses the first one
    assert schemes.scheme_for(db, "presales", "2024-01-04")[1] == 1
    # a scheme chosen by name, not assigned, is the version of the period's time too
    assert [schemes.get_scheme(db, "售前方案", as_of=day)[1]
            for day in ("2024-01-04", "2024-01-31", "2024-02-29", "2024-03-31")] == [1, 1, 2, 3]
    assert schemes.get_scheme(db, "售前方案", 2, as_of="2024-03-31")[1] == 2  # a version given wins
    with pytest.raises(KeyError, match="没有方案 'nope'"):
        schemes.get_scheme(db, "nope", as_of="2024-03-31")


def test_part_of_a_month_is_paid_with_the_version_in_force_at_the_months_end(db):
    """本月 up to its last data day (03-15) takes a version the supervisor saved on 03-20, as the
    whole month will; the month before keeps its own; a weekly scheme looks at its week's end."""
    schemes.save_scheme(db, load_scheme(V1), "v1")
    schemes.save_scheme(db, load_scheme(V2), "v2")
    schemes.assign_scheme(db, "presales", "售前方案", "2024-01-01")
    backdate(db, "售前方案", 1, "2024-01-05 09:00:00")
    backdate(db, "售前方案", 2, "2024-03-20 10:00:00")
    assert schemes.scheme_for(db, "presales", "2024-03-15")[1] == 2
    assert schemes.scheme_for(db, "presales", "2024-02-29")[1] == 1
    assert schemes.get_scheme(db, "售前方案", as_of="2024-03-15")[1] == 2
    weekly = "售前周方案"
    schemes.save_scheme(db, replace(load_scheme(V1), name=weekly, period="week"), "v1")
    schemes.save_scheme(db, replace(load_scheme(V2), name=weekly, period="week"), "v2")
    backdate(db, weekly, 1, "2024-01-05 09:00:00")
    backdate(db, weekly, 2, "2024-03-20 10:00:00")  # a Wednesday
    schemes.assign_scheme(db, "presales", weekly, "2024-01-01", shop="周店")
    assert schemes.scheme_for(db, "presales", "2024-03-18", shop="周店")[1] == 2  # Monday of that week
    assert schemes.scheme_for(db, "presales", "2024-03-17", shop="周店")[1] == 1  # the Sunday before
    assert [schemes.get_scheme(db, weekly, as_of=day)[1] for day in ("2024-03-17", "2024-03-18")] == [1, 2]
    # an assignment counts from its own day, whatever the month does
    schemes.assign_scheme(db, "presales", weekly, "2024-03-20", shop="新店")
    assert schemes.scheme_for(db, "presales", "2024-03-15", shop="新店")[0].name == "售前方案"


def test_a_past_months_pay_is_reproducible_to_the_cent(db):
    schemes.save_scheme(db, load_scheme(V1), "首版")
    schemes.assign_scheme(db, "presales", "售前方案", "2024-01-01")
    backdate(db, "售前方案", 1, "2024-01-02 10:00:00")
    march_end = dt.date(2024, 3, 31)
    scheme, version = schemes.scheme_for(db, "presales", march_end)
    march_pay = score(march_kpis(), scheme)[["agent", "pay"]]
    # v1: wang conversion 0.35/0.25 → 120 (capped), receptions 240/300 → 80: 0.7·120 + 0.3·80 = 108 → 1.0
    #     li   0.15/0.25 → 60, 360/300 → 120: 0.7·60 + 0.3·120 = 78 → 0.6
    assert version == 1
    assert march_pay.values.tolist() == [["wang", 5000.0], ["li", 3700.0]]

    schemes.save_scheme(db, load_scheme(V2), "接待权重加大")  # saved today, long after March
    again, version = schemes.scheme_for(db, "presales", march_end)
    assert version == 1 and again == scheme
    pd.testing.assert_frame_equal(score(march_kpis(), again)[["agent", "pay"]], march_pay)
    # this month uses v2: wang 0.2·120 + 0.8·80 = 88 → 0.6; li 0.2·60 + 0.8·120 = 108 → 1.0
    current, version = schemes.scheme_for(db, "presales", dt.date.today() + dt.timedelta(days=1))
    assert version == 2
    assert score(march_kpis(), current)[["agent", "pay"]].values.tolist() == [["li", 4500.0], ["wang", 4200.0]]


def test_a_history_imported_after_install_uses_the_first_version(db):
    schemes.save_scheme(db, load_scheme(V1), "首版")
    schemes.assign_scheme(db, "presales", "售前方案", "2000-01-01")
    schemes.save_scheme(db, load_scheme(V2), "改版")
    assert schemes.scheme_for(db, "presales", "2021-03-31")[1] == 1


def test_ensure_presets_on_a_new_install_is_idempotent(db):
    assert schemes.ensure_presets(db) == ["售前标准方案", "售后标准方案", "VIP方案", "提成制方案"]
    assert schemes.ensure_presets(db) == []
    listed = schemes.list_schemes(db)
    assert sorted(listed["name"]) == sorted(["售前标准方案", "售后标准方案", "VIP方案", "提成制方案"])
    assert set(listed["version"]) == {1}
    assigned = schemes.list_assignments(db)
    assert assigned[["role", "shop", "team", "scheme_name"]].values.tolist() == [
        ["aftersales", "", "", "售后标准方案"], ["presales", "", "", "售前标准方案"], ["vip", "", "", "VIP方案"]]
    assert set(assigned["valid_from"].astype(str)) == {"2000-01-01"}
    assert schemes.scheme_for(db, "vip", "2024-05-31")[0].name == "VIP方案"


def test_ensure_presets_keeps_what_the_shop_set_up(db):
    schemes.save_scheme(db, load_scheme(V1), "自己的")
    schemes.assign_scheme(db, "presales", "售前方案", "2023-01-01")
    schemes.ensure_presets(db)
    assert schemes.scheme_for(db, "presales", "2024-05-31")[0].name == "售前方案"
    assert schemes.list_assignments(db)["role"].tolist() == ["aftersales", "presales", "vip"]


def test_import_and_export_scheme_files(db, tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(V1, encoding="utf-8")
    assert schemes.import_scheme_file(db, path, "从文件导入", user="boss") == 1
    imported = schemes.get_scheme(db, "售前方案")[0]
    assert imported == load_scheme(V1)
    exported = schemes.export_scheme(db, "售前方案")
    assert exported == dump_scheme(load_scheme(V1)) and load_scheme(exported) == imported
    schemes.save_scheme(db, load_scheme(V2), "v2")
    assert load_scheme(schemes.export_scheme(db, "售前方案", 1)) == imported
    assert load_scheme(schemes.export_scheme(db, "售前方案")) == load_scheme(V2)


def test_a_bad_file_is_refused_naming_the_field_and_nothing_is_saved(db, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(V1.replace('"receptions"', '"receptionz"'), encoding="utf-8")
    with pytest.raises(SchemeError, match=r"kpi\[1\]\.metric: 未知指标 'receptionz'"):
        schemes.import_scheme_file(db, path, "坏文件")
    assert schemes.list_schemes(db).empty
    assert db.scalar("SELECT count(*) FROM audit") == 0
