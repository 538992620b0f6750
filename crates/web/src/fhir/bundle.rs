//! Bundles: `searchset` answers with `self` and `next` links.

use serde::Serialize;
use serde_json::{Value, json};

#[derive(Serialize)]
struct Link<'a> {
    relation: &'static str,
    url: &'a str,
}

#[derive(Serialize)]
struct SearchMode {
    mode: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Entry<R> {
    full_url: String,
    resource: R,
    search: SearchMode,
}

/// [`searchset`] with typed resources, serialised without a JSON tree (Slot searches).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Searchset<'a, R> {
    resource_type: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    link: Vec<Link<'a>>,
    entry: Vec<Entry<R>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    total: Option<usize>,
}

pub fn typed_searchset<'a, R: Serialize>(
    self_url: &'a str,
    next_url: Option<&'a str>,
    entries: Vec<(String, R)>,
    total: Option<usize>,
) -> Searchset<'a, R> {
    let mut link = vec![Link { relation: "self", url: self_url }];
    if let Some(url) = next_url {
        link.push(Link { relation: "next", url });
    }
    let entry = entries
        .into_iter()
        .map(|(full_url, resource)| Entry { full_url, resource, search: SearchMode { mode: "match" } })
        .collect();
    Searchset { resource_type: "Bundle", kind: "searchset", link, entry, total }
}

/// A search answer: the matches of one page, with the link to this page and (when there is
/// more) to the next. `total` is given only when it is known without counting every match.
pub fn searchset(self_url: &str, next_url: Option<&str>, entries: Vec<(String, Value)>, total: Option<usize>) -> Value {
    let mut link = vec![json!({ "relation": "self", "url": self_url })];
    if let Some(next) = next_url {
        link.push(json!({ "relation": "next", "url": next }));
    }
    let entry: Vec<Value> = entries
        .into_iter()
        .map(|(full_url, resource)| json!({ "fullUrl": full_url, "resource": resource, "search": { "mode": "match" } }))
        .collect();
    let mut b = json!({ "resourceType": "Bundle", "type": "searchset", "link": link, "entry": entry });
    if let Some(t) = total {
        b["total"] = json!(t);
    }
    b
}

/// A page's URL: the search's own parameters (minus paging) plus the paging ones.
pub fn page_url(base: &str, params: &[(String, String)], paging: &[(&str, String)]) -> String {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params.iter().filter(|(k, _)| k != "_offset" && k != "_cursor") {
        ser.append_pair(k, v);
    }
    for (k, v) in paging {
        ser.append_pair(k, v);
    }
    let q = ser.finish();
    if q.is_empty() { base.to_owned() } else { format!("{base}?{q}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_the_search_and_replace_the_paging() {
        let params = vec![("start".to_owned(), "ge2026-03-10".to_owned()), ("_offset".to_owned(), "50".to_owned())];
        let url = page_url("http://x/fhir/c/Slot", &params, &[("_offset", "100".into())]);
        assert_eq!(url, "http://x/fhir/c/Slot?start=ge2026-03-10&_offset=100");
        let b = searchset("self", Some("next"), vec![("u".into(), json!({"resourceType": "Slot"}))], Some(1));
        assert_eq!(b["type"], "searchset");
        assert_eq!(b["link"][1]["relation"], "next");
        assert_eq!(b["entry"][0]["search"]["mode"], "match");
        let typed = serde_json::to_value(typed_searchset(
            "self",
            Some("next"),
            vec![("u".to_owned(), json!({"resourceType": "Slot"}))],
            Some(1),
        ))
        .unwrap_or_default();
        assert_eq!(typed, b, "the typed bundle writes what the tree did");
        let last = searchset("self", None, vec![], None);
        let typed = serde_json::to_value(typed_searchset::<Value>("self", None, vec![], None)).unwrap_or_default();
        assert_eq!(typed, last);
        assert_eq!(last["link"].as_array().map(Vec::len), Some(1));
        assert!(last.get("total").is_none());
    }
}
