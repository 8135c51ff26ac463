"""The Telegram adapter: python-telegram-bot's Application around the core.

Each handler turns an Update into a core event, runs the core off the event
loop, and sends back what it returns. Nothing here knows about SQL.

An update that was taken in before (Telegram posted it to the webhook again,
perhaps to another replica) is dropped: see :mod:`bot.core.jobs.updates`. A
private message's id is recorded by the core in the transaction that handles it
(one commit an update); any other update's is checked before the bot's handlers,
in a group of its own. Both run inside the chat's turn (:mod:`bot.telegram.ordering`
orders whole updates, every handler group included).

No exception escapes a handler: a button press is answered before anything
else, a failure in the core is logged (its type and where, never the message or
the update, which may hold what someone typed) and the person gets a short
"sorry, try again", and a message is never edited to what it already shows
(Telegram refuses that with 400 "message is not modified").
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MaybeInaccessibleMessage,
    Message,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    ContextTypes,
    ExtBot,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.core.jobs.delivery import Deliveries
from bot.core.jobs.updates import SeenUpdates
from bot.core.messages import (
    ButtonPress,
    Command,
    Event,
    Reply,
    Sender,
    Text,
    Unsupported,
)
from bot.core.router import Coach
from bot.logs import failure
from bot.telegram.delivery import DeliveryWorker
from bot.telegram.health import ApiHealth
from bot.telegram.http import AiohttpRequest
from bot.telegram.limiter import SendLimiter
from bot.telegram.limits import CAPTION_CHARS, MESSAGE_CHARS, split_text
from bot.telegram.ordering import AnsweredWhenHandled, ChatOrderedProcessor
from bot.telegram.transport import WatchedRequest, is_outage, quiet_outage_tracebacks

log = logging.getLogger(__name__)

PRIVATE_MESSAGE = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
#: The handler group that drops repeated updates: before the bot's own (group 0).
REPEATS_GROUP = -1
#: Bot API requests in flight at once (replies, button answers, the outbox's sends).
REQUESTS_AT_ONCE = 16
#: How many messages' last content the adapter remembers, to skip edits that change nothing.
SHOWN_MEMORY = 10_000

#: What a message shows, as far as "message is not modified" goes: text and buttons.
Shown = tuple[str, tuple[tuple[tuple[str, str], ...], ...]]


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.label, callback_data=b.data) for b in row]
            for row in reply.buttons
        ]
    )


def plain_text(telegram_html: str) -> str:
    """The text Telegram shows for an HTML-mode message: tags gone, entities read, trimmed."""
    return html.unescape(re.sub(r"<[^<>]*>", "", telegram_html)).strip()


def _shown_by_reply(reply: Reply) -> Shown:
    rows = tuple(tuple((b.label, b.data) for b in row) for row in reply.buttons)
    return plain_text(reply.text), rows


def _shown_by_message(message: Message) -> Shown:
    markup = message.reply_markup
    rows = tuple(
        tuple((b.text, str(b.callback_data or "")) for b in row)
        for row in (markup.inline_keyboard if markup else ())
    )
    return (message.text or "").strip(), rows


def _sender(update: Update) -> Sender:
    user = update.effective_user
    assert user is not None
    return Sender(user.id, user.first_name or "there")


def _core_checks_repeats(update: Update) -> bool:
    """A private message: one of the core's events, whose id it records as it handles it."""
    message = update.message
    return message is not None and message.chat.type == ChatType.PRIVATE


def _command(message: Message) -> tuple[str, str]:
    """``/start@doorstep_bot ABC`` -> ("start", "ABC")."""
    head, _, args = (message.text or "").partition(" ")
    name = head.lstrip("/").split("@", 1)[0].lower()
    return name, args.strip()


WorkerFactory = Callable[[ExtBot[Any]], DeliveryWorker]
_Argument = TypeVar("_Argument")
_Result = TypeVar("_Result")


