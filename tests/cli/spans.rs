//! Spans in JSON output: `start`/`end` count UTF-8 bytes and `start_char`/`end_char` count
//! characters, so a reader that indexes by characters (Python's `str`) slices the same text
//! as one that indexes bytes. Every text puts CJK, an emoji and ASCII before the span.

use crate::common::*;

/// The text between two character offsets.
fn by_chars(text: &str, span: &serde_json::Value) -> String {
    let start = span["start_char"].as_u64().expect("start_char") as usize;
    let end = span["end_char"].as_u64().expect("end_char") as usize;
    text.chars().skip(start).take(end - start).collect()
}

/// The text between two byte offsets.
fn by_bytes<'a>(text: &'a str, span: &serde_json::Value) -> &'a str {
    let start = span["start"].as_u64().unwrap() as usize;
    let end = span["end"].as_u64().unwrap() as usize;
    &text[start..end]
}

const HIT_TEXT: &str = "客服😀ok说：专业停息挂账";
const CONTACT_TEXT: &str = "投诉😀🙏 call me 13812345678 谢谢";

fn json_line(o: &std::process::Output) -> serde_json::Value {
    assert_eq!(o.status.code(), Some(0), "{}", stderr(o));
    serde_json::from_str(stdout(o).lines().next().expect("a line")).unwrap()
}

#[test]
fn match_json_hit_sliced_by_characters_is_its_phrase() {
    let v = json_line(&run(&["match", "--json", HIT_TEXT]));
    let hit = v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["phrase"] == "停息挂账")
        .expect("the phrase is found");
    assert_eq!(hit["kind"], "exact");
    assert_eq!(by_chars(HIT_TEXT, hit), "停息挂账");
    assert_eq!(by_bytes(HIT_TEXT, hit), "停息挂账");
    // 客服😀ok说：专业 is 9 characters and 24 bytes.
    assert_eq!(
        (hit["start_char"].as_u64(), hit["start"].as_u64()),
        (Some(9), Some(24))
    );
}

#[test]
fn classify_json_hits_and_contacts_slice_by_characters() {
    let text = format!("{HIT_TEXT}，{CONTACT_TEXT}");
    let v = json_line(&run(&["classify", "--json", &text]));
    let hit = v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["phrase"] == "停息挂账")
        .expect("the phrase is found");
    assert_eq!(by_chars(&text, hit), "停息挂账");
    let phone = v["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "phone")
        .expect("the phone is found");
    assert_eq!(by_chars(&text, phone), "13812345678");
    assert_eq!(by_bytes(&text, phone), "13812345678");
}

#[test]
fn label_jsonl_hits_and_contacts_slice_by_characters() {
    let text = format!("{CONTACT_TEXT}，{HIT_TEXT}");
    let line = serde_json::json!({"id": 1, "text": text}).to_string() + "\n";
    let o = run_stdin(&["label", "-", "--format", "jsonl", "-q"], line.as_bytes());
    let v = json_line(&o);
    let hit = v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["phrase"] == "停息挂账")
        .expect("the phrase is found");
    assert_eq!(by_chars(&text, hit), "停息挂账");
    assert_eq!(by_chars(&text, hit), hit["text"].as_str().unwrap());
    let phone = &v["contacts"][0];
    assert_eq!(phone["kind"], "phone");
    assert_eq!(by_chars(&text, phone), "13812345678");
}

#[test]
fn a_disguised_hit_slices_to_what_was_written() {
    // The hit's text is the original spelling; characters and bytes agree on it.
    let text = "🎉A股😀，停*息 挂.账找我";
    let v = json_line(&run(&["match", "--json", text]));
    let hit = v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["phrase"] == "停息挂账")
        .expect("the disguised phrase is found");
    assert_eq!(by_chars(text, hit), "停*息 挂.账");
    assert_eq!(by_chars(text, hit), by_bytes(text, hit));
}

#[test]
fn segment_json_tokens_slice_the_normalized_text_by_characters() {
    let v = json_line(&run(&["segment", "--json", "😀ok停息挂账"]));
    let normalized = v["normalized"].as_str().unwrap();
    let tokens = v["tokens"].as_array().unwrap();
    assert!(!tokens.is_empty());
    for t in tokens {
        assert_eq!(by_chars(normalized, t), t["word"].as_str().unwrap(), "{t}");
        assert_eq!(by_bytes(normalized, t), t["word"].as_str().unwrap(), "{t}");
    }
}
