"""Stimulation → vagal fibre recruitment → afferent drive to the NTS.

Fibre thresholds follow the Weiss strength–duration law ``I_th = I_rh (1 + τ_ch/PW)``
(rheobase and chronaxie from Castoro et al. 2011, dog cervical vagus). Recruitment of a
fibre class is a Hill function of current over threshold (a log-logistic spread of fibre
diameters and distances). Frequency acts through a saturating gain normalised to 20 Hz.
Implanted VNS is delivered in on/off trains (e.g. 30 s on / 5 min off); the mood-relevant
states are >1000× slower than one train, so the drive is the duty-cycle average.
taVNS reaches the NTS through the auricular branch with its own threshold and a weaker
coupling. Efferent B-fibre recruitment by cervical VNS is the side-effect proxy (voice
alteration, cough) and feeds the cholinergic anti-inflammatory pathway.
"""

from moodtwin.model._spec import Derived, Input, Mechanism, Parameter

_CASTORO = "Castoro et al. 2011 Exp Neurol 227:62 (dog cervical vagus)"

MECHANISM = Mechanism(
    name="stimulation",
    doc=__doc__,
    inputs=(
        Input("vns_current", "mA", "Implanted VNS output current (0 when off)"),
        Input("vns_pulse_width", "us", "Implanted VNS pulse width", 250.0),
        Input("vns_frequency", "Hz", "Implanted VNS pulse frequency", 20.0),
        Input("vns_duty", "1", "Implanted VNS fraction of time ON = on/(on+off)"),
        Input("tavns_current", "mA", "taVNS current during a session (0 for sham)"),
        Input("tavns_pulse_width", "us", "taVNS pulse width", 250.0),
        Input("tavns_frequency", "Hz", "taVNS pulse frequency", 25.0),
        Input("tavns_on", "1", "1 while a taVNS session runs, else 0"),
    ),
    parameters=(
        Parameter("rheobase_A", 0.4, "mA", 0.1, 1.5, _CASTORO, "A-fibre rheobase"),
        Parameter("rheobase_B", 0.7, "mA", 0.2, 2.5, _CASTORO, "B-fibre rheobase"),
        Parameter("chronaxie", 180.0, "us", 80.0, 400.0, _CASTORO, "A/B-fibre chronaxie"),
        Parameter(
            "recruit_hill", 3.0, "1", 1.5, 6.0,
            "assumed: log-logistic spread sigma ~0.33 in ln(I) (research note prior 0.3-0.6)",
            "Steepness of fibre recruitment vs current/threshold",
        ),
        Parameter(
            "freq_half", 10.0, "Hz", 2.0, 40.0,
            "assumed: LC responds most consistently to 10-30 Hz trains (Farrand 2023)",
            "Frequency of half-maximal afferent gain",
        ),
        Parameter(
            "rheobase_auricular", 1.0, "mA", 0.3, 3.0,
            "assumed: taVNS perception thresholds ~1-2 mA at 200-250 us (PMC8040977 table)",
            "Auricular-branch rheobase (taVNS)",
        ),
        Parameter(
            "tavns_coupling", 1.0, "1", 0.01, 1.5,
            "assumed, calibratable to tavns-pooled-hamd: auricular branch is a small afferent "
            "population compared with the cervical trunk",
            "Afferent drive of a taVNS session relative to full cervical A-fibre recruitment",
            calibratable=True,
        ),
    ),
    derived=(
        Derived("vns_threshold_A", "rheobase_A*(1 + chronaxie/vns_pulse_width)", "mA",
                "A-fibre threshold at the programmed pulse width"),
        Derived("vns_threshold_B", "rheobase_B*(1 + chronaxie/vns_pulse_width)", "mA",
                "B-fibre threshold at the programmed pulse width"),
        Derived("vns_recruit_A",
                "vns_current**recruit_hill/(vns_current**recruit_hill"
                " + vns_threshold_A**recruit_hill)",
                "1", "Fraction of cervical A fibres recruited", observable=True),
        Derived("vns_recruit_B",
                "vns_current**recruit_hill/(vns_current**recruit_hill"
                " + vns_threshold_B**recruit_hill)",
                "1", "Fraction of efferent B fibres recruited (side-effect proxy)",
                observable=True),
        Derived("vns_drive",
                "vns_duty*vns_recruit_A*vns_frequency/(vns_frequency + freq_half)"
                "*(20 + freq_half)/20",
                "1", "Duty-averaged afferent drive from implanted VNS", observable=True),
        Derived("tavns_threshold",
                "rheobase_auricular*(1 + chronaxie/tavns_pulse_width)", "mA",
                "Auricular-branch threshold at the session pulse width"),
        Derived("tavns_drive",
                "tavns_on*tavns_coupling*tavns_current**recruit_hill/(tavns_current**recruit_hill"
                " + tavns_threshold**recruit_hill)*tavns_frequency/(tavns_frequency + freq_half)"
                "*(20 + freq_half)/20",
                "1", "Afferent drive from taVNS (non-zero only during sessions)",
                observable=True),
        Derived("afferent_drive", "vns_drive + tavns_drive", "1",
                "Total afferent vagal drive to the NTS", observable=True),
        Derived("voice_alteration", "vns_recruit_B*vns_duty/(vns_duty + 0.01)", "1",
                "Probability-like burden of voice alteration while VNS is programmed on "
                "(scales with efferent recruitment, i.e. with current)", observable=True),
    ),
    references=(_CASTORO, "Roosevelt et al. 2006 Brain Res (VNS dose-response of NE)"),
)
