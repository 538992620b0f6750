//! What the staff desk shows: today's queues (with their buttons), today's appointments and
//! today's figures, each over the clinics where the member holds the reading grant. "Today"
//! is each location's own local date, as the queues and the desk use it.

use super::{StaffDesk, Viewer, t};
use nobat_bot::Keyboard;
use nobat_bot::staff::{self, StaffInput};
use nobat_core::AppointmentStatus;
use nobat_core::access::RunQueues;
use nobat_core::queue::TicketStatus;
use nobat_i18n::Lang;
use nobat_i18n::catalog::Args;
use nobat_store::model::AppointmentFilter;
use nobat_web::auth::grant::grant;
use nobat_web::auth::principal::Principal;
use nobat_web::routes::queues::check_runs;

/// Today's window `[start, end)` at one location.
fn today(
    viewer: &Viewer,
    location: nobat_core::LocationId,
) -> Option<(jiff::civil::Date, jiff::Timestamp, jiff::Timestamp)> {
    let tz = viewer.ctx.tz(location);
    let date = jiff::Timestamp::now().to_zoned(tz.clone()).date();
    let start = date.to_zoned(tz.clone()).ok()?.timestamp();
    let end = date.tomorrow().ok()?.to_zoned(tz).ok()?.timestamp();
    Some((date, start, end))
}

/// Today's queues with a line each, and the buttons: call next and walk-in per queue, absent
/// for a called ticket, return for an absent one, and refresh.
pub(crate) async fn queues(desk: &StaffDesk, principal: &Principal, lang: Lang) -> anyhow::Result<(String, Keyboard)> {
    let store = &desk.state.store;
    let messages = desk.messages;
    let mut lines = vec![t(messages, lang, "bot-staff-queues-title", &Args::new())];
    let mut rows: Vec<Vec<(String, String)>> = Vec::new();
    let viewers: Vec<Viewer> = desk.grants(principal).await?;
    let several = viewers.len() > 1;
    for viewer in &viewers {
        // Buttons only where they would work: the member runs queues here, and (a
        // practitioner) this one is theirs. The action checks again when pressed.
        let runner = grant::<RunQueues>(&desk.state, principal, viewer.ctx.clone()).await.ok();
        for location in &viewer.ctx.locations {
            let Some((date, _, _)) = today(viewer, location.id) else { continue };
            for q in store.queues(viewer.ctx.clinic.id, date, Some(location.id)).await? {
                if q.closed_at.is_some() {
                    continue;
                }
                let name = if several { format!("{} · {}", viewer.ctx.clinic.name, q.name) } else { q.name.clone() };
                let args = Args::new()
                    .str("name", name.clone())
                    .num("waiting", i64::from(q.waiting))
                    .num("called", i64::from(q.called))
                    .num("served", i64::from(q.served));
                lines.push(format!("• {}", t(messages, lang, "bot-staff-queue-line", &args)));
                let runs = match &runner {
                    Some(r) => check_runs(&desk.state, r, &q).await.is_ok(),
                    None => false,
                };
                if !runs {
                    continue;
                }
                let id = q.id.to_string();
                let label = |key: &str| t(messages, lang, key, &Args::new().str("name", q.name.clone()));
                rows.push(vec![
                    (label("bot-staff-btn-call"), staff::data(&StaffInput::CallNext(id.clone()))),
                    (label("bot-staff-btn-walk-in"), staff::data(&StaffInput::WalkIn(id))),
                ]);
                let mut ticket_row = Vec::new();
                for ticket in store.queue_tickets(viewer.ctx.clinic.id, q.id).await? {
                    let code = Args::new().str("code", ticket.code.clone());
                    match ticket.status {
                        TicketStatus::Called => ticket_row.push((
                            t(messages, lang, "bot-staff-btn-absent", &code),
                            staff::data(&StaffInput::Absent(ticket.id.to_string())),
                        )),
                        TicketStatus::Absent => ticket_row.push((
                            t(messages, lang, "bot-staff-btn-return", &code),
                            staff::data(&StaffInput::Return(ticket.id.to_string())),
                        )),
                        _ => {}
                    }
                }
                // Three buttons a row fit a phone.
                for chunk in ticket_row.chunks(3) {
                    rows.push(chunk.to_vec());
                }
            }
        }
    }
    if lines.len() == 1 {
        lines.push(t(messages, lang, "bot-staff-no-queues", &Args::new()));
    }
    rows.push(vec![(t(messages, lang, "bot-staff-btn-refresh", &Args::new()), staff::data(&StaffInput::Queues))]);
    Ok((lines.join("\n"), Keyboard::Inline(rows)))
}

