//! Call ids: the neutral call's id carries Gemini's own id and thought signature.
//!
//! Gemini's calls rarely have ids, and a Gemini 3 call carries a thought signature that
//! must come back with it. The neutral call's id holds both: `call_{n}`, then `;id=<id>`
//! when Gemini gave one, then `;sig=<signature>` (base64, no `;`).

/// The tag after `call_{n}` for a call with Gemini's `id` and `signature`.
pub(super) fn call_tag(id: Option<&str>, signature: Option<&str>) -> String {
    let mut tag = String::new();
    if let Some(id) = id.filter(|i| !i.is_empty()) {
        tag.push_str(";id=");
        tag.push_str(id);
    }
    if let Some(sig) = signature.filter(|s| !s.is_empty()) {
        tag.push_str(";sig=");
        tag.push_str(sig);
    }
    tag
}

/// `(call_{n}, Gemini's id, signature)` of a neutral call id.
pub(super) fn split_tag(id: &str) -> (&str, Option<&str>, Option<&str>) {
    let mut pieces = id.split(';');
    let head = pieces.next().unwrap_or_default();
    let (mut gemini_id, mut signature) = (None, None);
    for piece in pieces {
        if let Some(v) = piece.strip_prefix("id=") {
            gemini_id = Some(v);
        } else if let Some(v) = piece.strip_prefix("sig=") {
            signature = Some(v);
        }
    }
    (head, gemini_id, signature)
}
