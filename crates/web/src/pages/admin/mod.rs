//! `/admin/{clinic}`: the clinic's settings as plain forms that work without JavaScript —
//! locations, practitioners, services, weekly hours, holidays and other exceptions, staff and
//! their roles, the two-factor policy, the SMS budget and the watch settings. Each form posts to
//! `/admin/{clinic}/{form}` ([`actions`]), which runs the REST handler of the same change.
//! Signed-in staff only: the page needs `ManageClinic`, each form the capability its API route
//! asks for.

pub mod actions;
pub mod messages;
pub mod reports;

use super::errors::{FormErrors, error_page};
use super::page::{Asked, Page};
use crate::AppState;
use crate::auth::grant::{Visitor, grant};
use crate::problem::{ApiError, ApiResult};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use jiff::ToSpan;
use jiff::civil::Date;
use nobat_core::access::ManageClinic;
use nobat_i18n::{CalendarPref, format_civil_date};
use nobat_store::model::DateRange;
use serde::Deserialize;

pub(crate) fn today_utc() -> Date {
    jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date()
}

/// A posted form's fields in order (a field may repeat: the weekday boxes).
#[derive(Debug, Default)]
pub struct Posted(Vec<(String, String)>);

impl Posted {
    pub fn parse(body: &[u8]) -> Self {
        Self(form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
    }

    /// The field, trimmed; empty when absent.
    pub fn get(&self, name: &str) -> String {
        self.opt(name).unwrap_or_default()
    }

    /// The field, trimmed; `None` when absent or empty.
    pub fn opt(&self, name: &str) -> Option<String> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_owned()).filter(|v| !v.is_empty())
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.trim().to_owned()).collect()
    }

    /// A checkbox: present means ticked (an unticked box is not sent at all).
    pub fn checked(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }
}

/// A row of a list with the id its delete button posts.
pub struct Row {
    pub id: String,
    pub cells: Vec<String>,
    /// A second button of the row: the form it posts (with `id`) and its label.
    pub toggle: Option<(String, String)>,
}

/// An option of a select.
pub struct Choice {
    pub value: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage<'a> {
    page: &'a Page,
    heading: String,
    base: String,
    reports: String,
    done: Option<String>,
    failed: Option<(String, FormErrors, Posted)>,
    locations: Vec<Row>,
    practitioners: Vec<Row>,
    services: Vec<Row>,
    rules: Vec<Row>,
    exceptions: Vec<Row>,
    members: Vec<Row>,
    location_choices: Vec<Choice>,
    practitioner_choices: Vec<Choice>,
    weekdays: Vec<Choice>,
    roles: Vec<Choice>,
    require_staff_2fa: bool,
    verify_guest_contact: bool,
    retention_days: String,
    sms_monthly: String,
    sms_used: String,
    templates: Vec<Row>,
    channels: Vec<Row>,
    template_keys: Vec<Choice>,
    languages: Vec<Choice>,
    channel_kinds: Vec<Choice>,
    credential_inputs: Vec<messages::CredField>,
    offer_minutes: String,
    per_hour: String,
    per_day: String,
    verify_guests: bool,
}

