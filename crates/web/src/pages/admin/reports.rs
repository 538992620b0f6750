//! `/admin/{clinic}/reports`: the clinic's figures over a chosen period — appointments per day,
//! the no-show rate, the queue's mean and 90th-percentile wait, each practitioner's
//! utilisation, and messages and their cost per channel — with charts drawn here as SVG (no
//! script, no chart library) and `reports.csv`, the same figures for a spreadsheet. The numbers
//! come from `nobat_core::reports::compute` over store reads.

use crate::AppState;
use crate::auth::grant::Staff;
use crate::context::ClinicCtx;
use crate::pages::errors::error_page;
use crate::pages::page::{Asked, Page};
use crate::problem::{ApiError, ApiResult};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::ToSpan;
use jiff::civil::Date;
use nobat_core::access::ManageClinic;
use nobat_core::reports::{self, Report, ReportInput};
use nobat_i18n::{Args, CalendarPref, format_civil_date};
use nobat_store::model::DateRange;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub struct Period {
    from: Option<String>,
    to: Option<String>,
}

/// The period asked for: by default the last 30 days up to today.
fn period(ctx: &ClinicCtx, p: &Period) -> ApiResult<(Date, Date)> {
    let today = crate::pages::slots::today(ctx);
    let parse = |field: &str, raw: &Option<String>| {
        raw.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(|d| crate::context::date(field, d)).transpose()
    };
    let to = parse("to", &p.to)?.unwrap_or(today);
    let from = parse("from", &p.from)?.unwrap_or_else(|| to.checked_sub(29.days()).unwrap_or(to));
    if from > to {
        return Err(ApiError::invalid("from", "the first day comes after the last"));
    }
    if (to - from).get_days() >= reports::MAX_DAYS {
        return Err(ApiError::invalid("from", "a report covers at most 366 days"));
    }
    Ok((from, to))
}

/// Reads what the report needs and computes it.
async fn report(state: &AppState, ctx: &ClinicCtx, from: Date, to: Date) -> ApiResult<(Report, Vec<(String, String)>)> {
    let id = ctx.clinic.id;
    // A day more on each side covers every location's zone; `compute` keeps local days only.
    let start = from.checked_sub(1.day()).unwrap_or(from).to_zoned(jiff::tz::TimeZone::UTC);
    let end = to.checked_add(2.days()).unwrap_or(to).to_zoned(jiff::tz::TimeZone::UTC);
    let (Ok(start), Ok(end)) = (start, end) else { return Err(ApiError::invalid("from", "not a representable date")) };
    let (start, end) = (start.timestamp(), end.timestamp());
    let appointments = state.store.report_appointments(id, start, end).await?;
    let practitioners = state.store.practitioners(id).await?;
    let services = state.store.services(id).await?;
    let rules = state.store.rules(id, None).await?;
    let exceptions: Vec<_> =
        state.store.exceptions(id, DateRange { from, to }).await?.into_iter().map(|(e, _)| e).collect();
    // Waits and messages by the clinic's first location's days (UTC when it has none).
    let tz = ctx.locations.first().map(|l| ctx.tz(l.id)).unwrap_or(jiff::tz::TimeZone::UTC);
    let local = |d: Date| d.to_zoned(tz.clone()).map(|z| z.timestamp());
    let (Ok(w_from), Ok(w_to)) = (local(from), local(to.checked_add(1.day()).unwrap_or(to))) else {
        return Err(ApiError::invalid("to", "not a representable date"));
    };
    let waits = state.store.report_waits(id, w_from, w_to).await?;
    let messages = state.store.report_messages(id, w_from, w_to).await?;
    let zones: Vec<_> = ctx.locations.iter().map(|l| (l.id, ctx.tz(l.id))).collect();
    let ids: Vec<_> = practitioners.iter().map(|p| p.id).collect();
    let service_ids: Vec<_> = services.iter().map(|s| s.id).collect();
    let r = reports::compute(&ReportInput {
        from,
        to,
        appointments: &appointments,
        zones: &zones,
        practitioners: &ids,
        services: &service_ids,
        rules: &rules,
        exceptions: &exceptions,
        waits_s: &waits,
        messages: &messages,
    });
    let names = practitioners.into_iter().map(|p| (p.id.to_string(), p.name)).collect();
    Ok((r, names))
}

fn name_of(names: &[(String, String)], id: nobat_core::PractitionerId) -> String {
    let id = id.to_string();
    names.iter().find(|(i, _)| *i == id).map(|(_, n)| n.clone()).unwrap_or(id)
}

fn minutes(seconds: f64) -> String {
    format!("{:.1}", seconds / 60.0)
}

fn money(micros: i64) -> String {
    format!("{:.2}", micros as f64 / 1_000_000.0)
}

