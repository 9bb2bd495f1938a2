"""Background treatment and non-specific (placebo) responses.

An oral antidepressant builds its effect over weeks (first-order, τ ≈ 2 weeks).

The trial-context (expectancy) placebo process has two stages. Every procedure (infusion,
nasal dose, injection, implantation, stimulation session, study visit) adds a kick to an
expectancy state that decays over weeks; the realised placebo relief follows expectancy with
its own onset time of a few days, so an inactive placebo (saline) barely moves the score
at 24 h (Wilkinson et al. 2019: 1% response) while placebo arms improve over the following
weeks (Jones et al. 2021: 20% response in TRD RCTs). Treatments with perceptible acute
effects (ketamine and midazolam infusions, esketamine dosing: sedation, dissociation) add a
separate fast relief that fades within days (midazolam: 18% response at 24 h, remission
back to 6% at day 7). Both are scaled by the patient's ``placebo_responsiveness``, smaller
with more failed treatments (Jones et al. 2021). The kick sizes are parameters read by the
protocol compiler when it builds dosing events.
"""

from moodtwin.model._spec import Input, Mechanism, Parameter, State

_JONES = "Jones et al. 2021 JAMA Netw Open (50 TRD RCTs: placebo g 1.05, response 20%)"


def _kick(name: str, value: float, what: str) -> Parameter:
    return Parameter(
        f"kick_{name}", value, "1", 0.0, 3.0,
        f"assumed, calibratable to the placebo arms of the calibration set ({_JONES})",
        f"Expectancy kick of one {what}", calibratable=True,
    )


MECHANISM = Mechanism(
    name="background",
    doc=__doc__,
    inputs=(Input("oral_ad", "1", "1 while an oral antidepressant is taken, else 0"),),
    states=(
        State("antidepressant_level", "(oral_ad - antidepressant_level)/tau_AD", "1",
              "Established effect of the oral antidepressant (0-1)"),
        State("expectancy", "-expectancy/tau_expect", "1",
              "Expectancy (trial context), kicked by procedures"),
        State("placebo_relief", "(expectancy - placebo_relief)/tau_placebo_onset", "1",
              "Realised placebo relief: follows expectancy with a delay of days"),
        State("acute_relief", "-acute_relief/tau_acute_relief", "1",
              "Fast non-specific relief from perceptible acute drug effects"),
    ),
    parameters=(
        Parameter("tau_AD", 336.0, "h", 168.0, 1008.0,
                  "assumed: antidepressant onset over 2-4 weeks",
                  "Time constant of oral antidepressant effect"),
        Parameter("tau_expect", 504.0, "h", 72.0, 2016.0,
                  "assumed, calibratable: placebo responses persist for weeks in 6-10 week RCTs",
                  "Decay time of expectancy", calibratable=True),
        Parameter("placebo_responsiveness", 1.0, "1", 0.0, 3.0,
                  "assumed: patient-level multiplier, smaller with more failed treatments "
                  f"({_JONES})", "Patient's susceptibility to expectancy"),
        Parameter("tau_placebo_onset", 72.0, "h", 24.0, 672.0,
                  "assumed, calibratable to the placebo arms: placebo improvement accrues over "
                  "the first weeks of antidepressant RCTs (Rutherford & Roose 2013 Am J "
                  "Psychiatry 170:723) yet saline gives ~1% response at 24 h (Wilkinson et al. "
                  "2019); default near the calibrated value (data/calibrated.yaml)",
                  "Onset time constant of placebo relief", calibratable=True),
        Parameter("tau_acute_relief", 48.0, "h", 12.0, 168.0,
                  "assumed: the 24-h midazolam effect (Murrough 2013: MADRS -8.8) is gone by "
                  "day 7 (placebo remission 6%, Int J Neuropsychopharmacol 2016 meta-analysis)",
                  "Decay time of fast relief from perceptible acute drug effects"),
        Parameter("kick_perceptible", 1.8, "1", 0.0, 3.0,
                  "assumed, calibratable to the midazolam arms (Murrough 2013; Wilkinson et al. "
                  "2019: 18% response at 24 h vs 1% with saline); default near the calibrated "
                  "value",
                  "Fast relief kick of one dose with perceptible acute effects (ketamine or "
                  "midazolam infusion, esketamine dosing session)", calibratable=True),
        _kick("infusion", 1.0, "blinded IV infusion (ketamine, midazolam or saline: the trial "
              "context is the same, placebo response does not differ by modality, Jones et al. "
              "2021; perceptible drug effects add the fast relief separately)"),
        _kick("nasal", 0.25, "nasal-spray dosing session"),
        _kick("injection", 0.8, "glabellar injection session"),
        _kick("implant", 1.0, "VNS implantation (surgery, real or sham)"),
        _kick("stim_session", 0.01, "taVNS session (real or sham)"),
        _kick("visit", 0.05, "study/clinic visit"),
    ),
    references=(_JONES,),
)