class TelegramAdapter:
    """Wires a :class:`Coach` into a PTB Application, and runs the outbox sender beside it."""

    def __init__(
        self,
        coach: Coach,
        worker_factory: WorkerFactory | None = None,
        core_threads: int = 1,
    ) -> None:
        self.coach = coach
        self.worker_factory = worker_factory
        #: Where the core runs, off the event loop (see build_application's core_threads).
        self._core = ThreadPoolExecutor(core_threads, thread_name_prefix="core")
        self._stop_sending = asyncio.Event()
        self._sending: asyncio.Task[None] | None = None
        self._shown: OrderedDict[tuple[int, int], Shown] = OrderedDict()
        self.seen = SeenUpdates(coach.uow_factory, coach.clock)

    async def drop_repeats(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stop here if this update was taken in before, on this replica or another;
        a private message is checked by the core as it is handled (see ``_run``)."""
        if _core_checks_repeats(update):
            return
        try:
            # A write like the core's: on the core's threads (one with SQLite, its one writer).
            fresh = await self._in_core(self.seen.first_time, update.update_id)
        except Exception as error:
            # Better handled twice than not at all.
            log.error("could not check whether an update is a repeat: %s", failure(error))
            return
        if not fresh:
            raise ApplicationHandlerStop

    def _handle(self, event: Event, update_id: int | None) -> list[Reply]:
        """On the core's thread: the event handled, its update id recorded with it."""
        if update_id is None:
            return self.coach.handle(event)
        self.seen.prune_when_due()
        return self.coach.handle(event, update_id=update_id)

    async def _run(self, event: Event, update_id: int | None = None) -> list[Reply]:
        """The core's replies to ``event``; if the core fails, a logged failure and a sorry.

        With its ``update_id``, nothing for an update taken in before."""
        try:
            # The core does blocking database work: keep it off the event loop.
            return await asyncio.get_running_loop().run_in_executor(
                self._core, self._handle, event, update_id
            )
        except Exception as error:
            log.error("handler failed on %s: %s", type(event).__name__, failure(error))
        try:
            return await self._in_core(self.coach.recover, event.sender)
        except Exception as error:
            log.error("recovery failed: %s", failure(error))
            return [Reply(self.coach.text("something_wrong"))]

    async def _in_core(self, work: Callable[[_Argument], _Result], argument: _Argument) -> _Result:
        return await asyncio.get_running_loop().run_in_executor(self._core, work, argument)

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        name, args = _command(update.message)
        replies = await self._run(Command(_sender(update), name, args), update.update_id)
        await self._send(context.bot, update.message.chat_id, replies)

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        replies = await self._run(
            Text(_sender(update), update.message.text or ""), update.update_id
        )
        await self._send(context.bot, update.message.chat_id, replies)

    async def on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        kind = update.message.effective_attachment.__class__.__name__.lower()
        replies = await self._run(Unsupported(_sender(update), kind), update.update_id)
        await self._send(context.bot, update.message.chat_id, replies)

    async def on_group(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await self._send(
            context.bot, update.message.chat_id, [Reply(self.coach.text("group_chat"))]
        )

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        # First, whatever happens next, so the button never keeps spinning on the phone.
        try:
            await query.answer()
        except TelegramError as error:
            log.info("could not answer a button press: %s", failure(error))
        message = query.message
        if message is None or message.chat.type != ChatType.PRIVATE:
            return
        replies = await self._run(ButtonPress(_sender(update), query.data or ""))
        await self._send_after_press(context.bot, message, replies)

    async def _send_after_press(
        self, bot: Bot, message: MaybeInaccessibleMessage, replies: list[Reply]
    ) -> None:
        """Show the first reply in place of the pressed message if it says to, else send."""
        rest = replies
        first = replies[0] if replies else None
        if (
            first is not None
            and first.replace
            and not (first.image or first.document)
            and isinstance(message, Message)
            and message.text is not None
        ):
            rest = replies[1:]
            await self._edit(message, first)
        await self._send(bot, message.chat.id, rest)

    async def _edit(self, message: Message, reply: Reply) -> None:
        """Edit ``message`` to ``reply``, unless it already shows exactly that."""
        key = (message.chat.id, message.message_id)
        wanted = _shown_by_reply(reply)
        if wanted in (_shown_by_message(message), self._shown.get(key)):
            return
        try:
            await message.edit_text(
                reply.text, parse_mode=ParseMode.HTML, reply_markup=keyboard(reply)
            )
        except BadRequest as error:
            if "not modified" not in str(error):
                log.error("could not edit a message: %s", failure(error))
                await self._send(message.get_bot(), message.chat.id, [reply])
                return
        self._remember(key, wanted)

    def _remember(self, key: tuple[int, int], shown: Shown) -> None:
        self._shown[key] = shown
        self._shown.move_to_end(key)
        while len(self._shown) > SHOWN_MEMORY:
            self._shown.popitem(last=False)

    async def _send(self, bot: Bot, chat_id: int, replies: list[Reply]) -> None:
        """Send each reply; a refusal is logged, and the person still hears something."""
        for reply in replies:
            try:
                await self._send_one(bot, chat_id, reply)
            except Forbidden:
                log.info("a user has blocked the bot; nothing to send")
                return
            except BadRequest as error:
                log.error("a reply was refused: %s", failure(error))
                await self._send_one(bot, chat_id, Reply(self.coach.text("something_wrong")))

    async def _send_one(self, bot: Bot, chat_id: int, reply: Reply) -> None:
        """One reply: text longer than Telegram takes goes first, in messages of its own;
        the buttons go with the last part."""
        markup = keyboard(reply)
        attachment = reply.image or reply.document
        *before, last = split_text(reply.text, CAPTION_CHARS if attachment else MESSAGE_CHARS)
        for part in before:
            if part.strip():  # Telegram refuses an empty message
                await bot.send_message(chat_id, part, parse_mode=ParseMode.HTML)
        if attachment is None:
            await bot.send_message(chat_id, last, parse_mode=ParseMode.HTML, reply_markup=markup)
            return
        send = bot.send_photo if reply.image else bot.send_document
        await send(
            chat_id,
            attachment.content,
            caption=last,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            filename=attachment.filename,
        )

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        error = context.error
        if error is None:
            return
        if isinstance(error, Forbidden):
            log.info("a user has blocked the bot; nothing to send")
            return
        # Where and what type only: never the update, nor the message, which may hold user text.
        log.error("handler failed: %s", failure(error))

    async def post_init(self, application: Application) -> None:  # type: ignore[type-arg]
        commands = [BotCommand(name, description) for name, description in self.coach.menu()]
        try:
            await application.bot.set_my_commands(commands)
        except TelegramError as error:
            if not is_outage(error):
                raise
            # Telegram keeps the menu from the last start; the bot itself can carry on.
            log.warning("command menu not updated (Telegram unreachable); it will be next start")
        log.info("connected as @%s", application.bot.username)
        # In the background: the bot answers meanwhile, and a /summary that comes
        # first simply waits for matplotlib as it would have anyway.
        asyncio.get_running_loop().run_in_executor(None, _warm_up_charts)
        # The router takes seconds to build: build it now, so the first question after a
        # start doesn't wait for it (one asked meanwhile waits for this build).
        asyncio.get_running_loop().run_in_executor(None, lambda: self.coach.matcher)
        if self.worker_factory is not None:
            worker = self.worker_factory(application.bot)
            self._stop_sending.clear()
            self._sending = asyncio.create_task(worker.run(self._stop_sending))

    async def post_stop(self, application: Application) -> None:  # type: ignore[type-arg]
        """Let the sender finish the message in hand, so nothing is left half-sent."""
        if self._sending is not None:
            self._stop_sending.set()
            await self._sending
            self._sending = None

    def install(self, application: Application) -> None:  # type: ignore[type-arg]
        application.add_handler(TypeHandler(Update, self.drop_repeats), group=REPEATS_GROUP)
        application.add_handler(MessageHandler(PRIVATE_MESSAGE & filters.COMMAND, self.on_command))
        application.add_handler(
            MessageHandler(PRIVATE_MESSAGE & filters.TEXT & ~filters.COMMAND, self.on_text)
        )
        application.add_handler(MessageHandler(PRIVATE_MESSAGE & ~filters.TEXT, self.on_other))
        application.add_handler(
            MessageHandler(
                filters.ChatType.GROUPS & filters.UpdateType.MESSAGE & filters.COMMAND,
                self.on_group,
            )
        )
        application.add_handler(CallbackQueryHandler(self.on_button))
        application.add_error_handler(self.on_error)


def outbox_sender(
    deliveries: Deliveries, plan: Callable[[], object], may_send: Callable[[], bool]
) -> WorkerFactory:
    """The worker factory `coachbot run` uses: plan, then send, on the one sending replica."""

    def factory(bot: ExtBot[Any]) -> DeliveryWorker:
        return DeliveryWorker(bot, deliveries, plan, may_send=may_send)

    return factory


def _warm_up_charts() -> None:
    from bot.reporting.chart import warm_up

    warm_up()


def build_application(
    coach: Coach,
    token: str,
    api_url: str,
    file_url: str,
    worker_factory: WorkerFactory | None = None,
    limiter: SendLimiter | None = None,
    health: ApiHealth | None = None,
    concurrent_updates: int = 256,
    core_threads: int = 1,
    answer_when_handled: bool = False,
) -> Application:  # type: ignore[type-arg]
    """A ready-to-run Application. ``api_url`` is e.g. ``https://api.telegram.org/bot``.

    With a ``worker_factory``, the outbox sender runs beside the handlers. Every request
    reports to ``health`` (a new one if not given), which logs outages and is the
    sender's circuit breaker. Up to ``concurrent_updates`` updates are handled at once,
    each chat's in the order they came (1: one by one), on ``core_threads`` threads.
    With ``answer_when_handled`` (webhook mode), each webhook post is answered once its
    update is handled, so a chat's next update can't overtake it on another replica.
    """
    adapter = TelegramAdapter(coach, worker_factory, core_threads)
    health = health or ApiHealth()
    quiet_outage_tracebacks()
    builder = ApplicationBuilder()
    processor = ChatOrderedProcessor(concurrent_updates)
    if answer_when_handled:
        queue = AnsweredWhenHandled()
        processor.on_handled = queue.handled
        builder = builder.update_queue(queue)
    application = (
        builder.token(token)
        .base_url(api_url)
        .base_file_url(file_url)
        # PTB's defaults but for the client (see bot.telegram.http), watched.
        .request(
            WatchedRequest(AiohttpRequest(REQUESTS_AT_ONCE), health, most_at_once=REQUESTS_AT_ONCE)
        )
        .get_updates_request(WatchedRequest(AiohttpRequest(1), health, patient=True))
        .post_init(adapter.post_init)
        .post_stop(adapter.post_stop)
        .rate_limiter(limiter or SendLimiter())
        .concurrent_updates(processor)
        .build()
    )
    adapter.install(application)
    return application


__all__ = ["Application", "TelegramAdapter", "TelegramError", "build_application", "keyboard"]