impl AdminPage<'_> {
    /// The message for `field` of form `form`, if that form was just refused for it.
    fn err(&self, form: &str, field: &str) -> Option<String> {
        self.failed.as_ref().filter(|(f, _, _)| f == form).and_then(|(_, e, _)| e.get(field))
    }

    /// The form's messages that no field of it shows.
    fn general<T: AsRef<[&'static str]> + ?Sized>(&self, form: &str, fields: &T) -> Vec<String> {
        let fields = fields.as_ref();
        self.failed.as_ref().filter(|(f, _, _)| f == form).map(|(_, e, _)| e.general(fields)).unwrap_or_default()
    }

    /// Whether a list has a second button per row (its header needs one more column).
    fn any_toggle(&self, rows: &[Row]) -> bool {
        rows.iter().any(|r| r.toggle.is_some())
    }

    /// The credential inputs' names (the channel form's fields).
    fn credential_names(&self) -> Vec<&'static str> {
        self.credential_inputs.iter().map(|f| f.name).collect()
    }

    /// Whether box `value` of `field` was ticked in `form` before it was refused.
    fn ticked(&self, form: &str, field: &str, value: &str) -> bool {
        self.failed
            .as_ref()
            .filter(|(f, _, _)| f == form)
            .is_some_and(|(_, _, p)| p.all(field).iter().any(|v| v == value))
    }

    /// What was typed in `field` of `form` before it was refused (so nothing is typed twice).
    fn val(&self, form: &str, field: &str) -> String {
        self.failed.as_ref().filter(|(f, _, _)| f == form).map(|(_, _, p)| p.get(field)).unwrap_or_default()
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct AdminQuery {
    done: Option<String>,
}

/// `GET /admin/{clinic}`
pub async fn view(
    State(state): State<AppState>,
    asked: Asked,
    visitor: Result<Visitor, ApiError>,
    query: Result<Query<AdminQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let visitor = match visitor {
        Ok(v) => v,
        Err(e) => return error_page(Page::new(&asked, asked.resolve(None), None), e),
    };
    let done = query.ok().and_then(|Query(q)| q.done).is_some();
    render(&state, &asked, &visitor, None, done).await
}

/// The admin page, with the refusal of the form just posted if any.
pub(crate) async fn render(
    state: &AppState,
    asked: &Asked,
    visitor: &Visitor,
    failed: Option<(String, FormErrors, Posted)>,
    done: bool,
) -> Response {
    let lang = asked.resolve(Some(&visitor.ctx.clinic.default_language));
    let Some(principal) = visitor.principal.as_ref() else {
        let e = crate::auth::principal::unauthenticated("sign in as staff of this clinic");
        return error_page(Page::new(asked, lang, None), e);
    };
    let page = Page::new(asked, lang, Some(principal));
    let title = page.t1("pages-admin-title", "clinic", &visitor.ctx.clinic.name);
    let page = page.with_title(title);
    let staff = match grant::<ManageClinic>(state, principal, visitor.ctx.clone()).await {
        Ok(s) => s,
        Err(e) => return error_page(page, e),
    };
    match build(state, &page, &staff.ctx, failed, done).await {
        Ok(view) => {
            let status = view.failed.as_ref().map_or(StatusCode::OK, |(_, e, _)| e.status());
            let html = view.render();
            page.respond(status, html)
        }
        Err(e) => error_page(page, e),
    }
}

async fn build<'a>(
    state: &AppState,
    page: &'a Page,
    ctx: &crate::context::ClinicCtx,
    failed: Option<(String, FormErrors, Posted)>,
    done: bool,
) -> ApiResult<AdminPage<'a>> {
    let clinic = &ctx.clinic;
    let id = clinic.id;
    let locations = state.store.locations(id).await?;
    let practitioners = state.store.practitioners(id).await?;
    let services = state.store.services(id).await?;
    let rules = state.store.rules(id, None).await?;
    let from = today_utc();
    let to = from.checked_add(1.year()).unwrap_or(from);
    let exceptions = state.store.exceptions(id, DateRange { from, to }).await?;
    let members = state.store.members(id).await?;
    let budget = state.store.sms_budget(id, jiff::Timestamp::now()).await?;
    let watch = state.store.watch_settings(id).await?;
    let lang = page.lang;
    let name_of_location =
        |l: nobat_core::LocationId| locations.iter().find(|x| x.id == l).map(|x| x.name.clone()).unwrap_or_default();
    let name_of_practitioner = |p: nobat_core::PractitionerId| {
        practitioners.iter().find(|x| x.id == p).map(|x| x.name.clone()).unwrap_or_default()
    };
    let day = |d: Date| format_civil_date(lang, d, CalendarPref::LocaleDefault);
    let weekday_keys = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let hhmm = |m: nobat_core::DayMinutes| m.to_string();
    let base = format!("/admin/{}", clinic.slug);
    // An active practitioner or service is offered to patients; the button turns that off or on.
    let toggle = |what: &str, active: bool| {
        let key = if active { "pages-admin-deactivate" } else { "pages-admin-activate" };
        (format!("{}-{what}", if active { "deactivate" } else { "activate" }), page.t(key))
    };
    Ok(AdminPage {
        page,
        heading: page.t1("pages-admin-title", "clinic", &clinic.name),
        reports: format!("{base}/reports"),
        base,
        done: done.then(|| page.t("pages-admin-saved")),
        locations: locations
            .iter()
            .map(|l| Row {
                id: l.id.to_string(),
                cells: vec![l.name.clone(), l.time_zone.clone(), l.address.clone()],
                toggle: None,
            })
            .collect(),
        practitioners: practitioners
            .iter()
            .map(|p| Row {
                id: p.id.to_string(),
                cells: vec![
                    p.name.clone(),
                    page.t(if p.active { "pages-admin-active" } else { "pages-admin-inactive" }),
                ],
                toggle: Some(toggle("practitioner", p.active)),
            })
            .collect(),
        services: services
            .iter()
            .map(|s| Row {
                id: s.id.to_string(),
                cells: vec![
                    s.name.clone(),
                    page.ta("pages-duration", &nobat_i18n::Args::new().num("minutes", i64::from(s.duration_min))),
                    s.capacity.to_string(),
                    page.t(if s.active { "pages-admin-active" } else { "pages-admin-inactive" }),
                ],
                toggle: Some(toggle("service", s.active)),
            })
            .collect(),
        rules: rules
            .iter()
            .map(|r| {
                let days: Vec<String> =
                    r.weekdays.names().iter().map(|d| page.t(&format!("pages-admin-day-{d}"))).collect();
                let breaks: Vec<String> = r.breaks.iter().map(|(s, e)| format!("{}–{}", hhmm(*s), hhmm(*e))).collect();
                Row {
                    id: r.id.to_string(),
                    cells: vec![
                        name_of_practitioner(r.practitioner),
                        name_of_location(r.location),
                        days.join(", "),
                        format!("{}–{}", hhmm(r.start), hhmm(r.end)),
                        breaks.join(", "),
                        match r.valid_until {
                            Some(u) => format!("{} – {}", day(r.valid_from), day(u)),
                            None => page.t1("pages-admin-from", "date", &day(r.valid_from)),
                        },
                    ],
                    toggle: None,
                }
            })
            .collect(),
        exceptions: exceptions
            .iter()
            .map(|(e, note)| Row {
                id: e.id.to_string(),
                cells: vec![
                    day(e.date),
                    page.t(match e.kind {
                        nobat_core::ExceptionKind::Closed => "pages-admin-closed",
                        nobat_core::ExceptionKind::Extra => "pages-admin-extra",
                    }),
                    match (e.start, e.end) {
                        (None, None) => page.t("pages-admin-all-day"),
                        (s, e) => format!(
                            "{}–{}",
                            s.map(hhmm).unwrap_or_else(|| "00:00".into()),
                            e.map(hhmm).unwrap_or_else(|| "24:00".into())
                        ),
                    },
                    e.practitioner.map(name_of_practitioner).unwrap_or_else(|| page.t("pages-admin-everyone")),
                    e.location.map(name_of_location).unwrap_or_else(|| page.t("pages-admin-everywhere")),
                    note.clone(),
                ],
                toggle: None,
            })
            .collect(),
        members: members
            .iter()
            .map(|m| Row {
                id: m.membership.user.to_string(),
                cells: vec![
                    m.name.clone(),
                    m.email.clone(),
                    page.t(&format!("pages-admin-role-{}", m.membership.role)),
                    page.t(if m.totp_enabled { "pages-admin-yes" } else { "pages-admin-no" }),
                ],
                toggle: None,
            })
            .collect(),
        location_choices: locations.iter().map(|l| Choice { value: l.id.to_string(), label: l.name.clone() }).collect(),
        practitioner_choices: practitioners
            .iter()
            .map(|p| Choice { value: p.id.to_string(), label: p.name.clone() })
            .collect(),
        weekdays: weekday_keys
            .iter()
            .map(|d| Choice { value: (*d).to_owned(), label: page.t(&format!("pages-admin-day-{d}")) })
            .collect(),
        roles: ["owner", "admin", "practitioner", "receptionist"]
            .iter()
            .map(|r| Choice { value: (*r).to_owned(), label: page.t(&format!("pages-admin-role-{r}")) })
            .collect(),
        require_staff_2fa: clinic.security.require_staff_2fa,
        verify_guest_contact: clinic.security.verify_guest_contact,
        retention_days: clinic.security.retention_days.map(|d| d.to_string()).unwrap_or_default(),
        sms_monthly: budget.set.map(|n| n.to_string()).unwrap_or_default(),
        sms_used: page.ta(
            "pages-admin-sms-used",
            &nobat_i18n::Args::new().num("used", budget.used).num("budget", budget.effective),
        ),
        templates: messages::template_rows(state, id).await?,
        channels: messages::channel_rows(state, id).await?,
        template_keys: messages::template_choices(),
        languages: nobat_i18n::Lang::ALL
            .iter()
            .map(|l| Choice { value: l.code().to_owned(), label: l.code().to_owned() })
            .collect(),
        channel_kinds: messages::channel_choices(),
        credential_inputs: messages::credential_inputs(),
        offer_minutes: watch.offer_minutes.to_string(),
        per_hour: watch.limits.per_hour.to_string(),
        per_day: watch.limits.per_day.to_string(),
        verify_guests: watch.verify_guests,
        failed,
    })
}
