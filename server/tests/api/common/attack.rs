//! Truly concurrent requests over raw HTTP/1.1 connections.
//!
//! Every connection is opened and sent all of its request but the last byte; only then are the
//! last bytes sent, one connection after another, before any response is read. The server cannot
//! act on a request before its last byte, so all requests are in flight together.

use std::net::SocketAddr;

use serde_json::Value;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// POSTs each JSON body to `path` at once; returns (status, body) in the order given.
pub async fn burst(addr: SocketAddr, path: &str, bodies: &[Value]) -> Vec<(u16, Value)> {
    burst_with(addr, path, bodies, "").await
}

/// Like [`burst`], each request with the extra header lines `headers` (each ending in `\r\n`).
pub async fn burst_with(
    addr: SocketAddr,
    path: &str,
    bodies: &[Value],
    headers: &str,
) -> Vec<(u16, Value)> {
    let mut streams = Vec::with_capacity(bodies.len());
    let mut lasts = Vec::with_capacity(bodies.len());
    for body in bodies {
        let body = body.to_string();
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
             {headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let (head, last) = request.as_bytes().split_at(request.len() - 1);
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        stream.write_all(head).await.expect("write head");
        streams.push(stream);
        lasts.push(last[0]);
    }
    for (stream, last) in streams.iter_mut().zip(&lasts) {
        stream.write_all(&[*last]).await.expect("write last byte");
    }
    let readers = streams.into_iter().map(|mut stream| {
        tokio::spawn(async move {
            let mut raw = Vec::new();
            stream.read_to_end(&mut raw).await.expect("read response");
            parse(&raw)
        })
    });
    let mut results = Vec::with_capacity(bodies.len());
    for reader in readers.collect::<Vec<_>>() {
        results.push(reader.await.expect("reader task"));
    }
    results
}

fn parse(raw: &[u8]) -> (u16, Value) {
    let text = String::from_utf8_lossy(raw);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    (
        status,
        serde_json::from_str(body).unwrap_or(Value::String(body.to_owned())),
    )
}
