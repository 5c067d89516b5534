import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery, Sum


def forward(apps, schema_editor):
    LessonPage = apps.get_model("courses", "LessonPage")
    Enrolment = apps.get_model("courses", "Enrolment")
    LessonProgress = apps.get_model("courses", "LessonProgress")
    # 0 meant "no minimum" only because it was the default: blank now means "from the content"
    LessonPage.objects.filter(min_study_seconds=0).update(min_study_seconds=None)
    totals = (
        LessonProgress.objects.filter(enrolment=OuterRef("pk"))
        .order_by()
        .values("enrolment")
        .annotate(total=Sum("active_seconds"))
        .values("total")
    )
    Enrolment.objects.filter(lesson_progress__isnull=False).distinct().update(
        credited_seconds=Subquery(totals)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0002_attendance_private_file"),
        ("members", "0004_member_full_name_label"),
    ]

    operations = [
        migrations.CreateModel(
            name="StudyClock",
            fields=[
                (
                    "member",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="study_clock",
                        serialize=False,
                        to="members.member",
                        verbose_name="member",
                    ),
                ),
                (
                    "credited_until",
                    models.DateTimeField(blank=True, null=True, verbose_name="credited until"),
                ),
            ],
            options={"verbose_name": "study clock", "verbose_name_plural": "study clocks"},
        ),
        migrations.RenameField(
            model_name="lessonpage", old_name="min_study_seconds", new_name="min_study_seconds"
        ),
        migrations.AlterField(
            model_name="lessonpage",
            name="min_study_seconds",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="Blank: worked out from the content (its text at the reading speed of the settings, plus the length of its videos). Enter a number to raise or lower it; 0 = none.",
                null=True,
                verbose_name="minimum study time (seconds)",
            ),
        ),
        migrations.AddField(
            model_name="enrolment",
            name="credited_seconds",
            field=models.PositiveIntegerField(
                default=0,
                help_text="The study clock's time credited to this attempt's lessons (their sum).",
                verbose_name="credited study seconds",
            ),
        ),
        migrations.AlterField(
            model_name="coursepage",
            name="estimated_minutes",
            field=models.PositiveSmallIntegerField(
                default=30,
                help_text="所要時間 shown to members. A member completes the course only when their credited study time reaches the share of it set by COURSES_REQUIRED_TIME_SHARE (0.8 by default); 0 = no time requirement.",
                verbose_name="stated duration (minutes)",
            ),
        ),
        migrations.AlterField(
            model_name="lessonprogress",
            name="active_seconds",
            field=models.PositiveIntegerField(default=0, verbose_name="credited study seconds"),
        ),
        migrations.RunPython(forward, migrations.RunPython.noop),
    ]
