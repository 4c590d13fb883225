"""Seeded agency-scale data: the export files a big agency would upload, and a database.

Everything is drawn from one numpy generator per artefact with a fixed seed, so a file
that is already in bench/out/ is byte-for-byte what would be generated again; it is
reused when its manifest matches, which keeps a rerun of the benchmark to minutes.

The files take real shapes from spec/exports.md: the 赤兔-style per-agent daily detail
(a 日期 column, `店铺:子账号` accounts, `36.99%`, `27.77` seconds, `延迟统计` on the
unsettled last day, `汇总`/`均值` rows at the end) in UTF-8 and in GB18030, and a
chat-system session log with one row per conversation. The database holds the same
figures as the daily file, stored through `Database.apply_import` (the importer's own
path into the database), plus a roster, monthly QA scores and an owner account.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from csperf import db as dbmod

BENCH_DIR = Path(__file__).resolve().parent
OUT_DIR = BENCH_DIR / "out"
SEED = 20261031
GENERATOR_VERSION = 1  # bump when a generator changes its output
OWNER = ("owner", "bench-owner-pass-1")


@dataclass(frozen=True)
class Scale:
    """How big the agency is, and how many times each measurement is repeated."""

    name: str
    shops: int
    agents_per_shop: int
    first_day: date
    last_day: date
    sessions: int
    session_days: int
    import_runs: int
    query_runs: int

    @property
    def agents(self) -> int:
        return self.shops * self.agents_per_shop

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def agent_days(self) -> int:
        return self.agents * self.days

    @property
    def dir(self) -> Path:
        return OUT_DIR / self.name


# 2,000 agents over three years: 2,192,000 agent-days; a quarter's session log of 10M rows.
FULL = Scale("full", 200, 10, date(2023, 11, 1), date(2026, 10, 31), 10_000_000, 91, 5, 9)
QUICK = Scale("quick", 20, 10, date(2023, 11, 1), date(2026, 10, 31), 1_000_000, 91, 3, 9)

TEAMS = [("售前A组", "presales")] * 4 + [("售前B组", "presales")] * 3 + [("售后组", "aftersales")] * 3
LEVELS = {"trainee": 0.0, "junior": 1500.0, "mid": 2200.0, "senior": 3000.0}
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
GIVEN = list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂")
TOPICS = ["商品咨询", "物流查询", "尺码推荐", "优惠活动", "售后退换", "发票问题"]
LOSS_REASONS = ["价格太高", "库存不足", "物流太慢", "比价中", "未及时回复", "其他"]

CHITU_HEADER = [
    "日期", "客服", "接待人数", "询单人数", "询单->最终付款人数", "询单->最终付款成功率",
    "询单->最终下单人数", "询单->次日付款人数", "客件数", "客单价", "销售额", "客服回复率",
    "平均响应时间", "首次响应时间", "平均接待时长(秒)", "慢响应人数", "转出人数", "退款率",
    "评价量", "服务满意度评价很满意", "服务满意度评价满意", "服务满意度评价一般",
    "服务满意度评价不满", "服务满意度评价很不满", "客户满意率",
]
SESSION_HEADER = [
    "会话ID", "客服", "开始时间", "首次响应(秒)", "会话时长(秒)", "是否回复", "是否解决",
    "是否成交", "成交金额", "满意度", "咨询类型", "流失原因",
]
DELAYED = "延迟统计"
EMPTY = "-"


@dataclass(frozen=True)
class DataFiles:
    chitu_utf8: Path
    chitu_gb18030: Path
    sessions: Path
    database: Path
    chitu_rows: int  # agent rows, without the 汇总/均值 lines
    session_rows: int


# -- the agency -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Agency:
    """Per-agent identity and habits; every figure below is drawn around these."""

    shop: np.ndarray
    account: np.ndarray
    label: np.ndarray  # `店铺:子账号`, as the exports write it
    presales: np.ndarray
    volume: np.ndarray
    conversion: np.ndarray
    aov: np.ndarray
    first_response: np.ndarray
    reception_s: np.ndarray
    miss: np.ndarray
    refund: np.ndarray
    satisfaction: np.ndarray
    roster: pd.DataFrame


def agency(scale: Scale) -> Agency:
    rng = np.random.default_rng([SEED, 1])
    n = scale.agents
    shop_no = np.repeat(np.arange(1, scale.shops + 1), scale.agents_per_shop)
    seat = np.tile(np.arange(scale.agents_per_shop), scale.shops)
    shop = np.array([f"店铺{s:03d}" for s in shop_no])
    account = np.array([f"客服{a + 1:02d}" for a in seat])
    team, role = zip(*(TEAMS[a % len(TEAMS)] for a in seat))
    presales = np.array(role) == "presales"
    names = [SURNAMES[i] + GIVEN[j] + GIVEN[k] for i, j, k in zip(
        rng.integers(0, len(SURNAMES), n), rng.integers(0, len(GIVEN), n), rng.integers(0, len(GIVEN), n))]
    excluded = (shop_no % 10 == 0) & (seat == scale.agents_per_shop - 1)  # a robot seat in every 10th shop
    names = np.where(excluded, "机器人", names)
    roster = pd.DataFrame({
        "shop": shop,
        "account": account,
        "name": names,
        "team": np.array(team),
        "role": np.array(role),
        "level": rng.choice(list(LEVELS), n, p=[0.1, 0.3, 0.4, 0.2]),
        "base_salary": np.full(n, np.nan),
        "shift": np.where(seat % 3 == 2, "夜班", "白班"),
        "excluded": excluded,
    })
    return Agency(
        shop=shop,
        account=account,
        label=np.char.add(np.char.add(shop, ":"), account),
        presales=presales,
        volume=rng.lognormal(0.0, 0.3, n),
        conversion=np.where(presales, rng.uniform(0.22, 0.55, n), rng.uniform(0.02, 0.08, n)),
        aov=np.clip(rng.normal(180, 45, n), 40, None),
        first_response=rng.uniform(6, 38, n),
        reception_s=rng.uniform(200, 650, n),
        miss=rng.uniform(0.001, 0.02, n),
        refund=rng.uniform(0.01, 0.09, n),
        satisfaction=rng.uniform(0.80, 0.99, n),
        roster=roster,
    )


def _season(days: pd.DatetimeIndex) -> np.ndarray:
    """Weekly rhythm, growth, and the promotion peaks (双11, 618, 双12)."""
    factor = np.where(days.dayofweek >= 5, 0.85, 1.0)
    factor = factor * np.linspace(1.0, 1.3, len(days))
    md = days.month * 100 + days.day
    for (lo, hi), lift in (((1101, 1110), 1.5), ((1111, 1111), 3.0), ((601, 617), 1.3), ((618, 618), 2.5),
                           ((1212, 1212), 1.8)):
        factor = np.where((md >= lo) & (md <= hi), factor * lift, factor)
    return factor


# -- the daily figures ------------------------------------------------------------------------

def daily_figures(scale: Scale, who: Agency) -> dict[str, np.ndarray]:
    """One row per agent per day, agent-major; NaN where the platform has not settled yet."""
    rng = np.random.default_rng([SEED, 2])
    days = pd.date_range(scale.first_day, scale.last_day, freq="D")
    n, d = scale.agents, len(days)
    a = np.repeat(np.arange(n), d)
    season = np.tile(_season(days), n)
    working = rng.random(n * d) >= 1 / 7
    lam = np.where(who.presales[a], 70.0, 45.0) * who.volume[a] * season
    receptions = np.where(working, rng.poisson(lam), 0)
    inquiries = rng.binomial(receptions, np.where(who.presales[a], 0.58, 0.12))
    paid = rng.binomial(inquiries, who.conversion[a])
    ordered = paid + rng.binomial(inquiries - paid, 0.08)
    nextday = rng.binomial(paid, 0.06)
    items = paid + rng.binomial(paid, 0.35)
    sales = np.round(paid * who.aov[a] * rng.gamma(20, 1 / 20, n * d), 2)
    replied = receptions - rng.binomial(receptions, who.miss[a])
    first = who.first_response[a] * rng.gamma(30, 1 / 30, n * d)
    response = first * 1.6
    reception_s = who.reception_s[a] * rng.gamma(30, 1 / 30, n * d)
    ratings = rng.binomial(receptions, 0.12)
    sat = who.satisfaction[a]
    very = rng.binomial(ratings, sat * 0.6)
    satisfied_only = rng.binomial(ratings - very, np.clip(sat * 0.4 / (1 - sat * 0.6), 0, 1))
    rest = ratings - very - satisfied_only
    neutral = rng.binomial(rest, 0.6)
    dissatisfied = rng.binomial(rest - neutral, 0.6)
    very_dissatisfied = rest - neutral - dissatisfied
    refund = np.round(sales * who.refund[a] * rng.gamma(5, 1 / 5, n * d), 2)
    figures = {
        "agent": a,
        "day": np.tile(days.values.astype("datetime64[D]"), n),
        "receptions": receptions,
        "inquiries": inquiries,
        "paid_buyers": paid.astype(float),
        "ordered_buyers": ordered,
        "nextday_paid_buyers": nextday.astype(float),
        "items": items.astype(float),
        "sales": sales,
        "sales_buyers": paid.astype(float),
        "replied": replied,
        "response_avg": np.round(response, 2),
        "first_avg": np.round(first, 2),
        "reception_avg": np.round(reception_s, 2),
        "slow_responses": rng.binomial(receptions, np.clip(who.first_response[a] / 400, 0, 1)),
        "transfers_out": rng.binomial(receptions, 0.02),
        "refund_amount": refund,
        "ratings": ratings,
        "ratings_very_satisfied": very,
        "ratings_satisfied": satisfied_only,
        "ratings_neutral": neutral,
        "ratings_dissatisfied": dissatisfied,
        "ratings_very_dissatisfied": very_dissatisfied,
    }
    unsettled = figures["day"] == np.datetime64(scale.last_day, "D")
    for column in ("paid_buyers", "nextday_paid_buyers", "items", "sales", "sales_buyers", "refund_amount"):
        figures[column] = np.where(unsettled, np.nan, figures[column])
    figures["provisional"] = unsettled
    return figures


def canonical_facts(scale: Scale, who: Agency, f: dict[str, np.ndarray], rows: slice) -> pd.DataFrame:
    """The measures metrics.md stores for the daily file's rows (what its import yields)."""
    a = f["agent"][rows]
    day = f["day"][rows]
    receptions = f["receptions"][rows].astype(float)
    has = receptions > 0

    def per_reception(avg):
        return np.where(has, avg[rows] * receptions, np.nan)

    return pd.DataFrame({
        "shop": who.shop[a],
        "account": who.account[a],
        "date_from": day,
        "date_to": day,
        "provisional": f["provisional"][rows],
        "receptions": receptions,
        "inquiries": f["inquiries"][rows].astype(float),
        "paid_buyers": f["paid_buyers"][rows],
        "ordered_buyers": f["ordered_buyers"][rows].astype(float),
        "nextday_paid_buyers": f["nextday_paid_buyers"][rows],
        "items": f["items"][rows],
        "sales": f["sales"][rows],
        "sales_buyers": f["sales_buyers"][rows],
        "replied": f["replied"][rows].astype(float),
        "response_sum_s": per_reception(f["response_avg"]),
        "response_n": np.where(has, receptions, np.nan),
        "first_response_sum_s": per_reception(f["first_avg"]),
        "first_response_n": np.where(has, receptions, np.nan),
        "reception_sum_s": per_reception(f["reception_avg"]),
        "reception_n": np.where(has, receptions, np.nan),
        "slow_responses": f["slow_responses"][rows].astype(float),
        "transfers_out": f["transfers_out"][rows].astype(float),
        "refund_amount": f["refund_amount"][rows],
        "ratings": f["ratings"][rows].astype(float),
        "ratings_very_satisfied": f["ratings_very_satisfied"][rows].astype(float),
        "ratings_satisfied": f["ratings_satisfied"][rows].astype(float),
        "ratings_neutral": f["ratings_neutral"][rows].astype(float),
        "ratings_dissatisfied": f["ratings_dissatisfied"][rows].astype(float),
        "ratings_very_dissatisfied": f["ratings_very_dissatisfied"][rows].astype(float),
        "satisfied": (f["ratings_very_satisfied"][rows] + f["ratings_satisfied"][rows]).astype(float),
        "workdays": has.astype(float),
    })


