//! One case a line: a name, the text, and every contact it must yield as (kind, canonical
//! value, the original text the span covers). A case with no contacts lists a lookalike that
//! must not fire.

use super::super::ContactKind::{self, *};
use crate::normalize::normalize;

type Expected = &'static [(ContactKind, &'static str, &'static str)];

const CASES: &[(&str, &str, Expected)] = &[
    // mobiles, however written
    (
        "plain",
        "电话13800001234联系",
        &[(Phone, "13800001234", "13800001234")],
    ),
    (
        "spaces",
        "打 138 0000 1234 找我",
        &[(Phone, "13800001234", "138 0000 1234")],
    ),
    (
        "dashes",
        "138-0000-1234",
        &[(Phone, "13800001234", "138-0000-1234")],
    ),
    (
        "dots",
        "热线138.0000.1234。",
        &[(Phone, "13800001234", "138.0000.1234")],
    ),
    (
        "spaced digits",
        "1 3 8 0 0 0 0 1 2 3 4",
        &[(Phone, "13800001234", "1 3 8 0 0 0 0 1 2 3 4")],
    ),
    (
        "full width",
        "手机１３８００００１２３４",
        &[(Phone, "13800001234", "１３８００００１２３４")],
    ),
    (
        "circled",
        "①③⑧⓪⓪⓪⓪①②③④",
        &[(Phone, "13800001234", "①③⑧⓪⓪⓪⓪①②③④")],
    ),
    (
        "chinese numerals",
        "电话一三八零零零零一二三四",
        &[(Phone, "13800001234", "一三八零零零零一二三四")],
    ),
    (
        "yao and ling circle",
        "幺三八〇〇〇〇幺二三四",
        &[(Phone, "13800001234", "幺三八〇〇〇〇幺二三四")],
    ),
    (
        "mixed numerals",
        "一三八 0000 1234",
        &[(Phone, "13800001234", "一三八 0000 1234")],
    ),
    (
        "plus 86",
        "+86 138 0000 1234",
        &[(Phone, "13800001234", "86 138 0000 1234")],
    ),
    (
        "0086",
        "0086-13800001234",
        &[(Phone, "13800001234", "0086-13800001234")],
    ),
    (
        "86 joined",
        "8613800001234",
        &[(Phone, "13800001234", "8613800001234")],
    ),
    (
        "zero width inside",
        "138\u{200B}0000\u{200B}1234",
        &[(Phone, "13800001234", "138\u{200B}0000\u{200B}1234")],
    ),
    (
        "date then phone",
        "2024-01-05 13800001234",
        &[(Phone, "13800001234", "13800001234")],
    ),
    (
        "two phones",
        "13800001234、15912345678",
        &[
            (Phone, "13800001234", "13800001234"),
            (Phone, "15912345678", "15912345678"),
        ],
    ),
    (
        "tel prefix",
        "tel13800001234",
        &[(Phone, "13800001234", "13800001234")],
    ),
    // landlines
    (
        "landline 3",
        "座机010-12345678",
        &[(Landline, "010-12345678", "010-12345678")],
    ),
    (
        "landline 4",
        "0755 1234567",
        &[(Landline, "0755-1234567", "0755 1234567")],
    ),
    (
        "landline joined",
        "02012345678转",
        &[(Landline, "020-12345678", "02012345678")],
    ),
    // WeChat after its lures
    (
        "wechat",
        "加微信abc123联系",
        &[(Wechat, "abc123", "abc123")],
    ),
    (
        "wechat colon",
        "微信：Zhang_San-88",
        &[(Wechat, "zhang_san-88", "Zhang_San-88")],
    ),
    (
        "weixin homophone",
        "威信 debtfree2024",
        &[(Wechat, "debtfree2024", "debtfree2024")],
    ),
    (
        "wei flower",
        "薇信:tingxi666",
        &[(Wechat, "tingxi666", "tingxi666")],
    ),
    (
        "v xin",
        "V信 help_me88",
        &[(Wechat, "help_me88", "help_me88")],
    ),
    (
        "vx full width",
        "ＶＸ：ｗｘｉｄ＿ａｂｃ",
        &[(Wechat, "wxid_abc", "ｗｘｉｄ＿ａｂｃ")],
    ),
    ("wx", "wx: kefu0001", &[(Wechat, "kefu0001", "kefu0001")]),
    ("lone v", "加V abcdef", &[(Wechat, "abcdef", "abcdef")]),
    ("heart v", "V❤：qwerty1", &[(Wechat, "qwerty1", "qwerty1")]),
    ("plus v", "➕V tx8888a", &[(Wechat, "tx8888a", "tx8888a")]),
    (
        "wei alone",
        "薇 xiaomei99",
        &[(Wechat, "xiaomei99", "xiaomei99")],
    ),
    (
        "weixin heart",
        "威心号：abc_def",
        &[(Wechat, "abc_def", "abc_def")],
    ),
    (
        "wechat id word",
        "微信id：AbcDef1",
        &[(Wechat, "abcdef1", "AbcDef1")],
    ),
    (
        "phone as wechat",
        "vx13800001234",
        &[
            (Phone, "13800001234", "13800001234"),
            (Wechat, "13800001234", "13800001234"),
        ],
    ),
    (
        "phone as wechat spaced",
        "微信 138 0000 1234",
        &[
            (Phone, "13800001234", "138 0000 1234"),
            (Wechat, "13800001234", "138 0000 1234"),
        ],
    ),
    // QQ
    ("qq", "QQ:123456789", &[(Qq, "123456789", "123456789")]),
    ("koukou", "扣扣 88886666", &[(Qq, "88886666", "88886666")]),
    (
        "penguin",
        "企鹅号：10001234",
        &[(Qq, "10001234", "10001234")],
    ),
    ("qiuqiu", "球球52013", &[(Qq, "52013", "52013")]),
    (
        "add v xin",
        "加V信：abc_123",
        &[(Wechat, "abc_123", "abc_123")],
    ),
    ("add vx", "加VX abc_123", &[(Wechat, "abc_123", "abc_123")]),
    ("q alone", "加Q 5201314", &[(Qq, "5201314", "5201314")]),
    (
        "qq group",
        "QQ群 987654321",
        &[(Qq, "987654321", "987654321")],
    ),
    // links and e-mail
    (
        "https",
        "点击 https://Example.COM/Ab3x?utm=1 查看",
        &[(Url, "example.com/Ab3x", "https://Example.COM/Ab3x?utm=1")],
    ),
    (
        "http root",
        "http://www.tingxi.cn/",
        &[(Url, "www.tingxi.cn", "http://www.tingxi.cn/")],
    ),
    (
        "bare domain",
        "官网www.debt-help.com，欢迎",
        &[(Url, "www.debt-help.com", "www.debt-help.com")],
    ),
    (
        "short link",
        "戳t.cn/A6xYz9Q了解",
        &[(Url, "t.cn/A6xYz9Q", "t.cn/A6xYz9Q")],
    ),
    (
        "email",
        "邮箱 Help.Me@QQ.com 联系",
        &[(Email, "help.me@qq.com", "Help.Me@QQ.com")],
    ),
    (
        "qq email not a qq",
        "123456789@qq.com",
        &[(Email, "123456789@qq.com", "123456789@qq.com")],
    ),
    // masked numbers and hotlines: reported, never clues
    (
        "masked stars",
        "尾号138****0000的用户",
        &[(Masked, "138****0000", "138****0000")],
    ),
    (
        "masked x",
        "手机189xxxx1234",
        &[(Masked, "189****1234", "189xxxx1234")],
    ),
    (
        "masked full width",
        "１３８＊＊＊＊１２３４",
        &[(Masked, "138****1234", "１３８＊＊＊＊１２３４")],
    ),
    (
        "masked after lure",
        "微信138****0000",
        &[(Masked, "138****0000", "138****0000")],
    ),
    (
        "regulator",
        "可拨打12378投诉",
        &[(Hotline, "12378", "12378")],
    ),
    ("consumer", "12315热线", &[(Hotline, "12315", "12315")]),
    (
        "central bank",
        "人民银行12363",
        &[(Hotline, "12363", "12363")],
    ),
    ("bank 95", "客服95588", &[(Hotline, "95588", "95588")]),
    (
        "400",
        "官方客服400-820-8820",
        &[(Hotline, "4008208820", "400-820-8820")],
    ),
    (
        "800",
        "800 810 8888",
        &[(Hotline, "8008108888", "800 810 8888")],
    ),
    (
        "qq hotline is not qq",
        "QQ 95588",
        &[(Hotline, "95588", "95588")],
    ),
    // lookalikes that must not fire
    ("date", "2024-01-05还款", &[]),
    ("date digits", "20240105", &[]),
    ("date dots", "2024.01.05", &[]),
    ("amount", "借款13800元", &[]),
    ("amount spaced", "共 13800001234 元", &[]),
    ("amount sign", "￥13800001234", &[]),
    ("decimal", "12315.50", &[]),
    ("order number", "订单号：13800001234", &[]),
    ("order number long", "订单1380000123456789", &[]),
    ("contract number", "合同编号HT13800001234", &[]),
    ("contract digits", "合同 13800001234", &[]),
    ("id card", "身份证110105199003071234", &[]),
    ("id card x", "身份证号11010519900307123x", &[]),
    ("id card spaced", "110105 19900307 1234", &[]),
    ("bank card", "卡号6222021234567890123", &[]),
    ("twelve digits", "138000012345", &[]),
    ("ten digits", "1380000123", &[]),
    ("not a mobile prefix", "12800001234", &[]),
    ("id with phone inside", "abc13800001234", &[]),
    ("short wechat", "微信abc12", &[]),
    ("wechat digit first", "微信 1abcdef", &[]),
    ("wechat too long", "微信abcdefghijklmnopqrstu", &[]),
    ("v inside word", "dev abcdefg", &[]),
    ("vip", "vip会员 abcdefg", &[]),
    ("wechat no id", "加微信详聊", &[]),
    ("qq too short", "QQ 1234", &[]),
    ("qq leading zero", "QQ 012345", &[]),
    ("version", "版本 3.14", &[]),
    ("file name", "报告.pdf", &[]),
    ("decimal domain", "利率3.6cn", &[]),
    ("verification code", "验证码 138000", &[]),
    ("plain text", "我上个月的还款已经扣了", &[]),
    ("empty", "", &[]),
];

