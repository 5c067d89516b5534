"""General enquiries, the office's notification of new questions (at once or a daily digest,
per organisation), and the organisation's FAQ with its Japanese search."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from courses import services
from courses.models import Question, QuestionSettings
from courses.questions import faq_search, normalise
from courses.tasks import question_office_digest
from courses.tests.conftest import login_member
from members.beat import beat_schedule
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def office_mail():
    return [m for m in mail.outbox if m.to == ["office@example.jp"]]


@pytest.fixture
def office(organisation):
    organisation.contact_email = "office@example.jp"
    organisation.save()
    return organisation


def test_a_general_enquiry_reaches_the_office_at_once(
    client, member, office, django_capture_on_commit_callbacks
):
    login_member(client, member)
    page = client.get(reverse("courses:faq")).content.decode()
    assert 'action="/learn/questions/ask/"' in page and 'name="course"' not in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("courses:question_ask"), {"body": "加入証明書を再発行できますか？"}
        )
    question = Question.objects.get()
    assert response.url == reverse("courses:question_detail", args=[question.pk])
    assert question.course is None and question.member == member
    [sent] = office_mail()
    assert "加入証明書を再発行できますか？" in sent.body and "一般のお問い合わせ" in sent.body
    assert f"/admin/courses/questions/edit/{question.pk}/" in sent.body
    assert member.name not in sent.body  # the member number identifies them, not the name
    question.refresh_from_db()
    assert question.office_notified_at is not None
    # the daily run does not tell the office again
    assert question_office_digest.delay().get() == 0 and len(office_mail()) == 1


def test_an_empty_enquiry_goes_back_to_the_form(client, member, office):
    login_member(client, member)
    response = client.post(reverse("courses:question_ask"), {"body": "  "})
    assert response.url == reverse("courses:faq") + "#ask"
    assert not Question.objects.exists()


def test_the_daily_digest_collects_the_days_questions_once(
    member, office, course, django_capture_on_commit_callbacks
):
    QuestionSettings.objects.create(organisation=office, notify=QuestionSettings.Notify.DAILY)
    other = make_member(organisation=office, member_no="000002", email="hanako@example.jp")
    with django_capture_on_commit_callbacks(execute=True):
        services.question_ask(member=member, body="腰痛の予防は？", course=course)
        services.question_ask(member=other, body="加入日の確認をしたい")
    assert office_mail() == []  # not at once
    assert question_office_digest.delay().get() == 2
    [digest] = office_mail()
    assert "2件" in digest.subject
    assert "腰痛の予防は？" in digest.body and "加入日の確認をしたい" in digest.body
    assert question_office_digest.delay().get() == 0 and len(office_mail()) == 1
    assert (
        beat_schedule()["courses-question-office-digest"]["task"]
        == "courses.tasks.question_office_digest"
    )


def test_the_office_address_of_the_setting_wins(member, office, django_capture_on_commit_callbacks):
    QuestionSettings.objects.create(organisation=office, notify_email="questions@example.jp")
    with django_capture_on_commit_callbacks(execute=True):
        services.question_ask(member=member, body="質問です")
    assert [m.to for m in mail.outbox] == [["questions@example.jp"]]


def faq(member, body, answer, **fields):
    return Question.objects.create(
        member=member,
        body=body,
        answer=answer,
        answered_at=timezone.now(),
        faq_published=True,
        **fields,
    )


def test_the_faq_page_searches_japanese_text(client, member, other_organisation):
    faq(member, "腰痛を防ぐには？", "作業の前にストレッチをしましょう。")
    faq(member, "ﾍﾙﾒｯﾄは必要ですか", "高所作業では必ずかぶってください。")
    faq(member, "ID: ABC の確認", "ＡＢＣは加入者番号の先頭です。")
    Question.objects.create(member=member, body="未回答の質問", faq_published=False)
    outsider = make_member(organisation=other_organisation, member_no="B1", email="b@example.jp")
    faq(outsider, "別の団体の質問", "見えません。")
    login_member(client, member)

    page = client.get(reverse("courses:faq")).content.decode()
    assert page.count('class="faq-toggle"') == 3 and "別の団体の質問" not in page
    assert 'aria-controls="faq-a-' in page and "未回答の質問" not in page
    # katakana/hiragana, half/full width and case all match
    for query, expected in (
        ("腰痛", "腰痛を防ぐには？"),
        ("へるめっと", "ﾍﾙﾒｯﾄは必要ですか"),
        ("ヘルメット", "ﾍﾙﾒｯﾄは必要ですか"),
        ("abc", "ID: ABC の確認"),
        ("ストレッチ　作業", "腰痛を防ぐには？"),  # every word, a full-width space between
    ):
        found = client.get(reverse("courses:faq"), {"q": query}).content.decode()
        assert found.count('class="faq-toggle"') == 1 and expected in found, query
        assert "1件" in found
    none = client.get(reverse("courses:faq"), {"q": "存在しない言葉"}).content.decode()
    assert 'class="faq-toggle"' not in none and "0件" in none


def test_normalisation_rules():
    assert normalise("ﾍﾙﾒｯﾄ") == normalise("へるめっと") == normalise("ヘルメット")
    assert normalise("ＡＢＣ") == "abc"

    class Entry:
        def __init__(self, q, a):
            self.body, self.faq_question, self.answer, self.faq_answer = q, "", a, ""

    entries = [Entry("脚立の使い方", "天板には乗らない"), Entry("熱中症", "水分をとる")]
    assert faq_search(entries, "てんばん") == []  # kanji readings are not guessed
    assert faq_search(entries, "天板") == entries[:1]
    assert faq_search(entries, "  ") == entries


def test_staff_set_how_their_office_is_told(client, organisation, other_organisation):
    from tests.factories.quality import make_office_staff

    staff = make_office_staff(username="office", organisations=[organisation])
    client.force_login(staff)
    add = reverse("question_settings:add")
    form = client.get(add).content.decode()
    assert organisation.name in form and other_organisation.name not in form
    response = client.post(
        add, {"organisation": organisation.pk, "notify": "daily", "notify_email": ""}
    )
    assert response.status_code == 302
    assert QuestionSettings.objects.get(organisation=organisation).notify == "daily"
    refused = client.post(add, {"organisation": other_organisation.pk, "notify": "daily"})
    assert (
        refused.status_code == 200
        and not QuestionSettings.objects.filter(organisation=other_organisation).exists()
    )
