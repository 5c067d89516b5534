"""Reading SCORM packages: manifests as real packages write them, and every kind of broken
package refused with a message naming the problem in Japanese and English."""

import io
import stat
import zipfile
from xml.sax.saxutils import escape

import pytest

from courses.scorm import problems as p
from courses.scorm.services import scorm_package_check
from tests.factories import scorm as f


def check(data: bytes, name="package.zip"):
    return scorm_package_check(fileobj=io.BytesIO(data), file_name=name)


def refused(data: bytes, name="package.zip") -> list[p.Problem]:
    with pytest.raises(p.PackageRefused) as caught:
        check(data, name)
    return caught.value.problems


def launches(checked):
    return [(item.identifier, item.launch) for item in checked.manifest.launchable_items]


# --- manifests as packages write them ---------------------------------------------------------


def test_single_sco_package():
    checked = check(f.single_sco_package(manifest=f.single_sco_manifest(mastery=75)))
    assert checked.manifest.version == "1.2"
    assert checked.manifest.title == "転倒災害の防止"
    [item] = checked.manifest.items
    assert (item.title, item.scorm_type, item.launch, str(item.mastery_score)) == (
        "転倒を防ぐ",
        "sco",
        "index.html",
        "75",
    )
    assert checked.summary()["files"] == 3


def test_multi_sco_package_keeps_headings_nesting_and_order():
    checked = check(f.multi_sco_package())
    rows = [(i.identifier, i.depth, i.launch, i.scorm_type) for i in checked.manifest.items]
    assert rows == [
        ("MOD1", 1, "", ""),
        ("SCO1", 2, "sco1/index.html", "sco"),
        ("SCO2", 2, "sco2/index.html", "sco"),
        ("SCO3", 1, "test/index.html", "sco"),
    ]
    assert [str(i.mastery_score) for i in checked.manifest.launchable_items] == [
        "None",
        "None",
        "80",
    ]


def test_the_default_organization_is_used_and_the_others_are_mentioned():
    other = (
        '<organization identifier="ORG2"><title>英語版</title>'
        + f.item_xml("EN", "English", ref="RES1")
        + "</organization>"
    )
    manifest = f.manifest_xml(
        items=f.item_xml("ITEM1", "日本語", ref="RES1"),
        resources=f.resource_xml("RES1", "index.html"),
        organizations_extra=other,
        default="ORG2",
    )
    checked = check(f.single_sco_package(manifest=manifest))
    assert launches(checked) == [("EN", "index.html")]
    assert "other_organizations_ignored" in [w.code for w in checked.warnings]


def test_xml_base_of_manifest_resources_and_resource_are_joined():
    manifest = f.manifest_xml(
        items=f.item_xml("ITEM1", "学習", ref="RES1"),
        resources=f.resource_xml("RES1", "start.html", base="module1", files=["start.html"]),
        manifest_base="course/",
        resources_base="content/",
    )
    data = f.build_zip({"imsmanifest.xml": manifest, "course/content/module1/start.html": "x"})
    assert launches(check(data)) == [("ITEM1", "course/content/module1/start.html")]


@pytest.mark.parametrize(
    "href, parameters, expected",
    [
        ("index.html?lang=ja", "", "index.html?lang=ja"),
        ("index.html?lang=ja", "?chapter=2", "index.html?lang=ja&chapter=2"),
        ("index.html", "&chapter=2", "index.html?chapter=2"),
        ("index.html", "#page3", "index.html#page3"),
        ("index.html#top", "#page3", "index.html#top"),
        ("index.html?a=1#top", "b=2", "index.html?a=1&b=2#top"),
    ],
)
def test_launch_files_with_queries_and_item_parameters(href, parameters, expected):
    manifest = f.manifest_xml(
        items=f.item_xml("ITEM1", "学習", ref="RES1", attrs=f' parameters="{escape(parameters)}"'),
        resources=f.resource_xml("RES1", href),
    )
    assert launches(check(f.single_sco_package(manifest=manifest))) == [("ITEM1", expected)]


