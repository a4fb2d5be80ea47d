"""SHUANGSUIJI-DRAW-v1 and v2: the verifiable random draw of inspection targets and inspectors.

Pure standard library, so that anyone can re-run a draw offline. Every function works on
the bytes of the bundle files; ``read_files`` and ``load_bundle`` are the thin file layer.

    files = read_files("bundle/")           # or bytes from a database, by file name
    bundle = parse_bundle(files, DRAW_INPUTS)
    result = compute(bundle)                # result.dumps() is result.json: dumps(result.as_dict())
    params, commitment, result = compute_files(files)  # all of `draw compute`, on two cores
    report = verify(files)                  # report.ok, report.checks
    sample = draw_revisit(result.seed, result.draw_id, done, 1, 10)  # 回访 10%: revisit.json

部门联合抽查: params.json names the partner departments (``render_params(partners=[Partner(…)])``)
and each one's roster is the file ``partner_file(code)`` (``render_roster``); every assignment
of the result then carries ``partners``, one ``PartnerTeam`` per department.
"""

from .build import (
    Candidate,
    render_conflicts,
    render_entropy,
    render_params,
    render_pool,
    render_roster,
    render_withheld,
)
from .bundle import (
    COMMIT_INPUTS,
    DRAW_INPUTS,
    FILES,
    WITHHELD,
    Bundle,
    load_bundle,
    parse_bundle,
    read_files,
)
from .documents import (
    Commitment,
    EntropyValue,
    Params,
    Partner,
    Source,
    parse_commitment,
    partner_file,
)
from .engine import Result, check_commitment, commit, commit_withheld, compute, new_salt
from .errors import BundleError
from .jsonfile import dumps
from .matching import ANY_REGION, Assignment, PartnerTeam
from .pipeline import compute_files
from .revisit import RevisitDraw, Revisited, draw_revisit, parse_revisit
from .tables import Inspector
from .verify import Check, Report, verify

__all__ = [
    "ANY_REGION",
    "COMMIT_INPUTS",
    "DRAW_INPUTS",
    "FILES",
    "WITHHELD",
    "Assignment",
    "Bundle",
    "BundleError",
    "Candidate",
    "Check",
    "Commitment",
    "EntropyValue",
    "Inspector",
    "Params",
    "Partner",
    "PartnerTeam",
    "Report",
    "Result",
    "RevisitDraw",
    "Revisited",
    "Source",
    "check_commitment",
    "commit",
    "commit_withheld",
    "compute",
    "compute_files",
    "draw_revisit",
    "dumps",
    "load_bundle",
    "new_salt",
    "parse_bundle",
    "parse_commitment",
    "parse_revisit",
    "partner_file",
    "read_files",
    "render_conflicts",
    "render_entropy",
    "render_params",
    "render_pool",
    "render_roster",
    "render_withheld",
    "verify",
]
