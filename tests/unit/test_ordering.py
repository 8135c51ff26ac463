"""Updates from one chat are handled in the order they came, others' meanwhile."""

from __future__ import annotations

import asyncio
from typing import Any

from telegram import Chat, Message, Update, User

from bot.telegram.ordering import NO_CHAT, AnsweredWhenHandled, ChatOrderedProcessor, chat_key


def message_update(update_id: int, chat_id: int) -> Update:
    user = User(chat_id, "Sam", is_bot=False)
    chat = Chat(chat_id, Chat.PRIVATE)
    return Update(update_id, message=Message(update_id, None, chat, from_user=user, text="hi"))  # type: ignore[arg-type]


def test_an_update_joins_its_chats_queue() -> None:
    assert chat_key(message_update(1, 42)) == 42
    assert chat_key(Update(2)) == NO_CHAT
    assert chat_key("not an update") == NO_CHAT


async def test_one_chat_in_order_while_another_goes_ahead() -> None:
    processor = ChatOrderedProcessor(64)
    done: list[tuple[int, int]] = []
    release_first = asyncio.Event()

    async def handle(chat_id: int, number: int) -> None:
        if (chat_id, number) == (1, 0):
            await release_first.wait()  # the first update of chat 1 is slow
        else:
            await asyncio.sleep(0)
        done.append((chat_id, number))

    tasks: list[asyncio.Task[Any]] = []
    for number in range(5):
        for chat_id in (1, 2):
            update = message_update(len(tasks) + 1, chat_id)
            tasks.append(
                asyncio.create_task(processor.process_update(update, handle(chat_id, number)))
            )
    while len([item for item in done if item[0] == 2]) < 5:
        await asyncio.sleep(0)
    assert [item for item in done if item[0] == 1] == []  # chat 1 waits for its first
    release_first.set()
    await asyncio.gather(*tasks)
    assert [number for chat, number in done if chat == 1] == [0, 1, 2, 3, 4]
    assert [number for chat, number in done if chat == 2] == [0, 1, 2, 3, 4]
    assert processor.chats_in_hand == 0  # idle chats are forgotten


async def test_a_failing_update_does_not_stop_its_chat() -> None:
    processor = ChatOrderedProcessor(8)
    done: list[int] = []

    async def fail() -> None:
        raise RuntimeError("boom")

    async def note(number: int) -> None:
        done.append(number)

    first = asyncio.create_task(processor.process_update(message_update(1, 7), fail()))
    second = asyncio.create_task(processor.process_update(message_update(2, 7), note(2)))
    results = await asyncio.gather(first, second, return_exceptions=True)
    assert isinstance(results[0], RuntimeError)
    assert done == [2]
    assert processor.chats_in_hand == 0


async def test_a_webhook_post_is_answered_once_its_update_is_handled() -> None:
    queue = AnsweredWhenHandled()
    update = message_update(1, 7)
    post = asyncio.create_task(queue.put(update))
    assert await queue.get() is update
    await asyncio.sleep(0)
    assert not post.done()  # queued, not yet handled: no answer to Telegram yet
    queue.handled(update)
    await asyncio.wait_for(post, timeout=5)


async def test_the_processor_says_when_each_update_is_handled() -> None:
    handled: list[object] = []
    processor = ChatOrderedProcessor(4, on_handled=handled.append)
    update = message_update(1, 7)

    async def work() -> None:
        assert handled == []

    await processor.process_update(update, work())
    assert handled == [update]
