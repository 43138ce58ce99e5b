"""What every adapter needs from Airflow: the artifact store, the run's folder and snapshot, the UI's URLs,
a spec that must still pass its check, the go-live settings and the platform's client.

Airflow is imported inside the functions: the DAG files import this package at parse time, and only the
task that runs needs Airflow's configuration or exceptions.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import quote

from .. import project, spec
from ..artifacts import RunFolder
from ..spec import provenance

PLATFORM_CONN_ID = "soh_platform"
"""The Airflow Connection to the platform's admin API: host, port and schema (https; http only on loopback)
or extra {"base_url": ...}; the API token as its password."""
EDGE_CONN_ID = "soh_edge"
"""The Airflow Connection to the edge (Cloudflare): the API token as its password, extra {"account_id": ...}."""
CMS_CONN_ID = "soh_cms"
"""The Airflow Connection to Optimizely CMS: host, port and schema (or extra {"base_url": ...}); the OAuth
client's id as its login and its secret as its password."""


def artifact_store() -> Any:
    """The root of the artifact store, from `[soh] artifact_store` (env AIRFLOW__SOH__ARTIFACT_STORE).

    A URL such as file:///srv/soh/artifacts or s3://bucket/soh (with an Airflow connection for the
    credentials, `[soh] artifact_store_conn_id`); by default the artifacts/ folder of the project.
    """
    from airflow.configuration import conf
    from airflow.sdk import ObjectStoragePath

    url = conf.get("soh", "artifact_store", fallback="") or project.DEFAULT_ARTIFACT_STORE.as_uri()
    conn_id = conf.get("soh", "artifact_store_conn_id", fallback="") or None
    return ObjectStoragePath(url, conn_id=conn_id)


def ui_base() -> str:
    """Airflow's UI as people reach it (`[api] base_url`), for links in e-mails and pages."""
    from airflow.configuration import conf

    return (conf.get("api", "base_url", fallback="") or "http://localhost:8080").rstrip("/")


PLUGIN_PREFIX = "/soh"
"""Where Airflow's API server mounts the plugin's web side (views.py): the artifacts and the dashboard."""


def artifact_url(path: Any) -> str:
    """Where a signed-in user opens an artifact in the browser: Airflow's API server, under /soh."""
    relative = str(path).removeprefix(str(artifact_store())).lstrip("/")
    return f"{ui_base()}{PLUGIN_PREFIX}/artifacts/{relative}"


def run_url(dag_id: str, run_id: str) -> str:
    """A DAG run in the Airflow UI."""
    return f"{ui_base()}/dags/{dag_id}/runs/{quote(run_id, safe='')}"


