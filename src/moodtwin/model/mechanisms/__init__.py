"""One module per mechanism of the vagus–brain–mood system (see each module's docstring)."""
