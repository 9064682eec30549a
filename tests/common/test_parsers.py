"""Tests for bot.common.parsers and request-number reading (pure parsing of Chinese answers)."""

from __future__ import annotations

import random
from datetime import date

import pytest

from bot.common.catalogue import numbers
from bot.common.catalogue.numbers import parse_phone_last4, parse_request_number
from bot.common.parsers import answers as validators
from bot.common.parsers.answers import (
    Validated,
    normalize_user_text,
    parse_district,
    parse_half_day,
    parse_household_size,
    parse_mobile,
    parse_move_in_month,
    parse_person_name,
    parse_resident_id,
    parse_school_stage_and_grade,
    parse_short_text,
    parse_visit_date,
)
from bot.common.parsers.dates import parse_chinese_int

TODAY = date(2026, 11, 27)  # a Friday
SAMPLE_ID = "11010519491231002X"


def with_check_digit(first17: str) -> str:
    """Complete 17 characters with their ISO 7064 MOD 11-2 check digit (test oracle)."""
    weights = [2 ** (17 - i) % 11 for i in range(17)]
    remainder = sum(int(c) * w for c, w in zip(first17, weights, strict=True)) % 11
    return first17 + "10X98765432"[remainder]


CQ_ID = with_check_digit("50010519880315061")


def accepted(result: Validated[object], value: object) -> None:
    assert result.error is None, result.error
    assert result.ok
    assert result.value == value


def refused(result: Validated[object], *reason_parts: str) -> None:
    assert result.value is None
    assert result.error and not result.ok
    for part in reason_parts:
        assert part in result.error, result.error


def test_today_is_a_friday() -> None:
    assert TODAY.isoweekday() == 5


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  ＨＳ２０２６　１１２７  ", "HS2026 1127"),
        ("a\n\tb", "a b"),
        ("电话：１３８", "电话:138"),
        (None, ""),
        ("x" * 600, "x" * 500),
    ],
)
def test_normalize_user_text(text: str | None, expected: str) -> None:
    assert normalize_user_text(text) == expected


