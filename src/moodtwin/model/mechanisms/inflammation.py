"""Inflammation, the cholinergic anti-inflammatory pathway (CAP) and ketamine's action on it.

TNF and IL-6 (normalised, 1 = healthy) relax with the cytokine removal rates of Dobreva et
al. 2021. TNF production scales with the patient's inflammatory set point and is suppressed
by cortisol, by tonic vagal efferent activity (CAP), by stimulation of the cervical efferent
(B) fibres and by ketamine. Stimulated suppression builds and fades over days
(``cap_stim``): in Koopman et al. 2016 LPS-induced TNF production rose when VNS was stopped
for 14 days and fell again when it was restarted, and a single 60-s train a day sufficed, so
suppression saturates at low duty cycles. Its size is calibrated to the only human number:
whole-blood LPS-induced TNF production fell from 2,900 to 1,776 pg/mL (−39 %) after 42 days
of VNS in rheumatoid arthritis; whole-blood LPS-induced IL-6 production falls with it (as in
Koopman's epilepsy cohort). Because the CAP acts on production directly, the small cortisol
fall that chronic VNS causes (less glucocorticoid brake) no longer cancels it.
taVNS reaches no cervical efferents; it acts only through vagal tone (Kox et al. 2015:
transvenous VNS did not change endotoxaemia responses). Plasma IL-6 comes partly from
TNF-driven production but mostly from other sources (adipose tissue, muscle), so it falls
much less than TNF under stimulation (only ``il6_tnf_share`` of the stimulated CAP passes to
IL-6); otherwise IL-6 follows TNF as before. CRP follows IL-6.

Ketamine: after six 0.5 mg/kg infusions over 12 days plasma IL-6 and TNF were lower at
day 13 (Zhan et al. 2020 Transl Psychiatry 10:246), whereas one infusion gave no consistent
change (Park et al. 2017: IL-6 rose at 230 min; Kiraly et al. 2017: transient changes).
Plasma ketamine switches on an immune-cell state (``ket_immune``) within hours that fades
with τ ≈ 3 d and suppresses TNF production, and with it plasma IL-6 (Zhan 2020 measured
plasma levels); repeated infusions keep it on. Its size is
assumed.
"""

from moodtwin.model._spec import Derived, Mechanism, Parameter, State

_DOBREVA = "Dobreva et al. 2021 J Physiol (code willov/Inflammation-and-Cardiovascular-Dynamics)"
_KOOPMAN = ("Koopman et al. 2016 PNAS 113:8284 (RA, n=17: LPS-induced whole-blood TNF "
            "2,900 pg/mL at day -21 vs 1,776 pg/mL at day 42 of VNS, -39%)")
_ZHAN = ("Zhan et al. 2020 Transl Psychiatry 10:246 (60 MDD patients, six 0.5 mg/kg "
         "infusions: IL-6 and TNF lower at day 13, p<0.05)")

