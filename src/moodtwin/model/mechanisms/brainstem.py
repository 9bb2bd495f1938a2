"""Brainstem monoamines: NTS → locus coeruleus (norepinephrine) → dorsal raphe (serotonin).

Afferent drive raises LC output at once and builds a slow LC gain over about a day
(LC firing up at 1 h and 3 d, Dorr & Debonnel 2006; NE neurons up after 1 day, Manta 2009).
The dorsal raphe rises only through LC input (DSP-4 LC lesion abolishes the 5-HT rise,
α1-mediated; Manta 2009) after about two weeks: a two-stage delay on NE elevation.
Oral antidepressants add to serotonergic tone. Levels are normalised (1 = patient baseline
without stimulation).
"""

from moodtwin.model._spec import Derived, Mechanism, Parameter, State

_MANTA = "Manta et al. 2009 J Psychiatry Neurosci 34:272"

MECHANISM = Mechanism(
    name="brainstem",
    doc=__doc__,
    states=(
        State("LC_gain", "(k_LC*afferent_drive - LC_gain)/tau_LC", "1",
              "Slow gain of locus coeruleus output built by afferent drive"),
        State("DRN_pre", "(k_DRN*(norepinephrine - 1) - DRN_pre)/tau_DRN", "1",
              "First stage of the LC→DRN (α1) adaptation"),
        State("DRN_gain", "(DRN_pre - DRN_gain)/tau_DRN", "1",
              "Dorsal raphe serotonergic gain (rises ~2 weeks after LC)"),
    ),
    parameters=(
        Parameter("k_LC", 0.5, "1", 0.05, 20.0,
                  "assumed, calibratable: standard VNS (1 mA, 250 us, 20 Hz, 9% duty) raises "
                  "mean NE by ~10-15% (Roosevelt et al. 2006: +28-39% during 1 mA trains only)",
                  "Chronic LC gain per unit afferent drive", calibratable=True),
        Parameter("tau_LC", 24.0, "h", 4.0, 96.0,
                  "Dorr & Debonnel 2006 JPET 318:890 (LC up by 1 h-3 d); Manta 2009 (day 1)",
                  "Time constant of the LC gain"),
        Parameter("ne_acute", 0.37, "1", 0.05, 1.0,
                  "derived from Roosevelt et al. 2006 Brain Res 1119:124 (rat; no human "
                  "measurement): cortical/hippocampal NE +28-39% during 1 mA, 250 us, 20 Hz "
                  "trains, i.e. ~0.33 at the model's NTS drive of ~0.9 for those settings",
                  "Immediate NE rise per unit afferent drive"),
        Parameter("k_DRN", 1.0, "1", 0.1, 3.0,
                  "assumed: DRN rise secondary to LC (Dorr & Debonnel 2006; " + _MANTA + ")",
                  "DRN gain per unit NE elevation"),
        Parameter("tau_DRN", 120.0, "h", 48.0, 336.0,
                  "derived from " + _MANTA + ": 5-HT neurons up after 14 d, not 1 d; "
                  "two 5-day stages give ~12% at 3 d and ~77% at 14 d",
                  "Time constant of each DRN adaptation stage"),
        Parameter("ad_serotonin", 0.15, "1", 0.0, 2.0,
                  "assumed, calibratable to esketamine-nasal-day28 (control arm: new oral AD); "
                  "small for the treatment-resistant reference patient",
                  "Serotonergic tone added by a fully established oral antidepressant",
                  calibratable=True),
    ),
    derived=(
        Derived("norepinephrine", "1 + ne_acute*afferent_drive + LC_gain", "1",
                "Cortical/hippocampal norepinephrine (1 = baseline)", observable=True),
        Derived("serotonin", "1 + DRN_gain + ad_serotonin*antidepressant_level", "1",
                "Forebrain serotonin tone (1 = baseline)", observable=True),
    ),
    references=("Dorr & Debonnel 2006 JPET 318:890", _MANTA),
)
