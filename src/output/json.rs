//! What every JSON record and document heihui writes has in common: the `schema` version
//! first, label-keyed objects rather than positional arrays (see [`crate::labels::ByLabel`]),
//! and f32 numbers printed as the f32 values they are (`0.8`, not `0.800000011920929`).

use serde::Serialize;
use serde_json::{Map, Value};

/// The version of the shape of heihui's JSON output, written as `"schema"` in every record
/// and document. One number for every command; it goes up when any record changes shape.
/// 3: label-keyed objects everywhere, character offsets beside byte offsets in spans
/// (`eval`'s report was 2 before; other records had no version).
/// 4: `hit_count` after `hits` in labelled rows (`label`, `classify`), `hits` listing at
/// most the first `--max-hits-per-row` of them.
pub const SCHEMA: u32 = 4;

/// `value` as a JSON value, its f32 numbers kept short. `serde_json::to_value` widens an f32
/// to the f64 nearest it, which prints with all its digits; written out as text and read
/// back, an f32 is the shortest decimal that reads back as it, and so is the f64 parsed
/// from that.
///
/// # Panics
/// Never for heihui's own types (maps with string keys, finite numbers).
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> Value {
    let text = serde_json::to_string(value).expect("heihui's records serialise");
    serde_json::from_str(&text).expect("serde_json reads what it writes")
}

/// One f32 as JSON, printed as the f32 it is.
pub fn f32_value(x: f32) -> Value {
    to_value(&x)
}

/// Per-label f32 values as `{"normal": .., "malicious_complaint": .., "debt_optimization": ..}`.
pub fn by_label(values: &[f32; 3]) -> Value {
    to_value(&crate::labels::ByLabel(values))
}

/// `value` (a struct or map) as one record: `"schema"` first, then its own keys.
///
/// # Panics
/// When `value` does not serialise to an object (a programming error, not a data one).
pub fn record<T: Serialize + ?Sized>(value: &T) -> Map<String, Value> {
    let Value::Object(fields) = to_value(value) else {
        panic!("a JSON record is an object");
    };
    let mut object = Map::with_capacity(fields.len() + 1);
    object.insert("schema".into(), SCHEMA.into());
    object.extend(fields);
    object
}

/// `value` as one line of JSON lines: [`record`] as text, without the newline.
pub fn line<T: Serialize + ?Sized>(value: &T) -> String {
    Value::Object(record(value)).to_string()
}

/// A decision as reports print it: `decision.json`'s fields, with its per-label arrays
/// (`bias`, and the stack's weights) label-keyed. `decision.json` itself keeps its arrays,
/// the form models are shipped and read in.
pub fn decision(d: &crate::decide::Decision) -> Value {
    let mut v = to_value(d);
    v["bias"] = by_label(&d.bias);
    if let Some(stack) = &d.stack {
        for (name, weights) in [
            ("transformer", &stack.transformer),
            ("ngram", &stack.ngram),
            ("hits", &stack.hits),
            ("warning", &stack.warning),
            ("bias", &stack.bias),
        ] {
            v["stack"][name] = by_label(weights);
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f32_values_print_short() {
        assert_eq!(f32_value(0.8).to_string(), "0.8");
        assert_eq!(
            by_label(&[0.1, 0.2, 0.7]).to_string(),
            r#"{"normal":0.1,"malicious_complaint":0.2,"debt_optimization":0.7}"#
        );
    }

    #[test]
    fn records_start_with_the_schema() {
        let line = line(&serde_json::json!({"a": 1}));
        assert_eq!(line, format!(r#"{{"schema":{SCHEMA},"a":1}}"#));
    }
}
