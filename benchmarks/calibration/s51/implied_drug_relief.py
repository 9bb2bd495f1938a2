"""Round 51: the drug relief that published ketamine-class trials imply under a combination rule.

    python benchmarks/calibration/s51/implied_drug_relief.py

Model-free arithmetic on published arm means (no simulation). Each arm's mean change is
turned into a change of the model's depressive drive, logit(MADRS/60) at baseline minus at
the endpoint (the model's MADRS is 60 x the logistic of its drive). With the control arm's
change E (non-specific relief, natural course, regression) and the active arm's T, the drug's
own relief D under the p-norm combination T = (D^p + E^p)^(1/p) is D = (T^p - E^p)^(1/p);
p = 1 is additivity. One drug relief that neither accumulates over repeated doses nor adds to
a large non-specific response would give the same D in every row.
"""

from __future__ import annotations

import math

# (label, drug arms [(baseline, change, n)], control arms [(baseline, change, n)], source)
ROWS = [
    ("Murrough 2013, one IV dose, 24 h vs midazolam", [(32.0, -16.5, 47)], [(32.0, -8.8, 25)],
     "calibration file ketamine_murrough2013.yaml (baseline ~32 from its description)"),
    ("Daly 2018, one esketamine 56 mg dose, 24 h", [(33.2, -15.7, 11)], [(35.0, -5.7, 33)],
     "Daly et al. 2018 JAMA Psychiatry 75:139, Table 1, period 1"),
    ("Daly 2018, one esketamine 84 mg dose, 24 h", [(35.0, -16.4, 12)], [(35.0, -5.7, 33)],
     "Daly et al. 2018 Table 1, period 1"),
    ("Singh 2016, IV twice weekly, day 15", [(35.0, -18.4, 18)], [(35.0, -5.7, 17)],
     "Singh et al. 2016 Am J Psychiatry 173:816 (baseline ~35 assumed, as in the design file)"),
    ("Singh 2016, IV thrice weekly, day 15", [(35.0, -17.7, 17)], [(35.0, -3.1, 15)],
     "Singh et al. 2016 (baseline ~35 assumed)"),
    ("TRANSFORM-1/2 pooled, nasal twice weekly, day 28",
     [(37.7, -20.3, 215), (36.9, -18.3, 95)], [(37.7, -15.8, 138), (36.7, -16.0, 70)],
     "Turkoz et al. 2022 Arch Womens Ment Health 25:313, Table 4 (women and men)"),
    ("TRANSFORM-3 (65 and over), nasal twice weekly, day 28",
     [(35.7, -9.9, 39), (35.2, -10.3, 24)], [(34.5, -6.9, 36), (35.1, -5.5, 24)],
     "Turkoz et al. 2022 Table 4 (women and men)"),
]


def _logit(madrs: float) -> float:
    x = madrs / 60.0
    return math.log(x / (1.0 - x))


def _relief(arms: list[tuple[float, float, int]]) -> float:
    """n-weighted drive relief of the pooled arms (logit units)."""
    total = sum(n for _, _, n in arms)
    return sum(n * (_logit(b) - _logit(b + c)) for b, c, n in arms) / total


def implied(t: float, e: float, p: float) -> float:
    """D with (D^p + E^p)^(1/p) = T (NaN when the drug arm improved less than control)."""
    return (t**p - e**p) ** (1.0 / p) if t > e > 0 else float("nan")


def main() -> None:
    print(f"{'design':55s} {'E':>5s} {'T':>5s} | D at p = 1     2     4")
    ds: dict[float, list[float]] = {1.0: [], 2.0: [], 4.0: []}
    for label, drug, control, _ in ROWS:
        t, e = _relief(drug), _relief(control)
        d = {p: implied(t, e, p) for p in ds}
        if "65 and over" not in label:
            for p in ds:
                ds[p].append(d[p])
        print(f"{label:55s} {e:5.2f} {t:5.2f} |        {d[1.0]:5.2f} {d[2.0]:5.2f} {d[4.0]:5.2f}")
    for p, v in ds.items():
        mean = sum(v) / len(v)
        sd = math.sqrt(sum((x - mean) ** 2 for x in v) / (len(v) - 1))
        print(f"p = {p:g}: D over the six rows under 65 from {min(v):.2f} to {max(v):.2f} "
              f"(max/min {max(v) / min(v):.2f}, coefficient of variation {sd / mean:.2f})")
    print("Sources:")
    for label, _, _, src in ROWS:
        print(f"  {label}: {src}")


if __name__ == "__main__":
    main()
