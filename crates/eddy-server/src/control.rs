//! The `/_eddy/*` control API: health, the server clock (pause, advance), TTL sweeps on demand. JSON in and
//! out; documented in `docs/control-api.md`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;

pub async fn health() -> Response {
    Json(json!({"status": "ok"})).into_response()
}

pub async fn get_clock(State(state): State<AppState>) -> Response {
    let clock = state.store.clock();
    Json(json!({"now": clock.now_ms(), "paused": clock.is_paused()})).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClockChange {
    paused: Option<bool>,
    advance_seconds: Option<f64>,
    advance_ms: Option<i64>,
}

impl ClockChange {
    /// The advance asked for, in ms, if the clock can make it (it never goes backwards, nor past
    /// [`eddy_model::Clock::LATEST_MS`], `room_ms` from now).
    fn advance(&self, room_ms: i64) -> Result<i64, &'static str> {
        let seconds = self.advance_seconds.unwrap_or(0.0);
        let ms = self.advance_ms.unwrap_or(0);
        if seconds.is_nan() || seconds < 0.0 || ms < 0 {
            return Err("the clock never goes backwards: advance must not be negative");
        }
        // Compared as floats first, so that no amount overflows on the way.
        if seconds * 1000.0 + ms as f64 > room_ms as f64 {
            return Err("the clock cannot be advanced past 9999-12-31T23:59:59.999Z");
        }
        Ok((seconds * 1000.0) as i64 + ms)
    }
}

pub async fn post_clock(State(state): State<AppState>, body: axum::body::Bytes) -> Response {
    let change: ClockChange =
        match serde_json::from_slice(if body.is_empty() { b"{}" } else { &body }) {
            Ok(c) => c,
            Err(e) => return bad_request(&e.to_string()),
        };
    let clock = state.store.clock();
    let advance = match change.advance(clock.room_ms()) {
        Ok(ms) => ms,
        Err(message) => return bad_request(message),
    };
    if let Some(paused) = change.paused {
        clock.set_paused(paused);
    }
    clock.advance_ms(advance);
    Json(json!({"now": clock.now_ms(), "paused": clock.is_paused()})).into_response()
}

pub async fn ttl_sweep(State(state): State<AppState>) -> Response {
    match state.store.sweep_ttl().await {
        Ok(n) => Json(json!({"deleted": n})).into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": e.to_string()})),
        )
            .into_response(),
    }
}

pub fn bad_request(message: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": message}))).into_response()
}

#[derive(Deserialize)]
pub struct RolloverRequest {
    #[serde(rename = "StreamArn")]
    stream_arn: String,
    children: Option<u32>,
}

/// Closes every open shard of a stream and opens `children` (default 1) children for each.
pub async fn rollover(State(state): State<AppState>, body: axum::body::Bytes) -> Response {
    let req: RolloverRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return bad_request(&e.to_string()),
    };
    match state
        .store
        .rollover_stream(&req.stream_arn, req.children.unwrap_or(1))
        .await
    {
        Ok((closed, opened)) => {
            Json(json!({"closedShards": closed, "openedShards": opened})).into_response()
        }
        Err(e) => bad_request(&e.to_string()),
    }
}

/// Trims every record older than the retention period now; answers how many were deleted.
pub async fn trim(State(state): State<AppState>) -> Response {
    match state.store.trim_streams().await {
        Ok(n) => Json(json!({"trimmed": n})).into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": e.to_string()})),
        )
            .into_response(),
    }
}
