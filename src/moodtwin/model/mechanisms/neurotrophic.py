"""Neurotrophins and plasticity: glutamate surge → fast potentiation → synapses; BDNF;
slow neurogenesis; NGF.

Ketamine's glutamate/AMPA surge triggers a fast synaptic potentiation (BDNF translation via
eEF2, within an hour; decays over about a day: Autry et al. 2011, Nosyreva et al. 2013) that
in turn builds prefrontal spine synapses over 12-24 h (Li et al. 2010; Moda-Sava et al.
2019). It restores synapses lost under stress rather than adding beyond them: formation
stops at a ceiling above the floor, the restorable loss ``syn_gap``, which differs between
patients (data/population.yaml), so further doses hold the restored density rather than pile
up synapses beyond it. How much of the loss one dose restores is pinned by the calibration
set only jointly with the loss (the posterior spans a sixth to about a half per dose).
Spines are lost over one to two weeks at a rate raised by cortisol and inflammation, so
stress shortens ketamine's durability (clinical effect from hours to ~7 days). Keeping a
spine needs BDNF as well as making one: cortical neurons lose dendrites and spines without
it (Gorski et al. 2003), and a neuron's spine density follows the number of functional Bdnf
alleles it carries, in adulthood too (English et al. 2012). So the loss rate is divided by
the patient's relative activity-dependent BDNF release (below): a Met carrier's restored
spines fade faster, and repeated doses do not bring a poor responder up to a good one's
plateau (about a quarter to a third of patients improve little over a whole course of
three to six infusions in community-clinic trajectories, O'Brien et al. 2021/2023).
Both steps need activity-dependent BDNF release, which the common BDNF Val66Met allele
impairs (Egan et al. 2003): in knock-in mice ketamine's spine formation and antidepressant
response were blunted in Val/Met and abolished in Met/Met (Liu et al. 2012), and Met carriers
improved less after a ketamine infusion (Laje et al. 2012; Chen et al. 2021). A patient-level
genotype ``bdnf_met`` (1 for a Met carrier, drawn by the population model from the trial
population's carrier share) scales both rates by ``met_plasticity``, so ketamine-class
responses form responders and poor responders instead of one uniform shift. The allele is
not a risk factor for depression (Kishi et al. 2018) and leaves the baseline unchanged.
Brain BDNF rises with the glutamate surge and with monoamines and is suppressed by cortisol
and IL-6.
Neurogenesis/slow plasticity follows BDNF, serotonin and NGF over about six months, the
maturation time of new granule cells in adult primates (Kohler et al. 2011; rodents take
4-7 weeks), which is why a sustained drive such as VNS acts over months. NGF is driven by
vagal tone and acutely lowered by stimulation (Follesa et al. 2007).

Circulating neurotrophins are outputs with two kinetics. Plasma (free) BDNF follows brain
BDNF within hours: after a 0.5 mg/kg ketamine infusion it was raised at 240 min in responders
and not after midazolam (Haile et al. 2014). Serum BDNF, stored in platelets, follows brain
BDNF over ~10 days, so a single infusion barely moves it while weeks of treatment do
(antidepressants raise serum BDNF, Sen et al. 2008). Serum NGF follows brain NGF; no
therapy-specific human serum NGF response was found (assumed). Botulinum toxin acts on the
amygdala through facial feedback and has no direct action on either (no published change;
assumed); they move only as far as the mood and stress changes it brings move them (the
demo's toxin course raises serum NGF by about 6 %).
"""

from moodtwin.model._spec import Derived, Mechanism, Parameter, State

_FOLLESA = "Follesa et al. 2007 Brain Res"
_LI = "Li et al. 2010 Science 329:959"
_KOHLER = ("Kohler et al. 2011 Proc Natl Acad Sci USA 108:10326 (maturation of new granule cells "
           "in adult macaques exceeds six months)")
_NGWENYA = "Ngwenya et al. 2015 Front Syst Neurosci 9:102"
_LIU = ("Liu et al. 2012 Biol Psychiatry 71:996 (BDNF Val66Met knock-in mice: ketamine's "
        "prefrontal spine formation and forced-swim response blunted in Val/Met, abolished in "
        "Met/Met)")
_LAJE = ("Laje et al. 2012 Biol Psychiatry 72:e27 (62 patients given 0.5 mg/kg ketamine: 41 "
         "Val/Val, 19 Val/Met, 2 Met/Met; Met carriers improved less, genotype x time "
         "F = 5.59, p = 0.0007)")
