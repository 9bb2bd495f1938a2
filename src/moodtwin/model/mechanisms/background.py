"""Background treatment, active placebo, and one context-driven expectancy model.

An oral antidepressant builds its effect over weeks (first-order, τ ≈ 2 weeks).

**Expectancy** (the non-specific, placebo response) is one mechanism for every therapy; no
therapy has its own size. It is the product of two signals:

* *belief* that the treatment is active. The protocol compiler sets it from the trial context:
  1 for a treatment the patient knows is active (open label, a newly started oral
  antidepressant, usual care), 0 for one known to be inactive, and the probability of
  receiving active treatment in a blinded trial (allocation ratio and number of arms; placebo
  response rises with that probability, Papakostas & Fava 2009, Rutherford et al. 2009/2017).
  A blinded patient who *perceives* drug effects raises the belief toward 1 by the share
  ``unblinding`` (not every patient who notices an effect attributes it to the drug), and
  so does the improvement the patient has experienced (a patient who feels better infers
  active treatment, so expectancy feeds on experienced change): the
  model's own dissociation, corrugator paralysis and stimulation sensation or voice
  change are the cues, so a saline arm and a toxin arm differ because the toxin arm can no
  longer frown, not because of a fitted per-therapy kick. Sedation is not a cue: the active
  placebo midazolam does not pass for ketamine, whose expected effect is dissociation (in the
  KARMA-Dep 2 trial of twice-weekly ketamine vs midazolam most patients and raters guessed
  the allocation correctly, Jelovac et al. 2025 JAMA Psychiatry; number per arm not read).
  The evidence cuts both ways: a blinded patient whose study treatment would be noticeable
  if active (dissociation, tingling, voice change, frown paralysis) and who notices
  nothing lowers the allocation share by the same share ``unblinding`` (patients in placebo
  arms guess their allocation above chance: ketamine vs saline, most guess correctly, and
  sham devices that deliver no current risk unblinding, Hein et al. 2013 J Neural Transm
  120:821; a sham at a non-vagal site is felt and keeps the blind, Rong et al. 2016).
  ``unblinding`` is a share of patients: those who conclude placebo from a missing percept
  stay unblinded, so experienced improvement moves only the belief of the others (a patient
  who knows the infusion did nothing credits a better week to something else). Without
  this, improvement talked the unblinded share back into belief, and a sham that was not
  felt regained most of the active arm's expectancy within a week.
* *engagement* with treatment: raised to saturation by every treatment contact with the care
  or study team (infusion, nasal dosing, injection, implantation, device programming visit,
  stimulation session in the clinic, starting a new drug); it fades over weeks after the last
  contact. A visit at which the team rates or reviews the patient but delivers nothing (trial
  rating visit, clinical review of usual care) raises it only to ``review_engagement``: an
  extra rating visit adds less than a treatment does (Posternak & Zimmerman 2007: 0.86 HRSD
  points for an extra week-3 visit in 41 placebo-controlled trials). Sessions a patient runs
  alone at home after a trained first one (self-administered taVNS/tcVNS, Rong et al. 2016 J
  Affect Disord 195:172) are not contacts. Taking a pill, carrying a programmed device or
  feeling its effects does not hold it: an extra rating visit adds improvement on active drug
  as on placebo (Posternak & Zimmerman 2007), and an active implant whose stimulation
  patients feel (voice alteration) separated little from a sham implant with the same visits
  over 10 weeks (Rush et al. 2005: response 15.2 % vs 10.0 %). Perceived effects act through
  belief only. A rating visit during a treatment contact adds nothing to it.
* *novelty* of the treatment course: set at the first contact of a new course (for an
  implanted device its switch-on, not the surgery: in the open VNS pilot 1 of 60 patients
  improved during the 2-week recovery period without stimulation, Sackeim et al. 2001
  Neuropsychopharmacology 25:713) and fading over months, since expectancy attaches to
  newly started treatments (Rutherford et al.) and is not sustained over years of the same
  care. It fades late, not from the first day:
  familiarity with the course builds through three stages (mean time ``tau_novelty``), so
  novelty stays near 1 during the weeks in which placebo arms of antidepressant RCTs keep
  improving (Rutherford & Roose 2013) and fades over the following months.

Realised placebo relief follows ``belief × engagement × novelty`` with the onset the patient
expects (response expectancy, Kirsch 1985): over days to weeks for treatments known to act
over weeks (placebo arms improve over weeks, Jones et al. 2021), within hours once the study
treatment is presented as rapid-acting - an IV ketamine-class infusion or nasal esketamine,
or their saline, midazolam or spray placebos (the placebo arms of (es)ketamine RCTs improve
by most of the treatment response within 24 h to 7 days, Matsingos et al. 2024), and over
months once it is presented as acting gradually - implanted VNS, whose patients are told
that it often takes several months to notice its effects (the manufacturer's patient and
physician education; the D-01 pilot's gains accrued over a year, Marangell et al. 2002).
Without this, the weekly programming visits after switch-on realised the expectancy of a
newly started device within days, and the simulated VNS arms peaked a month after
switch-on and lost their gain when the visits ended, where D-01's improvement came mostly
in the fixed-dose weeks (Rush et al. 2000).
Midazolam, the active placebo of ketamine trials (a one-compartment drug), adds a fast relief
that fades within days (18 % response at 24 h against 1 % with saline, Wilkinson et al.
2019; back to placebo by day 7): benzodiazepine sedation relieves the anxiety and insomnia a
depression scale rates. Its size follows the *peak* sedation, not its duration: the relief
rises toward the current sedation while that is above it and otherwise only decays
(retrospective evaluations follow an experience's peak and end, Fredrickson & Kahneman 1993
J Pers Soc Psychol 65:45). Dissociation brings no relief of its own: the literature does not
show that it is needed for ketamine's antidepressant response (review: Ballard & Zarate 2020
Nat Commun 11:6431), and it did not track esketamine's effect across the induction doses
(Chen et al. 2022) nor predict the day-2 MADRS in TRANSFORM-1/2 (post hoc, n = 576, Mathai et
al. 2023 Psychopharmacology); it acts as a cue to belief only.
"""