def test_normalize_user_text_max_len() -> None:
    assert normalize_user_text("一二三四五", max_len=3) == "一二三"


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("13812345678", "13812345678"),
        ("我的电话是 138 1234 5678", "13812345678"),
        ("要得，手机：１３８－１２３４－５６７８噻", "13812345678"),
        ("+86 139-1234-5678", "13912345678"),
        ("8613812345678", "13812345678"),
        ("手机13812345678，身份证" + SAMPLE_ID, "13812345678"),
        ("13812345678 13812345678", "13812345678"),  # the same number twice
    ],
)
def test_parse_mobile_accepts(text: str, number: str) -> None:
    accepted(parse_mobile(text), number)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "没找到手机号"),
        ("不告诉你", "没找到手机号"),
        ("1381234567", "位数不对"),
        ("138123456789", "位数不对"),
        ("023-6789-1234", "座机"),
        ("12812345678", "不像手机号"),
        ("13812345678和13912345678", "不止一个"),
    ],
)
def test_parse_mobile_refuses(text: str, reason: str) -> None:
    refused(parse_mobile(text), reason)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        (SAMPLE_ID, SAMPLE_ID),
        ("我的身份证是" + CQ_ID, CQ_ID),
        ("身份证号：" + SAMPLE_ID.lower() + "。", SAMPLE_ID),
        ("１１０１０５１９４９１２３１００２Ｘ", SAMPLE_ID),
        ("110105 19491231 002X", SAMPLE_ID),
        ("电话13812345678，身份证" + CQ_ID, CQ_ID),
    ],
)
def test_parse_resident_id_accepts(text: str, number: str) -> None:
    accepted(parse_resident_id(text, today=TODAY), number)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("我的身份证是500101199001011234", "校验位不对"),
        ("110105194912310021", "校验位不对"),
        (with_check_digit("50010119990230123"), "出生日期不对"),
        (with_check_digit("50010120261201123"), "出生日期不对"),  # in the future
        (with_check_digit("99010119900101123"), "地区码不对"),
        ("11010519491231002", "位数不对"),
        ("身份证1101051949123100211", "位数不对"),
        ("110105491231002", "15位"),
        ("没带身份证", "没找到身份证号"),
        ("", "没找到身份证号"),
    ],
)
def test_parse_resident_id_refuses(text: str, reason: str) -> None:
    refused(parse_resident_id(text, today=TODAY), reason)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("渝北区", "渝北区"),
        ("我们住渝北", "渝北区"),
        ("九龙坡那边", "九龙坡区"),
        ("想住高新区", "西部（重庆）科学城"),
        ("要得，就沙坪坝嘛", "沙坪坝区"),
        ("ＸＸ两江新区", "两江新区"),
    ],
)
def test_parse_district_accepts(text: str, name: str) -> None:
    accepted(parse_district(text), name)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("重庆", "例如：渝北区"),
        ("北京", "例如：渝北区"),
        ("", "例如：渝北区"),
        ("从渝中搬到渝北", "渝中区、渝北区"),
    ],
)
def test_parse_district_refuses(text: str, reason: str) -> None:
    refused(parse_district(text), reason)


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("3", 3),
        ("３", 3),
        ("三", 3),
        ("三口人", 3),
        ("一家三口", 3),
        ("我们一家三口", 3),
        ("两个人", 2),
        ("两口子", 2),
        ("我们俩", 2),
        ("一个人", 1),
        ("就我一个", 1),
        ("就我自己", 1),
        ("十口人", 10),
        ("要得，4口人噻", 4),
        ("家里5个人", 5),
        ("3口人，我和老婆孩子", 3),
        ("三个人，两个大人一个娃", 3),
    ],
)
def test_parse_household_size_accepts(text: str, size: int) -> None:
    accepted(parse_household_size(text), size)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("我和老婆孩子", "一共几口人"),
        ("我和一个孩子", "一共几口人"),
        ("3个大人2个小孩", "一共几口人"),
        ("三口人还是四口人", "不止一个数字"),
        ("三四个人", "一共几口人"),
        ("0", "1到10人"),
        ("十一个人", "1到10人"),
        ("20", "1到10人"),
        ("", "一共几口人"),
        ("不晓得", "一共几口人"),
    ],
)
def test_parse_household_size_refuses(text: str, reason: str) -> None:
    refused(parse_household_size(text), reason)


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("2027年1月", "2027-01"),
        ("2027年1月15号左右", "2027-01"),
        ("２０２７年１月", "2027-01"),
        ("二〇二七年一月", "2027-01"),
        ("27年3月", "2027-03"),
        ("2027-01", "2027-01"),
        ("2027/3", "2027-03"),
        ("明年3月", "2027-03"),
        ("明年的十二月", "2027-12"),
        ("今年12月", "2026-12"),
        ("后年1月", "2028-01"),
        ("下个月", "2026-12"),
        ("下月", "2026-12"),
        ("下下个月", "2027-01"),
        ("这个月", "2026-11"),
        ("本月", "2026-11"),
        ("三个月后", "2027-02"),
        ("3月份", "2027-03"),  # already past this year: next March
        ("11月", "2026-11"),  # the current month is allowed
        ("12月", "2026-12"),
        ("要得，十月份搬", "2027-10"),
        ("2028年11月", "2028-11"),  # exactly 24 months ahead
    ],
)
def test_parse_move_in_month_accepts(text: str, month: str) -> None:
    accepted(parse_move_in_month(text, TODAY), month)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("年底", "具体是哪一个月"),
        ("年后", "具体是哪一个月"),
        ("过完年", "具体是哪一个月"),
        ("明年", "具体是哪一个月"),
        ("下半年", "具体是哪一个月"),
        ("尽快", "哪个月"),
        ("", "哪个月"),
        ("2026年10月", "已经过去了"),
        ("今年3月", "已经过去了"),
        ("2028年12月", "24个月"),
        ("2030年1月", "24个月"),
        ("十三月", "没有13月"),
        ("2027年0月", "没有0月"),
        ("明年三四月", "用数字再说一次"),
    ],
)
def test_parse_move_in_month_refuses(text: str, reason: str) -> None:
    refused(parse_move_in_month(text, TODAY), reason)


