"""Launches, milestones and their promise versions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, time
from typing import Any

from sqlalchemy import Insert, Table, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, RowMapping

from yaksok.domain.cadence import Cadence, parse_weekdays
from yaksok.domain.launch import Launch, Milestone, MilestoneKind, Occurrence, Sku
from yaksok.domain.notice import NoticeKind
from yaksok.domain.policy import Policy
from yaksok.domain.promise import ChangeKind, Precision, Promise, PromiseVersion
from yaksok.store import port
from yaksok.store.tables import cadences, launches, milestones, promise_versions


class LaunchRepository(port.LaunchRepository):
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def add(self, launch: Launch, now: datetime) -> bool:
        """Add the launch; False, adding nothing, when its slug is taken (even by a launch added
        at the same moment by a transaction not yet committed: the insert waits for it)."""
        query = _insert_if_absent(self._db, launches).values(
            slug=launch.slug,
            titles=launch.titles,
            zone=launch.zone,
            market=launch.market,
            skus=_skus(launch.skus),
            per_customer_limit=launch.per_customer_limit,
            policy=launch.policy.to_stored(),
            languages=list(launch.languages),
            created_at=now,
        )
        return self._db.execute(query.returning(launches.c.slug)).first() is not None

    def set_titles(self, slug: str, titles: dict[str, str]) -> None:
        self._db.execute(update(launches).where(launches.c.slug == slug).values(titles=titles))

    def set_offer(self, slug: str, skus: tuple[Sku, ...], per_customer_limit: int) -> None:
        values = {"skus": _skus(skus), "per_customer_limit": per_customer_limit}
        self._db.execute(update(launches).where(launches.c.slug == slug).values(**values))

    def set_languages(self, slug: str, languages: tuple[str, ...]) -> None:
        values = {"languages": list(languages)}
        self._db.execute(update(launches).where(launches.c.slug == slug).values(**values))

    def set_policy(self, slug: str, policy: Policy) -> None:
        self._db.execute(update(launches).where(launches.c.slug == slug).values(policy=policy.to_stored()))

    def exists(self, slug: str) -> bool:
        return self._db.execute(select(launches.c.slug).where(launches.c.slug == slug)).first() is not None

    def get(self, slug: str) -> Launch | None:
        row = self._db.execute(select(launches).where(launches.c.slug == slug)).mappings().first()
        return None if row is None else _launch(row)

    def claim(self, slug: str) -> Launch | None:
        """The launch, its row locked until the transaction ends (see ``NoticeRepository.claim``)."""
        # One statement built once: the reservation writer claims the launch in every batch.
        row = self._db.execute(_CLAIM, {"slug": slug}).mappings().first()
        return None if row is None else _launch(row)

    def list(self) -> list[Launch]:
        rows = self._db.execute(select(launches).order_by(launches.c.created_at, launches.c.slug))
        return [_launch(row) for row in rows.mappings()]


_CLAIM = select(launches).where(launches.c.slug == bindparam("slug")).with_for_update(key_share=True)


def _skus(skus: tuple[Sku, ...]) -> list[dict[str, Any]]:
    return [{"code": s.code, "titles": s.titles, "cap": s.cap} for s in skus]


def _insert_if_absent(db: Connection, table: Table) -> Insert:
    """An INSERT that does nothing when the primary key is taken (then it returns no row)."""
    dialect_insert = postgresql.insert if db.dialect.name == "postgresql" else sqlite.insert
    return dialect_insert(table).on_conflict_do_nothing()


def _launch(row: RowMapping) -> Launch:
    return Launch(
        slug=row["slug"],
        titles=dict(row["titles"]),
        zone=row["zone"],
        market=row["market"],
        skus=tuple(Sku(code=s["code"], titles=dict(s["titles"]), cap=s.get("cap")) for s in row["skus"]),
        per_customer_limit=row["per_customer_limit"],
        policy=Policy.from_stored(row["policy"]),
        languages=tuple(row["languages"]),
    )


class MilestoneRepository(port.MilestoneRepository):
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def add(self, milestone: Milestone) -> None:
        position = self._db.execute(
            select(func.count())
            .select_from(milestones)
            .where(milestones.c.launch_slug == milestone.launch_slug)
        ).scalar_one()
        self._db.execute(
            insert(milestones).values(
                id=milestone.id,
                launch_slug=milestone.launch_slug,
                key=milestone.key,
                kind=milestone.kind.value,
                titles=milestone.titles,
                position=position,
                occurrence_note="",
            )
        )
        for version in milestone.versions:
            self.add_version(version)

    def add_version(self, version: PromiseVersion) -> None:
        promise = version.promise
        local = promise.local
        self._db.execute(
            insert(promise_versions).values(
                milestone_id=version.milestone_id,
                version=version.version,
                at=promise.at,
                zone=promise.zone,
                local_time=None if local is None else local.strftime("%Y-%m-%dT%H:%M"),
                precision=promise.precision.value,
                made_at=version.made_at,
                reason=dict(version.reason),
                change_kind=None if version.change_kind is None else version.change_kind.value,
                notice_id=version.notice_id,
                overridden=list(version.overridden),
                justification=dict(version.justification),
            )
        )

    def set_titles(self, milestone_id: str, titles: dict[str, str]) -> None:
        self._db.execute(update(milestones).where(milestones.c.id == milestone_id).values(titles=titles))

    def record_occurrence(self, milestone: Milestone) -> bool:
        """Record the milestone's occurrence; False, writing nothing, if one is already recorded."""
        occurrence = milestone.occurrence
        assert occurrence is not None
        result = self._db.execute(
            update(milestones)
            .where(milestones.c.id == milestone.id, milestones.c.occurred_at.is_(None))
            .values(
                occurred_at=occurrence.at,
                occurrence_recorded_at=occurrence.recorded_at,
                occurrence_note=occurrence.note,
            )
        )
        return result.rowcount == 1

    def mark_broken(self, milestone_id: str, version: int) -> bool:
        """Record that ``version`` was broken; False if it already was."""
        result = self._db.execute(
            update(milestones)
            .where(milestones.c.id == milestone_id)
            .where((milestones.c.broken_version.is_(None)) | (milestones.c.broken_version < version))
            .values(broken_version=version)
        )
        return result.rowcount == 1

    def get(self, milestone_id: str) -> Milestone | None:
        found = self._load(milestones.c.id == milestone_id)
        return found[0] if found else None

    def claim(self, milestone_id: str) -> Milestone | None:
        """The milestone with every promise version, its row locked until the transaction ends:
        the next version number and the policy checks are decided on what is really current."""
        found = self._load(milestones.c.id == milestone_id, lock=True)
        return found[0] if found else None

    def for_launch(self, slug: str) -> list[Milestone]:
        return self._load(milestones.c.launch_slug == slug)

    def all(self) -> list[Milestone]:
        return self._load(None)

    def _load(self, where: Any, *, lock: bool = False) -> list[Milestone]:
        query = select(milestones).order_by(milestones.c.launch_slug, milestones.c.position)
        if where is not None:
            query = query.where(where)
        if lock:
            query = query.with_for_update(key_share=True)
        rows = list(self._db.execute(query).mappings())
        if not rows:
            return []
        versions = self._versions([row["id"] for row in rows])
        return [_milestone(row, tuple(versions[row["id"]])) for row in rows]

    def _versions(self, ids: Iterable[str]) -> dict[str, list[PromiseVersion]]:
        found: dict[str, list[PromiseVersion]] = defaultdict(list)
        query = (
            select(promise_versions)
            .where(promise_versions.c.milestone_id.in_(list(ids)))
            .order_by(promise_versions.c.milestone_id, promise_versions.c.version)
        )
        for row in self._db.execute(query).mappings():
            found[row["milestone_id"]].append(_version(row))
        return found


