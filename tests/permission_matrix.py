"""Who may open what: the one readable table of expected answers, and the machinery to try it.

Every URL of the project (site + Wagtail admin, including URLs registered by hooks and every
page type of our apps) is tried with GET and POST as each role, against the objects of
organisation A and of organisation B (tests/factories/quality.py builds them). A URL without a
line below fails tests/test_permission_matrix.py, and the failure prints the line to add.

Columns: KEY METHOD then one answer per role, then optional kwargs.
  KEY      a URL name ("members:detail"), "path:<route>" for an unnamed pattern,
           "page:<app>.<Model>" for a page type, or "re:<regex>" (a group rule on URL names,
           used after exact keys; first match wins).
  METHOD   GET or POST.
  roles    anonymous member other_member member_b editor staff_a staff_b. On organisation B's
           objects the columns are mirrored: member_b is then the owner (answers as "member"),
           member and other_member answer as "member_b", staff_a and staff_b swap.
  answers  200 204 400 403 404 405 ...  exact status
           302     a redirect that is not to a sign-in page
           login   a redirect to a sign-in page (site code sign-in, admin login, Wagtail's)
           ok      allowed: 2xx or a redirect that is not to a sign-in page
           deny    login, 403 or 404
           any     anything but a server error
           -       not tried
           a|b     either answer
  kwargs   name=@object (pk of a world object, e.g. pk=@member, page_id=@course),
           name=@object.attr, name=literal, url=/literal/path/ (for unnamed regex groups).
           Instead of the answers, "skip <reason>" skips a URL with that reason.
"""

from __future__ import annotations

import dataclasses
import re
from urllib.parse import urlsplit

from django.urls import URLPattern, URLResolver, get_resolver, reverse

ROLES = ("anonymous", "member", "other_member", "member_b", "editor", "staff_a", "staff_b")
MIRROR = {  # on organisation B's objects, role -> the column that says what it gets
    "anonymous": "anonymous",
    "member": "member_b",
    "other_member": "member_b",
    "member_b": "member",
    "editor": "editor",
    "staff_a": "staff_b",
    "staff_b": "staff_a",
}