def test_namespaces_with_other_prefixes_and_uris():
    manifest = f.manifest_xml(
        items=f.item_xml(
            "ITEM1", "学習", ref="RES1", extra="<adlcp:masteryscore>70</adlcp:masteryscore>"
        ),
        resources=f.resource_xml("RES1", "index.html", scorm_type="asset"),
        cp="http://www.imsglobal.org/xsd/imscp_rootv1p1p2",
        adlcp_prefix="scorm",
    )
    assert "scorm:masteryscore" in manifest and "adlcp" not in manifest.split("xmlns:scorm=")[0]
    checked = check(f.single_sco_package(manifest=manifest))
    [item] = checked.manifest.items
    assert (item.scorm_type, str(item.mastery_score)) == ("asset", "70")


def test_a_manifest_with_a_bom_and_one_in_shift_jis():
    bom = b"\xef\xbb\xbf" + f.single_sco_manifest().encode("utf-8")
    assert check(f.single_sco_package(manifest=bom)).manifest.title == "転倒災害の防止"
    declared = '<?xml version="1.0" encoding="Shift_JIS"?>'
    sjis = f.single_sco_manifest(declaration=declared).encode("cp932")
    assert check(f.single_sco_package(manifest=sjis)).manifest.title == "転倒災害の防止"


@pytest.mark.parametrize("how", ["utf8-flag", "cp932", "utf8-without-flag", "nfd"])
def test_japanese_file_names(how):
    name = "第1章/はじめに.html"
    manifest = f.manifest_xml(
        items=f.item_xml("ITEM1", "はじめに", ref="RES1"),
        resources=f.resource_xml(
            "RES1", "%E7%AC%AC1%E7%AB%A0/%E3%81%AF%E3%81%98%E3%82%81%E3%81%AB.html"
        ),
    )
    files = {"imsmanifest.xml": manifest, name: "<p>はじめに</p>"}
    if how == "nfd":  # macOS writes decomposed characters (は + ゙ for ば, etc.)
        import unicodedata

        files = {
            "imsmanifest.xml": manifest,
            unicodedata.normalize("NFD", "第1章/はじめに.html"): "x",
        }
    data = f.build_zip(files, cp932_names=how == "cp932")
    if how == "utf8-without-flag":
        data = _clear_utf8_flag(data)
    checked = check(data)
    assert name in checked.archive.entries
    assert checked.manifest.launchable_items[0].launch_file == name


