//! Tenant isolation, proven by a matrix the OpenAPI document drives — so a new endpoint cannot
//! escape it:
//!
//! * the operations anyone may call are exactly the ones listed in [`PUBLIC`]; every other
//!   one answers 401 without a valid credential (none, forged, revoked, signed out);
//! * every role of one clinic, signed in or with an API token, aimed at the other clinic's
//!   routes (by slug and by id) and at its objects' ids gets 403 or 404, never a byte of the
//!   other clinic's data, and changes nothing there;
//! * inside its own clinic each role is refused exactly where [`CLINIC_ROUTES`] and the
//!   capability table ([`POLICY`], checked against `nobat_core::access`) say, and let through
//!   everywhere else.
//!
//! Two clinics, Alpha and Bravo, each get a member per role (plus API tokens) and real data to
//! aim at; both directions are attacked.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use futures::future::join_all;
use nobat_core::access::{CAPABILITIES, Role};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// The operations that need no credential, by design. The document must declare exactly
/// these without `security`: a new unauthenticated endpoint fails this test until someone
/// consciously adds it here.
const PUBLIC: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/api/v1/clinics"),
    ("get", "/api/v1/clinics/{clinic}"),
    ("get", "/api/v1/clinics/{clinic}/services"),
    ("get", "/api/v1/clinics/{clinic}/services/{id}"),
    ("get", "/api/v1/clinics/{clinic}/practitioners"),
    ("get", "/api/v1/clinics/{clinic}/practitioners/{id}"),
    ("get", "/api/v1/clinics/{clinic}/locations"),
    ("get", "/api/v1/clinics/{clinic}/availability"),
    ("get", "/api/v1/clinics/{clinic}/availability/compact"),
    ("post", "/api/v1/clinics/{clinic}/holds"),
    ("delete", "/api/v1/clinics/{clinic}/holds/{id}"),
    ("post", "/api/v1/clinics/{clinic}/appointments"),
    ("post", "/api/v1/clinics/{clinic}/verifications"),
    ("post", "/api/v1/clinics/{clinic}/verifications/{id}/confirm"),
    ("get", "/api/v1/manage/{token}"),
    ("post", "/api/v1/manage/{token}/cancel"),
    ("post", "/api/v1/manage/{token}/reschedule"),
    ("get", "/api/v1/manage/{token}/access-log"),
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/register"),
    // The invitation token is the capability; who may accept is checked inside.
    ("post", "/api/v1/invitations/{token}/accept"),
    // The waiting-room board shows codes and desks only; the ticket token is the capability.
    ("get", "/api/v1/clinics/{clinic}/locations/{location}/board"),
    ("get", "/api/v1/clinics/{clinic}/locations/{location}/board/events"),
    ("get", "/api/v1/tickets/{token}"),
    ("get", "/api/v1/tickets/{token}/events"),
    // A join link's token is the capability (signed, revocable); joining is rate-limited.
    ("get", "/api/v1/join/{token}"),
    ("post", "/api/v1/join/{token}"),
    // The manage token is the capability, as for the manage link itself.
    ("get", "/api/v1/manage/{token}/calendar.ics"),
    // The SMART Scheduling Links publication: public by the spec's design (no keys); slots
    // and busy times only, never who booked.
    ("get", "/smart/{clinic}/$bulk-publish"),
    ("get", "/smart/{clinic}/locations.ndjson"),
    ("get", "/smart/{clinic}/schedules.ndjson"),
    ("get", "/smart/{clinic}/slots.ndjson"),
    // A patient watches an outside publisher's slots without an account, like a local watch.
    ("post", "/api/v1/sources/{id}/watches"),
    // Watches: a guest may watch; the watch token is the capability for the rest.
    ("post", "/api/v1/clinics/{clinic}/watches"),
    ("get", "/api/v1/watches/{token}"),
    ("delete", "/api/v1/watches/{token}"),
    ("post", "/api/v1/watches/{token}/offers/{offer}/accept"),
    // Intake forms and secure messages from the manage link: the token is the capability.
    ("get", "/api/v1/manage/{token}/forms"),
    ("post", "/api/v1/manage/{token}/forms/{form}"),
    ("get", "/api/v1/manage/{token}/messages"),
    ("post", "/api/v1/manage/{token}/messages"),
];

/// The page routes (`nobat_web::pages::ROUTES`), each with the way [`page_routes`] attacks it.
/// A new page route fails this test until it is listed here, on purpose.
const PAGES: &[(&str, &str)] = &[
    ("get", "/"),
    ("get", "/assets/{name}"),
    ("get", "/c/{clinic}"),
    ("post", "/c/{clinic}/hold"),
    ("get", "/c/{clinic}/details"),
    ("post", "/c/{clinic}/book"),
    ("get", "/m/{token}"),
    ("post", "/m/{token}/cancel"),
    ("post", "/m/{token}/reschedule"),
    ("get", "/m/{token}/calendar.ics"),
    ("get", "/board/{location}"),
    ("post", "/c/{clinic}/watch"),
    ("get", "/admin/{clinic}"),
    ("post", "/admin/{clinic}/{form}"),
    ("get", "/admin/{clinic}/reports"),
    ("get", "/admin/{clinic}/reports.csv"),
    ("get", "/signin"),
    ("post", "/signin"),
    ("post", "/signin/code"),
    ("post", "/signout"),
    ("get", "/account"),
    ("post", "/account/password"),
    ("get", "/desk/{clinic}"),
    ("post", "/desk/{clinic}/check-in"),
    ("post", "/desk/{clinic}/walk-in"),
    ("post", "/desk/{clinic}/queues/{queue}/call-next"),
    ("post", "/desk/{clinic}/tickets/{ticket}"),
    ("get", "/q/{token}"),
    ("get", "/m/{token}/forms/{form}"),
    ("post", "/m/{token}/forms/{form}"),
];

/// Who holds which capability — the policy this test expects, written out independently of
/// the code and checked against `nobat_core::access::CAPABILITIES`, so a change to the table
/// has to be made here too, on purpose.
const POLICY: &[(&str, &[Role])] = &[
    ("ManageClinic", &[Role::Owner, Role::Admin]),
    ("ManageSecurity", &[Role::Owner]),
    ("ManageStaff", &[Role::Owner, Role::Admin]),
    ("ManageSchedules", &[Role::Owner, Role::Admin, Role::Receptionist]),
    ("ViewAppointments", &[Role::Owner, Role::Admin, Role::Practitioner, Role::Receptionist]),
    ("ManageAppointments", &[Role::Owner, Role::Admin, Role::Receptionist]),
    ("SetAppointmentStatus", &[Role::Owner, Role::Admin, Role::Practitioner, Role::Receptionist]),
    ("ViewPatients", &[Role::Owner, Role::Admin, Role::Practitioner, Role::Receptionist]),
    ("ManagePatientData", &[Role::Owner, Role::Admin]),
    ("ViewAudit", &[Role::Owner, Role::Admin]),
    ("ManageMessages", &[Role::Owner, Role::Admin]),
    ("ViewMessages", &[Role::Owner, Role::Admin, Role::Receptionist]),
    ("ManageChannels", &[Role::Owner, Role::Admin]),
    ("RunQueues", &[Role::Owner, Role::Admin, Role::Practitioner, Role::Receptionist]),
    ("TransferData", &[Role::Owner, Role::Admin]),
    ("ViewWatches", &[Role::Owner, Role::Admin, Role::Receptionist]),
    ("ClinicalNotes", &[Role::Owner, Role::Practitioner]),
    ("ManageForms", &[Role::Owner, Role::Admin, Role::Practitioner]),
    ("FillForms", &[Role::Owner, Role::Admin, Role::Practitioner, Role::Receptionist]),
    ("ViewFormAnswers", &[Role::Owner, Role::Admin, Role::Practitioner]),
    ("SecureMessaging", &[Role::Owner, Role::Admin, Role::Practitioner, Role::Receptionist]),
];

/// How a clinic route decides access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gate {
    /// `Staff<C>`: a role without the capability gets 403.
    Staff,
    /// `Staff<C>`, and only a signed-in session may use it: an API token gets 403 too.
    SessionOnly,
    /// `Visitor` (an appointment by id, for staff or its own patient): the appointment is
    /// looked up first, so another clinic's id is a 404; a member of this clinic without the
    /// capability gets 403.
    Visitor,
}

const CLINIC: &str = "/api/v1/clinics/{clinic}";

