//! A publisher's booking deep link with our parameters merged in. The spec lets a client add
//! `source` and `booking-referral` and says it must *merge* them into the link's query string:
//! the link may already carry one (`?slot=…`), and a fragment must stay last.

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The parameter's name in a raw `name=value` pair (as written; names we add are plain).
fn name_of(pair: &str) -> &str {
    pair.split_once('=').map_or(pair, |(k, _)| k)
}

/// `link` with each `(name, value)` set: an existing parameter of that name is replaced, the
/// others are kept byte for byte and in order, and the fragment stays at the end.
pub fn merge_query(link: &str, params: &[(&str, &str)]) -> String {
    let (before_fragment, fragment) = match link.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (link, None),
    };
    let (base, query) = match before_fragment.split_once('?') {
        Some((b, q)) => (b, q),
        None => (before_fragment, ""),
    };
    let mut pairs: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter(|p| !params.iter().any(|(k, _)| name_of(p) == *k))
        .map(str::to_owned)
        .collect();
    pairs.extend(params.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))));
    let mut out = base.to_owned();
    if !pairs.is_empty() {
        out.push('?');
        out.push_str(&pairs.join("&"));
    }
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::merge_query;

    const OURS: [(&str, &str); 2] = [("source", "nobat"), ("booking-referral", "w-1 2")];

    #[test]
    fn a_link_without_a_query_gets_one() {
        assert_eq!(
            merge_query("https://p.example/book", &OURS),
            "https://p.example/book?source=nobat&booking-referral=w-1%202"
        );
    }

    #[test]
    fn an_existing_query_is_kept_and_extended() {
        assert_eq!(
            merge_query("https://ehr-portal.example.org/bookings?slot=opaque-89172489", &OURS),
            "https://ehr-portal.example.org/bookings?slot=opaque-89172489&source=nobat&booking-referral=w-1%202"
        );
    }

    #[test]
    fn a_fragment_stays_last_and_existing_values_are_replaced_not_doubled() {
        assert_eq!(
            merge_query("https://p.example/b?slot=5&source=old&lang=en#step-2", &OURS),
            "https://p.example/b?slot=5&lang=en&source=nobat&booking-referral=w-1%202#step-2"
        );
        assert_eq!(merge_query("https://p.example/b#top", &[("source", "x")]), "https://p.example/b?source=x#top");
        // A trailing `?` or `&` leaves no empty pair behind.
        assert_eq!(merge_query("https://p.example/b?a=1&", &[("source", "x")]), "https://p.example/b?a=1&source=x");
    }
}
