"""Migration operations shared by the apps."""

from __future__ import annotations

from django.db import migrations


class DropForeignKeyIndex(migrations.RunPython):
    """Drop the single-column index Django made for a foreign key (now `db_index=False`, a
    composite index leading with the column serving its look-ups) and nothing else: the
    constraint itself is kept, where AlterField would drop and re-add it (checking every row
    of the table again). Pair it with the AlterField in `SeparateDatabaseAndState`'s state
    operations. Reversible: the index comes back."""

    def __init__(self, app_label: str, model_name: str, field_name: str):
        self.target = (app_label, model_name, field_name)
        super().__init__(self._drop, self._create, elidable=False)

    def _field(self, apps):
        app_label, model_name, field_name = self.target
        model = apps.get_model(app_label, model_name)
        return model, model._meta.get_field(field_name)

    def _drop(self, apps, schema_editor):
        model, field = self._field(apps)
        for name in schema_editor._constraint_names(model, [field.column], index=True,
                                                    unique=False, primary_key=False):
            schema_editor.execute(schema_editor._delete_index_sql(model, name))

    def _create(self, apps, schema_editor):
        model, field = self._field(apps)
        schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))

    def describe(self) -> str:
        return "Drop the index of {}.{}.{}".format(*self.target)
