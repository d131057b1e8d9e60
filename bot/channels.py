"""The REST channel the conversation hub talks to, made safe to retry (credentials.yml loads it).

Same address and body as Rasa's own REST channel (``/webhooks/rest/webhook``), with four changes
so that the hub's store-first, route, retry-later design answers every resident message exactly once:

1. **A turn the action server failed is not an answer.** Rasa's REST channel answers 200 whatever
   happened: when the action server is down or dies mid-turn, Rasa logs it, drops that action's
   events and returns what was said so far (usually nothing). The hub then marks the message
   answered, the resident hears nothing, and their answer (taken into a form slot but never
   validated) is overwritten by whatever they send next. Here such a turn is not saved at all (the
   tracker store keeps the conversation as it was before the message) and is refused with 503, so
   the hub keeps the message, tells the resident once, and sends it again later as if the first
   attempt had never happened. What the actions already did (a complaint stored) is safe to repeat:
   every submission carries an idempotency key kept in the tracker since the form began.
   (Not ``UserUtteranceReverted``: inside an active form Rasa's replay folds the form's earlier
   turns away, so reverting one message there rewinds the whole form.)
2. **Refused at once while the action server is down.** Its ``/health`` is checked before each
   turn, so a message waiting out an outage is never half-applied, however often the hub retries.
3. **The same message twice is answered once.** The hub sends its own id for the message
   (``message_id``), kept on the user event. If the hub sends it again (its process died before it
   stored the answer, or it gave up waiting while Rasa finished), the replies that turn gave are
   answered again from the tracker instead of the message being applied a second time (a postcode
   would otherwise become the answer to the next question as well).
4. **A turn, once begun, is finished even if the hub goes away.** Sanic cancels a request's handler
   when its client disconnects (the hub's process died, or it stopped waiting), which would cut the
   turn off between two actions after some of them had acted. Here the turn runs on to the end and
   is saved, so the hub's resend of that message is answered from the record (change 3).

Streaming (``?stream=true``) is not offered: the hub never uses it.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import speedups  # noqa: F401  (installs itself: see its docstring)

log = logging.getLogger(__name__)

#: The action server's failures during the current turn (one list per request).
_failures: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("action_server_failures", default=None)
#: Answers that mean "not reached" rather than "the action broke": a retry may succeed.
UNREACHABLE_STATUSES = frozenset({502, 503, 504})
HEALTH_TIMEOUT = aiohttp.ClientTimeout(total=3)


def _watch(endpoint: EndpointConfig | None) -> None:
    """Note every call to the action server that did not reach it or was cut off, for this turn.

    A 400 is a form's rejection and a 500 an action's own bug: neither is helped by a retry, so
    both go on as Rasa handles them."""
    if endpoint is None or getattr(endpoint, "_hub_watched", False):
        return
    original: Callable[..., Awaitable[Any]] = endpoint.request

    async def request(*args: Any, **kwargs: Any) -> Any:
        try:
            return await original(*args, **kwargs)
        except aiohttp.ClientResponseError as exc:
            if exc.status in UNREACHABLE_STATUSES:
                _note(f"action server answered {exc.status}")
            raise
        except (TimeoutError, asyncio.TimeoutError, aiohttp.ClientError) as exc:  # noqa: UP041 - not the same on Rasa's Python 3.10
            _note(f"{type(exc).__name__}: {exc}")
            raise

    endpoint.request = request  # type: ignore[method-assign]
    endpoint._hub_watched = True  # type: ignore[attr-defined]


def _note(failure: str) -> None:
    failures = _failures.get()
    if failures is not None:
        failures.append(failure)


#: One HTTP session for the health checks, kept open: a new session and connection every turn cost
#: Rasa and the action server CPU for nothing.
_health: dict[asyncio.AbstractEventLoop, aiohttp.ClientSession] = {}


async def _action_server_up(endpoint: EndpointConfig | None) -> bool:
    """The action server's /health (rasa-sdk serves it beside /webhook); True when it cannot be derived."""
    if endpoint is None or not endpoint.url or not endpoint.url.rstrip("/").endswith("/webhook"):
        return True
    url = endpoint.url.rstrip("/").removesuffix("/webhook") + "/health"
    loop = asyncio.get_running_loop()
    session = _health.get(loop)
    if session is None or session.closed:
        session = _health[loop] = aiohttp.ClientSession(timeout=HEALTH_TIMEOUT)
    for attempt in (1, 2):
        try:
            async with session.get(url) as resp:
                return resp.status == 200
        except aiohttp.ClientConnectionError:
            # perhaps a kept connection to an action server that has restarted since: ask once more, on a new one
            if attempt == 2:
                return False
        except (TimeoutError, asyncio.TimeoutError, aiohttp.ClientError):  # noqa: UP041 - not the same on Rasa's Python 3.10
            return False
    return False


