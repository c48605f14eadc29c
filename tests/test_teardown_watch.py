"""The watch over a session app's shutdown (`tests/teardown_watch.py`) turns a task that
outlives its cancellation into a report, and ends it."""

import asyncio
import threading

from tests import teardown_watch


def test_a_task_that_swallows_its_cancellation_is_reported_and_cancelled_again(
    monkeypatch, capfd, tmp_path
):
    monkeypatch.setattr(teardown_watch, "PATIENCE", 0.3)
    monkeypatch.chdir(tmp_path)
    loop = asyncio.new_event_loop()
    ended = threading.Event()

    async def stubborn():
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            await asyncio.Event().wait()  # what a hung close looks like: nothing will come

    def shut_down():  # as `asyncio.runners._cancel_all_tasks`: one cancel, then wait
        task = loop.create_task(stubborn(), name="stubborn")
        loop.run_until_complete(asyncio.sleep(0.01))
        task.cancel()
        loop.run_until_complete(asyncio.gather(task, return_exceptions=True))
        ended.set()

    thread = threading.Thread(target=shut_down)
    watch = teardown_watch.TeardownWatch(loop, "test")
    thread.start()
    assert ended.wait(5), "the watch did not end the stubborn task"
    watch.stop()
    thread.join(5)
    loop.close()
    report = capfd.readouterr().err
    assert "name='stubborn'" in report and "in stubborn" in report
    assert list((tmp_path / "var").glob("teardown-test-*.txt"))
