//! A petition's transparency log, in the C2SP tlog-tiles layout under
//! `/log/{slug}/`: the latest signed checkpoint, hash tiles and entry
//! bundles, and every checkpoint published. Public, with no login, and
//! cacheable: a tile never changes once it exists.

use actix_web::http::header::{self, CacheControl, CacheDirective};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::extract::PetitionBySlug;
use crate::db::tlog as rows;
use crate::error::AppError;
use crate::state::AppState;
use crate::tlog::paths::TilePath;

/// How long a cache may keep a tile: a year (it never changes).
const TILE_MAX_AGE: u32 = 31_536_000;
/// Checkpoints listed per page of `/log/{slug}/checkpoints`.
const CHECKPOINTS_PER_PAGE: i64 = 1000;

fn not_there() -> Result<HttpResponse, AppError> {
    // A cached 404 would hide a tile after it appears.
    Ok(HttpResponse::NotFound()
        .insert_header(CacheControl(vec![CacheDirective::NoStore]))
        .content_type("text/plain; charset=utf-8")
        .body("Not in this log (yet).\n"))
}

/// `GET /log/{slug}/checkpoint`: the latest signed checkpoint.
pub async fn checkpoint(
    state: web::Data<AppState>,
    PetitionBySlug(p): PetitionBySlug,
) -> Result<HttpResponse, AppError> {
    let id = p.id;
    let Some(head) = state.db.read(move |c| rows::head(c, id)).await? else {
        return not_there();
    };
    Ok(HttpResponse::Ok()
        .insert_header(CacheControl(vec![CacheDirective::NoCache]))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .content_type("text/plain; charset=utf-8")
        .body(head.checkpoint))
}

/// Segments after `tile/` in a C2SP tile path: the level (or `entries`),
/// one to seven index groups (`x001/x234/067`: an index below 2^64 has at
/// most 20 digits), and `W` after `.p/` for a partial tile. One segment is
/// no tile, but is answered as a missing one (404, not cached) too.
const TILE_SEGMENTS: std::ops::RangeInclusive<usize> = 1..=9;

/// One resource per depth, `/log/{slug}/tile/{s0}/{s1}...`, rather than a
/// `{tail:.+}` regex: the metrics label a request by its pattern, which a
/// regex segment cannot be written back into (a warning per request).
pub fn tile_routes(cfg: &mut web::ServiceConfig) {
    for depth in TILE_SEGMENTS {
        let segments: String = (0..depth).map(|i| format!("/{{s{i}}}")).collect();
        cfg.service(web::resource(format!("/log/{{slug}}/tile{segments}")).route(super::get_or_head().to(tile)));
    }
}

/// `GET /log/{slug}/tile/...`: a hash tile or an entry bundle.
pub async fn tile(
    state: web::Data<AppState>,
    PetitionBySlug(p): PetitionBySlug,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let prefix = format!("/log/{}/", p.slug);
    let Some(Ok(path)) = req.path().strip_prefix(&prefix).map(TilePath::parse) else {
        return not_there();
    };
    let id = p.id;
    let bytes = state
        .db
        .snapshot(move |c| match rows::head(c, id)? {
            Some(head) => crate::transparency::tile(c, &head, &path),
            None => Ok(None),
        })
        .await?;
    let Some(bytes) = bytes else {
        return not_there();
    };
    Ok(HttpResponse::Ok()
        .insert_header(CacheControl(vec![
            CacheDirective::Public,
            CacheDirective::MaxAge(TILE_MAX_AGE),
            CacheDirective::Extension("immutable".into(), None),
        ]))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .content_type("application/octet-stream")
        .body(bytes))
}

#[derive(Debug, Deserialize)]
pub struct CheckpointsQuery {
    /// List the checkpoints of sizes above this one.
    #[serde(default)]
    after: Option<u64>,
}

#[derive(Debug, Serialize)]
struct CheckpointJson {
    size: i64,
    /// When it was signed, as the log says (UTC; not proven by anything).
    published_at: String,
    /// The signed note, as `/log/{slug}/checkpoint` served it.
    note: String,
}

#[derive(Debug, Serialize)]
struct CheckpointList {
    origin: String,
    checkpoints: Vec<CheckpointJson>,
    /// Pass as `?after=` for the next page; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_after: Option<i64>,
}

/// `GET /log/{slug}/checkpoints[?after=SIZE]`: every checkpoint published,
/// smallest first, a thousand at a time.
pub async fn checkpoints(
    state: web::Data<AppState>,
    PetitionBySlug(p): PetitionBySlug,
    query: web::Query<CheckpointsQuery>,
) -> Result<HttpResponse, AppError> {
    let id = p.id;
    let after = query.after.map_or(-1, |a| i64::try_from(a).unwrap_or(i64::MAX));
    let found = state
        .db
        .snapshot(move |c| {
            let Some(head) = rows::head(c, id)? else {
                return Ok(None);
            };
            Ok(Some((head.origin, rows::checkpoints(c, id, after, CHECKPOINTS_PER_PAGE)?)))
        })
        .await?;
    let Some((origin, list)) = found else {
        return not_there();
    };
    let full = i64::try_from(list.len()).unwrap_or(0) == CHECKPOINTS_PER_PAGE;
    let next_after = list.last().filter(|_| full).map(|(size, ..)| *size);
    let checkpoints = list
        .into_iter()
        .map(|(size, note, at)| CheckpointJson {
            size,
            published_at: at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            note,
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header(CacheControl(vec![CacheDirective::NoCache]))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .json(CheckpointList { origin, checkpoints, next_after }))
}
