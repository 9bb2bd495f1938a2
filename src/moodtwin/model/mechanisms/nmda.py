"""NMDA receptor block by ketamine-class drugs and the resulting glutamate surge.

Plasma concentrations of racemic ketamine, esketamine and their N-desmethyl metabolites are
converted to unbound racemic-ketamine-equivalent µM (relative potencies from binding
constants) and reach the effect site with t½ ≈ 6 min. Two sites are occupied: a
high-affinity membrane-accessible site (EC50 ≈ 0.1 µM) that we assign to interneuron
receptors, and the pore site (EC50 ≈ 1 µM, Abbott et al. 2024) that blocks pyramidal
receptors. Interneuron block disinhibits pyramidal cells (glutamate surge) while pyramidal
pore block removes it, giving the inverted U of glutamate outflow against dose
(Moghaddam et al. 1997). Dissociation follows pore occupancy for racemic ketamine and
esketamine alike, and weakens with repeated doses: a tolerance state builds with pore block
and fades over weeks (peak CADSS fell significantly across the eight doses of TRANSFORM-2,
and fewer patients dissociated after the last dose than after the first; dissociation did
not correlate with improvement, Chen et al. 2022). The plasticity drive is the surge,
enhanced for racemic ketamine by its R-enantiomer/(2R,6R)-HNK actions that need no NMDA block
(Zanos et al. 2016).
"""

from moodtwin.model._spec import Derived, Mechanism, Parameter, State

_ABBOTT = "Abbott et al. 2024 Biophys J (pore EC50 ~1 uM; allosteric site ~0.1 uM)"
_CHEN = ("Chen et al. 2022 Int J Neuropsychopharmacol 25:269 (post hoc of TRANSFORM-2 and "
         "SUSTAIN-1)")

