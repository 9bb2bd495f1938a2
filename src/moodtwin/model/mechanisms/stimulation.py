"""Stimulation → vagal fibre recruitment → saturating afferent drive to the NTS.

Fibre thresholds follow the Weiss strength–duration law, written as the threshold at 250 us
scaled by ``(1 + τ_ch/PW)/(1 + τ_ch/250 us)``, with human values: laryngeal motor fibres (voice
alteration, the lowest-threshold effect patients report during titration), afferent A fibres
(the mood-relevant NTS input) and efferent B fibres (cardiac and the cholinergic
anti-inflammatory pathway; bradycardia is rare at clinical currents). Recruitment of a
class is a Hill function of current over threshold (a log-logistic spread of fibre diameters
and distances). Frequency acts through a saturating gain normalised to 20 Hz. The NTS/LC
response saturates with recruited afferent input (LC activation in rats saturates with
current, Hulsey et al. 2017), so the drive is a saturating function of delivered charge and
doubling a therapeutic current adds little. Implanted VNS is delivered in on/off trains
(e.g. 30 s on / 5 min off); the mood-relevant states are >1000× slower than one train, so the
drive is the duty-cycle average; taVNS sessions are averaged over their own on/off cycle.
taVNS reaches the NTS through the auricular branch with its own threshold and a weaker
coupling, and its input passes through the same saturating NTS response: the saturation is
a property of the NTS/LC, not of the route.
"""

from moodtwin.model._spec import Derived, Input, Mechanism, Parameter
from moodtwin.model.mechanisms._helpers import hill

_HECK = ("Heck et al. 2002 Neurology 59(6 Suppl 4):S31 (human VNS: voice alteration is the "
         "first effect during titration, typically from 0.25-0.75 mA)")
_ASCENT = ("approximate, human: ASCENT models of the human cervical vagus (Musselman et al. 2021 "
           "PLoS Comput Biol 17:e1009308) place large myelinated thresholds at a few tenths of "
           "a mA to ~1.5 mA with the clinical helical cuff")
_CASTORO = "Castoro et al. 2011 Exp Neurol 227:62 (dog cervical vagus; no human value found)"
_HULSEY = "Hulsey et al. 2017 Exp Neurol 289:21 (rat LC activation saturates with VNS current)"


