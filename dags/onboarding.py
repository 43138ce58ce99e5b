"""One Airflow DAG per force: `onboard_<slug>` for every valid spec in onboarding_specs/.

This file only wires. The library (plugins/soh_onboarding) decides; a spec that fails its check gets no
DAG here and shows as an import error of onboarding_spec_errors.py instead, so it never hides the others.
Parse time matters (the DAG processor runs this file often): no network, no database, no heavy imports.
Airflow does not parse this file on its own (dags/.airflowignore): the shard files onboarding_shard_<i>.py
load it and each builds the DAGs of its share of the forces (build_shard), so the DAG processor parses
them in parallel and a task's run re-parses only its shard.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.providers.standard.operators.hitl import HITLOperator
from airflow.sdk import DAG, Asset, Param, TaskGroup, XComArg, task

from soh_onboarding import access, dpia, phases, project, spec
from soh_onboarding.glue import accessibility, building, golive, live, migration, notifications, options, provisioning
from soh_onboarding.glue import dpia as dpia_glue
from soh_onboarding.glue.snapshot import check_and_snapshot
from soh_onboarding.golive import decision as golive_decision
from soh_onboarding.spec import cache as speccache

OWNER = "national-live-service"
PLATFORM_POOL = "soh_platform_api"
"""Every call to the platform's API runs in this pool (config/pools.json), shared by all forces' runs."""
ACCESSIBILITY_POOL = "soh_accessibility_audit"
"""The audits of every force's run share this pool (config/pools.json): each runs Chromium."""

PARAMS = {
    "phases": Param(
        list(options.RUN_PHASES),
        type="array",
        items={"type": "string", "enum": list(options.RUN_PHASES)},
        uniqueItems=True,
        examples=list(options.RUN_PHASES),
        values_display=options.RUN_PHASES,
        title="Phases to run",
        description_md="The phases of this run. A phase left out is skipped, saying so in its log, and so is "
        "every later phase that needs its output.",
        section="What to run",
    ),
    "dry_run": Param(
        False,
        type="boolean",
        title="Dry run",
        description_md="Do everything (crawl, check, report, ask for approvals) except change the outside "
        "world: nothing is written to the platform and nothing is switched live.",
        section="What to run",
    ),
    "run_note": Param(
        None,
        type=["null", "string"],  # the UI's form sends an empty text field as null
        title="Why this run",
        description_md="Recorded with the spec snapshot in the run's folder, e.g. *re-run after the DPO's changes*.",
        maxLength=500,
        section="About this run",
    ),
    "page_limit": Param(
        None,
        type=["null", "integer"],
        minimum=1,
        title="Page limit",
        description_md="Stop crawling the legacy site after this many pages, for a trial run. "
        "Empty: the spec's `legacy_site.crawl.max_pages`.",
        section="Content migration",
    ),
}
"""The trigger form, attached to each DAG once its tasks are built (see glue.building.attach_params)."""


# The tasks are defined once, here, and instantiated in each force's DAG with the force's slug as an
# argument: decorating them again for every DAG would cost more parse time than everything else per DAG.


@task(task_id="check_spec", task_display_name="Check and snapshot the spec", retries=0)
def check_spec(spec_file: str, **context) -> dict:
    return check_and_snapshot(spec_file, context)


@task(task_id="screen", task_display_name="Screen the processing and write the DPIA scoping document")
def screen(slug: str, **context) -> dict:
    return dpia_glue.screen(slug, context)


@task.branch(task_id="route", task_display_name="Ask the DPO, or does an approval stand?")
def route(screened: dict) -> str:
    return dpia_glue.route(screened)


@task(task_id="approval_stands", task_display_name="The DPO's earlier approval stands")
def approval_stands(screened: dict) -> dict:
    return screened["standing_approval"]


@task(
    task_id="record",
    task_display_name="Record the DPO's decision",
    trigger_rule="none_failed_min_one_success",
    retries=0,
)
def record(slug: str, screened: dict, answer: dict | None, stands: dict | None, **context) -> dict:
    return dpia_glue.record(slug, screened, answer, stands, context)


@task(task_id="crawl", task_display_name="Crawl the legacy site", pool="soh_legacy_crawl")
def crawl(slug: str, **context) -> dict:
    return migration.crawl(slug, context)


@task(task_id="plan", task_display_name="Map every old URL and split the pages into chunks")
def plan(slug: str, **context) -> list[dict]:
    return migration.plan(slug, context)


@task(
    task_id="process",
    task_display_name="Extract, sanitise and re-link pages",
    map_index_template="chunk {{ task.op_kwargs['job']['chunk'] + 1 }}",
)
def process(slug: str, job: dict, **context) -> int:
    return migration.process(slug, job, context)


