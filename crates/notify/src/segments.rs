//! How many SMS segments a text takes, which is what gateways charge for. A text entirely in
//! the GSM 03.38 alphabet is sent in GSM-7: 160 characters in one segment, 153 per segment when
//! split (the rest of each is the concatenation header); the extension characters (`€`, `[`,
//! `{`, …) take two. Anything else (Persian, Arabic, Russian, most Turkish letters, emoji) is
//! sent in UCS-2: 70 UTF-16 units in one segment, 67 per segment when split.

/// The GSM 03.38 basic alphabet (one septet each).
const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// The extension table (an escape septet plus one: two each).
const EXTENDED: &str = "^{}\\[~]|€\u{000C}";

/// The encoding an SMS goes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsEncoding {
    Gsm7,
    Ucs2,
}

/// The encoding and number of segments of `text` (at least 1).
pub fn sms_segments(text: &str) -> (SmsEncoding, u32) {
    let mut septets = 0u32;
    let mut gsm = true;
    for c in text.chars() {
        if BASIC.contains(c) {
            septets += 1;
        } else if EXTENDED.contains(c) {
            septets += 2;
        } else {
            gsm = false;
            break;
        }
    }
    if gsm {
        return (SmsEncoding::Gsm7, if septets <= 160 { 1 } else { septets.div_ceil(153) });
    }
    let units = text.encode_utf16().count() as u32;
    (SmsEncoding::Ucs2, if units <= 70 { 1 } else { units.div_ceil(67) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gsm7_and_ucs2_segments() {
        assert_eq!(sms_segments(""), (SmsEncoding::Gsm7, 1));
        assert_eq!(sms_segments(&"a".repeat(160)), (SmsEncoding::Gsm7, 1));
        assert_eq!(sms_segments(&"a".repeat(161)), (SmsEncoding::Gsm7, 2));
        assert_eq!(sms_segments(&"a".repeat(306)), (SmsEncoding::Gsm7, 2));
        assert_eq!(sms_segments(&"a".repeat(307)), (SmsEncoding::Gsm7, 3));
        // An extension character takes two septets.
        assert_eq!(sms_segments(&format!("{}€", "a".repeat(159))), (SmsEncoding::Gsm7, 2));
        // Persian, Arabic, Russian: UCS-2, 70 per segment, 67 when split.
        assert_eq!(sms_segments(&"س".repeat(70)), (SmsEncoding::Ucs2, 1));
        assert_eq!(sms_segments(&"س".repeat(71)), (SmsEncoding::Ucs2, 2));
        assert_eq!(sms_segments(&"д".repeat(134)), (SmsEncoding::Ucs2, 2));
        assert_eq!(sms_segments(&"ع".repeat(135)), (SmsEncoding::Ucs2, 3));
        // One non-GSM letter (Turkish ı) makes the whole text UCS-2.
        assert_eq!(sms_segments(&format!("{}ı", "a".repeat(100))), (SmsEncoding::Ucs2, 2));
        // An RTL mark (as fa/ar texts start lines with) is not GSM.
        assert_eq!(sms_segments("\u{200F}ok").0, SmsEncoding::Ucs2);
    }
}
