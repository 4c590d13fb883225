"""Saved schemes: every save a new version, assignments by role / shop / team and date.

A month's pay must be reproducible to the cent long after the scheme was edited, so a
saved version is never changed, and `scheme_for` picks the version that was in force
for the period: the one an assignment pins, else the latest saved by the end of the
period (the first version also covers everything before it was saved, so a history
imported after install is paid with the scheme that existed first). All writes go
through db.write() and leave an audit row.
"""

from __future__ import annotations

from collections.abc import Callable

import datetime as dt
import os
from importlib import resources
from pathlib import Path

import pandas as pd

from csperf.db import Database
from csperf.scheme import ROLES, Scheme, assessment_period, dump_scheme, load_scheme, validate_scheme

PRESET_FILES = ("presales.toml", "aftersales.toml", "vip.toml", "commission.toml")
PRESET_ASSIGNED_FROM = dt.date(2000, 1, 1)
PRESET_NOTE = "预设 (preset)"


def save_scheme(db: Database, scheme: Scheme, note: str, user: str | None = None) -> int:
    """Store `scheme` as the next version of its name; returns that version number."""
    scheme = validate_scheme(scheme)
    with db.write() as cur:
        return _insert_version(db, cur, scheme, note, user)


def list_schemes(db: Database) -> pd.DataFrame:
    """Every saved version: name, version, role, description, note, created_at, created_by, latest."""
    stored = db.query(
        "SELECT name, version, toml, note, created_at, created_by, "
        "version = max(version) OVER (PARTITION BY name) AS latest "
        "FROM schemes ORDER BY name, version"
    )
    parsed = [load_scheme(text) for text in stored["toml"]]
    stored.insert(2, "role", [s.role for s in parsed])
    stored.insert(3, "description", [s.description for s in parsed])
    return stored.drop(columns="toml")


# the version of a scheme in force on a day (the parameter): the latest saved by its end in
# Asia/Shanghai, or the first when none had been saved by then
_IN_FORCE = ("coalesce(max(version) FILTER (WHERE created_at < CAST(CAST(? AS DATE) + 1 AS TIMESTAMPTZ)), "
             "min(version))")


def get_scheme(db: Database, name: str, version: int | None = None, *,
               as_of: dt.date | str | None = None) -> tuple[Scheme, int]:
    """A saved scheme: `version`; else the version that pays a period ending on `as_of` (as
    for an assignment without a pinned version: `resolver`); else the latest."""
    if version is None and as_of is not None:
        as_of = _as_date(as_of, "as_of")

        def in_force(day: dt.date) -> int | None:
            return db.rows(f"SELECT {_IN_FORCE} FROM schemes WHERE name = ?", [day, name])[0][0]

        version = in_force(assessment_period("month", as_of)[1])
        if version is not None:
            period = get_scheme(db, name, version)[0].period
            if period != "month":
                whole = assessment_period(period, as_of)
                version = in_force(whole[1] if whole else as_of)
    if version is None:
        found = db.rows("SELECT toml, version FROM schemes WHERE name = ? ORDER BY version DESC LIMIT 1", [name])
    else:
        found = db.rows("SELECT toml, version FROM schemes WHERE name = ? AND version = ?", [name, version])
    if not found:
        which = f"{name!r}" + (f" v{version}" if version is not None else "")
        raise KeyError(f"没有方案 {which} — no saved scheme {which}")
    return load_scheme(found[0][0]), int(found[0][1])


def assign_scheme(
    db: Database,
    role: str,
    name: str,
    valid_from: dt.date | str,
    shop: str = "",
    team: str = "",
    version: int | None = None,
    user: str | None = None,
) -> None:
    """Use scheme `name` for `role` (optionally one shop or team) from `valid_from` on.

    With no `version`, each period uses the latest version saved by its end.
    """
    if role not in ROLES:
        raise ValueError(f"未知角色 {role!r}，可选 {' | '.join(ROLES)} — unknown role")
    scheme = get_scheme(db, name, version)[0]  # the scheme (and version) must exist
    if role != "all" and scheme.role not in (role, "all"):  # it would score none of the role's agents
        raise ValueError(f"方案“{name}”是 {scheme.role} 岗位的方案，不能指派给 {role} — "
                         f"scheme {name} is for role {scheme.role}, not {role}")
    valid_from = _as_date(valid_from, "valid_from")
    with db.write() as cur:
        _insert_assignment(db, cur, role, shop or "", team or "", valid_from, name, version, user)


