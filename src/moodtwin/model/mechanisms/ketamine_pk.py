"""IV racemic ketamine and norketamine pharmacokinetics.

Three-compartment ketamine model of the Kamp et al. 2020 meta-analysis (V1 25, V2 56,
V3 157 L; CL 84, Q2 161, Q3 79 L/h per 70 kg; volumes scale with weight, clearances with
weight^0.75), fed by a zero-order infusion in mg/kg/h. A fraction of cleared ketamine becomes
norketamine (one compartment). Concentrations are in ng/mL.
"""

from moodtwin.model._spec import Derived, Input, Mechanism, Parameter, State

_KAMP = ("Kamp et al. 2020 Anesthesiology 133:1192, 3-compartment meta-model "
         "(second-hand: TCI app citing Table 2)")
_PR = "derived from Perez-Ruixo et al. 2021 (noresketamine Vss 185 L, CL 38 L/h)"
_W = "(body_weight/70)"
_C = "(body_weight/70)**0.75"

MECHANISM = Mechanism(
    name="ketamine_pk",
    doc=__doc__,
    inputs=(Input("ketamine_rate", "mg/kg/h", "Racemic ketamine IV infusion rate"),),
    states=(
        State("ket_central",
              f"ketamine_rate*body_weight - (ket_CL*{_C} + ket_Q2*{_C} + ket_Q3*{_C})"
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
    ),
    derived=(
        Derived("ketamine_conc", f"1000*ket_central/(ket_V1*{_W})", "ng/mL",
                "Plasma ketamine", observable=True),
        Derived("norketamine_conc", f"1000*norket/(norket_V*{_W})", "ng/mL",
                "Plasma norketamine", observable=True),
    ),
    references=(_KAMP, "Zarate et al. 2006 (Cmax ~185 ng/mL after 0.5 mg/kg/40 min)"),
)
