"""Botulinum toxin A in the glabellar muscles and the facial-feedback loop to the amygdala.

Injected units bind nerve terminals over about a day (onset: 48% by day 1, 100% by day 4;
Beer et al. 2011) and active toxin is lost slowly as terminals recover. Paralysis is a steep
Hill function of active toxin, so it plateaus for weeks and then wears off; the two rates and
the half-effect amount are set so that 20 U wears off at a median 120 days (Carruthers et al.
2023) and 2.5× that dose at about 9 months (Toxins 2021 review). Corrugator (frown) activity
scales with negative affect and is removed by paralysis; it drives an amygdala negative bias
that relaxes within days (Kim et al. 2014: amygdala response returns when the toxin wears
off). The mood benefit outlasts the muscle effect through the slow mood memory (mood module).
"""

from moodtwin.model._spec import Derived, Mechanism, Parameter, State

_DUR = ("derived: median 120 d at 20 U (Carruthers et al. 2023 PMC10374180) and ~270 d at "
        "50 U (Toxins 2021 review) give k_rec = ln(2.5)/150 d and X50 = 20 U*exp(-120 d k_rec)")

MECHANISM = Mechanism(
    name="botulinum",
    doc=__doc__,
    states=(
        State("toxin_depot", "-k_tox_bind*toxin_depot", "U", "Injected toxin not yet bound",
              atol=1e-6),
        State("toxin_active", "k_tox_bind*toxin_depot - k_tox_recover*toxin_active", "U",
              "Active (terminal-bound) toxin", atol=1e-6),
        State("amygdala_bias", "(corrugator_activity - amygdala_bias)/tau_amygdala", "1",
              "Amygdala negative bias fed by facial feedback", initial=1.0),
    ),
    parameters=(
        Parameter("k_tox_bind", 0.0417, "1/h", 0.01, 0.2,
                  "derived from Beer et al. 2011 (onset 48% day 1, 100% day 4): tau 1 d",
                  "Toxin binding rate"),
        Parameter("k_tox_recover", 0.000254, "1/h", 0.00005, 0.001, _DUR,
                  "Terminal recovery rate"),
        Parameter("tox_X50", 9.6, "U", 2.0, 30.0, _DUR, "Active toxin of half paralysis"),
        Parameter("tox_hill", 4.0, "1", 1.0, 8.0,
                  "derived: with the k_tox_recover/tox_X50 decay, 4 keeps paralysis >= 80% "
                  "from day 7 to day 60 and 50% at day 120 (1 would give 67% -> 59%): peak "
                  "effect between 30 and 60 days, median duration 120 d (Carruthers et al. "
                  "2023 Medicine 102(Suppl):e32375, human 20 U); responder rate peaked at 77% "
                  "on day 30 (Carruthers et al. 2003 Plast Reconstr Surg 112:1089, human, 20 U, "
                  "n = 202)",
                  "Hill coefficient of paralysis"),
        Parameter("frown_base", 0.7, "1", 0.0, 2.5,
                  "assumed: corrugator activity present without depression",
                  "Corrugator activity at zero depression"),
        Parameter("frown_gain", 0.5, "1", 0.0, 5.0,
                  "assumed: corrugator over-activity with negative emotion (seed 003)",
                  "Corrugator activity per unit latent depression"),
        Parameter("tau_amygdala", 72.0, "h", 12.0, 336.0,
                  "assumed: amygdala response tracks paralysis within days (Kim et al. 2014)",
                  "Time constant of amygdala bias"),
        Parameter("ptosis_ref", 0.03, "1", 0.0, 0.2,
                  "Botox glabellar-lines RCT, J Am Acad Dermatol 2002 46:840 (PMID "
                  "12063480; human, 20 U onabotulinumtoxinA, n = 203: blepharoptosis 5.4%); "
                  "Green et al. 2021 Dermatol Surg 47:42 (doi:10.1097/DSS.0000000000002463; "
                  "human, daxibotulinumtoxinA 40 U: ptosis in 0.9% of treatments); 3% lies "
                  "between",
                  "Ptosis risk at 20 U active toxin (scales with dose squared)"),
    ),
    derived=(
        Derived("paralysis",
                "toxin_active**tox_hill/(toxin_active**tox_hill + tox_X50**tox_hill)", "1",
                "Corrugator paralysis fraction", observable=True),
        Derived("corrugator_activity",
                "(1 - paralysis)*(frown_base + frown_gain*depression)", "1",
                "Frown-muscle activity"),
        Derived("ptosis_risk", "ptosis_ref*(toxin_active/20)**2*paralysis", "1",
                "Probability-like eyelid ptosis burden", observable=True),
    ),
    references=("Beer et al. 2011", "Carruthers et al. 2023", "Kim et al. 2014",
                "Magid et al. 2015 Pharmacopsychiatry 48:205"),
)