from moodtwin.model._spec import Derived, Input, Mechanism, Parameter, State
from moodtwin.model.mechanisms._helpers import smooth_pos

_STAGES = 3
"""Stages through which familiarity with a treatment course builds (a gamma-shaped, delayed fading
of novelty; one stage would be an exponential fading from the first day)."""
_JONES = "Jones et al. 2021 JAMA Netw Open (50 TRD RCTs: placebo g 1.05, response 20%)"
_RUTH = ("Rutherford et al. 2017 JAMA Psychiatry 74:1064 (placebo response rises with the "
         "probability of receiving active drug); Papakostas & Fava 2009 Eur Neuropsychopharmacol "
         "19:34")
_MATSINGOS = ("Matsingos et al. 2024 Front Psychiatry 15:1346697 (meta-analysis of placebo "
              "response in ketamine and esketamine RCTs)")
_KIRSCH = "response expectancy theory, Kirsch 1985 Am Psychol 40:1189"
_CYBERONICS = ("Cyberonics VNS Therapy patient and physician education for depression, "
               "2005-2010: 'VNS Therapy works gradually and improves over time', 'it often "
               "takes several months to notice the effects'; the D-01 pilot's gains accrued "
               "over months, Marangell et al. 2002 Biol Psychiatry 51:280")
_GREENBLATT = ("Greenblatt et al. 1984 Anesthesiology 61:27 (midazolam t1/2 ~2-3 h, Vd ~1-1.5 "
               "L/kg in adults)")

