"""The study definition: forms/*.toml read into frozen dataclasses, refused at load when wrong.

Pure: imports neither Flask nor SQLAlchemy.
"""

from edc.protocol.study import Study, load_study
from edc.protocol.toml import StudyDefinitionError

__all__ = ["Study", "StudyDefinitionError", "load_study"]