MECHANISM = Mechanism(
    name="nmda",
    doc=__doc__,
    states=(
        State("ket_effect_site", "ke0*(ket_equiv_uM - ket_effect_site)", "uM",
              "Unbound racemic-ketamine-equivalent concentration at the effect site", atol=1e-7),
        State("dissociation_tolerance",
              "k_diss_tol*nmda_block*(1 - dissociation_tolerance)"
              " - dissociation_tolerance/tau_diss_tol", "1",
              "Tolerance to the dissociative effect after repeated doses (0-1)"),
    ),
    parameters=(
        Parameter("ke0", 6.82, "1/h", 1.0, 30.0,
                  "Anesthesiology 2012;117:353 (S-ketamine blood-effect-site t1/2 mean 6.1 min)",
                  "Effect-site equilibration rate"),
        Parameter("fu_ket", 0.6, "1", 0.3, 0.95,
                  "Dayton et al. 1983 Eur J Clin Pharmacol 24:825 (ketamine is bound as much "
                  "as 47% to human plasma proteins: unbound fraction >= 0.53)",
                  "Unbound fraction in plasma"),
        Parameter("esk_potency", 1.7, "1", 1.2, 2.5,
                  "derived from Ebert et al. 1997 Eur J Pharmacol 333:99 Ki (S 0.3 uM, R 1.4 uM; "
                  "racemate ~0.5 uM): esketamine binds the NMDA pore ~1.7x as well as the "
                  "racemate, so dissociation follows the same occupancy for both",
                  "Esketamine NMDA-receptor potency relative to racemic ketamine"),
        Parameter("r_ketamine_gain", 1.0, "1", 0.0, 5.0,
                  "assumed, calibratable to esketamine-nasal-day28 with the racemic targets: "
                  "racemic ketamine is more effective than esketamine per NMDA-equivalent dose "
                  "(Bahji et al. 2021 J Affect Disord 278:542: response RR 3.01 for IV "
                  "racemic vs 1.38 for intranasal esketamine), attributed to R-ketamine and "
                  "(2R,6R)-HNK actions that do not need NMDA block (Zanos et al. 2016 Nature "
                  "533:481)",
                  "Extra plasticity drive of racemic ketamine per unit glutamate surge "
                  "(R-enantiomer/HNK pathway)", calibratable=True),
        Parameter("norket_potency", 0.12, "1", 0.03, 0.5,
                  "derived from Salat 2015 Ki (ketamine 0.119 uM, norketamine 0.97 uM)",
                  "Norketamine potency relative to ketamine"),
        Parameter("ki_interneuron", 0.1, "uM", 0.02, 0.5, _ABBOTT,
                  "Half-occupancy of the high-affinity (interneuron) site"),
        Parameter("ki_pore", 1.0, "uM", 0.3, 3.0, _ABBOTT, "Half-occupancy of the pore site"),
        Parameter("k_diss_tol", 0.15, "1/h", 0.02, 1.0,
                  "assumed: one dose (pore block ~0.3-0.6 for about two hours) builds about a "
                  "sixth of the full tolerance, so it approaches its plateau over the eight "
                  "doses of a 4-week induction (" + _CHEN + ")",
                  "Rate at which pore block builds dissociation tolerance"),
        Parameter("tau_diss_tol", 336.0, "h", 72.0, 2016.0,
                  "assumed: tolerance carries over between twice-weekly doses and is not "
                  "described as lasting beyond weeks (" + _CHEN + ")",
                  "Decay time of dissociation tolerance"),
        Parameter("diss_tol_max", 0.4, "1", 0.0, 0.9,
                  "assumed, calibratable to esketamine-nasal-day28 (repeated doses) with the "
                  "single-dose targets: the mean peak CADSS decreased significantly across "
                  "consecutive esketamine doses (" + _CHEN + "); the size was not read",
                  "Largest fractional loss of dissociation under full tolerance",
                  calibratable=True),
        Parameter("dissociation_occ50", 0.25, "1", 0.05, 0.8,
                  "assumed: dissociation while plasma 100-250 ng/mL (Zanos et al. 2018 Table 1)",
                  "Pore occupancy of half-maximal dissociation"),
    ),
    derived=(
        Derived("racemic_share",
                "(ketamine_conc + 0.01)/(ketamine_conc + esk_potency*esketamine_conc + 0.01)",
                "1", "Share of NMDA occupancy due to racemic ketamine (0-1)"),
        Derived("ket_equiv_uM",
                "fu_ket*(ketamine_conc/237.7 + esk_potency*esketamine_conc/237.7"
                " + norket_potency*(norketamine_conc + esk_potency*noresketamine_conc)/223.7)",
                "uM", "Unbound racemic-ketamine-equivalent plasma concentration "
                "(molar masses 237.7 and 223.7 g/mol)"),
        Derived("nmda_occ_interneuron", "ket_effect_site/(ket_effect_site + ki_interneuron)",
                "1", "Occupancy of the high-affinity site", observable=True),
        Derived("nmda_block", "ket_effect_site/(ket_effect_site + ki_pore)", "1",
                "Pore (pyramidal) NMDA receptor block", observable=True),
        Derived("glutamate_surge", "nmda_occ_interneuron*(1 - nmda_block)**2", "1",
                "Disinhibition-driven glutamate/AMPA surge (inverted U in dose)",
                observable=True),
        Derived("plasticity_drive", "glutamate_surge*(1 + r_ketamine_gain*racemic_share)", "1",
                "Drive of fast synaptic potentiation: NMDA-mediated surge, enhanced for racemic "
                "ketamine (R-ketamine/HNK)", observable=True),
        Derived("dissociation",
                "(1 - diss_tol_max*dissociation_tolerance)"
                "*nmda_block**2/(nmda_block**2 + dissociation_occ50**2)", "1",
                "Dissociative burden (0-1, CADSS-like)", observable=True),
    ),
    references=(_ABBOTT, "Moghaddam et al. 1997 J Neurosci 17:2921", "Zanos et al. 2018",
                _CHEN),
)