def _version(row: RowMapping) -> PromiseVersion:
    return PromiseVersion(
        milestone_id=row["milestone_id"],
        version=row["version"],
        promise=Promise(at=row["at"], zone=row["zone"], precision=Precision(row["precision"])),
        made_at=row["made_at"],
        reason=dict(row["reason"]),
        change_kind=None if row["change_kind"] is None else ChangeKind(row["change_kind"]),
        notice_id=row["notice_id"],
        overridden=tuple(row["overridden"]),
        justification=dict(row["justification"]),
    )


def _milestone(row: RowMapping, versions: tuple[PromiseVersion, ...]) -> Milestone:
    occurrence = None
    if row["occurred_at"] is not None:
        occurrence = Occurrence(
            at=row["occurred_at"], recorded_at=row["occurrence_recorded_at"], note=row["occurrence_note"]
        )
    return Milestone(
        id=row["id"],
        launch_slug=row["launch_slug"],
        key=row["key"],
        kind=MilestoneKind(row["kind"]),
        titles=dict(row["titles"]),
        versions=versions,
        occurrence=occurrence,
    )


class CadenceRepository(port.CadenceRepository):
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def add(self, cadence: Cadence, now: datetime) -> None:
        self._db.execute(
            insert(cadences).values(
                id=cadence.id,
                launch_slug=cadence.launch_slug,
                weekdays=",".join(str(d) for d in cadence.weekdays),
                local_time=cadence.local_time.strftime("%H:%M"),
                zone=cadence.zone,
                titles=cadence.titles,
                kind=cadence.kind.value,
                last_slot_at=cadence.last_slot_at,
                created_at=now,
                active=True,
            )
        )

    def mark_slot(self, cadence_id: str, slot: datetime) -> bool:
        """Record ``slot`` as filled; False, writing nothing, if it or a later one already was."""
        query = update(cadences).where(
            cadences.c.id == cadence_id,
            (cadences.c.last_slot_at.is_(None)) | (cadences.c.last_slot_at < slot),
        )
        return self._db.execute(query.values(last_slot_at=slot)).rowcount == 1

    def deactivate(self, cadence_id: str) -> bool:
        """Stop an active cadence; False when it was not active (already ended or unknown)."""
        query = update(cadences).where(cadences.c.id == cadence_id, cadences.c.active.is_(True))
        return self._db.execute(query.values(active=False)).rowcount == 1

    def get(self, cadence_id: str) -> Cadence | None:
        row = self._db.execute(select(cadences).where(cadences.c.id == cadence_id)).mappings().first()
        return None if row is None else _cadence(row)

    def claim_active(self, cadence_id: str) -> Cadence | None:
        """The cadence if it is still active, its row locked until the transaction ends; None if
        it ended (perhaps a moment ago) or does not exist."""
        query = (
            select(cadences)
            .where(cadences.c.id == cadence_id, cadences.c.active.is_(True))
            .with_for_update(key_share=True)
        )
        row = self._db.execute(query).mappings().first()
        return None if row is None else _cadence(row)

    def active(self, launch_slug: str | None = None) -> list[Cadence]:
        query = select(cadences).where(cadences.c.active.is_(True)).order_by(cadences.c.created_at)
        if launch_slug is not None:
            query = query.where(cadences.c.launch_slug == launch_slug)
        return [_cadence(row) for row in self._db.execute(query).mappings()]


def _cadence(row: RowMapping) -> Cadence:
    days = tuple(int(d) for d in row["weekdays"].split(",")) if row["weekdays"] else parse_weekdays("daily")
    return Cadence(
        id=row["id"],
        launch_slug=row["launch_slug"],
        weekdays=days,
        local_time=time.fromisoformat(row["local_time"]),
        zone=row["zone"],
        titles=dict(row["titles"]),
        kind=NoticeKind(row["kind"]),
        last_slot_at=row["last_slot_at"] or row["created_at"],
    )