# -- writing the files --------------------------------------------------------------------------

def _text(values, digits: int = 2, *, missing: str = EMPTY) -> pa.Array:
    """Numbers as an export prints them (`27.77`, `438`), `missing` for NaN."""
    arr = pa.array(np.round(np.asarray(values, dtype=float), digits), from_pandas=True)
    return pc.if_else(pc.is_null(arr), missing, pc.cast(arr, pa.string()))


def _ints(values, *, missing: str = DELAYED) -> pa.Array:
    arr = pa.array(np.asarray(values, dtype=float), from_pandas=True)
    return pc.if_else(pc.is_null(arr), missing, pc.cast(pc.cast(arr, pa.int64()), pa.string()))


def _percent(num, den, *, unsettled: np.ndarray | None = None) -> pa.Array:
    """`36.99%`; `-` for an empty base; `延迟统计` where the platform has not settled."""
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(den > 0, num / den * 100, np.nan)
    text = pc.binary_join_element_wise(_text(rate), pa.scalar("%"), "")
    text = pc.if_else(pc.equal(text, EMPTY + "%"), EMPTY, text)
    if unsettled is not None:
        text = pc.if_else(pa.array(unsettled), DELAYED, text)
    return text


def _ratio(num, den, *, unsettled: np.ndarray) -> pa.Array:
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(den > 0, num / den, np.nan)
    return pc.if_else(pa.array(unsettled), DELAYED, _text(value))