MECHANISM = Mechanism(
    name="inflammation",
    doc=__doc__,
    states=(
        State("TNF", "k_tnf*(tnf_production - TNF)", "1", "TNF-α (1 = healthy)", initial=1.0),
        State("il6", "k_il6*(TNF*(1 - cap_stim)**(il6_tnf_share - 1) - il6)", "1",
              "IL-6 (1 = healthy)", initial=1.0),
        State("cap_stim",
              "(cap_stim_max*vns_efferent/(vns_efferent + cap_stim_ec50) - cap_stim)/tau_cap",
              "1", "Fractional TNF-production suppression built by efferent-fibre VNS"),
        State("ket_immune",
              "k_ket_immune_on*ket_equiv_uM/(ket_equiv_uM + ket_infl_ec50)*(1 - ket_immune)"
              " - ket_immune/tau_ket_immune", "1",
              "Slow immune-cell state set by plasma ketamine (0-1)"),
    ),
    parameters=(
        Parameter("k_tnf", 1.487, "1/h", 0.5, 3.0, _DOBREVA, "TNF removal rate"),
        Parameter("k_il6", 0.797, "1/h", 0.3, 2.0, _DOBREVA, "IL-6 removal rate"),
        Parameter("infl_base", 1.0, "1", 0.5, 4.0,
                  "assumed: patient covariate; depression mean IL-6 g 0.61 (Osimo et al. 2020)",
                  "Inflammatory set point"),
        Parameter("cap_max", 0.3, "1", 0.0, 0.9,
                  "assumed: tonic CAP; human gain uncertain (Koopman 2016 vs Kox 2015)",
                  "Maximal fractional TNF suppression by tonic vagal efferent activity"),
        Parameter("cap_ec50", 1.0, "1", 0.2, 5.0, "assumed: half-maximal at healthy tone",
                  "Vagal tone of half-maximal tonic CAP"),
        Parameter("cap_stim_max", 0.45, "1", 0.0, 0.9,
                  "calibrated to " + _KOOPMAN + " with the standard depression titration "
                  "(1.25 mA, 9% duty), which delivers more charge than the RA regimen",
                  "Maximal TNF-production suppression by efferent-fibre VNS",
                  calibratable=True),
        Parameter("cap_stim_ec50", 0.002, "1", 0.0002, 0.05,
                  "assumed: one 60-s train a day (duty 0.07%) sufficed in " + _KOOPMAN,
                  "Duty-averaged B-fibre recruitment of half-maximal stimulated CAP"),
        Parameter("tau_cap", 72.0, "h", 12.0, 336.0,
                  "assumed: TNF production returned within the 14-day VNS pause and fell "
                  "again on restart (Koopman 2016)",
                  "Time constant of stimulated CAP"),
        Parameter("il6_tnf_share", 0.05, "1", 0.0, 1.0,
                  "assumed: most circulating IL-6 in depression is not TNF-driven (adipose "
                  "tissue); human VNS plasma IL-6 changes are inconsistent (Majoie et al. "
                  "2011: fell in responders, rose in non-responders; De Herdt et al. 2009: "
                  "no change in LPS-induced IL-6 after 6 months); kept small so the mood "
                  "effect of VNS stays as calibrated (0.15 gives plasma IL-6 -6% and ~1 "
                  "MADRS point more VNS benefit at 12 weeks)",
                  "Share of IL-6 production that follows TNF"),
        Parameter("k_cort_infl", 0.3, "1", 0.0, 1.0, "assumed: glucocorticoid suppression",
                  "Log TNF production change per unit cortisol"),
        Parameter("ket_infl_max", 0.2, "1", 0.0, 0.6,
                  "assumed: size not read; direction from " + _ZHAN,
                  "Maximal TNF-production suppression by ketamine"),
        Parameter("ket_infl_ec50", 0.2, "uM", 0.02, 2.0,
                  "assumed: ketamine inhibits monocyte cytokine release at sub-anaesthetic "
                  "plasma levels (~0.2-0.6 uM during 0.5 mg/kg infusions)",
                  "Unbound plasma ketamine of half-maximal immune effect"),
        Parameter("k_ket_immune_on", 1.0, "1/h", 0.1, 10.0,
                  "assumed: ketamine inhibits LPS-induced cytokine release by monocytes while "
                  "present (in vitro; De Kock, Loix & Lavand'homme 2013 review 'Ketamine "
                  "and peripheral inflammation')",
                  "Onset rate of ketamine's immune state"),
        Parameter("tau_ket_immune", 72.0, "h", 12.0, 336.0,
                  "assumed: single infusions give no consistent cytokine change (Park et al. "
                  "2017; Kiraly et al. 2017) but six over 12 days do (" + _ZHAN + ")",
                  "Decay time of ketamine's immune state"),
        Parameter("il6_ref", 1.5, "pg/mL", 0.5, 5.0, "assumed: healthy plasma IL-6 ~1-2 pg/mL",
                  "IL-6 at normalised level 1"),
        Parameter("tnf_ref", 1.5, "pg/mL", 0.5, 5.0, "assumed: healthy plasma TNF ~1-2 pg/mL",
                  "TNF at normalised level 1"),
        Parameter("tnf_lps_ref", 2900.0, "pg/mL", 300.0, 10000.0,
                  "pre-VNS value (human, assay-specific) of " + _KOOPMAN,
                  "Whole-blood LPS-induced TNF production at normalised production 1"),
        Parameter("crp_ref", 1.0, "mg/L", 0.2, 5.0,
                  "Delongui et al. 2013 J Clin Lab Anal 27:207 (human, 176 healthy blood "
                  "donors: median hs-CRP 1.2 mg/L); Chenillot et al. 2000 Clin Chem Lab Med "
                  "(doi:10.1515/CCLM.2000.149; human, 29-75 y: geometric mean 0.98 mg/L); "
                  "proportional to IL-6 at steady state",
                  "CRP at normalised IL-6 of 1"),
    ),
    derived=(
        Derived("vns_efferent", "vns_duty*vns_recruit_B", "1",
                "Duty-averaged recruitment of cervical efferent (B) fibres"),
        Derived("cap", "cap_max*vagal_tone/(vagal_tone + cap_ec50)", "1",
                "Fractional TNF suppression by tonic vagal efferent activity"),
        Derived("treatment_keep", "(1 - cap_stim)*(1 - ket_infl_max*ket_immune)", "1",
                "Fraction of TNF production left by stimulated CAP and ketamine"),
        Derived("tnf_production",
                "infl_base*(1 - cap)/(1 - cap_max/(1 + cap_ec50))*treatment_keep"
                "*exp(-k_cort_infl*(cortisol - 1))",
                "1", "TNF production capacity (1 = healthy)"),
        Derived("tnf_lps_pgml", "tnf_lps_ref*tnf_production", "pg/mL",
                "Whole-blood LPS-induced TNF production (ex vivo, Koopman 2016 assay)",
                observable=True),
        Derived("il6_lps_production", "tnf_production", "1",
                "Whole-blood LPS-induced IL-6 production relative to healthy (ex vivo; falls "
                "with TNF production, Koopman 2016 Fig. 1)", observable=True),
        Derived("il6_pgml", "il6_ref*il6", "pg/mL", "Plasma IL-6", observable=True),
        Derived("tnf_pgml", "tnf_ref*TNF", "pg/mL", "Plasma TNF-α", observable=True),
        Derived("crp_mgl", "crp_ref*il6", "mg/L", "C-reactive protein", observable=True),
    ),
    references=(_DOBREVA, _KOOPMAN, _ZHAN,
                "Kox et al. 2015 Arthritis Res Ther (transvenous VNS in endotoxaemia: null)",
                "Majoie et al. 2011 Neuroimmunomodulation 18:52",
                "De Herdt et al. 2009 J Neuroimmunol 214:104",
                "Park et al. 2017 (Zarate group, n=80: IL-6 rose 230 min after one infusion)",
                "Kiraly et al. 2017 Transl Psychiatry 7:e1065"),
)