/// Every protected operation under `/api/v1/clinics/{clinic}` and the capability its handler
/// asks for (from the signatures in `crates/web/src/routes/*.rs`).
const CLINIC_ROUTES: &[(&str, &str, &str, Gate)] = &[
    ("patch", "", "ManageClinic", Gate::Staff),
    ("post", "/locations", "ManageClinic", Gate::Staff),
    ("patch", "/locations/{id}", "ManageClinic", Gate::Staff),
    ("post", "/practitioners", "ManageClinic", Gate::Staff),
    ("patch", "/practitioners/{id}", "ManageClinic", Gate::Staff),
    ("post", "/services", "ManageClinic", Gate::Staff),
    ("patch", "/services/{id}", "ManageClinic", Gate::Staff),
    ("get", "/schedule/rules", "ViewAppointments", Gate::Staff),
    ("post", "/schedule/rules", "ManageSchedules", Gate::Staff),
    ("delete", "/schedule/rules/{id}", "ManageSchedules", Gate::Staff),
    ("get", "/schedule/exceptions", "ViewAppointments", Gate::Staff),
    ("post", "/schedule/exceptions", "ManageSchedules", Gate::Staff),
    ("delete", "/schedule/exceptions/{id}", "ManageSchedules", Gate::Staff),
    ("get", "/appointments", "ViewAppointments", Gate::Staff),
    ("get", "/events", "ViewAppointments", Gate::Staff),
    ("post", "/appointments/{id}/status", "SetAppointmentStatus", Gate::Staff),
    ("get", "/appointments/{id}", "ViewAppointments", Gate::Visitor),
    ("post", "/appointments/{id}/cancel", "ManageAppointments", Gate::Visitor),
    ("post", "/appointments/{id}/reschedule", "ManageAppointments", Gate::Visitor),
    ("get", "/members", "ManageStaff", Gate::Staff),
    ("put", "/members", "ManageStaff", Gate::Staff),
    ("delete", "/members/{user}", "ManageStaff", Gate::Staff),
    ("post", "/tokens", "ViewAppointments", Gate::SessionOnly),
    ("delete", "/tokens/{id}", "ViewAppointments", Gate::Staff),
    ("get", "/security", "ManageClinic", Gate::Staff),
    ("put", "/security", "ManageSecurity", Gate::Staff),
    ("get", "/audit", "ViewAudit", Gate::Staff),
    ("get", "/patients/{id}", "ViewPatients", Gate::Staff),
    ("patch", "/patients/{id}", "ManageAppointments", Gate::Staff),
    ("get", "/patients/{id}/export", "ManagePatientData", Gate::Staff),
    ("post", "/patients/{id}/erase", "ManagePatientData", Gate::Staff),
    ("get", "/patients/{id}/consents", "ViewPatients", Gate::Staff),
    ("post", "/patients/{id}/consents", "ManagePatientData", Gate::Staff),
    ("post", "/patients/{id}/consents/{consent}/withdraw", "ManagePatientData", Gate::Staff),
    ("get", "/message-templates", "ManageMessages", Gate::Staff),
    ("put", "/message-templates/{key}/{lang}", "ManageMessages", Gate::Staff),
    ("delete", "/message-templates/{key}/{lang}", "ManageMessages", Gate::Staff),
    ("get", "/reminder-settings", "ManageMessages", Gate::Staff),
    ("put", "/reminder-settings", "ManageMessages", Gate::Staff),
    ("put", "/services/{id}/reminder-settings", "ManageMessages", Gate::Staff),
    ("delete", "/services/{id}/reminder-settings", "ManageMessages", Gate::Staff),
    ("get", "/appointments/{id}/messages", "ViewMessages", Gate::Staff),
    ("get", "/channels", "ManageChannels", Gate::Staff),
    ("get", "/channels/{channel}", "ManageChannels", Gate::Staff),
    ("put", "/channels/{channel}", "ManageChannels", Gate::Staff),
    ("delete", "/channels/{channel}", "ManageChannels", Gate::Staff),
    ("get", "/webhooks", "ManageChannels", Gate::Staff),
    ("post", "/webhooks", "ManageChannels", Gate::Staff),
    ("delete", "/webhooks/{id}", "ManageChannels", Gate::Staff),
    ("get", "/queues", "ViewAppointments", Gate::Staff),
    ("post", "/queues", "RunQueues", Gate::Staff),
    ("get", "/queues/{queue}", "ViewAppointments", Gate::Staff),
    ("get", "/queues/{queue}/events", "ViewAppointments", Gate::Staff),
    ("post", "/queues/{queue}/tickets", "RunQueues", Gate::Staff),
    ("post", "/queues/{queue}/call-next", "RunQueues", Gate::Staff),
    ("post", "/queues/{queue}/close", "RunQueues", Gate::Staff),
    ("post", "/appointments/{id}/check-in", "RunQueues", Gate::Staff),
    ("post", "/tickets/{ticket}/recall", "RunQueues", Gate::Staff),
    ("post", "/tickets/{ticket}/start", "RunQueues", Gate::Staff),
    ("post", "/tickets/{ticket}/finish", "RunQueues", Gate::Staff),
    ("post", "/tickets/{ticket}/absent", "RunQueues", Gate::Staff),
    ("post", "/tickets/{ticket}/return", "RunQueues", Gate::Staff),
    ("post", "/tickets/{ticket}/emergency", "RunQueues", Gate::Staff),
    ("post", "/tickets/{ticket}/leave", "RunQueues", Gate::Staff),
    ("post", "/tickets/{ticket}/transfer", "RunQueues", Gate::Staff),
    ("post", "/tickets/{ticket}/reorder", "RunQueues", Gate::Staff),
    ("get", "/queue-settings", "ViewAppointments", Gate::Staff),
    ("put", "/queue-settings", "ManageClinic", Gate::Staff),
    ("get", "/exports/{kind}", "TransferData", Gate::Staff),
    ("post", "/imports/{kind}", "TransferData", Gate::Staff),
    ("get", "/join-links", "RunQueues", Gate::Staff),
    ("post", "/join-links", "ManageClinic", Gate::Staff),
    ("delete", "/join-links/{id}", "RunQueues", Gate::Staff),
    ("get", "/join-links/{id}/join-qr.svg", "RunQueues", Gate::Staff),
    ("get", "/message-budget", "ManageMessages", Gate::Staff),
    ("put", "/message-budget", "ManageMessages", Gate::Staff),
    ("get", "/message-stats", "ManageMessages", Gate::Staff),
    ("get", "/watches", "ViewWatches", Gate::Staff),
    ("get", "/watch-settings", "ViewWatches", Gate::Staff),
    ("put", "/watch-settings", "ManageClinic", Gate::Staff),
    ("post", "/calendar-feeds", "ViewAppointments", Gate::Staff),
    ("delete", "/calendar-feeds/{id}", "ViewAppointments", Gate::Staff),
    ("get", "/patients/{id}/notes", "ClinicalNotes", Gate::Staff),
    ("post", "/patients/{id}/notes", "ClinicalNotes", Gate::Staff),
    ("patch", "/patients/{id}/notes/{note}", "ClinicalNotes", Gate::Staff),
    ("post", "/patients/{id}/notes/{note}/sign", "ClinicalNotes", Gate::Staff),
    ("post", "/patients/{id}/notes/{note}/amend", "ClinicalNotes", Gate::Staff),
    ("get", "/services/{id}/note-template", "ClinicalNotes", Gate::Staff),
    ("put", "/services/{id}/note-template", "ClinicalNotes", Gate::Staff),
    ("get", "/patients/{id}/record", "ViewPatients", Gate::Staff),
    ("post", "/patients/{id}/merge", "ManagePatientData", Gate::Staff),
    ("post", "/patients/{id}/unmerge", "ManagePatientData", Gate::Staff),
    ("get", "/exports-clinical/notes", "ClinicalNotes", Gate::Staff),
    ("get", "/patients/{id}/record/print", "ViewPatients", Gate::Staff),
    ("get", "/forms", "FillForms", Gate::Staff),
    ("post", "/forms", "ManageForms", Gate::Staff),
    ("get", "/forms/{form}", "FillForms", Gate::Staff),
    ("get", "/patients/{id}/forms", "ViewFormAnswers", Gate::Staff),
    ("post", "/patients/{id}/forms/{form}", "FillForms", Gate::Staff),
    ("get", "/patients/{id}/messages", "SecureMessaging", Gate::Staff),
    ("post", "/patients/{id}/messages", "SecureMessaging", Gate::Staff),
    ("get", "/messages/unread", "SecureMessaging", Gate::Staff),
];

/// FHIR (`/fhir/{clinic}`, not in the OpenAPI document): the staff-only reads and searches,
/// by path under the base (`{appointment}`, `{patient}`, `{hold}` filled with a clinic's ids),
/// and the capability each needs. Every role holds both today; the matrix checks they keep
/// clinics apart ([`fhir_routes`]).
const FHIR_STAFF: &[(&str, &str)] = &[
    ("Appointment/{appointment}", "ViewAppointments"),
    ("Appointment/hold-{hold}", "ViewAppointments"),
    ("Appointment", "ViewAppointments"),
    ("Appointment?patient=Patient/{patient}", "ViewAppointments"),
    ("Appointment?actor=Patient/{patient}", "ViewAppointments"),
    ("Patient/{patient}", "ViewPatients"),
    ("Patient", "ViewPatients"),
    ("Patient?_id={patient}", "ViewPatients"),
];

/// What a protected operation outside a clinic's routes does with a caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Account {
    /// Reads the caller's own account: a session gets it (and nothing of another clinic), an
    /// API token 403.
    Read,
    /// Changes the caller's own account and names no object, so there is nothing of another
    /// clinic to aim at: tokens get 403; sessions are not used (it would change or end them),
    /// except that signing out is exercised on a throwaway session.
    Write,
    /// Instance operators only: clinic staff get 403.
    Operator,
}

const ACCOUNT_ROUTES: &[(&str, &str, Account)] = &[
    ("post", "/api/v1/clinics", Account::Operator),
    ("get", "/api/v1/me", Account::Read),
    ("get", "/api/v1/me/appointments", Account::Read),
    ("get", "/api/v1/me/tokens", Account::Read),
    ("get", "/api/v1/me/access-log", Account::Read),
    ("get", "/api/v1/auth/session", Account::Read),
    ("post", "/api/v1/me/password", Account::Write),
    ("post", "/api/v1/me/2fa", Account::Write),
    ("post", "/api/v1/me/2fa/confirm", Account::Write),
    ("post", "/api/v1/me/2fa/disable", Account::Write),
    ("post", "/api/v1/me/erase", Account::Write),
    ("post", "/api/v1/me/telegram-link", Account::Write),
    ("delete", "/api/v1/me/telegram-link", Account::Write),
    ("post", "/api/v1/auth/logout", Account::Write),
    ("post", "/api/v1/sources", Account::Operator),
    ("get", "/api/v1/sources/{id}", Account::Operator),
    ("get", "/api/v1/sources/{id}/slots", Account::Operator),
];

/// One documented operation.
#[derive(Debug, Clone)]
struct Op {
    method: String,
    path: String,
    public: bool,
}