def list_assignments(db: Database) -> pd.DataFrame:
    """Every assignment: role, shop, team, valid_from, scheme_name, scheme_version (NULL = latest)."""
    return db.query(
        "SELECT role, shop, team, valid_from, scheme_name, scheme_version FROM scheme_assignments "
        "ORDER BY role, shop, team, valid_from"
    )


def scheme_for(
    db: Database, role: str | None, on_date: dt.date | str, shop: str | None = None, team: str | None = None
) -> tuple[Scheme, int]:
    """The scheme and version in force for an agent on `on_date` — pass the period's last day.

    The most specific assignment wins (shop, then team, then the exact role over `all`);
    among equally specific ones, the latest `valid_from` on or before the date. An
    assignment without a pinned version takes the latest version saved by the end of the
    scheme's assessment period holding the date (Asia/Shanghai; see `resolver`), or the
    first version when none had been saved by then.
    """
    return resolver(db, on_date)(role, shop, team)


def resolver(db: Database, on_date: dt.date | str) -> Callable[[str | None, str | None, str | None], tuple[Scheme, int]]:
    """`scheme_for` for many agents at once: two queries a day looked at, each scheme version
    parsed once.

    The assignments are those valid on `on_date`; an unpinned one takes the version in force
    at the end of its scheme's own assessment period (the month, or the Monday–Sunday week)
    holding `on_date`: 11-01~11-23 of a month still running is paid as the whole month will
    be, with a version saved on 11-24, where the version of its last data day left the
    supervisor's new version out of 本月 until the next day's data came in. A custom-period
    scheme takes the version of `on_date` itself.
    """
    on_date = _as_date(on_date, "on_date")
    month_end = assessment_period("month", on_date)[1]
    on_day: dict[dt.date, Callable] = {}

    def at(day: dt.date) -> Callable:
        if day not in on_day:
            on_day[day] = _resolver_on(db, on_date, day)
        return on_day[day]

    def resolve(role: str | None, shop: str | None = None, team: str | None = None) -> tuple[Scheme, int]:
        scheme, version = at(month_end)(role, shop, team)
        if scheme.period == "month":
            return scheme, version
        whole = assessment_period(scheme.period, on_date)
        return at(whole[1] if whole else on_date)(role, shop, team)

    return resolve


def _resolver_on(db: Database, on_date: dt.date,
                 versions_on: dt.date) -> Callable[[str | None, str | None, str | None], tuple[Scheme, int]]:
    """The assignments valid on `on_date`, with the versions in force on `versions_on`."""
    assignments = db.rows(
        """SELECT role, shop, team, scheme_name, scheme_version FROM scheme_assignments
           WHERE valid_from <= ?
           ORDER BY (shop <> '') DESC, (team <> '') DESC, (role <> 'all') DESC, valid_from DESC""",
        [on_date],
    )
    in_force = dict(db.rows(f"SELECT name, {_IN_FORCE} FROM schemes GROUP BY name", [versions_on]))
    parsed: dict[tuple[str, int], tuple[Scheme, int]] = {}

    def resolve(role: str | None, shop: str | None = None, team: str | None = None) -> tuple[Scheme, int]:
        for a_role, a_shop, a_team, name, pinned in assignments:
            if a_role in (role or "all", "all") and a_shop in ("", shop or "") and a_team in ("", team or ""):
                break
        else:
            raise LookupError(
                f"{on_date} 没有给角色 {role or '(无)'}"
                + (f"（店铺 {shop}）" if shop else "")
                + f" 指派方案 — no scheme is assigned to role {role!r} on {on_date}"
            )
        version = pinned if pinned is not None else in_force.get(name)
        if version is None:
            raise LookupError(f"指派的方案 {name!r} 不存在 — assigned scheme {name!r} has no saved version")
        if (name, int(version)) not in parsed:
            parsed[(name, int(version))] = get_scheme(db, name, int(version))
        return parsed[(name, int(version))]

    return resolve