@task(task_id="finish", task_display_name="Write the inventory, redirects and report; check their quality")
def finish(slug: str, crawled: dict, **context) -> dict:
    return migration.finish(slug, crawled, context)


@task(task_id="tenant", task_display_name="Create or update the tenant: name, domains, branding", pool=PLATFORM_POOL)
def provision_tenant(slug: str, **context) -> dict:
    return provisioning.tenant(slug, context)


@task(task_id="services", task_display_name="Enable the services the DPO signed off", pool=PLATFORM_POOL)
def provision_services(slug: str, **context) -> dict:
    return provisioning.services(slug, context)


@task(
    task_id="publish",
    task_display_name="Publish pages, documents and redirects (only what changed)",
    pool=PLATFORM_POOL,
)
def provision_publish(slug: str, **context) -> dict:
    return provisioning.publish(slug, context)


@task(
    task_id="edge",
    task_display_name="Set up the edge: DNS, TLS, HSTS, headers, the old URLs' redirects (only what differs)",
    pool=PLATFORM_POOL,
)
def provision_edge(slug: str, **context) -> dict:
    return provisioning.edge(slug, context)


@task(
    task_id="verify",
    task_display_name="Verify by reading back; record the preview URL",
    pool=PLATFORM_POOL,
)
def provision_verify(slug: str, sent: dict, **context) -> dict:
    return provisioning.verify(slug, sent, context)


@task(
    task_id="audit",
    task_display_name="Audit the preview's accessibility; the gate; a statement draft",
    pool=ACCESSIBILITY_POOL,
)
def accessibility_audit(slug: str, verified: dict, **context) -> dict:
    return accessibility.audit(slug, verified, context)


LIVE_FORCES = Asset(live.LIVE_FORCES_URI)
GO_LIVE_RESPONSE_TIMEOUT = timedelta(days=14)
"""After this the approver's task fails and nothing is switched: an unanswered go-live is not an approval."""


@task(task_id="check", task_display_name="Run the go-live checks and write the checklist", retries=0)
def golive_check(slug: str, **context) -> dict:
    return golive.check(slug, context)


@task(
    task_id="switch",
    task_display_name="Switch the tenant live and record it (or record the refusal)",
    outlets=[LIVE_FORCES],
    pool=PLATFORM_POOL,
)
def golive_switch(slug: str, answer: dict, **context) -> dict:
    return golive.switch(slug, answer, context, LIVE_FORCES)


def golive_approval(force: spec.ForceSpec, body: XComArg) -> HITLOperator:
    """The go-live decision, assigned to the spec's go-live approver; its body is the checklist's summary."""
    approver = force.data["contacts"]["go_live_approver"]
    return approval(
        force,
        approver,
        task_id="decision",
        display_name=f"Go-live decision ({approver['name']})",
        subject=f"Go live: {force.name}",
        body=body,
        options=golive_decision.OPTIONS,
        comment="Why; recorded with the decision and, on a refusal, in the run.",
        timeout=GO_LIVE_RESPONSE_TIMEOUT,
    )


def approval(
    force: spec.ForceSpec,
    person: dict,
    *,
    task_id: str,
    display_name: str,
    subject: str,
    body: XComArg,
    options: tuple[str, ...] | list[str],
    comment: str,
    timeout: timedelta,
) -> HITLOperator:
    """A person's decision in the UI, assigned to them alone by the e-mail the spec gives, with a comment;
    its body, the `body` of an earlier task's result, is rendered when it runs; the person is e-mailed the link."""
    return HITLOperator(
        task_id=task_id,
        task_display_name=display_name,
        subject=subject,
        body=body,
        options=list(options),
        params={"comment": Param("", type="string", title="Comment", description=comment)},
        assigned_users=[{"id": person["email"], "name": person["name"]}],
        response_timeout=timeout,
        retries=0,
        notifiers=[notifications.ApprovalWaiting(force.name)],
    )


@task(
    task_id="outcome",
    task_display_name="Fail the run when a phase failed",
    trigger_rule="one_failed",
    retries=0,
)
def outcome(slug: str, **context) -> None:
    options.fail_the_run(slug, context)


def dpo_decision(force: spec.ForceSpec, body: XComArg) -> HITLOperator:
    """The DPO's sign-off, assigned to the spec's DPO; its body comes from the screening at run time."""
    dpo = force.data["contacts"]["data_protection_officer"]
    return approval(
        force,
        dpo,
        task_id="dpo_decision",
        display_name=f"DPO's decision on the DPIA ({dpo['name']})",
        subject=f"DPIA sign-off: {force.name}",
        body=body,
        options=dpia.OPTIONS,
        comment="Your advice or the changes you need; recorded with the DPIA.",
        timeout=dpia.DPO_RESPONSE_TIMEOUT,
    )


