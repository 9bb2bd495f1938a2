"""Latent anxiety severity, its own state (HAM-A/56).

Anxiety ``A`` (0–1) relaxes within about half a day toward a logistic function of its own
drive: a patient-level anxiety vulnerability, comorbid depression, amygdala negative bias,
cortisol (stress), vagal withdrawal, conditioned fear expression (fear mechanism) and poor
sleep, less expectancy relief. The output layer converts it to HAM-A and GAD-7
(``moodtwin.scales``). Weights are assumed; they are checked against the anxiety outcomes of
the taVNS meta-analysis (Wu et al. 2018: HAM-A −1.12 vs sham, n.s.) and of twice-weekly
ketamine vs midazolam (KADS cohort 1: HAM-A −1.4 [−8.6, 3.2], n.s.) in
``examples/trials/``.
"""

from moodtwin.model._spec import Derived, Mechanism, Parameter, State

_ASSUMED = "assumed; checked against the anxiety trial files (tavns_wu2018, ketamine_kads)"


def _w(name: str, value: float, what: str) -> Parameter:
    return Parameter(name, value, "1", 0.0, 20.0, _ASSUMED, what)


MECHANISM = Mechanism(
    name="anxiety",
    doc=__doc__,
    states=(
        State("anxiety", "(1/(1 + exp(-anxiety_drive)) - anxiety)/tau_anx", "1",
              "Latent anxiety severity (HAM-A/56)", initial=0.4),
    ),
    parameters=(
        Parameter("anx_vulnerability", -0.65, "1", -6.0, 6.0,
                  "assumed: patient-level; gives HAM-A ~23 for the drug-free reference patient "
                  "(MADRS 34)",
                  "Baseline anxiety drive (logit scale)"),
        Parameter("tau_anx", 1.0, "h", 0.25, 72.0,
                  "Glue et al. 2017 J Psychopharmacol 31:1302 (patients reported reduced "
                  "anxiety within 1 h of a ketamine dose): time constant of about an hour",
                  "Time constant of latent anxiety"),
        Parameter("wa_dep", 0.7, "1", 0.0, 20.0,
                  "calibrated to tavns-pooled-hamd (Wu et al. 2018: HAM-A -1.12 n.s. beside "
                  "HAMD-24 -4.23 vs sham): anxiety moves ~1/4 as much as depression",
                  "Anxiety drive per unit depression"),
        _w("wa_amygdala", 0.8, "Anxiety drive per unit amygdala bias"),
        _w("wa_cort", 0.5, "Anxiety drive per unit cortisol"),
        Parameter("wa_vagal", 0.3, "1", 0.0, 20.0,
                  "calibrated to tavns-pooled-hamd (Wu et al. 2018, HAM-A -1.12 n.s.): taVNS "
                  "raises vagal tone yet barely lowers HAM-A; direction from neurovisceral "
                  "integration (Thayer & Lane 2000)",
                  "Anxiety relief per unit vagal tone"),
        _w("wa_expect", 0.4, "Anxiety relief per unit expectancy"),
        _w("wa_fear", 1.0, "Anxiety drive per unit conditioned fear expression"),
        _w("wa_sleep", 0.3, "Anxiety drive per unit loss of sleep quality"),
    ),
    derived=(
        Derived("anxiety_drive",
                "anx_vulnerability + wa_dep*(depression - 0.5) + wa_amygdala*(amygdala_bias - 1)"
                " + wa_cort*(cortisol - 1) - wa_vagal*(vagal_tone - 1)"
                " + wa_fear*fear_expression - wa_sleep*(sleep_quality - 1)"
                " - wa_expect*placebo_responsiveness*(placebo_relief + acute_relief)",
                "1", "Logit-scale drive of anxiety"),
        Derived("hama", "56*anxiety", "1", "Latent HAM-A score (0-56)", observable=True),
    ),
    references=("Wu et al. 2018 Medicine 97:e13845",
                "Glue et al. 2017 J Psychopharmacol (ketamine in refractory anxiety)",
                "Thayer & Lane 2000 J Affect Disord 61:201"),
)
