"""Demo courses, written for members of a special-enrollment group (our own words).

Idempotent: pages, documents and media are found by slug/title and created only once.
"""

import datetime
import io
import uuid
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import transaction

HERE = Path(__file__).resolve().parent
DEMO_MEDIA = HERE / "demo_media"
DEMO_SCORM = HERE / "demo_scorm" / "kyatatsu"
TEXT_DOCUMENT_TITLE = "特別加入団体用テキスト（加入者のしおり）"
VIDEO_TITLE = "熱中症の初期症状と対処（8秒）"


# --- block helpers ------------------------------------------------------------------------


def _id():
    return str(uuid.uuid4())


def h(text):
    return {"type": "heading", "value": text, "id": _id()}


def p(*paragraphs):
    return {"type": "text", "value": "".join(paragraphs), "id": _id()}


def callout(kind, text, title=""):
    return {"type": "callout", "value": {"kind": kind, "title": title, "text": text}, "id": _id()}


def q(question, choices, *, explanation="", multiple=False):
    """choices: list of (text, correct)."""
    return {
        "type": "item",
        "id": _id(),
        "value": {
            "question": question,
            "kind": "multiple" if multiple else "single",
            "choices": [
                {"type": "item", "id": _id(), "value": {"text": t, "correct": c}}
                for t, c in choices
            ],
            "explanation": explanation,
        },
    }


def quiz(*questions, title="確認テスト", pass_mark=80, shuffle=True):
    return {
        "type": "quiz",
        "id": _id(),
        "value": {
            "title": title,
            "pass_mark": pass_mark,
            "shuffle": shuffle,
            "questions": list(questions),
        },
    }


def final_quiz_value(*questions, title="修了テスト", shuffle=True):
    return {"title": title, "shuffle": shuffle, "questions": list(questions)}


# --- content ------------------------------------------------------------------------------

HEAT_TRANSCRIPT = (
    "<p>（ナレーション・字幕）暑い日の作業では、のどが渇く前に水分と塩分をとりましょう。"
    "めまい・立ちくらみ・手足のしびれは熱中症の初期症状です。"
    "おかしいと思ったら作業を止め、涼しい場所で体を冷やします。</p>"
    "<p>（画面）青い背景に「水分・塩分をこまめに」の文字と経過秒数が表示されます。</p>"
)


