"""The demo: generate example exports and load them through the real import path.

A first-time user should see a working dashboard before they have downloaded anything.
The demo files go through the same importer as a shop's own downloads (not straight into
the tables), so the import log, undo, provisional days and unknown-column notices all
look exactly as they will with real files. The generator lives in data/make_demo.py so
it can also be run on its own; data/ is not a package, so it is loaded by path.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from types import ModuleType

import pandas as pd

from csperf import importer, queries, roster, targets
from csperf.db import PROJECT_ROOT, Database

DEMO_USER = "demo"
_GENERATOR = PROJECT_ROOT / "data" / "make_demo.py"
_MODULE_NAME = "csperf_demo_data"


@dataclass
class DemoSummary:
    files: int
    imported: int
    already_imported: int
    fact_rows: int
    sessions: int
    roster_rows: int
    qa_scores: int
    targets: int = 0
    problems: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        text = (
            f"演示数据：{self.files} 个文件，新导入 {self.imported} 个（{self.already_imported} 个已导入过），"
            f"{self.fact_rows} 行数据、{self.sessions} 条会话；花名册 {self.roster_rows} 个账号，"
            f"质检分 {self.qa_scores} 条，月度目标 {self.targets} 个 — demo loaded"
        )
        return "\n".join([text, *self.problems])


def _set_targets(db: Database, maker: ModuleType) -> int:
    """The owner's targets for the demo's last two months, as a shop sets them: each shop's
    and each pre-sales agent's sales a growth over the month before (when the demo holds
    that whole month and the agent worked it), the levels of the generator's TARGET_LEVELS.
    A target already set (a demo loaded twice, or the owner's own) is left alone."""
    first, last = queries.data_range(db)
    if last is None:
        return 0
    taken = targets.targets_frame(db)
    taken = set(zip(pd.to_datetime(taken["month"]).dt.date, taken["shop"], taken["account"], taken["metric"]))
    wanted: list[tuple[date, str, str, str, float]] = []
    current = last.replace(day=1)
    for month in ((current - timedelta(days=1)).replace(day=1), current):
        before_end = month - timedelta(days=1)
        if before_end.replace(day=1) < first:  # no whole month to grow from
            sales, people = {}, {}
        else:
            shops = queries.kpi_table(db, before_end.replace(day=1), before_end, by="shop")
            sales = {shop: round(value * maker.SALES_GROWTH, -4) for shop, value in zip(shops["shop"], shops["sales"])
                     if value > 0}
            agents = queries.agent_kpis(db, before_end.replace(day=1), before_end)
            agents = agents[agents["role"] == "presales"]
            # someone who sold a fraction of the shop's usual (a hire late in the month) gets
            # no target from it: a shop sets theirs after a whole month of work
            usual = agents.groupby("shop")["sales"].transform("median")
            people = {(shop, agent): round(value * maker.SALES_GROWTH, -3)
                      for shop, agent, value, typical in zip(agents["shop"], agents["agent"], agents["sales"], usual)
                      if value > 0 and value >= typical / 3}
        wanted += [(month, shop, targets.ALL, "sales", value) for shop, value in sales.items()]
        wanted += [(month, shop, agent, "sales", value) for (shop, agent), value in people.items()]
        if sales:
            wanted.append((month, targets.ALL, targets.ALL, "sales", sum(sales.values())))
        wanted += [(month, targets.ALL, targets.ALL, metric, level) for metric, level in maker.TARGET_LEVELS.items()]
    fresh = [goal for goal in wanted if goal[:4] not in taken]
    for month, shop, account, metric, value in fresh:
        targets.set_target(db, metric, month, value, shop=shop, account=account, user=DEMO_USER)
    return len(fresh)


def generator() -> ModuleType:
    """data/make_demo.py as a module (registered first: its dataclasses need their module)."""
    if _MODULE_NAME in sys.modules:
        return sys.modules[_MODULE_NAME]
    spec = importlib.util.spec_from_file_location(_MODULE_NAME, _GENERATOR)
    module = importlib.util.module_from_spec(spec)
    sys.modules[_MODULE_NAME] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[_MODULE_NAME]
        raise
    return module


def holds_real_data(db: Database) -> bool:
    """Figures someone imported (not the demo loader): the demo must not mix into them,
    nor give such a database its public demo login."""
    return bool(db.scalar("SELECT EXISTS (SELECT 1 FROM imports WHERE undone_at IS NULL "
                          "AND coalesce(imported_by, '') <> ?)", [DEMO_USER]))


def is_empty(db: Database) -> bool:
    """No figures yet: the dashboard offers the demo, `csperf demo --if-empty` loads it."""
    return not db.scalar("SELECT EXISTS (SELECT 1 FROM facts)")


def load_demo(
    db: Database, out_dir: str | Path | None = None, progress: importer.Progress | None = None
) -> DemoSummary:
    """Write the demo files (data/demo/ by default) and import every one of them.

    `progress(done, total, message)` is called once per file, like the importer's own.
    """
    maker = generator()
    out = Path(out_dir) if out_dir is not None else maker.DEFAULT_OUT
    if progress:
        progress(0, 0, "生成演示文件 — writing the demo files")
    paths = maker.generate(out)
    side_files = {maker.ROSTER_FILE, maker.QA_FILE}
    exports = [p for p in paths if p.name not in side_files]
    total = len(exports) + 2
    results = []
    for done, path in enumerate(exports):
        if progress:
            progress(done, total, f"导入 {path.name}")
        results.extend(importer.import_files(db, [path], user=DEMO_USER))
    if progress:
        progress(len(exports), total, f"导入 {maker.ROSTER_FILE}")
    people = roster.import_roster(db, out / maker.ROSTER_FILE, user=DEMO_USER)
    configured = set(roster.level_pay_frame(db)["level"])
    for level, amount in maker.LEVEL_PAY.items():
        if level not in configured:
            roster.set_level_pay(db, level, amount, user=DEMO_USER)
    if progress:
        progress(len(exports) + 1, total, f"导入 {maker.QA_FILE}")
    scores = roster.import_qa(db, out / maker.QA_FILE, user=DEMO_USER)
    goals = _set_targets(db, maker)
    if progress:
        progress(total, total, "演示数据已载入 — demo loaded")
    return DemoSummary(
        files=len(paths),
        imported=sum(1 for r in results if r.ok and not r.duplicate),
        already_imported=sum(1 for r in results if r.duplicate),
        fact_rows=sum(r.rows for r in results),
        sessions=sum(r.sessions for r in results),
        roster_rows=people.rows,
        qa_scores=scores.scores,
        targets=goals,
        problems=[r.error for r in results if not r.ok],
    )
