import factory

from jobs.models import Job, JobKind


class JobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Job

    kind = JobKind.GENERATE_CODES
    total = 100