# fmt: off
TABLE = r"""
# KEY                                          METHOD anon   member other  mem_b  editor staff_a staff_b  kwargs
# --- project -------------------------------------------------------------------------------------------
healthz                                        GET    200    200    200    200    200    200     200
healthz                                        POST   405    405    405    405    405    405     405
page:training_site.HomePage                    GET    200    200    200    200    200    200     200
page:training_site.HomePage                    POST   200    200    200    200    200    200     200
wagtail_serve                                  GET    404    404    404    404    404    404     404      url=/no-such-page/
wagtail_serve                                  POST   404    404    404    404    404    404     404      url=/no-such-page/
wagtailcore_login                              GET    200    200    200    200    200    200     200
wagtailcore_login                              POST   200    200    200    200    200    200     200
wagtailcore_authenticate_with_password         GET    404    404    404    404    404    404     404      page_view_restriction_id=999999 page_id=@home
wagtailcore_authenticate_with_password         POST   404    404    404    404    404    404     404      page_view_restriction_id=999999 page_id=@home
wagtaildocs_serve                              GET    404    404    404    404    404    404     404      url=/documents/999999/missing.pdf
wagtaildocs_serve                              POST   404    404    404    404    404    404     404      url=/documents/999999/missing.pdf
wagtaildocs_authenticate_with_password         GET    404    404    404    404    404    404     404      restriction_id=999999
wagtaildocs_authenticate_with_password         POST   404    404    404    404    404    404     404      restriction_id=999999
# --- sign-in (allauth). Members sign in with a mailed code only: allauth's sign-up, password and e-mail
# pages are not mounted (the roster is the source of e-mail addresses; staff use the admin login).
account_request_login_code                     GET    200    302    302    302    302    302     302
account_request_login_code                     POST   200    302    302    302    302    302     302
account_confirm_login_code                     GET    login  302    302    302    302    302    302
account_confirm_login_code                     POST   login  302    302    302    302    302    302
account_login                                  GET    200    302    302    302    302    302     302
account_login                                  POST   405    405    405    405    405    405    405
account_logout                                 GET    302    200    200    200    200    200     200
account_logout                                 POST   302    302    302    302    302    302     302
account_inactive                               GET    200    200    200    200    200    200     200
account_inactive                               POST   405    405    405    405    405    405     405
# --- Wagtail admin: our own entries (apps' admin URLs go here) -------------------------------------------
wagtailadmin_login                             GET    200    200    200    200    302    302     302
wagtailadmin_login                             POST   200    200    200    200    200    200    200
wagtailadmin_logout                            GET    login  login  login  login  405    405     405
wagtailadmin_logout                            POST   login  login  login  login  login  login  login
wagtailadmin_password_reset                    GET    200    200    200    200    200    200     200
wagtailadmin_password_reset                    POST   200    200    200    200    200    200     200
wagtailadmin_password_reset_done               GET    200    200    200    200    200    200     200
wagtailadmin_password_reset_done               POST   405    405    405    405    405    405     405
wagtailadmin_password_reset_confirm            GET    200    200    200    200    200    200     200      uidb64=MQ token=x-y
wagtailadmin_password_reset_confirm            POST   200    200    200    200    200    200     200      uidb64=MQ token=x-y
wagtailadmin_password_reset_complete           GET    200    200    200    200    200    200     200
wagtailadmin_password_reset_complete           POST   405    405    405    405    405    405     405
wagtailadmin_javascript_catalog                GET    200    200    200    200    200    200     200
wagtailadmin_javascript_catalog                POST   405    405    405    405    405    405    405
wagtailadmin_sprite                            GET    200    200    200    200    200    200     200
wagtailadmin_sprite                            POST   200    200    200    200    200    200     200
path:admin/test404/                            GET    login  login  login  login  200    200    200    url=/admin/test404/
path:admin/test404/                            POST   login  login  login  login  405    405    405    url=/admin/test404/
path:admin/^.*/$                               GET    login  login  login  login  404    404     404      url=/admin/no-such-thing/
path:admin/^.*/$                               POST   login  login  login  login  404    404     404      url=/admin/no-such-thing/
wagtailadmin_error_test                        GET    skip raises an exception on purpose (Wagtail's 500-page test)
wagtailadmin_error_test                        POST   skip raises an exception on purpose (Wagtail's 500-page test)
# --- member pages: their own records only (another member's record is a 404, never a 403 that
# confirms it exists); staff and editors are not members, so they see an empty page or a 404.
path:learn/my/                                 GET    login  302    302    302    302    302    302     url=/learn/my/
path:learn/my/                                 POST   405    405    405    405    405    405    405     url=/learn/my/
courses:my_questions                           GET    login  200    200    200    200    200    200
courses:my_questions                           POST   405    405    405    405    405    405    405
courses:attempt_detail                         GET    login  200    404    404    404    404    404    pk=@enrolment
courses:attempt_detail                         POST   405    405    405    405    405    405    405    pk=@enrolment
courses:certificate_pdf                        GET    login  200    404    404    404    404    404    number=@certificate.number
courses:certificate_pdf                        POST   405    405    405    405    405    405    405    number=@certificate.number
courses:survey                                 GET    login  200    302    404    404    404    404    course_id=@course
courses:survey                                 POST   login  400    302    404    404    404    404    course_id=@course
courses:question_detail                        GET    login  200    404    404    404    404    404    pk=@question
courses:question_detail                        POST   405    405    405    405    405    405    405    pk=@question
courses:question_ask                           GET    login  405    405    405    405    405    405
courses:question_ask                           POST   login  302    302    302    404    404    404
courses:faq                                    GET    login  200    200    200    200    200    200
courses:faq                                    POST   405    405    405    405    405    405    405
lms:my_training                                GET    login  200    200    200    200    200    200
lms:my_training                                POST   405    405    405    405    405    405    405
members:letter_signin                          GET    200    200    200    200    200    200     200
members:letter_signin                          POST   200    200    200    200    200    200     200
# the privacy notice (個人情報の取扱い): public, for visitors and former members too
members:privacy                                GET    200    200    200    200    200    200     200
members:privacy                                POST   405    405    405    405    405    405     405
members:privacy_organisation                   GET    200    200    200    200    200    200     200    slug=@organisation.slug
members:privacy_organisation                   POST   405    405    405    405    405    405     405    slug=@organisation.slug
members:email_add                              GET    login  302    302    302    302    302     302
members:email_add                              POST   login  302    302    302    302    302     302
members:email_confirm                          GET    login  302    302    302    302    302     302
members:email_confirm                          POST   login  302    302    302    302    302     302
signin_letters:index                           GET    login  login  login  login  deny|302 200  200
signin_letters:index                           POST   login  login  login  login  deny|302 302  302
signin_letters:revoke                          GET    login  login  login  login  405    405     405      member_id=@member
signin_letters:revoke                          POST   login  login  login  login  deny|302 302  404      member_id=@member
mailings:preferences                           GET    login  200    200    200    200    200    200
mailings:preferences                           POST   login  302    302    302    302    302    302
# the player's POST endpoints: only an enrolled member of the course's organisation (an empty POST is
# a 400 or a redirect back with a message); everybody else gets a 404
courses:heartbeat                              GET    405    405    405    405    405    405    405
courses:heartbeat                              POST   404    400    400    404    404    404    404
courses:video_report                           GET    405    405    405    405    405    405    405
courses:video_report                           POST   404    400    400    404    404    404    404
courses:transcript                             GET    405    405    405    405    405    405    405
courses:transcript                             POST   404    302    302    404    404    404    404
courses:lesson_complete                        GET    405    405    405    405    405    405    405
courses:lesson_complete                        POST   404    302    302    404    404    404    404
courses:lesson_quiz                            GET    405    405    405    405    405    405    405
courses:lesson_quiz                            POST   404    302    302    404    404    404    404
courses:final_quiz                             GET    405    405    405    405    405    405    405
courses:final_quiz                             POST   404    302    302    404    404    404    404
# course material (videos, captions): by id only for staff and editors (they preview lessons);
# members fetch them only through the URL a lesson page signs for them (courses/media.py,
# courses/tests/test_media.py tries the signed URLs across organisations)
courses:media_file                             GET    login  404    404    404    200    200    200    pk=@media
courses:media_file                             POST   405    405    405    405    405    405    405    pk=@media
courses:captions                               GET    login  404    404    404    200    200    200    pk=@captions
courses:captions                               POST   405    405    405    405    405    405    405    pk=@captions
# public by design: certificate verification (shows only what identifies the certificate) and the
# signed unsubscribe link from an e-mail (the token is the credential)
# SCORM content origin (courses/scorm/content.py): on the site's own host every answer is 404;
# tests/ and courses/tests/test_scorm_views.py try them on the content origin
courses:scorm_launch                           GET    404    404    404    404    404    404    404      token=x item_id=1
courses:scorm_launch                           POST   405    405    405    405    405    405    405      token=x item_id=1
courses:scorm_file                             GET    404    404    404    404    404    404    404      token=x path=index.html
courses:scorm_file                             POST   405    405    405    405    405    405    405      token=x path=index.html
courses:scorm_commit                           GET    405    405    405    405    405    405    405      token=x item_id=1 session=x
courses:scorm_commit                           POST   404    404    404    404    404    404    404      token=x item_id=1 session=x
# SCORM lessons are uploaded by those who may add pages to the course (editors), not by the office
page:courses.ScormLessonPage                   GET    login  200    200    404    200    200    200
page:courses.ScormLessonPage                   POST   login  200    200    404    200    200    200
courses_admin:scorm_upload                     GET    login  login  login  login  200    302    302
courses_admin:scorm_upload                     POST   login  login  login  login  200    302    302
courses_admin:scorm_import                     GET    login  login  login  login  200    404    404    pk=@scorm_import
courses_admin:scorm_import                     POST   login  login  login  login  302    404    404    pk=@scorm_import
courses_admin:scorm_import_status              GET    login  login  login  login  200    404    404    pk=@scorm_import
courses_admin:scorm_import_status              POST   login  login  login  login  405    405    405    pk=@scorm_import
# members' SCORM runtime records: staff read them (their organisation's); nobody changes them,
# and they have no change history to show
scormstate:inspect                             GET    login  login  login  login  404    200    404
scormstate:inspect                             POST   login  login  login  login  404    405    404
re:^scormstate:(history|history_results|usage)$  GET    login  login  login  login  404    302    404
re:^scormstate:(history|history_results|usage)$  POST   login  login  login  login  404    302    404
courses:verify                                 GET    200    200    200    200    200    200    200
courses:verify                                 POST   405    405    405    405    405    405    405
courses:verify_number                          GET    200    200    200    200    200    200    200    number=@certificate.number
courses:verify_number                          POST   405    405    405    405    405    405    405    number=@certificate.number
mailings:unsubscribe                           GET    200    200    200    200    200    200    200    token=@unsubscribe_token
mailings:unsubscribe                           POST   200    200    200    200    200    200    200    token=@unsubscribe_token
# --- content pages: a course or newsletter of organisation B is not found for A's members (and a
# members-only newsletter not for B's staff); course descriptions are public, lessons need sign-in
page:courses.CourseIndexPage                   GET    200    200    200    200    200    200    200
page:courses.CourseIndexPage                   POST   200    200    200    200    200    200    200
page:courses.CoursePage                        GET    200    200    200    404    200    200    200
page:courses.CoursePage                        POST   200    200    200    404    200    200    200
page:courses.LessonPage                        GET    login  200    200    404    200    200    200
page:courses.LessonPage                        POST   login  200    200    404    200    200    200
page:mailings.NewsletterIndexPage              GET    200    200    200    200    200    200    200
page:mailings.NewsletterIndexPage              POST   200    200    200    200    200    200    200
page:mailings.NewsletterPage                   GET    login  200    200    404    200    200    404
page:mailings.NewsletterPage                   POST   login  200    200    404    200    200    404
# --- staff screens (Wagtail admin). Members and anonymous visitors go to the admin login; editors
# (no permission on these models) are sent back to the dashboard (302) or, for another object, 404.
# Staff of A see A's objects; staff of B get a 404 for them, as if they did not exist.
re:^(lms_(campaign|cycle|elective|exemption|requirement|evidence_pack)|mailings_(audience|consent_wording|mailing|reminder_schedule|reminder_text|settings|suppression)|question_settings|certificate|enrolment|question|member|rosterimport|mailings_reminder_log|scormstate):index(_results)?$  GET   login  login  login  login  302    200    200
re:^(lms_(campaign|cycle|elective|exemption|requirement|evidence_pack)|mailings_(audience|consent_wording|mailing|reminder_schedule|reminder_text|settings|suppression)|question_settings|certificate|enrolment|question|member|rosterimport|mailings_reminder_log|scormstate):index(_results)?$  POST  login  login  login  login  302    405    405
# what staff set up: campaigns and their rules, exemptions, audiences, mailings, reminders, settings
# a mailing is made from a newsletter page, not an empty form: its add URL leads there
mailings_mailing:add                           GET    login  login  login  login  302    302    302
mailings_mailing:add                           POST   login  login  login  login  302    302    302
re:^(lms_(campaign|cycle|elective|exemption|requirement|evidence_pack)|mailings_(audience|consent_wording|mailing|reminder_schedule|reminder_text|settings|suppression)|question_settings):add$  GET   login  login  login  login  302    200    200
re:^(lms_(campaign|cycle|elective|exemption|requirement|evidence_pack)|mailings_(audience|consent_wording|mailing|reminder_schedule|reminder_text|settings|suppression)|question_settings):add$  POST  login  login  login  login  302    200    200
re:^(lms_(campaign|cycle|elective|exemption|requirement)|mailings_(audience|consent_wording|mailing|reminder_schedule|reminder_text|settings|suppression)|question_settings):edit$  GET   login  login  login  login  302    200    404
re:^(lms_(campaign|cycle|elective|exemption|requirement)|mailings_(audience|consent_wording|mailing|reminder_schedule|reminder_text|settings|suppression)|question_settings):edit$  POST  login  login  login  login  302    200    404
re:^(lms_(campaign|cycle|elective|exemption|requirement)|mailings_(audience|consent_wording|mailing|reminder_schedule|reminder_text|settings|suppression)|question_settings):delete$  GET   login  login  login  login  404    200    404
re:^(lms_(campaign|cycle|elective|exemption|requirement)|mailings_(audience|consent_wording|mailing|reminder_schedule|reminder_text|settings|suppression)|question_settings):delete$  POST  login  login  login  login  404    302    404
re:^(lms_(campaign|cycle|elective|exemption|requirement)|mailings_(audience|consent_wording|mailing|reminder_schedule|reminder_text|settings|suppression)|question_settings|enrolment|question|rosterimport):(inspect|history|history_results|usage)$  GET   login  login  login  login  404    200    404
re:^(lms_(campaign|cycle|elective|exemption|requirement)|mailings_(audience|consent_wording|mailing|reminder_schedule|reminder_text|settings|suppression)|question_settings|enrolment|question|rosterimport):(inspect|history|history_results|usage)$  POST  login  login  login  login  404    405    404
# evidence and the roster are never added, edited or deleted here (imports and the player write
# them; a roster import is uploaded through its own screen): staff are refused like editors
re:^(certificate|enrolment|member|rosterimport|mailings_reminder_log|scormstate):(add|edit|delete)$  GET   login  login  login  login  302|404  302    302|404
re:^(certificate|enrolment|member|rosterimport|mailings_reminder_log|scormstate):(add|edit|delete)$  POST  login  login  login  login  302|404  302    302|404
# an evidence pack is made from a cycle (add) and is never edited or deleted
re:^lms_evidence_pack:(edit|delete|usage)$  GET   login  login  login  login  302|404  302|404  302|404
re:^lms_evidence_pack:(edit|delete|usage)$  POST  login  login  login  login  302|404  302|404  302|404
re:^lms_evidence_pack:history(_results)?$  GET   login  login  login  login  404    200    404
re:^lms_evidence_pack:history(_results)?$  POST  login  login  login  login  404    405    404
re:^question:add$                              GET    login  login  login  login  302    302    302
re:^question:add$                              POST   login  login  login  login  302    302    302
question:edit                                  GET    login  login  login  login  302    200    404
question:edit                                  POST   login  login  login  login  302    302    404
question:delete                                GET    login  login  login  login  404    302    404
question:delete                                POST   login  login  login  login  404    302    404
re:^(certificate|member|mailings_reminder_log):(history|history_results|usage|inspect)$  GET   login  login  login  login  302|404  302    302|404
re:^(certificate|member|mailings_reminder_log):(history|history_results|usage|inspect)$  POST  login  login  login  login  302|404  302|405  302|404
enrolment:usage                                GET    login  login  login  login  404    302    404
enrolment:usage                                POST   login  login  login  login  404    302    404
# Organisations (Roster > Organisations) are created and staffed by superusers only.
re:^organisation:                              GET    login  login  login  login  302|404  302|404  302|404
re:^organisation:                              POST   login  login  login  login  302|404  302|404  302|404
member:inspect                                 GET    login  login  login  login  404    200    404
member:inspect                                 POST   login  login  login  login  404    405    404
rosterimport:add                               GET    login  login  login  login  302    200    200
rosterimport:add                               POST   login  login  login  login  302    200    200
rosterimport:usage                             GET    login  login  login  login  404    302    404
rosterimport:usage                             POST   login  login  login  login  404    302    404
rosterimport:errors_csv                        GET    login  login  login  login  404    200    404
rosterimport:errors_csv                        POST   login  login  login  login  405    405    405
rosterimport:progress                          GET    login  login  login  login  404    200    404
rosterimport:progress                          POST   login  login  login  login  404    200    404
rosterimport:apply                             GET    login  login  login  login  405    405    405
rosterimport:apply                             POST   login  login  login  login  404    302    404
rosterimport:cancel                            GET    login  login  login  login  405    405    405
rosterimport:cancel                            POST   login  login  login  login  404    302    404
members_statistics                             GET    login  login  login  login  302    200    200
members_statistics                             POST   login  login  login  login  302    405    405
members_statistics_results                     GET    login  login  login  login  302    200    200
members_statistics_results                     POST   login  login  login  login  302    405    405
members_movements                              GET    login  login  login  login  302    200    200
members_movements                              POST   login  login  login  login  302    405    405
members_movements_results                      GET    login  login  login  login  302    200    200
members_movements_results                      POST   login  login  login  login  302    405    405
members_monthly_report                         GET    login  login  login  login  302    200    200
members_monthly_report                         POST   login  login  login  login  405    405    405
courses_admin:record_completion                GET    login  login  login  login  302    200    200
courses_admin:record_completion                POST   login  login  login  login  302    200    200
# --- personal data: private files (only through the checked download), the audit log, site history
members_private_file                           GET    login  login  login  login  404    200    404    key=members.rosterimport pk=@roster_import
members_private_file                           POST   login  login  login  login  405    405    405    key=members.rosterimport pk=@roster_import
# personal-data requests (開示・訂正・利用停止等): the office's log, scoped like the roster; the
# disclosure file of a member (XLSX, audit-logged) for staff of the member's organisation only
member:disclosure                              GET    login  login  login  login  404    200    404    pk=@member
member:disclosure                              POST   login  login  login  login  405    405    405    pk=@member
re:^personal_data_request:index(_results)?$    GET    login  login  login  login  302    200    200
re:^personal_data_request:index(_results)?$    POST   login  login  login  login  302    405    405
personal_data_request:add                      GET    login  login  login  login  302    200    200
personal_data_request:add                      POST   login  login  login  login  302    200    200
personal_data_request:edit                     GET    login  login  login  login  302    200    404
personal_data_request:edit                     POST   login  login  login  login  302    200    404
re:^personal_data_request:delete$              GET    login  login  login  login  302|404  302|404  302|404
re:^personal_data_request:delete$              POST   login  login  login  login  302|404  302|404  302|404
re:^personal_data_request:(history|history_results|usage)$  GET   login  login  login  login  404    200    404
re:^personal_data_request:(history|history_results|usage)$  POST  login  login  login  login  404    405    404
members_audit_log                              GET    login  login  login  login  302    200    200
members_audit_log                              POST   login  login  login  login  302    405    405
members_audit_log_results                      GET    login  login  login  login  302    200    200
members_audit_log_results                      POST   login  login  login  login  302    405    405
# the second factor's pages: members never reach them; without an authenticator (the matrix's
# users have none) setup answers, verify and the recovery codes lead to setup
members_twofactor:setup                        GET    login  login  login  login  200    200    200
members_twofactor:setup                        POST   login  login  login  login  200    200    200
members_twofactor:verify                       GET    login  login  login  login  302    302    302
members_twofactor:verify                       POST   login  login  login  login  302    302    302
members_twofactor:recovery_codes               GET    login  login  login  login  302    302    302
members_twofactor:recovery_codes               POST   login  login  login  login  302    302    302
members_site_history                           GET    login  login  login  login  200    200    200
members_site_history                           POST   login  login  login  login  405    405    405
members_site_history_results                   GET    login  login  login  login  200    200    200
members_site_history_results                   POST   login  login  login  login  405    405    405
courses_admin:attendance_upload                GET    login  login  login  login  302    200    200
courses_admin:attendance_upload                POST   login  login  login  login  302    200    200
courses_admin:attendance_preview               GET    login  login  login  login  302    200    404    pk=@attendance_import
courses_admin:attendance_preview               POST   login  login  login  login  302    302    404    pk=@attendance_import
courses_admin:certificate_pdf                  GET    login  login  login  login  302    200    404    number=@certificate.number
courses_admin:certificate_pdf                  POST   login  login  login  login  302    200    404    number=@certificate.number
courses_admin:certificates_zip                 GET    login  login  login  login  302    200    200
courses_admin:certificates_zip                 POST   login  login  login  login  302    405    405
lms_reports:cycle_close                        GET    login  login  login  login  302    302    302    cycle_id=@cycle
lms_reports:cycle_close                        POST   login  login  login  login  302    302    302    cycle_id=@cycle
lms_reports:cycle_reopen                       GET    login  login  login  login  302    302    302    cycle_id=@cycle
lms_reports:cycle_reopen                       POST   login  login  login  login  302    302    302    cycle_id=@cycle
re:^lms_reports:                               GET    login  login  login  login  302    200    200
re:^lms_reports:                               POST   login  login  login  login  302    405    405
lms_reports:transcript                         GET    login  login  login  login  302    200    404
lms_reports:survey_results                     GET    login  login  login  login  302    200    404    cycle_id=@cycle course_id=@course
lms_reports:survey_results                     POST   login  login  login  login  302    405    405    cycle_id=@cycle course_id=@course
mailings_admin:send                            GET    login  login  login  login  404    200    404    page_id=@newsletter
mailings_admin:send                            POST   login  login  login  login  404    200    404    page_id=@newsletter
mailings_admin:test                            GET    login  login  login  login  200    302    302    page_id=@newsletter
mailings_admin:test                            POST   login  login  login  login  302    302    302    page_id=@newsletter
mailings_admin:mailing_progress                GET    login  login  login  login  404    200    404    pk=@mailing
mailings_admin:mailing_progress                POST   login  login  login  login  405    405    405    pk=@mailing
mailings_admin:mailing_action                  GET    login  login  login  login  302    405    405    pk=@mailing
mailings_admin:mailing_action                  POST   login  login  login  login  302    404    404    pk=@mailing
mailings_admin:remind                          GET    login  login  login  login  302    404    404
mailings_admin:remind                          POST   login  login  login  login  302    404    404
mailings_admin:suppression_import              GET    login  login  login  login  302    200    200
mailings_admin:suppression_import              POST   login  login  login  login  302    200    200
# bulk exemptions: each staff user picks among their own organisations' campaigns
lms_exemption:import                           GET    login  login  login  login  302    200    200
lms_exemption:import                           POST   login  login  login  login  302    200    200
# --- Wagtail's own admin: group rule ------------------------------------------------------------------------
# Anonymous visitors are sent to the admin login; members (no "access admin") too. Editors and staff
# get what Wagtail's own permissions give them; the harness only requires no server error. POST is
# tried for the roles that must be turned away before any view code runs.
re:^(wagtailadmin|wagtail_bulk_action|wagtailforms|wagtailredirects|wagtailsettings|wagtailembeds|wagtailsnippets:|wagtaildocs|wagtailimages|wagtailsites|wagtailusers_|wagtailmedia)  GET   login  login  login  login  any    any     any
re:^(wagtailadmin|wagtail_bulk_action|wagtailforms|wagtailredirects|wagtailsettings|wagtailembeds|wagtailsnippets:|wagtaildocs|wagtailimages|wagtailsites|wagtailusers_|wagtailmedia)  POST  login  login  login  login  -      -       -
"""
# fmt: on