def chitu_table(who: Agency, f: dict[str, np.ndarray]) -> pa.Table:
    unsettled = f["provisional"]
    receptions = f["receptions"]
    has = receptions > 0
    columns = [
        pc.strftime(pa.array(f["day"]), "%Y-%m-%d"),
        pa.array(who.label[f["agent"]]),
        pa.array(receptions),
        pa.array(f["inquiries"]),
        _ints(f["paid_buyers"]),
        _percent(f["paid_buyers"], f["inquiries"], unsettled=unsettled),
        pa.array(f["ordered_buyers"]),
        _ints(f["nextday_paid_buyers"]),
        _ratio(f["items"], f["sales_buyers"], unsettled=unsettled),
        _ratio(f["sales"], f["sales_buyers"], unsettled=unsettled),
        pc.if_else(pa.array(unsettled), DELAYED, _text(f["sales"])),
        _percent(f["replied"], receptions),
        _text(np.where(has, f["response_avg"], np.nan)),
        _text(np.where(has, f["first_avg"], np.nan)),
        _text(np.where(has, f["reception_avg"], np.nan)),
        pa.array(f["slow_responses"]),
        pa.array(f["transfers_out"]),
        _percent(f["refund_amount"], f["sales"], unsettled=unsettled),
        pa.array(f["ratings"]),
        pa.array(f["ratings_very_satisfied"]),
        pa.array(f["ratings_satisfied"]),
        pa.array(f["ratings_neutral"]),
        pa.array(f["ratings_dissatisfied"]),
        pa.array(f["ratings_very_dissatisfied"]),
        _percent(f["ratings_very_satisfied"] + f["ratings_satisfied"], f["ratings"]),
    ]
    return pa.table(columns, names=[f"c{i}" for i in range(len(columns))])