def lesson_illness(video_id, captions_id):
    return [
        p(
            "<p>仕事が原因でかかる病気（業務上の疾病）は、けがと違って少しずつ進むため、"
            "気づいたときには重くなっていることがあります。このレッスンでは、加入者の皆さんに"
            "多い4つのリスク――<b>熱中症・腰痛・情報機器（VDT）作業・メンタルヘルス</b>――と、"
            "今日からできる予防を学びます。</p>"
        ),
        h("熱中症"),
        {
            "type": "video",
            "id": _id(),
            "value": {
                "title": "熱中症の初期症状と対処",
                "media": video_id,
                "embed": None,
                "captions": captions_id,
                "transcript": HEAT_TRANSCRIPT,
                "allow_seeking": False,
            },
        },
        p(
            "<ul><li>のどが渇く前から、20〜30分ごとにコップ1杯程度の水分と、塩分（経口補水液や"
            "塩あめなど）をとります。</li>"
            "<li>暑さに体が慣れるまで（暑熱順化）には1週間ほどかかります。梅雨明けや休み明けは"
            "作業時間を短めにし、休憩を増やしましょう。</li>"
            "<li>暑さ指数（WBGT）を確認し、高い日は作業の時間帯をずらす、日陰やファンを用意するなど"
            "の工夫をします。</li></ul>"
        ),
        callout(
            "danger",
            "<p>呼びかけへの反応がおかしい、自分で水を飲めない、まっすぐ歩けないときは重症の"
            "おそれがあります。ためらわず119番通報し、救急車を待つ間も首・わきの下・足の付け根を"
            "冷やし続けてください。</p>",
            title="すぐに119番",
        ),
        callout(
            "point",
            "<p>2025年6月から、事業者には熱中症のおそれがある作業での報告体制と対応手順の整備が"
            "義務づけられました。一人で働く方も、体調が悪くなったときに誰に連絡するか、"
            "あらかじめ決めておきましょう。</p>",
        ),
        h("腰痛"),
        p(
            "<p>腰痛は業務上の疾病の中で最も多いものの一つです。重い物を扱うときは、</p>"
            "<ul><li>膝を曲げて腰を落とし、荷物を体に近づけて持ち上げる</li>"
            "<li>腰をひねらず、足の向きを変えて方向転換する</li>"
            "<li>人力で扱う重さは体重のおおむね40％以下を目安にし、それを超えるときは台車や"
            "複数人で運ぶ</li></ul>"
            "<p>長時間同じ姿勢が続く作業では、1時間に1回は立ち上がって体を動かしましょう。</p>"
        ),
        h("情報機器（VDT）作業"),
        p(
            "<p>パソコンやタブレットの作業では、目の疲れ・肩こり・腰痛が起こりやすくなります。"
            "国のガイドラインでは、<b>連続作業は1時間を超えないようにし、次の作業までに10〜15分の"
            "休止</b>を、作業中にも1〜2回の小休止をとることが勧められています。</p>"
            "<ul><li>画面は目から40cm以上離し、画面の上端が目の高さと同じかやや下になるように"
            "します。</li><li>照明の映り込みを避け、文字が小さすぎないよう拡大表示を使います。</li></ul>"
        ),
        h("メンタルヘルス"),
        p(
            "<p>一人で仕事を抱えるフリーランスや一人親方は、納期や収入の不安、孤立からストレスを"
            "ためがちです。眠れない、食欲がない、楽しめていたことが楽しめない状態が2週間以上続く"
            "ときは、早めに医療機関や相談窓口（厚生労働省の「こころの耳」など）に相談しましょう。"
            "取引先とのトラブルは「フリーランス・トラブル110番」に相談できます。</p>"
        ),
        quiz(
            q(
                "熱中症の疑いがある人が、呼びかけにはっきり答えず、自分で水を飲めません。"
                "まずすることは？",
                [
                    ("119番通報し、体を冷やし続ける", True),
                    ("水を無理に飲ませ、しばらく様子を見る", False),
                    ("車で自宅まで送る", False),
                ],
                explanation="意識がおかしい・自力で飲めないのは重症のサインです。すぐ119番通報します。",
            ),
            q(
                "腰痛を防ぐ荷物の持ち上げ方として正しいものをすべて選んでください。",
                [
                    ("膝を曲げて腰を落とす", True),
                    ("荷物を体に近づける", True),
                    ("腰をひねって向きを変える", False),
                ],
                explanation="ひねり動作は腰に大きな負担をかけます。足の向きを変えましょう。",
                multiple=True,
            ),
            q(
                "パソコン作業の休止の目安として適切なものは？",
                [
                    ("連続1時間以内に、10〜15分の休止をとる", True),
                    ("3時間続けてから30分休む", False),
                    ("疲れを感じるまで休まない", False),
                ],
                explanation="ガイドラインでは、連続作業が1時間を超えないようにし、10〜15分の休止をとることが勧められています。",
            ),
        ),
    ]


