"""Every Celery task has a soft and a hard time limit: a stuck import or send cannot hold a
worker for ever (a 1.8 KB XLSX once kept an import busy for minutes)."""

from training_site.celery import app


def _our_tasks():
    app.loader.import_default_modules()
    return {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}


def test_every_task_has_a_soft_and_a_hard_time_limit():
    tasks = _our_tasks()
    assert len(tasks) >= 10, sorted(tasks)
    for name, task in tasks.items():
        soft = task.soft_time_limit or app.conf.task_soft_time_limit
        hard = task.time_limit or app.conf.task_time_limit
        assert soft and hard, f"{name} has no time limit"
        assert soft < hard, f"{name}: the soft limit ({soft}) must come before the hard ({hard})"


def test_long_jobs_have_their_own_limits_and_sending_fits_in_the_default():
    from mailings import conf

    tasks = _our_tasks()
    assert tasks["members.tasks.roster_import_apply_task"].soft_time_limit == 20 * 60
    assert tasks["lms.nightly_refresh"].soft_time_limit == 50 * 60
    send = tasks["mailings.tasks.send_mailing"]
    # a send task hands over after its budget: well before it would be stopped
    assert conf.task_seconds() < (send.soft_time_limit or app.conf.task_soft_time_limit)
