"""E-mail to people when a force's run needs them: it failed, or an approval waits for an answer.

Part of the Airflow glue: Airflow notifiers, built once per DAG at parse time and
called by Airflow with a task's context, which they turn into plain values for the e-mail's template
(reports/templates/notification.html.j2). The mail goes through the SMTP provider's hook and the
Airflow connection `[soh] smtp_conn_id` (default `soh_smtp`, e.g. from the environment:
AIRFLOW_CONN_SOH_SMTP='smtp://mail.example:25?from_email=soh@example'); without that connection the
notifiers log that mail is off and do nothing else. A mail that cannot be sent is logged, never raised:
an SMTP outage must not fail the DPO's task or hide why a run failed.

Parse time: importing this module costs nothing beyond Airflow's notifier base (the HITL operator
imports it anyway); the SMTP hook is imported only when a mail is sent.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from airflow.sdk.bases.notifier import BaseNotifier

from .. import reports
from ..redact import redact
from .options import failed_tasks
from .runtime import run_url, task_url, ui_base

log = logging.getLogger(__name__)

DEFAULT_CONN_ID = "soh_smtp"
DEFAULT_FROM = "soh-onboarding@localhost"


@dataclass(frozen=True)
class Mail:
    """One e-mail, as plain values: what the template shows and who gets it."""

    to: list[str]
    subject: str
    force: str
    headline: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)
    note: str = ""

    def html(self) -> str:
        return reports.render("notification.html.j2", mail=self)


def _conf(key: str, fallback: str) -> str:
    from airflow.configuration import conf

    return conf.get("soh", key, fallback=fallback) or fallback


def team_addresses() -> list[str]:
    """The National Live Service team's addresses, `[soh] notify_email` (comma-separated), copied on every mail."""
    return [address.strip() for address in _conf("notify_email", "").split(",") if address.strip()]


def send(mail: Mail) -> bool:
    """Send `mail` through the SMTP connection; False (and a log line saying why) when it was not sent."""
    recipients = sorted(set(mail.to))
    conn_id = _conf("smtp_conn_id", DEFAULT_CONN_ID)
    if not recipients:
        log.warning("No recipient for the e-mail '%s': set [soh] notify_email", mail.subject)
        return False
    try:
        from airflow.providers.smtp.hooks.smtp import SmtpHook
        from airflow.sdk import BaseHook

        connection = BaseHook.get_connection(conn_id)
    except Exception:  # a missing connection raises differently in the worker and the DAG processor
        log.warning("E-mail is off (no Airflow connection '%s'); not sent: %s", conn_id, mail.subject)
        return False
    sender = (connection.extra_dejson or {}).get("from_email") or _conf("notify_from", DEFAULT_FROM)
    try:
        with SmtpHook(smtp_conn_id=conn_id) as smtp:
            smtp.send_email_smtp(
                to=recipients,
                subject=mail.subject,
                html_content=mail.html(),
                from_email=sender,
                mime_subtype="alternative",
            )
    except Exception as error:  # any SMTP or network error: log it (without the password, which a
        # server's refusal can echo), never fail the task
        reason = redact(str(error), [connection.password or ""])
        log.error("Could not send the e-mail '%s' to %s: %s", mail.subject, ", ".join(recipients), reason)
        return False
    log.info("E-mail '%s' sent to %s", mail.subject, ", ".join(recipients))
    return True


class _OnboardingNotifier(BaseNotifier):
    """Holds only strings fixed at parse time and renders nothing in place, so one instance can be shared:
    Airflow deep-copies operator arguments, and copying this would only cost parse time."""

    def __init__(self, force: str, recipients: Sequence[str] = ()) -> None:
        super().__init__()
        self.force = force
        self.recipients = list(recipients)

    def __deepcopy__(self, memo: dict[int, Any]) -> _OnboardingNotifier:
        return self

    def render_template_fields(self, context: Any, jinja_env: Any = None) -> None:
        """Nothing to render: the mail comes from our own template."""

    def notify(self, context: Any) -> None:
        send(self.mail(context))

    def mail(self, context: Any) -> Mail:
        raise NotImplementedError


