//! A size guard in front of actix-ws's frame decoder.
//!
//! actix-http's WebSocket decoder compares a frame with its maximum size only once the
//! whole frame is buffered: a client that declares a 1 GiB frame and streams its payload
//! makes the server buffer all of it before the frame is refused. [`FrameGuard`] sits
//! between the connection's payload and the decoder: it reads the header of every
//! incoming frame and stops the connection as soon as one frame, or the fragments of one
//! message, declare more payload than the current limit. It passes every byte on
//! untouched and keeps at most one frame header (14 bytes) of its own.
//!
//! The limit is shared with the session ([`FrameLimit`]), which raises it once the
//! stream is bound.

use actix_web::error::PayloadError;
use actix_web::web::Bytes;
use futures_util::Stream;
use std::cell::Cell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

/// The payload limit of one connection, shared by its guard and its session.
#[derive(Clone, Debug)]
pub(crate) struct FrameLimit(Rc<(Cell<usize>, Cell<bool>)>);

impl FrameLimit {
    pub(crate) fn new(limit: usize) -> FrameLimit {
        FrameLimit(Rc::new((Cell::new(limit), Cell::new(false))))
    }

    /// Sets the largest accepted payload of a frame or fragmented message, in bytes.
    pub(crate) fn set(&self, limit: usize) {
        self.0.0.set(limit);
    }

    fn get(&self) -> usize {
        self.0.0.get()
    }

    /// Whether the guard stopped the connection for a frame over the limit.
    pub(crate) fn tripped(&self) -> bool {
        self.0.1.get()
    }

    fn trip(&self) {
        self.0.1.set(true);
    }
}

/// Follows the frame boundaries of a client-to-server WebSocket byte stream (RFC 6455
/// 5.2) without keeping payloads.
#[derive(Default)]
struct Scanner {
    /// The header being read, `have` bytes of it so far.
    header: [u8; 14],
    have: usize,
    /// Payload bytes of the current frame still to come.
    payload_left: u64,
    /// Payload bytes of the data message in progress (all its fragments so far).
    message: u64,
}

impl Scanner {
    /// The full header length, once its first two bytes are known.
    fn header_len(&self) -> Option<usize> {
        if self.have < 2 {
            return None;
        }
        let ext = match self.header[1] & 0x7f {
            126 => 2,
            127 => 8,
            _ => 0,
        };
        let mask = if self.header[1] & 0x80 != 0 { 4 } else { 0 };
        Some(2 + ext + mask)
    }

    /// The payload length a complete header declares.
    fn payload_len(&self) -> u64 {
        match self.header[1] & 0x7f {
            126 => u64::from(u16::from_be_bytes([self.header[2], self.header[3]])),
            127 => {
                let mut b = [0u8; 8];
                b.copy_from_slice(&self.header[2..10]);
                u64::from_be_bytes(b)
            }
            n => u64::from(n),
        }
    }

    /// Scans the next chunk of the stream. `Err(at)` when a frame declares more than
    /// `limit` bytes, or makes its message larger than that: `at` is where that frame's
    /// header starts in `chunk` (0 when it started in an earlier chunk).
    fn scan(&mut self, chunk: &[u8], limit: usize) -> Result<(), usize> {
        let limit = u64::try_from(limit).unwrap_or(u64::MAX);
        let mut header_start = 0;
        let mut i = 0;
        while i < chunk.len() {
            if self.payload_left > 0 {
                let rest = u64::try_from(chunk.len() - i).unwrap_or(u64::MAX);
                let skip = self.payload_left.min(rest);
                self.payload_left -= skip;
                // `skip` is at most `rest`, a usize.
                i += usize::try_from(skip).unwrap_or(chunk.len() - i);
                continue;
            }
            if self.have == 0 {
                header_start = i;
            }
            self.header[self.have] = chunk[i];
            self.have += 1;
            i += 1;
            match self.header_len() {
                Some(len) if self.have == len => {}
                _ => continue,
            }
            self.have = 0;
            let length = self.payload_len();
            let opcode = self.header[0] & 0x0f;
            match opcode {
                // A continuation frame adds to the message in progress.
                0 => self.message = self.message.saturating_add(length),
                // Text, binary and the reserved data opcodes start a message.
                1..=7 => self.message = length,
                // Control frames stand alone.
                _ => {}
            }
            if length > limit || (opcode < 8 && self.message > limit) {
                return Err(header_start);
            }
            self.payload_left = length;
        }
        Ok(())
    }
}

enum State {
    Passing,
    /// Bytes before the offending frame were handed on. The guard answers `Pending`
    /// once (waking itself) so that the decoder delivers them, then the error.
    Deferred {
        pended: bool,
    },
    Failed,
}