#[test]
fn table() {
    let mut failures = Vec::new();
    for (name, text, expected) in CASES {
        let got: Vec<(ContactKind, String, String)> = super::extract(text, &normalize(text))
            .into_iter()
            .map(|c| (c.kind, c.value, text[c.start..c.end].to_string()))
            .collect();
        let mut want: Vec<(ContactKind, String, String)> = expected
            .iter()
            .map(|(k, v, s)| {
                assert!(
                    text.contains(s),
                    "{name}: span text {s:?} is not in the case"
                );
                (*k, v.to_string(), s.to_string())
            })
            .collect();
        let mut got_sorted = got.clone();
        got_sorted.sort();
        want.sort();
        if got_sorted != want {
            failures.push(format!("{name}: {text:?}\n  want {want:?}\n  got  {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn spans_are_exact_offsets() {
    let text = "网贷逾期？加V信：abc_123，电话 138 0000 1234";
    let contacts = super::extract(text, &normalize(text));
    let wechat = contacts.iter().find(|c| c.kind == Wechat).unwrap();
    let at = text.find("abc_123").unwrap();
    assert_eq!((wechat.start, wechat.end), (at, at + "abc_123".len()));
    let phone = contacts.iter().find(|c| c.kind == Phone).unwrap();
    let at = text.find("138").unwrap();
    assert_eq!((phone.start, phone.end), (at, text.len()));
}

#[test]
fn only_clue_kinds_link() {
    assert!(Phone.is_clue() && Wechat.is_clue() && Url.is_clue());
    assert!(!Masked.is_clue() && !Hotline.is_clue());
}

proptest::proptest! {
    /// Whatever the text: no panic, and every span lies inside it on character boundaries.
    #[test]
    fn never_panics_and_spans_stay_inside(text in "(\\PC|[0-9一三八幺零〇 .\\-*xvVqQ@微信:：①⑧]){0,60}") {
        for c in super::extract(&text, &normalize(&text)) {
            proptest::prop_assert!(c.start < c.end && c.end <= text.len());
            proptest::prop_assert!(text.is_char_boundary(c.start) && text.is_char_boundary(c.end));
        }
    }
}

#[test]
fn a_long_text_is_read_in_windows_without_losing_or_cutting_contacts() {
    // Phones every 7,001 bytes land across every window edge sooner or later.
    let unit = format!(
        "{}加微信 abc_12345 或打 138-0000-1234 找我，",
        "的".repeat(2320)
    );
    let text = unit.repeat(3 * super::WINDOW / unit.len());
    let contacts = super::extract(&text, &normalize(&text));
    let units = text.len() / unit.len();
    assert_eq!(contacts.len(), 2 * units, "{:?}", &contacts[..4]);
    for (i, pair) in contacts.chunks(2).enumerate() {
        let at = i * unit.len();
        assert!(pair[0].start >= at && pair[1].end <= at + unit.len());
        assert_eq!(pair[0].value, "abc_12345");
        assert_eq!(&text[pair[1].start..pair[1].end], "138-0000-1234");
    }
}
