"""The `subscriptions` field on Customer (its subscriptions and the live count, also in the
compiled path), the tenant's plans, and the mutations: plans (configure), subscribe / pause /
resume / cancel (manage), and a billing run on demand."""

from datetime import date

import strawberry
from sqlalchemy import select
from strawberry import UNSET

from core import access, schedules
from plugins.subscriptions import queries as q
from plugins.subscriptions import service
from plugins.subscriptions.types import (
    CustomerSubscription,
    CustomerSubscriptionStatus,
    SubscriptionInterval,
    SubscriptionPlan,
)
from schema import kit
from schema.compiled.customers import ModuleField, per_customer
from schema.context import Info
from schema.customers.types import Customer
from schema.ids import from_global_id
from schema.jobs import Job
from schema.money import MoneyInput
from schema.payloads import UserError, as_row, mutate, payload
from schema.relay import Connection

VIEW = "subscriptions.view"
STATUS_ORDER = tuple(s.value for s in CustomerSubscriptionStatus)


ACTIVE = "subscriptions.active"  # the active count's loader: one read per page


@strawberry.type(description="A customer's subscriptions: what the Subscriptions tab shows.")
class CustomerSubscriptions:
    customer_id: strawberry.Private[int]

    @strawberry.field(
        description="The customer's subscriptions, newest first, at most 100 a page (default "
        "20); `status`: any of these."
    )
    async def all(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: list[CustomerSubscriptionStatus] | None = None,
    ) -> Connection[CustomerSubscription]:
        conditions, name = (), "subscriptions.all"
        if status is not None:
            chosen = tuple(s for s in STATUS_ORDER if CustomerSubscriptionStatus(s) in status)
            conditions = (q.T.c.status.in_(chosen),)
            name = f"subscriptions.status:{','.join(chosen)}"
        return await kit.customer_list(
            info, name, q.T, self.customer_id, q.NEWEST, first, after,
            CustomerSubscription.from_row, conditions,
        )  # fmt: skip

    @strawberry.field(description="Subscriptions TRIALING or ACTIVE (the tab's badge).")
    async def active_count(self, info: Info) -> int:
        return await info.context.loaders.custom(ACTIVE, q.live_count_list).load(self.customer_id)


async def customer_subscriptions(root: Customer, info: Info) -> CustomerSubscriptions:
    access.require(info.context.principal, VIEW)
    return CustomerSubscriptions(customer_id=root.pk)


COMPILED = {"activeCount": ("live", "int", "0")}


def _live(principal, customer_ids):
    return per_customer({"live": q.live_counts(principal.tenant_id, customer_ids)})


def compiled_subscriptions(principal, names: tuple[str, ...]) -> ModuleField | None:
    """`subscriptions { activeCount }` in the compiled path (`schema/compiled`): the badge's
    select, per page. No time in it: it is built once per principal and kept."""
    if not access.can(principal, VIEW) or not set(names) <= COMPILED.keys():
        return None
    return ModuleField(_live, COMPILED)


async def subscription_plans(
    info: Info, first: int | None = None, after: str | None = None, active: bool | None = None
) -> Connection[SubscriptionPlan]:
    principal = info.context.principal
    access.require(principal, "subscriptions.view")
    query = select(*q.PLANS.c).where(q.PLANS.c.tenant_id == principal.tenant_id)
    if active is not None:
        query = query.where(q.PLANS.c.active == active)
    return await kit.tenant_list(info, query, q.PLAN_ORDER, first, after, SubscriptionPlan.from_row)


# --- mutations -------------------------------------------------------------------------------

SubscriptionPlanPayload = payload(SubscriptionPlan, "plan")
CustomerSubscriptionPayload = payload(CustomerSubscription, "subscription")


@strawberry.input(description="A new plan. Its price and interval never change afterwards.")
class CreateSubscriptionPlanInput:
    name: str = strawberry.field(description="Required, at most 100 characters.")
    price: MoneyInput = strawberry.field(description="Per period and unit, positive.")
    interval: SubscriptionInterval
    interval_count: int = strawberry.field(default=1, description="At most five years in all.")
    trial_days: int = strawberry.field(default=0, description="0 to 365.")
    active: bool = True


@strawberry.input(description="Only the members sent change.")
class UpdateSubscriptionPlanInput:
    id: strawberry.ID
    name: str | None = UNSET
    trial_days: int | None = UNSET
    active: bool | None = strawberry.field(
        default=UNSET, description="false: no new subscribers; existing ones go on."
    )


@strawberry.input(description="Subscribe a customer to a plan; idempotent by key.")
class SubscribeCustomerInput:
    customer_id: strawberry.ID
    subscription_plan_id: strawberry.ID
    idempotency_key: str = strawberry.field(
        description="Up to 100 characters. A retry with the same key and input answers with the "
        "first subscription; with other input it is refused (IDEMPOTENCY_KEY_REUSED)."
    )
    quantity: int = strawberry.field(default=1, description="1 to 10,000.")
    start_date: date | None = strawberry.field(
        default=None,
        description="Default: today (the business's day). Up to a year back: the periods since "
        "are billed by the next billing run, one each.",
    )
    trial_days: int | None = strawberry.field(default=None, description="Default: the plan's.")


@strawberry.input
class PauseCustomerSubscriptionInput:
    id: strawberry.ID


@strawberry.input(
    description="A paused subscription goes on (a new cycle from today if its paid period "
    "ended meanwhile); one set to cancel at its period's end is kept."
)
class ResumeCustomerSubscriptionInput:
    id: strawberry.ID


