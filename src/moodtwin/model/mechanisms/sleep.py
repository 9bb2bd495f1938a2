"""Sleep quality, improved by vagal tone and worsened by cortisol, stress and depression.

Sleep relaxes over days toward its set point and feeds back on mood (mood module) and
anxiety (anxiety module). It is reported on the Pittsburgh Sleep Quality Index (PSQI,
0–21; > 5 = poor sleeper, Buysse et al. 1989) through a logistic link: healthy sleep gives
PSQI ≈ 3 and the drug-free reference patient (MADRS 33) PSQI ≈ 11. The link and all gains are
assumed. Known gap: in chronic insomnia, taVNS (30 min twice daily, 5 d/week, 8 weeks,
0.8-1.5 mA) lowered PSQI by 4.2 points more than sham (95% CI 2.6-5.9; n = 72, JAMA Netw
Open RCT, Beijing); the model gives ~0.3 points for the reference patient, because its sleep
follows vagal tone, which a taVNS course raises only a little (Wolf et al. 2021). No
pathway was added to close the gap (mechanism unknown).

The PSQI is a self-report, and expectancy improves *perceived* sleep: against no treatment,
a placebo presented as active improved perceived global sleep quality by Hedges g = 0.58 but
not objectively measured sleep onset (Yeung et al. 2018, 13 studies, n = 566). The PSQI
therefore reads the sleep quality plus a perceived shift proportional to the realised
placebo relief (background mechanism); the physiological sleep state, which feeds mood,
does not get it.
"""

from moodtwin.model._spec import Derived, Mechanism, Parameter, State

_BUYSSE = "Buysse et al. 1989 Psychiatry Res 28:193 (PSQI 0-21, > 5 poor sleep)"
_YEUNG = ("Yeung et al. 2018 Sleep Med Rev 38:17 (placebo vs no treatment in insomnia: perceived "
          "global sleep quality g = 0.581, no effect on objective sleep onset latency)")

MECHANISM = Mechanism(
    name="sleep",
    doc=__doc__,
    states=(
        State("sleep_quality",
              "(exp(s_vagal*(vagal_tone - 1) - s_cort*(cortisol - 1) - s_dep*(depression - 0.15))"
              " - sleep_quality)/tau_sleep",
              "1", "Sleep quality (1 = healthy)", initial=1.0),
    ),
    parameters=(
        Parameter("s_vagal", 0.5, "1", 0.0, 2.0,
                  "assumed: VNS promotes sleep (seed 001); vagal tone and sleep correlate",
                  "Log sleep quality per unit vagal tone"),
        Parameter("s_cort", 0.3, "1", 0.0, 2.0, "assumed: hypercortisolism fragments sleep",
                  "Log sleep quality loss per unit cortisol"),
        Parameter("s_dep", 0.3, "1", 0.0, 2.0, "assumed: insomnia is a core MDD symptom",
                  "Log sleep quality loss per unit latent depression"),
        Parameter("tau_sleep", 72.0, "h", 24.0, 336.0, "assumed", "Time constant of sleep"),
        Parameter("psqi_healthy", 3.0, "1", 1.0, 5.0,
                  "bounded by " + _BUYSSE + ": global PSQI > 5 separated 52 healthy good "
                  "sleepers from 116 poor sleepers (sensitivity 89.6%, specificity 86.5%), so "
                  "healthy adults score <= 5; 3 sits inside (good-sleeper mean not read)",
                  "PSQI at healthy sleep quality"),
        Parameter("psqi_slope", 8.0, "1", 2.0, 40.0,
                  "assumed: the drug-free reference patient (MADRS 33, sleep quality ~0.77) "
                  "scores PSQI ~11, a poor sleeper (" + _BUYSSE + ")",
                  "Logit PSQI change per unit loss of sleep quality"),
        Parameter("sleep_expect", 0.042, "1", 0.0, 0.15,
                  "derived from " + _YEUNG + ": g 0.581 x a PSQI SD of ~3 points in insomnia "
                  "samples (assumed) = 1.7 PSQI points at full placebo relief, divided by the "
                  "PSQI slope of 42 points per unit sleep quality at PSQI ~11",
                  "Perceived sleep-quality gain per unit placebo relief (self-report only)"),
    ),
    derived=(
        Derived("sleep_perceived",
                "sleep_quality + sleep_expect*placebo_responsiveness*placebo_relief", "1",
                "Sleep quality as the patient perceives and reports it (1 = healthy)"),
        Derived("psqi",
                "21/(1 + (21/psqi_healthy - 1)*exp(-psqi_slope*(1 - sleep_perceived)))",
                "1", "Pittsburgh Sleep Quality Index (0-21)", observable=True),
    ),
    references=(_BUYSSE, _YEUNG),
)