def lesson_5s():
    return [
        p(
            "<p>つまずき・転倒は、業種を問わず最も多い労働災害です。その多くは、通路に置かれた"
            "物、床を這うコード、こぼれた水や油が原因です。作業場所を<b>整理・整頓・清潔</b>に保つ"
            "ことは、最も手軽で効果の大きい災害防止策です。</p>"
        ),
        h("整理：要る物と要らない物を分け、要らない物を処分する"),
        p(
            "<p>作業に必要な物だけを残し、使わない物は捨てるか別の場所に保管します。"
            "「いつか使うかも」は、物が増える一番の原因です。</p>"
        ),
        h("整頓：必要な物を、決めた場所に、すぐ取り出せるように置く"),
        p(
            "<p>道具や材料の置き場所を決め、表示をして、使ったら必ず戻します。"
            "重い物は腰の高さに、よく使う物は手の届く範囲に置くと、腰痛や転落の防止にもなります。"
            "通路や出入口、消火器や分電盤の前には物を置きません。</p>"
        ),
        h("清掃と清潔：汚れをなくし、その状態を保つ"),
        p(
            "<p>こぼれた水・油・粉じんはすぐに拭き取ります。清潔とは、整理・整頓・清掃が"
            "いつも保たれている状態のことです。作業の終わりに5分間の片付けを習慣にしましょう。</p>"
        ),
        callout(
            "caution",
            "<p>自宅が仕事場の方も同じです。延長コードは通路を横切らないように配線し、"
            "たこ足配線やほこりのたまったコンセントは火災の原因になるので見直しましょう。</p>",
        ),
        quiz(
            q(
                "「整理」の意味として正しいものは？",
                [
                    ("要る物と要らない物を分け、要らない物を処分すること", True),
                    ("物をきれいに並べること", False),
                    ("床を掃除すること", False),
                ],
                explanation="並べる・置き場所を決めるのは「整頓」です。",
            ),
            q(
                "通路に物を置かない理由として最も大切なものは？",
                [
                    ("つまずき・転倒や避難の妨げになるから", True),
                    ("見た目が悪いから", False),
                    ("物が汚れるから", False),
                ],
            ),
            q(
                "整頓で、道具の置き場所について大切なことをすべて選んでください。",
                [
                    ("置き場所を決めて表示する", True),
                    ("使ったら元の場所に戻す", True),
                    ("空いている場所に置く", False),
                ],
                multiple=True,
            ),
        ),
    ]


def lesson_first_aid():
    return [
        p(
            "<p>事故の現場では、最初の数分の行動が命を左右します。"
            "あわてずに動けるよう、手順を覚えておきましょう。</p>"
        ),
        h("まず安全を確かめ、119番"),
        p(
            "<p>二次災害を防ぐため、機械を止める、車の通行を止めるなど周囲の安全を確かめてから"
            "近づきます。119番では「救急です」と伝え、<b>場所（住所や目印）</b>、何が起きたか、"
            "けが人の人数と様子、通報者の名前と電話番号を落ち着いて伝えます。"
            "通信指令員の指示に従い、電話は切らずに手当てを続けます。</p>"
        ),
        h("反応がなく、普段どおりの呼吸がないとき：胸骨圧迫とAED"),
        p(
            "<ul><li>胸の真ん中を、強く（約5cm沈むまで）、速く（1分間に100〜120回）、"
            "絶え間なく押します。</li>"
            "<li>AEDが届いたら電源を入れ、音声の指示に従って電極パッドを貼ります。"
            "電気ショックの後もすぐに胸骨圧迫を再開します。</li>"
            "<li>救急隊に引き継ぐまで続けます。</li></ul>"
        ),
        h("出血しているとき：直接圧迫止血"),
        p(
            "<p>清潔なガーゼやタオルを傷口に当て、手のひらで強く押さえ続けます。"
            "血液に直接触れないよう、ビニール手袋やレジ袋を使いましょう。"
            "血が止まらないときは、さらに布を重ねて押さえ、119番通報します。</p>"
        ),
        h("避難と作業の中止"),
        p(
            "<p>地震・火災・ガス漏れなどで危険があるときは、作業を止めて避難経路から避難します。"
            "屋外の高い所での作業は、強風（10分間の平均風速が毎秒10m以上）、大雨（1回の降雨量が"
            "50mm以上）、大雪（1回の降雪量が25cm以上）のときは中止するのが決まりです。"
            "雷が聞こえたら、すぐに建物や車の中に避難しましょう。</p>"
        ),
        callout(
            "danger",
            "<p>「自分は大丈夫」と作業を続けることが、最も危険です。危ないと感じたら、"
            "取引先や元請けに遠慮せず作業を止めてください。</p>",
            title="迷ったら止める",
        ),
        quiz(
            q(
                "119番通報で最初に伝えることは？",
                [("救急であること", True), ("自分の生年月日", False), ("取引先の名前", False)],
                explanation="「火事ですか、救急ですか」と聞かれます。次に場所を伝えます。",
            ),
            q(
                "胸骨圧迫の速さの目安は？",
                [
                    ("1分間に100〜120回", True),
                    ("1分間に30〜40回", False),
                    ("1分間に200回以上", False),
                ],
            ),
            q(
                "出血の手当てとして正しいものをすべて選んでください。",
                [
                    ("清潔な布を傷口に当てて強く押さえる", True),
                    ("手袋やビニール袋で血液に直接触れないようにする", True),
                    ("傷口を押さえず乾かす", False),
                ],
                multiple=True,
            ),
        ),
    ]


