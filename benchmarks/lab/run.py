"""Lab optimizer benchmark: OpenFab's BO vs random search, Sobol, Optuna (default sampler)
and BayBE, side by side in one run, on the same problems, seeds and budgets.

Per problem and method: the median over seeds of the evaluations needed to reach 99 % of
the best known value (``>B`` when not reached within the budget B; the median counts those
as B + 1), and the median best value after 20 and after 50 (full mode) evaluations.

    .venv-lab/bin/python benchmarks/lab/run.py --quick       # minutes: budget 30, 10 seeds
    .venv-lab/bin/python benchmarks/lab/run.py               # full: budget 50, 10 seeds
    .venv-lab/bin/python benchmarks/lab/run.py --problems branin,mixture --methods openfab,optuna

Peers live in ``.venv-lab`` (``pip install -e '.[lab-bench]'``); a peer that does not import
is skipped and named. Results: ``benchmarks/lab/results/<mode>.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))

from problems import PROBLEMS, Problem

from openfab.lab.experiments import Experiment
from openfab.lab.optimizer import Optimizer
from openfab.lab.sampling import _inside, _map, _snap, feasible_points
from openfab.lab.space import Design

RESULTS = Path(__file__).parent / "results"
Method = Callable[[Problem, int, int], list[Experiment]]


def _measure(problem: Problem, design: Design) -> Experiment:
    return Experiment(design, problem.measure(design))


# -- methods -------------------------------------------------------------------------------------
def openfab(problem: Problem, budget: int, seed: int, batch: int = 2) -> list[Experiment]:
    """The optimizer exactly as a user gets it: its default settings, nothing tuned here."""
    optimizer = Optimizer(problem.study, seed=seed)
    experiments: list[Experiment] = []
    while len(experiments) < budget:
        k = min(batch, budget - len(experiments))
        for design in optimizer.suggest(experiments, k).designs:
            experiments.append(_measure(problem, design))
    return experiments


def random_search(problem: Problem, budget: int, seed: int) -> list[Experiment]:
    space = problem.study.space
    rng = np.random.default_rng(seed)
    found: list[np.ndarray] = []
    while sum(len(f) for f in found) < budget:
        x = _snap(space, _map(space, rng.random((4 * budget, space.dim))))
        found.append(x[_inside(space, x)])
    x = np.vstack(found)[:budget]
    return [_measure(problem, d) for d in space.decode(x)]


def sobol(problem: Problem, budget: int, seed: int) -> list[Experiment]:
    space = problem.study.space
    return [_measure(problem, d) for d in space.decode(feasible_points(space, budget, seed=seed))]


def optuna_default(problem: Problem, budget: int, seed: int) -> list[Experiment]:
    """Optuna's default sampler; mixtures through the same simplex map the others use (Optuna
    has no equality constraints); a design breaking a constraint costs an evaluation and is
    told the worst value (it would be a wasted run in a lab)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study, space = problem.study, problem.study.space
    directions = ["maximize" if o.goal == "maximize" else "minimize" for o in study.objectives]
    tuner = optuna.create_study(
        directions=directions, sampler=optuna.samplers.TPESampler(seed=seed)
    )
    experiments: list[Experiment] = []
    worst = _worst(problem)
    for _ in range(budget):
        trial = tuner.ask()
        u = np.array([[trial.suggest_float(n, 0.0, 1.0) for n in space.names]])
        x = _snap(space, _map(space, u))
        design = space.fixed(space.decode(x)[0])
        if space.violations(design):
            experiments.append(Experiment(design, failed=True))
            tuner.tell(trial, worst)
            continue
        exp = _measure(problem, design)
        experiments.append(exp)
        ok = all(c.holds(exp.results[c.name]) for c in study.outcome_constraints)
        values = [exp.results[o.name] for o in study.objectives] if ok else worst
        tuner.tell(trial, values)
    return experiments


def _worst(problem: Problem) -> list[float]:
    if problem.hypervolume_ref is not None:
        return list(problem.hypervolume_ref)
    return [-1e3 if problem.maximize else 1e3]


def baybe_default(problem: Problem, budget: int, seed: int, batch: int = 1) -> list[Experiment]:
    """BayBE's default recommender; mixtures and linear constraints as BayBE constraints;
    outcome constraints by telling the worst value (BayBE has no outcome constraints)."""
    import pandas as pd
    from baybe import Campaign
    from baybe.constraints import ContinuousLinearConstraint
    from baybe.objectives import ParetoObjective, SingleTargetObjective
    from baybe.parameters import NumericalContinuousParameter
    from baybe.searchspace import SearchSpace, SubspaceContinuous
    from baybe.targets import NumericalTarget
    from baybe.utils.random import set_random_seed

    set_random_seed(seed)
    study, space = problem.study, problem.study.space
    params = [NumericalContinuousParameter(p.name, (p.low, p.high)) for p in space.parameters]
    cons = []
    for c in space.constraints:
        names = [n for n, _ in c.coefficients]
        coef = [w for _, w in c.coefficients]
        if c.is_equality:
            cons.append(ContinuousLinearConstraint(names, "=", coef, c.lower))
            continue
        if math.isfinite(c.lower):
            cons.append(ContinuousLinearConstraint(names, ">=", coef, c.lower))
        if math.isfinite(c.upper):
            cons.append(ContinuousLinearConstraint(names, "<=", coef, c.upper))
    searchspace = SearchSpace(
        continuous=SubspaceContinuous(
            params,
            constraints_lin_eq=[c for c in cons if c.is_eq],
            constraints_lin_ineq=[c for c in cons if not c.is_eq],
        )
    )
    targets = [NumericalTarget(o.name, minimize=o.goal == "minimize") for o in study.objectives]
    objective = SingleTargetObjective(targets[0]) if len(targets) == 1 else ParetoObjective(targets)
    campaign = Campaign(searchspace, objective)
    experiments: list[Experiment] = []
    worst = _worst(problem)
    while len(experiments) < budget:
        k = min(batch, budget - len(experiments))
        frame = campaign.recommend(batch_size=k)
        rows = []
        for record in frame.to_dict("records"):
            design = space.fixed({n: float(record[n]) for n in space.names})
            exp = _measure(problem, design)
            experiments.append(exp)
            ok = all(c.holds(exp.results[c.name]) for c in study.outcome_constraints)
            told = [exp.results[o.name] for o in study.objectives] if ok else worst
            rows.append(
                {**record, **{o.name: v for o, v in zip(study.objectives, told, strict=True)}}
            )
        campaign.add_measurements(pd.DataFrame(rows))
    return experiments


