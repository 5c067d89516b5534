"""Demo mail: the newsletter archive with two issues, saved audiences, consents, reminders.

Idempotent: pages, audiences and schedules are found by slug/name and updated.
"""

import datetime
import random

from django.db import transaction
from django.utils import timezone

MAIN_ORG_SLUG = "freelance-center"
CAMPAIGN_SLUG = "saigai-boshi"

HEAT_ISSUE = {
    "slug": "2026-07-heatstroke",
    "title": "安全衛生メールマガジン 2026年7月号：熱中症を防ぐ",
    "subject": "【安全衛生メールマガジン7月号】熱中症を防ぐ ― 暑さ指数と応急処置",
    "preheader": "暑さ指数（WBGT）を確かめ、こまめな水分・塩分補給を。おかしいと思ったらすぐ涼しい場所へ。",
    "visibility": "public",
    "body": [
        (
            "text",
            "<p>梅雨明けから8月にかけて、屋外でも屋内でも熱中症が急増します。"
            "一人で作業することの多いフリーランスの方は、体調の変化に気づいてもらいにくいため、"
            "自分で予防し、早めに休むことが何より大切です。</p>",
        ),
        ("heading", "作業の前に「暑さ指数（WBGT）」を確かめる"),
        (
            "text",
            "<p>暑さ指数は、気温だけでなく湿度や日差しの照り返しを取り入れた指標です。"
            "環境省の熱中症予防情報サイトで地域ごとの予報を確認できます。</p>"
            "<ul><li>25以上28未満：警戒（積極的に休憩をとる）</li>"
            "<li>28以上31未満：厳重警戒（激しい作業は避け、休憩を増やす）</li>"
            "<li>31以上：危険（作業の中止や時間帯の変更を検討する）</li></ul>",
        ),
        (
            "callout",
            {
                "kind": "point",
                "title": "職場の熱中症対策は2025年6月から義務になりました",
                "text": "<p>改正労働安全衛生規則により、暑さ指数28以上または気温31度以上の環境で"
                "一定時間を超える作業が見込まれる場合、熱中症のおそれがある人を早く見つけて"
                "報告する体制と、悪化を防ぐ手順を定めて関係者に知らせることが求められています。"
                "元請の現場で作業するときは、報告先と手順を最初に確認しておきましょう。</p>",
            },
        ),
        ("heading", "予防のポイント"),
        (
            "text",
            "<ul><li>のどが渇く前に、20〜30分ごとに水分をとる。汗を多くかくときは塩分も。</li>"
            "<li>通気性のよい服装、帽子、冷却グッズを使う。</li>"
            "<li>暑さに慣れていない時期（作業を始めて1週間ほど）は特に無理をしない。</li>"
            "<li>睡眠不足、二日酔い、朝食抜きは熱中症を招きます。</li></ul>",
        ),
        ("heading", "こんな症状が出たら"),
        (
            "text",
            "<p>めまい・立ちくらみ、筋肉のけいれん（こむら返り）、大量の汗、"
            "頭痛・吐き気・だるさは熱中症のサインです。</p>"
            "<ol><li>すぐに作業をやめ、涼しい場所へ移る。</li>"
            "<li>衣服をゆるめ、首・わきの下・太ももの付け根を冷やす。</li>"
            "<li>自分で飲めるなら水分と塩分をとる。</li></ol>",
        ),
        (
            "callout",
            {
                "kind": "danger",
                "title": "迷わず119番",
                "text": "<p>呼びかけへの反応がおかしい、自分で水が飲めない、けいれんしている――"
                "そのようなときは重症のおそれがあります。すぐに救急車を呼び、"
                "到着まで体を冷やし続けてください。</p>",
            },
        ),
        (
            "text",
            "<p>業務中の熱中症は、特別加入者の労災保険の給付対象となる場合があります。"
            "受診したときは、作業の内容と時間、その日の暑さをメモしておくと手続きが円滑です。"
            "ご不明な点は事務局までお問い合わせください。</p>",
        ),
    ],
}

FALL_ISSUE = {
    "slug": "2026-09-falls",
    "title": "安全衛生メールマガジン 2026年9月号：脚立・はしごからの墜落を防ぐ",
    "subject": "【安全衛生メールマガジン9月号】脚立・はしごからの墜落・転落を防ぐ",
    "preheader": "低い場所からの墜落でも重いけがにつながります。天板に乗らない、開き止めを確実に。",
    "visibility": "members",
    "body": [
        (
            "text",
            "<p>{{ name }} 様</p><p>墜落・転落は、休業4日以上の労働災害で最も多い事故の型の一つです。"
            "2メートルに満たない脚立やはしごからの転落でも、頭を打てば命にかかわります。"
            "内装、設備点検、撮影、配送など、建設業以外の方も脚立を使う場面は多いはずです。</p>",
        ),
        ("heading", "脚立を使うとき"),
        (
            "text",
            "<ul><li>天板の上に乗らない、天板をまたいで作業しない。</li>"
            "<li>開き止めの金具を確実にロックし、平らで滑らない場所に置く。</li>"
            "<li>身を乗り出さない。届かないときは脚立を移動する。</li>"
            "<li>荷物を持って昇り降りしない。両手が使えるようにする。</li></ul>",
        ),
        ("heading", "はしごを使うとき"),
        (
            "text",
            "<ul><li>立てかける角度はおよそ75度。上端は足がかりより60cm以上突き出す。</li>"
            "<li>滑り止めのあるものを使い、可能なら上部を固定するか、もう一人に支えてもらう。</li>"
            "<li>昇り降りは、はしごの方を向いて、3点支持（両手両足のうち3点）で。</li></ul>",
        ),
        (
            "callout",
            {
                "kind": "caution",
                "title": "高さ2メートル以上の作業では",
                "text": "<p>作業床の端や開口部には手すりや囲いが必要です。それが難しい場所では"
                "墜落制止用器具（原則としてフルハーネス型）を使い、取り付ける設備を確かめてから"
                "作業を始めてください。</p>",
            },
        ),
        (
            "text",
            "<p>「災害防止等に関する研修」では、墜落・転落災害の事例と防止策も学べます。"
            "まだ受講が済んでいない方は、期限までに受講してください。</p>",
        ),
    ],
}

