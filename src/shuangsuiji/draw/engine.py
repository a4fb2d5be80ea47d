"""Commit and compute: the two steps that produce files of a bundle."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from . import jsonfile
from .bundle import COMMITMENT, WITHHELD, Bundle
from .documents import PARTNER_ROSTERS, Commitment, Params, Partner
from .errors import BundleError, key
from .matching import Assignment, Matching, match_ordered, order_tasks
from .merkle import mth
from .primitives import SPEC, SPEC_V2, gc_paused
from .seed import derive_seed, entropy_bytes, salt_commit, withheld_commit
from .selection import StratumDraw, draw_strata
from .tables import WITHHELD_FIELDS, Conflicts, Roster
from .textfile import split_lines


@dataclass(frozen=True, eq=False)
class Result:
    draw_id: str
    seed: bytes
    strata: list[StratumDraw]
    matching: Matching = field(repr=False)
    spec: str = SPEC

    @cached_property
    def assignments(self) -> list[Assignment]:
        """The teams in task order."""
        return self.matching.assignments()

    @gc_paused()  # a hundred thousand small dicts beside a million live objects
    def as_dict(self) -> dict[str, Any]:
        return {
            "spec": self.spec,
            "draw_id": self.draw_id,
            "seed": self.seed.hex(),
            "strata": [stratum.as_dict() for stratum in self.strata],
            "assignments": [assignment.as_dict() for assignment in self.assignments],
        }

    def dumps(self) -> bytes:
        """result.json: exactly ``jsonfile.dumps(self.as_dict())``, written from the draw's
        compact form without a string, a dict or an object per candidate or task."""
        return b"".join(self.parts())

    def parts(self) -> list[bytes]:
        """``dumps()`` in pieces, to write without joining them first."""
        if self.matching.partners:
            assignments = [assignment.as_dict() for assignment in self.assignments]
            return jsonfile.result_parts(
                self.spec, self.draw_id, self.seed, self.strata, assignments
            )
        return jsonfile.result_parts(self.spec, self.draw_id, self.seed, self.strata, self.matching)


def new_salt() -> bytes:
    return secrets.token_bytes(32)


def commit(bundle: Bundle, salt: bytes) -> Commitment:
    """The commitment of a bundle whose params, pool, roster and conflicts are present, and
    the roster of every partner department params.json names (部门联合)."""
    if bundle.roster is None or bundle.conflicts is None:
        raise ValueError("commit needs roster.txt and conflicts.txt")
    partners = _partner_rosters(bundle)
    return Commitment(
        spec=bundle.params.spec,
        draw_id=bundle.params.draw_id,
        params_hash=bundle.params.params_hash.hex(),
        pool_root=bundle.pool.root.hex(),
        roster_root=bundle.roster.root.hex(),
        conflicts_root=bundle.conflicts.root.hex(),
        salt_commit=salt_commit(salt).hex(),
        partner_rosters={p.code: r.root.hex() for p, r in partners} if partners else None,
    )


def _partner_rosters(bundle: Bundle) -> list[tuple[Partner, Roster]]:
    """Each partner of params.json with its roster; every one must be there."""
    partners = []
    for partner in bundle.params.partners:
        roster = bundle.partner_rosters.get(partner.code)
        if roster is None:
            raise BundleError(partner.file, "", f"缺少此文件（{partner.label}的执法人员名录）")
        partners.append((partner, roster))
    return partners


def commit_withheld(salt: bytes, withheld: bytes) -> bytes:
    """v2's ``withheld_commit`` for the bytes of withheld.txt, before params.json exists (it
    carries the value). The file's own rules are checked when the bundle is parsed."""
    return withheld_commit(salt, mth(split_lines(WITHHELD, withheld, WITHHELD_FIELDS)))


def check_commitment(expected: Commitment, found: Commitment) -> None:
    """Stop when an existing commitment.json disagrees with the bundle it stands beside."""
    for name, value in expected.as_dict().items():
        if getattr(found, name) != value:
            raise BundleError(
                COMMITMENT,
                key(name),
                f"与本目录文件计算的值不一致（文件中为 {getattr(found, name)}，计算得 {value}）",
            )
    if expected.partner_rosters is None and found.partner_rosters is not None:
        raise BundleError(
            COMMITMENT, key(PARTNER_ROSTERS), "params.json 没有配合部门（partners），承诺中却有此键"
        )


@gc_paused()
def compute(bundle: Bundle) -> Result:
    """Seed, selection and matching of a bundle whose six input files are all present, and
    the partner rosters when params.json names partner departments (部门联合)."""
    if (
        bundle.roster is None
        or bundle.conflicts is None
        or bundle.entropy is None
        or bundle.salt is None
    ):
        raise ValueError("compute needs roster, conflicts, entropy and salt")
    params = bundle.params
    seed = derive_seed(
        bundle.salt,
        params.params_hash,
        bundle.pool.root,
        bundle.roster.root,
        bundle.conflicts.root,
        entropy_bytes(bundle.entropy),
    )
    skip = frozenset()
    if params.spec == SPEC_V2:
        if bundle.withheld is None:
            raise BundleError(WITHHELD, "", "缺少此文件")
        if withheld_commit(bundle.salt, bundle.withheld.root) != params.withheld_commit:
            raise BundleError(WITHHELD, "", "与 params.json 的 withheld_commit 不一致")
        skip = bundle.withheld.ids
    partners = _partner_rosters(bundle)
    strata = draw_strata(seed, params, bundle.pool, skip)
    return result(seed, params, strata, bundle.roster, bundle.conflicts, partners)


def result(
    seed: bytes,
    params: Params,
    strata: list[StratumDraw],
    roster: Roster,
    conflicts: Conflicts,
    partners: list[tuple[Partner, Roster]],
) -> Result:
    """The draw's result once its strata are drawn: the tasks are matched."""
    tasks = order_tasks(seed, [task for stratum in strata for task in stratum.tasks()])
    matching = match_ordered(seed, params.team_size, tasks, roster.inspectors, conflicts, partners)
    return Result(
        draw_id=params.draw_id, seed=seed, strata=strata, matching=matching, spec=params.spec
    )
