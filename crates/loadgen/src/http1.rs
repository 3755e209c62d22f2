//! A minimal HTTP/1.1 client connection: plain TCP, keep-alive, one request at a time.
//!
//! Written for load, not for the open web: the caller builds each request once
//! ([`request_bytes`]) and the connection only writes it and reads the answer
//! (`Content-Length`, chunked, or until close). Each connection is one socket the caller
//! owns, so a BOSH session uses exactly the connections it is meant to use.

use anyhow::{Context, anyhow, bail};
use std::net::{IpAddr, SocketAddr};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// A response: status and (de-chunked) body.
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Response {
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).unwrap_or("")
    }
}

/// One keep-alive connection.
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    /// The server said `Connection: close` (or closed): the connection is done.
    pub closed: bool,
}

/// Builds a request. `headers` come after `Host` and before `Content-Length`.
pub fn request_bytes(
    method: &str,
    addr: SocketAddr,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Vec<u8> {
    let mut head = format!("{method} {path} HTTP/1.1\r\nhost: {addr}\r\n");
    for (k, v) in headers {
        head.push_str(k);
        head.push_str(": ");
        head.push_str(v);
        head.push_str("\r\n");
    }
    if method != "GET" || !body.is_empty() {
        head.push_str(&format!("content-length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    out
}

impl Conn {
    /// Connects from `source` (port chosen by the kernel).
    pub async fn connect(addr: SocketAddr, source: IpAddr) -> anyhow::Result<Conn> {
        let socket = TcpSocket::new_v4()?;
        socket
            .bind(SocketAddr::new(source, 0))
            .with_context(|| format!("bind to {source}"))?;
        let stream = socket.connect(addr).await.context("TCP connect")?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream,
            buf: Vec::new(),
            closed: false,
        })
    }

    /// Writes a request built by [`request_bytes`].
    pub async fn send(&mut self, request: &[u8]) -> anyhow::Result<()> {
        if self.closed {
            bail!("connection closed by the server");
        }
        self.stream.write_all(request).await?;
        Ok(())
    }

    /// Reads the next response.
    pub async fn read_response(&mut self) -> anyhow::Result<Response> {
        loop {
            let head_end = loop {
                if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                    break i + 4;
                }
                self.fill().await?;
            };
            let head = std::str::from_utf8(&self.buf[..head_end])
                .map_err(|_| anyhow!("response head is not UTF-8"))?;
            let mut lines = head.split("\r\n");
            let status_line = lines.next().unwrap_or_default();
            let status: u16 = status_line
                .split(' ')
                .nth(1)
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| anyhow!("bad status line {status_line:?}"))?;
            let mut length = None;
            let mut chunked = false;
            let mut close = status_line.starts_with("HTTP/1.0");
            for line in lines {
                let Some((name, value)) = line.split_once(':') else {
                    continue;
                };
                let value = value.trim();
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.parse::<usize>().ok();
                } else if name.eq_ignore_ascii_case("transfer-encoding") {
                    chunked = value.to_ascii_lowercase().contains("chunked");
                } else if name.eq_ignore_ascii_case("connection") {
                    let v = value.to_ascii_lowercase();
                    close = v.contains("close") || (close && !v.contains("keep-alive"));
                }
            }
            if (100..200).contains(&status) {
                // An interim response (100 Continue): the real one follows.
                self.buf.drain(..head_end);
                continue;
            }
            let body = if chunked {
                self.read_chunked(head_end).await?
            } else if let Some(n) = length {
                while self.buf.len() < head_end + n {
                    self.fill().await?;
                }
                let body = self.buf[head_end..head_end + n].to_vec();
                self.buf.drain(..head_end + n);
                body
            } else {
                // Neither: the body runs until the server closes.
                while self.fill().await.is_ok() {}
                close = true;
                let body = self.buf[head_end..].to_vec();
                self.buf.clear();
                body
            };
            self.closed |= close;
            return Ok(Response { status, body });
        }
    }

    /// Sends a request and reads its response.
    pub async fn request(&mut self, request: &[u8]) -> anyhow::Result<Response> {
        self.send(request).await?;
        self.read_response().await
    }

    async fn read_chunked(&mut self, head_end: usize) -> anyhow::Result<Vec<u8>> {
        let mut body = Vec::new();
        let mut pos = head_end;
        loop {
            let line_end = loop {
                if let Some(i) = find(&self.buf[pos..], b"\r\n") {
                    break pos + i;
                }
                self.fill().await?;
            };
            let size_text = std::str::from_utf8(&self.buf[pos..line_end]).unwrap_or("");
            let size_text = size_text.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(size_text, 16)
                .map_err(|_| anyhow!("bad chunk size {size_text:?}"))?;
            pos = line_end + 2;
            if size == 0 {
                // Trailers (usually none), then an empty line.
                loop {
                    let end = loop {
                        if let Some(i) = find(&self.buf[pos..], b"\r\n") {
                            break pos + i;
                        }
                        self.fill().await?;
                    };
                    let empty = end == pos;
                    pos = end + 2;
                    if empty {
                        break;
                    }
                }
                self.buf.drain(..pos);
                return Ok(body);
            }
            while self.buf.len() < pos + size + 2 {
                self.fill().await?;
            }
            body.extend_from_slice(&self.buf[pos..pos + size]);
            pos += size + 2;
        }
    }

    /// Reads more bytes into the buffer; an error at end of stream.
    async fn fill(&mut self) -> anyhow::Result<()> {
        if self.buf.capacity() - self.buf.len() < 1024 {
            self.buf.reserve(4096);
        }
        let n = self.stream.read_buf(&mut self.buf).await?;
        if n == 0 {
            self.closed = true;
            bail!("connection closed by the server");
        }
        Ok(())
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