# Values for URL kwargs that no line names: Wagtail's core admin URLs mostly take a page id.
DEFAULT_KWARGS = {
    "page_id": "@home",
    "parent_page_id": "@home",
    "page_to_move_id": "@home",
    "destination_id": "@home",
    "page_pk": "@home",
    "revision_id": "@home.latest_revision_id",
    "revision_id_a": "earliest",
    "revision_id_b": "latest",
    "content_type_app_name": "training_site",
    "content_type_model_name": "homepage",
    "app_label": "training_site",
    "app_name": "training_site",
    "model_name": "homepage",
    "media_type": "video",
    "object_id": "@home",
    "filter_spec": "original",
    "action_name": "publish",
    "action": "delete",
    "str": "x",
}

# The world object a viewset's ``pk`` names when a line gives none (group rules rely on it).
PK_OBJECTS = {
    "certificate": "certificate",
    "enrolment": "enrolment",
    "question": "question",
    "scormstate": "scorm_state",
    "member": "member",
    "rosterimport": "roster_import",
    "personal_data_request": "personal_data_request",
    "organisation": "organisation",
    "lms_campaign": "campaign",
    "lms_cycle": "cycle",
    "lms_elective": "elective",
    "lms_exemption": "exemption",
    "lms_requirement": "requirement",
    "lms_evidence_pack": "evidence_pack",
    "mailings_audience": "audience",
    "mailings_consent_wording": "consent_wording",
    "mailings_mailing": "mailing",
    "mailings_reminder_log": "reminder_log",
    "mailings_reminder_schedule": "reminder_schedule",
    "mailings_reminder_text": "reminder_text",
    "mailings_settings": "mail_settings",
    "question_settings": "question_settings",
    "mailings_suppression": "suppression",
    # Wagtail's own admin, so its object URLs are tried too (the group rule below)
    "wagtailsites": "site",
    "wagtailusers_users": "user",
    "wagtailusers_groups": "group",
    "wagtailadmin_collections": "collection",
    "wagtailadmin_api:pages": "home",
    "wagtailadmin_api:images": "image",
    "wagtailadmin_api:documents": "document",
    "wagtailimages_chooser": "image",
    "wagtaildocs_chooser": "document",
    "wagtailadmin_pages": "home",
}