def build_dag(force: spec.ForceSpec, *, params_first: bool = False) -> DAG:
    """The force's onboarding DAG. `params_first` builds it the way Airflow does by default (the trigger form
    given to the DAG, so copied into every task): the same DAG at run time, slower to parse; tests compare."""
    with DAG(
        dag_id=force.dag_id,
        dag_display_name=f"{force.name}: onboarding",
        description=f"Onboard {force.name} onto the Single Online Home",
        doc_md=building.dag_doc(force),
        schedule=None,
        catchup=False,
        max_active_runs=1,  # two runs of one force would publish over each other
        tags=["soh-onboarding", f"force:{force.slug}", force.data["force"]["nation"]],
        default_args={"owner": OWNER, "retries": 1, "retry_delay": timedelta(minutes=1)},
        params=PARAMS if params_first else None,
        # Its force's people read it; its approvers may also answer its approval steps (access.py).
        access_control=access.access_control(force.slug),
        # One e-mail per failed run, to the force's digital lead and the team ([soh] notify_email).
        on_failure_callback=notifications.RunFailed(force.name, [force.data["contacts"]["digital_lead"]["email"]]),
    ) as dag:
        checked = check_spec(str(force.path))

        with TaskGroup(phases.DPIA.id, tooltip="DPIA screening, scoping document and the DPO's sign-off") as dpia_group:
            screened = screen(force.slug)
            asked, stands = dpo_decision(force, screened["body"]), approval_stands(screened)
            route(screened) >> [asked, stands]
            record(force.slug, screened, asked.output, stands)  # the branch skips one: its value is None

        with TaskGroup(
            phases.MIGRATION.id, tooltip="Crawl, extract, sanitise and map the legacy site"
        ) as migration_group:
            planned = plan(force.slug)
            crawled = crawl(force.slug)
            crawled >> planned
            process.partial(slug=force.slug).expand(job=planned) >> finish(force.slug, crawled)

        with TaskGroup(
            phases.PROVISIONING.id, tooltip="The tenant on the platform, the site published and verified"
        ) as provisioning_group:
            tenant = provision_tenant(force.slug)
            services = provision_services(force.slug)
            published = provision_publish(force.slug)
            tenant >> services >> published
            verified = provision_verify(force.slug, published)
            published >> provision_edge(force.slug)

        # Screening and migration run side by side; the tenant is set up meanwhile. Enabling services
        # waits for the DPO's sign-off (they are what the DPIA assessed); publishing waits for both.
        checked >> [dpia_group, migration_group, tenant]
        dpia_group >> services
        migration_group >> published

        with TaskGroup(
            phases.ACCESSIBILITY.id,
            tooltip="WCAG audit of the tenant's preview, before and after, the gate, a statement draft",
        ) as accessibility_group:
            accessibility_audit(force.slug, verified)
        provisioning_group >> accessibility_group

        with TaskGroup(
            phases.GO_LIVE.id, tooltip="The go-live checks, the approver's decision, the switch live"
        ) as go_live:
            decided = golive_approval(force, golive_check(force.slug)["body"])
            golive_switch(force.slug, decided.output)
        # The last gate: after the site is published, verified and audited (the checks read the run's folder).
        [checked, accessibility_group] >> go_live

        # Airflow judges a run by its last tasks: with later phases left out of a run (skipped), a failed
        # earlier phase would leave it "successful". This last task, downstream of every other, runs only
        # when one of them failed, and fails the run (and so sends the failure e-mail).
        judge = outcome(force.slug)
        [other for other in dag.tasks if other is not judge.operator] >> judge
    if not params_first:
        building.attach_params(dag, PARAMS)  # after the tasks: they need no copies of it (parse time)
    return dag


SHARDS = 4
"""How many DAG files build the forces' DAGs: dags/onboarding_shard_0.py to _3.py, each the forces whose
file name hashes to it (speccache.shard_of). Airflow's DAG processor parses files, not DAGs, in parallel
([dag_processor] parsing_processes), and a task re-parses only its DAG's file before it runs. Change it
with the shard files (tests/glue/test_dags.py checks they match)."""


def build_shard(shard: int) -> dict[str, DAG]:
    """The DAGs of one shard's valid specs, by DAG id, for its shard file's globals.

    This file builds no DAG when Airflow imports it (dags/.airflowignore keeps the DAG processor from
    parsing it on its own); the shard files load it and call this."""
    if not 0 <= shard < SHARDS:
        raise ValueError(f"shard {shard} does not exist: there are {SHARDS} (0 to {SHARDS - 1})")
    specs = [project.specs_dir(__file__)]  # deployed: the specs of the git bundle's commit this file came from
    checked = speccache.check_shard(shard, SHARDS, specs)  # the check, or its cached verdict; invalid: no DAG
    with building.bulk_build():
        return {force.dag_id: build_dag(force) for force in checked.specs}
