"""The Telegram adapter: python-telegram-bot's Application around the core.

Each handler turns an Update into a core event, runs the core off the event
loop, and sends back what it returns. Nothing here knows about SQL.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from telegram import (
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    ExtBot,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot.core.coaching import Coach
from bot.core.delivery import Deliveries
from bot.core.messages import (
    ButtonPress,
    Command,
    Event,
    Reply,
    Sender,
    Text,
    Unsupported,
)
from bot.telegram.delivery import DeliveryWorker
from bot.telegram.health import ApiHealth
from bot.telegram.limiter import SendLimiter
from bot.telegram.transport import WatchedRequest, is_outage, quiet_outage_tracebacks

log = logging.getLogger(__name__)

PRIVATE_MESSAGE = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.label, callback_data=b.data) for b in row]
            for row in reply.buttons
        ]
    )


def _sender(update: Update) -> Sender:
    user = update.effective_user
    assert user is not None
    return Sender(user.id, user.first_name or "there")


def _command(message: Message) -> tuple[str, str]:
    """``/start@doorstep_bot ABC`` -> ("start", "ABC")."""
    head, _, args = (message.text or "").partition(" ")
    name = head.lstrip("/").split("@", 1)[0].lower()
    return name, args.strip()


WorkerFactory = Callable[[ExtBot[Any]], DeliveryWorker]


class TelegramAdapter:
    """Wires a :class:`Coach` into a PTB Application, and runs the outbox sender beside it."""

    def __init__(self, coach: Coach, worker_factory: WorkerFactory | None = None) -> None:
        self.coach = coach
        self.worker_factory = worker_factory
        self._stop_sending = asyncio.Event()
        self._sending: asyncio.Task[None] | None = None

    async def _run(self, event: Event) -> list[Reply]:
        # The core does blocking database work: keep it off the event loop.
        return await asyncio.to_thread(self.coach.handle, event)

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        name, args = _command(update.message)
        replies = await self._run(Command(_sender(update), name, args))
        await self._send(update.message, replies)

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        replies = await self._run(Text(_sender(update), update.message.text or ""))
        await self._send(update.message, replies)

    async def on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        kind = update.message.effective_attachment.__class__.__name__.lower()
        replies = await self._run(Unsupported(_sender(update), kind))
        await self._send(update.message, replies)

    async def on_group(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text(self.coach.text("group_chat"))

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        if query.message is None or query.message.chat.type != ChatType.PRIVATE:
            await query.answer()
            return
        replies = await self._run(ButtonPress(_sender(update), query.data or ""))
        # Answer first so the button stops spinning on the operative's phone.
        await query.answer()
        await self._send_after_press(query, replies)

    async def _send_after_press(self, query: CallbackQuery, replies: list[Reply]) -> None:
        message = query.message
        assert isinstance(message, Message)
        rest = replies
        if replies and replies[0].replace and not (replies[0].image or replies[0].document):
            first, rest = replies[0], replies[1:]
            try:
                await message.edit_text(
                    first.text, parse_mode=ParseMode.HTML, reply_markup=keyboard(first)
                )
            except BadRequest as error:
                if "not modified" not in str(error):
                    rest = replies
        await self._send(message, rest)

    async def _send(self, message: Message, replies: list[Reply]) -> None:
        for reply in replies:
            markup = keyboard(reply)
            if reply.image:
                await message.reply_photo(
                    reply.image.content,
                    caption=reply.text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                    filename=reply.image.filename,
                )
            elif reply.document:
                await message.reply_document(
                    reply.document.content,
                    caption=reply.text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                    filename=reply.document.filename,
                )
            else:
                await message.reply_text(
                    reply.text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                    do_quote=False,
                )

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        error = context.error
        if isinstance(error, Forbidden):
            log.info("a user has blocked the bot; nothing to send")
            return
        # Only the error's type and Telegram's description: never the update, which holds user text.
        log.error("handler failed: %s: %s", type(error).__name__, error)

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
        self.coach.bot_username = application.bot.username
        # In the background: the bot answers meanwhile, and a /summary that comes
        # first simply waits for matplotlib as it would have anyway.
        asyncio.get_running_loop().run_in_executor(None, _warm_up_charts)
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
) -> Application:  # type: ignore[type-arg]
    """A ready-to-run Application. ``api_url`` is e.g. ``https://api.telegram.org/bot``.

    With a ``worker_factory``, the outbox sender runs beside the handlers. Every request
    reports to ``health`` (a new one if not given), which logs outages and is the
    sender's circuit breaker.
    """
    adapter = TelegramAdapter(coach, worker_factory)
    health = health or ApiHealth()
    quiet_outage_tracebacks()
    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(api_url)
        .base_file_url(file_url)
        # PTB's own defaults, watched.
        .request(WatchedRequest(HTTPXRequest(connection_pool_size=256), health))
        .get_updates_request(
            WatchedRequest(HTTPXRequest(connection_pool_size=1), health, patient=True)
        )
        .post_init(adapter.post_init)
        .post_stop(adapter.post_stop)
        .rate_limiter(limiter or SendLimiter())
        .build()
    )
    adapter.install(application)
    return application


__all__ = ["TelegramAdapter", "TelegramError", "build_application", "keyboard"]
