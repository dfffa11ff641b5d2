//! A deadline for the whole request body, on every route.
//!
//! actix-web's `client_request_timeout` covers only the request head: a
//! client could then send the body one byte a second and keep its connection
//! (and whatever the handler holds) for as long as it likes. This middleware
//! wraps every request's body in a stream that fails once `REQUEST_BODY_TIMEOUT`
//! (default [`DEFAULT_TIMEOUT`]) has passed since the head arrived. The
//! handler then gives up on the body (handlers parse only whole bodies, so
//! nothing half-read is stored) and, whatever it answered, the client gets
//! 408 with the usual error body, and the connection is closed.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::ConnectionType;
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::{HttpMessage, ResponseError};
use futures_util::Stream;
use tokio::time::{Instant, Sleep};

use crate::error::AppError;
use crate::state::AppState;

/// How long a client has to send a whole request body, from the end of its
/// head, unless REQUEST_BODY_TIMEOUT says otherwise (the setting's default
/// lives with the setting).
pub const DEFAULT_TIMEOUT: Duration = crate::configuration::DEFAULT_BODY_TIMEOUT;

/// How long the body of a timed-out request is kept after the 408: while it
/// is, actix-web sees a body nobody finished reading and closes the
/// connection after the answer (a body dropped instead would be read on to
/// its end if chunked, at the client's pace). Longer than the answer takes.
const HOLD_AFTER_TIMEOUT: Duration = Duration::from_secs(2);

/// What the wrapped body tells the middleware.
#[derive(Default)]
struct Expiry {
    /// The connection's own body, taken when the deadline passed.
    expired: Option<Payload>,
}

/// The request body, failing once `deadline` has passed.
struct DeadlineBody {
    /// None once expired.
    inner: Option<Payload>,
    deadline: Instant,
    /// Made on the first wait, so that a body read at once costs no timer.
    timer: Option<Pin<Box<Sleep>>>,
    expiry: Rc<RefCell<Expiry>>,
}

fn timed_out() -> PayloadError {
    PayloadError::Io(std::io::Error::new(std::io::ErrorKind::TimedOut, "request body deadline passed"))
}

impl DeadlineBody {
    fn expire(&mut self) -> Poll<Option<Result<Bytes, PayloadError>>> {
        if let Some(body) = self.inner.take() {
            self.expiry.borrow_mut().expired = Some(body);
        }
        Poll::Ready(Some(Err(timed_out())))
    }
}

impl Stream for DeadlineBody {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if Instant::now() >= this.deadline {
            return this.expire();
        }
        let Some(inner) = this.inner.as_mut() else {
            return Poll::Ready(Some(Err(timed_out())));
        };
        if let Poll::Ready(item) = Pin::new(inner).poll_next(cx) {
            return Poll::Ready(item);
        }
        let deadline = this.deadline;
        let timer = this.timer.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => this.expire(),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Middleware: gives the request body its deadline; past it, answers 408
/// and closes the connection.
pub async fn body_deadline(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let body = req.take_payload();
    if matches!(body, Payload::None) {
        return next.call(req).await.map(ServiceResponse::map_into_left_body);
    }
    let timeout = req.app_data::<web::Data<AppState>>().map_or(DEFAULT_TIMEOUT, |s| s.body_timeout);
    let expiry = Rc::new(RefCell::new(Expiry::default()));
    let wrapped =
        DeadlineBody { inner: Some(body), deadline: Instant::now() + timeout, timer: None, expiry: Rc::clone(&expiry) };
    req.set_payload(Payload::from(Box::pin(wrapped) as Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>));
    let result = next.call(req).await;
    let Some(body) = expiry.borrow_mut().expired.take() else {
        return result.map(ServiceResponse::map_into_left_body);
    };
    tracing::info!(timeout_secs = timeout.as_secs_f64(), "request body not received in time; answered 408");
    actix_web::rt::spawn(async move {
        tokio::time::sleep(HOLD_AFTER_TIMEOUT).await;
        drop(body);
    });
    // Whatever the handler made of its failed body is replaced.
    let Ok(res) = result else {
        return Err(AppError::RequestTimeout.into());
    };
    let (request, _) = res.into_parts();
    let mut res = AppError::RequestTimeout.error_response();
    res.head_mut().set_connection_type(ConnectionType::Close);
    Ok(ServiceResponse::new(request, res).map_into_right_body())
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;

    use super::*;

    fn wrap(body: impl Stream<Item = Result<Bytes, PayloadError>> + 'static, timeout: Duration) -> DeadlineBody {
        let body: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> = Box::pin(body);
        DeadlineBody {
            inner: Some(Payload::from(body)),
            deadline: Instant::now() + timeout,
            timer: None,
            expiry: Rc::default(),
        }
    }

    #[tokio::test]
    async fn a_body_that_stops_coming_fails_at_the_deadline_and_is_kept() {
        let started = futures_util::stream::iter([Ok(Bytes::from_static(b"name=Ad"))]);
        let mut body = wrap(started.chain(futures_util::stream::pending()), Duration::from_millis(50));
        assert_eq!(body.next().await.unwrap().unwrap(), "name=Ad");
        let err = body.next().await.unwrap().unwrap_err();
        assert!(matches!(&err, PayloadError::Io(e) if e.kind() == std::io::ErrorKind::TimedOut), "{err:?}");
        assert!(body.expiry.borrow().expired.is_some(), "the connection's body is kept, so that it closes");
        assert!(body.next().await.unwrap().is_err(), "and it stays failed");
    }

    #[tokio::test]
    async fn a_body_in_time_passes_through_untouched() {
        let chunks = [Ok(Bytes::from_static(b"name=Ada")), Ok(Bytes::from_static(b"&country=GB"))];
        let mut body = wrap(futures_util::stream::iter(chunks), Duration::from_secs(60));
        let mut read = Vec::new();
        while let Some(chunk) = body.next().await {
            read.extend_from_slice(&chunk.unwrap());
        }
        assert_eq!(read, b"name=Ada&country=GB");
        assert!(body.expiry.borrow().expired.is_none());
        assert!(body.timer.is_none(), "no timer for a body that was already there");
    }
}