# --- parsing ------------------------------------------------------------------------------------------

ANSWERS = {
    "200",
    "201",
    "204",
    "302",
    "400",
    "403",
    "404",
    "405",
    "login",
    "ok",
    "deny",
    "any",
    "-",
}


@dataclasses.dataclass
class Line:
    key: str
    method: str
    expected: dict  # role -> answer token ("" when skipped)
    kwargs: dict
    skip: str = ""
    text: str = ""


def parse(table: str = TABLE) -> list[Line]:
    lines = []
    for raw in table.splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        fields = raw.split()
        key, method, rest = fields[0], fields[1].upper(), fields[2:]
        if method not in ("GET", "POST"):
            raise ValueError(f"bad method in permission table line: {raw!r}")
        if rest and rest[0] == "skip":
            lines.append(Line(key, method, {}, {}, skip=" ".join(rest[1:]), text=raw))
            continue
        answers, extra = rest[: len(ROLES)], rest[len(ROLES) :]
        for answer in answers:
            if not set(answer.split("|")) <= ANSWERS:
                raise ValueError(f"unknown answer {answer!r} in permission table line: {raw!r}")
        if len(answers) != len(ROLES):
            raise ValueError(f"need {len(ROLES)} answers in permission table line: {raw!r}")
        kwargs = dict(token.split("=", 1) for token in extra)
        lines.append(Line(key, method, dict(zip(ROLES, answers, strict=True)), kwargs, text=raw))
    return lines


