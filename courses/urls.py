"""Member-facing URLs of the course player, mounted at /learn/ (namespace "courses")."""

from django.urls import path

from .views import member, player

app_name = "courses"

urlpatterns = [
    path("lessons/<int:lesson_id>/heartbeat/", player.heartbeat, name="heartbeat"),
    path("lessons/<int:lesson_id>/video/", player.video_report, name="video_report"),
    path("lessons/<int:lesson_id>/transcript/", player.choose_transcript, name="transcript"),
    path("lessons/<int:lesson_id>/complete/", player.complete, name="lesson_complete"),
    path("lessons/<int:lesson_id>/quiz/", player.lesson_quiz, name="lesson_quiz"),
    path("courses/<int:course_id>/final-quiz/", player.final_quiz, name="final_quiz"),
    path("my/", member.my_training, name="my_training"),
    path("my/attempts/<int:pk>/", member.attempt_detail, name="attempt_detail"),
    path("my/certificates/<str:number>.pdf", member.certificate_download, name="certificate_pdf"),
    path("my/questions/", member.my_questions, name="my_questions"),
    path("my/questions/<int:pk>/", member.question_detail, name="question_detail"),
    path("questions/ask/", member.question_ask, name="question_ask"),
    path("verify/", member.verify, name="verify"),
    path("verify/<str:number>/", member.verify, name="verify_number"),
    path("media/<int:pk>/", member.media_file, name="media_file"),
    path("captions/<int:pk>.vtt", member.captions, name="captions"),
]