@pytest.mark.parametrize(
    ("text", "day", "half"),
    [
        ("下周三上午", date(2026, 12, 2), "am"),
        ("这周五下午", date(2026, 11, 27), "pm"),  # today is allowed
        ("这周日", date(2026, 11, 29), None),
        ("周五", date(2026, 12, 4), None),  # a bare weekday never means today
        ("星期六", date(2026, 11, 28), None),
        ("礼拜天早上", date(2026, 11, 29), "am"),
        ("周1", date(2026, 11, 30), None),
        ("下个星期一", date(2026, 11, 30), None),
        ("下下周一", date(2026, 12, 7), None),
        ("今天下午", date(2026, 11, 27), "pm"),
        ("明天", date(2026, 11, 28), None),
        ("明早", date(2026, 11, 28), "am"),
        ("后天上午", date(2026, 11, 29), "am"),
        ("大后天", date(2026, 11, 30), None),
        ("三天后", date(2026, 11, 30), None),
        ("12月5号", date(2026, 12, 5), None),
        ("12月5日下午", date(2026, 12, 5), "pm"),
        ("十二月五号", date(2026, 12, 5), None),
        ("2026-12-05", date(2026, 12, 5), None),
        ("２０２６－１２－０５", date(2026, 12, 5), None),
        ("2026年12月5日晚", date(2026, 12, 5), "pm"),
        ("12/5", date(2026, 12, 5), None),
        ("1月5号", date(2027, 1, 5), None),  # January is next year
        ("明年1月20号", date(2027, 1, 20), None),
        ("下个月3号", date(2026, 12, 3), None),
        ("30号", date(2026, 11, 30), None),
        ("5号", date(2026, 12, 5), None),
        ("要得，娃儿下周三中午后来", date(2026, 12, 2), "pm"),
        ("1月26号", date(2027, 1, 26), None),  # exactly 60 days ahead
    ],
)
def test_parse_visit_date_accepts(text: str, day: date, half: str | None) -> None:
    accepted(parse_visit_date(text, TODAY), (day, half))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("这周三", "这周三已经过去了"),
        ("这周一上午", "您是说下周一吗"),
        ("上周五", "已经过去了"),
        ("11月20号", "已经过去了"),
        ("2026-11-26", "已经过去了"),
        ("1月27号", "60天以内"),
        ("2027年3月1日", "最晚1月26日"),
        ("二月三十号", "2月没有30号"),
        ("12月三四号", "用数字再说一次"),
        ("周末", "哪一天"),
        ("过几天", "哪一天"),
        ("", "哪一天"),
    ],
)
def test_parse_visit_date_refuses(text: str, reason: str) -> None:
    refused(parse_visit_date(text, TODAY), reason)


@pytest.mark.parametrize(
    ("text", "half"),
    [
        ("上午", "am"),
        ("早上", "am"),
        ("早", "am"),
        ("AM", "am"),
        ("上午晚一点", "am"),  # the clear word wins over a loose 晚
        ("下午", "pm"),
        ("中午后", "pm"),
        ("晚", "pm"),
        ("pm", "pm"),
        ("要得，下午嘛", "pm"),
    ],
)
def test_parse_half_day_accepts(text: str, half: str) -> None:
    accepted(parse_half_day(text), half)


@pytest.mark.parametrize("text", ["", "中午", "都行", "上午下午都可以", "Sam"])
def test_parse_half_day_refuses(text: str) -> None:
    refused(parse_half_day(text), "上午", "下午")


@pytest.mark.parametrize(
    ("text", "stage", "expected"),
    [
        ("小学三年级", None, ("primary", 3)),
        ("要得，娃儿读小学三年级", None, ("primary", 3)),
        ("初二", None, ("junior", 2)),
        ("在高新区读初二", None, ("junior", 2)),
        ("高一", None, ("senior", 1)),
        ("高三年级", None, ("senior", 3)),
        ("初中一年级", None, ("junior", 1)),
        ("上小学", None, ("primary", None)),  # stage only: ask the grade next
        ("幼儿园", None, ("kindergarten", None)),
        ("高中", None, ("senior", None)),
        ("幼儿园中班", None, ("kindergarten", 2)),
        ("小班", None, ("kindergarten", 1)),
        ("大班", None, ("kindergarten", 3)),
        ("三年级", None, ("primary", 3)),
        ("3年级", None, ("primary", 3)),
        ("七年级", None, ("junior", 1)),
        ("九年级", None, ("junior", 3)),
        ("十年级", None, ("senior", 1)),
        ("幼升小", None, ("primary", 1)),
        ("小升初", None, ("junior", 1)),
        ("二年级", "junior", ("junior", 2)),
        ("八年级", "junior", ("junior", 2)),
        ("2", "kindergarten", ("kindergarten", 2)),
        ("3", "senior", ("senior", 3)),
        ("小学三年级", "junior", ("primary", 3)),  # what was said beats the earlier stage
    ],
)
def test_parse_school_stage_and_grade_accepts(
    text: str, stage: str | None, expected: tuple[str, int | None]
) -> None:
    accepted(parse_school_stage_and_grade(text, stage=stage), expected)