def lookup(lines: list[Line], key: str, method: str) -> Line | None:
    for line in lines:
        if line.key == key and line.method == method:
            return line
    for line in lines:
        if line.key.startswith("re:") and line.method == method and re.search(line.key[3:], key):
            return line
    return None


def suggest(key: str, method: str, observed: dict, kwargs: dict | None = None) -> str:
    """The table line that would describe what was observed (review before pasting!)."""
    cells = " ".join(f"{observed.get(role, '-'):<6}" for role in ROLES)
    extra = " ".join(f"{k}={v}" for k, v in (kwargs or {}).items())
    return f"{key:<46} {method:<6} {cells} {extra}".rstrip()


# --- the URL configuration ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Endpoint:
    key: str
    route: str
    name: str | None
    kwarg_names: tuple
    positional: bool
    page_model: str = ""

    @property
    def is_admin(self) -> bool:
        return self.route.startswith("admin/")


def _walk(patterns, prefix="", namespace=None):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield prefix + str(entry.pattern), name, entry.pattern


def endpoints() -> list[Endpoint]:
    """Every URL pattern of the project plus every page type of our apps."""
    from wagtail.models import get_page_models

    found = []
    for route, name, pattern in _walk(get_resolver().url_patterns):
        regex = pattern.regex
        kwarg_names = tuple(regex.groupindex)
        positional = regex.groups > len(regex.groupindex)
        found.append(
            Endpoint(
                key=name or f"path:{route}",
                route=route,
                name=name,
                kwarg_names=kwarg_names,
                positional=positional,
            )
        )
    for model in get_page_models():
        if model._meta.app_label in ("training_site", "members", "courses", "lms", "mailings"):
            label = model._meta.label
            found.append(Endpoint(f"page:{label}", "<page>", None, (), False, page_model=label))
    # a name used by two patterns (e.g. with and without an optional id) is tried once per pattern
    return found


