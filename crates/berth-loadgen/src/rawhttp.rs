//! A bare HTTP/1.1 client for the hot loop of the read scenarios: one keep-alive TCP
//! connection, a request serialized once and written as is, the answer parsed in a reused
//! buffer and its body counted, not kept. Far cheaper per request than a general client,
//! which matters when the generator shares the cores with the server it measures.

use bytes::{Buf, Bytes, BytesMut};
use reqwest::{Method, Url};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Largest response head, and largest chunked body, accepted.
const MAX_HEAD: usize = 64 << 10;
const MAX_CHUNKED: usize = 16 << 20;

/// A request ready to be written: its bytes and whether the answer has a body.
pub struct RawRequest {
    addr: String,
    bytes: Bytes,
    head: bool,
}

impl RawRequest {
    /// `method url` with `headers`; `url` must be `http://`.
    pub fn new(method: &Method, url: &Url, headers: &[(&str, &str)]) -> anyhow::Result<Self> {
        anyhow::ensure!(url.scheme() == "http", "raw HTTP needs an http:// URL");
        let host = url
            .host_str()
            .ok_or_else(|| anyhow::anyhow!("URL has no host"))?;
        let port = url.port_or_known_default().unwrap_or(80);
        let mut target = url.path().to_owned();
        if let Some(q) = url.query() {
            target.push('?');
            target.push_str(q);
        }
        let mut text = format!(
            "{method} {target} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: berth-loadgen\r\n"
        );
        for (name, value) in headers {
            text.push_str(&format!("{name}: {value}\r\n"));
        }
        text.push_str("\r\n");
        Ok(RawRequest {
            addr: format!("{host}:{port}"),
            bytes: Bytes::from(text),
            head: *method == Method::HEAD,
        })
    }
}

/// What came back.
#[derive(Debug, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body_len: u64,
}

/// One connection, opened on first use and again after the server closes it.
pub struct Conn {
    stream: Option<TcpStream>,
    buf: BytesMut,
}

struct Head {
    len: usize,
    status: u16,
    content_length: Option<u64>,
    chunked: bool,
    close: bool,
}

impl Conn {
    pub fn new() -> Conn {
        Conn {
            stream: None,
            buf: BytesMut::with_capacity(16 << 10),
        }
    }

    /// Sends `req` and reads the whole answer. Any error drops the connection.
    pub async fn send(&mut self, req: &RawRequest) -> anyhow::Result<Answer> {
        let result = self.exchange(req).await;
        if result.is_err() {
            self.stream = None;
        }
        result
    }

    async fn exchange(&mut self, req: &RawRequest) -> anyhow::Result<Answer> {
        let stream = match &mut self.stream {
            Some(s) => s,
            None => {
                let s = TcpStream::connect(&req.addr).await?;
                s.set_nodelay(true)?;
                self.stream.insert(s)
            }
        };
        stream.write_all(&req.bytes).await?;
        self.buf.clear();
        let head = loop {
            if let Some(head) = parse_head(&self.buf)? {
                break head;
            }
            anyhow::ensure!(self.buf.len() < MAX_HEAD, "response head too large");
            fill(stream, &mut self.buf).await?;
        };
        self.buf.advance(head.len);
        let no_body = req.head || head.status == 204 || head.status == 304 || head.status < 200;
        let body_len = if no_body {
            0
        } else if let Some(len) = head.content_length {
            let mut left = len;
            loop {
                let have = (self.buf.len() as u64).min(left);
                left -= have;
                self.buf.clear();
                if left == 0 {
                    break;
                }
                fill(stream, &mut self.buf).await?;
            }
            len
        } else if head.chunked {
            loop {
                if let Some(len) = chunked_len(&self.buf)? {
                    break len;
                }
                anyhow::ensure!(self.buf.len() < MAX_CHUNKED, "chunked body too large");
                fill(stream, &mut self.buf).await?;
            }
        } else {
            // Delimited by the end of the connection.
            let mut len = self.buf.len() as u64;
            loop {
                self.buf.clear();
                if stream.read_buf(&mut self.buf).await? == 0 {
                    break;
                }
                len += self.buf.len() as u64;
            }
            self.stream = None;
            return Ok(Answer {
                status: head.status,
                body_len: len,
            });
        };
        if head.close {
            self.stream = None;
        }
        Ok(Answer {
            status: head.status,
            body_len,
        })
    }
}

