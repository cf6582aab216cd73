//! Stream frames: each server-sent event of `streamGenerateContent?alt=sse` as deltas.

use super::call_id::call_tag;
use super::decode::{
    arguments_text, blocked_prompt, error_message, finish_reason, GenerateContentResponse,
};
use crate::provider::{push_names, read_event, Delta};

/// One event's data (a whole `GenerateContentResponse`) as the deltas it carries.
pub(super) fn frame(data: &str, out: &mut Vec<Delta>) -> Result<(), String> {
    if data == "[DONE]" {
        out.push(Delta::Done);
        return Ok(());
    }
    let frame: GenerateContentResponse = read_event(data, "a GenerateContentResponse")?;
    if let Some(error) = &frame.error {
        return Err(error_message(error));
    }
    push_names(out, frame.response_id, frame.model_version);
    if let Some(usage) = frame.usage_metadata {
        out.push(Delta::Usage(usage.into()));
    }
    let Some(candidate) = frame.candidates.into_iter().flatten().next() else {
        if let Some(blocked) = frame.prompt_feedback.as_ref().and_then(blocked_prompt) {
            out.push(Delta::Text(blocked));
            out.push(Delta::Finish("content_filter".into()));
        }
        return Ok(());
    };
    let reason = candidate.finish_reason.clone();
    for part in candidate.parts() {
        if let Some(call) = part.function_call {
            let tag = call_tag(call.id.as_deref(), part.thought_signature.as_deref());
            out.push(Delta::WholeCall {
                tag,
                name: call.name,
                arguments: arguments_text(call.args),
            });
        } else if let Some(text) = part.text {
            out.push(if part.thought == Some(true) {
                Delta::Thinking(text)
            } else {
                Delta::Text(text)
            });
        }
    }
    if let Some(reason) = reason.as_deref() {
        out.push(Delta::Finish(finish_reason(reason, false)));
    }
    Ok(())
}