def lesson_falls():
    return [
        p(
            "<p>建設関連の作業で最も多い死亡災害は「墜落・転落」です。"
            "低い場所からの転落でも、頭を打てば命にかかわります。</p>"
        ),
        h("高さ2m以上は作業床と手すり、それが無理なら墜落制止用器具"),
        p(
            "<ul><li>高さ2m以上の場所では、手すり付きの作業床を使うのが原則です。</li>"
            "<li>作業床を設けられないときは、フルハーネス型の墜落制止用器具を使い、"
            "確実な取付設備にフックを掛けます。</li>"
            "<li>脚立は天板に乗らず、開き止めを確実に掛けます。はしごは上端を60cm以上突き出し、"
            "約75度の角度で立て、下で支えてもらいます。</li></ul>"
        ),
        callout("danger", "<p>保護帽（ヘルメット）はあごひもまで締めて初めて効果があります。</p>"),
        h("屋外作業の熱中症"),
        p(
            "<p>屋根の上や炎天下の現場は、地面より暑くなります。作業前に暑さ指数を確認し、"
            "休憩場所と飲み物を確保しましょう。体調が悪い日は高所作業をしないことも大切な判断です。</p>"
        ),
        quiz(
            q(
                "高さ2m以上で作業床を設けられないときに使うものは？",
                [("墜落制止用器具（フルハーネス型）", True), ("軍手", False), ("腰袋", False)],
            ),
            q(
                "脚立の使い方として正しいものは？",
                [
                    ("天板に乗らず、開き止めを掛ける", True),
                    ("天板に立って作業する", False),
                    ("開き止めは外しておく", False),
                ],
            ),
        ),
    ]


def lesson_driving():
    return [
        p(
            "<p>配送や移動で車を運転する方にとって、交通事故は最大のリスクです。"
            "また、荷物の積み下ろしでは腰痛や荷台からの転落が起こります。</p>"
        ),
        h("交通事故を防ぐ"),
        p(
            "<ul><li>運転前にタイヤ・ブレーキ・灯火類を点検し、体調を確かめます。</li>"
            "<li>運転中のスマートフォンの操作は重い違反です。配達アプリの確認は必ず停車してから。</li>"
            "<li>2時間に1回は休憩をとり、眠気を感じたらすぐに安全な場所で仮眠します。</li>"
            "<li>前日の飲酒が残っていないか確かめましょう。</li></ul>"
        ),
        h("荷役作業（積み下ろし）"),
        p(
            "<ul><li>荷台に上り下りするときは昇降設備を使い、飛び降りません。</li>"
            "<li>荷台での作業では保護帽を着用します。</li>"
            "<li>重い荷物は台車を使い、膝を曲げて体に近づけて持ちます。</li></ul>"
        ),
        quiz(
            q(
                "配達中に配達アプリを確認するときは？",
                [
                    ("安全な場所に停車してから", True),
                    ("信号待ちの間に", False),
                    ("運転しながら", False),
                ],
            ),
            q(
                "荷台から降りるときの正しい方法は？",
                [("昇降設備を使って降りる", True), ("荷台から飛び降りる", False)],
            ),
        ),
    ]


