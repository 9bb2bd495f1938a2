"""Engagement biomarkers that a clinic can measure while titrating stimulation.

Each is an output tied to the stimulation settings through the afferent or efferent drive:

- pupil diameter follows locus coeruleus output (acute NE rise per afferent drive); taVNS
  dilated the pupil with short suprathreshold trains (Sharon et al. 2021) but not with the
  standard continuous settings (Warren et al. 2019), so the gain is small and assumed;
- salivary alpha-amylase (noradrenergic marker) rose after taVNS (Warren et al. 2019); gain
  assumed;
- heart rate during an implanted-VNS train falls with efferent (B-fibre) recruitment; left
  cervical VNS slows the heart only a little in humans (assumed a few beats/min at full B
  recruitment);
- laryngeal EMG / voice change is ``voice_alteration`` (stimulation mechanism);
- circulating BDNF/NGF are ``bdnf_plasma_pgml``, ``bdnf_serum_ngml``, ``ngf_serum_pgml``
  (neurotrophic mechanism);
- ``vns_charge_rate`` is the charge delivered per second, averaged over the duty cycle: the
  dose that a titration should keep low for battery life and side effects.
"""

from moodtwin.model._spec import Derived, Mechanism, Parameter

_WARREN = ("Warren et al. 2019 Brain Stimul 12:635 (taVNS raised salivary alpha-amylase; no "
           "pupil or P3 effect)")
_SHARON = "Sharon, Fahoum & Nir 2021 J Neurosci 41:320 (taVNS pupil dilation, short trains)"

MECHANISM = Mechanism(
    name="biomarkers",
    doc=__doc__,
    parameters=(
        Parameter("pupil_ref", 4.0, "mm", 2.0, 8.0,
                  "Schröder et al. 2018 Eur J Ophthalmol 28:150 (human, 91 normal "
                  "adults: pupil 4.03 +/- 0.9 mm at 16 lx, 5.5 mm at 1 lx)",
                  "Resting pupil diameter"),
        Parameter("pupil_gain", 0.3, "mm", 0.0, 2.0,
                  "assumed: small LC-mediated dilation (" + _SHARON + "; null in " + _WARREN
                  + ")", "Pupil dilation per unit acute afferent drive"),
        Parameter("saa_ref", 80.0, "U/mL", 10.0, 300.0,
                  "Salimetrics salivary alpha-amylase kinetic assay manual (human, 75 adults: "
                  "mean 92.4 U/mL, range 3.1-423.1; assay-dependent)",
                  "Resting salivary alpha-amylase"),
        Parameter("saa_gain", 0.3, "1", 0.0, 2.0, "assumed: direction from " + _WARREN,
                  "Log salivary alpha-amylase per unit acute afferent drive"),
        Parameter("hr_bfibre", 0.05, "1", 0.0, 0.3,
                  "Garamendi-Ruiz & Gomez-Esteban 2019 Clin Auton Res 29:183 (human review: "
                  "subtle or no significant heart-rate-variability and blood-pressure changes "
                  "under clinical VNS); Frei & Osorio 2001 Epilepsia 42:1007 (human, 5 "
                  "patients at high intensity: bradycardia or biphasic responses); Mulders, de "
                  "Vos, Vosman & van Putten, 'The effect of VNS on cardiorespiratory "
                  "parameters during rest and exercise' (human, 10 patients: a small but "
                  "consistent heart-rate fall during VNS in 8 of 10): a few percent",
                  "Log heart-rate fall during a VNS train at full B-fibre recruitment"),
    ),
    derived=(
        Derived("pupil_diameter", "pupil_ref + pupil_gain*afferent_drive", "mm",
                "Pupil diameter (during stimulation)", observable=True),
        Derived("salivary_amylase", "saa_ref*exp(saa_gain*afferent_drive)", "U/mL",
                "Salivary alpha-amylase", observable=True),
        Derived("heart_rate_vns_on", "heart_rate*exp(-hr_bfibre*vns_recruit_B)", "1/min",
                "Heart rate during an implanted-VNS train", observable=True),
        Derived("vns_charge_rate", "vns_current*vns_pulse_width*vns_frequency*vns_duty/1000",
                "uC/s", "Duty-averaged charge delivered by implanted VNS", observable=True),
    ),
    references=(_SHARON, _WARREN),
)