def task_url(dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> str:
    """A task instance in the Airflow UI (its log, details, and for a HITL task its required action)."""
    mapped = f"/mapped/{map_index}" if map_index is not None and map_index >= 0 else ""
    return f"{run_url(dag_id, run_id)}/tasks/{task_id}{mapped}"


def run_folder(slug: str, context: dict[str, Any]) -> RunFolder:
    return RunFolder.for_run(artifact_store(), slug, context["run_id"])


def snapshot(folder: RunFolder) -> dict[str, Any]:
    """The spec as the run's first task validated and stored it: what every later task works from."""
    return provenance.read_snapshot(folder.root / "spec")


def bundle_version(context: dict[str, Any]) -> str | None:
    """The version (a git bundle's commit) of the DAG bundle the task was parsed from; None for an
    unversioned bundle such as a local dags folder. The task instance knows it; the Task SDK's dag_run
    does not carry it, older contexts might."""
    bundle = getattr(context.get("ti"), "bundle_instance", None)
    return getattr(bundle, "version", None) or getattr(context.get("dag_run"), "bundle_version", None)


def specs_dir(context: dict[str, Any]) -> Path:
    """The specs of the checkout the running DAG came from (deployed: the git bundle's commit)."""
    return project.specs_dir(getattr(context.get("dag"), "fileloc", None))


def valid_spec(path: Path, problem: str) -> spec.ForceSpec:
    """The spec at `path`, which must pass its check; else the task fails with `problem` and every error."""
    from airflow.sdk.exceptions import AirflowFailException

    result = spec.load_one(path)
    if not result.valid:
        listing = "\n".join(error.format() for error in result.errors)
        raise AirflowFailException(f"{problem}:\n{listing}")
    return result.specs[0]


def now() -> str:
    """This moment, as the records write it."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def fail(message: str) -> NoReturn:
    """Fail the task for good (no retry): the log's last line is `message`."""
    from airflow.sdk.exceptions import AirflowFailException

    raise AirflowFailException(message)


def golive_settings() -> Any:
    """config/go-live.yaml with the environment's overrides; a broken file fails the task, located."""
    from ..golive import settings

    try:
        return settings.load()
    except settings.SettingsError as error:
        fail(str(error))


def platform_client() -> Any:
    """A client of the platform's API with the URL and token of the Connection soh_platform."""
    from ..provisioning.client import Credentials, PlatformClient, PlatformError

    conn = _connection(
        PLATFORM_CONN_ID,
        "create it with the platform's URL and API token (locally ./bin/run sets AIRFLOW_CONN_SOH_PLATFORM for the "
        "sandbox)",
    )
    try:
        return PlatformClient(Credentials(_base_url(conn), conn.password or ""))
    except PlatformError as error:
        fail(f"The Connection '{PLATFORM_CONN_ID}' is not usable: {error}")


def _base_url(conn: Any) -> str:
    """A Connection's service URL: extra base_url, else schema (https by default), host and port."""
    extra = conn.extra_dejson or {}
    return extra.get("base_url") or f"{conn.schema or 'https'}://{conn.host}" + (f":{conn.port}" if conn.port else "")


def cms_client() -> Any:
    """A client of Optimizely CMS's Content Management API with the OAuth client of the Connection soh_cms."""
    from ..provisioning.cms import CmsClient, CmsCredentials, CmsError

    conn = _connection(
        CMS_CONN_ID,
        "create it with the CMS's URL, the OAuth client's id (login) and secret (password) (locally ./bin/run "
        "sets AIRFLOW_CONN_SOH_CMS for the sandbox CMS), or set the environment's content to facade in "
        "config/platform.yaml",
    )
    try:
        return CmsClient(CmsCredentials(_base_url(conn), conn.login or "", conn.password or ""))
    except CmsError as error:
        fail(f"The Connection '{CMS_CONN_ID}' is not usable: {error}")


def adapters() -> Any:
    """config/platform.yaml's adapters for this environment; a broken file fails the task, located."""
    from .. import adapters as chosen

    try:
        return chosen.load()
    except chosen.AdaptersError as error:
        fail(str(error))


def _connection(conn_id: str, hint: str) -> Any:
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        return Connection.get(conn_id)
    except AirflowNotFoundException:
        fail(f"No Airflow Connection '{conn_id}': {hint}")


def edge_client() -> Any:
    """The edge (Cloudflare's API) with the token and account of the Connection soh_edge: its password is
    the API token, extra `account_id` the account, and host, port and schema (or extra `base_url`) another
    API than Cloudflare's own (the sandbox's)."""
    from ..edge.cloudflare import CloudflareEdge, EdgeCredentials
    from ..edge.model import EdgeError
    from ..provisioning.client import PlatformError

    conn = _connection(
        EDGE_CONN_ID,
        'create it with the Cloudflare API token (password) and extra {"account_id": ...} (locally ./bin/run '
        "sets AIRFLOW_CONN_SOH_EDGE for the sandbox edge), or set the environment's edge to none in "
        "config/platform.yaml",
    )
    extra = conn.extra_dejson or {}
    base_url = extra.get("base_url") or (
        f"{conn.schema or 'https'}://{conn.host}" + (f":{conn.port}" if conn.port else "") + "/client/v4"
        if conn.host
        else None
    )
    try:
        return CloudflareEdge.connect(
            EdgeCredentials(str(extra.get("account_id") or ""), conn.password or "", base_url)
        )
    except (EdgeError, PlatformError) as error:
        fail(f"The Connection '{EDGE_CONN_ID}' is not usable: {error}")


def on_edge(spec_data: dict[str, Any], migration: Any, out: Any, *, live: bool, dry_run: bool, refused: str) -> Any:
    """The run's edge work (edge/run.provision) when this environment has an edge, else None; a refusal
    fails the task with `refused` before the edge's own words."""
    from ..edge import run as edge_run
    from ..edge.model import EdgeError

    if adapters().edge == "none":
        return None
    client = edge_client()
    try:
        return edge_run.provision(client, spec_data, migration, out, live=live, dry_run=dry_run)
    except EdgeError as error:
        fail(f"{refused}: {error}")
    finally:
        client.close()


def on_platform(work: Any, connect: Any = platform_client, name: str = "platform") -> Any:
    """Run `work(client)` on the platform (or on the service `connect` gives, e.g. cms_client): a refusal
    (4xx) or a redirect (3xx: the Connection points at the wrong place) fails the task for good; giving up
    on a failing service (5xx, timeouts) raises for Airflow to retry the task later."""
    from ..provisioning.client import PlatformError

    with connect() as client:
        try:
            result = work(client)
        except PlatformError as error:
            if error.status is not None and error.status < 500:
                fail(f"The {name} refused: {error}")
            raise
        print(f"{name} calls: {client.stats.as_dict()}")
        return result


def on_cms(work: Any) -> Any:
    """Run `work(client)` on Optimizely CMS, as on_platform does on the platform."""
    return on_platform(work, cms_client, "CMS")
