"""Run artifacts (reports, documents, CSVs) served inside Airflow, to signed-in users only.

Mounted by the Airflow plugin (plugins/soh_plugin.py) under /soh, so an approval request or a task's
link can point an operator or a DPO at a document in the artifact store, whatever the store is (a local
folder, or object storage when deployed). This is the Airflow glue's web side: it knows Airflow's
authentication, and nothing of the phases that wrote the files.
"""

from __future__ import annotations

import mimetypes
from typing import Any

from fastapi import Depends, FastAPI, HTTPException
from fastapi.responses import Response

from . import airflow_glue

PREFIX = "/soh"
TEXT_TYPES = {".md": "text/markdown; charset=utf-8", ".csv": "text/csv; charset=utf-8", ".json": "application/json"}


def artifact_path(relative: str) -> Any:
    """The store path for a URL path, refusing anything that climbs out of the store."""
    parts = [part for part in relative.split("/") if part]
    if not parts or any(part in (".", "..") or part.startswith(".") for part in parts):
        raise HTTPException(status_code=404, detail="no such artifact")
    path = airflow_glue.artifact_store()
    for part in parts:
        path = path / part
    return path


def build_app() -> FastAPI:
    # Imported here, when the API server builds the plugin's app, not by every process importing this module.
    from airflow.api_fastapi.core_api.security import get_user

    app = FastAPI(title="SOH onboarding", docs_url=None, redoc_url=None, openapi_url=None)
    signed_in = Depends(get_user)  # 401 without a valid token (bearer header or the UI's session cookie)

    @app.get("/artifacts/{relative:path}")
    def artifact(relative: str, user: Any = signed_in) -> Response:
        path = artifact_path(relative)
        if not path.is_file():
            raise HTTPException(status_code=404, detail="no such artifact")
        suffix = "." + path.name.rsplit(".", 1)[-1] if "." in path.name else ""
        media_type = TEXT_TYPES.get(suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        headers = {
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:",
            "X-Content-Type-Options": "nosniff",
        }
        return Response(path.read_bytes(), media_type=media_type, headers=headers)

    return app