def _clear_utf8_flag(data: bytes) -> bytes:
    """UTF-8 names without the UTF-8 flag, as macOS's Archive Utility writes them."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            new = f._CP437Info(info.filename.encode("utf-8").decode("cp437"))
            target.writestr(new, source.read(info))
    return out.getvalue()


def test_hidden_items_launch_data_time_limits_and_prerequisites():
    extra = (
        "<adlcp:datafromlms>mode=exam;lang=ja</adlcp:datafromlms>"
        "<adlcp:maxtimeallowed>00:30:00</adlcp:maxtimeallowed>"
        "<adlcp:timelimitaction>exit,message</adlcp:timelimitaction>"
        '<adlcp:prerequisites type="aicc_script">ITEM0</adlcp:prerequisites>'
    )
    manifest = f.manifest_xml(
        items=f.item_xml("ITEM1", "試験", ref="RES1", extra=extra, attrs=' isvisible="false"'),
        resources=f.resource_xml("RES1", "index.html"),
    )
    checked = check(f.single_sco_package(manifest=manifest))
    [item] = checked.manifest.items
    assert not item.visible
    assert (item.launch_data, item.max_time_allowed, item.time_limit_action) == (
        "mode=exam;lang=ja",
        "00:30:00",
        "exit,message",
    )
    codes = [w.code for w in checked.warnings]
    assert "prerequisites_ignored" in codes and "time_limits_not_enforced" in codes


def test_a_launch_file_named_in_another_case_is_found():
    manifest = f.manifest_xml(
        items=f.item_xml("ITEM1", "学習", ref="RES1"),
        resources=f.resource_xml("RES1", "Index.HTML"),
    )
    data = f.build_zip({"imsmanifest.xml": manifest, "index.html": "x"})
    assert launches(check(data)) == [("ITEM1", "index.html")]


def test_without_a_declared_version_the_package_is_read_as_scorm_12_and_says_so():
    manifest = f.single_sco_manifest(schemaversion=None).replace(f.ADLCP, "http://example.com/x")
    checked = check(f.single_sco_package(manifest=manifest))
    assert "no_version_declared" in [w.code for w in checked.warnings]


def test_resources_with_dependencies_and_missing_listed_files_are_a_warning():
    manifest = f.multi_sco_manifest().replace(
        '<file href="shared/apiwrapper.js"/>',
        '<file href="shared/apiwrapper.js"/><file href="shared/missing.css"/>',
    )
    checked = check(f.multi_sco_package(manifest=manifest))
    [warning] = [w for w in checked.warnings if w.code == "missing_listed_files"]
    assert warning.params == {"count": 1, "name": "shared/missing.css"}


# --- manifests as authoring tools write them (ADL SCORM 1.2 CAM, not one sample) -------------

# The shape Captivate/Storyline-style exports take: schemaLocation, metadata in a separate file
# (adlcp:location), camel-case adlcp:scormType, a launch with a query string, a shared-files
# resource reached only through dependencies, and a heading item without identifierref.
VENDOR_MANIFEST = """<?xml version="1.0" encoding="utf-8" standalone="no" ?>
<manifest identifier="Course_ID1_ORG" version="1.0"
  xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="http://www.imsproject.org/xsd/imscp_rootv1p1p2 imscp_rootv1p1p2.xsd
    http://www.imsglobal.org/xsd/imsmd_rootv1p2p1 imsmd_rootv1p2p1.xsd
    http://www.adlnet.org/xsd/adlcp_rootv1p2 adlcp_rootv1p2.xsd">
  <metadata>
    <schema>ADL SCORM</schema>
    <schemaversion>1.2</schemaversion>
    <adlcp:location>course_metadata.xml</adlcp:location>
  </metadata>
  <organizations default="TOC1">
    <organization identifier="TOC1">
      <title>墜落・転落災害の防止</title>
      <item identifier="MODULE1" isvisible="true">
        <title>第1章</title>
        <item identifier="I_SCO0" identifierref="SCO0" isvisible="true">
          <title>足場の点検</title>
          <adlcp:masteryscore>80</adlcp:masteryscore>
          <adlcp:datafromlms>chapter=1</adlcp:datafromlms>
        </item>
      </item>
    </organization>
  </organizations>
  <resources xml:base="content/">
    <resource identifier="SCO0" type="webcontent" adlcp:scormType="sco"
        href="index_lms.html?lang=ja&amp;tracking=1">
      <metadata><adlcp:location>sco_metadata.xml</adlcp:location></metadata>
      <file href="index_lms.html"/>
      <dependency identifierref="SHARED_FILES"/>
    </resource>
    <resource identifier="SHARED_FILES" type="webcontent" adlcp:scormType="asset"
        xml:base="lms/">
      <file href="scormdriver.js"/>
    </resource>
  </resources>
</manifest>
"""


def _vendor_package(manifest=VENDOR_MANIFEST):
    return f.build_zip(
        {
            "imsmanifest.xml": manifest,
            "course_metadata.xml": "<lom/>",
            "content/sco_metadata.xml": "<lom/>",
            "content/index_lms.html": f.sco_page("足場の点検", "../"),
            "content/lms/scormdriver.js": f.API_WRAPPER_JS,
        }
    )


def test_a_package_as_authoring_tools_write_it():
    checked = check(_vendor_package())
    rows = [(i.identifier, i.depth, i.scorm_type, i.launch) for i in checked.manifest.items]
    assert rows == [
        ("MODULE1", 1, "", ""),
        ("I_SCO0", 2, "sco", "content/index_lms.html?lang=ja&tracking=1"),
    ]
    [sco] = checked.manifest.launchable_items
    assert (str(sco.mastery_score), sco.launch_data) == ("80", "chapter=1")
    codes = [w.code for w in checked.warnings]
    assert "missing_listed_files" not in codes  # the shared files were found, by dependency


@pytest.mark.parametrize(
    "spelling", ['adlcp:scormType="asset"', 'adlcp:scormtype="asset"', 'adlcp:SCORMTYPE="asset"']
)
def test_scormtype_in_any_letter_case(spelling):
    manifest = VENDOR_MANIFEST.replace('adlcp:scormType="sco"', spelling)
    [sco] = check(_vendor_package(manifest)).manifest.launchable_items
    assert sco.scorm_type == "asset"


def test_a_manifest_without_a_default_namespace():
    manifest = VENDOR_MANIFEST.replace('xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"', "")
    assert "imscp_rootv1p1p2" not in manifest.split("xsi:schemaLocation")[0]
    [sco] = check(_vendor_package(manifest)).manifest.launchable_items
    assert sco.launch == "content/index_lms.html?lang=ja&tracking=1"


def test_ims_cp_1_1_4_namespace_with_adl_s_scorm_1_2_namespace_is_scorm_1_2():
    """Some tools write SCORM 1.2 packages in IMS CP 1.1.4's namespace (the one SCORM 2004 also
    uses) and no schemaversion: ADL's 1.2 namespace decides."""
    manifest = VENDOR_MANIFEST.replace(
        "http://www.imsproject.org/xsd/imscp_rootv1p1p2", "http://www.imsglobal.org/xsd/imscp_v1p1"
    ).replace("<schemaversion>1.2</schemaversion>", "")
    checked = check(_vendor_package(manifest))
    assert checked.manifest.version == "1.2"
    assert "no_version_declared" not in [w.code for w in checked.warnings]


