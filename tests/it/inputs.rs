//! Inputs beyond text: a user message of parts (text, images, PDFs, audio) goes out as
//! OpenAI's content parts, with the schema prompt beside it, in a stream too, and again in
//! every re-ask; an input that cannot be sent is an error before any request.

use instructor::input::{AudioFormat, Detail};
use instructor::{Audio, Error, Image, Message, Mode, Part, Pdf, StreamExt};
use serde_json::{json, Value};
use wiremock::MockServer;

use crate::support::servers::jason_from;
use crate::support::servers::mock::{bodies, json_ok, serving, sse_ok};
use crate::support::sse::Sse;
use crate::support::*;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n";
const WAV: &[u8] = b"RIFF\x24\0\0\0WAVEfmt ";
const QUESTION: &str = "Who is on this badge, and how old are they?";

/// The parts of the test's user message: text, an inline image (detail low), a remote
/// image, a PDF and a WAV clip.
fn parts() -> Vec<Part> {
    vec![
        QUESTION.into(),
        Image::from_bytes(PNG, "image/png")
            .unwrap()
            .with_detail(Detail::Low)
            .into(),
        Image::from_url("https://example.com/badge.jpg")
            .unwrap()
            .into(),
        Pdf::from_bytes(PDF)
            .unwrap()
            .with_filename("badge.pdf")
            .into(),
        Audio::from_bytes(WAV, AudioFormat::Wav).unwrap().into(),
    ]
}