/// Text safe inside SVG/HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A bar chart as inline SVG: one bar per value, labelled, with a title for screen readers.
/// Vertical bars for a series of days, horizontal ones for named things.
/// `full` is the value a full-length bar stands for (100 for percentages), else the largest.
fn bars(title: &str, items: &[(String, f64, String)], horizontal: bool, full: Option<f64>) -> String {
    let max = full.unwrap_or_else(|| items.iter().map(|(_, v, _)| *v).fold(0.0_f64, f64::max)).max(1.0);
    let mut svg = String::new();
    if horizontal {
        let (row, label_w, w) = (28.0, 150.0, 440.0);
        let h = row * items.len().max(1) as f64 + 8.0;
        svg.push_str(&format!(
            r#"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{t}" direction="ltr" style="direction:ltr" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
            t = esc(title)
        ));
        for (i, (label, v, shown)) in items.iter().enumerate() {
            let y = i as f64 * row + 4.0;
            let bw = (w - label_w - 90.0) * v / max;
            svg.push_str(&format!(
                r##"<text x="{lx}" y="{ty}" font-size="13" text-anchor="end" fill="#1f2933">{l}</text><rect x="{label_w}" y="{y}" width="{bw:.1}" height="{bh}" fill="#1d5fa8" rx="3"/><text x="{vx:.1}" y="{ty}" font-size="13" fill="#1f2933">{s}</text>"##,
                lx = label_w - 8.0,
                ty = y + 16.0,
                l = esc(label),
                bh = row - 8.0,
                vx = label_w + bw + 6.0,
                s = esc(shown)
            ));
        }
    } else {
        let (w, h, base) = (640.0, 200.0, 170.0);
        let n = items.len().max(1) as f64;
        let slot = (w - 20.0) / n;
        svg.push_str(&format!(
            r#"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{t}" direction="ltr" style="direction:ltr" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
            t = esc(title)
        ));
        svg.push_str(&format!(
            r##"<line x1="10" y1="{base}" x2="{x2}" y2="{base}" stroke="#6b7785"/>"##,
            x2 = w - 10.0
        ));
        // Day labels are long in some languages: label every k-th bar so none overlap (each
        // bar's own tooltip names its day).
        let widest = items.iter().map(|(l, _, _)| l.chars().count()).max().unwrap_or(1) as f64 * 6.5 + 8.0;
        let every = ((widest / slot).ceil() as usize).max(1);
        for (i, (label, v, shown)) in items.iter().enumerate() {
            let x = 10.0 + i as f64 * slot;
            let bh = (base - 20.0) * v / max;
            svg.push_str(&format!(
                r##"<rect x="{x:.1}" y="{y:.1}" width="{bw:.1}" height="{bh:.1}" fill="#1d5fa8" rx="2"><title>{l}: {s}</title></rect>"##,
                y = base - bh,
                bw = (slot * 0.7).max(1.0),
                l = esc(label),
                s = esc(shown)
            ));
            if i % every == 0 {
                // Centred under its bar, but kept inside the picture at both ends.
                let half = label.chars().count() as f64 * 3.25;
                let centre = x + slot * 0.35;
                let (tx, anchor) = if centre - half < 2.0 {
                    (2.0, "start")
                } else if centre + half > w - 2.0 {
                    (w - 2.0, "end")
                } else {
                    (centre, "middle")
                };
                svg.push_str(&format!(
                    r##"<text x="{tx:.1}" y="{ty}" font-size="11" text-anchor="{anchor}" fill="#1f2933">{l}</text>"##,
                    ty = base + 16.0,
                    l = esc(label)
                ));
            }
        }
    }
    svg.push_str("</svg>");
    svg
}

pub struct UseRow {
    pub name: String,
    pub booked: String,
    pub open: String,
    pub percent: String,
}

pub struct ChannelRow {
    pub channel: String,
    pub count: i64,
    pub cost: String,
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage<'a> {
    page: &'a Page,
    heading: String,
    admin: String,
    csv: String,
    from: String,
    to: String,
    error: Option<crate::pages::errors::Shown>,
    period: String,
    total: u32,
    no_show: String,
    wait_mean: String,
    wait_p90: String,
    waits: String,
    days_chart: String,
    use_chart: String,
    msg_chart: String,
    uses: Vec<UseRow>,
    channels: Vec<ChannelRow>,
}