def lesson_desk():
    return [
        p(
            "<p>デザイン、執筆、開発、翻訳など、パソコンに向かう時間が長い方のためのレッスンです。</p>"
        ),
        h("情報機器作業の基本"),
        p(
            "<ul><li>連続作業は1時間以内にし、10〜15分の休止をとります。タイマーを使うと続けやすく"
            "なります。</li><li>いすは足の裏全体が床に着く高さに、画面は目から40cm以上離します。</li>"
            "<li>ノートパソコンは外付けキーボードや台を使い、画面を目の高さに近づけます。</li></ul>"
        ),
        h("長時間労働と健康"),
        p(
            "<p>納期前の徹夜や休日のない働き方が続くと、脳・心臓の病気や心の不調のリスクが"
            "高まります。1か月の残業に当たる時間が80時間を超えるような働き方は、健康への影響が"
            "強く指摘されています。受注量を調整する、納期の交渉をする、1日の終わりの時刻を決める"
            "など、自分の働く時間を自分で守りましょう。</p>"
        ),
        callout(
            "point",
            "<p>7時間前後の睡眠は、集中力と健康の土台です。寝る前1時間は画面から離れましょう。</p>",
        ),
        quiz(
            q(
                "画面と目の距離の目安は？",
                [("40cm以上", True), ("20cm程度", False), ("10cm程度", False)],
            ),
            q(
                "健康への影響が強く指摘される、1か月の時間外労働に当たる時間の目安は？",
                [("80時間超", True), ("10時間", False), ("20時間", False)],
            ),
        ),
    ]


def lesson_special_enrollment(document_id):
    return [
        p(
            "<p>労災保険は、本来、会社などに雇われて働く人のための制度です。"
            "しかし、フリーランスや一人親方、中小事業主など、雇われていなくても労働者と同じように"
            "危険な仕事をしている人がいます。こうした人が任意で加入できるのが<b>特別加入</b>です。</p>"
        ),
        h("特別加入のしくみ"),
        p(
            "<ul><li>特別加入は、国から承認を受けた<b>特別加入団体</b>を通じて申し込みます。"
            "当団体はその一つです。</li>"
            "<li>保険料は、ご自身で選んだ<b>給付基礎日額</b>（3,500円〜25,000円）×365日×保険料率で"
            "決まります。給付基礎日額は、休業したときの補償額の基礎になります。</li>"
            "<li>補償されるのは、加入のときに申請した業務とその範囲の中で起きたけがや病気です。"
            "業務の内容が変わったときは、必ず団体に届け出てください。</li>"
            "<li>2024年11月から、特定フリーランス事業を行う方も特別加入できるようになりました。</li>"
            "<li>特別加入団体には、加入者の災害を防ぐための取り組み（研修など）を行うことが"
            "求められています。この研修もその一つです。</li></ul>"
        ),
        {
            "type": "document",
            "id": _id(),
            "value": {
                "document": document_id,
                "title": "特別加入団体用テキスト（PDF）をダウンロード",
                "description": "加入のしくみ、保険料、事故のときの手続きをまとめた冊子です。",
            },
        },
        quiz(
            q(
                "特別加入で補償されるのはどんなけがや病気ですか？",
                [
                    ("加入時に申請した業務の範囲で起きたもの", True),
                    ("私生活を含むすべてのもの", False),
                ],
            ),
            q(
                "給付基礎日額について正しいものは？",
                [
                    ("自分で選び、保険料と補償額の基礎になる", True),
                    ("全員同じ額に決められている", False),
                ],
            ),
            pass_mark=100,
        ),
    ]


def lesson_after_accident():
    return [
        h("仕事中・通勤中にけがをしたら"),
        p(
            "<ol><li><b>安全の確保と手当て</b>：必要なら119番通報します。</li>"
            "<li><b>受診</b>：できるだけ労災保険指定医療機関を受診し、受付で「仕事中のけが（労災）"
            "です」「特別加入しています」と伝えます。健康保険証は使いません。</li>"
            "<li><b>団体に連絡</b>：加入者番号、けがの日時・場所・作業内容をお知らせください。"
            "請求書の書き方は団体が案内します。</li>"
            "<li><b>記録を残す</b>：事故の状況（日時、場所、していた作業、目撃者）をメモし、"
            "可能なら現場の写真を撮っておきます。</li></ol>"
        ),
        callout(
            "caution",
            "<p>健康保険証で受診してしまった場合も、あわてずに団体へ連絡してください。"
            "切り替えの手続きを案内します。</p>",
        ),
        quiz(
            q(
                "仕事中のけがで病院にかかるとき、受付で伝えることは？",
                [
                    ("労災であり、特別加入していること", True),
                    ("健康保険証を使うこと", False),
                ],
            ),
            q(
                "事故の後、団体に連絡するときに伝えることをすべて選んでください。",
                [
                    ("加入者番号", True),
                    ("けがの日時・場所・作業内容", True),
                    ("取引先への請求額", False),
                ],
                multiple=True,
            ),
        ),
    ]


