"""個人情報の取扱い: a public page per organisation, linked from every footer and the sign-in page."""

import pytest
from django.urls import reverse

from tests.factories import make_organisation
from tests.factories.quality import member_with_login

pytestmark = pytest.mark.django_db


def test_a_visitor_sees_the_only_organisations_standard_notice(client, organisation):
    organisation.contact_phone = "03-1234-5678"
    organisation.save()
    response = client.get(reverse("members:privacy"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "個人情報の取扱い" in html
    assert organisation.name in html
    assert "利用目的" in html
    # the retention period and what anonymisation keeps are stated
    assert "5年" in html and "修了証番号" in html
    assert 'href="mailto:office@example.jp"' in html
    assert "03-1234-5678" in html


def test_with_several_organisations_a_visitor_chooses_and_sees_its_own_text(
    client, organisation, other_organisation
):
    other_organisation.privacy_notice = "<h2>利用目的</h2><p>別の団体の独自の文面です。</p>"
    other_organisation.save()
    html = client.get(reverse("members:privacy")).content.decode()
    assert reverse("members:privacy_organisation", args=[organisation.slug]) in html
    assert reverse("members:privacy_organisation", args=[other_organisation.slug]) in html
    own = client.get(reverse("members:privacy_organisation", args=[other_organisation.slug]))
    assert "別の団体の独自の文面です。" in own.content.decode()
    standard = client.get(reverse("members:privacy_organisation", args=[organisation.slug]))
    assert "利用目的" in standard.content.decode()
    assert "別の団体の独自の文面です。" not in standard.content.decode()
    assert client.get("/members/privacy/no-such-group/").status_code == 404


def test_a_member_sees_their_own_organisations_notice(client, organisation, other_organisation):
    other_organisation.privacy_notice = "<p>別の団体の文面</p>"
    other_organisation.save()
    member = member_with_login(
        organisation=other_organisation, member_no="B1", email="b1@example.jp", name="会員 二郎"
    )
    client.force_login(member.user)
    html = client.get(reverse("members:privacy")).content.decode()
    assert "別の団体の文面" in html
    assert organisation.name not in html


@pytest.mark.parametrize(
    "url", ["/accounts/login/code/", "/accounts/login/", "/members/letter/", "/learn/verify/"]
)
def test_the_notice_is_linked_from_the_footer_and_the_sign_in_pages(client, organisation, url):
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="footer-privacy"' in html
    assert f'href="{reverse("members:privacy")}"' in html
    if "login" in url or "letter" in url:
        assert 'data-testid="signin-privacy"' in html


def test_a_former_member_may_still_read_it(client, organisation, settings):
    import datetime

    from tests.factories.lms import member_withdraws

    member = member_with_login(
        organisation=organisation, member_no="W1", email="w1@example.jp", name="元 会員"
    )
    member_withdraws(member=member, on=datetime.date.today() - datetime.timedelta(days=10))
    client.force_login(member.user)
    assert client.get(reverse("members:privacy")).status_code == 200


def test_superusers_edit_the_notice_and_the_retention_on_the_organisation(
    client, organisation, django_user_model
):
    admin = django_user_model.objects.create_superuser("root", "root@example.jp", "pw-root-123")
    client.force_login(admin)
    html = client.get(reverse("organisation:edit", args=[organisation.pk])).content.decode()
    assert 'name="privacy_notice"' in html
    assert 'name="anonymise_after_days"' in html
    assert make_organisation(slug="third").anonymise_after_days == 1826


def test_a_retention_under_a_year_is_refused(client, organisation, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.jp", "pw-root-123")
    client.force_login(admin)
    response = client.post(
        reverse("organisation:edit", args=[organisation.pk]),
        {"name": organisation.name, "slug": organisation.slug, "anonymise_after_days": "30"},
    )
    assert response.status_code == 200
    assert "365" in response.content.decode()
    organisation.refresh_from_db()
    assert organisation.anonymise_after_days == 1826