@pytest.mark.parametrize(
    ("text", "stage", "reason"),
    [
        ("五年级", "junior", "初中只有3个年级"),
        ("小学七年级", None, "小学只有6个年级"),
        ("初四", None, "初中只有3个年级"),
        ("高四", None, "高中只有3个年级"),
        ("十三年级", None, "高中只有3个年级"),
        ("4", "kindergarten", "小班、中班、大班"),
        ("大学", None, "幼儿园到高中"),
        ("还没上学", None, "例如：小学三年级"),
        ("3", None, "例如：小学三年级"),  # a bare number needs a known stage
        ("", None, "例如：小学三年级"),
    ],
)
def test_parse_school_stage_and_grade_refuses(text: str, stage: str | None, reason: str) -> None:
    refused(parse_school_stage_and_grade(text, stage=stage), reason)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("张三", "张三"),
        ("我叫张三", "张三"),
        ("我是李四。", "李四"),
        ("我的名字是王小明", "王小明"),
        ("名字叫：欧阳娜娜！", "欧阳娜娜"),
        ("姓名:赵六", "赵六"),
        ("要得，我叫张三噻", "张三"),
        ("好的，陈晓", "陈晓"),
        ("娃儿叫王小明", "王小明"),
        ("我姓张，叫张三", "张三"),
        ("我是他妈妈，孩子叫王小明", "王小明"),
        ("阿依古丽·买买提", "阿依古丽·买买提"),
        ("阿依古丽.买买提", "阿依古丽·买买提"),
        ("阿依古丽・买买提", "阿依古丽·买买提"),
        ("张 三", "张三"),
        ("张三😊", "张三"),
        ("张\u202e三", "张三"),  # an RTL override is dropped
        ("𠀀明", "𠀀明"),  # CJK extension B
        ("John Smith", "John Smith"),
        ("Mary-Jane O'Neil", "Mary-Jane O'Neil"),
        ("张" * 20, "张" * 20),
    ],
)
def test_parse_person_name_accepts(text: str, name: str) -> None:
    accepted(parse_person_name(text), name)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "请用文字告诉我"),
        ("😊😊", "请用文字告诉我"),
        ("张", "2到20个字"),
        ("张" * 21, "2到20个字"),
        ("我姓张", "完整的姓名"),
        ("我的名字", "完整的姓名"),
        ("张三123", "不能有数字"),
        ("13812345678", "不能有数字"),
        ("http://example.com", "不支持的符号"),
        ("www.example.cn", "不支持的符号"),
        ("<script>alert(1)</script>", "不支持的符号"),
        ("<b>张三</b>", "不支持的符号"),
        ("' OR 1=1--", "不支持的符号"),
        ("Robert'); DROP TABLE students;--", "不支持的符号"),
        ("select name", "不支持的符号"),
        ("张三，李四", "只能包含汉字"),
        ("ไทย", "只能包含汉字"),
    ],
)
def test_parse_person_name_refuses(text: str, reason: str) -> None:
    refused(parse_person_name(text), reason)


@pytest.mark.parametrize(
    ("text", "max_len", "value"),
    [
        ("  重庆市第八中学 ", 100, "重庆市第八中学"),
        ("成都\n七中", 100, "成都 七中"),
        ("头疼\x00\x07三天", 200, "头疼三天"),
        ("胸闷\u200b\u202e气短", 200, "胸闷气短"),
        ("复查😊", 200, "复查😊"),
        ("ＡＢＣ学校", 100, "ＡＢＣ学校"),  # stored as typed
        ("一" * 100, 100, "一" * 100),
    ],
)
def test_parse_short_text_accepts(text: str, max_len: int, value: str) -> None:
    accepted(parse_short_text(text, max_len), value)


