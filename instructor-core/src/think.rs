//! A reasoning model's thinking written into the answer's text: `<think>...</think>` before
//! the JSON (or only `...</think>`, when the chat template opened the block in the prompt).
//! The thinking stays in the completion; the answer is read from what follows it.

const OPEN: &str = "<think>";
const CLOSE: &str = "</think>";

/// `text` without the thinking that starts it. A block that never closes is all thinking:
/// no answer was written.
pub(crate) fn skip_thinking(text: &str) -> &str {
    let trimmed = text.trim_start();
    if let Some(rest) = trimmed.strip_prefix(OPEN) {
        return match rest.find(CLOSE) {
            Some(end) => rest[end + CLOSE.len()..].trim_start(),
            None => "",
        };
    }
    // A closing tag counts only before the JSON begins: looked for there alone, so that an
    // answer (which starts with its JSON) is not scanned to its end.
    let json_at = text.find(['{', '[']).unwrap_or(text.len());
    match text[..json_at].find(CLOSE) {
        Some(end) => text[end + CLOSE.len()..].trim_start(),
        None => text,
    }
}

/// [`skip_thinking`] for text arriving in pieces: passes on only what follows the thinking.
/// Text is held back only while it may still turn out to be thinking: at the start, until
/// the block opens, closes or the JSON begins.
#[derive(Debug, Default)]
pub(crate) struct ThinkFilter {
    state: State,
    held: String,
}

#[derive(Debug, Default, PartialEq, Eq)]
enum State {
    /// Nothing decided yet.
    #[default]
    Start,
    /// Inside the block: dropped until it closes.
    Thinking,
    /// After it (or there was none): passed on.
    Answer,
}

/// Text held at the start beyond this without a decision is passed on as it is.
const MAX_HELD: usize = 1 << 16;

impl ThinkFilter {
    /// The part of `delta` that is answer.
    pub(crate) fn feed(&mut self, delta: &str) -> String {
        match self.state {
            State::Answer => delta.to_owned(),
            State::Thinking => {
                self.held.push_str(delta);
                self.after_close()
            }
            State::Start => {
                self.held.push_str(delta);
                let trimmed = self.held.trim_start();
                if trimmed.starts_with(OPEN) {
                    let start = self.held.len() - trimmed.len() + OPEN.len();
                    self.held.drain(..start);
                    self.state = State::Thinking;
                    return self.after_close();
                }
                if OPEN.starts_with(trimmed) && !trimmed.is_empty() {
                    return String::new();
                }
                let json = self.held.find(['{', '[']);
                match (self.held.find(CLOSE), json) {
                    (Some(end), j) if j.is_none_or(|j| end < j) => {
                        self.held.drain(..end + CLOSE.len());
                        self.release()
                    }
                    (_, Some(_)) => self.release(),
                    _ if self.held.len() > MAX_HELD => self.release(),
                    _ => String::new(),
                }
            }
        }
    }

    /// In the block: what follows its end, once it has arrived. Keeps only a tail that may
    /// be the start of the closing tag.
    fn after_close(&mut self) -> String {
        if let Some(end) = self.held.find(CLOSE) {
            self.held.drain(..end + CLOSE.len());
            return self.release();
        }
        let keep = (1..CLOSE.len())
            .rev()
            .find(|&n| self.held.ends_with(&CLOSE[..n]))
            .unwrap_or(0);
        let cut = self.held.len() - keep;
        self.held.drain(..cut);
        String::new()
    }

    fn release(&mut self) -> String {
        self.state = State::Answer;
        let text = std::mem::take(&mut self.held);
        text.trim_start().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_texts() {
        let json = r#"{"a": 1}"#;
        for (text, want) in [
            (json, json),
            (
                "<think>\nJason is 20, so age 20.\n</think>\n\n{\"a\": 1}",
                json,
            ),
            ("  <think>x</think>{\"a\": 1}", json),
            ("reasoning</think>{\"a\": 1}", json),
            ("<think>never closed {", ""),
            // A string in the JSON that mentions the tag is not thinking.
            (r#"{"note": "</think>"}"#, r#"{"note": "</think>"}"#),
        ] {
            assert_eq!(skip_thinking(text), want, "{text:?}");
        }
    }

    /// What the filter passes on, less leading white space (a JSON reader skips it).
    fn streamed(pieces: &[&str]) -> String {
        let mut f = ThinkFilter::default();
        let out: String = pieces.iter().map(|p| f.feed(p)).collect();
        out.trim_start().to_owned()
    }

    #[test]
    fn pieces_split_anywhere_give_the_same_answer() {
        let text = "<think>\nthe user says {age}: 20\n</think>\n{\"name\": \"Jason\", \"note\": \"</think>\"}";
        let want = skip_thinking(text);
        assert_eq!(want, "{\"name\": \"Jason\", \"note\": \"</think>\"}");
        let bytes: Vec<usize> = (0..=text.len())
            .filter(|i| text.is_char_boundary(*i))
            .collect();
        for &cut in &bytes {
            assert_eq!(
                streamed(&[&text[..cut], &text[cut..]]),
                want,
                "cut at {cut}"
            );
        }
        let chars: Vec<String> = text.chars().map(String::from).collect();
        let chars: Vec<&str> = chars.iter().map(String::as_str).collect();
        assert_eq!(streamed(&chars), want);
    }

    #[test]
    fn streams_without_thinking_pass_through() {
        assert_eq!(streamed(&["{\"a\"", ": 1}"]), "{\"a\": 1}");
        assert_eq!(
            streamed(&["Here:\n```json\n", "{\"a\": 1}\n```"]),
            "Here:\n```json\n{\"a\": 1}\n```"
        );
        assert_eq!(streamed(&["reasoning</th", "ink>{\"a\": 1}"]), "{\"a\": 1}");
    }
}