/// Reads more into `buf`; the end of the stream is an error here.
async fn fill(stream: &mut TcpStream, buf: &mut BytesMut) -> anyhow::Result<()> {
    if buf.capacity() - buf.len() < 4096 {
        buf.reserve(16 << 10);
    }
    anyhow::ensure!(
        stream.read_buf(buf).await? > 0,
        "connection closed in a response"
    );
    Ok(())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The response head, once `buf` holds all of it.
fn parse_head(buf: &[u8]) -> anyhow::Result<Option<Head>> {
    let Some(end) = find(buf, b"\r\n\r\n") else {
        return Ok(None);
    };
    let text = std::str::from_utf8(&buf[..end])?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("bad status line: {status_line}"))?;
    let mut head = Head {
        len: end + 4,
        status,
        content_length: None,
        chunked: false,
        close: status_line.starts_with("HTTP/1.0"),
    };
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            head.content_length = Some(value.parse()?);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            head.chunked = value.to_ascii_lowercase().contains("chunked");
        } else if name.eq_ignore_ascii_case("connection") {
            let v = value.to_ascii_lowercase();
            head.close = v.contains("close") || (head.close && !v.contains("keep-alive"));
        }
    }
    if head.chunked {
        head.content_length = None;
    }
    Ok(Some(head))
}

/// The decoded length of a chunked body that `buf` holds entirely (trailers included).
fn chunked_len(buf: &[u8]) -> anyhow::Result<Option<u64>> {
    let mut pos = 0;
    let mut total = 0u64;
    loop {
        let Some(eol) = find(&buf[pos..], b"\r\n") else {
            return Ok(None);
        };
        let line = std::str::from_utf8(&buf[pos..pos + eol])?;
        let size = usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| anyhow::anyhow!("bad chunk size line: {line}"))?;
        pos += eol + 2;
        if size == 0 {
            // Trailers, then an empty line.
            loop {
                let Some(eol) = find(&buf[pos..], b"\r\n") else {
                    return Ok(None);
                };
                pos += eol + 2;
                if eol == 0 {
                    return Ok(Some(total));
                }
            }
        }
        if buf.len() < pos + size + 2 {
            return Ok(None);
        }
        pos += size + 2;
        total += size as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    #[test]
    fn parses_heads_and_chunks() {
        let h = parse_head(b"HTTP/1.1 200 OK\r\ncontent-length: 12\r\n\r\nbody")
            .unwrap()
            .unwrap();
        assert_eq!((h.status, h.content_length, h.len), (200, Some(12), 39));
        assert!(parse_head(b"HTTP/1.1 200 OK\r\n").unwrap().is_none());
        assert_eq!(
            chunked_len(b"3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n").unwrap(),
            Some(5)
        );
        assert_eq!(chunked_len(b"3\r\nabc\r\n0\r\n").unwrap(), None);
    }

    #[tokio::test]
    async fn keeps_the_connection_and_counts_bodies() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let answers: [&[u8]; 3] = [
                b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n",
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
            ];
            let mut buf = vec![0u8; 4096];
            for answer in answers {
                let mut got = Vec::new();
                while find(&got, b"\r\n\r\n").is_none() {
                    let n = s.read(&mut buf).await.unwrap();
                    got.extend_from_slice(&buf[..n]);
                }
                s.write_all(answer).await.unwrap();
            }
        });
        let url = Url::parse(&format!("http://{addr}/v2/")).unwrap();
        let req = RawRequest::new(&Method::GET, &url, &[("Accept", "*/*")]).unwrap();
        let mut conn = Conn::new();
        let a = conn.send(&req).await.unwrap();
        assert_eq!(
            a,
            Answer {
                status: 200,
                body_len: 5
            }
        );
        let a = conn.send(&req).await.unwrap();
        assert_eq!(
            a,
            Answer {
                status: 200,
                body_len: 4
            }
        );
        let a = conn.send(&req).await.unwrap();
        assert_eq!(
            a,
            Answer {
                status: 404,
                body_len: 0
            }
        );
    }
}
