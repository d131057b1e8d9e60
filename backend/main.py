"""The case backend's ASGI app: ``backend.main:app``.

It enforces the Housing Ombudsman's Complaint Handling Code for every caller (the Rasa action
server with its service token, and staff with a login); the rules themselves live in
``backend.domain``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text

from backend import logging_setup, scheduler
from backend.api import (
    agent,
    alerts,
    calendar,
    casework,
    complaints,
    console,
    conversations,
    errors,
    letters,
    lookup,
    privacy,
    reports,
    residents,
    service_requests,
    staff,
)
from backend.channels import channel_senders, telegram, twilio, webchat
from backend.db.migrations import upgrade_to_head
from backend.db.session import make_engine, make_sessionmaker
from backend.domain.ombudsman import Moment, signposting
from backend.domain.timescales import load_profile
from backend.hub.hub import Hub
from backend.hub.live import make_live
from backend.hub.rasa import RasaClient
from backend.services import alerts as alerts_service
from backend.services.context import CaseContext, Clock
from backend.settings import Settings, get_settings

log = logging.getLogger("backend")


class ProductionConfigError(RuntimeError):
    pass


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or get_settings()
    logging_setup.configure()
    if settings.app_env == "production" and (problems := settings.problems_for_production()):
        raise ProductionConfigError("refusing to start in production: " + "; ".join(problems))
    profile = load_profile(settings.policy_profile)  # a profile looser than the Code stops start-up here
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.run_migrations_on_start:
            upgrade_to_head(engine)
        hours = (settings.contact_centre_opens, settings.contact_centre_closes, settings.handoff_minutes_per_person)
        rasa = RasaClient(settings.rasa_url, settings.rasa_timeout_seconds)
        live = make_live(settings.redis_url, namespace=engine.url.database or "")
        hub = Hub(app.state.sessionmaker, app.state.ctx, rasa, poll_seconds=settings.hub_poll_seconds, handoff_hours=hours, live=live)
        hub.senders.update(channel_senders(settings))
        app.state.hub = hub
        retries = asyncio.get_running_loop().create_task(hub.run())
        jobs = [retries]
        if settings.alert_scan_seconds > 0:
            scan = functools.partial(alerts_service.scan, ctx=app.state.ctx)
            jobs.append(asyncio.get_running_loop().create_task(scheduler.every(settings.alert_scan_seconds, scan, app.state.sessionmaker, "deadline alerts")))
        log.info("backend started", extra={"env": settings.app_env, "policy": profile.name, "db": engine.dialect.name, "channels": sorted(hub.senders)})
        yield
        for job in jobs:
            job.cancel()
        await hub.close()
        engine.dispose()

    app = FastAPI(
        title="Complaints intake and triage: case backend",
        version="0.1.0",
        description=(
            "Enforces the Housing Ombudsman's Complaint Handling Code (2024): two stages, working-day "
            "timescales, extensions, response contents and a full record."
        ),
        lifespan=lifespan,
        docs_url="/docs" if settings.api_docs_on else None,
        redoc_url="/redoc" if settings.api_docs_on else None,
        openapi_url="/openapi.json" if settings.api_docs_on else None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.ctx = CaseContext(profile=profile, timezone=ZoneInfo(settings.timezone), clock=clock or Clock())
    errors.install(app)

    @app.middleware("http")
    async def limit_and_log(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        length = request.headers.get("content-length")
        if length is None and request.headers.get("transfer-encoding"):
            # a chunked body declares no size: it would be read whole, before the limit or any login check
            return JSONResponse({"detail": "send the request body with a Content-Length"}, status_code=411)
        if length is not None and (not length.isdigit() or int(length) > settings.max_body_bytes):
            return JSONResponse({"detail": f"request body too large (limit {settings.max_body_bytes // 1024} kB)"}, status_code=413)
        started = time.perf_counter()
        response = await call_next(request)
        log.info(
            "request",
            extra={"method": request.method, "path": request.url.path, "status": response.status_code, "ms": round((time.perf_counter() - started) * 1000, 1)},
        )
        return response

    for router in (
        alerts.router,
        calendar.router,
        complaints.router,
        conversations.router,
        complaints.reps,
        casework.router,  # before service_requests: /service-requests/register is not a reference
        service_requests.router,
        lookup.router,
        staff.router,
        residents.router,
        agent.router,
        agent.keywords_router,
        console.router,
        reports.router,
        reports.pages,
        letters.router,
        privacy.router,
        webchat.router,
        twilio.router,
        telegram.router,
    ):
        app.include_router(router)

    @app.get("/api/v1/ombudsman", tags=["signposting"])
    def ombudsman(moment: Moment = Moment.GENERAL) -> dict[str, str]:
        """The current Housing Ombudsman signposting text (one versioned template)."""
        s = signposting(moment)
        return {"version": s.version, "moment": s.moment.value, "text": s.text}

    @app.get("/healthz", tags=["health"])
    def health() -> dict[str, str]:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ok", "policy": profile.name}

    return app


def __getattr__(name: str) -> FastAPI:
    """``backend.main:app`` is built on first use, so importing the module has no side effects."""
    if name == "app":
        global app  # noqa: PLW0603 - built once, on first use
        app = create_app()
        return app
    raise AttributeError(name)
