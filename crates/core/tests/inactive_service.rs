//! A deactivated service is offered to nobody and cannot be booked; the decision is the core's.

mod common;

use common::*;
use jiff::civil::date;
use nobat_core::booking::{Actor, SlotRequest, decide_slot};
use nobat_core::{DomainError, ServicePatch};

#[test]
fn an_inactive_service_has_no_slots_and_refuses_a_booking() {
    let setup = Setup::new("Asia/Tehran").open_daily("08:00", "12:00", &[]);
    let active = service(30, 30);
    let offered = setup.day(&active, date(2026, 5, 4));
    assert_eq!(offered.len(), 8);

    let inactive = ServicePatch { active: Some(false), ..Default::default() }.apply(&active);
    assert_eq!(inactive, nobat_core::Service { active: false, ..active.clone() }, "only `active` changed");
    assert!(setup.day(&inactive, date(2026, 5, 4)).is_empty(), "offered to nobody, staff included");
    let req = SlotRequest {
        service: inactive.id,
        practitioner: setup.practitioner,
        start: offered[0].start,
        location: Some(setup.location.id),
        offset: None,
    };
    let now = ts("2020-01-01T00:00:00Z");
    let locations = std::slice::from_ref(&setup.location);
    for actor in [Actor::Patient, Actor::Staff] {
        let decision = decide_slot(&req, &inactive, &setup.calendar(), locations, now, actor);
        assert!(matches!(decision, Err(DomainError::SlotNotOffered(_))), "{actor:?}: {decision:?}");
    }
    // Active again, the same request is bookable.
    let again = ServicePatch { active: Some(true), ..Default::default() }.apply(&inactive);
    assert!(decide_slot(&req, &again, &setup.calendar(), locations, now, Actor::Staff).is_ok());
}
