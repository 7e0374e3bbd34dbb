//! `connectors serve`: build the application and serve until a signal.

use crate::app::{Application, shutdown_signal};
use crate::config::Config;
use crate::service::identity::{BOOTSTRAP_EMAIL, BOOTSTRAP_TENANT, BootstrapOutcome};
use secrecy::ExposeSecret;

pub async fn run(config: &Config) -> anyhow::Result<()> {
    let app = Application::build(config).await?;
    let shutdown = shutdown_signal();
    let addr = app.local_addr()?;
    match app.bootstrap_outcome() {
        BootstrapOutcome::CreatedWithRandomPassword(password) => {
            // Printed once, to the terminal only (never through the logger).
            eprintln!(
                "\n  Created tenant '{BOOTSTRAP_TENANT}' with owner {BOOTSTRAP_EMAIL}.\n  One-time password: {}\n  Sign in at http://{addr}/login and keep it somewhere safe; it is not shown again.\n",
                password.expose_secret()
            );
        }
        BootstrapOutcome::CreatedWithConfiguredPassword => {
            eprintln!(
                "\n  Created tenant '{BOOTSTRAP_TENANT}' with owner {BOOTSTRAP_EMAIL} (password from CONNECTORS_BOOTSTRAP_PASSWORD).\n"
            );
        }
        BootstrapOutcome::NotNeeded => {}
    }
    tracing::info!(%addr, "listening");
    app.run_until(shutdown).await?;
    tracing::info!("stopped");
    Ok(())
}
