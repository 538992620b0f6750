//! The demo clinic's clinical side: its therapist, Dr. Nadia Rahimi, has signed visit notes
//! in Farsi on her therapy sessions (one of them amended), sealed with the data key ring like
//! any note. Written through the same commands as the API; added once (a clinic that already
//! has notes is left alone).

use anyhow::Context;
use jiff::Timestamp;
use nobat_core::NoteId;
use nobat_core::access::Role;
use nobat_core::clinical::Soap;
use nobat_store::at_rest::DataKeys;
use nobat_store::commands::clinical::{ClinicalOp, NoteWriter};
use nobat_store::model::AppointmentFilter;
use nobat_store::{AuditActor, Command, Store};
use std::sync::Arc;

const THERAPIST: &str = "Dr. Nadia Rahimi";

/// (subjective, objective, assessment, plan) of the demo's notes.
const NOTES: [(&str, &str, &str, &str); 3] = [
    (
        "مادر گزارش می‌دهد که کودک هنگام لباس پوشیدن بی‌قرار است و به صداهای بلند حساسیت دارد.",
        "در تکالیف حرکتی ظریف، گرفتن مداد با چهار انگشت؛ تحمل لمس سطوح زبر کم است.",
        "الگوی بیش‌پاسخ‌دهی حسی لمسی و شنوایی.",
        "تمرین‌های رژیم حسی روزانه در خانه؛ جلسه بعد ارزیابی مجدد گرفتن مداد.",
    ),
    (
        "بیمار از درد شانه راست هنگام بالا بردن دست شکایت دارد؛ خواب شبانه بهتر شده است.",
        "دامنه حرکتی فلکشن شانه ۱۲۰ درجه؛ قدرت عضلات روتیتور کاف ۴ از ۵.",
        "بهبود نسبی نسبت به جلسه قبل.",
        "ادامه تمرین‌های کششی و تقویتی، سه بار در هفته.",
    ),
    (
        "کودک در مدرسه برای تمرکز در کلاس مشکل دارد؛ معلم گزارش بهبود در نوشتن داده است.",
        "در آزمون دست‌خط، خوانایی حروف بهتر؛ نشستن پشت میز تا ۱۵ دقیقه بدون وقفه.",
        "پیشرفت در مهارت‌های حرکتی ظریف و توجه.",
        "تمرین نوشتن روزانه ۱۰ دقیقه؛ استفاده از بالشتک نشستن در کلاس.",
    ),
];

/// Adds the demo's notes if the demo clinic has none yet; returns how many it wrote.
pub async fn ensure(store: &Store, keys: Arc<DataKeys>) -> anyhow::Result<usize> {
    let clinic = store.clinic(crate::demo::SLUG).await.context("the demo clinic")?;
    let far = Timestamp::now() + jiff::SignedDuration::from_hours(24 * 3650);
    if !store.notes_between(&keys, clinic.id, Timestamp::UNIX_EPOCH, far, 1).await?.is_empty() {
        return Ok(0);
    }
    let Some(therapist) = store.practitioners(clinic.id).await?.into_iter().find(|p| p.name == THERAPIST) else {
        return Ok(0);
    };
    let filter = AppointmentFilter { practitioner: Some(therapist.id), limit: 10, ..Default::default() };
    let appointments = store.appointments(clinic.id, &filter).await?;
    let writer = NoteWriter {
        role: Role::Practitioner,
        practitioner: Some(therapist.id),
        actor: AuditActor::new("demo", format!("{THERAPIST} (demo)")),
    };
    let mut written = 0;
    for (appointment, (s, o, a, p)) in appointments.iter().zip(NOTES) {
        let soap = Soap::parse(s, o, a, p)?;
        let id = NoteId::new();
        let op = ClinicalOp::CreateNote {
            clinic: clinic.id,
            patient: appointment.patient,
            id,
            appointment: appointment.id,
            soap: soap.clone(),
            sign: true,
            writer: writer.clone(),
            keys: keys.clone(),
        };
        store.execute(Command::Clinical(op)).await.context("demo: a visit note")?;
        if written == 0 {
            // One amended note, to show a signed note's history.
            let amended =
                Soap { plan: format!("{} ارجاع به کاردرمانی گروهی.", soap.plan), ..soap };
            let op = ClinicalOp::Amend {
                clinic: clinic.id,
                patient: appointment.patient,
                note: id,
                soap: amended,
                reason: "افزودن ارجاع پس از گفتگو با والدین".into(),
                writer: writer.clone(),
                keys: keys.clone(),
            };
            store.execute(Command::Clinical(op)).await.context("demo: an amendment")?;
        }
        written += 1;
    }
    Ok(written)
}
