"""A busy Monday at the demo clinic: receptionist calls with transcripts at speaking pace and
their consequences, staff chatter, telehealth visits, providers signing notes, deals moving,
tasks coming due, form submissions.

Everything a clinic's staff or integrations would do goes through the public API (in-process,
through the same gate, with staff members' own access tokens), so it leaves the records and
events a real clinic would. Only the calls themselves use the receptionist's service
functions, as Talkya's own receptionist does: there is no public path that creates a call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx

from talkya_console.sandbox import receptionist
from talkya_console.sandbox.context import Sandbox
from talkya_console.sandbox.seed.conversations import (
    CALLER_NAMES,
    CHATTER,
    CLINIC_TZ,
    DIAS,
    NEXT_STEPS,
    SOURCES,
    booking_slot,
    pick_call,
    script_segments,
    spoken_time,
)
from talkya_console.sandbox.seed.staff import (
    CHANNEL_BILLING,
    CHANNEL_FRONT_DESK,
    CHANNEL_MARKETING,
    CHANNEL_PROVIDERS,
    staff,
)
from talkya_console.wire import Patient
from talkya_console.wire.common import format_timestamp, now
from talkya_console.wire.users import ALL_SCOPES

log = logging.getLogger("talkya.sandbox.simulator")

# Mean seconds between occurrences at rate 1.
MEAN_INTERVAL = {
    "call": 40.0,
    "chatter": 45.0,
    "telehealth": 300.0,
    "signing": 180.0,
    "deal": 240.0,
    "task": 150.0,
    "form": 300.0,
}
CHANNEL_BY_NAME = {
    "front-desk": CHANNEL_FRONT_DESK,
    "providers": CHANNEL_PROVIDERS,
    "billing": CHANNEL_BILLING,
    "marketing-team": CHANNEL_MARKETING,
}
# What a handoff call asks OpenClaw, worded so its rules pick the right path.
HANDOFF_REQUESTS = {
    "glp1_refill": "Caller needs a GLP-1 refill reviewed before the pharmacy can send it.",
    "billing_question": "Caller was charged twice for a membership and wants a refund.",
    "escalation": "Caller is upset about swelling after a treatment and wants a clinician now.",
    "reschedule": "Caller wants to reschedule the appointment and asked for a call back.",
}
NEXT_STAGE = {
    "new": "consult_scheduled",
    "consult_scheduled": "consult_done",
    "consult_done": "proposal",
    "proposal": "won",
}
Sleep = Callable[[float], Awaitable[None]]


class Simulator:
    """Drives one workspace. `rate` scales every frequency and the speaking pace; `seed` makes a
    run's choices repeatable; `sleep` is injectable so tests need not wait."""

    def __init__(
        self,
        sandbox: Sandbox,
        *,
        workspace: str = "ws_truebliss",
        rate: float = 1.0,
        seed: int | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.sandbox = sandbox
        self.ws = workspace
        self.rate = max(rate, 0.001)
        self.seed = seed if seed is not None else secrets.randbits(32)
        self.sleep = sleep
        self.rng = random.Random(self.seed)
        self.tasks: list[asyncio.Task[None]] = []
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.app), base_url="http://sandbox")
        self.staff = staff(workspace)
        self.tokens = {user.id: self._token(user.id) for user in self.staff}

    def _token(self, user_id: str) -> str:
        """An access token for one staff member, so their writes are audited as theirs."""
        token = "tk_at_sim_" + secrets.token_urlsafe(24)
        self.sandbox.auth.issue_token(token, "access", self.ws, " ".join(ALL_SCOPES), 24 * 3600, "simulator", user_id)
        return token

    def _user(self, role: str) -> str:
        return self.rng.choice([u.id for u in self.staff if u.role == role])

    async def api(
        self,
        method: str,
        path: str,
        user_id: str,
        body: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        """One public API call as a staff member; writes carry an idempotency key."""
        headers = {"Authorization": f"Bearer {self.tokens[user_id]}", "Talkya-Workspace": self.ws}
        if method in ("POST", "PATCH"):
            headers["Idempotency-Key"] = f"sim-{uuid.UUID(int=self.rng.getrandbits(128))}"
        response = await self.http.request(method, path, json=body, params=params, headers=headers)
        if response.status_code >= 400:
            log.warning(
                "simulator %s %s answered %s %s",
                method,
                path.split("?")[0],
                response.status_code,
                response.json().get("error", {}).get("code"),
            )
            return None
        return response.json()

    # -- running ----------------------------------------------------------------------------
    async def start(self) -> None:
        for name, scenario in (
            ("call", self.call), ("chatter", self.chatter), ("telehealth", self.telehealth), ("signing", self.signing),
            ("deal", self.deal), ("task", self.task_coming_due), ("form", self.form),
        ):  # fmt: skip
            self.tasks.append(asyncio.create_task(self._loop(name, scenario), name=f"simulator-{name}"))

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.http.aclose()

    async def _loop(self, name: str, scenario: Callable[[], Awaitable[None]]) -> None:
        while True:
            await self.sleep(self.rng.expovariate(self.rate / MEAN_INTERVAL[name]))
            try:
                await scenario()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # one bad turn must not end the clinic's day; name only the class
                log.error("simulator %s failed: %s", name, type(exc).__name__)

    # -- scenarios ----------------------------------------------------------------------------
    def _patient(self) -> Patient | None:
        page = self.sandbox.db.page("patient", self.ws, limit=100)
        return Patient.model_validate_json(self.rng.choice(page.rows)) if page.rows else None

    async def call(
        self, intent: str | None = None, outcome: str | None = None, known_caller: bool | None = None
    ) -> str:
        """A receptionist call from ring to wrap-up, segments streamed at speaking pace."""
        picked_intent, picked_outcome = pick_call(self.rng)
        intent, outcome = intent or picked_intent, outcome or picked_outcome
        if known_caller is None:
            known_caller = self.rng.random() < 0.55
        known = self._patient() if known_caller else None
        phone = (
            known.phones[0].number
            if known and known.phones
            else f"+1{self.rng.choice(['305', '786'])}55501{self.rng.randrange(100):02d}"
        )
        first = known.first_name if known else self.rng.choice(CALLER_NAMES)
        source, campaign = self.rng.choice(SOURCES)
        language = "es" if intent == "spanish_speaker" else "en"
        call = receptionist.start_call(
            self.sandbox,
            self.ws,
            phone,
            source=source,
            campaign=campaign,
            language=language,
            patient_id=known.id if known else None,
        )
        slot = booking_slot(self.rng, now())
        local = slot.astimezone(CLINIC_TZ)
        day = DIAS[local.weekday()] if language == "es" else local.strftime("%A")
        segments = script_segments(self.rng, intent, outcome, {"first": first, "day": day, "time": spoken_time(local)})
        spoken = 0
        for segment in segments:
            await self.sleep(max(0.0, (segment.end_ms - spoken) / 1000 / self.rate))
            spoken = segment.end_ms
            receptionist.add_segments(self.sandbox, self.ws, call.id, [segment.model_dump(exclude={"index"})])
        summary = f"{intent.replace('_', ' ').capitalize()} call; {outcome.replace('_', ' ')}."
        receptionist.complete_call(
            self.sandbox,
            self.ws,
            call.id,
            intent=intent,
            outcome=outcome,
            summary=summary,
            next_steps=NEXT_STEPS[outcome],
            scheduled_at=slot,
        )
        await self._consequences(call.id, intent, outcome, known, first, phone, campaign, slot)
        return call.id

    async def _consequences(
        self,
        call_id: str,
        intent: str,
        outcome: str,
        known: Patient | None,
        first: str,
        phone: str,
        campaign: str | None,
        slot: Any,
    ) -> None:
        desk = self._user("front_desk")
        if outcome == "appointment_booked" and known is not None:
            await self.api(
                "POST",
                "/v1/encounters",
                desk,
                {
                    "patient_id": known.id,
                    "provider_id": self._user("provider"),
                    "type": receptionist.VISIT_TYPES.get(intent, "follow_up"),
                    "reason": intent.replace("_", " ").capitalize(),
                    "source": "ai_receptionist",
                    "scheduled_at": format_timestamp(slot),
                    "metadata": {"call_id": call_id},
                },
            )
        elif outcome in ("lead_created", "voicemail") and known is None:
            await self.api(
                "POST",
                "/v1/leads",
                desk,
                {
                    "source": "ai_receptionist",
                    "intent": intent,
                    "service_interest": _interest(intent),
                    "patient": {"name": f"{first} {self.rng.choice(['L.', 'M.', 'R.', 'S.'])}", "phone": phone},
                    "consent": {"sms": True, "marketing": self.rng.random() < 0.5},
                    "campaign": campaign,
                    "call_id": call_id,
                },
            )
        elif outcome == "handoff":
            request = HANDOFF_REQUESTS.get(intent, "Caller asked for a call back from the team.")
            context = {"call_id": call_id, **({"patient_id": known.id} if known else {})}
            await self.api(
                "POST",
                "/v1/agents/runs",
                self._user("va"),
                {
                    "input": request,
                    "context": context,
                    "allowed_tools": [
                        "answer",
                        "lookup_patient",
                        "create_task",
                        "open_ehr_handoff",
                        "alert_human",
                        "write_crm",
                    ],
                },
            )

    async def chatter(self) -> None:
        name = self.rng.choice(list(CHATTER))
        channel = CHANNEL_BY_NAME[name]
        members = [u.id for u in self.staff if (u.role in ("provider", "coordinator")) == (name == "providers")]
        author = self.rng.choice(members or [u.id for u in self.staff])
        body: dict[str, Any] = {"channel_id": channel, "text": self.rng.choice(CHATTER[name])}
        if self.rng.random() < 0.2:
            mentioned = self.rng.choice([u for u in self.staff if u.id != author])
            body["text"] = f"@{mentioned.name.replace('Dr. ', '').split()[0]} {body['text']}"
            body["mentions"] = [mentioned.id]
        await self.api("POST", "/v1/messages", author, body)

    async def telehealth(self) -> None:
        patient = self._patient()
        if patient is None:
            return
        provider = self._user("provider")
        visit = await self.api(
            "POST",
            "/v1/telehealth/visits",
            self._user("front_desk"),
            {
                "patient_id": patient.id,
                "provider_id": provider,
                "reason": "GLP-1 refill review",
                "scheduled_at": format_timestamp(now()),
                "record": self.rng.random() < 0.5,
            },
        )
        if visit is None:
            return
        path = f"/v1/telehealth/visits/{visit['id']}"
        for status, pause in (("waiting", 20), ("in_progress", 40), ("completed", 300)):
            await self.sleep(self.rng.uniform(pause / 2, pause) / self.rate)
            if await self.api("PATCH", path, provider, {"status": status}) is None:
                return
        await self.api("POST", f"{path}/notes", provider, {"mode": "generate"})

    async def signing(self) -> None:
        provider = self._user("provider")
        drafts = await self.api("GET", "/v1/notes", provider, params={"status": "draft", "limit": 5})
        if drafts and drafts["data"]:
            note = self.rng.choice(drafts["data"])
            await self.api("POST", f"/v1/notes/{note['id']}/sign", provider)

    async def deal(self) -> None:
        stage = self.rng.choice(list(NEXT_STAGE))
        deals = await self.api("GET", "/v1/deals", self._user("coordinator"), params={"stage": stage, "limit": 20})
        if deals and deals["data"]:
            deal = self.rng.choice(deals["data"])
            await self.api("PATCH", f"/v1/deals/{deal['id']}", self._user("coordinator"), {"stage": NEXT_STAGE[stage]})

    async def task_coming_due(self) -> None:
        patient = self._patient()
        due = now() + timedelta(seconds=self.rng.uniform(60, 180) / self.rate)
        role = self.rng.choice(["va", "front_desk", "coordinator", "billing"])
        title = self.rng.choice(
            [
                "Confirm tomorrow's consult",
                "Call back about membership",
                "Send intake forms",
                "Check refill status",
                "Follow up on quote",
            ]
        )
        await self.api(
            "POST",
            "/v1/tasks",
            self._user("front_desk"),
            {
                "title": title,
                "assignee_role": role,
                "due_at": format_timestamp(due),
                "priority": self.rng.choice(["normal", "normal", "high"]),
                **({"patient_id": patient.id} if patient else {}),
            },
        )

    async def form(self) -> None:
        await self.api(
            "POST",
            "/v1/hermes/events",
            self._user("front_desk"),
            {
                "kind": "form",
                "type": "form.submitted",
                "payload": {"form": self.rng.choice(["new_patient_intake", "botox_consent", "contact_us"])},
            },
        )


def _interest(intent: str) -> str:
    return {
        "new_consult": "Botox consult",
        "price_shopping": "Lip filler",
        "spanish_speaker": "GLP-1 weight management",
        "after_hours": "Laser hair removal",
    }.get(intent, "Consultation")


def simulator_hook(
    rate: float = 1.0, seed: int | None = None, workspace: str = "ws_truebliss"
) -> Callable[[Sandbox], Awaitable[Callable[[], Awaitable[None]]]]:
    """A create_app startup hook that runs the simulator for the app's lifetime."""

    async def hook(sandbox: Sandbox) -> Callable[[], Awaitable[None]]:
        simulator = Simulator(sandbox, workspace=workspace, rate=rate, seed=seed)
        await simulator.start()
        return simulator.stop

    return hook
