"""moodtwin: a mechanistic digital twin of the vagus-nerve–brain–mood system.

Research software, not medical advice.
"""

__version__ = "0.1.0"
