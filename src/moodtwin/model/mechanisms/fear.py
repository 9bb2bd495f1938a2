"""Conditioned fear (trauma memory), its extinction by exposure, and PTSD severity (PCL-5).

A trauma memory of strength ``trauma_load`` (patient covariate, 0 = none) is expressed as
fear unless an extinction memory ``E`` (0–1) inhibits it: expression = load × (1 − E). Fear
expression is sensitised by cortisol (glucocorticoids strengthen emotional memory).
Extinction memory is learned only during exposure sessions (``exposure_on``), at a rate
raised by noradrenergic plasticity signals: vagal afferent drive during the session (taVNS,
implanted VNS in its duty cycle, or VNS bursts paired with the exposure cues,
``vns_paired``) and by BDNF. VNS paired with extinction training enhanced extinction and
its retention in rats (Peña et al. 2013; Peña et al. 2014), also after a stress-induced
PTSD model (Noble et al. 2017/2019). Extinction is context-bound and partly forgotten
(spontaneous recovery) over weeks. The PCL-5 score (0–80) is the sum of fear expression
and the depressive/hyperarousal overlap, saturating at 80 (``80·tanh(raw/80)``). All
sizes are assumed: no human dose-response of VNS-enhanced extinction was found. Outside
exposure, vagal afferent drive relieves the hyperarousal share of fear expression (the
arousal cluster of the PCL-5, 6 of 20 items) through the same conditioned-arousal relief as
insomnia (sleep mechanism; its rate is calibrated on the taVNS insomnia trials, so PTSD is
a prediction): tcVNS lowered sympathetic responses to trauma cues in PTSD (Gurel et al.
2020). Twice-daily transcutaneous cervical VNS for 3 months without exposure therapy reduced
the PCL 31% more than sham in a pilot (Bremner et al. 2021 J Affect Disord Rep 6:100190,
n = 20; validation trial tcvns_bremner2021_ptsd.yaml).
"""

from moodtwin.model._spec import Derived, Input, Mechanism, Parameter, State

_PENA = "Peña et al. 2013 Biol Psychiatry 73:1071 (rats: VNS during extinction training)"
_PCL5_CLUSTERS = ("Blevins et al. 2015 J Trauma Stress 28:489 (PCL-5: 20 items, DSM-5 "
                  "clusters B-E)")
_GUREL = ("Gurel et al. 2020 Neurobiol Stress 13:100264 (tcVNS lowered sympathetic "
          "responses to trauma cues in PTSD, double blind, sham controlled)")
_NOBLE = "Noble et al. 2017 and 2019 (rats: VNS-paired extinction generalises, PTSD model)"

MECHANISM = Mechanism(
    name="fear",
    doc=__doc__,
    inputs=(
        Input("exposure_on", "1", "1 while an exposure-therapy session runs, else 0"),
        Input("vns_paired", "1",
              "1 while the implanted VNS delivers bursts paired with exposure cues, else 0"),
    ),
    states=(
        State("extinction",
              "exposure_on*k_ext*(1 + g_stim_ext*extinction_stim/(extinction_stim + stim_ext50))"
              "*BDNF**g_bdnf_ext*(1 - extinction) - extinction/tau_ext_forget",
              "1", "Extinction memory of the trauma cue (0-1)"),
    ),
    parameters=(
        Parameter("trauma_load", 0.0, "1", 0.0, 1.0,
                  "assumed: patient covariate; 0 = no trauma memory, 1 = severe PTSD",
                  "Strength of the conditioned trauma memory"),
        Parameter("k_ext", 0.15, "1/h", 0.01, 1.0,
                  "assumed: ~10 weekly 90-min prolonged-exposure sessions halve fear "
                  "expression (order of magnitude of PE trials, not fitted)",
                  "Extinction learning rate during exposure"),
        Parameter("g_stim_ext", 1.0, "1", 0.0, 5.0,
                  "assumed: VNS-paired extinction roughly doubled extinction in rats (" + _PENA
                  + "; " + _NOBLE + "); human size unknown",
                  "Maximal relative gain of extinction learning by vagal stimulation"),
        Parameter("stim_ext50", 0.1, "1", 0.005, 1.0,
                  "assumed: low-intensity VNS (0.4 mA) sufficed in rats (" + _PENA + ")",
                  "Afferent drive of half-maximal extinction gain"),
        Parameter("paired_vns_gain", 1.0, "1", 0.1, 3.0,
                  "assumed: cue-paired bursts deliver the recruited A-fibre drive without "
                  "duty-cycle averaging", "Afferent drive per recruited A fibre while paired"),
        Parameter("g_bdnf_ext", 1.0, "1", 0.0, 3.0,
                  "assumed: BDNF is required for extinction consolidation (Peters et al. 2010 "
                  "Science 328:1288, rats)", "BDNF exponent of extinction learning"),
        Parameter("tau_ext_forget", 262800.0, "h", 26280.0, 876000.0,
                  "Resick et al. 2012 J Consult Clin Psychol 80:201 (prolonged-exposure gains "
                  "were maintained 5-10 years later, mean 6.2 years): a decay time of 30 "
                  "years keeps ~80 % of the extinction over that span",
                  "Decay time of extinction memory"),
        Parameter("k_cort_fear", 0.3, "1", 0.0, 2.0,
                  "assumed: glucocorticoids strengthen fear expression and consolidation",
                  "Log fear expression per unit cortisol"),
        Parameter("pcl_arousal_share", 0.3, "1", 0.1, 0.5,
                  _PCL5_CLUSTERS + ": alterations in arousal and reactivity are 6 of the 20 "
                  "items; relieved like the conditioned arousal of insomnia (sleep mechanism), "
                  "as " + _GUREL,
                  "Share of conditioned fear expression that is hyperarousal"),
        Parameter("pcl_fear", 60.0, "1", 20.0, 80.0,
                  "assumed: PCL-5 ~50 at full fear expression (severe PTSD range)",
                  "PCL-5 points per unit fear expression"),
        Parameter("pcl_dep", 20.0, "1", 0.0, 40.0,
                  "assumed: PCL-5 negative mood/arousal items overlap with depression",
                  "PCL-5 points per unit latent depression"),
    ),
    derived=(
        Derived("extinction_stim", "afferent_drive + paired_vns_gain*vns_paired*vns_recruit_A",
                "1", "Vagal afferent drive available to extinction learning"),
        Derived("fear_expression",
                "trauma_load*(1 - extinction)*(1 - pcl_arousal_share*arousal_relief)"
                "*exp(k_cort_fear*(cortisol - 1))", "1",
                "Conditioned fear expression (0-1)", observable=True),
        Derived("pcl5",
                "80*tanh((pcl_fear*fear_expression + pcl_dep*depression*trauma_load)/80)",
                "1", "PTSD Checklist for DSM-5 score (0-80; 0 without trauma memory)",
                observable=True),
    ),
    references=(_PENA, "Peña et al. 2014 Front Behav Neurosci 8:327", _NOBLE, _PCL5_CLUSTERS,
                _GUREL,
                "Peters et al. 2010 Science 328:1288"),
)
