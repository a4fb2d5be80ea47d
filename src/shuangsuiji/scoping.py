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
            return self.under(organisation.path)
        return self.filter(**{self.organisation_field: organisation})

    def under(self, path: str) -> OrgScopedQuerySet:
        """The rows of the organisation with this ``path`` and of every one below it."""
        return self.filter(**{f"{self.organisation_field}__path__startswith": path})

    def readable_by(self, user: User) -> OrgScopedQuerySet:
        if not user.is_authenticated:
            return self.none()
        return self.readable_from(user.organisation.path, user.organisation_id)

    def readable_from(self, path: str, organisation_id: int) -> OrgScopedQuerySet:
        """``readable_by`` a signed-in user of the organisation with this ``path`` and id: the
        rule in the values it depends on, so a query compiled once (``shuangsuiji.prepared``)
        can apply it for any user."""
        return self.under(path)

    def editable_by(self, user: User) -> OrgScopedQuerySet:
        if not user.is_authenticated:
            return self.none()
        return self.of_organisation(user.organisation)