def ensure_presets(db: Database, user: str | None = None) -> list[str]:
    """Save the shipped presets as version 1 and assign them to their roles from 2000-01-01.

    Idempotent: a preset whose name is already stored is left alone, and a role that
    already has an assignment keeps it. The commission plan shares the pre-sales role
    with the pre-sales preset, so it is saved but not assigned. Returns the names saved.
    """
    saved = []
    with db.write() as cur:
        for file_name in PRESET_FILES:
            scheme = load_scheme((resources.files("csperf") / "presets" / file_name).read_text(encoding="utf-8"))
            if cur.execute("SELECT 1 FROM schemes WHERE name = ?", [scheme.name]).fetchall():
                continue
            _insert_version(db, cur, scheme, PRESET_NOTE, user)
            saved.append(scheme.name)
            if not cur.execute("SELECT 1 FROM scheme_assignments WHERE role = ?", [scheme.role]).fetchall():
                _insert_assignment(db, cur, scheme.role, "", "", PRESET_ASSIGNED_FROM, scheme.name, None, user)
    return saved


def import_scheme_file(db: Database, path: str | os.PathLike, note: str, user: str | None = None) -> int:
    """Save a TOML scheme file as a new version of its name; returns the version.

    A bad file raises SchemeError naming the fields, and nothing is saved."""
    return save_scheme(db, load_scheme(Path(path)), note, user)


def same_as_saved(db: Database, scheme: Scheme) -> int | None:
    """The latest saved version of `scheme`'s name that it is exactly (as stored), if any:
    importing a file exported earlier would otherwise add a version that changes nothing."""
    found = db.rows("SELECT max(version) FROM schemes WHERE name = ? AND toml = ?",
                    [scheme.name, dump_scheme(validate_scheme(scheme))])
    return None if found[0][0] is None else int(found[0][0])


def export_scheme(db: Database, name: str, version: int | None = None) -> str:
    """The TOML text of a saved version, exactly as stored."""
    if version is None:
        version = get_scheme(db, name)[1]
    text = db.scalar("SELECT toml FROM schemes WHERE name = ? AND version = ?", [name, version])
    if text is None:
        raise KeyError(f"没有方案 {name!r} v{version} — no saved scheme {name!r} v{version}")
    return text


# -- internals ----------------------------------------------------------------------------


def _insert_version(db: Database, cur, scheme: Scheme, note: str, user: str | None) -> int:
    version = cur.execute("SELECT coalesce(max(version), 0) + 1 FROM schemes WHERE name = ?",
                          [scheme.name]).fetchall()[0][0]
    cur.execute(
        "INSERT INTO schemes (name, version, toml, note, created_by) VALUES (?, ?, ?, ?, ?)",
        [scheme.name, version, dump_scheme(scheme), note, user],
    )
    db.audit(cur, user, "scheme_save", f"{scheme.name} v{version}: {note}")
    return int(version)


def _insert_assignment(db: Database, cur, role, shop, team, valid_from, name, version, user) -> None:
    cur.execute(
        "INSERT OR REPLACE INTO scheme_assignments (role, shop, team, valid_from, scheme_name, scheme_version) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [role, shop, team, valid_from, name, version],
    )
    scope = "/".join(x for x in (shop, team) if x) or "全部"
    pinned = f" v{version}" if version is not None else " (最新 latest)"
    db.audit(cur, user, "scheme_assign", f"{role} {scope} 自 {valid_from}: {name}{pinned}")


def _as_date(value: dt.date | str, field: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{field}: 日期格式应为 YYYY-MM-DD，实为 {value!r} — not a date") from None

