"""Model definition: mechanisms (declarative data) joined into one :class:`Model`."""

from moodtwin.model._model import Model as Model
from moodtwin.model._model import build_model as build_model
from moodtwin.model._spec import Derived as Derived
from moodtwin.model._spec import Input as Input
from moodtwin.model._spec import Mechanism as Mechanism
from moodtwin.model._spec import Parameter as Parameter
from moodtwin.model._spec import State as State
from moodtwin.model.default import default_model as default_model
