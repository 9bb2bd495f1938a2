"""Background treatment and expectancy: oral antidepressant and placebo/sham responses.

An oral antidepressant builds its effect over weeks (first-order, τ ≈ 2 weeks). Every
procedure (infusion, nasal dose, injection, implantation, stimulation session, study visit)
adds a kick to an expectancy state that decays over weeks; active placebos (midazolam) and
perceptible treatments kick harder than inactive ones (saline). Placebo response is smaller
with more failed treatments (Jones et al. 2021), entering through ``placebo_responsiveness``.
The kick sizes are parameters read by the protocol compiler when it builds dosing events.
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
              "Expectancy (placebo) drive, kicked by procedures"),
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
        _kick("infusion_active", 1.0, "blinded infusion with perceptible effects "
              "(ketamine, midazolam)"),
        _kick("infusion_inactive", 0.35, "saline infusion"),
        _kick("nasal", 0.25, "nasal-spray dosing session"),
        _kick("injection", 0.8, "glabellar injection session"),
        _kick("implant", 1.0, "VNS implantation (surgery, real or sham)"),
        _kick("stim_session", 0.01, "taVNS session (real or sham)"),
        _kick("visit", 0.05, "study/clinic visit"),
    ),
    references=(_JONES,),
)