MECHANISM = Mechanism(
    name="background",
    doc=__doc__,
    inputs=(
        Input("oral_ad", "1", "1 while an oral antidepressant is taken, else 0"),
        Input("belief_known", "1",
              "1 from the start of a treatment the patient knows is active (open label)"),
        Input("belief_blind", "1",
              "Probability of active treatment a blinded patient believes (trial allocation)"),
        Input("contact", "1", "1 during a treatment contact (procedure, session, dosing visit)"),
        Input("review", "1",
              "1 during a rating visit or clinical review at which no treatment is delivered"),
        Input("new_course", "1", "1 during the first contact of a new treatment course"),
        Input("midazolam_rate", "mg/kg/h", "Midazolam IV infusion rate"),
        Input("expects_percept", "1",
              "1 from the first delivery of a study treatment whose active form the patient "
              "could notice (dissociation, stimulation, voice change, frown paralysis)"),
        Input("expects_rapid", "1",
              "1 from the first delivery of a study treatment presented as rapid-acting (an "
              "IV ketamine-class infusion or nasal esketamine, or their placebos)"),
        Input("expects_gradual", "1",
              "1 from the switch-on of a study treatment presented as acting gradually over "
              "months (implanted VNS, or its sham)"),
        Input("tavns_skin_current", "mA",
              "Current felt at the skin during a taVNS/tcVNS session (a sham's too)"),
        Input("percept_masked", "1",
              "1 while a procedure runs under general anaesthesia or sedation (drug effects "
              "are not perceived)"),
    ),
    states=(
        State("antidepressant_level", "(oral_ad - antidepressant_level)/tau_AD", "1",
              "Established effect of the oral antidepressant (0-1)"),
        State("midazolam", "midazolam_rate - mdz_kel*midazolam", "mg/kg",
              "Midazolam in the body (per kg)", atol=1e-8),
        State("engagement",
              "k_engage*contact*(1 - engagement)"
              " + k_engage*review*" + smooth_pos("review_engagement - engagement", "1e-6")
              + " - engagement/tau_engage", "1",
              "Engagement with treatment (0-1): saturated by treatment contacts (procedures, "
              "sessions, dosing), raised to review_engagement by rating visits and reviews, "
              "fades over weeks"),
        State("familiarity_1",
              f"(1 - familiarity_1)*{_STAGES}/tau_novelty - k_engage*new_course*familiarity_1",
              "1", "Familiarity with the current treatment course, first stage (0-1); a new "
              "course resets it", initial=1.0),
        State("familiarity_2",
              f"(familiarity_1 - familiarity_2)*{_STAGES}/tau_novelty"
              " - k_engage*new_course*familiarity_2",
              "1", "Familiarity with the current treatment course, second stage (0-1)",
              initial=1.0),
        State("familiarity",
              f"(familiarity_2 - familiarity)*{_STAGES}/tau_novelty"
              " - k_engage*new_course*familiarity",
              "1", "Familiarity with the current treatment course (0-1): builds over months "
              "after a new course starts, so novelty stays near 1 for the first weeks",
              initial=1.0),
        State("perceived",
              "k_perceive*perceptibility*(1 - perceived) - perceived/tau_perceived", "1",
              "Memory of having perceived drug or device effects (0-1)"),
        State("placebo_relief", "(expectancy - placebo_relief)/placebo_onset", "1",
              "Realised placebo relief: follows expectancy with the onset the patient "
              "expects (hours for a rapid-acting treatment, days to weeks otherwise)"),
        State("acute_relief",
              "k_fast_relief*" + smooth_pos("sedation - acute_relief", "1e-6")
              + " - acute_relief/tau_acute_relief",
              "1", "Fast relief from benzodiazepine sedation (0-1): rises to the peak "
              "sedation, then fades over days"),
    ),
    parameters=(
        Parameter("tau_AD", 336.0, "h", 168.0, 1008.0,
                  "assumed: antidepressant onset over 2-4 weeks",
                  "Time constant of oral antidepressant effect"),
        Parameter("placebo_responsiveness", 1.0, "1", 0.0, 3.0,
                  "assumed: patient-level multiplier, smaller with more failed treatments "
                  f"({_JONES})", "Patient's susceptibility to expectancy"),
        Parameter("k_engage", 5.0, "1/h", 1.0, 20.0,
                  "assumed: one treatment contact (about an hour) establishes full engagement",
                  "Rate at which contacts saturate engagement"),
        Parameter("tau_engage", 336.0, "h", 48.0, 2016.0,
                  "assumed, calibratable to the placebo arms: a single blinded infusion leaves "
                  "placebo remission at 6% by day 7 (Int J Neuropsychopharmacol 2016 "
                  "meta-analysis) while repeated contacts sustain placebo response over 6-12 "
                  f"weeks ({_JONES})", "Fading of engagement after the last contact",
                  calibratable=True),
        Parameter("review_engagement", 0.4, "1", 0.05, 1.0,
                  "assumed, calibratable to the placebo arms: an extra follow-up visit at week 3 "
                  "gave a further 0.86-point HRSD fall in the placebo arms of 41 antidepressant "
                  "RCTs (Posternak & Zimmerman 2007 Br J Psychiatry 190:287), about 40 % of "
                  "the placebo response; 1 would make a rating visit a treatment contact",
                  "Engagement a rating visit or clinical review without treatment sustains "
                  "(fraction of a treatment contact's)", calibratable=True),
        Parameter("tau_novelty", 2190.0, "h", 336.0, 17520.0,
                  "assumed, calibratable to the long-term arms: placebo response builds over the "
                  "6-12 weeks of antidepressant RCTs (Rutherford & Roose 2013 Am J Psychiatry "
                  "170:723; Jones et al. 2021) and is not sustained over years of usual care "
                  "(VNS registry, Aaronson et al. 2017). Mean time to familiarity; it builds "
                  "through three stages (delayed, gamma-shaped fading: novelty 0.86 at a third "
                  "of this time, where a single exponential would have lost 28 %)",
                  "Mean time for a treatment course to lose its novelty", calibratable=True),
        Parameter("k_perceive", 2.0, "1/h", 0.2, 20.0,
                  "assumed: a perceptible drug or device effect is noticed within the hour",
                  "Rate at which perceived effects are registered"),
        Parameter("tau_perceived", 672.0, "h", 72.0, 4380.0,
                  "assumed: a patient who noticed an active drug's effects stays unblinded "
                  "for weeks (blinding indices after ketamine and toxin trials, Magid et al. "
                  "2015 discussion)", "Memory of perceived effects"),
        Parameter("unblinding", 0.6, "1", 0.0, 1.0,
                  "assumed, calibratable to the blinded arms: patients who perceive drug or "
                  "device effects guess active treatment above chance, but not all of them "
                  "attribute a perceived effect to the drug (0: perception never unblinds, "
                  "1: it always does)",
                  "Share of a perceived effect that turns into belief of active treatment",
                  calibratable=True),
        Parameter("experience_half", 0.15, "1", 0.02, 1.0,
                  "assumed, calibratable to the blinded arms: a blinded patient who feels "
                  "better infers active treatment (response expectancy is confirmed by "
                  "experienced change, Kirsch 1985 Am Psychol 40:1189; early improvement "
                  "predicts later placebo response, Rutherford & Roose 2013); half of the "
                  "remaining doubt goes at this improvement (MADRS/60; 0.15 = 9 points)",
                  "Experienced improvement that halves a blinded patient's doubt"),
        Parameter("tau_placebo_onset", 72.0, "h", 24.0, 672.0,
                  "assumed, calibratable to the placebo arms: placebo improvement accrues over "
                  "the first weeks of antidepressant RCTs (Rutherford & Roose 2013 Am J "
                  "Psychiatry 170:723) yet saline gives ~1% response at 24 h (Wilkinson et al. "
                  "2019)", "Onset time constant of placebo relief", calibratable=True),
        Parameter("tau_placebo_onset_rapid", 12.0, "h", 2.0, 72.0,
                  "assumed, calibratable to the ketamine and esketamine placebo arms: in 14 "
                  "placebo-controlled (es)ketamine RCTs the placebo arms improved by a "
                  "within-group d of -1.85, up to 72 % of the treatment response, at the "
                  "primary time point, mostly 24 h to 7 days (" + _MATSINGOS + "); a response "
                  "follows the onset a patient expects (" + _KIRSCH + ")",
                  "Onset time constant of placebo relief when the study treatment is "
                  "presented as rapid-acting", calibratable=True),
        Parameter("tau_placebo_onset_gradual", 2190.0, "h", 336.0, 8760.0,
                  "assumed, calibratable to the implanted-VNS arms: patients are told that VNS "
                  "works gradually and that it often takes several months to notice its effects "
                  "(" + _CYBERONICS + "); a response follows the onset a patient expects ("
                  + _KIRSCH + "); 3 months, 'within the first 3 months' to 'several months'; "
                  "the range spans 2 weeks to a year (responses as late as 18-20 months, "
                  "A. J. Rush in the same material)",
                  "Onset time constant of placebo relief when the study treatment is presented "
                  "as acting gradually over months", calibratable=True),
        Parameter("k_fast_relief", 2.0, "1/h", 0.2, 20.0,
                  "assumed, calibratable to the midazolam arms (Murrough 2013: MADRS -8.8 at "
                  "24 h; Wilkinson et al. 2019: 18% response at 24 h vs 1% with saline): how "
                  "fast the relief reaches the peak sedation (1/h)",
                  "Rate at which fast relief rises toward the sedation",
                  calibratable=True),
        Parameter("tau_acute_relief", 48.0, "h", 12.0, 168.0,
                  "assumed: the 24-h midazolam effect (Murrough 2013: MADRS -8.8) is gone by "
                  "day 7 (placebo remission 6%, Int J Neuropsychopharmacol 2016 meta-analysis)",
                  "Decay time of fast relief from sedation"),
        Parameter("mdz_kel", 0.28, "1/h", 0.1, 0.7, _GREENBLATT + ": ln2/2.5 h",
                  "Midazolam elimination rate"),
        Parameter("mdz_V", 1.1, "L/kg", 0.6, 3.0, _GREENBLATT, "Midazolam volume of distribution"),
        Parameter("mdz_ec50", 30.0, "ng/mL", 10.0, 150.0,
                  "assumed: light sedation at plasma midazolam ~30-100 ng/mL (0.045 mg/kg IV "
                  "gives a perceptible but mild sedation, Murrough et al. 2013)",
                  "Plasma midazolam of half-maximal sedation"),
        Parameter("tavns_sense_rheobase", 0.3, "mA", 0.1, 1.5,
                  "assumed: taVNS is felt (tingling) from ~0.5-1 mA at 200-250 us, below the "
                  "currents used in trials (Badran et al. 2018 Brain Stimul 11:699)",
                  "Rheobase of taVNS skin sensation"),
    ),
    derived=(
        Derived("midazolam_conc", "1000*midazolam/mdz_V", "ng/mL", "Plasma midazolam",
                observable=True),
        Derived("sedation", "midazolam_conc/(midazolam_conc + mdz_ec50)", "1",
                "Sedation (0-1)", observable=True),
        Derived("psychoactive", "(1 - percept_masked)*dissociation",
                "1", "Perceived psychoactive drug effect, a cue to belief: dissociation "
                "(midazolam's sedation does not pass for it) (0-1)"),
        Derived("stim_sensation",
                "1 - (1 - tavns_on*tavns_skin_current**2/(tavns_skin_current**2"
                " + (tavns_sense_rheobase*(1 + chronaxie/tavns_pulse_width))**2))"
                "*(1 - voice_alteration)", "1",
                "Perceived stimulation: taVNS tingling or VNS voice change (0-1)"),
        Derived("perceptibility",
                "1 - (1 - psychoactive)*(1 - paralysis)*(1 - stim_sensation)", "1",
                "Any perceptible effect of the treatment: psychoactive, frown paralysis, "
                "stimulation (0-1)", observable=True),
        Derived("improvement",
                smooth_pos("mood_memory - depression", "1e-4"),
                "1", "Improvement the patient has experienced: recent mood (mood memory) minus "
                "current depression, positive part (MADRS/60)"),
        Derived("placebo_onset",
                "tau_placebo_onset + expects_rapid*(tau_placebo_onset_rapid - tau_placebo_onset)"
                " + (1 - expects_rapid)*expects_gradual*(tau_placebo_onset_gradual"
                " - tau_placebo_onset)",
                "h", "Onset time constant of placebo relief the patient is in (a rapid-acting "
                "study treatment sets it when a gradual one is given too)"),
        Derived("still_blind",
                "1 - unblinding*expects_percept*(1 - perceived)", "1",
                "Share of blinded patients not unblinded by a missing percept: those who "
                "notice nothing where the active treatment would be felt and conclude placebo "
                "are the share unblinding"),
        Derived("belief",
                "belief_known + (1 - belief_known)*still_blind*(belief_blind"
                " + (1 - belief_blind)*(1 - (1 - unblinding*perceived*engagement)"
                "*(1 - improvement/(improvement + experience_half))))", "1",
                "Belief of receiving an active treatment (0-1)", observable=True),
        Derived("novelty", "1 - familiarity", "1",
                "Newness of the current treatment course (0-1): expectancy attaches to newly "
                "started treatments", observable=True),
        Derived("expectancy", "belief*engagement*novelty", "1",
                "Expectancy of improvement (0-1)", observable=True),
    ),
    references=(_JONES, _RUTH, _GREENBLATT, _CYBERONICS,
                "Wilkinson et al. 2019 Neuropsychopharmacology 44:1233",
                "Fredrickson & Kahneman 1993 J Pers Soc Psychol 65:45",
                "Redelmeier & Kahneman 1996 Pain 66:3",
                "Jelovac et al. 2025 JAMA Psychiatry (KARMA-Dep 2)"),
)
