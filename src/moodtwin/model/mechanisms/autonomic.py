"""Autonomic balance: vagal tone and its observables (RMSSD, HF power, heart rate).

Vagal tone relaxes over days to a set point lowered by depression and cortisol and raised by
chronic afferent (NTS) activity. Because the set point moves slowly, a single 30-min taVNS
session leaves vagally mediated HRV essentially unchanged, as the evidence requires
(Wolf et al. 2021: g = 0.014 [-0.10, 0.13]). Depression lowers RMSSD by about half a
standard deviation (Koch et al. 2019: RMSSD g = -0.46). External stressors withdraw vagal
tone (HRV falls under stress, Kim et al. 2018 Psychiatry Investig 15:235).
"""

from moodtwin.model._spec import Derived, Mechanism, Parameter, State

_KOCH = "Koch et al. 2019 Psychol Med 49:1948 (RMSSD g -0.46, HF g -0.32)"

MECHANISM = Mechanism(
    name="autonomic",
    doc=__doc__,
    states=(
        State("vagal_tone",
              "(vagal_base - c_dep_vagal*(depression - 0.15) + c_aff_vagal*LC_gain/k_LC"
              " - c_cort_vagal*(cortisol - 1) - c_stress_vagal*stressor - vagal_tone)/tau_vagal",
              "1", "Cardiac vagal tone (1 = healthy norm)", initial=1.0),
    ),
    parameters=(
        Parameter("vagal_base", 1.0, "1", 0.4, 1.6,
                  "assumed: patient covariate, 1 = healthy adult norm",
                  "Vagal tone set point without depression"),
        Parameter("c_dep_vagal", 0.4, "1", 0.0, 1.5,
                  "derived from " + _KOCH + ": MADRS 33 vs 9 shifts RMSSD ~-0.5 SD",
                  "Loss of vagal tone per unit latent depression"),
        Parameter("c_aff_vagal", 1.0, "1", 0.0, 20.0,
                  "assumed: chronic VNS raises parasympathetic indices over weeks "
                  "(Bretherton 2019, 2 weeks of daily tVNS)",
                  "Gain of vagal tone per unit day-averaged afferent drive"),
        Parameter("c_cort_vagal", 0.1, "1", 0.0, 1.0,
                  "assumed: sympathetic shift with cortisol", "Vagal withdrawal per cortisol"),
        Parameter("c_stress_vagal", 0.2, "1", 0.0, 1.0,
                  "assumed: stress lowers HRV (direction: Kim et al. 2018 meta-analysis)",
                  "Vagal withdrawal per unit stressor intensity"),
        Parameter("tau_vagal", 72.0, "h", 12.0, 336.0,
                  "assumed: set point moves over days; consistent with no acute taVNS effect "
                  "(Wolf et al. 2021)", "Time constant of vagal tone"),
        Parameter("rmssd_ref", 42.0, "ms", 15.0, 100.0,
                  "assumed prior ~42 ms (Nunan et al. 2010 norms, value not verified)",
                  "RMSSD at vagal tone 1"),
        Parameter("hf_ref", 650.0, "ms**2", 100.0, 3000.0,
                  "bounded: Nunan et al. 2010 Pacing Clin Electrophysiol 33:1407 (human, 44 "
                  "studies, 21,438 healthy adults: short-term HRV values 'lower than Task "
                  "Force norms') and the 1996 Task Force 5-min supine norm HF 975 +/- 203 ms^2 "
                  "(as quoted by q-power.co): 650 ms^2 lies below it; Nunan's mean not read",
                  "HF power at vagal tone 1"),
        Parameter("b_rmssd", 1.1, "1", 0.3, 3.0, "derived from " + _KOCH,
                  "Log-RMSSD change per unit vagal tone"),
        Parameter("hr_ref", 70.0, "1/min", 50.0, 90.0,
                  "Quer et al. 2020 PLoS One 15:e0227709 (human, 92,457 adults, wearable: "
                  "mean daily resting heart rate 65 bpm, range 40-109 between people)",
                  "Heart rate at vagal tone 1"),
        Parameter("hr_vagal", 0.2, "1", 0.0, 1.0,
                  "assumed: ~+20% vagal tone lowers heart rate by ~4%",
                  "Log heart-rate change per unit vagal tone"),
    ),
    derived=(
        Derived("rmssd", "rmssd_ref*exp(b_rmssd*(vagal_tone - 1))", "ms",
                "Root mean square of successive RR differences", observable=True),
        Derived("hf_power", "hf_ref*exp(2*b_rmssd*(vagal_tone - 1))", "ms**2",
                "High-frequency HRV power (0.15-0.4 Hz)", observable=True),
        Derived("heart_rate", "hr_ref*exp(-hr_vagal*(vagal_tone - 1))", "1/min",
                "Resting heart rate", observable=True),
    ),
    references=(_KOCH, "Wolf et al. 2021 Psychophysiology",
                "Kim et al. 2018 Psychiatry Investig 15:235"),
)
