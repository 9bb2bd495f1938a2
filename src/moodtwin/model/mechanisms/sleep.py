"""Sleep quality, improved by vagal tone and worsened by cortisol, depression and the
conditioned arousal of chronic insomnia, which vagal afferent stimulation relieves.

Sleep relaxes over days toward its set point and feeds back on mood (mood module) and
anxiety (anxiety module). It is reported on the Pittsburgh Sleep Quality Index (PSQI,
0–21; > 5 = poor sleeper, Buysse et al. 1989) through a logistic link: healthy sleep gives
PSQI ≈ 3 and the drug-free reference patient (MADRS 33) PSQI ≈ 11. The link and the
physiological gains are assumed.

Chronic insomnia is more than the sleep loss that depression, cortisol and low vagal tone
explain: it is maintained by conditioned (cognitive and physiological) hyperarousal
(Riemann et al. 2010, the hyperarousal model; Spielman's perpetuating factors). A patient
covariate ``insomnia_load`` (log sleep-quality loss, 0 = none) carries it; a trial sets it
per patient from its ``sleep_baseline`` (PSQI), and every other population has none. The
share of that arousal relieved, ``arousal_relief`` (0–1), grows with the vagal afferent
drive (taVNS sessions, implanted VNS): afferent vagal and NTS stimulation synchronise the
EEG and promote sleep (Magnes, Moruzzi & Pompeiano 1961; Chase et al. 1967, cats), and one
taVNS session lowered the raised spontaneous activity of the precuneus in primary insomnia
(Zhao et al. 2020, human fMRI). Its rate per unit drive is calibrated jointly to the two
sham-controlled taVNS insomnia trials (Zhang et al. 2024: -4.2 PSQI against sham at week 8;
Jiao et al. 2020: no significant difference at week 4), so their differences are fits, not
checks; the relief then lasts like the gains of behavioural insomnia treatment.

The PSQI is a self-report, and expectancy improves *perceived* sleep: against no treatment,
a placebo presented as active improved perceived global sleep quality by Hedges g = 0.58 but
not objectively measured sleep onset (Yeung et al. 2018, 13 studies, n = 566). The PSQI
therefore reads the sleep quality plus a perceived shift proportional to the realised
placebo relief (background mechanism); the physiological sleep state, which feeds mood,
does not get it.
"""

from moodtwin.model._spec import Derived, Mechanism, Parameter, State

_BUYSSE = "Buysse et al. 1989 Psychiatry Res 28:193 (PSQI 0-21, > 5 poor sleep)"
_RIEMANN = "Riemann et al. 2010 Sleep Med Rev 14:19 (hyperarousal model of primary insomnia)"
_ZHANG = ("Zhang et al. 2024 JAMA Netw Open 7:e2451217 (taVNS vs sham in chronic insomnia, "
          "n = 72, 8 weeks)")
_JIAO = ("Jiao et al. 2020 Evid Based Complement Alternat Med 2020:6049891 (taVNS vs "
         "non-vagal ear stimulation in insomnia, n = 72, 4 weeks)")
_CHASE = ("Chase et al. 1967 Brain Res 5:236 and Magnes, Moruzzi & Pompeiano 1961 Arch Ital "
          "Biol 99:33 (vagal afferent and NTS stimulation synchronise the EEG, cats)")
_ZHAO = ("Zhao et al. 2020 Front Neurosci 14:205 (one taVNS session lowered precuneus ALFF, "
         "raised in primary insomnia)")
_VANSTRATEN = ("van Straten et al. 2018 Sleep Med Rev 38:3 (CBT-I meta-analysis, effects "
               "maintained at follow-up)")
_YEUNG = ("Yeung et al. 2018 Sleep Med Rev 38:17 (placebo vs no treatment in insomnia: perceived "
          "global sleep quality g = 0.581, no effect on objective sleep onset latency)")

MECHANISM = Mechanism(
    name="sleep",
    doc=__doc__,
    states=(
        State("sleep_quality",
              "(exp(s_vagal*(vagal_tone - 1) - s_cort*(cortisol - 1) - s_dep*(depression - 0.15)"
              " - insomnia_load*(1 - arousal_relief)) - sleep_quality)/tau_sleep",
              "1", "Sleep quality (1 = healthy)", initial=1.0),
        State("arousal_relief",
              "k_arousal_relief*afferent_drive*(1 - arousal_relief)"
              " - arousal_relief/tau_arousal_return",
              "1", "Share of conditioned arousal (insomnia; PTSD hyperarousal) relieved (0-1)"),
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
        Parameter("insomnia_load", 0.0, "1", 0.0, 3.0,
                  "patient covariate, set from a trial's sleep_baseline (PSQI); 0 = no "
                  "conditioned insomnia arousal (" + _RIEMANN + ")",
                  "Log sleep-quality loss from the conditioned arousal of chronic insomnia"),
        Parameter("k_arousal_relief", 0.0177, "1/h", 0.001, 1.0,
                  "calibrated jointly to " + _ZHANG + " (taVNS minus sham PSQI at week 8: -4.2, "
                  "95% CI -5.9 to -2.6) and " + _JIAO + " (no significant PSQI difference "
                  "from a non-vagal ear site at week 4): maximum likelihood over a log grid "
                  "(benchmarks/calibration/insomnia_relief.py, 20 replicates; at 0.02/h "
                  "Zhang -3.43 and Jiao non-significant in 20 % of trials, at 0.01/h -2.29 and "
                  "50 %); mechanism from " + _CHASE + " and " + _ZHAO,
                  "Relief of conditioned insomnia arousal per hour of unit vagal afferent drive"),
        Parameter("tau_arousal_return", 43830.0, "h", 8766.0, 262800.0,
                  "bounded by " + _VANSTRATEN + ": the gains of behavioural insomnia "
                  "treatment remained at follow-up of up to a year, so relieved arousal "
                  "returns over years, not months; 5 years (inside the bound) keeps 82 % of "
                  "the relief a year later",
                  "Time for relieved insomnia arousal to return"),
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
    references=(_BUYSSE, _YEUNG, _RIEMANN, _ZHANG, _JIAO, _CHASE, _ZHAO, _VANSTRATEN),
)