/// Today's appointments, by start, with local time and status.
pub(crate) async fn appointments(desk: &StaffDesk, principal: &Principal, lang: Lang) -> anyhow::Result<String> {
    let mut found = Vec::new();
    for viewer in desk.grants::<nobat_core::access::ViewAppointments>(principal).await? {
        for location in &viewer.ctx.locations {
            let Some((_, from, to)) = today(&viewer, location.id) else { continue };
            let filter = AppointmentFilter {
                location: Some(location.id),
                from: Some(from),
                to: Some(to),
                limit: 100,
                ..Default::default()
            };
            for a in desk.state.store.appointments(viewer.ctx.clinic.id, &filter).await? {
                let local = a.start.to_zoned(viewer.ctx.tz(location.id));
                found.push((a.start, format!("{} · {}", local.strftime("%H:%M"), status_label(desk, lang, a.status))));
            }
        }
    }
    found.sort();
    let mut lines = vec![t(desk.messages, lang, "bot-staff-appointments-title", &Args::new())];
    if found.is_empty() {
        lines.push(t(desk.messages, lang, "bot-staff-no-appointments", &Args::new()));
    }
    lines.extend(found.into_iter().map(|(_, l)| format!("• {l}")));
    Ok(lines.join("\n"))
}

fn status_label(desk: &StaffDesk, lang: Lang, status: AppointmentStatus) -> String {
    let key = match status {
        AppointmentStatus::Cancelled => "bot-staff-status-cancelled",
        AppointmentStatus::Noshow => "bot-staff-status-noshow",
        AppointmentStatus::Fulfilled => "bot-staff-status-fulfilled",
        AppointmentStatus::Arrived | AppointmentStatus::CheckedIn => "bot-staff-status-arrived",
        _ => "bot-staff-status-booked",
    };
    t(desk.messages, lang, key, &Args::new())
}

/// Today's figures per clinic: appointments (cancelled and no-shows among them), waiting and
/// served in the queues.
pub(crate) async fn figures(desk: &StaffDesk, principal: &Principal, lang: Lang) -> anyhow::Result<String> {
    let mut lines = Vec::new();
    for viewer in desk.grants::<nobat_core::access::ViewAppointments>(principal).await? {
        let (mut booked, mut cancelled, mut noshow, mut waiting, mut served) = (0i64, 0i64, 0i64, 0i64, 0i64);
        for location in &viewer.ctx.locations {
            let Some((date, from, to)) = today(&viewer, location.id) else { continue };
            let filter = AppointmentFilter {
                location: Some(location.id),
                from: Some(from),
                to: Some(to),
                limit: 500,
                ..Default::default()
            };
            for a in desk.state.store.appointments(viewer.ctx.clinic.id, &filter).await? {
                booked += 1;
                match a.status {
                    AppointmentStatus::Cancelled => cancelled += 1,
                    AppointmentStatus::Noshow => noshow += 1,
                    _ => {}
                }
            }
            for q in desk.state.store.queues(viewer.ctx.clinic.id, date, Some(location.id)).await? {
                waiting += i64::from(q.waiting);
                served += i64::from(q.served);
            }
        }
        let args = Args::new()
            .str("clinic", viewer.ctx.clinic.name.clone())
            .num("booked", booked)
            .num("cancelled", cancelled)
            .num("noshow", noshow)
            .num("waiting", waiting)
            .num("served", served);
        lines.push(t(desk.messages, lang, "bot-staff-figures", &args));
    }
    if lines.is_empty() {
        lines.push(t(desk.messages, lang, "bot-staff-refused", &Args::new()));
    }
    Ok(lines.join("\n\n"))
}
