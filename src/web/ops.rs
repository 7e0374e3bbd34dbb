//! Health endpoints for load balancers and orchestrators.

use super::AppState;
use super::error::AppError;
use axum::extract::State;
use axum::response::Json;
use serde_json::{Value, json};

/// Liveness: the process answers.
pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// Readiness: the database answers.
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Value>, AppError> {
    match state.store.ping().await {
        Ok(()) => Ok(Json(
            json!({"status": "ok", "database": state.store.backend().as_str()}),
        )),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            Err(AppError::unavailable())
        }
    }
}

/// Prometheus metrics: request counts and latencies by route and status.
pub async fn metrics(State(state): State<AppState>) -> impl axum::response::IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
}