/// `GET /admin/{clinic}/reports`
pub async fn view(
    State(state): State<AppState>,
    asked: Asked,
    staff: Result<Staff<ManageClinic>, ApiError>,
    query: Result<Query<Period>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let staff = match staff {
        Ok(s) => s,
        Err(e) => return error_page(Page::new(&asked, asked.resolve(None), None), e),
    };
    let lang = asked.resolve(Some(&staff.ctx.clinic.default_language));
    let page = Page::new(&asked, lang, Some(&staff.principal));
    let q = query.map(|Query(q)| q).unwrap_or_default();
    let (period_error, (from, to)) = match period(&staff.ctx, &q) {
        Ok(p) => (None, p),
        Err(e) => {
            (Some(crate::pages::errors::explain(e, lang)), period(&staff.ctx, &Period::default()).unwrap_or_default())
        }
    };
    let (r, names) = match report(&state, &staff.ctx, from, to).await {
        Ok(found) => found,
        Err(e) => return error_page(page, e),
    };
    let day = |d: Date| format_civil_date(lang, d, CalendarPref::LocaleDefault);
    let heading = page.t1("pages-reports-title-of", "clinic", &staff.ctx.clinic.name);
    let page = page.with_title(heading.clone());
    let days: Vec<(String, f64, String)> =
        r.days.iter().map(|d| (day(d.date), f64::from(d.booked), d.booked.to_string())).collect();
    let uses: Vec<UseRow> = r
        .utilisation
        .iter()
        .map(|u| UseRow {
            name: name_of(&names, u.practitioner),
            booked: format!("{:.1}", u.booked_min as f64 / 60.0),
            open: format!("{:.1}", u.open_min as f64 / 60.0),
            percent: u.percent().map_or_else(|| "—".into(), |p| format!("{p:.0}%")),
        })
        .collect();
    let use_items: Vec<(String, f64, String)> = r
        .utilisation
        .iter()
        .zip(&uses)
        .map(|(u, row)| (row.name.clone(), u.percent().unwrap_or(0.0), row.percent.clone()))
        .collect();
    let channels: Vec<ChannelRow> = r
        .messages
        .iter()
        .map(|m| ChannelRow { channel: m.channel.clone(), count: m.count, cost: money(m.cost_micros) })
        .collect();
    let msg_items: Vec<(String, f64, String)> =
        r.messages.iter().map(|m| (m.channel.clone(), m.count as f64, m.count.to_string())).collect();
    let base = format!("/admin/{}", staff.ctx.clinic.slug);
    let view = ReportsPage {
        page: &page,
        heading,
        csv: format!("{base}/reports.csv?from={from}&to={to}"),
        admin: base,
        from: from.to_string(),
        to: to.to_string(),
        error: period_error,
        period: format!("{} – {}", day(from), day(to)),
        total: r.days.iter().map(|d| d.booked).sum(),
        no_show: r.no_show_rate.map_or_else(|| "—".into(), |x| format!("{:.1}%", x * 100.0)),
        wait_mean: r.wait.mean_s.map_or_else(|| "—".into(), minutes),
        wait_p90: r.wait.p90_s.map_or_else(|| "—".into(), |s| minutes(s as f64)),
        waits: page.ta("pages-reports-waits-count", &Args::new().num("count", r.wait.count as i64)),
        days_chart: bars(&page.t("pages-reports-per-day"), &days, false, None),
        use_chart: bars(&page.t("pages-reports-utilisation"), &use_items, true, Some(100.0)),
        msg_chart: bars(&page.t("pages-reports-messages"), &msg_items, true, None),
        uses,
        channels,
    };
    let status = view.error.as_ref().map_or(StatusCode::OK, |e| e.status);
    let html = view.render();
    page.respond(status, html)
}

/// A CSV field, quoted when it must be, and never read as a formula by a spreadsheet.
fn cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_owned() };
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s }
}

/// The report as CSV: `section,key,value` rows (the same numbers as the page).
pub fn csv(r: &Report, names: &[(String, String)]) -> String {
    let mut out = String::from("section,key,value\r\n");
    let mut row = |a: &str, b: &str, c: String| out.push_str(&format!("{},{},{}\r\n", cell(a), cell(b), cell(&c)));
    for d in &r.days {
        let date = d.date.to_string();
        row("appointments", &date, d.booked.to_string());
        row("cancelled", &date, d.cancelled.to_string());
        row("no_shows", &date, d.no_shows.to_string());
    }
    row("no_show_rate", "period", r.no_show_rate.map_or_else(String::new, |x| format!("{x:.4}")));
    row("wait_mean_minutes", "period", r.wait.mean_s.map_or_else(String::new, minutes));
    row("wait_p90_minutes", "period", r.wait.p90_s.map_or_else(String::new, |s| minutes(s as f64)));
    row("waits", "period", r.wait.count.to_string());
    for u in &r.utilisation {
        let name = name_of(names, u.practitioner);
        row("booked_minutes", &name, u.booked_min.to_string());
        row("open_minutes", &name, u.open_min.to_string());
        row("utilisation_percent", &name, u.percent().map_or_else(String::new, |p| format!("{p:.1}")));
    }
    for m in &r.messages {
        row("messages", &m.channel, m.count.to_string());
        row("message_cost", &m.channel, money(m.cost_micros));
    }
    out
}

/// `GET /admin/{clinic}/reports.csv`
pub async fn export(
    State(state): State<AppState>,
    asked: Asked,
    staff: Result<Staff<ManageClinic>, ApiError>,
    query: Result<Query<Period>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let staff = match staff {
        Ok(s) => s,
        Err(e) => return error_page(Page::new(&asked, asked.resolve(None), None), e),
    };
    let lang = asked.resolve(Some(&staff.ctx.clinic.default_language));
    let q = query.map(|Query(q)| q).unwrap_or_default();
    let found = match period(&staff.ctx, &q) {
        Ok((from, to)) => report(&state, &staff.ctx, from, to).await,
        Err(e) => Err(e),
    };
    let (r, names) = match found {
        Ok(x) => x,
        Err(e) => return error_page(Page::new(&asked, lang, Some(&staff.principal)), e),
    };
    let mut res = csv(&r, &names).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"report-{}-{}.csv\"", r.from, r.to)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}
