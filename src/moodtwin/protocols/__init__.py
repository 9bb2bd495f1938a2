"""Therapy protocols: validated data files compiled into solver event timelines."""

from moodtwin.protocols._compile import Timeline as Timeline
from moodtwin.protocols._compile import compile_per_patient as compile_per_patient
from moodtwin.protocols._compile import compile_protocol as compile_protocol
from moodtwin.protocols._compile import timeline_parameters as timeline_parameters
from moodtwin.protocols._course import course_key as course_key
from moodtwin.protocols._course import starts_course as starts_course
from moodtwin.protocols._load import ProtocolLike as ProtocolLike
from moodtwin.protocols._load import load_protocol as load_protocol
from moodtwin.protocols._load import parse_protocol as parse_protocol
from moodtwin.protocols._load import resolve_protocol as resolve_protocol
from moodtwin.protocols._schema import Protocol as Protocol