CONSENT_SHARE = 0.8  # members who opted in on the enrolment form


def _index(home):
    from .models import NewsletterIndexPage

    index = NewsletterIndexPage.objects.child_of(home).first()
    if index is None:
        index = home.add_child(
            instance=NewsletterIndexPage(
                title="安全衛生メールマガジン",
                slug="mailmagazine",
                intro="毎月、季節の災害防止のポイントや研修のお知らせをお届けしています。",
            )
        )
        index.save_revision().publish()
    return index


def _issue(index, organisation, spec, published_at):
    from .models import NewsletterPage

    page = NewsletterPage.objects.filter(slug=spec["slug"]).first()
    fields = {
        "title": spec["title"],
        "subject": spec["subject"],
        "preheader": spec["preheader"],
        "organisation": organisation,
        "archive_visibility": spec["visibility"],
        "body": spec["body"],
    }
    if page is not None:
        return page  # keep what editors changed since
    page = NewsletterPage(slug=spec["slug"], **fields)
    index.add_child(instance=page)
    revision = page.save_revision()
    revision.publish()
    type(page).objects.filter(pk=page.pk).update(
        first_published_at=published_at, last_published_at=published_at
    )
    return page


def _audiences(organisation, user):
    from lms.models import Campaign

    from .models import Audience

    campaign = Campaign.objects.filter(organisation=organisation, slug=CAMPAIGN_SLUG).first()
    cycle = campaign.cycles.order_by("-opens_on").first() if campaign else None
    specs = [
        ("在籍中の全加入者", "メールマガジンと事務連絡の基本の宛先です。", {}),
        ("首都圏（東京・神奈川・埼玉・千葉）", "首都圏の研修会場のご案内に。",
         {"prefectures": ["11", "12", "13", "14"]}),
        ("建設関連の職種", "墜落・転落防止の号外に。",
         {"occupations": ["土木・建設・建築に付随する業務"]}),
    ]  # fmt: skip
    if cycle is not None:
        specs.append(
            (
                f"{cycle.name} 災害防止研修 未修了",
                "受講期限が近い、または過ぎた方へのご案内に。",
                {"cycle": cycle, "completion": "not_completed"},
            )
        )
    for name, description, filters in specs:
        Audience.objects.update_or_create(
            organisation=organisation,
            name=name,
            defaults={"description": description, "created_by": user, **filters},
        )
    return len(specs)


def _consents(organisation):
    from members.models import Member

    from .models import NewsletterConsent
    from .services import consent_wording_current

    wording = consent_wording_current(organisation=organisation)
    have = set(
        NewsletterConsent.objects.filter(member__organisation=organisation).values_list(
            "member_id", flat=True
        )
    )
    rng = random.Random(7)
    new = []
    for member in Member.objects.filter(organisation=organisation).order_by("member_no"):
        chosen = rng.random() < CONSENT_SHARE or member.email == "demo.member@example.jp"
        if member.pk in have or not chosen:
            continue
        given = timezone.make_aware(datetime.datetime.combine(member.joined_on, datetime.time(10)))
        new.append(
            NewsletterConsent(
                member=member,
                wording=wording,
                given_at=given,
                method=NewsletterConsent.Method.ENROLMENT,
            )
        )
    NewsletterConsent.objects.bulk_create(new)
    return NewsletterConsent.objects.filter(
        member__organisation=organisation, withdrawn_at__isnull=True
    ).count()


def seed(*, stdout, **kwargs) -> None:
    from django.contrib.auth import get_user_model
    from wagtail.models import Site

    from lms.models import Campaign
    from members.models import Organisation

    from .models import OrganisationMailSettings, ReminderSchedule

    organisation = Organisation.objects.filter(slug=MAIN_ORG_SLUG).first()
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    home = site.root_page.specific if site else None
    if organisation is None or home is None:
        stdout.write("  mailings: no demo organisation or site root page; skipped")
        return
    staff_user = get_user_model().objects.filter(username="staff").first()
    with transaction.atomic():
        OrganisationMailSettings.objects.update_or_create(
            organisation=organisation,
            defaults={
                "list_id": "mailmagazine.freelance-center.example.jp",
                "footer_note": "本メールは送信専用ではありません。ご返信いただくと事務局に届きます。",
            },
        )
        index = _index(home)
        for spec, day in ((HEAT_ISSUE, (2026, 7, 1)), (FALL_ISSUE, (2026, 9, 1))):
            published = timezone.make_aware(datetime.datetime(*day, 9, 0))
            _issue(index, organisation, spec, published)
        audiences = _audiences(organisation, staff_user)
        consents = _consents(organisation)
        for campaign in Campaign.objects.filter(organisation=organisation):
            ReminderSchedule.objects.get_or_create(campaign=campaign)
    stdout.write(
        f"  newsletter archive: {index.url} (2 issues), audiences: {audiences}, "
        f"newsletter subscribers: {consents}"
    )
