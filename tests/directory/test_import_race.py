"""Two confirmations of one uploaded register at once (a double click, two colleagues, two nodes
behind nginx: issue 21 §6) import it once: the second is refused with a message, never a 500 and
never a second import (run on PostgreSQL, where the two really overlap)."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from shuangsuiji.audit.models import AuditEvent
from shuangsuiji.directory import tasks
from shuangsuiji.directory.models import ImportBatch, Target
from shuangsuiji.directory.registers import TARGETS
from shuangsuiji.directory.services import import_batch_apply, import_batch_create
from tests.support.workbooks import TARGET_HEADERS, uscc

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CSV = (
    ",".join(TARGET_HEADERS)
    + "\n"
    + "".join(f"{uscc(i)},企业{i},排污单位,,130281,水\n" for i in range(1, 21))
).encode()


def test_two_confirmations_of_one_file_import_it_once(coordinator):
    batch = import_batch_create(
        actor=coordinator, spec=TARGETS, upload=SimpleUploadedFile("名录.csv", CSV)
    )
    tasks.task_run_now(batch.task_id)
    assert ImportBatch.objects.get(pk=batch.pk).status == ImportBatch.Status.PREVIEW
    barrier, outcomes = threading.Barrier(2), []

    def confirm():
        barrier.wait()
        try:
            outcomes.append(
                import_batch_apply(
                    actor=coordinator,
                    batch=ImportBatch.objects.get(pk=batch.pk),
                    reason="二季度调整",
                    remove_absent=False,
                )
            )
        except ValidationError as error:
            outcomes.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    errors = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(errors) == 1 and "不处于待确认状态" in errors[0].messages[0]
    assert ImportBatch.objects.get(pk=batch.pk).status == ImportBatch.Status.APPLIED
    assert Target.objects.filter(organisation=coordinator.organisation).count() == 20
    assert AuditEvent.objects.filter(action="register.import").count() == 1
