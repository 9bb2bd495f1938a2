"""Latent depression and anxiety severity, and the natural course of the episode.

Depression ``D`` (0–1, MADRS/60) relaxes within hours (``tau_dep``, calibrated) toward a
logistic function of a drive that sums the mechanisms: synaptic potentiation and synapse density,
neurogenesis, serotonin and NE lower it; cortisol, IL-6, amygdala negative bias and poor
sleep raise it; placebo relief, the fast relief of benzodiazepine sedation and, for hours
after a ketamine-class dose, trapped NMDA block in the lateral habenula (habenula mechanism)
lower it.

How much raised serotonin and NE tone lower a patient's depression is a patient trait,
``monoamine_responsiveness``, in two latent classes: a minority is monoamine-sensitive, the
rest barely follows monoamine tone. In 232 registration trials the drug's benefit over
placebo came as a larger share of large improvements (24.5 % against 9.6 %; Stone et al.
2022), not as a small gain for everyone. A failed adequate antidepressant trial is less
likely in a sensitive patient, so each failure lowers the odds of being sensitive (Bayes'
rule): response to each further treatment step fell from 48.6 % to 16 % in STAR*D (Rush et
al. 2006), and VNS, which acts through the LC and raphe, helped none of 13 patients with
more than 7 failed trials (Sackeim et al. 2001). Remitters on an antidepressant are then
enriched in sensitive patients, whose remission depends on the drug: replacing it with
placebo brings relapse back (Kato et al. 2021: 39.7 % against 20.9 % over 40 trials). The
slower routes (neurogenesis, synapses) are not scaled: treatment resistance does not stop
ketamine (Murrough et al. 2013: >= 3 failures) or the slow VNS gains of the registry
(Aaronson et al. 2017: >= 4 failures). So the same auricular stimulation separates from sham
within weeks in patients with few failed treatments (taVNS, Rong et al. 2016) while the
cervical implant barely does in 10 weeks in treatment-resistant ones (Rush et al. 2005). The
calibration set barely pins the weight of serotonin tone, so it is conditioned on a source
outside it: the weight where a newly started oral antidepressant beats placebo by 1.75
HAMD-17 points in patients without treatment resistance, as in those 232 trials
(``moodtwin.calibration._sources``).
Specific and non-specific relief do not simply add. Response expectancy produces the change
a patient expects (Kirsch 1985), so once a treatment has brought that change, expectancy has
less left to add (trials assume the two add; data on other drugs show they do not always,
Kirsch 2000).
The drive is lowered by the sum of the specific relief (synapses, potentiation, habenular
block, neurogenesis, monoamine tone) and the non-specific relief (expectancy, sedation)
less ``fulfilment`` times the smaller of the two: 0 adds them, 1 keeps the larger alone.
A slow mood memory (persistence of the depressive state: median episode duration ~3 months,
Spijker et al. 2002) feeds back positively, so sustained drives accrue over months (VNS) and
improvements outlast their cause (botulinum toxin), while one ketamine dose fades with its
synapses. Anxiety has its own state (anxiety mechanism).

The natural course is part of the dynamics: each virtual patient has a time of spontaneous
remission and of relapse (drawn by the population model from hazards that fall with the
number of failed treatments), at which the drive steps down and back up over about a week
(an episode clock runs on the protocol's time axis). Treatment as usual therefore produces
remissions, and remitters relapse. Between these steps the severity of an episode drifts
for reasons the model does not represent (life events, seasons, comorbid illness): a slow,
zero-mean fluctuation of the drive with stationary SD ``course_sd`` (logit) and correlation
time ``course_corr_time``, zero at the start of the protocol. Each patient's path is a sum
of ``COURSE_TERMS`` cosines with random phases and frequencies drawn by the population model
from the Lorentzian spectrum of an Ornstein-Uhlenbeck process (random Fourier features,
Rahimi & Recht 2007), so the change of the drive over a lag Δ ≥ course_corr_time has,
across patients, the OU variance 2·course_sd²·(1 - exp(-Δ/course_corr_time)) within 4 %.
Frequencies are cut at 10/course_corr_time, which keeps the solver's steps long and makes
changes over shorter lags smaller than OU's (two thirds of it at a quarter of the
correlation time); the fast day-to-day fluctuation is the output layer's. Without the drift
the spread of change in trial arms was about two thirds of the published one (SD of the
MADRS change to day 28: 13-15 in the TRANSFORM trials, Turkoz et al. 2022 Arch Womens Ment
Health 25:313). The output layer adds the day-to-day fluctuation of
symptoms (an Ornstein-Uhlenbeck process in MADRS points, ``daily_sd`` and
``daily_corr_time``), averaged over each rating's recall period (the past week, or the time
since the previous rating, as with the 24-h recall of rapid-acting antidepressant trials),
and the measurement error of each rating (independent between visits, ``rating_sd``). So a
24-h-recall rating fluctuates more than a 7-day one: in the pooled ketamine trials the
control-arm SD of MADRS rose from 6.5 at baseline to 9.3 one day after saline or midazolam
(Wilkinson et al. 2018 Am J Psychiatry 175:150). A clinician who knows that the patient
receives the experimental treatment (an open-label trial without blinded raters) rates every
post-baseline visit ``rater_bias`` MADRS points lower (observer bias: non-blinded assessors
made effects on subjective scales 0.23 SD more beneficial than blinded assessors of the same
patients, Hrobjartsson et al. 2013 CMAJ 185:E201); self-rated scales have no rater.
"""

