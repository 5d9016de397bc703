"""The content model: YAML files -> a validated ``Project``.

``yamlsrc`` reads YAML with line marks, ``model`` is the schema (pydantic), ``project`` holds the
loaded objects and their queries, ``loader`` reads a project folder, ``checks`` runs the
cross-file checks, ``diagnostics`` holds the editor-facing messages and named errors.
Imports neither Flask nor MkDocs: the site builder and the backend both build on it.
"""
from .diagnostics import ContentError, Diagnostic, GuideError, ProjectNotFound
from .loader import load_project, load_valid_project
from .project import Project

__all__ = ["ContentError", "Diagnostic", "GuideError", "Project", "ProjectNotFound", "load_project",
           "load_valid_project"]
