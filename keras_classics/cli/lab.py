"""``keras-classics lab list`` and ``keras-classics lab run CLAIM ... | --all``: the lecture notes' claims, measured.

Nothing here imports Keras or the library at module level: ``--help`` answers at once.
See docs/lab.md and :mod:`keras_classics.lab`.
"""

from __future__ import annotations

import textwrap

DESCRIPTION = ("Test the claims of the lecture notes: each claim's CSV, PNG and verdict "
               "(holds / does not hold / inconclusive) under a criterion stated before the run.")


def add_parser(subparsers):
    parser = subparsers.add_parser("lab", help="test the lecture notes' claims: a CSV, a PNG and a verdict each", description=DESCRIPTION)
    actions = parser.add_subparsers(dest="lab_command", metavar="ACTION")
    actions.add_parser("list", help="each claim with its source statement, what is measured and its criterion")
    run = actions.add_parser("run", help="measure claims and decide them")
    run.add_argument("claims", nargs="*", metavar="CLAIM", help="claim ids (see `keras-classics lab list`)")
    run.add_argument("--all", action="store_true", help="every claim")
    run.add_argument("--quick", action="store_true", help="the CI size: seconds per claim; its verdicts mean little")
    run.add_argument("--dataset", help="training claims' data: digits (default, embedded), mnist, cifar10 ... or an image folder")
    run.add_argument("--seeds", type=int, metavar="N", help="seeds per training arm (at least 3; default: each claim's size)")
    run.add_argument("--out", default="results/lab", help="folder of the CSVs, PNGs and verdicts (default: results/lab)")
    run.add_argument("--force", action="store_true", help="measure again what the CSVs already hold")
    return parser


def _list() -> int:
    from keras_classics.lab import CLAIMS

    width = 100
    for claim in CLAIMS.values():
        print(f"{claim.id}  [{claim.kind}]  {claim.title}")
        for label, text in (("source", f'"{claim.source}" ({claim.seed_file})'), ("measured", claim.measured),
                            ("criterion", claim.criterion_text)):
            print(textwrap.fill(text, width, initial_indent=f"    {label}: ", subsequent_indent=" " * 8))
        print()
    return 0


def selected_claims(names, run_all: bool):
    """The claims named (ids, space- or comma-separated) or all; ``ValueError`` naming ``CLAIM``/``--all`` otherwise."""
    from keras_classics.lab import CLAIMS, get_claim

    ids = [n for name in names for n in name.split(",") if n]
    if run_all and ids:
        raise ValueError(f"`--all`: received --all with {' '.join(ids)}; allowed: --all or claim ids, not both.")
    if run_all:
        return list(CLAIMS.values())
    if not ids:
        raise ValueError("`CLAIM`: received nothing; allowed: one or more claim ids (`keras-classics lab list`) or --all.")
    return [get_claim(i, argument="CLAIM") for i in dict.fromkeys(ids)]


def run(args) -> int:
    if args.lab_command == "list":
        return _list()
    if args.lab_command != "run":
        raise ValueError(f"`ACTION`: received {args.lab_command!r}; allowed: 'list' or 'run'.")
    from keras_classics._validate import check_output_folder
    from keras_classics.lab import check_request, run_claim

    claims = selected_claims(args.claims, args.all)
    check_request(claims, seeds=args.seeds, dataset=args.dataset)
    check_output_folder("--out", args.out)  # its CSVs resume (--force measures again); the PNGs and verdicts follow them
    counts = {}
    for claim in claims:
        outcome = run_claim(claim, out=args.out, quick=args.quick, dataset=args.dataset, seeds=args.seeds, force=args.force,
                            log=lambda line: print(line, flush=True))
        counts[outcome.verdict.status] = counts.get(outcome.verdict.status, 0) + 1
    print("lab: " + ", ".join(f"{n} {status}" for status, n in counts.items()) + f"; files in {args.out}", flush=True)
    return 0