@pytest.mark.parametrize("declared", ["1.2", "SCORM 1.2", "scorm_1.2", "CAM 1.2", "1.2.0"])
def test_the_ways_scorm_1_2_is_declared(declared):
    manifest = VENDOR_MANIFEST.replace(
        "<schemaversion>1.2</schemaversion>", f"<schemaversion>{declared}</schemaversion>"
    )
    assert check(_vendor_package(manifest)).manifest.version == "1.2"


def test_metadata_files_named_by_the_manifest_need_not_exist():
    """adlcp:location metadata describes the package; players never read it."""
    data = f.build_zip(
        {
            "imsmanifest.xml": VENDOR_MANIFEST,
            "content/index_lms.html": f.sco_page("足場の点検", "../"),
            "content/lms/scormdriver.js": f.API_WRAPPER_JS,
        }
    )
    assert [i.identifier for i in check(data).manifest.launchable_items] == ["I_SCO0"]


# --- broken packages: refused, with the problem named in both languages --------------------


def test_not_a_zip():
    [problem] = refused(b"PK? not really", name="course.zip")
    assert problem.code == "not_zip"
    assert problem.messages("course.zip") == {
        "ja": "course.zip: ZIP ファイルではありません。SCORM パッケージは、最上位に imsmanifest.xml "
        "がある .zip ファイルです。",
        "en": "course.zip: The file is not a ZIP archive. A SCORM package is a .zip file with "
        "imsmanifest.xml at its top level.",
    }


def test_no_manifest():
    [problem] = refused(f.build_zip({"index.html": "x"}))
    assert problem.code == "no_manifest"


def test_a_manifest_in_a_sub_folder():
    data = f.build_zip(
        {"course/imsmanifest.xml": f.single_sco_manifest(), "course/index.html": "x"}
    )
    [problem] = refused(data)
    assert problem.code == "manifest_in_subfolder"
    assert (
        "imsmanifest.xml がパッケージの最上位にありません（course/imsmanifest.xml にあります）"
        in (problem.messages()["ja"])
    )


def test_xml_that_does_not_parse_names_line_and_column():
    broken = '<?xml version="1.0"?>\n<manifest identifier="M">\n  <organizations>\n</manifest>\n'
    [problem] = refused(f.build_zip({"imsmanifest.xml": broken}))
    assert (problem.code, problem.file, problem.line, problem.column) == (
        "manifest_unparsable",
        "imsmanifest.xml",
        4,
        3,
    )
    assert problem.messages("x.zip")["en"].startswith("x.zip, imsmanifest.xml, line 4, column 3:")


def test_entities_are_not_expanded():
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        "<manifest>&b;</manifest>"
    )
    [problem] = refused(f.build_zip({"imsmanifest.xml": bomb}))
    assert problem.code == "manifest_unparsable"


def test_a_missing_launch_file():
    [problem] = refused(f.build_zip({"imsmanifest.xml": f.single_sco_manifest()}))
    assert problem.code == "missing_launch"
    assert problem.params == {"title": "転倒を防ぐ", "href": "index.html"}


def test_an_item_pointing_to_no_resource():
    manifest = f.manifest_xml(items=f.item_xml("ITEM1", "学習", ref="NOPE"), resources="")
    [problem] = refused(f.single_sco_package(manifest=manifest))
    assert problem.code == "missing_resource"


def test_a_launch_outside_the_package():
    manifest = f.manifest_xml(
        items=f.item_xml("ITEM1", "学習", ref="RES1"),
        resources=f.resource_xml("RES1", "https://vendor.example.com/course/index.html"),
    )
    [problem] = refused(f.single_sco_package(manifest=manifest))
    assert problem.code == "external_launch"