impl Op {
    fn key(&self) -> (String, String) {
        (self.method.clone(), self.path.clone())
    }
    fn in_clinic(&self) -> bool {
        self.path.starts_with(CLINIC)
    }
    /// Path parameters besides `{clinic}`: ids of objects.
    /// (A message template's `{key}` and `{lang}` are the same in every clinic: not objects.)
    fn names_objects(&self) -> bool {
        // `{channel}` names a kind of channel (sms, telegram), and `{key}`/`{lang}` a template
        // and a language, `{kind}` what an export or import holds: the same in every clinic,
        // not objects of one clinic; the clinic in the path is what selects whose.
        self.path
            .trim_start_matches(CLINIC)
            .split('/')
            .any(|s| s.starts_with('{') && !["{key}", "{lang}", "{channel}", "{kind}"].contains(&s))
    }
    fn clinic_route(&self) -> (&'static str, Gate) {
        let tail = self.path.trim_start_matches(CLINIC);
        let found = CLINIC_ROUTES.iter().find(|(m, p, _, _)| *m == self.method && *p == tail);
        let (_, _, cap, gate) =
            found.unwrap_or_else(|| panic!("{} {} is not in CLINIC_ROUTES", self.method, self.path));
        (cap, *gate)
    }
}

/// A credential someone of a clinic holds.
#[derive(Clone)]
struct Cred {
    label: String,
    /// The role it acts with (a down-scoped token acts with its own, lesser role).
    role: Role,
    token: bool,
    /// Its user is a member of the other clinic too (the operator, who owns both): only the
    /// token's own clinic keeps it out there.
    member_elsewhere: bool,
    client: reqwest::Client,
}

/// The ids of a clinic's objects, to put in paths.
#[derive(Clone)]
struct Ids {
    appointment: String,
    patient: String,
    location: String,
    practitioner: String,
    service: String,
    rule: String,
    exception: String,
    token: String,
    hold: String,
    verification: String,
    user: String,
    consent: String,
    manage: String,
    webhook: String,
    queue: String,
    ticket: String,
    ticket_token: String,
    join_link: String,
    join_token: String,
    calendar_feed: String,
    note: String,
    form: String,
}

impl Ids {
    /// The id a path parameter names, by its name and the segment before it.
    fn get(&self, param: &str, after: &str) -> Option<&str> {
        Some(match (param, after) {
            ("id", "appointments") => &self.appointment,
            ("id", "patients") => &self.patient,
            ("id", "locations") => &self.location,
            ("id", "practitioners") => &self.practitioner,
            ("id", "services") => &self.service,
            ("id", "rules") => &self.rule,
            ("id", "exceptions") => &self.exception,
            ("id", "tokens") => &self.token,
            ("id", "holds") => &self.hold,
            ("id", "verifications") => &self.verification,
            ("user", "members") => &self.user,
            ("consent", "consents") => &self.consent,
            ("token", "manage") => &self.manage,
            ("location", "locations") => &self.location,
            ("queue", "queues") => &self.queue,
            ("ticket", "tickets") => &self.ticket,
            ("token", "tickets") => &self.ticket_token,
            ("id", "join-links") => &self.join_link,
            ("token", "join") => &self.join_token,
            // Not an invitation: whatever it is, it opens nothing.
            ("token", "invitations") => &self.manage,
            // A clinic's wording of a template: keys and languages are the same everywhere.
            ("key", "message-templates") => "appointment-reminder-body",
            ("lang", "{key}") => "fa",
            // Every tenant sets its own Telegram bot (see `tenant`).
            ("channel", "channels") => "telegram",
            ("id", "webhooks") => &self.webhook,
            // Exports and imports are named by what they hold, the same in every clinic.
            ("kind", "exports") => "patients",
            ("kind", "imports") => "appointments",
            // Sources are the instance's, not a clinic's: any id; only operators get past the door.
            ("id", "sources") => "0192f0c4-0000-7000-8000-000000000000",
            // Not a watch token: whatever it is, it opens nothing; nor does an offer id with it.
            ("token", "watches") => &self.manage,
            ("offer", "offers") => &self.hold,
            ("id", "calendar-feeds") => &self.calendar_feed,
            ("note", "notes") => &self.note,
            ("form", "forms") => &self.form,
            _ => return None,
        })
    }
}

/// A clinic with its people, credentials and data.
struct Tenant {
    label: &'static str,
    seed: Seed,
    ids: Ids,
    /// Every role as a session and as an API token, a down-scoped token, and the operator's
    /// token for this clinic.
    staff: Vec<Cred>,
    /// Strings that only this clinic's data holds: none may reach the other clinic's people.
    secrets: Vec<String>,
    patient_name: String,
    /// A free slot, for bodies that move an appointment.
    free_start: String,
    /// The guest's proof of owning `ids.hold`.
    hold_token: String,
}

fn random_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// `template` with `{clinic}` and every other parameter filled; a parameter this test does
/// not know is a failure, so a new route cannot slip through with a made-up id.
fn fill(template: &str, clinic: &str, ids: &Ids) -> String {
    let segs: Vec<&str> = template.split('/').collect();
    let filled: Vec<String> = segs
        .iter()
        .enumerate()
        .map(|(i, seg)| match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            None => (*seg).to_owned(),
            Some("clinic") => clinic.to_owned(),
            Some(param) => ids
                .get(param, segs[i.saturating_sub(1)])
                .unwrap_or_else(|| panic!("{template}: which object is {{{param}}}? teach Ids::get"))
                .to_owned(),
        })
        .collect();
    filled.join("/")
}

async fn send(client: &reqwest::Client, method: &str, url: &str, body: Option<&Value>) -> (StatusCode, Value) {
    let method = reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes()).unwrap();
    let mut req = client.request(method, url);
    if let Some(b) = body {
        req = req.json(b);
    }
    decode(req.send().await.unwrap()).await
}

/// The same request from many credentials at once.
async fn send_all<'a>(
    clients: impl Iterator<Item = &'a reqwest::Client>,
    method: &str,
    url: &str,
    body: Option<&Value>,
) -> Vec<(StatusCode, Value)> {
    join_all(clients.map(|c| send(c, method, url, body))).await
}

/// Fails if `answer` holds one of `secrets` that the request itself did not carry.
fn assert_no_leak(who: &str, request: &str, answer: &Value, secrets: &[String]) {
    let text = answer.to_string();
    for s in secrets {
        if text.contains(s.as_str()) && !request.contains(s.as_str()) {
            panic!("{who}: {request} leaked `{s}`: {text}");
        }
    }
}

fn problem_type(answer: &Value) -> &str {
    answer["type"].as_str().unwrap_or("").trim_start_matches("urn:nobat:problem:")
}

fn roles_of(cap: &str) -> &'static [Role] {
    POLICY.iter().find(|(n, _)| *n == cap).map(|(_, r)| *r).unwrap_or_else(|| panic!("no capability {cap}"))
}

/// The refusal `cred` must get from a route of its own clinic, or `None` if it is let in.
fn refusal(gate: Gate, cap: &str, cred: &Cred) -> Option<StatusCode> {
    let holds = roles_of(cap).contains(&cred.role);
    match gate {
        Gate::Staff if !holds => Some(StatusCode::FORBIDDEN),
        Gate::SessionOnly if !holds || cred.token => Some(StatusCode::FORBIDDEN),
        // Every role may see appointments; one that may not change them is told so.
        Gate::Visitor if !holds => Some(StatusCode::FORBIDDEN),
        _ => None,
    }
}

/// Every operation of the OpenAPI document, public or not.
async fn operations(app: &TestApp) -> Vec<Op> {
    let (s, doc) = app.get("/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    let inherited = doc.get("security").cloned().unwrap_or(Value::Null);
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (key, op) in item.as_object().unwrap() {
            match key.as_str() {
                "get" | "put" | "post" | "patch" | "delete" | "head" | "options" | "trace" => {}
                "parameters" | "summary" | "description" | "servers" => continue,
                other => panic!("{path}: unexpected path item field {other}"),
            }
            // An operation without `security` inherits the document's; an empty list, or an
            // empty requirement in it, means no credential is needed.
            let public = match op.get("security").unwrap_or(&inherited) {
                Value::Null => true,
                Value::Array(reqs) => {
                    reqs.is_empty() || reqs.iter().any(|r| r.as_object().is_some_and(|o| o.is_empty()))
                }
                other => panic!("{key} {path}: security is {other}"),
            };
            ops.push(Op { method: key.clone(), path: path.clone(), public });
        }
    }
    ops
}

/// The public set is exactly [`PUBLIC`], every protected operation is classified in one of
/// the tables, no table names a route that is gone, and [`POLICY`] is the code's table.
fn check_classification(ops: &[Op]) {
    let public: BTreeSet<_> = ops.iter().filter(|o| o.public).map(Op::key).collect();
    let expected: BTreeSet<_> = PUBLIC.iter().map(|(m, p)| ((*m).to_owned(), (*p).to_owned())).collect();
    assert_eq!(
        public,
        expected,
        "public operations differ from PUBLIC: undeclared {:?}, missing {:?}",
        public.difference(&expected).collect::<Vec<_>>(),
        expected.difference(&public).collect::<Vec<_>>()
    );
    let clinic: BTreeSet<_> = ops.iter().filter(|o| !o.public && o.in_clinic()).map(Op::key).collect();
    let expected: BTreeSet<_> =
        CLINIC_ROUTES.iter().map(|(m, p, _, _)| ((*m).to_owned(), format!("{CLINIC}{p}"))).collect();
    assert_eq!(
        clinic,
        expected,
        "protected clinic routes differ from CLINIC_ROUTES: unclassified {:?}, gone {:?}",
        clinic.difference(&expected).collect::<Vec<_>>(),
        expected.difference(&clinic).collect::<Vec<_>>()
    );
    let account: BTreeSet<_> = ops.iter().filter(|o| !o.public && !o.in_clinic()).map(Op::key).collect();
    let expected: BTreeSet<_> = ACCOUNT_ROUTES.iter().map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned())).collect();
    assert_eq!(
        account,
        expected,
        "protected account routes differ from ACCOUNT_ROUTES: unclassified {:?}, gone {:?}",
        account.difference(&expected).collect::<Vec<_>>(),
        expected.difference(&account).collect::<Vec<_>>()
    );
    let code: BTreeMap<&str, BTreeSet<Role>> =
        CAPABILITIES.iter().map(|(n, roles)| (*n, roles.iter().copied().collect())).collect();
    let ours: BTreeMap<&str, BTreeSet<Role>> =
        POLICY.iter().map(|(n, roles)| (*n, roles.iter().copied().collect())).collect();
    assert_eq!(ours, code, "POLICY must mirror nobat_core::access::CAPABILITIES");
}