@pytest.mark.parametrize(
    ("text", "max_len", "reason"),
    [
        ("", 100, "不能为空"),
        ("   \n\t", 100, "不能为空"),
        ("\x00\x01", 100, "不能为空"),
        ("😊👍", 100, "不要只发表情"),
        ("。。。", 100, "不要只发表情"),
        ("一" * 101, 100, "100个字以内"),
        ("头疼" * 101, 200, "200个字以内"),
    ],
)
def test_parse_short_text_refuses(text: str, max_len: int, reason: str) -> None:
    refused(parse_short_text(text, max_len), reason)


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("5678", "5678"),
        ("尾号是５６７８", "5678"),
        ("后四位 5 6 7 8", "5678"),
        ("要得，0012噻", "0012"),
        ("13812345678", "5678"),  # the whole number is fine too
        ("HS20261127-0001 5678", "5678"),
    ],
)
def test_parse_phone_last4_accepts(text: str, digits: str) -> None:
    accepted(parse_phone_last4(text), digits)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "后4位"),
        ("567", "后4位"),
        ("56789", "后4位"),
        ("不记得了", "后4位"),
        ("5678还是1234", "只告诉我一组"),
        ("٥٦٧٨", "后4位"),
    ],
)
def test_parse_phone_last4_refuses(text: str, reason: str) -> None:
    refused(parse_phone_last4(text), reason)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("HS20261127-0001", "HS20261127-0001"),
        ("hs20261127-0001", "HS20261127-0001"),
        ("Sc20261127-0042", "SC20261127-0042"),
        ("HP202611270003", "HP20261127-0003"),
        ("ＨＳ２０２６１１２７－０００１", "HS20261127-0001"),
        ("HS20261127—0001", "HS20261127-0001"),
        ("HS 20261127 0001", "HS20261127-0001"),
        ("我的编号是SC20261127-0002，帮我查一下", "SC20261127-0002"),
        ("HS20261127-0001 HS20261127-0001", "HS20261127-0001"),
    ],
)
def test_parse_request_number_accepts(text: str, number: str) -> None:
    accepted(parse_request_number(text), number)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "没找到申请编号"),
        ("20261127-0001", "连同开头的字母"),
        ("XX20261127-0001", "没找到申请编号"),
        ("HS2026112-0001", "没找到申请编号"),
        ("HS20261127-00011", "没找到申请编号"),
        ("HS20261399-0001", "日期不对"),
        ("HS20261127-0001和HP20261127-0002", "一次只告诉我一个"),
    ],
)
def test_parse_request_number_refuses(text: str, reason: str) -> None:
    refused(parse_request_number(text), reason)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3", 3),
        ("十", 10),
        ("十二", 12),
        ("二十", 20),
        ("二十三", 23),
        ("两", 2),
        ("二〇二七", 2027),
        ("一十", 10),
        ("十十", None),
        ("三四", None),  # "3 or 4", not 34
        ("二七", None),
        ("三百", None),
        ("²", None),  # a digit for str.isdigit, but not a decimal
        ("", None),
    ],
)
def test_parse_chinese_int(text: str, value: int | None) -> None:
    assert parse_chinese_int(text) == value


PARSERS = [
    validators.parse_mobile,
    validators.parse_resident_id,
    validators.parse_district,
    validators.parse_household_size,
    validators.parse_half_day,
    validators.parse_school_stage_and_grade,
    validators.parse_person_name,
    validators.parse_short_text,
    numbers.parse_phone_last4,
    numbers.parse_request_number,
    lambda text: validators.parse_move_in_month(text, TODAY),
    lambda text: validators.parse_visit_date(text, TODAY),
]


def test_parsers_never_raise_on_odd_input() -> None:
    rng = random.Random(20261127)
    alphabet = "0123456789０１２²٣年月日号周下这上一二两十口人个初高班张·-+XHS \n\x00\u202e😊<>'"
    samples = [None, "", " ", "\x00", "😊" * 50, "一" * 10_000, "9" * 10_000]
    samples += [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))) for _ in range(400)
    ]
    for text in samples:
        for parse in PARSERS:
            result = parse(text)
            assert (result.value is None) != (result.error is None), (parse, text)
