"""Racemic ketamine and norketamine pharmacokinetics: IV, intramuscular, subcutaneous,
intranasal and oral.

Three-compartment ketamine model of the Kamp et al. 2020 meta-analysis (V1 25, V2 56,
V3 157 L; CL 84, Q2 161, Q3 79 L/h per 70 kg; volumes scale with weight, clearances with
weight^0.75), fed by a zero-order infusion in mg/kg/h. A fraction of cleared ketamine becomes
norketamine (one compartment). Concentrations are in ng/mL.

Other routes reach the central compartment through first-order absorption depots, fed
while a dose is administered (a few minutes) at the rate ``ket_dose_kg*body_weight +
ket_dose_mg`` (mg/h; a dose written in mg/kg or in mg):

* an intramuscular or subcutaneous injection: the bioavailable share ``ket_F_injection``
  (93 % IM, Clements et al. 1982) into the injection depot;
* an intranasal dose: the share ``ket_F_nasal`` absorbed through the nasal mucosa (11-17 %
  of 10-50 mg in depressed patients) into the nasal depot; the rest leaves the nose
  unabsorbed and is not followed, so the norketamine of its swallowed part is missing
  (those patients' norketamine/ketamine AUC ratio was 4.0-4.5 after a nasal dose);
* an oral dose: the gut depot; of what it absorbs, ``ket_F_oral`` escapes first-pass
  metabolism and the rest forms norketamine there (norketamine exposure per dose after oral
  ketamine is that after IV, Chong et al. 2006).

Sublingual and buccal ketamine are not modelled: their mucosal share absorbs more slowly than
a nasal dose (Tmax 0.75 h, Rolan et al. 2014), which would need a depot of its own.
"""

from moodtwin.model._spec import Derived, Input, Mechanism, Parameter, State

_KAMP = ("Kamp et al. 2020 Anesthesiology 133:1192, 3-compartment meta-model "
         "(second-hand: TCI app citing Table 2)")
_PR = "derived from Perez-Ruixo et al. 2021 (noresketamine Vss 185 L, CL 38 L/h)"
_CLEMENTS = ("Clements et al. 1982 J Pharm Sci 71:539 (IM bioavailability 93 %, oral 17 %; "
             "second-hand: standard pharmacology references)")
_IN_PATIENTS = ("Pharmacotherapy 2022;42:298-310, Table 6 (intranasal racemic ketamine in "
                "depressed patients: bioavailability 17 / 13 / 11 % after 10 / 30 / 50 mg; "
                "Tmax 23 / 14 / 16 min; 50 mg: Cmax 77.6 ng/mL)")
_CHONG = ("Chong et al. 2006 Pain Med 7:469 (25 mg oral vs 10 mg IV: bioavailability "
          "23 +- 9 %, Tmax 0.96 +- 0.8 h, Cmax 22.8 +- 12.8 ng/mL, norketamine Cmax 82 +- 34 "
          "ng/mL at 1.6 +- 0.9 h)")
_YANAGIHARA = ("Yanagihara et al. 2003 Biopharm Drug Dispos 24:37 (tablet ~20 %, sublingual "
               "~30 %, nasal spray ~45 % in healthy volunteers)")
#: Administered ketamine (mg/h) while a non-IV dose is given.
_ADMIN = "(ket_dose_kg*body_weight + ket_dose_mg)"
_W = "(body_weight/70)"
_C = "(body_weight/70)**0.75"

