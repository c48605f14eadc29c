"""Demo rules ("VIP tag → notify the assigned workers", "new customer → a mission to call
them", a manual "Welcome pack", and every Monday at 09:00 a check-in mission for each VIP)
written by the demo's first owner, and a finished run of the manual one on a few customers,
so the Work Flow tab has something to show. The scheduled rule arms the tenant's ticks."""

import random
from datetime import timedelta

from sqlalchemy import insert, select

from core import schedules
from core.demo import BASE
from core.models import Tag, Worker
from plugins.automation.models import DONE, AutomationRule, AutomationRuleVersion, AutomationRun
from plugins.automation.service import TICKS


def _trigger(kind: str, event_type: str | None = None, tag_ids=(), schedule=None) -> dict:
    return {
        "kind": kind,
        "eventType": event_type,
        "schedule": schedule,
        "where": None,
        "folderIds": [],
        "tagIds": list(tag_ids),
        "statusIds": [],
        "customFields": [],
        "eventData": [],
    }


async def seed(session, tenant_id: int, customer_ids: list[int], seed: int) -> None:
    rng = random.Random(seed * 1013 + 170)
    owner = await session.scalar(
        select(Worker.id)
        .where(Worker.tenant_id == tenant_id, Worker.role == "owner")
        .order_by(Worker.id)
    )
    if owner is None:
        return
    vip = await session.scalar(select(Tag.id).where(Tag.tenant_id == tenant_id, Tag.name == "VIP"))
    rules = [
        (
            "Call new customers",
            _trigger("EVENT", "customer.created"),
            [
                {
                    "type": "CREATE_MISSION",
                    "title": "Call the new customer",
                    "assigneeId": owner,
                    "dueInHours": 24,
                },
            ],
        ),
        (
            "Welcome pack",
            _trigger("MANUAL"),
            [
                {
                    "type": "SEND_MESSAGE",
                    "channel": "EMAIL",
                    "subject": "Welcome!",
                    "body": "Glad to have you with us.",
                    "to": None,
                },
                {"type": "WAIT", "seconds": 86400},
                {
                    "type": "NOTIFY_WORKERS",
                    "workerIds": [owner],
                    "assignedWorkers": True,
                    "title": "Welcome pack sent",
                    "body": None,
                },
            ],
        ),
    ]
    if vip is not None:
        notify = {
            "type": "NOTIFY_WORKERS",
            "workerIds": [owner],
            "assignedWorkers": True,
            "title": "A customer became VIP",
            "body": None,
        }
        rules.insert(
            0, ("VIP → tell the team", _trigger("EVENT", "customer.tags_changed", [vip]), [notify])
        )
        monday = {"every": "WEEK", "hours": None, "at": "09:00", "weekday": 1}
        check_in = {
            "type": "CREATE_MISSION",
            "title": "Weekly VIP check-in",
            "assigneeId": owner,
            "dueInHours": 8,
        }
        rules.append(("Monday VIP check-in", _trigger("SCHEDULE", None, [vip], monday), [check_in]))
    made = {}
    for name, trigger, actions in rules:
        values = dict(
            tenant_id=tenant_id,
            name=name,
            trigger=trigger,
            actions=actions,
            created_at=BASE,
            author_id=owner,
        )
        rule = AutomationRule(
            tenant_id=tenant_id,
            name=name,
            active=True,
            event_type=trigger["eventType"],
            trigger=trigger,
            actions=actions,
            version=1,
            created_by=owner,
            created_at=BASE,
            updated_at=BASE,
        )
        session.add(rule)
        await session.flush()
        version_id = await session.scalar(
            insert(AutomationRuleVersion.__table__)
            .values(rule_id=rule.id, version=1, **values)
            .returning(AutomationRuleVersion.id)
        )
        rule.version_id = version_id
        made[name] = rule
    welcome = made["Welcome pack"]
    runs = []
    for customer_id in sorted(rng.sample(customer_ids, k=min(len(customer_ids), 5))):
        started = BASE - timedelta(days=rng.randint(2, 60))
        steps = [
            {
                "index": i,
                "type": a["type"],
                "outcome": "WAITING" if a["type"] == "WAIT" else "DONE",
                "error": None,
            }
            for i, a in enumerate(welcome.actions)
        ]
        runs.append(
            dict(
                tenant_id=tenant_id,
                customer_id=customer_id,
                rule_id=welcome.id,
                version_id=welcome.version_id,
                version=1,
                started_by=owner,
                depth=0,
                status=DONE,
                next_step=len(steps),
                steps=steps,
                created_at=started,
                updated_at=started + timedelta(days=1),
                finished_at=started + timedelta(days=1),
            )
        )
    if runs:
        await session.execute(insert(AutomationRun.__table__), runs)
    await schedules.ensure(session, TICKS, tenant_id)