/// The same parts as the OpenAI API reference writes them.
fn parts_json() -> Value {
    json!([
        { "type": "text", "text": QUESTION },
        { "type": "image_url", "image_url": {
            "url": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==", "detail": "low" } },
        { "type": "image_url", "image_url": { "url": "https://example.com/badge.jpg" } },
        { "type": "file", "file": {
            "filename": "badge.pdf", "file_data": "data:application/pdf;base64,JVBERi0xLjcKJeLjz9MK" } },
        { "type": "input_audio", "input_audio": { "data": "UklGRiQAAABXQVZFZm10IA==", "format": "wav" } }
    ])
}

#[tokio::test]
async fn a_user_message_of_parts_is_sent_as_openai_content_parts() {
    let server = serving(vec![json_ok(content_reply(JASON, usage(1, 1)))]).await;
    let request = client(&server)
        .extract::<UserDetails>()
        .system("You read badges.")
        .user_parts(parts())
        .max_tokens(64);
    jason_from(request).await;
    let body = &bodies(&server).await[0];
    assert_eq!(
        body["messages"],
        json!([
            { "role": "system", "content": "You read badges." },
            { "role": "user", "content": parts_json() }
        ])
    );
    assert_eq!(body["response_format"]["type"], "json_schema");
}

#[tokio::test]
async fn a_tuple_mixes_kinds_and_the_schema_prompt_goes_beside_the_parts() {
    // No system message: the schema prompt of `Json` mode is sent as one, first.
    let server = serving(vec![json_ok(content_reply(JASON, usage(1, 1)))]).await;
    let image = Image::from_bytes(PNG, "image/png").unwrap();
    let request = client(&server)
        .extract::<UserDetails>()
        .mode(Mode::Json)
        .user_parts((QUESTION, image));
    jason_from(request).await;
    let body = &bodies(&server).await[0];
    let messages = body["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["role"], "system");
    let prompt = messages[0]["content"].as_str().unwrap();
    assert!(
        prompt.contains("\"description\":\"A person mentioned in the text.\""),
        "{prompt}"
    );
    assert_eq!(
        messages[1]["content"],
        json!([parts_json()[0], {
            "type": "image_url", "image_url": { "url": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==" }
        }])
    );

    // A system message of parts gets the prompt as a text part after its own.
    let server = serving(vec![json_ok(content_reply(JASON, usage(1, 1)))]).await;
    let system = Message {
        role: instructor::Role::System,
        ..Message::user_parts(["You read badges."])
    };
    client(&server)
        .extract::<UserDetails>()
        .mode(Mode::MdJson)
        .message(system)
        .user(QUESTION)
        .await
        .unwrap();
    let body = &bodies(&server).await[0];
    let system = body["messages"][0]["content"].as_array().unwrap();
    assert_eq!(system.len(), 1, "{system:?}");
    let text = system[0]["text"].as_str().unwrap();
    assert!(
        text.starts_with("You read badges.\n\nAnswer with a JSON object"),
        "{text}"
    );
    assert_eq!(
        body["messages"][1],
        json!({ "role": "user", "content": QUESTION })
    );
}

#[tokio::test]
async fn re_asks_keep_the_parts() {
    let server = serving(vec![
        json_ok(content_reply(
            r#"{"name": "Jason", "age": 200}"#,
            usage(1, 1),
        )),
        json_ok(content_reply(JASON, usage(1, 1))),
    ])
    .await;
    let request = client(&server)
        .extract::<UserDetails>()
        .user_parts(parts())
        .max_retries(1);
    jason_from(request).await;
    let bodies = bodies(&server).await;
    assert_eq!(bodies.len(), 2);
    let second = bodies[1]["messages"].as_array().unwrap();
    assert_eq!(second.len(), 3, "{second:?}");
    assert_eq!(
        second[0],
        json!({ "role": "user", "content": parts_json() })
    );
    assert_eq!(
        second[1],
        json!({ "role": "assistant", "content": r#"{"name": "Jason", "age": 200}"# })
    );
    assert!(second[2]["content"]
        .as_str()
        .unwrap()
        .contains("`age` is 200"));
}

#[tokio::test]
async fn a_stream_sends_the_parts() {
    let stream = Sse::new().deltas(JASON, 5).finish("stop").done();
    let server = serving(vec![sse_ok(stream.body())]).await;
    let mut partials = client(&server)
        .extract::<UserDetails>()
        .user_parts(parts())
        .stream_partial();
    let mut seen = 0;
    while let Some(p) = partials.next().await {
        p.unwrap();
        seen += 1;
    }
    assert!(seen >= 1, "no partial value");
    assert_eq!(partials.into_final().await.unwrap(), jason());
    let body = &bodies(&server).await[0];
    assert_eq!(body["stream"], true);
    assert_eq!(body["messages"][0]["content"], parts_json());
}

#[tokio::test]
async fn an_input_that_cannot_be_sent_is_an_error_naming_it_and_the_fix() {
    let missing = std::env::temp_dir().join("instructor-it-no-such-receipt.png");
    let err = Image::from_path(&missing).unwrap_err();
    assert!(matches!(err, Error::Input { .. }), "{err:?}");
    let shown = err.to_string();
    assert!(
        shown.starts_with("cannot send the image file `")
            && shown.contains("instructor-it-no-such-receipt.png")
            && shown.contains("cannot be read"),
        "{shown}"
    );

    let err = Image::from_bytes(PDF, "application/pdf").unwrap_err();
    assert!(
        err.to_string()
            .contains("`application/pdf` is not an image type"),
        "{err}"
    );

    let big = vec![0u8; Image::MAX_BYTES + 1];
    let err = Image::from_bytes(&big, "image/jpeg").unwrap_err();
    assert!(
        err.to_string()
            .contains("20000001 bytes is over the limit of 20000000 bytes: make it smaller"),
        "{err}"
    );

    let err = Image::from_url("receipt.png").unwrap_err();
    assert!(err.to_string().contains("use Image::from_path"), "{err}");
}

#[tokio::test]
async fn a_message_of_no_parts_is_refused_before_any_request() {
    let server = MockServer::start().await;
    let err = client(&server)
        .extract::<UserDetails>()
        .user_parts(Vec::<Part>::new())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Config(m) if m.contains("at least one part")),
        "{err:?}"
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}