MECHANISM = Mechanism(
    name="ketamine_pk",
    doc=__doc__,
    inputs=(
        Input("ketamine_rate", "mg/kg/h", "Racemic ketamine IV infusion rate"),
        Input("ket_dose_kg", "mg/kg/h",
              "Racemic ketamine given by a non-IV route, weight-based dose (rate while given)"),
        Input("ket_dose_mg", "mg/h",
              "Racemic ketamine given by a non-IV route, fixed dose (rate while given)"),
        Input("ket_route_injection", "1", "1 while an IM or SC ketamine dose is given"),
        Input("ket_route_nasal", "1", "1 while an intranasal ketamine dose is given"),
        Input("ket_route_oral", "1", "1 while an oral ketamine dose is given"),
    ),
    states=(
        State("ket_injection",
              f"ket_route_injection*ket_F_injection*{_ADMIN} - ket_ka_injection*ket_injection",
              "mg", "Ketamine at an IM or SC injection site", atol=1e-6),
        State("ket_nasal",
              f"ket_route_nasal*ket_F_nasal*{_ADMIN} - ket_ka_nasal*ket_nasal",
              "mg", "Ketamine in the nasal mucosa", atol=1e-6),
        State("ket_gut", f"ket_route_oral*{_ADMIN} - ket_ka_oral*ket_gut",
              "mg", "Swallowed ketamine in the gut", atol=1e-6),
        State("ket_central",
              "ket_ka_injection*ket_injection + ket_ka_nasal*ket_nasal"
              " + ket_F_oral*ket_ka_oral*ket_gut"
              f" + ketamine_rate*body_weight - (ket_CL*{_C} + ket_Q2*{_C} + ket_Q3*{_C})"
              f"/(ket_V1*{_W})*ket_central + ket_Q2*{_C}/(ket_V2*{_W})*ket_periph1"
              f" + ket_Q3*{_C}/(ket_V3*{_W})*ket_periph2",
              "mg", "Ketamine in the central compartment", atol=1e-6),
        State("ket_periph1",
              f"ket_Q2*{_C}*(ket_central/(ket_V1*{_W}) - ket_periph1/(ket_V2*{_W}))",
              "mg", "Ketamine in the fast peripheral compartment", atol=1e-6),
        State("ket_periph2",
              f"ket_Q3*{_C}*(ket_central/(ket_V1*{_W}) - ket_periph2/(ket_V3*{_W}))",
              "mg", "Ketamine in the slow peripheral compartment", atol=1e-6),
        State("norket",
              f"fm_norket*ket_CL*{_C}/(ket_V1*{_W})*ket_central"
              " + fm_norket*(1 - ket_F_oral)*ket_ka_oral*ket_gut"
              f" - norket_CL*{_C}/(norket_V*{_W})*norket",
              "mg", "Norketamine", atol=1e-6),
    ),
    parameters=(
        Parameter("body_weight", 70.0, "kg", 35.0, 200.0,
                  "ICRP Publication 23 (1975) Report of the Task Group on Reference Man: "
                  "adult weighing 70 kg",
                  "Body weight"),
        Parameter("ket_V1", 25.0, "L", 5.0, 80.0, _KAMP, "Central volume (70 kg)"),
        Parameter("ket_V2", 56.0, "L", 10.0, 200.0, _KAMP, "Fast peripheral volume (70 kg)"),
        Parameter("ket_V3", 157.0, "L", 30.0, 500.0, _KAMP, "Slow peripheral volume (70 kg)"),
        Parameter("ket_CL", 84.0, "L/h", 30.0, 200.0, _KAMP, "Elimination clearance (70 kg)"),
        Parameter("ket_Q2", 161.0, "L/h", 30.0, 400.0, _KAMP, "Fast distribution clearance"),
        Parameter("ket_Q3", 79.0, "L/h", 10.0, 300.0, _KAMP, "Slow distribution clearance"),
        Parameter("fm_norket", 0.8, "1", 0.3, 1.0,
                  "assumed: N-demethylation is the main ketamine clearance route",
                  "Fraction of ketamine clearance forming norketamine"),
        Parameter("norket_V", 185.0, "L", 50.0, 500.0, _PR, "Norketamine volume (70 kg)"),
        Parameter("norket_CL", 38.0, "L/h", 10.0, 120.0, _PR, "Norketamine clearance (70 kg)"),
        Parameter("ket_F_injection", 0.93, "1", 0.7, 1.0,
                  _CLEMENTS + "; subcutaneous assumed equal: IV, IM and SC 0.5 mg/kg gave "
                  "similar antidepressant effects (Loo et al. 2016 Acta Psychiatr Scand "
                  "134:48) and SC, IM and IV-infusion exposures were similar in rats "
                  "(PubMed 29895202, 2018)",
                  "Bioavailability of an IM or SC ketamine injection"),
        Parameter("ket_ka_injection", 6.0, "1/h", 2.0, 20.0,
                  "assumed: peak plasma ketamine 5-15 min after an IM injection (standard "
                  "pharmacology references after Clements et al. 1982); 6/h gives a peak at "
                  "about 10 min in this model (tests/test_ketamine_routes.py)",
                  "Absorption rate from an IM or SC injection site"),
        Parameter("ket_F_nasal", 0.13, "1", 0.08, 0.5,
                  _IN_PATIENTS + "; 45 % in healthy volunteers with another device, "
                  + _YANAGIHARA + " (upper end of the range)",
                  "Share of an intranasal racemic ketamine dose absorbed through the nasal "
                  "mucosa"),
        Parameter("ket_ka_nasal", 5.0, "1/h", 1.0, 20.0,
                  "set so that 50 mg intranasal (given over 5 min) peaks within the "
                  "published spread of time and height: " + _IN_PATIENTS + " (model: 58 ng/mL "
                  "at 11 min; tests/test_ketamine_routes.py)",
                  "Absorption rate from the nasal mucosa"),
        Parameter("ket_F_oral", 0.20, "1", 0.08, 0.35,
                  _YANAGIHARA + "; " + _CHONG + "; " + _CLEMENTS,
                  "Share of swallowed ketamine that escapes first-pass metabolism"),
        Parameter("ket_ka_oral", 1.5, "1/h", 0.3, 6.0,
                  "set so that 25 mg oral gives ketamine and norketamine peaks within the "
                  "published mean +- SD of height and time: " + _CHONG + " (model: 20 ng/mL at "
                  "21 min, norketamine 71 ng/mL at 1.7 h; tests/test_ketamine_routes.py)",
                  "Absorption rate of swallowed ketamine"),
    ),
    derived=(
        Derived("ketamine_conc", f"1000*ket_central/(ket_V1*{_W})", "ng/mL",
                "Plasma ketamine", observable=True),
        Derived("norketamine_conc", f"1000*norket/(norket_V*{_W})", "ng/mL",
                "Plasma norketamine", observable=True),
    ),
    references=(_KAMP, "Zarate et al. 2006 (Cmax ~185 ng/mL after 0.5 mg/kg/40 min)",
                _CLEMENTS, _IN_PATIENTS, _CHONG, _YANAGIHARA),
)
