//! JSON lines: a labelled row as one object (the input's fields, then `schema` and the added
//! fields), and the line standing for a rejected input line.

use super::json::SCHEMA;
use super::{Decided, OutputSettings, RAW_CHARS};
use crate::classifier::Classification;
use crate::input::{Fields, Reject, Row};
use crate::mining::minhash::MinHasher;

/// One labelled row as a JSON object. An added key the input already uses gets a
/// `heihui_` prefix, so no field is shadowed.
pub(super) fn row_object(
    settings: &OutputSettings,
    header: &[String],
    lsh: Option<&MinHasher>,
    source: &str,
    row: &Row,
    c: &Classification,
) -> serde_json::Map<String, serde_json::Value> {
    let mut object = serde_json::Map::new();
    if settings.source_column {
        object.insert("source".into(), source.into());
    }
    match &row.fields {
        Fields::Json(map) => object.extend(map.clone()),
        // A table row keeps every column, named by the header.
        Fields::Table(fields) => object.extend(
            header
                .iter()
                .zip(fields)
                .map(|(k, v)| (k.clone(), serde_json::Value::from(v.as_str()))),
        ),
    }
    let decided = Decided::from(c);
    let added = std::iter::once(("schema".to_string(), SCHEMA.into())).chain(
        super::fields(settings.explain)
            .into_iter()
            .map(|col| (col.name(), col.value(&decided))),
    );
    for (key, value) in added {
        let key = if object.contains_key(&key) {
            format!("heihui_{key}")
        } else {
            key
        };
        object.insert(key, value);
    }
    if let Some(hasher) = lsh {
        let keys = c
            .signature
            .as_ref()
            .map(|sig| hasher.band_strings(sig))
            .unwrap_or_default();
        object.insert("lsh".into(), keys.into());
        // The signature itself, so a pair found on a band key can be verified by the
        // same estimate `campaigns` uses (the share of equal positions).
        let signature = c.signature.clone().unwrap_or_default();
        object.insert("minhash".into(), signature.into());
    }
    object
}

/// The object standing for a rejected line: its error, line, id when it has one, and a cut
/// of the raw line.
pub(super) fn reject_object(reject: &Reject) -> serde_json::Value {
    // `line` counts within this input (a partition, under a distributed engine), so
    // the line's own id and a cut of the raw line say which record it was.
    let id = serde_json::from_str::<serde_json::Value>(&reject.raw)
        .ok()
        .and_then(|v| v.get("id").cloned());
    let mut object = serde_json::json!({
        "schema": SCHEMA,
        "error": reject.reason,
        "line": reject.line,
        "label": null,
    });
    if let Some(id) = id {
        object["id"] = id;
    }
    object["raw"] = reject
        .raw
        .chars()
        .take(RAW_CHARS)
        .collect::<String>()
        .into();
    object
}
