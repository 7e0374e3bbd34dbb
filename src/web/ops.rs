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

/// Prometheus metrics: request counts and latencies by route and status,
/// and (on PostgreSQL) whether the change listener is connected.
pub async fn metrics(State(state): State<AppState>) -> impl axum::response::IntoResponse {
    if let Some(up) = state.store.following_changes() {
        state.metrics.set_change_listener_up(up);
    }
    (
        [(
            axum::http::header::CONTENT_TYPE,
            super::metrics::CONTENT_TYPE,
        )],
        state.metrics.render(),
    )
}
