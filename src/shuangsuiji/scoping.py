"""The one mechanism that scopes rows to organisations.

Every model that belongs to an organisation has a ``organisation`` foreign key and uses
``OrgScopedQuerySet`` (``objects = OrgScopedQuerySet.as_manager()``). Views then read with
``.readable_by(user)`` and write only what ``.editable_by(user)`` returns:

- a user reads the rows of their own organisation and of every organisation below it (a 市局 reads
  its 分局 for statistics);
- a user edits only the rows of their own organisation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models

if TYPE_CHECKING:
    from shuangsuiji.accounts.models import Organisation, User


class OrgScopedQuerySet(models.QuerySet):
    #: Name of the foreign key to Organisation; a model may override it on its queryset subclass.
    organisation_field = "organisation"

    def of_organisation(
        self, organisation: Organisation, *, with_descendants: bool = False
    ) -> OrgScopedQuerySet:
        if with_descendants:
            return self.filter(
                **{f"{self.organisation_field}__path__startswith": organisation.path}
            )
        return self.filter(**{self.organisation_field: organisation})

    def readable_by(self, user: User) -> OrgScopedQuerySet:
        if not user.is_authenticated:
            return self.none()
        return self.of_organisation(user.organisation, with_descendants=True)

    def editable_by(self, user: User) -> OrgScopedQuerySet:
        if not user.is_authenticated:
            return self.none()
        return self.of_organisation(user.organisation)
