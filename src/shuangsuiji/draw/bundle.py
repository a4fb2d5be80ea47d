"""A bundle: the files of one draw, read from a folder or handed over as bytes."""

from __future__ import annotations

import io
import os
import re
import tempfile
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .documents import (
    EntropyValue,
    Params,
    parse_entropy,
    parse_params,
    parse_salt,
    partner_file,
)
from .errors import BundleError
from .primitives import SPEC_V2, gc_paused
from .tables import (
    Conflicts,
    Pool,
    Roster,
    Withheld,
    check_distinct_ids,
    parse_conflicts,
    parse_pool,
    parse_roster,
    parse_withheld,
)

PARAMS = "params.json"
POOL = "pool.txt"
ROSTER = "roster.txt"
CONFLICTS = "conflicts.txt"
ENTROPY = "entropy.json"
SALT = "salt.hex"
COMMITMENT = "commitment.json"
RESULT = "result.json"
#: Optional, public once a revisit sample (回访) has been taken from the revealed draw.
REVISIT = "revisit.json"
#: v2: the withheld exclusions, kept with the salt and published with it at the reveal.
WITHHELD = "withheld.txt"
FILES = (PARAMS, POOL, ROSTER, CONFLICTS, ENTROPY, SALT, COMMITMENT, RESULT, REVISIT, WITHHELD)

#: 部门联合: a partner department's roster (kept like roster.txt: root public, file to
#: auditors). Its name depends on params.json, so it is not in FILES; ``read_files`` picks up
#: every file of this form, and ``parse_bundle`` requires those params.json names whenever
#: roster.txt is required.
PARTNER_FILE_RE = re.compile(r"partner-([0-9A-Z_-]{1,32})\.txt")

COMMIT_INPUTS = (PARAMS, POOL, ROSTER, CONFLICTS)
DRAW_INPUTS = (*COMMIT_INPUTS, ENTROPY, SALT)


@dataclass(frozen=True)
class Bundle:
    """The validated inputs of a draw; the optional parts are None when their file is absent."""

    params: Params
    pool: Pool
    roster: Roster | None = None
    conflicts: Conflicts | None = None
    entropy: tuple[EntropyValue, ...] | None = None
    salt: bytes | None = None
    withheld: Withheld | None = None
    #: 部门联合: the partner rosters present, by department code in params order.
    partner_rosters: dict[str, Roster] = field(default_factory=dict)


def read_files(folder: str | os.PathLike[str]) -> dict[str, bytes]:
    """The bundle files present in ``folder``, by name."""
    path = Path(folder)
    if not path.is_dir():
        raise BundleError(str(path), "", "目录不存在")
    files: dict[str, bytes] = {}
    for name in FILES:
        try:
            files[name] = (path / name).read_bytes()
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise BundleError(name, "", f"无法读取（{exc.strerror}）") from None
    try:
        names = sorted(entry.name for entry in path.iterdir())
    except OSError as exc:
        raise BundleError(str(path), "", f"无法读取目录（{exc.strerror}）") from None
    for name in names:
        if PARTNER_FILE_RE.fullmatch(name):
            try:
                files[name] = (path / name).read_bytes()
            except OSError as exc:
                raise BundleError(name, "", f"无法读取（{exc.strerror}）") from None
    return files


def stray_partner_files(files: Mapping[str, bytes], params: Params) -> list[str]:
    """Partner roster files for departments params.json does not name."""
    codes = {partner.code for partner in params.partners}
    return sorted(
        name
        for name in files
        if (found := PARTNER_FILE_RE.fullmatch(name)) is not None and found.group(1) not in codes
    )


def zip_files(folder: str, files: Mapping[str, bytes]) -> bytes:
    """The files as a zip archive, in one ``folder`` that ``read_files`` reads once unpacked."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(f"{folder}/{name}", content)
    return buffer.getvalue()


def require(files: Mapping[str, bytes], names: Iterable[str]) -> None:
    for name in names:
        if name not in files:
            raise BundleError(name, "", "缺少此文件")


@gc_paused()
def parse_bundle(
    files: Mapping[str, bytes], required: Iterable[str] = (PARAMS, POOL), pool: Pool | None = None
) -> Bundle:
    """Validate every input file present in ``files``; ``required`` ones must be there.
    ``pool``: pool.txt already validated and parsed (pipeline.py), taken as it is."""
    require(files, (PARAMS, POOL, *required))
    params = parse_params(files[PARAMS])
    if params.spec == SPEC_V2 and SALT in required:
        require(files, (WITHHELD,))  # a v2 draw cannot be computed without its exclusions
    if pool is None:
        pool = parse_pool(files[POOL], (s.code for s in params.strata))
    withheld = None
    if params.spec == SPEC_V2 and WITHHELD in files:
        withheld = parse_withheld(files[WITHHELD], pool, params.withheld_from)
    roster = parse_roster(files[ROSTER]) if ROSTER in files else None
    partner_rosters = _parse_partner_rosters(files, params, roster, ROSTER in required)
    return Bundle(
        params=params,
        pool=pool,
        roster=roster,
        conflicts=parse_conflicts(files[CONFLICTS]) if CONFLICTS in files else None,
        entropy=parse_entropy(files[ENTROPY], params) if ENTROPY in files else None,
        salt=parse_salt(files[SALT]) if SALT in files else None,
        withheld=withheld,
        partner_rosters=partner_rosters,
    )


def _parse_partner_rosters(
    files: Mapping[str, bytes], params: Params, roster: Roster | None, required: bool
) -> dict[str, Roster]:
    """部门联合: the partner rosters present (all of them when roster.txt is required), each
    with its own file name in errors, and no inspector on two rosters."""
    stray = stray_partner_files(files, params)
    if stray:
        code = stray[0].removeprefix("partner-").removesuffix(".txt")
        raise BundleError(stray[0], "", f"params.json 的 partners 中没有配合部门 {code}")
    rosters: dict[str, Roster] = {}
    for partner in params.partners:
        name = partner_file(partner.code)
        if name in files:
            rosters[partner.code] = parse_roster(files[name], name)
        elif required:
            raise BundleError(name, "", f"缺少此文件（{partner.label}的执法人员名录）")
    if rosters:
        named = [(ROSTER, roster)] if roster is not None else []
        named += [(partner_file(code), own) for code, own in rosters.items()]
        check_distinct_ids(named)
    return rosters


def load_bundle(folder: str | os.PathLike[str], required: Iterable[str] = (PARAMS, POOL)) -> Bundle:
    return parse_bundle(read_files(folder), required)


def write_atomic(path: Path, data: bytes | Iterable[bytes], mode: int) -> None:
    """Write ``path`` so that readers see either the old file or the whole new one;
    ``data`` may come in pieces, written one after the other."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            if isinstance(data, bytes):
                handle.write(data)
            else:
                handle.writelines(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_new(path: Path, data: bytes, mode: int) -> None:
    """Create ``path`` with exactly ``mode``; fail if it already exists."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    os.fchmod(fd, mode)  # the umask must not change a secret's permissions
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
