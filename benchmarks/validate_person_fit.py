"""Validate the personal fit on synthetic people generated from known parameters.

For each of ``--people`` synthetic people (parameters drawn from the prior; histories
alternate between implanted VNS and six ketamine infusions, both with a continued oral
antidepressant), weekly MADRS for 26 weeks, CRP and RMSSD at weeks 0 and 13 are simulated with
the model's observation noise. The fit sees weeks 0-17; weeks 18-26 are held back.

Reports (and writes as JSON with ``--out``):

- coverage: the share of true parameters inside their 90 % credible intervals (target ~0.9);
- held-out error: RMSE of the posterior-mean forecast of the held-back MADRS ratings versus the
  population-average forecast (mean over prior draws), and the error reduction; also versus a
  stronger baseline, the population-average course shifted by the person's mean deviation
  from it over the fitted visits.

Run: ``python benchmarks/validate_person_fit.py --people 100`` (about 9 min on 2 cores; batches
of 20 are too small to judge coverage).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from moodtwin.parameter_sets import calibrated_model
from moodtwin.person import fit_person, fitted_parameters, person_prior, synthetic_record
from moodtwin.person._likelihood import Likelihood

WEEK = 168.0
HISTORIES = {
    "vns": {"name": "VNS", "duration": "26 week", "background": {"oral_antidepressant":
                                                                 "continued"},
            "therapies": [{"type": "vns", "implant_at": "0 d", "start": "2 week", "titration": [
                {"at": f"{2 * k} week", "current": f"{0.25 * k:g} mA"} for k in range(1, 6)]}]},
    "ketamine": {"name": "ketamine series", "duration": "26 week",
                 "background": {"oral_antidepressant": "continued"},
                 "therapies": [{"type": "ketamine_iv", "dose": "0.5 mg/kg",
                                "at": ["0 d", "2 d", "4 d"],
                                "repeat": {"every": "1 week", "count": 2}}]},
}
FIT_WEEKS = 17  # visits in weeks 0..17 are fitted; 18..26 are held back


def one_person(i: int, steps: int, burn: int, model: object) -> dict:
    kind = list(HISTORIES)[i % len(HISTORIES)]
    proto = HISTORIES[kind]
    rng = np.random.default_rng(1000 + i)
    scores = [(w * WEEK, "MADRS") for w in range(27)]
    labs = [(0.0, "crp"), (13 * WEEK, "crp")]
    heart = [0.0, 13 * WEEK]
    probe, _ = synthetic_record(proto, {}, scores=scores[:2], labs=labs, rmssd_h=heart,
                                seed=i)
    names = fitted_parameters(probe)
    prior = person_prior(names, model)  # type: ignore[arg-type]
    truth = {k: float(v[0]) for k, v in prior.values(prior.sample(rng, 1)).items()}
    full, _ = synthetic_record(proto, truth, scores=scores, labs=labs, rmssd_h=heart,
                               seed=10_000 + i)
    seen = full.scores[full.scores["time_h"] <= FIT_WEEKS * WEEK].reset_index(drop=True)
    held = full.scores[full.scores["time_h"] > FIT_WEEKS * WEEK].reset_index(drop=True)
    record = type(full)(f"synthetic-{i}", full.start_date, full.protocol, seen,
                        full.biomarkers, full.hrv)
    fit = fit_person(record, steps=steps, burn=burn, seed=i)
    s = fit.summary.set_index("parameter")
    covered = {n: bool(s.loc[n, "q5"] <= truth[n] <= s.loc[n, "q95"]) for n in names}
    future = type(full)("held", full.start_date, full.protocol, held, full.biomarkers.iloc[:0],
                        full.hrv)
    like = Likelihood(model, future)  # type: ignore[arg-type]
    draws = fit.draws.sample(n=min(200, len(fit.draws)), random_state=i)
    post = like.predict({k: draws[k].to_numpy() for k in draws.columns if k in names})
    pop_draws = prior.values(prior.sample(rng, 200))
    pop = like.predict(pop_draws)
    y = held["score"].to_numpy(float)
    err_fit = post.scores[0][post.status == 0].mean(axis=0) - y
    err_pop = pop.scores[0][pop.status == 0].mean(axis=0) - y
    past = Likelihood(model, record).predict(pop_draws)  # type: ignore[arg-type]
    offset = np.mean(seen["score"].to_numpy(float)
                     - past.scores[0][past.status == 0].mean(axis=0))
    err_anchor = err_pop + offset
    return {"person": i, "history": kind, "truth": truth, "covered": covered,
            "fit_seconds": fit.seconds, "max_rhat": float(s["rhat"].max()),
            "sq_err_fit": float(np.mean(err_fit**2)), "sq_err_pop": float(np.mean(err_pop**2)),
            "sq_err_anchor": float(np.mean(err_anchor**2)),
            "warnings": fit.warnings}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=int, default=20)
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--burn", type=int, default=250)
    ap.add_argument("--out", default=None, help="write the per-person results as JSON")
    args = ap.parse_args()
    model = calibrated_model()
    start = time.perf_counter()
    rows = []
    for i in range(args.people):
        r = one_person(i, args.steps, args.burn, model)
        rows.append(r)
        print(f"person {i:2d} ({r['history']:8s}): covered {sum(r['covered'].values())}/"
              f"{len(r['covered'])}, max R-hat {r['max_rhat']:.2f}, RMSE fit "
              f"{np.sqrt(r['sq_err_fit']):.2f} vs population {np.sqrt(r['sq_err_pop']):.2f}, "
              f"{r['fit_seconds']:.0f} s", flush=True)
    cases = [c for r in rows for c in r["covered"].values()]
    per_param: dict[str, list[bool]] = {}
    for r in rows:
        for n, c in r["covered"].items():
            per_param.setdefault(n, []).append(c)
    rmse_fit = float(np.sqrt(np.mean([r["sq_err_fit"] for r in rows])))
    rmse_pop = float(np.sqrt(np.mean([r["sq_err_pop"] for r in rows])))
    rmse_anchor = float(np.sqrt(np.mean([r["sq_err_anchor"] for r in rows])))
    summary = {
        "people": len(rows), "coverage_90": float(np.mean(cases)), "cases": len(cases),
        "coverage_by_parameter": {n: float(np.mean(c)) for n, c in per_param.items()},
        "heldout_rmse_fit": rmse_fit, "heldout_rmse_population": rmse_pop,
        "error_reduction": 1.0 - rmse_fit / rmse_pop,
        "heldout_rmse_population_shifted_to_person": rmse_anchor,
        "error_reduction_vs_shifted": 1.0 - rmse_fit / rmse_anchor,
        "max_rhat": max(r["max_rhat"] for r in rows),
        "median_fit_seconds": float(np.median([r["fit_seconds"] for r in rows])),
        "total_seconds": time.perf_counter() - start, "steps": args.steps, "burn": args.burn,
    }
    print(json.dumps(summary, indent=2))
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"summary": summary, "people": rows}, f, indent=2)


if __name__ == "__main__":
    main()