class RunFailed(_OnboardingNotifier):
    """A DAG's on_failure_callback: which force, which task failed, and where to look."""

    def mail(self, context: Any) -> Mail:
        dag = context.get("dag")
        dag_id = getattr(dag, "dag_id", "") or ""
        run_id = str(context.get("run_id") or "")
        ti = context.get("ti") or context.get("task_instance")
        task = context.get("task")
        facts = [("Force", self.force), ("Run", run_id), ("Why the run stopped", str(context.get("reason") or ""))]
        links = [("The run in Airflow", run_url(dag_id, run_id))]
        headline = f"The onboarding run of {self.force} failed."
        if ti is not None and ti.task_id == "outcome":  # the run's last task: it recorded which tasks failed
            first = next(iter(failed_tasks(dag_id, run_id)), None)
            known = getattr(dag, "task_dict", {})
            if first is not None and first not in known:  # a mapped task's chunk: "<task_id>_<map index>"
                first = first.rsplit("_", 1)[0]
            if first is not None and first in known:
                name = dag.get_task(first).task_display_name or first
                facts.insert(1, ("Failed task", f"{name} ({first})"))
                links.insert(0, ("The failed task and its log", task_url(dag_id, run_id, first)))
                headline = f"The onboarding run of {self.force} failed at “{name}”."
        elif ti is not None:
            name = getattr(task, "task_display_name", None) or ti.task_id
            facts.insert(1, ("Failed task", f"{name} ({ti.task_id})"))
            facts.append(("Attempts", str(getattr(ti, "try_number", "") or "")))
            links.insert(0, ("The failed task and its log", task_url(dag_id, run_id, ti.task_id, ti.map_index)))
            headline = f"The onboarding run of {self.force} failed at “{name}”."
        return Mail(
            to=[*self.recipients, *team_addresses()],
            subject=f"[SOH onboarding] {self.force}: run failed",
            force=self.force,
            headline=headline,
            facts=facts,
            links=links,
            note="The task's log says what went wrong and what to do. Nothing later in the run (publishing, "
            "go-live) ran.",
        )


class ApprovalWaiting(_OnboardingNotifier):
    """A HITL task's notifier: who is asked, what, by when, and the link to answer in the UI."""

    def mail(self, context: Any) -> Mail:
        task = context["task"]
        ti = context["ti"]
        assigned = [user.get("id", "") for user in getattr(task, "assigned_users", None) or []]
        people = ", ".join(f"{user.get('name')} ({user.get('id')})" for user in task.assigned_users or []) or "anyone"
        try:
            answer = task.generate_link_to_ui(task_instance=ti, base_url=ui_base())
        except (AttributeError, ValueError):
            answer = task_url(ti.dag_id, ti.run_id, ti.task_id, ti.map_index) + "/required_actions"
        timeout = getattr(task, "response_timeout", None)
        facts = [
            ("Force", self.force),
            ("Waiting", getattr(task, "task_display_name", None) or ti.task_id),
            ("Asked", people),
            ("Options", ", ".join(getattr(task, "options", []) or [])),
            ("Run", ti.run_id),
        ]
        if timeout:
            facts.append(("Without an answer", f"the task fails after {timeout.days} days"))
        return Mail(
            to=[*assigned, *self.recipients, *team_addresses()],
            subject=f"[SOH onboarding] {self.force}: {getattr(task, 'subject', '') or 'your approval'} waits for you",
            force=self.force,
            headline=f"The onboarding of {self.force} waits for your decision.",
            facts=facts,
            links=[("Answer in Airflow", answer), ("The task in its run", task_url(ti.dag_id, ti.run_id, ti.task_id))],
            note="Sign in to Airflow with your e-mail address. The request shows the summary, the documents "
            "to read and the options.",
        )