async fn post(app: &TestApp, client: &reqwest::Client, path: &str, body: Value) -> (StatusCode, Value) {
    send(client, "post", &format!("{}{path}", app.api), Some(&body)).await
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}")).to_owned()
}

/// A clinic seeded through the API, with a member per role (each signed in, each with an API
/// token), and the data an intruder would go for: a booked appointment and its patient, a
/// consent, a hold, a schedule exception, a verification.
async fn tenant(app: &TestApp, label: &'static str) -> Tenant {
    let seed = seed(app).await;
    let c = format!("/clinics/{}", seed.slug);
    let lower = label.to_lowercase();
    let mut staff = Vec::new();
    // The label itself: every name, email and note of this clinic carries it.
    let mut secrets = vec![label.to_owned()];
    let (mut member, mut member_token) = (String::new(), String::new());
    for role in Role::ALL {
        let email = format!("{role}@{lower}.isolation.test");
        let name = format!("{label} {role} person");
        let user = invite_staff(app, &app.client, &c, json!({ "email": email, "role": role, "name": name })).await;
        let session = login(&app.anon, &app.api, &email, STAFF_PASSWORD).await;
        let session = authed_client(&session);
        let (s, t) = post(
            app,
            &session,
            &format!("{c}/tokens"),
            json!({ "name": format!("{label} {role} token"), "password": STAFF_PASSWORD }),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        assert_eq!(t["role"], role.as_str());
        if role == Role::Admin {
            // A token may carry less than its maker: it must act with that lesser role. (Not
            // a practitioner's: practitioners read clinical notes, which admins do not.)
            let (s, low) = post(
                app,
                &session,
                &format!("{c}/tokens"),
                json!({ "name": format!("{label} admin's receptionist token"), "role": "receptionist", "password": STAFF_PASSWORD }),
            )
            .await;
            assert_eq!(s, StatusCode::CREATED, "{low}");
            staff.push(Cred {
                label: format!("{label} admin's receptionist token"),
                role: Role::Receptionist,
                token: true,
                member_elsewhere: false,
                client: authed_client(low["token"].as_str().unwrap()),
            });
            secrets.extend([text(&low["id"]), text(&low["token"])]);
        }
        if role == Role::Receptionist {
            (member, member_token) = (user, text(&t["id"]));
        }
        staff.push(Cred {
            label: format!("{label} {role} (session)"),
            role,
            token: false,
            member_elsewhere: false,
            client: session,
        });
        staff.push(Cred {
            label: format!("{label} {role} (API token)"),
            role,
            token: true,
            member_elsewhere: false,
            client: authed_client(t["token"].as_str().unwrap()),
        });
        secrets.extend([email, name, text(&t["id"]), text(&t["token"])]);
    }
    // The operator owns both clinics; a token made for this one must not open the other.
    let (s, t) = post(
        app,
        &app.client,
        &format!("{c}/tokens"),
        json!({ "name": format!("operator's {label} token"), "password": OWNER_PASSWORD }),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    staff.push(Cred {
        label: format!("the operator's {label} token"),
        role: Role::Owner,
        token: true,
        member_elsewhere: true,
        client: authed_client(t["token"].as_str().unwrap()),
    });
    secrets.extend([text(&t["id"]), text(&t["token"])]);

    let slots = slots(app, &seed, &seed.consult, &day(2), Some(&seed.doctors[0])).await;
    assert!(slots.len() >= 3, "slots: {slots:?}");
    let patient_name = format!("Zed {label}-Secret");
    let phone = if label == "Alpha" { "+989121110001" } else { "+989122220002" };
    let (s, booked) = post(
        app,
        &app.anon,
        &format!("{c}/appointments"),
        json!({
            "service": slots[0]["service"], "practitioner": slots[0]["practitioner"], "start": slots[0]["start"],
            "patient": { "name": patient_name, "phone": phone, "email": format!("zed@{lower}-patient.test") },
            "note": format!("{label} private note"),
        }),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{booked}");
    let patient = text(&booked["patient"]);
    let (s, hold) = post(
        app,
        &app.anon,
        &format!("{c}/holds"),
        json!({ "service": slots[1]["service"], "practitioner": slots[1]["practitioner"], "start": slots[1]["start"] }),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{hold}");
    let (s, exception) = app
        .post(
            &format!("{c}/schedule/exceptions"),
            json!({ "date": day(30), "kind": "closed", "note": format!("{label} exception note") }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{exception}");
    let (s, rules) = app.get(&format!("{c}/schedule/rules")).await;
    assert_eq!(s, StatusCode::OK, "{rules}");
    let (s, consent) = app
        .post(
            &format!("{c}/patients/{patient}/consents"),
            json!({ "kind": "reminders", "text_version": format!("{label}-consent-v1") }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{consent}");
    let (s, verification) = post(app, &app.anon, &format!("{c}/verifications"), json!({ "phone": phone })).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{verification}");
    let (s, record) = app.get(&format!("{c}/patients/{patient}")).await;
    assert_eq!(s, StatusCode::OK, "{record}");
    assert_eq!(record["name"], patient_name.as_str());
    let bot_token = format!("{}:{label}-bot-secret", 100 + label.len());
    let (s, creds) = decode(
        app.client
            .put(format!("{}{c}/channels/telegram", app.api))
            .json(&json!({ "bot_token": bot_token }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{creds}");
    let (s, webhook) =
        app.post(&format!("{c}/webhooks"), json!({ "url": format!("https://{label}.example/hook") })).await;
    assert_eq!(s, StatusCode::CREATED, "{webhook}");
    // A queue of the day at the location (the general one: every role may run it) with a
    // walk-in whose name is this clinic's secret.
    let (s, feed) = app.post(&format!("{c}/calendar-feeds"), json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{feed}");
    secrets.push(text(&feed["url"]));
    let form_title = format!("Intake {label}-Secret");
    let (s, form) = app
        .post(
            &format!("{c}/forms"),
            json!({ "title": { "en": form_title }, "fields": [{ "key": "why", "type": "text", "label": { "en": "Why" } }] }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{form}");
    secrets.push(form_title);
    let (s, queue) = app.post(&format!("{c}/queues"), json!({ "location": seed.tehran })).await;
    assert_eq!(s, StatusCode::OK, "{queue}");
    let walk_in = format!("Walker {label}-Secret");
    let (s, ticket) = app
        .post(&format!("{c}/queues/{}/tickets", text(&queue["id"])), json!({ "patient": { "name": walk_in } }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{ticket}");
    secrets.push(walk_in);
    let (s, join) = app.post(&format!("{c}/join-links"), json!({ "location": seed.tehran })).await;
    assert_eq!(s, StatusCode::CREATED, "{join}");
    // A signed visit note whose text is this clinic's secret.
    let note_text = format!("{label}-Secret clinical finding");
    let (s, note) = app
        .post(
            &format!("{c}/patients/{patient}/notes"),
            json!({ "appointment": booked["id"], "subjective": note_text, "plan": "rest", "sign": true }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{note}");
    secrets.push(note_text);
    secrets.extend([
        bot_token,
        text(&webhook["secret"]),
        text(&record["name"]),
        text(&record["phone"]),
        text(&record["email"]),
        text(&booked["manage_token"]),
    ]);
    Tenant {
        label,
        ids: Ids {
            appointment: text(&booked["id"]),
            patient,
            location: seed.tehran.clone(),
            practitioner: seed.doctors[0].clone(),
            service: seed.consult.clone(),
            rule: text(&rules["rules"][0]["id"]),
            exception: text(&exception["id"]),
            token: member_token,
            hold: text(&hold["id"]),
            verification: text(&verification["id"]),
            user: member,
            consent: text(&consent["id"]),
            manage: text(&booked["manage_token"]),
            webhook: text(&webhook["id"]),
            queue: text(&queue["id"]),
            ticket: text(&ticket["ticket"]["id"]),
            ticket_token: text(&ticket["ticket"]["token"]),
            join_link: text(&join["id"]),
            join_token: text(&join["token"]),
            calendar_feed: text(&feed["id"]),
            note: text(&note["id"]),
            form: text(&form["id"]),
        },
        seed,
        staff,
        secrets,
        patient_name,
        free_start: text(&slots[2]["start"]),
        hold_token: text(&hold["hold_token"]),
    }
}

/// A body that would do real harm to `t` if the request got through: what the route's
/// handler accepts, aimed at `t`'s own objects. Bodies are checked after access, so these
/// only matter for a route that wrongly lets the caller in.
fn attack_body(method: &str, path: &str, t: &Tenant) -> Option<Value> {
    if method == "get" || method == "delete" {
        return None;
    }
    let tail = path.trim_start_matches(CLINIC).trim_start_matches("/api/v1/manage/{token}");
    let s = &t.seed;
    Some(match (method, tail) {
        ("patch", "") => json!({ "name": "Taken over" }),
        ("post", "/locations") => json!({ "name": "Taken over", "time_zone": "Asia/Tehran" }),
        ("patch", "/locations/{id}") => json!({ "name": "Taken over" }),
        ("post", "/practitioners") => json!({ "name": "Taken over" }),
        ("patch", "/practitioners/{id}") => json!({ "name": "Taken over", "active": false }),
        ("post", "/services") => json!({ "name": "Taken over", "duration_min": 30 }),
        ("patch", "/services/{id}") => json!({ "name": "Taken over", "capacity": 9 }),
        ("post", "/schedule/rules") => json!({
            "practitioner": s.doctors[0], "location": s.tehran, "weekdays": ["mon"],
            "start": "06:00", "end": "07:00", "valid_from": "2020-01-01"
        }),
        ("post", "/schedule/exceptions") => json!({ "date": day(45), "kind": "closed", "note": "taken over" }),
        ("post", "/appointments/{id}/status") => json!({ "status": "arrived" }),
        ("post", "/appointments/{id}/cancel") => json!({ "reason": "taken over" }),
        ("post", "/appointments/{id}/reschedule") => json!({ "start": t.free_start }),
        ("put", "/members") => json!({ "email": "intruder@isolation.test", "role": "owner", "name": "Intruder" }),
        ("post", "/tokens") => json!({ "name": "intruder" }),
        ("put", "/message-templates/{key}/{lang}") => json!({ "text": "Taken over { $patient }" }),
        ("put", "/reminder-settings") => json!({ "offsets_minutes": [], "quiet_hours": null }),
        ("put", "/services/{id}/reminder-settings") => json!({ "offsets_minutes": [] }),
        ("put", "/security") => {
            json!({ "require_staff_2fa": false, "verify_guest_contact": true, "retention_days": 30 })
        }
        ("post", "/patients/{id}/erase") => json!({ "reason": "taken over" }),
        ("patch", "/patients/{id}") => json!({ "name": "Taken over", "phone": "+33612345678" }),
        ("post", "/patients/{id}/consents") => json!({ "kind": "marketing", "text_version": "intruder" }),
        ("post", "/verifications/{id}/confirm") => json!({ "code": "not-a-code" }),
        ("post", "/reschedule") => json!({ "start": t.free_start }),
        ("put", "/channels/{channel}") => json!({ "bot_token": "666:intruder" }),
        ("post", "/webhooks") => json!({ "url": "https://intruder.example/hook" }),
        ("post", "/queues") => json!({ "location": s.tehran, "practitioner": s.doctors[1] }),
        ("put", "/queue-settings") => json!({ "grace_min": 0, "walk_in_every": 0, "remote_join": true }),
        ("post", "/join-links") => json!({ "location": s.tehran }),
        ("put", "/message-budget") => json!({ "sms_monthly": 3 }),
        ("put", "/watch-settings") => json!({ "offer_minutes": 1, "per_hour": 1, "per_day": 1, "verify_guests": true }),
        ("post", "/queues/{queue}/tickets") => json!({ "patient": { "name": "Intruder" }, "priority": 9 }),
        ("post", "/queues/{queue}/call-next") => json!({ "desk": "intruder" }),
        ("post", "/tickets/{ticket}/transfer") => json!({ "queue": t.ids.queue }),
        ("post", "/tickets/{ticket}/emergency") => json!({ "reason": "taken over" }),
        ("post", "/tickets/{ticket}/reorder") => json!({ "position": 1, "reason": "taken over" }),
        ("post", "/patients/{id}/notes") => {
            json!({ "appointment": t.ids.appointment, "subjective": "Taken over", "sign": true })
        }
        ("patch", "/patients/{id}/notes/{note}") => json!({ "subjective": "Taken over" }),
        ("post", "/patients/{id}/notes/{note}/amend") => json!({ "subjective": "Taken over", "reason": "taken over" }),
        ("put", "/services/{id}/note-template") => json!({ "subjective": "Taken over" }),
        ("post", "/patients/{id}/merge") => json!({ "duplicate": t.ids.patient }),
        ("post", "/patients/{id}/unmerge") => json!({ "merge": t.ids.patient }),
        ("post", "/forms") => {
            json!({ "title": { "en": "Taken over" }, "fields": [{ "key": "x", "type": "yes_no", "label": { "en": "x" } }] })
        }
        ("post", "/patients/{id}/forms/{form}" | "/forms/{form}") => json!({ "answers": { "why": "taken over" } }),
        ("post", "/patients/{id}/messages" | "/messages") => json!({ "body": "taken over" }),
        _ => json!({}),
    })
}

/// A body for a route of the caller's own clinic that is harmless whoever gets in: either it
/// changes nothing (an empty patch) or it is refused after the access decision (a missing or
/// invalid field), so every role can be tried on the clinic's real objects.
fn probe_body(method: &str, path: &str) -> Option<Value> {
    if method == "get" || method == "delete" {
        return None;
    }
    Some(match path.trim_start_matches(CLINIC) {
        "/appointments/{id}/cancel" => json!({ "reason": "x".repeat(501) }),
        "/appointments/{id}/reschedule" => json!({ "start": "not a time" }),
        "/appointments/{id}/status" => json!({ "status": "not-a-status" }),
        "/patients/{id}/erase" => json!({ "reason": "" }),
        "/patients/{id}" => json!({ "language": "not-a-language" }),
        "/tokens" => json!({ "name": "" }),
        "/calendar-feeds" => json!({ "practitioner": "not-an-id" }),
        _ => json!({}),
    })
}

/// The credentials that must get 401 everywhere a credential is needed: none, forged ones,
/// a revoked token and a signed-out session.
async fn unauthenticated(app: &TestApp, t: &Tenant) -> Vec<(String, reqwest::Client)> {
    let c = format!("/clinics/{}", t.seed.slug);
    let (s, tok) =
        post(app, &app.client, &format!("{c}/tokens"), json!({ "name": "to revoke", "password": OWNER_PASSWORD }))
            .await;
    assert_eq!(s, StatusCode::CREATED, "{tok}");
    let (s, body) = app.delete(&format!("{c}/tokens/{}", text(&tok["id"]))).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    let ended = login(&app.anon, &app.api, OWNER_EMAIL, OWNER_PASSWORD).await;
    let (s, body) = send(&authed_client(&ended), "post", &format!("{}/auth/logout", app.api), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    vec![
        ("nobody".to_owned(), app.anon.clone()),
        ("a forged API token".to_owned(), authed_client(&format!("nbt_{}", uuid::Uuid::new_v4().simple()))),
        ("a forged session".to_owned(), authed_client(&format!("nbs_{}", uuid::Uuid::new_v4().simple()))),
        ("a revoked API token".to_owned(), authed_client(tok["token"].as_str().unwrap())),
        ("a signed-out session".to_owned(), authed_client(&ended)),
    ]
}

/// Everything of `t` an intruder could change, read by the operator (who owns every clinic)
/// through reads that record nothing themselves — including the whole audit trail, so even a
/// recorded read by an intruder would show.
async fn snapshot(app: &TestApp, t: &Tenant) -> BTreeMap<&'static str, Value> {
    let c = format!("/clinics/{}", t.seed.slug);
    let mut out = BTreeMap::new();
    for (what, path) in [
        ("clinic", c.clone()),
        ("locations", format!("{c}/locations")),
        ("services", format!("{c}/services")),
        ("practitioners", format!("{c}/practitioners")),
        ("rules", format!("{c}/schedule/rules")),
        ("exceptions", format!("{c}/schedule/exceptions")),
        ("appointments", format!("{c}/appointments")),
        ("members", format!("{c}/members")),
        ("security", format!("{c}/security")),
        ("consents", format!("{c}/patients/{}/consents", t.ids.patient)),
        ("audit", format!("{c}/audit?limit=500")),
    ] {
        let (s, v) = app.get(&path).await;
        assert_eq!(s, StatusCode::OK, "{path}: {v}");
        out.insert(what, v);
    }
    out
}

/// Every protected clinic route, aimed by `attacker`'s people at `target`: by the target's
/// slug and id with the target's object ids, and by the attacker's own clinic with the
/// target's object ids. Returns the number of requests checked.
async fn cross_tenant(
    app: &TestApp,
    ops: &[Op],
    attacker: &Tenant,
    target: &Tenant,
    unauth: &[(String, reqwest::Client)],
) -> usize {
    let mut checked = 0;
    for op in ops.iter().filter(|o| !o.public && o.in_clinic()) {
        let (cap, gate) = op.clinic_route();
        let body = attack_body(&op.method, &op.path, target);
        let m = op.method.as_str();
        for key in [&target.seed.slug, &target.seed.clinic] {
            let url = format!("{}{}", app.base, fill(&op.path, key, &target.ids));
            let request = format!("{m} {url} {}", body.clone().unwrap_or_default());
            let answers = send_all(unauth.iter().map(|(_, c)| c), m, &url, body.as_ref()).await;
            for ((who, _), (s, answer)) in unauth.iter().zip(&answers) {
                assert_eq!(*s, StatusCode::UNAUTHORIZED, "{who}: {request}: {answer}");
            }
            let answers = send_all(attacker.staff.iter().map(|c| &c.client), m, &url, body.as_ref()).await;
            for (cred, (s, answer)) in attacker.staff.iter().zip(&answers) {
                // Not a member there: the grant says so before anything is looked up. The
                // appointment routes look the appointment up first and then tell a stranger
                // nothing.
                let (status, kind) = match gate {
                    Gate::Visitor => (StatusCode::NOT_FOUND, "not-found"),
                    _ if cred.member_elsewhere => (StatusCode::FORBIDDEN, "wrong-clinic"),
                    _ => (StatusCode::FORBIDDEN, "not-a-member"),
                };
                assert_eq!((*s, problem_type(answer)), (status, kind), "{}: {request}: {answer}", cred.label);
                assert_no_leak(&cred.label, &request, answer, &target.secrets);
            }
            checked += unauth.len() + attacker.staff.len();
        }
        if !op.names_objects() {
            continue;
        }
        // The attacker's own clinic, the target's ids: refused for want of the capability, or
        // not found — never the target's object.
        let url = format!("{}{}", app.base, fill(&op.path, &attacker.seed.slug, &target.ids));
        let request = format!("{m} {url} {}", body.clone().unwrap_or_default());
        let answers = send_all(attacker.staff.iter().map(|c| &c.client), m, &url, body.as_ref()).await;
        for (cred, (s, answer)) in attacker.staff.iter().zip(&answers) {
            let expected = match refusal(gate, cap, cred) {
                Some(code) if gate != Gate::Visitor => code,
                _ => StatusCode::NOT_FOUND,
            };
            assert_eq!(*s, expected, "{}: {request}: {answer}", cred.label);
            assert_no_leak(&cred.label, &request, answer, &target.secrets);
        }
        checked += attacker.staff.len();
    }
    checked
}

/// Ids can also travel in query strings: filtering one's own clinic by the other clinic's
/// patient, practitioner or appointment finds nothing (or is refused for want of the right).
async fn query_filters(app: &TestApp, attacker: &Tenant, target: &Tenant) -> usize {
    let c = format!("{}/clinics/{}", app.api, attacker.seed.slug);
    let t = &target.ids;
    let mut checked = 0;
    for (query, list) in [
        (format!("{c}/appointments?patient={}", t.patient), "/appointments"),
        (format!("{c}/appointments?practitioner={}", t.practitioner), "/appointments"),
        (format!("{c}/appointments?location={}", t.location), "/appointments"),
        (format!("{c}/appointments?service={}", t.service), "/appointments"),
        (format!("{c}/schedule/rules?practitioner={}", t.practitioner), "/rules"),
        (format!("{c}/audit?patient={}", t.patient), ""),
        (format!("{c}/audit?entity_id={}", t.appointment), ""),
        (format!("{c}/audit?entity_id={}", t.patient), ""),
    ] {
        let answers = send_all(attacker.staff.iter().map(|c| &c.client), "get", &query, None).await;
        for (cred, (s, answer)) in attacker.staff.iter().zip(&answers) {
            let who = &cred.label;
            assert!([StatusCode::OK, StatusCode::FORBIDDEN].contains(s), "{who}: {query}: {answer}");
            if *s == StatusCode::OK {
                let found = answer.pointer(list).and_then(Value::as_array);
                assert_eq!(found.map(Vec::len), Some(0), "{who}: {query}: {answer}");
            }
            assert_no_leak(who, &query, answer, &target.secrets);
        }
        // The same filter in the target's own clinic does find its objects: the empty answers
        // above are about the clinic, not a filter that finds nothing anywhere.
        let own = query.replacen(&attacker.seed.slug, &target.seed.slug, 1);
        let (s, answer) = app.get(own.trim_start_matches(&app.api)).await;
        let found = answer.pointer(list).and_then(Value::as_array).map_or(0, Vec::len);
        assert!(s == StatusCode::OK && found > 0, "{own}: {answer}");
        checked += attacker.staff.len() + 1;
    }
    checked
}

/// The account routes: 401 without a credential; `attacker`'s people see only their own
/// clinic there; tokens cannot use them; staff cannot create clinics.
async fn account_routes(
    app: &TestApp,
    ops: &[Op],
    attacker: &Tenant,
    target: &Tenant,
    unauth: &[(String, reqwest::Client)],
) -> usize {
    let mut checked = 0;
    for op in ops.iter().filter(|o| !o.public && !o.in_clinic()) {
        let (_, _, kind) = ACCOUNT_ROUTES.iter().find(|(m, p, _)| *m == op.method && *p == op.path).unwrap();
        let m = op.method.as_str();
        let url = format!("{}{}", app.base, fill(&op.path, "", &target.ids));
        let body = (m != "get").then(|| json!({}));
        let answers = send_all(unauth.iter().map(|(_, c)| c), m, &url, body.as_ref()).await;
        for ((who, _), (s, answer)) in unauth.iter().zip(&answers) {
            assert_eq!(*s, StatusCode::UNAUTHORIZED, "{who}: {m} {url}: {answer}");
        }
        checked += unauth.len();
        let creds: Vec<&Cred> = match kind {
            Account::Write => attacker.staff.iter().filter(|c| c.token).collect(),
            Account::Read | Account::Operator => attacker.staff.iter().collect(),
        };
        let answers = send_all(creds.iter().map(|c| &c.client), m, &url, body.as_ref()).await;
        for (cred, (s, answer)) in creds.iter().zip(&answers) {
            let who = &cred.label;
            let expected = match kind {
                Account::Read if !cred.token => StatusCode::OK,
                _ => StatusCode::FORBIDDEN,
            };
            assert_eq!(*s, expected, "{who}: {m} {url}: {answer}");
            assert_no_leak(who, &url, answer, &target.secrets);
            // Whatever names a clinic here names the caller's own.
            let mut clinics = Vec::new();
            clinic_fields(answer, &mut clinics);
            assert!(clinics.iter().all(|c| *c == attacker.seed.clinic), "{who}: {m} {url}: {answer}");
        }
        checked += creds.len();
    }
    // The reads above had something to check: each member is in their own clinic (only) and
    // has their own tokens.
    for cred in attacker.staff.iter().filter(|c| !c.token) {
        let (_, me) = send(&cred.client, "get", &format!("{}/me", app.api), None).await;
        assert_eq!(me["clinics"].as_array().unwrap().len(), 1, "{}: {me}", cred.label);
        let (_, tokens) = send(&cred.client, "get", &format!("{}/me/tokens", app.api), None).await;
        assert!(!tokens.as_array().unwrap().is_empty(), "{}: {tokens}", cred.label);
    }
    checked
}

/// The values of every `clinic` field in a JSON answer.
fn clinic_fields(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            for (k, v) in o {
                if k == "clinic"
                    && let Some(s) = v.as_str()
                {
                    out.push(s.to_owned());
                }
                clinic_fields(v, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|v| clinic_fields(v, out)),
        _ => {}
    }
}

/// The public routes: no credential needed, nothing of the clinic's patients or staff in
/// them; objects by id only within their own clinic; a manage link that is not genuine opens
/// nothing.
async fn public_routes(app: &TestApp, ops: &[Op], attacker: &Tenant, target: &Tenant) -> usize {
    let mut checked = 0;
    // The target's objects, except the hold (only its owner or the clinic's staff release it) and the
    // manage link (it shows the patient their own booking, by design): checked below.
    let ids = Ids { hold: random_id(), manage: "not-a-manage-token".into(), ..target.ids.clone() };
    let callers: Vec<(&str, &reqwest::Client)> = std::iter::once(("nobody", &app.anon))
        .chain(attacker.staff.iter().map(|c| (c.label.as_str(), &c.client)))
        .collect();
    for op in ops.iter().filter(|o| o.public) {
        let m = op.method.as_str();
        let url = format!("{}{}", app.base, fill(&op.path, &target.seed.slug, &ids));
        let body = (m != "get" && m != "delete").then(|| json!({}));
        let answers = send_all(callers.iter().map(|(_, c)| *c), m, &url, body.as_ref()).await;
        for ((who, _), (s, answer)) in callers.iter().zip(&answers) {
            assert_ne!(*s, StatusCode::UNAUTHORIZED, "{who}: {m} {url} is public: {answer}");
            assert_no_leak(who, &url, answer, &target.secrets);
        }
        checked += callers.len();
        if op.in_clinic() && op.names_objects() {
            // The attacker's clinic with the target's real ids (the hold too): not found.
            let url = format!("{}{}", app.base, fill(&op.path, &attacker.seed.slug, &target.ids));
            let body = attack_body(m, &op.path, target);
            let answers = send_all(callers.iter().map(|(_, c)| *c), m, &url, body.as_ref()).await;
            for ((who, _), (s, answer)) in callers.iter().zip(&answers) {
                assert_eq!(*s, StatusCode::NOT_FOUND, "{who}: {m} {url}: {answer}");
                assert_no_leak(who, &url, answer, &target.secrets);
            }
            checked += callers.len();
        }
    }
    // Manage links: a garbage token, and the target's genuine one with one character changed.
    let genuine = &target.ids.manage;
    let mut tampered: Vec<char> = genuine.chars().collect();
    tampered[20] = if tampered[20] == 'A' { 'B' } else { 'A' };
    let tampered: String = tampered.into_iter().collect();
    for op in ops.iter().filter(|o| o.public && o.path.starts_with("/api/v1/manage/")) {
        let m = op.method.as_str();
        let body = attack_body(m, &op.path, target);
        for token in ["not-a-manage-token", tampered.as_str()] {
            let ids = Ids { manage: token.to_owned(), ..target.ids.clone() };
            let url = format!("{}{}", app.base, fill(&op.path, "", &ids));
            let (s, answer) = send(&app.anon, m, &url, body.as_ref()).await;
            assert_eq!(s, StatusCode::NOT_FOUND, "{m} {url}: {answer}");
            assert_no_leak("nobody", &url, &answer, &target.secrets);
            checked += 1;
        }
    }
    // The genuine link does open: the refusals above are about the token, not the route.
    let (s, answer) = send(&app.anon, "get", &format!("{}/manage/{genuine}", app.api), None).await;
    assert_eq!((s, &answer["id"]), (StatusCode::OK, &json!(target.ids.appointment)), "{answer}");
    checked
}

/// A request at a page route: path and query, form fields, the statuses allowed.
type PageAttempt<'a> = (String, Vec<(&'a str, String)>, &'static [StatusCode]);

/// Fails if a page shows one of `secrets` that the request itself did not carry.
fn assert_page_no_leak(who: &str, request: &str, page: &str, secrets: &[String]) {
    for s in secrets {
        if page.contains(s.as_str()) && !request.contains(s.as_str()) {
            panic!("{who}: {request} leaked `{s}`");
        }
    }
}

/// The page routes, attacked like the API's: the attacker's clinic in the path with the target's
/// objects in the query or the form (not found, nothing held or booked), forged manage links (not
/// found), and never a sign-in demanded (they are public; a manage link is its own capability).
async fn page_routes(app: &TestApp, attacker: &Tenant, target: &Tenant) -> usize {
    let listed: BTreeSet<(String, String)> =
        nobat_web::pages::ROUTES.iter().map(|(m, p, _)| (m.to_string(), p.to_string())).collect();
    let expected: BTreeSet<(String, String)> = PAGES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    assert_eq!(listed, expected, "page routes changed: attack the new ones in `page_routes` and list them in PAGES");
    let plain = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut callers: Vec<(String, reqwest::Client)> = vec![("nobody".into(), plain)];
    callers.extend(attacker.staff.iter().map(|c| (c.label.clone(), c.client.clone())));
    let (a, t) = (&attacker.seed.slug, &target.ids);
    let genuine = &t.manage;
    let mut tampered: Vec<char> = genuine.chars().collect();
    tampered[20] = if tampered[20] == 'A' { 'B' } else { 'A' };
    let tampered: String = tampered.into_iter().collect();
    let slot = format!("{}|{}", t.practitioner, target.free_start);
    let mut checked = 0;
    for (method, path, _) in nobat_web::pages::ROUTES {
        // (path and query or form, the statuses allowed)
        let attempts: Vec<PageAttempt> = match (*method, *path) {
            ("get", "/") => vec![("/".into(), vec![], &[StatusCode::OK])],
            ("get", "/assets/{name}") => vec![("/assets/..%2Fsecrets".into(), vec![], &[StatusCode::NOT_FOUND])],
            ("get", "/c/{clinic}") => vec![
                (format!("/c/{a}?service={}", t.service), vec![], &[StatusCode::NOT_FOUND]),
                (
                    format!("/c/{a}?service={}&practitioner={}", attacker.ids.service, t.practitioner),
                    vec![],
                    &[StatusCode::NOT_FOUND],
                ),
                (
                    format!("/c/{a}?service={}&practitioner={}&start={}", t.service, t.practitioner, target.free_start),
                    vec![],
                    &[StatusCode::NOT_FOUND],
                ),
            ],
            ("post", "/c/{clinic}/hold") => vec![(
                format!("/c/{a}/hold"),
                vec![("service", t.service.clone()), ("slot", slot.clone())],
                &[StatusCode::NOT_FOUND],
            )],
            ("get", "/c/{clinic}/details") => {
                vec![(format!("/c/{a}/details?hold={}", t.hold), vec![], &[StatusCode::CONFLICT])]
            }
            ("post", "/c/{clinic}/book") => vec![(
                format!("/c/{a}/book"),
                vec![("hold", t.hold.clone()), ("name", "Intruder".into()), ("phone", "+989121234567".into())],
                &[StatusCode::CONFLICT],
            )],
            ("get", "/m/{token}") | ("post", "/m/{token}/cancel") | ("post", "/m/{token}/reschedule") => {
                let tail = path.trim_start_matches("/m/{token}");
                ["not-a-manage-token", tampered.as_str()]
                    .iter()
                    .map(|tok| (format!("/m/{tok}{tail}"), vec![("slot", slot.clone())], &[StatusCode::NOT_FOUND][..]))
                    .collect()
            }
            // Forged links open no form; the attacker's genuine link does not open the target's.
            ("get" | "post", "/m/{token}/forms/{form}") => {
                let mut v: Vec<PageAttempt> = ["not-a-manage-token", tampered.as_str()]
                    .iter()
                    .map(|tok| {
                        (
                            format!("/m/{tok}/forms/{}", t.form),
                            vec![("why", "x".to_owned())],
                            &[StatusCode::NOT_FOUND][..],
                        )
                    })
                    .collect();
                v.push((
                    format!("/m/{}/forms/{}", attacker.ids.manage, t.form),
                    vec![("why", "x".to_owned())],
                    &[StatusCode::NOT_FOUND][..],
                ));
                v
            }
            ("get", "/m/{token}/calendar.ics") => ["not-a-manage-token", tampered.as_str()]
                .iter()
                .map(|tok| (format!("/m/{tok}/calendar.ics"), vec![], &[StatusCode::NOT_FOUND][..]))
                .collect(),
            // A location that is no clinic's; the target's own board is public (codes only), and
            // shows nothing secret (checked below like every page).
            ("get", "/board/{location}") => vec![
                (format!("/board/{}", random_id()), vec![], &[StatusCode::NOT_FOUND][..]),
                ("/board/not-an-id".into(), vec![], &[StatusCode::NOT_FOUND][..]),
                (format!("/board/{}", t.location), vec![], &[StatusCode::OK][..]),
            ],
            // A watch in the attacker's clinic for the target's service and practitioner.
            ("post", "/c/{clinic}/watch") => vec![(
                format!("/c/{a}/watch"),
                vec![
                    ("service", t.service.clone()),
                    ("practitioner", t.practitioner.clone()),
                    ("name", "Intruder".into()),
                    ("email", "intruder@example.org".into()),
                ],
                &[StatusCode::NOT_FOUND],
            )],
            // Staff pages of the target's clinic: sign in first (nobody) or not a member (the
            // attacker's staff); never the target's settings or figures.
            ("get", "/admin/{clinic}")
            | ("get", "/admin/{clinic}/reports")
            | ("get", "/admin/{clinic}/reports.csv") => {
                let tail = path.trim_start_matches("/admin/{clinic}");
                vec![(
                    format!("/admin/{}{tail}", target.seed.slug),
                    vec![],
                    &[StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN][..],
                )]
            }
            // Every admin form against the target's clinic; and in the attacker's own clinic,
            // hours for the target's practitioner and location (not found, or refused by role).
            ("post", "/admin/{clinic}/{form}") => {
                let mut v: Vec<PageAttempt> = nobat_web::pages::admin::actions::FORMS
                    .iter()
                    .map(|f| {
                        (
                            format!("/admin/{}/{f}", target.seed.slug),
                            vec![("name", "Intruder".into()), ("id", t.service.clone())],
                            &[StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN][..],
                        )
                    })
                    .collect();
                v.push((
                    format!("/admin/{a}/rule"),
                    vec![
                        ("practitioner", t.practitioner.clone()),
                        ("location", t.location.clone()),
                        ("weekdays", "mon".into()),
                        ("start", "09:00".into()),
                        ("end", "10:00".into()),
                    ],
                    &[StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN, StatusCode::NOT_FOUND][..],
                ));
                v
            }
            // Signing in: an address with no account, a forged second step; never a way in.
            ("get", "/signin") => vec![("/signin?next=//evil.test".into(), vec![], &[StatusCode::OK][..])],
            ("post", "/signin") => vec![(
                "/signin".into(),
                vec![("email", "nobody@nowhere.test".into()), ("password", "wrong password".into())],
                &[StatusCode::UNAUTHORIZED][..],
            )],
            ("post", "/signin/code") => vec![(
                "/signin/code".into(),
                vec![("pending", tampered.clone()), ("totp_code", "123456".into())],
                &[StatusCode::UNAUTHORIZED][..],
            )],
            // The caller's own account: nothing of another clinic is named. A bearer caller is
            // not a browser (the form neither ends its session nor changes its password).
            ("post", "/signout") => vec![("/signout".into(), vec![], &[StatusCode::SEE_OTHER][..])],
            ("get", "/account") => {
                vec![("/account".into(), vec![], &[StatusCode::OK, StatusCode::FORBIDDEN, StatusCode::SEE_OTHER][..])]
            }
            ("post", "/account/password") => vec![(
                "/account/password".into(),
                vec![("current_password", "x".into()), ("new_password", "y".into())],
                &[StatusCode::SEE_OTHER][..],
            )],
            // The desk: the target's desk is refused; the attacker's own desk with the target's
            // objects finds none of them (a guest or an API token is sent to sign in).
            ("get", "/desk/{clinic}") => vec![
                (format!("/desk/{}", target.seed.slug), vec![], &[StatusCode::FORBIDDEN, StatusCode::SEE_OTHER][..]),
                (
                    format!("/desk/{a}?location={}", t.location),
                    vec![],
                    &[StatusCode::OK, StatusCode::FORBIDDEN, StatusCode::SEE_OTHER][..],
                ),
            ],
            ("post", "/desk/{clinic}/check-in") => vec![(
                format!("/desk/{a}/check-in"),
                vec![("appointment", t.appointment.clone())],
                &[StatusCode::NOT_FOUND, StatusCode::FORBIDDEN, StatusCode::SEE_OTHER][..],
            )],
            ("post", "/desk/{clinic}/walk-in") => vec![(
                format!("/desk/{a}/walk-in"),
                vec![("name", "Intruder".into()), ("practitioner", t.practitioner.clone())],
                &[
                    StatusCode::NOT_FOUND,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    StatusCode::FORBIDDEN,
                    StatusCode::SEE_OTHER,
                ][..],
            )],
            ("post", "/desk/{clinic}/queues/{queue}/call-next") => vec![(
                format!("/desk/{a}/queues/{}/call-next", t.queue),
                vec![],
                &[StatusCode::NOT_FOUND, StatusCode::FORBIDDEN, StatusCode::SEE_OTHER][..],
            )],
            ("post", "/desk/{clinic}/tickets/{ticket}") => vec![(
                format!("/desk/{a}/tickets/{}", t.ticket),
                vec![("action", "absent".into())],
                &[StatusCode::NOT_FOUND, StatusCode::FORBIDDEN, StatusCode::SEE_OTHER][..],
            )],
            // "My place": forged tokens find nothing; the genuine one shows no name.
            ("get", "/q/{token}") => vec![
                ("/q/not-a-ticket-token".into(), vec![], &[StatusCode::NOT_FOUND][..]),
                (format!("/q/{}", t.ticket_token), vec![], &[StatusCode::OK][..]),
            ],
            (m, p) => panic!("page route {m} {p} has no attack here"),
        };
        // Routes about the caller's own account name nothing of a clinic: a guest is enough
        // (and the staff's sessions must survive the rest of the test).
        let own_account = matches!(*path, "/signout" | "/account/password");
        for (target_path, form, allowed) in attempts {
            let url = format!("{}{target_path}", app.base);
            for (who, client) in &callers {
                if own_account && who != "nobody" {
                    continue;
                }
                let req = if *method == "post" {
                    client.post(&url).header("content-type", "application/x-www-form-urlencoded").body(
                        form_urlencoded::Serializer::new(String::new())
                            .extend_pairs(form.iter().map(|(k, v)| (*k, v.as_str())))
                            .finish(),
                    )
                } else {
                    client.get(&url)
                };
                let res = req.send().await.unwrap();
                let status = res.status();
                let page = res.text().await.unwrap();
                let request = format!("{method} {url} {form:?}");
                assert!(allowed.contains(&status), "{who}: {request} answered {status}, expected {allowed:?}");
                if *path != "/" {
                    assert_page_no_leak(who, &request, &page, &target.secrets);
                }
                checked += 1;
            }
        }
    }
    // The genuine link does open its page: the refusals above are about the token.
    let res = app.anon.get(format!("{}/m/{genuine}", app.base)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    checked
}

/// Inside its own clinic, each credential is refused exactly where the tables say and let in
/// everywhere else. Routes that destroy aim at ids that do not exist (access is decided before
/// the lookup); the others use the clinic's real objects with harmless bodies.
async fn capability_matrix(app: &TestApp, ops: &[Op], t: &Tenant) -> usize {
    let ids = Ids {
        rule: random_id(),
        exception: random_id(),
        user: random_id(),
        token: random_id(),
        consent: random_id(),
        calendar_feed: random_id(),
        ..t.ids.clone()
    };
    let mut checked = 0;
    for op in ops.iter().filter(|o| !o.public && o.in_clinic()) {
        let (cap, gate) = op.clinic_route();
        let m = op.method.as_str();
        // Checking in would move the appointment `survives` looks at: aim at one that does
        // not exist (access is decided before the lookup).
        let ids =
            if op.path.ends_with("/check-in") { Ids { appointment: random_id(), ..ids.clone() } } else { ids.clone() };
        let url = format!("{}{}", app.base, fill(&op.path, &t.seed.slug, &ids));
        let body = probe_body(m, &op.path);
        let answers = send_all(t.staff.iter().map(|c| &c.client), m, &url, body.as_ref()).await;
        for (cred, (s, answer)) in t.staff.iter().zip(&answers) {
            let who = format!("{} ({})", cred.label, cred.role);
            match refusal(gate, cap, cred) {
                Some(code) => assert_eq!(*s, code, "{who} lacks {cap}: {m} {url}: {answer}"),
                None => assert!(
                    ![StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN].contains(s) && !s.is_server_error(),
                    "{who} holds {cap}: {m} {url}: {s} {answer}"
                ),
            }
        }
        checked += t.staff.len();
    }
    checked
}

/// After everything: `t`'s people and data are all still there, and `intruder` shows in none
/// of its patient's access log.
async fn survives(app: &TestApp, t: &Tenant, intruder: &Tenant) {
    let c = format!("/clinics/{}", t.seed.slug);
    for cred in &t.staff {
        let (s, answer) = send(&cred.client, "get", &format!("{}{c}/schedule/rules", app.api), None).await;
        assert_eq!(s, StatusCode::OK, "{} still works: {answer}", cred.label);
    }
    let (s, a) = app.get(&format!("{c}/appointments/{}", t.ids.appointment)).await;
    assert_eq!((s, a["status"].as_str()), (StatusCode::OK, Some("booked")), "{a}");
    let (s, p) = app.get(&format!("{c}/patients/{}", t.ids.patient)).await;
    assert_eq!((s, p["name"].as_str()), (StatusCode::OK, Some(t.patient_name.as_str())), "not erased: {p}");
    let (s, log) = send(&app.anon, "get", &format!("{}/manage/{}/access-log", app.api, t.ids.manage), None).await;
    assert_eq!(s, StatusCode::OK, "{log}");
    assert!(!log.as_array().unwrap().is_empty(), "the operator's reads are logged: {log}");
    assert!(!log.to_string().contains(intruder.label), "{} shows in {}'s access log: {log}", intruder.label, t.label);
    // The hold was never released by anyone else: it is still there for its owner to give back.
    let url = format!("{}{c}/holds/{}", app.api, t.ids.hold);
    let res = app.anon.delete(&url).header("Hold-Token", &t.hold_token).send().await.unwrap();
    let (s, answer) = decode(res).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{answer}");
}

/// A FHIR answer: an OperationOutcome for every error, never problem+json.
async fn fhir_send(client: &reqwest::Client, url: &str) -> (StatusCode, Value) {
    let res = client.get(url).send().await.unwrap();
    let status = res.status();
    let ct = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert!(ct.starts_with("application/fhir+json"), "{url}: {status} as {ct}: {body}");
    if !status.is_success() {
        assert_eq!(body["resourceType"], "OperationOutcome", "{url}: {body}");
    }
    (status, body)
}

/// The FHIR staff routes, aimed by `attacker`'s people at `target`: at the target's base (by
/// slug and id) every credential is refused 403 (401 without one); at the attacker's own base
/// the target's ids find nothing (404) and searches filtered by them come back empty. Either
/// way no byte of the target's data.
async fn fhir_routes(app: &TestApp, attacker: &Tenant, target: &Tenant, unauth: &[(String, reqwest::Client)]) -> usize {
    let t = &target.ids;
    let fill = |p: &str| {
        p.replace("{appointment}", &t.appointment).replace("{patient}", &t.patient).replace("{hold}", &t.hold)
    };
    let mut checked = 0;
    for (path, cap) in FHIR_STAFF {
        assert!(POLICY.iter().any(|(c, _)| c == cap), "{cap} is a capability");
        let path = fill(path);
        for key in [&target.seed.slug, &target.seed.clinic] {
            let url = format!("{}/fhir/{key}/{path}", app.base);
            for (who, client) in unauth {
                let (s, answer) = fhir_send(client, &url).await;
                assert_eq!(s, StatusCode::UNAUTHORIZED, "{who}: {url}: {answer}");
            }
            for cred in &attacker.staff {
                let (s, answer) = fhir_send(&cred.client, &url).await;
                assert_eq!(s, StatusCode::FORBIDDEN, "{}: {url}: {answer}", cred.label);
                assert_no_leak(&cred.label, &url, &answer, &target.secrets);
            }
            checked += unauth.len() + attacker.staff.len();
        }
        let url = format!("{}/fhir/{}/{path}", app.base, attacker.seed.slug);
        for cred in &attacker.staff {
            let (s, answer) = fhir_send(&cred.client, &url).await;
            let by_id = path.contains('/') && !path.contains('?');
            match s {
                StatusCode::NOT_FOUND if by_id => {}
                StatusCode::OK if !by_id => {
                    assert_eq!(answer["resourceType"], "Bundle", "{}: {url}: {answer}", cred.label);
                    let own = answer["entry"].as_array().map_or(0, Vec::len);
                    // Unfiltered searches list the attacker's own clinic; filtered by the
                    // target's ids they find nothing.
                    if path.contains('=') {
                        assert_eq!(own, 0, "{}: {url}: {answer}", cred.label);
                    }
                }
                other => panic!("{}: {url}: {other} {answer}", cred.label),
            }
            assert_no_leak(&cred.label, &url, &answer, &target.secrets);
        }
        checked += attacker.staff.len();
    }
    checked
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_keeps_clinics_apart_and_roles_in_their_lane() {
    let started = std::time::Instant::now();
    let app = spawn_app().await;
    let ops = operations(&app).await;
    check_classification(&ops);

    let alpha = tenant(&app, "Alpha").await;
    let bravo = tenant(&app, "Bravo").await;
    let unauth = unauthenticated(&app, &alpha).await;
    let before = (snapshot(&app, &alpha).await, snapshot(&app, &bravo).await);

    let mut checked = 0;
    for (attacker, target) in [(&alpha, &bravo), (&bravo, &alpha)] {
        checked += cross_tenant(&app, &ops, attacker, target, &unauth).await;
        checked += query_filters(&app, attacker, target).await;
        checked += account_routes(&app, &ops, attacker, target, &unauth).await;
        checked += public_routes(&app, &ops, attacker, target).await;
        checked += page_routes(&app, attacker, target).await;
        checked += fhir_routes(&app, attacker, target, &unauth).await;
    }
    // Nothing of either clinic changed, and nothing about it was even recorded — but a clinic's
    // own staff searching its own patients over FHIR are written to its audit trail (each
    // patient shown, action `search`, by one of its own people), as they must be.
    let own_searches = |label: &str, mut v: Value| {
        if let Some(entries) = v.as_array_mut() {
            entries
                .retain(|e| !(e["action"] == "search" && e["actor_label"].as_str().is_some_and(|l| l.contains(label))));
        }
        v
    };
    let mut after = (snapshot(&app, &alpha).await, snapshot(&app, &bravo).await);
    for (label, snap) in [("Alpha", &mut after.0), ("Bravo", &mut after.1)] {
        let audit = snap.remove("audit").unwrap();
        snap.insert("audit", own_searches(label, audit));
    }
    for ((label, b), a) in [("Alpha", &before.0), ("Bravo", &before.1)].into_iter().zip([&after.0, &after.1]) {
        for (what, v) in b {
            assert_eq!(&a[what], v, "{label}'s {what} changed under the other clinic's attempts");
        }
    }

    checked += capability_matrix(&app, &ops, &alpha).await;
    survives(&app, &alpha, &bravo).await;
    survives(&app, &bravo, &alpha).await;
    eprintln!(
        "isolation: {} operations ({} public), {} credentials per clinic, {checked} requests checked in {:?}",
        ops.len(),
        ops.iter().filter(|o| o.public).count(),
        alpha.staff.len(),
        started.elapsed()
    );
    app.stop().await;
}
