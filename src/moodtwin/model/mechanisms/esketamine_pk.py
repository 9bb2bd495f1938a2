"""Intranasal esketamine and noresketamine pharmacokinetics (Perez-Ruixo et al. 2021).

Per dose, a fraction FRn of each 28-mg device is absorbed nasally (×0.62 for each extra
device in one session); the rest is swallowed, and the fraction Fgut of it passes the gut
wall into the hepato-portal compartment. Esketamine distributes over a central and two
peripheral compartments and is cleared through the hepato-portal compartment, forming
noresketamine (lumped to one compartment). The protocol compiler splits each dose into the
nasal and swallowed depots using ``esk_FRn``, ``esk_spray_factor`` and ``esk_Fgut``. An
intravenous infusion (mg/kg/h) enters the central compartment, the model's disposition being
estimated from intravenous and intranasal data together (Perez-Ruixo et al. 2021).
"""

from moodtwin.model._spec import Derived, Input, Mechanism, Parameter, State

_PR = ("Perez-Ruixo et al. 2021 Clin Pharmacokinet 60:501, Table 3 (second-hand: nlmixr2lib "
       "PerezRuixo_2020_esketamine)")

MECHANISM = Mechanism(
    name="esketamine_pk",
    doc=__doc__,
    inputs=(Input("esketamine_rate", "mg/kg/h", "Esketamine IV infusion rate"),),
    states=(
        State("esk_nasal", "-esk_ka_n*esk_nasal", "mg", "Esketamine nasal depot", atol=1e-6),
        State("esk_swallowed", "-esk_ka_sw*esk_swallowed", "mg",
              "Swallowed esketamine past the gut wall"),
        State("esk_central",
              "esketamine_rate*body_weight + esk_ka_n*esk_nasal + esk_Q1/esk_Vp1*esk_periph1"
              " + esk_Q2/esk_Vp2*esk_periph2 + esk_Qh/esk_Vh*esk_hepatic"
              " - (esk_Q1 + esk_Q2 + esk_Qh)/esk_Vc*esk_central",
              "mg", "Esketamine, central compartment", atol=1e-6),
        State("esk_periph1", "esk_Q1*(esk_central/esk_Vc - esk_periph1/esk_Vp1)", "mg",
              "Esketamine, first peripheral compartment"),
        State("esk_periph2", "esk_Q2*(esk_central/esk_Vc - esk_periph2/esk_Vp2)", "mg",
              "Esketamine, second peripheral compartment"),
        State("esk_hepatic",
              "esk_ka_sw*esk_swallowed + esk_Qh*esk_central/esk_Vc"
              " - (esk_Qh/esk_Vh + esk_kel + esk_kmet)*esk_hepatic",
              "mg", "Esketamine, hepato-portal compartment", atol=1e-6),
        State("noresk", "esk_kmet*esk_hepatic - noresk_CL/noresk_V*noresk", "mg",
              "Noresketamine"),
    ),
    parameters=(
        Parameter("esk_FRn", 0.54, "1", 0.2, 0.9, _PR, "Nasally absorbed fraction (1 device)"),
        Parameter("esk_spray_factor", 0.62, "1", 0.2, 1.0, _PR,
                  "Relative nasal absorption of each extra device in one session"),
        Parameter("esk_Fgut", 0.64, "1", 0.2, 1.0, _PR, "Fraction of swallowed dose absorbed"),
        Parameter("esk_ka_n", 2.93, "1/h", 0.5, 10.0, _PR, "Nasal absorption rate"),
        Parameter("esk_ka_sw", 1.45, "1/h", 0.3, 5.0, _PR, "Swallowed absorption rate"),
        Parameter("esk_Vc", 192.0, "L", 50.0, 500.0, _PR, "Central volume"),
        Parameter("esk_Q1", 84.3, "L/h", 20.0, 300.0, _PR, "Inter-compartmental clearance 1"),
        Parameter("esk_Vp1", 143.0, "L", 30.0, 500.0, _PR, "Peripheral volume 1"),
        Parameter("esk_Q2", 37.6, "L/h", 5.0, 150.0, _PR, "Inter-compartmental clearance 2"),
        Parameter("esk_Vp2", 417.0, "L", 100.0, 1200.0, _PR, "Peripheral volume 2"),
        Parameter("esk_Qh", 151.0, "L/h", 60.0, 300.0, _PR, "Hepatic blood flow"),
        Parameter("esk_Vh", 101.0, "L", 20.0, 300.0, _PR, "Hepato-portal volume"),
        Parameter("esk_kel", 1.11, "1/h", 0.1, 5.0, _PR, "Elimination to other metabolites"),
        Parameter("esk_kmet", 2.77, "1/h", 0.5, 8.0, _PR, "Formation of noresketamine"),
        Parameter("noresk_V", 185.0, "L", 50.0, 500.0,
                  "Perez-Ruixo et al. 2021 abstract (Vss 185 L), lumped to one compartment",
                  "Noresketamine volume"),
        Parameter("noresk_CL", 38.0, "L/h", 10.0, 120.0,
                  "Perez-Ruixo et al. 2021 abstract (apparent CL 38 L/h)",
                  "Noresketamine clearance"),
    ),
    derived=(
        Derived("esketamine_conc", "1000*esk_central/esk_Vc", "ng/mL", "Plasma esketamine",
                observable=True),
        Derived("noresketamine_conc", "1000*noresk/noresk_V", "ng/mL", "Plasma noresketamine",
                observable=True),
    ),
    references=(_PR,),
)