# --- files --------------------------------------------------------------------------------


def build_text_pdf() -> bytes:
    """The group's text (特別加入団体用テキスト), generated with ReportLab."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    from .certificates import font_name

    font = font_name()
    sections = [
        ("特別加入団体用テキスト", ["加入者のしおり（デモ版）"]),
        (
            "1. 特別加入とは",
            [
                "労災保険は本来、雇われて働く人のための制度です。",
                "フリーランス、一人親方、中小事業主なども、特別加入団体を通じて",
                "任意に加入できます。これを特別加入といいます。",
            ],
        ),
        (
            "2. 保険料と給付基礎日額",
            [
                "保険料 = 給付基礎日額 × 365日 × 保険料率",
                "給付基礎日額は3,500円から25,000円の間で選びます。",
                "休業（補償）給付などの額の基礎になります。",
            ],
        ),
        (
            "3. 補償の範囲",
            [
                "加入時に申請した業務とその範囲内で起きたけがや病気が対象です。",
                "業務の内容が変わったら、必ず団体に届け出てください。",
            ],
        ),
        (
            "4. 事故にあったら",
            [
                "(1) 安全を確保し、必要なら119番通報する",
                "(2) 労災保険指定医療機関で「労災です」と伝えて受診する（健康保険証は使わない）",
                "(3) 加入者番号と事故の状況を団体に連絡する",
                "(4) 日時・場所・作業内容・目撃者を記録し、写真を残す",
            ],
        ),
        (
            "5. 研修と情報提供",
            [
                "団体は毎年6月〜7月に「災害防止等に関する研修」を行います。",
                "業務別の研修、メールマガジン、質問への回答も行っています。",
            ],
        ),
    ]
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4)
    c.setTitle("特別加入団体用テキスト")
    width, height = A4
    y = height - 30 * mm
    for heading, lines in sections:
        c.setFont(font, 16 if heading.startswith("特別") else 13)
        c.drawString(20 * mm, y, heading)
        y -= 9 * mm
        c.setFont(font, 10.5)
        for line in lines:
            c.drawString(24 * mm, y, line)
            y -= 6.5 * mm
        y -= 6 * mm
    c.showPage()
    c.save()
    return buffer.getvalue()


def _document(title, filename, data):
    from wagtail.documents import get_document_model

    Document = get_document_model()
    document = Document.objects.filter(title=title).first()
    if document is None:
        document = Document(title=title)
        document.file.save(filename, ContentFile(data), save=False)
        document.save()
    return document


def _video():
    from wagtailmedia.models import get_media_model

    Media = get_media_model()
    media = Media.objects.filter(title=VIDEO_TITLE).first()
    if media is None:
        from .media import probe_duration

        path = DEMO_MEDIA / "heatstroke.webm"
        media = Media(title=VIDEO_TITLE, type="video", duration=probe_duration(str(path)) or 0)
        media.width, media.height = 320, 180
        media.file.save(
            "heatstroke.webm",
            ContentFile((DEMO_MEDIA / "heatstroke.webm").read_bytes()),
            save=False,
        )
        media.save()
    return media


# --- pages --------------------------------------------------------------------------------


def _child(parent, model, slug, **fields):
    existing = model.objects.child_of(parent).filter(slug=slug).first()
    if existing:
        return existing, False
    page = model(slug=slug, **fields)
    parent.add_child(instance=page)
    page.save_revision().publish()
    page.refresh_from_db()
    return page, True


COURSES = "courses"


DEMO_SURVEY = [
    {
        "type": "meaningful",
        "value": {"question": "この研修は有意義でしたか。"},
        "id": "6f1c1d2e-0b1a-4c53-9a51-5b0e8d3e9a01",
    },
    {
        "type": "choice",
        "value": {
            "question": "特に役に立った内容を選んでください（いくつでも）。",
            "choices": [
                "業務上の疾病とその予防",
                "整理・整頓・清潔の保持",
                "事故のときの応急手当と避難",
            ],
            "multiple": True,
            "required": True,
        },
        "id": "6f1c1d2e-0b1a-4c53-9a51-5b0e8d3e9a02",
    },
    {
        "type": "choice",
        "value": {
            "question": "受講時間の長さはいかがでしたか。",
            "choices": ["短い", "ちょうどよい", "長い"],
            "multiple": False,
            "required": False,
        },
        "id": "6f1c1d2e-0b1a-4c53-9a51-5b0e8d3e9a03",
    },
    {
        "type": "text",
        "value": {"question": "ご意見・ご感想をお聞かせください。", "required": False},
        "id": "6f1c1d2e-0b1a-4c53-9a51-5b0e8d3e9a04",
    },
]


def seed(*, stdout, **options):
    from wagtail.models import Site

    from .models import CourseIndexPage, CoursePage, LessonPage

    home = Site.objects.get(is_default_site=True).root_page
    with transaction.atomic():
        media = _video()
        captions = _document(
            "字幕：熱中症の初期症状と対処",
            "heatstroke.vtt",
            (DEMO_MEDIA / "heatstroke.vtt").read_bytes(),
        )
        text = _document(TEXT_DOCUMENT_TITLE, "tokubetsu-kanyu-text.pdf", build_text_pdf())
        index, _ = _child(
            home,
            CourseIndexPage,
            COURSES,
            title="研修",
            intro="<p>毎年の「災害防止等に関する研修」、業務別の研修、加入時のオリエンテーションを"
            "スマートフォンで受講できます。</p>",
        )
        plan = [
            (
                "saigai-boshi",
                {
                    "title": "災害防止等に関する研修",
                    "summary": "すべての加入者が毎年受講する研修です。業務による病気の予防、整理・整頓・清潔、"
                    "事故のときの応急手当と避難を学びます。",
                    "audience_note": "すべての加入者（毎年6月〜7月）",
                    "estimated_minutes": 10,  # its lessons take about 6 minutes of reading, + the quizzes
                    "survey_mode": "required",
                    "survey": DEMO_SURVEY,
                },
                [
                    (
                        "gyomu-shippei",
                        "業務上の疾病とその予防",
                        "熱中症・腰痛・VDT作業・メンタルヘルス",
                        lambda: lesson_illness(media.pk, captions.pk),
                        None,
                    ),
                    (
                        "seiri-seiton",
                        "整理・整頓・清潔の保持",
                        "つまずき・転倒を防ぐ職場づくり",
                        lesson_5s,
                        None,
                    ),
                    (
                        "kyukyu-hinan",
                        "事故のときの応急手当と避難",
                        "119番、AED、止血、作業を止める判断",
                        lesson_first_aid,
                        None,
                    ),
                ],
            ),
            (
                "kensetsu",
                {
                    "title": "業務別研修：建設関連作業",
                    "summary": "墜落・転落と屋外の熱中症を防ぐ。",
                    "audience_note": "土木・建設・建築に関わる作業をする方",
                    "estimated_minutes": 3,
                },
                [("tsuiraku", "墜落・転落と熱中症の防止", "", lesson_falls, None)],
            ),
            (
                "haiso-unten",
                {
                    "title": "業務別研修：配送・運転",
                    "summary": "交通事故と荷役作業の災害を防ぐ。",
                    "audience_note": "配送・運送など車を運転する方",
                    "estimated_minutes": 3,
                },
                [("kotsu-niyaku", "交通事故と荷役作業の災害防止", "", lesson_driving, None)],
            ),
            (
                "desk-work",
                {
                    "title": "業務別研修：デスクワークのフリーランス",
                    "summary": "情報機器作業と長時間労働から健康を守る。",
                    "audience_note": "パソコン作業が中心の方（開発・設計、執筆・編集、デザインなど）",
                    "estimated_minutes": 3,
                },
                [("vdt-chojikan", "情報機器作業と長時間労働", "", lesson_desk, None)],
            ),
            (
                "onboarding",
                {
                    "title": "加入時オリエンテーション",
                    "summary": "特別加入のしくみと、事故にあったときにすることを確認します。",
                    "audience_note": "新しく加入した方（加入から30日以内）",
                    "estimated_minutes": 3,
                    "issues_certificate": False,
                },
                [
                    (
                        "shikumi",
                        "特別加入のしくみ",
                        "団体用テキストつき",
                        lambda: lesson_special_enrollment(text.pk),
                        None,
                    ),
                    (
                        "jiko-no-toki",
                        "事故にあったら",
                        "受診と連絡の手順",
                        lesson_after_accident,
                        None,
                    ),
                ],
            ),
        ]
        for slug, fields, lessons in plan:
            course, created = _child(index, CoursePage, slug, **fields)
            for lesson_slug, title, summary, body, min_seconds in lessons:
                _child(
                    course,
                    LessonPage,
                    lesson_slug,
                    title=title,
                    summary=summary,
                    body=body(),
                    min_study_seconds=min_seconds,  # None: from the content
                )
            stdout.write(f"  course {course.title}: {'created' if created else 'kept'}")
        _seed_scorm(index=index, stdout=stdout)
        _seed_faq(index=index)
        _seed_last_year(index=index)
    stdout.write(f"  course index: {index.url}")


def demo_scorm_package() -> bytes:
    """The demonstration SCORM 1.2 package (demo_scorm/kyatatsu), zipped."""
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(DEMO_SCORM.rglob("*")):
            if path.is_file() and path.name != "README.md":
                archive.write(path, path.relative_to(DEMO_SCORM).as_posix())
    return buffer.getvalue()


SCORM_COURSE = "scorm-kyatatsu"


def _seed_scorm(*, index, stdout):
    """A course whose lesson is a SCORM 1.2 package, imported as `import_scorm` would."""
    from .models import CoursePage, ScormLessonPage
    from .scorm.services import scorm_lesson_create, scorm_package_check

    course, created = _child(
        index,
        CoursePage,
        SCORM_COURSE,
        title="e-ラーニング教材：脚立・はしごの安全作業",
        summary="購入した SCORM 教材で学ぶ研修の例です。学習と確認テスト（80点以上で合格）があります。",
        audience_note="脚立やはしごを使って作業をする方",
        estimated_minutes=5,
    )
    if not ScormLessonPage.objects.child_of(course).exists():
        checked = scorm_package_check(
            fileobj=io.BytesIO(demo_scorm_package()), file_name="kyatatsu.zip"
        )
        scorm_lesson_create(course=course, checked=checked)
    stdout.write(f"  course {course.title}: {'created' if created else 'kept'} (SCORM)")


def _seed_last_year(*, index):
    """The demo member attended last year's training at a seminar: a completion and its
    certificate to show on their pages (this year's training is still to do)."""
    from members.models import Member

    from .models import CoursePage, Enrolment
    from .services import enrolment_record_external

    course = CoursePage.objects.child_of(index).filter(slug="saigai-boshi").first()
    member = Member.objects.filter(email="demo.member@example.jp").first()
    if course is None or member is None:
        return
    enrolment_record_external(
        member=member,
        course=course,
        source=Enrolment.Source.SEMINAR,
        completed_on=datetime.date(2025, 6, 20),
        evidence_note="2025年度 集合研修（東京会場）出席",
    )


def _seed_faq(*, index):
    from members.models import Member

    from .models import CoursePage, Question

    onboarding = CoursePage.objects.child_of(index).filter(slug="onboarding").first()
    member = Member.objects.filter(email="demo.member@example.jp").first()
    if onboarding is None or member is None:
        return
    entries = [
        (
            "取引先の事務所に向かう途中で転んだ場合も補償されますか？",
            "加入時に申請した業務のための移動であれば、対象になる場合があります。"
            "状況によって判断が分かれるので、まず団体にご連絡ください。",
        ),
        (
            "給付基礎日額はあとから変えられますか？",
            "毎年度の更新のときに変更できます。保険料も変わりますので、更新の案内をご確認ください。",
        ),
    ]
    for body, answer in entries:
        Question.objects.get_or_create(
            member=member,
            course=onboarding,
            body=body,
            defaults={
                "answer": answer,
                "answered_at": Question._meta.get_field("created_at").default(),
                "answer_notified_at": Question._meta.get_field("created_at").default(),
                "faq_published": True,
            },
        )