@pytest.mark.parametrize(
    "name", ["../evil.html", "/etc/evil.html", "..\\evil.html", "C:/evil.html", "a/../../evil.html"]
)
def test_zip_slip(name):
    data = f.build_zip({"imsmanifest.xml": f.single_sco_manifest(), "index.html": "x", name: "x"})
    problems = refused(data)
    assert [pr.code for pr in problems] == ["unsafe_path"]


def test_symbolic_links():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("imsmanifest.xml", f.single_sco_manifest())
        archive.writestr("index.html", "x")
        link = zipfile.ZipInfo("secret.html")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    [problem] = refused(buffer.getvalue())
    assert problem.code == "symlink"


def test_too_many_files(settings):
    settings.COURSES_SCORM_MAX_FILES = 5
    files = {"imsmanifest.xml": f.single_sco_manifest(), "index.html": "x"}
    files.update({f"img/{i}.png": "x" for i in range(10)})
    [problem] = refused(f.build_zip(files))
    assert problem.code == "too_many_files"
    assert problem.params == {"count": "12", "limit": "5"}


def test_a_zip_bomb_is_refused_before_it_is_unpacked(settings):
    settings.COURSES_SCORM_MAX_BYTES = 10 * 1024 * 1024
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("imsmanifest.xml", f.single_sco_manifest())
        archive.writestr("index.html", "x")
        archive.writestr("padding.bin", b"\0" * (50 * 1024 * 1024))
    data = buffer.getvalue()
    assert len(data) < 200 * 1024  # 50 MB unpacked from a small file
    [problem] = refused(data)
    assert problem.code == "too_large"
    assert "52.4 MB" in problem.messages()["en"]


def test_an_upload_larger_than_allowed(settings):
    settings.COURSES_SCORM_MAX_UPLOAD_BYTES = 100
    [problem] = refused(f.single_sco_package())
    assert problem.code == "upload_too_large"


@pytest.mark.parametrize(
    "schemaversion, code",
    [
        ("2004 3rd Edition", "scorm_2004"),
        ("2004 4th Edition", "scorm_2004"),
        ("CAM 1.3", "scorm_2004"),
        ("1.1", "unknown_version"),
    ],
)
def test_other_scorm_versions(schemaversion, code):
    [problem] = refused(
        f.single_sco_package(manifest=f.single_sco_manifest(schemaversion=schemaversion))
    )
    assert problem.code == code
    if code == "scorm_2004":
        assert "SCORM 2004 にはまだ対応していません" in problem.messages()["ja"]
        assert "SCORM 2004 is not supported yet" in problem.messages()["en"]


def test_scorm_2004_recognised_by_its_namespaces_alone():
    manifest = f.single_sco_manifest(schemaversion=None).replace(
        f.ADLCP, "http://www.adlnet.org/xsd/adlcp_v1p3"
    )
    [problem] = refused(f.single_sco_package(manifest=manifest))
    assert problem.code == "scorm_2004"


def test_an_encrypted_entry():
    data = bytearray(f.build_zip({"imsmanifest.xml": f.single_sco_manifest(), "index.html": "x"}))
    # mark index.html "encrypted" (general purpose bit 0) in its local and central headers
    for signature, flags_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        position = data.rfind(signature)
        data[position + flags_at] |= 0x1
    [problem] = refused(bytes(data))
    assert problem.code == "encrypted"


def test_the_info_zip_unicode_path_field():
    """Tools that write names in the local code page add the UTF-8 name in an extra field."""
    import struct
    import zlib

    legacy = "????.html"  # what a non-Japanese code page made of the name
    real = "はじめに.html".encode()
    extra = (
        struct.pack("<HHBL", 0x7075, 5 + len(real), 1, zlib.crc32(legacy.encode("cp437"))) + real
    )
    manifest = f.manifest_xml(
        items=f.item_xml("ITEM1", "はじめに", ref="RES1"),
        resources=f.resource_xml("RES1", "%E3%81%AF%E3%81%98%E3%82%81%E3%81%AB.html"),
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("imsmanifest.xml", manifest)
        info = zipfile.ZipInfo(legacy)
        info.extra = extra
        archive.writestr(info, "<p>はじめに</p>")
    checked = check(buffer.getvalue())
    assert "はじめに.html" in checked.archive.entries