_GORSKI = ("Gorski et al. 2003 J Neurosci 23:6856 (forebrain BDNF knockout: cortical neurons "
           "develop normal dendrites, then retract them: BDNF maintains them)")
_ENGLISH = ("English, Vigers & Jones 2012 Proc Natl Acad Sci USA 109:19456 (a cortical neuron's "
            "spine density follows its number of functional Bdnf alleles, in development and "
            "in adulthood)")
_OBRIEN = ("O'Brien et al. 2021 J Affect Disord and 2023 J Affect Disord 321:140 (growth "
           "mixtures of QIDS-SR over three and six IV ketamine infusions in community clinics: "
           "97 of 328 and 78 of 298 patients severely depressed with modest improvement)")
_HAILE = ("Haile et al. 2014 Int J Neuropsychopharmacol 17:331 (n=22 TRD: plasma BDNF raised "
          "240 min after ketamine in responders, not after midazolam)")

MECHANISM = Mechanism(
    name="neurotrophic",
    doc=__doc__,
    states=(
        State("BDNF",
              "((1 + k_glu_bdnf*glutamate_surge + k_ne_bdnf*(norepinephrine - 1)"
              " + k_5ht_bdnf*(serotonin - 1))*exp(-k_cort_bdnf*(cortisol - 1)"
              " - k_il6_bdnf*(il6 - 1)) - BDNF)/tau_BDNF",
              "1", "Brain BDNF (1 = healthy)", initial=1.0),
        State("potentiation",
              "k_pot*bdnf_release*plasticity_drive*(1 - potentiation) - potentiation/tau_pot", "1",
              "Fast synaptic potentiation (AMPA throughput, 0-1)"),
        State("synapses",
              "k_syn*bdnf_release*potentiation*(syn_floor + syn_gap - synapses)"
              " - k_syn_loss*exp(c_cort_syn*(cortisol - 1) + c_il6_syn*(il6 - 1))"
              "*(synapses - syn_floor)/bdnf_release",
              "1", "Prefrontal spine-synapse density (relative)", initial=0.55),
        State("neurogenesis",
              "(BDNF*serotonin**k_5ht_neuro*NGF**k_ngf_neuro*exp(-k_cort_neuro*(cortisol - 1))"
              " - neurogenesis)/tau_neuro",
              "1", "Hippocampal neurogenesis / slow plasticity (1 = healthy)", initial=1.0),
        State("NGF",
              "(exp(k_vagal_ngf*(vagal_tone - 1) - k_stim_ngf*afferent_drive) - NGF)/tau_NGF",
              "1", "Nerve growth factor (1 = healthy)", initial=1.0),
        State("BDNF_serum", "(BDNF - BDNF_serum)/tau_serum_bdnf", "1",
              "Serum (platelet-stored) BDNF", initial=1.0),
        State("BDNF_plasma", "(BDNF - BDNF_plasma)/tau_plasma_bdnf", "1",
              "Plasma (free) BDNF", initial=1.0),
    ),
    parameters=(
        Parameter("k_glu_bdnf", 2.5, "1", 0.5, 20.0,
                  "assumed, calibratable to ketamine-single-iv-day1",
                  "BDNF drive per unit glutamate surge", calibratable=True),
        Parameter("k_ne_bdnf", 0.05, "1", 0.0, 2.0,
                  "assumed: acute VNS raises hippocampal/cortical BDNF mRNA (" + _FOLLESA + ")",
                  "BDNF drive per unit NE elevation"),
        Parameter("k_5ht_bdnf", 0.05, "1", 0.0, 2.0,
                  "assumed: antidepressants raise serum BDNF (Sen et al. 2008, ES 0.62)",
                  "BDNF drive per unit serotonin elevation"),
        Parameter("k_cort_bdnf", 0.1, "1", 0.0, 2.0, "assumed: glucocorticoids lower BDNF",
                  "Log BDNF suppression per unit cortisol"),
        Parameter("k_il6_bdnf", 0.2, "1", 0.0, 1.0, "assumed: cytokines lower BDNF",
                  "Log BDNF suppression per unit IL-6"),
        Parameter("tau_BDNF", 3.0, "h", 0.5, 12.0, "research note suggestion (1-3 h), assumed",
                  "Time constant of brain BDNF"),
        Parameter("k_pot", 0.1, "1/h", 0.02, 20.0,
                  "assumed, calibratable to the ketamine and esketamine targets together: "
                  "synaptic potentiation begins within 30 min of a dose (Autry et al. 2011 "
                  "Nature 475:91, mice); whether it saturates at clinical doses is unknown, "
                  "and saturation would erase the difference between racemic ketamine and "
                  "esketamine (Bahji et al. 2021)",
                  "Potentiation rate per unit glutamate surge", calibratable=True),
        Parameter("tau_pot", 24.0, "h", 6.0, 72.0,
                  "Nosyreva et al. 2013 J Neurosci 33:6990 and Autry et al. 2011 (potentiation "
                  "of synaptic responses peaks within hours and declines over ~1 day)",
                  "Decay time of fast synaptic potentiation"),
        Parameter("k_syn", 0.2, "1/h", 0.01, 2.0,
                  "assumed, calibratable to ketamine-single-iv-day1: new spines within 12-24 h "
                  "of a dose (Li et al. 2010 Science 329:959; Moda-Sava et al. 2019 Science "
                  "364:eaat8078); up to 2/h lets one dose restore most of the lost synapses "
                  "within a day; pinned only jointly with syn_gap",
                  "Spine formation rate per unit potentiation",
                  calibratable=True),
        Parameter("syn_gap", 0.2, "1", 0.02, 1.0,
                  "assumed, calibratable to the single-dose ketamine targets with "
                  "esketamine-nasal-day28 (repeated dosing): ketamine restores spines lost under "
                  "stress rather than adding beyond them (Moda-Sava et al. 2019 Science "
                  "364:eaat8078), so later doses hold the restored density instead of piling up "
                  "synapses; pinned only jointly with k_syn (a large loss restored slowly or a "
                  "small one restored within a few doses fit alike). Patient-level: how much "
                  "synapse a patient has lost varies (prefrontal synaptic density in depression, "
                  "Holmes et al. 2019 Nat Commun 10:1529; data/population.yaml)",
                  "Restorable spine-synapse loss: the ceiling of synapse density above its floor",
                  calibratable=True),
        Parameter("bdnf_met", 0.0, "1", 0.0, 1.0,
                  "patient-level: drawn by the population model (1 with the trial population's "
                  "Met-carrier share, population field bdnf_met_carriers); default 0: Val/Val",
                  "BDNF Val66Met genotype: 1 for a Met carrier, 0 for Val/Val"),
        Parameter("met_plasticity", 0.3, "1", 0.02, 1.0,
                  "assumed, calibratable to the ketamine and esketamine targets together: "
                  "Met carriers keep part of ketamine's BDNF-dependent plasticity; the Met "
                  "allele cuts activity-dependent BDNF secretion (Egan et al. 2003 Cell "
                  "112:257) and blunts ketamine's spine formation (" + _LIU + "), and carriers "
                  "improved less (" + _LAJE + "); the clinical size was not read",
                  "Activity-dependent BDNF release of a Met carrier relative to Val/Val "
                  "(scales potentiation and spine formation)", calibratable=True),
        Parameter("syn_floor", 0.5, "1", 0.0, 0.9, "assumed", "Floor of synapse density"),
        Parameter("k_syn_loss", 0.008, "1/h", 0.001, 0.03,
                  "assumed, calibratable to ketamine-single-iv-day7: new spines persist 1-2 "
                  "weeks (Moda-Sava et al. 2019) and the clinical effect is gone by days 10-12 "
                  "(Kishimoto et al. 2016); divided by the relative BDNF release, since spines "
                  "need BDNF to persist (" + _GORSKI + "; " + _ENGLISH + ")",
                  "Synapse loss rate of a Val/Val patient", calibratable=True),
        Parameter("c_cort_syn", 0.1, "1", 0.0, 2.0, "assumed: stress shortens durability",
                  "Log synapse-loss increase per unit cortisol"),
        Parameter("c_il6_syn", 0.2, "1", 0.0, 1.0, "assumed: inflammation shortens durability",
                  "Log synapse-loss increase per unit IL-6"),
        Parameter("k_5ht_neuro", 1.0, "1", 0.0, 3.0,
                  "assumed: serotonin drives adult neurogenesis (antidepressant action)",
                  "Serotonin exponent of neurogenesis"),
        Parameter("k_ngf_neuro", 0.2, "1", 0.0, 2.0, "assumed", "NGF exponent of neurogenesis"),
        Parameter("k_cort_neuro", 0.1, "1", 0.0, 2.0, "assumed: glucocorticoids suppress",
                  "Log neurogenesis suppression per unit cortisol"),
        Parameter("tau_neuro", 4380.0, "h", 2016.0, 8760.0,
                  "derived from primate data, calibratable: new dentate granule cells take more "
                  "than six months to mature in adult macaques, against 4-7 weeks in rodents "
                  "(" + _KOHLER + "; delayed neuronal phenotype in rhesus monkeys, " + _NGWENYA
                  + "); no human value. Clinically, implanted VNS does not separate from sham at "
                  "10 weeks (Rush et al. 2005 Biol Psychiatry 58:347) and its benefit accrues "
                  "over 6-24 months (Aaronson et al. 2017 Am J Psychiatry 174:640)",
                  "Time constant of neurogenesis"),
        Parameter("k_vagal_ngf", 0.5, "1", 0.0, 2.0,
                  "assumed: vagus-neurotrophin interaction (seed 002 review)",
                  "Log NGF per unit vagal tone"),
        Parameter("k_stim_ngf", 0.5, "1", 0.0, 3.0,
                  "assumed: acute VNS lowered hippocampal NGF mRNA (" + _FOLLESA + ")",
                  "Log NGF suppression per unit afferent drive"),
        Parameter("tau_NGF", 24.0, "h", 4.0, 168.0, "assumed", "Time constant of NGF"),
        Parameter("tau_serum_bdnf", 240.0, "h", 72.0, 720.0,
                  "assumed: platelet lifespan ~8-10 days", "Serum BDNF time constant"),
        Parameter("tau_plasma_bdnf", 1.0, "h", 0.1, 12.0,
                  "assumed: free BDNF is cleared within an hour; the plasma rise is seen by "
                  "240 min after a ketamine infusion (" + _HAILE + ")",
                  "Plasma (free) BDNF time constant"),
        Parameter("bdnf_plasma_ref", 300.0, "pg/mL", 20.0, 3000.0,
                  "assumed: plasma BDNF is tens to thousands of pg/mL depending on the assay "
                  "(platelet-poor plasma)", "Plasma BDNF at level 1"),
        Parameter("ngf_serum_ref", 20.0, "pg/mL", 1.0, 300.0,
                  "assumed: serum NGF is tens of pg/mL by ELISA, assay-dependent",
                  "Serum NGF at level 1"),
        Parameter("bdnf_serum_ref", 25.0, "ng/mL", 5.0, 50.0,
                  "assumed: healthy serum BDNF ~20-30 ng/mL", "Serum BDNF at level 1"),
    ),
    derived=(
        Derived("bdnf_release", "1 - bdnf_met*(1 - met_plasticity)", "1",
                "Activity-dependent BDNF release relative to Val/Val (BDNF Val66Met genotype)"),
        Derived("bdnf_serum_ngml", "bdnf_serum_ref*BDNF_serum", "ng/mL", "Serum BDNF",
                observable=True),
        Derived("bdnf_plasma_pgml", "bdnf_plasma_ref*BDNF_plasma", "pg/mL",
                "Plasma (free) BDNF", observable=True),
        Derived("ngf_serum_pgml", "ngf_serum_ref*NGF", "pg/mL", "Serum NGF", observable=True),
        Derived("bdnf_brain", "BDNF", "1", "Brain BDNF (1 = healthy)", observable=True),
        Derived("ngf_brain", "NGF", "1", "Brain NGF (1 = healthy)", observable=True),
    ),
    references=(_LI, _LIU, _LAJE, "Egan et al. 2003 Cell 112:257", _GORSKI, _ENGLISH, _OBRIEN,
                "Chen et al. 2021 Asian J Psychiatr 66:102869 (re-analysis of 71 Taiwanese TRD "
                "patients given ketamine or saline: only patients with a Val allele were more "
                "likely to respond, p = 0.011)",
                "Su et al. 2017 Neuropsychopharmacology 42:2482 (Taiwanese TRD: 45.8 % response "
                "to 0.5 mg/kg, lower than in Caucasian samples, with fewer Val/Val patients)",
                "Kishi et al. 2018 Front Psychiatry 8:308 (Val66Met not associated with MDD)",
                _FOLLESA, _HAILE, _KOHLER, _NGWENYA,
                "Sen, Duman & Sanacora 2008 Biol Psychiatry"),
)
