//! Talking to the server under test: seeding clinics through the staff API, booking, timing.

use anyhow::{Context, bail};
use jiff::Timestamp;
use jiff::civil::Date;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

#[derive(Clone)]
pub struct Api {
    pub base: String,
    /// Anonymous: availability and bookings go the way a guest's do.
    pub http: reqwest::Client,
    /// Signed in as the operator who owns the seeded clinics: seeding only.
    pub staff: reqwest::Client,
}

/// A seeded clinic.
pub struct Clinic {
    pub slug: String,
    pub id: String,
    pub location: String,
    pub practitioners: Vec<String>,
    pub service: String,
}

impl Api {
    /// Signs the operator in and keeps both clients.
    pub async fn new(base: String) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder().pool_max_idle_per_host(512).tcp_nodelay(true).build()?;
        let login = json!({ "email": crate::server::OPERATOR_EMAIL, "password": crate::server::OPERATOR_PASSWORD, "bearer": true });
        let res = http.post(format!("{base}/auth/login")).json(&login).send().await?;
        let body: Value = res.json().await?;
        let token = body["token"].as_str().with_context(|| format!("sign-in failed: {body}"))?;
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {token}").parse()?);
        let staff = reqwest::Client::builder().default_headers(headers).build()?;
        Ok(Self { base, http, staff })
    }

    pub async fn post(&self, path: &str, body: &Value) -> anyhow::Result<(u16, Value)> {
        let res = self.http.post(format!("{}{path}", self.base)).json(body).send().await?;
        let status = res.status().as_u16();
        let bytes = res.bytes().await?;
        Ok((status, serde_json::from_slice(&bytes).unwrap_or(Value::Null)))
    }

    /// A POST as the signed-in operator, answering (status, body).
    pub async fn staff_post(&self, path: &str, body: &Value) -> anyhow::Result<(u16, Value)> {
        let res = self.staff.post(format!("{}{path}", self.base)).json(body).send().await?;
        let status = res.status().as_u16();
        let bytes = res.bytes().await?;
        Ok((status, serde_json::from_slice(&bytes).unwrap_or(Value::Null)))
    }

    pub async fn created(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        let res = self.staff.post(format!("{}{path}", self.base)).json(&body).send().await?;
        let s = res.status().as_u16();
        let v: Value = serde_json::from_slice(&res.bytes().await?).unwrap_or(Value::Null);
        if s != 201 {
            bail!("POST {path} → {s}: {v}");
        }
        Ok(v)
    }

    /// A clinic with `n` practitioners, one location in `tz`, one service, and a daily rule.
    pub async fn seed(
        &self,
        slug: &str,
        tz: &str,
        n: usize,
        service: Value,
        hours: (&str, &str),
    ) -> anyhow::Result<Clinic> {
        let clinic = self.created("/clinics", json!({ "slug": slug, "name": slug })).await?;
        let c = format!("/clinics/{slug}");
        let loc = self.created(&format!("{c}/locations"), json!({ "name": "Main", "time_zone": tz })).await?;
        let svc = self.created(&format!("{c}/services"), service).await?;
        let mut practitioners = Vec::with_capacity(n);
        for i in 0..n {
            let p = self.created(&format!("{c}/practitioners"), json!({ "name": format!("Dr. {i}") })).await?;
            let id = p["id"].as_str().context("practitioner id")?.to_owned();
            self.created(
                &format!("{c}/schedule/rules"),
                json!({ "practitioner": id, "location": loc["id"], "weekdays": ["mon","tue","wed","thu","fri","sat","sun"],
                        "start": hours.0, "end": hours.1, "valid_from": "2020-01-01" }),
            )
            .await?;
            practitioners.push(id);
        }
        Ok(Clinic {
            slug: slug.to_owned(),
            id: clinic["id"].as_str().context("clinic id")?.to_owned(),
            location: loc["id"].as_str().context("location id")?.to_owned(),
            practitioners,
            service: svc["id"].as_str().context("service id")?.to_owned(),
        })
    }

    /// Books one slot; returns the HTTP status, the appointment id on success, and the latency.
    pub async fn book(
        &self,
        clinic: &Clinic,
        practitioner: &str,
        start: Timestamp,
        who: &str,
    ) -> (u16, Option<String>, Duration) {
        let body = json!({
            "service": clinic.service, "practitioner": practitioner, "start": start.to_string(),
            "patient": { "name": who, "phone": "+905321112233" }
        });
        let t = Instant::now();
        match self.post(&format!("/clinics/{}/appointments", clinic.slug), &body).await {
            Ok((s, v)) => (s, v["id"].as_str().map(str::to_owned), t.elapsed()),
            Err(_) => (0, None, t.elapsed()),
        }
    }

    /// One availability query; returns the number of slots and the latency.
    pub async fn availability(&self, clinic: &Clinic, from: Date, to: Date) -> anyhow::Result<(usize, Duration)> {
        self.availability_as(clinic, from, to, false).await
    }

    /// The same, in the full or the compact answer.
    pub async fn availability_as(
        &self,
        clinic: &Clinic,
        from: Date,
        to: Date,
        compact: bool,
    ) -> anyhow::Result<(usize, Duration)> {
        let path = if compact { "availability/compact" } else { "availability" };
        let url =
            format!("{}/clinics/{}/{path}?service={}&from={from}&to={to}", self.base, clinic.slug, clinic.service);
        let t = Instant::now();
        let res = self.http.get(url).send().await?;
        let status = res.status();
        let bytes = res.bytes().await?;
        let took = t.elapsed();
        if !status.is_success() {
            bail!("availability → {status}");
        }
        // Count slots (outside the timed part).
        let n = if compact {
            let v: Value = serde_json::from_slice(&bytes)?;
            v["groups"].as_array().map_or(0, |g| g.iter().map(|g| g["starts"].as_array().map_or(0, Vec::len)).sum())
        } else {
            bytes.windows(8).filter(|w| w == b"\"start\":").count()
        };
        Ok((n, took))
    }

    /// One FHIR `Slot` search over the same local dates' UTC days (the whole window in one
    /// page, `_count` = the REST answer's limit); returns the number of slots and the latency.
    pub async fn fhir_slots(&self, clinic: &Clinic, from: Date, to: Date) -> anyhow::Result<(usize, Duration)> {
        let root = self.base.trim_end_matches("/api/v1");
        let until = to.tomorrow()?;
        let url = format!(
            "{root}/fhir/{}/Slot?service-type={}&start=ge{from}T00:00:00Z&start=lt{until}T00:00:00Z&_count=20000",
            clinic.slug, clinic.service
        );
        let t = Instant::now();
        let res = self.http.get(url).header("accept", "application/fhir+json").send().await?;
        let status = res.status();
        let bytes = res.bytes().await?;
        let took = t.elapsed();
        if !status.is_success() {
            bail!("FHIR Slot search → {status}: {}", String::from_utf8_lossy(&bytes));
        }
        let v: Value = serde_json::from_slice(&bytes)?;
        let n = v["entry"].as_array().map_or(0, Vec::len);
        if v["link"].as_array().is_some_and(|l| l.iter().any(|l| l["relation"] == "next")) {
            bail!("FHIR Slot search paged: the window does not fit one answer");
        }
        Ok((n, took))
    }

    /// The offered slot starts of one practitioner between two dates.
    pub async fn slot_starts(
        &self,
        clinic: &Clinic,
        practitioner: &str,
        from: Date,
        to: Date,
    ) -> anyhow::Result<Vec<Timestamp>> {
        let url = format!(
            "{}/clinics/{}/availability?service={}&from={from}&to={to}&practitioner={practitioner}",
            self.base, clinic.slug, clinic.service
        );
        let v: Value = self.http.get(url).send().await?.json().await?;
        v["slots"]
            .as_array()
            .context("slots")?
            .iter()
            .map(|s| s["start"].as_str().context("start")?.parse::<Timestamp>().context("parse start"))
            .collect()
    }
}