def _nts_response(afferent_input: str) -> str:
    """The one saturating NTS response to recruited afferent input (1 at full input)."""
    return f"(1 + nts_half)*{afferent_input}/(nts_half + {afferent_input})"

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
        Parameter("thr_larynx", 0.4, "mA", 0.1, 1.5, _HECK,
                  "Laryngeal motor fibre threshold at 250 us"),
        Parameter("thr_A", 0.6, "mA", 0.15, 2.0, _ASCENT,
                  "Afferent A-fibre threshold at 250 us"),
        Parameter("thr_B", 1.5, "mA", 0.5, 4.0,
                  "assumed, human: bradycardia and other B-fibre effects are rare at clinical "
                  "currents up to 1.5-2 mA (Ardesch et al. 2007 Epilepsy Res 75:104); " + _ASCENT,
                  "Efferent B-fibre threshold at 250 us"),
        Parameter("chronaxie", 180.0, "us", 80.0, 400.0, _CASTORO, "Fibre chronaxie"),
        Parameter(
            "recruit_hill", 2.0, "1", 1.0, 6.0,
            "assumed, calibratable to vns-dose-ranging-d21 (how much a quarter of the usual "
            "current achieves): a wide log-logistic spread of human fibre thresholds "
            "(fascicles at different distances from the contacts, ASCENT)",
            "Steepness of fibre recruitment vs current/threshold", calibratable=True,
        ),
        Parameter(
            "freq_half", 10.0, "Hz", 2.0, 40.0,
            "assumed: LC responds most consistently to 10-30 Hz trains (Farrand 2023)",
            "Frequency of half-maximal afferent gain",
        ),
        Parameter(
            "nts_half", 0.1, "1", 0.02, 2.0,
            "assumed, calibratable to vns-dose-ranging-d21 (no significant difference between "
            "0.25 mA/130 us and 1.25-1.5 mA/250 us at week 22, Aaronson et al. 2013): at the "
            "human thresholds here LOW recruits about a fifth of the A fibres HIGH recruits "
            "three quarters of, so equal benefit needs an NTS response near saturation at a "
            "fifth of full input, half-maximal at 0.1 or less; " + _HULSEY + ". Default "
            "lowered from 0.5 in round 23: the calibration prior (x5 around the default) "
            "stopped at 0.1 and the posterior sat at 0.3 with D-21 failing",
            "Recruited afferent input giving half the maximal NTS response",
            calibratable=True,
        ),
        Parameter(
            "rheobase_auricular", 1.0, "mA", 0.3, 3.0,
            "assumed: taVNS perception thresholds ~1-2 mA at 200-250 us (PMC8040977 table)",
            "Auricular-branch rheobase (taVNS)",
        ),
        Parameter(
            "tavns_coupling", 0.1, "1", 0.01, 1.5,
            "assumed, calibratable to tavns-pooled-hamd: auricular branch is a small afferent "
            "population compared with the cervical trunk",
            "Afferent input of a taVNS session relative to full cervical A-fibre recruitment "
            "(before the saturating NTS response)",
            calibratable=True,
        ),
    ),
    derived=(
        Derived("vns_sd_factor", "(1 + chronaxie/vns_pulse_width)/(1 + chronaxie/250)", "1",
                "Strength-duration factor of the programmed pulse width (1 at 250 us)"),
        Derived("vns_recruit_A", hill("vns_current", "thr_A*vns_sd_factor", "recruit_hill"),
                "1", "Fraction of cervical afferent A fibres recruited", observable=True),
        Derived("vns_recruit_B", hill("vns_current", "thr_B*vns_sd_factor", "recruit_hill"),
                "1", "Fraction of efferent B fibres recruited", observable=True),
        Derived("vns_recruit_larynx",
                hill("vns_current", "thr_larynx*vns_sd_factor", "recruit_hill"), "1",
                "Fraction of laryngeal motor fibres recruited", observable=True),
        Derived("vns_afferent_input",
                "vns_recruit_A*vns_frequency/(vns_frequency + freq_half)*(20 + freq_half)/20",
                "1", "Recruited afferent input during a train (1 = all A fibres at 20 Hz)"),
        Derived("vns_drive",
                "vns_duty*" + _nts_response("vns_afferent_input"),
                "1", "Duty-averaged NTS drive from implanted VNS (saturating in the input)",
                observable=True),
        Derived("tavns_threshold",
                "rheobase_auricular*(1 + chronaxie/tavns_pulse_width)", "mA",
                "Auricular-branch threshold at the session pulse width"),
        Derived("tavns_afferent_input",
                "tavns_coupling*" + hill("tavns_current", "tavns_threshold", "recruit_hill")
                + "*tavns_frequency/(tavns_frequency + freq_half)*(20 + freq_half)/20",
                "1", "Recruited auricular afferent input during a session (1 = all cervical "
                "A fibres at 20 Hz)"),
        Derived("tavns_drive",
                "tavns_on*" + _nts_response("tavns_afferent_input"),
                "1", "NTS drive from taVNS (non-zero only during sessions; on/off cycling "
                "averaged; the same saturating NTS response as implanted VNS)",
                observable=True),
        Derived("afferent_drive", "vns_drive + tavns_drive", "1",
                "Total afferent vagal drive to the NTS", observable=True),
        Derived("voice_alteration", "vns_recruit_larynx*vns_duty/(vns_duty + 0.01)", "1",
                "Probability-like burden of voice alteration while VNS is programmed on "
                "(laryngeal motor recruitment during trains)", observable=True),
    ),
    references=(_HECK, _ASCENT, _HULSEY, _CASTORO,
                "Roosevelt et al. 2006 Brain Res 1119:124 (VNS dose-response of NE, rat)"),
)