from moodtwin.model._spec import Derived, Input, Mechanism, Parameter, State
from moodtwin.model.mechanisms._helpers import smooth_min, smooth_pos

_ASSUMED_W = "assumed, calibratable to the calibration set"
_STARD = ("Rush et al. 2006 Am J Psychiatry 163:1905 (STAR*D: response 48.6, 28.5, 16.8 and "
          "16.3 % at treatment steps 1-4)")
_STONE = ("Stone et al. 2022 BMJ 378:e067606 (232 placebo-controlled monotherapy trials "
          "submitted to the FDA, 73,388 participants: drug minus placebo 1.75 HAMD-17 points, "
          "95 % CI 1.63-1.86)")
_SACKEIM = ("Sackeim et al. 2001 Neuropsychopharmacology 25:713 (VNS: no response among 13 "
            "patients with more than 7 failed adequate trials, 39 % among the others)")
COURSE_TERMS = 4
"""Number of cosines in each patient's slow course fluctuation (random Fourier features)."""
COURSE_FREQ_MAX = 10.0
"""Truncation of the fluctuation's frequencies, in units of 1/course_corr_time."""


def _course_terms() -> str:
    """The fluctuation of the drive: zero at protocol start, stationary SD ``course_sd``."""
    terms = " + ".join(f"cos(course_freq_{k}*episode_clock/course_corr_time + course_phase_{k})"
                       f" - cos(course_phase_{k})" for k in range(1, COURSE_TERMS + 1))
    return f"course_sd*{(2.0 / COURSE_TERMS) ** 0.5!r}*({terms})"


def _course_parameters() -> tuple[Parameter, ...]:
    out = []
    for k in range(1, COURSE_TERMS + 1):
        out.append(Parameter(
            f"course_freq_{k}", 0.0, "1", 0.0, COURSE_FREQ_MAX,
            "patient-level: drawn by the population model (|standard Cauchy|, truncated); "
            "default 0: no fluctuation", f"Frequency of course fluctuation term {k} "
            "(x 1/course_corr_time)"))
        out.append(Parameter(
            f"course_phase_{k}", 0.0, "rad", 0.0, 6.2832,
            "patient-level: drawn by the population model (uniform)",
            f"Phase of course fluctuation term {k}"))
    return tuple(out)