def _summary_lines(f: dict[str, np.ndarray]) -> list[str]:
    """The `汇总` and `均值` lines a 赤兔 export ends with (not agents: the importer skips them)."""
    total = {k: float(np.nansum(f[k])) for k in ("receptions", "inquiries", "paid_buyers", "ordered_buyers",
                                                  "nextday_paid_buyers", "slow_responses", "transfers_out",
                                                  "ratings", "sales")}
    rows = len(f["receptions"])
    lines = []
    for label, div in (("汇总", 1), ("均值", rows)):
        cells = ["", label] + [EMPTY] * (len(CHITU_HEADER) - 2)
        for name, column in (("receptions", 2), ("inquiries", 3), ("paid_buyers", 4), ("ordered_buyers", 6),
                             ("nextday_paid_buyers", 7), ("sales", 10), ("slow_responses", 15),
                             ("transfers_out", 16), ("ratings", 18)):
            cells[column] = f"{total[name] / div:.2f}".rstrip("0").rstrip(".")
        cells[5] = f"{total['paid_buyers'] / total['inquiries'] * 100:.2f}%"
        lines.append(",".join(cells))
    return lines


def write_chitu(path: Path, who: Agency, f: dict[str, np.ndarray]) -> None:
    table = chitu_table(who, f)
    tmp = path.with_suffix(".part")
    with open(tmp, "wb") as out:
        out.write((",".join(CHITU_HEADER) + "\n").encode("utf-8"))
        pcsv.write_csv(table, out, pcsv.WriteOptions(include_header=False, quoting_style="none"))
        out.write(("\n".join(_summary_lines(f)) + "\n").encode("utf-8"))
    tmp.replace(path)


def transcode(source: Path, target: Path, encoding: str) -> None:
    """The same text in another encoding (what a Windows export tool writes)."""
    tmp = target.with_suffix(".part")
    with open(source, encoding="utf-8", newline="") as src, open(tmp, "w", encoding=encoding, newline="") as dst:
        while block := src.read(1 << 24):
            dst.write(block)
    tmp.replace(target)