/// A payload stream that fails as soon as a frame is over the [`FrameLimit`].
pub(crate) struct FrameGuard<S> {
    inner: S,
    limit: FrameLimit,
    scanner: Scanner,
    state: State,
}

impl<S> FrameGuard<S> {
    pub(crate) fn new(inner: S, limit: FrameLimit) -> FrameGuard<S> {
        FrameGuard {
            inner,
            limit,
            scanner: Scanner::default(),
            state: State::Passing,
        }
    }
}

impl<S> Stream for FrameGuard<S>
where
    S: Stream<Item = Result<Bytes, PayloadError>> + Unpin,
{
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        match this.state {
            State::Passing => {}
            State::Deferred { pended: false } => {
                this.state = State::Deferred { pended: true };
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            State::Deferred { pended: true } => {
                this.state = State::Failed;
                return Poll::Ready(Some(Err(PayloadError::Overflow)));
            }
            State::Failed => return Poll::Ready(None),
        }
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(bytes))) => match this.scanner.scan(&bytes, this.limit.get()) {
                Ok(()) => Poll::Ready(Some(Ok(bytes))),
                Err(at) => {
                    this.limit.trip();
                    if at > 0 {
                        this.state = State::Deferred { pended: false };
                        Poll::Ready(Some(Ok(bytes.slice(..at))))
                    } else {
                        this.state = State::Failed;
                        Poll::Ready(Some(Err(PayloadError::Overflow)))
                    }
                }
            },
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A masked client frame header (the payload is not needed by the scanner).
    fn header(opcode: u8, fin: bool, len: u64) -> Vec<u8> {
        let b0 = if fin { 0x80 } else { 0 } | opcode;
        let mut h = match len {
            0..=125 => vec![b0, 0x80 | len as u8],
            126..=65535 => {
                let mut h = vec![b0, 0x80 | 126];
                h.extend_from_slice(&(len as u16).to_be_bytes());
                h
            }
            _ => {
                let mut h = vec![b0, 0x80 | 127];
                h.extend_from_slice(&len.to_be_bytes());
                h
            }
        };
        h.extend_from_slice(&[1, 2, 3, 4]);
        h
    }

    fn frame(opcode: u8, fin: bool, len: usize) -> Vec<u8> {
        let mut f = header(opcode, fin, len as u64);
        f.extend(std::iter::repeat_n(b'x', len));
        f
    }

    /// Feeds `stream` in chunks of `step` bytes; where the scanner stops, as an
    /// absolute offset.
    fn scan_in_steps(stream: &[u8], step: usize, limit: usize) -> Option<usize> {
        let mut s = Scanner::default();
        for (n, chunk) in stream.chunks(step).enumerate() {
            if let Err(at) = s.scan(chunk, limit) {
                return Some(n * step + at);
            }
        }
        None
    }

    #[test]
    fn frames_within_the_limit_pass_in_any_chunking() {
        let mut stream = Vec::new();
        for len in [0, 1, 125, 126, 200, 1000, 65535, 65536, 70000] {
            stream.extend(frame(1, true, len));
        }
        stream.extend(frame(9, true, 4)); // ping
        for step in [1, 2, 3, 7, 14, 1000, stream.len()] {
            assert_eq!(scan_in_steps(&stream, step, 70000), None, "step {step}");
        }
    }

    #[test]
    fn an_oversized_header_stops_before_its_payload() {
        let mut stream = frame(1, true, 10);
        let at = stream.len();
        stream.extend(header(1, true, 1 << 30));
        for step in [1, 5, 16, stream.len()] {
            let got = scan_in_steps(&stream, step, 100).unwrap();
            // Where the header starts, or the start of the chunk that completes it.
            assert!(got >= at && got < at + 14, "step {step}: {got}");
        }
        assert_eq!(scan_in_steps(&frame(1, true, 101), 1000, 100), Some(0));
        assert_eq!(scan_in_steps(&frame(1, true, 100), 1000, 100), None);
    }

    #[test]
    fn fragments_count_together_and_control_frames_in_between_do_not() {
        let mut stream = frame(1, false, 40);
        stream.extend(frame(9, true, 50)); // ping in the middle of the message
        stream.extend(frame(0, false, 40));
        let at = stream.len();
        stream.extend(frame(0, true, 21));
        assert_eq!(scan_in_steps(&stream, 1000, 100), Some(at));
        stream.truncate(at);
        stream.extend(frame(0, true, 20));
        // A new message starts from zero.
        stream.extend(frame(1, true, 100));
        assert_eq!(scan_in_steps(&stream, 3, 100), None);
    }

    #[test]
    fn lengths_beyond_usize_do_not_overflow() {
        let s = header(1, true, u64::MAX);
        assert_eq!(scan_in_steps(&s, 1, usize::MAX), None);
        assert_eq!(scan_in_steps(&s, 1000, 10), Some(0));
    }
}
