"""Latent depression severity (anxiety has its own mechanism, anxiety.py).

Depression ``D`` (0–1, MADRS/60) relaxes within about half a day toward a logistic function
of a drive that sums the mechanisms: synapse density, neurogenesis, serotonin and NE lower
it; cortisol, IL-6, amygdala negative bias and poor sleep raise it; placebo relief and
acute non-specific relief lower it.
A slow mood memory (momentum of recent mood, Eldar et al. 2016; τ ≈ 2 months) feeds back
positively, so sustained drives accrue over months (VNS) and improvements outlast their
cause (botulinum toxin), while one ketamine dose fades with its synapses. Anxiety has its
own state (anxiety mechanism).
Two fluctuations are added by the output layer to the observed depression score: day-to-day
fluctuation (an AR(1) process in MADRS points, ``daily_sd`` and ``daily_corr_time``) and
the natural course of the episode, a slow Ornstein-Uhlenbeck process on the logit of
latent depression (``course_sd``, ``course_corr_time``) that lets some untreated or
placebo-treated patients improve or worsen markedly over weeks to months.
"""

from moodtwin.model._spec import Derived, Mechanism, Parameter, State

_ASSUMED_W = "assumed, calibratable to the calibration set"


def _w(name: str, value: float, what: str, high: float = 20.0, cal: bool = True) -> Parameter:
    return Parameter(name, value, "1", 0.0, high, _ASSUMED_W, what, calibratable=cal)


MECHANISM = Mechanism(
    name="mood",
    doc=__doc__,
    states=(
        State("depression", "(1/(1 + exp(-depression_drive)) - depression)/tau_dep", "1",
              "Latent depression severity (MADRS/60)", initial=0.5),
        State("mood_memory", "(depression - mood_memory)/tau_memory", "1",
              "Slow momentum of recent mood", initial=0.5),
    ),
    parameters=(
        Parameter("vulnerability", -0.136, "1", -6.0, 6.0,
                  "assumed: patient-level; -0.136 gives MADRS 33 (moderate-severe TRD, as the "
                  "VNS registry baseline 33.1) for the drug-free reference patient",
                  "Baseline depressive drive (logit scale)"),
        Parameter("tau_dep", 12.0, "h", 2.0, 72.0,
                  "assumed: ketamine relief within hours (peak at 24 h, Coyle & Laws 2015)",
                  "Time constant of latent depression"),
        Parameter("tau_memory", 2880.0, "h", 336.0, 8760.0,
                  "assumed, calibratable: mood momentum (Eldar et al. 2016); VNS accrues over "
                  "months (Aaronson et al. 2017)", "Time constant of mood memory",
                  calibratable=True),
        _w("w_memory", 1.2, "Weight of mood memory (positive feedback)", high=3.9),
        _w("w_syn", 6.0, "Weight of synapse density"),
        _w("w_neuro", 2.0, "Weight of neurogenesis / slow plasticity"),
        _w("w_5ht", 0.2, "Weight of serotonin tone"),
        _w("w_ne", 0.2, "Weight of norepinephrine tone"),
        _w("w_cort", 0.3, "Weight of cortisol"),
        _w("w_il6", 0.3, "Weight of IL-6"),
        _w("w_amygdala", 0.7, "Weight of amygdala negative bias (facial feedback)"),
        _w("w_sleep", 0.3, "Weight of sleep quality"),
        _w("w_expect", 0.6, "Weight of expectancy"),
        Parameter("daily_sd", 1.7, "1", 0.0, 6.0,
                  "derived from Duru & Fantino 2008 (MADRS SEM-based MCID 1.6-1.9 points)",
                  "Day-to-day fluctuation of observed MADRS (points, SD)"),
        Parameter("daily_corr_time", 72.0, "h", 12.0, 336.0, "assumed",
                  "Correlation time of day-to-day fluctuation"),
        Parameter("course_sd", 0.2, "1", 0.0, 1.5,
                  "assumed, calibratable to the placebo, sham and usual-care arms: depressive "
                  "episodes wax and wane over weeks (natural course: ~23% of untreated MDD "
                  "remit within 3 months, Whiteford et al. 2013 Psychol Med 43:1569; change "
                  "SD ~9 MADRS points in placebo arms, Murrough et al. 2013); default near the "
                  "calibrated value",
                  "Stationary SD of the natural-course fluctuation (logit of depression)",
                  calibratable=True),
        Parameter("course_corr_time", 420.0, "h", 168.0, 8760.0,
                  "assumed, calibratable: symptom changes persist for weeks to months "
                  "(median untreated episode ~3-6 months, Whiteford et al. 2013); default near "
                  "the calibrated value (~2.5 weeks)",
                  "Correlation time of the natural-course fluctuation", calibratable=True),
    ),
    derived=(
        Derived("depression_drive",
                "vulnerability + w_memory*(mood_memory - 0.5) - w_syn*(synapses - 0.55)"
                " - w_neuro*(neurogenesis - 1) - w_5ht*(serotonin - 1)"
                " - w_ne*(norepinephrine - 1) + w_cort*(cortisol - 1) + w_il6*(il6 - 1)"
                " + w_amygdala*(amygdala_bias - 1) - w_sleep*(sleep_quality - 1)"
                " - w_expect*placebo_responsiveness*(placebo_relief + acute_relief)",
                "1", "Logit-scale drive of depression"),
        Derived("madrs", "60*depression", "1", "Latent MADRS score (0-60)", observable=True),
    ),
    references=("Eldar, Rutledge, Dolan & Niv 2016 TICS 20:15", "Demic & Cheng 2014 PLoS ONE",
                "Duru & Fantino 2008 Curr Med Res Opin 24:1329"),
)
