"""Stress response: HPA axis (CRH → ACTH → cortisol) with slow gland-mass adaptation.

Hormone dynamics and glucocorticoid-receptor feedback follow Karin et al. 2020 (Mol Syst
Biol 16:e9510): the pituitary corticotroph and adrenal cortex masses grow with their trophic
hormones over weeks, which gives dynamical compensation and a weeks-long memory of stress.
The stress drive rises with depression, inflammation and external stressors (``stressor``,
set by protocol ``stressor`` events: life events, chronic stress periods) and falls with
vagal tone. A sustained stressor first raises cortisol, then the grown glands compensate;
when it ends cortisol undershoots and recovers over weeks (Karin et al. 2020), which sets
the recovery time of the resilience endpoint (``moodtwin.resilience``).
Hormones are normalised (≈1 at healthy baseline).
"""

from moodtwin.model._spec import Derived, Input, Mechanism, Parameter, State

_KARIN = "Karin et al. 2020 Mol Syst Biol 16:e9510 (values from a third-party implementation)"
_GR = "(1/((cortisol/K_GR)**n_GR + 1))"

MECHANISM = Mechanism(
    name="hpa",
    doc=__doc__,
    inputs=(Input("stressor", "1",
                  "External stressor intensity (0 = none, 1 = a major life event)"),),
    states=(
        State("CRH", f"gamma_crh*(stress_drive/cortisol*{_GR} - CRH)", "1", "Hypothalamic CRH",
              initial=1.0),
        State("ACTH", f"gamma_acth*(CRH*pituitary_mass*{_GR} - ACTH)", "1", "Pituitary ACTH",
              initial=1.0),
        State("cortisol", "gamma_cort*(ACTH*adrenal_mass - cortisol)", "1", "Plasma cortisol",
              initial=1.0),
        State("pituitary_mass", "gamma_pit*pituitary_mass*(CRH - 1)", "1",
              "Functional corticotroph mass", initial=1.0),
        State("adrenal_mass", "gamma_adr*adrenal_mass*(ACTH - 1)", "1",
              "Functional adrenal cortex mass", initial=1.0),
    ),
    parameters=(
        Parameter("gamma_crh", 10.4, "1/h", 3.0, 30.0, _KARIN + ": CRH half-life 4 min",
                  "CRH removal rate"),
        Parameter("gamma_acth", 2.08, "1/h", 0.5, 6.0, _KARIN + ": ACTH half-life 20 min",
                  "ACTH removal rate"),
        Parameter("gamma_cort", 0.52, "1/h", 0.2, 1.5, _KARIN + ": cortisol half-life 80 min",
                  "Cortisol removal rate"),
        Parameter("gamma_pit", 0.00208, "1/h", 0.0005, 0.01, _KARIN + ": turnover ~20 d",
                  "Corticotroph mass turnover rate"),
        Parameter("gamma_adr", 0.00139, "1/h", 0.0003, 0.01, _KARIN + ": turnover ~30 d",
                  "Adrenal mass turnover rate"),
        Parameter("K_GR", 4.0, "1", 1.0, 10.0, _KARIN, "GR feedback half-saturation"),
        Parameter("n_GR", 3.0, "1", 1.0, 5.0, _KARIN, "GR feedback Hill coefficient"),
        Parameter("stress_base", 1.0, "1", 0.3, 3.0,
                  "assumed: patient covariate (life stress), 1 = healthy norm",
                  "Baseline hypothalamic stress input"),
        Parameter("k_dep_stress", 0.25, "1", 0.0, 2.0,
                  "derived from Stetler & Miller 2011 (cortisol d 0.33-0.60 higher in "
                  "depression): ~+20% cortisol at MADRS 33 vs 8",
                  "Stress drive per unit latent depression (log scale)"),
        Parameter("k_il6_stress", 0.2, "1", 0.0, 1.0,
                  "assumed: cytokines activate the HPA axis", "Stress drive per unit IL-6"),
        Parameter("k_vagal_stress", 0.5, "1", 0.0, 2.0,
                  "assumed: parasympathetic tone restrains the stress response",
                  "Stress drive reduction per unit vagal tone"),
        Parameter("k_stressor", 0.5, "1", 0.0, 2.0,
                  "assumed: a major stressor of intensity 1 raises hypothalamic drive by ~65% "
                  "(cortisol rises ~1.5-2-fold in acute laboratory stress, Kirschbaum et al. "
                  "1993 Neuropsychobiology 28:76; sustained stress is partly compensated)",
                  "Log stress drive per unit stressor intensity"),
        Parameter("cortisol_ref", 12.0, "ug/dL", 5.0, 25.0,
                  "PMC2684472 Fig. 1 (human, 33 healthy subjects, serum every 20 min for 24 h: "
                  "morning peak 15.5 ug/dL, 95% reference range 11.7-20.6, at 08:32; nadir "
                  "< 2 ug/dL at 00:18): 12 ug/dL is a morning value at the low end of that range",
                  "Cortisol at normalised level 1"),
    ),
    derived=(
        Derived("stress_drive",
                "stress_base*exp(k_dep_stress*(depression - 0.15) + k_il6_stress*(il6 - 1)"
                " - k_vagal_stress*(vagal_tone - 1) + k_stressor*stressor)",
                "1", "Hypothalamic stress input u(t)"),
        Derived("cortisol_ugdl", "cortisol_ref*cortisol", "ug/dL", "Serum cortisol",
                observable=True),
    ),
    references=(_KARIN, "Stetler & Miller 2011 Psychosom Med",
                "Kirschbaum, Pirke & Hellhammer 1993 Neuropsychobiology 28:76 (TSST)"),
)
