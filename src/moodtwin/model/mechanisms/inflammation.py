"""Inflammation and the cholinergic anti-inflammatory pathway (CAP).

TNF and IL-6 (normalised, 1 = healthy) relax with the cytokine removal rates of Dobreva et
al. 2021; production scales with the patient's inflammatory set point, is suppressed by
cortisol and by vagal efferent activity through splenic α7nAChR signalling (CAP). Implanted
cervical VNS adds efferent drive directly; the human CAP gain is uncertain (Koopman 2016
positive, Kox 2015 null), so the default effect is modest. IL-6 follows TNF; CRP follows IL-6.
"""

from moodtwin.model._spec import Derived, Mechanism, Parameter, State

_DOBREVA = "Dobreva et al. 2021 J Physiol (code willov/Inflammation-and-Cardiovascular-Dynamics)"

MECHANISM = Mechanism(
    name="inflammation",
    doc=__doc__,
    states=(
        State("TNF",
              "k_tnf*(infl_base*(1 - cap)/(1 - cap_max/(1 + cap_ec50))"
              "*exp(-k_cort_infl*(cortisol - 1)) - TNF)",
              "1", "TNF-α (1 = healthy)", initial=1.0),
        State("il6", "k_il6*(TNF - il6)", "1", "IL-6 (1 = healthy)", initial=1.0),
    ),
    parameters=(
        Parameter("k_tnf", 1.487, "1/h", 0.5, 3.0, _DOBREVA, "TNF removal rate"),
        Parameter("k_il6", 0.797, "1/h", 0.3, 2.0, _DOBREVA, "IL-6 removal rate"),
        Parameter("infl_base", 1.0, "1", 0.5, 4.0,
                  "assumed: patient covariate; depression mean IL-6 g 0.61 (Osimo et al. 2020)",
                  "Inflammatory set point"),
        Parameter("cap_max", 0.3, "1", 0.0, 0.9,
                  "assumed: human CAP gain uncertain (Koopman 2016 vs Kox 2015)",
                  "Maximal fractional TNF suppression by vagal efferents", calibratable=True),
        Parameter("cap_ec50", 1.0, "1", 0.2, 5.0, "assumed: half-maximal at healthy tone",
                  "Efferent activity of half-maximal CAP"),
        Parameter("k_vns_efferent", 2.0, "1", 0.0, 10.0,
                  "assumed: cervical VNS recruits efferent fibres (Koopman 2016 TNF inhibition)",
                  "Efferent activity per unit implanted-VNS drive"),
        Parameter("k_cort_infl", 0.3, "1", 0.0, 1.0, "assumed: glucocorticoid suppression",
                  "Log TNF production change per unit cortisol"),
        Parameter("il6_ref", 1.5, "pg/mL", 0.5, 5.0, "assumed: healthy plasma IL-6 ~1-2 pg/mL",
                  "IL-6 at normalised level 1"),
        Parameter("tnf_ref", 1.5, "pg/mL", 0.5, 5.0, "assumed: healthy plasma TNF ~1-2 pg/mL",
                  "TNF at normalised level 1"),
        Parameter("crp_ref", 1.0, "mg/L", 0.2, 5.0,
                  "assumed: healthy hs-CRP ~1 mg/L, proportional to IL-6 at steady state",
                  "CRP at normalised IL-6 of 1"),
    ),
    derived=(
        Derived("vagal_efferent", "vagal_tone + k_vns_efferent*vns_drive", "1",
                "Vagal efferent activity reaching the spleen"),
        Derived("cap", "cap_max*vagal_efferent/(vagal_efferent + cap_ec50)", "1",
                "Fractional TNF suppression by the CAP"),
        Derived("il6_pgml", "il6_ref*il6", "pg/mL", "Plasma IL-6", observable=True),
        Derived("tnf_pgml", "tnf_ref*TNF", "pg/mL", "Plasma TNF-α", observable=True),
        Derived("crp_mgl", "crp_ref*il6", "mg/L", "C-reactive protein", observable=True),
    ),
    references=(_DOBREVA, "Koopman et al. 2016 PNAS 113:8284", "Kox et al. 2015"),
)
