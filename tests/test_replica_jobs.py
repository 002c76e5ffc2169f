"""Replica mode's task queue keeps procrastinate_jobs small: finished jobs older than
the retention go (procrastinate's builtin cleanup, run as an hourly periodic task);
newer ones and waiting ones stay. PostgreSQL only, like the task queue."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from bot.replica import JOBS_KEPT_HOURS, NAMESPACE, connected
from storage.db import init_db, make_engine

pytestmark = pytest.mark.slow

WORKER = {"wait": False, "install_signal_handlers": False, "delete_jobs": "successful"}


async def test_finished_jobs_older_than_the_retention_are_removed(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the task queue lives in PostgreSQL")
    engine = make_engine(database_url)
    init_db(engine)  # installs procrastinate's schema
    async with connected(database_url, max_size=4) as queue:
        # Two jobs of a task no replica knows (one from an older release, say): the
        # worker fails them, and failed jobs stay, to show what failed and why.
        gone = queue.configure_task(f"{NAMESPACE}:renamed_task")
        old_id = await gone.defer_async(n=1)
        new_id = await gone.defer_async(n=2)
        await queue.run_worker_async(**WORKER)
        # One waiting job, scheduled for later: not finished, never removed.
        later = queue.configure_task(f"{NAMESPACE}:renamed_task", schedule_in={"hours": 1})
        waiting_id = await later.defer_async(n=3)
        with engine.begin() as connection:
            statuses = dict(
                connection.execute(text("SELECT id, status::text FROM procrastinate_jobs")).all()
            )
            assert statuses == {old_id: "failed", new_id: "failed", waiting_id: "todo"}
            # The first failed a day past the retention.
            connection.execute(
                text(
                    "UPDATE procrastinate_events SET at = at - make_interval(hours => :h) "
                    "WHERE job_id = :id"
                ),
                {"h": JOBS_KEPT_HOURS + 24, "id": old_id},
            )
        # What the hourly schedule defers (procrastinate's periodic deferrer, once per
        # hour across replicas), deferred here at once.
        task = f"{NAMESPACE}:remove_old_jobs"
        periodic = queue.periodic_registry.periodic_tasks
        assert [(t.task.name, t.cron) for t in periodic.values()] == [(task, "7 * * * *")]
        now = int(datetime.now(UTC).timestamp())
        await queue.configure_task(task).defer_async(timestamp=now)
        await queue.run_worker_async(**WORKER)
    with engine.connect() as connection:
        left = dict(
            connection.execute(text("SELECT id, status::text FROM procrastinate_jobs")).all()
        )
        events = connection.execute(
            text("SELECT count(*) FROM procrastinate_events WHERE job_id = :id"), {"id": old_id}
        ).scalar_one()
    engine.dispose()
    # The old failed job and its events are gone; the cleanup job itself was deleted on
    # success; the recent failed one and the waiting one stay.
    assert left == {new_id: "failed", waiting_id: "todo"}
    assert events == 0
