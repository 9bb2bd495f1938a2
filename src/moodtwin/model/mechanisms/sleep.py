"""Sleep quality, improved by vagal tone and worsened by cortisol and depression.

Sleep relaxes over days toward its set point and feeds back on mood (mood module).
"""

from moodtwin.model._spec import Mechanism, Parameter, State

MECHANISM = Mechanism(
    name="sleep",
    doc=__doc__,
    states=(
        State("sleep_quality",
              "(exp(s_vagal*(vagal_tone - 1) - s_cort*(cortisol - 1) - s_dep*(depression - 0.15))"
              " - sleep_quality)/tau_sleep",
              "1", "Sleep quality (1 = healthy)", initial=1.0),
    ),
    parameters=(
        Parameter("s_vagal", 0.5, "1", 0.0, 2.0,
                  "assumed: VNS promotes sleep (seed 001); vagal tone and sleep correlate",
                  "Log sleep quality per unit vagal tone"),
        Parameter("s_cort", 0.3, "1", 0.0, 2.0, "assumed: hypercortisolism fragments sleep",
                  "Log sleep quality loss per unit cortisol"),
        Parameter("s_dep", 0.3, "1", 0.0, 2.0, "assumed: insomnia is a core MDD symptom",
                  "Log sleep quality loss per unit latent depression"),
        Parameter("tau_sleep", 72.0, "h", 24.0, 336.0, "assumed", "Time constant of sleep"),
    ),
)
