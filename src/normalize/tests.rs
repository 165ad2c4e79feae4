use super::*;

#[test]
fn char_offsets_walk_either_way() {
    // 停 is 3 bytes, the emoji 4, the letters 1.
    let text = "停a😀b停停c";
    let mut offsets = CharOffsets::new(text);
    let slice = |r: Range<usize>| text.chars().skip(r.start).take(r.len()).collect::<String>();
    let cases = [
        (8..9, "b"),
        (0..4, "停a"),
        (9..15, "停停"),
        (4..8, "😀"),
        (15..16, "c"),
    ];
    for (bytes, want) in cases {
        let chars = offsets.span(bytes.clone());
        assert_eq!(
            slice(chars.clone()),
            want,
            "bytes {bytes:?} gave chars {chars:?}"
        );
        assert_eq!(&text[bytes], want);
    }
    assert_eq!(offsets.at(text.len()), text.chars().count());
    assert_eq!(offsets.at(0), 0);
}

/// One line per case: input, expected normalised text.
const CASES: &[(&str, &str)] = &[
    // width and case
    ("ＶＸ１３８", "vx138"),
    ("ＴＸＧＺ", "txgz"),
    ("加Ｖ信", "加v信"),
    // compatibility forms
    ("Ⓥ信", "v信"),
    ("①②③", "123"),
    ("㈤", "(五)"),
    ("🅃🅇🄶🅉", "txgz"),
    ("🅥🅧", "vx"),
    ("🆅🆇", "vx"),
    ("𝐕𝐗", "vx"),
    // format characters
    ("停\u{200B}息", "停息"),
    ("债\u{200D}务\u{FEFF}优化", "债务优化"),
    ("征\u{FE0F}信", "征信"),
    ("停\u{0336}息", "停息"),
    // traditional to simplified
    ("債務優化", "债务优化"),
    ("停息掛賬", "停息挂账"),
    ("徵信修復", "征信修复"),
    ("乾", "乾"),
    ("乾坤", "乾坤"),
    ("瞭望", "瞭望"),
    ("乾淨的衣服", "干净的衣服"),
    // interference symbols
    ("停*息 挂.账", "停息挂账"),
    ("停❤息", "停息"),
    ("债-务-优-化", "债务优化"),
    ("协 商 减 免", "协商减免"),
    ("征/信/修/复", "征信修复"),
    ("停 ** 息", "停息"),
    ("停💰💰💰💰💰息", "停💰💰💰💰💰息"),
    ("还款。停息", "还款。停息"),
    ("我同意，挂账", "我同意，挂账"),
    ("第一行\n第二行", "第一行\n第二行"),
    ("abc def", "abc def"),
    ("停 息\n挂 账", "停息\n挂账"),
    // contact numbers
    ("一三八 0000 1234", "13800001234"),
    ("1 3 8 0 0 0 0 1 2 3 4", "13800001234"),
    ("138-0000-1234", "13800001234"),
    ("13800001234", "13800001234"),
    ("一二三", "一二三"),
    ("一三八零零零零一二三四", "13800001234"),
    ("2024-01-05", "2024-01-05"),
    ("010-1234-5678", "01012345678"),
    ("共 10 000 元", "共 10 000 元"),
    ("", ""),
];

#[test]
fn table() {
    for (input, expected) in CASES {
        assert_eq!(normalize(input).as_str(), *expected, "input {input:?}");
    }
}

#[test]
fn offsets_map_back_to_original() {
    let input = "加 Ｖ: 債*務*優*化";
    let n = normalize(input);
    let at = n.as_str().find("债务优化").unwrap();
    let span = n.original_span(at..at + "债务优化".len());
    assert_eq!(&input[span], "債*務*優*化");
    let v = n.as_str().find('v').unwrap();
    assert_eq!(&input[n.original_span(v..v + 1)], "Ｖ");
}

#[test]
fn empty_range_maps_to_empty_range() {
    let n = normalize("停息");
    assert_eq!(n.original_span(3..3), 3..3);
    assert_eq!(n.original_span(6..6), 6..6);
    assert_eq!(normalize("").original_span(0..0), 0..0);
}

#[test]
fn long_texts_normalise_as_in_one_go() {
    let unit =
        "債務優化，乾淨的衣服 停*息 挂.账 一三八 0000 1234 ＶＸ１３８ 共 10 000 元\u{200B}㈤";
    let input = unit.repeat(3 * STRETCH / unit.len());
    let mut one_go = Normalized {
        original_len: input.len(),
        ..Normalized::default()
    };
    let pieces = drop_interference(to_simplified(fold_forms(&input, 0)));
    for piece in canonical_contact_numbers(pieces) {
        one_go.push(piece);
    }
    assert_eq!(normalize(&input), one_go);
}

#[test]
fn plain_text_keeps_one_anchor_not_one_per_character() {
    let n = normalize(&"please call me about the loan 停息挂账 ".repeat(30_000));
    assert_eq!(n.anchors.len(), 1);
    assert_eq!(n.original_span(7..11), 7..11);
}

#[test]
fn dropped_characters_keep_neighbours_in_place() {
    let input = "\u{200B}停息";
    let n = normalize(input);
    assert_eq!(n.as_str(), "停息");
    assert_eq!(n.original_span(0..3), 3..6);
}

proptest::proptest! {
    /// Whatever the text: no panic, and every normalised character maps to a non-empty
    /// span inside the original that falls on character boundaries, in order.
    #[test]
    fn never_panics_and_offsets_stay_inside(input in "(\\PC|[停息挂账债务优化*\u{200B}\u{FE0F}❤ ，。①Ⓥ一三八0-9 ])*") {
        let n = normalize(&input);
        let mut last_start = 0;
        for (i, _) in n.as_str().char_indices() {
            let Range { start, end } = n.span_of(i);
            proptest::prop_assert!(start < end && end <= input.len());
            proptest::prop_assert!(input.is_char_boundary(start) && input.is_char_boundary(end));
            proptest::prop_assert!(start >= last_start, "spans keep the original order");
            last_start = start;
            proptest::prop_assert_eq!(n.original_span(i..i + 1), start..end);
        }
        let all = n.original_span(0..n.as_str().len());
        proptest::prop_assert!(all.end <= input.len());
    }
}