def _w(name: str, value: float, what: str, high: float = 20.0, cal: bool = True) -> Parameter:
    return Parameter(name, value, "1", 0.0, high, _ASSUMED_W, what, calibratable=cal)


MECHANISM = Mechanism(
    name="mood",
    doc=__doc__,
    inputs=(Input("clock_on", "1", "1 while the episode clock runs (protocol time)"),),
    states=(
        State("episode_clock", "clock_on", "h", "Time since the start of the protocol"),
        State("depression", "(1/(1 + exp(-depression_drive)) - depression)/tau_dep", "1",
              "Latent depression severity (MADRS/60)", initial=0.5),
        State("mood_memory", "(depression - mood_memory)/tau_memory", "1",
              "Slow momentum of recent mood", initial=0.5),
    ),
    parameters=(
        Parameter("vulnerability", -0.04, "1", -6.0, 6.0,
                  "derived: patient-level (trials set it per patient to reach the drawn "
                  "baseline); -0.04 puts the untreated, drug-free reference patient at MADRS "
                  "33, the baseline of the VNS registry's TRD patients (Aaronson et al. 2017: "
                  "33.1)",
                  "Baseline depressive drive (logit scale)"),
        Parameter("tau_dep", 6.0, "h", 2.0, 72.0,
                  "assumed, calibratable to the single-infusion ketamine targets at 24 h: "
                  "depressive symptoms fall within hours of a ketamine infusion (significant "
                  "against placebo within 110 min, largest at 24 h: Zarate et al. 2006 Arch Gen "
                  "Psychiatry 63:856; response at 4 h in Coyle & Laws 2015 Hum Psychopharmacol "
                  "30:152), so the severity's own lag is hours, not a day",
                  "Time constant of latent depression", calibratable=True),
        Parameter("tau_memory", 2880.0, "h", 336.0, 8760.0,
                  "assumed, calibratable: persistence of the depressive state over months "
                  "(median episode 3 months, Spijker et al. 2002 Br J Psychiatry 181:208); VNS "
                  "benefit accrues over months (Aaronson et al. 2017)",
                  "Time constant of mood memory", calibratable=True),
        _w("w_memory", 1.2, "Weight of mood memory (positive feedback)", high=3.9),
        _w("w_syn", 6.0, "Weight of synapse density"),
        _w("w_pot", 0.7, "Weight of fast synaptic potentiation"),
        _w("w_neuro", 2.0, "Weight of neurogenesis / slow plasticity"),
        Parameter("w_5ht", 3.68, "1", 0.0, 20.0,
                  "conditioned on " + _STONE + ": the value at which a newly started oral "
                  "antidepressant beats placebo by 1.75 HAMD-17 points after 8 weeks in "
                  "patients without treatment resistance, double-blind against a placebo pill "
                  "at 1:1 as in those trials (moodtwin.calibration._sources; 3.68 at round "
                  "47b's point with round 52's two classes of monoamine responsiveness, where "
                  "the effect falls on the sensitive minority); held here while the other "
                  "values are calibrated, and solved again on the calibrated point by moodtwin "
                  "calibrate --condition-on-sources, which writes it into the set",
                  "Weight of serotonin tone (at monoamine_responsiveness 1)"),
        _w("w_ne", 0.2, "Weight of norepinephrine tone (at monoamine_responsiveness 1)"),
        Parameter("monoamine_responsiveness", 0.04, "1", 0.0, 10.0,
                  "patient-level: drawn by the population model (data/population.yaml "
                  "covariate monoamine_responsiveness: a sensitive and an insensitive class, "
                  "the sensitive share falling with each failed treatment by Bayes' rule; "
                  "the reference patient has the insensitive class's level, as the median "
                  "patient at any number of failed treatments does); "
                  + _STONE + "; " + _STARD + "; " + _SACKEIM,
                  "How strongly the patient's mood follows raised serotonin and NE tone "
                  "(multiplies w_5ht and w_ne)"),
        _w("w_cort", 0.3, "Weight of cortisol"),
        _w("w_il6", 0.3, "Weight of IL-6"),
        _w("w_amygdala", 0.7, "Weight of amygdala negative bias (facial feedback)"),
        _w("w_sleep", 0.3, "Weight of sleep quality"),
        _w("w_expect", 1.0, "Weight of expectancy"),
        Parameter("fulfilment", 0.5, "1", 0.1, 1.0,
                  "assumed, calibratable (prior log-uniform over the range): response "
                  "expectancy produces the change a patient expects, so a change the "
                  "treatment has already brought leaves expectancy less to add (Kirsch 1985 "
                  "Am Psychol 40:1189; that drug and placebo effects in depression add is "
                  "untested, and for other drugs they do not always add, Kirsch 2000 Biol "
                  "Psychiatry 47:733); 0.5 midway between "
                  "additive (0) and the larger of the two alone (1)",
                  "Share of the smaller of the specific and the non-specific relief that "
                  "the larger already delivers (0: the two add)"),
        Parameter("daily_sd", 4.0, "1", 1.0, 7.0,
                  "derived from Wilkinson et al. 2018 Am J Psychiatry 175:150 (pooled ketamine "
                  "trials, individual data): the control-arm SD of MADRS rose from 6.5 at "
                  "baseline (7-day recall) to 9.3 one day after saline or midazolam (24-h "
                  "recall). In the pooled day-1 trial file (ketamine_wilkinson2019_day1, "
                  "round 22's point, 2,400 patients) the simulated control-arm SD one day "
                  "after the infusion is 8.5 at 1.15, 8.9 at 3.0 and 9.5 at 5.0, so 9.3 is met "
                  "near 4; its sampling error (~0.5 with ~180 controls) admits about 1-7. Not "
                  "calibrated: the ABC distance, which sees it only through rates and Cohen's "
                  "d on 100 patients per trial, drove it to ~1 (round 22)",
                  "Day-to-day fluctuation of symptom severity (MADRS points, SD); a rating "
                  "averages it over its recall period (a week, or since the previous rating)",
                  calibratable=True),
        Parameter("daily_corr_time", 24.0, "h", 12.0, 336.0,
                  "assumed: symptoms carry over from one day to the next with a modest "
                  "day-to-day autocorrelation of affect (100-day diaries, Brose et al. 2015 "
                  "Cogn Emot 29:527); about a day",
                  "Correlation time of day-to-day fluctuation"),
        Parameter("rating_sd", 1.8, "1", 1.0, 3.0,
                  "Duru & Fantino 2008 Curr Med Res Opin 24:1329 (MADRS standard error of "
                  "measurement 1.6-1.9 points); consistent with test-retest ICC 0.91-0.96 in "
                  "TRD trials (Johnson et al., J Clin Psychiatry: MADRS with 24-h recall) "
                  "at a between-patient SD of 6-9 points. Independent between visits "
                  "(interviewer, interview and recall differences)",
                  "Measurement error of one rating (MADRS points, SD)"),
        Parameter("rater_bias", 2.2, "1", 0.5, 3.8,
                  "derived from Hrobjartsson et al. 2013 CMAJ 185:E201 (16 trials, 2,854 "
                  "patients, each rated by blinded and non-blinded assessors on the same "
                  "subjective scale: non-blinded assessors made the effect more beneficial by "
                  "0.23 SD, 95 % CI 0.06-0.40, i.e. +68 %) times the ~9.5-point SD of MADRS "
                  "ratings at a TRD trial's endpoint; the range is the CI. Calibratable within it",
                  "Observer bias: how much lower a clinician who knows the patient receives "
                  "the experimental treatment rates the patient after baseline (open-label "
                  "trials without blinded raters; MADRS points)",
                  calibratable=True),
        Parameter("course_amp", 2.5, "1", 0.0, 6.0,
                  "assumed: a spontaneous remission moves a MADRS-30 patient below the "
                  "remission threshold (logit drive step of 2-3 with the mood-memory "
                  "feedback)", "Drop of the depressive drive at spontaneous remission"),
        Parameter("course_width", 72.0, "h", 12.0, 672.0,
                  "assumed: recovery from an episode unfolds over one to two weeks",
                  "Duration scale of a spontaneous remission or relapse"),
        Parameter("course_sd", 0.3, "1", 0.02, 1.5,
                  "assumed, calibratable (the calibration sees it through response and "
                  "remission rates and Cohen's d): severity drifts within an episode; checked "
                  "against the SD of the 4-week MADRS change, 13-15 points in TRANSFORM-1 and "
                  "-2 (Turkoz et al. 2022 Arch Womens Ment Health 25:313), which is not a "
                  "target. 0.3 logit is ~4 MADRS points at MADRS 33",
                  "SD of the slow fluctuation of the episode's drive (logit)",
                  calibratable=True),
        Parameter("course_corr_time", 672.0, "h", 168.0, 4380.0,
                  "assumed, calibratable: severity drifts over weeks to months (weekly ratings "
                  "in antidepressant trials are strongly autocorrelated from week to week; "
                  "median episode ~3 months, Spijker et al. 2002)",
                  "Correlation time of the slow course fluctuation", calibratable=True),
        *_course_parameters(),
        Parameter("remit_time", 1e6, "h", 0.0, 1e6,
                  "patient-level: drawn by the population model (data/population.yaml "
                  "natural_course); default: no spontaneous remission",
                  "Time of spontaneous remission of the episode"),
        Parameter("relapse_time", 1e6, "h", 0.0, 1e6,
                  "patient-level: drawn by the population model (data/population.yaml "
                  "natural_course); default: no relapse", "Time of relapse after it"),
    ),
    derived=(
        Derived("specific_relief",
                "w_syn*(synapses - syn_floor) + w_pot*potentiation + lhb_relief"
                " + w_neuro*(neurogenesis - 1)"
                " + monoamine_responsiveness*(w_5ht*(serotonin - 1) + w_ne*(norepinephrine - 1))",
                "1", "Drive lowered by what treatments change in the brain: synapses, "
                "potentiation, habenular block, neurogenesis, monoamine tone (logit)"),
        Derived("nonspecific_relief",
                "w_expect*placebo_responsiveness*(placebo_relief + acute_relief)",
                "1", "Drive lowered by expectancy and sedation relief (logit)"),
        Derived("depression_drive",
                "vulnerability + w_memory*(mood_memory - 0.5) - specific_relief"
                " - nonspecific_relief + fulfilment*"
                + smooth_min(smooth_pos("specific_relief", "1e-4"), "nonspecific_relief", "1e-4")
                + " - course_amp*(tanh((episode_clock - remit_time)/course_width)"
                " - tanh((episode_clock - relapse_time)/course_width))/2"
                f" + {_course_terms()}"
                " + w_cort*(cortisol - 1) + w_il6*(il6 - 1)"
                " + w_amygdala*(amygdala_bias - 1) - w_sleep*(sleep_quality - 1)",
                "1", "Logit-scale drive of depression"),
        Derived("madrs", "60*depression", "1", "Latent MADRS score (0-60)", observable=True),
    ),
    references=(_STONE, "Spijker et al. 2002 Br J Psychiatry 181:208",
                "Whiteford et al. 2013 Psychol Med 43:1569",
                "Rush et al. 2006 Am J Psychiatry 163:1905",
                "Duru & Fantino 2008 Curr Med Res Opin 24:1329",
                "Rahimi & Recht 2007 Adv Neural Inf Process Syst 20 (random Fourier features)",
                "Turkoz et al. 2022 Arch Womens Ment Health 25:313",
                "Hrobjartsson et al. 2013 CMAJ 185:E201 (observer bias with measurement scale "
                "outcomes)"),
)
