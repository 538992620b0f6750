//! Every kind of message Nobat sends. The wire name is stored with each message and shown
//! to staff; the catalogue keys it renders from are in `render`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    BookingConfirmed,
    BookingRescheduled,
    BookingCancelled,
    Reminder,
    VerificationCode,
    StaffInvitation,
    /// Queue: "you are next".
    QueueNext,
    /// Queue: "please come to room 3".
    QueueCalled,
    /// Watches: a time the patient was waiting for is free (offer).
    WatchOffer,
    /// To a clinic's admins: a message was dead-lettered, the SMS budget ran out, a worker
    /// keeps failing.
    AdminAlert,
    /// Watches on outside publishers: a slot of theirs the patient waits for is free (a link to
    /// their booking portal, or their phone).
    SourceSlotFree,
    /// Watches: a time the patient was waiting for is free (notify: first to book has it).
    WatchFree,
    /// Watches: the patient was booked into a freed time (auto-book).
    WatchBooked,
    /// Watches: the window ended without a time; the watch is over.
    WatchExpired,
    /// Secure messages: the clinic wrote to the patient (the notice never carries the text).
    SecureMessage,
}

impl MessageKind {
    pub const ALL: [MessageKind; 15] = [
        MessageKind::BookingConfirmed,
        MessageKind::BookingRescheduled,
        MessageKind::BookingCancelled,
        MessageKind::Reminder,
        MessageKind::VerificationCode,
        MessageKind::StaffInvitation,
        MessageKind::QueueNext,
        MessageKind::QueueCalled,
        MessageKind::WatchOffer,
        MessageKind::AdminAlert,
        MessageKind::SourceSlotFree,
        MessageKind::WatchFree,
        MessageKind::WatchBooked,
        MessageKind::WatchExpired,
        MessageKind::SecureMessage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::BookingConfirmed => "booking_confirmed",
            MessageKind::BookingRescheduled => "booking_rescheduled",
            MessageKind::BookingCancelled => "booking_cancelled",
            MessageKind::Reminder => "reminder",
            MessageKind::VerificationCode => "verification_code",
            MessageKind::StaffInvitation => "staff_invitation",
            MessageKind::QueueNext => "queue_next",
            MessageKind::QueueCalled => "queue_called",
            MessageKind::WatchOffer => "watch_offer",
            MessageKind::AdminAlert => "admin_alert",
            MessageKind::SourceSlotFree => "source_slot_free",
            MessageKind::WatchFree => "watch_free",
            MessageKind::WatchBooked => "watch_booked",
            MessageKind::WatchExpired => "watch_expired",
            MessageKind::SecureMessage => "secure_message",
        }
    }

    pub fn parse(s: &str) -> Option<MessageKind> {
        MessageKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}
