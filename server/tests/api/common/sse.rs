//! A minimal SSE reader over a real HTTP response, for the live tests.

use std::time::Duration;

use serde_json::Value;

/// One server-sent event.
#[derive(Debug, Clone)]
pub struct SseEvent {
    pub event: String,
    pub id: Option<String>,
    pub data: Value,
}

/// Reads events from a streaming response.
pub struct SseReader {
    pub response: reqwest::Response,
    buf: String,
    /// Comment-only blocks (keep-alives) read so far.
    pub comments: usize,
}

impl SseReader {
    /// Connects to `url`, sending `Last-Event-ID` when given; asserts a 200 event stream.
    pub async fn connect(url: &str, last_event_id: Option<&str>) -> Self {
        let mut req = reqwest::Client::new()
            .get(url)
            .header("accept", "text/event-stream");
        if let Some(id) = last_event_id {
            req = req.header("last-event-id", id);
        }
        let response = req.send().await.expect("connect SSE");
        assert_eq!(response.status(), 200, "SSE status for {url}");
        Self {
            response,
            buf: String::new(),
            comments: 0,
        }
    }

    /// The next event (comments skipped); `None` when the stream ended.
    pub async fn next(&mut self) -> Option<SseEvent> {
        loop {
            if let Some(event) = self.next_block().await? {
                return Some(event);
            }
        }
    }

    /// The next block: `Some(event)`, or `None` for a comment; `None` outside when it ended.
    async fn next_block(&mut self) -> Option<Option<SseEvent>> {
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                match parse(&block) {
                    Some(event) => return Some(Some(event)),
                    None if block.starts_with(':') => {
                        self.comments += 1;
                        return Some(None);
                    }
                    None => continue,
                }
            }
            let chunk = self.response.chunk().await.ok()??;
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Reads until a keep-alive comment arrives, within `limit`; returns the events read meanwhile.
    pub async fn until_comment(&mut self, limit: Duration) -> Vec<SseEvent> {
        let mut events = Vec::new();
        let read = async {
            while let Some(event) = self.next_block().await.expect("stream ended") {
                events.push(event);
            }
        };
        tokio::time::timeout(limit, read)
            .await
            .expect("no keep-alive comment in time");
        events
    }

    /// The next event within `limit`, panicking otherwise.
    pub async fn next_within(&mut self, limit: Duration) -> SseEvent {
        tokio::time::timeout(limit, self.next())
            .await
            .expect("no event in time")
            .expect("stream ended")
    }

    /// Events until one named `name` arrives (inclusive), within `limit` in all.
    pub async fn until(&mut self, name: &str, limit: Duration) -> Vec<SseEvent> {
        let deadline = tokio::time::Instant::now() + limit;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let event = self.next_within(left).await;
            let done = event.event == name;
            seen.push(event);
            if done {
                return seen;
            }
        }
    }
}

fn parse(block: &str) -> Option<SseEvent> {
    let (mut event, mut id, mut data) = (String::from("message"), None, String::new());
    let mut any = false;
    for line in block.lines() {
        if let Some(v) = line.strip_prefix("event:") {
            event = v.trim().to_owned();
            any = true;
        } else if let Some(v) = line.strip_prefix("id:") {
            id = Some(v.trim().to_owned());
        } else if let Some(v) = line.strip_prefix("data:") {
            data.push_str(v.strip_prefix(' ').unwrap_or(v));
            any = true;
        }
    }
    any.then(|| SseEvent {
        event,
        id,
        data: serde_json::from_str(&data).unwrap_or(Value::String(data)),
    })
}
