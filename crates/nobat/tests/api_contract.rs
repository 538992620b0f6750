//! The OpenAPI document covers every route the server answers, and the routes the issue
//! promises exist.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use reqwest::StatusCode;

#[tokio::test]
async fn health_and_openapi_document() {
    let app = spawn_app().await;
    let res = app.client.get(format!("{}/healthz", app.base)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (s, doc) = app.get("/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "OpenAPI 3.1: {}", doc["openapi"]);
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/healthz", "get"),
        ("/api/v1/clinics", "get"),
        ("/api/v1/clinics/{clinic}/availability", "get"),
        ("/api/v1/clinics/{clinic}/services", "get"),
        ("/api/v1/clinics/{clinic}/practitioners", "get"),
        ("/api/v1/clinics/{clinic}/holds", "post"),
        ("/api/v1/clinics/{clinic}/appointments", "post"),
        ("/api/v1/clinics/{clinic}/appointments", "get"),
        ("/api/v1/clinics/{clinic}/appointments/{id}", "get"),
        ("/api/v1/clinics/{clinic}/appointments/{id}/cancel", "post"),
        ("/api/v1/clinics/{clinic}/appointments/{id}/reschedule", "post"),
    ] {
        assert!(paths.get(path).and_then(|p| p.get(method)).is_some(), "{method} {path} is documented");
    }
    app.stop().await;
}

/// Every documented operation is routed (never the "no such endpoint" fallback or a 405), and
/// every error it gives is problem+json. Together with `api()` building the router and the
/// document from the same list, no endpoint can exist undocumented.
#[tokio::test]
async fn every_documented_operation_is_routed() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let (_, doc) = app.get("/openapi.json").await;
    let mut count = 0;
    let mut ops: Vec<(String, String)> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            ops.push((path.clone(), method.clone()));
        }
    }
    // Signing out last, so every other operation runs signed in.
    ops.sort_by_key(|(path, _)| path.ends_with("/logout"));
    for (path, method) in &ops {
        {
            let mut filled = path.replace("{clinic}", &seed.slug);
            while let (Some(a), Some(b)) = (filled.find('{'), filled.find('}')) {
                filled.replace_range(a..=b, &uuid::Uuid::now_v7().to_string());
            }
            let url = format!("{}{}", app.base, filled);
            let req = match method.as_str() {
                "get" => app.client.get(&url),
                "post" => app.client.post(&url).json(&serde_json::json!({})),
                "put" => app.client.put(&url).json(&serde_json::json!({})),
                "patch" => app.client.patch(&url).json(&serde_json::json!({})),
                "delete" => app.client.delete(&url),
                other => panic!("unexpected method {other}"),
            };
            let (status, body) = decode(req.send().await.unwrap()).await;
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            assert_ne!(body["detail"].as_str(), Some("no such endpoint"), "{method} {path} is not routed");
            assert!(!status.is_server_error(), "{method} {path}: {status} {body}");
            count += 1;
        }
    }
    assert!(count >= 30, "documented operations: {count}");
    app.stop().await;
}

#[tokio::test]
async fn directory_lists_clinics_with_zones_by_id_or_slug() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let (_, list) = app.get("/clinics").await;
    let clinic = list["clinics"].as_array().unwrap().iter().find(|c| c["slug"] == seed.slug.as_str()).unwrap().clone();
    let zones: Vec<&str> =
        clinic["locations"].as_array().unwrap().iter().map(|l| l["time_zone"].as_str().unwrap()).collect();
    assert!(zones.contains(&"Asia/Tehran") && zones.contains(&"Africa/Casablanca"));
    let (s1, by_slug) = app.get(&format!("/clinics/{}/services", seed.slug)).await;
    let (s2, by_id) = app.get(&format!("/clinics/{}/services", seed.clinic)).await;
    assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK));
    assert_eq!(by_slug, by_id);
    assert_eq!(by_slug["services"].as_array().unwrap().len(), 2);
    let (_, ps) = app.get(&format!("/clinics/{}/practitioners", seed.slug)).await;
    assert_eq!(ps["practitioners"].as_array().unwrap().len(), 2);
    app.stop().await;
}

/// Clinic contexts are cached per request path; a change must show at once.
#[tokio::test]
async fn clinic_changes_show_at_once() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let (_, before) = app.get(&format!("/clinics/{}", seed.slug)).await;
    assert_eq!(before["name"], "Test Clinic");
    let (s, _) = app.patch(&format!("/clinics/{}", seed.slug), serde_json::json!({ "name": "Renamed" })).await;
    assert_eq!(s, StatusCode::OK);
    let (_, after) = app.get(&format!("/clinics/{}", seed.slug)).await;
    assert_eq!(after["name"], "Renamed");
    let (s, _) = app
        .post(
            &format!("/clinics/{}/locations", seed.slug),
            serde_json::json!({ "name": "Istanbul", "time_zone": "Europe/Istanbul" }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, list) = app.get(&format!("/clinics/{}/locations", seed.clinic)).await;
    assert_eq!(list["locations"].as_array().unwrap().len(), 3);
    app.stop().await;
}

/// The document itself is well-formed where generators and fuzzers rely on it: operationIds
/// are unique (clients name methods after them), every `{param}` of a path template is a
/// declared path parameter and every declared path parameter is in the template (a query
/// filter declared `in: path` is sent where the server never reads it), and every operation
/// that takes a credential accepts both the bearer token and the session cookie.
#[test]
fn openapi_document_is_self_consistent() {
    let (_, doc) = nobat_web::api();
    let doc = serde_json::to_value(&doc).unwrap();
    let mut problems = Vec::new();
    let mut ids = std::collections::BTreeMap::<String, Vec<String>>::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let template: std::collections::BTreeSet<&str> =
            path.split('{').skip(1).filter_map(|rest| rest.split('}').next()).collect();
        for (method, op) in item.as_object().unwrap() {
            let name = format!("{method} {path}");
            match op["operationId"].as_str() {
                Some(id) => ids.entry(id.to_owned()).or_default().push(name.clone()),
                None => problems.push(format!("{name}: no operationId")),
            }
            let declared: std::collections::BTreeSet<&str> = op["parameters"]
                .as_array()
                .map(|ps| ps.iter().filter(|p| p["in"] == "path").filter_map(|p| p["name"].as_str()).collect())
                .unwrap_or_default();
            for missing in template.difference(&declared) {
                problems.push(format!("{name}: `{{{missing}}}` is not a declared path parameter"));
            }
            for stray in declared.difference(&template) {
                problems.push(format!("{name}: path parameter `{stray}` is not in the path"));
            }
            if let Some(security) = op["security"].as_array().filter(|s| !s.is_empty()) {
                for scheme in ["bearer", "session"] {
                    if !security.iter().any(|s| s.get(scheme).is_some()) {
                        problems.push(format!("{name}: does not list the `{scheme}` scheme"));
                    }
                }
            }
            if op.get("requestBody").is_some() {
                for code in ["400", "415", "422"] {
                    if op["responses"].get(code).is_none() {
                        problems.push(format!("{name}: takes a body but does not document {code}"));
                    }
                }
            }
            if op["responses"].get("429").is_none() {
                problems.push(format!("{name}: every route is rate-limited but 429 is not documented"));
            }
        }
    }
    for (id, ops) in ids.into_iter().filter(|(_, ops)| ops.len() > 1) {
        problems.push(format!("operationId `{id}` is used by {ops:?}"));
    }
    assert!(problems.is_empty(), "the OpenAPI document:\n{}", problems.join("\n"));
}