def replies_to(tracker: DialogueStateTracker, message_id: str) -> list[dict[str, Any]] | None:
    """What the bot said after the message with this id, if that turn is in the tracker; None when
    the message was never handled (only whole turns are saved, so a message there was handled,
    even if an action of the bot's, such as a fallback, reverted it afterwards)."""
    turns: list[tuple[str | None, list[dict[str, Any]]]] = []
    for event in tracker.events:
        if isinstance(event, UserUttered):
            turns.append((event.message_id, []))
        elif isinstance(event, BotUttered) and turns:
            turns[-1][1].append(event.message())
    for mid, said in reversed(turns):
        if mid == message_id:
            return said
    return None


def _refuse(why: str) -> HTTPResponse:
    return response.json({"error": why, "retry": True}, status=503, headers={"Retry-After": "5"})


class HubRestInput(RestInput):
    """Rasa's REST channel under the same name and address, with the four changes above."""

    def __init__(self) -> None:
        super().__init__()
        #: Turns still running (a task nobody awaits any more must be referenced until it ends).
        self._turns: set[asyncio.Future[HTTPResponse]] = set()

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint(f"hub_webhook_{type(self).__name__}", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            agent: Agent = request.app.ctx.agent
            if agent is None or not agent.is_ready() or agent.processor is None:
                return _refuse("the assistant is not ready")
            sender_id = await self._extract_sender(request)
            raw_id = (request.json or {}).get("message_id")
            message = UserMessage(
                self._extract_message(request),
                CollectingOutputChannel(),
                sender_id,
                input_channel=self._extract_input_channel(request),
                metadata=self.get_metadata(request),
                message_id=str(raw_id) if raw_id not in (None, "") else None,
            )
            # shielded: if the hub disconnects, only this handler is cancelled, not the turn (change 4)
            turn = asyncio.ensure_future(self._turn(agent, message, raw_id is not None))
            self._turns.add(turn)
            turn.add_done_callback(self._turns.discard)
            return await asyncio.shield(turn)

        return hook

    async def _turn(self, agent: Agent, message: UserMessage, from_hub: bool) -> HTTPResponse:
        processor = agent.processor
        assert processor is not None
        collector = message.output_channel
        assert isinstance(collector, CollectingOutputChannel)
        sender_id = message.sender_id or ""
        _watch(processor.action_endpoint)
        failures: list[str] = []
        token = _failures.set(failures)
        try:
            async with agent.lock_store.lock(sender_id):
                # read once: the replay check and the turn use the same tracker (Rasa's log_message
                # would read it from the tracker store a second time)
                tracker = await processor.get_tracker(sender_id)
                if from_hub:
                    done = replies_to(tracker, message.message_id)
                    if done is not None:
                        log.info("message already answered: replaying its replies", extra={"sender": sender_id, "message_id": message.message_id})
                        for reply in done:
                            await collector.send_response(sender_id, reply)
                        return response.json(collector.messages)
                if not await _action_server_up(processor.action_endpoint):
                    return _refuse("the action server is not answering")
                # MessageProcessor.handle_message (Rasa 3.6: log_message, which is
                # fetch_tracker_and_update_session then _handle_message_with_tracker), with the tracker
                # saved only when the action server did its part: a failed turn leaves no trace.
                await processor._update_tracker_session(tracker, collector, message.metadata)
                await processor._handle_message_with_tracker(message, tracker)
                tracker = await processor.run_action_extract_slots(collector, tracker)
                await processor._run_prediction_loop(collector, tracker)
                if failures:
                    log.warning("action server failed during the turn: not saved", extra={"sender": sender_id, "failures": failures})
                    return _refuse("the action server failed during the turn")
                await processor.run_anonymization_pipeline(tracker)
                await processor.save_tracker(tracker)
        except Exception:
            log.exception("turn failed", extra={"sender": sender_id})
            return _refuse("the turn failed")
        finally:
            _failures.reset(token)
        return response.json(collector.messages)