# --- making the requests ------------------------------------------------------------------------------


def login_paths() -> set:
    return {
        reverse("account_request_login_code"),
        reverse("account_login"),
        reverse("wagtailadmin_login"),
        reverse("wagtailcore_login"),
    }


def classify(response, logins) -> str:
    status = response.status_code
    if status in (301, 302, 303, 307, 308):
        path = urlsplit(response.get("Location", "")).path
        return "login" if path in logins else "302"
    return str(status)


def matches(expected: str, observed: str) -> bool:
    for option in expected.split("|"):
        if option == observed or option == "-":
            return True
        if option == "any" and not observed.startswith("5") and not observed.startswith("EXC"):
            return True
        if option == "deny" and observed in ("login", "403", "404"):
            return True
        if option == "ok" and (observed in ("302",) or observed.startswith("2")):
            return True
    return False


class NotDerivable(Exception):
    pass


def resolve_value(token: str, scope: dict):
    if not token.startswith("@"):
        return token
    name, _, attr = token[1:].partition(".")
    if name not in scope:
        raise NotDerivable(name)
    obj = scope[name]
    if isinstance(obj, str):  # a world value that is not a model (e.g. a signed token)
        return obj
    return getattr(obj, attr or "pk")


def build_url(endpoint: Endpoint, line: Line, scope: dict) -> str:
    if "url" in line.kwargs:
        return line.kwargs["url"]
    if endpoint.page_model:
        page = next(
            (
                o
                for o in scope.values()
                if getattr(o, "_meta", None) and o._meta.label == endpoint.page_model
            ),
            None,
        )
        if page is None:
            raise NotDerivable(endpoint.page_model)
        return page.relative_url(page.get_site())
    if endpoint.positional:
        raise NotDerivable("positional URL arguments: give url=... in the table")
    kwargs = {}
    for name in endpoint.kwarg_names:
        token = kwarg_token(endpoint, line, name)
        if token is None:
            raise NotDerivable("pk: name the object, e.g. pk=@member")
        kwargs[name] = resolve_value(token, scope)
    if endpoint.name:
        return reverse(endpoint.name, kwargs=kwargs)
    raise NotDerivable("unnamed pattern: give url=... in the table")


def kwarg_token(endpoint: Endpoint, line: Line, name: str) -> str | None:
    """The table's token for one URL kwarg: the line's, a default, or derived from its name."""
    token = line.kwargs.get(name) or DEFAULT_KWARGS.get(name)
    if token:
        return token
    if name == "pk":
        namespace = (endpoint.name or "").rpartition(":")[0]
        return "@" + PK_OBJECTS[namespace] if namespace in PK_OBJECTS else None
    return "@" + name.removesuffix("_id").removesuffix("_pk")


def object_refs(endpoint: Endpoint, line: Line) -> set:
    """The world objects the URL points at (to know whether an organisation B variant exists)."""
    refs = set()
    for name in endpoint.kwarg_names:
        token = kwarg_token(endpoint, line, name) or ""
        if token.startswith("@"):
            refs.add(token[1:].partition(".")[0])
    return refs
