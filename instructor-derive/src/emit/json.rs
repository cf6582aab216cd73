//! A JSON writer for the manifest (`instructor::__private::Table`): by hand, as the derive
//! has no JSON dependency and the manifest is small. Commas are placed by the writer.

/// JSON text under construction.
pub struct Json {
    out: String,
    /// No value written yet at this level: the next one needs no comma.
    first: bool,
}

impl Json {
    /// Nothing written yet.
    pub fn new() -> Self {
        Json {
            out: String::new(),
            first: true,
        }
    }

    /// The comma before a value, unless it is the first at its level.
    fn sep(&mut self) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
    }

    /// `{ .. }`, its members written by `f` with [`key`](Json::key).
    pub fn object(&mut self, f: impl FnOnce(&mut Json)) -> &mut Self {
        self.nest('{', '}', f)
    }

    /// `[ .. ]`, its items written by `f`.
    pub fn array(&mut self, f: impl FnOnce(&mut Json)) -> &mut Self {
        self.nest('[', ']', f)
    }

    /// A value opened with `open`, its contents written by `f`, closed with `close`.
    fn nest(&mut self, open: char, close: char, f: impl FnOnce(&mut Json)) -> &mut Self {
        self.sep();
        self.out.push(open);
        self.first = true;
        f(self);
        self.out.push(close);
        self.first = false;
        self
    }

    /// A member's key; its value comes next.
    pub fn key(&mut self, key: &str) -> &mut Self {
        self.sep();
        push_str(&mut self.out, key);
        self.out.push(':');
        self.first = true;
        self
    }

    /// A string.
    pub fn str(&mut self, s: &str) -> &mut Self {
        self.sep();
        push_str(&mut self.out, s);
        self
    }

    /// A value already written as JSON: a number, `true`, a fixed schema.
    pub fn raw(&mut self, json: &str) -> &mut Self {
        self.sep();
        self.out.push_str(json);
        self
    }

    /// A number.
    pub fn num(&mut self, n: usize) -> &mut Self {
        self.raw(&n.to_string())
    }

    /// `"key": true` when `value`; nothing otherwise (the reader's default is `false`).
    pub fn flag(&mut self, key: &str, value: bool) -> &mut Self {
        if value {
            self.key(key).raw("true");
        }
        self
    }

    /// `"key": "text"` when there is a text.
    pub fn opt_str(&mut self, key: &str, text: Option<&str>) -> &mut Self {
        if let Some(t) = text {
            self.key(key).str(t);
        }
        self
    }

    /// The JSON text.
    pub fn finish(self) -> String {
        self.out
    }
}

/// `s` as a JSON string.
pub fn push_str(out: &mut String, s: &str) {
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `s` as a JSON string, on its own.
pub fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_str(&mut out, s);
    out
}
