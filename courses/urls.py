"""Member-facing URLs of the course player, mounted at /learn/ (namespace "courses")."""

from django.urls import path

from .scorm import views as scorm
from .views import player, site, survey

app_name = "courses"

urlpatterns = [
    path("lessons/<int:lesson_id>/heartbeat/", player.heartbeat, name="heartbeat"),
    path("lessons/<int:lesson_id>/video/", player.video_report, name="video_report"),
    path("lessons/<int:lesson_id>/transcript/", player.choose_transcript, name="transcript"),
    path("lessons/<int:lesson_id>/complete/", player.complete, name="lesson_complete"),
    path("lessons/<int:lesson_id>/quiz/", player.lesson_quiz, name="lesson_quiz"),
    path("courses/<int:course_id>/final-quiz/", player.final_quiz, name="final_quiz"),
    path("courses/<int:course_id>/survey/", survey.survey, name="survey"),
    # the former "my courses" page, for old bookmarks: its content is a section of マイ研修
    path("my/", site.my_courses_moved),
    path("my/attempts/<int:pk>/", site.attempt_detail, name="attempt_detail"),
    path("my/certificates/<str:number>.pdf", site.certificate_download, name="certificate_pdf"),
    path("my/questions/", site.my_questions, name="my_questions"),
    path("my/questions/<int:pk>/", site.question_detail, name="question_detail"),
    path("questions/ask/", site.question_ask, name="question_ask"),
    path("faq/", site.faq, name="faq"),
    path("verify/", site.verify, name="verify"),
    path("verify/<str:number>/", site.verify, name="verify_number"),
    path("media/<int:pk>/", site.media_file, name="media_file"),
    path("captions/<int:pk>.vtt", site.captions, name="captions"),
    # the SCORM content origin only (courses/scorm/content.py): 404 on the site's own host
    path("scorm/<str:token>/sco/<int:item_id>/", scorm.launcher, name="scorm_launch"),
    path("scorm/<str:token>/files/<path:path>", scorm.package_file, name="scorm_file"),
    path(
        "scorm/<str:token>/commit/<int:item_id>/<str:session>/",
        scorm.commit,
        name="scorm_commit",
    ),
]
