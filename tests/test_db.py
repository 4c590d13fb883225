"""The database module: one transaction per import, later figures win, nothing counted twice."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pandas as pd
import pytest

from csperf import importer, queries
from csperf.db import Database, DatabaseBusy, ImportMeta


def facts(rows):
    frame = pd.DataFrame(rows)
    frame["date_to"] = frame.get("date_to", frame["date_from"])
    frame["shop"] = frame.get("shop", "店")
    frame["provisional"] = frame.get("provisional", False)
    return frame


def effective(db, account="a"):
    return db.query(
        "SELECT date_from, date_to, inquiries, paid_buyers, provisional FROM facts "
        "WHERE current AND account = ? ORDER BY date_from, date_to",
        [account],
    )


def test_same_file_twice_changes_nothing(db):
    rows = facts([{"account": "a", "date_from": date(2026, 10, 1), "inquiries": 10, "paid_buyers": 9}])
    first = db.apply_import(ImportMeta("a.xlsx", "sha-1", "t"), rows)
    version = db.data_version()
    again = db.apply_import(ImportMeta("a.xlsx", "sha-1", "t"), rows)
    assert again.duplicate and again.import_id == first.import_id
    assert db.scalar("SELECT count(*) FROM facts") == 1
    assert db.scalar("SELECT count(*) FROM imports") == 1
    assert db.data_version() == version  # nothing changed: the caches stay


def test_a_hash_still_being_read_is_asked_for_once_the_rows_are_in(db, monkeypatch):
    rows = facts([{"account": "a", "date_from": date(2026, 10, 1), "inquiries": 10, "paid_buyers": 9}])
    steps = []
    insert = db._insert_facts

    def inserting(*args):
        steps.append("rows")
        return insert(*args)

    monkeypatch.setattr(db, "_insert_facts", inserting)

    def later(sha):
        def read():
            steps.append("hash")
            return sha
        return read

    first = db.apply_import(ImportMeta("a.csv", "", "t", later_sha256=later("sha-1")), rows)
    assert steps == ["rows", "hash"] and db.scalar("SELECT sha256 FROM imports") == "sha-1"
    version = db.data_version()
    other = facts([{"account": "a", "date_from": date(2026, 10, 1), "inquiries": 99, "paid_buyers": 1}])
    again = db.apply_import(ImportMeta("copy.csv", "", "t", later_sha256=later("sha-1")), other)
    assert again.duplicate and again.import_id == first.import_id
    assert effective(db)["inquiries"].tolist() == [10]  # the copy's rows were taken back
    assert db.scalar("SELECT count(*) FROM imports") == 1 and db.data_version() == version


def test_later_file_replaces_and_undo_brings_earlier_back(db):
    day = date(2026, 10, 1)
    db.apply_import(ImportMeta("d1.xlsx", "sha-1", "t"),
                    facts([{"account": "a", "date_from": day, "inquiries": 10, "paid_buyers": None,
                            "provisional": True}]))
    second = db.apply_import(ImportMeta("d1b.xlsx", "sha-2", "t"),
                             facts([{"account": "a", "date_from": day, "inquiries": 12, "paid_buyers": 5}]))
    now = effective(db)
    assert now["inquiries"].tolist() == [12] and not now["provisional"].any()
    db.undo_import(second.import_id)
    back = effective(db)
    assert back["inquiries"].tolist() == [10] and back["provisional"].all()
    assert db.scalar("SELECT undone_at IS NOT NULL FROM imports WHERE import_id = ?", [second.import_id])
    with pytest.raises(ValueError):
        db.undo_import(second.import_id)
    with pytest.raises(KeyError):
        db.undo_import(999)


def test_duplicate_keys_in_one_file_keep_the_last_row(db):
    day = date(2026, 10, 1)
    rows = facts([{"account": "a", "date_from": day, "inquiries": 1, "paid_buyers": 1},
                  {"account": "a", "date_from": day, "inquiries": 2, "paid_buyers": 2}])
    db.apply_import(ImportMeta("x", "sha", "t"), iter([rows.iloc[:1], rows.iloc[1:]]))
    assert effective(db)["inquiries"].tolist() == [2]


def test_repeated_rows_summed_across_chunks_pair_each_ratio_and_count_a_day_once(db):
    """Skill-group rows of one key in several chunks (repeated_facts="sum") add up as the
    importer adds up a sheet's: a side some row lacks beside a nonzero partner is unsettled
    (NULL), a side lacking over a zero partner is no gap, one day on two rows is one workday,
    and a period without days worked keeps its receptions."""
    day, month = (date(2026, 10, 1),) * 2, (date(2026, 10, 1), date(2026, 10, 31))

    def row(account, period, **measures):
        return {"account": account, "date_from": period[0], "date_to": period[1], **measures}

    chunks = [
        facts([row("a", day, receptions=10, workdays=1, inquiries=10, paid_buyers=9, sales=900, sales_buyers=9),
               row("b", month, receptions=300, inquiries=10, paid_buyers=5)]),
        facts([row("a", day, receptions=100, workdays=1, inquiries=100, sales=2000, provisional=True),
               row("a", day, receptions=5, workdays=1, inquiries=0, sales=0),
               row("b", month, receptions=200, inquiries=0)]),
    ]
    db.apply_import(ImportMeta("skill.xlsx", "s", "t", repeated_facts="sum"), iter(chunks))
    columns = ["account", "receptions", "workdays", "inquiries", "paid_buyers", "sales", "sales_buyers", "provisional"]
    stored = db.query(f"SELECT {', '.join(columns)} FROM facts ORDER BY account")
    a, b = stored.to_dict("records")
    assert (a["receptions"], a["workdays"], a["inquiries"], a["sales"], a["provisional"]) == (115, 1, 110, 2900, True)
    assert pd.isna(a["paid_buyers"]) and pd.isna(a["sales_buyers"])  # not 9 of 110, nor ¥2,900 over 9 buyers
    assert (b["receptions"], b["inquiries"], b["paid_buyers"]) == (500, 10, 5) and pd.isna(b["workdays"])
    summed = importer._sum_duplicates(pd.concat(chunks, ignore_index=True))  # the same rule in pandas
    summed["sales_buyers"] = summed["sales_buyers"].fillna(summed["paid_buyers"])  # as the facts view reads it
    pd.testing.assert_frame_equal(summed.sort_values("account", ignore_index=True)[columns], stored,
                                  check_dtype=False)


def test_a_monthly_record_gives_way_to_daily_records_once_they_report_every_day(db):
    month = facts([{"account": "a", "date_from": date(2026, 10, 1), "date_to": date(2026, 10, 31),
                    "inquiries": 500, "paid_buyers": 50}])
    db.apply_import(ImportMeta("month.xlsx", "m", "t"), month)
    assert len(effective(db)) == 1
    daily = facts([{"account": "a", "date_from": date(2026, 10, 2), "inquiries": 10, "paid_buyers": 1}])
    db.apply_import(ImportMeta("day.xlsx", "d", "t"), daily)
    assert effective(db)["inquiries"].tolist() == [500]  # one day of 31: the month still counts whole
    rest = facts([{"account": "a", "date_from": date(2026, 10, d), "inquiries": 16, "paid_buyers": 1}
                  for d in range(1, 32) if d != 2])
    db.apply_import(ImportMeta("days.xlsx", "ds", "t"), rest)
    assert effective(db)["inquiries"].sum() == 10 + 30 * 16 and len(effective(db)) == 31  # every day reported
    db.undo_import(3)
    assert effective(db)["inquiries"].tolist() == [500]
    # another account's monthly record is untouched
    db.apply_import(ImportMeta("month-b.xlsx", "mb", "t"),
                    facts([{"account": "b", "date_from": date(2026, 10, 1), "date_to": date(2026, 10, 31),
                            "inquiries": 7, "paid_buyers": 1}]))
    assert effective(db, "b")["inquiries"].tolist() == [7]


def test_a_day_the_shops_daily_files_cover_without_an_agent_is_their_day_off_not_a_gap(db):
    """Once daily files cover a month (or a week over a month's end), every agent's month gives
    way to their days, those with a day off too: the month no longer hides their days from
    the day and week views, nor a week over the edge July's first days."""
    def load(name, rows):
        return db.apply_import(ImportMeta(name, name, "t"), facts([{"paid_buyers": 0, **r} for r in rows]))

    load("month", [{"account": who, "date_from": date(2026, 6, 1), "date_to": date(2026, 6, 30), "inquiries": 900}
                   for who in ("a", "b")])
    load("days", [{"account": who, "date_from": date(2026, 6, d), "inquiries": 30} for who in ("a", "b")
                  for d in range(1, 31) if (who, d) != ("a", 14)])  # a's day off on 06-14
    assert effective(db)["inquiries"].tolist() == [30] * 29 and effective(db, "b")["inquiries"].sum() == 900
    load("other shop", [{"account": "c", "shop": "二店", "date_from": date(2026, 7, d), "inquiries": 5}
                        for d in range(1, 8)])
    load("week", [{"account": "a", "date_from": date(2026, 7, 1), "date_to": date(2026, 7, 7), "inquiries": 70}])
    assert effective(db)["date_to"].max() == pd.Timestamp(2026, 7, 7)  # another shop's days say nothing of this one's
    load("july", [{"account": who, "date_from": date(2026, 7, d), "inquiries": 10} for who in ("a", "b")
                  for d in range(1, 8) if (who, d) != ("a", 3)])
    july = effective(db).query("date_from >= '2026-07-01'")
    assert july["inquiries"].tolist() == [10] * 6 and (july["date_from"] == july["date_to"]).all()
    load("alone", [{"account": "z", "date_from": date(2026, 7, 1), "date_to": date(2026, 7, 7), "inquiries": 40}])
    assert effective(db, "z")["inquiries"].tolist() == [40]  # no day of their own inside: the week stands
    summary = load("june again", [{"account": who, "date_from": date(2026, 6, 1), "date_to": date(2026, 6, 30),
                                   "inquiries": 880} for who in ("a", "b")])  # a later summary, the days already in
    assert summary.notes == [("2 条跨多天的记录（周报、月报）没有计入：逐日数据已覆盖这些天，按逐日数据计 — 2 multi-day records "
                              "(a weekly or monthly export) not counted: daily figures already cover those days and "
                              "count instead")]
    early = load("a's day", [{"account": "a", "date_from": date(2026, 8, 3), "inquiries": 6}])
    assert early.notes == []  # nothing longer over it
    load("august", [{"account": "a", "date_from": date(2026, 8, 1), "date_to": date(2026, 8, 31), "inquiries": 930}])
    late = load("a's next day", [{"account": "a", "date_from": date(2026, 8, 4), "inquiries": 7}])
    assert late.notes == [("1 条逐日记录暂不计入：已有的周报或月报覆盖这些天，逐日数据补齐其中每一天后改按逐日数据计 — 1 daily "
                           "record not counted yet: a weekly or monthly export covers those days, and counts until "
                           "daily figures cover every one of them")]
    days = load("z's day", [{"account": "z", "date_from": date(2026, 7, 2), "inquiries": 6}])
    assert days.notes[0].startswith("导入 #6 的 1 条跨多天的记录（周报、月报）不再计入：这些天现在有逐日数据")  # said, not silent


def test_spans_inside_spans_and_across_their_edges_never_count_a_day_twice(db):
    def load(name, rows):
        return db.apply_import(ImportMeta(name, name, "t"),
                               facts([{"account": "a", "paid_buyers": 0, **r} for r in rows]))

    load("month", [{"date_from": date(2026, 10, 1), "date_to": date(2026, 10, 31), "inquiries": 500}])
    load("week", [{"date_from": date(2026, 10, 5), "date_to": date(2026, 10, 11), "inquiries": 70}])
    assert effective(db)["inquiries"].tolist() == [500]  # the week lies inside the month, which stands
    load("days", [{"date_from": date(2026, 10, d), "inquiries": 11} for d in range(5, 12)])
    assert effective(db)["inquiries"].tolist() == [500]  # the week gave way to its days, the month still stands
    edge = load("edge", [{"date_from": date(2026, 10, 29), "date_to": date(2026, 11, 4), "inquiries": 90}])
    # a week over the month's end cannot count beside it: the month, with more days, counts and the week
    # does not (the other way the month's 500 inquiries shrank to the week's 90 and seven days' 77)
    assert effective(db)["inquiries"].tolist() == [500]
    assert edge.notes == [("1 条记录与导入 #1 的记录时段交叉（如跨月的周报与月报），同一天不能计两次：按天数多的记录计，"
                           "较短的不计入 — 1 record overlaps import #1's without lying inside them (a week over a "
                           "month's end beside the month): no day counts twice, so the longer record counts and the "
                           "shorter does not")]
    assert "交叉" in db.scalar("SELECT notes FROM imports WHERE import_id = ?", [edge.import_id])
    november = load("nov", [{"date_from": date(2026, 11, 2), "inquiries": 13}])
    assert effective(db)["inquiries"].tolist() == [500, 13]  # a day inside the week left out counts
    assert november.notes == []
    db.undo_import(1)  # without the month the week counts, with the days inside it in October waiting
    assert effective(db)["inquiries"].tolist() == [11] * 7 + [90]


def test_a_failing_import_leaves_the_database_as_it_was(db):
    db.apply_import(ImportMeta("ok", "ok", "t"),
                    facts([{"account": "a", "date_from": date(2026, 10, 1), "inquiries": 1, "paid_buyers": 1}]))
    before = db.query("SELECT * FROM facts ORDER BY fact_id")
    version = db.data_version()
    bad = facts([{"account": "a", "date_from": date(2026, 10, 1), "inquiries": 5, "paid_buyers": 1},
                 {"account": "a", "date_from": "not a date", "inquiries": 5, "paid_buyers": 1}])
    with pytest.raises(Exception):
        db.apply_import(ImportMeta("bad", "bad", "t"), bad)
    pd.testing.assert_frame_equal(db.query("SELECT * FROM facts ORDER BY fact_id"), before)
    assert db.scalar("SELECT count(*) FROM imports") == 1
    assert db.data_version() == version


def sessions(rows):
    frame = pd.DataFrame(rows)
    frame["shop"] = "店"
    return frame


def test_sessions_fold_into_agent_days_and_refold_on_a_second_file(db):
    day = date(2026, 10, 1)
    first = sessions([
        {"account": "a", "session_id": "1", "day": day, "answered": True, "resolved": True, "wait_s": 10.0,
         "duration_s": 100.0, "rating": 5.0},
        {"account": "a", "session_id": "2", "day": day, "answered": False, "resolved": False},
    ])
    db.apply_import(ImportMeta("s1", "s1", "sessions"), None, first)
    second = sessions([{"account": "a", "session_id": "3", "day": day, "answered": True, "resolved": False,
                        "wait_s": 30.0, "duration_s": 50.0, "rating": 3.0}])
    outcome = db.apply_import(ImportMeta("s2", "s2", "sessions"), None, second)
    row = db.query("SELECT * FROM facts WHERE current AND account = 'a'").iloc[0]
    assert (row.receptions, row.cases, row.replied, row.resolved) == (3, 3, 2, 1)
    assert (row.first_response_sum_s, row.first_response_n) == (40, 2)
    assert (row.ratings, row.csat_sum, row.satisfied, row.reception_sum_s) == (2, 8, 1, 150)
    assert row.inquiries == 3 and pd.isna(row.paid_buyers)  # no inquiry column: every session is one (spec)
    db.undo_import(outcome.import_id)
    row = db.query("SELECT * FROM facts WHERE current AND account = 'a'").iloc[0]
    assert (row.receptions, row.replied) == (2, 1)


@pytest.mark.parametrize(("stored", "repeated", "counted_exactly"), [
    ([("店", "S0001"), ("店", "S0002"), ("店", "S0010")], False, False),  # numbered: the bitmap proves it
    ([("店", "S0001"), ("店", "S0002"), ("店", "S0002")], True, True),
    ([("甲", "S0001"), ("乙", "S0001")], False, True),  # one number in two shops: two sessions
    ([("店", "ID1"), ("店", "ID2"), ("店", "ID10")], False, True),  # ID10 lies outside the span ID1–ID2
    ([("店", "WX-a"), ("店", "WX-b")], False, True),  # no number
    ([("店", "1" + "0" * 19), ("店", "2" + "0" * 19)], False, True),  # numbers beyond BIGINT
])
def test_session_ids_are_checked_for_repeats_with_a_bitmap_when_numbered(db, stored, repeated, counted_exactly):
    from csperf import db as database

    asked: list[str] = []

    class Recording:
        def __init__(self, cur):
            self.cur = cur

        def execute(self, sql, *params):
            asked.append(sql)
            return self.cur.execute(sql, *params)

    ids = [session_id for _, session_id in stored]
    with db.write() as cur:
        cur.executemany("INSERT INTO sessions (import_id, shop, account, session_id, day) "
                        "VALUES (1, ?, 'a', ?, DATE '2026-10-01')", stored)
        assert database._sessions_repeat(Recording(cur), 1, len(ids), min(ids), max(ids)) is repeated
    assert any("count(DISTINCT" in sql for sql in asked) is counted_exactly


def test_undoing_a_session_log_brings_back_the_sessions_it_re_exported(db):
    """A, then B re-exports part of A, then C part of B: undoing B keeps what C holds and
    brings A's other sessions back; undoing C then brings back A's version of the rest."""
    day = date(2026, 10, 1)

    def log(name, ids, duration):
        frame = sessions([{"account": "a", "session_id": str(k), "day": day, "answered": True, "duration_s": duration}
                          for k in ids])
        return db.apply_import(ImportMeta(name, name, "sessions"), None, frame).import_id

    def stored():
        return dict(db.rows("SELECT session_id, duration_s FROM sessions ORDER BY session_id"))

    log("A", range(6), 10.0)
    b = log("B", range(3, 8), 20.0)
    c = log("C", range(5, 9), 30.0)
    assert stored() == {"0": 10, "1": 10, "2": 10, "3": 20, "4": 20, "5": 30, "6": 30, "7": 30, "8": 30}
    db.undo_import(b)
    assert stored() == {"0": 10, "1": 10, "2": 10, "3": 10, "4": 10, "5": 30, "6": 30, "7": 30, "8": 30}
    db.undo_import(c)
    assert stored() == {str(k): 10 for k in range(6)}
    row = db.query("SELECT receptions, reception_sum_s FROM facts WHERE current AND account = 'a'").iloc[0]
    assert (row.receptions, row.reception_sum_s) == (6, 60)
    assert db.scalar("SELECT count(*) FROM sessions_superseded") == 0


def test_a_session_re_exported_under_another_agent_leaves_the_first_agents_day(db):
    day = date(2026, 10, 1)
    for name, account in (("A", "a"), ("B", "b")):
        frame = sessions([{"account": account, "session_id": "1", "day": day, "answered": True}])
        last = db.apply_import(ImportMeta(name, name, "sessions"), None, frame).import_id

    def receptions():
        return dict(db.rows("SELECT account, receptions FROM facts WHERE current ORDER BY account"))

    assert receptions() == {"b": 1}  # the session is b's now
    db.undo_import(last)
    assert receptions() == {"a": 1}


def test_a_second_process_gets_a_clear_busy_error(tmp_path):
    path = tmp_path / "held.duckdb"
    holder = Database(path)
    try:
        probe = subprocess.run(
            [sys.executable, "-c",
             "import sys\nfrom csperf.db import Database, DatabaseBusy\n"
             f"try:\n    Database({str(path)!r})\nexcept DatabaseBusy as e:\n    print('BUSY', e)\n    sys.exit(3)"],
            capture_output=True, text=True, timeout=60,
        )
        assert probe.returncode == 3, probe.stderr
        assert "BUSY" in probe.stdout and "另一个进程" in probe.stdout
    finally:
        holder.close()
    assert issubclass(DatabaseBusy, RuntimeError)


def test_migrations_run_once_and_reopen_cleanly(tmp_path):
    path = tmp_path / "m.duckdb"
    Database(path).close()
    again = Database(path)
    assert again.scalar("SELECT count(*) FROM schema_version") == again.scalar("SELECT max(version) FROM schema_version")
    assert again.scalar("SELECT current_setting('TimeZone')") == "Asia/Shanghai"
    again.close()


def test_two_reports_of_one_agent_day_combine_and_undo_separates_them(db):
    day = date(2026, 10, 1)
    detail = facts([{"account": "a", "date_from": day, "inquiries": 10, "paid_buyers": None, "provisional": True}])
    db.apply_import(ImportMeta("detail.xlsx", "d", "t"), detail)
    rating = facts([{"account": "a", "date_from": day, "ratings": 8, "satisfied": 6}])
    rating_import = db.apply_import(ImportMeta("rating.xlsx", "r", "t"), rating)
    row = db.query("SELECT * FROM facts WHERE current").iloc[0]
    assert (row.inquiries, row.ratings, row.satisfied) == (10, 8, 6)
    assert row.provisional  # the conversion figure is still unsettled
    settled = facts([{"account": "a", "date_from": day, "inquiries": 10, "paid_buyers": 4}])
    db.apply_import(ImportMeta("detail-settled.xlsx", "d2", "t"), settled)
    row = db.query("SELECT * FROM facts WHERE current").iloc[0]
    assert (row.paid_buyers, row.ratings) == (4, 8) and not row.provisional
    db.undo_import(rating_import.import_id)
    row = db.query("SELECT * FROM facts WHERE current").iloc[0]
    assert row.paid_buyers == 4
    assert pd.isna(row.ratings) and pd.isna(row.satisfied)  # the settled file had carried them from the undone one


def test_undo_takes_out_what_later_files_carried_over_from_the_undone_one(db):
    day = date(2026, 10, 1)

    def load(name, **measures):
        return db.apply_import(ImportMeta(name, name, "t"), facts([{"account": "a", "date_from": day, **measures}]))

    detail = load("detail", inquiries=100, paid_buyers=None, sales=6000, provisional=True)
    rating = load("rating", ratings=10, satisfied=8)
    load("refunds", refund_amount=300)
    row = db.query("SELECT * FROM facts WHERE current").iloc[0]
    assert (row.inquiries, row.sales, row.ratings, row.refund_amount, row.provisional) == (100, 6000, 10, 300, True)
    db.undo_import(rating.import_id)  # the refunds row keeps the detail's figures, not the rating's
    row = db.query("SELECT * FROM facts WHERE current").iloc[0]
    assert (row.inquiries, row.sales, row.refund_amount, row.provisional) == (100, 6000, 300, True)
    assert pd.isna(row.ratings) and pd.isna(row.satisfied)
    db.undo_import(detail.import_id)  # "import #1 undone": its sales, inquiries and unsettled flag go too
    row = db.query("SELECT * FROM facts WHERE current").iloc[0]
    assert row.refund_amount == 300 and pd.isna(row.inquiries) and pd.isna(row.sales) and not row.provisional
    assert queries.agent_kpis(db, day, day).loc[0, "sales"] != 6000


def test_a_later_file_giving_another_base_leaves_the_earlier_ratio_side_empty(db):
    day = date(2026, 10, 1)
    db.apply_import(ImportMeta("detail", "d", "t"),
                    facts([{"account": a, "date_from": day, "receptions": 200, "replied": 199} for a in "ab"]))
    rating = db.apply_import(ImportMeta("rating", "r", "t"), facts([
        {"account": "a", "date_from": day, "receptions": 150, "ratings": 10},  # another count of receptions
        {"account": "b", "date_from": day, "receptions": 200, "ratings": 10}]))  # the same count
    rows = db.query("SELECT account, receptions, replied FROM facts WHERE current ORDER BY account")
    assert rows["receptions"].tolist() == [150, 200]
    assert pd.isna(rows.loc[0, "replied"]) and rows.loc[1, "replied"] == 199  # never 199 replies over 150: 132.7%
    assert rating.notes == [("此前导入的“已回复人数”与本文件给出的不同的“接待人数”不配套，已留空（1 行） — "
                             "Replied of an earlier import rests on another Receptions than this file gives: "
                             "left empty (rows: 1)")]
    assert (queries.agent_kpis(db, day, day)["reply_rate"].dropna() <= 1).all()


def test_rows_without_a_provisional_column_are_settled(db):
    frame = pd.DataFrame([{"shop": "s", "account": "a", "date_from": date(2026, 10, 1),
                           "date_to": date(2026, 10, 1), "inquiries": 3}])
    db.apply_import(ImportMeta("p", "p", "t"), frame)
    assert db.scalar("SELECT provisional FROM facts") is False
    with pytest.raises(ValueError, match="date_to"):
        db.apply_import(ImportMeta("q", "q", "t"), frame.drop(columns="date_to"))


def test_facts_store_only_measures_some_file_carried(tmp_path, monkeypatch):
    """Migration 7 keeps the figures of a database made before it; new measures get a
    column when a file first carries them; `facts` always shows the whole catalogue."""
    from csperf import db as dbmod
    from csperf.metrics import MEASURE_NAMES

    path = tmp_path / "old.duckdb"
    monkeypatch.setattr(dbmod, "MIGRATIONS", dbmod.MIGRATIONS[:6])
    old = Database(path)
    with old.write() as cur:  # what an import wrote before migration 7
        cur.execute("INSERT INTO imports (import_id, file_name, sha256, measures) "
                    "VALUES (1, 'a.csv', 'a', ['receptions', 'replied'])")
        cur.execute("INSERT INTO facts (fact_id, import_id, shop, account, date_from, date_to, receptions, replied) "
                    "VALUES (1, 1, 's', 'x', DATE '2026-10-01', DATE '2026-10-01', 10, 9)")
    old.close()
    monkeypatch.undo()

    db = Database(path)
    stored = {name for (name,) in db.rows(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = 'fact_rows'")}
    assert {"receptions", "replied"} <= stored and "sales" not in stored
    assert list(db.query("SELECT * FROM facts").columns[9:-1]) == list(MEASURE_NAMES)
    db.apply_import(ImportMeta("b.csv", "b", "test"), pd.DataFrame(
        {"shop": ["s"], "account": ["x"], "date_from": [date(2026, 10, 2)], "date_to": [date(2026, 10, 2)],
         "sales": [99.5]}))
    got = db.query("SELECT date_from, receptions, replied, sales FROM facts ORDER BY date_from")
    assert got["receptions"].tolist()[0] == 10.0 and got["sales"].tolist()[1] == 99.5
    assert pd.isna(got["sales"].iloc[0]) and pd.isna(got["receptions"].iloc[1])
    db.close()


def test_migration_10_times_receptions_by_those_with_a_duration(tmp_path, monkeypatch):
    """An average reception time rests on the receptions that have one: an export's
    receptions where it gave the average, a session day's sessions with a duration."""
    from csperf import db as dbmod

    path = tmp_path / "old.duckdb"
    monkeypatch.setattr(dbmod, "MIGRATIONS", dbmod.MIGRATIONS[:9])
    old = Database(path)
    with old.write() as cur:  # what imports wrote before migration 10
        cur.execute("ALTER TABLE fact_rows DROP COLUMN IF EXISTS reception_n")
        for m in ("receptions", "reception_sum_s"):
            cur.execute(f"ALTER TABLE fact_rows ADD COLUMN IF NOT EXISTS {m} DOUBLE")
        cur.execute("INSERT INTO imports (import_id, file_name, sha256, measures) VALUES "
                    "(1, 'a.csv', 'a', ['receptions', 'reception_sum_s']), (2, 'log.csv', 'b', NULL)")
        cur.execute("INSERT INTO fact_rows (fact_id, import_id, source, shop, account, date_from, date_to, "
                    "current, receptions, reception_sum_s) VALUES "
                    "(1, 1, 'export', 's', 'x', DATE '2026-10-01', DATE '2026-10-01', true, 10, 600), "
                    "(2, 2, 'sessions', 's', 'y', DATE '2026-10-01', DATE '2026-10-01', true, 3, 300)")
        cur.execute("INSERT INTO sessions (import_id, shop, account, session_id, day, duration_s) VALUES "
                    "(2, 's', 'y', '1', DATE '2026-10-01', 100), (2, 's', 'y', '2', DATE '2026-10-01', 200), "
                    "(2, 's', 'y', '3', DATE '2026-10-01', NULL)")
    old.close()
    monkeypatch.undo()

    db = Database(path)
    kpis = queries.agent_kpis(db, "2026-10-01", "2026-10-01").set_index("agent")
    assert kpis.loc["x", "avg_reception_s"] == 60 and kpis.loc["x", "reception_n"] == 10
    assert kpis.loc["y", "avg_reception_s"] == 150 and kpis.loc["y", "reception_n"] == 2
    assert db.scalar("SELECT measures FROM imports WHERE import_id = 1") == [
        "receptions", "reception_sum_s", "reception_n"]
    db.close()


def test_migration_14_reads_buyers_no_report_gave_and_months_without_receptions(tmp_path, monkeypatch):
    from csperf import db as dbmod

    path = tmp_path / "old.duckdb"
    monkeypatch.setattr(dbmod, "MIGRATIONS", dbmod.MIGRATIONS[:13])
    old = Database(path)
    with old.write() as cur:  # what imports could leave before migration 14
        for m in ("receptions", "paid_buyers", "sales", "sales_buyers", "workdays"):
            cur.execute(f"ALTER TABLE fact_rows ADD COLUMN IF NOT EXISTS {m} DOUBLE")
        cur.execute("INSERT INTO fact_rows (fact_id, import_id, source, shop, account, date_from, date_to, current, "
                    "receptions, paid_buyers, sales, sales_buyers, workdays) VALUES "
                    "(1, 1, 'export', 's', 'x', DATE '2026-10-01', DATE '2026-10-31', true, 0, 5, 500, NULL, NULL), "
                    "(2, 1, 'export', 's', 'y', DATE '2026-10-01', DATE '2026-10-31', true, 90, 8, 800, 10, NULL)")
    old.close()
    monkeypatch.undo()

    db = Database(path)
    assert db.rows("SELECT account, sales_buyers, workdays FROM facts ORDER BY account") == [("x", 5, 0), ("y", 10, None)]
    db.close()


def test_figures_dated_after_today_are_stored_and_said_to_be(db):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    tomorrow = datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=1)
    later = db.apply_import(ImportMeta("typo.xlsx", "typo", "t"),
                            facts([{"account": "a", "date_from": tomorrow, "inquiries": 5, "paid_buyers": 1}]))
    today = tomorrow - timedelta(days=1)
    assert later.notes == [(f"数据日期到 {tomorrow}，在今天（{today}）之后：如果年份或日期写错了，请撤销这次导入 — figures "
                            f"dated up to {tomorrow}, after today ({today}): if the year or a date is a typo, undo "
                            "this import")]
    assert len(effective(db)) == 1  # stored all the same: only the user knows whether it is a typo