def session_chunks(scale: Scale, who: Agency, chunk: int = 1_000_000) -> Iterator[pa.Table]:
    """The session log in time order, one independent generator per chunk."""
    first = np.datetime64(scale.last_day - timedelta(days=scale.session_days - 1), "s")
    chunks = -(-scale.sessions // chunk)
    for k in range(chunks):
        rng = np.random.default_rng([SEED, 3, k])
        m = min(chunk, scale.sessions - k * chunk)
        lo = k * scale.session_days // chunks
        hi = max((k + 1) * scale.session_days // chunks, lo + 1)
        a = rng.integers(0, scale.agents, m)
        day = rng.integers(lo, hi, m)
        second = (rng.normal(15.5 * 3600, 4.5 * 3600, m) % 86400).astype(np.int64)  # busiest mid-afternoon
        started = first + (day * 86400 + second).astype("timedelta64[s]")
        order = np.argsort(started, kind="stable")
        a, started = a[order], started[order]
        answered = rng.random(m) >= who.miss[a]
        wait = np.where(answered, np.round(rng.gamma(2.0, who.first_response[a] / 2), 1), np.nan)
        duration = np.round(rng.gamma(2.0, who.reception_s[a] / 2))
        converted = answered & (rng.random(m) < who.conversion[a])
        amount = np.where(converted, np.round(who.aov[a] * rng.gamma(8, 1 / 8, m), 2), np.nan)
        resolved = answered & (rng.random(m) < 0.86)
        rated = rng.random(m) < 0.15
        rating = np.where(rated, rng.choice([1, 2, 3, 4, 5], m, p=[0.02, 0.03, 0.08, 0.27, 0.60]), np.nan)
        topic = np.array(TOPICS)[rng.integers(0, len(TOPICS), m)]
        lost = ~converted & who.presales[a] & (rng.random(m) < 0.5)
        reason = pa.array(np.array(LOSS_REASONS)[rng.integers(0, len(LOSS_REASONS), m)])
        ids = pc.binary_join_element_wise(
            pa.scalar("S"), pc.utf8_lpad(pc.cast(pa.array(np.arange(k * chunk, k * chunk + m) + 1), pa.string()), 9, "0"),
            "")
        yes_no = lambda b: pa.array(np.where(b, "是", "否"))  # noqa: E731
        yield pa.table([
            ids,
            pa.array(who.label[a]),
            pc.strftime(pa.array(started), "%Y-%m-%d %H:%M:%S"),
            _text(wait, 1, missing=""),
            _text(duration, 0),
            yes_no(answered),
            yes_no(resolved),
            yes_no(converted),
            _text(amount, missing=""),
            _text(rating, 0, missing=""),
            pa.array(topic),
            pc.if_else(pa.array(lost), reason, pa.scalar("", pa.string())),
        ], names=[f"c{i}" for i in range(len(SESSION_HEADER))])


def write_sessions(path: Path, scale: Scale, who: Agency) -> None:
    tmp = path.with_suffix(".part")
    with open(tmp, "wb") as out:
        out.write((",".join(SESSION_HEADER) + "\n").encode("utf-8"))
        for table in session_chunks(scale, who):
            pcsv.write_csv(table, out, pcsv.WriteOptions(include_header=False, quoting_style="none"))
    tmp.replace(path)


# -- the database -----------------------------------------------------------------------------

def qa_scores(scale: Scale, who: Agency) -> pd.DataFrame:
    rng = np.random.default_rng([SEED, 4])
    months = pd.date_range(scale.first_day, scale.last_day, freq="MS").date
    n = scale.agents
    return pd.DataFrame({
        "shop": np.repeat(who.shop, len(months)),
        "account": np.repeat(who.account, len(months)),
        "month": np.tile(months, n),
        "qa_score": np.round(np.clip(rng.normal(85, 7, n * len(months)), 40, 100), 1),
    })


def build_database(path: Path, scale: Scale, who: Agency, f: dict[str, np.ndarray]) -> None:
    """The daily file's figures, stored the way an import stores them, plus people and scores."""
    from csperf import auth

    tmp = path.with_name(path.name + ".part")
    for leftover in (tmp, Path(str(tmp) + ".wal")):
        leftover.unlink(missing_ok=True)
    database = dbmod.Database(tmp)
    try:
        step = 250_000
        total = len(f["agent"])
        chunks = (canonical_facts(scale, who, f, slice(i, min(i + step, total))) for i in range(0, total, step))
        database.apply_import(
            dbmod.ImportMeta(f"赤兔_客服日明细_{scale.first_day}至{scale.last_day}.csv",
                             f"bench-{scale.name}-facts-v{GENERATOR_VERSION}", "bench", period_from=scale.first_day,
                             period_to=scale.last_day, imported_by="bench"),
            chunks,
        )
        roster = who.roster
        qa = qa_scores(scale, who)
        levels = pd.DataFrame({"level": list(LEVELS), "base_salary": list(LEVELS.values())})
        with database.write() as cur:
            for table, frame in (("roster", roster), ("qa_scores", qa), ("level_pay", levels)):
                cur.register("incoming", frame)
                cur.execute(f"INSERT INTO {table} ({', '.join(frame.columns)}) SELECT * FROM incoming")
                cur.unregister("incoming")
        auth.add_user(database, OWNER[0], OWNER[1], "owner")
        with database.cursor() as cur:
            cur.execute("CHECKPOINT")
    finally:
        database.close()
    path.with_name(path.name + ".wal").unlink(missing_ok=True)  # an old file's log would not replay
    tmp.replace(path)


# -- once per scale -----------------------------------------------------------------------------

def _stamp(scale: Scale) -> dict:
    """What the generated data depends on (not how often it is measured)."""
    steps = [m if isinstance(m, str) else f"{m.__name__}: {m.__doc__}" for m in dbmod.MIGRATIONS]
    schema = hashlib.sha256("\n".join(steps).encode()).hexdigest()[:16]
    shape = {k: str(v) for k, v in asdict(scale).items() if k not in ("import_runs", "query_runs")}
    return {"generator": GENERATOR_VERSION, "seed": SEED, "scale": shape, "schema": schema}


def ensure_data(scale: Scale, log=print) -> DataFiles:
    """The scale's files, generated only when missing or made by another generator version."""
    scale.dir.mkdir(parents=True, exist_ok=True)
    period = f"{scale.first_day}至{scale.last_day}"
    session_from = scale.last_day - timedelta(days=scale.session_days - 1)
    files = DataFiles(
        chitu_utf8=scale.dir / f"赤兔_客服日明细_{period}_utf8.csv",
        chitu_gb18030=scale.dir / f"赤兔_客服日明细_{period}_gb18030.csv",
        sessions=scale.dir / f"会话记录_{session_from}至{scale.last_day}.csv",
        database=scale.dir / "scale.duckdb",
        chitu_rows=scale.agent_days,
        session_rows=scale.sessions,
    )
    manifest = scale.dir / "manifest.json"
    stamp = _stamp(scale)
    previous = json.loads(manifest.read_text()) if manifest.exists() else {}
    if previous.get("generator") != stamp["generator"] or previous.get("scale") != stamp["scale"]:
        for old in (files.chitu_utf8, files.chitu_gb18030, files.sessions, files.database):
            old.unlink(missing_ok=True)
    elif previous.get("schema") != stamp["schema"]:
        files.database.unlink(missing_ok=True)  # the schema changed: rebuild only the database
    missing_db = not files.database.exists()
    missing_chitu = not (files.chitu_utf8.exists() and files.chitu_gb18030.exists())
    if missing_db or missing_chitu or not files.sessions.exists():
        who = agency(scale)
        figures = daily_figures(scale, who) if (missing_db or missing_chitu) else None
        if not files.chitu_utf8.exists():
            log(f"  generating {files.chitu_utf8.name} ({scale.agent_days:,} rows)")
            write_chitu(files.chitu_utf8, who, figures)
        if not files.chitu_gb18030.exists():
            log(f"  transcoding to {files.chitu_gb18030.name}")
            transcode(files.chitu_utf8, files.chitu_gb18030, "gb18030")
        if not files.sessions.exists():
            log(f"  generating {files.sessions.name} ({scale.sessions:,} rows)")
            write_sessions(files.sessions, scale, who)
        if missing_db:
            log(f"  building {files.database.name} ({scale.agent_days:,} agent-days)")
            build_database(files.database, scale, who, figures)
    manifest.write_text(json.dumps(stamp, ensure_ascii=False, indent=1))
    return files


def scratch_dir(scale: Scale) -> Path:
    """Where throw-away databases of import runs go (emptied by each run that uses it)."""
    path = scale.dir / "scratch"
    path.mkdir(parents=True, exist_ok=True)
    return path