METHODS: dict[str, Method] = {
    "openfab": openfab,
    "random": random_search,
    "sobol": sobol,
    "optuna": optuna_default,
    "baybe": baybe_default,
}


# -- scoring --------------------------------------------------------------------------------------
def trace(problem: Problem, experiments: list[Experiment]) -> list[float]:
    return [problem.score(experiments[: i + 1]) for i in range(len(experiments))]


def evaluations_to_target(problem: Problem, scores: list[float]) -> int | None:
    for i, value in enumerate(scores, start=1):
        if problem.reached(value):
            return i
    return None


def run(
    problems: list[str], methods: list[str], seeds: int, budget: int, batch: int
) -> dict[str, object]:
    torch.set_num_threads(1)
    out: dict[str, object] = {"budget": budget, "seeds": seeds, "batch": batch, "problems": {}}
    for key in problems:
        problem = PROBLEMS[key]()
        print(f"\n## {problem.name} — best known {problem.best_known:.5g}", flush=True)
        rows = {}
        for name in methods:
            start = time.perf_counter()
            try:
                runs = []
                for seed in range(seeds):
                    kwargs = {"batch": batch} if name in ("openfab", "baybe") else {}
                    experiments = METHODS[name](problem, budget, seed, **kwargs)  # type: ignore[call-arg]
                    runs.append(trace(problem, experiments))
            except ImportError as exc:
                print(f"  {name}: skipped ({exc})", flush=True)
                continue
            rows[name] = summarize(problem, runs, budget, time.perf_counter() - start)
            print(f"  {name}: {rows[name]}", flush=True)
        out["problems"][problem.name] = {"best_known": problem.best_known, "methods": rows}  # type: ignore[index]
    return out


def summarize(
    problem: Problem, runs: list[list[float]], budget: int, seconds: float
) -> dict[str, object]:
    hits = [evaluations_to_target(problem, r) for r in runs]
    counted = [h if h is not None else budget + 1 for h in hits]
    med = statistics.median(counted)
    at = {
        n: statistics.median(r[min(n, len(r)) - 1] for r in runs)
        for n in sorted({10, 20, 30, 50, budget})
        if n <= budget
    }
    return {
        "median_evals_to_99": med if med <= budget else f">{budget}",
        "reached": f"{sum(h is not None for h in hits)}/{len(runs)}",
        "median_best_at": at,
        "seconds": round(seconds, 1),
    }


def markdown(result: dict[str, object]) -> str:
    budget = int(result["budget"])  # type: ignore[arg-type]
    cols = [n for n in (20, 50) if n <= budget] or [budget]
    if budget not in cols:
        cols.append(budget)
    lines = [
        f"Budget {budget} evaluations, {result['seeds']} seeds, "
        f"OpenFab/BayBE batch {result['batch']}; median over seeds.",
        "",
    ]
    for pname, pdata in result["problems"].items():  # type: ignore[attr-defined]
        lines += [f"### {pname} (best known {pdata['best_known']:.5g})", ""]
        head = "| method | evals to 99 % (median) | reached | " + " | ".join(
            f"best after {c}" for c in cols
        )
        lines += [head + " | seconds |", "|---" * (4 + len(cols)) + "|"]
        for method, row in pdata["methods"].items():
            at = row["median_best_at"]
            cells = " | ".join(f"{at.get(c, at.get(str(c), float('nan'))):.4g}" for c in cols)
            evals, reached = row["median_evals_to_99"], row["reached"]
            lines.append(f"| {method} | {evals} | {reached} | {cells} | {row['seconds']} |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="budget 30 (default: full, budget 50)")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--budget", type=int)
    parser.add_argument("--batch", type=int, default=2, help="designs per BO round")
    parser.add_argument("--problems", default=",".join(PROBLEMS))
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--tag", default="")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    logging.disable(logging.WARNING)
    budget = args.budget or (30 if args.quick else 50)
    mode = ("quick" if args.quick else "full") + (f"-{args.tag}" if args.tag else "")
    result = run(args.problems.split(","), args.methods.split(","), args.seeds, budget, args.batch)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{mode}.json").write_text(json.dumps(result, indent=1, default=str))
    table = markdown(result)
    (RESULTS / f"{mode}.md").write_text(table + "\n")
    print("\n" + table)


if __name__ == "__main__":
    main()