@strawberry.input
class CancelCustomerSubscriptionInput:
    id: strawberry.ID
    at_period_end: bool = strawberry.field(
        default=False,
        description="true: the trial or paid period runs out, then it ENDs; false: CANCELLED now.",
    )


@strawberry.input
class RunSubscriptionBillingInput:
    idempotency_key: str = strawberry.field(description="Up to 100 characters.")


@strawberry.type(description="The billing run's job, or why none was started.")
class RunSubscriptionBillingPayload:
    job: Job | None
    created: bool
    user_errors: list[UserError]


def _subscription(result, errors):
    sub = CustomerSubscription.from_row(as_row(result)) if result is not None else None
    return CustomerSubscriptionPayload(subscription=sub, user_errors=errors)


async def create_subscription_plan(
    info: Info, input: CreateSubscriptionPlanInput
) -> SubscriptionPlanPayload:
    data = service.PlanIn(
        name=input.name, amount=input.price.amount, currency=input.price.currency,
        interval=input.interval.value, interval_count=input.interval_count,
        trial_days=input.trial_days, active=input.active,
    )  # fmt: skip
    work = lambda s, p: service.create_plan(s, p, data)  # noqa: E731
    return await kit.save(info, SubscriptionPlanPayload, "plan", SubscriptionPlan, work)


async def update_subscription_plan(
    info: Info, input: UpdateSubscriptionPlanInput
) -> SubscriptionPlanPayload:
    plan_id = from_global_id(input.id, "SubscriptionPlan")
    changes = {
        key: getattr(input, key)
        for key in ("name", "trial_days", "active")
        if getattr(input, key) is not UNSET
    }
    work = lambda s, p: service.update_plan(s, p, plan_id, changes)  # noqa: E731
    return await kit.save(info, SubscriptionPlanPayload, "plan", SubscriptionPlan, work)


async def subscribe_customer(
    info: Info, input: SubscribeCustomerInput
) -> CustomerSubscriptionPayload:
    data = service.SubscribeIn(
        customer_id=from_global_id(input.customer_id, "Customer"),
        plan_id=from_global_id(input.subscription_plan_id, "SubscriptionPlan"),
        idempotency_key=input.idempotency_key, quantity=input.quantity,
        start_date=input.start_date, trial_days=input.trial_days,
    )  # fmt: skip

    async def work(session, principal):
        sub, _replayed = await service.subscribe(session, principal, data)
        return sub

    return _subscription(*await mutate(info, work, "customerId"))


def _id(value) -> int:
    return from_global_id(value, "CustomerSubscription")


async def pause_customer_subscription(
    info: Info, input: PauseCustomerSubscriptionInput
) -> CustomerSubscriptionPayload:
    pk = _id(input.id)
    return _subscription(*await mutate(info, lambda s, p: service.pause(s, p, pk)))


async def resume_customer_subscription(
    info: Info, input: ResumeCustomerSubscriptionInput
) -> CustomerSubscriptionPayload:
    pk = _id(input.id)
    return _subscription(*await mutate(info, lambda s, p: service.resume(s, p, pk)))


async def cancel_customer_subscription(
    info: Info, input: CancelCustomerSubscriptionInput
) -> CustomerSubscriptionPayload:
    pk, at_end = _id(input.id), input.at_period_end
    return _subscription(*await mutate(info, lambda s, p: service.cancel(s, p, pk, at_end)))


async def run_subscription_billing(
    info: Info, input: RunSubscriptionBillingInput
) -> RunSubscriptionBillingPayload:
    async def work(session, principal):
        access.require(principal, service.CONFIGURE)
        problems: list = []
        key = service.records.clean_text(
            input.idempotency_key, ("input", "idempotencyKey"), service.MAX_KEY, problems, True
        )
        service.records.fail_if(problems)
        return await schedules.run_now(
            session, service.BILLING, principal.tenant_id, key, principal.worker_id
        )

    result, errors = await mutate(info, work)
    job, created = result or (None, False)
    return RunSubscriptionBillingPayload(
        job=Job.from_row(as_row(job)) if job else None, created=created, user_errors=errors
    )


CUSTOMER_FIELDS = [
    strawberry.field(
        resolver=customer_subscriptions,
        name="subscriptions",
        description="Subscriptions module: the customer's subscriptions and how many are live.",
    )
]
QUERY_FIELDS = [
    strawberry.field(
        resolver=subscription_plans,
        description="The business's subscription plans, oldest first; `active` filters.",
    )
]
MUTATION_FIELDS = [
    strawberry.mutation(resolver=create_subscription_plan, description="Add a plan."),
    strawberry.mutation(
        resolver=update_subscription_plan,
        description="Rename a plan, change its trial, or stop/restart taking subscribers.",
    ),
    strawberry.mutation(resolver=subscribe_customer, description="Subscribe a customer to a plan."),
    strawberry.mutation(
        resolver=pause_customer_subscription, description="Pause an ACTIVE subscription."
    ),
    strawberry.mutation(
        resolver=resume_customer_subscription,
        description="Resume a paused subscription, or take back a cancellation at period end.",
    ),
    strawberry.mutation(
        resolver=cancel_customer_subscription,
        description="Cancel a subscription now, or at the end of its trial or paid period.",
    ),
    strawberry.mutation(
        resolver=run_subscription_billing,
        description="Run the billing run now (it also runs every hour by itself); a job.",
    ),
]
